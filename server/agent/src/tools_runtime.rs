//! The standard tools (the tools crate's registry) behind the turn loop's `ToolRuntime` seam:
//! parsing the model's call, running it against the file view under the approval policy
//! (approvals.rs: shell calls are decided, asked about, sandboxed or escalated), and turning its
//! effects into events: edit proposals wait for the front end's answer, plan updates are emitted.

use std::sync::Arc;

use agent_protocol::ToolSpec;
use futures::future::BoxFuture;
use futures::FutureExt;
use tools::{ToolCall as ParsedCall, ToolContext, ToolEffect, ToolInput, ToolRegistry};

use crate::approvals::{Approvals, PatchRefused};
use crate::ctx::CallContext;
use crate::runtime::{CallPayload, ToolCall, ToolOutcome, ToolRuntime};

pub struct StandardTools {
    registry: ToolRegistry,
    ctx: ToolContext,
    approvals: Approvals,
}

impl StandardTools {
    /// The tools of one thread: `approval` is the config's `approval_policy`; what the user allows
    /// "for this session" is remembered for the life of this value.
    pub fn new(ctx: ToolContext, approval: config::ApprovalPolicy) -> StandardTools {
        StandardTools { registry: ToolRegistry::new(&ctx.config), ctx, approvals: Approvals::new(approval) }
    }

    fn parse(&self, call: &ToolCall) -> Result<ParsedCall, tools::ToolOutput> {
        let input = match &call.payload {
            CallPayload::Function { arguments } => ToolInput::Json(arguments.clone()),
            CallPayload::Custom { input } => ToolInput::Freeform(input.clone()),
        };
        self.registry.parse(&call.name, input)
    }
}

impl ToolRuntime for StandardTools {
    fn specs(&self) -> Vec<ToolSpec> {
        self.registry.specs().to_vec()
    }

    fn is_parallel_safe(&self, call: &ToolCall) -> bool {
        self.parse(call).map_or(true, |parsed| parsed.is_parallel_safe())
    }

    fn summary(&self, call: &ToolCall) -> String {
        match self.parse(call) {
            Ok(ParsedCall::Shell(args)) => match args.argv().as_slice() {
                [bash, flag, script] if bash == "bash" && flag == "-lc" => script.clone(),
                argv => stdx::shell_join(argv),
            },
            Ok(ParsedCall::ApplyPatch { input }) => {
                let files: Vec<&str> = input
                    .lines()
                    .filter_map(|l| {
                        ["*** Update File: ", "*** Add File: ", "*** Delete File: "].iter().find_map(|p| l.trim().strip_prefix(p))
                    })
                    .collect();
                format!("edit {}", files.join(", "))
            }
            Ok(ParsedCall::ReadFile(a)) => format!("read {}", a.path),
            Ok(ParsedCall::ListDir(a)) => format!("list {}", a.path.as_deref().unwrap_or(".")),
            Ok(ParsedCall::Grep(a)) => format!("grep {}", a.pattern),
            Ok(other) => other.name().to_string(),
            Err(_) => format!("{} (invalid call)", call.name),
        }
    }

    fn run(&self, call: ToolCall, ctx: CallContext) -> BoxFuture<'static, ToolOutcome> {
        let parsed = self.parse(&call);
        let registry = self.registry.clone();
        let tool_ctx = self.ctx.clone();
        let approvals = self.approvals.clone();
        async move {
            let parsed = match parsed {
                Ok(p) => p,
                Err(out) => return ToolOutcome::error(out.text),
            };
            let is_patch = matches!(parsed, ParsedCall::ApplyPatch { .. });
            let out = match parsed {
                ParsedCall::Shell(args) => approvals.run_shell(&registry, &tool_ctx, args, &ctx).await,
                other => registry.run(&tool_ctx, other, ctx.cancel.clone().cancelled_owned()).await,
            };
            match out.effect {
                Some(ToolEffect::Edits { proposal, files }) => {
                    if is_patch {
                        match approvals.approve_patch(&proposal, &ctx).await {
                            Ok(()) => {}
                            Err(PatchRefused::Denied(text)) => return ToolOutcome::error(text),
                            Err(PatchRefused::Aborted) => return ToolOutcome::aborted(),
                        }
                    }
                    let result = ctx.propose_edit(proposal).await;
                    if result.applied {
                        // The front end may say how it applied it (rebased over the user's typing,
                        // written to disk because the editor cannot create files...).
                        let output = match result.reason {
                            Some(note) if !note.trim().is_empty() => format!("{}\nNote: {note}", out.text.trim_end()),
                            _ => out.text,
                        };
                        return ToolOutcome { output, success: out.success };
                    }
                    let reason = result.reason.unwrap_or_else(|| "refused".into());
                    if is_patch {
                        ToolOutcome::error(format!(
                            "The edit was not applied ({reason}). No file changed; re-read the files and try again."
                        ))
                    } else {
                        // A command's file changes (seen through the overlay) did not reach the
                        // editor: keep its output, and say which files are not where it left them.
                        let paths: Vec<String> = files.iter().map(|f| tools::display_path(&tool_ctx.cwd, &f.path)).collect();
                        ToolOutcome {
                            output: format!(
                                "{}\n[overlay] the editor did not take the command's file changes ({reason}): {} keep their \
                                 previous content. Re-read them before relying on what the command wrote.",
                                out.text,
                                paths.join(", ")
                            ),
                            success: false,
                        }
                    }
                }
                Some(ToolEffect::Plan(plan)) => {
                    ctx.plan_updated(serde_json::to_value(&plan).unwrap_or_default());
                    ToolOutcome { output: out.text, success: out.success }
                }
                _ => ToolOutcome { output: out.text, success: out.success },
            }
        }
        .boxed()
    }
}

/// Shorthand for the common case.
pub fn standard_tools(ctx: ToolContext, approval: config::ApprovalPolicy) -> Arc<dyn ToolRuntime> {
    Arc::new(StandardTools::new(ctx, approval))
}
