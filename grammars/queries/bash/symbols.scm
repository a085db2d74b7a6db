; Bash symbols for the outline and the workspace index.
; Conventions (see grammars/README.md): @definition.<kind> marks the whole definition, @name its
; name. Only top-level assignments are variables; `readonly` and `declare -r` make constants
; (those patterns come first so they win).

(function_definition name: (word) @name) @definition.function

(program
  (declaration_command
    "readonly"
    (variable_assignment name: (variable_name) @name)) @definition.constant)
(program
  (declaration_command
    (word) @_flag
    (variable_assignment name: (variable_name) @name)
    (#match? @_flag "^-[a-zA-Z]*r")) @definition.constant)
(program
  (declaration_command
    (variable_assignment name: (variable_name) @name)) @definition.variable)
(program
  (variable_assignment name: (variable_name) @name) @definition.variable)
