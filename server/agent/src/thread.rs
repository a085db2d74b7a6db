//! A thread: an actor task that owns a `Session`, takes Ops and runs one turn at a time. Turns
//! submitted while one runs are queued; Interrupt cancels the running turn; approval and edit
//! answers are routed to the tool call waiting for them.

use std::collections::VecDeque;

use agent_protocol::{ContentItem, EditorContext, Event, EventMsg, Op, ResponseItem, Role, TurnId, UserInput};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::compaction::{compact_session, CompactError};
use crate::ctx::{EditResult, EventSink, Pending};
use crate::prompt;
use crate::rollout::{RolloutLine, TurnStatus};
use crate::session::Session;
use crate::turn::{run_turn, TurnEnd};

/// The front end's handle on a thread: submit Ops; events arrive on the receiver given to `spawn`.
#[derive(Clone, Debug)]
pub struct ThreadHandle {
    pub thread_id: String,
    ops: mpsc::UnboundedSender<Op>,
    pending: Pending,
}

impl ThreadHandle {
    /// Submits an op; false when the thread has shut down.
    pub fn submit(&self, op: Op) -> bool {
        self.ops.send(op).is_ok()
    }

    /// Approvals currently waiting for an answer.
    pub fn waiting_approvals(&self) -> Vec<String> {
        self.pending.waiting_approvals()
    }
}

/// Starts the thread's actor on the current tokio runtime.
pub fn spawn(session: Session, events: mpsc::UnboundedSender<Event>) -> (ThreadHandle, JoinHandle<()>) {
    let thread_id = session.config.thread_id.to_string();
    let (tx, rx) = mpsc::unbounded_channel();
    let pending = Pending::default();
    let sink = EventSink::new(events, thread_id.clone());
    let handle = ThreadHandle { thread_id, ops: tx, pending: pending.clone() };
    let task = tokio::spawn(run(session, rx, sink, pending));
    (handle, task)
}

/// What a queued op asks the thread to do.
enum Work {
    Turn { input: Vec<UserInput>, editor: Option<EditorContext> },
    Compact,
}

struct Running {
    cancel: CancellationToken,
    task: JoinHandle<Session>,
}

async fn run(mut session: Session, mut ops: mpsc::UnboundedReceiver<Op>, events: EventSink, pending: Pending) {
    let rollout_path = session.rollout.as_ref().map(|w| w.path().to_path_buf());
    events.send(EventMsg::ThreadStarted { model: session.config.model.clone(), cwd: session.config.cwd.clone(), rollout_path });
    let mut queue: VecDeque<Op> = VecDeque::new();
    let mut running: Option<Running> = None;
    let mut turn_seq = 0u64;
    let mut shutting_down = false;
    loop {
        // Start the next queued turn when idle.
        if running.is_none() {
            if shutting_down {
                break;
            }
            if let Some(op) = queue.pop_front() {
                let work = match op {
                    Op::UserTurn { input, editor } => Work::Turn { input, editor },
                    Op::Compact => Work::Compact,
                    _ => continue,
                };
                turn_seq += 1;
                let turn_id = format!("turn-{turn_seq}");
                let cancel = CancellationToken::new();
                let task =
                    tokio::spawn(turn_task(session, work, turn_id.clone(), events.for_turn(&turn_id), pending.clone(), cancel.clone()));
                running = Some(Running { cancel, task });
                // The session moved into the task; it comes back when the turn ends.
                session = match wait_turn(&mut running, &mut ops, &mut queue, &pending, &events, &mut shutting_down).await {
                    Some(s) => s,
                    None => return,
                };
                continue;
            }
        }
        let Some(op) = ops.recv().await else { break };
        handle_idle_op(op, &mut queue, &pending, &events, &mut shutting_down);
    }
    events.send(EventMsg::ThreadClosed);
}

/// Ops that arrive while no turn runs.
fn handle_idle_op(op: Op, queue: &mut VecDeque<Op>, pending: &Pending, events: &EventSink, shutting_down: &mut bool) {
    match op {
        Op::UserTurn { .. } | Op::Compact => queue.push_back(op),
        Op::Interrupt => {}
        Op::Approval { approval_id, decision } if !pending.answer_approval(&approval_id, decision) => {
            events.send(EventMsg::Warning { message: format!("no pending approval `{approval_id}`") });
        }
        Op::EditResult { proposal_id, applied, reason } => {
            let answered = pending.answer_edit(&proposal_id, EditResult { applied, reason });
            if !answered {
                events.send(EventMsg::Warning { message: format!("no pending edit proposal `{proposal_id}`") });
            }
        }
        Op::Shutdown => *shutting_down = true,
        _ => {}
    }
}

/// Serves Ops while the turn runs; returns the session when it ends (None if the task was lost).
async fn wait_turn(
    running: &mut Option<Running>,
    ops: &mut mpsc::UnboundedReceiver<Op>,
    queue: &mut VecDeque<Op>,
    pending: &Pending,
    events: &EventSink,
    shutting_down: &mut bool,
) -> Option<Session> {
    let r = running.as_mut()?;
    let mut ops_open = true;
    let result = loop {
        tokio::select! {
            done = &mut r.task => break done,
            op = ops.recv(), if ops_open => match op {
                None => {
                    // Every handle is gone: nobody can see this turn any more.
                    ops_open = false;
                    r.cancel.cancel();
                }
                Some(Op::Interrupt) => r.cancel.cancel(),
                Some(Op::Shutdown) => {
                    *shutting_down = true;
                    r.cancel.cancel();
                }
                Some(op) => handle_idle_op(op, queue, pending, events, shutting_down),
            },
        }
    };
    *running = None;
    match result {
        Ok(session) => Some(session),
        Err(e) => {
            tracing::error!("turn task failed: {e}");
            events.send(EventMsg::Error { message: format!("internal error: the turn task failed: {e}") });
            None
        }
    }
}

async fn turn_task(
    mut session: Session,
    work: Work,
    turn_id: String,
    events: EventSink,
    pending: Pending,
    cancel: CancellationToken,
) -> Session {
    session.persist([RolloutLine::turn_started(TurnId(turn_id.clone()))]);
    events.send(EventMsg::TurnStarted);
    let end = match work {
        Work::Compact => match compact_session(&mut session, &events, &cancel).await {
            Ok(()) => TurnEnd::Completed { last_message: None },
            Err(CompactError::Cancelled) => TurnEnd::Aborted,
            Err(CompactError::Model(e)) => TurnEnd::Failed(e),
        },
        Work::Turn { input, editor } => {
            // Pre-turn compaction, so the new input starts in a window with room.
            let pre = if session.should_compact() { compact_session(&mut session, &events, &cancel).await } else { Ok(()) };
            match pre {
                Err(CompactError::Cancelled) => TurnEnd::Aborted,
                Err(CompactError::Model(e)) => TurnEnd::Failed(e),
                Ok(()) => {
                    let items = turn_input(&session, input, editor).await;
                    session.record(items);
                    run_turn(&mut session, &events, &pending, &cancel).await
                }
            }
        }
    };
    let status = match &end {
        TurnEnd::Completed { .. } => TurnStatus::Completed,
        TurnEnd::Aborted => TurnStatus::Aborted,
        TurnEnd::Failed(_) => TurnStatus::Failed,
    };
    session.persist([RolloutLine::turn_ended(TurnId(turn_id), status)]);
    session.sync();
    match end {
        TurnEnd::Completed { last_message } => events.send(EventMsg::TurnCompleted { last_message }),
        TurnEnd::Aborted => events.send(EventMsg::TurnAborted { reason: "interrupted".into() }),
        TurnEnd::Failed(e) => events.send(EventMsg::TurnFailed { error: e.to_string() }),
    }
    session
}

/// The items a turn starts with: the editor context (when the request came from the editor),
/// then the user's message.
async fn turn_input(session: &Session, input: Vec<UserInput>, editor: Option<EditorContext>) -> Vec<ResponseItem> {
    let mut items = Vec::new();
    if let Some(ctx) = editor {
        let index = session.config.index.clone();
        let item = tokio::task::spawn_blocking(move || {
            // Resolving definitions parses the buffer: keep it off the async workers.
            let resolved = index.as_ref().and_then(|ix| {
                let text = prompt::editor_text(&ctx)?.into_owned();
                prompt::resolve_agent_context(ix, &ctx, &text)
            });
            prompt::editor_context(&ctx, resolved.as_ref())
        })
        .await;
        match item {
            Ok(item) => items.push(item),
            Err(e) => tracing::error!("editor context failed: {e}"),
        }
    }
    let content: Vec<ContentItem> = input
        .into_iter()
        .filter_map(|i| match i {
            UserInput::Text { text } => Some(ContentItem::InputText { text }),
            UserInput::Image { image_url } => Some(ContentItem::InputImage { image_url }),
            _ => None,
        })
        .collect();
    items.push(ResponseItem::Message { role: Role::User, content, phase: None });
    items
}
