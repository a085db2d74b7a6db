; C++ symbols for the outline and the workspace index.
; Conventions (see grammars/README.md): @definition.<kind> marks the whole definition, @name its
; name, @container the class of an out-of-line member definition (`void Foo::bar() {}`).
; Functions nested in a class become methods, and a method named like its class a constructor,
; in the nesting pass. Declarations are matched anywhere; the nesting pass drops the ones inside
; function bodies.

(namespace_definition name: (_) @name) @definition.namespace

(class_specifier name: (_) @name body: (_)) @definition.class
(struct_specifier name: (_) @name body: (_)) @definition.struct
(union_specifier name: (_) @name body: (_)) @definition.struct
(enum_specifier name: (_) @name body: (_)) @definition.enum
(enumerator name: (identifier) @name) @definition.enum_member

; Out-of-line member definitions: Foo::bar, Foo<T>::bar, ns::Foo::bar.
(function_definition
  declarator: (function_declarator
    declarator: (qualified_identifier
      scope: (_) @container
      name: [(identifier) (destructor_name) (operator_name)] @name))) @definition.method
(function_definition
  declarator: (_
    declarator: (function_declarator
      declarator: (qualified_identifier
        scope: (_) @container
        name: [(identifier) (destructor_name) (operator_name)] @name)))) @definition.method

(function_definition
  declarator: (function_declarator
    declarator: [(identifier) (field_identifier) (destructor_name) (operator_name)] @name)) @definition.function
(function_definition
  declarator: (_
    declarator: (function_declarator
      declarator: [(identifier) (field_identifier) (destructor_name) (operator_name)] @name))) @definition.function

; Prototypes and member function declarations.
(declaration
  declarator: (function_declarator
    declarator: [(identifier) (destructor_name) (operator_name)] @name)) @definition.function
(declaration
  declarator: (_
    declarator: (function_declarator
      declarator: [(identifier) (destructor_name) (operator_name)] @name))) @definition.function
(field_declaration
  declarator: (function_declarator
    declarator: [(field_identifier) (destructor_name) (operator_name)] @name)) @definition.function
(field_declaration
  declarator: (_
    declarator: (function_declarator
      declarator: [(field_identifier) (destructor_name) (operator_name)] @name))) @definition.function

(field_declaration
  declarator: [
    (field_identifier) @name
    (pointer_declarator declarator: (field_identifier) @name)
    (reference_declarator (field_identifier) @name)
    (array_declarator declarator: (field_identifier) @name)
  ]) @definition.field
; Function-pointer fields: `int (*write)(void *);`.
(field_declaration
  declarator: (function_declarator
    declarator: (parenthesized_declarator
      (pointer_declarator declarator: (field_identifier) @name)))) @definition.field

(type_definition declarator: (type_identifier) @name) @definition.type_alias
(alias_declaration name: (type_identifier) @name) @definition.type_alias

; Variables with initializers; const/constexpr ones are constants (this pattern comes first).
(declaration
  (type_qualifier) @_qualifier
  declarator: (init_declarator
    declarator: [
      (identifier) @name
      (reference_declarator (identifier) @name)
      (_ declarator: (identifier) @name)
      (_ declarator: (_ declarator: (identifier) @name))
    ])
  (#any-of? @_qualifier "const" "constexpr")) @definition.constant
(declaration
  declarator: (init_declarator
    declarator: [
      (identifier) @name
      (reference_declarator (identifier) @name)
      (_ declarator: (identifier) @name)
      (_ declarator: (_ declarator: (identifier) @name))
    ])) @definition.variable

; Macros, except include guards.
((preproc_def name: (identifier) @name) @definition.macro
  (#not-match? @name "_H(_|PP|PP_)?$"))
(preproc_function_def name: (identifier) @name) @definition.macro
