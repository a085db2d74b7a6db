//! The state of one thread between turns: settings, the model client, the tools, and the
//! append-only history. A turn borrows it mutably; the thread actor owns it.

use std::sync::Arc;
use std::time::Duration;

use agent_protocol::{ResponseItem, ThreadId, TokenUsage};
use model_client::{ModelClient, ModelRequest, Reasoning, Verbosity};

use crate::compact::TokenBudget;
use crate::rollout::{RolloutLine, RolloutWriter};
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
    /// When to compact; `None` when the window is unknown (then only on overflow or on request).
    pub budget: Option<TokenBudget>,
    /// The summarization prompt of local compaction.
    pub compact_prompt: String,
    /// The workspace index, for the definitions in the editor context (LSP mode).
    pub index: Option<index::Index>,
}

pub struct Session {
    pub config: SessionConfig,
    /// Append-only: the initial context, then every item of every turn. Never rewritten, except by
    /// compaction, which replaces it wholesale.
    pub history: Vec<ResponseItem>,
    pub total_usage: TokenUsage,
    pub last_usage: Option<TokenUsage>,
    /// `history.len()` when `last_usage` was reported: later items are estimated.
    pub usage_mark: usize,
    /// The session file; `None` when sessions are not persisted (no state dir).
    pub rollout: Option<RolloutWriter>,
}

impl Session {
    pub fn new(config: SessionConfig) -> Session {
        let history = config.initial_context.clone();
        Session::resume(config, history)
    }

    /// Resumes with a history reconstructed from a rollout.
    pub fn resume(config: SessionConfig, history: Vec<ResponseItem>) -> Session {
        Session { config, history, total_usage: TokenUsage::default(), last_usage: None, usage_mark: 0, rollout: None }
    }

    /// Persists the session to `writer` from now on; the items already in the history are written
    /// first when `write_history` (a new thread), not when resuming (they are in the file).
    pub fn with_rollout(mut self, writer: RolloutWriter, write_history: bool) -> Session {
        self.rollout = Some(writer);
        if write_history {
            let items = self.history.clone();
            self.persist(items.iter().map(|i| RolloutLine::item(i.clone())));
        }
        self
    }

    /// Writes lines to the session file. A write error is logged and persistence stops: losing the
    /// transcript must not stop the user's work.
    pub fn persist(&mut self, lines: impl IntoIterator<Item = RolloutLine>) {
        let Some(writer) = self.rollout.as_mut() else { return };
        for line in lines {
            if let Err(e) = writer.append(&line) {
                tracing::error!("cannot write the session file {}: {e}; sessions are no longer saved", writer.path().display());
                self.rollout = None;
                return;
            }
        }
    }

    /// Flushes the session file to disk (at turn ends).
    pub fn sync(&mut self) {
        if let Some(w) = self.rollout.as_mut() {
            if let Err(e) = w.sync() {
                tracing::error!("cannot sync the session file {}: {e}", w.path().display());
            }
        }
    }

    /// Writes an output item to the session file as soon as it arrives (before its tool call
    /// runs), without adding it to the history yet: `adopt` does that once the response is
    /// complete, `discard_written` takes it back if the response is retried or fails.
    pub fn write_ahead(&mut self, item: &ResponseItem) {
        self.persist([RolloutLine::item(item.clone())]);
    }

    /// Adds items already written with `write_ahead` to the history.
    pub fn adopt(&mut self, items: Vec<ResponseItem>) {
        self.history.extend(items);
    }

    /// Marks the last `count` written-ahead items as not part of the history.
    pub fn discard_written(&mut self, count: usize) {
        if count > 0 {
            self.persist([RolloutLine::DiscardItems { count }]);
        }
    }

    /// Records a response's usage.
    pub fn record_usage(&mut self, usage: TokenUsage) {
        self.total_usage.add(&usage);
        self.last_usage = Some(usage);
        self.usage_mark = self.history.len();
        self.persist([RolloutLine::TokenUsage { usage }]);
    }

    /// Whether the context has reached the auto-compaction limit.
    pub fn should_compact(&self) -> bool {
        let since = &self.history[self.usage_mark.min(self.history.len())..];
        self.config.budget.is_some_and(|b| b.should_compact(self.last_usage.as_ref(), since))
    }

    /// The estimated size of the next request's input, in tokens.
    pub fn estimated_tokens(&self) -> u64 {
        let since = &self.history[self.usage_mark.min(self.history.len())..];
        TokenBudget::estimate_context(self.last_usage.as_ref(), since)
    }

    /// Replaces the history after a compaction.
    pub fn replace_history(&mut self, replacement: Vec<ResponseItem>) {
        self.persist([RolloutLine::Compacted { replacement_history: replacement.clone() }]);
        self.history = replacement;
        self.last_usage = None;
        self.usage_mark = 0;
    }

    /// Appends items to the history and to the session file.
    pub fn record(&mut self, items: impl IntoIterator<Item = ResponseItem>) {
        let start = self.history.len();
        self.history.extend(items);
        if self.rollout.is_some() {
            let lines: Vec<RolloutLine> = self.history[start..].iter().map(|i| RolloutLine::item(i.clone())).collect();
            self.persist(lines);
        }
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
