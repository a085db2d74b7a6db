//! The pruned symbols walk (`symbols::extract` with `reach`) must find exactly what matching
//! the query over the whole tree finds: on every corpus file, on broken variants of them, and
//! (by hand, `#[ignore]`) on any directory tree.

use crate::symbols::symbols_bytes_full;
use crate::{parse_bytes, symbols_bytes, Lang};

fn compare(lang: Lang, src: &[u8], what: &str) {
    let tree = parse_bytes(lang, src).unwrap();
    assert_eq!(symbols_bytes(lang, &tree, src), symbols_bytes_full(lang, &tree, src), "{lang}: {what}");
}

#[test]
fn pruned_walk_matches_the_whole_tree_query_on_every_corpus_file() {
    for lang in Lang::ALL {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../grammars/corpus").join(lang.name());
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.ends_with("expected.txt") {
                continue;
            }
            let src = std::fs::read(&path).unwrap();
            compare(lang, &src, &path.display().to_string());
            // Broken variants: every 97th byte dropped, or a brace opened halfway, so error
            // nodes sit in the middle of definitions (node types do not bound those subtrees).
            let dropped: Vec<u8> = src.iter().enumerate().filter(|(i, _)| i % 97 != 0).map(|(_, b)| *b).collect();
            compare(lang, &dropped, &format!("{} with bytes dropped", path.display()));
            let mut opened = src.clone();
            opened.splice(src.len() / 2..src.len() / 2, b"{ ( [".iter().copied());
            compare(lang, &opened, &format!("{} with brackets opened", path.display()));
        }
    }
}

#[test]
fn definitions_inside_extras_are_found() {
    // A Ruby heredoc body is an extra: node types list no parent for it, yet its interpolation
    // holds statements, here inside a parameter default of a method.
    let src = "def m(a = <<~X, &\n  #{class Foo; end}\nX\n  blk)\nend\n";
    compare(Lang::Ruby, src.as_bytes(), "class in a heredoc interpolation");
    let tree = parse_bytes(Lang::Ruby, src.as_bytes()).unwrap();
    let names: Vec<String> = symbols_bytes(Lang::Ruby, &tree, src.as_bytes()).into_iter().map(|s| s.name).collect();
    assert!(names.contains(&"Foo".to_string()), "{names:?}");
}

/// `CODELOOP_SYMBOLS_DIFF_DIR=/usr/lib/python3.11 cargo test --release -p syntax pruned_walk_on_a_tree -- --ignored`
#[test]
#[ignore]
fn pruned_walk_on_a_tree() {
    let root = std::env::var("CODELOOP_SYMBOLS_DIFF_DIR").expect("set CODELOOP_SYMBOLS_DIFF_DIR");
    let (mut files, mut symbols) = (0, 0);
    let mut todo = vec![std::path::PathBuf::from(root)];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                todo.push(path);
            } else if let (true, Some(lang)) = (kind.is_file(), Lang::from_path(&path)) {
                let Ok(src) = std::fs::read(&path) else { continue };
                if src.len() > 2_000_000 {
                    continue;
                }
                let Some(tree) = parse_bytes(lang, &src) else { continue };
                let pruned = symbols_bytes(lang, &tree, &src);
                assert_eq!(pruned, symbols_bytes_full(lang, &tree, &src), "{}", path.display());
                files += 1;
                symbols += pruned.len();
            }
        }
    }
    eprintln!("{files} files, {symbols} symbols: the pruned walk and the whole-tree query agree");
}
