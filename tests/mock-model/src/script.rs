//! The script a `MockServer` plays: an ordered list of turns, each describing one model response at the
//! semantic level (messages, reasoning, tool calls, usage, how the stream ends, which faults to inject).
//!
//! This is data only, (de)serialized from JSON files and built with small Rust constructors. It deliberately
//! knows nothing about either wire dialect: `render` turns a `Turn` into Responses or Chat Completions bytes.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// An ordered list of turns. Each POST to `/v1/responses`, `/v1/chat/completions` or
/// `/v1/responses/compact` consumes the next turn (a turn with `repeat: N` is served N times).
///
/// JSON form: either `{"turns": [...]}` or a bare array of turns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "ScriptRepr")]
pub struct Script {
    pub turns: Vec<Turn>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ScriptRepr {
    List(Vec<Turn>),
    Object { turns: Vec<Turn> },
}

impl From<ScriptRepr> for Script {
    fn from(repr: ScriptRepr) -> Script {
        match repr {
            ScriptRepr::List(turns) | ScriptRepr::Object { turns } => Script { turns },
        }
    }
}

impl Script {
    pub fn new(turns: impl IntoIterator<Item = Turn>) -> Script {
        Script { turns: turns.into_iter().collect() }
    }

    pub fn from_json(text: &str) -> serde_json::Result<Script> {
        serde_json::from_str(text)
    }

    /// Reads a script from a JSON file.
    pub fn load(path: &Path) -> crate::Result<Script> {
        let text = std::fs::read_to_string(path).map_err(|source| crate::Error::ReadScript { path: path.to_owned(), source })?;
        Script::from_json(&text).map_err(|source| crate::Error::ParseScript { path: path.to_owned(), source })
    }

    /// How many model requests the script can answer before it is exhausted.
    pub fn len_served(&self) -> usize {
        self.turns.iter().map(|turn| turn.repeat).sum()
    }
}

/// One scripted model response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    #[serde(default)]
    pub outputs: Vec<Output>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub end: End,
    /// Extra response headers, sent on streams and on status faults alike.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub response_headers: BTreeMap<String, String>,
    #[serde(default)]
    pub faults: Faults,
    /// Serve this turn N times in a row (benchmarks with N tool rounds). `{n}` in a call id is replaced
    /// by the 0-based repetition index so repeated calls keep distinct ids.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub repeat: usize,
    /// Chat dialect only: the delta field carrying reasoning text.
    #[serde(default)]
    pub chat_reasoning_field: ChatReasoningField,
    /// Escape hatch: serve these bytes verbatim as the `text/event-stream` body (outputs, usage and end are
    /// ignored; latency, status, chunk_size, disconnect and hang faults still apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_sse: Option<String>,
}

fn one() -> usize {
    1
}

fn is_one(n: &usize) -> bool {
    *n == 1
}

impl Default for Turn {
    fn default() -> Turn {
        Turn {
            outputs: Vec::new(),
            usage: None,
            end: End::Completed,
            response_headers: BTreeMap::new(),
            faults: Faults::default(),
            repeat: 1,
            chat_reasoning_field: ChatReasoningField::ReasoningContent,
            raw_sse: None,
        }
    }
}

impl Turn {
    pub fn new(outputs: impl IntoIterator<Item = Output>) -> Turn {
        Turn { outputs: outputs.into_iter().collect(), ..Turn::default() }
    }

    /// A turn answering with one assistant message.
    pub fn message(text: impl Into<String>) -> Turn {
        Turn::new([Output::message(text)])
    }

    /// A turn calling one function tool.
    pub fn function_call(name: impl Into<String>, call_id: impl Into<String>, arguments: impl Into<String>) -> Turn {
        Turn::new([Output::function_call(name, call_id, arguments)])
    }

    /// A turn calling one freeform (custom) tool.
    pub fn custom_tool_call(name: impl Into<String>, call_id: impl Into<String>, input: impl Into<String>) -> Turn {
        Turn::new([Output::custom_tool_call(name, call_id, input)])
    }

    /// A turn whose body is served verbatim.
    pub fn raw_sse(body: impl Into<String>) -> Turn {
        Turn { raw_sse: Some(body.into()), ..Turn::default() }
    }

    /// A turn answered by an HTTP error status instead of a stream.
    pub fn status(code: u16, body: serde_json::Value) -> Turn {
        Turn::default().faults(Faults { status: Some(StatusFault { code, body: Some(body), retry_after: None }), ..Faults::default() })
    }

    pub fn with(mut self, output: Output) -> Turn {
        self.outputs.push(output);
        self
    }

    pub fn usage(mut self, usage: Usage) -> Turn {
        self.usage = Some(usage);
        self
    }

    pub fn end(mut self, end: End) -> Turn {
        self.end = end;
        self
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Turn {
        self.response_headers.insert(name.into(), value.into());
        self
    }

    pub fn faults(mut self, faults: Faults) -> Turn {
        self.faults = faults;
        self
    }

    pub fn repeat(mut self, n: usize) -> Turn {
        self.repeat = n;
        self
    }
}

/// One output item of a turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Output {
    Message {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phase: Option<Phase>,
    },
    Reasoning {
        #[serde(default)]
        summary: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encrypted_content: Option<String>,
    },
    FunctionCall {
        name: String,
        call_id: String,
        arguments: String,
    },
    CustomToolCall {
        name: String,
        call_id: String,
        input: String,
    },
    /// A remote-compaction item (`{"type":"compaction","encrypted_content"}`); Responses dialect only.
    Compaction {
        encrypted_content: String,
    },
}

impl Output {
    pub fn message(text: impl Into<String>) -> Output {
        Output::Message { text: text.into(), phase: None }
    }

    pub fn commentary(text: impl Into<String>) -> Output {
        Output::Message { text: text.into(), phase: Some(Phase::Commentary) }
    }

    pub fn final_answer(text: impl Into<String>) -> Output {
        Output::Message { text: text.into(), phase: Some(Phase::FinalAnswer) }
    }

    pub fn reasoning<S: Into<String>>(summary: impl IntoIterator<Item = S>) -> Output {
        Output::Reasoning { summary: summary.into_iter().map(Into::into).collect(), encrypted_content: None }
    }

    pub fn function_call(name: impl Into<String>, call_id: impl Into<String>, arguments: impl Into<String>) -> Output {
        Output::FunctionCall { name: name.into(), call_id: call_id.into(), arguments: arguments.into() }
    }

    pub fn custom_tool_call(name: impl Into<String>, call_id: impl Into<String>, input: impl Into<String>) -> Output {
        Output::CustomToolCall { name: name.into(), call_id: call_id.into(), input: input.into() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Commentary,
    FinalAnswer,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Commentary => "commentary",
            Phase::FinalAnswer => "final_answer",
        }
    }
}

/// Token usage reported at the end of the stream; all zero when a turn gives none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Usage {
    pub input_tokens: u64,
    pub cached_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_tokens: u64,
}

/// How the stream ends. JSON: `"completed"`, `"eof"`, `{"failed": {"code", "message"}}`,
/// `{"incomplete": {"reason"}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum End {
    #[default]
    Completed,
    Failed {
        code: String,
        message: String,
    },
    Incomplete {
        reason: String,
    },
    /// The body ends cleanly but without any completion event (nor `[DONE]` in chat).
    Eof,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatReasoningField {
    /// `delta.reasoning_content` (DeepSeek, vLLM).
    #[default]
    ReasoningContent,
    /// `delta.reasoning` (Ollama, OpenRouter).
    Reasoning,
}

impl ChatReasoningField {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatReasoningField::ReasoningContent => "reasoning_content",
            ChatReasoningField::Reasoning => "reasoning",
        }
    }
}

/// Wire faults injected into one turn's response. All optional; the default is a clean, prompt stream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Answer with this HTTP status instead of a stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<StatusFault>,
    /// Delay before the response headers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Delay between events (between chunks when `chunk_size` is set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_delay_ms: Option<u64>,
    /// Split the body into writes of N bytes, each its own HTTP chunk, flushed separately.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chunk_size: Option<usize>,
    /// Use `\r\n` line endings.
    #[serde(skip_serializing_if = "is_false")]
    pub crlf: bool,
    /// Start every event block with a `: keep-alive` comment line.
    #[serde(skip_serializing_if = "is_false")]
    pub comments: bool,
    /// Pretty-print each data JSON across several `data:` lines (SSE joins them with `\n`).
    #[serde(skip_serializing_if = "is_false")]
    pub multiline_data: bool,
    /// Abort the connection (no terminating chunk) after N events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disconnect_after_events: Option<usize>,
    /// Send N events, then keep the connection open without sending anything more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hang_after_events: Option<usize>,
    /// Insert an event whose data is invalid JSON at 0-based event position N.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub malformed_event_at: Option<usize>,
    /// Append one more assistant message whose N-byte text arrives as a single delta.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub huge_delta_bytes: Option<usize>,
    /// Split every text, summary, argument and input into N deltas (default: word-ish pieces).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delta_pieces: Option<usize>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// An HTTP error answer. `body` is sent as JSON, or verbatim as text/plain when it is a JSON string;
/// without a body an OpenAI-style `{"error": {...}}` is generated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusFault {
    pub code: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// Value of the `Retry-After` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let script = Script::from_json(
            r#"{"turns": [
              {"outputs": [
                 {"message": {"text": "hi", "phase": "commentary"}},
                 {"reasoning": {"summary": ["s"], "encrypted_content": "enc"}},
                 {"function_call": {"name": "shell", "call_id": "c1", "arguments": "{}"}},
                 {"custom_tool_call": {"name": "apply_patch", "call_id": "c2", "input": "*** Begin Patch"}},
                 {"compaction": {"encrypted_content": "cmp"}}
               ],
               "usage": {"input_tokens": 1, "cached_tokens": 2, "output_tokens": 3, "reasoning_tokens": 4},
               "end": {"failed": {"code": "rate_limit_exceeded", "message": "slow down"}},
               "response_headers": {"x-codex-primary-used-percent": "12"},
               "repeat": 3,
               "chat_reasoning_field": "reasoning",
               "faults": {"status": {"code": 429, "body": "busy", "retry_after": "2"}, "latency_ms": 1,
                          "event_delay_ms": 2, "chunk_size": 7, "crlf": true, "comments": true,
                          "multiline_data": true, "disconnect_after_events": 4, "hang_after_events": 5,
                          "malformed_event_at": 6, "huge_delta_bytes": 8, "delta_pieces": 9}},
              {"end": "eof"},
              {"end": {"incomplete": {"reason": "max_output_tokens"}}},
              {"raw_sse": "data: x\n\n"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(script.turns.len(), 4);
        assert_eq!(script.len_served(), 6);
        assert_eq!(script.turns[0].outputs[0], Output::commentary("hi"));
        assert_eq!(script.turns[0].faults.chunk_size, Some(7));
        assert_eq!(script.turns[1].end, End::Eof);
        let bare = Script::from_json(r#"[{"outputs": [{"message": {"text": "x"}}]}]"#).unwrap();
        assert_eq!(bare, Script::new([Turn::message("x")]));
        let round_trip = Script::from_json(&serde_json::to_string(&script).unwrap()).unwrap();
        assert_eq!(round_trip, script);
    }

    #[test]
    fn rejects_unknown_keys() {
        assert!(Script::from_json(r#"[{"outputz": []}]"#).is_err());
        assert!(Script::from_json(r#"[{"faults": {"chunk": 3}}]"#).is_err());
    }
}
