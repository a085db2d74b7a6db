; Python symbols for the outline and the workspace index.
; Conventions (see grammars/README.md): @definition.<kind> marks the whole definition, @name its
; name. A decorated definition is captured twice (with and without its decorators); the wider
; capture wins, so the range covers the decorators. Functions inside classes become methods
; (`__init__` a constructor) in the nesting pass.

(decorated_definition
  definition: (class_definition name: (identifier) @name)) @definition.class
(decorated_definition
  definition: (function_definition name: (identifier) @name)) @definition.function

(class_definition name: (identifier) @name) @definition.class
(function_definition name: (identifier) @name) @definition.function

; Module-level assignments: ALL_CAPS names are constants, the rest variables.
(module
  (expression_statement
    (assignment left: (identifier) @name) @definition.constant)
  (#match? @name "^_*[A-Z][A-Z0-9_]*$"))
(module
  (expression_statement
    (assignment left: (identifier) @name) @definition.variable)
  (#not-match? @name "^_*[A-Z][A-Z0-9_]*$"))
(module
  (expression_statement
    (assignment left: (pattern_list (identifier) @name)) @definition.variable))

(module
  (type_alias_statement left: (type (identifier) @name)) @definition.type_alias)

; Class attributes (dataclass fields, enum members, class constants).
(class_definition
  body: (block
    (expression_statement
      (assignment left: (identifier) @name) @definition.field)))
