//! Token accounting for deciding when to compact: a byte-based estimate for items the provider
//! has not counted yet, and the budget (the context window and the auto-compaction threshold).
//!
//! The estimate is deliberately crude and consistent: the item's JSON size over four, rounded up,
//! the same function everywhere. It errs high for base64 (images, encrypted reasoning), which
//! errs on the side of compacting early. Deliberately not here: a tokenizer, and the provider's
//! model catalog (the window comes from the caller or the config).

use agent_protocol::{ResponseItem, TokenUsage};
use config::Config;
use std::io;

pub const BYTES_PER_TOKEN: u64 = 4;

/// Counts bytes written through it.
struct ByteCount(u64);

impl io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Tokens of `bytes` bytes.
pub fn tokens_of_bytes(bytes: u64) -> u64 {
    bytes.div_ceil(BYTES_PER_TOKEN)
}

/// The estimated tokens of a text.
pub fn estimate_text_tokens(text: &str) -> u64 {
    tokens_of_bytes(text.len() as u64)
}

/// The estimated tokens of one item: its serialized (wire) size over four.
pub fn estimate_tokens(item: &ResponseItem) -> u64 {
    let mut count = ByteCount(0);
    // Serializing these types into a counter cannot fail; a failure would only lower the estimate.
    let _ = serde_json::to_writer(&mut count, item);
    tokens_of_bytes(count.0)
}

pub fn estimate_items_tokens(items: &[ResponseItem]) -> u64 {
    items.iter().map(estimate_tokens).sum()
}

/// The context window and the point at which to compact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenBudget {
    pub context_window: u64,
    /// Compact once the estimated context reaches this many tokens.
    pub auto_compact_limit: u64,
}

impl TokenBudget {
    /// The default threshold, as a percentage of the window: below Codex's 90 % to leave headroom
    /// for the compaction request itself and for the response.
    pub const DEFAULT_THRESHOLD_PERCENT: u64 = 80;

    /// The budget of a `context_window`: the limit is 80 % of the window, or `configured` when
    /// that is lower (a configured limit can only lower the threshold; 0 is ignored).
    pub fn new(context_window: u64, configured: Option<u64>) -> TokenBudget {
        let default = context_window.saturating_mul(Self::DEFAULT_THRESHOLD_PERCENT) / 100;
        let auto_compact_limit = configured.filter(|&c| c > 0).map_or(default, |c| c.min(default));
        TokenBudget { context_window, auto_compact_limit }
    }

    /// The budget from `model_context_window` and `model_auto_compact_token_limit`, the window
    /// falling back to `known_window` (what the caller knows of the model); `None` when neither
    /// is known, in which case nothing is compacted automatically.
    pub fn from_config(config: &Config, known_window: Option<u64>) -> Option<TokenBudget> {
        let window = config.model_context_window.or(known_window).filter(|&w| w > 0)?;
        Some(TokenBudget::new(window, config.model_auto_compact_token_limit))
    }

    /// The tokens the next request's input will take: the total of the last reported usage plus
    /// an estimate of the items recorded since that response (tool outputs, new user messages).
    /// With no usage reported yet, `items_since` should be the whole input.
    pub fn estimate_context(last_reported: Option<&TokenUsage>, items_since: &[ResponseItem]) -> u64 {
        last_reported.map_or(0, |u| u.total_tokens).saturating_add(estimate_items_tokens(items_since))
    }

    /// Whether the context has reached the auto-compaction limit.
    pub fn should_compact(&self, last_reported: Option<&TokenUsage>, items_since: &[ResponseItem]) -> bool {
        Self::estimate_context(last_reported, items_since) >= self.auto_compact_limit
    }

    /// The budget for the recent user messages kept by a local compaction: 20 000 tokens (as
    /// Codex), or a tenth of the window when that is smaller.
    pub fn user_message_budget(&self) -> u64 {
        (self.context_window / 10).min(super::USER_MESSAGE_BUDGET_TOKENS)
    }
}
