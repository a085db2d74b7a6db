//! Plain tree walks over a byte range: the identifiers and the comments it touches.
//!
//! These feed the agent's context (which names a selection mentions, so their definitions can
//! be looked up) and comment-aware edits. They are syntactic only: no scopes, no resolution,
//! no distinction between a definition and a use.

use std::ops::Range;

use tree_sitter::{Node, Tree};

use crate::symbols::rope_chunks;
use crate::Lang;

/// The distinct names of identifier-like nodes (identifiers, type, field and property
/// identifiers, Ruby constants, shell variable and command names) overlapping `range`, in
/// first-seen (document) order.
pub fn identifiers_in(lang: Lang, tree: &Tree, rope: &text::Rope, range: Range<usize>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut names = Vec::new();
    walk_overlapping(tree, range, |node| {
        if !is_identifier(lang, node) {
            return true;
        }
        if !node.byte_range().is_empty() {
            let bytes: Vec<u8> = rope_chunks(rope, node.byte_range()).flatten().copied().collect();
            let name = String::from_utf8_lossy(&bytes).into_owned();
            if seen.insert(name.clone()) {
                names.push(name);
            }
        }
        false
    });
    names
}

/// Byte ranges of the comment nodes (any kind whose name contains "comment": `line_comment`,
/// `block_comment`, ...) overlapping `range`, in document order.
pub fn comments_in(tree: &Tree, range: Range<usize>) -> Vec<Range<usize>> {
    let mut comments = Vec::new();
    walk_overlapping(tree, range, |node| {
        if node.kind().contains("comment") {
            comments.push(node.byte_range());
            return false;
        }
        true
    });
    comments
}

fn is_identifier(lang: Lang, node: Node<'_>) -> bool {
    if !node.is_named() || node.named_child_count() > 0 {
        return false;
    }
    let kind = node.kind();
    if kind == "identifier" || kind.ends_with("_identifier") {
        return true;
    }
    match lang {
        Lang::Ruby => kind == "constant",
        Lang::Bash => {
            kind == "variable_name"
                || (kind == "word" && node.parent().is_some_and(|p| matches!(p.kind(), "command_name" | "function_definition")))
        }
        _ => false,
    }
}

/// Visits, in document order, every node overlapping `range` (touching it, for an empty
/// range). `visit` returns whether to descend into the node's children. Iterative, so deep
/// trees cannot overflow the stack.
fn walk_overlapping<'t>(tree: &'t Tree, range: Range<usize>, mut visit: impl FnMut(Node<'t>) -> bool) {
    let overlaps = |node: Node<'_>| {
        let (start, end) = (node.start_byte(), node.end_byte());
        if range.is_empty() {
            start <= range.start && range.start <= end
        } else {
            start < range.end && range.start < end
        }
    };
    // Past the range: neither this node nor its later siblings can overlap it.
    let past = |node: Node<'_>| {
        if range.is_empty() {
            node.start_byte() > range.start
        } else {
            node.start_byte() >= range.end
        }
    };
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        let mut skip_siblings = false;
        if overlaps(node) {
            if visit(node) && cursor.goto_first_child() {
                continue;
            }
        } else if past(node) {
            skip_siblings = true;
        }
        loop {
            if !skip_siblings && cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
            skip_siblings = false;
        }
    }
}
