//! Temporary workspaces for tests: a fresh directory under the system temp dir, filled from a
//! fixture string with `//- /path` headers, removed on drop.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

pub struct TempWorkspace {
    pub root: PathBuf,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TempWorkspace {
    pub fn new(name: &str) -> TempWorkspace {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let root = std::env::temp_dir().join(format!("codeloop-it-{}-{name}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("create temp workspace");
        TempWorkspace { root: root.canonicalize().expect("canonical temp dir") }
    }

    /// Creates files from a fixture: each file starts with a `//- /relative/path` line.
    pub fn with_fixture(name: &str, fixture: &str) -> TempWorkspace {
        let ws = TempWorkspace::new(name);
        let mut current: Option<(String, String)> = None;
        for line in fixture.lines() {
            if let Some(path) = line.strip_prefix("//- /") {
                if let Some((p, text)) = current.take() {
                    ws.write(&p, &text);
                }
                current = Some((path.trim().to_string(), String::new()));
            } else if let Some((_, text)) = current.as_mut() {
                text.push_str(line);
                text.push('\n');
            }
        }
        if let Some((p, text)) = current {
            ws.write(&p, &text);
        }
        ws
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.root.join(rel);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).expect("create dirs");
        }
        std::fs::write(&p, text).expect("write fixture file");
    }
}

impl Drop for TempWorkspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}
