//! The Chat Completions body for a `ModelRequest`: Responses items translated into `messages`.
//!
//! - `instructions` become the first `system` message; `developer` and `system` messages are sent as
//!   `system` (Ollama, llama.cpp and vLLM chat templates reject or ignore `developer`).
//! - Message content is a plain string when it is only text (older llama.cpp accepts nothing else),
//!   and an array of `text`/`image_url` parts when it holds images.
//! - Consecutive tool calls form ONE assistant message with `tool_calls`, merged into the assistant
//!   text message right before them when there is one. Custom (freeform) tool calls go out as
//!   function calls with arguments `{"input": "..."}`; outputs become `{role: "tool", tool_call_id, content}`.
//! - Reasoning and compaction items are dropped: servers that return `reasoning_content` do not want
//!   it back (DeepSeek rejects it), and compactions are opaque to anyone but OpenAI.
//! - Custom tools are offered as function tools with one string parameter `input` (the grammar, if
//!   any, goes in its description), so the agent never sees the dialect.
//! - `tool_choice` is not sent (the default is `auto` when tools are given; vLLM rejects an explicit
//!   `auto` unless started with `--enable-auto-tool-choice`); `parallel_tool_calls` only with tools;
//!   `stream_options.include_usage` always; `reasoning_effort` when reasoning is set.
//!
//! Not here: the stream (`chat_stream.rs`).

use crate::request::ModelRequest;
use agent_protocol::{ContentItem, ResponseItem, Role, ToolSpec};
use serde_json::{json, Map, Value};
use std::collections::HashSet;

/// Builds the body, and the names of the custom tools (their calls are mapped back by name).
pub(crate) fn chat_body(req: &ModelRequest) -> (Value, HashSet<String>) {
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    body.insert("messages".into(), Value::Array(messages(req)));
    body.insert("stream".into(), json!(true));
    body.insert("stream_options".into(), json!({"include_usage": true}));
    let mut custom = HashSet::new();
    if !req.tools.is_empty() {
        let tools: Vec<Value> = req.tools.iter().filter_map(|t| tool(t, &mut custom)).collect();
        body.insert("tools".into(), Value::Array(tools));
        body.insert("parallel_tool_calls".into(), json!(req.parallel_tool_calls));
    }
    if let Some(effort) = req.reasoning.and_then(|r| r.effort) {
        body.insert("reasoning_effort".into(), json!(effort.as_str()));
    }
    (Value::Object(body), custom)
}

fn tool(spec: &ToolSpec, custom: &mut HashSet<String>) -> Option<Value> {
    match spec {
        ToolSpec::Function { name, description, strict, parameters } => {
            let mut function = json!({"name": name, "description": description, "parameters": parameters});
            if *strict {
                function["strict"] = json!(true);
            }
            Some(json!({"type": "function", "function": function}))
        }
        ToolSpec::Custom { name, description, format } => {
            custom.insert(name.clone());
            let input_doc = match format {
                Some(f) => format!("The raw input text (not JSON), following this {} {}:\n{}", f.syntax, f.kind, f.definition),
                None => "The raw input text (not JSON).".to_string(),
            };
            Some(json!({"type": "function", "function": {
                "name": name,
                "description": description,
                "parameters": {
                    "type": "object",
                    "properties": {"input": {"type": "string", "description": input_doc}},
                    "required": ["input"],
                    "additionalProperties": false,
                },
            }}))
        }
        // ToolSpec is non-exhaustive: a kind Chat servers cannot express is not offered.
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

fn messages(req: &ModelRequest) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    if !req.instructions.is_empty() {
        out.push(json!({"role": "system", "content": req.instructions}));
    }
    // Whether the last message in `out` is an assistant message that tool calls may join.
    let mut open_assistant = false;
    for item in req.input.iter().filter(|i| i.is_sendable()) {
        match item {
            ResponseItem::Message { role, content, .. } => {
                let role = match role {
                    Role::System | Role::Developer => "system",
                    Role::User => "user",
                    Role::Assistant => "assistant",
                };
                out.push(json!({"role": role, "content": content_value(content)}));
                open_assistant = role == "assistant";
            }
            ResponseItem::FunctionCall { name, arguments, call_id, .. } => {
                push_tool_call(&mut out, &mut open_assistant, call_id, name, arguments.clone());
            }
            ResponseItem::CustomToolCall { name, input, call_id } => {
                push_tool_call(&mut out, &mut open_assistant, call_id, name, json!({"input": input}).to_string());
            }
            ResponseItem::FunctionCallOutput { call_id, output } => {
                out.push(json!({"role": "tool", "tool_call_id": call_id, "content": output.text()}));
                open_assistant = false;
            }
            ResponseItem::CustomToolCallOutput { call_id, output } => {
                out.push(json!({"role": "tool", "tool_call_id": call_id, "content": output}));
                open_assistant = false;
            }
            // Dropped (see the header). They do not break the grouping of the calls around them.
            _ => {}
        }
    }
    out
}

fn push_tool_call(out: &mut Vec<Value>, open_assistant: &mut bool, call_id: &str, name: &str, arguments: String) {
    let call = json!({"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}});
    if *open_assistant {
        if let Some(Value::Object(last)) = out.last_mut() {
            if let Value::Array(calls) = last.entry("tool_calls").or_insert_with(|| Value::Array(Vec::new())) {
                calls.push(call);
                return;
            }
        }
    }
    out.push(json!({"role": "assistant", "content": null, "tool_calls": [call]}));
    *open_assistant = true;
}

fn content_value(content: &[ContentItem]) -> Value {
    let has_image = content.iter().any(|c| matches!(c, ContentItem::InputImage { .. }));
    if !has_image {
        let text: String = content
            .iter()
            .filter_map(|c| match c {
                ContentItem::InputText { text } | ContentItem::OutputText { text } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        return Value::String(text);
    }
    Value::Array(
        content
            .iter()
            .filter_map(|c| match c {
                ContentItem::InputText { text } | ContentItem::OutputText { text } => Some(json!({"type": "text", "text": text})),
                ContentItem::InputImage { image_url } => Some(json!({"type": "image_url", "image_url": {"url": image_url}})),
                _ => None,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::tests::full_request;

    #[test]
    fn chat_body_snapshot() {
        let (body, custom) = chat_body(&full_request());
        assert_eq!(custom, HashSet::from(["apply_patch".to_string()]));
        expect_test::expect_file!["../tests/snapshots/chat_body.json"].assert_eq(&serde_json::to_string_pretty(&body).unwrap());
    }

    #[test]
    fn calls_without_text_group_and_images_become_parts() {
        let req = ModelRequest {
            model: "m".into(),
            input: vec![
                ResponseItem::Message {
                    role: Role::User,
                    content: vec![
                        ContentItem::InputText { text: "see".into() },
                        ContentItem::InputImage { image_url: "data:image/png;base64,AA".into() },
                    ],
                    phase: None,
                },
                ResponseItem::FunctionCall { name: "a".into(), namespace: None, arguments: "{}".into(), call_id: "1".into() },
                ResponseItem::FunctionCall { name: "b".into(), namespace: None, arguments: "{}".into(), call_id: "2".into() },
            ],
            ..ModelRequest::default()
        };
        let (body, _) = chat_body(&req);
        assert_eq!(
            body["messages"],
            json!([
                {"role": "user", "content": [{"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}]},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "1", "type": "function", "function": {"name": "a", "arguments": "{}"}},
                    {"id": "2", "type": "function", "function": {"name": "b", "arguments": "{}"}},
                ]},
            ])
        );
        assert!(body.get("tools").is_none() && body.get("parallel_tool_calls").is_none());
    }
}
