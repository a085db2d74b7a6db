//! Applying an `EditProposal` to disk, for exec mode (no editor): all files or none.
//!
//! First every base is checked against the view (the content hash, or the buffer version)
//! and every destination is checked to be free; then new contents go to temporary files
//! next to their targets; then originals are renamed aside and the temporary files renamed
//! into place. Any failure renames everything back and removes what was created. Only
//! then are the set-aside originals removed. This is not proof against a crash halfway
//! (a `.codeloop-*.bak` file may remain), nor against a concurrent writer between the
//! check and the rename. Tools never call this: the front end does, in exec mode only.

use crate::error::{Error, Result};
use crate::files::FileView;
use agent_protocol::{BaseVersion, EditProposal, FileChange};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A sibling path of `path` for a temporary or set-aside file.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.codeloop-{}-{n}.{suffix}", std::process::id()))
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.to_path_buf(), source }
}

fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

fn check_base(view: &dyn FileView, path: &Path, base: &BaseVersion) -> Result<()> {
    match view.read(path) {
        Ok(current) if current.base == *base => Ok(()),
        Ok(_) => Err(Error::BaseChanged { path: path.to_path_buf() }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(Error::Missing { path: path.to_path_buf() }),
        Err(e) => Err(Error::Io { path: path.to_path_buf(), source: e }),
    }
}

/// What has been done so far, to undo it.
#[derive(Default)]
struct Journal {
    /// Directories created, outermost first.
    dirs: Vec<PathBuf>,
    /// Temporary files written and not yet renamed into place.
    temps: Vec<PathBuf>,
    /// (original, set-aside name).
    aside: Vec<(PathBuf, PathBuf)>,
    /// Targets a temporary file was renamed to.
    placed: Vec<PathBuf>,
}

impl Journal {
    fn rollback(self) {
        for p in self.placed.iter().chain(&self.temps) {
            if let Err(e) = std::fs::remove_file(p) {
                tracing::warn!(path = %p.display(), error = %e, "rollback: cannot remove");
            }
        }
        for (original, aside) in self.aside.iter().rev() {
            if let Err(e) = std::fs::rename(aside, original) {
                tracing::error!(path = %original.display(), error = %e, "rollback: cannot restore");
            }
        }
        for d in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }

    fn create_parent(&mut self, path: &Path) -> Result<()> {
        let Some(parent) = path.parent() else { return Ok(()) };
        let missing: Vec<&Path> = parent.ancestors().take_while(|a| !a.as_os_str().is_empty() && !a.exists()).collect();
        // Recorded first: a partial failure leaves directories to remove too.
        self.dirs.extend(missing.into_iter().rev().map(Path::to_path_buf));
        std::fs::create_dir_all(parent).map_err(io_err(parent))
    }

    fn write_temp(&mut self, target: &Path, content: &str, like: Option<&Path>) -> Result<PathBuf> {
        self.create_parent(target)?;
        let temp = sibling(target, "tmp");
        std::fs::write(&temp, content).map_err(io_err(&temp))?;
        self.temps.push(temp.clone());
        if let Some(original) = like {
            // Keep the mode (an executable script stays executable).
            if let Ok(meta) = std::fs::metadata(original) {
                std::fs::set_permissions(&temp, meta.permissions()).map_err(io_err(&temp))?;
            }
        }
        Ok(temp)
    }

    fn set_aside(&mut self, path: &Path) -> Result<()> {
        let aside = sibling(path, "bak");
        std::fs::rename(path, &aside).map_err(io_err(path))?;
        self.aside.push((path.to_path_buf(), aside));
        Ok(())
    }

    fn place(&mut self, temp: &Path, target: &Path) -> Result<()> {
        std::fs::rename(temp, target).map_err(io_err(target))?;
        self.temps.retain(|t| t != temp);
        self.placed.push(target.to_path_buf());
        Ok(())
    }
}

/// Writes `proposal` to disk, checking each base against `view` first. On error nothing
/// has changed (see the module header for the limits).
pub fn apply_to_disk(proposal: &EditProposal, view: &dyn FileView) -> Result<()> {
    // 1. Check everything before touching anything.
    for change in &proposal.changes {
        let (path, move_to) = match change {
            FileChange::Add { path, .. } => (path, None),
            FileChange::Delete { path, .. } => (path, None),
            FileChange::Update { path, move_to, .. } => (path, move_to.as_ref()),
            _ => continue,
        };
        for p in std::iter::once(path).chain(move_to) {
            if !p.is_absolute() {
                return Err(Error::RelativePath { path: p.clone() });
            }
        }
        match change {
            FileChange::Add { path, .. } if exists(path) => return Err(Error::Exists { path: path.clone() }),
            FileChange::Delete { path, base } | FileChange::Update { path, base, .. } => check_base(view, path, base)?,
            _ => {}
        }
        if let Some(to) = move_to.filter(|to| *to != path) {
            if exists(to) {
                return Err(Error::Exists { path: to.clone() });
            }
        }
    }
    // 2. New contents to temporary files; 3. originals aside, temporaries into place.
    let mut journal = Journal::default();
    let result = (|| -> Result<()> {
        let mut renames = Vec::new();
        for change in &proposal.changes {
            match change {
                FileChange::Add { path, content } => renames.push((journal.write_temp(path, content, None)?, path.clone())),
                FileChange::Update { path, move_to, new_content, .. } => {
                    let target = move_to.clone().unwrap_or_else(|| path.clone());
                    renames.push((journal.write_temp(&target, new_content, Some(path))?, target));
                }
                _ => {}
            }
        }
        for change in &proposal.changes {
            match change {
                FileChange::Delete { path, .. } | FileChange::Update { path, .. } => journal.set_aside(path)?,
                _ => {}
            }
        }
        for (temp, target) in &renames {
            journal.place(temp, target)?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => {
            for (_, aside) in &journal.aside {
                if let Err(e) = std::fs::remove_file(aside) {
                    tracing::warn!(path = %aside.display(), error = %e, "cannot remove a replaced file");
                }
            }
            Ok(())
        }
        Err(e) => {
            journal.rollback();
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::{content_hash, DiskView, Overlaid};
    use crate::test_support::TempDir;
    use agent_protocol::TextReplace;
    use std::os::unix::fs::PermissionsExt;

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    fn update(path: PathBuf, old: &str, new: &str, move_to: Option<PathBuf>) -> FileChange {
        FileChange::Update {
            path,
            move_to,
            base: BaseVersion::Disk { hash: content_hash(old) },
            edits: vec![TextReplace { start: 0, end: old.len(), new_text: new.into() }],
            new_content: new.into(),
        }
    }

    #[test]
    fn applies_all_changes_and_keeps_modes() {
        let dir = TempDir::new();
        dir.write("a.sh", "old\n");
        dir.write("gone.txt", "bye\n");
        std::fs::set_permissions(dir.path().join("a.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let p = |r: &str| dir.path().join(r);
        let proposal = EditProposal {
            changes: vec![
                update(p("a.sh"), "old\n", "new\n", Some(p("bin/run.sh"))),
                FileChange::Delete { path: p("gone.txt"), base: BaseVersion::Disk { hash: content_hash("bye\n") } },
                FileChange::Add { path: p("deep/er/new.txt"), content: "hi\n".into() },
            ],
        };
        apply_to_disk(&proposal, &DiskView).unwrap();
        assert_eq!(listing(dir.path()), ["bin", "deep"]);
        assert_eq!(std::fs::read_to_string(p("bin/run.sh")).unwrap(), "new\n");
        assert_eq!(std::fs::metadata(p("bin/run.sh")).unwrap().permissions().mode() & 0o777, 0o755);
        assert_eq!(std::fs::read_to_string(p("deep/er/new.txt")).unwrap(), "hi\n");
    }

    #[test]
    fn refuses_changed_bases_and_rolls_back() {
        let dir = TempDir::new();
        dir.write("a.txt", "edited by someone\n");
        dir.write("b.txt", "b\n");
        dir.write("blocker", "a file where a directory is needed\n");
        let p = |r: &str| dir.path().join(r);
        let stale = EditProposal { changes: vec![update(p("a.txt"), "a\n", "A\n", None)] };
        assert!(matches!(apply_to_disk(&stale, &DiskView), Err(Error::BaseChanged { .. })));
        // The second change cannot be written: the first must not stay written either.
        let failing = EditProposal {
            changes: vec![update(p("b.txt"), "b\n", "B\n", None), FileChange::Add { path: p("blocker/x.txt"), content: "x\n".into() }],
        };
        assert!(matches!(apply_to_disk(&failing, &DiskView), Err(Error::Io { .. })));
        assert_eq!(std::fs::read_to_string(p("b.txt")).unwrap(), "b\n");
        assert_eq!(listing(dir.path()), ["a.txt", "b.txt", "blocker"]);
        let exists = EditProposal { changes: vec![FileChange::Add { path: p("b.txt"), content: "x".into() }] };
        assert!(matches!(apply_to_disk(&exists, &DiskView), Err(Error::Exists { .. })));
        let relative = EditProposal { changes: vec![FileChange::Add { path: "rel.txt".into(), content: "x".into() }] };
        assert!(matches!(apply_to_disk(&relative, &DiskView), Err(Error::RelativePath { .. })));
    }

    #[test]
    fn buffer_bases_are_checked_against_the_view() {
        let dir = TempDir::new();
        dir.write("a.txt", "disk\n");
        let path = dir.path().join("a.txt");
        let view = Overlaid::new();
        view.set(&path, 4, "buffer\n");
        let change = |version| EditProposal {
            changes: vec![FileChange::Update {
                path: path.clone(),
                move_to: None,
                base: BaseVersion::Buffer { version },
                edits: vec![],
                new_content: "agent\n".into(),
            }],
        };
        assert!(matches!(apply_to_disk(&change(3), &view), Err(Error::BaseChanged { .. })));
        apply_to_disk(&change(4), &view).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "agent\n");
    }
}
