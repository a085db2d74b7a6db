//! Bringing the index in line with the disk: the workspace run, single-file refreshes and
//! cache writes.
//!
//! A run has two phases. First a parallel stat walk, while another thread loads the caches
//! of roots not yet in memory; files whose `(size, mtime)` match what is known are reused
//! without being read. Then the rest are read on `threads` workers, hashed (an unchanged
//! hash reuses the old symbols) and parsed; results are applied to the store in batches, so
//! searches see the index fill up. This module decides what to read; `filter` decides
//! what to skip and `store` keeps the result.

use crate::cache;
use crate::filter::{check_content, check_size, SkipReason};
use crate::lines::LineIndex;
use crate::store::{DiskState, FileKey, State};
use crate::symbol;
use crate::walk::{self, mtime_ns, Found};
use crate::{IndexProgress, IndexStats, Inner};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A file modified less than this before it was read may change again without its mtime
/// changing (coarse file system clocks); its hash is checked on the next run.
const RACY_NS: i64 = 2_000_000_000;
/// Results applied to the store under one write lock.
const BATCH: usize = 256;

/// What reading one file gave.
pub(crate) enum Outcome {
    /// Unchanged size and mtime: the known state, not read.
    Reused(DiskState),
    /// Read, but the content hash matched: the known symbols with the new key.
    Verified(DiskState),
    Parsed(DiskState),
    Skipped(DiskState),
    /// Vanished or unreadable.
    Gone,
}

fn now_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0)
}

fn skipped(path: &Path, key: FileKey, reason: SkipReason) -> Outcome {
    tracing::debug!(path = %path.display(), %reason, "skipping file");
    Outcome::Skipped(DiskState { key, content: Err(reason) })
}

/// Reads, checks and parses one file. `old` is what the index knew about it.
pub(crate) fn read_disk(path: &Path, max_bytes: u64, old: Option<&DiskState>) -> Outcome {
    let started = now_ns();
    let meta = match std::fs::metadata(path) {
        Ok(m) if m.is_file() => m,
        Ok(_) => return Outcome::Gone,
        Err(err) => {
            if err.kind() != std::io::ErrorKind::NotFound {
                tracing::debug!(path = %path.display(), %err, "cannot stat");
            }
            return Outcome::Gone;
        }
    };
    let (size, mtime) = (meta.len(), mtime_ns(&meta));
    let racy = mtime.saturating_add(RACY_NS) > started;
    if let Some(reason) = check_size(size, max_bytes) {
        return skipped(path, FileKey { size, mtime_ns: mtime, hash: 0, racy: false }, reason);
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(err) => {
            tracing::debug!(path = %path.display(), %err, "cannot read");
            return Outcome::Gone;
        }
    };
    let key = FileKey { size, mtime_ns: mtime, hash: xxhash_rust::xxh3::xxh3_64(&bytes), racy };
    if let Some(old) = old {
        let was_read = !matches!(old.content, Err(SkipReason::TooLarge { .. }));
        if was_read && old.key.hash == key.hash {
            return Outcome::Verified(DiskState { key, content: old.content.clone() });
        }
    }
    let text = match check_content(&bytes) {
        Ok(text) => text,
        Err(reason) => return skipped(path, key, reason),
    };
    let Some(lang) = syntax::Lang::from_path(path) else { return Outcome::Gone };
    let symbols = match syntax::outline_bytes(lang, text.as_bytes()) {
        Some(symbols) => symbols,
        None => {
            tracing::debug!(path = %path.display(), "parser gave no tree");
            Vec::new()
        }
    };
    let lines = LineIndex::new(text);
    let symbols = symbol::convert(&symbols, |b| lines.pos(b));
    Outcome::Parsed(DiskState { key, content: Ok(symbols) })
}

/// Applies one outcome unless the entry changed after the run started (`since`).
fn apply(state: &mut State, path: &Path, root: u32, outcome: Outcome, since: u64) {
    if state.get(path).is_some_and(|e| e.seq > since) {
        return;
    }
    match outcome {
        Outcome::Gone => {
            state.remove_disk(path);
        }
        Outcome::Reused(d) => state.put_disk(path, root, d, true),
        Outcome::Verified(d) | Outcome::Parsed(d) | Outcome::Skipped(d) => state.put_disk(path, root, d, false),
    }
}

#[derive(Default)]
struct Counts {
    parsed: usize,
    cached: usize,
    skipped: usize,
}

impl Counts {
    fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Reused(d) | Outcome::Verified(d) if d.content.is_ok() => self.cached += 1,
            Outcome::Reused(_) | Outcome::Verified(_) | Outcome::Skipped(_) => self.skipped += 1,
            Outcome::Parsed(_) => self.parsed += 1,
            Outcome::Gone => {}
        }
    }
}

/// Calls `progress` when another ~1% is done, and at the end.
struct Progress<'a> {
    f: &'a (dyn Fn(IndexProgress) + Sync),
    total: usize,
    done: usize,
    next: usize,
}

impl Progress<'_> {
    fn advance(&mut self, n: usize) {
        self.done += n;
        if self.done >= self.next || self.done == self.total {
            (self.f)(IndexProgress { done: self.done, total: self.total });
            let step = (self.total / 100).max(1);
            self.next = (self.done / step + 1) * step;
        }
    }
}

pub(crate) fn index_workspace(inner: &Inner, progress: &(dyn Fn(IndexProgress) + Sync)) -> IndexStats {
    let _running = Inner::lock(&inner.running);
    let started = Instant::now();
    for f in &inner.filters {
        f.reset();
    }
    let since = inner.read().seq;
    let populated = Inner::lock(&inner.populated).clone();
    let roots: Vec<PathBuf> = inner
        .roots
        .iter()
        .filter(|r| {
            let ok = r.is_dir();
            if !ok {
                tracing::warn!(root = %r.display(), "workspace root is not a directory");
            }
            ok
        })
        .cloned()
        .collect();
    let threads = inner.cfg.threads.max(1);

    // Phase 1: the stat walk, with the caches of roots not in memory loading beside it.
    let (found, mut cached) = std::thread::scope(|s| {
        let loader = s.spawn(|| load_caches(inner, &populated));
        let found = walk::walk(&roots, &inner.roots, threads);
        (found, loader.join().unwrap_or_default())
    });
    tracing::debug!(
        files = found.len(),
        cached = cached.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "walk done, caches loaded"
    );
    let mut counts = Counts::default();
    let mut progress = Progress { f: progress, total: found.len(), done: 0, next: 0 };
    progress.advance(0);
    let seen: HashSet<&Path> = found.iter().map(|f| f.path.as_path()).collect();

    // Sort what is known from what must be read.
    let mut jobs: Vec<(&Found, u32, Option<DiskState>)> = Vec::new();
    let mut reused: Vec<(&Found, u32, Outcome)> = Vec::new();
    {
        let state = inner.read();
        for f in &found {
            let Some(root) = inner.root_of(&f.path) else { continue };
            let old = cached.remove(&f.path).or_else(|| state.get(&f.path).and_then(|e| e.disk.clone()));
            let too_large = check_size(f.size, inner.cfg.max_file_bytes);
            // Known and unchanged, including the verdict on its size under today's limit.
            let unchanged = |old: &DiskState| {
                old.key.same_stat(f.size, f.mtime_ns)
                    && match (&old.content, too_large) {
                        (Err(was @ SkipReason::TooLarge { .. }), Some(now)) => *was == now,
                        (Err(SkipReason::TooLarge { .. }), None) | (_, Some(_)) => false,
                        (_, None) => true,
                    }
            };
            match (old, too_large) {
                (Some(old), _) if unchanged(&old) => reused.push((f, root, Outcome::Reused(old))),
                (_, Some(reason)) => {
                    let key = FileKey { size: f.size, mtime_ns: f.mtime_ns, hash: 0, racy: false };
                    reused.push((f, root, skipped(&f.path, key, reason)));
                }
                (old, None) => jobs.push((f, root, old)),
            }
        }
    }
    if !cached.is_empty() {
        // The cache remembers files the walk did not find: rewrite it.
        let mut state = inner.write();
        for path in cached.keys() {
            state.mark_dirty(inner.root_of(path));
        }
    }
    drop(cached);
    for chunk in reused.chunks_mut(BATCH * 16) {
        let mut state = inner.write();
        for (f, root, outcome) in chunk.iter_mut() {
            let outcome = std::mem::replace(outcome, Outcome::Gone);
            counts.add(&outcome);
            apply(&mut state, &f.path, *root, outcome, since);
        }
        drop(state);
        progress.advance(chunk.len());
    }
    drop(reused);
    tracing::debug!(jobs = jobs.len(), elapsed_ms = started.elapsed().as_millis() as u64, "known files applied");

    // Phase 2: read and parse on the pool, biggest files first so the tail is short.
    jobs.sort_by_key(|j| std::cmp::Reverse(j.0.size));
    let next = AtomicUsize::new(0);
    let max_bytes = inner.cfg.max_file_bytes;
    std::thread::scope(|s| {
        let (tx, rx) = crossbeam_channel::bounded::<(usize, Outcome)>(BATCH * 4);
        for _ in 0..threads.min(jobs.len()) {
            let (tx, jobs, next) = (tx.clone(), &jobs, &next);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((f, _, old)) = jobs.get(i) else { break };
                if tx.send((i, read_disk(&f.path, max_bytes, old.as_ref()))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        let mut batch = Vec::with_capacity(BATCH);
        // Block for one result, then take what else is ready, up to a batch.
        while let Ok(first) = rx.recv() {
            batch.push(first);
            while batch.len() < BATCH {
                match rx.try_recv() {
                    Ok(r) => batch.push(r),
                    Err(_) => break,
                }
            }
            let n = batch.len();
            let mut state = inner.write();
            for (i, outcome) in batch.drain(..) {
                let Some((f, root, _)) = jobs.get(i) else { continue };
                counts.add(&outcome);
                apply(&mut state, &f.path, *root, outcome, since);
            }
            drop(state);
            progress.advance(n);
        }
    });

    // Files of the walked roots that the walk no longer finds are gone.
    {
        let walked: Vec<u32> = roots.iter().filter_map(|r| inner.root_of(r)).collect();
        let mut state = inner.write();
        let vanished: Vec<PathBuf> = state
            .entries()
            .filter(|(_, e)| e.disk.is_some() && e.seq <= since && e.root.is_some_and(|r| walked.contains(&r)) && !seen.contains(&*e.path))
            .map(|(_, e)| e.path.to_path_buf())
            .collect();
        for p in &vanished {
            state.remove_disk(p);
        }
        if !vanished.is_empty() {
            tracing::debug!(files = vanished.len(), "dropped vanished files");
        }
    }
    Inner::lock(&inner.populated).iter_mut().for_each(|p| *p = true);
    tracing::debug!(elapsed_ms = started.elapsed().as_millis() as u64, "parsing done");

    if let Err(err) = save_cache(inner) {
        tracing::warn!(%err, "cannot write the index cache");
    }
    release_free_memory();
    let stats = IndexStats {
        files_seen: found.len(),
        files_parsed: counts.parsed,
        files_from_cache: counts.cached,
        files_skipped: counts.skipped,
        symbols: inner.read().symbol_count(),
        elapsed: started.elapsed(),
    };
    tracing::info!(
        files = stats.files_seen,
        parsed = stats.files_parsed,
        cached = stats.files_from_cache,
        skipped = stats.files_skipped,
        symbols = stats.symbols,
        elapsed_ms = stats.elapsed.as_millis() as u64,
        "workspace indexed"
    );
    *Inner::lock(&inner.last) = stats;
    stats
}

/// Hands the memory a run freed (file contents, trees, temporaries) back to the system.
/// Trees live in tree-sitter's allocator (mimalloc, see `syntax`), the rest in glibc's, and
/// glibc keeps freed memory in its arenas otherwise, interleaved with the symbols that stay,
/// and a language server then idles for hours with tens of megabytes it does not use.
fn release_free_memory() {
    syntax::release_memory();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::os::raw::c_int;
        }
        // SAFETY: `malloc_trim` takes no pointers and works under glibc's own arena locks;
        // it is safe to call at any time from any thread.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Loads the caches of the roots not yet in memory, keyed by absolute path.
fn load_caches(inner: &Inner, populated: &[bool]) -> HashMap<PathBuf, DiskState> {
    let mut all = HashMap::new();
    let Some(dir) = &inner.cfg.cache_dir else { return all };
    for (i, (root, canonical)) in inner.roots.iter().zip(&inner.canonical).enumerate() {
        if populated.get(i).copied().unwrap_or(false) {
            continue;
        }
        let path = cache::cache_path(dir, canonical);
        match cache::load(&path, canonical, root) {
            Ok(files) => {
                tracing::debug!(cache = %path.display(), files = files.len(), "index cache loaded");
                all.extend(files);
            }
            Err(cache::LoadError::Io(err)) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => tracing::warn!(cache = %path.display(), %err, "discarding the index cache"),
        }
    }
    all
}

/// Writes the cache of every dirty root.
pub(crate) fn save_cache(inner: &Inner) -> std::io::Result<()> {
    let Some(dir) = &inner.cfg.cache_dir else { return Ok(()) };
    let mut result = Ok(());
    for (i, (root, canonical)) in inner.roots.iter().zip(&inner.canonical).enumerate() {
        // Clear the flag first: a change made while encoding sets it again.
        match inner.write().dirty_roots.get_mut(i) {
            Some(dirty) if *dirty => *dirty = false,
            _ => continue,
        }
        // Encoding under a read lock lets searches go on meanwhile.
        let bytes = {
            let state = inner.read();
            let files = state.entries().filter(|(_, e)| e.root == Some(i as u32)).filter_map(|(_, e)| Some((&*e.path, e.disk.as_ref()?)));
            cache::encode(canonical, root, files)
        };
        let path = cache::cache_path(dir, canonical);
        if let Err(err) = cache::write_atomic(&path, &bytes) {
            if let Some(dirty) = inner.write().dirty_roots.get_mut(i) {
                *dirty = true;
            }
            result = Err(err);
        } else {
            tracing::debug!(cache = %path.display(), bytes = bytes.len(), "index cache written");
        }
    }
    result
}

/// Brings one path in line with the disk (see `Index::refresh_file`).
pub(crate) fn refresh(inner: &Inner, path: &Path) {
    let Some(root) = inner.root_of(path) else { return };
    if matches!(path.file_name().and_then(|n| n.to_str()), Some(".gitignore" | ".ignore")) {
        if let Some(filter) = inner.filters.get(root as usize) {
            filter.reset();
        }
        return;
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => refresh_dir(inner, root, path),
        Ok(_) => refresh_one(inner, root, path),
        Err(_) => {
            inner.write().remove_disk(path);
        }
    }
}

fn is_filtered(inner: &Inner, root: u32, path: &Path, is_dir: bool) -> bool {
    inner.filters.get(root as usize).is_none_or(|f| f.is_ignored(path, is_dir))
}

fn refresh_one(inner: &Inner, root: u32, path: &Path) {
    let old = {
        let state = inner.read();
        match state.get(path) {
            Some(e) if e.open.is_some() => return,
            Some(e) => e.disk.clone(),
            None => None,
        }
    };
    if old.is_none() && (syntax::Lang::from_path(path).is_none() || is_filtered(inner, root, path, false)) {
        return;
    }
    let outcome = read_disk(path, inner.cfg.max_file_bytes, old.as_ref());
    let mut state = inner.write();
    // An open buffer that appeared meanwhile wins.
    if state.get(path).is_some_and(|e| e.open.is_some()) {
        return;
    }
    apply(&mut state, path, root, outcome, u64::MAX);
}

fn refresh_dir(inner: &Inner, root: u32, dir: &Path) {
    if is_filtered(inner, root, dir, true) {
        return;
    }
    let nested: Vec<PathBuf> = inner.roots.iter().filter(|r| r.as_path() != dir).cloned().collect();
    let found = walk::walk(&[dir.to_path_buf()], &nested, 1);
    let seen: HashSet<&Path> = found.iter().map(|f| f.path.as_path()).collect();
    let stale: Vec<PathBuf> = inner
        .read()
        .entries()
        .filter(|(_, e)| e.disk.is_some() && e.path.starts_with(dir) && !seen.contains(&*e.path))
        .map(|(_, e)| e.path.to_path_buf())
        .collect();
    for p in stale {
        inner.write().remove_disk(&p);
    }
    for f in &found {
        if let Some(r) = inner.root_of(&f.path) {
            refresh_one(inner, r, &f.path);
        }
    }
}
