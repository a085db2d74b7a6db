//! The guard between the real stdio pipes and tower-lsp's transport.
//!
//! tower-lsp 0.20 stops reading for good after the first frame it cannot decode (tokio-util's
//! `FramedRead` ends the stream after a decoder error), so one malformed message would end the
//! session. This guard frames and validates every incoming message itself and forwards only
//! well-formed JSON-RPC to tower-lsp; everything else gets a JSON-RPC error response written
//! here and the session goes on. It also normalises `"params": null` (sent by pygls and
//! lsp4j, rejected by tower-lsp) and ends the process on `exit` or end of input, which
//! tower-lsp 0.20 does not do reliably (ebkalderon/tower-lsp#399).
//!
//! It is deliberately not an LSP implementation: it knows framing and JSON-RPC shape only.
//! Every byte written to stdout goes through one writer, whole frames at a time.

use serde_json::{json, Map, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

/// Largest body accepted; larger messages are skipped with an error response.
pub const MAX_BODY_BYTES: usize = 512 * 1024 * 1024;
/// Largest header block; garbage without a header end is skipped past this.
const MAX_HEADER_BYTES: usize = 8 * 1024;

/// JSON-RPC error codes used by the guard.
pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;

pub enum OutFrame {
    Body(Vec<u8>),
    Flush(oneshot::Sender<()>),
}

/// How the session ended, for the process exit code.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Ending {
    /// `exit` after `shutdown`: exit code 0.
    Clean,
    /// `exit` without `shutdown`, or the input closed: exit code 1 (LSP specification).
    Abrupt,
}

/// One frame read from the input: a body, or a framing error to report.
enum Frame {
    Body(Vec<u8>),
    Error(String),
    Eof,
}

struct FrameReader<R> {
    input: R,
    buf: Vec<u8>,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    fn new(input: R) -> Self {
        FrameReader { input, buf: Vec::with_capacity(64 * 1024) }
    }

    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 64 * 1024];
        match self.input.read(&mut chunk).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// Drops bytes up to the next `Content-Length` so the stream can resynchronise.
    fn resync(&mut self) {
        match find(&self.buf[1.min(self.buf.len())..], b"Content-Length") {
            Some(i) => {
                self.buf.drain(..i + 1);
            }
            None => {
                let keep = self.buf.len().saturating_sub(16);
                self.buf.drain(..keep);
            }
        }
    }

    async fn next(&mut self) -> Frame {
        loop {
            let Some(end) = find(&self.buf, b"\r\n\r\n") else {
                if self.buf.len() > MAX_HEADER_BYTES {
                    self.resync();
                    return Frame::Error("malformed message header: no end of headers".into());
                }
                if !self.fill().await {
                    return Frame::Eof;
                }
                continue;
            };
            let header = String::from_utf8_lossy(&self.buf[..end]).into_owned();
            let len = match content_length(&header) {
                Ok(len) => len,
                Err(e) => {
                    // Drop the bad header block; if a `Content-Length` starts inside it after
                    // some garbage, keep that part: it may begin a good message.
                    match find(&self.buf[1..end], b"Content-Length") {
                        Some(i) => drop(self.buf.drain(..i + 1)),
                        None => drop(self.buf.drain(..end + 4)),
                    }
                    return Frame::Error(e);
                }
            };
            self.buf.drain(..end + 4);
            if len > MAX_BODY_BYTES {
                let mut left = len;
                while left > 0 {
                    if self.buf.is_empty() && !self.fill().await {
                        return Frame::Eof;
                    }
                    let n = left.min(self.buf.len());
                    self.buf.drain(..n);
                    left -= n;
                }
                return Frame::Error(format!("message of {len} bytes exceeds the limit of {MAX_BODY_BYTES}"));
            }
            while self.buf.len() < len {
                if !self.fill().await {
                    return Frame::Eof;
                }
            }
            let body: Vec<u8> = self.buf.drain(..len).collect();
            return Frame::Body(body);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn content_length(header: &str) -> Result<usize, String> {
    let mut len = None;
    for line in header.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("malformed header line {line:?}"));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            len = Some(value.trim().parse::<usize>().map_err(|_| format!("invalid Content-Length {:?}", value.trim()))?);
        }
    }
    len.ok_or_else(|| "missing Content-Length header".to_string())
}

pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

fn error_body(id: Value, code: i64, message: &str) -> Vec<u8> {
    let v = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
    v.to_string().into_bytes()
}

/// What the guard decided about one well-framed body.
#[derive(Debug, PartialEq)]
pub enum Checked {
    /// Forward as is.
    Forward,
    /// Forward this normalised message instead.
    Rewrite(Value),
    /// Answer with this error; do not forward.
    Reject { id: Value, code: i64, message: String },
}

fn valid_id(id: &Value) -> bool {
    id.is_string() || id.is_i64() || id.is_null()
}

/// Checks that a body is a JSON-RPC 2.0 message tower-lsp can decode.
pub fn check(body: &[u8]) -> (Checked, Option<Value>) {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            let message = format!("parse error: {e}");
            return (Checked::Reject { id: Value::Null, code: PARSE_ERROR, message }, None);
        }
    };
    let reject = |id: Value, message: &str| Checked::Reject { id, code: INVALID_REQUEST, message: message.to_string() };
    let Value::Object(mut obj) = value else {
        let message = "invalid request: a message must be a JSON object (batches are not supported by LSP)";
        return (reject(Value::Null, message), None);
    };
    let id = obj.get("id").cloned();
    let reply_id = id.clone().filter(valid_id).unwrap_or(Value::Null);
    if obj.get("jsonrpc") != Some(&Value::String("2.0".into())) {
        return (reject(reply_id, "invalid request: \"jsonrpc\" must be \"2.0\""), None);
    }
    if let Some(id) = &id {
        if !valid_id(id) {
            return (reject(Value::Null, "invalid request: \"id\" must be an integer or a string"), None);
        }
    }
    if let Some(method) = obj.get("method") {
        if !method.is_string() {
            return (reject(reply_id, "invalid request: \"method\" must be a string"), None);
        }
        let method = method.as_str().map(str::to_owned);
        match obj.get("params") {
            None | Some(Value::Object(_)) | Some(Value::Array(_)) => {}
            Some(Value::Null) => {
                obj.remove("params");
                return (Checked::Rewrite(Value::Object(obj)), method.map(Value::String));
            }
            Some(_) => return (reject(reply_id, "invalid request: \"params\" must be an object or an array"), None),
        }
        return (Checked::Forward, method.map(Value::String));
    }
    if id.is_some() && (obj.contains_key("result") || obj.contains_key("error")) {
        if let Some(err) = obj.get("error") {
            let ok = err.get("code").is_some_and(Value::is_i64) && err.get("message").is_some_and(Value::is_string);
            if !ok {
                let fixed = json!({"code": -32603, "message": format!("malformed error from client: {err}")});
                let mut m = Map::new();
                m.insert("jsonrpc".into(), json!("2.0"));
                m.insert("id".into(), reply_id);
                m.insert("error".into(), fixed);
                return (Checked::Rewrite(Value::Object(m)), None);
            }
        }
        return (Checked::Forward, None);
    }
    (reject(reply_id, "invalid request: neither a request, a notification nor a response"), None)
}

/// Pumps the real input into tower-lsp's input pipe, answering bad frames itself.
/// Returns how the session ended.
pub async fn pump_input<R, W>(input: R, mut to_server: W, out: mpsc::UnboundedSender<OutFrame>) -> Ending
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut shutdown_seen = false;
    let mut reader = FrameReader::new(input);
    loop {
        let body = match reader.next().await {
            Frame::Eof => return Ending::Abrupt,
            Frame::Error(message) => {
                tracing::warn!(%message, "bad frame from client");
                let _ = out.send(OutFrame::Body(error_body(Value::Null, PARSE_ERROR, &message)));
                continue;
            }
            Frame::Body(b) => b,
        };
        let (checked, method) = check(&body);
        let method = method.as_ref().and_then(Value::as_str).unwrap_or("");
        if method == "shutdown" {
            shutdown_seen = true;
        }
        if method == "exit" {
            return if shutdown_seen { Ending::Clean } else { Ending::Abrupt };
        }
        let forward = match checked {
            Checked::Forward => body,
            Checked::Rewrite(v) => v.to_string().into_bytes(),
            Checked::Reject { id, code, message } => {
                tracing::warn!(%message, "rejected message from client");
                let _ = out.send(OutFrame::Body(error_body(id, code, &message)));
                continue;
            }
        };
        if to_server.write_all(&frame(&forward)).await.is_err() || to_server.flush().await.is_err() {
            return Ending::Abrupt;
        }
    }
}

/// Re-frames tower-lsp's output so that whole messages reach the single writer.
pub async fn pump_output<R: AsyncRead + Unpin>(from_server: R, out: mpsc::UnboundedSender<OutFrame>) {
    let mut reader = FrameReader::new(from_server);
    loop {
        match reader.next().await {
            Frame::Body(b) => {
                if out.send(OutFrame::Body(b)).is_err() {
                    return;
                }
            }
            Frame::Error(message) => {
                stdx::never!(true, "tower-lsp wrote a malformed frame: {message}");
            }
            Frame::Eof => return,
        }
    }
}

/// The one writer of stdout.
pub async fn write_output<W: AsyncWrite + Unpin>(mut stdout: W, mut rx: mpsc::UnboundedReceiver<OutFrame>) {
    while let Some(f) = rx.recv().await {
        match f {
            OutFrame::Body(b) => {
                if stdout.write_all(&frame(&b)).await.is_err() {
                    return;
                }
                // Flush only when no more frames are queued, to batch bursts.
                if rx.is_empty() && stdout.flush().await.is_err() {
                    return;
                }
            }
            OutFrame::Flush(done) => {
                let _ = stdout.flush().await;
                let _ = done.send(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(body: &str) -> Option<i64> {
        match check(body.as_bytes()).0 {
            Checked::Reject { code, .. } => Some(code),
            _ => None,
        }
    }

    #[test]
    fn rejects_malformed_messages() {
        assert_eq!(code("{not json"), Some(PARSE_ERROR));
        assert_eq!(code("[1,2]"), Some(INVALID_REQUEST));
        assert_eq!(code(r#"{"jsonrpc":"1.0","id":1,"method":"x"}"#), Some(INVALID_REQUEST));
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#), Some(INVALID_REQUEST));
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":1,"method":7}"#), Some(INVALID_REQUEST));
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":1,"method":"x","params":3}"#), Some(INVALID_REQUEST));
        assert_eq!(code(r#"{"jsonrpc":"2.0"}"#), Some(INVALID_REQUEST));
        assert_eq!(code(r#"{"jsonrpc":"2.0","id":1,"method":"x","params":{}}"#), None);
    }

    #[test]
    fn null_params_are_removed() {
        let (c, m) = check(br#"{"jsonrpc":"2.0","id":1,"method":"shutdown","params":null}"#);
        assert_eq!(c, Checked::Rewrite(json!({"jsonrpc":"2.0","id":1,"method":"shutdown"})));
        assert_eq!(m, Some(json!("shutdown")));
    }

    #[tokio::test]
    async fn reader_resyncs_after_garbage() {
        let input = b"garbage\r\n\r\nContent-Length: 2\r\n\r\n{}Content-Length: x\r\n\r\nContent-Length: 3\r\n\r\n[1]junk Content-Length: 1\r\n\r\n7".to_vec();
        let mut r = FrameReader::new(&input[..]);
        let mut seen = vec![];
        loop {
            match r.next().await {
                Frame::Eof => break,
                Frame::Error(e) => seen.push(format!("E:{e}")),
                Frame::Body(b) => seen.push(String::from_utf8_lossy(&b).into_owned()),
            }
        }
        assert_eq!(
            seen,
            vec![
                "E:malformed header line \"garbage\"".to_string(),
                "{}".into(),
                "E:invalid Content-Length \"x\"".into(),
                "[1]".into(),
                "E:missing Content-Length header".into(),
                "7".into(),
            ]
        );
    }
}
