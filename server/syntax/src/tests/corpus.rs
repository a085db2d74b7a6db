//! The per-language corpora under `grammars/corpus/<lang>/`: realistic files that must parse
//! without errors and whose outline is pinned in `expected.txt` next to them. Reading through a
//! rope and through a byte slice must give the same symbols.

use std::path::{Path, PathBuf};

use expect_test::expect_file;

use crate::{parse_bytes, parse_rope, symbols_bytes, symbols_rope, Lang, Symbol};

fn corpus_dir(lang: Lang) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../grammars/corpus").join(lang.name())
}

/// The outline with 1-based line spans instead of bytes, so the snapshot reads like the file.
fn render_lines(src: &str, symbols: &[Symbol]) -> String {
    let line = |byte: usize| src[..byte].matches('\n').count() + 1;
    let mut depth = vec![0usize; symbols.len()];
    let mut out = String::new();
    for (i, s) in symbols.iter().enumerate() {
        if let Some(p) = s.parent {
            depth[i] = depth[p] + 1;
        }
        let (start, end) = (line(s.range.start), line(s.range.end));
        out.push_str(&format!("{}{} {} L{start}-{end}", "  ".repeat(depth[i]), s.kind.as_str(), s.name));
        if let Some(c) = &s.container {
            out.push_str(&format!(" in {c}"));
        }
        out.push('\n');
    }
    out
}

fn check_corpus(lang: Lang) {
    let dir = corpus_dir(lang);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "expected.txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files for {lang}");
    let mut actual = String::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(Lang::from_path(&path), Some(lang), "{name} maps to another language");
        let src = std::fs::read_to_string(&path).unwrap();
        let lines = src.lines().count();
        assert!((40..=150).contains(&lines), "{name}: {lines} lines, want 40-150");

        let tree = parse_bytes(lang, src.as_bytes()).unwrap();
        assert!(!tree.root_node().has_error(), "{name} does not parse cleanly:\n{}", tree.root_node().to_sexp());
        let symbols = symbols_bytes(lang, &tree, src.as_bytes());

        let rope = text::Rope::from_str(&src);
        let rope_tree = parse_rope(lang, &rope, None).unwrap();
        assert_eq!(rope_tree.root_node().to_sexp(), tree.root_node().to_sexp(), "{name}");
        assert_eq!(symbols_rope(lang, &rope_tree, &rope), symbols, "{name}");

        actual.push_str(&format!("== {name}\n"));
        actual.push_str(&render_lines(&src, &symbols));
    }
    expect_file![dir.join("expected.txt")].assert_eq(&actual);
}

#[test]
fn rust() {
    check_corpus(Lang::Rust);
}

#[test]
fn python() {
    check_corpus(Lang::Python);
}

#[test]
fn javascript() {
    check_corpus(Lang::JavaScript);
}

#[test]
fn typescript() {
    check_corpus(Lang::TypeScript);
}

#[test]
fn tsx() {
    check_corpus(Lang::Tsx);
}

#[test]
fn go() {
    check_corpus(Lang::Go);
}

#[test]
fn c() {
    check_corpus(Lang::C);
}

#[test]
fn cpp() {
    check_corpus(Lang::Cpp);
}

#[test]
fn java() {
    check_corpus(Lang::Java);
}

#[test]
fn ruby() {
    check_corpus(Lang::Ruby);
}

#[test]
fn bash() {
    check_corpus(Lang::Bash);
}
