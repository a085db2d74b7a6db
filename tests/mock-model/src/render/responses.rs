//! The OpenAI Responses API streaming dialect (`POST /v1/responses`) and the remote-compaction answer
//! (`POST /v1/responses/compact`).
//!
//! Shapes follow what api.openai.com streams: every event carries `type` and `sequence_number`, each output
//! item is bracketed by `response.output_item.added` / `.done`, text arrives through content parts, and the
//! stream ends with `response.completed`, `response.failed` or `response.incomplete`. This module deliberately
//! does not frame bytes or inject transport faults; `wire` does.

use serde_json::{json, Value};

use super::{huge_text, pieces, RenderContext, Split, SseEvent, CREATED_AT};
use crate::script::{End, Output, Turn, Usage};

/// The events of a whole Responses stream for `turn`.
pub fn render(turn: &Turn, ctx: &RenderContext) -> Vec<SseEvent> {
    let mut stream = Stream { events: Vec::new(), ctx, turn };
    stream.emit("response.created", json!({ "response": stream.response("in_progress", Vec::new(), Value::Null) }));
    stream.emit("response.in_progress", json!({ "response": stream.response("in_progress", Vec::new(), Value::Null) }));
    let mut done_items = Vec::new();
    for (index, (output, single_delta)) in outputs(turn).iter().enumerate() {
        done_items.push(stream.output(index, output, *single_delta));
    }
    let usage = usage_json(turn.usage.unwrap_or_default());
    match &turn.end {
        End::Completed => {
            stream.emit("response.completed", json!({ "response": stream.response("completed", done_items, usage) }));
        }
        End::Failed { code, message } => {
            let mut response = stream.response("failed", done_items, Value::Null);
            response["error"] = json!({ "code": code, "message": message });
            stream.emit("response.failed", json!({ "response": response }));
        }
        End::Incomplete { reason } => {
            let mut response = stream.response("incomplete", done_items, usage);
            response["incomplete_details"] = json!({ "reason": reason });
            stream.emit("response.incomplete", json!({ "response": response }));
        }
        End::Eof => {}
    }
    stream.events
}

/// The body of a remote compaction answer: `{"output": [items]}`, items exactly as `output_item.done` has them.
pub fn compact_body(turn: &Turn, ctx: &RenderContext) -> Value {
    let items: Vec<Value> =
        outputs(turn).iter().enumerate().map(|(index, (output, _))| item(output, &item_id(ctx, output, index), ctx, true)).collect();
    json!({ "output": items })
}

/// The turn's outputs plus the `huge_delta_bytes` filler message; the flag marks a single-delta output.
fn outputs(turn: &Turn) -> Vec<(Output, bool)> {
    let mut all: Vec<(Output, bool)> = turn.outputs.iter().map(|output| (output.clone(), false)).collect();
    if let Some(bytes) = turn.faults.huge_delta_bytes {
        all.push((Output::message(huge_text(bytes)), true));
    }
    all
}

pub(crate) fn usage_json(usage: Usage) -> Value {
    json!({
        "input_tokens": usage.input_tokens,
        "input_tokens_details": { "cached_tokens": usage.cached_tokens },
        "output_tokens": usage.output_tokens,
        "output_tokens_details": { "reasoning_tokens": usage.reasoning_tokens },
        "total_tokens": usage.input_tokens + usage.output_tokens,
    })
}

fn item_id(ctx: &RenderContext, output: &Output, index: usize) -> String {
    let prefix = match output {
        Output::Message { .. } => "msg",
        Output::Reasoning { .. } => "rs",
        Output::FunctionCall { .. } => "fc",
        Output::CustomToolCall { .. } => "ctc",
        Output::Compaction { .. } => "cmp",
    };
    format!("{prefix}_mock_{}_{index}", ctx.serial)
}

/// An output item as `output_item.done` (`done`) or `output_item.added` (`!done`) carries it.
fn item(output: &Output, id: &str, ctx: &RenderContext, done: bool) -> Value {
    let status = if done { "completed" } else { "in_progress" };
    match output {
        Output::Message { text, phase } => {
            let content =
                if done { json!([{ "type": "output_text", "annotations": [], "logprobs": [], "text": text }]) } else { json!([]) };
            let mut item = json!({ "id": id, "type": "message", "status": status, "content": content, "role": "assistant" });
            if let Some(phase) = phase {
                item["phase"] = json!(phase.as_str());
            }
            item
        }
        Output::Reasoning { summary, encrypted_content } => {
            let summary: Vec<Value> =
                if done { summary.iter().map(|text| json!({ "type": "summary_text", "text": text })).collect() } else { Vec::new() };
            let mut item = json!({ "id": id, "type": "reasoning", "summary": summary });
            if let (true, Some(encrypted)) = (done, encrypted_content) {
                item["encrypted_content"] = json!(encrypted);
            }
            item
        }
        Output::FunctionCall { name, call_id, arguments } => json!({
            "id": id, "type": "function_call", "status": status,
            "arguments": if done { arguments.as_str() } else { "" }, "call_id": ctx.call_id(call_id), "name": name,
        }),
        Output::CustomToolCall { name, call_id, input } => json!({
            "id": id, "type": "custom_tool_call", "status": status,
            "call_id": ctx.call_id(call_id), "input": if done { input.as_str() } else { "" }, "name": name,
        }),
        Output::Compaction { encrypted_content } => json!({ "id": id, "type": "compaction", "encrypted_content": encrypted_content }),
    }
}

struct Stream<'a> {
    events: Vec<SseEvent>,
    ctx: &'a RenderContext,
    turn: &'a Turn,
}

impl Stream<'_> {
    /// Records `data` as event `kind`, led by `type` and `sequence_number` like the real API writes them
    /// (serde_json sorts the other keys).
    fn emit(&mut self, kind: &str, data: Value) {
        let head = format!(r#"{{"type":{},"sequence_number":{}"#, json!(kind), self.events.len());
        let rest = data.to_string();
        let data = match rest.strip_prefix('{').filter(|rest| *rest != "}") {
            Some(rest) => format!("{head},{rest}"),
            None => format!("{head}}}"),
        };
        self.events.push(SseEvent { event: Some(kind.to_owned()), data });
    }

    fn response(&self, status: &str, output: Vec<Value>, usage: Value) -> Value {
        json!({
            "id": format!("resp_mock_{}", self.ctx.serial),
            "object": "response",
            "created_at": CREATED_AT,
            "status": status,
            "error": null,
            "incomplete_details": null,
            "model": self.ctx.model,
            "output": output,
            "usage": usage,
        })
    }

    /// Emits one output item's events and returns its done form.
    fn output(&mut self, index: usize, output: &Output, single_delta: bool) -> Value {
        let id = item_id(self.ctx, output, index);
        self.emit("response.output_item.added", json!({ "output_index": index, "item": item(output, &id, self.ctx, false) }));
        let deltas = |text: &str, split: Split| if single_delta { vec![text.to_owned()] } else { pieces(text, self.turn, split) };
        match output {
            Output::Message { text, .. } => {
                let at = json!({ "item_id": id, "output_index": index, "content_index": 0 });
                let part = |text: &str| json!({ "type": "output_text", "annotations": [], "logprobs": [], "text": text });
                self.emit("response.content_part.added", merge(&at, json!({ "part": part("") })));
                for delta in deltas(text, Split::Words) {
                    self.emit("response.output_text.delta", merge(&at, json!({ "delta": delta, "logprobs": [] })));
                }
                self.emit("response.output_text.done", merge(&at, json!({ "text": text, "logprobs": [] })));
                self.emit("response.content_part.done", merge(&at, json!({ "part": part(text) })));
            }
            Output::Reasoning { summary, .. } => {
                for (summary_index, text) in summary.iter().enumerate() {
                    let at = json!({ "item_id": id, "output_index": index, "summary_index": summary_index });
                    let part = |text: &str| json!({ "type": "summary_text", "text": text });
                    self.emit("response.reasoning_summary_part.added", merge(&at, json!({ "part": part("") })));
                    for delta in deltas(text, Split::Words) {
                        self.emit("response.reasoning_summary_text.delta", merge(&at, json!({ "delta": delta })));
                    }
                    self.emit("response.reasoning_summary_text.done", merge(&at, json!({ "text": text })));
                    self.emit("response.reasoning_summary_part.done", merge(&at, json!({ "part": part(text) })));
                }
            }
            Output::FunctionCall { arguments, .. } => {
                let at = json!({ "item_id": id, "output_index": index });
                for delta in deltas(arguments, Split::Quarters) {
                    self.emit("response.function_call_arguments.delta", merge(&at, json!({ "delta": delta })));
                }
                self.emit("response.function_call_arguments.done", merge(&at, json!({ "arguments": arguments })));
            }
            Output::CustomToolCall { call_id, input, .. } => {
                let at = json!({ "item_id": id, "output_index": index, "call_id": self.ctx.call_id(call_id) });
                for delta in deltas(input, Split::Words) {
                    self.emit("response.custom_tool_call_input.delta", merge(&at, json!({ "delta": delta })));
                }
                self.emit("response.custom_tool_call_input.done", merge(&at, json!({ "input": input })));
            }
            Output::Compaction { .. } => {}
        }
        let done = item(output, &id, self.ctx, true);
        self.emit("response.output_item.done", json!({ "output_index": index, "item": done.clone() }));
        done
    }
}

/// `base` with the fields of `extra` added (both objects).
fn merge(base: &Value, mut extra: Value) -> Value {
    let mut out = base.clone();
    if let (Some(out), Some(extra)) = (out.as_object_mut(), extra.as_object_mut()) {
        out.append(extra);
    }
    out
}
