//! The vocabulary between the agent and everything around it: the items a conversation is made of
//! (as the OpenAI Responses API spells them), tool specifications, token usage and rate limits,
//! and (from the agent-core issue on) the Op and Event types of a thread.
//!
//! Architecture invariant: types only. serde and serde_json, no logic beyond small constructors and
//! accessors, no I/O. Enums that cross the wire are non-exhaustive; ids are strings on the wire.

mod edits;
mod ids;
mod models;
mod protocol;
mod usage;

pub use edits::{BaseVersion, EditProposal, FileChange, TextReplace};
pub use ids::{CallId, ThreadId, TurnId};
pub use models::{
    ContentItem, CustomToolFormat, FunctionCallOutput, MessagePhase, ReasoningContent, ReasoningSummary, ResponseItem, Role, ToolSpec,
};
pub use protocol::{ApprovalRequest, EditorContext, EditorDiagnostic, Event, EventMsg, ItemKind, LineRange, Op, ReviewDecision, UserInput};
pub use usage::{RateLimitSnapshot, RateLimitWindow, TokenUsage};
