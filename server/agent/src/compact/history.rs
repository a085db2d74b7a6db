//! The pure parts of compaction: the input of a local summarization request, the replacement
//! history built from its summary (or from a remote compaction's output), and dropping the oldest
//! item when even the compaction request overflows the window.
//!
//! Layout of a replacement history: the initial context (unchanged, as given), then the most
//! recent messages the user really wrote (within a token budget, oldest dropped first), then the
//! summary, last, as a user message. Deliberately not here: the requests themselves (the turn loop
//! sends them with model-client) and recording the result (rollout's `Compacted` line).

use agent_protocol::{ResponseItem, Role};
use config::Config;

use super::tokens::{estimate_text_tokens, estimate_tokens, BYTES_PER_TOKEN};
use crate::prompt::is_injected_context;

/// Our summarization instructions, sent as the last user message of a local compaction request.
pub const SUMMARIZATION_PROMPT: &str = include_str!("summary_prompt.md");

/// The first line of the summary message; also how a history scan recognises it.
pub const SUMMARY_PREFIX: &str =
    "Summary of the earlier conversation (you wrote it when the history was compacted; the messages it covers are gone):";

/// Tokens of recent user messages a local compaction keeps (as Codex).
pub const USER_MESSAGE_BUDGET_TOKENS: u64 = 20_000;

/// A user message crossing the budget is cut to fit when at least this many tokens are left.
const MIN_TRUNCATED_TOKENS: u64 = 64;

/// The summarization prompt: `compact_prompt` from the config when set, else ours.
pub fn compaction_prompt(config: &Config) -> &str {
    config.compact_prompt.as_deref().filter(|p| !p.trim().is_empty()).unwrap_or(SUMMARIZATION_PROMPT)
}

/// The input of a local compaction request: the history as it is (minus items that cannot be
/// sent), then the summarization prompt as a user message.
pub fn build_compaction_request_input(history: &[ResponseItem], prompt: &str) -> Vec<ResponseItem> {
    let mut input: Vec<ResponseItem> = history.iter().filter(|i| i.is_sendable()).cloned().collect();
    input.push(ResponseItem::user_text(prompt));
    input
}

/// The summary in a compaction response's output: the text of its last assistant message.
pub fn summary_from_output(output: &[ResponseItem]) -> Option<String> {
    output
        .iter()
        .rev()
        .find(|i| matches!(i, ResponseItem::Message { role: Role::Assistant, .. }))
        .and_then(ResponseItem::message_text)
        .filter(|t| !t.trim().is_empty())
}

/// The summary as the user message that ends a replacement history.
pub fn summary_message(summary_text: &str) -> ResponseItem {
    ResponseItem::user_text(format!("{SUMMARY_PREFIX}\n\n{}", summary_text.trim()))
}

pub fn is_summary_message(item: &ResponseItem) -> bool {
    matches!(item, ResponseItem::Message { role: Role::User, .. }) && item.message_text().is_some_and(|t| t.starts_with(SUMMARY_PREFIX))
}

/// A message the user wrote: a user message that is neither injected context (AGENTS.md,
/// environment, editor context) nor a compaction summary.
pub fn is_real_user_message(item: &ResponseItem) -> bool {
    matches!(item, ResponseItem::Message { role: Role::User, .. }) && !is_injected_context(item) && !is_summary_message(item)
}

/// The most recent real user messages of `history` that fit in `budget_tokens`, in their
/// original order. The newest come first in the budget; the first one that does not fit is cut
/// in the middle when a useful part of the budget is left, and older ones are dropped.
pub fn recent_user_messages(history: &[ResponseItem], budget_tokens: u64) -> Vec<ResponseItem> {
    let mut kept = Vec::new();
    let mut left = budget_tokens;
    for item in history.iter().rev().filter(|i| is_real_user_message(i)) {
        let cost = estimate_tokens(item);
        if cost <= left {
            left -= cost;
            kept.push(item.clone());
            continue;
        }
        if left >= MIN_TRUNCATED_TOKENS {
            kept.push(truncate_middle(item, left));
        }
        break;
    }
    kept.reverse();
    kept
}

/// A user message cut in the middle so that it takes about `tokens` tokens (images dropped).
fn truncate_middle(item: &ResponseItem, tokens: u64) -> ResponseItem {
    let text = item.message_text().unwrap_or_default();
    // Leave room for the item's JSON and the marker.
    let keep = (tokens.saturating_sub(32) * BYTES_PER_TOKEN) as usize;
    if text.len() <= keep {
        return ResponseItem::user_text(text);
    }
    let mut head = keep / 2;
    while !text.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = text.len() - keep / 2;
    while !text.is_char_boundary(tail) {
        tail += 1;
    }
    let cut = estimate_text_tokens(&text[head..tail]);
    ResponseItem::user_text(format!("{}\n…[{cut} tokens cut]…\n{}", &text[..head], &text[tail..]))
}

/// The history after a local compaction: `initial_context` unchanged, the recent real user
/// messages of `history` within `user_message_budget_tokens`, and the summary last.
///
/// `initial_context` is the prefix the next requests start with; the caller passes the current
/// one (built from the current settings), so settings appended since the last prefix are folded
/// in and the history after compaction starts clean.
pub fn replacement_history(
    initial_context: &[ResponseItem],
    history: &[ResponseItem],
    summary_text: &str,
    user_message_budget_tokens: u64,
) -> Vec<ResponseItem> {
    let mut out = initial_context.to_vec();
    out.extend(recent_user_messages(history, user_message_budget_tokens));
    out.push(summary_message(summary_text));
    out
}

/// The history after a remote compaction (`POST {base_url}/responses/compact`): `initial_context`
/// unchanged, then the returned output as returned, minus what the provider echoes but does not
/// belong there (developer and system messages, injected context, reasoning, tool items). The
/// `compaction` item with its opaque `encrypted_content` is kept. When the output holds no real
/// user message, `recent_user_messages` (see the function of that name) go before it.
pub fn replacement_from_remote(
    initial_context: &[ResponseItem],
    recent_user_messages: &[ResponseItem],
    remote_output: Vec<ResponseItem>,
) -> Vec<ResponseItem> {
    let kept: Vec<ResponseItem> = remote_output
        .into_iter()
        .filter(|item| match item {
            ResponseItem::Message { role: Role::User, .. } => !is_injected_context(item),
            ResponseItem::Message { role: Role::Assistant, .. } | ResponseItem::Compaction { .. } => true,
            _ => false,
        })
        .collect();
    let mut out = initial_context.to_vec();
    if !kept.iter().any(is_real_user_message) {
        out.extend(recent_user_messages.iter().cloned());
    }
    out.extend(kept);
    out
}

/// Drops the oldest item after the first `keep_prefix` items (the initial context), with the
/// outputs of a dropped tool call, so that a compaction request that overflows the window can be
/// retried with the end of the history (the prompt-cache-relevant part stays the same) intact.
/// Returns false when there is nothing left to drop.
pub fn drop_oldest_item(history: &mut Vec<ResponseItem>, keep_prefix: usize) -> bool {
    if history.len() <= keep_prefix {
        return false;
    }
    let removed = history.remove(keep_prefix);
    if let ResponseItem::FunctionCall { call_id, .. } | ResponseItem::CustomToolCall { call_id, .. } = &removed {
        history.retain(|i| {
            !matches!(i, ResponseItem::FunctionCallOutput { call_id: c, .. } | ResponseItem::CustomToolCallOutput { call_id: c, .. } if c == call_id)
        });
    }
    true
}
