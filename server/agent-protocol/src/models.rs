//! Conversation items and tool specifications, spelled exactly as the OpenAI Responses API spells
//! them (`input` items of a request, `output` items of a response). The Chat Completions dialect is
//! a translation of these in model-client; nothing here knows about it.
//!
//! Item `id`s are deliberately not modelled: requests use `store: false`, so ids are never sent
//! back, and reasoning continuity comes from `encrypted_content`. Unknown item and content types
//! deserialize to `Other` so a new server feature cannot break a stream; `Other` is never sent.

use serde::{Deserialize, Serialize};

/// One item of a conversation, as input to or output of the Responses API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResponseItem {
    Message {
        role: Role,
        content: Vec<ContentItem>,
        /// `commentary` for progress notes between tool calls, `final_answer` for the answer.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        phase: Option<MessagePhase>,
    },
    Reasoning {
        /// Always sent, even empty: the API requires the field on input reasoning items.
        #[serde(default)]
        summary: Vec<ReasoningSummary>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<Vec<ReasoningContent>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encrypted_content: Option<String>,
    },
    FunctionCall {
        name: String,
        /// The MCP namespace a namespaced tool was called through.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        /// JSON text, exactly as the model produced it (it may be invalid JSON).
        arguments: String,
        call_id: String,
    },
    FunctionCallOutput {
        call_id: String,
        output: FunctionCallOutput,
    },
    CustomToolCall {
        name: String,
        input: String,
        call_id: String,
    },
    CustomToolCallOutput {
        call_id: String,
        output: String,
    },
    /// An opaque server-side compaction of earlier history.
    #[serde(alias = "compaction_summary")]
    Compaction {
        encrypted_content: String,
    },
    /// An item type this build does not know. Kept out of requests.
    #[serde(other)]
    Other,
}

impl ResponseItem {
    pub fn message(role: Role, text: impl Into<String>) -> ResponseItem {
        let text = text.into();
        let content = match role {
            Role::Assistant => ContentItem::OutputText { text },
            _ => ContentItem::InputText { text },
        };
        ResponseItem::Message { role, content: vec![content], phase: None }
    }

    pub fn user_text(text: impl Into<String>) -> ResponseItem {
        ResponseItem::message(Role::User, text)
    }

    pub fn developer_text(text: impl Into<String>) -> ResponseItem {
        ResponseItem::message(Role::Developer, text)
    }

    pub fn assistant_text(text: impl Into<String>) -> ResponseItem {
        ResponseItem::message(Role::Assistant, text)
    }

    /// The concatenated text of a message item; `None` for other items.
    pub fn message_text(&self) -> Option<String> {
        match self {
            ResponseItem::Message { content, .. } => Some(
                content
                    .iter()
                    .filter_map(|c| match c {
                        ContentItem::InputText { text } | ContentItem::OutputText { text } => Some(text.as_str()),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The call id of a tool call or a tool output.
    pub fn call_id(&self) -> Option<&str> {
        match self {
            ResponseItem::FunctionCall { call_id, .. }
            | ResponseItem::FunctionCallOutput { call_id, .. }
            | ResponseItem::CustomToolCall { call_id, .. }
            | ResponseItem::CustomToolCallOutput { call_id, .. } => Some(call_id),
            _ => None,
        }
    }

    /// Whether the item may be sent to a provider (`Other` may not).
    pub fn is_sendable(&self) -> bool {
        !matches!(self, ResponseItem::Other)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    Developer,
    User,
    Assistant,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MessagePhase {
    Commentary,
    FinalAnswer,
    #[serde(other)]
    Other,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContentItem {
    InputText {
        text: String,
    },
    /// An image as a URL or a `data:` URL.
    InputImage {
        image_url: String,
    },
    OutputText {
        text: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReasoningSummary {
    SummaryText { text: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReasoningContent {
    ReasoningText { text: String },
    Text { text: String },
}

/// The `output` of a `function_call_output`: a string, or content items (e.g. an image).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FunctionCallOutput {
    Text(String),
    Content(Vec<ContentItem>),
}

impl FunctionCallOutput {
    /// The text the model sees (content items' text joined; images omitted).
    pub fn text(&self) -> String {
        match self {
            FunctionCallOutput::Text(t) => t.clone(),
            FunctionCallOutput::Content(items) => items
                .iter()
                .filter_map(|c| match c {
                    ContentItem::InputText { text } | ContentItem::OutputText { text } => Some(text.as_str()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

/// A tool offered to the model, as the Responses API `tools` array spells it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ToolSpec {
    Function {
        name: String,
        description: String,
        strict: bool,
        /// A JSON Schema object.
        parameters: serde_json::Value,
    },
    /// A freeform tool whose input is plain text, optionally constrained by a grammar (apply_patch).
    Custom {
        name: String,
        description: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        format: Option<CustomToolFormat>,
    },
}

impl ToolSpec {
    pub fn name(&self) -> &str {
        match self {
            ToolSpec::Function { name, .. } | ToolSpec::Custom { name, .. } => name,
        }
    }
}

/// `{"type": "grammar", "syntax": "lark", "definition": "..."}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomToolFormat {
    #[serde(rename = "type")]
    pub kind: String,
    pub syntax: String,
    pub definition: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_round_trip_in_the_wire_shape() {
        let items = vec![
            ResponseItem::user_text("hi"),
            ResponseItem::Reasoning { summary: vec![], content: None, encrypted_content: Some("gAAA".into()) },
            ResponseItem::FunctionCall {
                name: "shell".into(),
                namespace: None,
                arguments: "{\"cmd\":\"ls\"}".into(),
                call_id: "c1".into(),
            },
            ResponseItem::FunctionCallOutput { call_id: "c1".into(), output: FunctionCallOutput::Text("ok".into()) },
            ResponseItem::CustomToolCall { name: "apply_patch".into(), input: "*** Begin Patch".into(), call_id: "c2".into() },
            ResponseItem::CustomToolCallOutput { call_id: "c2".into(), output: "done".into() },
        ];
        let v = serde_json::to_value(&items).unwrap();
        assert_eq!(
            v,
            json!([
                {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]},
                {"type": "reasoning", "summary": [], "encrypted_content": "gAAA"},
                {"type": "function_call", "name": "shell", "arguments": "{\"cmd\":\"ls\"}", "call_id": "c1"},
                {"type": "function_call_output", "call_id": "c1", "output": "ok"},
                {"type": "custom_tool_call", "name": "apply_patch", "input": "*** Begin Patch", "call_id": "c2"},
                {"type": "custom_tool_call_output", "call_id": "c2", "output": "done"},
            ])
        );
        let back: Vec<ResponseItem> = serde_json::from_value(v).unwrap();
        assert_eq!(back, items);
    }

    #[test]
    fn server_items_with_extra_fields_and_unknown_types_parse() {
        let v = json!([
            {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant", "phase": "commentary",
             "content": [{"type": "output_text", "text": "a", "annotations": [], "logprobs": []}, {"type": "refusal", "refusal": "no"}]},
            {"type": "web_search_call", "id": "ws_1", "status": "completed"},
            {"type": "compaction_summary", "encrypted_content": "x"},
        ]);
        let items: Vec<ResponseItem> = serde_json::from_value(v).unwrap();
        assert_eq!(items[0].message_text().as_deref(), Some("a"));
        assert!(matches!(items[0], ResponseItem::Message { phase: Some(MessagePhase::Commentary), .. }));
        assert_eq!(items[1], ResponseItem::Other);
        assert!(!items[1].is_sendable());
        assert_eq!(items[2], ResponseItem::Compaction { encrypted_content: "x".into() });
    }

    #[test]
    fn tool_specs_serialize_as_the_api_expects() {
        let t = ToolSpec::Custom {
            name: "apply_patch".into(),
            description: "edit files".into(),
            format: Some(CustomToolFormat { kind: "grammar".into(), syntax: "lark".into(), definition: "start: x".into() }),
        };
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            json!({"type": "custom", "name": "apply_patch", "description": "edit files",
                   "format": {"type": "grammar", "syntax": "lark", "definition": "start: x"}})
        );
    }
}
