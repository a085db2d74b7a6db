//! The Responses API stream: SSE events (`data: {"type": "response.…", …}`) into `ResponseEvent`s.
//!
//! As Codex does, function-call arguments are read only from `response.output_item.done`
//! (`response.function_call_arguments.delta` is ignored), event types this build does not know are
//! skipped at trace level, and the stream ends at `response.completed`, `response.failed` or
//! `response.incomplete`. Events are recognised by the `type` in their data, not the SSE `event:`
//! field.
//!
//! Malformed events: data that is not JSON, or a known event type whose fields do not parse, is a
//! `MalformedEvent` error. It ends the attempt and is retried as a broken stream, because a lost
//! `output_item.done` would otherwise silently drop a tool call.
//!
//! Not here: HTTP, retries, idle timeouts (`stream.rs`).

use crate::error::ModelError;
use crate::event::ResponseEvent;
use crate::http_error::ErrorObject;
use crate::sse::SseEvent;
use agent_protocol::{ResponseItem, TokenUsage};
use serde::Deserialize;
use serde_json::Value;

/// What the stream driver should do after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    /// `Completed` was pushed: the response is over.
    Completed,
}

#[derive(Debug, Default)]
pub(crate) struct ResponsesDecoder {
    events: u64,
}

#[derive(Deserialize)]
struct RawEvent {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    response: Option<Value>,
    #[serde(default)]
    item: Option<Value>,
    #[serde(default)]
    delta: Option<String>,
    #[serde(default)]
    summary_index: Option<u64>,
    #[serde(default)]
    content_index: Option<u64>,
    #[serde(default)]
    call_id: Option<String>,
    #[serde(default)]
    item_id: Option<String>,
}

#[derive(Deserialize)]
struct TypeOnly {
    #[serde(rename = "type")]
    kind: String,
}

const KNOWN: &[&str] = &[
    "response.created",
    "response.output_item.added",
    "response.output_item.done",
    "response.output_text.delta",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_part.added",
    "response.reasoning_text.delta",
    "response.custom_tool_call_input.delta",
    "response.completed",
    "response.failed",
    "response.incomplete",
    "error",
];

impl ResponsesDecoder {
    pub fn on_event(&mut self, sse: &SseEvent, out: &mut Vec<ResponseEvent>) -> Result<Flow, ModelError> {
        self.events += 1;
        let raw: RawEvent = match serde_json::from_str(&sse.data) {
            Ok(raw) => raw,
            Err(err) => {
                // Unknown event types may carry fields of other shapes: only known ones must parse.
                return match serde_json::from_str::<TypeOnly>(&sse.data) {
                    Ok(t) if !KNOWN.contains(&t.kind.as_str()) => {
                        tracing::trace!(event_type = %t.kind, "skipping unknown SSE event");
                        Ok(Flow::Continue)
                    }
                    Ok(t) => Err(malformed(&t.kind, err)),
                    Err(_) => Err(malformed(&sse.event, err)),
                };
            }
        };
        let delta = |raw: &mut RawEvent| raw.delta.take().ok_or_else(|| missing(&raw.kind, "delta"));
        let mut raw = raw;
        match raw.kind.as_str() {
            "response.created" => {
                let response_id = raw.response.as_ref().and_then(|r| r.get("id")).and_then(Value::as_str).map(str::to_string);
                out.push(ResponseEvent::Created { response_id });
            }
            "response.output_item.added" | "response.output_item.done" => {
                let item = raw.item.take().ok_or_else(|| missing(&raw.kind, "item"))?;
                let item: ResponseItem = serde_json::from_value(item).map_err(|e| malformed(&raw.kind, e))?;
                if item == ResponseItem::Other {
                    tracing::trace!(event_type = %raw.kind, "skipping an output item of an unknown type");
                } else if raw.kind == "response.output_item.added" {
                    out.push(ResponseEvent::OutputItemAdded(item));
                } else {
                    out.push(ResponseEvent::OutputItemDone(item));
                }
            }
            "response.output_text.delta" => out.push(ResponseEvent::OutputTextDelta { delta: delta(&mut raw)? }),
            "response.reasoning_summary_text.delta" => {
                let delta = delta(&mut raw)?;
                out.push(ResponseEvent::ReasoningSummaryDelta { delta, summary_index: raw.summary_index.unwrap_or(0) });
            }
            "response.reasoning_summary_part.added" => {
                out.push(ResponseEvent::ReasoningSummaryPartAdded { summary_index: raw.summary_index.unwrap_or(0) });
            }
            "response.reasoning_text.delta" => {
                let delta = delta(&mut raw)?;
                out.push(ResponseEvent::ReasoningContentDelta { delta, content_index: raw.content_index.unwrap_or(0) });
            }
            "response.custom_tool_call_input.delta" => {
                let delta = delta(&mut raw)?;
                let call_id = raw.call_id.take().or(raw.item_id.take()).unwrap_or_default();
                out.push(ResponseEvent::CustomToolCallInputDelta { call_id, delta });
            }
            "response.completed" => {
                let response = raw.response.ok_or_else(|| missing("response.completed", "response"))?;
                let response_id = response.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
                let usage = response.get("usage").filter(|u| !u.is_null()).map(usage_from_value);
                out.push(ResponseEvent::Completed { response_id, usage });
                return Ok(Flow::Completed);
            }
            "response.failed" => {
                let error = raw.response.as_ref().and_then(|r| r.get("error")).filter(|e| !e.is_null());
                return Err(match error {
                    Some(e) => ErrorObject::from_value(e).into_stream_error(),
                    None => {
                        ModelError::ResponseFailed { code: None, message: "response.failed without an error".into(), retry_after: None }
                    }
                });
            }
            "response.incomplete" => {
                let reason = raw
                    .response
                    .as_ref()
                    .and_then(|r| r.pointer("/incomplete_details/reason"))
                    .and_then(Value::as_str)
                    .unwrap_or("unknown");
                return Err(ModelError::Incomplete { reason: reason.to_string() });
            }
            "error" => {
                let v: Value = serde_json::from_str(&sse.data).map_err(|e| malformed("error", e))?;
                return Err(ErrorObject::from_value(v.get("error").unwrap_or(&v)).into_stream_error());
            }
            other => tracing::trace!(event_type = other, "skipping SSE event"),
        }
        Ok(Flow::Continue)
    }

    /// The body ended without `response.completed`.
    pub fn on_eof(&mut self) -> ModelError {
        ModelError::StreamClosed { events: self.events }
    }
}

/// Responses `usage`: `input_tokens_details.cached_tokens`, `output_tokens_details.reasoning_tokens`.
fn usage_from_value(u: &Value) -> TokenUsage {
    let n = |path: &str| u.pointer(path).and_then(Value::as_u64).unwrap_or(0);
    TokenUsage {
        input_tokens: n("/input_tokens"),
        cached_input_tokens: n("/input_tokens_details/cached_tokens"),
        output_tokens: n("/output_tokens"),
        reasoning_output_tokens: n("/output_tokens_details/reasoning_tokens"),
        total_tokens: n("/total_tokens"),
    }
}

pub(crate) fn malformed(event_type: &str, err: impl std::fmt::Display) -> ModelError {
    ModelError::MalformedEvent { event_type: event_type.to_string(), message: err.to_string() }
}

fn missing(event_type: &str, field: &str) -> ModelError {
    ModelError::MalformedEvent { event_type: event_type.to_string(), message: format!("missing field `{field}`") }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(events: &[&str]) -> Vec<String> {
        let mut d = ResponsesDecoder::default();
        let mut lines = Vec::new();
        for data in events {
            let mut out = Vec::new();
            let r = d.on_event(&SseEvent { event: "message".into(), data: data.to_string(), id: None }, &mut out);
            lines.extend(out.iter().map(|e| e.to_string()));
            match r {
                Ok(Flow::Continue) => {}
                Ok(Flow::Completed) => lines.push("<end>".into()),
                Err(e) => lines.push(format!("error {}: {e}", e.kind())),
            }
        }
        lines
    }

    #[test]
    fn failed_payloads_from_codex_tests() {
        let got = decode(&[
            r#"{"type":"response.failed","sequence_number":3,"response":{"id":"resp_1","status":"failed","error":{"code":"rate_limit_exceeded","message":"Rate limit reached for gpt-5 in organization org-x on tokens per min (TPM): Limit 30000, Used 22999, Requested 12528. Please try again in 11.054s. Visit https://platform.openai.com/account/rate-limits to learn more."},"usage":null}}"#,
            r#"{"type":"response.failed","response":{"error":{"code":"context_length_exceeded","message":"Your input exceeds the context window of this model. Please adjust your input and try again."}}}"#,
            r#"{"type":"response.failed","response":{"error":{"code":"insufficient_quota","message":"You exceeded your current quota, please check your plan and billing details."}}}"#,
            r#"{"type":"response.failed","response":{"error":{"code":"cyber_policy","message":"This request has been flagged."}}}"#,
            r#"{"type":"response.incomplete","response":{"incomplete_details":{"reason":"max_output_tokens"}}}"#,
            r#"{"type":"error","code":"server_error","message":"boom"}"#,
        ]);
        expect_test::expect![[r#"
            [
                "error response_failed: the response failed (rate_limit_exceeded): Rate limit reached for gpt-5 in organization org-x on tokens per min (TPM): Limit 30000, Used 22999, Requested 12528. Please try again in 11.054s. Visit https://platform.openai.com/account/rate-limits to learn more.",
                "error context_window_exceeded: context window exceeded: Your input exceeds the context window of this model. Please adjust your input and try again.",
                "error quota_exceeded: quota exceeded (insufficient_quota): You exceeded your current quota, please check your plan and billing details.",
                "error invalid_request: invalid request [cyber_policy]: This request has been flagged.",
                "error incomplete: the response is incomplete: max_output_tokens",
                "error response_failed: the response failed (server_error): boom",
            ]
        "#]]
        .assert_debug_eq(&got);
    }

    #[test]
    fn unknown_and_malformed_events() {
        let got = decode(&[
            r#"{"type":"response.function_call_arguments.delta","delta":"{\"a\""}"#,
            r#"{"type":"response.audio.delta","delta":{"weird":true}}"#,
            r#"{"type":"response.output_item.done","item":{"type":"web_search_call","id":"ws"}}"#,
            r#"{"type":"response.output_text.delta","delta":5}"#,
            r#"{"type":"response.output_item.done","item":{"type":"function_call","name":"x"}}"#,
            r#"not json"#,
        ]);
        expect_test::expect![[r#"
            [
                "error malformed_event: malformed response.output_text.delta event: invalid type: integer `5`, expected a string at line 1 column 46",
                "error malformed_event: malformed response.output_item.done event: missing field `arguments`",
                "error malformed_event: malformed message event: expected ident at line 1 column 2",
            ]
        "#]]
        .assert_debug_eq(&got);
    }
}
