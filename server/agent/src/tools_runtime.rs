//! The standard tools (the tools crate's registry) behind the turn loop's `ToolRuntime` seam:
//! parsing the model's call, running it against the file view, and turning its effects into
//! events: edit proposals wait for the front end's answer, plan updates are emitted.

use std::sync::Arc;

use agent_protocol::ToolSpec;
use futures::future::BoxFuture;
use futures::FutureExt;
use tools::{ToolCall as ParsedCall, ToolContext, ToolEffect, ToolInput, ToolRegistry};

use crate::ctx::CallContext;
use crate::runtime::{CallPayload, ToolCall, ToolOutcome, ToolRuntime};

pub struct StandardTools {
    registry: ToolRegistry,
    ctx: ToolContext,
}

impl StandardTools {
    pub fn new(ctx: ToolContext) -> StandardTools {
        StandardTools { registry: ToolRegistry::new(&ctx.config), ctx }
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
        async move {
            let parsed = match parsed {
                Ok(p) => p,
                Err(out) => return ToolOutcome::error(out.text),
            };
            let out = registry.run(&tool_ctx, parsed, ctx.cancel.clone().cancelled_owned()).await;
            match out.effect {
                Some(ToolEffect::Edits { proposal, .. }) => {
                    let result = ctx.propose_edit(proposal).await;
                    if result.applied {
                        ToolOutcome { output: out.text, success: out.success }
                    } else {
                        let reason = result.reason.unwrap_or_else(|| "refused".into());
                        ToolOutcome::error(format!(
                            "The edit was not applied ({reason}). No file changed; re-read the files and try again."
                        ))
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
pub fn standard_tools(ctx: ToolContext) -> Arc<dyn ToolRuntime> {
    Arc::new(StandardTools::new(ctx))
}
