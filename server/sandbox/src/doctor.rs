//! The sandbox's part of `codeloop doctor`: one check per capability (Landlock, seccomp, user
//! namespaces, overlayfs), each with what to do when it is missing. The Landlock/seccomp/namespace
//! lines come from really running `true` through the helper and reading its enforcement report.
//!
//! It only observes; it changes no setting. Provider config and state dir checks live in the cli.

use crate::report::{Enforcement, LandlockState};
use std::path::Path;
use std::process::{Command, Stdio};

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckStatus {
    Ok,
    /// Works, with a limitation.
    Warn,
    Missing,
}

/// One doctor line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub status: CheckStatus,
    pub detail: String,
    /// What to do about it (empty when ok).
    pub fix: String,
}

impl Check {
    fn new(name: &'static str, status: CheckStatus, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Check { name, status, detail: detail.into(), fix: fix.into() }
    }

    /// `ok      landlock: ...` / `MISSING seccomp: ... -> fix`.
    pub fn line(&self) -> String {
        let tag = match self.status {
            CheckStatus::Ok => "ok     ",
            CheckStatus::Warn => "warn   ",
            CheckStatus::Missing => "MISSING",
        };
        if self.fix.is_empty() {
            format!("{tag} {}: {}", self.name, self.detail)
        } else {
            format!("{tag} {}: {} -> {}", self.name, self.detail, self.fix)
        }
    }
}

/// Runs `true` through the helper (`helper` is the codeloop binary) and reads the report.
pub fn probe(helper: &Path) -> Result<Enforcement, String> {
    let out = Command::new(helper)
        .args(["sandbox", "--report", "--", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", helper.display()))?;
    match Enforcement::split_from(&out.stderr) {
        (Some(r), _) => Ok(r),
        (None, rest) => Err(format!("the helper gave no report: {}", String::from_utf8_lossy(rest).trim())),
    }
}

/// The sandbox checks, given the helper's probe.
pub fn checks(probe: Result<Enforcement, String>) -> Vec<Check> {
    let mut out = Vec::new();
    let kernel = crate::landlock::kernel_abi();
    let r = match probe {
        Ok(r) => r,
        Err(e) => {
            out.push(Check::new("sandbox helper", CheckStatus::Missing, e, "reinstall codeloop; `codeloop sandbox -- true` must run"));
            return out;
        }
    };
    out.push(match (r.landlock, kernel) {
        (LandlockState::FullyEnforced, Some(k)) => {
            Check::new("landlock", CheckStatus::Ok, format!("kernel ABI {k}, rules for ABI {} fully enforced", r.landlock_target_abi), "")
        }
        (LandlockState::PartiallyEnforced, k) => Check::new(
            "landlock",
            CheckStatus::Warn,
            format!("kernel ABI {} < {}: partially enforced (e.g. no TCP rules before ABI 4)", k.unwrap_or(0), r.landlock_target_abi),
            "a kernel >= 6.12 enforces every rule",
        ),
        _ => Check::new(
            "landlock",
            CheckStatus::Missing,
            "not enforced: sandboxed commands can write anywhere the user can",
            "use a kernel >= 5.13 with landlock in the `lsm=` boot parameter (CONFIG_SECURITY_LANDLOCK=y)",
        ),
    });
    out.push(if r.seccomp {
        Check::new("seccomp", CheckStatus::Ok, "filter installed (ptrace, io_uring, network syscalls denied)", "")
    } else {
        Check::new(
            "seccomp",
            CheckStatus::Missing,
            "the filter could not be installed",
            "enable CONFIG_SECCOMP_FILTER; in a container, allow seccomp",
        )
    });
    // SAFETY: trivial getter.
    let root = unsafe { libc::geteuid() } == 0;
    out.push(match (r.user_namespace, r.network_namespace, root) {
        (true, true, _) => Check::new("user namespaces", CheckStatus::Ok, "available (private network, pid and mount namespaces)", ""),
        (false, true, true) => Check::new("user namespaces", CheckStatus::Ok, "not needed as root (private network, pid and mount namespaces)", ""),
        _ => Check::new(
            "user namespaces",
            CheckStatus::Warn,
            "unavailable: no network namespace (seccomp still blocks sockets), no pid namespace, .git protected by enumeration",
            "sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces>0; on Ubuntu kernel.apparmor_restrict_unprivileged_userns=0",
        ),
    });
    let overlay = std::fs::read_to_string("/proc/filesystems").is_ok_and(|s| s.lines().any(|l| l.ends_with("\toverlay")));
    out.push(match (overlay, r.mount_namespace) {
        (true, true) => Check::new("overlayfs", CheckStatus::Ok, "available, with a private mount namespace", ""),
        (true, false) => {
            Check::new("overlayfs", CheckStatus::Warn, "available but no mount namespace", "enable user namespaces (see above)")
        }
        (false, _) => Check::new(
            "overlayfs",
            CheckStatus::Missing,
            "not in /proc/filesystems: commands will run on the real tree",
            "modprobe overlay (CONFIG_OVERLAY_FS)",
        ),
    });
    for w in &r.warnings {
        out.push(Check::new("sandbox", CheckStatus::Warn, w.clone(), ""));
    }
    out
}
