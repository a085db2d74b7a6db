//! Search, definitions, open buffers and positions.

use super::fixture::Fixture;
use expect_test::expect;
use syntax::Lang;
use text::Rope;

const TREE: &str = r#"
//- /src/parser.rs
pub struct Parser { input: String }
impl Parser {
    pub fn parse(&self) -> Ast { todo!() }
    pub fn parse_file(path: &str) {}
}
pub enum ParseError { Eof }
pub fn sparse() {}
const PARSE_LIMIT: usize = 3;
//- /py/parse.py
def parse(text):
    pass

class Parse:
    def parse(self):
        pass

parse_mode = 1

def compare_paths(a, b):
    pass
//- /web/util.js
export function parseFlags(argv) {}
const parsed = 1;
"#;

#[test]
fn search_ranks_exact_then_prefix_then_fuzzy() {
    let f = Fixture::new(TREE);
    let (index, _) = f.index();
    expect![[r#"
        function    parse         py/parse.py:0:4 500000
        method      parse         py/parse.py:4:8 500000
        method      parse         src/parser.rs:2:11 500000
        class       Parse         py/parse.py:3:6 400000
        struct      Parser        src/parser.rs:0:11 300000
        constant    parsed        web/util.js:1:6 300000
        enum        ParseError    src/parser.rs:5:9 300000
        method      parse_file    src/parser.rs:3:11 300000
        function    parseFlags    web/util.js:0:16 300000
        variable    parse_mode    py/parse.py:7:0 300000
        constant    PARSE_LIMIT   src/parser.rs:7:6 300000
        impl        impl Parser   src/parser.rs:1:5 100140
    "#]]
    .assert_eq(&f.hits(&index.search("parse", 12)));
    // Smart case: a capital makes the query case-sensitive, so its exact spelling ranks first.
    expect![[r#"
        class       Parse         py/parse.py:3:6 500000
        function    parse         py/parse.py:0:4 400000
    "#]]
    .assert_eq(&f.hits(&index.search("Parse", 2)));
    expect![[r#"
        method      parse_file    src/parser.rs:3:11 100053
        function    parseFlags    web/util.js:0:16 100051
    "#]]
    .assert_eq(&f.hits(&index.search("pf", 5)));
    expect![[r#"
        function    compare_paths py/parse.py:9:4 100120
    "#]]
    .assert_eq(&f.hits(&index.search("cmppth", 5)));
    // An empty query lists symbols, types and functions first, deterministically.
    expect![[r#"
        class       Parse         py/parse.py:3:6 0
        struct      Parser        src/parser.rs:0:11 0
        enum        ParseError    src/parser.rs:5:9 0
        function    parse         py/parse.py:0:4 0
    "#]]
    .assert_eq(&f.hits(&index.search("", 4)));
    assert!(index.search("zzzqqq", 5).is_empty());
    assert!(index.search("parse", 0).is_empty());
}

#[test]
fn definitions_are_exact_and_ordered() {
    let f = Fixture::new(TREE);
    let (index, _) = f.index();
    expect![[r#"
        function    parse         py/parse.py:0:4 500000
        method      parse         py/parse.py:4:8 500000
        method      parse         src/parser.rs:2:11 500000
    "#]]
    .assert_eq(&f.hits(&index.definitions("parse", 10)));
    expect![[r#"
        struct      Parser        src/parser.rs:0:11 500000
    "#]]
    .assert_eq(&f.hits(&index.definitions("Parser", 10)));
    assert_eq!(index.definitions("parse", 2).len(), 2);
    assert!(index.definitions("pars", 10).is_empty());
    assert!(index.definitions("PARSE", 10).is_empty());
}

fn open(index: &crate::Index, path: &std::path::Path, lang: Lang, text: &str) {
    let rope = Rope::from_str(text);
    let tree = syntax::parse_rope(lang, &rope, None).unwrap();
    index.set_open(path, lang, &syntax::symbols_rope(lang, &tree, &rope), &rope);
}

fn names(index: &crate::Index, path: &std::path::Path) -> Vec<String> {
    index.file_symbols(path).map(|s| s.iter().map(|s| s.name.to_string()).collect()).unwrap_or_default()
}

#[test]
fn open_buffers_override_disk_until_closed() {
    let f = Fixture::new(TREE);
    let (index, _) = f.index();
    let path = f.path("py/parse.py");
    assert_eq!(names(&index, &path), ["parse", "Parse", "parse", "parse_mode", "compare_paths"]);

    open(&index, &path, Lang::Python, "def edited():\n    pass\n");
    assert_eq!(names(&index, &path), ["edited"]);
    assert_eq!(index.definitions("edited", 5).len(), 1);
    assert!(index.definitions("compare_paths", 5).is_empty());
    assert_eq!(index.definitions("parse", 10).len(), 1, "only the Rust method is left");

    // Disk events wait while the buffer is open.
    f.write("py/parse.py", "def saved():\n    pass\n");
    index.refresh_file(&path);
    assert_eq!(names(&index, &path), ["edited"]);

    // Closing serves the disk again, re-read.
    index.close(&path);
    assert_eq!(names(&index, &path), ["saved"]);
    assert!(index.definitions("edited", 5).is_empty());

    // The cache holds the disk state, never the buffer's.
    open(&index, &path, Lang::Python, "def unsaved(): pass\n");
    index.save_cache().unwrap();
    let (restarted, _) = f.index();
    assert_eq!(names(&restarted, &path), ["saved"]);

    // A buffer for a file that is not on disk disappears when closed.
    let scratch = f.path("py/scratch.py");
    open(&index, &scratch, Lang::Python, "class Scratch: pass\n");
    assert!(index.is_indexed(&scratch));
    assert_eq!(index.definitions("Scratch", 5).len(), 1);
    index.close(&scratch);
    assert!(!index.is_indexed(&scratch));
    assert!(index.definitions("Scratch", 5).is_empty());
}

#[test]
fn positions_are_right_in_every_encoding() {
    // Non-ASCII before names on the same line, CRLF and lone CR line breaks.
    let source = "const s = \"é😀\"; function after() {}\r\n// 𝒳\rfunction naïve_ñ() { return '😀'; }\r\nclass Ünï {}\n";
    let f = Fixture::new("");
    f.write("web/pos.js", source);
    let (index, _) = f.index();
    let path = f.path("web/pos.js");
    let disk = index.file_symbols(&path).unwrap();

    // What the index computed without a rope is what `text` computes with one.
    let rope = Rope::from_str(source);
    let tree = syntax::parse_rope(Lang::JavaScript, &rope, None).unwrap();
    let symbols = syntax::symbols_rope(Lang::JavaScript, &tree, &rope);
    assert_eq!(disk.len(), symbols.len());
    for (d, s) in disk.iter().zip(&symbols) {
        assert_eq!(d.selection, (text::pos_of(&rope, s.selection.start), text::pos_of(&rope, s.selection.end)));
        assert_eq!(d.range, (text::pos_of(&rope, s.range.start), text::pos_of(&rope, s.range.end)));
    }
    let cols: Vec<String> = disk
        .iter()
        .map(|s| {
            let (a, b) = s.selection;
            format!("{} line {} utf8 {}..{} utf16 {}..{} utf32 {}..{}", s.name, a.line, a.utf8, b.utf8, a.utf16, b.utf16, a.utf32, b.utf32)
        })
        .collect();
    expect![[r#"
        [
            "s line 0 utf8 6..7 utf16 6..7 utf32 6..7",
            "after line 0 utf8 29..34 utf16 26..31 utf32 25..30",
            "naïve_ñ line 2 utf8 9..18 utf16 9..16 utf32 9..16",
            "Ünï line 3 utf8 6..11 utf16 6..9 utf32 6..9",
        ]
    "#]]
    .assert_debug_eq(&cols);

    // The cache keeps them exactly.
    let (restarted, stats) = f.index();
    assert_eq!(stats.files_from_cache, 1);
    assert_eq!(restarted.file_symbols(&path).unwrap(), disk);

    // The same text as an open buffer gives the same positions.
    open(&index, &path, Lang::JavaScript, source);
    assert_eq!(index.file_symbols(&path).unwrap(), disk);
}
