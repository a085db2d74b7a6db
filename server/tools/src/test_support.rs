//! Test helpers: a throwaway directory with files, and a `ToolContext` over it with some
//! open buffers. Compiled for tests only.

use crate::context::{ToolContext, ToolsConfig};
use crate::files::Overlaid;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A directory removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!("tools-test-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    pub(crate) fn write(&self, rel: &str, content: &str) {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A context whose cwd holds `files` on disk, with `open` as open buffers (version 1).
pub(crate) fn ctx_with(files: &[(&str, &str)], open: &[(&str, &str)]) -> (ToolContext, TempDir) {
    let dir = TempDir::new();
    for (rel, content) in files {
        dir.write(rel, content);
    }
    let view = Overlaid::new();
    for (rel, content) in open {
        view.set(dir.path().join(rel), 1, *content);
    }
    let ctx = ToolContext::new(dir.path().to_path_buf(), Arc::new(view), None, ToolsConfig::default());
    (ctx, dir)
}
