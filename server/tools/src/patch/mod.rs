//! apply_patch: the Codex patch format (`*** Begin Patch` ... `*** End Patch`) turned into
//! one `EditProposal`, atomically: either every file section applies against the current
//! view of the files, or nothing is proposed and the failure says why, in text for the model.
//!
//! `parse` reads the patch text, `seek` finds chunk lines in a file, `apply` stages the
//! changes, `diff` renders unified diffs. This module does not write files and does not
//! talk to the editor: the proposal goes to the LSP layer or to `apply_to_disk`.

mod apply;
pub(crate) mod diff;
mod parse;
mod seek;
pub mod tool;

use crate::files::{display_path, FileView};
use agent_protocol::EditProposal;
pub use parse::Chunk;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// A patch that applies: the proposal and, per file, what happened and its diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchOutcome {
    pub proposal: EditProposal,
    pub files: Vec<PatchedFile>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchedFile {
    /// Absolute; the source of a move.
    pub path: PathBuf,
    pub move_to: Option<PathBuf>,
    pub status: FileStatus,
    /// Unified diff with `---`/`+++` headers (paths relative to the cwd, `/dev/null` for add and delete).
    pub diff: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileStatus {
    Added,
    Deleted,
    Modified,
    Moved,
}

/// Why a patch did not apply. Render it for the model with `message`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatchFailure {
    /// The patch text is not in the grammar (`line` is 1-based in the patch, 0 for none).
    Syntax {
        line: usize,
        message: String,
    },
    /// A file could not be read (not UTF-8, a directory, permissions).
    Read {
        path: PathBuf,
        error: String,
    },
    /// Update or delete of a file that does not exist.
    Missing {
        path: PathBuf,
        op: &'static str,
    },
    AddExists {
        path: PathBuf,
    },
    MoveExists {
        path: PathBuf,
        target: PathBuf,
    },
    /// A chunk of an Update did not apply.
    Chunk(Box<ChunkFailure>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkFailure {
    pub path: PathBuf,
    /// 1-based.
    pub index: usize,
    pub total: usize,
    pub chunk: Chunk,
    pub reason: ChunkReason,
    /// 0-based line index the chunk was sought from.
    pub after_line: usize,
    /// The current text around the closest match or the ambiguous match, numbered.
    pub excerpt: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChunkReason {
    /// The old lines were not found; `closest` is (0-based line, lines equal).
    NotFound { closest: Option<(usize, usize)> },
    /// The old lines match more than once and no anchor narrows them (first match, 0-based).
    Ambiguous { first: usize },
    /// An `@@` anchor line was not found.
    Anchor(String),
}

/// Parses `input` (a patch, possibly in a heredoc) and computes its changes against `view`;
/// relative paths are resolved against `cwd`.
pub fn apply_patch(input: &str, cwd: &Path, view: &dyn FileView) -> Result<PatchOutcome, PatchFailure> {
    let patch = parse::parse(input).map_err(|e| PatchFailure::Syntax { line: e.line, message: e.message })?;
    let (proposal, files) = apply::compute(&patch, cwd, view)?;
    Ok(PatchOutcome { proposal, files })
}

impl PatchOutcome {
    /// The tool output for the model: one line per file (`A`, `M`, `D`, `M old -> new`).
    pub fn summary(&self, cwd: &Path) -> String {
        if self.files.is_empty() {
            return "The patch applied but changed nothing (the new text equals the old).".to_string();
        }
        let mut out = String::from("Success. Updated the following files:\n");
        for f in &self.files {
            let path = display_path(cwd, &f.path);
            let _ = match (f.status, &f.move_to) {
                (FileStatus::Added, _) => writeln!(out, "A {path}"),
                (FileStatus::Deleted, _) => writeln!(out, "D {path}"),
                (FileStatus::Moved, Some(to)) => writeln!(out, "M {path} -> {}", display_path(cwd, to)),
                _ => writeln!(out, "M {path}"),
            };
        }
        out
    }
}

const CHUNK_LINES_SHOWN: usize = 6;

impl PatchFailure {
    /// The tool output for the model: what failed, where, and the current text there.
    pub fn message(&self, cwd: &Path) -> String {
        let show = |p: &Path| display_path(cwd, p);
        let mut out = String::from("apply_patch failed; no file was changed.\n");
        let _ = match self {
            PatchFailure::Syntax { line: 0, message } => writeln!(out, "Invalid patch: {message}."),
            PatchFailure::Syntax { line, message } => writeln!(out, "Invalid patch, line {line}: {message}."),
            PatchFailure::Read { path, error } => writeln!(out, "Cannot read {}: {error}.", show(path)),
            PatchFailure::Missing { path, op } => {
                writeln!(out, "Cannot {op} {}: the file does not exist. Use '*** Add File:' to create a file.", show(path))
            }
            PatchFailure::AddExists { path } => {
                writeln!(out, "Cannot add {}: the file already exists. Use '*** Update File:' to change it.", show(path))
            }
            PatchFailure::MoveExists { path, target } => {
                writeln!(out, "Cannot move {} to {}: the destination already exists.", show(path), show(target))
            }
            PatchFailure::Chunk(failure) => {
                let ChunkFailure { path, index, total, chunk, reason, after_line, excerpt } = &**failure;
                let where_ = if *after_line == 0 { String::new() } else { format!(" after line {after_line}") };
                let _ = match reason {
                    ChunkReason::NotFound { .. } => {
                        writeln!(out, "{}: chunk {index} of {total} did not match; these lines were not found{where_}:", show(path))
                    }
                    ChunkReason::Ambiguous { first } => writeln!(
                        out,
                        "{}: chunk {index} of {total} is ambiguous; its lines match more than once{where_} (first at line {}):",
                        show(path),
                        first + 1
                    ),
                    ChunkReason::Anchor(anchor) => {
                        writeln!(out, "{}: chunk {index} of {total}: the anchor '@@ {anchor}' was not found{where_}.", show(path))
                    }
                };
                if !matches!(reason, ChunkReason::Anchor(_)) {
                    for a in &chunk.anchors {
                        let _ = writeln!(out, "@@ {a}");
                    }
                    for l in chunk.old.iter().take(CHUNK_LINES_SHOWN) {
                        let _ = writeln!(out, " {l}");
                    }
                    if chunk.old.len() > CHUNK_LINES_SHOWN {
                        let _ = writeln!(out, " … ({} more lines)", chunk.old.len() - CHUNK_LINES_SHOWN);
                    }
                }
                let _ = match (reason, excerpt) {
                    (ChunkReason::NotFound { closest: Some((at, equal)) }, Some(x)) => {
                        let _ = write!(
                            out,
                            "Closest match at line {} ({equal} of {} lines equal); the file there reads:\n{x}",
                            at + 1,
                            chunk.old.len()
                        );
                        if *at < *after_line {
                            let _ = writeln!(out, "Chunks apply in order: each must match after the previous one.");
                        }
                        Ok(())
                    }
                    (ChunkReason::Ambiguous { .. }, Some(x)) => writeln!(
                        out,
                        "The first match reads:\n{x}Add an '@@ <line>' anchor (e.g. the enclosing function's signature) or more context lines."
                    ),
                    (ChunkReason::Anchor(_), Some(x)) => write!(out, "The closest line reads:\n{x}"),
                    (ChunkReason::NotFound { .. }, None) => writeln!(out, "No line of the chunk appears in the file."),
                    _ => Ok(()),
                };
                writeln!(out, "Re-read the file and retry with context lines copied exactly.")
            }
        };
        out.trim_end().to_string()
    }
}
