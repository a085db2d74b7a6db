//! `ModelError`, the one error type at this crate's boundary, and its retry classification.
//!
//! Every variant carries data (status, code, message, delays) rather than a formatted string, and
//! `retry_policy` classifies each one with an exhaustive match: adding a variant forces a decision.
//! How HTTP statuses and provider error bodies become variants lives in `http_error.rs`; how many
//! times and how long to wait lives in `retry.rs`.

use std::time::Duration;

/// A `Result` with this crate's error.
pub type Result<T, E = ModelError> = std::result::Result<T, E>;

/// Everything that can go wrong between the agent and a model.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The provider names an API key variable that is unset or empty.
    #[error("the environment variable {env_key} is not set{}", instructions.as_deref().map(|i| format!(": {i}")).unwrap_or_default())]
    MissingApiKey { env_key: String, instructions: Option<String> },
    /// The provider table cannot be used as it is (no base_url, a header that is not valid HTTP...).
    #[error("provider {provider}: {reason}")]
    InvalidProvider { provider: String, reason: String },
    /// The TCP or TLS connection could not be made.
    #[error("cannot connect to {url}: {message}")]
    Connect { url: String, message: String },
    /// The connection broke while sending the request or reading the response.
    #[error("transport error: {message}")]
    Transport { message: String },
    /// No SSE event (or no response headers) arrived for the provider's `stream_idle_timeout_ms`.
    #[error("no event from the model for {} ms (idle timeout)", after.as_millis())]
    IdleTimeout { after: Duration },
    /// The stream ended (EOF or disconnect) before the response completed.
    #[error("stream closed before the response completed ({events} events received)")]
    StreamClosed { events: u64 },
    /// An event whose data is not the JSON its type requires, or an event over the size limit.
    #[error("malformed {event_type} event: {message}")]
    MalformedEvent { event_type: String, message: String },
    /// 401/403: the key is wrong, expired or lacks access.
    #[error("authentication failed ({status}): {message}")]
    Unauthorized { status: u16, message: String },
    /// 429 that may be retried, with the delay the server asked for when it said one.
    #[error("rate limited: {message}")]
    RateLimited { message: String, retry_after: Option<Duration> },
    /// 429 `usage_limit_reached`: the plan's limit, which waiting a few seconds will not lift.
    #[error("usage limit reached: {message}")]
    UsageLimitReached { message: String, resets_in: Option<Duration> },
    /// `insufficient_quota` (or 402, `usage_not_included`): billing, not load.
    #[error("quota exceeded ({code}): {message}")]
    QuotaExceeded { code: String, message: String },
    /// The prompt does not fit the model's context window.
    #[error("context window exceeded: {message}")]
    ContextWindowExceeded { message: String },
    /// The server rejected the request itself (400, 404, 422, `invalid_prompt`, `cyber_policy`...).
    #[error("invalid request{}{}: {message}", status.map(|s| format!(" ({s})")).unwrap_or_default(), code.as_deref().map(|c| format!(" [{c}]")).unwrap_or_default())]
    InvalidRequest { status: Option<u16>, code: Option<String>, message: String },
    /// 503 `server_is_overloaded`, `slow_down`.
    #[error("the model server is overloaded: {message}")]
    ServerOverloaded { message: String, retry_after: Option<Duration> },
    /// Any other 5xx.
    #[error("server error ({status}): {message}")]
    ServerError { status: u16, message: String, retry_after: Option<Duration> },
    /// A status not covered above (408, 409 are retried; other 4xx are not).
    #[error("unexpected status {status}: {message}")]
    UnexpectedStatus { status: u16, message: String, retry_after: Option<Duration> },
    /// `response.failed` (or an error object in a Chat stream) with a code not mapped to a variant above.
    #[error("the response failed{}: {message}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    ResponseFailed { code: Option<String>, message: String, retry_after: Option<Duration> },
    /// `response.incomplete`, or a Chat `finish_reason` of `length` / `content_filter`.
    #[error("the response is incomplete: {reason}")]
    Incomplete { reason: String },
    /// The caller's cancellation token fired.
    #[error("cancelled")]
    Cancelled,
}

/// What to do after an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryPolicy {
    /// Surface the error.
    Never,
    /// Retry after the exponential backoff delay.
    Backoff,
    /// Retry after the delay the server asked for.
    After(Duration),
}

impl ModelError {
    /// Whether and when to retry. Exhaustive on purpose: a new variant must be classified here.
    pub fn retry_policy(&self) -> RetryPolicy {
        let after = |d: &Option<Duration>| d.map_or(RetryPolicy::Backoff, RetryPolicy::After);
        match self {
            ModelError::Connect { .. }
            | ModelError::Transport { .. }
            | ModelError::IdleTimeout { .. }
            | ModelError::StreamClosed { .. }
            | ModelError::MalformedEvent { .. } => RetryPolicy::Backoff,
            ModelError::RateLimited { retry_after, .. }
            | ModelError::ServerOverloaded { retry_after, .. }
            | ModelError::ServerError { retry_after, .. }
            | ModelError::ResponseFailed { retry_after, .. } => after(retry_after),
            ModelError::UnexpectedStatus { status, retry_after, .. } => match status {
                408 | 409 => after(retry_after),
                _ => RetryPolicy::Never,
            },
            ModelError::MissingApiKey { .. }
            | ModelError::InvalidProvider { .. }
            | ModelError::Unauthorized { .. }
            | ModelError::UsageLimitReached { .. }
            | ModelError::QuotaExceeded { .. }
            | ModelError::ContextWindowExceeded { .. }
            | ModelError::InvalidRequest { .. }
            | ModelError::Incomplete { .. }
            | ModelError::Cancelled => RetryPolicy::Never,
        }
    }

    pub fn is_retryable(&self) -> bool {
        self.retry_policy() != RetryPolicy::Never
    }

    /// A stable snake_case name for logs, telemetry and test snapshots.
    pub fn kind(&self) -> &'static str {
        match self {
            ModelError::MissingApiKey { .. } => "missing_api_key",
            ModelError::InvalidProvider { .. } => "invalid_provider",
            ModelError::Connect { .. } => "connect",
            ModelError::Transport { .. } => "transport",
            ModelError::IdleTimeout { .. } => "idle_timeout",
            ModelError::StreamClosed { .. } => "stream_closed",
            ModelError::MalformedEvent { .. } => "malformed_event",
            ModelError::Unauthorized { .. } => "unauthorized",
            ModelError::RateLimited { .. } => "rate_limited",
            ModelError::UsageLimitReached { .. } => "usage_limit_reached",
            ModelError::QuotaExceeded { .. } => "quota_exceeded",
            ModelError::ContextWindowExceeded { .. } => "context_window_exceeded",
            ModelError::InvalidRequest { .. } => "invalid_request",
            ModelError::ServerOverloaded { .. } => "server_overloaded",
            ModelError::ServerError { .. } => "server_error",
            ModelError::UnexpectedStatus { .. } => "unexpected_status",
            ModelError::ResponseFailed { .. } => "response_failed",
            ModelError::Incomplete { .. } => "incomplete",
            ModelError::Cancelled => "cancelled",
        }
    }

    /// Maps a transport error from reqwest to data.
    pub(crate) fn from_reqwest(err: &reqwest::Error, url: &str) -> ModelError {
        // The source chain says more than the top-level message ("error sending request").
        let mut message = err.to_string();
        let mut source = std::error::Error::source(err);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        if err.is_connect() {
            ModelError::Connect { url: url.to_string(), message }
        } else {
            ModelError::Transport { message }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let d = Some(Duration::from_secs(2));
        let cases = [
            (ModelError::Connect { url: "u".into(), message: "refused".into() }, RetryPolicy::Backoff),
            (ModelError::StreamClosed { events: 3 }, RetryPolicy::Backoff),
            (ModelError::RateLimited { message: "m".into(), retry_after: d }, RetryPolicy::After(Duration::from_secs(2))),
            (ModelError::RateLimited { message: "m".into(), retry_after: None }, RetryPolicy::Backoff),
            (ModelError::UnexpectedStatus { status: 409, message: "m".into(), retry_after: None }, RetryPolicy::Backoff),
            (ModelError::UnexpectedStatus { status: 418, message: "m".into(), retry_after: None }, RetryPolicy::Never),
            (ModelError::ContextWindowExceeded { message: "m".into() }, RetryPolicy::Never),
            (ModelError::QuotaExceeded { code: "insufficient_quota".into(), message: "m".into() }, RetryPolicy::Never),
            (ModelError::Cancelled, RetryPolicy::Never),
        ];
        for (err, policy) in cases {
            assert_eq!(err.retry_policy(), policy, "{err:?}");
        }
    }

    #[test]
    fn messages_are_clear() {
        let e = ModelError::MissingApiKey { env_key: "OPENAI_API_KEY".into(), instructions: Some("export it".into()) };
        assert_eq!(e.to_string(), "the environment variable OPENAI_API_KEY is not set: export it");
        let e = ModelError::InvalidRequest { status: Some(400), code: Some("invalid_prompt".into()), message: "bad".into() };
        assert_eq!(e.to_string(), "invalid request (400) [invalid_prompt]: bad");
    }
}
