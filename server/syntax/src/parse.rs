//! Parsing: full and incremental, from a rope (chunk by chunk) or from a byte slice.
//!
//! Each thread keeps one `Parser` per language (parsing takes `&mut Parser`, and building a
//! parser per call would throw away its allocations). Every parse runs under a deadline
//! enforced by tree-sitter's progress callback, so a pathological or generated file yields
//! `None` instead of stalling a worker. This module does not own trees or documents: callers
//! keep the previous tree, edit it with [`apply_edit`] and hand it back.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use tree_sitter::{InputEdit, ParseOptions, ParseState, Parser, Point, Tree};

use crate::Lang;

/// Budget for parsing a file from disk (`parse_bytes`): those are indexed in bulk, and a file
/// that takes longer than this is almost certainly generated.
const BYTES_DEADLINE: Duration = Duration::from_secs(3);

/// Budget for parsing an open document (`parse_rope`). Larger, because the user is looking at
/// that file and a slow tree is better than none; a full parse of a 100k-line file takes well
/// under a second in release builds.
const ROPE_DEADLINE: Duration = Duration::from_secs(10);

thread_local! {
    static PARSERS: RefCell<HashMap<Lang, Parser>> = RefCell::new(HashMap::new());
}

/// Parses a rope without copying it: tree-sitter pulls the text chunk by chunk.
///
/// `old` must be the previous tree of the same document with every edit since then applied
/// through [`apply_edit`]; tree-sitter then reuses the unchanged subtrees. Returns `None` only
/// when the parse ran past its deadline or the grammar failed to load.
pub fn parse_rope(lang: Lang, rope: &text::Rope, old: Option<&Tree>) -> Option<Tree> {
    let len = rope.len_bytes();
    let mut read = |byte: usize, _: Point| -> &[u8] {
        if byte >= len {
            return &[];
        }
        let (chunk, chunk_start, _, _) = rope.chunk_at_byte(byte);
        chunk.as_bytes().get(byte - chunk_start..).unwrap_or_default()
    };
    // Reusing nodes from another grammar's tree would make tree-sitter index its tables with
    // foreign symbol ids; a caller that switched a document's language gets a full parse.
    let old = old.filter(|tree| {
        let same = same_grammar(&tree.language(), &lang.language());
        !stdx::never!(!same, "old tree given to parse_rope is not a {} tree", lang.name())
    });
    with_parser(lang, ROPE_DEADLINE, |parser, options| parser.parse_with_options(&mut read, old, Some(options)))
}

/// Grammars have no identity to compare, so compare what tells the linked ones apart.
fn same_grammar(a: &tree_sitter::Language, b: &tree_sitter::Language) -> bool {
    let key = |l: &tree_sitter::Language| (l.name(), l.abi_version(), l.node_kind_count(), l.parse_state_count());
    key(a) == key(b)
}

/// Parses a contiguous buffer from scratch (files read from disk for the index).
pub fn parse_bytes(lang: Lang, src: &[u8]) -> Option<Tree> {
    // No ranges: tree-sitter's default, the whole text.
    parse_bytes_in(lang, src, &[])
}

/// Parses `src` from scratch as if only `ranges` of it existed (sorted, disjoint): the rest is
/// skipped unread, and nodes keep their offsets in `src`. Ranges tree-sitter refuses (never
/// sorted and disjoint ones) give a parse of the whole text. `None` only when the parse ran out
/// of time.
pub(crate) fn parse_bytes_in(lang: Lang, src: &[u8], ranges: &[tree_sitter::Range]) -> Option<Tree> {
    let len = src.len();
    let mut read = |byte: usize, _: Point| -> &[u8] {
        if byte >= len {
            return &[];
        }
        &src[byte..]
    };
    with_parser(lang, BYTES_DEADLINE, |parser, options| {
        let refused = parser.set_included_ranges(ranges).is_err();
        stdx::never!(refused, "tree-sitter refused the included ranges");
        let tree = parser.parse_with_options(&mut read, None, Some(options));
        // The parser is reused for whole texts: give it back its default, the whole text.
        let whole = parser.set_included_ranges(&[]);
        stdx::never!(whole.is_err(), "resetting the included ranges failed");
        tree
    })
}

/// Tells `tree` about an edit of its text, so the next `parse_rope(.., Some(tree))` can reuse
/// what did not change. Apply every edit, in order, before re-parsing.
pub fn apply_edit(tree: &mut Tree, edit: &text::TextEdit) {
    tree.edit(&input_edit(edit));
}

pub(crate) fn input_edit(edit: &text::TextEdit) -> InputEdit {
    let point = |p: text::Point| Point { row: p.row, column: p.column };
    InputEdit {
        start_byte: edit.start_byte,
        old_end_byte: edit.old_end_byte,
        new_end_byte: edit.new_end_byte,
        start_position: point(edit.start_point),
        old_end_position: point(edit.old_end_point),
        new_end_position: point(edit.new_end_point),
    }
}

/// Runs `f` with this thread's parser for `lang` and a progress callback that gives up after
/// `deadline`.
fn with_parser(lang: Lang, deadline: Duration, f: impl FnOnce(&mut Parser, ParseOptions<'_>) -> Option<Tree>) -> Option<Tree> {
    let started = Instant::now();
    let mut timed_out = false;
    let mut progress = |_: &ParseState| {
        if started.elapsed() > deadline {
            timed_out = true;
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let options = ParseOptions::new().progress_callback(&mut progress);
    let tree = PARSERS.with(|cell| {
        // The text callbacks never re-enter this module, so the borrow is always free; if it
        // somehow is not, a throwaway parser is still correct, only slower.
        let mut fresh = HashMap::new();
        let mut guard = cell.try_borrow_mut();
        let parsers = match guard.as_deref_mut() {
            Ok(parsers) => parsers,
            Err(_) => {
                stdx::never!(true, "syntax parser table is already borrowed");
                &mut fresh
            }
        };
        let parser = match parsers.entry(lang) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(new_parser(lang)?),
        };
        let tree = f(parser, options);
        if tree.is_none() {
            // A cancelled parse leaves its state in the parser so that the next call could
            // resume it; the next call is about different text, so drop that state.
            parser.reset();
        }
        Some(tree)
    })?;
    if tree.is_none() {
        tracing::warn!(lang = lang.name(), elapsed_ms = started.elapsed().as_millis() as u64, timed_out, "parse gave up");
    }
    tree
}

/// Routes tree-sitter's allocations (trees, parse stacks, query cursors: millions of small
/// blocks per second while indexing) to mimalloc. Must run before tree-sitter allocates
/// anything. Only this crate depends on tree-sitter, and every constructor in it (parsers,
/// queries) calls this first.
pub(crate) fn use_fast_allocator() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: called once, before this process creates any tree-sitter object (every
        // parser and query is created through this crate, after this call), so nothing
        // allocated by one allocator is ever freed by the other.
        unsafe {
            tree_sitter::set_allocator(Some(ts_malloc), Some(ts_calloc), Some(ts_realloc), Some(libmimalloc_sys::mi_free));
        }
    });
}

/// Returns the memory tree-sitter freed (trees of indexed files, parse stacks) to the system,
/// including what threads that have exited left behind; mimalloc otherwise keeps some of it
/// for reuse. For after a bulk job such as indexing a workspace.
pub fn release_memory() {
    use_fast_allocator();
    // SAFETY: takes no pointers; mimalloc synchronizes access to abandoned memory itself.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

/// tree-sitter never checks for NULL (its own allocator aborts instead): do the same.
fn or_abort(p: *mut std::ffi::c_void, bytes: usize) -> *mut std::ffi::c_void {
    if p.is_null() && bytes > 0 {
        eprintln!("codeloop: out of memory allocating {bytes} bytes for tree-sitter");
        std::process::abort();
    }
    p
}

unsafe extern "C" fn ts_malloc(size: usize) -> *mut std::ffi::c_void {
    // SAFETY: plain allocation.
    or_abort(unsafe { libmimalloc_sys::mi_malloc(size) }, size)
}

unsafe extern "C" fn ts_calloc(count: usize, size: usize) -> *mut std::ffi::c_void {
    // SAFETY: plain allocation; mimalloc checks `count * size` for overflow.
    or_abort(unsafe { libmimalloc_sys::mi_calloc(count, size) }, count.saturating_mul(size))
}

unsafe extern "C" fn ts_realloc(p: *mut std::ffi::c_void, size: usize) -> *mut std::ffi::c_void {
    // SAFETY: tree-sitter passes a block it got from these functions (or NULL).
    or_abort(unsafe { libmimalloc_sys::mi_realloc(p, size) }, size)
}

/// A parser for `lang`, or why its grammar does not load (an ABI this tree-sitter does not
/// speak). The one place parsers are made, after the allocator switch.
pub(crate) fn load_parser(lang: Lang) -> Result<Parser, tree_sitter::LanguageError> {
    use_fast_allocator();
    let mut parser = Parser::new();
    parser.set_language(&lang.language())?;
    Ok(parser)
}

pub(crate) fn new_parser(lang: Lang) -> Option<Parser> {
    load_parser(lang).map_err(|err| stdx::never!(true, "grammar for {} does not load: {}", lang.name(), err)).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn deadline_gives_up_and_the_parser_recovers() {
        let big = "fn f() { let x = [1, 2, 3]; }\n".repeat(40_000);
        let mut read = |byte: usize, _: Point| -> &[u8] { big.as_bytes().get(byte..).unwrap_or_default() };
        let gave_up = with_parser(Lang::Rust, Duration::ZERO, |parser, options| parser.parse_with_options(&mut read, None, Some(options)));
        assert!(gave_up.is_none());
        // The cancelled parse must not leak into the next one on this thread.
        let small = "struct S;";
        let tree = parse_bytes(Lang::Rust, small.as_bytes()).unwrap();
        assert_eq!(tree.root_node().to_sexp(), "(source_file (struct_item name: (type_identifier)))");
    }
}
