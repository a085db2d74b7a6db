//! Reading session files back: `load` rebuilds a thread's history (across compactions), usage
//! and last settings; `list_threads` summarises the sessions under a state directory; `fork`
//! starts a new thread from another's history.
//!
//! A line counts only when it ends with a newline and parses: the unterminated last line of a
//! process killed mid-write, and any line this build cannot read, are skipped (and counted), never
//! an error for the whole file. Deliberately not here: rollback to an earlier turn, and any cache
//! of summaries (listing reads the files).

use agent_protocol::{FunctionCallOutput, ResponseItem, Role, ThreadId, TokenUsage};
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::writer::RolloutWriter;
use super::{check_thread_id, clock, io_err, sessions_dir, Result, RolloutError, RolloutLine, SessionMeta};
use crate::prompt::{is_injected_context, ContextSettings};

/// A thread as read back from its file.
#[derive(Clone, Debug, PartialEq)]
pub struct ResumedThread {
    pub meta: SessionMeta,
    pub path: PathBuf,
    /// The history to continue from: the last compaction's replacement history and the items
    /// after it, with tool calls that never got an output closed by an "aborted" output.
    pub history: Vec<ResponseItem>,
    /// The provider's usage of the last response after the last compaction.
    pub usage: Option<TokenUsage>,
    /// The settings the model last saw (the last `turn_context` line).
    pub settings: Option<ContextSettings>,
    /// The last turn started and never ended (the process died or was killed mid-turn).
    pub interrupted: bool,
    /// Lines that were skipped: unparsable, or an unterminated last line.
    pub skipped_lines: usize,
}

/// The output given to a tool call that has none in a reloaded history.
const ABORTED_OUTPUT: &str = "aborted";

/// Reads a session file. Fails only if the file cannot be read or its first line is not session
/// metadata.
pub fn load(path: &Path) -> Result<ResumedThread> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    let mut lines = bytes.split_inclusive(|&b| b == b'\n');
    let meta = match lines.next().filter(|l| l.ends_with(b"\n")).map(serde_json::from_slice::<RolloutLine>) {
        Some(Ok(RolloutLine::SessionMeta(meta))) => meta,
        _ => return Err(RolloutError::MissingMeta { path: path.to_path_buf() }),
    };
    let mut thread = ResumedThread {
        meta,
        path: path.to_path_buf(),
        history: Vec::new(),
        usage: None,
        settings: None,
        interrupted: false,
        skipped_lines: 0,
    };
    for (i, raw) in lines.enumerate() {
        let parsed = if raw.ends_with(b"\n") { serde_json::from_slice::<RolloutLine>(raw).ok() } else { None };
        let Some(line) = parsed else {
            tracing::warn!(path = %path.display(), line = i + 2, "skipping an unreadable session line");
            thread.skipped_lines += 1;
            continue;
        };
        match line {
            RolloutLine::SessionMeta(_) => thread.skipped_lines += 1,
            RolloutLine::ResponseItem { item } => {
                if item.is_sendable() {
                    thread.history.push(item);
                }
            }
            RolloutLine::TurnStarted { .. } => thread.interrupted = true,
            RolloutLine::TurnEnded { .. } => thread.interrupted = false,
            RolloutLine::TurnContext(settings) => thread.settings = Some(settings),
            RolloutLine::Compacted { replacement_history } => {
                thread.history = replacement_history;
                thread.usage = None;
            }
            RolloutLine::TokenUsage { usage } => thread.usage = Some(usage),
            RolloutLine::DiscardItems { count } => {
                let keep = thread.history.len().saturating_sub(count);
                thread.history.truncate(keep);
            }
        }
    }
    repair_tool_pairs(&mut thread.history);
    Ok(thread)
}

/// Makes a history acceptable to the provider after an interruption: every tool call gets an
/// output (an "aborted" one is appended for calls that have none) and outputs without their call
/// are dropped.
pub fn repair_tool_pairs(history: &mut Vec<ResponseItem>) {
    let mut calls = HashSet::new();
    let mut outputs = HashSet::new();
    for item in history.iter() {
        match item {
            ResponseItem::FunctionCall { call_id, .. } | ResponseItem::CustomToolCall { call_id, .. } => {
                calls.insert(call_id.clone());
            }
            ResponseItem::FunctionCallOutput { call_id, .. } | ResponseItem::CustomToolCallOutput { call_id, .. } => {
                outputs.insert(call_id.clone());
            }
            _ => {}
        }
    }
    history.retain(|item| match item {
        ResponseItem::FunctionCallOutput { call_id, .. } | ResponseItem::CustomToolCallOutput { call_id, .. } => calls.contains(call_id),
        _ => true,
    });
    let missing: Vec<ResponseItem> = history
        .iter()
        .filter_map(|item| match item {
            ResponseItem::FunctionCall { call_id, .. } if !outputs.contains(call_id) => Some(ResponseItem::FunctionCallOutput {
                call_id: call_id.clone(),
                output: FunctionCallOutput::Text(ABORTED_OUTPUT.to_string()),
            }),
            ResponseItem::CustomToolCall { call_id, .. } if !outputs.contains(call_id) => {
                Some(ResponseItem::CustomToolCallOutput { call_id: call_id.clone(), output: ABORTED_OUTPUT.to_string() })
            }
            _ => None,
        })
        .collect();
    history.extend(missing);
}

/// One thread in a listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadSummary {
    pub id: ThreadId,
    pub path: PathBuf,
    pub created_at: String,
    /// The file's modification time (RFC 3339, UTC).
    pub updated_at: String,
    pub cwd: PathBuf,
    pub model: Option<String>,
    pub forked_from: Option<ThreadId>,
    /// The start of the first message the user wrote (injected context left out), on one line.
    pub preview: Option<String>,
}

/// How much of the first user message a summary shows.
pub const PREVIEW_CHARS: usize = 80;

/// Every thread under `state_dir`, most recently updated first. Files that are not session
/// files are skipped with a warning; a missing sessions directory is an empty list.
pub fn list_threads(state_dir: &Path) -> Result<Vec<ThreadSummary>> {
    let root = sessions_dir(state_dir);
    let mut files = Vec::new();
    collect_jsonl(&root, 0, &mut files)?;
    let mut out = Vec::new();
    for path in files {
        match summarize(&path) {
            Ok(Some(s)) => out.push(s),
            Ok(None) => tracing::warn!(path = %path.display(), "not a session file; skipped"),
            Err(e) => tracing::warn!(error = %e, "cannot read a session file; skipped"),
        }
    }
    out.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then_with(|| b.created_at.cmp(&a.created_at)).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

/// `*.jsonl` files under `dir`, at most four levels down (`YYYY/MM/DD/<id>.jsonl`).
fn collect_jsonl(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && depth == 0 => return Ok(()),
        Err(e) => return Err(RolloutError::Io { path: dir.to_path_buf(), source: e }),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() && depth < 3 {
            collect_jsonl(&path, depth + 1, out)?;
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "jsonl") {
            out.push(path);
        }
    }
    Ok(())
}

fn summarize(path: &Path) -> Result<Option<ThreadSummary>> {
    let file = std::fs::File::open(path).map_err(io_err(path))?;
    let modified = file.metadata().and_then(|m| m.modified()).map_err(io_err(path))?;
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line).map_err(io_err(path))?;
    let Ok(RolloutLine::SessionMeta(meta)) = serde_json::from_slice::<RolloutLine>(&line) else {
        return Ok(None);
    };
    let mut preview = None;
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let Ok(RolloutLine::ResponseItem { item }) = serde_json::from_slice::<RolloutLine>(&line) else { continue };
        if matches!(item, ResponseItem::Message { role: Role::User, .. }) && !is_injected_context(&item) {
            preview = item.message_text().map(|t| one_line_preview(&t));
            break;
        }
    }
    Ok(Some(ThreadSummary {
        id: meta.id,
        path: path.to_path_buf(),
        created_at: meta.created_at,
        updated_at: clock::utc_timestamp(modified),
        cwd: meta.cwd,
        model: meta.model,
        forked_from: meta.forked_from,
        preview,
    }))
}

fn one_line_preview(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= PREVIEW_CHARS {
        return flat;
    }
    let mut s: String = flat.chars().take(PREVIEW_CHARS - 1).collect();
    s.push('…');
    s
}

/// The session file of thread `id` under `state_dir`.
pub fn find_thread(state_dir: &Path, id: &ThreadId) -> Result<PathBuf> {
    check_thread_id(id)?;
    let name = format!("{id}.jsonl");
    let mut files = Vec::new();
    collect_jsonl(&sessions_dir(state_dir), 0, &mut files)?;
    files
        .into_iter()
        .find(|p| p.file_name().is_some_and(|n| n.to_str() == Some(name.as_str())))
        .ok_or_else(|| RolloutError::NotFound(id.clone()))
}

/// Starts thread `new_id` from the history of thread `source`: a new file whose metadata names
/// `source` in `forked_from`, holding the source's settings, reconstructed history and usage.
/// Returns the new file's writer and the new thread as `load` would read it. The source file is
/// not touched.
pub fn fork(state_dir: &Path, source: &ThreadId, new_id: ThreadId) -> Result<(RolloutWriter, ResumedThread)> {
    let source_thread = load(&find_thread(state_dir, source)?)?;
    let mut meta =
        SessionMeta::new(new_id, source_thread.meta.cwd.clone(), source_thread.meta.model.clone(), source_thread.meta.provider.clone());
    meta.forked_from = Some(source.clone());
    let mut writer = RolloutWriter::create(state_dir, &meta)?;
    if let Some(settings) = &source_thread.settings {
        writer.append(&RolloutLine::TurnContext(settings.clone()))?;
    }
    writer.append_items(&source_thread.history)?;
    if let Some(usage) = source_thread.usage {
        writer.append(&RolloutLine::TokenUsage { usage })?;
    }
    writer.sync()?;
    let thread = ResumedThread {
        meta,
        path: writer.path().to_path_buf(),
        history: source_thread.history,
        usage: source_thread.usage,
        settings: source_thread.settings,
        interrupted: false,
        skipped_lines: 0,
    };
    Ok((writer, thread))
}
