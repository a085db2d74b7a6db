//! The interim shell runner: an UNSANDBOXED child in its own process group, with a scrubbed
//! environment, stdin from /dev/null and stdout/stderr piped (never inherited: the server's
//! stdout is the JSON-RPC stream). On timeout or cancel the whole group gets SIGKILL, and so
//! does anything the command left running in its group once it exits; dropping the future
//! kills the group too. Output is captured up to a cap per stream.
//!
//! This is not the sandbox: the sandbox crate's runner will replace `run_command` and reuse
//! `truncate` for the model-facing text. Approvals are the agent's business.

use crate::truncate::{ExecSummary, HeadTail, CAPTURE_CAP_BYTES};
use std::ffi::OsString;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::time::Sleep;

/// Exit code reported for a command killed on timeout (as `timeout(1)` does).
pub const TIMEOUT_EXIT_CODE: i32 = 124;
/// How long output is still read after the command exits or is killed, for grandchildren
/// holding the pipes (they are killed when it elapses).
const DRAIN_GRACE: Duration = Duration::from_millis(250);

/// A command to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecRequest {
    /// Program and arguments; never empty.
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    pub timeout: Duration,
    /// The complete environment of the child (see `scrubbed_env`).
    pub env: Vec<(OsString, OsString)>,
}

/// How a command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecResult {
    /// The exit code; 128 + signal when killed by a signal; `TIMEOUT_EXIT_CODE` on timeout.
    pub exit_code: i32,
    pub wall_time: Duration,
    pub timed_out: bool,
    pub cancelled: bool,
    pub stdout: String,
    pub stderr: String,
    /// Both streams interleaved as they arrived.
    pub aggregated: String,
    pub total_lines: u64,
    /// The capture dropped bytes of some stream.
    pub capture_truncated: bool,
}

impl ExecResult {
    pub fn summary(&self) -> ExecSummary {
        ExecSummary {
            exit_code: self.exit_code,
            wall_time: self.wall_time,
            output: self.aggregated.clone(),
            total_lines: self.total_lines,
            capture_truncated: self.capture_truncated,
        }
    }
}

/// Whether an environment variable's name looks like it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "PRIVATE", "COOKIE"].iter().any(|s| upper.contains(s))
}

/// This process's environment without secrets, plus settings that keep tools from paging
/// or colouring output.
pub fn scrubbed_env() -> Vec<(OsString, OsString)> {
    let forced = [("NO_COLOR", "1"), ("TERM", "dumb"), ("PAGER", "cat"), ("GIT_PAGER", "cat"), ("GH_PAGER", "cat")];
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(k, _)| !is_secret_name(&k.to_string_lossy()))
        .filter(|(k, _)| !forced.iter().any(|(f, _)| k == f))
        .collect();
    env.extend(forced.iter().map(|(k, v)| (OsString::from(k), OsString::from(v))));
    env
}

/// SIGKILLs the process group on drop unless disarmed.
struct GroupGuard(Option<i32>);

impl GroupGuard {
    fn kill(&mut self) {
        if let Some(pgid) = self.0 {
            // SAFETY: killpg has no memory effects; a stale group id fails with ESRCH.
            unsafe {
                libc::killpg(pgid, libc::SIGKILL);
            }
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn sleep_opt(s: &mut Option<Pin<Box<Sleep>>>) {
    match s {
        Some(s) => s.as_mut().await,
        None => std::future::pending().await,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Running,
    Timeout,
    Cancelled,
}

/// Runs `req` to completion, timeout or `cancel`. Errors only when the process cannot be
/// started (the program is missing, the directory does not exist).
pub async fn run_command(req: &ExecRequest, cancel: impl Future<Output = ()>) -> std::io::Result<ExecResult> {
    let Some((program, args)) = req.argv.split_first() else {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "empty command"));
    };
    let started = Instant::now();
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .current_dir(&req.cwd)
        .env_clear()
        .envs(req.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = cmd.spawn()?;
    let mut guard = GroupGuard(child.id().and_then(|id| i32::try_from(id).ok()));
    let (Some(mut stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(std::io::Error::other("the child's pipes are missing"));
    };
    let (mut out_cap, mut err_cap, mut all_cap) =
        (HeadTail::new(CAPTURE_CAP_BYTES), HeadTail::new(CAPTURE_CAP_BYTES), HeadTail::new(2 * CAPTURE_CAP_BYTES));
    let (mut out_buf, mut err_buf) = (vec![0u8; 8192], vec![0u8; 8192]);
    let (mut out_open, mut err_open) = (true, true);
    let mut status = None;
    let mut end = End::Running;
    let deadline = tokio::time::sleep(req.timeout);
    tokio::pin!(deadline, cancel);
    // Armed when the child exits or is killed: then the pipes get a short grace period.
    let mut drain: Option<Pin<Box<Sleep>>> = None;
    loop {
        if status.is_some() && !out_open && !err_open {
            break;
        }
        tokio::select! {
            n = stdout.read(&mut out_buf), if out_open => match n {
                Ok(0) | Err(_) => out_open = false,
                Ok(n) => {
                    out_cap.push(&out_buf[..n]);
                    all_cap.push(&out_buf[..n]);
                }
            },
            n = stderr.read(&mut err_buf), if err_open => match n {
                Ok(0) | Err(_) => err_open = false,
                Ok(n) => {
                    err_cap.push(&err_buf[..n]);
                    all_cap.push(&err_buf[..n]);
                }
            },
            s = child.wait(), if status.is_none() => {
                status = Some(s?);
                drain.get_or_insert_with(|| Box::pin(tokio::time::sleep(DRAIN_GRACE)));
            }
            () = &mut deadline, if end == End::Running => {
                end = End::Timeout;
                guard.kill();
                drain.get_or_insert_with(|| Box::pin(tokio::time::sleep(DRAIN_GRACE)));
            }
            () = &mut cancel, if end == End::Running => {
                end = End::Cancelled;
                guard.kill();
                drain.get_or_insert_with(|| Box::pin(tokio::time::sleep(DRAIN_GRACE)));
            }
            () = sleep_opt(&mut drain) => {
                // Whatever still holds the pipes is left over from the command: kill it and
                // stop reading (a process that left the group may keep them open).
                guard.kill();
                if status.is_none() {
                    status = Some(child.wait().await?);
                }
                break;
            }
        }
    }
    // Nothing of the command may outlive it.
    guard.kill();
    guard.0 = None;
    let status = match status {
        Some(s) => s,
        None => child.wait().await?,
    };
    let exit_code = match end {
        End::Timeout => TIMEOUT_EXIT_CODE,
        _ => {
            use std::os::unix::process::ExitStatusExt;
            status.code().or_else(|| status.signal().map(|s| 128 + s)).unwrap_or(-1)
        }
    };
    let mut aggregated = all_cap.text();
    if end == End::Timeout {
        aggregated.push_str(&format!("\ncommand timed out after {} milliseconds", req.timeout.as_millis()));
    }
    Ok(ExecResult {
        exit_code,
        wall_time: started.elapsed(),
        timed_out: end == End::Timeout,
        cancelled: end == End::Cancelled,
        stdout: out_cap.text(),
        stderr: err_cap.text(),
        aggregated,
        total_lines: all_cap.total_lines(),
        capture_truncated: all_cap.omitted_bytes() > 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(script: &str, timeout_ms: u64) -> ExecRequest {
        ExecRequest {
            argv: vec!["bash".into(), "-c".into(), script.into()],
            cwd: std::env::temp_dir(),
            timeout: Duration::from_millis(timeout_ms),
            env: scrubbed_env(),
        }
    }

    fn alive(pid: i32) -> bool {
        // A zombie (not reaped by an init that does not reap) is dead for our purposes.
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'),
            Err(_) => false,
        }
    }

    fn wait_dead(pid: i32) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if !alive(pid) {
                return true;
            }
            std::thread::yield_now();
        }
        false
    }

    #[tokio::test]
    async fn captures_exit_code_and_both_streams() {
        let r = run_command(&req("echo out; echo err >&2; exit 3", 10_000), std::future::pending()).await.unwrap();
        assert_eq!(r.exit_code, 3);
        assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("out\n", "err\n"));
        assert!(r.aggregated.contains("out\n") && r.aggregated.contains("err\n"));
        assert_eq!(r.total_lines, 2);
        assert!(!r.timed_out);
    }

    #[tokio::test]
    async fn timeout_kills_the_group_with_grandchildren() {
        let r = run_command(&req("sleep 30 & echo $!; sleep 30", 300), std::future::pending()).await.unwrap();
        assert!(r.timed_out);
        assert_eq!(r.exit_code, TIMEOUT_EXIT_CODE);
        assert!(r.aggregated.contains("command timed out after 300 milliseconds"), "{}", r.aggregated);
        let pid: i32 = r.stdout.trim().parse().unwrap();
        assert!(wait_dead(pid), "grandchild {pid} survived");
        assert!(r.wall_time < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn cancel_kills_and_background_leftovers_die() {
        let pidfile = std::env::temp_dir().join(format!("tools-shell-cancel-{}", std::process::id()));
        let _ = std::fs::remove_file(&pidfile);
        let script = format!("sleep 30 & echo $! > {}.tmp; mv {0}.tmp {0}; sleep 30", pidfile.display());
        // Cancel as soon as the command has started its grandchild.
        let cancel = async {
            while !pidfile.exists() {
                tokio::task::yield_now().await;
            }
        };
        let r = run_command(&req(&script, 60_000), cancel).await.unwrap();
        assert!(r.cancelled);
        assert_eq!(r.exit_code, 128 + libc::SIGKILL);
        let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
        std::fs::remove_file(&pidfile).unwrap();
        assert!(wait_dead(pid), "grandchild {pid} survived the cancel");
        // A command that exits leaving a background child: the leftover is killed.
        let r = run_command(&req("sleep 30 & echo $!", 10_000), std::future::pending()).await.unwrap();
        assert_eq!(r.exit_code, 0);
        let pid: i32 = r.stdout.trim().parse().unwrap();
        assert!(wait_dead(pid), "background child {pid} survived");
    }

    #[test]
    fn secrets_are_scrubbed() {
        for name in ["OPENAI_API_KEY", "GITHUB_TOKEN", "aws_secret_access_key", "DB_PASSWORD"] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["PATH", "HOME", "CARGO_HOME", "GIT_AUTHOR_NAME"] {
            assert!(!is_secret_name(name), "{name}");
        }
        let env = scrubbed_env();
        assert!(env.iter().any(|(k, v)| k == "NO_COLOR" && v == "1"));
    }
}
