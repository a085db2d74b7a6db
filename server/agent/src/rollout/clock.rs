//! UTC calendar arithmetic for session files and prompts: RFC 3339 timestamps and `YYYY-MM-DD`
//! dates from a `SystemTime`, without a date-time dependency.
//!
//! Deliberately not here: local time (there is no timezone database) and parsing beyond what
//! listing sessions needs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// (year, month 1-12, day 1-31) of a count of days since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Seconds (possibly negative) and milliseconds since the epoch.
fn split(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_millis()),
        Err(e) => {
            let d = e.duration();
            let ms = d.as_millis() as i64;
            (-(ms + 999).div_euclid(1000), (1000 - (ms % 1000)) as u32 % 1000)
        }
    }
}

/// (year, month, day) of `t` in UTC.
pub fn utc_ymd(t: SystemTime) -> (i64, u32, u32) {
    civil_from_days(split(t).0.div_euclid(86_400))
}

/// `YYYY-MM-DD` of `t` in UTC.
pub fn utc_date(t: SystemTime) -> String {
    let (y, m, d) = utc_ymd(t);
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDThh:mm:ss.mmmZ` of `t`.
pub fn utc_timestamp(t: SystemTime) -> String {
    let (secs, ms) = split(t);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z", s / 3600, s / 60 % 60, s % 60)
}

/// The current time as `utc_timestamp` spells it.
pub fn now_timestamp() -> String {
    utc_timestamp(SystemTime::now())
}

/// The instant `secs` seconds after the epoch.
pub fn from_unix(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps() {
        assert_eq!(utc_timestamp(from_unix(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(utc_date(from_unix(951_782_400)), "2000-02-29");
        assert_eq!(utc_timestamp(from_unix(1_777_777_777) + Duration::from_millis(42)), "2026-05-03T03:09:37.042Z");
        assert_eq!(utc_date(from_unix(4_102_444_799)), "2099-12-31");
        assert_eq!(utc_timestamp(UNIX_EPOCH - Duration::from_secs(1)), "1969-12-31T23:59:59.000Z");
    }
}
