//! `codeloop.undo` against the editor: takes a turn from the undo log (`undo.rs`), maps its
//! inverse over the buffers as they are now, answers at once (or refuses with the reason), then
//! sends the one `workspace/applyEdit` from a spawned task, under the edit lock, at the buffers'
//! current versions, and checks that it showed up. If it did not, the turn goes back into the log
//! and the user is told why.

use crate::agents::Agents;
use crate::convert;
use crate::edits::Check;
use crate::undo::{self, TurnUndo};
use std::sync::Arc;
use text::Rope;
use tower_lsp::lsp_types::request::ApplyWorkspaceEdit;
use tower_lsp::lsp_types::{
    ApplyWorkspaceEditParams, DocumentChanges, MessageType, OneOf, OptionalVersionedTextDocumentIdentifier, TextDocumentEdit, TextEdit,
    Url, WorkspaceEdit,
};

/// What the undo will send.
pub struct UndoPlan {
    pub edit: WorkspaceEdit,
    pub checks: Vec<Check>,
    pub files: Vec<Url>,
}

/// The inverse of `turn` over the buffers as they are now.
pub async fn plan(agents: &Agents, turn: &TurnUndo) -> Result<UndoPlan, String> {
    agents.docs.sync().await;
    let enc = agents.shared.encoding();
    let cwd = agents.setup().and_then(|s| s.cwd.clone());
    let mut uris: Vec<&Url> = Vec::new();
    for f in &turn.files {
        if !uris.contains(&&f.uri) {
            uris.push(&f.uri);
        }
    }
    let mut doc_edits = Vec::new();
    let mut checks = Vec::new();
    for uri in uris {
        let name = match (convert::uri_to_path(uri), &cwd) {
            (Some(p), Some(cwd)) => tools::display_path(cwd, &p),
            _ => uri.to_string(),
        };
        let snap = agents.docs.get(uri).ok_or_else(|| format!("{name} was closed since the agent's edit; it cannot be undone"))?;
        let (now_version, now) = (snap.doc.version(), snap.doc.text());
        let records: Vec<_> = turn.files.iter().filter(|f| &f.uri == uri).collect();
        let changes = |from: i32| agents.docs.changes_between(uri, from, now_version);
        let target = undo::revert(&name, &now, &records, &changes)?;
        if target == now {
            continue;
        }
        let (range, new_text) = undo::difference(&now, &target);
        let rope = Rope::from_str(&now);
        let edit = TextEdit { range: convert::byte_range(&rope, &range, enc), new_text: new_text.clone() };
        doc_edits.push(TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier { uri: uri.clone(), version: Some(now_version) },
            edits: vec![OneOf::Left(edit)],
        });
        let fragments = if new_text.is_empty() { Vec::new() } else { vec![new_text] };
        checks.push(Check { uri: uri.clone(), base: now_version, new_content: target, fragments, edits: Vec::new() });
    }
    let files = doc_edits.iter().map(|e| e.text_document.uri.clone()).collect();
    let edit = WorkspaceEdit { changes: None, document_changes: Some(DocumentChanges::Edits(doc_edits)), change_annotations: None };
    Ok(UndoPlan { edit, checks, files })
}

/// Sends the undo of `turn` (planned again under the edit lock) and checks it.
pub async fn send(agents: Arc<Agents>, turn: TurnUndo) {
    let result = {
        let _one_at_a_time = agents.edit_lock.lock().await;
        run(&agents, &turn).await
    };
    if let Err(reason) = result {
        agents.client.show_message(MessageType::ERROR, format!("codeloop: undo of {} failed: {reason}", turn.turn_id)).await;
        agents.undo.restore(turn);
    }
}

async fn run(agents: &Agents, turn: &TurnUndo) -> Result<(), String> {
    let plan = plan(agents, turn).await?;
    if plan.checks.is_empty() {
        return Ok(());
    }
    let params =
        ApplyWorkspaceEditParams { label: Some(format!("codeloop: undo {} of thread {}", turn.turn_id, turn.thread_id)), edit: plan.edit };
    match agents.client.send_request::<ApplyWorkspaceEdit>(params).await {
        Ok(resp) if resp.applied => {}
        Ok(resp) => return Err(resp.failure_reason.unwrap_or_else(|| "the editor did not apply the edit".to_string())),
        Err(e) => return Err(format!("the editor could not apply the edit: {}", e.message)),
    }
    crate::edit_flow::verify(agents, &plan.checks).await.map(|_| ())
}
