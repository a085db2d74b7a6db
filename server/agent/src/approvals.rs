//! Approvals around tool calls: the shell call's decision (sandbox::approval), the question to the
//! user through the call's `ApprovalRequested` event, the run (in the sandbox or, when escalated,
//! with a per-call danger-full-access policy), the on-failure retry outside the sandbox, and the
//! apply_patch question under `untrusted`.
//!
//! The decisions themselves are pure and live in the sandbox crate; this file only asks and runs.
//! What the model reads back after a refusal is written here, so it says what to do instead.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use agent_protocol::{ApprovalRequest, EditProposal, ReviewDecision};
use sandbox::approval::{self, Ask, AskForApproval, Decision, Escalation, SessionApprovals};
use sandbox::SandboxPolicy;
use tools::shell_tool::{reports_sandbox_denial, ShellArgs};
use tools::{ToolCall as ParsedCall, ToolContext, ToolOutput, ToolRegistry};

use crate::ctx::CallContext;

/// A thread's approval state: its policy and what the user allowed for the session. Cheap to
/// clone (shared).
#[derive(Clone, Debug)]
pub(crate) struct Approvals {
    policy: AskForApproval,
    session: SessionApprovals,
    /// "Allow for this session" on an apply_patch question (untrusted only).
    patches_allowed: Arc<AtomicBool>,
}

/// How a question ended.
enum Answer {
    Yes,
    No(String),
    Abort,
}

impl Approvals {
    pub fn new(policy: AskForApproval) -> Approvals {
        Approvals { policy, session: SessionApprovals::new(), patches_allowed: Arc::new(AtomicBool::new(false)) }
    }

    /// Runs a shell call under the approval policy. Refusals are outputs for the model; an
    /// aborted question cancels the call (and the calls of its response).
    pub async fn run_shell(&self, registry: &ToolRegistry, tool_ctx: &ToolContext, args: ShellArgs, ctx: &CallContext) -> ToolOutput {
        let argv = args.argv();
        // No policy means plain processes: for the decision that is danger-full-access.
        let sandbox = tool_ctx.config.sandbox.clone().unwrap_or_else(SandboxPolicy::full_access);
        let escalation = args.escalation_requested().then(|| Escalation { justification: args.justification.clone() });
        let cwd = tools::resolve_path(&tool_ctx.cwd, std::path::Path::new(args.workdir.as_deref().unwrap_or(".")));
        let sandboxed = match approval::decide(self.policy, &sandbox, &argv, escalation.as_ref(), &self.session) {
            Decision::Forbid { reason } => return ToolOutput::error(format!("Not run: {reason}")),
            Decision::Run { sandboxed, note: Some(note) } => {
                let mut out = run(registry, tool_ctx, args, sandboxed, ctx).await;
                out.text = format!("{}\n{note}", out.text);
                return out;
            }
            Decision::Run { sandboxed, note: None } => sandboxed,
            Decision::Ask(ask) => {
                let escalated = ask.escalated;
                match self.ask_exec(&argv, &cwd, ask, args.prefix_rule.as_deref(), ctx).await {
                    Answer::Yes => sandbox.is_restricted() && !escalated,
                    Answer::No(text) => return ToolOutput::error(text),
                    Answer::Abort => return aborted(ctx),
                }
            }
        };
        let out = run(registry, tool_ctx, args.clone(), sandboxed, ctx).await;
        let denied = sandboxed && reports_sandbox_denial(&out.text);
        let Some(ask) = approval::after_failure(self.policy, &sandbox, sandboxed, denied) else { return out };
        match self.ask_exec(&argv, &cwd, ask, args.prefix_rule.as_deref(), ctx).await {
            Answer::Yes => {
                let retry = run(registry, tool_ctx, args, false, ctx).await;
                ToolOutput { text: format!("[approval] Rerun outside the sandbox with the user's approval.\n{}", retry.text), ..retry }
            }
            Answer::No(_) => ToolOutput {
                text: format!(
                    "{}\n[approval] The user declined to rerun it outside the sandbox: do the task another way, or explain what is blocked.",
                    out.text
                ),
                ..out
            },
            Answer::Abort => aborted(ctx),
        }
    }

    /// Asks about a command; remembers an "allow for this session".
    async fn ask_exec(
        &self,
        argv: &[String],
        cwd: &std::path::Path,
        ask: Ask,
        prefix_rule: Option<&[String]>,
        ctx: &CallContext,
    ) -> Answer {
        let request =
            ApprovalRequest::Exec { command: argv.to_vec(), cwd: cwd.to_path_buf(), escalated: ask.escalated, reason: Some(ask.reason) };
        let decision = ctx.request_approval(request).await;
        tracing::debug!(?decision, escalated = ask.escalated, "exec approval");
        let what = if ask.escalated { "to run this command outside the sandbox" } else { "to run this command" };
        match decision {
            ReviewDecision::Approved => Answer::Yes,
            ReviewDecision::ApprovedForSession => {
                self.session.remember(argv, prefix_rule, ask.escalated);
                Answer::Yes
            }
            ReviewDecision::Abort => Answer::Abort,
            ReviewDecision::TimedOut => Answer::No(format!(
                "Not run: nobody answered the request {what} in time, so it counts as denied. Do not ask again for the same \
                 command; do the task another way, or explain what you need and why."
            )),
            // Denied, and any decision this version does not know.
            _ => Answer::No(format!(
                "Not run: the user denied the request {what}. Do not ask again for the same command; do the task another way, \
                 or explain what you need and why."
            )),
        }
    }

    /// Under `untrusted`, asks before an apply_patch edit is proposed. `Err` is the call's outcome
    /// text when the user says no.
    pub async fn approve_patch(&self, proposal: &EditProposal, ctx: &CallContext) -> Result<(), PatchRefused> {
        if self.policy != AskForApproval::Untrusted || self.patches_allowed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let request = ApprovalRequest::Patch { proposal: proposal.clone(), reason: Some("approval policy: untrusted".into()) };
        match ctx.request_approval(request).await {
            ReviewDecision::Approved => Ok(()),
            ReviewDecision::ApprovedForSession => {
                self.patches_allowed.store(true, Ordering::Relaxed);
                Ok(())
            }
            ReviewDecision::Abort => {
                ctx.abort_turn();
                Err(PatchRefused::Aborted)
            }
            _ => Err(PatchRefused::Denied(
                "The user declined this edit; no file changed. Do not apply the same change again: ask the user what they want instead."
                    .into(),
            )),
        }
    }
}

/// Why an apply_patch edit was not proposed.
pub(crate) enum PatchRefused {
    Denied(String),
    Aborted,
}

/// The user chose to stop: deny, and interrupt the calls of this response.
fn aborted(ctx: &CallContext) -> ToolOutput {
    ctx.abort_turn();
    ToolOutput::error("aborted")
}

/// Runs the shell call, inside the context's sandbox or (a per-call copy of the context with a
/// danger-full-access policy) outside it.
async fn run(registry: &ToolRegistry, tool_ctx: &ToolContext, args: ShellArgs, sandboxed: bool, ctx: &CallContext) -> ToolOutput {
    let cancel = ctx.cancel.clone().cancelled_owned();
    let restricted = tool_ctx.config.sandbox.as_ref().is_some_and(SandboxPolicy::is_restricted);
    if sandboxed || !restricted {
        return registry.run(tool_ctx, ParsedCall::Shell(args), cancel).await;
    }
    let mut unsandboxed = tool_ctx.clone();
    unsandboxed.config.sandbox = Some(SandboxPolicy::full_access());
    registry.run(&unsandboxed, ParsedCall::Shell(args), cancel).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctx::{EditResult, EventSink, Pending};
    use crate::runtime::{CallPayload, ToolCall, ToolRuntime};
    use crate::StandardTools;
    use agent_protocol::{Event, EventMsg};
    use config::ApprovalPolicy;
    use std::path::PathBuf;
    use std::sync::Mutex;
    use std::time::Duration;
    use tokio::sync::mpsc;
    use tokio_util::sync::CancellationToken;

    /// A thread's tools in a fresh temp dir (no sandbox policy: plain processes), a front end
    /// that answers every question from `answers` (in order) and applies edits, and the
    /// questions it saw.
    struct Harness {
        dir: PathBuf,
        tools: StandardTools,
        pending: Pending,
        events: EventSink,
        asked: Arc<Mutex<Vec<ApprovalRequest>>>,
    }

    impl Harness {
        fn new(name: &str, policy: ApprovalPolicy, answers: Vec<ReviewDecision>) -> Harness {
            let dir = std::env::temp_dir().join(format!("codeloop-approvals-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let ctx = ToolContext::new(dir.clone(), Arc::new(tools::DiskView), None, tools::ToolsConfig::default());
            let (tx, mut rx) = mpsc::unbounded_channel::<Event>();
            let pending = Pending::default();
            let asked = Arc::new(Mutex::new(Vec::new()));
            let (p, a) = (pending.clone(), asked.clone());
            tokio::spawn(async move {
                let mut answers = answers.into_iter();
                while let Some(ev) = rx.recv().await {
                    match ev.msg {
                        EventMsg::ApprovalRequested { approval_id, request, .. } => {
                            a.lock().unwrap().push(request);
                            p.answer_approval(&approval_id, answers.next().unwrap_or(ReviewDecision::Denied));
                        }
                        EventMsg::EditProposed { proposal_id, proposal, .. } => {
                            let ok = tools::apply_to_disk(&proposal, &tools::DiskView).is_ok();
                            p.answer_edit(&proposal_id, EditResult { applied: ok, reason: None });
                        }
                        _ => {}
                    }
                }
            });
            Harness { dir, tools: StandardTools::new(ctx, policy), pending, events: EventSink::new(tx, "t".into()), asked }
        }

        async fn call(&self, name: &str, args: serde_json::Value) -> (crate::ToolOutcome, bool) {
            let payload = match name {
                "apply_patch" => CallPayload::Custom { input: args.as_str().unwrap_or_default().to_string() },
                _ => CallPayload::Function { arguments: args.to_string() },
            };
            let call = ToolCall { call_id: "c".into(), name: name.into(), payload };
            let turn = CancellationToken::new();
            let cancel = turn.child_token();
            let ctx = CallContext {
                call_id: "c".into(),
                cancel: cancel.clone(),
                turn: turn.clone(),
                events: self.events.clone(),
                pending: self.pending.clone(),
                approval_timeout: Duration::from_secs(10),
            };
            let out = self.tools.run(call, ctx).await;
            // Abort must stop the whole turn, not only this call.
            (out, turn.is_cancelled())
        }

        fn asked(&self) -> Vec<String> {
            let asked = self.asked.lock().unwrap();
            asked
                .iter()
                .map(|r| match r {
                    ApprovalRequest::Exec { command, escalated, reason, .. } => {
                        format!("exec {} escalated={escalated} ({})", stdx::shell_join(command), reason.as_deref().unwrap_or(""))
                    }
                    ApprovalRequest::Patch { .. } => "patch".to_string(),
                    _ => "other".to_string(),
                })
                .collect()
        }
    }

    impl Drop for Harness {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    #[tokio::test]
    async fn untrusted_runs_known_safe_commands_and_asks_for_the_rest() {
        use ReviewDecision::*;
        let h = Harness::new("untrusted", ApprovalPolicy::Untrusted, vec![Denied, ApprovedForSession]);
        let (out, _) = h.call("shell", serde_json::json!({"command": "echo hi && pwd"})).await;
        assert!(out.success && out.output.contains("hi"), "{}", out.output);
        assert!(h.asked().is_empty());
        let (out, _) = h.call("shell", serde_json::json!({"command": ["touch", "a"]})).await;
        assert!(!out.success && out.output.starts_with("Not run: the user denied the request to run this command."), "{}", out.output);
        assert!(!h.dir.join("a").exists());
        let (out, _) = h.call("shell", serde_json::json!({"command": ["touch", "a"]})).await;
        assert!(out.success, "{}", out.output);
        assert!(h.dir.join("a").exists());
        // Allowed for the session: `touch b` shares no prefix with the argv `touch a`, `touch a x` does.
        let (out, _) = h.call("shell", serde_json::json!({"command": ["touch", "a", "x"]})).await;
        assert!(out.success, "{}", out.output);
        let (out, _) = h.call("shell", serde_json::json!({"command": ["touch", "b"]})).await;
        assert!(!out.success, "{}", out.output);
        expect_test::expect![[r#"
            [
                "exec touch a escalated=false (not a known read-only command (approval policy: untrusted))",
                "exec touch a escalated=false (not a known read-only command (approval policy: untrusted))",
                "exec touch b escalated=false (not a known read-only command (approval policy: untrusted))",
            ]
        "#]]
        .assert_debug_eq(&h.asked());
    }

    #[tokio::test]
    async fn patches_ask_under_untrusted_only() {
        use ReviewDecision::*;
        let patch = |name: &str| serde_json::json!(format!("*** Begin Patch\n*** Add File: {name}\n+x\n*** End Patch"));
        let h = Harness::new("patch-untrusted", ApprovalPolicy::Untrusted, vec![Denied, ApprovedForSession]);
        let (out, _) = h.call("apply_patch", patch("a.txt")).await;
        assert!(!out.success && out.output.starts_with("The user declined this edit"), "{}", out.output);
        assert!(!h.dir.join("a.txt").exists());
        let (out, _) = h.call("apply_patch", patch("a.txt")).await;
        assert!(out.success, "{}", out.output);
        let (out, _) = h.call("apply_patch", patch("b.txt")).await;
        assert!(out.success && h.dir.join("b.txt").exists(), "{}", out.output);
        assert_eq!(h.asked(), ["patch", "patch"], "allowed for the session after the second");
        let h = Harness::new("patch-on-request", ApprovalPolicy::OnRequest, vec![]);
        let (out, _) = h.call("apply_patch", patch("a.txt")).await;
        assert!(out.success && h.asked().is_empty(), "{}", out.output);
    }

    #[tokio::test]
    async fn dangerous_commands_ask_and_abort_cancels_the_call() {
        use ReviewDecision::*;
        let h = Harness::new("dangerous", ApprovalPolicy::OnRequest, vec![Abort, TimedOut]);
        std::fs::create_dir_all(h.dir.join("sub")).unwrap();
        let (out, cancelled) = h.call("shell", serde_json::json!({"command": "rm -rf sub"})).await;
        assert!(cancelled && !out.success, "{}", out.output);
        assert!(h.dir.join("sub").exists());
        let (out, cancelled) = h.call("shell", serde_json::json!({"command": "rm -rf sub"})).await;
        assert!(!cancelled && out.output.starts_with("Not run: nobody answered"), "{}", out.output);
        assert_eq!(h.asked().len(), 2);
        // Without a sandbox, escalation has nothing to lift: it just runs.
        let (out, _) = h.call("shell", serde_json::json!({"command": "touch e", "sandbox_permissions": "require_escalated"})).await;
        assert!(out.success && h.asked().len() == 2, "{}", out.output);
        // never: a dangerous command runs without asking when there is no sandbox (danger-full-access).
        let h = Harness::new("never", ApprovalPolicy::Never, vec![]);
        std::fs::create_dir_all(h.dir.join("sub")).unwrap();
        let (out, _) = h.call("shell", serde_json::json!({"command": "rm -rf sub"})).await;
        assert!(out.success && !h.dir.join("sub").exists() && h.asked().is_empty(), "{}", out.output);
    }

    #[test]
    fn shell_arguments_parse() {
        let args: ShellArgs = serde_json::from_str(
            r#"{"command": "cargo test", "sandbox_permissions": "require_escalated", "justification": "needs the network", "prefix_rule": ["cargo", "test"]}"#,
        )
        .unwrap();
        assert!(args.escalation_requested());
        assert_eq!(args.justification.as_deref(), Some("needs the network"));
        assert_eq!(args.prefix_rule, Some(vec!["cargo".to_string(), "test".to_string()]));
        let args: ShellArgs = serde_json::from_str(r#"{"command": ["ls"], "sandbox_permissions": "use_default"}"#).unwrap();
        assert!(!args.escalation_requested());
        assert!(serde_json::from_str::<ShellArgs>(r#"{"command": ["ls"], "sandbox_permissions": "sudo"}"#).is_err());
        assert!(reports_sandbox_denial(&format!("Exit code: 1\n\n{}", tools::shell_tool::SANDBOX_DENIAL_NOTE)));
    }
}
