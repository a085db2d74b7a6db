//! Turning a parsed patch into one `EditProposal`, all or nothing: every file section is
//! computed against the `FileView` (and against the earlier sections of the same patch) in
//! a staging map, and only when all succeed are the changes emitted, each against the base
//! the file was read at. Nothing is written.
//!
//! Chunks of an Update apply in order, each at or after the end of the previous one. A
//! chunk with anchors (`@@ <line>`) first finds each anchor in turn; its old lines are then
//! sought after the last anchor. A chunk whose old lines match in several places and that
//! has no anchor is refused as ambiguous (Codex silently takes the first).

use super::parse::{Chunk, Hunk, Patch};
use super::seek::{closest, seek, Found, Level};
use super::{diff, ChunkFailure, ChunkReason, FileStatus, PatchFailure, PatchedFile};
use crate::files::{display_path, resolve_path, FileSnapshot, FileView};
use agent_protocol::{EditProposal, FileChange, TextReplace};
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

/// One path's state while the patch is computed.
struct Entry {
    path: PathBuf,
    /// The file before the patch; `None` when it did not exist.
    base: Option<FileSnapshot>,
    /// The file now; `None` when absent.
    content: Option<String>,
    /// Where the content came from when it was moved here.
    moved_from: Option<PathBuf>,
    /// Edits against the base of `moved_from` (or of `path`), while exactly one Update
    /// produced the content from it; otherwise they are recomputed by a diff.
    edits: Option<Vec<TextReplace>>,
}

struct Stage<'a> {
    view: &'a dyn FileView,
    entries: Vec<Entry>,
    by_path: HashMap<PathBuf, usize>,
}

impl Stage<'_> {
    fn entry(&mut self, path: &Path) -> Result<usize, PatchFailure> {
        if let Some(&i) = self.by_path.get(path) {
            return Ok(i);
        }
        let base = match self.view.read(path) {
            Ok(s) => Some(s),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(error) => return Err(PatchFailure::Read { path: path.to_path_buf(), error: error.to_string() }),
        };
        let content = base.as_ref().map(|b| b.text.to_string());
        self.entries.push(Entry { path: path.to_path_buf(), base, content, moved_from: None, edits: None });
        self.by_path.insert(path.to_path_buf(), self.entries.len() - 1);
        Ok(self.entries.len() - 1)
    }
}

pub(crate) fn compute(patch: &Patch, cwd: &Path, view: &dyn FileView) -> Result<(EditProposal, Vec<PatchedFile>), PatchFailure> {
    let mut stage = Stage { view, entries: Vec::new(), by_path: HashMap::new() };
    for hunk in &patch.hunks {
        let path = resolve_path(cwd, Path::new(hunk.path()));
        let i = stage.entry(&path)?;
        match hunk {
            Hunk::Add { content, .. } => {
                if stage.entries[i].content.is_some() {
                    return Err(PatchFailure::AddExists { path });
                }
                let e = &mut stage.entries[i];
                e.content = Some(content.clone());
                e.edits = None;
                e.moved_from = None;
            }
            Hunk::Delete { .. } => {
                let e = &mut stage.entries[i];
                if e.content.take().is_none() {
                    return Err(PatchFailure::Missing { path, op: "delete" });
                }
                e.edits = None;
                e.moved_from = None;
            }
            Hunk::Update { move_to, chunks, .. } => {
                let e = &stage.entries[i];
                let Some(current) = &e.content else { return Err(PatchFailure::Missing { path, op: "update" }) };
                let edits = compute_edits(current, chunks, &path)?;
                let new = diff::apply_edits(current, &edits);
                // Exact chunk edits survive only when they apply to the untouched base.
                let pristine = e.base.as_ref().is_some_and(|b| *b.text == **current) && e.moved_from.is_none();
                let edits = pristine.then_some(edits);
                let target = move_to.as_ref().map(|m| resolve_path(cwd, Path::new(m))).filter(|t| *t != path);
                match target {
                    None => {
                        let e = &mut stage.entries[i];
                        e.content = Some(new);
                        e.edits = edits;
                    }
                    Some(target) => {
                        let t = stage.entry(&target)?;
                        if stage.entries[t].content.is_some() {
                            return Err(PatchFailure::MoveExists { path, target });
                        }
                        let origin = stage.entries[i].moved_from.take().unwrap_or_else(|| path.clone());
                        stage.entries[i].content = None;
                        stage.entries[i].edits = None;
                        let t = &mut stage.entries[t];
                        t.content = Some(new);
                        t.moved_from = Some(origin);
                        t.edits = edits;
                    }
                }
            }
        }
    }
    Ok(finish(stage, cwd))
}

/// The changes of a successful patch, in the order files were first touched.
fn finish(stage: Stage<'_>, cwd: &Path) -> (EditProposal, Vec<PatchedFile>) {
    let entries = &stage.entries;
    let mut changes = Vec::new();
    let mut files = Vec::new();
    // Content moved from one existing file to a path that did not exist: an Update with
    // `move_to` (a move onto a path deleted by the same patch degrades to delete + add).
    let moved_to: HashMap<&Path, &Entry> = entries
        .iter()
        .filter(|e| e.base.is_none())
        .filter_map(|e| e.content.as_ref().and(e.moved_from.as_deref()).map(|from| (from, e)))
        .collect();
    let mut consumed: Vec<&Path> = Vec::new();
    for e in entries {
        let name = display_path(cwd, &e.path);
        match (&e.base, &e.content) {
            (Some(base), None) => {
                if let Some(dest) = moved_to.get(e.path.as_path()).filter(|_| e.content.is_none()) {
                    let new = dest.content.clone().unwrap_or_default();
                    let edits = dest.edits.clone().unwrap_or_else(|| diff::edits(&base.text, &new));
                    files.push(PatchedFile {
                        path: e.path.clone(),
                        move_to: Some(dest.path.clone()),
                        status: FileStatus::Moved,
                        diff: diff::unified(&base.text, &new, &name, &display_path(cwd, &dest.path)),
                    });
                    changes.push(FileChange::Update {
                        path: e.path.clone(),
                        move_to: Some(dest.path.clone()),
                        base: base.base.clone(),
                        edits,
                        new_content: new,
                    });
                    consumed.push(&dest.path);
                } else {
                    files.push(PatchedFile {
                        path: e.path.clone(),
                        move_to: None,
                        status: FileStatus::Deleted,
                        diff: diff::unified(&base.text, "", &name, "/dev/null"),
                    });
                    changes.push(FileChange::Delete { path: e.path.clone(), base: base.base.clone() });
                }
            }
            (Some(base), Some(new)) => {
                if *base.text == **new && e.moved_from.is_none() {
                    continue;
                }
                let edits = match (&e.edits, &e.moved_from) {
                    (Some(edits), None) => edits.clone(),
                    _ => diff::edits(&base.text, new),
                };
                files.push(PatchedFile {
                    path: e.path.clone(),
                    move_to: None,
                    status: FileStatus::Modified,
                    diff: diff::unified(&base.text, new, &name, &name),
                });
                changes.push(FileChange::Update {
                    path: e.path.clone(),
                    move_to: None,
                    base: base.base.clone(),
                    edits,
                    new_content: new.clone(),
                });
            }
            (None, Some(_)) | (None, None) => {}
        }
    }
    // New files last but in order; moved-in content was emitted with its source.
    for e in entries {
        if let (None, Some(content)) = (&e.base, &e.content) {
            if consumed.contains(&e.path.as_path()) {
                continue;
            }
            files.push(PatchedFile {
                path: e.path.clone(),
                move_to: None,
                status: FileStatus::Added,
                diff: diff::unified("", content, "/dev/null", &display_path(cwd, &e.path)),
            });
            changes.push(FileChange::Add { path: e.path.clone(), content: content.clone() });
        }
    }
    (EditProposal { changes }, files)
}

/// The text split in lines without their ends, with each line's start byte (and one more
/// entry: the length of the text).
struct Lines<'t> {
    lines: Vec<&'t str>,
    starts: Vec<usize>,
}

fn split_lines(text: &str) -> Lines<'_> {
    let mut lines = Vec::new();
    let mut starts = Vec::new();
    let mut pos = 0;
    for piece in text.split_inclusive('\n') {
        starts.push(pos);
        pos += piece.len();
        let l = piece.strip_suffix('\n').unwrap_or(piece);
        lines.push(l.strip_suffix('\r').unwrap_or(l));
    }
    starts.push(text.len());
    Lines { lines, starts }
}

/// The byte edits of an Update's chunks on `text`.
fn compute_edits(text: &str, chunks: &[Chunk], path: &Path) -> Result<Vec<TextReplace>, PatchFailure> {
    let Lines { lines, starts } = split_lines(text);
    let eol = if text.split_once('\n').is_some_and(|(first, _)| first.ends_with('\r')) { "\r\n" } else { "\n" };
    let mut cursor = 0usize;
    let mut edits: Vec<TextReplace> = Vec::new();
    for (k, chunk) in chunks.iter().enumerate() {
        let fail = |reason: ChunkReason, after: usize, excerpt: Option<String>| {
            PatchFailure::Chunk(Box::new(ChunkFailure {
                path: path.to_path_buf(),
                index: k + 1,
                total: chunks.len(),
                chunk: chunk.clone(),
                reason,
                after_line: after,
                excerpt,
            }))
        };
        for anchor in &chunk.anchors {
            match seek(&lines, std::slice::from_ref(anchor), cursor, false) {
                Some(found) => cursor = found.start + 1,
                None => {
                    let excerpt = closest(&lines, std::slice::from_ref(anchor)).map(|(at, _)| excerpt(&lines, at, 1));
                    return Err(fail(ChunkReason::Anchor(anchor.clone()), cursor, excerpt));
                }
            }
        }
        let (mut old, mut new) = (chunk.old.as_slice(), chunk.new.as_slice());
        let mut level = Level::Exact;
        let (start, old_len) = if old.is_empty() {
            // A pure insertion goes after the anchors, else at the end of the file.
            let at = if chunk.anchors.is_empty() || chunk.eof { lines.len() } else { cursor };
            (at, 0)
        } else {
            let mut found = seek(&lines, old, cursor, chunk.eof);
            if found.is_none() && old.last().is_some_and(String::is_empty) {
                // A trailing blank context line the file lacks (often at the end of file).
                old = &old[..old.len() - 1];
                if new.last().is_some_and(String::is_empty) {
                    new = &new[..new.len() - 1];
                }
                found = seek(&lines, old, cursor, chunk.eof);
            }
            match found {
                Some(Found { ambiguous: true, start, .. }) if chunk.anchors.is_empty() => {
                    let excerpt = excerpt(&lines, start, old.len());
                    return Err(fail(ChunkReason::Ambiguous { first: start }, cursor, Some(excerpt)));
                }
                Some(found) => {
                    tracing::trace!(path = %path.display(), chunk = k + 1, level = ?found.level, "chunk matched");
                    level = found.level;
                    (found.start, old.len())
                }
                None => {
                    let near = closest(&lines, old).map(|(at, equal)| (at, equal, excerpt(&lines, at, old.len())));
                    let reason = ChunkReason::NotFound { closest: near.as_ref().map(|(at, equal, _)| (*at, *equal)) };
                    return Err(fail(reason, cursor, near.map(|n| n.2)));
                }
            }
        };
        let matched = lines.get(start..start + old_len).unwrap_or(&[]);
        let indent = if level >= Level::Trimmed { Reindent::infer(matched, old) } else { Reindent::None };
        let (from, to) = (starts[start], starts[start + old_len]);
        let mut new_text = String::new();
        for (j, line) in new.iter().enumerate() {
            // Context lines keep the file's text (its whitespace and punctuation); added
            // lines follow the file's indentation when the match had to ignore it.
            match chunk.new_from_old.get(j).copied().flatten().and_then(|i| matched.get(i)) {
                Some(original) => new_text.push_str(original),
                None => indent.apply(line, &mut new_text),
            }
            new_text.push_str(eol);
        }
        if from == text.len() && !text.is_empty() && !text.ends_with('\n') && !new_text.is_empty() {
            // Appending after a last line that has no line end.
            new_text.insert_str(0, eol);
        }
        // Only the lines that differ become edits: small edits rebase better over the user's typing.
        let region = text.get(from..to).unwrap_or("");
        edits.extend(diff::edits(region, &new_text).into_iter().map(|e| TextReplace { start: e.start + from, end: e.end + from, ..e }));
        cursor = start + old_len;
    }
    // Adjacent insertions at the same offset stay in patch order; merge them so edits
    // never share an offset.
    let mut merged: Vec<TextReplace> = Vec::with_capacity(edits.len());
    for e in edits {
        match merged.last_mut() {
            Some(last) if last.end == e.start && e.start == e.end => last.new_text.push_str(&e.new_text),
            _ => merged.push(e),
        }
    }
    Ok(merged)
}

/// The file's lines around `at..at + len` (1-based numbers), for an error message.
fn excerpt(lines: &[&str], at: usize, len: usize) -> String {
    let from = at.saturating_sub(2);
    let to = (at + len.max(1) + 2).min(lines.len());
    let width = to.to_string().len();
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate().take(to).skip(from) {
        out.push_str(&format!("{:>width$} | {l}\n", i + 1));
    }
    out
}

/// How added lines are re-indented when a chunk matched only with whitespace trimmed: the
/// file's lines carry a consistent extra (or missing) indentation prefix relative to the
/// patch's old lines.
enum Reindent {
    None,
    Add(String),
    Strip(String),
}

fn leading_ws(s: &str) -> &str {
    &s[..s.len() - s.trim_start().len()]
}

impl Reindent {
    fn infer(file: &[&str], patch: &[String]) -> Reindent {
        let pairs: Vec<(&str, &str)> = file
            .iter()
            .zip(patch)
            .filter(|(f, p)| !f.trim().is_empty() && !p.trim().is_empty())
            .map(|(f, p)| (leading_ws(f), leading_ws(p)))
            .collect();
        let Some(&(f, p)) = pairs.first() else { return Reindent::None };
        if let Some(extra) = f.strip_suffix(p).filter(|e| !e.is_empty()) {
            if pairs.iter().all(|(f, p)| f.strip_suffix(p) == Some(extra)) {
                return Reindent::Add(extra.to_string());
            }
        } else if let Some(extra) = p.strip_suffix(f).filter(|e| !e.is_empty()) {
            if pairs.iter().all(|(f, p)| p.strip_suffix(f) == Some(extra)) {
                return Reindent::Strip(extra.to_string());
            }
        }
        Reindent::None
    }

    fn apply(&self, line: &str, out: &mut String) {
        match self {
            Reindent::Add(extra) if !line.trim().is_empty() => {
                out.push_str(extra);
                out.push_str(line);
            }
            Reindent::Strip(extra) => out.push_str(line.strip_prefix(extra.as_str()).unwrap_or(line)),
            _ => out.push_str(line),
        }
    }
}
