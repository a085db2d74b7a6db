//! Finding a chunk's lines in a file: `seek` tries four levels of leniency in order (exact,
//! trailing whitespace ignored, trimmed, Unicode punctuation normalised) and takes the first
//! level that matches anywhere at or after the cursor; `closest` finds the best partial
//! match for error messages.
//!
//! Lines are compared without their line ends. Nothing here edits text.

use std::borrow::Cow;

/// How leniently a chunk matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Exact,
    TrailingWhitespace,
    Trimmed,
    Unicode,
}

const LEVELS: [Level; 4] = [Level::Exact, Level::TrailingWhitespace, Level::Trimmed, Level::Unicode];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    /// Index of the first matching line.
    pub(crate) start: usize,
    pub(crate) level: Level,
    /// Another match exists at or after the cursor at the same level.
    pub(crate) ambiguous: bool,
}

/// The line as compared at `level`.
fn normal(line: &str, level: Level) -> Cow<'_, str> {
    match level {
        Level::Exact => Cow::Borrowed(line),
        Level::TrailingWhitespace => Cow::Borrowed(line.trim_end()),
        Level::Trimmed => Cow::Borrowed(line.trim()),
        Level::Unicode => Cow::Owned(normalize_punctuation(line.trim())),
    }
}

/// Maps typographic punctuation and exotic spaces to ASCII, the way models and word
/// processors disagree with source files.
pub(crate) fn normalize_punctuation(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}'
            | '\u{FF0D}' => '-',
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{FF07}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}' | '\u{00BB}' | '\u{FF02}' => '"',
            '\u{00A0}' | '\u{2002}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => ' ',
            '\u{2026}' => '.',
            other => other,
        })
        .collect::<String>()
        .replace('\u{200B}', "")
}

fn matches_at(lines: &[&str], pattern: &[String], at: usize, level: Level) -> bool {
    pattern.iter().enumerate().all(|(j, p)| lines.get(at + j).is_some_and(|l| normal(l, level) == normal(p, level)))
}

/// Finds `pattern` in `lines` at or after `start`. With `eof`, the pattern must end the
/// file, so only the last possible position is tried. An empty pattern matches at `start`
/// (or at the end with `eof`).
pub(crate) fn seek(lines: &[&str], pattern: &[String], start: usize, eof: bool) -> Option<Found> {
    if pattern.is_empty() {
        let at = if eof { lines.len() } else { start.min(lines.len()) };
        return Some(Found { start: at, level: Level::Exact, ambiguous: false });
    }
    let last = lines.len().checked_sub(pattern.len())?;
    if start > last {
        return None;
    }
    for level in LEVELS {
        if eof {
            if matches_at(lines, pattern, last, level) {
                return Some(Found { start: last, level, ambiguous: false });
            }
            continue;
        }
        let mut hits = (start..=last).filter(|&i| matches_at(lines, pattern, i, level));
        if let Some(first) = hits.next() {
            return Some(Found { start: first, level, ambiguous: hits.next().is_some() });
        }
    }
    None
}

/// The position where the most lines of `pattern` match (trimmed and normalised), for an
/// error message: `(start line index, lines equal)`. `None` when no non-blank line matches.
pub(crate) fn closest(lines: &[&str], pattern: &[String]) -> Option<(usize, usize)> {
    if pattern.is_empty() || lines.is_empty() {
        return None;
    }
    // Quadratic: cap the work on huge files, where the first part of the file is searched.
    let budget = 20_000_000 / pattern.len().max(1);
    let norm_lines: Vec<String> = lines.iter().take(budget).map(|l| normalize_punctuation(l.trim())).collect();
    let norm_pattern: Vec<String> = pattern.iter().map(|p| normalize_punctuation(p.trim())).collect();
    let mut best: Option<(usize, usize)> = None;
    // A chunk may start before the file does (its first lines missing): allow starts where
    // only the tail of the pattern overlaps the file, by scoring every alignment.
    for i in 0..norm_lines.len() {
        let score =
            norm_pattern.iter().enumerate().filter(|(j, p)| !p.is_empty() && norm_lines.get(i + j).is_some_and(|l| l == *p)).count();
        if score > best.map_or(0, |b| b.1) {
            best = Some((i, score));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn levels_in_order() {
        let lines = ["a  ", "  b", "c \u{2014} \u{201C}d\u{201D}", "a"];
        let found = |p: &[&str], start| seek(&lines, &pat(p), start, false).map(|f| (f.start, f.level, f.ambiguous));
        assert_eq!(found(&["a  "], 0), Some((0, Level::Exact, false)));
        assert_eq!(found(&["a"], 0), Some((3, Level::Exact, false)));
        assert_eq!(found(&["a "], 0), Some((0, Level::TrailingWhitespace, true)));
        assert_eq!(found(&["b"], 0), Some((1, Level::Trimmed, false)));
        assert_eq!(found(&["c - \"d\""], 0), Some((2, Level::Unicode, false)));
        assert_eq!(found(&["b"], 2), None);
        assert_eq!(seek(&lines, &pat(&["a"]), 0, true).map(|f| f.start), Some(3));
        assert_eq!(seek(&lines, &pat(&["b"]), 0, true), None);
        assert_eq!(seek(&lines, &pat(&[]), 0, true).map(|f| f.start), Some(4));
    }

    #[test]
    fn closest_counts_equal_lines() {
        let lines = ["fn a() {", "    x();", "}", "fn b() {", "    y();", "}"];
        assert_eq!(closest(&lines, &pat(&["fn b() {", "    z();", "}"])), Some((3, 2)));
        assert_eq!(closest(&lines, &pat(&["nothing"])), None);
    }
}
