//! Function bodies the index does not need to parse. Most of a source file is function bodies,
//! and a body holds a definition only if it contains the keyword that starts one (`fn`,
//! `struct`, ... in Rust; `def`, `class` in Python; `type` in Go). [`skim`] finds, with a small
//! lexer that knows the language's strings and comments, the bodies (and Rust's `const` and
//! `static` data tables) with no such keyword anywhere in them
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

mod go;
mod python;
mod rust;

pub(crate) use go::go_bodies;
pub(crate) use python::python_bodies;
pub(crate) use rust::rust_bodies;

use crate::parse::parse_bytes_in;
use crate::{parse_bytes, symbols_bytes, Lang, Symbol};

/// The symbols of a file read from disk, parsed without its function bodies where that cannot
/// change them (see the module doc). `None` when the parse ran out of time.
pub fn outline_bytes(lang: Lang, src: &[u8]) -> Option<Vec<Symbol>> {
    let skipped = skim(lang, src);
    if !skipped.is_empty() {
        // Out of time on the skimmed text: the whole text would be too.
        let tree = parse_bytes_in(lang, src, &included_ranges(src, &skipped))?;
        if !tree.root_node().has_error() && skipped.iter().all(|range| is_function_body(lang, &tree, range)) {
            return Some(symbols_bytes(lang, &tree, src));
        }
    }
    let tree = parse_bytes(lang, src)?;
    Some(symbols_bytes(lang, &tree, src))
}

/// Whether the skimmed tree agrees that `range` was inside a function body: the smallest node
/// around it is a function or the function's body (or, in Rust, a macro's token tree, which
/// holds no definitions, or lies in the value of a `const` or `static` item). A lexer that
/// misread the text (a string it took for code) would have cut somewhere else, and the file is
/// then parsed whole.
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
    let mut ancestor = Some(node).filter(|_| lang == Lang::Rust);
    while let Some(item) = ancestor {
        if matches!(item.kind(), "const_item" | "static_item") {
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

/// A region the skimmers found: `blank` is what may be left out of the parse, `scan` what must
/// hold no definition keyword for that.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Region {
    pub(crate) blank: Range<usize>,
    pub(crate) scan: Range<usize>,
}

/// Opens a bracket at `at` on `stack`; when `region`, a region starts after it.
pub(super) fn open_bracket(regions: &mut Vec<Region>, stack: &mut Vec<Option<usize>>, at: usize, region: bool) {
    if region {
        regions.push(Region { blank: at + 1..at + 1, scan: at + 1..at + 1 });
        stack.push(Some(regions.len() - 1));
    } else {
        stack.push(None);
    }
}

/// Closes the bracket on top of `stack` at `at`, ending its region if it opened one.
pub(super) fn close_bracket(regions: &mut [Region], stack: &mut Vec<Option<usize>>, at: usize) {
    if let Some(Some(index)) = stack.pop() {
        regions[index].blank.end = at;
        regions[index].scan.end = at;
    }
}

/// Regions whose bracket never closed (the text ended first) were not understood: none is left
/// out.
pub(super) fn drop_unclosed(regions: &mut [Region], unclosed: impl IntoIterator<Item = Option<usize>>) {
    for index in unclosed.into_iter().flatten() {
        regions[index].blank.end = regions[index].blank.start;
    }
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

pub(super) fn is_word(byte: u8) -> bool {
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

pub(super) fn word_end(src: &[u8], mut at: usize) -> usize {
    while at < src.len() && is_word(src[at]) {
        at += 1;
    }
    at
}

pub(super) fn line_end(src: &[u8], at: usize) -> usize {
    src[at..].iter().position(|&b| b == b'\n').map_or(src.len(), |i| at + i)
}

fn utf8_width(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// At a `'`: past the char or rune literal it opens, as tree-sitter reads one: `'`, then an
/// escape (closed within the longest, `\u{10FFFF}`) or any one character (a line break too),
/// then `'`. `None` when it opens none (a Rust lifetime, a stray quote).
pub(super) fn char_literal_end(src: &[u8], at: usize) -> Option<usize> {
    match *src.get(at + 1)? {
        b'\\' => {
            let window = src.get(at + 3..).map_or(&[][..], |rest| &rest[..rest.len().min(10)]);
            window.iter().position(|&b| b == b'\'').map(|i| at + 3 + i + 1)
        }
        first => (src.get(at + 1 + utf8_width(first)) == Some(&b'\'')).then_some(at + 2 + utf8_width(first)),
    }
}
