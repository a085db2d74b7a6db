//! How much of the old tree an incremental reparse reuses, counted from tree-sitter's own parse
//! log (tokens it had to lex again), not timed. In Python a one-letter edit still re-lexes about
//! two tokens per later top-level item (their first tokens were lexed in another parse state,
//! which tree-sitter does not reuse across), but not the whole rest of the file. Before patch 4 in `third_party/tree-sitter`, an
//! edit at the first statement of a Python function body made tree-sitter skip every later
//! node (its dedent tokens had not been lexed yet where each node starts) and lex the rest of
//! the file again: 15,000 tokens for this file, 32 ms on 20,000 lines.

use tree_sitter::{InputEdit, LogType, Point};

use crate::parse::load_parser;
use crate::Lang;

fn python_file(classes: usize) -> String {
    (0..classes)
        .map(|i| {
            format!(
                "class Item{i}:\n    KIND = \"item{i}\"\n\n    def __init__(self, ident):\n        self.ident = ident\n        self.tags = []\n\n\
    def score(self, weights):\n        total = 0.0\n        return total * {i}\n\n\nMAX_{i} = {i}\n\n\n"
            )
        })
        .collect()
}

/// Inserts `x` at `at` (a byte offset on `line`, `column`), reparses incrementally, checks the
/// result against a fresh parse, and returns how many tokens the reparse lexed.
fn tokens_lexed_after_insert(lang: Lang, src: &str, at: usize, line: usize, column: usize) -> usize {
    let mut parser = load_parser(lang).expect("parser");
    let mut tree = parser.parse(src, None).expect("tree");
    let mut new = src.to_owned();
    new.insert(at, 'x');
    let (start, end) = (Point::new(line, column), Point::new(line, column + 1));
    tree.edit(&InputEdit {
        start_byte: at,
        old_end_byte: at,
        new_end_byte: at + 1,
        start_position: start,
        old_end_position: start,
        new_end_position: end,
    });
    let lexed = std::rc::Rc::new(std::cell::Cell::new(0usize));
    let counter = lexed.clone();
    parser.set_logger(Some(Box::new(move |kind, message: &str| {
        if kind == LogType::Parse && message.starts_with("lexed_lookahead") {
            counter.set(counter.get() + 1);
        }
    })));
    let incremental = parser.parse(&new, Some(&tree)).expect("incremental tree");
    parser.set_logger(None);
    let fresh = parser.parse(&new, None).expect("fresh tree");
    assert_eq!(incremental.root_node().to_sexp(), fresh.root_node().to_sexp());
    lexed.get()
}

fn leaves(lang: Lang, src: &str) -> usize {
    let tree = load_parser(lang).expect("parser").parse(src, None).expect("tree");
    let mut cursor = tree.walk();
    let mut count = 0;
    'walk: loop {
        if cursor.goto_first_child() {
            continue;
        }
        count += 1;
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    count
}

#[test]
fn typing_at_the_start_of_a_python_body_reuses_the_rest_of_the_file() {
    let src = python_file(300);
    let total_tokens = leaves(Lang::Python, &src);
    for (what, needle) in [("first statement of a body", "        self.ident = ident\n"), ("second statement", "        self.tags = []\n")]
    {
        let at = src.match_indices(needle).nth(150).map(|(i, _)| i + 8).expect("needle");
        let line = src[..at].matches('\n').count();
        let lexed = tokens_lexed_after_insert(Lang::Python, &src, at, line, 8);
        // Half the file follows the edit: lexing it again would be about total / 2.
        assert!(lexed < total_tokens / 10, "{what}: {lexed} tokens lexed again, of {total_tokens}");
    }
}
