//! `textDocument/codeAction` and `codeAction/resolve`: the agent's entry points in the editor's
//! action menu. "Fix with agent" (on the diagnostics of the request's context), "Explain",
//! "Refactor selection", "Write tests for <enclosing symbol>", "Run AI instruction" on `AI!` /
//! `AI?` comments (`ai_comments.rs`), and "Approve/Deny pending command" while an approval waits.
//!
//! Each action carries a `codeloop.ask` (or approve/deny) Command. The handler reads only the
//! document snapshot (no model I/O, no index, no client request): it must answer in well under
//! 20 ms. When the client resolves the `command` property lazily (`resolveSupport`), the list
//! carries only titles and a `data` object, and the prompt is built on resolve. Not here: the
//! commands themselves (`commands.rs`).

use crate::ai_comments::{self, AiComment, Mark};
use crate::approvals::PendingApproval;
use crate::commands;
use crate::convert;
use crate::documents::DocSnapshot;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::Path;
use text::PositionEncoding;
use tower_lsp::lsp_types::{
    ClientCapabilities, CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Command, Diagnostic, Range, Url,
};

/// The kinds the server offers (`codeActionProvider.codeActionKinds`).
pub fn kinds() -> Vec<CodeActionKind> {
    vec![CodeActionKind::QUICKFIX, CodeActionKind::REFACTOR_REWRITE, CodeActionKind::EMPTY]
}

/// Whether the client fills the `command` of an action through `codeAction/resolve`.
pub fn lazy_commands(caps: &ClientCapabilities) -> bool {
    caps.text_document
        .as_ref()
        .and_then(|t| t.code_action.as_ref())
        .and_then(|c| c.resolve_support.as_ref())
        .is_some_and(|r| r.properties.iter().any(|p| p == "command"))
}

/// What an action does, kept in `data` until resolve.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "action", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum ActionData {
    Fix { uri: Url, range: Range, diagnostics: Vec<Diagnostic> },
    Explain { uri: Url, range: Range },
    Refactor { uri: Url, range: Range },
    Tests { uri: Url, name: String, range: Range },
    AiComment { uri: Url, line: u32 },
    Approve { approval_id: String, thread_id: String },
    Deny { approval_id: String, thread_id: String },
}

fn lines_of(r: &Range) -> String {
    let (a, b) = (r.start.line + 1, r.end.line.max(r.start.line) + 1);
    let b = if b > a && r.end.character == 0 { b - 1 } else { b };
    if a == b {
        format!("line {a}")
    } else {
        format!("lines {a}-{b}")
    }
}

fn ask(prompt: String, uri: &Url, range: Option<Range>, diagnostics: Option<&[Diagnostic]>) -> Value {
    let mut args = json!({ "prompt": prompt, "uri": uri });
    if let Some(r) = range {
        args["range"] = json!(r);
    }
    if let Some(d) = diagnostics.filter(|d| !d.is_empty()) {
        args["diagnostics"] = json!(d);
    }
    args
}

fn command(title: &str, name: &str, args: Value) -> Command {
    Command { title: title.to_string(), command: name.to_string(), arguments: Some(vec![args]) }
}

/// The AI comment on `line` of the snapshot.
fn ai_comment(snap: &DocSnapshot, line: u32) -> Option<AiComment> {
    let tree = snap.tree.as_ref()?;
    ai_comments::find(snap.doc.rope(), tree, (line, line)).into_iter().find(|c| c.lines.1 == line || c.lines.0 <= line && line <= c.lines.1)
}

/// The lines of context around an AI comment: its enclosing symbol, else `CONTEXT_LINES` each side.
fn comment_context(snap: &DocSnapshot, c: &AiComment, enc: PositionEncoding) -> Range {
    let rope = snap.doc.rope();
    let symbols = snap.symbols();
    let inner = symbols.iter().filter(|s| s.range.start <= c.bytes.start && c.bytes.end <= s.range.end).min_by_key(|s| s.range.len());
    if let Some(s) = inner {
        return convert::byte_range(rope, &s.range, enc);
    }
    let last = rope.len_lines().saturating_sub(1) as u32;
    let first = c.lines.0.saturating_sub(ai_comments::CONTEXT_LINES);
    let end = (c.lines.1 + ai_comments::CONTEXT_LINES).min(last);
    let start_byte = rope.line_to_byte(first as usize);
    let end_byte = rope.line_to_byte((end as usize + 1).min(rope.len_lines()));
    convert::byte_range(rope, &(start_byte..end_byte), enc)
}

fn display(snap: &DocSnapshot, cwd: Option<&Path>) -> String {
    match (snap.path.as_deref(), cwd) {
        (Some(p), Some(cwd)) => tools::display_path(cwd, p),
        (Some(p), None) => p.display().to_string(),
        _ => snap.uri.to_string(),
    }
}

/// The command of an action (on resolve, or at once for clients that do not resolve).
/// `None` when the action no longer applies (the comment is gone).
pub fn build(data: &ActionData, snap: Option<&DocSnapshot>, cwd: Option<&Path>, enc: PositionEncoding) -> Option<Command> {
    let file = |snap: Option<&DocSnapshot>, uri: &Url| snap.map(|s| display(s, cwd)).unwrap_or_else(|| uri.to_string());
    Some(match data {
        ActionData::Fix { uri, range, diagnostics } => {
            let list: Vec<String> = diagnostics
                .iter()
                .map(|d| {
                    let source = d.source.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
                    format!("- {}: {}{source}", lines_of(&d.range), d.message)
                })
                .collect();
            let prompt = format!("Fix these problems in {}:\n{}", file(snap, uri), list.join("\n"));
            command("Fix with agent", commands::ASK, ask(prompt, uri, Some(*range), Some(diagnostics)))
        }
        ActionData::Explain { uri, range } => {
            let prompt = format!("Explain what the code at {} of {} does and why. Do not edit any file.", lines_of(range), file(snap, uri));
            command("Explain", commands::ASK, ask(prompt, uri, Some(*range), None))
        }
        ActionData::Refactor { uri, range } => {
            let prompt = format!(
                "Refactor the selected code ({} of {}) to make it clearer and simpler, without changing its behaviour.",
                lines_of(range),
                file(snap, uri)
            );
            command("Refactor selection", commands::ASK, ask(prompt, uri, Some(*range), None))
        }
        ActionData::Tests { uri, name, range } => {
            let prompt = format!(
                "Write tests for `{name}` ({} of {}). Follow the project's test conventions and put them where this project keeps its tests.",
                lines_of(range),
                file(snap, uri)
            );
            command(&format!("Write tests for {name}"), commands::ASK, ask(prompt, uri, Some(*range), None))
        }
        ActionData::AiComment { uri, line } => {
            let snap = snap?;
            let c = ai_comment(snap, *line)?;
            let raw = snap.doc.slice_bytes(c.bytes.clone());
            let prompt = ai_comments::prompt(&c, &display(snap, cwd), &raw);
            let context = comment_context(snap, &c, enc);
            command("Run AI instruction", commands::ASK, ask(prompt, uri, Some(context), None))
        }
        ActionData::Approve { approval_id, thread_id } => {
            command("Approve pending command", commands::APPROVE, json!({ "approvalId": approval_id, "threadId": thread_id }))
        }
        ActionData::Deny { approval_id, thread_id } => {
            command("Deny pending command", commands::DENY, json!({ "approvalId": approval_id, "threadId": thread_id }))
        }
    })
}

fn wanted(kind: &CodeActionKind, only: Option<&Vec<CodeActionKind>>) -> bool {
    match only {
        None => true,
        Some(list) => list.iter().any(|k| {
            let (k, a) = (k.as_str(), kind.as_str());
            !a.is_empty() && (a == k || a.starts_with(&format!("{k}.")))
        }),
    }
}

fn preview(text: &str) -> String {
    commands::preview(text, 50)
}

/// The actions for a request (`snap` is the document, if open).
pub fn list(
    params: &CodeActionParams,
    snap: Option<&DocSnapshot>,
    pending: Option<&PendingApproval>,
    lazy: bool,
    cwd: Option<&Path>,
    enc: PositionEncoding,
) -> Vec<CodeActionOrCommand> {
    let uri = &params.text_document.uri;
    let range = params.range;
    let only = params.context.only.as_ref();
    let mut items: Vec<(String, CodeActionKind, ActionData)> = Vec::new();

    if let Some(p) = pending {
        let describe = preview(&p.describe());
        let ids = (p.approval_id.clone(), p.thread_id.clone());
        items.push((
            format!("Approve pending command: {describe}"),
            CodeActionKind::QUICKFIX,
            ActionData::Approve { approval_id: ids.0.clone(), thread_id: ids.1.clone() },
        ));
        items.push((
            format!("Deny pending command: {describe}"),
            CodeActionKind::QUICKFIX,
            ActionData::Deny { approval_id: ids.0, thread_id: ids.1 },
        ));
    }
    if let Some(s) = snap {
        if let Some(tree) = s.tree.as_ref() {
            let lines = (range.start.line, range.end.line.max(range.start.line));
            for c in ai_comments::find(s.doc.rope(), tree, lines) {
                let what = match c.mark {
                    Mark::Instruction => "Run AI instruction",
                    Mark::Question => "Run AI instruction (question)",
                };
                items.push((
                    format!("{what}: {}", preview(&c.text)),
                    CodeActionKind::QUICKFIX,
                    ActionData::AiComment { uri: uri.clone(), line: c.lines.1 },
                ));
            }
        }
    }
    let diagnostics = &params.context.diagnostics;
    if !diagnostics.is_empty() {
        let title = match diagnostics.as_slice() {
            [one] => format!("Fix with agent: {}", preview(&one.message)),
            many => format!("Fix {} problems with agent", many.len()),
        };
        items.push((title, CodeActionKind::QUICKFIX, ActionData::Fix { uri: uri.clone(), range, diagnostics: diagnostics.clone() }));
    }
    if range.start != range.end {
        items.push((
            "Refactor selection with agent".into(),
            CodeActionKind::REFACTOR_REWRITE,
            ActionData::Refactor { uri: uri.clone(), range },
        ));
    }
    if let Some(s) = snap {
        let rope = s.doc.rope();
        let at = convert::to_byte_range(rope, range, enc);
        let symbols = s.symbols();
        let inner = symbols.iter().filter(|sym| sym.range.start <= at.start && at.end <= sym.range.end).min_by_key(|sym| sym.range.len());
        if let Some(sym) = inner {
            items.push((
                format!("Write tests for {}", sym.name),
                CodeActionKind::REFACTOR_REWRITE,
                ActionData::Tests { uri: uri.clone(), name: sym.name.clone(), range: convert::byte_range(rope, &sym.range, enc) },
            ));
        }
    }
    items.push(("Explain with agent".into(), CodeActionKind::EMPTY, ActionData::Explain { uri: uri.clone(), range }));

    items
        .into_iter()
        .filter(|(_, kind, _)| wanted(kind, only))
        .filter_map(|(title, kind, data)| {
            let mut action = CodeAction { title, kind: Some(kind), ..CodeAction::default() };
            if lazy {
                action.data = serde_json::to_value(&data).ok();
            } else {
                action.command = Some(build(&data, snap, cwd, enc)?);
            }
            Some(CodeActionOrCommand::CodeAction(action))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_filters_by_kind_prefix() {
        let only = vec![CodeActionKind::REFACTOR];
        assert!(wanted(&CodeActionKind::REFACTOR_REWRITE, Some(&only)));
        assert!(!wanted(&CodeActionKind::QUICKFIX, Some(&only)));
        assert!(!wanted(&CodeActionKind::EMPTY, Some(&only)));
        assert!(wanted(&CodeActionKind::EMPTY, None));
    }

    #[test]
    fn data_round_trips() {
        let d = ActionData::AiComment { uri: Url::parse("file:///w/a.rs").unwrap(), line: 3 };
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v, json!({"action": "aiComment", "uri": "file:///w/a.rs", "line": 3}));
        assert_eq!(serde_json::from_value::<ActionData>(v).unwrap(), d);
    }
}
