//! The enforcement report: what the helper really enforced for one command, as opposed to what the
//! policy asked for. The helper writes it as the first line of the command's stderr (behind a
//! marker) when asked with `--report`; `run` strips and parses it.
//!
//! It is a statement of fact for the model, the user and `codeloop doctor`; nothing decides
//! behaviour from it.

use crate::policy::SandboxMode;
use serde::{Deserialize, Serialize};

/// Prefix of the report line on stderr. The record separator keeps it from matching real output.
pub const REPORT_MARKER: &str = "\u{1e}codeloop-sandbox-report ";

/// Landlock's outcome for a command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LandlockState {
    /// Every requested right is enforced at the target ABI.
    FullyEnforced,
    /// The kernel supports an older ABI: some rights (e.g. truncate, TCP) are not enforced.
    PartiallyEnforced,
    /// No Landlock at all (kernel without it, or disabled at boot).
    NotEnforced,
    /// The policy asked for none (danger-full-access).
    #[default]
    NotRequested,
}

/// How `.git` and `.codeloop` inside writable roots were kept read-only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProtectionMethod {
    /// Read-only bind mounts in a private mount namespace; roots fully writable otherwise.
    BindMount,
    /// Landlock rules on each top-level entry of a root except the protected ones: new top-level
    /// entries cannot be created (no mount namespace was available).
    Enumerated,
    /// Nothing to protect (read-only or full access).
    #[default]
    NotNeeded,
}

/// How the process count is bounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
pub enum ProcessLimit {
    /// RLIMIT_NPROC, counted inside the sandbox's user namespace.
    RlimitNproc(u64),
    /// RLIMIT_NPROC counted over all processes of the user (no user namespace).
    RlimitNprocGlobal(u64),
    /// `kernel.pid_max` of the sandbox's PID namespace (root is exempt from RLIMIT_NPROC).
    PidMax(u64),
}

/// What was enforced for one command.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Enforcement {
    pub mode: SandboxMode,
    pub landlock: LandlockState,
    /// The ABI the rules were written for, and the kernel's (None when unknown or unsupported).
    pub landlock_target_abi: u32,
    pub landlock_kernel_abi: Option<u32>,
    /// Landlock TCP bind/connect rules (ABI 4+) were part of the enforced set.
    pub landlock_network: bool,
    /// Landlock scoping of signals and abstract UNIX sockets (ABI 6+).
    pub landlock_scopes: bool,
    pub seccomp: bool,
    /// The seccomp filter included the network rules (network off).
    pub seccomp_network: bool,
    pub no_new_privs: bool,
    pub user_namespace: bool,
    pub network_namespace: bool,
    pub mount_namespace: bool,
    pub pid_namespace: bool,
    /// /proc was remounted for the PID namespace (other processes invisible).
    pub private_proc: bool,
    /// The private tmp is also mounted at /tmp.
    pub tmp_at_slash_tmp: bool,
    pub protection: ProtectionMethod,
    /// The command ran on the workspace overlay (docs/overlay.md), not on the real tree.
    pub overlay: bool,
    pub process_limit: Option<ProcessLimit>,
    /// Things that could not be done, in words (e.g. "user namespaces unavailable: EPERM").
    pub warnings: Vec<String>,
}

impl Enforcement {
    /// One line for humans, e.g. `workspace-write: landlock fully-enforced (abi 6/7), seccomp, netns, ...`.
    pub fn summary(&self) -> String {
        let mut parts = vec![format!("landlock {}", landlock_word(self.landlock))];
        if self.landlock != LandlockState::NotRequested {
            let kernel = self.landlock_kernel_abi.map_or("none".to_string(), |k| k.to_string());
            parts[0].push_str(&format!(" (target abi {}, kernel {kernel})", self.landlock_target_abi));
        }
        let flags = [
            (self.seccomp, "seccomp"),
            (self.seccomp_network, "seccomp-net"),
            (self.no_new_privs, "no_new_privs"),
            (self.user_namespace, "userns"),
            (self.network_namespace, "netns"),
            (self.mount_namespace, "mountns"),
            (self.pid_namespace, "pidns"),
            (self.overlay, "overlay"),
        ];
        parts.extend(flags.iter().filter(|(on, _)| *on).map(|(_, name)| name.to_string()));
        match self.protection {
            ProtectionMethod::BindMount => parts.push("protected paths: bind-mount".into()),
            ProtectionMethod::Enumerated => parts.push("protected paths: enumerated".into()),
            ProtectionMethod::NotNeeded => {}
        }
        match self.process_limit {
            Some(ProcessLimit::RlimitNproc(n)) => parts.push(format!("nproc {n}")),
            Some(ProcessLimit::RlimitNprocGlobal(n)) => parts.push(format!("nproc {n} (user-wide)")),
            Some(ProcessLimit::PidMax(n)) => parts.push(format!("pid_max {n}")),
            None => {}
        }
        let mut s = format!("{}: {}", self.mode.as_str(), parts.join(", "));
        for w in &self.warnings {
            s.push_str(&format!("; {w}"));
        }
        s
    }

    /// The report line the helper writes (marker, JSON, newline).
    pub fn to_line(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_else(|_| "{}".into());
        format!("{REPORT_MARKER}{json}\n")
    }

    /// Splits a report line off the start of `stderr`; returns the report and the rest.
    pub fn split_from(stderr: &[u8]) -> (Option<Enforcement>, &[u8]) {
        let marker = REPORT_MARKER.as_bytes();
        if !stderr.starts_with(marker) {
            return (None, stderr);
        }
        let Some(nl) = stderr.iter().position(|&b| b == b'\n') else { return (None, stderr) };
        let report = serde_json::from_slice(&stderr[marker.len()..nl]).ok();
        (report, &stderr[nl + 1..])
    }
}

fn landlock_word(s: LandlockState) -> &'static str {
    match s {
        LandlockState::FullyEnforced => "fully-enforced",
        LandlockState::PartiallyEnforced => "partially-enforced",
        LandlockState::NotEnforced => "NOT enforced",
        LandlockState::NotRequested => "not requested",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_round_trip() {
        let e = Enforcement {
            mode: SandboxMode::WorkspaceWrite,
            landlock: LandlockState::FullyEnforced,
            landlock_target_abi: 6,
            landlock_kernel_abi: Some(7),
            seccomp: true,
            process_limit: Some(ProcessLimit::PidMax(301)),
            warnings: vec!["x".into()],
            ..Default::default()
        };
        let mut stderr = e.to_line().into_bytes();
        stderr.extend_from_slice(b"real stderr\n");
        let (got, rest) = Enforcement::split_from(&stderr);
        assert_eq!(got, Some(e.clone()));
        assert_eq!(rest, b"real stderr\n");
        assert_eq!(Enforcement::split_from(b"plain"), (None, &b"plain"[..]));
        assert_eq!(e.summary(), "workspace-write: landlock fully-enforced (target abi 6, kernel 7), seccomp, pid_max 301; x");
    }
}
