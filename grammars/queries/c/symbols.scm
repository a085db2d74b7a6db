; C symbols for the outline and the workspace index.
; Conventions (see grammars/README.md): @definition.<kind> marks the whole definition, @name its
; name. Declarations are matched anywhere; the nesting pass drops the ones inside function
; bodies, so only file-scope variables (with initializers) and prototypes remain.

(function_definition
  declarator: (function_declarator declarator: (identifier) @name)) @definition.function
(function_definition
  declarator: (pointer_declarator
    declarator: (function_declarator declarator: (identifier) @name))) @definition.function
(function_definition
  declarator: (pointer_declarator
    declarator: (pointer_declarator
      declarator: (function_declarator declarator: (identifier) @name)))) @definition.function

; Prototypes.
(declaration
  declarator: (function_declarator declarator: (identifier) @name)) @definition.function
(declaration
  declarator: (pointer_declarator
    declarator: (function_declarator declarator: (identifier) @name))) @definition.function

(struct_specifier name: (type_identifier) @name body: (_)) @definition.struct
(union_specifier name: (type_identifier) @name body: (_)) @definition.struct
(enum_specifier name: (type_identifier) @name body: (_)) @definition.enum
(enumerator name: (identifier) @name) @definition.enum_member
(field_declaration
  declarator: [
    (field_identifier) @name
    (pointer_declarator declarator: (field_identifier) @name)
    (array_declarator declarator: (field_identifier) @name)
  ]) @definition.field
; Function-pointer fields: `int (*write)(void *);`.
(field_declaration
  declarator: (function_declarator
    declarator: (parenthesized_declarator
      (pointer_declarator declarator: (field_identifier) @name)))) @definition.field

(type_definition declarator: (type_identifier) @name) @definition.type_alias
(type_definition
  declarator: (pointer_declarator declarator: (type_identifier) @name)) @definition.type_alias

; Variables with initializers; `const` ones are constants (this pattern comes first).
(declaration
  (type_qualifier) @_qualifier
  declarator: (init_declarator
    declarator: [
      (identifier) @name
      (_ declarator: (identifier) @name)
      (_ declarator: (_ declarator: (identifier) @name))
    ])
  (#eq? @_qualifier "const")) @definition.constant
(declaration
  declarator: (init_declarator
    declarator: [
      (identifier) @name
      (_ declarator: (identifier) @name)
      (_ declarator: (_ declarator: (identifier) @name))
    ])) @definition.variable

; Macros, except include guards.
((preproc_def name: (identifier) @name) @definition.macro
  (#not-match? @name "_H(_|PP|PP_)?$"))
(preproc_function_def name: (identifier) @name) @definition.macro
