//! Approvals, one at a time per server: the agent's `ApprovalRequested` events are queued and
//! shown in turn. Where the client supports it, a `window/showMessageRequest` offers "Allow
//! once", "Allow for session" and "Deny". A client that answers -32601 to it (Helix 25.07
//! does, whatever it advertises) or does not advertise it gets a `window/showMessage` that
//! names the request and the `codeloop.approve` / `codeloop.deny` commands, for this and every
//! later approval of the session.
//!
//! The agent owns the outcome: an approval it stops waiting for (timed out, turn interrupted)
//! is dropped here and the next one is shown. The client request runs in its own task and its
//! late answer is ignored, never awaited under a timeout (tower-lsp 0.20 panics when a
//! dropped request gets its answer). Not here: the approval policy (the agent's).

use agent::ThreadHandle;
use agent_protocol::{ApprovalRequest, Op, ReviewDecision};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{oneshot, Notify};
use tower_lsp::jsonrpc::ErrorCode;
use tower_lsp::lsp_types::{MessageActionItem, MessageType};
use tower_lsp::Client;

pub const ALLOW_ONCE: &str = "Allow once";
pub const ALLOW_SESSION: &str = "Allow for session";
pub const DENY: &str = "Deny";
/// How often the worker checks that the agent still waits for the shown approval.
const POLL: Duration = Duration::from_millis(100);

#[derive(Clone)]
pub struct PendingApproval {
    pub approval_id: String,
    pub thread_id: String,
    pub handle: ThreadHandle,
    pub request: ApprovalRequest,
}

impl PendingApproval {
    fn still_waiting(&self) -> bool {
        self.handle.waiting_approvals().contains(&self.approval_id)
    }

    /// One line for the user.
    pub fn describe(&self) -> String {
        match &self.request {
            ApprovalRequest::Exec { command, cwd, escalated, reason } => {
                let mut s = format!("run `{}` in {}", stdx::shell_join(command), cwd.display());
                if *escalated {
                    s.push_str(" outside the sandbox");
                }
                if let Some(r) = reason {
                    s.push_str(&format!(" ({r})"));
                }
                s
            }
            ApprovalRequest::Patch { proposal, reason } => {
                let files: Vec<String> = proposal.changes.iter().map(|c| c.path().display().to_string()).collect();
                let mut s = format!("change {} outside the writable roots", files.join(", "));
                if let Some(r) = reason {
                    s.push_str(&format!(" ({r})"));
                }
                s
            }
            _ => "do something that needs approval".to_string(),
        }
    }
}

#[derive(Default)]
struct State {
    queue: VecDeque<PendingApproval>,
    active: Option<PendingApproval>,
    /// The client cannot show a showMessageRequest: use the commands from now on.
    fallback: bool,
}

#[derive(Default)]
pub struct Approvals {
    state: Mutex<State>,
    wake: Notify,
}

impl Approvals {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the worker that shows approvals one by one.
    pub fn start(self: &Arc<Self>, client: Client, supports_request: bool) {
        if !supports_request {
            self.lock().fallback = true;
        }
        tokio::spawn(worker(self.clone(), client));
    }

    pub fn push(&self, approval: PendingApproval) {
        self.lock().queue.push_back(approval);
        self.wake.notify_one();
    }

    /// The shown approval first, then the queued ones.
    pub fn pending(&self) -> Vec<PendingApproval> {
        let s = self.lock();
        s.active.iter().chain(s.queue.iter()).cloned().collect()
    }

    /// Answers approval `id` (default: the one shown) for `codeloop.approve` / `codeloop.deny`.
    /// Approval ids are per thread: `thread` picks among equal ids.
    pub fn answer(&self, id: Option<&str>, thread: Option<&str>, decision: ReviewDecision) -> Result<PendingApproval, String> {
        let matches = |a: &PendingApproval| id.is_none_or(|id| a.approval_id == id) && thread.is_none_or(|t| a.thread_id == t);
        let found = {
            let mut s = self.lock();
            if s.active.as_ref().is_some_and(matches) {
                s.active.take()
            } else {
                s.queue.iter().position(matches).and_then(|i| s.queue.remove(i))
            }
        };
        let Some(approval) = found else {
            return Err(match id {
                Some(id) => format!("no pending approval `{id}`"),
                None => "no approval is pending".to_string(),
            });
        };
        self.wake.notify_one();
        if !approval.handle.submit(Op::Approval { approval_id: approval.approval_id.clone(), decision }) {
            return Err(format!("thread {} has ended", approval.thread_id));
        }
        Ok(approval)
    }

    /// Whether `approval_id` is still the one shown (not answered through a command meanwhile).
    fn is_active(&self, approval: &PendingApproval) -> bool {
        self.lock().active.as_ref().is_some_and(|a| a.approval_id == approval.approval_id && a.thread_id == approval.thread_id)
    }

    /// Forgets the approvals of a thread that ended.
    pub fn drop_thread(&self, thread_id: &str) {
        let mut s = self.lock();
        s.queue.retain(|a| a.thread_id != thread_id);
        if s.active.as_ref().is_some_and(|a| a.thread_id == thread_id) {
            s.active = None;
        }
        drop(s);
        self.wake.notify_one();
    }

    /// Waits until the shown approval is answered elsewhere or the agent stops waiting for it.
    async fn wait_settled(&self, a: &PendingApproval) {
        while self.is_active(a) && a.still_waiting() {
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }
}

fn decision_of(title: &str) -> ReviewDecision {
    match title {
        ALLOW_ONCE => ReviewDecision::Approved,
        ALLOW_SESSION => ReviewDecision::ApprovedForSession,
        _ => ReviewDecision::Denied,
    }
}

async fn worker(approvals: Arc<Approvals>, client: Client) {
    loop {
        let next = {
            let mut s = approvals.lock();
            if s.active.is_none() {
                while let Some(a) = s.queue.pop_front() {
                    if a.still_waiting() {
                        s.active = Some(a);
                        break;
                    }
                }
            }
            s.active.clone().map(|a| (a, s.fallback))
        };
        let Some((approval, fallback)) = next else {
            approvals.wake.notified().await;
            continue;
        };
        let what = approval.describe();
        let mut use_commands = fallback;
        if !fallback {
            let (tx, rx) = oneshot::channel();
            let c = client.clone();
            let text = format!("codeloop wants to {what}");
            let actions = [ALLOW_ONCE, ALLOW_SESSION, DENY]
                .iter()
                .map(|t| MessageActionItem { title: t.to_string(), properties: Default::default() })
                .collect();
            tokio::spawn(async move {
                let _ = tx.send(c.show_message_request(MessageType::WARNING, text, Some(actions)).await);
            });
            let answered = tokio::select! {
                r = rx => Some(r),
                _ = approvals.wait_settled(&approval) => None,
            };
            match answered {
                Some(Ok(Ok(choice))) => {
                    let decision = choice.map_or(ReviewDecision::Denied, |item| decision_of(&item.title));
                    if approvals.is_active(&approval) && approval.still_waiting() {
                        approval.handle.submit(Op::Approval { approval_id: approval.approval_id.clone(), decision });
                    }
                }
                Some(Ok(Err(e))) => {
                    if e.code == ErrorCode::MethodNotFound {
                        tracing::info!("the client does not implement window/showMessageRequest; approvals use commands from now on");
                    } else {
                        tracing::warn!("window/showMessageRequest failed: {e}; approvals use commands from now on");
                    }
                    approvals.lock().fallback = true;
                    use_commands = true;
                }
                Some(Err(_)) | None => {}
            }
        }
        if use_commands && approvals.is_active(&approval) && approval.still_waiting() {
            let text = format!(
                "codeloop wants to {what}. Run the command `codeloop.approve` to allow it (add {{\"forSession\": true}} to allow it for the session) or `codeloop.deny` to refuse (approval {}, thread {}).",
                approval.approval_id, approval.thread_id
            );
            client.show_message(MessageType::WARNING, text).await;
            approvals.wait_settled(&approval).await;
        }
        let mut s = approvals.lock();
        if s.active.as_ref().is_some_and(|a| a.approval_id == approval.approval_id && a.thread_id == approval.thread_id) {
            s.active = None;
        }
    }
}

#[cfg(test)]
#[path = "approvals_tests.rs"]
mod tests;
