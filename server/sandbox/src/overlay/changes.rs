//! Reading back what commands did: a scan of the upper layer, turned into file changes against
//! the real tree (what the editor shows).
//!
//! - A regular file is Created when the real tree has nothing there, Modified otherwise; a
//!   copy-up whose content equals disk (touch, chmod) and a staged buffer left as staged are not
//!   changes.
//! - A whiteout (a character device 0:0) deletes the lower entry: a file, or every file under a
//!   directory.
//! - An opaque directory (`user.overlay.opaque` or `trusted.overlay.opaque` = "y") replaced the
//!   lower directory: the lower files under it that the upper does not hold are Deleted.
//! - A symlink is reported as [`ChangeKind::Symlink`] with its target (no WorkspaceEdit can
//!   carry it; the agent says so to the model). Empty new directories, fifos, sockets and
//!   devices are ignored.
//! - Never reported: paths under `.git`, the write-through directories, paths ignored by git.
//!
//! Not here: staging (upper.rs). Mode changes are not reported.

use super::ignores::Ignores;
use super::sys::{fingerprint, is_opaque};
use super::upper::Staged;
use super::{Error, Result};
use std::collections::BTreeMap;
use std::fs::{self, Metadata};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Caps on a change set, so a command that writes a huge tree cannot flood the agent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeLimits {
    /// Changes returned with their content; the rest are listed in [`ChangeSet::omitted`].
    pub max_files: usize,
    /// Total content bytes returned.
    pub max_bytes: u64,
    /// Directory entries examined (upper layer and deleted lower trees) before the scan stops.
    pub max_entries: usize,
}

impl Default for ChangeLimits {
    fn default() -> Self {
        ChangeLimits { max_files: 1000, max_bytes: 32 << 20, max_entries: 200_000 }
    }
}

/// One file changed by a command, against the real tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverlayChange {
    /// Absolute path in the real tree.
    pub path: PathBuf,
    pub kind: ChangeKind,
}

/// What happened to a file. Contents are bytes: binary files are reported too.
#[derive(Clone, PartialEq, Eq)]
pub enum ChangeKind {
    Created {
        content: Vec<u8>,
    },
    Modified {
        content: Vec<u8>,
    },
    Deleted,
    /// A symlink was created, or replaced what was there.
    Symlink {
        target: PathBuf,
    },
}

impl std::fmt::Debug for ChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChangeKind::Created { content } => write!(f, "Created({:?})", String::from_utf8_lossy(content)),
            ChangeKind::Modified { content } => write!(f, "Modified({:?})", String::from_utf8_lossy(content)),
            ChangeKind::Deleted => f.write_str("Deleted"),
            ChangeKind::Symlink { target } => write!(f, "Symlink({})", target.display()),
        }
    }
}

/// The changes after a command, sorted by path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSet {
    pub changes: Vec<OverlayChange>,
    /// Changed files left out by [`ChangeLimits`] (absolute paths, at most `max_files`).
    pub omitted: Vec<PathBuf>,
    /// Some changes are missing: `omitted` is not empty, or the scan hit `max_entries`.
    pub truncated: bool,
}

pub(crate) struct ScanInput<'a> {
    pub(crate) root: &'a Path,
    pub(crate) upper: &'a Path,
    pub(crate) write_through: &'a [PathBuf],
    pub(crate) staged: &'a BTreeMap<PathBuf, Staged>,
    pub(crate) limits: &'a ChangeLimits,
}

enum Pending {
    /// Content from the upper file (already read when it was compared).
    File {
        created: bool,
        len: u64,
        content: Option<Vec<u8>>,
    },
    Symlink(PathBuf),
    Deleted,
}

struct Scanner<'a> {
    input: &'a ScanInput<'a>,
    ignores: Ignores,
    found: BTreeMap<PathBuf, Pending>,
    entries: usize,
    stopped: bool,
}

pub(crate) fn scan(input: &ScanInput<'_>) -> Result<ChangeSet> {
    let mut s = Scanner { input, ignores: Ignores::new(input.root), found: BTreeMap::new(), entries: 0, stopped: false };
    s.walk_upper(Path::new(""), false)?;
    s.staged_gone();
    Ok(s.finish())
}

fn is_whiteout(meta: &Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

fn lstat(p: &Path) -> Option<Metadata> {
    fs::symlink_metadata(p).ok()
}

impl Scanner<'_> {
    fn skipped(&self, rel: &Path) -> bool {
        rel.components().any(|c| c.as_os_str() == ".git") || self.input.write_through.iter().any(|w| rel.starts_with(w))
    }

    fn count_entry(&mut self) -> bool {
        self.entries += 1;
        if self.entries > self.input.limits.max_entries {
            self.stopped = true;
        }
        !self.stopped
    }

    fn sorted_names(dir: &Path) -> Result<Vec<std::ffi::OsString>> {
        let read = fs::read_dir(dir).map_err(|e| Error::io("read", dir, e))?;
        let mut names: Vec<_> = read.filter_map(|e| e.ok().map(|e| e.file_name())).collect();
        names.sort();
        Ok(names)
    }

    fn walk_upper(&mut self, rel_dir: &Path, under_opaque: bool) -> Result<()> {
        for name in Self::sorted_names(&self.input.upper.join(rel_dir))? {
            if !self.count_entry() {
                return Ok(());
            }
            let rel = rel_dir.join(&name);
            if self.skipped(&rel) {
                continue;
            }
            let up = self.input.upper.join(&rel);
            let Some(meta) = lstat(&up) else { continue };
            let lower = lstat(&self.input.root.join(&rel));
            if is_whiteout(&meta) {
                if let (Some(lower), false) = (lower, under_opaque) {
                    self.deleted_lower(&rel, &lower)?;
                }
                continue;
            }
            let ft = meta.file_type();
            if self.ignores.ignored(&rel, ft.is_dir()) {
                continue;
            }
            // A lower entry of another type was replaced: a lower directory's files are gone, and
            // a lower file replaced by a directory is gone.
            if let Some(l) = lower.as_ref().filter(|l| l.is_dir() != ft.is_dir()) {
                self.deleted_lower(&rel, l)?;
            }
            if ft.is_dir() {
                let opaque = under_opaque || is_opaque(&up);
                if opaque && !under_opaque && lower.as_ref().is_some_and(Metadata::is_dir) {
                    self.deleted_under_opaque(&rel)?;
                }
                self.walk_upper(&rel, opaque)?;
            } else if ft.is_file() {
                self.file(rel, &up, &meta, lower.as_ref())?;
            } else if ft.is_symlink() {
                let target = fs::read_link(&up).map_err(|e| Error::io("read the link", &up, e))?;
                let same = lower.is_some_and(|l| l.is_symlink()) && fs::read_link(self.input.root.join(&rel)).ok() == Some(target.clone());
                if !same || self.input.staged.contains_key(&rel) {
                    self.found.insert(rel, Pending::Symlink(target));
                }
            }
        }
        Ok(())
    }

    fn file(&mut self, rel: PathBuf, up: &Path, meta: &Metadata, lower: Option<&Metadata>) -> Result<()> {
        let len = meta.len();
        let small = len <= self.input.limits.max_bytes;
        let read = || fs::read(up).map_err(|e| Error::io("read", up, e));
        let pending = if let Some(staged) = self.input.staged.get(&rel) {
            // Relative to the editor, the file existed: the buffer.
            if len == staged.len && small {
                let content = read()?;
                if fingerprint(&content) == staged.hash {
                    return Ok(());
                }
                Pending::File { created: false, len, content: Some(content) }
            } else {
                Pending::File { created: false, len, content: None }
            }
        } else {
            match lower {
                Some(l) if l.is_file() => {
                    if l.len() == len && small {
                        let content = read()?;
                        let disk = self.input.root.join(&rel);
                        if fs::read(&disk).map_err(|e| Error::io("read", &disk, e))? == content {
                            return Ok(());
                        }
                        Pending::File { created: false, len, content: Some(content) }
                    } else {
                        Pending::File { created: false, len, content: None }
                    }
                }
                Some(l) if l.is_symlink() => Pending::File { created: false, len, content: None },
                _ => Pending::File { created: true, len, content: None },
            }
        };
        self.found.insert(rel, pending);
        Ok(())
    }

    /// The lower entry at `rel` is gone: the file, or every file under the directory.
    fn deleted_lower(&mut self, rel: &Path, lower: &Metadata) -> Result<()> {
        if self.skipped(rel) || self.ignores.ignored(rel, lower.is_dir()) {
            return Ok(());
        }
        if !lower.is_dir() {
            self.found.insert(rel.to_path_buf(), Pending::Deleted);
            return Ok(());
        }
        let dir = self.input.root.join(rel);
        for name in Self::sorted_names(&dir)? {
            if !self.count_entry() {
                return Ok(());
            }
            let child = rel.join(name);
            if let Some(m) = lstat(&self.input.root.join(&child)) {
                self.deleted_lower(&child, &m)?;
            }
        }
        Ok(())
    }

    /// Under an opaque upper directory, lower files the upper layer does not hold are gone.
    fn deleted_under_opaque(&mut self, rel_dir: &Path) -> Result<()> {
        for name in Self::sorted_names(&self.input.root.join(rel_dir))? {
            if !self.count_entry() {
                return Ok(());
            }
            let rel = rel_dir.join(name);
            let Some(lower) = lstat(&self.input.root.join(&rel)) else { continue };
            if self.skipped(&rel) || self.ignores.ignored(&rel, lower.is_dir()) {
                continue;
            }
            let upper = lstat(&self.input.upper.join(&rel)).filter(|m| !is_whiteout(m));
            match upper {
                None => self.deleted_lower(&rel, &lower)?,
                Some(u) if u.is_dir() && lower.is_dir() => self.deleted_under_opaque(&rel)?,
                // Same path, other type or same type: walk_upper reports it.
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// Staged files that are no longer in the upper layer were deleted by the command (a staged
    /// file new to disk leaves no whiteout behind).
    fn staged_gone(&mut self) {
        for rel in self.input.staged.keys() {
            if self.skipped(rel) || self.found.contains_key(rel) {
                continue;
            }
            let present = lstat(&self.input.upper.join(rel)).is_some_and(|m| m.is_file() || m.is_symlink());
            if !present && !self.ignores.ignored_path(rel) {
                self.found.insert(rel.clone(), Pending::Deleted);
            }
        }
    }

    fn finish(self) -> ChangeSet {
        let limits = self.input.limits;
        let mut set = ChangeSet { truncated: self.stopped, ..ChangeSet::default() };
        let mut bytes = 0u64;
        for (rel, pending) in self.found {
            let path = self.input.root.join(&rel);
            let kind = match pending {
                Pending::Deleted if set.changes.len() < limits.max_files => Some(ChangeKind::Deleted),
                Pending::Symlink(target) if set.changes.len() < limits.max_files => Some(ChangeKind::Symlink { target }),
                Pending::File { created, len, content } if set.changes.len() < limits.max_files && bytes + len <= limits.max_bytes => {
                    // A file that cannot be read now (removed meanwhile) is left out.
                    let content = content.or_else(|| fs::read(self.input.upper.join(&rel)).ok());
                    content.map(|content| {
                        bytes += content.len() as u64;
                        if created {
                            ChangeKind::Created { content }
                        } else {
                            ChangeKind::Modified { content }
                        }
                    })
                }
                _ => {
                    set.truncated = true;
                    if set.omitted.len() < limits.max_files {
                        set.omitted.push(path);
                    }
                    continue;
                }
            };
            if let Some(kind) = kind {
                set.changes.push(OverlayChange { path, kind });
            }
        }
        set
    }
}
