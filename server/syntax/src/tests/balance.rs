//! Long repetitions must stay balanced: tree-sitter keeps a file's top-level items in hidden
//! repetition nodes and rebalances them after every parse, so that walking from a node to its
//! parent, a query match, or reusing part of the tree on a reparse costs the logarithm of the
//! number of items, not the number. The patch in `third_party/tree-sitter` limits which
//! rotations balancing may do; a too strict limit once left Python's module (whose
//! repetition holds its statements unwrapped) a linear chain, and a query over a stub of
//! 7,000 constants took 40 times longer. Hidden nodes are not visible through the node API,
//! so the height is read from tree-sitter's own dump of every subtree (`print_dot_graph`).

use std::collections::HashMap;

use super::incremental::corpus_files;
use crate::{parse_bytes, Lang};

/// The height of `tree` counting hidden nodes: the longest path from the root to a leaf in
/// tree-sitter's dot dump (`tree_0x.. -> tree_0x..` edges).
fn full_height(lang: Lang, text: &str) -> usize {
    let tree = parse_bytes(lang, text.as_bytes()).expect("parse");
    let path = std::env::temp_dir().join(format!("codeloop-balance-{}-{}.dot", std::process::id(), lang.name()));
    let file = std::fs::File::create(&path).expect("dot file");
    tree.print_dot_graph(&file);
    drop(file);
    let dot = std::fs::read_to_string(&path).expect("read dot");
    let _ = std::fs::remove_file(&path);
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut has_parent = std::collections::HashSet::new();
    for line in dot.lines() {
        let Some((from, rest)) = line.trim().split_once(" -> ") else { continue };
        let to = rest.split([' ', '[', ';']).next().unwrap_or_default();
        children.entry(from).or_default().push(to);
        has_parent.insert(to);
    }
    let root = children.keys().copied().find(|node| !has_parent.contains(node)).expect("a root");
    let (mut height, mut todo) = (0, vec![(root, 1)]);
    while let Some((node, depth)) = todo.pop() {
        height = height.max(depth);
        todo.extend(children.get(node).into_iter().flatten().map(|child| (*child, depth + 1)));
    }
    height
}

#[test]
fn long_repetitions_stay_balanced() {
    let mut report = String::new();
    let mut unbalanced = Vec::new();
    for lang in Lang::ALL {
        let corpus = corpus_files(lang);
        let short = full_height(lang, &corpus.repeat(4));
        let long = full_height(lang, &corpus.repeat(64));
        report.push_str(&format!("{}: {short} -> {long}\n", lang.name()));
        // 16 times the items: a balanced repetition grows by a few levels per doubling, a
        // chain by hundreds (every corpus has dozens of top-level items).
        if long > short + 24 {
            unbalanced.push(lang.name());
        }
    }
    assert!(unbalanced.is_empty(), "unbalanced repetitions in {unbalanced:?}; heights for 4x and 64x each corpus:\n{report}");
    eprintln!("{report}");
}
