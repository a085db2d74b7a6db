//! The Landlock ruleset: read and execute everywhere, write only beneath the writable roots and
//! `/dev/null`; TCP bind/connect denied when the network is off (ABI 4+); signals and abstract UNIX
//! sockets scoped to the sandbox (ABI 6+). Rules are written for a fixed target ABI and applied
//! best effort, and the outcome is reported, never assumed.
//!
//! Landlock rules only add rights, so a protected entry inside a writable root (`.git`) cannot be
//! carved out. Two ways are offered: the caller made the entries read-only with bind mounts
//! (roots granted whole), or `enumerate` grants each top-level entry of a root except the protected
//! ones, so nothing new can be created at the top level (documented in docs/sandbox.md).

use crate::policy::PROTECTED_NAMES;
use crate::report::{Enforcement, LandlockState};
use landlock::{
    Access, AccessFs, AccessNet, CompatLevel, Compatible, PathBeneath, RestrictionStatus, Ruleset, RulesetAttr, RulesetCreatedAttr,
    RulesetStatus, Scope, ABI,
};
use std::ffi::CString;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The ABI the rules are written and tested for (Linux 6.12: fs, TCP, ioctl on devices, scopes).
pub const TARGET_ABI: ABI = ABI::V6;
pub const TARGET_ABI_NUMBER: u32 = 6;

/// The kernel's Landlock ABI version (None: unsupported or disabled).
pub fn kernel_abi() -> Option<u32> {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: the version query takes no ruleset attributes (null, size 0) and allocates nothing.
    let v = unsafe {
        libc::syscall(libc::SYS_landlock_create_ruleset, std::ptr::null::<libc::c_void>(), 0usize, LANDLOCK_CREATE_RULESET_VERSION)
    };
    u32::try_from(v).ok().filter(|&v| v > 0)
}

/// Opens `path` without following a final symlink (O_PATH), so a symlink planted in a root can
/// never widen a rule to its target.
fn open_no_follow(path: &Path) -> Option<(OwnedFd, bool)> {
    let c = CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: valid C string; the returned fd is owned below.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC) };
    if fd < 0 {
        return None;
    }
    // SAFETY: fd is a fresh descriptor we own.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: fstat fills a struct we own; fd is valid.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::fstat(std::os::fd::AsRawFd::as_raw_fd(&fd), &mut st) } != 0 {
        return None;
    }
    match st.st_mode & libc::S_IFMT {
        libc::S_IFDIR => Some((fd, true)),
        libc::S_IFREG => Some((fd, false)),
        _ => None,
    }
}

/// The writable grants: each root whole, or (enumerate) each top-level entry but the protected.
fn writable_grants(roots: &[PathBuf], enumerate: &[PathBuf]) -> Vec<(OwnedFd, bool)> {
    let mut out = Vec::new();
    for root in roots {
        if !enumerate.contains(root) {
            out.extend(open_no_follow(root));
            continue;
        }
        let Ok(entries) = std::fs::read_dir(root) else { continue };
        for e in entries.flatten() {
            let name = e.file_name();
            if PROTECTED_NAMES.iter().any(|p| name.as_bytes() == p.as_bytes()) {
                continue;
            }
            out.extend(open_no_follow(&root.join(&name)));
        }
    }
    out
}

/// Builds and applies the ruleset to the calling process (and its future children).
/// `enumerate` lists the roots whose protected entries must be kept out by enumeration.
pub fn apply(writable: &[PathBuf], enumerate: &[PathBuf], network_off: bool, report: &mut Enforcement) {
    report.landlock_target_abi = TARGET_ABI_NUMBER;
    report.landlock_kernel_abi = kernel_abi();
    match build_and_restrict(writable, enumerate, network_off) {
        Ok(status) => {
            report.landlock = match status.ruleset {
                RulesetStatus::FullyEnforced => LandlockState::FullyEnforced,
                RulesetStatus::PartiallyEnforced => LandlockState::PartiallyEnforced,
                RulesetStatus::NotEnforced => LandlockState::NotEnforced,
            };
            let abi = report.landlock_kernel_abi.unwrap_or(0);
            let enforced = report.landlock != LandlockState::NotEnforced;
            report.landlock_network = enforced && network_off && abi >= 4;
            report.landlock_scopes = enforced && abi >= 6;
            report.no_new_privs |= status.no_new_privs;
            if !enforced {
                report.warnings.push("landlock not enforced: filesystem writes are not restricted".into());
            }
        }
        Err(e) => {
            report.landlock = LandlockState::NotEnforced;
            report.warnings.push(format!("landlock: {e}"));
        }
    }
}

fn build_and_restrict(writable: &[PathBuf], enumerate: &[PathBuf], network_off: bool) -> Result<RestrictionStatus, String> {
    let root = std::fs::File::open("/").map_err(|e| format!("open /: {e}"))?;
    let null = std::fs::File::open("/dev/null").map_err(|e| format!("open /dev/null: {e}"))?;
    build(root, null, writable, enumerate, network_off).map_err(|e| e.to_string())
}

fn build(
    root: std::fs::File,
    null: std::fs::File,
    writable: &[PathBuf],
    enumerate: &[PathBuf],
    network_off: bool,
) -> Result<RestrictionStatus, landlock::RulesetError> {
    let mut ruleset = Ruleset::default().set_compatibility(CompatLevel::BestEffort).handle_access(AccessFs::from_all(TARGET_ABI))?;
    if network_off {
        // Handled with no rule: every TCP bind and connect is denied.
        ruleset = ruleset.handle_access(AccessNet::from_all(TARGET_ABI))?;
    }
    let mut created = ruleset.scope(Scope::from_all(TARGET_ABI))?.create()?;
    created = created.add_rule(PathBeneath::new(root, AccessFs::from_read(TARGET_ABI)))?;
    created = created.add_rule(PathBeneath::new(null, AccessFs::from_file(TARGET_ABI)))?;
    for (fd, is_dir) in writable_grants(writable, enumerate) {
        let access = if is_dir { AccessFs::from_all(TARGET_ABI) } else { AccessFs::from_file(TARGET_ABI) };
        created = created.add_rule(PathBeneath::new(fd, access))?;
    }
    created.restrict_self()
}
