//! Model providers as configured under `[model_providers.<id>]`, with the keys Codex's config.toml
//! uses, and the built-in providers. Plain data: the config crate layers and validates files into
//! these; the client reads them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which wire dialect a provider speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WireApi {
    /// `POST {base_url}/responses` (OpenAI Responses API).
    #[default]
    Responses,
    /// `POST {base_url}/chat/completions` (Ollama, llama.cpp, vLLM, LM Studio, OpenRouter...).
    Chat,
}

/// One `[model_providers.<id>]` table. Unknown keys are an error (the config crate reports the file and key).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderInfo {
    /// Display name.
    pub name: String,
    /// e.g. `https://api.openai.com/v1`; the endpoint path is appended.
    pub base_url: Option<String>,
    /// Environment variable holding the API key, sent as `Authorization: Bearer`.
    pub env_key: Option<String>,
    /// Shown when `env_key` is unset.
    pub env_key_instructions: Option<String>,
    #[serde(default)]
    pub wire_api: WireApi,
    /// Appended to every request URL.
    pub query_params: Option<BTreeMap<String, String>>,
    /// Static headers.
    pub http_headers: Option<BTreeMap<String, String>>,
    /// Header name -> environment variable; sent when the variable is set and non-empty.
    pub env_http_headers: Option<BTreeMap<String, String>>,
    /// Retries of a request that failed before streaming began (default 4).
    pub request_max_retries: Option<u64>,
    /// Retries of a stream that broke before `completed` (default 5).
    pub stream_max_retries: Option<u64>,
    /// Idle time allowed between two stream events (default 300000).
    pub stream_idle_timeout_ms: Option<u64>,
    /// Whether `POST {base_url}/responses/compact` is available (remote compaction).
    pub supports_remote_compaction: Option<bool>,
}

impl ProviderInfo {
    pub const DEFAULT_REQUEST_MAX_RETRIES: u64 = 4;
    pub const DEFAULT_STREAM_MAX_RETRIES: u64 = 5;
    pub const DEFAULT_STREAM_IDLE_TIMEOUT_MS: u64 = 300_000;
    /// Caps that keep a typo from retrying for hours.
    pub const MAX_RETRIES_CAP: u64 = 100;

    pub fn request_max_retries(&self) -> u64 {
        self.request_max_retries.unwrap_or(Self::DEFAULT_REQUEST_MAX_RETRIES).min(Self::MAX_RETRIES_CAP)
    }
    pub fn stream_max_retries(&self) -> u64 {
        self.stream_max_retries.unwrap_or(Self::DEFAULT_STREAM_MAX_RETRIES).min(Self::MAX_RETRIES_CAP)
    }
    pub fn stream_idle_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.stream_idle_timeout_ms.unwrap_or(Self::DEFAULT_STREAM_IDLE_TIMEOUT_MS))
    }

    fn plain(name: &str, base_url: &str, wire_api: WireApi) -> ProviderInfo {
        ProviderInfo {
            name: name.to_string(),
            base_url: Some(base_url.to_string()),
            env_key: None,
            env_key_instructions: None,
            wire_api,
            query_params: None,
            http_headers: None,
            env_http_headers: None,
            request_max_retries: None,
            stream_max_retries: None,
            stream_idle_timeout_ms: None,
            supports_remote_compaction: None,
        }
    }
}

/// The providers every configuration starts with. User tables with the same id replace them.
pub fn built_in_providers() -> BTreeMap<String, ProviderInfo> {
    let mut openai = ProviderInfo::plain("OpenAI", "https://api.openai.com/v1", WireApi::Responses);
    openai.env_key = Some("OPENAI_API_KEY".into());
    openai.env_key_instructions = Some("create a key at https://platform.openai.com/api-keys and export OPENAI_API_KEY".into());
    openai.env_http_headers = Some(BTreeMap::from([
        ("OpenAI-Organization".to_string(), "OPENAI_ORGANIZATION".to_string()),
        ("OpenAI-Project".to_string(), "OPENAI_PROJECT".to_string()),
    ]));
    openai.supports_remote_compaction = Some(true);
    BTreeMap::from([
        ("openai".to_string(), openai),
        ("ollama".to_string(), ProviderInfo::plain("Ollama", "http://127.0.0.1:11434/v1", WireApi::Chat)),
        ("lmstudio".to_string(), ProviderInfo::plain("LM Studio", "http://127.0.0.1:1234/v1", WireApi::Chat)),
    ])
}
