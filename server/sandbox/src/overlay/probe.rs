//! The one-time probe: can this process's helpers mount the workspace overlay? A forked child
//! really does it (user namespace if needed, mount namespace, overlayfs on a scratch tree under
//! the temp dir, one file created and one deleted through it) and reports the failing step.
//!
//! The answer is cached for the life of the process. Not here: running commands; where the
//! overlay is unavailable the caller runs them on the real tree and says so.

use super::mount::{EnterPlan, OverlayMount, Step, StepError};
use super::sys::{cpath, uses_userxattr};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// Whether workspace overlays can be had here, and why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverlaySupport {
    pub available: bool,
    /// Why overlays are unavailable (None when available).
    pub reason: Option<String>,
    /// Mounted from a user namespace with `userxattr` (unprivileged; needs Linux 5.11+).
    pub userxattr: bool,
}

/// Probes once (the first call takes a fork and a few mounts, about a millisecond) and returns the
/// cached answer afterwards.
pub fn probe() -> &'static OverlaySupport {
    static SUPPORT: OnceLock<OverlaySupport> = OnceLock::new();
    SUPPORT.get_or_init(|| {
        let userxattr = uses_userxattr();
        let reason = probe_in(&std::env::temp_dir()).err();
        OverlaySupport { available: reason.is_none(), reason, userxattr }
    })
}

/// Runs the probe with a scratch tree under `dir`; `Err` says why overlays are unavailable.
pub fn probe_in(dir: &Path) -> Result<(), String> {
    if let Some(reason) = kernel_too_old() {
        return Err(reason);
    }
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let scratch = dir.join(format!("codeloop-overlay-probe-{}-{n}", std::process::id()));
    let result = probe_scratch(&scratch);
    let _ = super::upper::remove_tree(&scratch);
    result
}

fn probe_scratch(scratch: &Path) -> Result<(), String> {
    let (lower, upper, work) = (scratch.join("lower"), scratch.join("upper"), scratch.join("work"));
    for d in [&lower, &upper, &work] {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create the probe dir {}: {e}", d.display()))?;
    }
    std::fs::write(lower.join("deleted"), b"x").map_err(|e| format!("cannot write the probe tree: {e}"))?;
    let mount = OverlayMount { root: lower.clone(), upper, work, write_through: Vec::new() };
    let mut plan = EnterPlan::with_cwd(&mount, Path::new("/")).map_err(|e| e.to_string())?;
    let created = cpath(&lower.join("created")).map_err(|e| e.to_string())?;
    let deleted = cpath(&lower.join("deleted")).map_err(|e| e.to_string())?;
    let status = in_child(|| {
        plan.apply()?;
        let flags = libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC;
        // SAFETY: valid C string; the child exits right after.
        let fd = unsafe { libc::open(created.as_ptr(), flags, 0o644) };
        if fd < 0 {
            return Err(StepError { step: Step::MountOverlay, errno: errno() });
        }
        // SAFETY: valid C string (creates a whiteout in the upper layer).
        if unsafe { libc::unlink(deleted.as_ptr()) } != 0 {
            return Err(StepError { step: Step::MountOverlay, errno: errno() });
        }
        Ok(())
    })?;
    match status {
        Ok(()) => {
            // The created file must be in the upper layer and the real tree untouched.
            if lower.join("created").exists() || !lower.join("deleted").exists() {
                return Err("the probe's overlay wrote to the lower layer".to_owned());
            }
            Ok(())
        }
        Err(e) if e.step == Step::MountOverlay && e.errno == libc::EINVAL => Err(format!(
            "cannot mount overlayfs (EINVAL: kernel lacks userxattr or the temp dir's filesystem lacks xattrs): {}",
            std::io::Error::from(e)
        )),
        Err(e) => Err(std::io::Error::from(e).to_string()),
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

/// Runs `f` in a forked child and brings its result back through a pipe. `f` must not allocate
/// or take locks: the parent may be multi-threaded.
fn in_child(f: impl FnOnce() -> Result<(), StepError>) -> Result<Result<(), StepError>, String> {
    let mut fds = [0; 2];
    // SAFETY: fds is a valid out array of two ints.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!("cannot create a pipe: {}", std::io::Error::last_os_error()));
    }
    let [read_fd, write_fd] = fds;
    // SAFETY: the child only makes syscalls (f is allocation-free) and leaves with _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let code: [u8; 5] = match f() {
            Ok(()) => [0; 5],
            Err(e) => {
                let mut b = [step_code(e.step); 5];
                b[1..].copy_from_slice(&e.errno.to_le_bytes());
                b
            }
        };
        // SAFETY: writes our stack buffer to our pipe, then exits without running destructors.
        unsafe {
            libc::write(write_fd, code.as_ptr().cast(), code.len());
            libc::_exit(0)
        }
    }
    // SAFETY: our own fd.
    unsafe { libc::close(write_fd) };
    if pid < 0 {
        // SAFETY: our own fd.
        unsafe { libc::close(read_fd) };
        return Err(format!("cannot fork: {}", std::io::Error::last_os_error()));
    }
    let mut buf = [0u8; 5];
    // SAFETY: reads into our buffer; then the fd is closed and the child reaped.
    let n = unsafe { libc::read(read_fd, buf.as_mut_ptr().cast(), buf.len()) };
    let mut status = 0;
    // SAFETY: as above.
    unsafe {
        libc::close(read_fd);
        libc::waitpid(pid, &mut status, 0);
    }
    if n != 5 {
        return Err("the probe child died".to_owned());
    }
    if buf[0] == 0 {
        return Ok(Ok(()));
    }
    let errno = i32::from_le_bytes([buf[1], buf[2], buf[3], buf[4]]);
    Ok(Err(StepError { step: code_step(buf[0]), errno }))
}

const STEPS: [Step; 7] =
    [Step::UserNamespace, Step::IdMaps, Step::MountNamespace, Step::PrivateMounts, Step::OpenRoot, Step::MountOverlay, Step::Chdir];

fn step_code(step: Step) -> u8 {
    STEPS.iter().position(|&s| s == step).map_or(255, |i| i as u8 + 1)
}

fn code_step(code: u8) -> Step {
    STEPS.get(usize::from(code).wrapping_sub(1)).copied().unwrap_or(Step::MountOverlay)
}

/// Unprivileged overlayfs (`userxattr`) needs Linux 5.11.
fn kernel_too_old() -> Option<String> {
    if !uses_userxattr() {
        return None;
    }
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    let mut parts = release.trim().split(|c: char| !c.is_ascii_digit()).filter_map(|p| p.parse::<u32>().ok());
    let version = (parts.next()?, parts.next()?);
    (version < (5, 11)).then(|| format!("kernel {} is older than 5.11: no unprivileged overlayfs", release.trim()))
}
