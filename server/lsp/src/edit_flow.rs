//! What happens to one edit proposal: converted (`edits.rs`) against the document store, sent
//! as one `workspace/applyEdit`, checked, and answered to the agent as `Op::EditResult`.
//!
//! Runs in a task spawned by the event dispatcher, never in a handler. Proposals are applied
//! one at a time per server, so that a second proposal is checked against the version the
//! first one produced. After the client says `applied: true`, each edited open buffer must
//! reach a newer version holding the new text within `VERIFY_TIMEOUT` (the didChange that
//! follows an applied edit): Neovim answers `applied: true` for a stale version it skipped.
//! Each edit that shows up in a buffer is recorded with its inverse for `codeloop.undo`
//! (`undo.rs`).
//!
//! A proposal for a buffer the user typed into since the agent read it is rebased over the
//! user's changes by the planning (`edits.rs`, `rebase.rs`) and sent at the version the buffer
//! has now. If the user types again before the client applies it, the client refuses the
//! versioned edit (`applied: false`): when a buffer of the edit has moved on, the proposal is
//! planned again from its own base over the longer change log, at most `MAX_REBASES` times.

use crate::agents::Agents;
use crate::edits::{self, Check, OpenDoc, PlanInput};
use agent::ThreadHandle;
use agent_protocol::{EditProposal, FileChange, Op};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tower_lsp::lsp_types::request::ApplyWorkspaceEdit;
use tower_lsp::lsp_types::{ApplyWorkspaceEditParams, MessageType, Url};

/// How long an applied edit may take to show up as a didChange.
pub const VERIFY_TIMEOUT: Duration = Duration::from_millis(2000);
/// How many times a proposal refused because the user typed meanwhile is rebased and sent again.
pub const MAX_REBASES: usize = 3;
/// How long a refused edit waits for the didChange that explains it.
const MOVED_WAIT: Duration = Duration::from_millis(200);

/// Applies a proposal of turn `(thread id, turn id)` and answers the thread.
pub async fn apply(agents: Arc<Agents>, handle: ThreadHandle, turn: (String, String), proposal_id: String, proposal: EditProposal) {
    let result = {
        let _one_at_a_time = agents.edit_lock.lock().await;
        run(&agents, &proposal, (&turn.0, &turn.1)).await
    };
    let (applied, reason) = match result {
        Ok(notes) if notes.is_empty() => (true, None),
        Ok(notes) => (true, Some(notes.join("; "))),
        Err(reason) => {
            tracing::info!(%reason, "edit proposal refused");
            (false, Some(reason))
        }
    };
    handle.submit(Op::EditResult { proposal_id, applied, reason });
}

/// What undo will not revert of a proposal.
fn not_undoable(agents: &Agents, proposal: &EditProposal) -> Vec<String> {
    let cwd = agents.setup().and_then(|s| s.cwd.clone());
    let show = |p: &Path| match &cwd {
        Some(cwd) => tools::display_path(cwd, p),
        None => p.display().to_string(),
    };
    let mut out = Vec::new();
    for change in &proposal.changes {
        match change {
            FileChange::Add { path, .. } => out.push(format!("created {}", show(path))),
            FileChange::Delete { path, .. } => out.push(format!("deleted {}", show(path))),
            FileChange::Update { path, move_to: Some(to), .. } => out.push(format!("moved {} to {}", show(path), show(to))),
            FileChange::Update { path, .. } if agents.docs.by_path(path).is_none() => {
                out.push(format!("edited {} (not open in the editor)", show(path)))
            }
            _ => {}
        }
    }
    out
}

async fn run(agents: &Agents, proposal: &EditProposal, turn: (&str, &str)) -> Result<Vec<String>, String> {
    let setup = agents.setup().ok_or_else(|| "the server is not initialized".to_string())?;
    let skipped = not_undoable(agents, proposal);
    let mut attempt = 0;
    let (plan, shown) = loop {
        agents.docs.sync().await;
        let plan = {
            let docs = agents.docs.clone();
            let open = move |p: &Path| {
                docs.by_path(p).map(|s| OpenDoc { uri: s.uri.clone(), version: s.doc.version(), rope: s.doc.rope().clone() })
            };
            let read = |p: &Path| std::fs::read_to_string(p);
            let changes = |uri: &Url, from: i32, to: i32| agents.docs.changes_between(uri, from, to);
            let input = PlanInput {
                enc: agents.shared.encoding(),
                ops: setup.features.resource_ops,
                cwd: setup.cwd.as_deref(),
                open: &open,
                read_disk: &read,
                changes: &changes,
            };
            edits::plan(proposal, &input)?
        };
        let Some(edit) = plan.edit.clone() else { break (plan, Vec::new()) };
        let params = ApplyWorkspaceEditParams { label: Some(plan.label.clone()), edit };
        let refused = match agents.client.send_request::<ApplyWorkspaceEdit>(params).await {
            Ok(resp) if resp.applied => None,
            Ok(resp) => Some(resp.failure_reason.unwrap_or_else(|| "the editor did not apply the edit".to_string())),
            // Eglot answers a stale versioned edit with an error instead of `applied: false`:
            // treat it the same way, so a moved buffer is rebased rather than given up on.
            Err(e) => Some(format!("the editor could not apply the edit: {}", e.message)),
        };
        match refused {
            None => {
                let shown = verify(agents, &plan.checks).await?;
                break (plan, shown);
            }
            // The user typed between the planning and the client's apply: rebase again.
            Some(_) if attempt < MAX_REBASES && moved(agents, &plan.checks).await => {
                attempt += 1;
                tracing::info!(attempt, "the buffer changed while the edit was in flight; rebasing again");
            }
            Some(reason) => return Err(reason),
        }
    };
    for ((check, base), (version, exact)) in plan.checks.iter().zip(&plan.base_texts).zip(shown) {
        agents.undo.record(turn, &check.uri, check.base, base, &check.edits, version, exact);
    }
    for what in skipped {
        agents.undo.skip(turn, what);
    }
    let mut notes = plan.notes.clone();
    for note in &notes {
        agents.client.log_message(MessageType::INFO, format!("codeloop: {note}")).await;
    }
    if plan.disk.is_empty() {
        return Ok(notes);
    }
    let ops = plan.disk.clone();
    let done = tokio::task::spawn_blocking(move || edits::run_disk_ops(&ops)).await.map_err(|e| format!("internal error: {e}"))??;
    let note = format!("done on disk because the editor does not support file operations (resourceOperations): {}", done.join(", "));
    agents.client.log_message(MessageType::INFO, format!("codeloop: {note}")).await;
    notes.push(note);
    Ok(notes)
}

/// Whether an edited buffer is no longer at the version the edit was sent for (waiting a little
/// for the didChange that a client sends before it answers).
async fn moved(agents: &Agents, checks: &[Check]) -> bool {
    let deadline = Instant::now() + MOVED_WAIT;
    loop {
        agents.docs.sync().await;
        if checks.iter().any(|c| agents.docs.get(&c.uri).is_none_or(|s| s.doc.version() != c.base)) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until every edited open buffer shows its edit. Returns, per check, the version that
/// showed it and whether the buffer then held exactly the edit's result.
pub(crate) async fn verify(agents: &Agents, checks: &[Check]) -> Result<Vec<(i32, bool)>, String> {
    let deadline = Instant::now() + VERIFY_TIMEOUT;
    let mut shown = Vec::with_capacity(checks.len());
    for check in checks {
        loop {
            agents.docs.sync().await;
            let current = agents.docs.get(&check.uri).map(|s| (s.doc.version(), s.doc.text()));
            if let Some((version, text)) = &current {
                if check.holds(*version, text) {
                    shown.push((*version, *text == check.new_content));
                    break;
                }
            }
            if Instant::now() >= deadline {
                let now = match current {
                    Some((v, _)) => format!("the document is at version {v}"),
                    None => "the document was closed".to_string(),
                };
                return Err(format!(
                    "the editor reported the edit to {} as applied, but it did not show up ({now}, the edit was for version {}); re-read the file",
                    check.uri, check.base
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    Ok(shown)
}
