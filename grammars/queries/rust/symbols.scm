; Rust symbols for the outline and the workspace index.
; Conventions (see grammars/README.md): @definition.<kind> marks the whole definition, @name its
; name, @trait the trait of an impl block. Functions nested in an impl or a trait become methods,
; and consts/statics inside function bodies are dropped, by the nesting pass in Rust code.

(mod_item name: (identifier) @name) @definition.module

(struct_item name: (type_identifier) @name) @definition.struct
(union_item name: (type_identifier) @name) @definition.struct
(enum_item name: (type_identifier) @name) @definition.enum
(trait_item name: (type_identifier) @name) @definition.trait

(impl_item trait: (_)? @trait type: (_) @name) @definition.impl

(function_item name: (identifier) @name) @definition.function
(function_signature_item name: (identifier) @name) @definition.function

(macro_definition name: (identifier) @name) @definition.macro

(type_item name: (type_identifier) @name) @definition.type_alias
(associated_type name: (type_identifier) @name) @definition.type_alias

(const_item name: (identifier) @name) @definition.constant
(static_item (mutable_specifier) name: (identifier) @name) @definition.variable
(static_item name: (identifier) @name) @definition.constant

(field_declaration_list
  (field_declaration name: (field_identifier) @name) @definition.field)
(enum_variant name: (identifier) @name) @definition.enum_member
