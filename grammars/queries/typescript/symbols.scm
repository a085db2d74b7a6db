; TypeScript symbols for the outline and the workspace index. The TSX grammar uses this same
; file (see grammars/README.md).
; Conventions (see grammars/README.md): @definition.<kind> marks the whole definition, @name its
; name. Variables are captured only at the top level of the program (also when exported), so
; locals in callbacks never reach the outline. When two patterns capture the same name with the
; same range, the earlier pattern wins: function-valued declarations come first.

(class_declaration name: (_) @name) @definition.class
(abstract_class_declaration name: (_) @name) @definition.class
(class name: (type_identifier) @name body: (class_body)) @definition.class

(interface_declaration name: (_) @name) @definition.interface
(type_alias_declaration name: (_) @name) @definition.type_alias
(enum_declaration name: (_) @name) @definition.enum
(enum_body name: (property_identifier) @name @definition.enum_member)
(enum_body (enum_assignment name: (_) @name) @definition.enum_member)

(internal_module name: (_) @name) @definition.namespace
(module name: (_) @name) @definition.module

(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(function_signature name: (identifier) @name) @definition.function

(method_definition name: (_) @name) @definition.method
(abstract_method_signature name: (_) @name) @definition.method
; Members of interfaces and of object types that are aliased (`type Props = { .. }`); object
; types elsewhere (parameters, type arguments) are not definitions.
(interface_body (method_signature name: (_) @name) @definition.method)
(interface_body (property_signature name: (_) @name) @definition.field)
(type_alias_declaration
  value: (object_type (method_signature name: (_) @name) @definition.method))
(type_alias_declaration
  value: (object_type (property_signature name: (_) @name) @definition.field))

(public_field_definition
  name: (_) @name
  value: [(arrow_function) (function_expression)]) @definition.method
(public_field_definition name: (_) @name) @definition.field

; The top-level declarations follow from queries/ecmascript/declarations.scm.
