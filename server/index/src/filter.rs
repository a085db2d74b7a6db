//! Which files the index skips, and why: too large, binary, not UTF-8 or minified.
//!
//! These checks look at sizes and bytes only. Which paths are walked at all (languages,
//! ignore files, hidden files) is decided in `walk`.

use std::fmt;

/// A line longer than this marks a file as minified (or generated data).
pub(crate) const MAX_LINE_BYTES: usize = 5_000;
/// Files over this size whose average line is longer than `MAX_AVERAGE_LINE` are minified.
pub(crate) const AVERAGE_CHECK_MIN_BYTES: usize = 20 * 1024;
pub(crate) const MAX_AVERAGE_LINE: usize = 300;
/// Only this many leading bytes are searched for a NUL, as git does.
pub(crate) const BINARY_PROBE_BYTES: usize = 8 * 1024;

/// Why a file was left out of the index. Persisted in the cache, so that a restart does not
/// read a skipped file again unless it changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipReason {
    TooLarge {
        bytes: u64,
        limit: u64,
    },
    /// A NUL byte in the first 8 KiB.
    Binary,
    NotUtf8,
    /// A line over 5,000 bytes, or an average line over 300 bytes in a file over 20 KiB.
    Minified {
        longest_line: u64,
        average_line: u64,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SkipReason::TooLarge { bytes, limit } => {
                write!(f, "too large ({} > {})", stdx::human_bytes(bytes), stdx::human_bytes(limit))
            }
            SkipReason::Binary => f.write_str("binary (NUL byte)"),
            SkipReason::NotUtf8 => f.write_str("not valid UTF-8"),
            SkipReason::Minified { longest_line, average_line } => {
                write!(f, "minified (longest line {longest_line} bytes, average {average_line})")
            }
        }
    }
}

impl SkipReason {
    /// A stable code and two numbers, for the cache.
    pub(crate) fn encode(self) -> (u8, u64, u64) {
        match self {
            SkipReason::TooLarge { bytes, limit } => (1, bytes, limit),
            SkipReason::Binary => (2, 0, 0),
            SkipReason::NotUtf8 => (3, 0, 0),
            SkipReason::Minified { longest_line, average_line } => (4, longest_line, average_line),
        }
    }

    pub(crate) fn decode(code: u8, a: u64, b: u64) -> Option<SkipReason> {
        Some(match code {
            1 => SkipReason::TooLarge { bytes: a, limit: b },
            2 => SkipReason::Binary,
            3 => SkipReason::NotUtf8,
            4 => SkipReason::Minified { longest_line: a, average_line: b },
            _ => return None,
        })
    }
}

pub(crate) fn check_size(size: u64, limit: u64) -> Option<SkipReason> {
    (size > limit).then_some(SkipReason::TooLarge { bytes: size, limit })
}

/// Checks the content of a file that passed `check_size`; on success returns it as text.
pub(crate) fn check_content(bytes: &[u8]) -> Result<&str, SkipReason> {
    let probe = &bytes[..bytes.len().min(BINARY_PROBE_BYTES)];
    if probe.contains(&0) {
        return Err(SkipReason::Binary);
    }
    let (mut lines, mut longest, mut start) = (0usize, 0usize, 0usize);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            longest = longest.max(i - start);
            start = i + 1;
            lines += 1;
        }
    }
    if start < bytes.len() {
        longest = longest.max(bytes.len() - start);
        lines += 1;
    }
    let average = bytes.len() / lines.max(1);
    if longest > MAX_LINE_BYTES || (bytes.len() > AVERAGE_CHECK_MIN_BYTES && average > MAX_AVERAGE_LINE) {
        return Err(SkipReason::Minified { longest_line: longest as u64, average_line: average as u64 });
    }
    std::str::from_utf8(bytes).map_err(|_| SkipReason::NotUtf8)
}
