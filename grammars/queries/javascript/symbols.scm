; JavaScript symbols for the outline and the workspace index.
; Conventions (see grammars/README.md): @definition.<kind> marks the whole definition, @name its
; name. Variables are captured only at the top level of the program (also when exported), so
; locals in callbacks never reach the outline. When two patterns capture the same name with the
; same range, the earlier pattern wins: function-valued declarations come first.

(class_declaration name: (_) @name) @definition.class
(class name: (identifier) @name body: (class_body)) @definition.class

(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function

(method_definition name: (_) @name) @definition.method

(field_definition
  property: (_) @name
  value: [(arrow_function) (function_expression)]) @definition.method
(field_definition property: (_) @name) @definition.field

; The top-level declarations follow from queries/ecmascript/declarations.scm.
