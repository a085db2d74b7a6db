//! The Chat Completions stream (`data: {"choices": [{"delta": …}]}` chunks, then `data: [DONE]`)
//! into the same `ResponseEvent`s as the Responses API, with synthesized items:
//!
//! - `delta.content` → text deltas of one assistant message item (added at the first delta, done
//!   when something else starts or the response finishes);
//! - `delta.reasoning_content` (DeepSeek, vLLM, llama.cpp) and `delta.reasoning` (Ollama, OpenRouter,
//!   LM Studio) → reasoning content deltas of one synthesized reasoning item;
//! - `delta.tool_calls` fragments accumulated BY INDEX (id and name from the first fragment that has
//!   them; `call_<index>` when the server sends no id; arguments concatenated; a missing index,
//!   as some OpenAI-compatible gateways send, continues the call with the same id or the last one);
//!   each call is emitted (added + done) when the choice finishes, as a `FunctionCall`, or as a
//!   `CustomToolCall` with the `input` argument when its name is one of the request's custom tools;
//! - `finish_reason`: `stop`/`tool_calls`/`function_call` complete; `length` → `Incomplete
//!   {max_output_tokens}`; `content_filter` → `Incomplete{content_filter}`;
//! - completion at `[DONE]`, or at the end of the body once a `finish_reason` was seen (servers that
//!   never send `[DONE]`); `usage` from the last chunk that has it;
//! - `data: {"error": …}` chunks → the typed error for their code, as `response.failed` maps.
//!
//! Not here: the request translation (`chat_request.rs`), HTTP and retries (`stream.rs`).

use crate::error::ModelError;
use crate::event::ResponseEvent;
use crate::http_error::ErrorObject;
use crate::responses::{malformed, Flow};
use crate::sse::SseEvent;
use agent_protocol::{ReasoningContent, ResponseItem, Role, TokenUsage};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

#[derive(Debug, Default)]
pub(crate) struct ChatDecoder {
    custom_tools: Arc<HashSet<String>>,
    events: u64,
    created: bool,
    response_id: String,
    reasoning: Option<String>,
    message: Option<String>,
    tool_calls: BTreeMap<u64, ToolCallAcc>,
    finish_reason: Option<String>,
    usage: Option<TokenUsage>,
}

#[derive(Debug, Default)]
struct ToolCallAcc {
    id: Option<String>,
    name: String,
    arguments: String,
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Deserialize)]
struct ToolCallDelta {
    #[serde(default)]
    index: Option<u64>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
    #[serde(default)]
    prompt_tokens_details: Option<Value>,
    #[serde(default)]
    completion_tokens_details: Option<Value>,
}

impl ChatDecoder {
    pub fn new(custom_tools: Arc<HashSet<String>>) -> ChatDecoder {
        ChatDecoder { custom_tools, ..ChatDecoder::default() }
    }

    pub fn on_event(&mut self, sse: &SseEvent, out: &mut Vec<ResponseEvent>) -> Result<Flow, ModelError> {
        self.events += 1;
        let data = sse.data.trim();
        if data == "[DONE]" || data == "DONE" {
            return self.complete(out);
        }
        let chunk: Chunk = serde_json::from_str(data).map_err(|e| malformed("chat.completion.chunk", e))?;
        if let Some(error) = chunk.error.filter(|e| !e.is_null()) {
            return Err(ErrorObject::from_value(&error).into_stream_error());
        }
        if let Some(id) = chunk.id.filter(|id| !id.is_empty()) {
            self.response_id = id;
        }
        if !self.created {
            self.created = true;
            let response_id = (!self.response_id.is_empty()).then(|| self.response_id.clone());
            out.push(ResponseEvent::Created { response_id });
        }
        if let Some(u) = chunk.usage {
            self.usage = Some(usage(u));
        }
        // n = 1: only the first choice is read.
        if let Some(choice) = chunk.choices.into_iter().next() {
            if let Some(delta) = choice.delta {
                self.on_delta(delta, out);
            }
            if let Some(reason) = choice.finish_reason.filter(|r| !r.is_empty()) {
                self.close_all(out);
                self.finish_reason = Some(reason);
            }
        }
        Ok(Flow::Continue)
    }

    /// The body ended: complete when the choice had finished, else the stream broke.
    pub fn on_eof(&mut self, out: &mut Vec<ResponseEvent>) -> Result<(), ModelError> {
        if self.finish_reason.is_some() {
            self.complete(out).map(|_| ())
        } else {
            Err(ModelError::StreamClosed { events: self.events })
        }
    }

    fn on_delta(&mut self, delta: Delta, out: &mut Vec<ResponseEvent>) {
        let reasoning = delta.reasoning_content.or(delta.reasoning).filter(|r| !r.is_empty());
        if let Some(text) = reasoning {
            self.close_message(out);
            let buf = self.reasoning.get_or_insert_with(|| {
                out.push(ResponseEvent::OutputItemAdded(ResponseItem::Reasoning {
                    summary: Vec::new(),
                    content: Some(Vec::new()),
                    encrypted_content: None,
                }));
                String::new()
            });
            buf.push_str(&text);
            out.push(ResponseEvent::ReasoningContentDelta { delta: text, content_index: 0 });
        }
        if let Some(text) = delta.content.filter(|c| !c.is_empty()) {
            self.close_reasoning(out);
            let buf = self.message.get_or_insert_with(|| {
                out.push(ResponseEvent::OutputItemAdded(ResponseItem::Message { role: Role::Assistant, content: Vec::new(), phase: None }));
                String::new()
            });
            buf.push_str(&text);
            out.push(ResponseEvent::OutputTextDelta { delta: text });
        }
        for tc in delta.tool_calls.unwrap_or_default() {
            self.close_reasoning(out);
            self.close_message(out);
            let index = tc.index.unwrap_or_else(|| self.index_without_index(tc.id.as_deref()));
            let acc = self.tool_calls.entry(index).or_default();
            if acc.id.is_none() {
                acc.id = tc.id.filter(|id| !id.is_empty());
            }
            if let Some(f) = tc.function {
                if let Some(name) = f.name.filter(|n| !n.is_empty() && *n != acc.name) {
                    // Some servers repeat the full name in every fragment; a true fragment is appended.
                    acc.name.push_str(&name);
                }
                if let Some(args) = f.arguments {
                    acc.arguments.push_str(&args);
                }
            }
        }
    }

    /// The index of a fragment that has none: the call with the same id, a new call for a new id,
    /// else the last call.
    fn index_without_index(&self, id: Option<&str>) -> u64 {
        let next = self.tool_calls.keys().next_back().map_or(0, |k| k + 1);
        match id {
            Some(id) => self.tool_calls.iter().find(|(_, acc)| acc.id.as_deref() == Some(id)).map_or(next, |(k, _)| *k),
            None => next.saturating_sub(1),
        }
    }

    fn close_reasoning(&mut self, out: &mut Vec<ResponseEvent>) {
        if let Some(text) = self.reasoning.take() {
            out.push(ResponseEvent::OutputItemDone(ResponseItem::Reasoning {
                summary: Vec::new(),
                content: Some(vec![ReasoningContent::ReasoningText { text }]),
                encrypted_content: None,
            }));
        }
    }

    fn close_message(&mut self, out: &mut Vec<ResponseEvent>) {
        if let Some(text) = self.message.take() {
            out.push(ResponseEvent::OutputItemDone(ResponseItem::assistant_text(text)));
        }
    }

    fn close_all(&mut self, out: &mut Vec<ResponseEvent>) {
        self.close_reasoning(out);
        self.close_message(out);
        for (index, acc) in std::mem::take(&mut self.tool_calls) {
            let item = self.tool_call_item(index, acc);
            out.push(ResponseEvent::OutputItemAdded(item.clone()));
            out.push(ResponseEvent::OutputItemDone(item));
        }
    }

    fn tool_call_item(&self, index: u64, acc: ToolCallAcc) -> ResponseItem {
        let call_id = acc.id.unwrap_or_else(|| format!("call_{index}"));
        if self.custom_tools.contains(&acc.name) {
            // The model was offered {"input": string}; a model that sent raw text is taken at its word.
            let input = match serde_json::from_str::<Value>(&acc.arguments) {
                Ok(Value::Object(mut map)) => match map.remove("input") {
                    Some(Value::String(s)) => s,
                    _ => acc.arguments,
                },
                _ => acc.arguments,
            };
            return ResponseItem::CustomToolCall { name: acc.name, input, call_id };
        }
        // A call without arguments is sent as "" by some servers; the tools expect a JSON object.
        let arguments = if acc.arguments.trim().is_empty() { "{}".to_string() } else { acc.arguments };
        ResponseItem::FunctionCall { name: acc.name, namespace: None, arguments, call_id }
    }

    fn complete(&mut self, out: &mut Vec<ResponseEvent>) -> Result<Flow, ModelError> {
        self.close_all(out);
        match self.finish_reason.as_deref() {
            Some("length") => Err(ModelError::Incomplete { reason: "max_output_tokens".into() }),
            Some("content_filter") => Err(ModelError::Incomplete { reason: "content_filter".into() }),
            _ => {
                out.push(ResponseEvent::Completed { response_id: self.response_id.clone(), usage: self.usage });
                Ok(Flow::Completed)
            }
        }
    }
}

fn usage(u: Usage) -> TokenUsage {
    let detail = |v: &Option<Value>, key: &str| v.as_ref().and_then(|d| d.get(key)).and_then(Value::as_u64).unwrap_or(0);
    let input = u.prompt_tokens.unwrap_or(0);
    let output = u.completion_tokens.unwrap_or(0);
    TokenUsage {
        input_tokens: input,
        cached_input_tokens: detail(&u.prompt_tokens_details, "cached_tokens"),
        output_tokens: output,
        reasoning_output_tokens: detail(&u.completion_tokens_details, "reasoning_tokens"),
        total_tokens: u.total_tokens.unwrap_or(input + output),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(custom: &[&str], chunks: &[&str], eof: bool) -> String {
        let mut d = ChatDecoder::new(Arc::new(custom.iter().map(|s| s.to_string()).collect()));
        let mut lines = Vec::new();
        let mut out = Vec::new();
        for data in chunks {
            match d.on_event(&SseEvent { event: "message".into(), data: data.to_string(), id: None }, &mut out) {
                Ok(Flow::Continue) => {}
                Ok(Flow::Completed) => out.push(ResponseEvent::OutputTextDelta { delta: "<end>".into() }),
                Err(e) => lines.push(format!("error {}", e.kind())),
            }
        }
        if eof {
            if let Err(e) = d.on_eof(&mut out) {
                lines.push(format!("error {}", e.kind()));
            }
        }
        let mut all: Vec<String> = out.iter().map(|e| e.to_string()).collect();
        all.extend(lines);
        all.join("\n")
    }

    #[test]
    fn tool_call_fragments_by_index_with_a_custom_tool() {
        let got = decode(
            &["apply_patch"],
            &[
                r#"{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"think"}}]}"#,
                r#"{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"content":"ok"}}]}"#,
                r#"{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c0","type":"function","function":{"name":"shell","arguments":"{\"cmd\":"}},{"index":1,"function":{"name":"apply_patch","arguments":""}}]}}]}"#,
                r#"{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"input\":\"*** Begin"}},{"index":0,"function":{"arguments":"[\"ls\"]}"}}]}}]}"#,
                r#"{"id":"chatcmpl-1","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":" Patch\"}"}}]},"finish_reason":"tool_calls"}]}"#,
                r#"{"id":"chatcmpl-1","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4}}}"#,
                "[DONE]",
            ],
            false,
        );
        expect_test::expect![[r#"
            created chatcmpl-1
            item_added {"type":"reasoning","summary":[],"content":[]}
            reasoning_delta[0] "think"
            item_done {"type":"reasoning","summary":[],"content":[{"type":"reasoning_text","text":"think"}]}
            item_added {"type":"message","role":"assistant","content":[]}
            text_delta "ok"
            item_done {"type":"message","role":"assistant","content":[{"type":"output_text","text":"ok"}]}
            item_added {"type":"function_call","name":"shell","arguments":"{\"cmd\":[\"ls\"]}","call_id":"c0"}
            item_done {"type":"function_call","name":"shell","arguments":"{\"cmd\":[\"ls\"]}","call_id":"c0"}
            item_added {"type":"custom_tool_call","name":"apply_patch","input":"*** Begin Patch","call_id":"call_1"}
            item_done {"type":"custom_tool_call","name":"apply_patch","input":"*** Begin Patch","call_id":"call_1"}
            completed chatcmpl-1 usage(in=10 cached=4 out=5 reasoning=0 total=15)
            text_delta "<end>""#]]
        .assert_eq(&got);
    }

    #[test]
    fn finish_without_done_completes_at_eof_and_length_is_incomplete() {
        let stop = decode(&[], &[r#"{"choices":[{"delta":{"reasoning":"r"},"finish_reason":"stop"}]}"#], true);
        expect_test::expect![[r#"
            created -
            item_added {"type":"reasoning","summary":[],"content":[]}
            reasoning_delta[0] "r"
            item_done {"type":"reasoning","summary":[],"content":[{"type":"reasoning_text","text":"r"}]}
            completed "#]]
        .assert_eq(&stop);
        let length = decode(&[], &[r#"{"choices":[{"delta":{"content":"a"},"finish_reason":"length"}]}"#, "[DONE]"], true);
        assert!(length.ends_with("error incomplete"), "{length}");
        let broken = decode(&[], &[r#"{"choices":[{"delta":{"content":"a"}}]}"#], true);
        assert!(broken.ends_with("error stream_closed"), "{broken}");
        let error = decode(&[], &[r#"{"error":{"message":"Provider returned error","code":429}}"#], false);
        assert!(error.ends_with("error response_failed"), "{error}");
    }

    #[test]
    fn fragments_without_index_and_repeated_names() {
        let got = decode(
            &[],
            &[
                r#"{"choices":[{"delta":{"tool_calls":[{"id":"a","function":{"name":"f","arguments":"{}"}}]}}]}"#,
                r#"{"choices":[{"delta":{"tool_calls":[{"id":"b","function":{"name":"g","arguments":""}}]}}]}"#,
                r#"{"choices":[{"delta":{"tool_calls":[{"index":1,"function":{"name":"g"}}]},"finish_reason":"tool_calls"}]}"#,
                "[DONE]",
            ],
            false,
        );
        expect_test::expect![[r#"
            created -
            item_added {"type":"function_call","name":"f","arguments":"{}","call_id":"a"}
            item_done {"type":"function_call","name":"f","arguments":"{}","call_id":"a"}
            item_added {"type":"function_call","name":"g","arguments":"{}","call_id":"b"}
            item_done {"type":"function_call","name":"g","arguments":"{}","call_id":"b"}
            completed 
            text_delta "<end>""#]]
        .assert_eq(&got);
    }
}
