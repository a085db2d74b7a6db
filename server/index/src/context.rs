//! Editor context for the agent: what surrounds a selection in a document, and the
//! definitions it refers to, ready to be serialized or rendered into a prompt.
//!
//! The document itself is read from the caller's rope (the editor's buffer, not the disk):
//! its symbols are extracted afresh here rather than taken from the index, which may lag
//! behind the last keystroke. Other files' definitions come from the index and their text
//! from disk. Names are resolved by exact match only; there is no type or scope analysis,
//! so a definition is a likely target, not a proven one. Lines in this module's output are
//! 1-based, as people and models read them.

use crate::lines::LineIndex;
use crate::symbol::kind_rank;
use crate::Index;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use syntax::{Lang, SymbolKind};

/// The enclosing symbol's text is cut after this many bytes.
pub const ENCLOSING_TEXT_CAP: usize = 16 * 1024;
/// A definition's text is cut after this many lines.
pub const DEFINITION_LINES: usize = 60;
pub const MAX_DEFINITIONS: usize = 20;
/// Definitions per referenced name (common names have many).
pub const DEFINITIONS_PER_NAME: usize = 3;
pub const OUTLINE_CAP: usize = 300;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentContext {
    /// Relative to the workspace root that contains it, else absolute.
    pub path: PathBuf,
    pub language: &'static str,
    pub enclosing: Option<EnclosingSymbol>,
    pub outline: Vec<OutlineEntry>,
    /// How many outline entries were left out (see `OUTLINE_CAP`).
    pub outline_omitted: usize,
    pub definitions: Vec<Definition>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnclosingSymbol {
    pub name: String,
    #[serde(serialize_with = "kind_str")]
    pub kind: SymbolKind,
    pub container: Option<String>,
    /// Byte range of the symbol in the document.
    pub range: Range<usize>,
    pub start_line: u32,
    pub end_line: u32,
    /// The symbol's source, from the start of its first line when only indentation
    /// precedes it; cut after `ENCLOSING_TEXT_CAP` bytes with a marker.
    pub text: String,
    pub truncated: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutlineEntry {
    pub depth: u32,
    pub name: String,
    #[serde(serialize_with = "kind_str")]
    pub kind: SymbolKind,
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Definition {
    pub name: String,
    #[serde(serialize_with = "kind_str")]
    pub kind: SymbolKind,
    pub container: Option<String>,
    /// Relative to the workspace root that contains it, else absolute.
    pub path: PathBuf,
    pub language: Option<&'static str>,
    pub start_line: u32,
    pub end_line: u32,
    pub text: String,
    pub truncated: bool,
}

fn kind_str<S: serde::Serializer>(kind: &SymbolKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.as_str())
}

fn display_path(index: &Index, path: &Path) -> PathBuf {
    index
        .roots()
        .iter()
        .filter_map(|r| path.strip_prefix(r).ok())
        .min_by_key(|rel| rel.as_os_str().len())
        .map_or_else(|| path.to_path_buf(), Path::to_path_buf)
}

/// Lines `start..=end` (0-based) of a text given by its line starts, at most
/// `DEFINITION_LINES` of them. Returns the text and whether it was cut.
fn line_span(text: &str, starts: impl Fn(usize) -> usize, start: u32, end: u32) -> (String, bool) {
    let (start, end) = (start as usize, (end as usize).max(start as usize));
    let last = end.min(start + DEFINITION_LINES - 1);
    let from = starts(start).min(text.len());
    let to = starts(last + 1).clamp(from, text.len());
    let slice = text.get(from..to).unwrap_or("");
    (slice.trim_end_matches(['\n', '\r']).to_string(), last < end)
}

/// Builds the context of `range` (bytes) in the document `doc` at `path`.
pub fn context(index: &Index, path: &Path, lang: Lang, doc: &text::Document, tree: &syntax::Tree, range: Range<usize>) -> AgentContext {
    let path = &*index.normalize(path);
    let rope = doc.rope();
    let len = rope.len_bytes();
    let range = range.start.min(len)..range.end.min(len).max(range.start.min(len));
    let symbols = syntax::symbols_rope(lang, tree, rope);
    let line_of = |b: usize| text::pos_of(rope, b).line;

    let enclosing_idx = symbols
        .iter()
        .enumerate()
        .filter(|(_, s)| s.range.start <= range.start && range.end <= s.range.end)
        .min_by_key(|(i, s)| (s.range.end.saturating_sub(s.range.start), usize::MAX - i))
        .map(|(i, _)| i);
    let enclosing = enclosing_idx.and_then(|i| symbols.get(i)).map(|s| {
        // Start at the beginning of the line when only indentation precedes the symbol, so
        // that its lines keep their relative indentation.
        let line_start = rope.line_to_byte(rope.byte_to_line(s.range.start.min(len)));
        let indent = doc.slice_bytes(line_start..s.range.start);
        let from = if indent.trim().is_empty() { line_start } else { s.range.start };
        let mut text = doc.slice_bytes(from..s.range.end);
        let truncated = text.len() > ENCLOSING_TEXT_CAP;
        if truncated {
            let mut cut = ENCLOSING_TEXT_CAP;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let omitted = text.len() - cut;
            text.truncate(cut);
            let _ = write!(text, "\n… [truncated: {omitted} more bytes]");
        }
        EnclosingSymbol {
            name: s.name.clone(),
            kind: s.kind,
            container: s.container.clone(),
            range: s.range.clone(),
            start_line: line_of(s.range.start) + 1,
            end_line: line_of(s.range.end) + 1,
            text,
            truncated,
        }
    });

    let mut outline = Vec::new();
    for s in symbols.iter().take(OUTLINE_CAP) {
        let mut depth = 0u32;
        let mut p = s.parent;
        while let Some(i) = p.filter(|_| depth < 64) {
            depth += 1;
            p = symbols.get(i).and_then(|s| s.parent);
        }
        outline.push(OutlineEntry { depth, name: s.name.clone(), kind: s.kind, line: line_of(s.selection.start) + 1 });
    }

    // Definitions of the names used in the range: this document's own first, then the
    // index's (other files), closest paths first.
    let names = syntax::identifiers_in(lang, tree, rope, range.clone());
    let mut definitions = Vec::new();
    let mut disk: HashMap<PathBuf, Option<String>> = HashMap::new();
    let mut seen_names = HashSet::new();
    let mut spans: HashSet<(PathBuf, u32, u32)> = HashSet::new();
    let doc_text = doc.text();
    let doc_lines = LineIndex::new(&doc_text);
    let display = display_path(index, path);
    for name in names {
        if definitions.len() >= MAX_DEFINITIONS {
            break;
        }
        if !seen_names.insert(name.clone()) {
            continue;
        }
        let mut found = 0;
        for (i, s) in symbols.iter().enumerate() {
            if s.name != name || Some(i) == enclosing_idx || found >= DEFINITIONS_PER_NAME {
                continue;
            }
            let (start, end) = (line_of(s.range.start), line_of(s.range.end));
            found += 1;
            // Symbols sharing lines (fields of a one-line struct) would repeat the same text.
            if !spans.insert((display.clone(), start, end)) {
                continue;
            }
            let (text, truncated) = line_span(&doc_text, |l| doc_lines.line_start(l), start, end);
            definitions.push(Definition {
                name: s.name.clone(),
                kind: s.kind,
                container: s.container.clone(),
                path: display.clone(),
                language: Some(lang.name()),
                start_line: start + 1,
                end_line: end + 1,
                text,
                truncated,
            });
        }
        let mut hits: Vec<_> =
            index.definitions(&name, 64).into_iter().filter(|h| &*h.path != path && h.symbol.kind != SymbolKind::Variable).collect();
        let shared = |p: &Path| p.components().zip(path.components()).take_while(|(a, b)| a == b).count();
        hits.sort_by_key(|h| (kind_rank(h.symbol.kind), usize::MAX - shared(&h.path)));
        for h in hits.into_iter().take(DEFINITIONS_PER_NAME.saturating_sub(found)) {
            if definitions.len() >= MAX_DEFINITIONS {
                break;
            }
            let (start, end) = (h.symbol.range.0.line, h.symbol.range.1.line);
            let shown = display_path(index, &h.path);
            if !spans.insert((shown.clone(), start, end)) {
                continue;
            }
            let source = disk.entry(h.path.to_path_buf()).or_insert_with(|| std::fs::read_to_string(&h.path).ok());
            let Some(source) = source.as_deref() else { continue };
            let lines = LineIndex::new(source);
            let (text, truncated) = line_span(source, |l| lines.line_start(l), start, end);
            definitions.push(Definition {
                name: h.symbol.name.to_string(),
                kind: h.symbol.kind,
                container: h.symbol.container.as_deref().map(str::to_string),
                path: shown,
                language: Lang::from_path(&h.path).map(Lang::name),
                start_line: start + 1,
                end_line: end + 1,
                text,
                truncated,
            });
        }
    }
    definitions.truncate(MAX_DEFINITIONS);

    AgentContext {
        path: display,
        language: lang.name(),
        enclosing,
        outline_omitted: symbols.len().saturating_sub(OUTLINE_CAP),
        outline,
        definitions,
    }
}

/// A code fence longer than any backtick run in `text`.
fn fence(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    "`".repeat((longest + 1).max(3))
}

fn code_block(out: &mut String, lang: Option<&str>, text: &str) {
    let f = fence(text);
    let _ = writeln!(out, "{f}{}\n{text}\n{f}", lang.unwrap_or(""));
}

impl AgentContext {
    /// The context as Markdown for a prompt.
    pub fn render_markdown(&self) -> String {
        let mut out = String::new();
        let path = self.path.display();
        let _ = writeln!(out, "# Context: `{path}` ({})\n", self.language);
        if let Some(e) = &self.enclosing {
            let container = e.container.as_deref().map(|c| format!(" in `{c}`")).unwrap_or_default();
            let _ = writeln!(out, "## Enclosing {} `{}`{container} (lines {}-{})\n", e.kind.as_str(), e.name, e.start_line, e.end_line);
            code_block(&mut out, Some(self.language), &e.text);
            out.push('\n');
        }
        if !self.outline.is_empty() {
            let _ = writeln!(out, "## Outline of `{path}`\n");
            for o in &self.outline {
                let indent = "  ".repeat(o.depth as usize);
                let _ = writeln!(out, "{indent}- {} `{}` (line {})", o.kind.as_str(), o.name, o.line);
            }
            if self.outline_omitted > 0 {
                let _ = writeln!(out, "- … {} more", self.outline_omitted);
            }
            out.push('\n');
        }
        if !self.definitions.is_empty() {
            out.push_str("## Referenced definitions\n\n");
            for d in &self.definitions {
                let container = d.container.as_deref().map(|c| format!(" in `{c}`")).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "### {} `{}`{container} — `{}:{}-{}`\n",
                    d.kind.as_str(),
                    d.name,
                    d.path.display(),
                    d.start_line,
                    d.end_line
                );
                let mut text = d.text.clone();
                if d.truncated {
                    text.push_str("\n… [truncated]");
                }
                code_block(&mut out, d.language, &text);
                out.push('\n');
            }
        }
        out
    }
}
