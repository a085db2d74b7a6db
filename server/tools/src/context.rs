//! What every tool call runs against (`ToolContext`: the working directory, the file view,
//! the index, the settings) and what it returns (`ToolOutput`: text for the model, a success
//! flag, and an effect for the agent to emit: edits or a plan).
//!
//! Plain data (plus the shell's per-context overlay handle); the tools themselves are in their
//! own modules.

use crate::files::FileView;
use crate::patch::PatchedFile;
use crate::plan::Plan;
use crate::shell_overlay::ShellOverlay;
use agent_protocol::EditProposal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Settings of the tools. `Default` gives the documented defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolsConfig {
    /// Offer apply_patch as a freeform (grammar) tool rather than a JSON function.
    pub apply_patch_freeform: bool,
    /// Offer find_symbol and file_outline (needs an index).
    pub symbol_tools: bool,
    /// Shell timeout when the call gives none.
    pub shell_default_timeout: Duration,
    /// Upper bound of a call's `timeout_ms`.
    pub shell_max_timeout: Duration,
    /// Bytes of command output shown to the model (head and tail kept).
    pub shell_output_bytes: usize,
    /// The policy commands run under. `None` (or danger-full-access) runs them as plain child
    /// processes; anything else goes through the sandbox helper (`codeloop sandbox`).
    pub sandbox: Option<sandbox::SandboxPolicy>,
    /// The writable workspace roots under workspace-write (default: the working directory).
    pub workspace_roots: Vec<PathBuf>,
    /// The executable re-run as the sandbox helper (default: the current executable).
    pub sandbox_helper: Option<PathBuf>,
    /// Run sandboxed commands on a per-context (per-thread) workspace overlay: they see the
    /// open buffers, and what they change comes back as an edit proposal (shell_overlay.rs).
    /// Off by default (exec mode: no buffers, edits go to disk anyway); the LSP server turns it on.
    pub workspace_overlay: bool,
    /// The state dir under which overlays live (`<dir>/overlays/<id>`); it must be outside the
    /// workspace. Default: the temp dir.
    pub overlay_state_dir: Option<PathBuf>,
}

impl Default for ToolsConfig {
    fn default() -> Self {
        ToolsConfig {
            apply_patch_freeform: true,
            symbol_tools: true,
            shell_default_timeout: Duration::from_secs(10),
            shell_max_timeout: Duration::from_secs(30 * 60),
            shell_output_bytes: crate::truncate::DEFAULT_MODEL_OUTPUT_BYTES,
            sandbox: None,
            workspace_roots: Vec::new(),
            sandbox_helper: None,
            workspace_overlay: false,
            overlay_state_dir: None,
        }
    }
}

/// What a tool call runs against. Cheap to clone.
#[derive(Clone)]
pub struct ToolContext {
    /// Absolute; relative paths in arguments resolve against it.
    pub cwd: PathBuf,
    pub view: Arc<dyn FileView>,
    /// The workspace index, for find_symbol and file_outline.
    pub index: Option<index::Index>,
    pub config: ToolsConfig,
    /// This context's workspace overlay for shell commands (created on first use), shared by
    /// its clones: one per agent thread.
    pub overlay: Arc<ShellOverlay>,
}

impl ToolContext {
    pub fn new(cwd: PathBuf, view: Arc<dyn FileView>, index: Option<index::Index>, config: ToolsConfig) -> ToolContext {
        let root = config.workspace_roots.first().unwrap_or(&cwd).clone();
        let overlay = Arc::new(ShellOverlay::new(&config, &root));
        ToolContext { cwd, view, index, config, overlay }
    }

    pub(crate) fn resolve(&self, path: &str) -> PathBuf {
        crate::files::resolve_path(&self.cwd, std::path::Path::new(path))
    }

    pub(crate) fn show(&self, path: &std::path::Path) -> String {
        crate::files::display_path(&self.cwd, path)
    }
}

/// The result of a tool call.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolOutput {
    /// What the model reads.
    pub text: String,
    /// False when the call failed: bad arguments, a patch that did not apply, a missing
    /// file, a command that could not start, was cancelled or exited non-zero.
    pub success: bool,
    pub effect: Option<ToolEffect>,
}

/// What the agent must do besides returning the text.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ToolEffect {
    /// Emit (exec mode: apply) these edits. The text already says they were made: if the
    /// front end refuses them, the agent replaces the output with the reason.
    Edits { proposal: EditProposal, files: Vec<PatchedFile> },
    /// Emit a plan update.
    Plan(Plan),
}

impl ToolOutput {
    pub fn ok(text: impl Into<String>) -> ToolOutput {
        ToolOutput { text: text.into(), success: true, effect: None }
    }

    pub fn error(text: impl Into<String>) -> ToolOutput {
        ToolOutput { text: text.into(), success: false, effect: None }
    }
}
