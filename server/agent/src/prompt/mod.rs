//! Prompt assembly: the base instructions (the request's `instructions`), and the context items a
//! thread's input starts with or that a request adds: permissions, developer instructions,
//! AGENTS.md, environment, and the editor's context for a request.
//!
//! Invariants: everything renders deterministically from its inputs (dates and paths are passed
//! in, so equal inputs give equal bytes, which the provider's prompt cache depends on); the prefix
//! is built once and then only appended to (`settings_update`). File reads are few and small
//! (instruction files, AGENTS.md, an editor file that is not open) and blocking.
//!
//! Deliberately not here: tool specifications (the tools crate), request building and the turn
//! loop, and anything LSP (the editor context arrives as plain data).

mod agents_md;
mod editor;
mod environment;
mod permissions;
mod settings;
#[cfg(test)]
mod tests;

pub use agents_md::{find_project_root, project_docs, AGENTS_MD_HEADER, AGENTS_MD_NAMES};
pub use editor::{
    editor_context, editor_text, render_editor_context, resolve_agent_context, DEFINITIONS_CAP, EDITOR_CONTEXT_OPEN, ENCLOSING_CAP,
    MAX_DIAGNOSTICS, SELECTION_CAP, SELECTION_LINES,
};
pub use environment::{environment_context, sandbox_mode_name, EnvironmentContext, ENVIRONMENT_CONTEXT_OPEN};
pub use permissions::{approval_policy_name, permissions_message, Permissions, PERMISSIONS_OPEN};
pub use settings::{initial_context, is_injected_context, settings_update, ContextSettings};

use config::Config;
use std::path::PathBuf;

/// codeloop's own base instructions: who the agent is, its tools, its editing rules. Sent as the
/// `instructions` of every request, so it is kept short.
pub const BASE_INSTRUCTIONS: &str = include_str!("base_instructions.md");

#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("cannot read model_instructions_file {path}: {source}")]
    InstructionsFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("model_instructions_file {path} is empty")]
    EmptyInstructionsFile { path: PathBuf },
}

pub type Result<T, E = PromptError> = std::result::Result<T, E>;

/// The base instructions: the file named by `model_instructions_file` when set (read now; an
/// unreadable or blank file is an error rather than a silent fallback), else `BASE_INSTRUCTIONS`.
pub fn base_instructions(config: &Config) -> Result<String> {
    let Some(path) = &config.model_instructions_file else {
        return Ok(BASE_INSTRUCTIONS.to_string());
    };
    let text = std::fs::read_to_string(path).map_err(|source| PromptError::InstructionsFile { path: path.clone(), source })?;
    if text.trim().is_empty() {
        return Err(PromptError::EmptyInstructionsFile { path: path.clone() });
    }
    Ok(text)
}
