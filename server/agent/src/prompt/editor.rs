//! The `<editor_context>` user message of a request made from the editor: the file, the selected
//! lines with their numbers, the diagnostics the editor passed in, and, when an index resolved
//! them, the enclosing symbol and the definitions the selection refers to. Every part is capped so
//! that a huge selection or a noisy file cannot crowd out the conversation.
//!
//! The input is `agent_protocol::EditorContext` (0-based lines, as on the wire); the output numbers
//! lines from 1, as people and models read them. Resolution through the index is separate
//! (`resolve_agent_context`) so that callers without an index (exec) or with their own parse (the
//! LSP server) render the same way. Deliberately not here: positions in LSP encodings, and reading
//! editor state (the caller passes the buffer text).

use agent_protocol::{EditorContext, LineRange, ResponseItem};
use index::context::AgentContext;
use std::borrow::Cow;
use std::fmt::Write;
use std::ops::Range;

/// The opening tag; also how a history scan recognises this message as injected context.
pub const EDITOR_CONTEXT_OPEN: &str = "<editor_context>";

/// Selected text shown, all ranges together.
pub const SELECTION_CAP: usize = 16 * 1024;
/// Lines shown per selected range.
pub const SELECTION_LINES: usize = 400;
pub const MAX_DIAGNOSTICS: usize = 30;
/// A diagnostic message is cut after this many bytes.
pub const DIAGNOSTIC_MESSAGE_CAP: usize = 600;
/// The enclosing symbol's text is cut after this many bytes.
pub const ENCLOSING_CAP: usize = 8 * 1024;
/// Definitions' text shown, all together; the ones past it are listed by name only.
pub const DEFINITIONS_CAP: usize = 12 * 1024;
/// A file read from disk (no buffer text given) larger than this is not shown.
pub const DISK_READ_CAP: u64 = 4 * 1024 * 1024;

/// The buffer text of the context: the editor's text when given, else the file on disk (when it
/// is not larger than `DISK_READ_CAP`).
pub fn editor_text(ctx: &EditorContext) -> Option<Cow<'_, str>> {
    if let Some(t) = &ctx.text {
        return Some(Cow::Borrowed(t));
    }
    let meta = std::fs::metadata(&ctx.path).ok()?;
    if !meta.is_file() || meta.len() > DISK_READ_CAP {
        return None;
    }
    let bytes = std::fs::read(&ctx.path).ok()?;
    Some(Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()))
}

/// The enclosing symbol and referenced definitions of the selection, through the index: the text
/// is parsed afresh (the index may lag behind the buffer). `None` when the language is unknown or
/// the parse fails. Blocking (it parses and reads definition files): call it off the async runtime.
pub fn resolve_agent_context(index: &index::Index, ctx: &EditorContext, text: &str) -> Option<AgentContext> {
    let lang = syntax::Lang::from_path(&ctx.path)?;
    let doc = text::Document::new(text, ctx.version.unwrap_or(0));
    let tree = syntax::parse_rope(lang, doc.rope(), None)?;
    let range = selection_bytes(text, &ctx.ranges);
    Some(index::context::context(index, &ctx.path, lang, &doc, &tree, range))
}

/// The bytes covered by the ranges (from the first range's first line to the last one's end);
/// the start of the file when there are none.
fn selection_bytes(text: &str, ranges: &[LineRange]) -> Range<usize> {
    let starts = line_starts(text);
    let (Some(first), Some(last)) = (ranges.iter().map(|r| r.start).min(), ranges.iter().map(|r| r.end.max(r.start)).max()) else {
        return 0..0;
    };
    let at = |line: u32| starts.get(line as usize).copied().unwrap_or(text.len());
    let start = at(first);
    let end = at(last.saturating_add(1)).max(start);
    // Leave out the final line break so the range ends inside the last selected line.
    let end = if end > start && text[..end].ends_with('\n') { end - 1 } else { end };
    start..end
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect()
}

/// The editor context as the user message the model sees. `resolved` is the index's context of
/// the selection (`resolve_agent_context`, or the LSP server's own `index::context::context`).
pub fn editor_context(ctx: &EditorContext, resolved: Option<&AgentContext>) -> ResponseItem {
    ResponseItem::user_text(render_editor_context(ctx, editor_text(ctx).as_deref(), resolved))
}

/// The message text, given the buffer text (`None`: the file could not be read).
pub fn render_editor_context(ctx: &EditorContext, text: Option<&str>, resolved: Option<&AgentContext>) -> String {
    let mut out = String::new();
    out.push_str(EDITOR_CONTEXT_OPEN);
    out.push('\n');
    let _ = write!(out, "File: `{}`", ctx.path.display());
    if let Some(v) = ctx.version {
        let _ = write!(out, " (open in the editor, version {v})");
    }
    out.push('\n');

    // The lines to show: the selection, or where the diagnostics are when nothing is selected.
    let ranges: Vec<LineRange> =
        if ctx.ranges.is_empty() { merge(ctx.diagnostics.iter().map(|d| d.range).collect()) } else { ctx.ranges.clone() };
    match text {
        Some(text) => render_ranges(&mut out, text, &ranges, !ctx.ranges.is_empty()),
        None if !ranges.is_empty() => out.push_str("(the file's text is not available)\n"),
        None => {}
    }
    render_diagnostics(&mut out, ctx);
    if let Some(resolved) = resolved {
        render_resolved(&mut out, resolved);
    }
    out.push_str("</editor_context>");
    out
}

/// Sorts ranges and merges overlapping or adjacent ones.
fn merge(mut ranges: Vec<LineRange>) -> Vec<LineRange> {
    ranges.iter_mut().for_each(|r| r.end = r.end.max(r.start));
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<LineRange> = Vec::new();
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end.saturating_add(1) => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

fn render_ranges(out: &mut String, text: &str, ranges: &[LineRange], selected: bool) {
    let lines: Vec<&str> = text.split_inclusive('\n').map(|l| l.trim_end_matches(['\n', '\r'])).collect();
    let mut budget = SELECTION_CAP;
    for r in ranges {
        let (start, end) = (r.start as usize, (r.end.max(r.start) as usize).min(lines.len().saturating_sub(1)));
        if start >= lines.len() {
            let _ = writeln!(out, "Line {} is past the end of the file ({} lines).", start + 1, lines.len());
            continue;
        }
        let what = if selected { "Selected lines" } else { "Lines with diagnostics" };
        let _ = writeln!(out, "{what} {}-{}:", start + 1, end + 1);
        let width = (end + 1).to_string().len();
        let mut body = String::new();
        let mut shown_to = start;
        for (i, line) in lines[start..=end].iter().enumerate().take(SELECTION_LINES) {
            let row = format!("{:>width$} | {line}\n", start + i + 1);
            if row.len() > budget {
                break;
            }
            budget -= row.len();
            body.push_str(&row);
            shown_to = start + i + 1;
        }
        let f = fence(&body);
        let _ = write!(out, "{f}\n{body}{f}\n");
        if shown_to <= end {
            let _ = writeln!(out, "[{} more selected lines not shown; read them with read_file]", end + 1 - shown_to);
        }
    }
}

fn render_diagnostics(out: &mut String, ctx: &EditorContext) {
    if ctx.diagnostics.is_empty() {
        return;
    }
    out.push_str("Diagnostics:\n");
    for d in ctx.diagnostics.iter().take(MAX_DIAGNOSTICS) {
        let lines = if d.range.end > d.range.start {
            format!("lines {}-{}", d.range.start + 1, d.range.end + 1)
        } else {
            format!("line {}", d.range.start + 1)
        };
        let source = d.source.as_deref().map(|s| format!(" [{s}]")).unwrap_or_default();
        let message = cap(d.message.trim(), DIAGNOSTIC_MESSAGE_CAP);
        let _ = writeln!(out, "- {} at {lines}{source}: {}", d.severity, message.replace('\n', "\n  "));
    }
    if ctx.diagnostics.len() > MAX_DIAGNOSTICS {
        let _ = writeln!(out, "- ... {} more", ctx.diagnostics.len() - MAX_DIAGNOSTICS);
    }
}

fn render_resolved(out: &mut String, ctx: &AgentContext) {
    if let Some(e) = &ctx.enclosing {
        let container = e.container.as_deref().map(|c| format!(" in `{c}`")).unwrap_or_default();
        let _ = writeln!(out, "Enclosing {} `{}`{container} (lines {}-{}):", e.kind.as_str(), e.name, e.start_line, e.end_line);
        code_block(out, ctx.language, &cap(&e.text, ENCLOSING_CAP));
    }
    if ctx.definitions.is_empty() {
        return;
    }
    out.push_str("Definitions referenced by the selection:\n");
    let mut budget = DEFINITIONS_CAP;
    let mut left_out = Vec::new();
    for d in &ctx.definitions {
        let container = d.container.as_deref().map(|c| format!(" in `{c}`")).unwrap_or_default();
        let header = format!("{} `{}`{container} at `{}:{}-{}`", d.kind.as_str(), d.name, d.path.display(), d.start_line, d.end_line);
        let size = header.len() + d.text.len();
        if size > budget {
            left_out.push(header);
            continue;
        }
        budget -= size;
        let _ = writeln!(out, "{header}:");
        let text = if d.truncated { format!("{}\n... [cut]", d.text) } else { d.text.clone() };
        code_block(out, d.language.unwrap_or(""), &text);
    }
    if !left_out.is_empty() {
        let _ = writeln!(out, "Also referenced (not shown): {}", left_out.join("; "));
    }
}

/// `text` cut to at most `max` bytes (on a char boundary) with a marker.
fn cap(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    Cow::Owned(format!("{}\n... [cut: {} more bytes]", &text[..cut], text.len() - cut))
}

/// A code fence longer than any backtick run in `text`.
fn fence(text: &str) -> String {
    let (mut longest, mut run) = (0, 0);
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

fn code_block(out: &mut String, lang: &str, text: &str) {
    let f = fence(text);
    let _ = writeln!(out, "{f}{lang}\n{}\n{f}", text.trim_end_matches('\n'));
}
