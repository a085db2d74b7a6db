//! A markdown transcript per thread under the state directory
//! (`<state>/transcripts/<threadId>.md`), appended as events arrive: the user's prompts, the
//! streamed messages, tool calls with the start of their output, and the diffs of edits. Opened
//! with `window/showDocument` (`external: false, takeFocus: false`) where the client supports
//! it: it is the streaming view for Helix, which drops custom notifications.
//!
//! Opt-in (`initializationOptions.transcript`). Appends are small synchronous writes from the
//! event dispatcher; a failing write is logged once and the transcript is dropped, nothing else.

use crate::convert;
use crate::documents::DocStore;
use agent_protocol::{BaseVersion, Event, EventMsg, FileChange, ItemKind};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use tower_lsp::lsp_types::ShowDocumentParams;
use tower_lsp::Client;

/// Tool output kept in the transcript.
const OUTPUT_LINES: usize = 20;
const OUTPUT_CHARS: usize = 2000;

#[derive(Default)]
pub struct Transcripts {
    files: Mutex<HashMap<String, PathBuf>>,
}

/// Where a thread's transcript lives.
pub fn path_of(state_dir: &Path, thread_id: &str) -> PathBuf {
    state_dir.join("transcripts").join(format!("{thread_id}.md"))
}

fn short(output: &str) -> String {
    let mut out: String = output.lines().take(OUTPUT_LINES).collect::<Vec<_>>().join("\n");
    if out.chars().count() > OUTPUT_CHARS {
        out = out.chars().take(OUTPUT_CHARS).collect();
    }
    if out.len() < output.trim_end().len() {
        out.push_str("\n…");
    }
    out
}

/// The lines around one replacement of `base` as `-`/`+` diff lines.
fn hunk(base: &str, start: usize, end: usize, new_text: &str) -> String {
    let (start, end) = (start.min(base.len()), end.min(base.len()));
    let line_start = base.get(..start).and_then(|b| b.rfind('\n')).map_or(0, |i| i + 1);
    let line_end = base.get(end..).and_then(|b| b.find('\n')).map_or(base.len(), |i| end + i);
    let line_no = base.get(..line_start).map_or(0, |b| b.matches('\n').count()) + 1;
    let old = base.get(line_start..line_end).unwrap_or("");
    let new = format!("{}{new_text}{}", base.get(line_start..start).unwrap_or(""), base.get(end..line_end).unwrap_or(""));
    let mut out = format!("@@ line {line_no} @@\n");
    for l in old.lines() {
        out.push_str(&format!("-{l}\n"));
    }
    for l in new.lines() {
        out.push_str(&format!("+{l}\n"));
    }
    out
}

fn diff(change: &FileChange, docs: &DocStore) -> String {
    match change {
        FileChange::Update { path, move_to, base, edits, .. } => {
            let base_text = match base {
                BaseVersion::Buffer { version } => docs.by_path(path).filter(|s| s.doc.version() == *version).map(|s| s.doc.text()),
                _ => std::fs::read_to_string(path).ok(),
            };
            let mut out = format!("--- {}\n+++ {}\n", path.display(), move_to.as_deref().unwrap_or(path).display());
            for e in edits {
                match &base_text {
                    Some(b) => out.push_str(&hunk(b, e.start, e.end, &e.new_text)),
                    None => e.new_text.lines().for_each(|l| out.push_str(&format!("+{l}\n"))),
                }
            }
            out
        }
        FileChange::Add { path, content } => {
            let mut out = format!("--- /dev/null\n+++ {}\n", path.display());
            content.lines().for_each(|l| out.push_str(&format!("+{l}\n")));
            out
        }
        FileChange::Delete { path, .. } => format!("--- {}\n+++ /dev/null\n", path.display()),
        _ => String::new(),
    }
}

impl Transcripts {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, PathBuf>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts (or continues, for a resumed thread) the transcript of a thread and shows it.
    pub fn open(&self, client: &Client, thread_id: &str, show_document: bool) {
        let Some(dir) = agent::rollout::state_dir() else { return };
        let path = path_of(&dir, thread_id);
        let header = if path.exists() { "\n---\n\n_thread resumed_\n".to_string() } else { format!("# codeloop thread {thread_id}\n") };
        if let Some(parent) = path.parent() {
            if let Err(e) = std::fs::create_dir_all(parent) {
                tracing::warn!("no transcript for {thread_id}: {e}");
                return;
            }
        }
        self.lock().insert(thread_id.to_string(), path.clone());
        self.append(thread_id, &header);
        if !show_document {
            return;
        }
        let Some(uri) = convert::path_to_uri(&path) else { return };
        let client = client.clone();
        tokio::spawn(async move {
            let params = ShowDocumentParams { uri, external: Some(false), take_focus: Some(false), selection: None };
            if let Err(e) = client.show_document(params).await {
                tracing::info!("the client did not show the transcript: {e}");
            }
        });
    }

    fn append(&self, thread_id: &str, text: &str) {
        let Some(path) = self.lock().get(thread_id).cloned() else { return };
        let written = std::fs::OpenOptions::new().create(true).append(true).open(&path).and_then(|mut f| f.write_all(text.as_bytes()));
        if let Err(e) = written {
            tracing::warn!("transcript {} dropped: {e}", path.display());
            self.lock().remove(thread_id);
        }
    }

    /// A prompt of the user (for a thread that has a transcript).
    pub fn prompt(&self, thread_id: Option<&str>, prompt: &str) {
        let Some(id) = thread_id else { return };
        let quoted: Vec<String> = prompt.lines().map(|l| format!("> {l}")).collect();
        self.append(id, &format!("\n## You\n\n{}\n", quoted.join("\n")));
    }

    /// One agent event.
    pub fn event(&self, event: &Event, docs: &DocStore) {
        let id = event.thread_id.as_str();
        let text = match &event.msg {
            EventMsg::TurnStarted => format!("\n## codeloop ({})\n\n", event.turn_id.as_deref().unwrap_or("turn")),
            EventMsg::MessageDelta { delta, .. } => delta.clone(),
            EventMsg::ItemCompleted { kind: ItemKind::Message, .. } => "\n\n".to_string(),
            EventMsg::ToolCallBegin { tool, summary, .. } => format!("\n**{tool}**: `{summary}`\n"),
            EventMsg::ToolCallEnd { success, output, duration_ms, .. } => {
                let status = if *success { "ok" } else { "failed" };
                format!("\n_{status} in {duration_ms} ms_\n\n```text\n{}\n```\n", short(output))
            }
            EventMsg::EditProposed { proposal, .. } => {
                let diffs: String = proposal.changes.iter().map(|c| diff(c, docs)).collect();
                format!("\n```diff\n{diffs}```\n")
            }
            EventMsg::ApprovalRequested { .. } => "\n_waiting for approval (codeloop.approve / codeloop.deny)_\n".to_string(),
            EventMsg::Compacted { tokens_before, tokens_after, .. } => {
                format!("\n_history compacted: {tokens_before} -> {tokens_after} tokens_\n")
            }
            EventMsg::TurnCompleted { .. } => "\n_turn completed_\n".to_string(),
            EventMsg::TurnAborted { reason } => format!("\n_turn aborted: {reason}_\n"),
            EventMsg::TurnFailed { error } => format!("\n_turn failed: {error}_\n"),
            EventMsg::ThreadClosed => {
                self.append(id, "\n_thread closed_\n");
                self.lock().remove(id);
                return;
            }
            _ => return,
        };
        self.append(id, &text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_show_whole_lines() {
        let base = "fn a() {\n    1\n}\n";
        let at = base.find('1').unwrap();
        assert_eq!(hunk(base, at, at + 1, "2"), "@@ line 2 @@\n-    1\n+    2\n");
        let out = short(&"x\n".repeat(30));
        assert_eq!(out.lines().count(), OUTPUT_LINES + 1);
        assert!(out.ends_with('…'));
    }
}
