//! Indexes a directory once and reports counts, time and memory:
//! `cargo run --release -p index --example index_tree -- DIR CACHE_DIR [QUERY]`.
//! Run it twice with the same (initially empty) CACHE_DIR for a cold and a warm start.
//! A measuring tool for people, not a test; it writes to stderr only.

use index::{Index, IndexConfig};
use std::path::PathBuf;
use std::time::Instant;

fn rss() -> String {
    match stdx::rss_bytes() {
        Some((rss, hwm)) => format!("VmRSS {} VmHWM {}", stdx::human_bytes(rss), stdx::human_bytes(hwm)),
        None => "rss unavailable".to_string(),
    }
}

fn main() {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).with_writer(std::io::stderr).init();
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(cache)) = (args.next().map(PathBuf::from), args.next().map(PathBuf::from)) else {
        eprintln!("usage: index_tree DIR CACHE_DIR [QUERY]");
        std::process::exit(2);
    };
    let query = args.next();
    let cfg = IndexConfig { roots: vec![dir], cache_dir: Some(cache), ..IndexConfig::default() };
    eprintln!("start: {}", rss());
    let index = Index::new(cfg);
    let t = Instant::now();
    let s = index.index_workspace(&|_| {});
    eprintln!(
        "{:.2}s: files {} parsed {} cached {} skipped {} symbols {}; {}",
        t.elapsed().as_secs_f64(),
        s.files_seen,
        s.files_parsed,
        s.files_from_cache,
        s.files_skipped,
        s.symbols,
        rss()
    );
    if let Some(q) = &query {
        let t = Instant::now();
        let hits = index.search(q, 20);
        eprintln!("search {q:?}: {} hits in {:.1} ms", hits.len(), t.elapsed().as_secs_f64() * 1e3);
        for h in hits.iter().take(5) {
            eprintln!("  {} {} {}:{}", h.symbol.kind.as_str(), h.symbol.name, h.path.display(), h.symbol.selection.0.line + 1);
        }
        let t = Instant::now();
        let defs = index.definitions(q, 20);
        eprintln!("definitions {q:?}: {} in {:.3} ms", defs.len(), t.elapsed().as_secs_f64() * 1e3);
    }
}
