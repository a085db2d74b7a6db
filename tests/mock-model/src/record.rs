//! What the mock server remembers: every request it received and every TCP connection it accepted.
//!
//! Plain data with convenience accessors for test assertions. It deliberately does not interpret a
//! request beyond JSON parsing: checking what a client sent is the test's job.

use std::time::Instant;

use bytes::Bytes;
use serde_json::Value;

/// One HTTP request as it arrived, recorded whether or not it was valid.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Header names are lowercase; repeated headers appear once per value, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub connection_id: usize,
    pub received: Instant,
}

impl RecordedRequest {
    /// The body as JSON, or `Value::Null` when it is not valid JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// `body.input` for a Responses request, `body.messages` for a chat request; empty otherwise.
    pub fn input(&self) -> Vec<Value> {
        let body = self.json();
        let items = if self.path.ends_with("/chat/completions") { &body["messages"] } else { &body["input"] };
        items.as_array().cloned().unwrap_or_default()
    }

    /// Whether this request asked for a model turn (Responses, chat, or compaction), valid or not.
    pub fn is_model_call(&self) -> bool {
        self.method == "POST" && matches!(self.path.as_str(), "/v1/responses" | "/v1/chat/completions" | "/v1/responses/compact")
    }

    /// The `output` of the `function_call_output` or `custom_tool_call_output` item answering `call_id`.
    pub fn tool_output(&self, call_id: &str) -> Option<Value> {
        self.input().into_iter().find_map(|item| {
            let kind = item["type"].as_str()?;
            let answers = matches!(kind, "function_call_output" | "custom_tool_call_output") && item["call_id"] == call_id;
            answers.then(|| item["output"].clone())
        })
    }
}

/// One accepted TCP connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRecord {
    /// 0-based, in accept order.
    pub id: usize,
    pub opened: Instant,
    /// When the connection ended (peer close, abort fault, or server shutdown).
    pub closed: Option<Instant>,
    /// Requests served on this connection so far (more than one means keep-alive reuse).
    pub requests: usize,
}
