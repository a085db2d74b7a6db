//! model-client overhead, side by side with raw reqwest in one run:
//! (a) per request: our client streaming a one-word answer to `Completed`, vs reqwest POSTing the same
//!     body and reading the whole response;
//! (b) per event: a turn of many text deltas, our typed events vs reqwest reading the same bytes;
//! (c) SSE parser throughput on an in-memory stream (no sockets).
//!
//! The response bytes come from one mock-model server (rendered by it for our exact request body),
//! then are replayed by a minimal keep-alive HTTP/1.1 server with TCP_NODELAY in this process, so that
//! neither the mock's rendering time nor its Nagle/delayed-ACK stalls (~40 ms on some reused
//! connections, the mock does not set TCP_NODELAY) are counted against either client.
//!
//! Run in release: `cargo run --release -p bench --bin model_client [-- --requests N --deltas N]`.
//! Not a timed test and not a load test: one client, sequential requests, loopback only.

use agent_protocol::ResponseItem;
use bytes::Bytes;
use futures::StreamExt;
use mock_model::{MockServer, Output, Script, Turn};
use model_client::sse::SseParser;
use model_client::{CancellationToken, ClientConfig, ModelClient, ModelRequest, ResponseEvent, WireApi};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn request() -> ModelRequest {
    ModelRequest {
        model: "bench".into(),
        instructions: "Be brief.".into(),
        input: vec![ResponseItem::user_text("hi")],
        ..ModelRequest::default()
    }
}

/// Streams one response to its end; returns the number of events.
async fn ours(client: &ModelClient) -> anyhow::Result<usize> {
    let mut stream = client.stream(&request(), CancellationToken::new())?;
    let mut n = 0;
    while let Some(item) = stream.next().await {
        match item? {
            ResponseEvent::Retrying { reason, .. } => anyhow::bail!("unexpected retry: {reason}"),
            _ => n += 1,
        }
    }
    Ok(n)
}

/// The same POST with plain reqwest, reading the body chunk by chunk; returns the body.
async fn raw(http: &reqwest::Client, url: &str, body: &Bytes) -> anyhow::Result<Vec<u8>> {
    let mut resp = http
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .body(body.clone())
        .send()
        .await?
        .error_for_status()?;
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A keep-alive HTTP/1.1 server answering every request with `body` as `text/event-stream`.
async fn replay(listener: TcpListener, body: Arc<Mutex<Bytes>>) {
    while let Ok((sock, _)) = listener.accept().await {
        let body = body.clone();
        tokio::spawn(async move {
            if let Err(e) = replay_conn(sock, body).await {
                eprintln!("replay connection: {e}");
            }
        });
    }
}

async fn replay_conn(mut sock: TcpStream, body: Arc<Mutex<Bytes>>) -> std::io::Result<()> {
    sock.set_nodelay(true)?;
    let mut buf = Vec::new();
    let mut tmp = vec![0u8; 64 * 1024];
    loop {
        let head_end = loop {
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            let n = sock.read(&mut tmp).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&tmp[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let len: usize = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
        while buf.len() < head_end + len {
            let n = sock.read(&mut tmp).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&tmp[..n]);
        }
        buf.drain(..head_end + len);
        let body = body.lock().map(|b| b.clone()).unwrap_or_default();
        let head = format!("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\n\r\n", body.len());
        sock.write_all(head.as_bytes()).await?;
        sock.write_all(&body).await?;
    }
}

fn us(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e6 / n.max(1) as f64
}

fn percentile(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    v.get(((v.len() as f64 - 1.0) * p) as usize).map_or(0.0, |d| d.as_secs_f64() * 1e6)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    // The raw reqwest client needs a process-wide crypto provider (ours passes ring explicitly).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let requests = arg("--requests", 2000);
    let deltas = arg("--deltas", 20_000);
    let words: String = (0..deltas).map(|i| format!(" w{i}")).collect();

    // 1. The mock renders both responses for our exact request body.
    let mock = MockServer::start(Script::new([Turn::message("ok"), Turn::message("ok"), Turn::new([Output::message(words)])])).await?;
    let mut provider = model_client::built_in_providers().remove("ollama").ok_or_else(|| anyhow::anyhow!("no ollama provider"))?;
    provider.base_url = Some(mock.base_url());
    provider.wire_api = WireApi::Responses;
    ours(&ModelClient::new(provider.clone(), ClientConfig::default())?).await?;
    let body = mock.model_requests().last().map(|r| r.body.clone()).unwrap_or_default();
    let http = reqwest::Client::builder().build()?;
    let mock_url = format!("{}/responses", mock.base_url());
    let small = Bytes::from(raw(&http, &mock_url, &body).await?);
    let big = Bytes::from(raw(&http, &mock_url, &body).await?);
    mock.shutdown().await;

    // 2. Both clients against the replay server.
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}/v1", listener.local_addr()?);
    let current = Arc::new(Mutex::new(small.clone()));
    tokio::spawn(replay(listener, current.clone()));
    provider.base_url = Some(base.clone());
    let client = ModelClient::new(provider, ClientConfig::default())?;
    let url = format!("{base}/responses");

    // (a) per request, interleaved so drift hits both equally.
    for _ in 0..50 {
        raw(&http, &url, &body).await?;
        ours(&client).await?;
    }
    let (mut t_ours, mut t_raw) = (Vec::with_capacity(requests), Vec::with_capacity(requests));
    for _ in 0..requests {
        let t = Instant::now();
        ours(&client).await?;
        t_ours.push(t.elapsed());
        let t = Instant::now();
        raw(&http, &url, &body).await?;
        t_raw.push(t.elapsed());
    }
    let mean = |v: &[Duration]| us(v.iter().sum(), v.len());
    let (a1, a2) = (mean(&t_ours), mean(&t_raw));
    let (m1, m2) = (percentile(&mut t_ours, 0.5), percentile(&mut t_raw, 0.5));

    // (b) per event: 3 measured rounds after one warm-up each.
    if let Ok(mut c) = current.lock() {
        *c = big.clone();
    }
    let (mut events, mut e_ours, mut e_raw) = (0, Duration::ZERO, Duration::ZERO);
    for round in 0..4 {
        let t = Instant::now();
        let n = ours(&client).await?;
        let d1 = t.elapsed();
        let t = Instant::now();
        raw(&http, &url, &body).await?;
        let d2 = t.elapsed();
        if round > 0 {
            events += n;
            e_ours += d1;
            e_raw += d2;
        }
    }

    // (c) the SSE parser on an in-memory stream of the mock's own delta events, fed in 16 KiB chunks.
    let mut sse = Vec::new();
    while sse.len() < 64 << 20 {
        sse.extend_from_slice(&big);
    }
    let mut best = Duration::MAX;
    let mut parsed = 0;
    for _ in 0..5 {
        let mut parser = SseParser::new();
        let mut out = Vec::with_capacity(1024);
        let t = Instant::now();
        parsed = 0;
        for chunk in sse.chunks(16 * 1024) {
            parser.feed(chunk, &mut out).map_err(|e| anyhow::anyhow!("event over {} bytes", e.limit))?;
            parsed += out.len();
            out.clear();
        }
        best = best.min(t.elapsed());
    }

    println!("model-client vs raw reqwest on 127.0.0.1 (release; mock-model's bytes replayed by a TCP_NODELAY server)");
    println!("| measure | ours | raw reqwest | overhead |");
    println!("|---|---|---|---|");
    println!(
        "| (a) per request ({} B response), {requests} sequential, mean / p50 µs | {a1:.1} / {m1:.1} | {a2:.1} / {m2:.1} | {:+.1} / {:+.1} µs |",
        small.len(),
        a1 - a2,
        m1 - m2
    );
    let (b1, b2) = (us(e_ours, events), us(e_raw, events));
    println!(
        "| (b) per event, {events} events ({:.1} MB) in 3 streams, µs | {b1:.3} | {b2:.3} (bytes only) | {:+.3} µs/event; ours {:.2} M events/s |",
        3.0 * big.len() as f64 / 1e6,
        b1 - b2,
        events as f64 / e_ours.as_secs_f64() / 1e6
    );
    println!(
        "| (c) SSE parser, {:.0} MB in 16 KiB chunks, {parsed} events | {:.0} MB/s | | {:.0} ns/event |",
        sse.len() as f64 / 1e6,
        sse.len() as f64 / 1e6 / best.as_secs_f64(),
        best.as_secs_f64() * 1e9 / parsed.max(1) as f64
    );
    Ok(())
}
