//! Retry timing: the exponential backoff with jitter, and the delays servers ask for (`Retry-After`
//! as seconds or an HTTP-date, `retry-after-ms`, and "try again in 11.054s" hints in error messages).
//!
//! Not here: which errors are retried (`ModelError::retry_policy`) and the retry loop itself
//! (`stream.rs`), which owns the attempt counters and makes the sleeps cancellable.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Retry timing. Tests shrink these so that no test waits for seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryConfig {
    /// Delay before the first retry; doubled for each further one.
    pub base_delay: Duration,
    /// Cap on the exponential delay.
    pub max_delay: Duration,
    /// Relative jitter, e.g. 0.1 for ±10 %.
    pub jitter: f64,
    /// A server-requested delay longer than this is not waited for: the error surfaces instead.
    pub max_server_delay: Duration,
    /// Multiplies server-requested delays (1.0 in production; tests use e.g. 0.001 so that a
    /// `Retry-After: 2` is observable as a 2 ms wait).
    pub server_delay_scale: f64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            jitter: 0.1,
            max_server_delay: Duration::from_secs(120),
            server_delay_scale: 1.0,
        }
    }
}

impl RetryConfig {
    /// The backoff before retry number `attempt` (1-based): `base × 2^(attempt-1) ± jitter`, capped.
    pub fn backoff(&self, attempt: u64) -> Duration {
        let exp = attempt.saturating_sub(1).min(30) as i32;
        let raw = self.base_delay.as_secs_f64() * 2f64.powi(exp);
        let capped = raw.min(self.max_delay.as_secs_f64());
        let factor = if self.jitter > 0.0 { 1.0 + self.jitter * (fastrand::f64() * 2.0 - 1.0) } else { 1.0 };
        Duration::from_secs_f64((capped * factor).max(0.0))
    }

    /// The wait for a server-requested delay, or `None` when it is longer than we are willing to wait.
    pub fn server_delay(&self, requested: Duration) -> Option<Duration> {
        if requested > self.max_server_delay {
            return None;
        }
        Some(Duration::from_secs_f64(requested.as_secs_f64() * self.server_delay_scale.max(0.0)))
    }
}

/// Reads `retry-after-ms` (milliseconds, possibly fractional) or `Retry-After` (seconds or an HTTP-date).
pub(crate) fn retry_after_from_headers(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    parse_retry_after(text("retry-after")?, SystemTime::now())
}

/// `Retry-After: 120`, `Retry-After: 1.5` or `Retry-After: Wed, 21 Oct 2015 07:28:00 GMT`.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = parse_http_date(value)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(at.saturating_sub(now)))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7) into Unix seconds.
/// The obsolete RFC 850 and asctime forms are not accepted; servers have not sent them for decades.
fn parse_http_date(value: &str) -> Option<u64> {
    let rest = value.split_once(", ")?.1;
    let mut parts = rest.split_ascii_whitespace();
    let day: u64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if parts.next()? != "GMT" || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day as i64);
    u64::try_from(days).ok().map(|d| d * 86_400 + h * 3600 + m * 60 + s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Finds "try again in 11.054s" (also `20ms`, `1m30s`, `6 seconds`) in an error message.
pub(crate) fn delay_hint(message: &str) -> Option<Duration> {
    let lower = message.to_ascii_lowercase();
    let start = lower.find("try again in ")? + "try again in ".len();
    parse_duration(&lower[start..])
}

/// Parses a duration as providers write it: `1.5s`, `20ms`, `6m0s`, `1h2m3s`, `6 seconds`, `2 minutes`
/// or a bare number of seconds. Trailing text after the duration is ignored.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = 0.0f64;
    let mut rest = text.trim_start();
    let mut any = false;
    loop {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_len == 0 {
            break;
        }
        let Ok(value) = rest[..num_len].parse::<f64>() else { break };
        rest = rest[num_len..].trim_start_matches(' ');
        let unit_len = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ms" | "millisecond" | "milliseconds" => 0.001,
            "" | "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hour" | "hours" => 3600.0,
            _ => break,
        };
        total += value * scale;
        any = true;
        rest = &rest[unit_len..];
        if unit_len == 0 {
            break;
        }
    }
    (any && total.is_finite()).then(|| Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_bounded_jitter_and_cap() {
        let cfg = RetryConfig::default();
        for attempt in 1..=4u64 {
            let expected = 0.2 * 2f64.powi(attempt as i32 - 1);
            let got = cfg.backoff(attempt).as_secs_f64();
            assert!(got >= expected * 0.9 - 1e-9 && got <= expected * 1.1 + 1e-9, "attempt {attempt}: {got}");
        }
        assert!(cfg.backoff(40) <= Duration::from_secs_f64(11.0));
        let exact = RetryConfig { jitter: 0.0, ..RetryConfig::default() };
        assert_eq!(exact.backoff(3), Duration::from_millis(800));
    }

    #[test]
    fn retry_after_forms() {
        let now = UNIX_EPOCH + Duration::from_secs(1_445_412_470); // 2015-10-21 07:27:50 UTC
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0.5", now), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
    }

    #[test]
    fn hints_in_messages() {
        let m = "Rate limit reached for gpt-5 on tokens per min (TPM): Limit 30000. Please try again in 11.054s. Visit ...";
        assert_eq!(delay_hint(m), Some(Duration::from_millis(11_054)));
        assert_eq!(delay_hint("try again in 20ms"), Some(Duration::from_millis(20)));
        assert_eq!(delay_hint("Please try again in 1m30s."), Some(Duration::from_secs(90)));
        assert_eq!(delay_hint("Try again in 6 seconds"), Some(Duration::from_secs(6)));
        assert_eq!(delay_hint("slow down"), None);
        assert_eq!(parse_duration("6m0s"), Some(Duration::from_secs(360)));
    }

    #[test]
    fn server_delays_are_scaled_and_capped() {
        let cfg = RetryConfig { server_delay_scale: 0.001, ..RetryConfig::default() };
        assert_eq!(cfg.server_delay(Duration::from_secs(2)), Some(Duration::from_millis(2)));
        assert_eq!(cfg.server_delay(Duration::from_secs(3600)), None);
    }
}
