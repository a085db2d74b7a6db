//! Building a thread's session from the configuration: the model client, the base instructions,
//! the initial context (permissions, AGENTS.md, environment), reasoning settings and a thread id.
//! Shared by `codeloop exec` and the LSP server so both start threads the same way.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent_protocol::ThreadId;
use config::Config;
use model_client::{ClientConfig, ModelClient, ModelError, Reasoning};

use crate::compact::{compaction_prompt, TokenBudget};
use crate::prompt::{self, ContextSettings, PromptError};
use crate::rollout::{self, RolloutWriter, SessionMeta};
use crate::runtime::ToolRuntime;
use crate::session::{Session, SessionConfig};

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Rollout(#[from] crate::rollout::RolloutError),
    #[error("no model configured: set `model` in ~/.config/codeloop/config.toml, or pass -m MODEL / -c model=MODEL")]
    NoModel,
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// Default time an approval request waits for an answer before it counts as denied
/// (`approval_timeout_ms` in the config).
pub const DEFAULT_APPROVAL_TIMEOUT: Duration = Duration::from_millis(config::Config::DEFAULT_APPROVAL_TIMEOUT_MS);

/// A fresh, file-name-safe thread id: time-ordered (milliseconds, hex) plus randomness.
pub fn new_thread_id() -> ThreadId {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let random = std::collections::hash_map::RandomState::new();
    let noise = std::hash::BuildHasher::hash_one(&random, (std::process::id(), millis));
    ThreadId(format!("{millis:012x}-{:016x}", noise))
}

/// The session of a new thread in `cwd`.
pub fn new_session(config: &Config, cwd: &Path, tools: Arc<dyn ToolRuntime>, thread_id: ThreadId) -> Result<Session, SetupError> {
    let settings = ContextSettings::from_config(config, cwd);
    let root = prompt::find_project_root(cwd);
    let agents_md = prompt::project_docs(cwd, root.as_deref(), config::user_config_dir().as_deref(), config.project_doc_max_bytes as usize);
    let initial_context = prompt::initial_context(&settings, agents_md);
    Ok(Session::new(session_config(config, cwd, tools, thread_id, initial_context)?))
}

/// A new thread's session, persisted under `state_dir` when there is one.
pub fn start_thread(config: &Config, cwd: &Path, tools: Arc<dyn ToolRuntime>, state_dir: Option<&Path>) -> Result<Session, SetupError> {
    let id = new_thread_id();
    let session = new_session(config, cwd, tools, id.clone())?;
    let Some(dir) = state_dir else { return Ok(session) };
    let meta = SessionMeta::new(id, cwd.to_path_buf(), config.model.clone(), config.model_provider_id.clone());
    let writer = RolloutWriter::create(dir, &meta)?;
    Ok(session.with_rollout(writer, true))
}

/// Continues a persisted thread: its history as recorded (across compactions; calls left open by a
/// killed process get "aborted" outputs), appending to the same file.
pub fn resume_thread(
    config: &Config,
    cwd: &Path,
    tools: Arc<dyn ToolRuntime>,
    state_dir: &Path,
    id: &ThreadId,
) -> Result<Session, SetupError> {
    let path = rollout::find_thread(state_dir, id)?;
    let thread = rollout::load(&path)?;
    if thread.skipped_lines > 0 {
        tracing::warn!("{}: {} unreadable line(s) skipped", path.display(), thread.skipped_lines);
    }
    // The prefix a compaction would keep: rebuilt from today's settings.
    let settings = ContextSettings::from_config(config, cwd);
    let root = prompt::find_project_root(cwd);
    let agents_md = prompt::project_docs(cwd, root.as_deref(), config::user_config_dir().as_deref(), config.project_doc_max_bytes as usize);
    let initial_context = prompt::initial_context(&settings, agents_md);
    let session_config = session_config(config, cwd, tools, id.clone(), initial_context)?;
    let mut session = Session::resume(session_config, thread.history);
    if let Some(u) = thread.usage {
        session.last_usage = Some(u);
        session.usage_mark = session.history.len();
    }
    let writer = RolloutWriter::resume(&path)?;
    Ok(session.with_rollout(writer, false))
}

/// The settings half of a session (also used when resuming, with the recorded history).
pub fn session_config(
    config: &Config,
    cwd: &Path,
    tools: Arc<dyn ToolRuntime>,
    thread_id: ThreadId,
    initial_context: Vec<agent_protocol::ResponseItem>,
) -> Result<SessionConfig, SetupError> {
    let model = config.model.clone().ok_or(SetupError::NoModel)?;
    let known_window = known_context_window(&model);
    let client = ModelClient::new(config.model_provider.clone(), ClientConfig::default())?;
    Ok(SessionConfig {
        thread_id,
        model,
        cwd: cwd.to_path_buf(),
        instructions: prompt::base_instructions(config)?,
        initial_context,
        client,
        tools,
        reasoning: reasoning(config),
        verbosity: config.model_verbosity,
        approval_timeout: std::time::Duration::from_millis(config.approval_timeout_ms),
        context_window: config.model_context_window.or(known_window),
        budget: TokenBudget::from_config(config, known_window),
        compact_prompt: compaction_prompt(config).to_string(),
        index: None,
    })
}

/// The policy commands run under, from `sandbox_mode` and `[sandbox_workspace_write]`.
pub fn sandbox_policy(config: &Config) -> sandbox::SandboxPolicy {
    sandbox::SandboxPolicy {
        mode: config.sandbox_mode,
        writable_roots: config.sandbox_workspace_write.writable_roots.clone(),
        network: config.sandbox_workspace_write.network_access,
        ..sandbox::SandboxPolicy::default()
    }
}

/// Context windows of well-known model families (configure `model_context_window` for others).
pub fn known_context_window(model: &str) -> Option<u64> {
    let m = model.to_ascii_lowercase();
    let table: &[(&str, u64)] = &[("gpt-5", 272_000), ("gpt-4.1", 1_047_576), ("gpt-4o", 128_000), ("o3", 200_000), ("o4", 200_000)];
    table.iter().find(|(prefix, _)| m.starts_with(prefix)).map(|&(_, w)| w)
}

fn reasoning(config: &Config) -> Option<Reasoning> {
    if config.model_reasoning_effort.is_none() && config.model_reasoning_summary.is_none() {
        return None;
    }
    Some(Reasoning { effort: config.model_reasoning_effort, summary: config.model_reasoning_summary })
}
