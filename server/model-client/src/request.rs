//! What the agent asks of a model (`ModelRequest`), and its Responses API body, field for field:
//! `model, instructions, input, tools, tool_choice, parallel_tool_calls, reasoning, store, stream,
//! include, prompt_cache_key, text`. The Chat Completions translation of the same request is in
//! `chat_request.rs`.
//!
//! Deliberately absent: `service_tier`, `client_metadata`, `text.format` (structured output) and
//! `previous_response_id` (requests are stateless: `store: false`, full input every time).

use agent_protocol::{ResponseItem, ThreadId, ToolSpec};
use serde::{Deserialize, Serialize};

/// One model request, dialect-neutral.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelRequest {
    pub model: String,
    /// The base instructions (Responses `instructions`, Chat's first system message). Omitted when empty.
    pub instructions: String,
    /// The conversation so far. Items that cannot be sent (`ResponseItem::Other`) are dropped.
    pub input: Vec<ResponseItem>,
    pub tools: Vec<ToolSpec>,
    pub parallel_tool_calls: bool,
    /// `None` for models without reasoning.
    pub reasoning: Option<Reasoning>,
    pub verbosity: Option<Verbosity>,
    /// The provider's prompt cache routing key; the agent uses the thread id.
    pub prompt_cache_key: Option<String>,
    /// Sent as the `session_id` and `x-client-request-id` headers.
    pub thread_id: Option<ThreadId>,
}

/// `reasoning: {effort, summary}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reasoning {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<ReasoningEffort>,
    /// `None` and `Some(ReasoningSummaryMode::None)` both omit the field, as the API wants.
    #[serde(default, skip_serializing_if = "ReasoningSummaryMode::is_omitted")]
    pub summary: Option<ReasoningSummaryMode>,
}

/// `model_reasoning_effort`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningEffort {
    None,
    Minimal,
    Low,
    Medium,
    High,
    Xhigh,
}

impl ReasoningEffort {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasoningEffort::None => "none",
            ReasoningEffort::Minimal => "minimal",
            ReasoningEffort::Low => "low",
            ReasoningEffort::Medium => "medium",
            ReasoningEffort::High => "high",
            ReasoningEffort::Xhigh => "xhigh",
        }
    }
}

/// `model_reasoning_summary`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningSummaryMode {
    Auto,
    Concise,
    Detailed,
    None,
}

impl ReasoningSummaryMode {
    fn is_omitted(mode: &Option<ReasoningSummaryMode>) -> bool {
        matches!(mode, None | Some(ReasoningSummaryMode::None))
    }
}

/// `model_verbosity`, sent as `text: {verbosity}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verbosity {
    Low,
    Medium,
    High,
}

/// The Responses API body. Borrowed from the request so building it copies nothing.
#[derive(Serialize)]
pub(crate) struct ResponsesBody<'a> {
    model: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    instructions: &'a str,
    input: Vec<&'a ResponseItem>,
    tools: &'a [ToolSpec],
    tool_choice: &'static str,
    parallel_tool_calls: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning: Option<Reasoning>,
    store: bool,
    stream: bool,
    include: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt_cache_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<TextControls>,
}

#[derive(Serialize)]
struct TextControls {
    verbosity: Verbosity,
}

impl<'a> ResponsesBody<'a> {
    pub fn new(req: &'a ModelRequest) -> ResponsesBody<'a> {
        ResponsesBody {
            model: &req.model,
            instructions: &req.instructions,
            input: req.input.iter().filter(|item| item.is_sendable()).collect(),
            tools: &req.tools,
            tool_choice: "auto",
            parallel_tool_calls: req.parallel_tool_calls,
            reasoning: req.reasoning,
            store: false,
            stream: true,
            include: if req.reasoning.is_some() { vec!["reasoning.encrypted_content"] } else { Vec::new() },
            prompt_cache_key: req.prompt_cache_key.as_deref(),
            text: req.verbosity.map(|verbosity| TextControls { verbosity }),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use agent_protocol::{CustomToolFormat, FunctionCallOutput, ReasoningSummary};
    use serde_json::json;

    /// A request with every kind of item and both tool kinds; also used by the Chat tests.
    pub(crate) fn full_request() -> ModelRequest {
        ModelRequest {
            model: "gpt-test".into(),
            instructions: "You are a coding agent.".into(),
            input: vec![
                ResponseItem::developer_text("sandbox: workspace-write"),
                ResponseItem::user_text("fix the bug"),
                ResponseItem::Reasoning {
                    summary: vec![ReasoningSummary::SummaryText { text: "looking".into() }],
                    content: None,
                    encrypted_content: Some("enc".into()),
                },
                ResponseItem::assistant_text("Let me look."),
                ResponseItem::FunctionCall {
                    name: "shell".into(),
                    namespace: None,
                    arguments: r#"{"cmd":["ls"]}"#.into(),
                    call_id: "call_1".into(),
                },
                ResponseItem::CustomToolCall {
                    name: "apply_patch".into(),
                    input: "*** Begin Patch\n*** End Patch".into(),
                    call_id: "call_2".into(),
                },
                ResponseItem::FunctionCallOutput { call_id: "call_1".into(), output: FunctionCallOutput::Text("a.rs".into()) },
                ResponseItem::CustomToolCallOutput { call_id: "call_2".into(), output: "Done!".into() },
                ResponseItem::Other,
            ],
            tools: vec![
                ToolSpec::Function {
                    name: "shell".into(),
                    description: "Runs a command.".into(),
                    strict: false,
                    parameters: json!({"type": "object", "properties": {"cmd": {"type": "array", "items": {"type": "string"}}}, "required": ["cmd"]}),
                },
                ToolSpec::Custom {
                    name: "apply_patch".into(),
                    description: "Edits files.".into(),
                    format: Some(CustomToolFormat { kind: "grammar".into(), syntax: "lark".into(), definition: "start: patch".into() }),
                },
            ],
            parallel_tool_calls: true,
            reasoning: Some(Reasoning { effort: Some(ReasoningEffort::Medium), summary: Some(ReasoningSummaryMode::Auto) }),
            verbosity: Some(Verbosity::Low),
            prompt_cache_key: Some("thread-1".into()),
            thread_id: Some(ThreadId::from("thread-1")),
        }
    }

    #[test]
    fn responses_body_field_for_field() {
        let body = serde_json::to_string_pretty(&ResponsesBody::new(&full_request())).unwrap();
        expect_test::expect_file!["../tests/snapshots/responses_body.json"].assert_eq(&body);
    }

    #[test]
    fn minimal_body_omits_optional_fields() {
        let req = ModelRequest { model: "m".into(), input: vec![ResponseItem::user_text("hi")], ..ModelRequest::default() };
        let body = serde_json::to_value(ResponsesBody::new(&req)).unwrap();
        assert_eq!(
            body,
            json!({"model": "m", "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}],
                   "tools": [], "tool_choice": "auto", "parallel_tool_calls": false, "store": false, "stream": true, "include": []})
        );
        let none = Reasoning { effort: Some(ReasoningEffort::Low), summary: Some(ReasoningSummaryMode::None) };
        assert_eq!(serde_json::to_value(none).unwrap(), json!({"effort": "low"}));
    }
}
