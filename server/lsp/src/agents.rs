//! The agent threads of one LSP session, and the dispatcher that turns their Events into LSP:
//! a work-done progress per turn, `codeloop/event` notifications (opt-in), one
//! `workspace/applyEdit` per edit proposal, approvals through the client, log messages for
//! warnings and errors.
//!
//! Handlers only submit Ops and return (`ask`, `cancel`, ...); everything that waits for the
//! client (progress creation, applyEdit, showMessageRequest) runs in spawned tasks. Threads
//! share one event channel, drained in order by one dispatcher task. The configuration is
//! loaded once at `initialize`; when it failed, every agent command answers with its error and
//! the rest of the server keeps working. Not here: argument parsing (`commands.rs`), the
//! WorkspaceEdit conversion (`edits.rs`).

use crate::approvals::{Approvals, PendingApproval};
use crate::doc_view::DocView;
use crate::documents::DocStore;
use crate::edits::ResourceOps;
use crate::state::Shared;
use crate::turn_progress::TurnProgress;
use agent::ThreadHandle;
use agent_protocol::{EditorContext, Event, EventMsg, Op, ThreadId, TokenUsage, UserInput};
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use tokio::sync::mpsc;
use tower_lsp::lsp_types::notification::Notification;
use tower_lsp::lsp_types::{ClientCapabilities, MessageType, NumberOrString};
use tower_lsp::Client;

/// `codeloop/event`: one agent Event, as agent-protocol serializes it.
pub enum AgentEventNotification {}

impl Notification for AgentEventNotification {
    type Params = Event;
    const METHOD: &'static str = "codeloop/event";
}

/// What the client can do, as far as the agent features care.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientFeatures {
    pub work_done_progress: bool,
    pub show_message_request: bool,
    pub show_document: bool,
    pub resource_ops: ResourceOps,
}

impl ClientFeatures {
    pub fn from_caps(caps: &ClientCapabilities) -> ClientFeatures {
        let window = caps.window.as_ref();
        ClientFeatures {
            work_done_progress: window.and_then(|w| w.work_done_progress).unwrap_or(false),
            show_message_request: window.is_some_and(|w| w.show_message.is_some()),
            show_document: window.and_then(|w| w.show_document.as_ref()).is_some_and(|d| d.support),
            resource_ops: ResourceOps::from_caps(caps),
        }
    }
}

/// Settled at `initialize`.
pub struct AgentSetup {
    /// The configuration, or the error text to answer agent commands with.
    pub config: Result<config::Config, String>,
    /// The first workspace root: the threads' working directory.
    pub cwd: Option<PathBuf>,
    /// Send `codeloop/event` notifications (initializationOptions.events).
    pub events: bool,
    /// Keep a markdown transcript per thread (initializationOptions.transcript).
    pub transcript: bool,
    pub features: ClientFeatures,
}

/// Why an agent command failed.
#[derive(Debug)]
pub enum AgentError {
    /// The arguments are wrong (JSON-RPC InvalidParams).
    InvalidParams(String),
    /// Well-formed but impossible now: no configuration, no model, no workspace (RequestFailed).
    Failed(String),
}

struct RunningTurn {
    turn_id: String,
    token: String,
    progress: TurnProgress,
}

/// A submitted turn that has not started yet.
struct QueuedTurn {
    /// The progress title.
    title: String,
    /// The client's workDoneToken of the `codeloop.ask` request, used instead of a server-created one.
    token: Option<NumberOrString>,
}

/// How long `shutdown` waits for the agent threads to wind down.
const SHUTDOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

struct ThreadEntry {
    handle: ThreadHandle,
    /// The thread's actor; taken and awaited at `shutdown`.
    task: Option<tokio::task::JoinHandle<()>>,
    model: String,
    /// Turns submitted so far (the thread numbers its turns `turn-1`, `turn-2`, ...).
    submitted: u64,
    /// The submitted turns that have not started yet.
    titles: VecDeque<QueuedTurn>,
    running: Option<RunningTurn>,
    usage: Option<TokenUsage>,
    context_window: Option<u64>,
}

/// What `ask` was asked.
pub struct AskRequest {
    pub prompt: String,
    pub editor: Option<EditorContext>,
    pub thread_id: Option<String>,
    /// The `workDoneToken` of the executeCommand request.
    pub work_done_token: Option<NumberOrString>,
}

/// How a thread comes to life.
enum Start {
    New,
    Resume(String),
    Fork(String),
}

pub struct Agents {
    pub(crate) client: Client,
    pub(crate) docs: Arc<DocStore>,
    pub(crate) shared: Arc<Shared>,
    setup: OnceLock<AgentSetup>,
    events_tx: mpsc::UnboundedSender<Event>,
    threads: Mutex<BTreeMap<String, ThreadEntry>>,
    pub(crate) approvals: Arc<Approvals>,
    /// Edit proposals are applied one at a time (`edit_flow.rs`).
    pub(crate) edit_lock: tokio::sync::Mutex<()>,
    /// The configuration reloaded by `workspace/didChangeConfiguration` (else the setup's).
    reloaded: Mutex<Option<Result<config::Config, String>>>,
    /// The inverse of every applied edit, per turn (`codeloop.undo`).
    pub(crate) undo: crate::undo::UndoLog,
    pub(crate) transcripts: crate::transcript::Transcripts,
}

/// The step shown for a tool call.
fn step_of(tool: &str, summary: &str) -> String {
    match tool {
        "shell" => format!("running {summary}"),
        _ => match summary.strip_prefix("edit ") {
            Some(files) => format!("editing {files}"),
            None => summary.to_string(),
        },
    }
}

fn first_line(text: &str) -> &str {
    text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("")
}

impl Agents {
    /// Creates the registry and starts its event dispatcher (on the current runtime).
    pub fn start(client: Client, docs: Arc<DocStore>, shared: Arc<Shared>) -> Arc<Agents> {
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let agents = Arc::new(Agents {
            client,
            docs,
            shared,
            setup: OnceLock::new(),
            events_tx,
            threads: Mutex::new(BTreeMap::new()),
            approvals: Arc::new(Approvals::default()),
            edit_lock: tokio::sync::Mutex::new(()),
            reloaded: Mutex::new(None),
            undo: crate::undo::UndoLog::default(),
            transcripts: crate::transcript::Transcripts::default(),
        });
        tokio::spawn(dispatch(agents.clone(), events_rx));
        agents
    }

    fn threads(&self) -> MutexGuard<'_, BTreeMap<String, ThreadEntry>> {
        self.threads.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records the setup (once) and starts the approval worker.
    pub fn configure(&self, setup: AgentSetup) {
        let supports_request = setup.features.show_message_request;
        if self.setup.set(setup).is_ok() {
            self.approvals.start(self.client.clone(), supports_request);
        }
    }

    pub fn setup(&self) -> Option<&AgentSetup> {
        self.setup.get()
    }

    /// `workspace/didChangeConfiguration`: new threads use this configuration.
    pub fn set_config(&self, config: Result<config::Config, String>) {
        *self.reloaded.lock().unwrap_or_else(|e| e.into_inner()) = Some(config);
    }

    /// The configuration new threads use, or its error.
    fn current_config(&self) -> Option<Result<config::Config, String>> {
        if let Some(c) = self.reloaded.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            return Some(c);
        }
        self.setup.get().map(|s| s.config.clone())
    }

    fn ready(&self) -> Result<(&AgentSetup, config::Config, PathBuf), AgentError> {
        let setup = self.setup.get().ok_or_else(|| AgentError::Failed("the server is not initialized".into()))?;
        let config = self
            .current_config()
            .unwrap_or_else(|| Err("the server is not initialized".into()))
            .map_err(|e| AgentError::Failed(format!("codeloop configuration error: {e}")))?;
        let cwd = setup.cwd.clone().ok_or_else(|| {
            AgentError::Failed("no workspace folder: the agent needs a workspace root (rootUri or workspaceFolders)".into())
        })?;
        Ok((setup, config, cwd))
    }

    /// Starts a turn, in a new thread unless `thread_id` names a live one. Returns at once
    /// with the thread and turn ids; the turn runs in the background.
    pub async fn ask(self: &Arc<Self>, req: AskRequest) -> Result<(String, String), AgentError> {
        self.ready()?;
        let title = format!("codeloop: {}", crate::commands::preview(&req.prompt, 40));
        self.transcripts.prompt(req.thread_id.as_deref(), &req.prompt);
        let prompt = req.prompt.clone();
        let op = Op::UserTurn { input: vec![UserInput::Text { text: req.prompt }], editor: req.editor };
        let queued = QueuedTurn { title, token: req.work_done_token };
        if let Some(id) = req.thread_id {
            let mut threads = self.threads();
            let entry = threads.get_mut(&id).ok_or_else(|| {
                AgentError::InvalidParams(format!(
                    "no live thread `{id}` (threads of earlier sessions are listed by codeloop.threads; codeloop.resume brings one back)"
                ))
            })?;
            if !entry.handle.submit(op) {
                return Err(AgentError::Failed(format!("thread `{id}` has ended")));
            }
            entry.submitted += 1;
            entry.titles.push_back(queued);
            return Ok((id, format!("turn-{}", entry.submitted)));
        }
        let (id, handle) = self.start_thread(Start::New, Some(queued)).await?;
        self.transcripts.prompt(Some(&id), &prompt);
        handle.submit(op);
        Ok((id, "turn-1".to_string()))
    }

    /// `codeloop.resume`: brings a persisted thread back to life (a live one is returned as is).
    pub async fn resume(self: &Arc<Self>, thread_id: &str) -> Result<String, AgentError> {
        if self.handle(thread_id).is_some() {
            return Ok(thread_id.to_string());
        }
        Ok(self.start_thread(Start::Resume(thread_id.to_string()), None).await?.0)
    }

    /// `codeloop.fork`: a new live thread with a copy of the thread's history.
    pub async fn fork(self: &Arc<Self>, thread_id: &str) -> Result<String, AgentError> {
        Ok(self.start_thread(Start::Fork(thread_id.to_string()), None).await?.0)
    }

    /// `codeloop.compact`: compacts a live thread's history now (after its running turn).
    pub fn compact(&self, thread_id: &str) -> Result<(), AgentError> {
        let handle = self.handle(thread_id).ok_or_else(|| AgentError::InvalidParams(format!("no live thread `{thread_id}`")))?;
        if !handle.submit(Op::Compact) {
            return Err(AgentError::Failed(format!("thread `{thread_id}` has ended")));
        }
        Ok(())
    }

    /// Sets up a thread's session and spawns it; `first` is the turn about to be submitted.
    async fn start_thread(self: &Arc<Self>, start: Start, first: Option<QueuedTurn>) -> Result<(String, ThreadHandle), AgentError> {
        let (_, config, cwd) = self.ready()?;
        let config = config.clone();
        let view = Arc::new(DocView::new(self.docs.clone()));
        let index = self.shared.index.get().cloned();
        let tools_config = tools::ToolsConfig {
            shell_default_timeout: std::time::Duration::from_millis(config.shell_timeout_ms),
            symbol_tools: index.is_some(),
            // Commands run in the sandbox helper (this binary, `codeloop sandbox`), never with the
            // server's rights unless the config says danger-full-access.
            sandbox: Some(agent::sandbox_policy(&config)),
            workspace_roots: vec![cwd.clone()],
            // Each thread's commands run on its own overlay of the workspace: they see the open
            // buffers, and their file changes come back as edit proposals (docs/overlay.md).
            workspace_overlay: true,
            overlay_state_dir: agent::rollout::state_dir(),
            ..tools::ToolsConfig::default()
        };
        let tools = agent::standard_tools(tools::ToolContext::new(cwd.clone(), view, index.clone(), tools_config), config.approval_policy);
        let started = tokio::task::spawn_blocking(move || {
            let state_dir = agent::rollout::state_dir();
            let persisted = |id: &str| -> Result<(PathBuf, ThreadId), AgentError> {
                let dir = state_dir
                    .clone()
                    .ok_or_else(|| AgentError::Failed("no state directory ($CODELOOP_STATE_DIR, $XDG_STATE_HOME or $HOME)".into()))?;
                let id = ThreadId(id.to_string());
                agent::rollout::check_thread_id(&id).map_err(|e| AgentError::InvalidParams(e.to_string()))?;
                agent::rollout::find_thread(&dir, &id).map_err(|e| AgentError::InvalidParams(e.to_string()))?;
                Ok((dir, id))
            };
            match start {
                Start::New => {
                    agent::start_thread(&config, &cwd, tools, state_dir.as_deref()).map_err(|e| AgentError::Failed(e.to_string()))
                }
                Start::Resume(id) => {
                    let (dir, id) = persisted(&id)?;
                    agent::resume_thread(&config, &cwd, tools, &dir, &id).map_err(|e| AgentError::Failed(e.to_string()))
                }
                Start::Fork(id) => {
                    let (dir, id) = persisted(&id)?;
                    let new_id = agent::new_thread_id();
                    drop(agent::rollout::fork(&dir, &id, new_id.clone()).map_err(|e| AgentError::Failed(e.to_string()))?);
                    agent::resume_thread(&config, &cwd, tools, &dir, &new_id).map_err(|e| AgentError::Failed(e.to_string()))
                }
            }
        })
        .await
        .map_err(|e| AgentError::Failed(format!("internal error: {e}")))?;
        let mut session = started?;
        session.config.index = index;
        let model = session.config.model.clone();
        let (handle, task) = agent::spawn(session, self.events_tx.clone());
        let id = handle.thread_id.clone();
        let entry = ThreadEntry {
            handle: handle.clone(),
            task: Some(task),
            model,
            submitted: u64::from(first.is_some()),
            titles: first.into_iter().collect(),
            running: None,
            usage: None,
            context_window: None,
        };
        // Registered before the turn is submitted, so that its TurnStarted finds the entry.
        self.threads().insert(id.clone(), entry);
        if let Some(setup) = self.setup.get().filter(|s| s.transcript) {
            self.transcripts.open(&self.client, &id, setup.features.show_document);
        }
        Ok((id, handle))
    }

    /// Interrupts the running turn of one thread, or of every thread. Returns the threads
    /// that had a turn running.
    pub fn cancel(&self, thread_id: Option<&str>) -> Result<Vec<String>, AgentError> {
        let threads = self.threads();
        if let Some(id) = thread_id {
            if !threads.contains_key(id) {
                return Err(AgentError::InvalidParams(format!("no live thread `{id}`")));
            }
        }
        let mut out = Vec::new();
        for (id, entry) in threads.iter().filter(|(id, _)| thread_id.is_none_or(|t| t == id.as_str())) {
            if entry.running.is_some() {
                entry.handle.submit(Op::Interrupt);
                out.push(id.clone());
            }
        }
        Ok(out)
    }

    /// At `shutdown`: every thread stops (a running turn is interrupted and its session file
    /// flushed by the thread). Waits, up to a bound, for the threads to finish, so their session
    /// files are synced and their overlays removed before the process exits.
    pub async fn shutdown_all(&self) {
        let tasks: Vec<tokio::task::JoinHandle<()>> = self
            .threads()
            .values_mut()
            .filter_map(|entry| {
                entry.handle.submit(Op::Shutdown);
                entry.task.take()
            })
            .collect();
        let all = futures::future::join_all(tasks);
        if tokio::time::timeout(SHUTDOWN_WAIT, all).await.is_err() {
            tracing::warn!("agent threads still running {SHUTDOWN_WAIT:?} after shutdown; exiting anyway");
        }
    }

    /// `window/workDoneProgress/cancel`: interrupts the turn whose progress has this token.
    pub fn cancel_progress(&self, token: &str) {
        let threads = self.threads();
        let found = threads.values().find(|e| e.running.as_ref().is_some_and(|r| r.token == token));
        match found {
            Some(entry) => {
                entry.handle.submit(Op::Interrupt);
            }
            None => tracing::info!(token, "progress cancel for no running turn"),
        }
    }

    /// `codeloop.status`.
    pub fn status(&self) -> Value {
        let threads = self.threads();
        let pending = self.approvals.pending();
        let list: Vec<Value> = threads
            .iter()
            .map(|(id, e)| {
                let approvals: Vec<&str> = pending.iter().filter(|a| a.thread_id == *id).map(|a| a.approval_id.as_str()).collect();
                let state = match (&e.running, approvals.is_empty()) {
                    (None, _) => "idle",
                    (Some(_), false) => "waitingForApproval",
                    (Some(_), true) => "running",
                };
                json!({
                    "threadId": id,
                    "state": state,
                    "turnId": e.running.as_ref().map(|r| r.turn_id.clone()),
                    "queuedTurns": e.titles.len(),
                    "model": e.model,
                    "tokenUsage": e.usage,
                    "contextWindow": e.context_window,
                    "pendingApprovals": approvals,
                })
            })
            .collect();
        let config_error = self.current_config().and_then(|c| c.err());
        json!({ "threads": list, "configError": config_error })
    }

    pub(crate) fn handle(&self, thread_id: &str) -> Option<ThreadHandle> {
        self.threads().get(thread_id).map(|e| e.handle.clone())
    }

    fn progress(&self, thread_id: &str) -> Option<TurnProgress> {
        self.threads().get(thread_id).and_then(|e| e.running.as_ref().map(|r| r.progress.clone()))
    }

    fn step(&self, thread_id: &str, step: impl Into<String>) {
        if let Some(p) = self.progress(thread_id) {
            p.step(step);
        }
    }

    fn end_turn(&self, thread_id: &str, message: String) {
        let running = self.threads().get_mut(thread_id).and_then(|e| e.running.take());
        if let Some(r) = running {
            r.progress.end(message);
        }
    }

    async fn on_event(self: &Arc<Self>, event: Event) {
        let Some(setup) = self.setup.get() else { return };
        if setup.events {
            self.client.send_notification::<AgentEventNotification>(event.clone()).await;
        }
        if setup.transcript {
            self.transcripts.event(&event, &self.docs);
        }
        let thread_id = event.thread_id.as_str();
        match event.msg {
            EventMsg::TurnStarted => {
                let turn_id = event.turn_id.clone().unwrap_or_default();
                let mut threads = self.threads();
                if let Some(entry) = threads.get_mut(thread_id) {
                    let queued = entry.titles.pop_front().unwrap_or_else(|| QueuedTurn { title: "codeloop".to_string(), token: None });
                    let (token, client_token) = match queued.token {
                        Some(NumberOrString::String(t)) => (t.clone(), Some(NumberOrString::String(t))),
                        Some(NumberOrString::Number(n)) => (n.to_string(), Some(NumberOrString::Number(n))),
                        None => (format!("codeloop/turn/{thread_id}/{turn_id}"), None),
                    };
                    let progress = TurnProgress::start(
                        self.client.clone(),
                        setup.features.work_done_progress,
                        token.clone(),
                        client_token,
                        queued.title,
                    );
                    entry.running = Some(RunningTurn { turn_id, token, progress });
                }
            }
            EventMsg::ModelRequest { .. } => self.step(thread_id, "thinking"),
            EventMsg::MessageDelta { delta, .. } | EventMsg::ReasoningSummaryDelta { delta, .. } => {
                if let Some(p) = self.progress(thread_id) {
                    p.delta(delta);
                }
            }
            EventMsg::ToolCallBegin { tool, summary, .. } => self.step(thread_id, step_of(&tool, &summary)),
            EventMsg::EditProposed { proposal_id, proposal, .. } => {
                if let Some(handle) = self.handle(thread_id) {
                    let turn = (thread_id.to_string(), event.turn_id.clone().unwrap_or_default());
                    tokio::spawn(crate::edit_flow::apply(self.clone(), handle, turn, proposal_id, proposal));
                }
            }
            EventMsg::ApprovalRequested { approval_id, request, .. } => {
                if let Some(handle) = self.handle(thread_id) {
                    let pending = PendingApproval { approval_id, thread_id: thread_id.to_string(), handle, request };
                    self.step(thread_id, format!("waiting for approval to {}", pending.describe()));
                    self.approvals.push(pending);
                }
            }
            EventMsg::TokenUsage { total, context_window, .. } => {
                if let Some(e) = self.threads().get_mut(thread_id) {
                    e.usage = Some(total);
                    e.context_window = context_window;
                }
            }
            EventMsg::TurnCompleted { last_message } => {
                let line = last_message.as_deref().map(first_line).filter(|l| !l.is_empty()).unwrap_or("done").to_string();
                self.end_turn(thread_id, line);
            }
            EventMsg::TurnAborted { reason } => self.end_turn(thread_id, format!("aborted: {reason}")),
            EventMsg::TurnFailed { error } => {
                self.client.log_message(MessageType::ERROR, format!("codeloop: turn failed: {error}")).await;
                self.end_turn(thread_id, format!("failed: {error}"));
            }
            EventMsg::Warning { message } => self.client.log_message(MessageType::WARNING, format!("codeloop: {message}")).await,
            EventMsg::Error { message } => self.client.log_message(MessageType::ERROR, format!("codeloop: {message}")).await,
            EventMsg::ThreadClosed => {
                self.end_turn(thread_id, "thread closed".into());
                self.threads().remove(thread_id);
                self.approvals.drop_thread(thread_id);
            }
            _ => {}
        }
    }
}

async fn dispatch(agents: Arc<Agents>, mut rx: mpsc::UnboundedReceiver<Event>) {
    while let Some(event) = rx.recv().await {
        agents.on_event(event).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_name_what_the_agent_does() {
        assert_eq!(step_of("shell", "cargo test"), "running cargo test");
        assert_eq!(step_of("apply_patch", "edit src/lib.rs"), "editing src/lib.rs");
        assert_eq!(step_of("read_file", "read a.rs"), "read a.rs");
        assert_eq!(first_line("\n  Done: fixed it.\nmore"), "Done: fixed it.");
    }
}
