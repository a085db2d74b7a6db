//! The agent: threads (sessions), turns, prompt assembly, context, compaction, approvals and
//! persistence, behind the Op -> Event channels of agent-protocol.
//!
//! Architecture invariant: nothing here knows LSP, tower-lsp, lsp-types or JSON-RPC, and nothing
//! prints. Front ends (the LSP server, `codeloop exec`) submit Ops and render Events.

pub mod compact;
pub mod prompt;
pub mod rollout;

mod approvals;
mod calls;
mod compaction;
mod ctx;
mod runtime;
mod session;
mod setup;
mod thread;
mod tools_runtime;
mod turn;

pub use ctx::{CallContext, EditResult, EventSink};
pub use runtime::{CallPayload, ToolCall, ToolOutcome, ToolRuntime};
pub use session::{Session, SessionConfig};
pub use setup::{
    known_context_window, new_session, new_thread_id, resume_thread, sandbox_policy, session_config, start_thread, SetupError,
    DEFAULT_APPROVAL_TIMEOUT,
};
pub use thread::{spawn, ThreadHandle};
pub use tools_runtime::{standard_tools, StandardTools};
pub use turn::TurnEnd;
