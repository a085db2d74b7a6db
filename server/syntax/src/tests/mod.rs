//! Tests for the syntax crate: outlines per language, the corpora under `grammars/corpus/`,
//! incremental re-parsing against fresh parses, the pruned symbols walk against the whole-tree
//! query, rope reading, and the query checks.
//!
//! Timing measurements are not tests and do not live here.

mod balance;
mod corpus;
mod incremental;
mod nodes;
mod outline;
mod reach;
mod reuse;
mod rope;
mod skim;

use crate::{parse_bytes, symbols_bytes, Lang, Symbol};

/// Renders symbols as an indented outline, one line each:
/// `kind name [range] sel [selection] in container`.
pub(crate) fn render(symbols: &[Symbol]) -> String {
    let mut depth = vec![0usize; symbols.len()];
    let mut out = String::new();
    for (i, s) in symbols.iter().enumerate() {
        if let Some(p) = s.parent {
            assert!(p < i, "parent {p} after child {i}: {s:?}");
            depth[i] = depth[p] + 1;
        }
        out.push_str(&"  ".repeat(depth[i]));
        out.push_str(&format!(
            "{} {} [{}..{}] sel [{}..{}]",
            s.kind.as_str(),
            s.name,
            s.range.start,
            s.range.end,
            s.selection.start,
            s.selection.end
        ));
        if let Some(c) = &s.container {
            out.push_str(&format!(" in {c}"));
        }
        out.push('\n');
    }
    out
}

/// Parses `src` and returns the symbols, asserting the basic invariants on the way.
pub(crate) fn outline(lang: Lang, src: &str) -> Vec<Symbol> {
    let tree = parse_bytes(lang, src.as_bytes()).expect("parse");
    let symbols = symbols_bytes(lang, &tree, src.as_bytes());
    for s in &symbols {
        assert!(s.range.start <= s.selection.start && s.selection.end <= s.range.end, "{s:?}");
        let selected = src[s.selection.clone()].split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(s.name.ends_with(&selected), "name {:?} is not the selected {selected:?}", s.name);
    }
    symbols
}

#[test]
fn every_query_compiles() {
    assert_eq!(crate::check_queries(), Vec::new());
}

#[test]
fn lang_mappings() {
    use std::path::Path;
    for lang in Lang::ALL {
        assert_eq!(Lang::from_name(lang.name()), Some(lang));
    }
    let cases = [
        ("src/main.rs", Some(Lang::Rust)),
        ("a/b.pyi", Some(Lang::Python)),
        ("x.mjs", Some(Lang::JavaScript)),
        ("x.JSX", Some(Lang::JavaScript)),
        ("x.cts", Some(Lang::TypeScript)),
        ("x.tsx", Some(Lang::Tsx)),
        ("x.go", Some(Lang::Go)),
        ("x.h", Some(Lang::C)),
        ("x.hpp", Some(Lang::Cpp)),
        ("x.cc", Some(Lang::Cpp)),
        ("X.java", Some(Lang::Java)),
        ("Rakefile", Some(Lang::Ruby)),
        ("Gemfile", Some(Lang::Ruby)),
        ("x.gemspec", Some(Lang::Ruby)),
        ("x.bash", Some(Lang::Bash)),
        ("x.zsh", None),
        ("Makefile", None),
        ("noext", None),
    ];
    for (path, want) in cases {
        assert_eq!(Lang::from_path(Path::new(path)), want, "{path}");
    }
    let ids = [
        ("rust", Some(Lang::Rust)),
        ("javascriptreact", Some(Lang::JavaScript)),
        ("typescriptreact", Some(Lang::Tsx)),
        ("shellscript", Some(Lang::Bash)),
        ("cpp", Some(Lang::Cpp)),
        ("plaintext", None),
    ];
    for (id, want) in ids {
        assert_eq!(Lang::from_language_id(id), want, "{id}");
    }
}
