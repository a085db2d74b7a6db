; Ruby symbols for the outline and the workspace index.
; Conventions (see grammars/README.md): @definition.<kind> marks the whole definition, @name its
; name. A `def` inside a class or module becomes a method (`initialize` a constructor) in the
; nesting pass; constant assignments inside method bodies are dropped there too.

(module name: [(constant) @name (scope_resolution name: (_) @name)]) @definition.module
(class name: [(constant) @name (scope_resolution name: (_) @name)]) @definition.class

(method name: (_) @name) @definition.function
(singleton_method name: (_) @name) @definition.method

(assignment left: (constant) @name) @definition.constant
(assignment left: (scope_resolution name: (constant) @name)) @definition.constant
