//! The typed events a model stream yields, the same for both wire dialects. The agent folds these
//! into its turn; nothing here knows how they were spelled on the wire.

use crate::error::ModelError;
use agent_protocol::{RateLimitSnapshot, ResponseItem, TokenUsage};
use std::fmt;
use std::time::Duration;

/// One event of a model response.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ResponseEvent {
    /// The server accepted the request (`response.created`, or the first Chat chunk).
    Created {
        response_id: Option<String>,
    },
    /// An output item began; it may be incomplete (empty text, no arguments yet).
    OutputItemAdded(ResponseItem),
    /// An output item is complete: this is the one to record in history.
    OutputItemDone(ResponseItem),
    OutputTextDelta {
        delta: String,
    },
    ReasoningSummaryDelta {
        delta: String,
        summary_index: u64,
    },
    /// A new reasoning summary part began (`response.reasoning_summary_part.added`).
    ReasoningSummaryPartAdded {
        summary_index: u64,
    },
    /// Raw reasoning text (`response.reasoning_text.delta`, Chat `reasoning_content`/`reasoning`).
    ReasoningContentDelta {
        delta: String,
        content_index: u64,
    },
    CustomToolCallInputDelta {
        call_id: String,
        delta: String,
    },
    /// Parsed from the response headers, before any other event of the attempt.
    RateLimits(RateLimitSnapshot),
    /// The response finished. Always the last event of a successful stream.
    Completed {
        response_id: String,
        usage: Option<TokenUsage>,
    },
    /// The attempt failed and is being retried after `delay`: discard every event since the last
    /// `Created` (or since the start) — the next attempt starts the response over.
    Retrying {
        attempt: u64,
        max: u64,
        delay: Duration,
        reason: ModelError,
    },
}

impl fmt::Display for ResponseEvent {
    /// One line per event, for logs and test snapshots.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let json = |item: &ResponseItem| serde_json::to_string(item).unwrap_or_default();
        match self {
            ResponseEvent::Created { response_id } => write!(f, "created {}", response_id.as_deref().unwrap_or("-")),
            ResponseEvent::OutputItemAdded(item) => write!(f, "item_added {}", json(item)),
            ResponseEvent::OutputItemDone(item) => write!(f, "item_done {}", json(item)),
            ResponseEvent::OutputTextDelta { delta } => write!(f, "text_delta {delta:?}"),
            ResponseEvent::ReasoningSummaryDelta { delta, summary_index } => write!(f, "summary_delta[{summary_index}] {delta:?}"),
            ResponseEvent::ReasoningSummaryPartAdded { summary_index } => write!(f, "summary_part[{summary_index}]"),
            ResponseEvent::ReasoningContentDelta { delta, content_index } => write!(f, "reasoning_delta[{content_index}] {delta:?}"),
            ResponseEvent::CustomToolCallInputDelta { call_id, delta } => write!(f, "custom_input_delta {call_id} {delta:?}"),
            ResponseEvent::RateLimits(snap) => write!(f, "rate_limits {}", serde_json::to_string(snap).unwrap_or_default()),
            ResponseEvent::Completed { response_id, usage } => match usage {
                Some(u) => write!(
                    f,
                    "completed {response_id} usage(in={} cached={} out={} reasoning={} total={})",
                    u.input_tokens, u.cached_input_tokens, u.output_tokens, u.reasoning_output_tokens, u.total_tokens
                ),
                None => write!(f, "completed {response_id}"),
            },
            ResponseEvent::Retrying { attempt, max, delay, reason } => {
                write!(f, "retrying {attempt}/{max} after {} ms: {} ({reason})", delay.as_millis(), reason.kind())
            }
        }
    }
}
