//! `codeloop index DIR...`: builds (or refreshes from the persisted cache) the symbol index
//! of some directories and prints statistics, as text or JSON. Used by benchmarks and by
//! users who want to warm the cache before starting an editor. Not a search front end.

use anyhow::Context;
use index::{Index, IndexConfig};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct IndexArgs {
    /// Directories to index (default: the current directory).
    dirs: Vec<PathBuf>,
    /// Cache directory (default: $CODELOOP_CACHE_DIR or ~/.cache/codeloop).
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Do not read or write the persisted cache.
    #[arg(long)]
    no_cache: bool,
    /// Worker threads for parsing (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Also run a workspace-symbol query and print the best hits.
    #[arg(long)]
    query: Option<String>,
}

pub fn run(args: IndexArgs) -> anyhow::Result<std::process::ExitCode> {
    let dirs = if args.dirs.is_empty() { vec![std::env::current_dir().context("no current directory")?] } else { args.dirs };
    let mut roots = Vec::new();
    for d in dirs {
        roots.push(std::fs::canonicalize(&d).with_context(|| format!("cannot index {}", d.display()))?);
    }
    let mut cfg = IndexConfig { roots, ..IndexConfig::default() };
    cfg.cache_dir = if args.no_cache { None } else { args.cache_dir.or_else(index::default_cache_dir) };
    if let Some(t) = args.threads {
        cfg.threads = t.max(1);
    }
    let index = Index::new(cfg);
    let stats = index.index_workspace(&|_| {});
    index.save_cache().context("cannot save the index cache")?;
    let (rss, peak) = stdx::rss_bytes().unwrap_or((0, 0));
    let mut out = std::io::stdout().lock();
    if args.json {
        let v = serde_json::json!({
            "files_seen": stats.files_seen,
            "files_parsed": stats.files_parsed,
            "files_from_cache": stats.files_from_cache,
            "files_skipped": stats.files_skipped,
            "symbols": stats.symbols,
            "elapsed_ms": stats.elapsed.as_secs_f64() * 1000.0,
            "rss_bytes": rss,
            "peak_rss_bytes": peak,
        });
        writeln!(out, "{v}")?;
    } else {
        writeln!(
            out,
            "{} files ({} parsed, {} from cache, {} skipped), {} symbols in {:.3}s; RSS {} (peak {})",
            stats.files_seen,
            stats.files_parsed,
            stats.files_from_cache,
            stats.files_skipped,
            stats.symbols,
            stats.elapsed.as_secs_f64(),
            stdx::human_bytes(rss),
            stdx::human_bytes(peak)
        )?;
    }
    if let Some(q) = args.query {
        for hit in index.search(&q, 20) {
            writeln!(out, "{} {} {}:{}", hit.symbol.kind.as_str(), hit.symbol.name, hit.path.display(), hit.symbol.range.0.line + 1)?;
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
