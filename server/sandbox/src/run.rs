//! The server side: run a command through the helper (`<current exe> sandbox ... -- argv`), with
//! stdin null and stdout/stderr piped (never inherited: the server's stdout is the JSON-RPC
//! stream), a wall-clock timeout, cancellation, output caps, and denial detection.
//!
//! The helper runs in its own process group; on timeout or cancellation the whole group gets
//! SIGKILL, and the helper's PID namespace (when there is one) takes every descendant with it, even
//! those that left the group. It spawns with `std`'s posix_spawn path (no `pre_exec` closure), so
//! nothing runs between fork and exec in this multi-threaded process.

use crate::args::HelperArgs;
use crate::denial::is_likely_sandbox_denied;
use crate::env::command_env;
use crate::policy::SandboxPolicy;
use crate::report::Enforcement;
use crate::{Error, Result};
use std::collections::VecDeque;
use std::future::Future;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Default bytes kept per stream (head and tail halves).
pub const DEFAULT_OUTPUT_CAP: usize = 64 * 1024;

/// How long to keep draining pipes after the helper is gone (a stray holder of the pipe, outside
/// any namespace, must not hang the caller).
const DRAIN_GRACE: Duration = Duration::from_millis(100);

/// One command to run.
#[derive(Clone, Debug)]
pub struct SandboxCommand {
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    /// Writable workspace roots under workspace-write; empty means `[cwd]`.
    pub workspace_roots: Vec<PathBuf>,
    /// Extra environment variables (on top of the server's scrubbed environment).
    pub env: Vec<(String, String)>,
    pub policy: SandboxPolicy,
    pub timeout: Option<Duration>,
    /// Bytes kept per stream: the first half and the last half of the output.
    pub output_cap: usize,
    /// The executable to run as the helper; default `std::env::current_exe()`.
    pub helper: Option<PathBuf>,
    /// Run on this workspace overlay (`Overlay::mount_spec`); the helper mounts it before its
    /// other mounts and fails the command (exit 125) if it cannot. See docs/overlay.md.
    pub overlay: Option<crate::args::OverlaySpec>,
}

impl SandboxCommand {
    pub fn new(argv: Vec<String>, cwd: impl Into<PathBuf>, policy: SandboxPolicy) -> Self {
        SandboxCommand {
            argv,
            cwd: cwd.into(),
            workspace_roots: Vec::new(),
            env: Vec::new(),
            policy,
            timeout: None,
            output_cap: DEFAULT_OUTPUT_CAP,
            helper: None,
            overlay: None,
        }
    }
}

/// One captured stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamOutput {
    /// The kept text (lossy UTF-8): all of it, or head + an omission marker + tail.
    pub text: String,
    pub total_bytes: u64,
    pub total_lines: u64,
    pub truncated: bool,
}

/// What happened.
#[derive(Clone, Debug, Default)]
pub struct SandboxOutput {
    /// The exit code (None when killed by a signal).
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: StreamOutput,
    pub stderr: StreamOutput,
    pub timed_out: bool,
    pub cancelled: bool,
    pub wall_time: Duration,
    /// The failure looks like a sandbox denial (see denial.rs).
    pub denied: bool,
    /// What the helper enforced (None if it died before reporting).
    pub enforcement: Option<Enforcement>,
}

/// Runs `cmd` to completion or timeout.
pub async fn run(cmd: SandboxCommand) -> Result<SandboxOutput> {
    run_cancellable(cmd, std::future::pending()).await
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Runs `cmd`; when `cancel` completes first the command and all its descendants are killed.
pub async fn run_cancellable(cmd: SandboxCommand, cancel: impl Future<Output = ()>) -> Result<SandboxOutput> {
    let started = Instant::now();
    let helper = match &cmd.helper {
        Some(h) => h.clone(),
        None => std::env::current_exe().map_err(Error::CurrentExe)?,
    };
    let tmp = private_tmp_path();
    if cmd.policy.is_restricted() {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().mode(0o700).create(&tmp).map_err(|source| Error::PrivateTmp { path: tmp.clone(), source })?;
    }
    let args = HelperArgs {
        policy: cmd.policy.clone(),
        workspace_roots: cmd.workspace_roots.clone(),
        cwd: Some(cmd.cwd.clone()),
        tmp: cmd.policy.is_restricted().then(|| tmp.clone()),
        timeout: None,
        overlay: cmd.overlay.clone(),
        report: true,
        explain: false,
        command: cmd.argv.iter().map(Into::into).collect(),
    };
    let env = command_env(std::env::vars_os(), &cmd.env, &cmd.policy, None);
    let mut command = tokio::process::Command::new(&helper);
    command
        .arg("sandbox")
        .args(args.to_args())
        .env_clear()
        .envs(env)
        .current_dir(&cmd.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let spawned = command.spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(source) => {
            remove_tmp(&tmp).await;
            return Err(Error::Spawn { helper, source });
        }
    };
    let pgid = child.id().and_then(|id| i32::try_from(id).ok());
    let cap = cmd.output_cap;
    let out_task = child.stdout.take().map(|s| tokio::spawn(capture(s, cap)));
    let err_task = child.stderr.take().map(|s| tokio::spawn(capture_stderr(s, cap)));

    let timeout = async {
        match cmd.timeout {
            Some(t) => tokio::time::sleep(t).await,
            None => std::future::pending().await,
        }
    };
    let (mut timed_out, mut cancelled) = (false, false);
    let status = tokio::select! {
        status = child.wait() => Some(status),
        () = timeout => { timed_out = true; None }
        () = cancel => { cancelled = true; None }
    };
    // Kill the group in every case: after a normal exit this ends background jobs the command
    // left behind (without a PID namespace they would otherwise hold the pipes open).
    if let Some(pgid) = pgid {
        // SAFETY: kill of the process group we created for the helper.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
    }
    let status = match status {
        Some(s) => s,
        None => child.wait().await,
    }
    .map_err(Error::Wait)?;
    let stdout = join_capture(out_task).await;
    let (stderr, enforcement) = match err_task {
        Some(t) => match tokio::time::timeout(DRAIN_GRACE * 2, t).await {
            Ok(Ok(v)) => v,
            _ => (StreamOutput::default(), None),
        },
        None => (StreamOutput::default(), None),
    };
    remove_tmp(&tmp).await;
    use std::os::unix::process::ExitStatusExt;
    let (exit_code, signal) = (status.code(), status.signal());
    let denied =
        !timed_out && !cancelled && is_likely_sandbox_denied(cmd.policy.is_restricted(), exit_code, signal, &stdout.text, &stderr.text);
    Ok(SandboxOutput { exit_code, signal, stdout, stderr, timed_out, cancelled, wall_time: started.elapsed(), denied, enforcement })
}

fn private_tmp_path() -> PathBuf {
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("codeloop-sandbox-{}-{n}", std::process::id()))
}

async fn remove_tmp(tmp: &std::path::Path) {
    let tmp = tmp.to_path_buf();
    let _ = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(tmp)).await;
}

async fn join_capture(task: Option<tokio::task::JoinHandle<StreamOutput>>) -> StreamOutput {
    match task {
        Some(t) => tokio::time::timeout(DRAIN_GRACE * 2, t).await.ok().and_then(|r| r.ok()).unwrap_or_default(),
        None => StreamOutput::default(),
    }
}

/// Head + tail capture with counts.
struct Capture {
    cap: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
    lines: u64,
    last: Option<u8>,
}

impl Capture {
    fn new(cap: usize) -> Self {
        Capture { cap, head: Vec::new(), tail: VecDeque::new(), total: 0, lines: 0, last: None }
    }

    fn push(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        self.lines += data.iter().filter(|&&b| b == b'\n').count() as u64;
        if let Some(&b) = data.last() {
            self.last = Some(b);
        }
        let head_cap = self.cap / 2;
        if self.head.len() < head_cap {
            let n = (head_cap - self.head.len()).min(data.len());
            self.head.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        let tail_cap = self.cap - head_cap;
        self.tail.extend(data);
        while self.tail.len() > tail_cap {
            let excess = self.tail.len() - tail_cap;
            self.tail.drain(..excess);
        }
    }

    fn finish(self) -> StreamOutput {
        let kept = self.head.len() as u64 + self.tail.len() as u64;
        let truncated = kept < self.total;
        let mut text = String::from_utf8_lossy(&self.head).into_owned();
        if truncated {
            text.push_str(&format!("\n[... {} bytes omitted ...]\n", self.total - kept));
        }
        let tail: Vec<u8> = self.tail.into_iter().collect();
        text.push_str(&String::from_utf8_lossy(&tail));
        let unterminated = self.last.is_some_and(|b| b != b'\n');
        StreamOutput { text, total_bytes: self.total, total_lines: self.lines + u64::from(unterminated), truncated }
    }
}

async fn read_to_capture(mut r: impl AsyncRead + Unpin, capture: &mut Capture) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => capture.push(&buf[..n]),
        }
    }
}

async fn capture(r: impl AsyncRead + Unpin, cap: usize) -> StreamOutput {
    let mut c = Capture::new(cap);
    read_to_capture(r, &mut c).await;
    c.finish()
}

/// Stderr: the helper's report line comes first; it is split off before capping.
async fn capture_stderr(mut r: impl AsyncRead + Unpin, cap: usize) -> (StreamOutput, Option<Enforcement>) {
    let mut first = Vec::new();
    let mut byte = [0u8; 4096];
    let marker = crate::report::REPORT_MARKER.as_bytes();
    // Read until the first newline (or until it is clear there is no report line).
    loop {
        let could_be_report = first.len() < marker.len() && marker.starts_with(&first) || first.starts_with(marker);
        if first.contains(&b'\n') || !could_be_report {
            break;
        }
        match r.read(&mut byte).await {
            Ok(0) | Err(_) => break,
            Ok(n) => first.extend_from_slice(&byte[..n]),
        }
    }
    let (report, rest) = Enforcement::split_from(&first);
    let mut c = Capture::new(cap);
    c.push(rest);
    read_to_capture(r, &mut c).await;
    (c.finish(), report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_keeps_head_and_tail() {
        let mut c = Capture::new(10);
        c.push(b"0123456789");
        c.push(b"abcdefghij\n");
        let out = c.finish();
        assert_eq!(out.text, "01234\n[... 11 bytes omitted ...]\nghij\n");
        assert_eq!((out.total_bytes, out.total_lines, out.truncated), (21, 1, true));
        let mut small = Capture::new(100);
        small.push(b"a\nb");
        let out = small.finish();
        assert_eq!((out.text.as_str(), out.total_lines, out.truncated), ("a\nb", 2, false));
    }
}
