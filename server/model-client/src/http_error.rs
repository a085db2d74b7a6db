//! Turning what a provider says went wrong into a `ModelError`: non-2xx responses (status, headers,
//! body) and error objects inside a stream (`response.failed`, Chat `data: {"error": ...}`).
//!
//! Providers disagree on the body: OpenAI `{"error": {"message", "type", "code"}}`, Ollama
//! `{"error": "text"}`, OpenRouter numeric codes, llama.cpp `exceed_context_size_error`, vLLM's
//! "maximum context length" message, plain text from proxies. All are read here, leniently.
//!
//! Not here: whether a variant is retried (`error.rs`) or how long to wait (`retry.rs`).

use crate::error::ModelError;
use crate::retry::{delay_hint, retry_after_from_headers};
use reqwest::header::HeaderMap;
use serde_json::Value;

/// An error object as providers send it, normalized.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct ErrorObject {
    pub code: Option<String>,
    pub kind: Option<String>,
    pub message: String,
}

impl ErrorObject {
    /// Reads `{"error": {...}}`, `{"error": "text"}`, a bare `{"code", "message"}` object, or text.
    pub fn from_body(body: &str) -> ErrorObject {
        match serde_json::from_str::<Value>(body) {
            Ok(v) => ErrorObject::from_value(v.get("error").unwrap_or(&v)),
            Err(_) => ErrorObject { message: truncate(body.trim(), 2000), ..ErrorObject::default() },
        }
    }

    pub fn from_value(v: &Value) -> ErrorObject {
        let text = |key: &str| match v.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let message = match v {
            Value::String(s) => s.clone(),
            _ => text("message").or_else(|| text("detail")).unwrap_or_else(|| truncate(&v.to_string(), 2000)),
        };
        ErrorObject { code: text("code"), kind: text("type"), message }
    }

    fn is(&self, name: &str) -> bool {
        self.code.as_deref() == Some(name) || self.kind.as_deref() == Some(name)
    }

    fn says_context_exceeded(&self) -> bool {
        if self.is("context_length_exceeded") || self.is("exceed_context_size_error") {
            return true;
        }
        let m = self.message.to_ascii_lowercase();
        ["maximum context length", "context length exceeded", "exceeds the available context size", "context window"]
            .iter()
            .any(|p| m.contains(p))
    }

    /// The mapping for an error reported in-stream (`response.failed`, `error` events, Chat error
    /// chunks), by code as Codex maps `response.failed`.
    pub fn into_stream_error(self) -> ModelError {
        let ErrorObject { code, kind, message } = self.clone();
        if self.says_context_exceeded() {
            return ModelError::ContextWindowExceeded { message };
        }
        match code.as_deref().or(kind.as_deref()) {
            Some(c @ ("insufficient_quota" | "usage_not_included")) => ModelError::QuotaExceeded { code: c.to_string(), message },
            Some("usage_limit_reached") => ModelError::UsageLimitReached { resets_in: delay_hint(&message), message },
            Some(c @ ("invalid_prompt" | "cyber_policy" | "invalid_request_error")) => {
                ModelError::InvalidRequest { status: None, code: Some(c.to_string()), message }
            }
            Some("server_is_overloaded" | "slow_down") => ModelError::ServerOverloaded { retry_after: delay_hint(&message), message },
            _ => ModelError::ResponseFailed { retry_after: delay_hint(&message), code, message },
        }
    }
}

/// Maps a non-2xx response.
pub(crate) fn error_from_status(status: u16, headers: &HeaderMap, body: &str) -> ModelError {
    let err = ErrorObject::from_body(body);
    let retry_after = || retry_after_from_headers(headers).or_else(|| delay_hint(&err.message));
    let message = if err.message.is_empty() { format!("HTTP {status}") } else { err.message.clone() };
    match status {
        401 | 403 => ModelError::Unauthorized { status, message },
        402 => ModelError::QuotaExceeded { code: err.code.clone().unwrap_or_else(|| "payment_required".into()), message },
        429 if err.is("usage_limit_reached") => ModelError::UsageLimitReached { resets_in: retry_after(), message },
        429 if err.is("insufficient_quota") => ModelError::QuotaExceeded { code: "insufficient_quota".into(), message },
        429 => ModelError::RateLimited { retry_after: retry_after(), message },
        400 | 404 | 413 | 422 if err.says_context_exceeded() => ModelError::ContextWindowExceeded { message },
        400 | 404 | 422 if err.is("insufficient_quota") => ModelError::QuotaExceeded { code: "insufficient_quota".into(), message },
        400 | 404 | 405 | 413 | 415 | 422 => {
            ModelError::InvalidRequest { status: Some(status), code: err.code.clone().or(err.kind.clone()), message }
        }
        503 if err.is("server_is_overloaded") || err.is("slow_down") => {
            ModelError::ServerOverloaded { retry_after: retry_after(), message }
        }
        500..=599 => ModelError::ServerError { status, retry_after: retry_after(), message },
        _ => ModelError::UnexpectedStatus { status, retry_after: retry_after(), message },
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn status(code: u16, body: &str) -> ModelError {
        error_from_status(code, &HeaderMap::new(), body)
    }

    #[test]
    fn http_statuses() {
        let check = |code, body: &str, expect: expect_test::Expect| expect.assert_eq(&format!("{:?}", status(code, body)));
        check(
            401,
            r#"{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}"#,
            expect_test::expect![[r#"Unauthorized { status: 401, message: "Incorrect API key" }"#]],
        );
        check(
            429,
            r#"{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached"}}"#,
            expect_test::expect![[r#"UsageLimitReached { message: "The usage limit has been reached", resets_in: None }"#]],
        );
        check(
            429,
            r#"{"error":{"code":"insufficient_quota","message":"You exceeded your current quota"}}"#,
            expect_test::expect![[r#"QuotaExceeded { code: "insufficient_quota", message: "You exceeded your current quota" }"#]],
        );
        check(
            429,
            r#"{"error":{"message":"Rate limit reached. Please try again in 11.054s."}}"#,
            expect_test::expect![[
                r#"RateLimited { message: "Rate limit reached. Please try again in 11.054s.", retry_after: Some(11.054s) }"#
            ]],
        );
        check(
            400,
            r#"{"error":{"message":"This model's maximum context length is 4096 tokens. However, you requested 5000 tokens","type":"BadRequestError","code":400}}"#,
            expect_test::expect![[
                r#"ContextWindowExceeded { message: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens" }"#
            ]],
        );
        check(
            400,
            r#"{"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error"}}"#,
            expect_test::expect![[r#"ContextWindowExceeded { message: "the request exceeds the available context size" }"#]],
        );
        check(
            404,
            r#"{"error":"model 'llama9' not found"}"#,
            expect_test::expect![[r#"InvalidRequest { status: Some(404), code: None, message: "model 'llama9' not found" }"#]],
        );
        check(
            503,
            r#"{"error":{"code":"server_is_overloaded","message":"busy"}}"#,
            expect_test::expect![[r#"ServerOverloaded { message: "busy", retry_after: None }"#]],
        );
        check(
            502,
            "<html>Bad Gateway</html>",
            expect_test::expect![[r#"ServerError { status: 502, message: "<html>Bad Gateway</html>", retry_after: None }"#]],
        );
        check(409, "", expect_test::expect![[r#"UnexpectedStatus { status: 409, message: "HTTP 409", retry_after: None }"#]]);
    }

    #[test]
    fn retry_after_header_wins_over_the_body_hint() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", "3".parse().unwrap());
        let e = error_from_status(429, &h, r#"{"error":{"message":"try again in 20s"}}"#);
        assert_eq!(e, ModelError::RateLimited { message: "try again in 20s".into(), retry_after: Some(Duration::from_secs(3)) });
    }

    #[test]
    fn stream_errors_map_by_code() {
        let failed =
            |code: &str, message: &str| ErrorObject { code: Some(code.into()), kind: None, message: message.into() }.into_stream_error();
        assert_eq!(
            failed("rate_limit_exceeded", "Rate limit reached for gpt-5. Please try again in 11.054s."),
            ModelError::ResponseFailed {
                code: Some("rate_limit_exceeded".into()),
                message: "Rate limit reached for gpt-5. Please try again in 11.054s.".into(),
                retry_after: Some(Duration::from_millis(11_054)),
            }
        );
        assert!(matches!(failed("context_length_exceeded", "too long"), ModelError::ContextWindowExceeded { .. }));
        assert!(matches!(failed("insufficient_quota", "pay"), ModelError::QuotaExceeded { .. }));
        assert!(matches!(failed("invalid_prompt", "no"), ModelError::InvalidRequest { .. }));
        assert!(matches!(failed("cyber_policy", "no"), ModelError::InvalidRequest { .. }));
        assert!(matches!(failed("server_is_overloaded", "busy"), ModelError::ServerOverloaded { .. }));
        assert!(failed("server_error", "oops").is_retryable());
    }
}
