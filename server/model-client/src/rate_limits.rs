//! Rate-limit headers of a model response, parsed into agent-protocol's `RateLimitSnapshot`:
//! Codex's `x-codex-{primary,secondary}-{used-percent,window-minutes,reset-at,reset-after-seconds}`
//! and the common `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (OpenAI, OpenRouter, vLLM
//! gateways). Unparsable values are ignored: rate limits are advisory, never a reason to fail.
//!
//! Not here: deciding to wait (the retry loop reads `Retry-After`, not these).

use crate::retry::parse_duration;
use agent_protocol::{RateLimitSnapshot, RateLimitWindow};
use reqwest::header::HeaderMap;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// Parses the rate-limit headers; an empty snapshot when there are none.
pub fn parse_rate_limits(headers: &HeaderMap) -> RateLimitSnapshot {
    parse_rate_limits_at(headers, SystemTime::now())
}

pub(crate) fn parse_rate_limits_at(headers: &HeaderMap, now: SystemTime) -> RateLimitSnapshot {
    let now_secs = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let num = |name: &str| get(name).and_then(parse_num::<u64>);
    let window = |family: &str| {
        let w = RateLimitWindow {
            used_percent: get(&format!("x-codex-{family}-used-percent")).and_then(parse_num::<f64>),
            window_minutes: num(&format!("x-codex-{family}-window-minutes")),
            resets_at: num(&format!("x-codex-{family}-reset-at"))
                .or_else(|| num(&format!("x-codex-{family}-reset-after-seconds")).map(|s| now_secs + s)),
        };
        (w != RateLimitWindow::default()).then_some(w)
    };
    let reset = |name: &str| get(name).and_then(parse_duration).map(|d| d.as_secs_f64());
    RateLimitSnapshot {
        primary: window("primary"),
        secondary: window("secondary"),
        limit_requests: num("x-ratelimit-limit-requests"),
        remaining_requests: num("x-ratelimit-remaining-requests"),
        limit_tokens: num("x-ratelimit-limit-tokens"),
        remaining_tokens: num("x-ratelimit-remaining-tokens"),
        reset_requests_seconds: reset("x-ratelimit-reset-requests"),
        reset_tokens_seconds: reset("x-ratelimit-reset-tokens"),
    }
}

fn parse_num<T: FromStr>(s: &str) -> Option<T> {
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn both_families() {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("x-codex-primary-used-percent", "42.5"),
            ("x-codex-primary-window-minutes", "300"),
            ("x-codex-primary-reset-at", "1700000000"),
            ("x-codex-secondary-used-percent", "7"),
            ("x-codex-secondary-reset-after-seconds", "60"),
            ("x-ratelimit-limit-requests", "500"),
            ("x-ratelimit-remaining-requests", "499"),
            ("x-ratelimit-reset-requests", "120ms"),
            ("x-ratelimit-limit-tokens", "30000"),
            ("x-ratelimit-remaining-tokens", "29000"),
            ("x-ratelimit-reset-tokens", "6m0s"),
        ] {
            h.insert(k, v.parse().unwrap());
        }
        let snap = parse_rate_limits_at(&h, UNIX_EPOCH + Duration::from_secs(1000));
        expect_test::expect![[r#"
            RateLimitSnapshot {
                primary: Some(
                    RateLimitWindow {
                        used_percent: Some(
                            42.5,
                        ),
                        window_minutes: Some(
                            300,
                        ),
                        resets_at: Some(
                            1700000000,
                        ),
                    },
                ),
                secondary: Some(
                    RateLimitWindow {
                        used_percent: Some(
                            7.0,
                        ),
                        window_minutes: None,
                        resets_at: Some(
                            1060,
                        ),
                    },
                ),
                limit_requests: Some(
                    500,
                ),
                remaining_requests: Some(
                    499,
                ),
                limit_tokens: Some(
                    30000,
                ),
                remaining_tokens: Some(
                    29000,
                ),
                reset_requests_seconds: Some(
                    0.12,
                ),
                reset_tokens_seconds: Some(
                    360.0,
                ),
            }
        "#]]
        .assert_debug_eq(&snap);
    }

    #[test]
    fn no_headers_no_snapshot() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining-requests", "lots".parse().unwrap());
        assert!(parse_rate_limits(&h).is_empty());
    }
}
