//! The agent's view of files (`tools::FileView`) over the document store: an open buffer is
//! read as the user sees it (its text and LSP version), any other file from disk with its
//! content hash. So the agent reads unsaved changes, and its edit proposals name the exact
//! version they were computed against.
//!
//! Reads take the latest published snapshot without waiting for the document actor: a
//! change that is still queued is caught later, when the edit is checked against the
//! buffer's version before it is sent. This file does not write anything.

use crate::documents::DocStore;
use agent_protocol::BaseVersion;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tools::{FileSnapshot, FileView};

pub struct DocView {
    docs: Arc<DocStore>,
}

impl DocView {
    pub fn new(docs: Arc<DocStore>) -> DocView {
        DocView { docs }
    }
}

impl FileView for DocView {
    fn read(&self, path: &Path) -> io::Result<FileSnapshot> {
        match self.docs.by_path(path) {
            Some(snap) => Ok(FileSnapshot { text: snap.doc.text().into(), base: BaseVersion::Buffer { version: snap.doc.version() } }),
            None => tools::DiskView.read(path),
        }
    }

    fn open_paths(&self) -> Vec<PathBuf> {
        self.docs.all().iter().filter_map(|s| s.path.clone()).collect()
    }

    fn is_open(&self, path: &Path) -> bool {
        self.docs.by_path(path).is_some()
    }
}
