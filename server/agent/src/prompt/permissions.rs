//! The developer message that states the sandbox and the approval policy in words the model can
//! act on: what its commands may touch, what happens when they need more, and how to ask.
//!
//! Deliberately not here: enforcement (the sandbox crate and the turn loop's approval logic). This
//! text only describes it, so it must follow what those do; `Permissions::from_config` is the one
//! place that derives the description from the configuration.

use agent_protocol::ResponseItem;
use config::{ApprovalPolicy, Config, SandboxMode};
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::environment::sandbox_mode_name;

/// The opening tag of the permissions message.
pub const PERMISSIONS_OPEN: &str = "<permissions>";

/// What the model's commands and edits may do. Compared between turns: a change appends a new
/// permissions message (see `settings_update`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Permissions {
    pub sandbox_mode: SandboxMode,
    pub approval_policy: ApprovalPolicy,
    /// Where sandboxed commands may write (workspace-write only), the workspace first.
    pub writable_roots: Vec<PathBuf>,
    pub network_enabled: bool,
}

impl Permissions {
    /// The permissions of a session in `cwd` under `config`: in workspace-write, `cwd` and the
    /// configured `sandbox_workspace_write.writable_roots` are writable and the network follows
    /// `sandbox_workspace_write.network_access`; read-only has no network; full access has it.
    pub fn from_config(config: &Config, cwd: &Path) -> Permissions {
        let (writable_roots, network_enabled) = match config.sandbox_mode {
            SandboxMode::ReadOnly => (Vec::new(), false),
            SandboxMode::WorkspaceWrite => {
                let mut roots = vec![cwd.to_path_buf()];
                for r in &config.sandbox_workspace_write.writable_roots {
                    let r = if r.is_absolute() { r.clone() } else { cwd.join(r) };
                    if !roots.contains(&r) {
                        roots.push(r);
                    }
                }
                (roots, config.sandbox_workspace_write.network_access)
            }
            SandboxMode::DangerFullAccess => (Vec::new(), true),
        };
        Permissions { sandbox_mode: config.sandbox_mode, approval_policy: config.approval_policy, writable_roots, network_enabled }
    }

    /// The message text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(PERMISSIONS_OPEN);
        out.push('\n');
        let network = if self.network_enabled { "Network access is enabled." } else { "Network access is disabled." };
        let sandboxed = self.sandbox_mode != SandboxMode::DangerFullAccess;
        let _ = write!(out, "Sandbox: {}. ", sandbox_mode_name(self.sandbox_mode));
        match self.sandbox_mode {
            SandboxMode::ReadOnly => {
                let _ = writeln!(out, "Commands can read files but cannot write anywhere. {network}");
            }
            SandboxMode::WorkspaceWrite => {
                let roots: Vec<String> = self.writable_roots.iter().map(|r| format!("`{}`", r.display())).collect();
                let roots = if roots.is_empty() { "nowhere".to_string() } else { roots.join(", ") };
                let _ = writeln!(out, "Commands can read any file and write only under {roots} (and a private temp dir). {network}");
            }
            SandboxMode::DangerFullAccess => {
                let _ = writeln!(
                    out,
                    "There is no sandbox: commands run with the user's full rights. {network} Be careful with commands that delete or overwrite data."
                );
            }
        }
        let policy = approval_policy_name(self.approval_policy);
        let _ = write!(out, "Approval policy: {policy}. ");
        let text = match (self.approval_policy, sandboxed) {
            (ApprovalPolicy::Untrusted, _) => {
                "Only known read-only commands (`ls`, `cat`, `rg`, `git status`, `git diff`, ...) run without asking; every other command and every file edit waits for the user's approval. Group your work to keep the prompts few."
            }
            (ApprovalPolicy::OnFailure, true) => {
                "Commands run in the sandbox without asking. When the sandbox blocks one, the user is asked whether to rerun it without the sandbox; you do not need to ask yourself."
            }
            (ApprovalPolicy::OnRequest, true) => {
                "Commands run in the sandbox without asking. When one needs more than the sandbox allows (writing elsewhere, the network), rerun it with `sandbox_permissions: \"require_escalated\"` and a one-sentence `justification`; the user approves or declines. Ask only when the task needs it."
            }
            (ApprovalPolicy::Never, true) => {
                "Nobody can approve anything: do not request escalation. When the sandbox blocks something, find another way or report what is blocked."
            }
            (ApprovalPolicy::OnFailure | ApprovalPolicy::OnRequest, false) => {
                "Commands run without asking and there is nothing to escalate."
            }
            (ApprovalPolicy::Never, false) => "Commands run without asking; nobody reviews them.",
        };
        out.push_str(text);
        out.push('\n');
        let never = self.approval_policy == ApprovalPolicy::Never;
        let edits = match self.sandbox_mode {
            // The untrusted policy's text already says that every edit asks.
            _ if self.approval_policy == ApprovalPolicy::Untrusted => None,
            SandboxMode::ReadOnly if never => Some("Edits with `apply_patch` are rejected: this session is read-only."),
            SandboxMode::ReadOnly => Some("Every edit with `apply_patch` waits for the user's approval."),
            SandboxMode::WorkspaceWrite if never => {
                Some("Edits with `apply_patch` under the writable roots apply without asking; edits elsewhere are rejected.")
            }
            SandboxMode::WorkspaceWrite => {
                Some("Edits with `apply_patch` under the writable roots apply without asking; edits elsewhere wait for approval.")
            }
            SandboxMode::DangerFullAccess => Some("Edits with `apply_patch` apply without asking."),
        };
        if let Some(edits) = edits {
            out.push_str(edits);
            out.push('\n');
        }
        out.push_str("</permissions>");
        out
    }
}

/// The permissions as the developer message the model sees.
pub fn permissions_message(permissions: &Permissions) -> ResponseItem {
    ResponseItem::developer_text(permissions.render())
}

/// The config spelling of an approval policy, which is also how the prompt names it.
pub fn approval_policy_name(policy: ApprovalPolicy) -> &'static str {
    policy.as_str()
}
