//! The Rust skimmer: function bodies, and `const`/`static` values that are arrays or blocks,
//! found past strings, raw strings, char literals, lifetimes and nested comments.

use super::{char_literal_end, close_bracket, drop_unclosed, is_word, line_end, open_bracket, word_end, Region};

/// Words that may come between the start of an item and its `fn` (`pub(crate) const unsafe
/// extern "C" fn`).
const RUST_FN_QUALIFIERS: &[&[u8]] = &[b"pub", b"const", b"async", b"unsafe", b"extern", b"default", b"safe"];

/// The bodies of Rust functions: for each `fn` that starts an item (after `}`, `;`, `{`, an
/// attribute or the start of the file, with only qualifiers between), the first `{` at the
/// same bracket depth before a `;`. The region is what is inside the braces. A `fn` anywhere
/// else is a function pointer type (`F = fn() -> T`, `f: unsafe fn()`), not an item. Also the
/// value of a `const` or `static` item when it is an array or a block (`= [...]`, `= &[...]`,
/// `= {...}`): generated tables, which hold no definition either. Regions come in order of
/// their opening bracket, outer before inner.
pub(crate) fn rust_bodies(src: &[u8]) -> Vec<Region> {
    let mut regions: Vec<Region> = Vec::new();
    // Open braces: where the body's region is in `regions`, if this brace opened a body.
    let mut braces: Vec<Option<usize>> = Vec::new();
    // After an item's `fn`: the depth of (), [] since it; `None` when not waiting for a body.
    let mut pending: Option<u32> = None;
    // Open `[`: where the value's region is, if this bracket opened a `const` or `static` value.
    let mut brackets: Vec<Option<usize>> = Vec::new();
    // In a `const` or `static` item (the brace depth it is at), and whether its `=` was the
    // last token: a value that is an array or a block (data tables) is skipped like a body.
    let mut const_item: Option<usize> = None;
    let mut value_next = false;
    // Whether the tokens since the last `}`, `;`, `{` or `]` could start an item.
    let mut item_start = true;
    let mut last_word_was_pub = false;
    // A shebang line (`#!` not followed by `[`, which would be an inner attribute) is not code.
    let mut at =
        if src.starts_with(b"#!") && src[2..].iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'[') { line_end(src, 0) } else { 0 };
    while at < src.len() {
        let byte = src[at];
        if byte.is_ascii_whitespace() {
            at += 1;
            continue;
        }
        let word_before = std::mem::take(&mut last_word_was_pub);
        let value_here = std::mem::take(&mut value_next);
        match byte {
            b'/' if src.get(at + 1) == Some(&b'/') => {
                at = line_end(src, at);
                last_word_was_pub = word_before;
                continue;
            }
            b'/' if src.get(at + 1) == Some(&b'*') => {
                at = rust_block_comment_end(src, at);
                last_word_was_pub = word_before;
                continue;
            }
            // An ABI string keeps an item's start (`extern "C" fn`).
            b'"' => at = quoted_end(src, at + 1, b'"'),
            b'\'' => {
                at = rust_quote_end(src, at);
                item_start = false;
            }
            _ if is_word(byte) => {
                // Words are consumed whole, so `at` starts one: a literal prefix or an identifier.
                if let Some(end) = rust_prefixed_literal_end(src, at) {
                    at = end;
                    item_start = false;
                    continue;
                }
                let end = word_end(src, at);
                let word = &src[at..end];
                if word == b"fn" && item_start && pending.is_none() {
                    pending = Some(0);
                    const_item = None;
                }
                if (word == b"const" || word == b"static") && item_start {
                    const_item = Some(braces.len());
                }
                item_start = item_start && RUST_FN_QUALIFIERS.contains(&word);
                last_word_was_pub = word == b"pub";
                at = end;
            }
            // `pub(crate)`, `pub(in path)`: still the start of an item.
            b'(' if word_before && item_start => {
                at = src[at..].iter().position(|&b| b == b')').map_or(src.len(), |i| at + i + 1);
            }
            b'=' if const_item == Some(braces.len()) && brackets.is_empty() && src.get(at + 1) != Some(&b'=') => {
                value_next = true;
                item_start = false;
                at += 1;
            }
            // `= &[...]`: still the value.
            b'&' if value_here => {
                value_next = true;
                at += 1;
            }
            b'(' | b'[' => {
                if let Some(depth) = pending.as_mut() {
                    *depth += 1;
                }
                if byte == b'[' {
                    open_bracket(&mut regions, &mut brackets, at, value_here);
                }
                item_start = false;
                at += 1;
            }
            b')' | b']' => {
                if byte == b']' {
                    close_bracket(&mut regions, &mut brackets, at);
                }
                pending = match pending {
                    Some(0) => None,
                    Some(depth) => Some(depth - 1),
                    None => None,
                };
                // The end of an attribute (`#[inline]`) is where an item can start.
                item_start = byte == b']';
                at += 1;
            }
            b';' => {
                if pending == Some(0) {
                    pending = None;
                }
                // Not the `;` of an array type (`[u8; 4]`).
                if const_item == Some(braces.len()) && brackets.is_empty() {
                    const_item = None;
                }
                item_start = true;
                at += 1;
            }
            b'{' => {
                let body = pending == Some(0) || value_here;
                if body {
                    pending = None;
                }
                open_bracket(&mut regions, &mut braces, at, body);
                item_start = true;
                at += 1;
            }
            b'}' => {
                if pending == Some(0) {
                    pending = None;
                }
                close_bracket(&mut regions, &mut braces, at);
                item_start = true;
                at += 1;
            }
            // An attribute's `#` or `#!` keeps the start of an item.
            b'#' | b'!' => at += 1,
            _ => {
                item_start = false;
                at += 1;
            }
        }
    }
    drop_unclosed(&mut regions, braces.into_iter().chain(brackets));
    regions
}

/// After `/*` at `at`, past the matching `*/` (Rust block comments nest).
fn rust_block_comment_end(src: &[u8], mut at: usize) -> usize {
    let mut depth = 0u32;
    while at + 1 < src.len() {
        match (src[at], src[at + 1]) {
            (b'/', b'*') => {
                depth += 1;
                at += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                at += 2;
                if depth == 0 {
                    return at;
                }
            }
            _ => at += 1,
        }
    }
    src.len()
}

/// At a `'`: a char literal (`'x'`, `'\n'`, `'{'`, `'é'`) or a lifetime or label (`'a`).
fn rust_quote_end(src: &[u8], at: usize) -> usize {
    // `''` is no char literal, but tree-sitter reads it as an empty one.
    if src.get(at + 1) == Some(&b'\'') {
        return at + 2;
    }
    char_literal_end(src, at).unwrap_or(at + 1)
}

/// Past the closing `quote` of a literal whose contents start at `at`, honouring backslash
/// escapes.
fn quoted_end(src: &[u8], mut at: usize, quote: u8) -> usize {
    while at < src.len() {
        match src[at] {
            b'\\' => at += 2,
            b if b == quote => return at + 1,
            _ => at += 1,
        }
    }
    src.len()
}

/// At the start of a word: the end of the literal it prefixes, a raw string (`r"..."`,
/// `r#"..."#`), byte or C string (`b"..."`, `br#"..."#`, `c"..."`) or byte literal (`b'{'`);
/// `None` when the word is an identifier or keyword.
fn rust_prefixed_literal_end(src: &[u8], at: usize) -> Option<usize> {
    let mut i = at;
    if matches!(src[i], b'b' | b'c') {
        i += 1;
        match src.get(i) {
            Some(b'"') => return Some(quoted_end(src, i + 1, b'"')),
            // A byte literal only if it is one: `b'` then an escape or one character then `'`
            // (else tree-sitter reads the word `b` and a lifetime).
            Some(b'\'') if src[at] == b'b' => {
                let end = rust_quote_end(src, i);
                return (end > i + 1).then_some(end);
            }
            _ => {}
        }
    }
    if src.get(i) != Some(&b'r') {
        return None;
    }
    i += 1;
    let hashes = src[i..].iter().take_while(|&&b| b == b'#').count();
    i += hashes;
    if src.get(i) != Some(&b'"') {
        return None;
    }
    let mut closing = vec![b'"'];
    closing.resize(1 + hashes, b'#');
    let body = i + 1;
    Some(src[body..].windows(closing.len()).position(|w| w == closing.as_slice()).map_or(src.len(), |p| body + p + closing.len()))
}
