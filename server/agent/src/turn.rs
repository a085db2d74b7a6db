//! One turn: send the history, stream the answer, run each tool call as soon as its item is done,
//! record the outputs in call order, and repeat until the model answers without tool calls.
//!
//! Improvements over the Codex CLI's loop, by design:
//! - a response that ends on a `commentary` message with no tool call (the model said what it
//!   will do and stopped) is continued instead of ending the turn (bounded, see
//!   `MAX_COMMENTARY_CONTINUATIONS`);
//! - on cancellation every call of the response still gets an output ("aborted") and the history
//!   stays consistent, so the next turn's request is valid.

use agent_protocol::{EventMsg, ItemKind, MessagePhase, ResponseItem};
use futures::StreamExt;
use model_client::{ModelError, ResponseEvent};
use tokio_util::sync::CancellationToken;

use crate::calls::CallScheduler;
use crate::compaction::{compact_session, CompactError};
use crate::ctx::{EventSink, Pending};
use crate::runtime::ToolCall;
use crate::session::Session;

/// How many times in a row a commentary-only answer is continued before the turn ends anyway.
const MAX_COMMENTARY_CONTINUATIONS: u32 = 2;

/// How a turn ended.
#[derive(Debug, PartialEq)]
pub enum TurnEnd {
    Completed { last_message: Option<String> },
    Aborted,
    Failed(ModelError),
}

/// What one model response did.
struct Sampled {
    had_calls: bool,
    last_message: Option<String>,
    ended_on_commentary: bool,
}

enum SampleError {
    Cancelled,
    Model(ModelError),
}

/// Runs a turn whose user input is already recorded in the history.
pub async fn run_turn(session: &mut Session, events: &EventSink, pending: &Pending, cancel: &CancellationToken) -> TurnEnd {
    let mut continuations = 0;
    let mut last_message = None;
    let mut compacted_for_overflow = false;
    let mut requests = 0u32;
    loop {
        requests += 1;
        match sample(session, events, pending, cancel, requests).await {
            Ok(s) => {
                if s.last_message.is_some() {
                    last_message = s.last_message;
                }
                if s.had_calls {
                    continuations = 0;
                    // Mid-turn compaction: the tool outputs may have filled the window.
                    if session.should_compact() {
                        match compact_session(session, events, cancel).await {
                            Ok(()) => {}
                            Err(CompactError::Cancelled) => return TurnEnd::Aborted,
                            Err(CompactError::Model(e)) => return TurnEnd::Failed(e),
                        }
                    }
                    continue;
                }
                if s.ended_on_commentary && continuations < MAX_COMMENTARY_CONTINUATIONS {
                    continuations += 1;
                    tracing::info!("the response ended on a commentary message without tool calls; continuing the turn");
                    continue;
                }
                return TurnEnd::Completed { last_message };
            }
            Err(SampleError::Cancelled) => return TurnEnd::Aborted,
            Err(SampleError::Model(ModelError::ContextWindowExceeded { message })) if !compacted_for_overflow => {
                // Compact and retry once instead of failing the turn.
                compacted_for_overflow = true;
                tracing::warn!("context window exceeded ({message}); compacting and retrying");
                match compact_session(session, events, cancel).await {
                    Ok(()) => continue,
                    Err(CompactError::Cancelled) => return TurnEnd::Aborted,
                    Err(CompactError::Model(e)) => return TurnEnd::Failed(e),
                }
            }
            Err(SampleError::Model(e)) => return TurnEnd::Failed(e),
        }
    }
}

/// One model request and its tool calls.
async fn sample(
    session: &mut Session,
    events: &EventSink,
    pending: &Pending,
    cancel: &CancellationToken,
    request_number: u32,
) -> Result<Sampled, SampleError> {
    let request = session.request();
    let attempt_cancel = cancel.child_token();
    let (tools, approval_timeout) = (session.config.tools.clone(), session.config.approval_timeout);
    let new_scheduler = |token: CancellationToken| {
        CallScheduler::new(tools.clone(), token, cancel.clone(), events.clone(), pending.clone(), approval_timeout)
    };
    // Items written ahead to the session file for this attempt (see `Session::write_ahead`).
    let mut written = 0usize;
    let mut scheduler = new_scheduler(attempt_cancel.child_token());
    events.send(EventMsg::ModelRequest { request: request_number });
    let mut stream = session.config.client.stream(&request, attempt_cancel.clone()).map_err(SampleError::Model)?;
    let mut items: Vec<ResponseItem> = Vec::new();
    let mut item_seq = 0u64;
    let mut current_item = String::new();
    let mut usage_seen = None;
    let outcome: Result<(), SampleError> = loop {
        let next = tokio::select! {
            ev = stream.next() => ev,
            _ = cancel.cancelled() => break Err(SampleError::Cancelled),
        };
        let ev = match next {
            Some(Ok(ev)) => ev,
            Some(Err(ModelError::Cancelled)) => break Err(SampleError::Cancelled),
            Some(Err(e)) => break Err(SampleError::Model(e)),
            None => break Err(SampleError::Model(ModelError::StreamClosed { events: 0 })),
        };
        match ev {
            ResponseEvent::OutputItemAdded(item) => {
                item_seq += 1;
                current_item = format!("item-{item_seq}");
                if let Some(kind) = kind_of(&item) {
                    events.send(EventMsg::ItemStarted { item_id: current_item.clone(), kind });
                }
            }
            ResponseEvent::OutputTextDelta { delta } => events.send(EventMsg::MessageDelta { item_id: current_item.clone(), delta }),
            ResponseEvent::ReasoningSummaryDelta { delta, .. } => {
                events.send(EventMsg::ReasoningSummaryDelta { item_id: current_item.clone(), delta })
            }
            ResponseEvent::OutputItemDone(item) => {
                if let Some(kind) = kind_of(&item) {
                    events.send(EventMsg::ItemCompleted { item_id: current_item.clone(), kind, text: item.message_text() });
                }
                if item.is_sendable() {
                    // Written before the call starts, so a killed process still leaves the call
                    // (and gets an "aborted" output on resume).
                    session.write_ahead(&item);
                    written += 1;
                }
                if let Some(call) = ToolCall::from_item(&item) {
                    scheduler.submit(call);
                }
                if item.is_sendable() {
                    items.push(item);
                }
            }
            ResponseEvent::Completed { usage, .. } => {
                if let Some(u) = usage {
                    usage_seen = Some(u);
                    events.send(EventMsg::TokenUsage {
                        last: u,
                        total: session.total_usage.plus(&u),
                        context_window: session.config.context_window,
                    });
                }
                break Ok(());
            }
            ResponseEvent::Retrying { attempt, max, delay, reason } => {
                // The next attempt starts the response over: drop this attempt's items and calls.
                scheduler.abort();
                let _ = scheduler.finish().await;
                scheduler = new_scheduler(attempt_cancel.child_token());
                items.clear();
                session.discard_written(written);
                written = 0;
                events.send(EventMsg::StreamRetry { attempt, max, delay_ms: delay.as_millis() as u64, reason: reason.to_string() });
            }
            ResponseEvent::RateLimits(snapshot) if !snapshot.is_empty() => events.send(EventMsg::RateLimits { snapshot }),
            _ => {}
        }
    };
    drop(stream);
    if outcome.is_err() {
        scheduler.abort();
    }
    let had_calls = !scheduler.is_empty();
    let results = scheduler.finish().await;
    let last_message = items.iter().rev().find_map(|i| match i {
        ResponseItem::Message { role: agent_protocol::Role::Assistant, .. } => i.message_text(),
        _ => None,
    });
    let ended_on_commentary = matches!(items.last(), Some(ResponseItem::Message { phase: Some(MessagePhase::Commentary), .. }));
    match &outcome {
        // A failed response is not recorded (the request will be retried or the turn fails), but
        // a cancelled one is: the user saw it, and every call it made gets its "aborted" output.
        Err(SampleError::Model(_)) => session.discard_written(written),
        Ok(()) | Err(SampleError::Cancelled) => {
            session.adopt(items);
            if let Some(u) = usage_seen {
                session.record_usage(u);
            }
            session.record(results.into_iter().map(|(call, outcome)| call.output_item(outcome.output)));
        }
    }
    outcome.map(|()| Sampled { had_calls, last_message, ended_on_commentary })
}

fn kind_of(item: &ResponseItem) -> Option<ItemKind> {
    match item {
        ResponseItem::Message { .. } => Some(ItemKind::Message),
        ResponseItem::Reasoning { .. } => Some(ItemKind::Reasoning),
        ResponseItem::FunctionCall { .. } | ResponseItem::CustomToolCall { .. } => Some(ItemKind::ToolCall),
        _ => None,
    }
}
