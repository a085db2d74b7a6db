//! Test-side wire tools, independent of the crate under test: a raw HTTP/1.1 client over a TcpStream that
//! keeps chunked-encoding chunk boundaries visible, and a small spec-following SSE parser.
//!
//! Deliberately hand-rolled rather than shared with the server code, so a framing bug in one is not
//! mirrored in the other.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub const TIMEOUT: Duration = Duration::from_secs(10);

/// One HTTP/1.1 connection, used request by request.
pub struct Conn {
    stream: BufReader<TcpStream>,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Body chunks exactly as framed by chunked transfer encoding (one entry for a Content-Length body).
    pub chunks: Vec<Vec<u8>>,
    /// False when the connection ended before the terminating chunk.
    pub complete: bool,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.chunks.concat()).unwrap()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text()).unwrap()
    }

    pub fn events(&self) -> Vec<Event> {
        parse_sse(&self.text())
    }
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> Conn {
        Conn { stream: BufReader::new(TcpStream::connect(addr).await.unwrap()) }
    }

    pub async fn send(&mut self, method: &str, path: &str, body: &str) {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nx-test: yes\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.get_mut().write_all(request.as_bytes()).await.unwrap();
    }

    /// Reads the status line and headers.
    pub async fn head(&mut self) -> (u16, Vec<(String, String)>) {
        let status_line = self.line().await.expect("status line");
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            let line = self.line().await.expect("header line");
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
        (status, headers)
    }

    /// The next chunk of a chunked body: `Ok(None)` at the terminating chunk, `Err` when the peer closed.
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>, String> {
        let size_line = self.line().await.ok_or("eof before chunk size")?;
        let size = usize::from_str_radix(size_line.trim(), 16).map_err(|e| format!("bad chunk size {size_line:?}: {e}"))?;
        let mut data = vec![0; size];
        self.stream.read_exact(&mut data).await.map_err(|e| e.to_string())?;
        let crlf = self.line().await.ok_or("eof after chunk")?;
        assert!(crlf.is_empty(), "chunk not followed by CRLF");
        Ok(if size == 0 { None } else { Some(data) })
    }

    /// Reads one whole reply (status, headers, body).
    pub async fn reply(&mut self) -> Reply {
        let (status, headers) = self.head().await;
        let get = |name: &str| headers.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
        let mut chunks = Vec::new();
        let mut complete = true;
        if get("transfer-encoding").as_deref() == Some("chunked") {
            loop {
                match self.chunk().await {
                    Ok(Some(chunk)) => chunks.push(chunk),
                    Ok(None) => break,
                    Err(_) => {
                        complete = false;
                        break;
                    }
                }
            }
        } else {
            let len: usize = get("content-length").unwrap().parse().unwrap();
            let mut body = vec![0; len];
            self.stream.read_exact(&mut body).await.unwrap();
            chunks.push(body);
        }
        Reply { status, headers, chunks, complete }
    }

    async fn line(&mut self) -> Option<String> {
        let mut line = String::new();
        let n = self.stream.read_line(&mut line).await.ok()?;
        if n == 0 {
            return None;
        }
        Some(line.trim_end_matches(['\r', '\n']).to_owned())
    }

    /// True when the peer has closed the connection (the next read returns EOF).
    pub async fn at_eof(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.stream.read(&mut byte).await, Ok(0) | Err(_))
    }
}

/// One request on a fresh connection.
pub async fn post(addr: SocketAddr, path: &str, body: &str) -> Reply {
    let mut conn = Conn::connect(addr).await;
    conn.send("POST", path, body).await;
    tokio::time::timeout(TIMEOUT, conn.reply()).await.expect("reply in time")
}

pub async fn responses(addr: SocketAddr) -> Reply {
    post(addr, "/v1/responses", r#"{"model":"gpt-test","input":[],"stream":true}"#).await
}

pub async fn chat(addr: SocketAddr, include_usage: bool) -> Reply {
    let body = serde_json::json!({"model": "gpt-test", "messages": [], "stream": true, "stream_options": {"include_usage": include_usage}});
    post(addr, "/v1/chat/completions", &body.to_string()).await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub event: Option<String>,
    pub data: String,
}

impl Event {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("event data is not JSON ({e}): {}", self.data))
    }
}

/// Parses an SSE stream per the WHATWG algorithm: lines end in CRLF, LF or CR; `:` starts a comment;
/// `data` lines join with `\n`; a blank line dispatches the event if it has data.
pub fn parse_sse(text: &str) -> Vec<Event> {
    let mut events = Vec::new();
    let (mut name, mut data): (Option<String>, Option<String>) = (None, None);
    for line in text.replace("\r\n", "\n").replace('\r', "\n").split('\n') {
        if line.is_empty() {
            if let Some(data) = data.take() {
                events.push(Event { event: name.take(), data });
            }
            name = None;
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => name = Some(value.to_owned()),
            "data" => match &mut data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => data = Some(value.to_owned()),
            },
            _ => {}
        }
    }
    events
}

/// The `type` of each Responses event, checking it equals the `event:` name and that sequence numbers count up.
pub fn event_types(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            let data = event.json();
            let kind = data["type"].as_str().unwrap().to_owned();
            assert_eq!(event.event.as_deref(), Some(kind.as_str()));
            assert_eq!(data["sequence_number"], i, "sequence_number of {kind}");
            kind
        })
        .collect()
}
