//! Layered configuration: user file, project file, command-line and LSP overrides (work in progress).
