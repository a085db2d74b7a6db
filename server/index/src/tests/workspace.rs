//! The walk, skipping, the persisted cache and disk refreshes.

use super::fixture::{counts, Fixture};
use crate::cache;
use crate::{Index, IndexProgress};
use expect_test::expect;
use std::sync::Mutex;

const TREE: &str = r#"
//- /.gitignore
build/
*.gen.py
//- /src/.ignore
skipped_by_ignore.py
//- /src/app.py
class App:
    def run(self):
        return helper()

def helper():
    return 1
//- /src/lib.rs
pub struct Config { pub name: String }
pub fn load() -> Config { todo!() }
//- /src/skipped_by_ignore.py
def nope(): pass
//- /src/schema.gen.py
def generated(): pass
//- /build/out.py
def built(): pass
//- /.hidden/secret.py
def hidden(): pass
//- /notes.txt
not a language we parse
//- /web/main.js
function start() {}
"#;

#[test]
fn walk_respects_ignore_files_and_hidden_paths() {
    let f = Fixture::new(TREE);
    let (index, stats) = f.index();
    expect![[r#"
        [
            "src/app.py",
            "src/lib.rs",
            "web/main.js",
        ]
    "#]]
    .assert_debug_eq(&f.indexed(&index));
    assert_eq!(counts(&stats), (3, 3, 0, 0));
    assert_eq!(stats.symbols, index.stats().symbols);

    // A refresh of a path the walk would not visit does not index it either.
    for rel in ["build/new.py", "src/other.gen.py", ".hidden/more.py"] {
        f.write(rel, "def sneaky(): pass\n");
        index.refresh_file(&f.path(rel));
        assert!(!index.is_indexed(&f.path(rel)), "{rel}");
    }
    // A new file that the walk would visit is indexed by a refresh.
    f.write("src/new.py", "def fresh(): pass\n");
    index.refresh_file(&f.path("src/new.py"));
    assert!(index.is_indexed(&f.path("src/new.py")));
    assert_eq!(index.definitions("fresh", 5).len(), 1);
    assert!(index.definitions("sneaky", 5).is_empty());
}

#[test]
fn skips_huge_binary_minified_and_non_utf8_files_with_reasons() {
    let f = Fixture::new("//- /ok.py\ndef fine(): pass\n");
    f.write("huge.py", "x = 1\n".repeat(20_000));
    f.write("binary.py", b"def a(): pass\n\0\x01\x02");
    f.write("minified.js", format!("var a={};\n", "1+".repeat(3_000) + "1"));
    f.write("wide.js", format!("{}\n", "var abc = [1, 2, 3]; ".repeat(20)).repeat(100));
    f.write("latin1.py", b"name = '\xe9t\xe9'\n");
    let (index, stats) = f.index();
    assert_eq!(counts(&stats), (6, 1, 0, 5));
    let reasons: Vec<String> = index.skipped_files().iter().map(|(p, r)| format!("{}: {r}", f.rel(p))).collect();
    expect![[r#"
        [
            "binary.py: binary (NUL byte)",
            "huge.py: too large (117.2 KiB > 64.0 KiB)",
            "latin1.py: not valid UTF-8",
            "minified.js: minified (longest line 6008 bytes, average 6009)",
            "wide.js: minified (longest line 420 bytes, average 421)",
        ]
    "#]]
    .assert_debug_eq(&reasons);
    assert_eq!(f.indexed(&index), ["ok.py"]);

    // Skips are cached too: a restart neither reads nor counts them as parsed.
    let (index, stats) = f.index();
    assert_eq!(counts(&stats), (6, 0, 1, 5));
    assert_eq!(index.skipped_files().len(), 5);

    // A larger limit takes the huge file in without any other change.
    let mut cfg = f.config();
    cfg.max_file_bytes = 1 << 20;
    let stats = Index::new(cfg).index_workspace(&|_| {});
    assert_eq!(counts(&stats), (6, 1, 1, 4));
}

#[test]
fn cache_round_trip_reparses_only_what_changed() {
    let f = Fixture::new(TREE);
    let (cold, stats) = f.index();
    assert_eq!(counts(&stats), (3, 3, 0, 0));
    let symbols = stats.symbols;
    assert!(symbols > 0);

    // A restart reads the cache: nothing is parsed.
    let (warm, stats) = f.index();
    assert_eq!(counts(&stats), (3, 0, 3, 0));
    assert_eq!(stats.symbols, symbols);
    assert_eq!(cold.file_symbols(&f.path("src/app.py")), warm.file_symbols(&f.path("src/app.py")));
    assert_eq!(f.indexed(&cold), f.indexed(&warm));

    // A new mtime with the same content is verified by hash, not parsed.
    f.set_age("src/lib.rs", 7200);
    let (_, stats) = f.index();
    assert_eq!(counts(&stats), (3, 0, 3, 0));

    // Changed content is parsed, exactly once.
    f.write("src/app.py", "def renamed(): pass\n");
    let (index, stats) = f.index();
    assert_eq!(counts(&stats), (3, 1, 2, 0));
    assert_eq!(index.definitions("renamed", 5).len(), 1);
    assert!(index.definitions("App", 5).is_empty());

    // A deleted file is dropped, from memory and from the cache.
    f.remove("web/main.js");
    let (index, stats) = f.index();
    assert_eq!(counts(&stats), (2, 0, 2, 0));
    assert!(index.definitions("start", 5).is_empty());
    let (_, stats) = f.index();
    assert_eq!(counts(&stats), (2, 0, 2, 0));

    // Without a cache directory everything is parsed every time.
    let mut cfg = f.config();
    cfg.cache_dir = None;
    let stats = Index::new(cfg).index_workspace(&|_| {});
    assert_eq!(counts(&stats), (2, 2, 0, 0));
}

#[test]
fn second_run_in_the_same_process_reuses_memory_and_drops_vanished_files() {
    let f = Fixture::new(TREE);
    let mut cfg = f.config();
    cfg.cache_dir = None;
    let index = Index::new(cfg);
    let first = index.index_workspace(&|_| {});
    assert_eq!(counts(&first), (3, 3, 0, 0));
    f.remove("src/lib.rs");
    f.write("src/app.py", "def other(): pass\n");
    let second = index.index_workspace(&|_| {});
    assert_eq!(counts(&second), (2, 1, 1, 0));
    assert_eq!(f.indexed(&index), ["src/app.py", "web/main.js"]);
    assert!(index.definitions("Config", 5).is_empty());
}

#[test]
fn corrupt_or_foreign_caches_are_discarded() {
    let f = Fixture::new(TREE);
    let (_, stats) = f.index();
    assert_eq!(stats.files_parsed, 3);
    let cache_file = cache::cache_path(&f.cache_dir(), &f.root());
    let good = std::fs::read(&cache_file).unwrap();

    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0xff;
    let mut wrong_version = good.clone();
    wrong_version[8] = wrong_version[8].wrapping_add(1);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("garbage", b"this is not a cache file at all, not even close".to_vec()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("flipped byte", flipped),
        ("wrong version", wrong_version),
    ];
    for (what, bytes) in cases {
        std::fs::write(&cache_file, &bytes).unwrap();
        let (index, stats) = f.index();
        assert_eq!(counts(&stats), (3, 3, 0, 0), "{what}");
        assert_eq!(index.definitions("helper", 5).len(), 1, "{what}");
        // The run wrote a good cache again.
        assert_eq!(f.index().1.files_parsed, 0, "{what}");
    }

    // Every prefix and every single-byte change of a valid body decodes or fails cleanly.
    let root = f.root();
    for cut in 0..good.len() {
        let _ = cache::decode(&good[..cut], &root, &root);
    }
    assert!(cache::decode(&good, &root, &root).is_ok());
    let elsewhere = root.join("elsewhere");
    assert!(matches!(cache::decode(&good, &elsewhere, &root), Err(cache::LoadError::OtherRoot)));
}

#[test]
fn refresh_and_remove_follow_the_disk() {
    let f = Fixture::new(TREE);
    let (index, _) = f.index();
    f.write("src/app.py", "class Renamed:\n    pass\n");
    index.refresh_file(&f.path("src/app.py"));
    assert_eq!(index.definitions("Renamed", 5).len(), 1);
    assert!(index.definitions("helper", 5).is_empty());

    // A refresh of a path that is gone removes it.
    f.remove("src/app.py");
    index.refresh_file(&f.path("src/app.py"));
    assert!(!index.is_indexed(&f.path("src/app.py")));

    // Removing a directory removes the files under it.
    index.remove_file(&f.path("src"));
    assert_eq!(f.indexed(&index), ["web/main.js"]);

    // Refreshing a created directory walks it, with the ignore rules.
    f.write("pkg/mod.py", "def in_pkg(): pass\n");
    f.write("pkg/x.gen.py", "def gen(): pass\n");
    index.refresh_file(&f.path("pkg"));
    assert_eq!(f.indexed(&index), ["pkg/mod.py", "web/main.js"]);

    // The next restart sees the refreshes through the cache.
    index.save_cache().unwrap();
    let (restarted, stats) = f.index();
    assert_eq!(f.indexed(&restarted), ["pkg/mod.py", "src/lib.rs", "web/main.js"]);
    assert_eq!(stats.files_parsed, 1, "only src/lib.rs, removed by the directory removal, is parsed again");
}

#[test]
fn progress_is_reported_at_most_every_percent() {
    let f = Fixture::new("");
    for i in 0..450 {
        f.write(&format!("m/f{i:03}.py"), format!("def f{i}(): pass\n"));
    }
    let calls: Mutex<Vec<IndexProgress>> = Mutex::new(Vec::new());
    let index = Index::new(f.config());
    let stats = index.index_workspace(&|p| calls.lock().unwrap().push(p));
    assert_eq!(stats.files_parsed, 450);
    let calls = calls.into_inner().unwrap();
    assert!(calls.len() <= 102, "{} progress calls", calls.len());
    assert!(calls.windows(2).all(|w| w[0].done <= w[1].done));
    assert_eq!(calls.last(), Some(&IndexProgress { done: 450, total: 450 }));
    assert_eq!(index.search("f449", 1).len(), 1);
}

#[test]
fn nested_roots_index_each_file_once_with_a_cache_each() {
    let f = Fixture::new(TREE);
    f.write("web/inner/deep.py", "def deep(): pass\n");
    let mut cfg = f.config();
    cfg.roots.push(f.root().join("web"));
    let index = Index::new(cfg.clone());
    let stats = index.index_workspace(&|_| {});
    assert_eq!(counts(&stats), (4, 4, 0, 0));
    assert_eq!(index.definitions("deep", 5).len(), 1);
    assert_eq!(std::fs::read_dir(f.cache_dir()).unwrap().count(), 2);
    let stats = Index::new(cfg).index_workspace(&|_| {});
    assert_eq!(counts(&stats), (4, 0, 4, 0));
}

#[test]
fn searches_run_while_a_workspace_run_is_under_way() {
    fn send_sync<T: Send + Sync + Clone>() {}
    send_sync::<Index>();
    let f = Fixture::new("");
    for i in 0..300 {
        f.write(&format!("m/f{i:03}.py"), format!("class C{i}:\n    def method_{i}(self): pass\n"));
    }
    let index = Index::new(f.config());
    std::thread::scope(|s| {
        let runner = index.clone();
        let run = s.spawn(move || runner.index_workspace(&|_| {}));
        while !run.is_finished() {
            let _ = index.search("method", 10);
            let _ = index.definitions("C1", 10);
        }
        assert_eq!(run.join().unwrap().files_parsed, 300);
    });
    assert_eq!(&*index.search("method_2", 5)[0].symbol.name, "method_2");
    assert_eq!(index.definitions("C299", 5).len(), 1);
}

#[cfg(unix)]
#[test]
fn a_symlinked_root_keeps_the_editors_spelling_and_shares_the_cache() {
    let f = Fixture::new(TREE);
    let link = f.dir.join("link");
    std::os::unix::fs::symlink(f.dir.join("ws"), &link).unwrap();
    let mut cfg = f.config();
    cfg.roots = vec![link.clone()];
    let index = Index::new(cfg);
    let stats = index.index_workspace(&|_| {});
    assert_eq!(counts(&stats), (3, 3, 0, 0));
    let hit = &index.definitions("helper", 5)[0];
    assert_eq!(&*hit.path, link.join("src/app.py"));
    // Paths through the canonical spelling reach the same entry.
    assert!(index.is_indexed(&f.path("src/app.py")));
    assert!(index.is_indexed(&link.join("src/app.py")));
    f.write("src/app.py", "def through_target(): pass\n");
    index.refresh_file(&f.path("src/app.py"));
    assert_eq!(index.definitions("through_target", 5)[0].path, hit.path);
    // The cache belongs to the canonical root, whatever the spelling.
    index.save_cache().unwrap();
    let (_, stats) = f.index();
    assert_eq!(counts(&stats), (3, 0, 3, 0));
}
