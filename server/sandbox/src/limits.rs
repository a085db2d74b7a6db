//! Resource limits and privilege reduction applied in the helper just before exec: rlimits
//! (processes, address space, CPU), no_new_privs, and for root without a user namespace a cut-down
//! capability bounding set.
//!
//! Wall-clock timeouts and output caps are not here: the caller (run.rs) enforces those from
//! outside, where a misbehaving command cannot interfere.

use crate::policy::ResourceLimits;
use crate::report::ProcessLimit;
use std::io;

fn set_rlimit(resource: libc::__rlimit_resource_t, value: u64) -> io::Result<()> {
    let lim = libc::rlimit { rlim_cur: value, rlim_max: value };
    // SAFETY: setrlimit reads a struct we own.
    if unsafe { libc::setrlimit(resource, &lim) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Processes currently owned by our real uid (scan of /proc); used when RLIMIT_NPROC counts
/// user-wide because there is no user namespace.
fn processes_of_current_user() -> u64 {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: trivial getter.
    let uid = unsafe { libc::getuid() };
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
    dir.filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
        .filter(|e| e.metadata().is_ok_and(|m| m.uid() == uid))
        .count() as u64
}

/// Applies the rlimits of `limits`. `in_user_ns`: RLIMIT_NPROC then counts only the sandbox's
/// processes; otherwise it counts all of the user's, so the limit is raised by the current count.
/// Root is exempt from RLIMIT_NPROC: the PID namespace's pid_max stands in (set by the caller).
pub fn apply_rlimits(limits: &ResourceLimits, in_user_ns: bool, warnings: &mut Vec<String>) -> Option<ProcessLimit> {
    let mut applied = None;
    // SAFETY: trivial getter.
    let root = unsafe { libc::geteuid() } == 0;
    if let (Some(n), false) = (limits.max_processes, root) {
        let n = u64::from(n);
        let (value, kind) = if in_user_ns {
            (n, ProcessLimit::RlimitNproc(n))
        } else {
            let v = n + processes_of_current_user();
            (v, ProcessLimit::RlimitNprocGlobal(v))
        };
        match set_rlimit(libc::RLIMIT_NPROC, value) {
            Ok(()) => applied = Some(kind),
            Err(e) => warnings.push(format!("RLIMIT_NPROC: {e}")),
        }
    }
    if let Some(bytes) = limits.memory_bytes {
        if let Err(e) = set_rlimit(libc::RLIMIT_AS, bytes) {
            warnings.push(format!("RLIMIT_AS: {e}"));
        }
    }
    if let Some(secs) = limits.cpu_seconds {
        if let Err(e) = set_rlimit(libc::RLIMIT_CPU, secs) {
            warnings.push(format!("RLIMIT_CPU: {e}"));
        }
    }
    applied
}

/// Sets PR_SET_NO_NEW_PRIVS: setuid binaries and file capabilities grant nothing from here on
/// (and seccomp filters may be installed without CAP_SYS_ADMIN).
pub fn no_new_privs() -> io::Result<()> {
    // SAFETY: prctl with integer arguments only.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Capabilities root keeps (Docker's default set minus raw sockets, mknod and audit): enough to
/// own and write files of any uid in the workspace, not enough to administer the machine.
const ROOT_KEEPS: &[u32] = &[
    0,  // CAP_CHOWN
    1,  // CAP_DAC_OVERRIDE
    2,  // CAP_DAC_READ_SEARCH
    3,  // CAP_FOWNER
    4,  // CAP_FSETID
    6,  // CAP_SETGID
    7,  // CAP_SETUID
    10, // CAP_NET_BIND_SERVICE
];

/// Drops every capability but [`ROOT_KEEPS`] from the bounding set, so that after exec root has
/// only those (the permitted set of a root exec is the bounding set). Used only for root without a
/// user namespace: CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_SYS_PTRACE, CAP_NET_ADMIN, CAP_KILL... go.
pub fn drop_root_capabilities() -> io::Result<()> {
    // SAFETY: prctl with integer arguments only.
    let last = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap").ok().and_then(|s| s.trim().parse::<u32>().ok()).unwrap_or(40);
    for cap in 0..=last {
        if ROOT_KEEPS.contains(&cap) {
            continue;
        }
        // SAFETY: prctl with integer arguments only.
        if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
