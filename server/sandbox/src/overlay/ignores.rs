//! Which paths of the workspace are ignored by git (`.gitignore` files of the real tree, nested
//! ones included, and `.git/info/exclude`), for the change scan.
//!
//! Matchers are built lazily per directory with the ignore crate's gitignore matcher. Deliberately
//! not a walker, and the global git excludes file is not read: what a command writes under a path
//! only the user's global config ignores still comes back as a change.

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub(crate) struct Ignores {
    root: PathBuf,
    /// Matcher per directory (relative to the root); None where the directory has no .gitignore.
    dirs: HashMap<PathBuf, Option<Gitignore>>,
}

impl Ignores {
    pub(crate) fn new(root: &Path) -> Ignores {
        Ignores { root: root.to_path_buf(), dirs: HashMap::new() }
    }

    fn matcher(&mut self, rel_dir: &Path) -> Option<&Gitignore> {
        let root = &self.root;
        self.dirs
            .entry(rel_dir.to_path_buf())
            .or_insert_with(|| {
                let dir = root.join(rel_dir);
                let mut builder = GitignoreBuilder::new(&dir);
                let mut any = false;
                let mut files = vec![dir.join(".gitignore")];
                if rel_dir.as_os_str().is_empty() {
                    files.insert(0, dir.join(".git/info/exclude"));
                }
                for file in files.iter().filter(|f| f.is_file()) {
                    // A bad line is skipped by the builder; the others still apply.
                    let _ = builder.add(file);
                    any = true;
                }
                if any {
                    builder.build().ok()
                } else {
                    None
                }
            })
            .as_ref()
    }

    /// Whether `rel` itself is ignored by the .gitignore files of its ancestors (deepest first,
    /// as git does). Its parent directories are not checked: the scan never descends into an
    /// ignored directory.
    pub(crate) fn ignored(&mut self, rel: &Path, is_dir: bool) -> bool {
        let abs = self.root.join(rel);
        let parents: Vec<PathBuf> = rel.ancestors().skip(1).map(Path::to_path_buf).collect();
        for dir in parents {
            if let Some(m) = self.matcher(&dir) {
                match m.matched(&abs, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
        }
        false
    }

    /// Whether `rel` (a file) or any of its parent directories is ignored.
    pub(crate) fn ignored_path(&mut self, rel: &Path) -> bool {
        let dirs: Vec<PathBuf> = rel.ancestors().skip(1).filter(|d| !d.as_os_str().is_empty()).map(Path::to_path_buf).collect();
        dirs.iter().rev().any(|d| self.ignored(d, true)) || self.ignored(rel, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_gitignores_and_negation() {
        let root = std::env::temp_dir().join(format!("codeloop-ignores-{}", std::process::id()));
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join(".gitignore"), "*.log\n/out/\n").unwrap();
        std::fs::write(root.join("sub/.gitignore"), "!keep.log\ngen.rs\n").unwrap();
        let mut ig = Ignores::new(&root);
        assert!(ig.ignored(Path::new("a.log"), false));
        assert!(ig.ignored(Path::new("out"), true));
        assert!(!ig.ignored(Path::new("out"), false));
        assert!(ig.ignored(Path::new("sub/gen.rs"), false));
        assert!(!ig.ignored(Path::new("sub/keep.log"), false));
        assert!(ig.ignored(Path::new("sub/x.log"), false));
        assert!(ig.ignored_path(Path::new("out/deep/file.rs")));
        assert!(!ig.ignored_path(Path::new("src/main.rs")));
        std::fs::remove_dir_all(&root).unwrap();
    }
}
