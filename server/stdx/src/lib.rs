//! Small extensions to std shared by every crate: the `never!` macro and a few helpers.
//!
//! This crate has no dependencies beyond `tracing` and holds no domain logic; anything
//! that knows about documents, syntax or LSP belongs elsewhere.

/// Reports an impossible state without panicking: logs it at error level and evaluates to
/// `true` when the condition holds, so callers can recover:
///
/// ```
/// # use stdx::never;
/// let len = 3;
/// if never!(len > 10, "length {} out of range", len) { /* recover */ }
/// ```
///
/// In debug builds of tests a `never!` still only logs: the server must keep answering.
#[macro_export]
macro_rules! never {
    ($cond:expr) => { $crate::never!($cond, "assertion failed: {}", stringify!($cond)) };
    ($cond:expr, $($fmt:tt)+) => {{
        let cond = $cond;
        if cond {
            $crate::tracing::error!(target: "never", $($fmt)+);
        }
        cond
    }};
}

#[doc(hidden)]
pub use tracing;

/// Formats a byte count for humans, e.g. `1.5 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// Reads the resident set size of this process (VmRSS) and its peak (VmHWM), in bytes.
/// Returns `None` where /proc is not available.
pub fn rss_bytes() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |key: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(key))?;
        let kb: u64 = line[key.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn never_reports_and_recovers() {
        assert!(never!(1 + 1 == 2, "math works {}", 2));
        assert!(!never!(false));
    }

    #[test]
    fn human_bytes_units() {
        assert_eq!(super::human_bytes(12), "12 B");
        assert_eq!(super::human_bytes(1536), "1.5 KiB");
    }
}

/// Joins argv into one line a POSIX shell would split back the same way (for display).
pub fn shell_join(argv: &[String]) -> String {
    let quote = |a: &String| {
        let safe = !a.is_empty() && a.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%^".contains(&b));
        if safe {
            a.clone()
        } else {
            format!("'{}'", a.replace('\'', "'\\''"))
        }
    };
    argv.iter().map(quote).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod shell_join_tests {
    #[test]
    fn quotes_only_what_needs_it() {
        let argv: Vec<String> = ["cargo", "test", "-p", "a b", "it's", ""].iter().map(|s| s.to_string()).collect();
        assert_eq!(super::shell_join(&argv), "cargo test -p 'a b' 'it'\\''s' ''");
    }
}

/// One of codeloop's directories: `$override_var`, else `$xdg_var/codeloop`, else
/// `$HOME/<home_rel>/codeloop`. Empty variables count as unset; `None` without a home either.
/// (Config: `CODELOOP_CONFIG_DIR`, `XDG_CONFIG_HOME`, `.config`; state: `CODELOOP_STATE_DIR`,
/// `XDG_STATE_HOME`, `.local/state`; cache: `CODELOOP_CACHE_DIR`, `XDG_CACHE_HOME`, `.cache`.)
pub fn app_dir(override_var: &str, xdg_var: &str, home_rel: &str) -> Option<std::path::PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(std::path::PathBuf::from);
    if let Some(dir) = var(override_var) {
        return Some(dir);
    }
    if let Some(dir) = var(xdg_var) {
        return Some(dir.join("codeloop"));
    }
    var("HOME").map(|home| home.join(home_rel).join("codeloop"))
}
