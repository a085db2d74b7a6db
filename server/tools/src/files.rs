//! How tools see files: a `FileView` returns a file's text and what that text is (an open
//! buffer at a version, or the disk with a content hash), so that reads see what the user
//! sees and edit proposals name their base. `DiskView` reads the disk; `Overlaid` lays a map
//! of buffers over it (tests, exec mode). The LSP layer implements `FileView` over its
//! document store.
//!
//! Nothing here writes files: applying a proposal to disk is `apply.rs`.

use agent_protocol::BaseVersion;
use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, RwLock};

/// A file's text and what it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSnapshot {
    pub text: Arc<str>,
    pub base: BaseVersion,
}

impl FileSnapshot {
    /// A snapshot of disk content (its base is the content hash).
    pub fn disk(text: impl Into<Arc<str>>) -> FileSnapshot {
        let text = text.into();
        let base = BaseVersion::Disk { hash: content_hash(&text) };
        FileSnapshot { text, base }
    }
}

/// Files as the agent sees them: open buffers over disk.
pub trait FileView: Send + Sync {
    /// The file's current text. `NotFound` when it neither is open nor exists on disk;
    /// `InvalidData` when it is not UTF-8.
    fn read(&self, path: &Path) -> io::Result<FileSnapshot>;

    /// Absolute paths of the open buffers, so that searches read them instead of disk
    /// (and find buffers not saved yet).
    fn open_paths(&self) -> Vec<PathBuf> {
        Vec::new()
    }

    /// Whether `path` is an open buffer.
    fn is_open(&self, _path: &Path) -> bool {
        false
    }
}

/// The xxh3-64 hash of a text as 16 lowercase hex digits: the `BaseVersion::Disk` hash.
pub fn content_hash(text: &str) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

/// Reads the disk.
#[derive(Clone, Copy, Debug, Default)]
pub struct DiskView;

impl FileView for DiskView {
    fn read(&self, path: &Path) -> io::Result<FileSnapshot> {
        read_disk(path)
    }
}

pub(crate) fn read_disk(path: &Path) -> io::Result<FileSnapshot> {
    if path.is_dir() {
        return Err(io::Error::new(io::ErrorKind::IsADirectory, "is a directory"));
    }
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8(bytes).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not valid UTF-8"))?;
    Ok(FileSnapshot::disk(text))
}

/// Open buffers (text and LSP version) over the disk.
#[derive(Debug, Default)]
pub struct Overlaid {
    buffers: RwLock<BTreeMap<PathBuf, (i32, Arc<str>)>>,
}

impl Overlaid {
    pub fn new() -> Overlaid {
        Overlaid::default()
    }

    /// Opens or changes the buffer of `path` (absolute).
    pub fn set(&self, path: impl Into<PathBuf>, version: i32, text: impl Into<Arc<str>>) {
        self.buffers.write().unwrap_or_else(|e| e.into_inner()).insert(path.into(), (version, text.into()));
    }

    /// Closes the buffer of `path`: disk is served again.
    pub fn remove(&self, path: &Path) {
        self.buffers.write().unwrap_or_else(|e| e.into_inner()).remove(path);
    }
}

impl FileView for Overlaid {
    fn read(&self, path: &Path) -> io::Result<FileSnapshot> {
        let buffer = self.buffers.read().unwrap_or_else(|e| e.into_inner()).get(path).cloned();
        match buffer {
            Some((version, text)) => Ok(FileSnapshot { text, base: BaseVersion::Buffer { version } }),
            None => read_disk(path),
        }
    }

    fn open_paths(&self) -> Vec<PathBuf> {
        self.buffers.read().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect()
    }

    fn is_open(&self, path: &Path) -> bool {
        self.buffers.read().unwrap_or_else(|e| e.into_inner()).contains_key(path)
    }
}

/// `path` made absolute against `cwd` and cleaned lexically (`.` dropped, `..` popped), the
/// way a model means a path; symlinks are not resolved.
pub fn resolve_path(cwd: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() { path.to_path_buf() } else { cwd.join(path) };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `path` relative to `cwd` when inside it, else as is: how tool outputs name files.
pub fn display_path(cwd: &Path, path: &Path) -> String {
    match path.strip_prefix(cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_serves_buffers_over_disk() {
        let dir = std::env::temp_dir().join(format!("tools-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("a.txt");
        std::fs::write(&a, "disk\n").unwrap();
        let view = Overlaid::new();
        let disk = view.read(&a).unwrap();
        assert_eq!(&*disk.text, "disk\n");
        assert_eq!(disk.base, BaseVersion::Disk { hash: content_hash("disk\n") });
        view.set(&a, 3, "buffer\n");
        assert_eq!(view.read(&a).unwrap(), FileSnapshot { text: "buffer\n".into(), base: BaseVersion::Buffer { version: 3 } });
        assert!(view.is_open(&a));
        view.remove(&a);
        assert_eq!(&*view.read(&a).unwrap().text, "disk\n");
        assert_eq!(view.read(&dir.join("missing")).unwrap_err().kind(), io::ErrorKind::NotFound);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn paths_resolve_lexically() {
        let cwd = Path::new("/w/proj");
        assert_eq!(resolve_path(cwd, Path::new("src/./a.rs")), PathBuf::from("/w/proj/src/a.rs"));
        assert_eq!(resolve_path(cwd, Path::new("../b/c")), PathBuf::from("/w/b/c"));
        assert_eq!(resolve_path(cwd, Path::new("/etc/x")), PathBuf::from("/etc/x"));
        assert_eq!(display_path(cwd, Path::new("/w/proj/src/a.rs")), "src/a.rs");
        assert_eq!(display_path(cwd, Path::new("/w/other")), "/w/other");
    }
}
