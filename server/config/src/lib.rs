//! Layered configuration, read the way Codex reads `config.toml`, with codeloop's own locations.
//!
//! Layers, later ones winning, merged key by key (tables merge, other values replace):
//! 1. built-in defaults (the `openai`, `ollama` and `lmstudio` providers);
//! 2. the user file, `$CODELOOP_CONFIG_DIR/config.toml` or `~/.config/codeloop/config.toml`;
//! 3. the project file, `.codeloop/config.toml` between the working directory and the project root;
//! 4. `-c key=value` overrides from the command line;
//! 5. the `config` object of LSP `initializationOptions`.
//!
//! Invariants: every error names its layer (a file path, `-c key=value` or `initializationOptions`),
//! the key and what is wrong; unknown top-level keys are warnings, not errors, so a key from a newer
//! version does not lock the user out. A project file is untrusted by default: it cannot define or
//! change model providers (a cloned repository must not be able to send the user's API key elsewhere)
//! unless the user file marks the project trusted. This crate reads files and environment variables;
//! it does no other I/O and holds no state.

mod error;
mod layers;
mod locate;
mod model;

pub use error::{ConfigError, LayerSource, Result};
pub use layers::ConfigLoader;
pub use locate::{project_config, user_config_dir};
pub use model::{
    ApprovalPolicy, Config, ProjectEntry, ReasoningEffort, ReasoningSummary, SandboxMode, SandboxWorkspaceWrite, TrustLevel, Verbosity,
};
