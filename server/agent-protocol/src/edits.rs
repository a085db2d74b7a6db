//! Edit proposals: the file changes a tool wants made, as data. Tools never write the user's
//! files; they describe each change against the exact text they read (an open buffer at an
//! LSP version, or the disk with a content hash) so that the LSP layer can send a versioned
//! `WorkspaceEdit` and rebase it over the user's typing, and exec mode can check that the
//! disk is unchanged before writing.
//!
//! Plain serde data, camelCase on the wire. Nothing here reads, hashes or applies anything:
//! the hash is computed and checked by the tools crate, the application lives in the front ends.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// All the file changes of one tool call. Applied all or nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditProposal {
    pub changes: Vec<FileChange>,
}

impl EditProposal {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// One file's change. Paths are absolute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum FileChange {
    /// A new file; it must not exist.
    Add { path: PathBuf, content: String },
    /// Removes a file whose content is still `base`.
    Delete { path: PathBuf, base: BaseVersion },
    /// Edits a file whose content is still `base`, and optionally moves it to `move_to`
    /// (which must not exist). `edits` are sorted, non-overlapping byte ranges of the base
    /// text; applying them yields `new_content`, given in full for front ends that replace
    /// whole files.
    Update {
        path: PathBuf,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        move_to: Option<PathBuf>,
        base: BaseVersion,
        edits: Vec<TextReplace>,
        new_content: String,
    },
}

impl FileChange {
    /// The path the change reads from (the source of a move).
    pub fn path(&self) -> &PathBuf {
        match self {
            FileChange::Add { path, .. } | FileChange::Delete { path, .. } | FileChange::Update { path, .. } => path,
        }
    }
}

/// What a change was computed against.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum BaseVersion {
    /// The editor's open buffer at this LSP document version.
    Buffer { version: i32 },
    /// The file on disk, whose content hashed to `hash` (xxh3-64, 16 lowercase hex digits,
    /// as computed by `tools::content_hash`).
    Disk { hash: String },
}

/// Replace the bytes `start..end` of the base text with `new_text`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextReplace {
    pub start: usize,
    pub end: usize,
    pub new_text: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn proposals_are_camel_case_on_the_wire() {
        let p = EditProposal {
            changes: vec![
                FileChange::Add { path: "/w/new.txt".into(), content: "hi\n".into() },
                FileChange::Delete { path: "/w/old.txt".into(), base: BaseVersion::Disk { hash: "00ff".into() } },
                FileChange::Update {
                    path: "/w/a.rs".into(),
                    move_to: Some("/w/b.rs".into()),
                    base: BaseVersion::Buffer { version: 7 },
                    edits: vec![TextReplace { start: 0, end: 3, new_text: "fn".into() }],
                    new_content: "fn x".into(),
                },
            ],
        };
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(
            v,
            json!({"changes": [
                {"kind": "add", "path": "/w/new.txt", "content": "hi\n"},
                {"kind": "delete", "path": "/w/old.txt", "base": {"kind": "disk", "hash": "00ff"}},
                {"kind": "update", "path": "/w/a.rs", "moveTo": "/w/b.rs", "base": {"kind": "buffer", "version": 7},
                 "edits": [{"start": 0, "end": 3, "newText": "fn"}], "newContent": "fn x"},
            ]})
        );
        let back: EditProposal = serde_json::from_value(v).unwrap();
        assert_eq!(back, p);
    }
}
