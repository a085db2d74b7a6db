//! `workspace/executeCommand`: the `codeloop.*` commands. Each parses its one argument object,
//! hands the work to `agents.rs` and answers at once with ids (Helix discards results and
//! times out after 20 s, so nothing here waits for the model or the client).
//!
//! Bad arguments are a JSON-RPC InvalidParams error naming the command and the problem;
//! a well-formed command that cannot run now (configuration error, no model, no workspace)
//! is a RequestFailed error (-32803). Documented in docs/lsp-extensions.md.

use crate::agents::{AgentError, Agents, AskRequest};
use crate::convert;
use agent_protocol::{EditorContext, EditorDiagnostic, LineRange, ReviewDecision};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use tower_lsp::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp::lsp_types::{Diagnostic, DiagnosticSeverity, ExecuteCommandParams, NumberOrString, Range, Url};

pub const ASK: &str = "codeloop.ask";
pub const CANCEL: &str = "codeloop.cancel";
pub const STATUS: &str = "codeloop.status";
pub const THREADS: &str = "codeloop.threads";
pub const APPROVE: &str = "codeloop.approve";
pub const DENY: &str = "codeloop.deny";
pub const RESUME: &str = "codeloop.resume";
pub const FORK: &str = "codeloop.fork";
pub const COMPACT: &str = "codeloop.compact";
pub const UNDO: &str = "codeloop.undo";

/// Every command, for `executeCommandProvider.commands` (Zed hides commands not listed).
pub const COMMANDS: [&str; 10] = [ASK, CANCEL, STATUS, THREADS, APPROVE, DENY, RESUME, FORK, COMPACT, UNDO];

/// LSP 3.17 `RequestFailed`.
const REQUEST_FAILED: i64 = -32803;

fn invalid(message: String) -> Error {
    Error { code: ErrorCode::InvalidParams, message: message.into(), data: None }
}

fn failed(message: String) -> Error {
    Error { code: ErrorCode::ServerError(REQUEST_FAILED), message: message.into(), data: None }
}

fn agent_error(command: &str, e: AgentError) -> Error {
    match e {
        AgentError::InvalidParams(m) => invalid(format!("{command}: {m}")),
        AgentError::Failed(m) => failed(format!("{command}: {m}")),
    }
}

/// The first line of `text`, cut to `max` characters.
pub fn preview(text: &str, max: usize) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    if line.chars().count() <= max {
        return line.to_string();
    }
    let cut: String = line.chars().take(max).collect();
    format!("{cut}…")
}

/// The command's single argument object (absent or null: `{}`).
fn argument<T: DeserializeOwned>(command: &str, mut args: Vec<Value>, expected: &str) -> Result<T> {
    let value = match args.len() {
        0 => json!({}),
        1 => match args.remove(0) {
            Value::Null => json!({}),
            v => v,
        },
        n => return Err(invalid(format!("{command}: expected one argument object {expected}, got {n} arguments"))),
    };
    serde_json::from_value(value).map_err(|e| invalid(format!("{command}: invalid arguments: {e}; expected {expected}")))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AskArgs {
    prompt: String,
    #[serde(default)]
    uri: Option<Url>,
    #[serde(default)]
    range: Option<Range>,
    #[serde(default)]
    ranges: Option<Vec<Range>>,
    #[serde(default)]
    thread_id: Option<String>,
    #[serde(default)]
    diagnostics: Option<Vec<Diagnostic>>,
    /// A path instead of `uri` (absolute, or relative to the workspace root): Helix's `%{buffer_name}`.
    #[serde(default)]
    file: Option<String>,
    /// A 1-based line instead of `range`: Helix's `%{cursor_line}`.
    #[serde(default)]
    line: Option<u32>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ThreadArgs {
    #[serde(default)]
    thread_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ThreadIdArgs {
    thread_id: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct UndoArgs {
    #[serde(default)]
    thread_id: Option<String>,
    #[serde(default)]
    turn_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ApprovalArgs {
    #[serde(default)]
    approval_id: Option<String>,
    #[serde(default)]
    thread_id: Option<String>,
    #[serde(default)]
    for_session: bool,
}

const ASK_SHAPE: &str = "{\"prompt\": string, \"uri\"?: string, \"file\"?: string, \"range\"?: Range, \"line\"?: number, \"ranges\"?: [Range], \"threadId\"?: string, \"diagnostics\"?: [Diagnostic]}";

/// An LSP range as 0-based lines; a range ending at column 0 of a later line ends on the line before.
fn lines(r: &Range) -> LineRange {
    let (start, end) = (r.start.line.min(r.end.line), r.start.line.max(r.end.line));
    let end = if end > start && r.end.character == 0 && r.end.line == end { end - 1 } else { end };
    LineRange { start, end }
}

fn severity(s: Option<DiagnosticSeverity>) -> String {
    match s {
        Some(DiagnosticSeverity::WARNING) => "warning",
        Some(DiagnosticSeverity::INFORMATION) => "info",
        Some(DiagnosticSeverity::HINT) => "hint",
        _ => "error",
    }
    .to_string()
}

async fn editor_context(agents: &Agents, args: &AskArgs) -> Result<Option<EditorContext>> {
    let mut ranges: Vec<&Range> = args.range.iter().collect();
    ranges.extend(args.ranges.iter().flatten());
    let Some(uri) = &args.uri else {
        if !ranges.is_empty() || args.diagnostics.as_ref().is_some_and(|d| !d.is_empty()) {
            return Err(invalid(format!("{ASK}: `range`, `ranges` and `diagnostics` need a `uri`")));
        }
        return Ok(None);
    };
    let path = convert::uri_to_path(uri).ok_or_else(|| invalid(format!("{ASK}: `uri` must be a file URI, got {uri}")))?;
    agents.docs.sync().await;
    let snap = agents.docs.get(uri).or_else(|| agents.docs.by_path(&path));
    let diagnostics = args
        .diagnostics
        .iter()
        .flatten()
        .map(|d| EditorDiagnostic {
            range: lines(&d.range),
            severity: severity(d.severity),
            message: d.message.clone(),
            source: d.source.clone(),
        })
        .collect();
    Ok(Some(EditorContext {
        path,
        text: snap.as_ref().map(|s| s.doc.text()),
        version: snap.as_ref().map(|s| s.doc.version()),
        ranges: ranges.into_iter().map(lines).collect(),
        diagnostics,
    }))
}

async fn ask(agents: &Arc<Agents>, arguments: Vec<Value>, work_done_token: Option<NumberOrString>) -> Result<Value> {
    // `:lsp-workspace-command codeloop.ask "fix this"` in Helix: a bare string is the prompt.
    let args: AskArgs = match arguments.as_slice() {
        [Value::String(prompt)] => AskArgs {
            prompt: prompt.clone(),
            uri: None,
            range: None,
            ranges: None,
            thread_id: None,
            diagnostics: None,
            file: None,
            line: None,
        },
        _ => argument(ASK, arguments, ASK_SHAPE)?,
    };
    let mut args = args;
    if let (None, Some(file)) = (&args.uri, &args.file) {
        let root = agents.setup().and_then(|s| s.cwd.clone()).unwrap_or_default();
        let path = root.join(file);
        args.uri = Some(convert::path_to_uri(&path).ok_or_else(|| invalid(format!("{ASK}: `file` {file} is not a usable path")))?);
    }
    if let (None, Some(line)) = (&args.range, args.line) {
        let at = tower_lsp::lsp_types::Position::new(line.saturating_sub(1), 0);
        args.range = Some(Range { start: at, end: at });
    }
    if args.prompt.trim().is_empty() {
        return Err(invalid(format!("{ASK}: `prompt` is empty")));
    }
    let editor = editor_context(agents, &args).await?;
    let req = AskRequest { prompt: args.prompt, editor, thread_id: args.thread_id, work_done_token };
    let (thread_id, turn_id) = agents.ask(req).await.map_err(|e| agent_error(ASK, e))?;
    Ok(json!({ "threadId": thread_id, "turnId": turn_id }))
}

async fn threads(agents: &Agents) -> Result<Value> {
    let Some(dir) = agent::rollout::state_dir() else {
        return Err(failed(format!("{THREADS}: no state directory ($CODELOOP_STATE_DIR, $XDG_STATE_HOME or $HOME)")));
    };
    let listed = tokio::task::spawn_blocking(move || agent::rollout::list_threads(&dir))
        .await
        .map_err(|e| failed(format!("{THREADS}: internal error: {e}")))?
        .map_err(|e| failed(format!("{THREADS}: {e}")))?;
    let list: Vec<Value> = listed
        .into_iter()
        .map(|t| {
            json!({
                "threadId": t.id.as_str(),
                "live": agents.handle(t.id.as_str()).is_some(),
                "createdAt": t.created_at,
                "updatedAt": t.updated_at,
                "cwd": t.cwd,
                "model": t.model,
                "forkedFrom": t.forked_from.map(|f| f.0),
                "preview": t.preview,
                "path": t.path,
            })
        })
        .collect();
    Ok(json!({ "threads": list }))
}

fn answer(agents: &Agents, command: &str, arguments: Vec<Value>, approve: bool) -> Result<Value> {
    let args: ApprovalArgs = argument(command, arguments, "{\"approvalId\"?: string, \"threadId\"?: string, \"forSession\"?: boolean}")?;
    let decision = match (approve, args.for_session) {
        (true, false) => ReviewDecision::Approved,
        (true, true) => ReviewDecision::ApprovedForSession,
        (false, _) => ReviewDecision::Denied,
    };
    let a = agents
        .approvals
        .answer(args.approval_id.as_deref(), args.thread_id.as_deref(), decision)
        .map_err(|m| invalid(format!("{command}: {m}")))?;
    Ok(json!({ "approvalId": a.approval_id, "threadId": a.thread_id, "decision": decision }))
}

const THREAD_SHAPE: &str = "{\"threadId\": string}";

/// `codeloop.undo`: checks at once that the turn's edits can be reverted, then sends the edit
/// in the background.
async fn undo(agents: &Arc<Agents>, arguments: Vec<Value>) -> Result<Value> {
    let a: UndoArgs = argument(UNDO, arguments, "{\"threadId\"?: string, \"turnId\"?: string}")?;
    let turn = agents.undo.take(a.thread_id.as_deref(), a.turn_id.as_deref()).map_err(|m| failed(format!("{UNDO}: {m}")))?;
    let plan = match crate::undo_flow::plan(agents, &turn).await {
        Ok(plan) => plan,
        Err(m) => {
            agents.undo.restore(turn);
            return Err(failed(format!("{UNDO}: {m}")));
        }
    };
    let result = json!({
        "threadId": turn.thread_id,
        "turnId": turn.turn_id,
        "files": plan.files,
        "notUndone": turn.skipped,
    });
    tokio::spawn(crate::undo_flow::send(agents.clone(), turn));
    Ok(result)
}

/// Runs one command.
pub async fn execute(agents: &Arc<Agents>, params: ExecuteCommandParams) -> Result<Option<Value>> {
    let args = params.arguments;
    let token = params.work_done_progress_params.work_done_token;
    let result = match params.command.as_str() {
        ASK => ask(agents, args, token).await?,
        RESUME => {
            let a: ThreadIdArgs = argument(RESUME, args, THREAD_SHAPE)?;
            let id = agents.resume(&a.thread_id).await.map_err(|e| agent_error(RESUME, e))?;
            json!({ "threadId": id })
        }
        FORK => {
            let a: ThreadIdArgs = argument(FORK, args, THREAD_SHAPE)?;
            let id = agents.fork(&a.thread_id).await.map_err(|e| agent_error(FORK, e))?;
            json!({ "threadId": id, "forkedFrom": a.thread_id })
        }
        COMPACT => {
            let a: ThreadIdArgs = argument(COMPACT, args, THREAD_SHAPE)?;
            agents.compact(&a.thread_id).map_err(|e| agent_error(COMPACT, e))?;
            json!({ "threadId": a.thread_id })
        }
        UNDO => undo(agents, args).await?,
        CANCEL => {
            let a: ThreadArgs = argument(CANCEL, args, "{\"threadId\"?: string}")?;
            let cancelled = agents.cancel(a.thread_id.as_deref()).map_err(|e| agent_error(CANCEL, e))?;
            json!({ "cancelled": cancelled })
        }
        STATUS => agents.status(),
        THREADS => threads(agents).await?,
        APPROVE => answer(agents, APPROVE, args, true)?,
        DENY => answer(agents, DENY, args, false)?,
        other => return Err(invalid(format!("unknown command `{other}`; the commands are {}", COMMANDS.join(", ")))),
    };
    Ok(Some(result))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp::lsp_types::Position;

    #[test]
    fn ranges_become_lines() {
        let r = |a, b, c, d| Range { start: Position::new(a, b), end: Position::new(c, d) };
        assert_eq!(lines(&r(2, 4, 5, 0)), LineRange { start: 2, end: 4 });
        assert_eq!(lines(&r(2, 4, 5, 1)), LineRange { start: 2, end: 5 });
        assert_eq!(lines(&r(3, 0, 3, 0)), LineRange { start: 3, end: 3 });
        assert_eq!(preview("  \n fix the bug in parse()  \nmore", 7), "fix the…");
    }

    #[test]
    fn bad_arguments_are_invalid_params() {
        let e = argument::<AskArgs>(ASK, vec![json!({"prompt": 3})], ASK_SHAPE).err().unwrap();
        assert_eq!(e.code, ErrorCode::InvalidParams);
        assert!(e.message.starts_with("codeloop.ask: invalid arguments: invalid type: integer `3`"), "{}", e.message);
        let e = argument::<ThreadArgs>(CANCEL, vec![json!({}), json!({})], "{}").err().unwrap();
        assert!(e.message.contains("got 2 arguments"), "{}", e.message);
        assert!(argument::<ThreadArgs>(CANCEL, vec![Value::Null], "{}").is_ok());
    }
}
