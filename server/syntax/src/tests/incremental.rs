//! Incremental re-parsing must agree with parsing from scratch: 300 random edits (multi-byte
//! characters, CRLF, braces, comment openers, whole statements) go through `text::Document`,
//! `apply_edit` and `parse_rope(old)`, and every 25 edits the tree is compared, node by node,
//! with a fresh parse of the same text (kinds, byte ranges, points and symbols).

use text::{Document, LineCol, PositionEncoding};
use tree_sitter::{Node, Tree};

use crate::{apply_edit, parse_rope, symbols_rope, Lang};

/// xorshift64*: deterministic, so a failure replays exactly.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const COMMON: &[&str] = &[
    "{", "}", "(", ")", "[", "]", "/*", "*/", "//", "\"", "'", "é", "😀", "∑x", "\r\n", "\n", "\r", " ", "    ", "\t", ";", ",", ":", "#",
    "x", "name", "=", "0x1F", "\\",
];

const RUST: &[&str] = &[
    "fn f() {",
    "struct S { a: u8 }\n",
    "impl S {\n",
    "let x = \"é\";\n",
    "/* comment 😀 */",
    "r#\"raw\"#",
    "'a'",
    "'lifetime",
    "mod m {\n",
    "#[derive(Debug)]\n",
    "trait T {}\r\n",
    "match x { _ => {} }",
    "macro_rules! m { () => {} }\n",
];

const PYTHON: &[&str] = &[
    "def f(x):\n    return x\n",
    "class A:\n    pass\n",
    "    ",
    "\n    ",
    "if x:\n",
    "\"\"\"doc\"\"\"",
    "@decorator\n",
    "lambda: 0",
    "'''",
    "f\"{x}\"",
    "async def g():\r\n    await h()\r\n",
    "MAX = 1\n",
    "# comment é\n",
    "else:\n",
];

/// Walks both trees in lockstep and reports the first difference in kind, range or shape.
fn first_difference(a: Node<'_>, b: Node<'_>) -> Option<String> {
    // Points are compared too: `text` counts a lone `\r` as a line break and tree-sitter does
    // not, but re-lexing the edited region recomputes them, so they must still agree.
    if a.kind() != b.kind()
        || a.byte_range() != b.byte_range()
        || a.is_missing() != b.is_missing()
        || (a.start_position(), a.end_position()) != (b.start_position(), b.end_position())
    {
        return Some(format!("{a:?} vs {b:?}"));
    }
    if a.child_count() != b.child_count() {
        return Some(format!("{a:?} has {} children, {b:?} has {}", a.child_count(), b.child_count()));
    }
    (0..a.child_count()).find_map(|i| first_difference(a.child(i as u32)?, b.child(i as u32)?))
}

fn random_edit(rng: &mut Rng, doc: &mut Document, snippets: &[&str]) -> text::TextEdit {
    let len = doc.len_bytes();
    let snippet = if rng.below(3) == 0 { rng.pick(snippets) } else { rng.pick(COMMON) };
    match rng.below(5) {
        // Insert.
        0 | 1 => {
            let at = rng.below(len + 1);
            doc.replace(at..at, snippet)
        }
        // Delete a short range (it may split a CRLF or land inside a multi-byte character;
        // the document floors offsets to character boundaries).
        2 => {
            let at = rng.below(len + 1);
            let end = (at + 1 + rng.below(12)).min(len);
            doc.replace(at..end, "")
        }
        // Replace.
        3 => {
            let at = rng.below(len + 1);
            let end = (at + rng.below(8)).min(len);
            doc.replace(at..end, snippet)
        }
        // An LSP change in UTF-16 positions, sometimes past the end of its line (clamped).
        _ => {
            let lines = doc.rope().len_lines();
            let line = rng.below(lines) as u32;
            let start = LineCol::new(line, rng.below(40) as u32);
            let end = LineCol::new(line + rng.below(2) as u32, rng.below(40) as u32);
            let (start, end) = if end < start { (end, start) } else { (start, end) };
            match doc.apply_change(Some((start, end)), snippet, PositionEncoding::Utf16) {
                Ok(edit) => edit,
                Err(err) => panic!("ordered range rejected: {err}"),
            }
        }
    }
}

fn check_incremental(lang: Lang, initial: &str, snippets: &[&str], seed: u64) {
    let mut rng = Rng::new(seed);
    let mut doc = Document::new(initial, 0);
    let mut tree: Tree = parse_rope(lang, doc.rope(), None).unwrap();
    let mut pending = 0;
    for step in 1..=300 {
        let edit = random_edit(&mut rng, &mut doc, snippets);
        apply_edit(&mut tree, &edit);
        pending += 1;
        // Editors sometimes send several changes in one notification: then the tree is edited
        // several times before the next parse.
        let checkpoint = step % 25 == 0;
        if checkpoint || rng.below(3) != 0 {
            tree = parse_rope(lang, doc.rope(), Some(&tree)).unwrap();
            pending = 0;
        }
        assert!(pending == 0 || !checkpoint);
        if checkpoint {
            let fresh = parse_rope(lang, doc.rope(), None).unwrap();
            let context = || format!("{lang} seed {seed} step {step}, text:\n{}", doc.text());
            assert_eq!(tree.root_node().to_sexp(), fresh.root_node().to_sexp(), "{}", context());
            if let Some(diff) = first_difference(tree.root_node(), fresh.root_node()) {
                panic!("{diff}\n{}", context());
            }
            assert_eq!(symbols_rope(lang, &tree, doc.rope()), symbols_rope(lang, &fresh, doc.rope()), "{}", context());
        }
    }
}

fn corpus(lang: Lang, file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../grammars/corpus").join(lang.name()).join(file);
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn rust_incremental_matches_fresh_parse() {
    let src = corpus(Lang::Rust, "shapes.rs");
    for seed in [1, 0x5eed, 0xdead_beef] {
        check_incremental(Lang::Rust, &src, RUST, seed);
    }
}

#[test]
fn python_incremental_matches_fresh_parse() {
    let src = corpus(Lang::Python, "inventory.py").replace('\n', "\r\n");
    for seed in [2, 0xc0ffee, 0x1234_5678] {
        check_incremental(Lang::Python, &src, PYTHON, seed);
    }
}

#[test]
fn old_tree_of_another_language_is_ignored() {
    let rope = text::Rope::from_str("let x = 1;\n");
    for (a, b) in [(Lang::TypeScript, Lang::Tsx), (Lang::Rust, Lang::Python), (Lang::C, Lang::Cpp)] {
        let old = parse_rope(a, &rope, None).unwrap();
        let tree = parse_rope(b, &rope, Some(&old)).unwrap();
        assert_eq!(tree.root_node().to_sexp(), parse_rope(b, &rope, None).unwrap().root_node().to_sexp());
    }
}
