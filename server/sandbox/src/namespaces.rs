//! Linux namespaces for the helper: user (unprivileged), network (loopback only), PID and mount,
//! plus the mounts made inside the private mount namespace (read-only binds over protected paths,
//! the private tmp at /tmp, a fresh /proc).
//!
//! Only called from the single-threaded helper process (never from the server: unshare and mount
//! change the calling process). Every function is best effort: failures come back as errors and
//! the helper records them in the enforcement report instead of aborting.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Which namespaces the helper entered before forking.
#[derive(Clone, Copy, Debug, Default)]
pub struct Outer {
    pub user: bool,
    pub net: bool,
    pub pid: bool,
}

fn cvt(rc: libc::c_int) -> io::Result<()> {
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn cpath(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

fn unshare(flags: libc::c_int) -> io::Result<()> {
    // SAFETY: unshare only changes this process's namespaces; the helper is single-threaded.
    cvt(unsafe { libc::unshare(flags) })
}

/// Enters new user (unless root), network (when `net`) and PID (when `pid`) namespaces.
/// Root skips the user namespace: a uid map written from inside could map only uid 0, and root
/// would lose its access to files of other users; root's capabilities are cut down instead
/// (see limits.rs). Warnings are pushed for what could not be had.
pub fn enter_outer(net: bool, pid: bool, warnings: &mut Vec<String>) -> Outer {
    // SAFETY: trivial getters.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let mut extra = 0;
    if net {
        extra |= libc::CLONE_NEWNET;
    }
    if pid {
        extra |= libc::CLONE_NEWPID;
    }
    if uid == 0 {
        return match unshare(extra) {
            Ok(()) => Outer { user: false, net, pid },
            Err(e) => {
                warnings.push(format!("network/pid namespaces unavailable: {e}"));
                Outer::default()
            }
        };
    }
    match unshare(libc::CLONE_NEWUSER | extra) {
        Ok(()) => {
            if let Err(e) = write_id_maps(uid, gid) {
                warnings.push(format!("user namespace id maps: {e}"));
            }
            Outer { user: true, net, pid }
        }
        Err(e) => {
            warnings.push(format!("user namespaces unavailable ({e}): no network or pid namespace"));
            Outer::default()
        }
    }
}

/// Maps our own uid and gid to themselves, so files keep their owners inside.
fn write_id_maps(uid: libc::uid_t, gid: libc::gid_t) -> io::Result<()> {
    std::fs::write("/proc/self/setgroups", "deny")?;
    std::fs::write("/proc/self/uid_map", format!("{uid} {uid} 1\n"))?;
    std::fs::write("/proc/self/gid_map", format!("{gid} {gid} 1\n"))?;
    Ok(())
}

/// Brings `lo` up in the (new) network namespace, so servers a command starts for itself on
/// 127.0.0.1 can be reached when sockets are allowed.
pub fn loopback_up() -> io::Result<()> {
    // SAFETY: plain socket creation; the fd is closed below.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: ifreq is plain old data; zeroed is a valid value.
    let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in ifr.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    ifr.ifr_ifru.ifru_flags = (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
    // SAFETY: SIOCSIFFLAGS reads a valid ifreq we own.
    let rc = unsafe { libc::ioctl(fd, libc::SIOCSIFFLAGS as _, &ifr) };
    let err = io::Error::last_os_error();
    // SAFETY: fd is ours.
    unsafe { libc::close(fd) };
    if rc < 0 {
        Err(err)
    } else {
        Ok(())
    }
}

/// Enters a private mount namespace and stops propagation to and from the host.
pub fn enter_mount_ns() -> io::Result<()> {
    unshare(libc::CLONE_NEWNS)?;
    // SAFETY: remounting "/" with propagation flags only; all pointers are valid C strings or null.
    cvt(unsafe { libc::mount(std::ptr::null(), c"/".as_ptr(), std::ptr::null(), libc::MS_REC | libc::MS_PRIVATE, std::ptr::null()) })
}

/// Bind-mounts `src` on `dst` (both must exist).
pub fn bind(src: &Path, dst: &Path) -> io::Result<()> {
    let (s, d) = (cpath(src)?, cpath(dst)?);
    // SAFETY: valid C strings; a bind mount changes only our private mount namespace.
    cvt(unsafe { libc::mount(s.as_ptr(), d.as_ptr(), std::ptr::null(), libc::MS_BIND | libc::MS_REC, std::ptr::null()) })
}

/// Makes `path` read-only by binding it onto itself and remounting the bind read-only. The flags
/// the kernel locks for a user namespace (nosuid, nodev, noexec, atime) are carried over.
pub fn bind_read_only(path: &Path) -> io::Result<()> {
    bind(path, path)?;
    let c = cpath(path)?;
    // SAFETY: statvfs fills a struct we own.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: valid C string and out pointer.
    cvt(unsafe { libc::statvfs(c.as_ptr(), &mut st) })?;
    let mut flags = libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY;
    for (st_flag, ms_flag) in [
        (libc::ST_NOSUID, libc::MS_NOSUID),
        (libc::ST_NODEV, libc::MS_NODEV),
        (libc::ST_NOEXEC, libc::MS_NOEXEC),
        (libc::ST_NOATIME, libc::MS_NOATIME),
        (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
        (libc::ST_RELATIME, libc::MS_RELATIME),
    ] {
        if st.f_flag & st_flag != 0 {
            flags |= ms_flag;
        }
    }
    // SAFETY: valid C string; remount of our own bind mount.
    cvt(unsafe { libc::mount(std::ptr::null(), c.as_ptr(), std::ptr::null(), flags, std::ptr::null()) })
}

/// Mounts a fresh procfs on /proc (inside a PID namespace: only the sandbox's processes show).
pub fn mount_proc() -> io::Result<()> {
    // SAFETY: valid C strings; mounts only in our private mount namespace.
    cvt(unsafe {
        libc::mount(
            c"proc".as_ptr(),
            c"/proc".as_ptr(),
            c"proc".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            std::ptr::null(),
        )
    })
}

/// Sets `kernel.pid_max` of the current PID namespace (Linux 6.14+ makes it per namespace;
/// earlier kernels would change the host's value, so the caller must check the kernel first).
pub fn set_pid_max(n: u64) -> io::Result<()> {
    std::fs::write("/proc/sys/kernel/pid_max", n.to_string())
}

/// Whether `kernel.pid_max` is per PID namespace on this kernel (6.14 and later).
pub fn pid_max_is_namespaced() -> bool {
    // SAFETY: uname fills a struct we own.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: valid out pointer.
    if unsafe { libc::uname(&mut u) } != 0 {
        return false;
    }
    let release: String = u.release.iter().take_while(|&&c| c != 0).map(|&c| c as u8 as char).collect();
    let mut parts = release.split(|c: char| !c.is_ascii_digit()).filter_map(|p| p.parse::<u32>().ok());
    matches!((parts.next(), parts.next()), (Some(major), Some(minor)) if (major, minor) >= (6, 14))
}
