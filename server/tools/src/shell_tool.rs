//! shell as a tool: its spec, its arguments (an argv array, or a string run with
//! `bash -lc`), and the handler that runs the command — through the sandbox helper when the
//! policy restricts anything, as a plain process group otherwise — and formats the result with
//! `truncate::format_exec_output`.

use crate::context::{ToolContext, ToolOutput};
use crate::shell::{run_command, scrubbed_env, ExecRequest};
use crate::truncate::format_exec_output;
use agent_protocol::ToolSpec;
use serde::Deserialize;
use serde_json::json;
use std::future::Future;
use std::time::Duration;

pub const NAME: &str = "shell";

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ShellCommand {
    /// Run directly (execvp), no shell.
    Argv(Vec<String>),
    /// Run with `bash -lc`.
    Script(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ShellArgs {
    #[serde(alias = "cmd")]
    pub command: ShellCommand,
    #[serde(default, alias = "cwd")]
    pub workdir: Option<String>,
    #[serde(default, alias = "timeout")]
    pub timeout_ms: Option<u64>,
    /// `require_escalated`: the model asks to run outside the sandbox (the approval policy
    /// decides whether the user is asked: sandbox::approval).
    #[serde(default)]
    pub sandbox_permissions: SandboxPermissions,
    /// With `require_escalated`: one sentence for the user on why.
    #[serde(default)]
    pub justification: Option<String>,
    /// A command prefix the user may allow for the rest of the session (`["cargo", "test"]`).
    #[serde(default)]
    pub prefix_rule: Option<Vec<String>>,
}

/// The `sandbox_permissions` argument (Codex's names).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SandboxPermissions {
    #[default]
    UseDefault,
    /// Codex's `with_additional_permissions` (finer grants) is taken as a plain escalation.
    #[serde(alias = "with_additional_permissions")]
    RequireEscalated,
}

/// The start of the note `run_sandboxed` appends when a failure looks like a sandbox denial
/// (`SandboxOutput::denied`); the agent's on-failure retry looks for it.
pub const SANDBOX_DENIAL_NOTE: &str = "[sandbox] This failure looks like a sandbox denial";

/// Whether a shell output reports a sandbox denial.
pub fn reports_sandbox_denial(text: &str) -> bool {
    text.contains(SANDBOX_DENIAL_NOTE)
}

impl ShellArgs {
    /// Whether the model asked to run outside the sandbox.
    pub fn escalation_requested(&self) -> bool {
        self.sandbox_permissions == SandboxPermissions::RequireEscalated
    }

    pub fn argv(&self) -> Vec<String> {
        match &self.command {
            ShellCommand::Argv(v) => v.clone(),
            ShellCommand::Script(s) => vec!["bash".into(), "-lc".into(), s.clone()],
        }
    }
}

pub(crate) fn spec() -> ToolSpec {
    ToolSpec::Function {
        name: NAME.into(),
        description:
            "Run a command and return its exit code and output (stdout and stderr, long output cut in the middle). No stdin, no TTY.".into(),
        strict: false,
        parameters: json!({
            "type": "object",
            "properties": {
                "command": {
                    "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                    "description": "A bash script (run with bash -lc), or an argv array run without a shell."
                },
                "workdir": {"type": "string", "description": "Working directory (default: the workspace root)."},
                "timeout_ms": {"type": "integer", "description": "Kill the command after this many milliseconds (default 10000)."},
                "sandbox_permissions": {
                    "type": "string",
                    "enum": ["use_default", "require_escalated"],
                    "description": "require_escalated: run outside the sandbox; the user may be asked."
                },
                "justification": {"type": "string", "description": "With require_escalated: one sentence telling the user why."},
                "prefix_rule": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "With require_escalated: a command prefix the user may allow for the session, e.g. [\"cargo\", \"test\"]."
                }
            },
            "required": ["command"],
            "additionalProperties": false
        }),
    }
}

pub async fn run(ctx: &ToolContext, args: &ShellArgs, cancel: impl Future<Output = ()>) -> ToolOutput {
    let argv = args.argv();
    if argv.first().is_none_or(|p| p.trim().is_empty()) {
        return ToolOutput::error("invalid command: it is empty.");
    }
    let cwd = ctx.resolve(args.workdir.as_deref().unwrap_or("."));
    if !cwd.is_dir() {
        return ToolOutput::error(format!("workdir {} is not a directory.", ctx.show(&cwd)));
    }
    let cfg = &ctx.config;
    let timeout =
        args.timeout_ms.map_or(cfg.shell_default_timeout, Duration::from_millis).clamp(Duration::from_millis(1), cfg.shell_max_timeout);
    if let Some(policy) = cfg.sandbox.as_ref().filter(|p| p.is_restricted()) {
        return run_sandboxed(ctx, policy, argv, cwd, timeout, cancel).await;
    }
    let req = ExecRequest { argv, cwd, timeout, env: scrubbed_env() };
    let started = std::time::Instant::now();
    let result = run_command(&req, cancel).await;
    tracing::debug!(tool = NAME, elapsed_ms = started.elapsed().as_millis() as u64, ok = result.is_ok(), "command finished");
    match result {
        Ok(r) if r.cancelled => {
            ToolOutput::error(format!("aborted by the user\n{}", format_exec_output(&r.summary(), cfg.shell_output_bytes)))
        }
        Ok(r) => ToolOutput { text: format_exec_output(&r.summary(), cfg.shell_output_bytes), success: r.exit_code == 0, effect: None },
        Err(e) => ToolOutput::error(format!("failed to start {:?}: {e}", req.argv[0])),
    }
}

async fn run_sandboxed(
    ctx: &ToolContext,
    policy: &sandbox::SandboxPolicy,
    argv: Vec<String>,
    cwd: std::path::PathBuf,
    timeout: Duration,
    cancel: impl Future<Output = ()>,
) -> ToolOutput {
    use crate::shell_overlay::Prepared;
    let cfg = &ctx.config;
    // The thread's overlay (locked until its changes are read), or why the real tree is used.
    let (session, notice) = match ctx.overlay.prepare(&ctx.view).await {
        Prepared::Overlay(s) => (Some(s), None),
        Prepared::RealTree(notice) => (None, notice),
        Prepared::Failed(msg) => return ToolOutput::error(msg),
    };
    let mut cmd = sandbox::SandboxCommand::new(argv.clone(), cwd, policy.clone());
    cmd.workspace_roots = if cfg.workspace_roots.is_empty() { vec![ctx.cwd.clone()] } else { cfg.workspace_roots.clone() };
    cmd.timeout = Some(timeout);
    cmd.output_cap = crate::truncate::CAPTURE_CAP_BYTES;
    cmd.helper = cfg.sandbox_helper.clone();
    cmd.overlay = session.as_ref().map(|s| s.mount().clone());
    let out = match sandbox::run_cancellable(cmd, cancel).await {
        Ok(out) => out,
        Err(e) => return ToolOutput::error(format!("failed to start {:?} in the sandbox: {e}", argv[0])),
    };
    let exit_code =
        if out.timed_out { crate::shell::TIMEOUT_EXIT_CODE } else { out.exit_code.unwrap_or_else(|| 128 + out.signal.unwrap_or(9)) };
    let mut output = out.stdout.text.clone();
    if !out.stderr.text.is_empty() {
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        output.push_str(&out.stderr.text);
    }
    let summary = crate::truncate::ExecSummary {
        exit_code,
        wall_time: out.wall_time,
        output,
        total_lines: out.stdout.total_lines + out.stderr.total_lines,
        capture_truncated: out.stdout.truncated || out.stderr.truncated,
    };
    let mut text = format_exec_output(&summary, cfg.shell_output_bytes);
    if out.timed_out {
        text = format!("command timed out after {} ms\n{text}", timeout.as_millis());
    }
    if out.denied {
        text.push_str(&format!(
            "\n[sandbox] This failure looks like a sandbox denial (mode {}, network {}). Writes are allowed only \
             in the workspace and the private tmp; .git and .codeloop are read-only.",
            policy.mode.as_str(),
            if policy.network_allowed() { "on" } else { "off" }
        ));
    }
    if session.is_some() && exit_code == sandbox::EXIT_SETUP_FAILED && out.stderr.text.contains("cannot enter the workspace overlay") {
        text.push_str("\n[overlay] The command did not run: the workspace overlay could not be mounted (see above).");
    }
    if out.cancelled {
        // The session is dropped unread: what the command changed stays in the thread's overlay
        // and is reported after its next command.
        return ToolOutput::error(format!("aborted by the user\n{text}"));
    }
    let mut effect = None;
    if let Some(session) = session {
        let collected = session.finish(&ctx.cwd).await;
        text.push_str(&collected.note);
        effect = collected.effect;
    }
    if let Some(notice) = notice {
        text.push_str(&format!("\n[overlay] {notice}"));
    }
    ToolOutput { text, success: exit_code == 0, effect }
}
