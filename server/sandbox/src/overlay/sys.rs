//! Small Linux helpers of the overlay: errno conversion, C paths, who we are (capabilities, user
//! namespace), overlay xattr names and a content fingerprint.
//!
//! Deliberately not a general syscall layer: only what the overlay modules need, and nothing here
//! mounts or unshares (that is mount.rs).

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// `CAP_SYS_ADMIN` (capability number 21): what mounting needs.
const CAP_SYS_ADMIN: u32 = 21;

pub(crate) fn cvt(rc: libc::c_int) -> Result<libc::c_int, i32> {
    if rc == -1 {
        Err(io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO))
    } else {
        Ok(rc)
    }
}

pub(crate) fn cpath(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

/// Whether this process holds CAP_SYS_ADMIN in its current user namespace (root on the host, or
/// any process that just entered a user namespace of its own).
pub(crate) fn has_cap_sys_admin() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else { return false };
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << CAP_SYS_ADMIN) != 0)
}

/// Whether this process is in the initial user namespace (its uid map is the identity over the
/// whole range). Only there may overlayfs keep its metadata in `trusted.*` xattrs.
pub(crate) fn in_initial_user_ns() -> bool {
    let Ok(map) = std::fs::read_to_string("/proc/self/uid_map") else { return false };
    let fields: Vec<&str> = map.split_whitespace().collect();
    fields == ["0", "0", "4294967295"]
}

/// Whether overlay mounts made by this process's helpers use the `user.overlay.*` xattrs
/// (`userxattr`): every case except real root in the initial user namespace.
pub(crate) fn uses_userxattr() -> bool {
    !(has_cap_sys_admin() && in_initial_user_ns())
}

/// The xattr that marks an upper directory opaque, for the given mode.
pub(crate) fn opaque_xattr(userxattr: bool) -> &'static str {
    if userxattr {
        "user.overlay.opaque"
    } else {
        "trusted.overlay.opaque"
    }
}

/// Reads an xattr value (up to 16 bytes, enough for overlay's "y"/"x"); `None` if absent.
pub(crate) fn get_xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let p = cpath(path).ok()?;
    let n = CString::new(name).ok()?;
    let mut buf = [0u8; 16];
    // SAFETY: valid C strings and a buffer of the length we pass; lgetxattr does not follow links.
    let len = unsafe { libc::lgetxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    usize::try_from(len).ok().map(|len| buf[..len.min(buf.len())].to_vec())
}

/// Sets an xattr on a directory we own.
pub(crate) fn set_xattr(path: &Path, name: &str, value: &[u8]) -> io::Result<()> {
    let p = cpath(path)?;
    let n = CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: valid C strings and a value buffer of the length we pass.
    let rc = unsafe { libc::lsetxattr(p.as_ptr(), n.as_ptr(), value.as_ptr().cast(), value.len(), 0) };
    if rc == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Whether an upper directory is opaque: it replaced the lower directory of the same path, so
/// nothing of the lower one shows through. Both xattr namespaces are checked: the server may read
/// an upper written by a helper running in either mode.
pub(crate) fn is_opaque(path: &Path) -> bool {
    ["user.overlay.opaque", "trusted.overlay.opaque"].iter().any(|name| get_xattr(path, name).is_some_and(|v| v == b"y"))
}

/// A 64-bit FNV-1a fingerprint of staged content. It detects changes made by commands, it is no
/// defence against an adversary (the length is compared too).
pub(crate) fn fingerprint(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Formats `/proc/self/fd/<fd>` into a stack buffer, without allocating (usable after fork).
pub(crate) fn proc_fd_path(fd: libc::c_int, buf: &mut [u8; 32]) -> *const libc::c_char {
    const PREFIX: &[u8] = b"/proc/self/fd/";
    buf[..PREFIX.len()].copy_from_slice(PREFIX);
    let mut digits = [0u8; 12];
    let mut n = fd.unsigned_abs();
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 || len == digits.len() {
            break;
        }
    }
    for i in 0..len {
        buf[PREFIX.len() + i] = digits[len - 1 - i];
    }
    buf[PREFIX.len() + len] = 0;
    buf.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_fd_paths() {
        let mut buf = [0u8; 32];
        for (fd, want) in [(0, "/proc/self/fd/0"), (7, "/proc/self/fd/7"), (1234, "/proc/self/fd/1234")] {
            let p = proc_fd_path(fd, &mut buf);
            // SAFETY: proc_fd_path NUL-terminates inside buf.
            let s = unsafe { std::ffi::CStr::from_ptr(p) };
            assert_eq!(s.to_str().unwrap(), want);
        }
    }

    #[test]
    fn fingerprints_differ() {
        assert_ne!(fingerprint(b"a"), fingerprint(b"b"));
        assert_eq!(fingerprint(b""), 0xcbf2_9ce4_8422_2325);
    }
}
