//! The index's parameters (`IndexConfig`) and where its cache lives by default.
//!
//! Plain data only: nothing here touches the index or the file system beyond reading
//! environment variables.

use std::path::PathBuf;

/// Files larger than this are skipped unless the configuration says otherwise: generated
/// sources of that size rarely hold symbols a person wants to jump to.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Clone, Debug)]
pub struct IndexConfig {
    /// Workspace roots. Each is canonicalized when the index is created; a root nested in
    /// another is walked on its own and skipped by the outer walk.
    pub roots: Vec<PathBuf>,
    /// Where to persist one cache file per root. `None` disables persistence.
    pub cache_dir: Option<PathBuf>,
    /// Larger files are skipped (and counted in `IndexStats::files_skipped`).
    pub max_file_bytes: u64,
    /// Threads for the walk and for parsing; at least 1.
    pub threads: usize,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            roots: Vec::new(),
            cache_dir: default_cache_dir(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            threads: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
        }
    }
}

/// `$CODELOOP_CACHE_DIR`, else `$XDG_CACHE_HOME/codeloop`, else `~/.cache/codeloop`.
/// Empty variables count as unset. `None` when there is no home directory either.
pub fn default_cache_dir() -> Option<PathBuf> {
    stdx::app_dir("CODELOOP_CACHE_DIR", "XDG_CACHE_HOME", ".cache")
}
