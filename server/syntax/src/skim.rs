//! Function bodies the index does not need to parse. Most of a source file is function bodies,
//! and a body holds a definition only if it contains the keyword that starts one (`fn`,
//! `struct`, ... in Rust; `def`, `class` in Python; `type` in Go). [`skim`] finds, with a small lexer that
//! knows the language's strings and comments, the bodies with no such keyword anywhere in them
//! (strings and comments included, which only makes it more careful), and [`outline_bytes`]
//! parses the file without them: tree-sitter's included ranges leave them out unread, and every
//! node keeps its offsets in the file. The definitions found are the same ones, with the same
//! ranges: a Rust body keeps its braces (`fn f() {` then `}`), a Python body keeps the
//! indentation of its first line and its last statement (a definition ends where its last
//! statement does).
//!
//! Only the index uses this, and it falls back to the whole text whenever the skimmed parse has
//! an error. Open documents are always parsed whole. Languages without a skimmer are parsed
//! whole: there is one for Rust, Python and Go, whose definitions all start with a keyword. In
//! Java, C++, JavaScript and TypeScript a method needs none (`void run() {`, `run() {`), so a
//! keyword cannot tell a body that holds one (an anonymous or local class) from one that does not.

use std::ops::Range;

use tree_sitter::Point;

use crate::parse::parse_bytes_in;
use crate::{parse_bytes, symbols_bytes, Lang, Symbol};

/// The symbols of a file read from disk, parsed without its function bodies where that cannot
/// change them (see the module doc). `None` when the parse ran out of time.
pub fn outline_bytes(lang: Lang, src: &[u8]) -> Option<Vec<Symbol>> {
    let skipped = skim(lang, src);
    if !skipped.is_empty() {
        if let Some(tree) = parse_bytes_in(lang, src, &included_ranges(src, &skipped)) {
            if !tree.root_node().has_error() && skipped.iter().all(|range| is_function_body(lang, &tree, range)) {
                return Some(symbols_bytes(lang, &tree, src));
            }
        }
    }
    let tree = parse_bytes(lang, src)?;
    Some(symbols_bytes(lang, &tree, src))
}

/// Whether the skimmed tree agrees that `range` was inside a function body: the smallest node
/// around it is a function or the function's body (or, in Rust, a macro's token tree, which
/// holds no definitions, or lies in the value of a `const` or `static` item). A lexer that misread the text (a string it took for code) would have
/// cut somewhere else, and the file is then parsed whole.
fn is_function_body(lang: Lang, tree: &tree_sitter::Tree, range: &Range<usize>) -> bool {
    let functions: &[&str] = match lang {
        Lang::Rust => &["function_item"],
        Lang::Python => &["function_definition"],
        Lang::Go => &["function_declaration", "method_declaration"],
        _ => return false,
    };
    let Some(node) = tree.root_node().descendant_for_byte_range(range.start, range.end) else { return false };
    if functions.contains(&node.kind()) || (lang == Lang::Rust && node.kind() == "token_tree") {
        return true;
    }
    if node.parent().is_some_and(|parent| functions.contains(&parent.kind()) && parent.child_by_field_name("body") == Some(node)) {
        return true;
    }
    // Rust: inside the value of a `const` or `static` item.
    let mut ancestor = Some(node);
    while let Some(item) = ancestor {
        if lang == Lang::Rust && matches!(item.kind(), "const_item" | "static_item") {
            return item.child_by_field_name("value").is_some_and(|v| v.start_byte() <= range.start && range.end <= v.end_byte());
        }
        ancestor = item.parent();
    }
    false
}

/// The byte ranges of `src` to leave out: every function body that cannot hold a definition
/// (empty when there is none, or no skimmer for `lang`). Sorted and disjoint.
pub(crate) fn skim(lang: Lang, src: &[u8]) -> Vec<Range<usize>> {
    // The lexers read bytes as UTF-8 and line breaks as tree-sitter does only in valid text;
    // Python's scanner also takes a lone CR as a line break's whitespace, which they do not.
    let lone_cr = || memchr::memchr_iter(b'\r', src).any(|at| src.get(at + 1) != Some(&b'\n'));
    if std::str::from_utf8(src).is_err() || (lang == Lang::Python && lone_cr()) {
        return Vec::new();
    }
    let (regions, keywords): (Vec<Region>, &[&str]) = match lang {
        Lang::Rust => (rust_bodies(src), RUST_KEYWORDS),
        Lang::Python => (python_bodies(src), PYTHON_KEYWORDS),
        Lang::Go => (go_bodies(src), GO_KEYWORDS),
        _ => return Vec::new(),
    };
    let hits = keyword_positions(src, keywords);
    let mut skipped: Vec<Range<usize>> = Vec::new();
    for region in regions {
        let after_last = skipped.last().map_or(0, |last| last.end);
        if region.blank.start < after_last || region.blank.is_empty() {
            continue;
        }
        let first = hits.partition_point(|&at| at < region.scan.start);
        if hits.get(first).is_some_and(|&at| at < region.scan.end) {
            continue;
        }
        skipped.push(region.blank);
    }
    skipped
}

/// The complement of `skipped` in `src`, with the rows and columns tree-sitter wants.
fn included_ranges(src: &[u8], skipped: &[Range<usize>]) -> Vec<tree_sitter::Range> {
    let mut cursor = (0, Point::new(0, 0));
    let mut point_at = |to: usize| {
        let (at, point) = &mut cursor;
        let text = &src[*at..to];
        match memchr::memrchr(b'\n', text) {
            Some(last) => {
                point.row += memchr::memchr_iter(b'\n', text).count();
                point.column = text.len() - last - 1;
            }
            None => point.column += text.len(),
        }
        *at = to;
        *point
    };
    let mut ranges = Vec::with_capacity(skipped.len() + 1);
    let mut start = (0, Point::new(0, 0));
    for gap in skipped {
        let end_point = point_at(gap.start);
        ranges.push(tree_sitter::Range { start_byte: start.0, start_point: start.1, end_byte: gap.start, end_point });
        start = (gap.end, point_at(gap.end));
    }
    let end_point = point_at(src.len());
    ranges.push(tree_sitter::Range { start_byte: start.0, start_point: start.1, end_byte: src.len(), end_point });
    ranges
}

/// `src` parsed without `skipped` (tests compare it with the whole parse).
#[cfg(test)]
pub(crate) fn parse_skimmed(lang: Lang, src: &[u8], skipped: &[Range<usize>]) -> Option<tree_sitter::Tree> {
    parse_bytes_in(lang, src, &included_ranges(src, skipped))
}

/// A function body: `blank` is what may be left out of the parse, `scan` what must hold no
/// definition keyword for that.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Region {
    pub(crate) blank: Range<usize>,
    pub(crate) scan: Range<usize>,
}

/// Words that start every Rust definition the symbols query can find in a block and the
/// outline keeps: items (`fn`, `struct`, `union`, `enum`, `trait`, `impl`, `mod`, `type`,
/// `macro_rules`). Fields and variants only exist inside a struct, union or enum. A `const` or
/// `static` directly in a function body is local, and the outline drops it (`symbols::is_local`),
/// so those words do not keep a body; one that holds an item is kept by that item's keyword.
const RUST_KEYWORDS: &[&str] = &["fn", "struct", "union", "enum", "trait", "impl", "mod", "type", "macro_rules"];

/// `def` and `class` start every Python definition below module level.
const PYTHON_KEYWORDS: &[&str] = &["def", "class"];

/// `type` starts the only Go definition a function body can hold that the outline keeps: the
/// symbols query matches constants and variables at the top level only, and the fields and
/// methods of an anonymous struct or interface in a body are local (`symbols::is_local`).
const GO_KEYWORDS: &[&str] = &["type"];

/// ASCII letters, digits and `_`, as a table: the lexers ask this of nearly every byte.
static WORD: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || b == b'_';
        byte += 1;
    }
    table
};

fn is_word(byte: u8) -> bool {
    WORD[byte as usize]
}

/// Start offsets of every whole-word occurrence of one of `keywords`, in order. Bytes outside
/// ASCII count as word boundaries, so a keyword next to one is counted (the safe direction).
/// A word right after `'`, `.`, `*` or `#` is a lifetime (`'static`), a field or method
/// (`.union()`), a raw pointer type (`*const T`), a raw identifier (`r#type`) or a comment's
/// first word (`#def`), never the keyword that starts a definition.
fn keyword_positions(src: &[u8], keywords: &[&str]) -> Vec<usize> {
    let mut hits = Vec::new();
    for keyword in keywords {
        for start in memchr::memmem::find_iter(src, keyword.as_bytes()) {
            let end = start + keyword.len();
            let before = start.checked_sub(1).map(|i| src[i]);
            let whole = !before.is_some_and(is_word) && !src.get(end).copied().is_some_and(is_word);
            if whole && !matches!(before, Some(b'\'' | b'.' | b'*' | b'#')) {
                hits.push(start);
            }
        }
    }
    hits.sort_unstable();
    hits
}

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
                    if value_here {
                        regions.push(Region { blank: at + 1..at + 1, scan: at + 1..at + 1 });
                        brackets.push(Some(regions.len() - 1));
                    } else {
                        brackets.push(None);
                    }
                }
                item_start = false;
                at += 1;
            }
            b')' | b']' => {
                if byte == b']' {
                    if let Some(Some(index)) = brackets.pop() {
                        regions[index].blank.end = at;
                        regions[index].scan.end = at;
                    }
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
                if pending == Some(0) || value_here {
                    pending = None;
                    regions.push(Region { blank: at + 1..at + 1, scan: at + 1..at + 1 });
                    braces.push(Some(regions.len() - 1));
                } else {
                    braces.push(None);
                }
                item_start = true;
                at += 1;
            }
            b'}' => {
                if pending == Some(0) {
                    pending = None;
                }
                if let Some(Some(index)) = braces.pop() {
                    regions[index].blank.end = at;
                    regions[index].scan.end = at;
                }
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
    // A body left open at the end of the file is not a body this lexer understood.
    for index in braces.into_iter().chain(brackets).flatten() {
        regions[index].blank.end = regions[index].blank.start;
    }
    regions
}

fn word_end(src: &[u8], mut at: usize) -> usize {
    while at < src.len() && is_word(src[at]) {
        at += 1;
    }
    at
}

fn line_end(src: &[u8], at: usize) -> usize {
    src[at..].iter().position(|&b| b == b'\n').map_or(src.len(), |i| at + i)
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

/// At a `'`: a char literal (`'x'`, `'\n'`, `'{'`, `'é'`) or a lifetime or label (`'a`).
fn rust_quote_end(src: &[u8], at: usize) -> usize {
    match src.get(at + 1) {
        Some(b'\\') => escaped_char_end(src, at + 1).unwrap_or(at + 1),
        // `''` is no char literal, but tree-sitter reads it as an empty one.
        Some(b'\'') => at + 2,
        Some(&first) => {
            let width = utf8_width(first);
            if src.get(at + 1 + width) == Some(&b'\'') {
                at + 2 + width
            } else {
                at + 1
            }
        }
        None => src.len(),
    }
}

fn utf8_width(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
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
                if pending == Some(0) {
                    pending = None;
                    regions.push(Region { blank: at + 1..at + 1, scan: at + 1..at + 1 });
                    braces.push(Some(regions.len() - 1));
                } else {
                    braces.push(None);
                }
                at += 1;
            }
            b'}' => {
                if let Some(Some(index)) = braces.pop() {
                    regions[index].blank.end = at;
                    regions[index].scan.end = at;
                }
                at += 1;
            }
            _ => at += 1,
        }
    }
    for index in braces.into_iter().flatten() {
        regions[index].blank.end = regions[index].blank.start;
    }
    regions
}

/// At a `'` in Go: past the rune as tree-sitter-go reads one, `'` then an escape or any one
/// character (a line break too) then `'`; a `'` that opens no rune is passed alone.
fn go_rune_end(src: &[u8], at: usize) -> usize {
    match src.get(at + 1) {
        Some(b'\\') => escaped_char_end(src, at + 1).unwrap_or(at + 1),
        Some(&first) if src.get(at + 1 + utf8_width(first)) == Some(&b'\'') => at + 2 + utf8_width(first),
        _ => at + 1,
    }
}

/// From a backslash that starts an escape in a char or rune literal: past the literal's closing
/// `'`, if it comes within the longest escape (`\u{10FFFF}`, `\U0010FFFF`); `None` otherwise.
fn escaped_char_end(src: &[u8], backslash: usize) -> Option<usize> {
    let window = src.get(backslash + 2..).map_or(&[][..], |rest| &rest[..rest.len().min(10)]);
    window.iter().position(|&b| b == b'\'').map(|i| backslash + 2 + i + 1)
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
