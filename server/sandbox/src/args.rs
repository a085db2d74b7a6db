//! The helper's command line: `codeloop sandbox [options] -- cmd args...`, parsed by hand so the
//! helper needs no argument crate and `run` can build it with [`HelperArgs::to_args`].
//!
//! It is not the user-facing documentation of the options beyond [`USAGE`]; docs/sandbox.md is.

use crate::policy::{SandboxMode, SandboxPolicy};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// The workspace overlay the helper mounts before anything else (`--overlay JSON`).
#[cfg(target_os = "linux")]
pub type OverlaySpec = crate::overlay::OverlayMount;
/// No overlays outside Linux: the argument is carried as plain JSON and refused by the helper.
#[cfg(not(target_os = "linux"))]
pub type OverlaySpec = serde_json::Value;

pub const USAGE: &str = "\
usage: codeloop sandbox [options] -- COMMAND [ARGS...]

Runs COMMAND under a sandbox policy (Linux: Landlock, seccomp, namespaces, rlimits).

options:
  --policy JSON          the whole policy, e.g. '{\"mode\":\"read-only\"}'
  --mode MODE            read-only | workspace-write (default) | danger-full-access
  --writable DIR         an extra writable root (repeatable)
  --network              allow network access
  --max-processes N      process/thread limit (default 1024; 0: none)
  --memory BYTES         address-space limit per process
  --workspace DIR        a workspace root (repeatable; default: the working directory)
  --cwd DIR              working directory of the command (default: the current one)
  --tmp DIR              use DIR as the private tmp (default: a fresh one, removed afterwards)
  --timeout SECS         kill the command and everything it started after SECS seconds
  --overlay JSON         run on the workspace overlay {\"root\",\"upper\",\"work\",\"writeThrough\"}
                         (docs/overlay.md); the command fails if it cannot be mounted
  --report               print what was enforced as the first line of stderr (JSON)
  --explain              print what was enforced, in words, to stderr
";

/// Parsed helper arguments.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HelperArgs {
    pub policy: SandboxPolicy,
    pub workspace_roots: Vec<PathBuf>,
    pub cwd: Option<PathBuf>,
    pub tmp: Option<PathBuf>,
    pub timeout: Option<Duration>,
    /// Mount this workspace overlay first (see docs/overlay.md).
    pub overlay: Option<OverlaySpec>,
    pub report: bool,
    pub explain: bool,
    pub command: Vec<OsString>,
}

/// Parses the arguments after `sandbox`. Errors are messages for the user.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<HelperArgs, String> {
    let mut out = HelperArgs::default();
    let mut it = args.into_iter();
    let mut policy_json: Option<SandboxPolicy> = None;
    let mut mode = None;
    let mut writable = Vec::new();
    let mut network = false;
    let mut max_processes = None;
    let mut memory = None;
    while let Some(arg) = it.next() {
        let Some(flag) = arg.to_str() else { return Err(format!("unexpected argument {arg:?}")) };
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match flag {
            "--" => {
                out.command = it.by_ref().collect();
                break;
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            "--policy" => {
                let v = value(flag)?;
                let text = v.to_str().ok_or("--policy is not UTF-8")?;
                policy_json = Some(serde_json::from_str(text).map_err(|e| format!("--policy: {e}"))?);
            }
            "--mode" => {
                let v = value(flag)?;
                mode = Some(v.to_str().and_then(SandboxMode::parse).ok_or_else(|| format!("--mode: unknown mode {v:?}"))?);
            }
            "--writable" => writable.push(PathBuf::from(value(flag)?)),
            "--network" => network = true,
            "--max-processes" => max_processes = Some(parse_num::<u32>(flag, value(flag)?)?),
            "--memory" => memory = Some(parse_num::<u64>(flag, value(flag)?)?),
            "--workspace" => out.workspace_roots.push(PathBuf::from(value(flag)?)),
            "--cwd" => out.cwd = Some(PathBuf::from(value(flag)?)),
            "--tmp" => out.tmp = Some(PathBuf::from(value(flag)?)),
            "--timeout" => {
                let secs = parse_num::<f64>(flag, value(flag)?)?;
                out.timeout = Some(Duration::try_from_secs_f64(secs).map_err(|e| format!("--timeout: {e}"))?);
            }
            "--overlay" => {
                let v = value(flag)?;
                let text = v.to_str().ok_or("--overlay is not UTF-8")?;
                out.overlay = Some(serde_json::from_str(text).map_err(|e| format!("--overlay: {e}"))?);
            }
            "--report" => out.report = true,
            "--explain" => out.explain = true,
            other => return Err(format!("unknown option {other} (the command goes after --)")),
        }
    }
    if out.command.is_empty() {
        return Err(format!("no command given\n\n{USAGE}"));
    }
    let mut policy = policy_json.unwrap_or_default();
    if let Some(m) = mode {
        policy.mode = m;
    }
    policy.writable_roots.extend(writable);
    policy.network |= network;
    if let Some(n) = max_processes {
        policy.limits.max_processes = (n > 0).then_some(n);
    }
    if memory.is_some() {
        policy.limits.memory_bytes = memory;
    }
    out.policy = policy;
    Ok(out)
}

fn parse_num<T: std::str::FromStr>(flag: &str, v: OsString) -> Result<T, String> {
    v.to_str().and_then(|s| s.parse().ok()).ok_or_else(|| format!("{flag}: not a number: {v:?}"))
}

impl HelperArgs {
    /// The arguments after `sandbox` that [`parse`] turns back into `self`.
    pub fn to_args(&self) -> Vec<OsString> {
        let mut v: Vec<OsString> = vec!["--policy".into(), serde_json::to_string(&self.policy).unwrap_or_default().into()];
        for w in &self.workspace_roots {
            v.extend(["--workspace".into(), w.clone().into_os_string()]);
        }
        if let Some(cwd) = &self.cwd {
            v.extend(["--cwd".into(), cwd.clone().into_os_string()]);
        }
        if let Some(tmp) = &self.tmp {
            v.extend(["--tmp".into(), tmp.clone().into_os_string()]);
        }
        if let Some(t) = self.timeout {
            v.extend(["--timeout".into(), t.as_secs_f64().to_string().into()]);
        }
        if let Some(o) = &self.overlay {
            v.extend(["--overlay".into(), serde_json::to_string(o).unwrap_or_default().into()]);
        }
        if self.report {
            v.push("--report".into());
        }
        if self.explain {
            v.push("--explain".into());
        }
        v.push("--".into());
        v.extend(self.command.iter().cloned());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn flags_and_round_trip() {
        let a =
            parse(args("--mode read-only --network --writable /data --max-processes 0 --cwd /w --timeout 1.5 --report -- ls -la")).unwrap();
        assert_eq!(a.policy.mode, SandboxMode::ReadOnly);
        assert!(a.policy.network);
        assert_eq!(a.policy.writable_roots, vec![PathBuf::from("/data")]);
        assert_eq!(a.policy.limits.max_processes, None);
        assert_eq!(a.timeout, Some(Duration::from_millis(1500)));
        assert_eq!(a.command, args("ls -la"));
        assert_eq!(parse(a.to_args()).unwrap(), a);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn overlay_round_trip() {
        let json = r#"{"root":"/w","upper":"/s/upper","work":"/s/work","writeThrough":["target"]}"#;
        let a = parse([OsString::from("--overlay"), json.into(), "--".into(), "true".into()]).unwrap();
        let o = a.overlay.clone().unwrap();
        assert_eq!((o.root, o.write_through), (PathBuf::from("/w"), vec![PathBuf::from("target")]));
        assert_eq!(parse(a.to_args()).unwrap(), a);
        let e = parse([OsString::from("--overlay"), "{}".into(), "--".into(), "true".into()]).unwrap_err();
        assert!(e.starts_with("--overlay: missing field"), "{e}");
    }

    #[test]
    fn errors() {
        let err = |s: &str| parse(args(s)).unwrap_err().lines().next().unwrap_or_default().to_string();
        assert_eq!(err("--mode nope -- true"), "--mode: unknown mode \"nope\"");
        assert_eq!(err("--cwd"), "--cwd needs a value");
        assert_eq!(err("--mode read-only"), "no command given");
        assert_eq!(err("ls"), "unknown option ls (the command goes after --)");
        let e = err("--policy {\"mode\":1} -- true");
        assert!(e.starts_with("--policy: "), "{e}");
    }
}
