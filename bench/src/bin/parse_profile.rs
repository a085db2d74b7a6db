//! Where the cold index spends its time, one thread, file by file: parse, symbol extraction and
//! tree drop per language, and the files that take longest to parse. Also times
//! `syntax::outline_bytes` (what the index runs: function bodies skimmed) against the full
//! parse + symbols, and reports every file where their symbols differ. A tool for finding what to
//! optimise in the index (docs/benchmarks.md, cold index); `bench/index_vs_ctags.py` measures
//! the real thing.
//!
//! Usage: cargo run --release -p bench --bin parse_profile -- DIR [DIR...]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use syntax::Lang;

#[derive(Default)]
struct Totals {
    files: usize,
    bytes: usize,
    nodes: usize,
    parse: Duration,
    symbols: Duration,
    drop: Duration,
    outline: Duration,
    differ: usize,
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() {
            walk(&entry.path(), out);
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
}

fn node_count(tree: &syntax::Tree) -> usize {
    let mut cursor = tree.walk();
    let mut count = 1;
    loop {
        if cursor.goto_first_child() || cursor.goto_next_sibling() {
            count += 1;
            continue;
        }
        loop {
            if !cursor.goto_parent() {
                return count;
            }
            if cursor.goto_next_sibling() {
                count += 1;
                break;
            }
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        eprintln!("usage: parse_profile DIR [DIR...]");
        std::process::exit(2);
    }
    let mut files = Vec::new();
    for dir in &dirs {
        walk(dir, &mut files);
    }
    files.sort();
    let mut by_lang: BTreeMap<&'static str, Totals> = BTreeMap::new();
    let mut slowest: Vec<(Duration, usize, PathBuf)> = Vec::new();
    let mut differ: Vec<PathBuf> = Vec::new();
    let mut slowest_outline: Vec<(Duration, usize, PathBuf)> = Vec::new();
    for path in files {
        let Some(lang) = Lang::from_path(&path) else { continue };
        let Ok(src) = std::fs::read(&path) else { continue };
        if src.len() > 1 << 20 {
            // The index skips these (index::DEFAULT_MAX_FILE_BYTES).
            continue;
        }
        let t0 = Instant::now();
        let Some(tree) = syntax::parse_bytes(lang, &src) else { continue };
        let t1 = Instant::now();
        let symbols = syntax::symbols_bytes(lang, &tree, &src);
        let t2 = Instant::now();
        let nodes = node_count(&tree);
        let t3 = Instant::now();
        drop(tree);
        let t4 = Instant::now();
        let t5 = Instant::now();
        let outline = syntax::outline_bytes(lang, &src);
        let outline_time = t5.elapsed();
        if outline.as_ref() != Some(&symbols) {
            if std::env::var_os("PARSE_PROFILE_DIFF").is_some() {
                let outline = outline.clone().unwrap_or_default();
                let only = |a: &[syntax::Symbol], b: &[syntax::Symbol]| -> Vec<String> {
                    a.iter()
                        .filter(|s| !b.contains(s))
                        .take(3)
                        .map(|s| format!("{} {:?} {:?} in {:?}", s.name, s.kind, s.range, s.container))
                        .collect()
                };
                eprintln!("{}: full only {:?}; outline only {:?}", path.display(), only(&symbols, &outline), only(&outline, &symbols));
            }
            differ.push(path.clone());
        }
        let totals = by_lang.entry(lang.name()).or_default();
        totals.files += 1;
        totals.bytes += src.len();
        totals.nodes += nodes;
        totals.parse += t1 - t0;
        totals.symbols += t2 - t1;
        totals.drop += t4 - t3;
        totals.outline += outline_time;
        totals.differ += usize::from(outline.as_ref() != Some(&symbols));
        slowest.push((t1 - t0, src.len(), path.clone()));
        slowest_outline.push((outline_time, src.len(), path));
    }
    println!("| language | files | MB | nodes (M) | parse s | MB/s | ns/node | symbols s | drop s | outline s | outline / (parse+symbols+drop) | symbols differ |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (name, t) in &by_lang {
        let mb = t.bytes as f64 / 1e6;
        println!(
            "| {name} | {} | {mb:.1} | {:.2} | {:.2} | {:.1} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
            t.files,
            t.nodes as f64 / 1e6,
            t.parse.as_secs_f64(),
            mb / t.parse.as_secs_f64(),
            t.parse.as_nanos() as f64 / t.nodes.max(1) as f64,
            t.symbols.as_secs_f64(),
            t.drop.as_secs_f64(),
            t.outline.as_secs_f64(),
            t.outline.as_secs_f64() / (t.parse + t.symbols + t.drop).as_secs_f64(),
            t.differ
        );
    }
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    let total: Duration = slowest.iter().map(|s| s.0).sum();
    for pct in [1, 5, 20] {
        let n = (slowest.len() * pct).div_ceil(100);
        let part: Duration = slowest.iter().take(n).map(|s| s.0).sum();
        println!("slowest {pct}% of files ({n}): {:.0}% of parse time", 100.0 * part.as_secs_f64() / total.as_secs_f64());
    }
    for (d, len, path) in slowest.iter().take(15) {
        println!("{:8.1} ms {:8} B  {}", ms(*d), len, path.display());
    }
    slowest_outline.sort_by_key(|s| std::cmp::Reverse(s.0));
    println!("slowest outlines (what the index runs):");
    for (d, len, path) in slowest_outline.iter().take(15) {
        println!("{:8.1} ms {:8} B  {}", ms(*d), len, path.display());
    }
    for path in differ.iter().take(40) {
        println!("symbols differ: {}", path.display());
    }
}
