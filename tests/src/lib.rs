//! An LSP test client for end-to-end tests: spawns the real `codeloop` binary, talks JSON-RPC
//! over its stdio pipes, answers the server's requests the way a simple editor would, and
//! checks that nothing but well-formed frames ever appears on the server's stdout.
//!
//! It is deliberately small and strict; it is not a general LSP client library.

pub mod workspace;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The codeloop binary built by `cargo build` (see tests/run.sh), or $CODELOOP_BIN.
pub fn codeloop_bin() -> PathBuf {
    if let Ok(p) = std::env::var("CODELOOP_BIN") {
        return PathBuf::from(p);
    }
    // target/debug/deps/it-<hash> -> target/debug/codeloop
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("codeloop");
    assert!(bin.exists(), "{} not found: run `cargo build -p cli` first (tests/run.sh does)", bin.display());
    bin
}

/// A message the server sent: a notification, a request to the client, or a response.
pub type Msg = Value;

pub struct LspClient {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Msg>,
    /// Messages received but not yet consumed by a wait.
    pub inbox: Vec<Msg>,
    /// Every notification and server request seen, in order (for assertions at the end).
    pub log: Vec<Msg>,
    violations: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
    next_id: i64,
    /// Server requests with these methods are left for the test to answer (`reply`).
    manual: Vec<String>,
}

fn read_frames(mut out: impl Read, tx: mpsc::Sender<Msg>, violations: Arc<Mutex<Vec<String>>>) {
    let mut reader = BufReader::new(&mut out);
    loop {
        let mut len = None;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) => {
                    violations.lock().unwrap().push(format!("unreadable stdout: {e}"));
                    return;
                }
            }
            if line == "\r\n" {
                break;
            }
            match line.strip_suffix("\r\n").and_then(|l| l.split_once(": ")) {
                Some(("Content-Length", v)) => len = v.parse::<usize>().ok(),
                Some(("Content-Type", _)) => {}
                _ => violations.lock().unwrap().push(format!("stray bytes on stdout: {line:?}")),
            }
        }
        let Some(len) = len else {
            violations.lock().unwrap().push("frame without Content-Length".into());
            continue;
        };
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            violations.lock().unwrap().push("truncated frame".into());
            return;
        }
        match serde_json::from_slice::<Value>(&body) {
            Ok(v) if v.get("jsonrpc") == Some(&json!("2.0")) => {
                if tx.send(v).is_err() {
                    return;
                }
            }
            _ => violations.lock().unwrap().push(format!("not JSON-RPC: {}", String::from_utf8_lossy(&body))),
        }
    }
}

impl LspClient {
    /// Spawns `codeloop lsp` with a private cache dir and the given extra environment.
    pub fn spawn(cache_dir: &Path, env: &[(&str, &str)]) -> LspClient {
        let mut cmd = Command::new(codeloop_bin());
        cmd.arg("lsp")
            .env("CODELOOP_CACHE_DIR", cache_dir)
            .env("CODELOOP_LOG", "info")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn codeloop");
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel();
        let violations = Arc::new(Mutex::new(Vec::new()));
        let v2 = violations.clone();
        std::thread::spawn(move || read_frames(stdout, tx, v2));
        let err_buf = Arc::new(Mutex::new(String::new()));
        let e2 = err_buf.clone();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stderr);
            let mut line = String::new();
            while matches!(r.read_line(&mut line), Ok(n) if n > 0) {
                e2.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        LspClient {
            stdin: child.stdin.take(),
            child,
            rx,
            inbox: Vec::new(),
            log: Vec::new(),
            violations,
            stderr: err_buf,
            next_id: 0,
            manual: Vec::new(),
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write to server");
        stdin.flush().expect("flush");
    }

    pub fn send(&mut self, msg: &Value) {
        let body = msg.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{}", body.len(), body).as_bytes());
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its id without waiting.
    pub fn request_async(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    /// Sends a request and waits for its response: Ok(result) or Err(error object).
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.request_async(method, params);
        self.response(id)
    }

    pub fn response(&mut self, id: i64) -> Result<Value, Value> {
        let msg = self
            .wait(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none(), TIMEOUT)
            .unwrap_or_else(|| panic!("no response to request {id}; stderr:\n{}", self.stderr()));
        match msg.get("error") {
            Some(e) => Err(e.clone()),
            None => Ok(msg.get("result").cloned().unwrap_or(Value::Null)),
        }
    }

    /// Stops answering server requests with this method automatically: `wait` returns them
    /// like any other message and the test answers with `reply` or `reply_error`.
    pub fn answer_manually(&mut self, method: &str) {
        self.manual.push(method.to_string());
    }

    /// Answers a server request (`msg["id"]`) with a result.
    pub fn reply(&mut self, id: &Value, result: Value) {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "result": result}));
    }

    /// Answers a server request with an error.
    pub fn reply_error(&mut self, id: &Value, code: i64, message: &str) {
        self.send(&json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}));
    }

    /// Waits for a request from the server with this method (see `answer_manually`).
    pub fn wait_server_request(&mut self, method: &str) -> Msg {
        let m = method.to_string();
        self.wait(|msg| msg.get("method") == Some(&json!(m)) && msg.get("id").is_some(), TIMEOUT)
            .unwrap_or_else(|| panic!("no {method} request from the server; stderr:\n{}", self.stderr()))
    }

    /// Answers a request from the server the way a plain editor does.
    fn answer(&mut self, msg: &Value) {
        let (Some(id), Some(method)) = (msg.get("id"), msg.get("method").and_then(Value::as_str)) else { return };
        if self.manual.iter().any(|m| m == method) {
            return;
        }
        let result = match method {
            "window/workDoneProgress/create" | "client/registerCapability" | "client/unregisterCapability" => Value::Null,
            "workspace/configuration" => json!([]),
            "workspace/applyEdit" => json!({"applied": false, "failureReason": "the test client applies no edits"}),
            _ => {
                let reply = json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": "unhandled in test client"}});
                self.send(&reply);
                return;
            }
        };
        self.send(&json!({"jsonrpc": "2.0", "id": id, "result": result}));
    }

    /// Waits for a message matching `pred`, answering server requests and logging everything.
    /// Messages that do not match stay in the inbox for later waits.
    pub fn wait(&mut self, pred: impl Fn(&Msg) -> bool, timeout: Duration) -> Option<Msg> {
        if let Some(i) = self.inbox.iter().position(&pred) {
            return Some(self.inbox.remove(i));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(msg) => {
                    if msg.get("method").is_some() {
                        self.log.push(msg.clone());
                        self.answer(&msg);
                    }
                    if pred(&msg) {
                        return Some(msg);
                    }
                    self.inbox.push(msg);
                }
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// Waits for a notification with this method whose params satisfy `pred`.
    pub fn wait_notification(&mut self, method: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let m = method.to_string();
        self.wait(|msg| msg.get("method") == Some(&json!(m)) && msg.get("id").is_none() && pred(&msg["params"]), TIMEOUT)
            .map(|msg| msg["params"].clone())
            .unwrap_or_else(|| panic!("no {method} notification matched; stderr:\n{}", self.stderr()))
    }

    /// `initialize` + `initialized` for a workspace root, with extra client capabilities.
    pub fn initialize(&mut self, root: &Path, capabilities: Value, options: Value) -> Value {
        let uri = file_uri(root);
        let params = json!({
            "processId": std::process::id(),
            "rootUri": uri,
            "workspaceFolders": [{"uri": uri, "name": "ws"}],
            "capabilities": capabilities,
            "initializationOptions": options,
        });
        let result = self.request("initialize", params).expect("initialize");
        self.notify("initialized", json!({}));
        result
    }

    pub fn open(&mut self, path: &Path, language_id: &str, text: &str) -> String {
        let uri = file_uri(path);
        self.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri, "languageId": language_id, "version": 1, "text": text}}));
        uri
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status if the server has exited.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    pub fn protocol_violations(&self) -> Vec<String> {
        self.violations.lock().unwrap().clone()
    }

    /// `shutdown` then `exit`; returns the exit status and asserts stdout stayed clean.
    pub fn shutdown(mut self) -> ExitStatus {
        self.request("shutdown", Value::Null).expect("shutdown");
        self.notify("exit", Value::Null);
        drop(self.stdin.take());
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            assert!(Instant::now() < deadline, "server did not exit after `exit`");
            std::thread::sleep(Duration::from_millis(10));
        };
        // Drain what is left of stdout so violations are complete.
        while self.rx.recv_timeout(Duration::from_millis(200)).is_ok() {}
        assert_eq!(self.protocol_violations(), Vec::<String>::new(), "stdout must carry only JSON-RPC");
        status
    }
}

impl Drop for LspClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn file_uri(path: &Path) -> String {
    let s = path.to_str().expect("utf-8 path");
    let mut out = String::from("file://");
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
