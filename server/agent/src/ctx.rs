//! What a running tool call can reach: the event sink, its cancellation token, and the two
//! questions it may put to the front end and wait for (an approval, the fate of an edit proposal).
//! Answers arrive as Ops on the thread and are routed here through `Pending`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agent_protocol::{ApprovalRequest, EditProposal, Event, EventMsg, ReviewDecision};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// Sends events stamped with the thread and turn ids. A closed receiver is ignored: a front end
/// that went away must not crash the thread.
#[derive(Clone, Debug)]
pub struct EventSink {
    tx: mpsc::UnboundedSender<Event>,
    thread_id: String,
    turn_id: Option<String>,
}

impl EventSink {
    pub fn new(tx: mpsc::UnboundedSender<Event>, thread_id: String) -> EventSink {
        EventSink { tx, thread_id, turn_id: None }
    }

    pub fn for_turn(&self, turn_id: &str) -> EventSink {
        EventSink { turn_id: Some(turn_id.to_string()), ..self.clone() }
    }

    pub fn send(&self, msg: EventMsg) {
        let _ = self.tx.send(Event { thread_id: self.thread_id.clone(), turn_id: self.turn_id.clone(), msg });
    }
}

/// The front end's answer to an `EditProposed` event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditResult {
    pub applied: bool,
    pub reason: Option<String>,
}

/// Questions waiting for an Op, by id.
#[derive(Clone, Debug, Default)]
pub struct Pending {
    inner: Arc<Mutex<PendingInner>>,
    next_id: Arc<AtomicU64>,
}

#[derive(Debug, Default)]
struct PendingInner {
    approvals: HashMap<String, oneshot::Sender<ReviewDecision>>,
    edits: HashMap<String, oneshot::Sender<EditResult>>,
}

impl Pending {
    fn lock(&self) -> std::sync::MutexGuard<'_, PendingInner> {
        // A poisoned lock only means another task panicked while holding it; the maps stay usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next(&self, prefix: &str) -> String {
        format!("{prefix}-{}", self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// Routes an approval decision; false when nothing waits for that id.
    pub fn answer_approval(&self, id: &str, decision: ReviewDecision) -> bool {
        self.lock().approvals.remove(id).is_some_and(|tx| tx.send(decision).is_ok())
    }

    /// Routes an edit result; false when nothing waits for that id.
    pub fn answer_edit(&self, id: &str, result: EditResult) -> bool {
        self.lock().edits.remove(id).is_some_and(|tx| tx.send(result).is_ok())
    }

    /// Ids of approvals still waiting (for `codeloop.approve` without an id).
    pub fn waiting_approvals(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.lock().approvals.keys().cloned().collect();
        ids.sort();
        ids
    }
}

/// Handed to `ToolRuntime::run` for one call.
#[derive(Clone, Debug)]
pub struct CallContext {
    pub call_id: String,
    /// Cancelled when this call must stop (its response was retried or the turn interrupted).
    pub cancel: CancellationToken,
    /// The whole turn's token: `abort_turn` cancels it (the user chose "abort" in an approval).
    pub turn: CancellationToken,
    pub events: EventSink,
    pub(crate) pending: Pending,
    pub approval_timeout: Duration,
}

impl CallContext {
    /// Interrupts the whole turn: the stream closes, every call gets "aborted", the turn ends.
    pub fn abort_turn(&self) {
        self.turn.cancel();
        self.cancel.cancel();
    }

    pub fn output_delta(&self, chunk: impl Into<String>) {
        self.events.send(EventMsg::ToolCallOutputDelta { call_id: self.call_id.clone(), chunk: chunk.into() });
    }

    pub fn plan_updated(&self, plan: serde_json::Value) {
        self.events.send(EventMsg::PlanUpdated { plan });
    }

    /// Asks the user. An unanswered request becomes `TimedOut` after `approval_timeout`; a
    /// cancelled turn answers `Abort`.
    pub async fn request_approval(&self, request: ApprovalRequest) -> ReviewDecision {
        let id = self.pending.next("approval");
        let (tx, rx) = oneshot::channel();
        self.pending.lock().approvals.insert(id.clone(), tx);
        self.events.send(EventMsg::ApprovalRequested { approval_id: id.clone(), call_id: self.call_id.clone(), request });
        let decision = tokio::select! {
            r = rx => r.unwrap_or(ReviewDecision::Abort),
            _ = self.cancel.cancelled() => ReviewDecision::Abort,
            _ = tokio::time::sleep(self.approval_timeout) => ReviewDecision::TimedOut,
        };
        self.pending.lock().approvals.remove(&id);
        decision
    }

    /// Hands an edit proposal to the front end and waits for it to be applied or refused.
    pub async fn propose_edit(&self, proposal: EditProposal) -> EditResult {
        let id = self.pending.next("edit");
        let (tx, rx) = oneshot::channel();
        self.pending.lock().edits.insert(id.clone(), tx);
        self.events.send(EventMsg::EditProposed { proposal_id: id.clone(), call_id: self.call_id.clone(), proposal });
        let result = tokio::select! {
            r = rx => r.unwrap_or(EditResult { applied: false, reason: Some("the front end went away".into()) }),
            _ = self.cancel.cancelled() => EditResult { applied: false, reason: Some("the turn was interrupted".into()) },
        };
        self.pending.lock().edits.remove(&id);
        result
    }
}
