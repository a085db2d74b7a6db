//! Ops (submissions into a thread) and Events (what a thread reports), the whole interface between
//! the agent and its front ends (the LSP server, `codeloop exec --json`). camelCase on the wire,
//! tagged by `type`.
//!
//! Deliberately not here: anything about LSP (positions are 0-based lines and UTF-8 byte columns;
//! the LSP layer converts), rendering, or transport.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

use crate::{EditProposal, RateLimitSnapshot, TokenUsage};

/// Something a front end asks a thread to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum Op {
    /// Start a turn (or queue it behind the running one).
    UserTurn {
        input: Vec<UserInput>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        editor: Option<EditorContext>,
    },
    /// Abort the running turn: the model stream closes, child processes are killed, every pending
    /// tool call gets an "aborted" output.
    Interrupt,
    /// The user's answer to an `ApprovalRequested` event.
    Approval { approval_id: String, decision: ReviewDecision },
    /// What became of an `EditProposed` event (the LSP client's applyEdit answer, or exec's disk write).
    EditResult {
        proposal_id: String,
        applied: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Compact the history now.
    Compact,
    /// Finish the running turn's cleanup and stop the thread.
    Shutdown,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum UserInput {
    Text {
        text: String,
    },
    /// A URL or `data:` URL.
    Image {
        image_url: String,
    },
}

/// What the editor shows around the request: the file, the ranges the user selected, and the
/// diagnostics from the code action's context. Lines are 0-based; `text` is the buffer as the
/// user sees it (unsaved changes included).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditorContext {
    pub path: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Buffer version the context was taken at, when the file is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
    #[serde(default)]
    pub ranges: Vec<LineRange>,
    #[serde(default)]
    pub diagnostics: Vec<EditorDiagnostic>,
}

/// Lines `start..=end`, 0-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineRange {
    pub start: u32,
    pub end: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditorDiagnostic {
    pub range: LineRange,
    /// `error`, `warning`, `info` or `hint`.
    pub severity: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum ReviewDecision {
    Approved,
    /// Approved, and the same command prefix runs without asking for the rest of the session.
    ApprovedForSession,
    Denied,
    /// Deny and interrupt the turn.
    Abort,
    /// Nobody answered in time; treated as `Denied`.
    TimedOut,
}

/// One event from a thread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub thread_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    #[serde(flatten)]
    pub msg: EventMsg,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum EventMsg {
    ThreadStarted {
        model: String,
        cwd: PathBuf,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rollout_path: Option<PathBuf>,
    },
    TurnStarted,
    /// The turn's `request`-th model request (from 1) is being sent. Retries of the same request
    /// are reported as `StreamRetry`, not as new requests.
    ModelRequest {
        request: u32,
    },
    /// The stream broke and the request is retried; discard partial output of this attempt.
    StreamRetry {
        attempt: u64,
        max: u64,
        delay_ms: u64,
        reason: String,
    },
    ItemStarted {
        item_id: String,
        kind: ItemKind,
    },
    ItemCompleted {
        item_id: String,
        kind: ItemKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
    MessageDelta {
        item_id: String,
        delta: String,
    },
    ReasoningSummaryDelta {
        item_id: String,
        delta: String,
    },
    ToolCallBegin {
        call_id: String,
        tool: String,
        summary: String,
    },
    ToolCallOutputDelta {
        call_id: String,
        chunk: String,
    },
    ToolCallEnd {
        call_id: String,
        tool: String,
        success: bool,
        output: String,
        duration_ms: u64,
    },
    PlanUpdated {
        plan: serde_json::Value,
    },
    EditProposed {
        proposal_id: String,
        call_id: String,
        proposal: EditProposal,
    },
    ApprovalRequested {
        approval_id: String,
        call_id: String,
        request: ApprovalRequest,
    },
    TokenUsage {
        last: TokenUsage,
        total: TokenUsage,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        context_window: Option<u64>,
    },
    RateLimits {
        snapshot: RateLimitSnapshot,
    },
    Compacted {
        tokens_before: u64,
        tokens_after: u64,
        remote: bool,
    },
    TurnCompleted {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_message: Option<String>,
    },
    TurnAborted {
        reason: String,
    },
    TurnFailed {
        error: String,
    },
    Warning {
        message: String,
    },
    Error {
        message: String,
    },
    ThreadClosed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum ItemKind {
    Message,
    Reasoning,
    ToolCall,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum ApprovalRequest {
    /// Run a command (possibly outside the sandbox, when `escalated`).
    Exec {
        command: Vec<String>,
        cwd: PathBuf,
        escalated: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Apply file changes outside the writable roots.
    Patch {
        proposal: EditProposal,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ops_and_events_have_a_stable_wire_shape() {
        let op = Op::UserTurn { input: vec![UserInput::Text { text: "fix it".into() }], editor: None };
        assert_eq!(serde_json::to_value(&op).unwrap(), json!({"type": "userTurn", "input": [{"type": "text", "text": "fix it"}]}));
        let op: Op = serde_json::from_value(json!({"type": "approval", "approvalId": "a1", "decision": "approvedForSession"})).unwrap();
        assert_eq!(op, Op::Approval { approval_id: "a1".into(), decision: ReviewDecision::ApprovedForSession });
        let ev = Event {
            thread_id: "t1".into(),
            turn_id: Some("u1".into()),
            msg: EventMsg::ToolCallEnd { call_id: "c".into(), tool: "shell".into(), success: true, output: "ok".into(), duration_ms: 3 },
        };
        assert_eq!(
            serde_json::to_value(&ev).unwrap(),
            json!({"threadId": "t1", "turnId": "u1", "type": "toolCallEnd", "callId": "c", "tool": "shell", "success": true, "output": "ok", "durationMs": 3})
        );
        let back: Event = serde_json::from_value(serde_json::to_value(&ev).unwrap()).unwrap();
        assert_eq!(back, ev);
    }
}
