//! Finding workspace files: the parallel stat walk and single-path ignore checks.
//!
//! Both follow the same rules (the `ignore` crate's: `.gitignore` even outside a git
//! repository, `.ignore`, `.git/info/exclude`, the global git excludes, hidden files and
//! directories skipped, symlinks not followed) and keep only files whose extension
//! `syntax::Lang` knows. The walk only stats files; reading and parsing happen elsewhere.

use ignore::{IncrementalIgnore, WalkBuilder, WalkState};
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A candidate file and what `stat` said about it.
#[derive(Debug)]
pub(crate) struct Found {
    pub path: PathBuf,
    pub size: u64,
    pub mtime_ns: i64,
}

/// Modification time in nanoseconds since the epoch (negative before it).
pub(crate) fn mtime_ns(meta: &Metadata) -> i64 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.mtime().saturating_mul(1_000_000_000).saturating_add(meta.mtime_nsec())
    }
    #[cfg(not(unix))]
    {
        match meta.modified().map(|t| t.duration_since(std::time::UNIX_EPOCH)) {
            Ok(Ok(d)) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
            Ok(Err(e)) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
            Err(_) => 0,
        }
    }
}

fn builder(paths: &[PathBuf], threads: usize) -> Option<WalkBuilder> {
    let (first, rest) = paths.split_first()?;
    let mut b = WalkBuilder::new(first);
    for p in rest {
        b.add(p);
    }
    b.standard_filters(true).hidden(true).parents(true).require_git(false).follow_links(false).threads(threads.max(1));
    Some(b)
}

/// Walks `paths` in parallel, skipping the directories in `skip_dirs` (nested roots that
/// are walked on their own). Returns the files of known languages, in no particular order.
pub(crate) fn walk(paths: &[PathBuf], skip_dirs: &[PathBuf], threads: usize) -> Vec<Found> {
    let Some(mut b) = builder(paths, threads) else { return Vec::new() };
    let skip: Vec<PathBuf> = skip_dirs.to_vec();
    b.filter_entry(move |e| e.depth() == 0 || !skip.iter().any(|s| s == e.path()));
    let (tx, rx) = crossbeam_channel::unbounded::<Found>();
    b.build_parallel().run(|| {
        let tx = tx.clone();
        Box::new(move |entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    tracing::debug!(%err, "walk error");
                    return WalkState::Continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) || syntax::Lang::from_path(entry.path()).is_none() {
                return WalkState::Continue;
            }
            match entry.metadata() {
                Ok(meta) => {
                    let found = Found { size: meta.len(), mtime_ns: mtime_ns(&meta), path: entry.into_path() };
                    if tx.send(found).is_err() {
                        return WalkState::Quit;
                    }
                }
                Err(err) => tracing::debug!(path = %entry.path().display(), %err, "cannot stat"),
            }
            WalkState::Continue
        })
    });
    drop(tx);
    rx.into_iter().collect()
}

/// Answers "would the walk of this root visit this path?" for one path at a time, for
/// refreshes of files the walk has not seen. Ignore files are read once and cached; a
/// change to one calls for `reset`.
pub(crate) struct PathFilter {
    root: PathBuf,
    matcher: Mutex<Option<IncrementalIgnore>>,
}

impl PathFilter {
    pub(crate) fn new(root: PathBuf) -> PathFilter {
        PathFilter { root, matcher: Mutex::new(None) }
    }

    /// Forgets the loaded ignore files.
    pub(crate) fn reset(&self) {
        *self.matcher.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Whether `path` (under this root) is ignored or hidden. `is_dir` says how to match it.
    pub(crate) fn is_ignored(&self, path: &Path, is_dir: bool) -> bool {
        let Ok(rel) = path.strip_prefix(&self.root) else { return true };
        if rel.components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
            return true;
        }
        let mut guard = self.matcher.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            *guard = builder(std::slice::from_ref(&self.root), 1).and_then(|b| b.build_matchers().into_iter().next());
        }
        match guard.as_mut() {
            Some(m) => m.matched(rel, is_dir).is_ignore(),
            None => false,
        }
    }
}
