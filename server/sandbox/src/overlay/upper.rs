//! The server side of a thread's overlay: its state dir (`upper/`, `work/`, `staged.json`), the
//! staging of open buffers into the upper layer, and resets.
//!
//! Staging writes plain files into `upper/` while no command of this thread runs (overlayfs does
//! not allow changing a layer under a live mount). What was staged is remembered by length and
//! fingerprint, so changes.rs reports only what commands did. Not here: mounting (mount.rs) and
//! reading changes (changes.rs).

use super::changes::{self, ChangeLimits, ChangeSet};
use super::mount::{is_plain_relative, OverlayMount};
use super::sys::{fingerprint, opaque_xattr, set_xattr, uses_userxattr};
use super::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Write-through directories by default (relative to the root; only those that exist are used).
pub const DEFAULT_WRITE_THROUGH: [&str; 6] = ["target", "node_modules", ".venv", "__pycache__", "build", "dist"];

/// How to make a thread's overlay.
#[derive(Clone, Debug)]
pub struct OverlayConfig {
    /// The workspace root (canonicalized by [`Overlay::new`]).
    pub root: PathBuf,
    /// The thread's state dir, e.g. `<state>/overlays/<thread-id>`; outside the root.
    pub state_dir: PathBuf,
    /// Directories relative to the root that commands write to directly (bind-mounted from the
    /// real tree): build outputs, so builds stay incremental.
    pub write_through: Vec<PathBuf>,
    /// Caps on what [`Overlay::changes`] returns.
    pub limits: ChangeLimits,
}

impl OverlayConfig {
    /// The defaults: the [`DEFAULT_WRITE_THROUGH`] directories that exist (not as symlinks) under `root`.
    pub fn new(root: impl Into<PathBuf>, state_dir: impl Into<PathBuf>) -> OverlayConfig {
        let root = root.into();
        let write_through = DEFAULT_WRITE_THROUGH
            .iter()
            .map(PathBuf::from)
            .filter(|rel| fs::symlink_metadata(root.join(rel)).is_ok_and(|m| m.is_dir()))
            .collect();
        OverlayConfig { root, state_dir: state_dir.into(), write_through, limits: ChangeLimits::default() }
    }
}

/// What was staged at a path: enough to tell whether a command changed it since.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Staged {
    pub(crate) len: u64,
    pub(crate) hash: u64,
}

impl Staged {
    pub(crate) fn of(content: &[u8]) -> Staged {
        Staged { len: content.len() as u64, hash: fingerprint(content) }
    }
}

/// One agent thread's overlay on a workspace root.
#[derive(Debug)]
pub struct Overlay {
    root: PathBuf,
    state_dir: PathBuf,
    upper: PathBuf,
    work: PathBuf,
    write_through: Vec<PathBuf>,
    limits: ChangeLimits,
    staged: BTreeMap<PathBuf, Staged>,
}

impl Overlay {
    /// Creates (or reopens) the state dir with `upper/` and `work/`. Reopening keeps the upper
    /// layer and what `staged.json` says was staged.
    pub fn new(config: OverlayConfig) -> Result<Overlay> {
        let root = fs::canonicalize(&config.root).map_err(|e| Error::io("resolve the workspace root", &config.root, e))?;
        if !root.is_dir() || root == Path::new("/") {
            return Err(Error::InvalidPath(root));
        }
        fs::create_dir_all(&config.state_dir).map_err(|e| Error::io("create the overlay state dir", &config.state_dir, e))?;
        let state_dir = fs::canonicalize(&config.state_dir).map_err(|e| Error::io("resolve the state dir", &config.state_dir, e))?;
        // overlayfs refuses layers that overlap, and an upper inside the root would show up in it.
        if state_dir.starts_with(&root) || root.starts_with(&state_dir) {
            return Err(Error::StateDirOverlapsRoot { root, state_dir });
        }
        if let Some(bad) = config.write_through.iter().find(|p| !is_plain_relative(p)) {
            return Err(Error::InvalidPath(bad.clone()));
        }
        let (upper, work) = (state_dir.join("upper"), state_dir.join("work"));
        for d in [&upper, &work] {
            fs::create_dir_all(d).map_err(|e| Error::io("create", d, e))?;
        }
        let staged = match fs::read(state_dir.join("staged.json")) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(state_dir = %state_dir.display(), "unreadable staged.json ({e}): staged files will show as changes");
                BTreeMap::new()
            }),
            Err(_) => BTreeMap::new(),
        };
        Ok(Overlay { root, state_dir, upper, work, write_through: config.write_through, limits: config.limits, staged })
    }

    /// The (canonical) workspace root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The upper layer directory.
    pub fn upper_dir(&self) -> &Path {
        &self.upper
    }

    /// The write-through directories, relative to the root.
    pub fn write_through(&self) -> &[PathBuf] {
        &self.write_through
    }

    /// What the helper needs to enter this overlay (see [`super::enter`]).
    pub fn mount_spec(&self) -> OverlayMount {
        OverlayMount {
            root: self.root.clone(),
            upper: self.upper.clone(),
            work: self.work.clone(),
            write_through: self.write_through.clone(),
        }
    }

    /// The paths currently staged (relative to the root).
    pub fn staged(&self) -> impl Iterator<Item = &Path> {
        self.staged.keys().map(PathBuf::as_path)
    }

    /// Puts an open buffer's content (which differs from disk) into the upper layer at `path`
    /// (relative to the root, or absolute inside it). Commands then see it instead of disk.
    /// Never call it while a command of this thread runs.
    pub fn stage(&mut self, path: &Path, content: &[u8]) -> Result<()> {
        let rel = self.rel_path(path)?;
        self.make_parents(&rel)?;
        let target = self.upper.join(&rel);
        if let Ok(meta) = fs::symlink_metadata(&target) {
            // A whiteout, a symlink or a directory left by a command: the buffer wins.
            if !meta.is_file() {
                remove_tree(&target).map_err(|e| Error::io("replace", &target, e))?;
            }
        }
        fs::write(&target, content).map_err(|e| Error::io("stage", &target, e))?;
        let mode = fs::metadata(self.root.join(&rel)).map(|m| m.mode() & 0o7777).unwrap_or(0o644);
        fs::set_permissions(&target, fs::Permissions::from_mode(mode)).map_err(|e| Error::io("set the mode of", &target, e))?;
        self.staged.insert(rel, Staged::of(content));
        self.save_staged()
    }

    /// Removes a staged buffer from the upper layer (the buffer was closed, reverted or saved),
    /// so commands see disk again. Collect [`Overlay::changes`] first: a command's change to the
    /// file goes too.
    pub fn unstage(&mut self, path: &Path) -> Result<()> {
        let rel = self.rel_path(path)?;
        if self.staged.remove(&rel).is_none() {
            return Ok(());
        }
        let target = self.upper.join(&rel);
        if fs::symlink_metadata(&target).is_ok_and(|m| m.is_file()) {
            fs::remove_file(&target).map_err(|e| Error::io("unstage", &target, e))?;
        }
        // Directories made only to hold the staged file would show as new empty directories.
        let mut dir = rel.parent();
        while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
            if self.root.join(d).exists() || fs::remove_dir(self.upper.join(d)).is_err() {
                break;
            }
            dir = d.parent();
        }
        self.save_staged()
    }

    /// Empties the upper layer (staged buffers and every command change) and overlayfs's work dir.
    pub fn reset(&mut self) -> Result<()> {
        for d in [&self.upper, &self.work] {
            remove_tree(d).map_err(|e| Error::io("empty", d, e))?;
            fs::create_dir_all(d).map_err(|e| Error::io("create", d, e))?;
        }
        self.staged.clear();
        self.save_staged()
    }

    /// Removes the state dir (the thread is gone).
    pub fn remove(self) -> Result<()> {
        remove_tree(&self.state_dir).map_err(|e| Error::io("remove", &self.state_dir, e))
    }

    /// What commands created, modified and deleted (see changes.rs): scans the upper layer.
    pub fn changes(&self) -> Result<ChangeSet> {
        changes::scan(&changes::ScanInput {
            root: &self.root,
            upper: &self.upper,
            write_through: &self.write_through,
            staged: &self.staged,
            limits: &self.limits,
        })
    }

    fn rel_path(&self, path: &Path) -> Result<PathBuf> {
        let rel = if path.is_absolute() { path.strip_prefix(&self.root).unwrap_or(path) } else { path };
        if is_plain_relative(rel) {
            Ok(rel.to_path_buf())
        } else {
            Err(Error::InvalidPath(path.to_path_buf()))
        }
    }

    /// Creates the upper directories above `rel`. Where a command deleted a directory (a
    /// whiteout) or replaced it with a file, the new one is made opaque so the deleted lower
    /// content stays deleted.
    fn make_parents(&self, rel: &Path) -> Result<()> {
        let mut prefix = PathBuf::new();
        let Some(parent) = rel.parent() else { return Ok(()) };
        for comp in parent.components() {
            prefix.push(comp);
            let dir = self.upper.join(&prefix);
            let opaque = match fs::symlink_metadata(&dir) {
                Ok(m) if m.is_dir() => continue,
                Ok(_) => {
                    remove_tree(&dir).map_err(|e| Error::io("replace", &dir, e))?;
                    true
                }
                Err(_) => false,
            };
            let mode = fs::metadata(self.root.join(&prefix)).ok().filter(|m| m.is_dir()).map_or(0o755, |m| m.mode() & 0o7777);
            fs::DirBuilder::new().mode(mode).create(&dir).map_err(|e| Error::io("create", &dir, e))?;
            if opaque {
                set_xattr(&dir, opaque_xattr(uses_userxattr()), b"y").map_err(|e| Error::io("mark opaque", &dir, e))?;
            }
        }
        Ok(())
    }

    fn save_staged(&self) -> Result<()> {
        let path = self.state_dir.join("staged.json");
        let json = serde_json::to_vec(&self.staged).map_err(|e| Error::io("encode", &path, io::Error::other(e)))?;
        let tmp = self.state_dir.join("staged.json.tmp");
        fs::write(&tmp, json).map_err(|e| Error::io("write", &tmp, e))?;
        fs::rename(&tmp, &path).map_err(|e| Error::io("write", &path, e))
    }
}

/// Removes a file or a whole tree, making directories writable first (commands may leave
/// read-only directories in the upper layer, and overlayfs leaves a mode-000 `work/work`).
pub(crate) fn remove_tree(path: &Path) -> io::Result<()> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !meta.is_dir() {
        return fs::remove_file(path);
    }
    if meta.mode() & 0o700 != 0o700 {
        fs::set_permissions(path, fs::Permissions::from_mode(meta.mode() | 0o700))?;
    }
    for entry in fs::read_dir(path)? {
        remove_tree(&entry?.path())?;
    }
    fs::remove_dir(path)
}
