//! Entering the overlay: in the helper process, right before the command is exec'd, mount the
//! workspace overlay at the workspace root's own path in a private mount namespace.
//!
//! Steps (all O(1) in the size of the tree): unshare a user namespace (unless this process can
//! already mount) and a mount namespace; make every mount private; open the write-through
//! directories of the real tree; mount overlayfs (lower = real root, upper and work from the
//! thread's state dir) on the root; bind each write-through directory of the real tree over its
//! overlaid path; chdir again into the cwd so it resolves through the overlay.
//!
//! [`EnterPlan::apply`] does not allocate, so it may also run between fork and exec of a
//! multi-threaded process (tests, the probe). Not here: the server-side state (upper.rs) and
//! reading changes back (changes.rs).

use super::sys::{cpath, cvt, has_cap_sys_admin, in_initial_user_ns, proc_fd_path};
use super::{Error, Result};
use serde::{Deserialize, Serialize};
use std::ffi::CString;
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

/// What the helper needs to enter a thread's overlay. Serializable: the server passes it to the
/// helper as JSON on its command line ([`super::Overlay::mount_spec`] builds it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverlayMount {
    /// The workspace root (absolute, canonical): the lower layer, and where the overlay is mounted.
    pub root: PathBuf,
    /// The thread's upper layer.
    pub upper: PathBuf,
    /// overlayfs's work dir (same filesystem as `upper`).
    pub work: PathBuf,
    /// Directories relative to `root` bind-mounted from the real tree over the overlay.
    #[serde(default)]
    pub write_through: Vec<PathBuf>,
}

/// The step of [`enter`] that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    UserNamespace,
    IdMaps,
    MountNamespace,
    PrivateMounts,
    OpenRoot,
    MountOverlay,
    Chdir,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::UserNamespace => "unshare a user namespace",
            Step::IdMaps => "write the uid/gid maps",
            Step::MountNamespace => "unshare a mount namespace",
            Step::PrivateMounts => "make mounts private",
            Step::OpenRoot => "open the workspace root",
            Step::MountOverlay => "mount overlayfs",
            Step::Chdir => "chdir into the overlay",
        })
    }
}

/// A failed step and its errno (Copy, so it can be produced after fork).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepError {
    pub step: Step,
    pub errno: i32,
}

impl From<StepError> for std::io::Error {
    fn from(e: StepError) -> Self {
        let os = std::io::Error::from_raw_os_error(e.errno);
        std::io::Error::new(os.kind(), format!("overlay: cannot {}: {os}", e.step))
    }
}

/// What [`enter`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnterReport {
    /// A user namespace was created (the process could not mount otherwise).
    pub user_namespace: bool,
    /// overlayfs keeps its metadata in `user.overlay.*` xattrs (any mount outside the initial
    /// user namespace) rather than `trusted.overlay.*`.
    pub userxattr: bool,
    /// Write-through directories bound from the real tree.
    pub write_through: Vec<PathBuf>,
    /// Write-through directories skipped, with why (missing, a symlink, bind failed).
    pub skipped_write_through: Vec<(PathBuf, String)>,
    /// Time spent in the setup.
    pub elapsed: Duration,
}

struct WriteThrough {
    rel: PathBuf,
    rel_c: CString,
    overlaid_c: CString,
    /// The real directory, held open while the overlay covers it (-1 when not open).
    real_fd: libc::c_int,
    /// errno of the first failure, 0 when bound.
    errno: i32,
    bound: bool,
}

/// Everything [`enter`] needs, prepared (allocated) up front; [`EnterPlan::apply`] only makes
/// syscalls.
pub struct EnterPlan {
    root: CString,
    overlay_data: CString,
    need_user_ns: bool,
    userxattr: bool,
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
    cwd: CString,
    write_through: Vec<WriteThrough>,
    /// What a `volatile` mount leaves in the work dir (and refuses to mount over): removed
    /// before mounting, deepest first.
    volatile_marks: [CString; 3],
}

/// Enters the overlay described by `mount` (see the module docs) and returns what was done.
/// Call it in the single-threaded helper before Landlock and seccomp (a Landlock-restricted
/// process may not mount) and before any other mount over paths inside the root.
pub fn enter(mount: &OverlayMount) -> Result<EnterReport> {
    let start = Instant::now();
    let mut plan = EnterPlan::new(mount)?;
    plan.apply().map_err(|e| Error::Enter { step: e.step, source: std::io::Error::from_raw_os_error(e.errno) })?;
    Ok(plan.report(start.elapsed()))
}

/// Escapes a path for overlayfs's comma-separated options, where `\`, `,` and `:` are special.
fn escape_option(p: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in p.as_os_str().as_encoded_bytes() {
        if matches!(b, b'\\' | b',' | b':') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

fn c_bytes(bytes: Vec<u8>, path: &Path) -> Result<CString> {
    CString::new(bytes).map_err(|_| Error::InvalidPath(path.to_path_buf()))
}

impl EnterPlan {
    /// Prepares entering `mount` from the current working directory.
    pub fn new(mount: &OverlayMount) -> Result<EnterPlan> {
        let cwd = std::env::current_dir().map_err(|source| Error::io("read the current directory", ".", source))?;
        Self::with_cwd(mount, &cwd)
    }

    /// Prepares entering `mount`, ending in `cwd`.
    pub fn with_cwd(mount: &OverlayMount, cwd: &Path) -> Result<EnterPlan> {
        if !mount.root.is_absolute() || mount.root == Path::new("/") {
            return Err(Error::InvalidPath(mount.root.clone()));
        }
        let can_mount = has_cap_sys_admin();
        let need_user_ns = !can_mount;
        let userxattr = need_user_ns || !in_initial_user_ns();
        let mut data = b"lowerdir=".to_vec();
        data.extend(escape_option(&mount.root));
        data.extend(b",upperdir=");
        data.extend(escape_option(&mount.upper));
        data.extend(b",workdir=");
        data.extend(escape_option(&mount.work));
        // redirect_dir and metacopy would leave upper entries that are not self-describing
        // (renamed directories, metadata-only copies); both are off so changes.rs can read the
        // upper layer as plain files, whiteouts and opaque directories.
        data.extend(b",redirect_dir=nofollow,metacopy=off");
        // The upper layer is scratch: without `volatile` the unmount at the command's exit
        // syncs the whole upper filesystem (everyone's dirty pages, several ms on a busy disk).
        data.extend(b",volatile");
        if userxattr {
            data.extend(b",userxattr");
        }
        // SAFETY: trivial getters.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        let incompat = mount.work.join("work/incompat");
        let mut write_through = Vec::with_capacity(mount.write_through.len());
        for rel in &mount.write_through {
            if !is_plain_relative(rel) {
                return Err(Error::InvalidPath(rel.clone()));
            }
            write_through.push(WriteThrough {
                rel: rel.clone(),
                rel_c: cpath(rel).map_err(|_| Error::InvalidPath(rel.clone()))?,
                overlaid_c: cpath(&mount.root.join(rel)).map_err(|_| Error::InvalidPath(rel.clone()))?,
                real_fd: -1,
                errno: 0,
                bound: false,
            });
        }
        Ok(EnterPlan {
            root: cpath(&mount.root).map_err(|_| Error::InvalidPath(mount.root.clone()))?,
            overlay_data: c_bytes(data, &mount.root)?,
            need_user_ns,
            userxattr,
            uid_map: format!("{uid} {uid} 1\n").into_bytes(),
            gid_map: format!("{gid} {gid} 1\n").into_bytes(),
            cwd: cpath(cwd).map_err(|_| Error::InvalidPath(cwd.to_path_buf()))?,
            write_through,
            volatile_marks: [
                cpath(&incompat.join("volatile/dirty")).map_err(|_| Error::InvalidPath(mount.work.clone()))?,
                cpath(&incompat.join("volatile")).map_err(|_| Error::InvalidPath(mount.work.clone()))?,
                cpath(&incompat).map_err(|_| Error::InvalidPath(mount.work.clone()))?,
            ],
        })
    }

    /// Makes the syscalls. Allocation-free: safe between fork and exec.
    pub fn apply(&mut self) -> std::result::Result<(), StepError> {
        let fail = |step| move |errno| StepError { step, errno };
        if self.need_user_ns {
            // SAFETY: unshare changes only this process's namespaces; callers are single-threaded
            // (the helper, or a child between fork and exec).
            cvt(unsafe { libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) }).map_err(fail(Step::UserNamespace))?;
            write_proc(c"/proc/self/setgroups", b"deny").map_err(fail(Step::IdMaps))?;
            write_proc(c"/proc/self/uid_map", &self.uid_map).map_err(fail(Step::IdMaps))?;
            write_proc(c"/proc/self/gid_map", &self.gid_map).map_err(fail(Step::IdMaps))?;
        } else {
            // SAFETY: as above; a nested mount namespace is harmless if the helper made one.
            cvt(unsafe { libc::unshare(libc::CLONE_NEWNS) }).map_err(fail(Step::MountNamespace))?;
        }
        // SAFETY: propagation change on "/" only; null pointers are allowed for the unused fields.
        cvt(unsafe { libc::mount(std::ptr::null(), c"/".as_ptr(), std::ptr::null(), libc::MS_REC | libc::MS_PRIVATE, std::ptr::null()) })
            .map_err(fail(Step::PrivateMounts))?;

        // The previous command's volatile mark (the directories are mode 000: this needs the
        // capabilities we now hold; errors are left to the mount to report).
        let [dirty, volatile, incompat] = &self.volatile_marks;
        // SAFETY: valid C strings.
        unsafe {
            libc::unlink(dirty.as_ptr());
            libc::rmdir(volatile.as_ptr());
            libc::rmdir(incompat.as_ptr());
        }

        // Keep hold of the real write-through directories before the overlay covers them.
        // SAFETY: valid C string; the fd is closed below.
        let root_fd = cvt(unsafe { libc::open(self.root.as_ptr(), libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC) })
            .map_err(fail(Step::OpenRoot))?;
        for wt in &mut self.write_through {
            let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
            // SAFETY: valid fd and C string.
            match cvt(unsafe { libc::openat(root_fd, wt.rel_c.as_ptr(), flags) }) {
                Ok(real) => wt.real_fd = real,
                Err(errno) => wt.errno = errno,
            }
        }
        // SAFETY: our own fd.
        unsafe { libc::close(root_fd) };

        // SAFETY: valid C strings; the mount happens in our private mount namespace. The kernel
        // resolves lowerdir before the new mount covers the same path.
        let mounted =
            cvt(unsafe { libc::mount(c"overlay".as_ptr(), self.root.as_ptr(), c"overlay".as_ptr(), 0, self.overlay_data.as_ptr().cast()) });
        if let Err(errno) = mounted {
            self.close_real_fds();
            return Err(StepError { step: Step::MountOverlay, errno });
        }

        for wt in &mut self.write_through {
            let real = wt.real_fd;
            if real < 0 {
                continue;
            }
            let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
            // SAFETY: valid C string; the fd is closed below.
            let overlaid = match cvt(unsafe { libc::open(wt.overlaid_c.as_ptr(), flags) }) {
                Ok(fd) => fd,
                Err(errno) => {
                    wt.errno = errno;
                    continue;
                }
            };
            let (mut src, mut dst) = ([0u8; 32], [0u8; 32]);
            let (src, dst) = (proc_fd_path(real, &mut src), proc_fd_path(overlaid, &mut dst));
            // SAFETY: NUL-terminated buffers on our stack; binds the real directory (reached
            // through its fd) over the overlaid one, in our private mount namespace.
            match cvt(unsafe { libc::mount(src, dst, std::ptr::null(), libc::MS_BIND | libc::MS_REC, std::ptr::null()) }) {
                Ok(_) => wt.bound = true,
                Err(errno) => wt.errno = errno,
            }
            // SAFETY: our own fd.
            unsafe { libc::close(overlaid) };
        }
        self.close_real_fds();

        // The cwd still points into the real tree: resolve it again, through the overlay. Failing
        // here is fatal, since relative writes would otherwise reach the real tree.
        // SAFETY: valid C string.
        cvt(unsafe { libc::chdir(self.cwd.as_ptr()) }).map_err(fail(Step::Chdir))?;
        Ok(())
    }

    /// The report of an applied plan.
    pub fn report(&self, elapsed: Duration) -> EnterReport {
        let mut report = EnterReport { user_namespace: self.need_user_ns, userxattr: self.userxattr, elapsed, ..Default::default() };
        for wt in &self.write_through {
            if wt.bound {
                report.write_through.push(wt.rel.clone());
            } else {
                let why = match wt.errno {
                    libc::ENOENT => "missing in the real tree".to_owned(),
                    libc::ELOOP | libc::ENOTDIR => "not a directory (or a symlink)".to_owned(),
                    errno => std::io::Error::from_raw_os_error(errno).to_string(),
                };
                report.skipped_write_through.push((wt.rel.clone(), why));
            }
        }
        report
    }
}

impl EnterPlan {
    fn close_real_fds(&mut self) {
        for wt in self.write_through.iter_mut().filter(|wt| wt.real_fd >= 0) {
            // SAFETY: an fd we opened.
            unsafe { libc::close(wt.real_fd) };
            wt.real_fd = -1;
        }
    }
}

/// Writes a /proc file in one write(2), as the id map files require.
fn write_proc(path: &std::ffi::CStr, data: &[u8]) -> std::result::Result<(), i32> {
    // SAFETY: valid C string; the fd is closed below.
    let fd = cvt(unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) })?;
    // SAFETY: a valid buffer of the given length.
    let written = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO);
    // SAFETY: our own fd.
    unsafe { libc::close(fd) };
    if written == data.len() as isize {
        Ok(())
    } else {
        Err(if written < 0 { errno } else { libc::EIO })
    }
}

/// A non-empty relative path made only of normal components (no `..`, no root, no `.`).
pub(crate) fn is_plain_relative(p: &Path) -> bool {
    p.components().next().is_some() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_escaped() {
        assert_eq!(escape_option(Path::new("/a,b:c\\d")), b"/a\\,b\\:c\\\\d".to_vec());
    }

    #[test]
    fn plain_relative_paths() {
        assert!(is_plain_relative(Path::new("target")));
        assert!(is_plain_relative(Path::new("a/b")));
        for bad in ["", "/abs", "../up", "a/../b", "./a"] {
            assert!(!is_plain_relative(Path::new(bad)), "{bad}");
        }
    }

    #[test]
    fn mount_spec_is_json() {
        let m = OverlayMount { root: "/w".into(), upper: "/s/upper".into(), work: "/s/work".into(), write_through: vec!["target".into()] };
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(json, r#"{"root":"/w","upper":"/s/upper","work":"/s/work","writeThrough":["target"]}"#);
        assert_eq!(serde_json::from_str::<OverlayMount>(&json).unwrap(), m);
    }
}
