//! The seam between the turn loop and the tools: what a tool call is, what it returns, and the
//! `ToolRuntime` trait the loop drives. `tools_runtime.rs` implements it over the tools crate;
//! the loop itself knows only this.

use agent_protocol::{ResponseItem, ToolSpec};
use futures::future::BoxFuture;

use crate::ctx::CallContext;

/// One tool call from the model, as it came in its output item.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolCall {
    pub call_id: String,
    pub name: String,
    pub payload: CallPayload,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CallPayload {
    /// A `function_call`: JSON arguments as text (possibly invalid).
    Function { arguments: String },
    /// A `custom_tool_call` (freeform input, e.g. a patch).
    Custom { input: String },
}

impl ToolCall {
    /// The tool call carried by an output item, if it is one.
    pub fn from_item(item: &ResponseItem) -> Option<ToolCall> {
        match item {
            ResponseItem::FunctionCall { name, arguments, call_id, .. } => Some(ToolCall {
                call_id: call_id.clone(),
                name: name.clone(),
                payload: CallPayload::Function { arguments: arguments.clone() },
            }),
            ResponseItem::CustomToolCall { name, input, call_id } => {
                Some(ToolCall { call_id: call_id.clone(), name: name.clone(), payload: CallPayload::Custom { input: input.clone() } })
            }
            _ => None,
        }
    }

    /// The history item that answers this call: same kind (function or custom), same call id.
    pub fn output_item(&self, output: String) -> ResponseItem {
        match self.payload {
            CallPayload::Function { .. } => {
                ResponseItem::FunctionCallOutput { call_id: self.call_id.clone(), output: agent_protocol::FunctionCallOutput::Text(output) }
            }
            CallPayload::Custom { .. } => ResponseItem::CustomToolCallOutput { call_id: self.call_id.clone(), output },
        }
    }

    /// The raw argument text, for display.
    pub fn raw_input(&self) -> &str {
        match &self.payload {
            CallPayload::Function { arguments } => arguments,
            CallPayload::Custom { input } => input,
        }
    }
}

/// What a tool call produced for the model.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolOutcome {
    /// The text the model sees.
    pub output: String,
    pub success: bool,
}

impl ToolOutcome {
    pub fn ok(output: impl Into<String>) -> ToolOutcome {
        ToolOutcome { output: output.into(), success: true }
    }
    pub fn error(output: impl Into<String>) -> ToolOutcome {
        ToolOutcome { output: output.into(), success: false }
    }
    /// The output of a call that was cancelled before it finished (every call gets an output).
    pub fn aborted() -> ToolOutcome {
        ToolOutcome { output: "aborted".to_string(), success: false }
    }
}

/// The tools of a thread.
pub trait ToolRuntime: Send + Sync + 'static {
    /// Every tool offered to the model, in a fixed order (prompt-cache stability).
    fn specs(&self) -> Vec<ToolSpec>;
    /// Whether the call may run concurrently with other parallel-safe calls. Decided on the parsed
    /// call, not the name (a shell call that only runs `apply_patch` is a patch). Unknown tools and
    /// bad arguments are parallel-safe: their error answer touches nothing.
    fn is_parallel_safe(&self, call: &ToolCall) -> bool;
    /// A one-line description of the call for progress reports (`cargo test`, `edit src/lib.rs`).
    fn summary(&self, call: &ToolCall) -> String;
    /// Runs the call. Model mistakes (unknown tool, bad arguments) are outcomes, never panics. The
    /// future must finish soon after `ctx.cancel` fires (children killed).
    fn run(&self, call: ToolCall, ctx: CallContext) -> BoxFuture<'static, ToolOutcome>;
}
