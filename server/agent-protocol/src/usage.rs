//! Token usage as reported by the provider, and the rate-limit snapshot parsed from response headers.

use serde::{Deserialize, Serialize};

/// Usage of one model response (Responses `usage`, or Chat Completions `usage` when the server sends it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenUsage {
    pub input_tokens: u64,
    /// The part of `input_tokens` served from the provider's prompt cache.
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    /// The part of `output_tokens` spent on reasoning.
    pub reasoning_output_tokens: u64,
    pub total_tokens: u64,
}

impl TokenUsage {
    /// This total with another response's usage added.
    pub fn plus(&self, other: &TokenUsage) -> TokenUsage {
        let mut t = *self;
        t.add(other);
        t
    }

    /// Adds another response's usage to this running total.
    pub fn add(&mut self, other: &TokenUsage) {
        self.input_tokens += other.input_tokens;
        self.cached_input_tokens += other.cached_input_tokens;
        self.output_tokens += other.output_tokens;
        self.reasoning_output_tokens += other.reasoning_output_tokens;
        self.total_tokens += other.total_tokens;
    }
}

/// One rate-limit window (e.g. the primary 5-hour window), as the provider's headers describe it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitWindow {
    pub used_percent: Option<f64>,
    pub window_minutes: Option<u64>,
    /// Unix seconds at which the window resets.
    pub resets_at: Option<u64>,
}

/// The rate-limit state seen on the latest response. Every field is optional: providers send
/// different subsets (`x-codex-primary-*`, `x-ratelimit-*`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitSnapshot {
    pub primary: Option<RateLimitWindow>,
    pub secondary: Option<RateLimitWindow>,
    pub limit_requests: Option<u64>,
    pub remaining_requests: Option<u64>,
    pub limit_tokens: Option<u64>,
    pub remaining_tokens: Option<u64>,
    /// Seconds until the request limit resets, when the provider says so (`x-ratelimit-reset-requests`).
    pub reset_requests_seconds: Option<f64>,
    pub reset_tokens_seconds: Option<f64>,
}

impl RateLimitSnapshot {
    pub fn is_empty(&self) -> bool {
        *self == RateLimitSnapshot::default()
    }
}
