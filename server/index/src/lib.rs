//! The workspace symbol index: every file of the workspace roots that `syntax` knows is
//! parsed once, its symbols kept in memory (positions resolved in every encoding, no file
//! contents) and persisted per root, so a restart re-parses only what changed.
//!
//! Architecture invariants:
//! - the index holds only derived state and can always be rebuilt: a missing, corrupt or
//!   outdated cache is discarded with a warning, never an error;
//! - open buffers override disk: while a file is open its symbols come from `set_open`, and
//!   disk events for it wait until `close`, which re-reads the file;
//! - no file contents are kept: symbols carry `TextPos` positions, not text;
//! - nothing here panics on bad input or prints to stdout (the LSP stream); problems are
//!   traced and the file is skipped.
//!
//! It is not a semantic model: names are resolved by exact match only, with no scopes or
//! imports. Calls that touch the disk block: `index_workspace` walks and parses on a pool
//! of `threads` threads, `refresh_file` and `close` read and parse one file on the caller's
//! thread. Callers in async code run them on a blocking thread. Readers (`search`,
//! `definitions`, `file_symbols`) only take a read lock and never touch the disk.
//!
//! Code map: `scan` (runs, refreshes, cache writes) drives `walk` (which paths), `filter`
//! (which contents), `lines` and `symbol` (compact symbol tables with positions), `store`
//! (the in-memory index) and `cache` (the on-disk format); `search` and `context` read.

mod cache;
mod config;
pub mod context;
mod filter;
mod lines;
mod scan;
mod search;
mod store;
mod symbol;
mod walk;

pub use config::{default_cache_dir, IndexConfig, DEFAULT_MAX_FILE_BYTES};
pub use filter::SkipReason;
pub use symbol::IndexedSymbol;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;
use store::State;
use walk::PathFilter;

/// A symbol found by `search` or `definitions`. Higher scores rank first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolHit {
    pub path: Arc<Path>,
    pub symbol: IndexedSymbol,
    pub score: u32,
}

/// What a workspace indexing run did. `stats()` returns the last run's numbers with the
/// current symbol count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Files of a known language that the walk found (skipped ones included).
    pub files_seen: usize,
    /// Files read and parsed.
    pub files_parsed: usize,
    /// Files whose symbols were reused: unchanged size and mtime, or unchanged content.
    pub files_from_cache: usize,
    /// Files left out: too large, binary, not UTF-8 or minified.
    pub files_skipped: usize,
    /// Symbols served by the index after the run.
    pub symbols: usize,
    pub elapsed: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexProgress {
    pub done: usize,
    pub total: usize,
}

/// The workspace index. Cloning is cheap (an `Arc`); every method takes `&self`.
#[derive(Clone)]
pub struct Index {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    cfg: IndexConfig,
    /// `cfg.roots` made absolute (not canonical: paths keep the spelling the editor uses),
    /// without duplicates.
    roots: Vec<PathBuf>,
    /// The canonical form of each root: the identity of its cache file, and an alias
    /// under which paths are accepted too.
    canonical: Vec<PathBuf>,
    filters: Vec<PathFilter>,
    state: RwLock<State>,
    /// Serializes workspace runs.
    running: Mutex<()>,
    /// Roots whose disk state is in memory, so a new run need not read their cache.
    populated: Mutex<Vec<bool>>,
    last: Mutex<IndexStats>,
}

impl Inner {
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `path` spelled under its root as given, when it came through a root's canonical
    /// form (a symlinked workspace, `/tmp` and `/private/tmp`).
    fn normalize<'p>(&self, path: &'p Path) -> Cow<'p, Path> {
        if self.roots.iter().any(|r| path.starts_with(r)) {
            return Cow::Borrowed(path);
        }
        for (root, canonical) in self.roots.iter().zip(&self.canonical) {
            if let Ok(rel) = path.strip_prefix(canonical) {
                return Cow::Owned(root.join(rel));
            }
        }
        Cow::Borrowed(path)
    }

    /// The innermost root containing `path`.
    fn root_of(&self, path: &Path) -> Option<u32> {
        self.roots.iter().enumerate().filter(|(_, r)| path.starts_with(r)).max_by_key(|(_, r)| r.as_os_str().len()).map(|(i, _)| i as u32)
    }
}

impl Index {
    pub fn new(cfg: IndexConfig) -> Index {
        let (mut roots, mut canonical) = (Vec::new(), Vec::new());
        for root in &cfg.roots {
            let absolute = std::path::absolute(root).unwrap_or_else(|_| root.clone());
            let real = std::fs::canonicalize(root).unwrap_or_else(|_| absolute.clone());
            if !canonical.contains(&real) {
                roots.push(absolute);
                canonical.push(real);
            }
        }
        let filters = roots.iter().cloned().map(PathFilter::new).collect();
        let n = roots.len();
        Index {
            inner: Arc::new(Inner {
                cfg,
                roots,
                canonical,
                filters,
                state: RwLock::new(State::new(n)),
                running: Mutex::new(()),
                populated: Mutex::new(vec![false; n]),
                last: Mutex::new(IndexStats::default()),
            }),
        }
    }

    /// The workspace roots, absolute, as configured.
    pub fn roots(&self) -> &[PathBuf] {
        &self.inner.roots
    }

    /// Walks the roots, reuses what the cache or memory holds for unchanged files, parses
    /// the rest on `threads` threads, drops vanished files and saves the cache. Blocking;
    /// concurrent calls run one after the other. `progress` is called at most every ~1%.
    pub fn index_workspace(&self, progress: &(dyn Fn(IndexProgress) + Sync)) -> IndexStats {
        scan::index_workspace(&self.inner, progress)
    }

    /// The file changed on disk (saved, created, changed): re-read it unless it is open.
    /// A path that no longer exists is removed; a directory is walked.
    pub fn refresh_file(&self, path: &Path) {
        scan::refresh(&self.inner, &self.inner.normalize(path));
    }

    /// The file (or directory) was deleted.
    pub fn remove_file(&self, path: &Path) {
        self.inner.write().remove_disk(&self.inner.normalize(path));
    }

    /// The editor's buffer for `path` now has these symbols (byte ranges into `rope`).
    /// They replace the file's disk symbols until `close`.
    pub fn set_open(&self, path: &Path, lang: syntax::Lang, symbols: &[syntax::Symbol], rope: &text::Rope) {
        let converted = symbol::convert(symbols, |b| text::pos_of(rope, b));
        tracing::trace!(path = %path.display(), lang = lang.name(), symbols = converted.len(), "open buffer indexed");
        let path = self.inner.normalize(path);
        let root = self.inner.root_of(&path);
        self.inner.write().set_open(&path, root, converted);
    }

    /// The buffer was closed: serve the file's disk state again (re-read).
    pub fn close(&self, path: &Path) {
        let path = self.inner.normalize(path);
        self.inner.write().clear_open(&path);
        scan::refresh(&self.inner, &path);
    }

    pub fn file_symbols(&self, path: &Path) -> Option<Arc<[IndexedSymbol]>> {
        self.inner.read().get(&self.inner.normalize(path)).and_then(|e| e.served().map(|s| s.to_vec()))
    }

    /// Fuzzy search over all symbol names, best first; see `search.rs` for the ranking.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SymbolHit> {
        search::search(&self.inner.read(), query, limit)
    }

    /// Symbols named exactly `name`: types and functions first, then by path and position.
    pub fn definitions(&self, name: &str, limit: usize) -> Vec<SymbolHit> {
        search::definitions(&self.inner.read(), name, limit)
    }

    /// The last run's numbers, with the current symbol count.
    pub fn stats(&self) -> IndexStats {
        let mut stats = *Inner::lock(&self.inner.last);
        stats.symbols = self.inner.read().symbol_count();
        stats
    }

    /// Writes the cache of every root whose disk state changed since the last write.
    pub fn save_cache(&self) -> std::io::Result<()> {
        scan::save_cache(&self.inner)
    }

    /// Whether the index serves symbols for `path` (from disk or an open buffer).
    pub fn is_indexed(&self, path: &Path) -> bool {
        self.inner.read().get(&self.inner.normalize(path)).is_some_and(|e| e.served().is_some())
    }

    /// `path` as the index spells it (see `Inner::normalize`).
    pub(crate) fn normalize<'p>(&self, path: &'p Path) -> Cow<'p, Path> {
        self.inner.normalize(path)
    }

    /// Files the walk found but left out, and why.
    pub fn skipped_files(&self) -> Vec<(Arc<Path>, SkipReason)> {
        let state = self.inner.read();
        let mut out: Vec<_> = state
            .entries()
            .filter_map(|(_, e)| match &e.disk.as_ref()?.content {
                Err(reason) => Some((e.path.clone(), *reason)),
                Ok(_) => None,
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

#[cfg(test)]
mod tests;
