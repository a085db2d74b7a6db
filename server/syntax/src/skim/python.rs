//! The Python skimmer: function bodies, found by logical lines (brackets, strings, continuations)
//! and indentation counted as tree-sitter-python counts it.

use super::{line_end, word_end, Region};

/// One Python logical line: from its first non-blank byte to the line break that ends it.
#[derive(Debug)]
struct Logical {
    start: usize,
    end: usize,
    indent: usize,
    /// Starts with `def` or `async def` and ends with `:` (a header whose body is a block).
    def_header: bool,
}

/// The bodies of Python functions: for a `def` whose body is an indented block of two or more
/// logical lines, everything from the first to the start of its last statement at the block's
/// own indentation (so the kept tail starts the block at the same indentation, and comments
/// after it fall inside or outside the block exactly as before). A tail that would start with
/// a clause (`else:`, `except:`) starts at the statement that clause belongs to instead.
pub(crate) fn python_bodies(src: &[u8]) -> Vec<Region> {
    let lines = python_logical_lines(src);
    let mut regions = Vec::new();
    for (i, header) in lines.iter().enumerate() {
        if !header.def_header {
            continue;
        }
        // The block ends at the first line indented less than its first line, even if that
        // line is still deeper than the header (tree-sitter dedents to it without an error).
        let Some(first) = lines.get(i + 1).filter(|line| line.indent > header.indent) else { continue };
        let body: Vec<&Logical> = lines[i + 1..].iter().take_while(|line| line.indent >= first.indent).collect();
        let Some(last) = body.last() else { continue };
        let clause = |line: &Logical| [&b"else"[..], b"elif", b"except", b"finally"].contains(&&src[line.start..word_end(src, line.start)]);
        let Some(tail) = body.iter().rev().find(|line| line.indent == first.indent && !clause(line)) else { continue };
        if tail.start > first.start {
            regions.push(Region { blank: first.start..tail.start, scan: first.start..last.end });
        }
    }
    regions
}

/// Splits `src` into logical lines, skipping blank and comment-only lines, joining lines inside
/// brackets, strings and backslash continuations.
fn python_logical_lines(src: &[u8]) -> Vec<Logical> {
    let mut lines = Vec::new();
    let mut at = 0;
    while at < src.len() {
        // Indentation of a physical line that starts a logical one.
        let mut indent = 0;
        while at < src.len() && matches!(src[at], b' ' | b'\t' | b'\x0c') {
            // As tree-sitter-python's scanner counts (a tab is 8 more, not up to a multiple of 8).
            indent = match src[at] {
                b'\t' => indent + 8,
                b'\x0c' => 0,
                _ => indent + 1,
            };
            at += 1;
        }
        match src.get(at) {
            None => break,
            Some(b'\n' | b'\r') => {
                at += 1;
                continue;
            }
            Some(b'#') => {
                at = line_end(src, at);
                continue;
            }
            _ => {}
        }
        let start = at;
        let (end, last_significant) = python_logical_end(src, at);
        let first_word = &src[start..word_end(src, start)];
        let is_def = first_word == b"def" || (first_word == b"async" && python_next_word(src, start + 5) == b"def");
        lines.push(Logical { start, end, indent, def_header: is_def && last_significant == Some(b':') });
        at = end + 1;
    }
    lines
}

fn python_next_word(src: &[u8], mut at: usize) -> &[u8] {
    while at < src.len() && matches!(src[at], b' ' | b'\t') {
        at += 1;
    }
    &src[at.min(src.len())..word_end(src, at.min(src.len()))]
}

/// From `at` inside a logical line: where it ends (its line break, or the end of the text)
/// and its last byte outside comments and blanks.
fn python_logical_end(src: &[u8], mut at: usize) -> (usize, Option<u8>) {
    let mut depth = 0u32;
    let mut last = None;
    while at < src.len() {
        let byte = src[at];
        match byte {
            b'\n' if depth == 0 => return (at, last),
            b'\r' if depth == 0 && src.get(at + 1) != Some(&b'\n') => return (at, last),
            b'#' => {
                at = line_end(src, at);
                continue;
            }
            b'\\' => {
                // A continuation (or a stray backslash): the line break after it does not end
                // the logical line.
                at += escape_len(src, at);
                continue;
            }
            // Backticks are Python 2's repr, which tree-sitter-python still reads.
            b'"' | b'\'' | b'`' => {
                at = python_string_end(src, at);
                last = Some(byte);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if !byte.is_ascii_whitespace() {
            last = Some(byte);
        }
        at += 1;
    }
    (src.len(), last)
}

/// The bytes a backslash at `at` takes with it: the next byte, or a whole CRLF.
fn escape_len(src: &[u8], at: usize) -> usize {
    if src.get(at + 1) == Some(&b'\r') && src.get(at + 2) == Some(&b'\n') {
        3
    } else {
        2
    }
}

/// At a quote: past the end of the string it opens (one or three quotes; a prefix such as
/// `r`, `b` or `f` is an ordinary word before it). Raw strings still cannot end in an odd
/// backslash, so escapes are honoured for all.
fn python_string_end(src: &[u8], at: usize) -> usize {
    let quote = src[at];
    let triple = src.get(at + 1) == Some(&quote) && src.get(at + 2) == Some(&quote);
    if !triple {
        if src.get(at + 1) == Some(&quote) {
            return at + 2;
        }
        let mut i = at + 1;
        while i < src.len() {
            match src[i] {
                b'\\' => i += escape_len(src, i),
                b'\n' => return i,
                b if b == quote => return i + 1,
                _ => i += 1,
            }
        }
        return src.len();
    }
    let mut i = at + 3;
    while i < src.len() {
        match src[i] {
            b'\\' => i += escape_len(src, i),
            b if b == quote && src.get(i + 1) == Some(&quote) && src.get(i + 2) == Some(&quote) => return i + 3,
            _ => i += 1,
        }
    }
    src.len()
}
