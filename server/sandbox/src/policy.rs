//! The sandbox policy: what a command may write, whether it may reach the network, and its resource
//! limits. Plain serde data shared by the config, the agent and the helper's `--policy` argument,
//! plus the pure resolution of a policy into the writable and protected paths of one command.
//!
//! This file does no I/O beyond `std::fs::canonicalize`/`symlink_metadata`, and it enforces nothing:
//! enforcement lives in the Linux modules (landlock.rs, seccomp.rs, namespaces.rs, limits.rs).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How much of the machine a command may change (the names are Codex's `sandbox_mode` values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    /// No writes anywhere but `/dev/null` and the command's private tmp.
    ReadOnly,
    /// Writes only inside the workspace roots, the configured writable roots and a private tmp.
    #[default]
    WorkspaceWrite,
    /// No sandbox at all: the command runs with the server's rights (environment still scrubbed).
    DangerFullAccess,
}

impl SandboxMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxMode::ReadOnly => "read-only",
            SandboxMode::WorkspaceWrite => "workspace-write",
            SandboxMode::DangerFullAccess => "danger-full-access",
        }
    }

    pub fn parse(s: &str) -> Option<SandboxMode> {
        match s {
            "read-only" => Some(SandboxMode::ReadOnly),
            "workspace-write" => Some(SandboxMode::WorkspaceWrite),
            "danger-full-access" | "full-access" => Some(SandboxMode::DangerFullAccess),
            _ => None,
        }
    }
}

/// Resource limits applied inside the sandbox (wall-clock timeout and output cap are the caller's:
/// see `SandboxCommand`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResourceLimits {
    /// Live processes and threads the command may have at once (fork-bomb guard).
    /// Enforced with RLIMIT_NPROC inside a user namespace, and with the PID namespace's `pid_max`
    /// for root (the kernel exempts uid 0 from RLIMIT_NPROC; `pid_max` cannot go below 301).
    #[serde(alias = "maxProcesses")]
    pub max_processes: Option<u32>,
    /// Address-space limit per process (RLIMIT_AS), in bytes.
    #[serde(alias = "memoryBytes")]
    pub memory_bytes: Option<u64>,
    /// CPU time per process (RLIMIT_CPU), in seconds.
    #[serde(alias = "cpuSeconds")]
    pub cpu_seconds: Option<u64>,
}

impl Default for ResourceLimits {
    fn default() -> Self {
        ResourceLimits { max_processes: Some(DEFAULT_MAX_PROCESSES), memory_bytes: None, cpu_seconds: None }
    }
}

/// Enough for a parallel build with threads (rustc, a JVM), small enough to stop a fork bomb early.
pub const DEFAULT_MAX_PROCESSES: u32 = 1024;

/// The policy a command runs under. Serialized with snake_case keys (the config file's style);
/// camelCase aliases are accepted for wire use. The mode is kebab-case: `read-only`,
/// `workspace-write`, `danger-full-access`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxPolicy {
    pub mode: SandboxMode,
    /// Extra writable directories beyond the workspace roots (workspace-write only).
    #[serde(alias = "writableRoots")]
    pub writable_roots: Vec<PathBuf>,
    /// Network access; off by default. Always on under danger-full-access.
    #[serde(alias = "network_access", alias = "networkAccess")]
    pub network: bool,
    pub limits: ResourceLimits,
}

impl SandboxPolicy {
    pub fn read_only() -> Self {
        SandboxPolicy { mode: SandboxMode::ReadOnly, ..SandboxPolicy::default() }
    }

    pub fn workspace_write() -> Self {
        SandboxPolicy::default()
    }

    pub fn full_access() -> Self {
        SandboxPolicy { mode: SandboxMode::DangerFullAccess, network: true, ..SandboxPolicy::default() }
    }

    /// Whether the command may open network sockets (AF_INET and friends).
    pub fn network_allowed(&self) -> bool {
        self.network || self.mode == SandboxMode::DangerFullAccess
    }

    /// Whether any restriction applies (everything but danger-full-access).
    pub fn is_restricted(&self) -> bool {
        self.mode != SandboxMode::DangerFullAccess
    }
}

/// Names inside a writable root that stay read-only: the repository (hooks and config run code
/// outside the sandbox) and codeloop's own project config (it sets approval policies).
pub const PROTECTED_NAMES: &[&str] = &[".git", ".codeloop", ".agents"];

/// The names that are protected even when they do not exist yet, at workspace roots (created empty
/// before the command runs when the protection is done with mounts; an empty directory is
/// invisible to git). `.git` is not: creating an empty `.git`
/// would turn a plain directory into a broken repository.
pub const PROTECTED_EVEN_IF_ABSENT: &[&str] = &[".codeloop"];

/// A policy resolved for one command: absolute, canonical paths.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResolvedPaths {
    /// Directories the command may write beneath (the private tmp first).
    pub writable: Vec<PathBuf>,
    /// Existing protected entries inside writable roots (to be made read-only).
    pub protected: Vec<PathBuf>,
    /// Protected entries that do not exist yet (to be kept from being created).
    pub absent_protected: Vec<PathBuf>,
}

/// Resolves the writable roots of `policy` for a command: the private tmp, then (workspace-write)
/// the workspace roots and configured writable roots that exist. Roots nested in another root are
/// dropped. Symlinked roots are resolved, so the rules name the real directories.
pub fn resolve_paths(policy: &SandboxPolicy, workspace_roots: &[PathBuf], private_tmp: &Path) -> ResolvedPaths {
    let mut out = ResolvedPaths::default();
    let tmp = std::fs::canonicalize(private_tmp).unwrap_or_else(|_| private_tmp.to_path_buf());
    out.writable.push(tmp.clone());
    if policy.mode != SandboxMode::WorkspaceWrite {
        return out;
    }
    let mut all: Vec<PathBuf> = Vec::new();
    for root in workspace_roots.iter().chain(&policy.writable_roots) {
        match std::fs::canonicalize(root) {
            Ok(real) if real.is_dir() && !all.contains(&real) => all.push(real),
            _ => {}
        }
    }
    // Protected entries of every root, nested ones included: a writable parent of the workspace
    // must not make the workspace's `.git` writable.
    // Absent ones only at the workspace roots, where the project config is looked up.
    let workspace: Vec<PathBuf> = workspace_roots.iter().filter_map(|r| std::fs::canonicalize(r).ok()).collect();
    for root in &all {
        for name in PROTECTED_NAMES {
            let p = root.join(name);
            if std::fs::symlink_metadata(&p).is_ok() {
                out.protected.push(p);
            } else if PROTECTED_EVEN_IF_ABSENT.contains(name) && workspace.contains(root) {
                out.absent_protected.push(p);
            }
        }
    }
    let mut roots: Vec<PathBuf> = Vec::new();
    for real in all {
        if roots.iter().any(|r| real.starts_with(r)) {
            continue;
        }
        roots.retain(|r| !r.starts_with(&real));
        roots.push(real);
    }
    out.writable.extend(roots);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn serde_round_trip_and_names() {
        let p = SandboxPolicy {
            mode: SandboxMode::WorkspaceWrite,
            writable_roots: vec!["/data".into()],
            network: true,
            limits: ResourceLimits { max_processes: Some(64), memory_bytes: None, cpu_seconds: Some(10) },
        };
        let json = serde_json::to_string(&p).unwrap();
        expect![[r#"{"mode":"workspace-write","writable_roots":["/data"],"network":true,"limits":{"max_processes":64,"memory_bytes":null,"cpu_seconds":10}}"#]]
            .assert_eq(&json);
        assert_eq!(serde_json::from_str::<SandboxPolicy>(&json).unwrap(), p);
    }

    #[test]
    fn defaults_aliases_and_rejections() {
        let check = |json: &str, expect: expect_test::Expect| {
            let got = match serde_json::from_str::<SandboxPolicy>(json) {
                Ok(p) => {
                    format!("{} roots={:?} network={} nproc={:?}", p.mode.as_str(), p.writable_roots, p.network, p.limits.max_processes)
                }
                Err(e) => format!("error: {e}"),
            };
            expect.assert_eq(&got);
        };
        check("{}", expect![[r#"workspace-write roots=[] network=false nproc=Some(1024)"#]]);
        check(r#"{"mode":"read-only"}"#, expect![[r#"read-only roots=[] network=false nproc=Some(1024)"#]]);
        check(
            r#"{"mode":"danger-full-access","networkAccess":true,"writableRoots":["/x"]}"#,
            expect![[r#"danger-full-access roots=["/x"] network=true nproc=Some(1024)"#]],
        );
        check(r#"{"network_access":true}"#, expect![[r#"workspace-write roots=[] network=true nproc=Some(1024)"#]]);
        check(
            r#"{"mode":"workspace_write"}"#,
            expect![[
                r#"error: unknown variant `workspace_write`, expected one of `read-only`, `workspace-write`, `danger-full-access` at line 1 column 25"#
            ]],
        );
        check(
            r#"{"mode":"read-only","netwrk":true}"#,
            expect!["error: unknown field `netwrk`, expected one of `mode`, `writableRoots`, `writable_roots`, `network`, `networkAccess`, `network_access`, `limits` at line 1 column 28"],
        );
    }

    #[test]
    fn full_access_always_has_network() {
        let p = SandboxPolicy { mode: SandboxMode::DangerFullAccess, network: false, ..Default::default() };
        assert!(p.network_allowed());
        assert!(!p.is_restricted());
        assert!(!SandboxPolicy::read_only().network_allowed());
    }

    #[test]
    fn resolve_drops_nested_roots_and_finds_protected() {
        let dir = std::env::temp_dir().join(format!("codeloop-policy-{}", std::process::id()));
        let ws = dir.join("ws");
        std::fs::create_dir_all(ws.join(".git")).unwrap();
        std::fs::create_dir_all(ws.join("sub")).unwrap();
        std::fs::create_dir_all(dir.join("tmp")).unwrap();
        let dir = std::fs::canonicalize(&dir).unwrap();
        let policy = SandboxPolicy { writable_roots: vec![dir.join("ws/sub"), dir.join("missing")], ..Default::default() };
        let r = resolve_paths(&policy, &[dir.join("ws")], &dir.join("tmp"));
        let rel = |v: &[PathBuf]| v.iter().map(|p| p.strip_prefix(&dir).unwrap().display().to_string()).collect::<Vec<_>>().join(" ");
        assert_eq!(rel(&r.writable), "tmp ws");
        assert_eq!(rel(&r.protected), "ws/.git");
        assert_eq!(rel(&r.absent_protected), "ws/.codeloop");
        let ro = resolve_paths(&SandboxPolicy::read_only(), &[dir.join("ws")], &dir.join("tmp"));
        assert_eq!(rel(&ro.writable), "tmp");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
