//! Scheduling the tool calls of one model response. A call starts as soon as its output item is
//! done, before the response completes. Parallel-safe calls run concurrently; an exclusive call
//! (apply_patch, update_plan) waits for every earlier call and holds back every later one. Outputs
//! are collected in call order, and every call gets one: "aborted" when the turn is cancelled.

use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_protocol::EventMsg;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::ctx::{CallContext, EventSink, Pending};
use crate::runtime::{ToolCall, ToolOutcome, ToolRuntime};

/// How long a cancelled tool may take to wind down (kill its children) before it is abandoned.
const CANCEL_GRACE: Duration = Duration::from_millis(500);

pub(crate) struct CallScheduler {
    runtime: Arc<dyn ToolRuntime>,
    cancel: CancellationToken,
    turn: CancellationToken,
    events: EventSink,
    pending: Pending,
    approval_timeout: Duration,
    /// Completion signals of the parallel calls started since the last exclusive call.
    inflight: Vec<watch::Receiver<bool>>,
    last_exclusive: Option<watch::Receiver<bool>>,
    calls: Vec<(ToolCall, JoinHandle<ToolOutcome>)>,
}

impl CallScheduler {
    pub fn new(
        runtime: Arc<dyn ToolRuntime>,
        cancel: CancellationToken,
        turn: CancellationToken,
        events: EventSink,
        pending: Pending,
        approval_timeout: Duration,
    ) -> CallScheduler {
        CallScheduler {
            runtime,
            cancel,
            turn,
            events,
            pending,
            approval_timeout,
            inflight: Vec::new(),
            last_exclusive: None,
            calls: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Starts `call` now, or as soon as the calls it must follow are done.
    pub fn submit(&mut self, call: ToolCall) {
        let (done_tx, done_rx) = watch::channel(false);
        let parallel = self.runtime.is_parallel_safe(&call);
        let waits: Vec<watch::Receiver<bool>> = if parallel {
            self.last_exclusive.iter().cloned().collect()
        } else {
            let mut w: Vec<_> = self.inflight.drain(..).collect();
            w.extend(self.last_exclusive.take());
            w
        };
        if parallel {
            self.inflight.push(done_rx);
        } else {
            self.last_exclusive = Some(done_rx);
        }
        let runtime = self.runtime.clone();
        let cancel = self.cancel.clone();
        let ctx = CallContext {
            call_id: call.call_id.clone(),
            cancel: cancel.clone(),
            turn: self.turn.clone(),
            events: self.events.clone(),
            pending: self.pending.clone(),
            approval_timeout: self.approval_timeout,
        };
        let events = self.events.clone();
        let task_call = call.clone();
        let handle = tokio::spawn(async move {
            let call = task_call;
            for mut w in waits {
                // An error means the earlier call's task is gone, which also means it is done.
                tokio::select! {
                    _ = w.wait_for(|done| *done) => {}
                    _ = cancel.cancelled() => {}
                }
            }
            let outcome =
                if cancel.is_cancelled() { ToolOutcome::aborted() } else { run_one(runtime, call.clone(), ctx, &cancel, &events).await };
            let _ = done_tx.send(true);
            outcome
        });
        self.calls.push((call, handle));
    }

    /// Cancels every call of this response (running ones wind down, waiting ones never start).
    pub fn abort(&self) {
        self.cancel.cancel();
    }

    /// Waits for every call and returns the outputs in call order.
    pub async fn finish(self) -> Vec<(ToolCall, ToolOutcome)> {
        let mut out = Vec::with_capacity(self.calls.len());
        for (call, handle) in self.calls {
            let outcome = match handle.await {
                Ok(o) => o,
                Err(e) => {
                    tracing::error!(call_id = %call.call_id, tool = %call.name, "tool task failed: {e}");
                    if e.is_panic() {
                        ToolOutcome::error(format!("internal error: the {} tool crashed; the call had no effect that is known", call.name))
                    } else {
                        ToolOutcome::aborted()
                    }
                }
            };
            out.push((call, outcome));
        }
        out
    }
}

async fn run_one(
    runtime: Arc<dyn ToolRuntime>,
    call: ToolCall,
    ctx: CallContext,
    cancel: &CancellationToken,
    events: &EventSink,
) -> ToolOutcome {
    let started = Instant::now();
    let tool = call.name.clone();
    let call_id = call.call_id.clone();
    events.send(EventMsg::ToolCallBegin { call_id: call_id.clone(), tool: tool.clone(), summary: runtime.summary(&call) });
    let span = tracing::info_span!("tool_call", tool = %tool, call_id = %call_id);
    let run = runtime.run(call, ctx).instrument(span);
    tokio::pin!(run);
    let outcome = tokio::select! {
        o = &mut run => o,
        _ = cancel.cancelled() => {
            // Let the tool kill its children, but do not wait on it forever.
            let _ = tokio::time::timeout(CANCEL_GRACE, &mut run).await;
            ToolOutcome::aborted()
        }
    };
    let outcome = if cancel.is_cancelled() { ToolOutcome::aborted() } else { outcome };
    let duration_ms = started.elapsed().as_millis() as u64;
    tracing::debug!(tool = %tool, call_id = %call_id, elapsed_ms = duration_ms, success = outcome.success, "tool call finished");
    events.send(EventMsg::ToolCallEnd { call_id, tool, success: outcome.success, output: outcome.output.clone(), duration_ms });
    outcome
}
