//! The state of one thread between turns: settings, the model client, the tools, and the
//! append-only history. A turn borrows it mutably; the thread actor owns it.

use std::sync::Arc;
use std::time::Duration;

use agent_protocol::{ResponseItem, ThreadId, TokenUsage};
use model_client::{ModelClient, ModelRequest, Reasoning, Verbosity};

use crate::runtime::ToolRuntime;

/// Everything a thread needs to run turns.
pub struct SessionConfig {
    pub thread_id: ThreadId,
    pub model: String,
    pub cwd: std::path::PathBuf,
    /// The base instructions (Responses `instructions`).
    pub instructions: String,
    /// The fixed prefix of the history: permissions, AGENTS.md, environment context.
    pub initial_context: Vec<ResponseItem>,
    pub client: ModelClient,
    pub tools: Arc<dyn ToolRuntime>,
    pub reasoning: Option<Reasoning>,
    pub verbosity: Option<Verbosity>,
    /// An unanswered approval becomes a denial after this long.
    pub approval_timeout: Duration,
    /// The model's context window in tokens, when known.
    pub context_window: Option<u64>,
}

pub struct Session {
    pub config: SessionConfig,
    /// Append-only: the initial context, then every item of every turn. Never rewritten, except by
    /// compaction, which replaces it wholesale.
    pub history: Vec<ResponseItem>,
    pub total_usage: TokenUsage,
    pub last_usage: Option<TokenUsage>,
}

impl Session {
    pub fn new(config: SessionConfig) -> Session {
        let history = config.initial_context.clone();
        Session { config, history, total_usage: TokenUsage::default(), last_usage: None }
    }

    /// Resumes with a history reconstructed from a rollout.
    pub fn resume(config: SessionConfig, history: Vec<ResponseItem>) -> Session {
        Session { config, history, total_usage: TokenUsage::default(), last_usage: None }
    }

    /// Appends items to the history (and, once sessions are persisted, to the rollout).
    pub fn record(&mut self, items: impl IntoIterator<Item = ResponseItem>) {
        self.history.extend(items);
    }

    /// The next request: the same instructions, tools and cache key every time, and the whole
    /// history as input, so every request's input extends the previous one.
    pub fn request(&self) -> ModelRequest {
        ModelRequest {
            model: self.config.model.clone(),
            instructions: self.config.instructions.clone(),
            input: self.history.clone(),
            tools: self.config.tools.specs(),
            parallel_tool_calls: true,
            reasoning: self.config.reasoning,
            verbosity: self.config.verbosity,
            prompt_cache_key: Some(self.config.thread_id.to_string()),
            thread_id: Some(self.config.thread_id.clone()),
        }
    }
}
