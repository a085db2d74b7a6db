//! Harness for the `codeloop exec` end-to-end tests: a private temp dir per test (workspace,
//! state dir, config dir), the scripted mock model on 127.0.0.1, the real binary over real
//! pipes with `--json`, and helpers to wait on its events, read the recorded requests and look
//! for leftover processes in /proc.
//!
//! It is not a general client: every wait has a timeout, and every stdout line is checked to be
//! one JSON event (a run that prints anything else fails when it is finished).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use mock_model::{MockServer, RecordedRequest, Script};
use serde_json::Value;
use tests::workspace::TempWorkspace;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The bound on every wait in these tests.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// One test's world: a temp dir holding `ws/` (the workspace), `state/` and `config/`, and the
/// mock server serving `script`.
pub struct Setup {
    pub tmp: TempWorkspace,
    pub server: MockServer,
}

impl Setup {
    pub async fn new(name: &str, files: &[(&str, &str)], script: Script) -> Setup {
        let tmp = TempWorkspace::new(&format!("exec-{name}"));
        for d in ["ws", "state", "config"] {
            std::fs::create_dir_all(tmp.path(d)).unwrap();
        }
        for (path, text) in files {
            tmp.write(&format!("ws/{path}"), text);
        }
        let server = MockServer::start(script).await.unwrap();
        Setup { tmp, server }
    }

    pub fn ws(&self) -> PathBuf {
        self.tmp.path("ws")
    }

    pub fn read(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.ws().join(rel)).ok()
    }

    /// Starts `codeloop exec --json ... PROMPT` against the mock, with `extra` flags before the prompt.
    pub fn spawn(&self, extra: &[&str], prompt: &str) -> Run {
        self.spawn_with(extra, prompt, true)
    }

    pub fn spawn_with(&self, extra: &[&str], prompt: &str, json: bool) -> Run {
        let provider = format!(r#"model_providers.mock={{name="mock", base_url="{}"}}"#, self.server.base_url());
        let mut cmd = Command::new(tests::codeloop_bin());
        cmd.arg("exec").arg("-C").arg(self.ws());
        if json {
            cmd.arg("--json");
        }
        cmd.args(["-c", "model_provider=mock", "-c", &provider, "-m", "test-model"]).args(extra).arg(prompt);
        cmd.env("CODELOOP_STATE_DIR", self.tmp.path("state"))
            .env("CODELOOP_CONFIG_DIR", self.tmp.path("config"))
            .env("HOME", self.tmp.path("config"))
            .env_remove("XDG_STATE_HOME")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("RUST_LOG")
            .env_remove("CODELOOP_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().unwrap();
        let pid = child.id().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if tx.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        let stderr = tokio::spawn(async move {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s).await;
            s
        });
        Run { child, pid, json, lines, stdout: Vec::new(), events: Vec::new(), stderr }
    }

    /// The model requests (Responses, chat, compaction) received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.model_requests()
    }
}

/// A running `codeloop exec`.
pub struct Run {
    child: Child,
    pub pid: u32,
    json: bool,
    lines: mpsc::UnboundedReceiver<(Instant, String)>,
    /// Every stdout line so far.
    pub stdout: Vec<String>,
    /// Every event so far, with its arrival time.
    pub events: Vec<(Instant, Value)>,
    stderr: JoinHandle<String>,
}

/// A finished run.
pub struct Finished {
    /// The exit code; None when killed by a signal.
    pub code: Option<i32>,
    pub events: Vec<Value>,
    pub stdout: Vec<String>,
    pub stderr: String,
}

impl Finished {
    pub fn of_type(&self, ty: &str) -> Vec<&Value> {
        self.events.iter().filter(|e| e["type"] == ty).collect()
    }

    /// The event types in order, without the streaming noise (deltas, item brackets, usage,
    /// model requests), one per line.
    pub fn outline(&self) -> String {
        let noise = ["messageDelta", "reasoningSummaryDelta", "itemStarted", "itemCompleted", "tokenUsage", "modelRequest", "rateLimits"];
        let mut out = String::new();
        for e in &self.events {
            let ty = e["type"].as_str().unwrap_or("?");
            if noise.contains(&ty) {
                continue;
            }
            out.push_str(ty);
            for key in ["callId", "tool", "success"] {
                if !e[key].is_null() {
                    out.push_str(&format!(" {key}={}", e[key]));
                }
            }
            out.push('\n');
        }
        out
    }
}

impl Run {
    /// Takes the next stdout line (None at EOF), checking that it is one JSON event.
    async fn next_line(&mut self, deadline: Instant) -> Option<Value> {
        let left = deadline.saturating_duration_since(Instant::now());
        let (at, line) = match tokio::time::timeout(left, self.lines.recv()).await {
            Ok(Some(l)) => l,
            Ok(None) => return None,
            Err(_) => panic!("timed out waiting for codeloop's output; events so far: {:#?}", self.types()),
        };
        self.stdout.push(line.clone());
        if !self.json {
            return Some(Value::Null);
        }
        let event: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line:?}"));
        assert!(event["type"].is_string() && event["threadId"].is_string(), "stdout line is not an event: {line}");
        self.events.push((at, event.clone()));
        Some(event)
    }

    fn types(&self) -> Vec<String> {
        self.events.iter().map(|(_, e)| e["type"].as_str().unwrap_or("?").to_string()).collect()
    }

    /// Waits for the first event (from now on) that satisfies `pred`.
    pub async fn wait_event(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.next_line(deadline).await {
                Some(e) if pred(&e) => return e,
                Some(_) => {}
                None => panic!("codeloop's stdout closed before the awaited event; events: {:#?}", self.types()),
            }
        }
    }

    pub async fn wait_type(&mut self, ty: &str) -> Value {
        self.wait_event(|e| e["type"] == ty).await
    }

    /// Sends `signal` (a `kill -s` name) to the codeloop process.
    pub fn signal(&self, signal: &str) {
        let st = std::process::Command::new("kill").args(["-s", signal, &self.pid.to_string()]).status().unwrap();
        assert!(st.success(), "kill -s {signal} {}", self.pid);
    }

    /// Reads stdout to the end and waits for the process to exit (bounded).
    pub async fn finish(mut self) -> Finished {
        let deadline = Instant::now() + TIMEOUT;
        while self.next_line(deadline).await.is_some() {}
        let left = deadline.saturating_duration_since(Instant::now());
        let status = match tokio::time::timeout(left, self.child.wait()).await {
            Ok(s) => s.unwrap(),
            Err(_) => panic!("codeloop did not exit in time; events: {:#?}", self.types()),
        };
        let stderr = tokio::time::timeout(TIMEOUT, self.stderr).await.unwrap().unwrap();
        Finished { code: status.code(), events: self.events.into_iter().map(|(_, e)| e).collect(), stdout: self.stdout, stderr }
    }
}

/// A marker unique to this test process and call, usable in argv (a decimal number).
pub fn marker() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{}{:03}", std::process::id() % 100_000, N.fetch_add(1, Ordering::SeqCst))
}

/// Pids of live processes (not zombies) whose command line contains `needle`, except this one.
pub fn processes_with(needle: &str) -> Vec<u32> {
    let me = std::process::id();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        if pid == me {
            continue;
        }
        let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) else { continue };
        let zombie = std::fs::read_to_string(e.path().join("stat"))
            .map(|s| s.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')))
            .unwrap_or(true);
        if !zombie && String::from_utf8_lossy(&cmdline).contains(needle) {
            out.push(pid);
        }
    }
    out
}

/// Waits (bounded) until no process carries `needle`; returns how long that took, or the pids left.
pub async fn wait_processes_gone(needle: &str, within: Duration) -> Result<Duration, Vec<u32>> {
    let start = Instant::now();
    loop {
        let left = processes_with(needle);
        if left.is_empty() {
            return Ok(start.elapsed());
        }
        if start.elapsed() > within {
            return Err(left);
        }
        // Polling /proc: there is no event for "a process outside our tree exited".
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Kills the processes a test left behind on purpose (e.g. after SIGKILLing codeloop), by pid.
pub fn kill_leftovers(needle: &str) {
    for pid in processes_with(needle) {
        let _ = std::process::Command::new("kill").args(["-s", "KILL", &pid.to_string()]).status();
    }
}

/// The byte spans of the top-level values of a JSON object, by key (a small scanner, so that
/// "byte-identical" means the bytes the client sent, not a re-serialization).
pub fn raw_fields(body: &str) -> Vec<(String, &str)> {
    let b = body.as_bytes();
    let mut out = Vec::new();
    let mut i = body.find('{').unwrap() + 1;
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && (b[*i] as char).is_ascii_whitespace() {
            *i += 1;
        }
    };
    // The end of the string starting at b[i] == '"'.
    let string_end = |mut i: usize| {
        i += 1;
        while b[i] != b'"' {
            i += if b[i] == b'\\' { 2 } else { 1 };
        }
        i + 1
    };
    loop {
        skip_ws(&mut i);
        if b[i] == b'}' {
            return out;
        }
        if b[i] == b',' {
            i += 1;
            skip_ws(&mut i);
        }
        let key_end = string_end(i);
        let key: String = serde_json::from_str(&body[i..key_end]).unwrap();
        i = key_end;
        skip_ws(&mut i);
        assert_eq!(b[i], b':');
        i += 1;
        skip_ws(&mut i);
        let start = i;
        let mut depth = 0usize;
        loop {
            match b[i] {
                b'"' => i = string_end(i),
                b'{' | b'[' => {
                    depth += 1;
                    i += 1
                }
                b'}' | b']' if depth > 0 => {
                    depth -= 1;
                    i += 1
                }
                b',' | b'}' if depth == 0 => break,
                _ => i += 1,
            }
        }
        out.push((key, body[start..i].trim_end()));
    }
}

/// A request's input as one line per item: `type role: text prefix`, for snapshots.
pub fn shape(req: &RecordedRequest) -> String {
    let mut out = String::new();
    for item in req.input() {
        let ty = item["type"].as_str().unwrap_or("?");
        let role = item["role"].as_str().map(|r| format!(" {r}")).unwrap_or_default();
        let text = match ty {
            "message" => item["content"][0]["text"].as_str().unwrap_or("").to_string(),
            "function_call" => format!("{} {}", item["name"].as_str().unwrap_or(""), item["call_id"].as_str().unwrap_or("")),
            "function_call_output" | "custom_tool_call_output" => {
                format!("{} {}", item["call_id"].as_str().unwrap_or(""), item["output"].as_str().unwrap_or(""))
            }
            _ => String::new(),
        };
        let first: String = text.lines().next().unwrap_or("").chars().take(48).collect();
        out.push_str(&format!("{ty}{role}: {first}\n"));
    }
    out
}
