//! The typed configuration the rest of codeloop reads, and the per-key shapes the layers are
//! validated against. Keys follow Codex's config.toml where Codex has one.

use model_client::ProviderInfo;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::LayerSource;

/// The model client's own types, so a configured value goes to the request without a mapping.
pub use model_client::{ReasoningEffort, ReasoningSummaryMode as ReasoningSummary, Verbosity};

/// The sandbox crate's approval policy (Codex's names), so config and the decision logic share one type.
pub use sandbox::approval::AskForApproval as ApprovalPolicy;

/// The sandbox crate's mode, so config and the runner share one type.
pub use sandbox::SandboxMode;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxWorkspaceWrite {
    #[serde(default)]
    pub writable_roots: Vec<PathBuf>,
    #[serde(default)]
    pub network_access: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustLevel {
    Trusted,
    Untrusted,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectEntry {
    pub trust_level: TrustLevel,
}

/// One layer's view of the known keys, all optional. Each key of each layer is checked against this
/// on its own, so an error names exactly one key.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ConfigToml {
    pub model: Option<String>,
    pub model_provider: Option<String>,
    pub model_providers: Option<BTreeMap<String, toml::Table>>,
    pub model_reasoning_effort: Option<ReasoningEffort>,
    pub model_reasoning_summary: Option<ReasoningSummary>,
    pub model_verbosity: Option<Verbosity>,
    pub model_context_window: Option<u64>,
    pub model_auto_compact_token_limit: Option<u64>,
    pub model_instructions_file: Option<PathBuf>,
    pub developer_instructions: Option<String>,
    pub compact_prompt: Option<String>,
    pub project_doc_max_bytes: Option<u64>,
    pub tool_output_token_limit: Option<u64>,
    pub shell_timeout_ms: Option<u64>,
    pub approval_timeout_ms: Option<u64>,
    pub approval_policy: Option<ApprovalPolicy>,
    pub sandbox_mode: Option<SandboxMode>,
    pub sandbox_workspace_write: Option<SandboxWorkspaceWrite>,
    /// Validated here; the trust check reads the merged table (it runs before the later layers exist).
    #[allow(dead_code)]
    pub projects: Option<BTreeMap<String, ProjectEntry>>,
    pub mcp_servers: Option<toml::Table>,
}

/// Keys of `ConfigToml`; anything else at the top level is a warning.
pub(crate) const KNOWN_KEYS: &[&str] = &[
    "model",
    "model_provider",
    "model_providers",
    "model_reasoning_effort",
    "model_reasoning_summary",
    "model_verbosity",
    "model_context_window",
    "model_auto_compact_token_limit",
    "model_instructions_file",
    "developer_instructions",
    "compact_prompt",
    "project_doc_max_bytes",
    "tool_output_token_limit",
    "shell_timeout_ms",
    "approval_timeout_ms",
    "approval_policy",
    "sandbox_mode",
    "sandbox_workspace_write",
    "projects",
    "mcp_servers",
];

/// The merged, validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// `None` until some layer names a model; the agent reports that clearly before a turn.
    pub model: Option<String>,
    /// The id of the selected provider (`model_provider`, default `openai`).
    pub model_provider_id: String,
    /// The selected provider, resolved from `model_providers`.
    pub model_provider: ProviderInfo,
    /// Every provider after merging (built-ins plus user tables).
    pub model_providers: BTreeMap<String, ProviderInfo>,
    pub model_reasoning_effort: Option<ReasoningEffort>,
    pub model_reasoning_summary: Option<ReasoningSummary>,
    pub model_verbosity: Option<Verbosity>,
    pub model_context_window: Option<u64>,
    pub model_auto_compact_token_limit: Option<u64>,
    pub model_instructions_file: Option<PathBuf>,
    pub developer_instructions: Option<String>,
    pub compact_prompt: Option<String>,
    pub project_doc_max_bytes: u64,
    pub tool_output_token_limit: Option<u64>,
    pub shell_timeout_ms: u64,
    /// An approval nobody answers within this time counts as denied; the turn goes on.
    pub approval_timeout_ms: u64,
    pub approval_policy: ApprovalPolicy,
    pub sandbox_mode: SandboxMode,
    pub sandbox_workspace_write: SandboxWorkspaceWrite,
    pub mcp_servers: toml::Table,
    /// The layers that were read, in order.
    pub sources: Vec<LayerSource>,
    /// Unknown keys and ignored untrusted settings, one readable line each.
    pub warnings: Vec<String>,
}

impl Config {
    pub const DEFAULT_PROJECT_DOC_MAX_BYTES: u64 = 32 * 1024;
    pub const DEFAULT_SHELL_TIMEOUT_MS: u64 = 10_000;
    pub const DEFAULT_APPROVAL_TIMEOUT_MS: u64 = 300_000;
}
