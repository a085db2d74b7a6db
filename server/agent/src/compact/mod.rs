//! Compaction, the pure parts: token accounting (when to compact), the local summarization
//! request's input and our summarization prompt, and the replacement history built from a local
//! summary or a remote compaction's output.
//!
//! Invariants: the summary (or the remote `compaction` item) is the last item of a replacement
//! history; the initial-context prefix is kept byte for byte; only messages the user really wrote
//! are kept, newest first within a budget. Deliberately not here: sending the requests, retries,
//! events and recording (the turn loop), and anything about prompt assembly beyond recognising
//! injected context.

mod history;
#[cfg(test)]
mod tests;
mod tokens;

pub use history::{
    build_compaction_request_input, compaction_prompt, drop_oldest_item, is_real_user_message, is_summary_message, recent_user_messages,
    replacement_from_remote, replacement_history, summary_from_output, summary_message, SUMMARIZATION_PROMPT, SUMMARY_PREFIX,
    USER_MESSAGE_BUDGET_TOKENS,
};
pub use tokens::{estimate_items_tokens, estimate_text_tokens, estimate_tokens, tokens_of_bytes, TokenBudget, BYTES_PER_TOKEN};
