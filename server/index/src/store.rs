//! The in-memory index: files, their symbols, the name -> locations map and skipped files.
//!
//! Every file has up to two symbol sets: the disk one (what the walk or a refresh parsed,
//! and what the cache persists) and the open one (from the editor's buffer). The open set
//! wins while it exists; only the served set is in the name map. This module does no I/O
//! and takes no locks: `Index` wraps a `State` in an `RwLock`.

use crate::filter::SkipReason;
use crate::symbol::FileSymbols;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;
use std::sync::Arc;

pub(crate) type FileId = u32;

/// What a file on disk looked like when it was read: a restart trusts an unchanged
/// `(size, mtime_ns)` and re-parses only when the content hash differs too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FileKey {
    pub size: u64,
    pub mtime_ns: i64,
    pub hash: u64,
    /// The file was modified so shortly before it was read that another write within the
    /// file system's timestamp granularity could go unnoticed; verify its hash next time.
    pub racy: bool,
}

impl FileKey {
    pub(crate) fn same_stat(&self, size: u64, mtime_ns: i64) -> bool {
        !self.racy && self.size == size && self.mtime_ns == mtime_ns
    }
}

/// The disk side of a file: indexed symbols or the reason it was skipped.
#[derive(Clone, Debug)]
pub(crate) struct DiskState {
    pub key: FileKey,
    pub content: Result<Arc<FileSymbols>, SkipReason>,
}

pub(crate) struct FileEntry {
    pub path: Arc<Path>,
    /// The workspace root the file belongs to; `None` for an open file outside every root.
    pub root: Option<u32>,
    pub disk: Option<DiskState>,
    pub open: Option<Arc<FileSymbols>>,
    /// `State::seq` at the last change, so a workspace walk does not overwrite a fresher
    /// refresh or edit that raced with it.
    pub seq: u64,
}

impl FileEntry {
    /// The symbols the index serves for this file, if any.
    pub(crate) fn served(&self) -> Option<&Arc<FileSymbols>> {
        self.open.as_ref().or_else(|| self.disk.as_ref().and_then(|d| d.content.as_ref().ok()))
    }
}

/// A hasher for keys that already are hashes.
#[derive(Default)]
pub(crate) struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Locations of the symbols with one name hash. Most names are defined once, so a single
/// location is kept inline.
#[derive(Debug)]
pub(crate) enum Postings {
    One((FileId, u32)),
    Many(Vec<(FileId, u32)>),
}

pub(crate) fn name_hash(name: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(name.as_bytes())
}

#[derive(Default)]
pub(crate) struct State {
    files: Vec<Option<FileEntry>>,
    free: Vec<FileId>,
    by_path: HashMap<Arc<Path>, FileId>,
    names: HashMap<u64, Postings, BuildHasherDefault<IdentityHasher>>,
    /// Symbols currently served.
    symbols: usize,
    pub seq: u64,
    /// Roots whose disk state changed since the cache was last written.
    pub dirty_roots: Vec<bool>,
}

impl State {
    pub(crate) fn new(roots: usize) -> State {
        State { dirty_roots: vec![false; roots], ..State::default() }
    }

    pub(crate) fn id_of(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    pub(crate) fn get(&self, path: &Path) -> Option<&FileEntry> {
        self.id_of(path).and_then(|id| self.entry(id))
    }

    pub(crate) fn entry(&self, id: FileId) -> Option<&FileEntry> {
        self.files.get(id as usize).and_then(Option::as_ref)
    }

    pub(crate) fn entries(&self) -> impl Iterator<Item = (FileId, &FileEntry)> {
        self.files.iter().enumerate().filter_map(|(id, e)| Some((id as FileId, e.as_ref()?)))
    }

    pub(crate) fn symbol_count(&self) -> usize {
        self.symbols
    }

    /// Locations of the served symbols whose name hashes like `name` (callers compare names).
    pub(crate) fn postings(&self, name: &str) -> &[(FileId, u32)] {
        match self.names.get(&name_hash(name)) {
            None => &[],
            Some(Postings::One(loc)) => std::slice::from_ref(loc),
            Some(Postings::Many(v)) => v,
        }
    }

    pub(crate) fn mark_dirty(&mut self, root: Option<u32>) {
        if let Some(flag) = root.and_then(|r| self.dirty_roots.get_mut(r as usize)) {
            *flag = true;
        }
    }

    /// Applies `f` to the entry of `path`, creating it if needed, and keeps the name map and
    /// the symbol count in step with what the entry serves. Entries left with neither a disk
    /// nor an open side are removed.
    fn update(&mut self, path: &Path, create: bool, f: impl FnOnce(&mut FileEntry)) {
        let id = match self.id_of(path) {
            Some(id) => id,
            None if create => self.insert_new(path),
            None => return,
        };
        self.seq += 1;
        let seq = self.seq;
        let Some(entry) = self.files.get_mut(id as usize).and_then(Option::as_mut) else { return };
        let before = entry.served().cloned();
        f(entry);
        entry.seq = seq;
        let after = entry.served().cloned();
        let remove = entry.disk.is_none() && entry.open.is_none();
        let changed = match (&before, &after) {
            (Some(a), Some(b)) => !Arc::ptr_eq(a, b),
            (None, None) => false,
            _ => true,
        };
        if changed {
            if let Some(old) = &before {
                self.unlink_names(id, old);
            }
            if let Some(new) = &after {
                self.link_names(id, new);
            }
        }
        if remove {
            if let Some(entry) = self.files.get_mut(id as usize).and_then(Option::take) {
                self.by_path.remove(&entry.path);
                self.free.push(id);
            }
        }
    }

    fn insert_new(&mut self, path: &Path) -> FileId {
        let path: Arc<Path> = Arc::from(path);
        let entry = FileEntry { path: path.clone(), root: None, disk: None, open: None, seq: 0 };
        let id = match self.free.pop() {
            Some(id) => {
                if let Some(slot) = self.files.get_mut(id as usize) {
                    *slot = Some(entry);
                }
                id
            }
            None => {
                self.files.push(Some(entry));
                (self.files.len() - 1) as FileId
            }
        };
        self.by_path.insert(path, id);
        id
    }

    fn link_names(&mut self, id: FileId, symbols: &FileSymbols) {
        self.symbols += symbols.len();
        for (i, name) in symbols.names().enumerate() {
            let loc = (id, i as u32);
            self.names
                .entry(name_hash(name))
                .and_modify(|p| match p {
                    Postings::One(first) => *p = Postings::Many(vec![*first, loc]),
                    Postings::Many(v) => v.push(loc),
                })
                .or_insert(Postings::One(loc));
        }
    }

    fn unlink_names(&mut self, id: FileId, symbols: &FileSymbols) {
        self.symbols = self.symbols.saturating_sub(symbols.len());
        for name in symbols.names() {
            let hash = name_hash(name);
            // `Some(None)`: drop the name; `Some(Some(loc))`: one location is left.
            let action = match self.names.get_mut(&hash) {
                None => None,
                Some(Postings::One((f, _))) => (*f == id).then_some(None),
                Some(Postings::Many(v)) => {
                    v.retain(|&(f, _)| f != id);
                    match v[..] {
                        [] => Some(None),
                        [only] => Some(Some(only)),
                        _ => None,
                    }
                }
            };
            match action {
                Some(None) => {
                    self.names.remove(&hash);
                }
                Some(Some(only)) => {
                    self.names.insert(hash, Postings::One(only));
                }
                None => {}
            }
        }
    }

    /// Records what the disk holds for `path` (indexed or skipped). `from_cache` says the
    /// state came from the root's cache file, which therefore needs no rewrite for it.
    pub(crate) fn put_disk(&mut self, path: &Path, root: u32, disk: DiskState, from_cache: bool) {
        let unchanged = self.get(path).is_some_and(|e| {
            e.root == Some(root)
                && e.disk.as_ref().is_some_and(|d| {
                    d.key == disk.key
                        && match (&d.content, &disk.content) {
                            (Ok(a), Ok(b)) => Arc::ptr_eq(a, b),
                            (Err(a), Err(b)) => a == b,
                            _ => false,
                        }
                })
        });
        if unchanged {
            return;
        }
        if !from_cache {
            self.mark_dirty(Some(root));
        }
        self.update(path, true, |e| {
            e.root = Some(root);
            e.disk = Some(disk);
        });
    }

    /// Forgets the disk side of `path`, and of every file under it if it is a directory.
    /// Open buffers stay (the editor still shows them). Returns how many entries changed.
    pub(crate) fn remove_disk(&mut self, path: &Path) -> usize {
        let targets: Vec<Arc<Path>> = match self.by_path.get_key_value(path) {
            Some((p, _)) => vec![p.clone()],
            None => self.by_path.keys().filter(|p| p.starts_with(path)).cloned().collect(),
        };
        for p in &targets {
            let root = self.get(p).and_then(|e| e.root);
            self.mark_dirty(root);
            self.update(p, false, |e| e.disk = None);
        }
        targets.len()
    }

    pub(crate) fn set_open(&mut self, path: &Path, root: Option<u32>, symbols: Arc<FileSymbols>) {
        self.update(path, true, |e| {
            e.root = e.root.or(root);
            e.open = Some(symbols);
        });
    }

    /// Drops the open side of `path`; the disk side (if any) is served again.
    pub(crate) fn clear_open(&mut self, path: &Path) {
        self.update(path, false, |e| e.open = None);
    }
}
