//! Sessions on disk: one JSONL file per thread ("rollout"), written line by line as the thread
//! goes, read back to resume, fork and list threads. See docs/sessions.md for the format.
//!
//! Invariants: every line is redacted before it is written; a line is written with one
//! `write_all` of the whole line (newline included) to a file opened with `O_APPEND`, and the
//! file is fsynced at turn ends; reading never fails on a damaged line: an unterminated last line
//! (a process killed mid-write) or an unparsable one is skipped, and the rest of the file counts.
//!
//! Deliberately not here: when to write (the turn loop decides what is worth keeping) and any
//! index of sessions (listing reads the files' first lines; there is no database). The I/O is
//! blocking std::fs: lines are small and go to the page cache; call `sync` off the async runtime.

pub mod clock;
mod reader;
mod redact;
#[cfg(test)]
mod tests;
mod writer;

pub use reader::{find_thread, fork, list_threads, load, repair_tool_pairs, ResumedThread, ThreadSummary, PREVIEW_CHARS};
pub use redact::{Redactor, REDACTED};
pub use writer::RolloutWriter;

use agent_protocol::{ResponseItem, ThreadId, TokenUsage, TurnId};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::prompt::ContextSettings;

#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot serialize a session line: {0}")]
    Serialize(#[source] serde_json::Error),
    #[error("{path} is not a session file: its first line is not complete session metadata")]
    MissingMeta { path: PathBuf },
    #[error("invalid thread id {0:?}: use letters, digits, '-', '_' and '.' (at most 128)")]
    InvalidThreadId(String),
    #[error("no session file for thread {0}")]
    NotFound(ThreadId),
    #[error("session file {path} already exists")]
    AlreadyExists { path: PathBuf },
}

pub type Result<T, E = RolloutError> = std::result::Result<T, E>;

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RolloutError + '_ {
    move |source| RolloutError::Io { path: path.to_path_buf(), source }
}

/// The first line of a session file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionMeta {
    pub id: ThreadId,
    /// RFC 3339, UTC (`clock::utc_timestamp`).
    pub created_at: String,
    pub cwd: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The provider id (`model_provider`).
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forked_from: Option<ThreadId>,
    /// The codeloop version that created the file.
    pub version: String,
}

impl SessionMeta {
    /// Metadata for a thread created now by this build.
    pub fn new(id: ThreadId, cwd: PathBuf, model: Option<String>, provider: String) -> SessionMeta {
        SessionMeta { id, created_at: clock::now_timestamp(), cwd, model, provider, forked_from: None, version: VERSION.to_string() }
    }
}

/// The codeloop version written into new session files.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How a turn ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TurnStatus {
    Completed,
    Aborted,
    Failed,
}

/// One line of a session file, tagged by `type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RolloutLine {
    /// Always the first line, and only there.
    SessionMeta(SessionMeta),
    /// An item recorded into the thread's history (in history order).
    ResponseItem {
        item: ResponseItem,
    },
    TurnStarted {
        turn_id: TurnId,
        ts: String,
    },
    TurnEnded {
        turn_id: TurnId,
        ts: String,
        status: TurnStatus,
    },
    /// The settings the model was told about as of this point (written when they change), so
    /// that a resumed thread appends only real changes.
    TurnContext(ContextSettings),
    /// The history was compacted: `replacement_history` replaces everything before this line.
    Compacted {
        replacement_history: Vec<ResponseItem>,
    },
    /// The provider's usage for the latest response.
    TokenUsage {
        usage: TokenUsage,
    },
    /// The last `count` items were written ahead for a response that was then retried or failed:
    /// they are not part of the history. (Items are written when they arrive, before their tool
    /// calls run, so a process killed mid-call still leaves the call in the file.)
    DiscardItems {
        count: usize,
    },
}

impl RolloutLine {
    pub fn item(item: ResponseItem) -> RolloutLine {
        RolloutLine::ResponseItem { item }
    }

    pub fn turn_started(turn_id: TurnId) -> RolloutLine {
        RolloutLine::TurnStarted { turn_id, ts: clock::now_timestamp() }
    }

    pub fn turn_ended(turn_id: TurnId, status: TurnStatus) -> RolloutLine {
        RolloutLine::TurnEnded { turn_id, ts: clock::now_timestamp(), status }
    }
}

/// The state directory: `$CODELOOP_STATE_DIR`, else `$XDG_STATE_HOME/codeloop`, else
/// `~/.local/state/codeloop`. `None` when none of these variables is set.
pub fn state_dir() -> Option<PathBuf> {
    stdx::app_dir("CODELOOP_STATE_DIR", "XDG_STATE_HOME", ".local/state")
}

/// Where sessions live under the state directory.
pub fn sessions_dir(state_dir: &Path) -> PathBuf {
    state_dir.join("sessions")
}

/// Thread ids become file names: only a safe alphabet is accepted.
pub fn check_thread_id(id: &ThreadId) -> Result<()> {
    let s = id.as_str();
    let ok = !s.is_empty()
        && s.len() <= 128
        && !s.starts_with('.')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(RolloutError::InvalidThreadId(s.to_string()))
    }
}
