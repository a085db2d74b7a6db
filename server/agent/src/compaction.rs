//! Running a compaction: ask the model for a summary of the history (local compaction, with our
//! own prompt), then replace the history with the initial context, the recent user messages and
//! the summary last. Used before a turn, mid-turn, on a context-window overflow, and on request.
//!
//! Providers that declare `supports_remote_compaction` (Responses API) are asked first with
//! `POST /responses/compact`; a failure there (other than a cancel) falls back to the local summary.
//! The pure parts (prompt, replacement shape, token estimates) are in `compact/`; this file does the
//! I/O.

use agent_protocol::{EventMsg, ResponseItem};
use futures::StreamExt;
use model_client::{ModelError, ResponseEvent};
use tokio_util::sync::CancellationToken;

use crate::compact::{
    build_compaction_request_input, drop_oldest_item, recent_user_messages, replacement_from_remote, replacement_history,
    summary_from_output, USER_MESSAGE_BUDGET_TOKENS,
};
use crate::ctx::EventSink;
use crate::session::Session;

/// How many times a compaction request that itself overflows is retried with the oldest item dropped.
const MAX_OVERFLOW_DROPS: usize = 64;

#[derive(Debug)]
pub(crate) enum CompactError {
    Cancelled,
    Model(ModelError),
}

pub(crate) async fn compact_session(session: &mut Session, events: &EventSink, cancel: &CancellationToken) -> Result<(), CompactError> {
    let tokens_before = session.estimated_tokens();
    let budget = session.config.budget.map_or(USER_MESSAGE_BUDGET_TOKENS, |b| b.user_message_budget());
    if session.config.client.supports_remote_compaction() {
        let request = session.request();
        match session.config.client.compact(&request, cancel.child_token()).await {
            Ok(output) if !output.is_empty() => {
                let recent = recent_user_messages(&session.history, budget);
                let replacement = replacement_from_remote(&session.config.initial_context, &recent, output);
                session.replace_history(replacement);
                let tokens_after = session.estimated_tokens();
                events.send(EventMsg::Compacted { tokens_before, tokens_after, remote: true });
                return Ok(());
            }
            Ok(_) => tracing::warn!("remote compaction returned nothing; compacting locally"),
            Err(ModelError::Cancelled) => return Err(CompactError::Cancelled),
            Err(e) => tracing::warn!("remote compaction failed ({e}); compacting locally"),
        }
    }
    let prefix = session.config.initial_context.len();
    let mut history = session.history.clone();
    let mut drops = 0;
    let summary = loop {
        match summarize(session, &history, cancel).await {
            Ok(s) => break s,
            Err(CompactError::Model(ModelError::ContextWindowExceeded { .. })) if drops < MAX_OVERFLOW_DROPS => {
                // The compaction request itself does not fit: forget the oldest item and retry.
                if !drop_oldest_item(&mut history, prefix) {
                    return Err(CompactError::Model(ModelError::ContextWindowExceeded {
                        message: "the history cannot be summarised: even the oldest items do not fit".into(),
                    }));
                }
                drops += 1;
            }
            Err(e) => return Err(e),
        }
    };
    let replacement = replacement_history(&session.config.initial_context, &session.history, &summary, budget);
    session.replace_history(replacement);
    let tokens_after = session.estimated_tokens();
    events.send(EventMsg::Compacted { tokens_before, tokens_after, remote: false });
    Ok(())
}

async fn summarize(session: &Session, history: &[ResponseItem], cancel: &CancellationToken) -> Result<String, CompactError> {
    let mut request = session.request();
    request.input = build_compaction_request_input(history, &session.config.compact_prompt);
    let mut stream = session.config.client.stream(&request, cancel.child_token()).map_err(CompactError::Model)?;
    let mut output = Vec::new();
    loop {
        let next = tokio::select! {
            n = stream.next() => n,
            _ = cancel.cancelled() => return Err(CompactError::Cancelled),
        };
        match next {
            Some(Ok(ResponseEvent::OutputItemDone(item))) => output.push(item),
            Some(Ok(ResponseEvent::Retrying { .. })) => output.clear(),
            Some(Ok(ResponseEvent::Completed { .. })) => break,
            Some(Ok(_)) => {}
            Some(Err(ModelError::Cancelled)) => return Err(CompactError::Cancelled),
            Some(Err(e)) => return Err(CompactError::Model(e)),
            None => return Err(CompactError::Model(ModelError::StreamClosed { events: 0 })),
        }
    }
    summary_from_output(&output).ok_or_else(|| {
        CompactError::Model(ModelError::InvalidRequest {
            status: None,
            code: None,
            message: "the compaction response had no summary text".into(),
        })
    })
}
