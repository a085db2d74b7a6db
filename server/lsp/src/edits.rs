//! Edit proposals to LSP: one `EditProposal` (the agent's changes of one step, as byte ranges
//! of the text it read) becomes one `WorkspaceEdit` with `documentChanges`: a
//! `TextDocumentEdit` per file at the version the proposal was computed against, plus
//! CreateFile / RenameFile / DeleteFile when the client supports resource operations.
//!
//! Where it does not, files that are not open in the editor are created, moved or deleted on
//! disk after the editor's part succeeded (`DiskOp`), and a change to an open file that needs
//! such an operation is refused. An update of a buffer the user typed into since the agent read
//! it is rebased over the user's changes (`rebase.rs`) and goes out at the version the buffer has
//! now; an overlap, or changes the log no longer holds, refuse it with a reason for the model
//! (as does a disk file that changed, or a stale buffer the proposal deletes). Pure conversion:
//! no I/O except through the `read_disk` and `changes` callbacks, and nothing is sent (see
//! `edit_flow.rs`).

#[path = "rebase.rs"]
mod rebase;

use crate::convert;
use crate::documents::LoggedChange;
use agent_protocol::{BaseVersion, EditProposal, FileChange, TextReplace};
use std::path::{Path, PathBuf};
use text::{PositionEncoding, Rope};
use tower_lsp::lsp_types::{
    ClientCapabilities, CreateFile, CreateFileOptions, DeleteFile, DeleteFileOptions, DocumentChangeOperation, DocumentChanges, OneOf,
    OptionalVersionedTextDocumentIdentifier, Position, Range, RenameFile, RenameFileOptions, ResourceOp, ResourceOperationKind,
    TextDocumentEdit, TextEdit, Url, WorkspaceEdit,
};

/// The resource operations a client advertises (`workspace.workspaceEdit.resourceOperations`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResourceOps {
    pub create: bool,
    pub rename: bool,
    pub delete: bool,
}

impl ResourceOps {
    pub fn from_caps(caps: &ClientCapabilities) -> ResourceOps {
        let kinds = caps.workspace.as_ref().and_then(|w| w.workspace_edit.as_ref()).and_then(|e| e.resource_operations.as_ref());
        let has = |k: ResourceOperationKind| kinds.is_some_and(|v| v.contains(&k));
        ResourceOps {
            create: has(ResourceOperationKind::Create),
            rename: has(ResourceOperationKind::Rename),
            delete: has(ResourceOperationKind::Delete),
        }
    }
}

/// An open document as the conversion needs it.
pub struct OpenDoc {
    pub uri: Url,
    pub version: i32,
    pub rope: Rope,
}

/// A file operation done on disk because the client cannot do it (the file is not open).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiskOp {
    Write {
        path: PathBuf,
        content: String,
    },
    Remove {
        path: PathBuf,
    },
    /// Write the new content at `to`, then remove `from`.
    Move {
        from: PathBuf,
        to: PathBuf,
        content: String,
    },
}

/// An edit to an open buffer, checked after the client says it applied it (Neovim answers
/// `applied: true` for a stale version it silently skipped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    pub uri: Url,
    pub base: i32,
    pub new_content: String,
    /// The non-empty replacement texts, which must all be in the buffer afterwards.
    pub fragments: Vec<String>,
    /// The proposal's edits of this buffer (byte ranges of the text at `base`), for undo.
    pub edits: Vec<TextReplace>,
}

impl Check {
    /// Whether the document at `version` with `text` shows the edit.
    pub fn holds(&self, version: i32, text: &str) -> bool {
        version > self.base
            && (text == self.new_content || (!self.fragments.is_empty() && self.fragments.iter().all(|f| text.contains(f.as_str()))))
    }
}

/// What to do for one proposal.
#[derive(Debug, Default)]
pub struct EditPlan {
    /// The editor's part (`None` when everything is done on disk).
    pub edit: Option<WorkspaceEdit>,
    pub disk: Vec<DiskOp>,
    pub checks: Vec<Check>,
    /// The applyEdit label: "codeloop: edit src/a.rs".
    pub label: String,
    /// Per check, the buffer's text at `base` (for the inverse of the edit).
    pub base_texts: Vec<String>,
    /// What the model should know although the edit went through ("rebased over ...").
    pub notes: Vec<String>,
}

/// How the conversion sees the world.
pub struct PlanInput<'a> {
    pub enc: PositionEncoding,
    pub ops: ResourceOps,
    pub cwd: Option<&'a Path>,
    pub open: &'a dyn Fn(&Path) -> Option<OpenDoc>,
    pub read_disk: &'a dyn Fn(&Path) -> std::io::Result<String>,
    /// An open buffer's logged changes after one version up to another (`DocStore::changes_between`).
    pub changes: &'a ChangesSince<'a>,
}

/// `(uri, from, to)` to the buffer's logged changes after version `from` up to `to`.
pub type ChangesSince<'a> = dyn Fn(&Url, i32, i32) -> Option<Vec<LoggedChange>> + 'a;

impl PlanInput<'_> {
    fn show(&self, path: &Path) -> String {
        match self.cwd {
            Some(cwd) => tools::display_path(cwd, path),
            None => path.display().to_string(),
        }
    }

    fn uri(&self, path: &Path) -> Result<Url, String> {
        convert::path_to_uri(path).ok_or_else(|| format!("{} is not an absolute file path", path.display()))
    }

    /// The text a change was computed against, with the version to send and the URI as the
    /// client spelled it: the open buffer when it is still at `base`, else the disk when its
    /// hash still matches.
    fn base_text(&self, path: &Path, base: &BaseVersion) -> Result<(Rope, Option<i32>, Url), String> {
        let shown = self.show(path);
        let open = (self.open)(path);
        match (base, open) {
            (BaseVersion::Buffer { version }, Some(doc)) if doc.version == *version => Ok((doc.rope, Some(*version), doc.uri)),
            (BaseVersion::Buffer { version }, Some(doc)) => Err(format!(
                "{shown}: the file changed in the editor since it was read (version {version}, now {}); re-read it",
                doc.version
            )),
            (BaseVersion::Buffer { .. }, None) => Err(format!("{shown}: the file was closed in the editor since it was read; re-read it")),
            (BaseVersion::Disk { hash }, Some(doc)) => {
                // Read from disk, opened since: fine if the buffer still holds the same text.
                if tools::content_hash(&doc.rope.to_string()) == *hash {
                    Ok((doc.rope, Some(doc.version), doc.uri))
                } else {
                    Err(format!("{shown}: the file was opened in the editor and differs from what was read; re-read it"))
                }
            }
            (BaseVersion::Disk { hash }, None) => {
                let text = (self.read_disk)(path).map_err(|e| format!("{shown}: cannot read the file: {e}; re-read it"))?;
                if tools::content_hash(&text) != *hash {
                    return Err(format!("{shown}: the file changed on disk since it was read; re-read it"));
                }
                Ok((Rope::from_str(&text), None, self.uri(path)?))
            }
            (_, _) => Err(format!("{shown}: unknown base version kind")),
        }
    }

    fn exists(&self, path: &Path) -> bool {
        (self.open)(path).is_some() || path.symlink_metadata().is_ok()
    }
}

fn text_edits(
    rope: &Rope,
    edits: &[TextReplace],
    enc: PositionEncoding,
) -> Result<Vec<OneOf<TextEdit, tower_lsp::lsp_types::AnnotatedTextEdit>>, String> {
    let len = rope.len_bytes();
    let mut out = Vec::with_capacity(edits.len());
    let mut last_end = 0;
    for e in edits {
        if e.start > e.end || e.end > len || e.start < last_end {
            return Err(format!("internal error: edit range {}..{} is not valid for a text of {len} bytes", e.start, e.end));
        }
        last_end = e.end;
        out.push(OneOf::Left(TextEdit { range: convert::byte_range(rope, &(e.start..e.end), enc), new_text: e.new_text.clone() }));
    }
    Ok(out)
}

fn doc_edit(
    uri: Url,
    version: Option<i32>,
    edits: Vec<OneOf<TextEdit, tower_lsp::lsp_types::AnnotatedTextEdit>>,
) -> DocumentChangeOperation {
    DocumentChangeOperation::Edit(TextDocumentEdit { text_document: OptionalVersionedTextDocumentIdentifier { uri, version }, edits })
}

/// Converts a proposal. `Err` is the reason to give the model (nothing was sent or written).
pub fn plan(proposal: &EditProposal, input: &PlanInput<'_>) -> Result<EditPlan, String> {
    let mut ops: Vec<DocumentChangeOperation> = Vec::new();
    let mut plan = EditPlan::default();
    let mut shown = Vec::new();
    for change in &proposal.changes {
        match change {
            FileChange::Update { path, move_to, base, edits, new_content } => {
                let name = input.show(path);
                let (rope, version, uri, edits, new_content) = match (base, (input.open)(path)) {
                    // Typed into since it was read: move the edits over the user's changes.
                    (BaseVersion::Buffer { version: from }, Some(doc)) if doc.version != *from => {
                        let log = (input.changes)(&doc.uri, *from, doc.version);
                        let moved = rebase::over_typing(&name, &doc.rope, (*from, doc.version), edits, log)?;
                        plan.notes.push(moved.note);
                        (doc.rope, Some(doc.version), doc.uri, moved.edits, moved.new_content)
                    }
                    _ => {
                        let (rope, version, uri) = input.base_text(path, base)?;
                        (rope, version, uri, edits.clone(), new_content.clone())
                    }
                };
                let (edits, new_content) = (&edits, &new_content);
                let is_open = version.is_some();
                if let Some(to) = move_to {
                    if input.exists(to) {
                        return Err(format!("{name}: cannot move to {}: it already exists", input.show(to)));
                    }
                    if !input.ops.rename {
                        if is_open {
                            return Err(format!(
                                "{name}: cannot move an open file: the editor does not support file renames through LSP; edit it in place, or ask the user to close it"
                            ));
                        }
                        plan.disk.push(DiskOp::Move { from: path.clone(), to: to.clone(), content: new_content.clone() });
                        shown.push(format!("{name} -> {}", input.show(to)));
                        continue;
                    }
                }
                let lsp_edits = text_edits(&rope, edits, input.enc)?;
                if !lsp_edits.is_empty() {
                    ops.push(doc_edit(uri.clone(), version, lsp_edits));
                }
                if let (Some(v), false) = (version, edits.is_empty()) {
                    let fragments = edits.iter().filter(|e| !e.new_text.is_empty()).map(|e| e.new_text.clone()).collect();
                    plan.base_texts.push(rope.to_string());
                    plan.checks.push(Check {
                        uri: uri.clone(),
                        base: v,
                        new_content: new_content.clone(),
                        fragments,
                        edits: edits.clone(),
                    });
                }
                match move_to {
                    Some(to) => {
                        let new_uri = input.uri(to)?;
                        let options = RenameFileOptions { overwrite: Some(false), ignore_if_exists: Some(false) };
                        ops.push(DocumentChangeOperation::Op(ResourceOp::Rename(RenameFile {
                            old_uri: uri,
                            new_uri,
                            options: Some(options),
                            annotation_id: None,
                        })));
                        shown.push(format!("{name} -> {}", input.show(to)));
                    }
                    None => shown.push(name),
                }
            }
            FileChange::Add { path, content } => {
                let name = input.show(path);
                if input.exists(path) {
                    return Err(format!("{name}: cannot add the file: it already exists; update it instead"));
                }
                if input.ops.create {
                    let uri = input.uri(path)?;
                    let options = CreateFileOptions { overwrite: Some(false), ignore_if_exists: Some(false) };
                    ops.push(DocumentChangeOperation::Op(ResourceOp::Create(CreateFile {
                        uri: uri.clone(),
                        options: Some(options),
                        annotation_id: None,
                    })));
                    if !content.is_empty() {
                        let at = Position { line: 0, character: 0 };
                        let insert = TextEdit { range: Range { start: at, end: at }, new_text: content.clone() };
                        ops.push(doc_edit(uri, None, vec![OneOf::Left(insert)]));
                    }
                } else {
                    plan.disk.push(DiskOp::Write { path: path.clone(), content: content.clone() });
                }
                shown.push(format!("add {name}"));
            }
            FileChange::Delete { path, base } => {
                let name = input.show(path);
                let (_, version, uri) = input.base_text(path, base)?;
                if input.ops.delete {
                    let options = DeleteFileOptions { recursive: Some(false), ignore_if_not_exists: Some(false), annotation_id: None };
                    ops.push(DocumentChangeOperation::Op(ResourceOp::Delete(DeleteFile { uri, options: Some(options) })));
                } else if version.is_some() {
                    return Err(format!(
                        "{name}: cannot delete an open file: the editor does not support file deletion through LSP; ask the user to close it or delete it"
                    ));
                } else {
                    plan.disk.push(DiskOp::Remove { path: path.clone() });
                }
                shown.push(format!("delete {name}"));
            }
            _ => return Err(format!("{}: unsupported kind of file change", input.show(change.path()))),
        }
    }
    if !ops.is_empty() {
        let all_edits = ops.iter().all(|o| matches!(o, DocumentChangeOperation::Edit(_)));
        let changes = if all_edits {
            DocumentChanges::Edits(
                ops.into_iter()
                    .filter_map(|o| match o {
                        DocumentChangeOperation::Edit(e) => Some(e),
                        DocumentChangeOperation::Op(_) => None,
                    })
                    .collect(),
            )
        } else {
            DocumentChanges::Operations(ops)
        };
        plan.edit = Some(WorkspaceEdit { changes: None, document_changes: Some(changes), change_annotations: None });
    }
    plan.label = format!("codeloop: edit {}", shown.join(", "));
    Ok(plan)
}

/// Does the disk part of a plan. Stops at the first failure and says what was done before it.
pub fn run_disk_ops(ops: &[DiskOp]) -> Result<Vec<String>, String> {
    let mut done = Vec::new();
    for op in ops {
        let result = match op {
            DiskOp::Write { path, content } => path
                .parent()
                .map(std::fs::create_dir_all)
                .transpose()
                .and_then(|_| std::fs::write(path, content))
                .map(|()| format!("created {}", path.display())),
            DiskOp::Remove { path } => std::fs::remove_file(path).map(|()| format!("deleted {}", path.display())),
            DiskOp::Move { from, to, content } => to
                .parent()
                .map(std::fs::create_dir_all)
                .transpose()
                .and_then(|_| std::fs::write(to, content))
                .and_then(|()| std::fs::remove_file(from))
                .map(|()| format!("moved {} to {}", from.display(), to.display())),
        };
        match result {
            Ok(line) => done.push(line),
            Err(e) => {
                let before = if done.is_empty() { String::new() } else { format!(" (already done: {})", done.join(", ")) };
                return Err(format!("{op:?} failed: {e}{before}"));
            }
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(path: &str, version: i32, text: &str) -> (PathBuf, OpenDoc) {
        let p = PathBuf::from(path);
        let uri = convert::path_to_uri(&p).unwrap();
        (p, OpenDoc { uri, version, rope: Rope::from_str(text) })
    }

    fn run(proposal: &EditProposal, open: &[(PathBuf, i32, &str)], enc: PositionEncoding, ops: ResourceOps) -> Result<EditPlan, String> {
        run_with_log(proposal, open, enc, ops, None)
    }

    fn run_with_log(
        proposal: &EditProposal,
        open: &[(PathBuf, i32, &str)],
        enc: PositionEncoding,
        ops: ResourceOps,
        log: Option<Vec<LoggedChange>>,
    ) -> Result<EditPlan, String> {
        let open_fn = |p: &Path| open.iter().find(|(q, _, _)| q == p).map(|(q, v, t)| doc(q.to_str().unwrap(), *v, t).1);
        let read = |_: &Path| -> std::io::Result<String> { Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no disk in tests")) };
        let changes =
            |_: &Url, from: i32, to: i32| log.clone().map(|l| l.into_iter().filter(|c| c.version > from && c.version <= to).collect());
        plan(proposal, &PlanInput { enc, ops, cwd: Some(Path::new("/w")), open: &open_fn, read_disk: &read, changes: &changes })
    }

    fn update(version: i32, start: usize, end: usize, new_text: &str, new_content: &str) -> EditProposal {
        EditProposal {
            changes: vec![FileChange::Update {
                path: "/w/a.rs".into(),
                move_to: None,
                base: BaseVersion::Buffer { version },
                edits: vec![TextReplace { start, end, new_text: new_text.into() }],
                new_content: new_content.into(),
            }],
        }
    }

    #[test]
    fn buffer_edits_carry_the_version_and_encoded_ranges() {
        // "é" is 2 bytes, 1 utf-16 unit; "😀" is 4 bytes, 2 utf-16 units.
        let text = "let s = \"é😀\"; x\n";
        let start = text.find('x').unwrap();
        let p = update(4, start, start + 1, "y", "");
        let open = [(PathBuf::from("/w/a.rs"), 4, text)];
        let utf16 = run(&p, &open, PositionEncoding::Utf16, ResourceOps::default()).unwrap();
        let v = serde_json::to_value(utf16.edit.unwrap()).unwrap();
        assert_eq!(
            v["documentChanges"][0],
            json!({"textDocument": {"uri": "file:///w/a.rs", "version": 4},
                   "edits": [{"range": {"start": {"line": 0, "character": 15}, "end": {"line": 0, "character": 16}}, "newText": "y"}]})
        );
        let utf8 = run(&p, &open, PositionEncoding::Utf8, ResourceOps::default()).unwrap();
        let v = serde_json::to_value(utf8.edit.unwrap()).unwrap();
        assert_eq!(v["documentChanges"][0]["edits"][0]["range"]["start"], json!({"line": 0, "character": 18}));
        assert_eq!(utf8.checks.len(), 1);
        assert_eq!(utf8.label, "codeloop: edit a.rs");
    }

    #[test]
    fn stale_and_closed_buffers_are_refused() {
        let p = update(4, 0, 1, "y", "y\n");
        let err = run(&p, &[(PathBuf::from("/w/a.rs"), 6, "x\n")], PositionEncoding::Utf16, ResourceOps::default()).unwrap_err();
        assert_eq!(
            err,
            "a.rs: the file changed in the editor since it was read (version 4, now 6) and those changes cannot be replayed; re-read it"
        );
        let err = run(&p, &[], PositionEncoding::Utf16, ResourceOps::default()).unwrap_err();
        assert!(err.contains("closed in the editor"), "{err}");
    }

    #[test]
    fn typing_since_the_read_is_rebased_and_sent_at_the_version_now() {
        // Read at version 4 as "one\ntwo\n"; the agent replaces "two". The user then typed a
        // line at the top (version 5) and "!" at the end (version 6).
        let p = update(4, 4, 7, "TWO", "one\nTWO\n");
        let now = "zero\none\ntwo\n!";
        let log = vec![
            LoggedChange { version: 5, start: 0, old_end: 0, new_end: 5 },
            LoggedChange { version: 6, start: 13, old_end: 13, new_end: 14 },
        ];
        let open = [(PathBuf::from("/w/a.rs"), 6, now)];
        let plan = run_with_log(&p, &open, PositionEncoding::Utf16, ResourceOps::default(), Some(log.clone())).unwrap();
        let v = serde_json::to_value(plan.edit.unwrap()).unwrap();
        assert_eq!(
            v["documentChanges"][0],
            json!({"textDocument": {"uri": "file:///w/a.rs", "version": 6},
                   "edits": [{"range": {"start": {"line": 2, "character": 0}, "end": {"line": 2, "character": 3}}, "newText": "TWO"}]})
        );
        assert_eq!(plan.checks[0].base, 6);
        assert_eq!(plan.checks[0].new_content, "zero\none\nTWO\n!");
        assert_eq!(plan.checks[0].edits, vec![TextReplace { start: 9, end: 12, new_text: "TWO".into() }]);
        assert_eq!(plan.base_texts, vec![now.to_string()]);
        assert!(plan.notes[0].contains("rebased") && plan.notes[0].contains("applied at line 3"), "{:?}", plan.notes);
        // The user typed inside "two": refused with the region as it is now.
        let inside = [(PathBuf::from("/w/a.rs"), 5, "one\ntw-o\n")];
        let log = vec![LoggedChange { version: 5, start: 6, old_end: 6, new_end: 7 }];
        let err = run_with_log(&p, &inside, PositionEncoding::Utf16, ResourceOps::default(), Some(log)).unwrap_err();
        assert!(err.contains("overlaps the text this edit replaces") && err.contains("line 2:\n2 | tw-o\n"), "{err}");
    }

    #[test]
    fn resource_operations_or_disk_fallback() {
        let add = EditProposal { changes: vec![FileChange::Add { path: "/w/new/b.txt".into(), content: "hi\n".into() }] };
        let all = ResourceOps { create: true, rename: true, delete: true };
        let with_ops = run(&add, &[], PositionEncoding::Utf16, all).unwrap();
        let v = serde_json::to_value(with_ops.edit.unwrap()).unwrap();
        assert_eq!(v["documentChanges"][0]["kind"], "create");
        assert_eq!(v["documentChanges"][1]["textDocument"], json!({"uri": "file:///w/new/b.txt", "version": null}));
        assert!(with_ops.disk.is_empty());
        let without = run(&add, &[], PositionEncoding::Utf16, ResourceOps::default()).unwrap();
        assert!(without.edit.is_none());
        assert_eq!(without.disk, vec![DiskOp::Write { path: "/w/new/b.txt".into(), content: "hi\n".into() }]);

        let del = EditProposal { changes: vec![FileChange::Delete { path: "/w/a.rs".into(), base: BaseVersion::Buffer { version: 2 } }] };
        let err = run(&del, &[(PathBuf::from("/w/a.rs"), 2, "x")], PositionEncoding::Utf16, ResourceOps::default()).unwrap_err();
        assert!(err.contains("cannot delete an open file"), "{err}");
        let ok = run(&del, &[(PathBuf::from("/w/a.rs"), 2, "x")], PositionEncoding::Utf16, all).unwrap();
        assert_eq!(serde_json::to_value(ok.edit.unwrap()).unwrap()["documentChanges"][0]["kind"], "delete");
    }

    #[test]
    fn checks_need_a_newer_version_and_the_new_text() {
        let c = Check {
            uri: Url::parse("file:///w/a.rs").unwrap(),
            base: 3,
            new_content: "a y b".into(),
            fragments: vec!["y".into()],
            edits: Vec::new(),
        };
        assert!(!c.holds(3, "a y b"));
        assert!(c.holds(4, "a y b"));
        assert!(c.holds(5, "a y bc"));
        assert!(!c.holds(4, "a x b"));
    }
}
