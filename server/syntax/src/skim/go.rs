//! The Go skimmer: bodies of top-level function declarations, found past strings, raw strings,
//! runes and comments.

use super::{char_literal_end, close_bracket, drop_unclosed, is_word, line_end, open_bracket, word_end, Region};

/// The bodies of Go functions: for each `func` that starts a top-level declaration (outside
/// braces, first on its line or after `;`), the first `{` outside brackets on the same line as
/// the end of its signature (Go puts the body's brace there; a line break first means a
/// declaration without a body). The region is what is inside the braces. Function literals
/// are left alone: in one assigned to a top-level variable, an interface's methods are kept by
/// the outline (their parent is the variable, not a function).
pub(crate) fn go_bodies(src: &[u8]) -> Vec<Region> {
    let mut regions: Vec<Region> = Vec::new();
    let mut braces: Vec<Option<usize>> = Vec::new();
    // After a top-level `func`: the depth of (), [] since it.
    let mut pending: Option<u32> = None;
    // Whether no token came yet on this line, or since a `;`.
    let mut declaration_start = true;
    let mut at = 0;
    while at < src.len() {
        let byte = src[at];
        if matches!(byte, b' ' | b'\t' | b'\r') {
            at += 1;
            continue;
        }
        let at_start = std::mem::replace(&mut declaration_start, false);
        match byte {
            b'/' if src.get(at + 1) == Some(&b'/') => {
                at = line_end(src, at);
                declaration_start = at_start;
            }
            b'/' if src.get(at + 1) == Some(&b'*') => {
                at = memchr::memmem::find(&src[at + 2..], b"*/").map_or(src.len(), |i| at + 2 + i + 2);
            }
            b'"' => at = single_line_quoted_end(src, at + 1, b'"'),
            b'\'' => at = go_rune_end(src, at),
            b'`' => at = memchr::memchr(b'`', &src[at + 1..]).map_or(src.len(), |i| at + 1 + i + 1),
            b'\n' | b';' => {
                if pending == Some(0) {
                    pending = None;
                }
                declaration_start = true;
                at += 1;
            }
            _ if is_word(byte) => {
                let end = word_end(src, at);
                if &src[at..end] == b"func" && braces.is_empty() && pending.is_none() && at_start {
                    pending = Some(0);
                }
                at = end;
            }
            b'(' | b'[' => {
                if let Some(depth) = pending.as_mut() {
                    *depth += 1;
                }
                at += 1;
            }
            b')' | b']' => {
                pending = match pending {
                    Some(0) | None => None,
                    Some(depth) => Some(depth - 1),
                };
                at += 1;
            }
            b'{' => {
                let body = pending == Some(0);
                if body {
                    pending = None;
                }
                open_bracket(&mut regions, &mut braces, at, body);
                at += 1;
            }
            b'}' => {
                close_bracket(&mut regions, &mut braces, at);
                at += 1;
            }
            _ => at += 1,
        }
    }
    drop_unclosed(&mut regions, braces);
    regions
}

/// At a `'` in Go: past the rune as tree-sitter-go reads one, `'` then an escape or any one
/// character (a line break too) then `'`; a `'` that opens no rune is passed alone.
fn go_rune_end(src: &[u8], at: usize) -> usize {
    char_literal_end(src, at).unwrap_or(at + 1)
}

/// Past the closing `quote` of a literal that cannot span lines (Go's strings), honouring
/// backslash escapes; at an unterminated one, its line's end.
fn single_line_quoted_end(src: &[u8], mut at: usize, quote: u8) -> usize {
    while at < src.len() {
        match src[at] {
            b'\\' => at += 2,
            b'\n' => return at,
            b if b == quote => return at + 1,
            _ => at += 1,
        }
    }
    src.len()
}
