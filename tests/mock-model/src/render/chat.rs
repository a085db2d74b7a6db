//! The Chat Completions streaming dialect (`POST /v1/chat/completions`): unnamed `data:` events carrying
//! `chat.completion.chunk` objects, terminated by `data: [DONE]`.
//!
//! Follows api.openai.com (role chunk first, tool-call fragments keyed by `index` with `id` and `name` only
//! in the first fragment, a `choices: []` usage chunk when `stream_options.include_usage` is set) plus the
//! open-model convention of `delta.reasoning_content` / `delta.reasoning`. Deliberately not rendered:
//! phases, encrypted reasoning and compaction items, which this dialect cannot carry.

use serde_json::{json, Value};

use super::{huge_text, pieces, RenderContext, Split, SseEvent, CREATED_AT};
use crate::script::{End, Output, Turn};

/// The events of a whole chat stream for `turn`.
pub fn render(turn: &Turn, ctx: &RenderContext, include_usage: bool) -> Vec<SseEvent> {
    let chunks = Chunks { ctx, include_usage };
    let mut events = vec![chunks.delta(json!({ "role": "assistant", "content": "", "refusal": null }))];
    let reasoning_field = turn.chat_reasoning_field.as_str();
    let mut tool_calls = 0;
    for output in &turn.outputs {
        match output {
            Output::Message { text, .. } => {
                for piece in pieces(text, turn, Split::Words) {
                    events.push(chunks.delta(json!({ "content": piece })));
                }
            }
            Output::Reasoning { summary, .. } => {
                for piece in pieces(&summary.join("\n\n"), turn, Split::Words) {
                    events.push(chunks.delta(json!({ reasoning_field: piece })));
                }
            }
            Output::FunctionCall { name, call_id, arguments } => {
                events.extend(tool_call(&chunks, turn, tool_calls, &ctx.call_id(call_id), name, arguments));
                tool_calls += 1;
            }
            Output::CustomToolCall { name, call_id, input } => {
                let arguments = json!({ "input": input }).to_string();
                events.extend(tool_call(&chunks, turn, tool_calls, &ctx.call_id(call_id), name, &arguments));
                tool_calls += 1;
            }
            Output::Compaction { .. } => {}
        }
    }
    if let Some(bytes) = turn.faults.huge_delta_bytes {
        events.push(chunks.delta(json!({ "content": huge_text(bytes) })));
    }
    let finish_reason = match &turn.end {
        End::Completed if tool_calls > 0 => "tool_calls",
        End::Completed => "stop",
        End::Incomplete { reason } if reason == "content_filter" => "content_filter",
        End::Incomplete { .. } => "length",
        End::Failed { code, message } => {
            // Chat has no failure event: providers put an error object on a data line and stop.
            let error = json!({ "error": { "message": message, "type": "server_error", "param": null, "code": code } });
            events.push(SseEvent::unnamed(&error));
            return events;
        }
        End::Eof => return events,
    };
    events.push(chunks.choice(json!({}), json!(finish_reason)));
    if include_usage {
        let usage = turn.usage.unwrap_or_default();
        let mut chunk = chunks.base(json!([]));
        chunk["usage"] = json!({
            "prompt_tokens": usage.input_tokens,
            "completion_tokens": usage.output_tokens,
            "total_tokens": usage.input_tokens + usage.output_tokens,
            "prompt_tokens_details": { "cached_tokens": usage.cached_tokens },
            "completion_tokens_details": { "reasoning_tokens": usage.reasoning_tokens },
        });
        events.push(SseEvent::unnamed(&chunk));
    }
    events.push(SseEvent { event: None, data: "[DONE]".to_owned() });
    events
}

/// One tool call: the first fragment names it, the rest carry argument pieces.
fn tool_call(chunks: &Chunks<'_>, turn: &Turn, index: usize, call_id: &str, name: &str, arguments: &str) -> Vec<SseEvent> {
    let first = json!({ "index": index, "id": call_id, "type": "function", "function": { "name": name, "arguments": "" } });
    let mut events = vec![chunks.delta(json!({ "tool_calls": [first] }))];
    for piece in pieces(arguments, turn, Split::Quarters) {
        events.push(chunks.delta(json!({ "tool_calls": [{ "index": index, "function": { "arguments": piece } }] })));
    }
    events
}

struct Chunks<'a> {
    ctx: &'a RenderContext,
    include_usage: bool,
}

impl Chunks<'_> {
    fn base(&self, choices: Value) -> Value {
        let mut chunk = json!({
            "id": format!("chatcmpl-mock-{}", self.ctx.serial),
            "object": "chat.completion.chunk",
            "created": CREATED_AT,
            "model": self.ctx.model,
            "system_fingerprint": "fp_mock",
            "choices": choices,
        });
        if self.include_usage {
            // OpenAI sends `"usage": null` on every chunk but the last once usage is requested.
            chunk["usage"] = Value::Null;
        }
        chunk
    }

    fn choice(&self, delta: Value, finish_reason: Value) -> SseEvent {
        let choice = json!({ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason });
        SseEvent::unnamed(&self.base(json!([choice])))
    }

    fn delta(&self, delta: Value) -> SseEvent {
        self.choice(delta, Value::Null)
    }
}
