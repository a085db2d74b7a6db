//! LSP responsiveness while agent turns stream (budget: documentSymbol and codeAction p99 under
//! 10 ms while 4 turns stream; model delta to `codeloop/event` p99 under 1 ms in-process).
//!
//! One run: starts the mock model binary with a generated script (every model turn streams a few
//! hundred text deltas with `event_delay_ms`, then calls `shell`; a final answer ends each thread),
//! a byte-forwarding TCP proxy in this process between the server and the mock, and the real
//! `codeloop lsp` over stdio with `events: true`. It opens a 2,000-line Rust file and measures
//! documentSymbol and codeAction round trips (a) idle and (b) while 4 `codeloop.ask` turns stream
//! in 4 threads, counting the `$/progress` and `codeloop/event` notifications of the window.
//!
//! Delta latency: every streamed word is unique (`t<turn>w<i>`); the proxy notes when it has
//! written the SSE line carrying a word to the server's socket, the client's reader thread notes
//! when the `codeloop/event` messageDelta with that word arrived. The difference is the server's
//! read + parse + event + LSP write, plus the pipe and this client's frame read: an upper bound
//! of the in-process figure (which needs a timestamp inside the server, see docs/benchmarks.md).
//!
//! Run: cargo build --release -p cli -p mock-model && cargo run --release -p bench --bin lsp_responsiveness
//!      [-- --requests 500 --threads 4 --spacing-ms 4 --delay-ms 8 --words 250 --rounds 6]
//! CODELOOP_BIN and MOCK_MODEL_BIN override target/release/{codeloop,mock-model}.
//! Prints figures; asserts nothing about timings.

use anyhow::{anyhow, bail, Context, Result};
use bench::percentile;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tests::file_uri;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// target/release/<name> next to this bench binary, or the env override.
fn sibling_bin(env: &str, name: &str) -> Result<PathBuf> {
    if let Ok(p) = std::env::var(env) {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe()?;
    let bin = exe.parent().context("no exe dir")?.join(name);
    if !bin.exists() {
        bail!("{} not found: cargo build --release -p cli -p mock-model (or set {env})", bin.display());
    }
    Ok(bin)
}

/// The mock script: `threads * rounds` turns of text + a shell call, then final answers.
fn script(threads: u64, rounds: u64, words: u64, delay_ms: u64) -> Value {
    let mut turns = Vec::new();
    let text = |t: u64| (0..words).map(|i| format!("t{t}w{i}")).collect::<Vec<_>>().join(" ");
    let faults = json!({"event_delay_ms": delay_ms});
    for t in 0..threads * rounds {
        let args = json!({"command": ["sh", "-c", format!("echo round {t}")]}).to_string();
        turns.push(json!({"outputs": [
            {"message": {"text": text(t), "phase": "commentary"}},
            {"function_call": {"name": "shell", "call_id": format!("call_{t}"), "arguments": args}},
        ], "faults": faults, "usage": {"input_tokens": 2000, "output_tokens": words}}));
    }
    // Twice as many final answers as threads: slack for a cancelled or retried request.
    for t in threads * rounds..threads * rounds + 2 * threads {
        turns.push(json!({"outputs": [{"message": {"text": text(t), "phase": "final_answer"}}], "faults": faults}));
    }
    json!({ "turns": turns })
}

/// When the proxy finished writing each streamed word to the server's socket.
type Sent = Arc<Mutex<HashMap<String, Instant>>>;

/// A byte-forwarding proxy: server -> mock untouched; mock -> server forwarded as read, and each
/// complete `response.output_text.delta` data line stamped after it was written.
fn start_proxy(upstream: String, sent: Sent) -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        for down in listener.incoming().flatten() {
            let (up, sent) = (upstream.clone(), sent.clone());
            std::thread::spawn(move || {
                if let Err(e) = proxy_conn(down, &up, sent) {
                    eprintln!("proxy connection: {e}");
                }
            });
        }
    });
    Ok(port)
}

fn proxy_conn(down: TcpStream, upstream: &str, sent: Sent) -> Result<()> {
    let up = TcpStream::connect(upstream)?;
    down.set_nodelay(true)?;
    up.set_nodelay(true)?;
    let (mut down_r, mut up_w) = (down.try_clone()?, up.try_clone()?);
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut down_r, &mut up_w);
        let _ = up_w.shutdown(Shutdown::Write);
    });
    let (mut up_r, mut down_w) = (up, down);
    let mut buf = vec![0u8; 64 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let n = up_r.read(&mut buf)?;
        if n == 0 {
            let _ = down_w.shutdown(Shutdown::Write);
            return Ok(());
        }
        down_w.write_all(&buf[..n])?;
        let now = Instant::now();
        pending.extend_from_slice(&buf[..n]);
        let Some(last_nl) = pending.iter().rposition(|&b| b == b'\n') else { continue };
        let mut stamped = Vec::new();
        for line in pending[..last_nl].split(|&b| b == b'\n') {
            let Some(data) = line.strip_prefix(b"data: ") else { continue };
            if !data.windows(11).any(|w| w == b"output_text") {
                continue;
            }
            if let Ok(v) = serde_json::from_slice::<Value>(data.trim_ascii_end()) {
                if v["type"] == "response.output_text.delta" {
                    if let Some(d) = v["delta"].as_str() {
                        stamped.push(d.trim().to_string());
                    }
                }
            }
        }
        pending.drain(..=last_nl);
        if !stamped.is_empty() {
            let mut map = lock(&sent);
            for w in stamped {
                map.insert(w, now);
            }
        }
    }
}

/// What the reader thread saw: every notification with its arrival time.
#[derive(Default)]
struct Seen {
    notes: Vec<(Instant, String, Value)>,
}

/// A frame as the reader thread parses it: a response's result is skipped (a documentSymbol
/// answer is 125 KB; building it as a Value here would take CPU from the server on 2 cores).
#[derive(Deserialize)]
struct Frame {
    id: Option<Value>,
    method: Option<String>,
    #[serde(default)]
    params: Value,
    error: Option<Value>,
    #[serde(default)]
    #[allow(dead_code)]
    result: Option<IgnoredAny>,
}

/// A response: its id, error, the raw body (parsed only when the result is wanted), arrival time.
struct Answer {
    id: Value,
    error: Option<Value>,
    body: Vec<u8>,
    at: Instant,
}

/// A minimal LSP client whose reader thread stamps each frame as soon as it is read and answers
/// the server's requests like a plain editor (tests::LspClient stamps only when a wait pulls).
struct Client {
    child: Child,
    stdin: Arc<Mutex<ChildStdin>>,
    responses: Receiver<Answer>,
    seen: Arc<Mutex<Seen>>,
    next_id: i64,
}

fn write_frame(stdin: &Mutex<ChildStdin>, msg: &Value) -> Result<()> {
    let body = msg.to_string();
    let mut w = lock(stdin);
    w.write_all(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes())?;
    w.flush()?;
    Ok(())
}

fn read_frames(out: impl Read, stdin: Arc<Mutex<ChildStdin>>, seen: Arc<Mutex<Seen>>, tx: Sender<Answer>) {
    let mut reader = BufReader::new(out);
    loop {
        let mut len = None;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                len = v.trim().parse::<usize>().ok();
            }
        }
        let Some(len) = len else { continue };
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let now = Instant::now();
        let Ok(frame) = serde_json::from_slice::<Frame>(&body) else { continue };
        match (frame.method, frame.id) {
            (None, Some(id)) => {
                if tx.send(Answer { id, error: frame.error, body, at: now }).is_err() {
                    return;
                }
            }
            (Some(m), Some(id)) => {
                let result = match m.as_str() {
                    "workspace/configuration" => json!([]),
                    "workspace/applyEdit" => json!({"applied": false, "failureReason": "the bench applies no edits"}),
                    _ => Value::Null,
                };
                let _ = write_frame(&stdin, &json!({"jsonrpc": "2.0", "id": id, "result": result}));
            }
            (Some(m), None) => lock(&seen).notes.push((now, m, frame.params)),
            (None, None) => {}
        }
    }
}

impl Client {
    fn spawn(bin: &Path, tmp: &Path) -> Result<Client> {
        let log = std::fs::File::create(tmp.join("server.log"))?;
        let dir = |d: &str| tmp.join(d);
        let mut child = Command::new(bin)
            .arg("lsp")
            .env("CODELOOP_CACHE_DIR", dir("cache"))
            .env("CODELOOP_STATE_DIR", dir("state"))
            .env("CODELOOP_CONFIG_DIR", dir("config"))
            .env("HOME", dir("config"))
            .env("CODELOOP_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("spawn {}", bin.display()))?;
        let stdout = child.stdout.take().context("stdout")?;
        let stdin = Arc::new(Mutex::new(child.stdin.take().context("stdin")?));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (tx, responses) = mpsc::channel();
        let (s2, seen2) = (stdin.clone(), seen.clone());
        std::thread::spawn(move || read_frames(stdout, s2, seen2, tx));
        Ok(Client { child, stdin, responses, seen, next_id: 0 })
    }

    fn notify(&self, method: &str, params: Value) -> Result<()> {
        write_frame(&self.stdin, &json!({"jsonrpc": "2.0", "method": method, "params": params}))
    }

    /// Sends a request, waits for its answer; returns the round trip and the result.
    fn request(&mut self, method: &str, params: Value) -> Result<(Duration, Value)> {
        let (d, a) = self.request_raw(method, params)?;
        let msg: Value = serde_json::from_slice(&a.body)?;
        Ok((d, msg["result"].clone()))
    }

    /// Sends a request, waits for its answer; returns the round trip and the unparsed answer.
    fn request_raw(&mut self, method: &str, params: Value) -> Result<(Duration, Answer)> {
        self.next_id += 1;
        let id = self.next_id;
        let start = Instant::now();
        write_frame(&self.stdin, &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        loop {
            let a = self.responses.recv_timeout(Duration::from_secs(30)).map_err(|_| anyhow!("no answer to {method} in 30 s"))?;
            if a.id != json!(id) {
                continue;
            }
            if let Some(e) = &a.error {
                bail!("{method} failed: {e}");
            }
            return Ok((a.at.duration_since(start), a));
        }
    }

    fn count(&self, pred: impl Fn(&str, &Value) -> bool) -> usize {
        lock(&self.seen).notes.iter().filter(|(_, m, p)| pred(m, p)).count()
    }

    /// Waits until `pred` holds for at least `n` notifications.
    fn wait_count(&self, n: usize, what: &str, pred: impl Fn(&str, &Value) -> bool) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.count(&pred) < n {
            if Instant::now() > deadline {
                bail!("timed out waiting for {what}");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Stats {
    p50: Duration,
    p99: Duration,
    max: Duration,
}

fn stats(mut v: Vec<Duration>) -> Stats {
    v.sort();
    Stats { p50: percentile(&v, 50.0), p99: percentile(&v, 99.0), max: v.last().copied().unwrap_or_default() }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

/// `n` documentSymbol and `n` codeAction requests, alternating, `spacing` apart.
fn measure(c: &mut Client, uri: &str, n: u64, spacing: Duration) -> Result<(Stats, Stats)> {
    let (mut sym, mut act) = (Vec::new(), Vec::new());
    let range = json!({"start": {"line": 1000, "character": 8}, "end": {"line": 1001, "character": 0}});
    for i in 0..n {
        let (d, r) = c.request_raw("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}))?;
        if r.body.len() < 1000 {
            bail!("documentSymbol returned (almost) no symbols: {}", String::from_utf8_lossy(&r.body));
        }
        sym.push(d);
        std::thread::sleep(spacing);
        let params = json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": []}});
        let (d, r) = c.request_raw("textDocument/codeAction", params)?;
        if i == 0 && !String::from_utf8_lossy(&r.body).contains("codeloop.ask") {
            bail!("codeAction returned no agent actions: {}", String::from_utf8_lossy(&r.body));
        }
        act.push(d);
        std::thread::sleep(spacing);
    }
    Ok((stats(sym), stats(act)))
}

fn count_symbols(v: &Value) -> usize {
    v.as_array().map_or(0, |a| a.iter().map(|s| 1 + count_symbols(&s["children"])).sum())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")).unwrap_or_default()
}

fn main() -> Result<()> {
    let n = arg("--requests", 500);
    let threads = arg("--threads", 4);
    let spacing = Duration::from_millis(arg("--spacing-ms", 4));
    let (delay, words, rounds) = (arg("--delay-ms", 8), arg("--words", 250), arg("--rounds", 6));
    let load_start = loadavg();
    let tmp = std::env::temp_dir().join(format!("codeloop-resp-{}", std::process::id()));
    for d in ["ws/src", "state", "config", "cache"] {
        std::fs::create_dir_all(tmp.join(d))?;
    }
    let result = run(&tmp, n, threads, spacing, (delay, words, rounds), &load_start);
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn run(tmp: &Path, n: u64, threads: u64, spacing: Duration, (delay, words, rounds): (u64, u64, u64), load_start: &str) -> Result<()> {
    let source = bench::rust_source(2000);
    let file = tmp.join("ws/src/big.rs");
    std::fs::write(&file, &source)?;
    std::fs::write(tmp.join("ws/Cargo.toml"), "[package]\nname = \"ws\"\nversion = \"0.1.0\"\n")?;
    let script_path = tmp.join("script.json");
    std::fs::write(&script_path, script(threads, rounds, words, delay).to_string())?;

    let mut mock = Command::new(sibling_bin("MOCK_MODEL_BIN", "mock-model")?)
        .arg("--script")
        .arg(&script_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("spawn mock-model")?;
    let mut line = String::new();
    BufReader::new(mock.stdout.take().context("mock stdout")?).read_line(&mut line)?;
    let upstream = line.trim().trim_start_matches("http://").trim_end_matches("/v1").to_string();
    let sent: Sent = Arc::default();
    let port = start_proxy(upstream, sent.clone())?;
    let base_url = format!("http://127.0.0.1:{port}/v1");

    let mut c = Client::spawn(&sibling_bin("CODELOOP_BIN", "codeloop")?, tmp)?;
    let root = file_uri(&tmp.join("ws"));
    let options = json!({
        "events": true,
        "config": {
            "model": "bench", "model_provider": "mock", "approval_policy": "never",
            "model_providers": {"mock": {"name": "mock", "base_url": base_url}},
        },
    });
    let caps = json!({"window": {"workDoneProgress": true}, "general": {"positionEncodings": ["utf-16"]}});
    let init = json!({"processId": std::process::id(), "rootUri": root, "workspaceFolders": [{"uri": root, "name": "ws"}],
        "capabilities": caps, "initializationOptions": options});
    c.request("initialize", init)?;
    c.notify("initialized", json!({}))?;
    c.wait_count(1, "the initial index", |m, p| m == "$/progress" && p["token"] == "codeloop/index" && p["value"]["kind"] == "end")?;
    let uri = file_uri(&file);
    c.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": source}}))?;

    // Warm up (first parse, allocator), then idle.
    measure(&mut c, &uri, 20, spacing)?;
    let (_, symbols) = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}))?;
    let (_, actions) = c.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 1000, "character": 8}, "end": {"line": 1001, "character": 0}}, "context": {"diagnostics": []}}),
    )?;
    let answers = format!(
        "documentSymbol answer: {} symbols, {} KB; codeAction answer: {} actions, {} bytes",
        count_symbols(&symbols),
        symbols.to_string().len() / 1024,
        actions.as_array().map_or(0, Vec::len),
        actions.to_string().len()
    );
    let (idle_sym, idle_act) = measure(&mut c, &uri, n, spacing)?;

    let mut ids = Vec::new();
    for k in 0..threads {
        let prompt = format!("bench thread {k}: explain this file");
        let range = json!({"start": {"line": 10, "character": 0}, "end": {"line": 20, "character": 0}});
        let (_, r) = c.request(
            "workspace/executeCommand",
            json!({"command": "codeloop.ask", "arguments": [{"prompt": prompt, "uri": uri, "range": range}]}),
        )?;
        ids.push(r["threadId"].as_str().context("codeloop.ask: no threadId")?.to_string());
    }
    for id in &ids {
        c.wait_count(1, "a messageDelta in every thread", |m, p| {
            m == "codeloop/event" && p["type"] == "messageDelta" && p["threadId"] == *id
        })?;
    }
    let window_start = Instant::now();
    let (busy_sym, busy_act) = measure(&mut c, &uri, n, spacing)?;
    let window_end = Instant::now();
    // A quiet stretch: the turns stream on with no LSP requests (delta latency without them).
    std::thread::sleep(Duration::from_secs(2));
    let quiet_end = Instant::now();
    let _ = c.request("workspace/executeCommand", json!({"command": "codeloop.cancel", "arguments": [{}]}));
    let ended =
        |m: &str, p: &Value| m == "codeloop/event" && matches!(p["type"].as_str(), Some("turnCompleted" | "turnAborted" | "turnFailed"));
    let _ = c.wait_count(ids.len(), "the turns to end after codeloop.cancel", ended);
    let load_end = loadavg();

    // Notifications of the window, streaming check, delta latency.
    let seen = std::mem::take(&mut lock(&c.seen).notes);
    let in_window: Vec<&(Instant, String, Value)> = seen.iter().filter(|(t, _, _)| *t >= window_start && *t <= window_end).collect();
    let progress = in_window.iter().filter(|(_, m, _)| m == "$/progress").count();
    let events = in_window.iter().filter(|(_, m, _)| m == "codeloop/event").count();
    let per_thread: Vec<usize> = ids
        .iter()
        .map(|id| in_window.iter().filter(|(_, m, p)| m == "codeloop/event" && p["type"] == "messageDelta" && p["threadId"] == *id).count())
        .collect();
    let ended_in_window = seen.iter().filter(|(t, m, p)| *t <= window_end && ended(m, p)).count();
    let tool_rounds = seen.iter().filter(|(_, m, p)| m == "codeloop/event" && p["type"] == "toolCallEnd").count();
    let failures: Vec<String> = seen
        .iter()
        .filter(|(_, m, p)| m == "codeloop/event" && matches!(p["type"].as_str(), Some("turnFailed" | "error" | "streamRetry")))
        .map(|(_, _, p)| p.to_string())
        .collect();
    let sent_map = lock(&sent).clone();
    let (mut lat, mut lat_window, mut lat_quiet, mut unmatched) = (Vec::new(), Vec::new(), Vec::new(), 0usize);
    for (t, m, p) in &seen {
        if m != "codeloop/event" || p["type"] != "messageDelta" {
            continue;
        }
        match p["delta"].as_str().and_then(|d| sent_map.get(d.trim())) {
            Some(s) => {
                let d = t.saturating_duration_since(*s);
                lat.push(d);
                if *t >= window_start && *t <= window_end {
                    lat_window.push(d);
                } else if *t > window_end && *t <= quiet_end {
                    lat_quiet.push(d);
                }
            }
            None => unmatched += 1,
        }
    }
    let (n_lat, n_lat_w, n_lat_q) = (lat.len(), lat_window.len(), lat_quiet.len());
    let (lat, lat_window, lat_quiet) = (stats(lat), stats(lat_window), stats(lat_quiet));
    let streamed_in_quiet = seen.iter().filter(|(t, _, _)| *t > window_end && *t <= quiet_end).count() > 0;

    let secs = (window_end - window_start).as_secs_f64();
    println!("lsp_responsiveness: {n} documentSymbol + {n} codeAction per phase, {} ms apart, 2,000-line Rust file", spacing.as_millis());
    println!("script: {threads} threads x {rounds} rounds of {words} text deltas ({delay} ms apart) + a shell call, then a final answer");
    println!("{answers}");
    println!(
        "load average: {load_start} at start, {load_end} at end ({} cores)",
        std::thread::available_parallelism().map_or(0, |p| p.get())
    );
    println!();
    println!("| request | idle p50 | idle p99 | idle max | streaming p50 | streaming p99 | streaming max | p99 ratio |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, idle, busy) in [("documentSymbol", &idle_sym, &busy_sym), ("codeAction", &idle_act, &busy_act)] {
        let ratio = busy.p99.as_secs_f64() / idle.p99.as_secs_f64().max(1e-9);
        println!(
            "| {name} | {} | {} | {} | {} | {} | {} | {ratio:.1}x |",
            ms(idle.p50),
            ms(idle.p99),
            ms(idle.max),
            ms(busy.p50),
            ms(busy.p99),
            ms(busy.max)
        );
    }
    println!();
    println!(
        "streaming window: {secs:.1} s, {progress} $/progress ({:.0}/s), {events} codeloop/event ({:.0}/s), messageDelta per thread {per_thread:?}, turns ended before the window closed: {ended_in_window}, shell rounds (whole run): {tool_rounds}",
        progress as f64 / secs,
        events as f64 / secs
    );
    println!("delta latency, proxy wrote the SSE line -> client read the codeloop/event (ms; unmatched deltas {unmatched}):");
    println!("| deltas | n | p50 | p99 | max |");
    println!("|---|---|---|---|---|");
    for (name, k, s) in
        [("all", n_lat, &lat), ("during the request window", n_lat_w, &lat_window), ("2 s after it, no requests", n_lat_q, &lat_quiet)]
    {
        println!("| {name} | {k} | {} | {} | {} |", ms(s.p50), ms(s.p99), ms(s.max));
    }
    if !streamed_in_quiet {
        println!("(nothing streamed after the window: raise --rounds)");
    }
    let worst = busy_sym.p99.max(busy_act.p99);
    let verdict = if worst < Duration::from_millis(10) { "PASS" } else { "MISS" };
    println!("budget documentSymbol/codeAction p99 under 10 ms while {threads} turns stream: {verdict} (worst p99 {} ms)", ms(worst));
    if !failures.is_empty() {
        println!("agent failures/retries: {}", failures.join("; "));
    }
    let log = std::fs::read_to_string(tmp.join("server.log")).unwrap_or_default();
    if !log.trim().is_empty() {
        println!("server stderr (last 5 lines):");
        for l in log.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev() {
            println!("  {l}");
        }
    }
    let _ = c.request("shutdown", Value::Null);
    let _ = c.notify("exit", Value::Null);
    drop(mock.stdin.take());
    let _ = mock.wait();
    Ok(())
}
