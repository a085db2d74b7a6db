; Go symbols for the outline and the workspace index.
; Conventions (see grammars/README.md): @definition.<kind> marks the whole definition, @name its
; name, @container the receiver type of a method (methods are not nested in their type).

(function_declaration name: (identifier) @name) @definition.function

(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      type: [
        (type_identifier) @container
        (pointer_type (type_identifier) @container)
        (generic_type type: (type_identifier) @container)
        (pointer_type (generic_type type: (type_identifier) @container))
      ]))
  name: (field_identifier) @name) @definition.method
(method_declaration name: (field_identifier) @name) @definition.method

(type_spec name: (type_identifier) @name type: (struct_type)) @definition.struct
(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
(type_spec name: (type_identifier) @name) @definition.type_alias
(type_alias name: (type_identifier) @name) @definition.type_alias

(struct_type
  (field_declaration_list
    (field_declaration name: (field_identifier) @name) @definition.field))
(interface_type
  (method_elem name: (field_identifier) @name) @definition.method)

(source_file
  (const_declaration (const_spec name: (identifier) @name) @definition.constant))
(source_file
  (var_declaration (var_spec name: (identifier) @name) @definition.variable))
(source_file
  (var_declaration (var_spec_list (var_spec name: (identifier) @name) @definition.variable)))
