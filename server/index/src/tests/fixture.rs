//! A fixture tree in a unique temporary directory, removed on drop, and an index over it.

use crate::{Index, IndexConfig, IndexStats, SymbolHit};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub(crate) struct Fixture {
    pub dir: PathBuf,
}

impl Fixture {
    /// Writes every `//- /path` section of `text` under `<dir>/ws`.
    pub fn new(text: &str) -> Fixture {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("codeloop-index-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(dir.join("ws")).unwrap();
        let fixture = Fixture { dir };
        let mut current: Option<(String, String)> = None;
        for line in text.lines() {
            if let Some(path) = line.strip_prefix("//- ") {
                if let Some((p, body)) = current.take() {
                    fixture.write(&p, &body);
                }
                current = Some((path.trim().trim_start_matches('/').to_string(), String::new()));
            } else if let Some((_, body)) = current.as_mut() {
                body.push_str(line);
                body.push('\n');
            }
        }
        if let Some((p, body)) = current {
            fixture.write(&p, &body);
        }
        fixture
    }

    pub fn root(&self) -> PathBuf {
        std::fs::canonicalize(self.dir.join("ws")).unwrap()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.dir.join("cache")
    }

    /// Writes a file and dates it an hour back, so that the index trusts its stat.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let path = self.dir.join("ws").join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        self.set_age(rel, 3600);
    }

    pub fn set_age(&self, rel: &str, secs: u64) {
        let f = std::fs::File::options().write(true).open(self.dir.join("ws").join(rel)).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(secs)).unwrap();
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.dir.join("ws").join(rel)).unwrap();
    }

    pub fn config(&self) -> IndexConfig {
        IndexConfig { roots: vec![self.dir.join("ws")], cache_dir: Some(self.cache_dir()), max_file_bytes: 64 * 1024, threads: 2 }
    }

    /// A new index (as after a restart), indexed.
    pub fn index(&self) -> (Index, IndexStats) {
        let index = Index::new(self.config());
        let stats = index.index_workspace(&|_| {});
        (index, stats)
    }

    /// Paths relative to the root.
    pub fn rel(&self, path: &Path) -> String {
        path.strip_prefix(self.root()).unwrap_or(path).display().to_string()
    }

    /// The index's files (served ones), relative and sorted.
    pub fn indexed(&self, index: &Index) -> Vec<String> {
        let mut files: Vec<String> =
            index.inner.read().entries().filter(|(_, e)| e.served().is_some()).map(|(_, e)| self.rel(&e.path)).collect();
        files.sort();
        files
    }

    /// One line per hit: `kind name path:line:utf16-col score`.
    pub fn hits(&self, hits: &[SymbolHit]) -> String {
        hits.iter()
            .map(|h| {
                let p = h.symbol.selection.0;
                format!("{:<11} {:<13} {}:{}:{} {}\n", h.symbol.kind.as_str(), h.symbol.name, self.rel(&h.path), p.line, p.utf16, h.score)
            })
            .collect()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Counts of a run, without the timing, for comparisons.
pub(crate) fn counts(s: &IndexStats) -> (usize, usize, usize, usize) {
    (s.files_seen, s.files_parsed, s.files_from_cache, s.files_skipped)
}
