//! A versioned document: a rope plus the version the client gave it.
//!
//! Applying a change returns the byte-level edit that tree-sitter needs to re-parse
//! incrementally. Cloning a document is O(1) (ropes share structure), so snapshots are cheap.
//! This type does not know about files, URIs or the LSP wire: callers convert at the edge.

use crate::pos::{offset_of, point_of, LineCol, Point, PositionEncoding};
use ropey::Rope;

/// The byte-level effect of one change, in the shape of tree-sitter's `InputEdit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub start_byte: usize,
    pub old_end_byte: usize,
    pub new_end_byte: usize,
    pub start_point: Point,
    pub old_end_point: Point,
    pub new_end_point: Point,
    /// The requested range reached past the end of a line or of the text and was clamped.
    pub clamped: bool,
}

/// Why a change could not be applied. The document is left as it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeError {
    /// The range ends before it starts.
    InvertedRange { start: LineCol, end: LineCol },
}

impl std::fmt::Display for ChangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChangeError::InvertedRange { start, end } => {
                write!(f, "range end {}:{} is before its start {}:{}", end.line, end.col, start.line, start.col)
            }
        }
    }
}

impl std::error::Error for ChangeError {}

#[derive(Clone, Debug)]
pub struct Document {
    rope: Rope,
    version: i32,
}

impl Document {
    pub fn new(text: &str, version: i32) -> Self {
        Document { rope: Rope::from_str(text), version }
    }

    pub fn from_rope(rope: Rope, version: i32) -> Self {
        Document { rope, version }
    }

    pub fn rope(&self) -> &Rope {
        &self.rope
    }

    pub fn version(&self) -> i32 {
        self.version
    }

    pub fn set_version(&mut self, version: i32) {
        self.version = version;
    }

    pub fn len_bytes(&self) -> usize {
        self.rope.len_bytes()
    }

    /// Copies the whole text out. Meant for tests and small files; large readers should
    /// walk `rope().chunks()` instead.
    pub fn text(&self) -> String {
        self.rope.to_string()
    }

    /// Copies a byte range out, clamped to the text and to char boundaries.
    pub fn slice_bytes(&self, range: std::ops::Range<usize>) -> String {
        let len = self.rope.len_bytes();
        let start = self.rope.byte_to_char(range.start.min(len));
        let end = self.rope.byte_to_char(range.end.min(len)).max(start);
        self.rope.slice(start..end).to_string()
    }

    /// Applies one change: `None` replaces the whole text, `Some((start, end))` replaces that
    /// range (positions in `enc`, clamped). Returns the edit for an incremental re-parse.
    pub fn apply_change(&mut self, range: Option<(LineCol, LineCol)>, text: &str, enc: PositionEncoding) -> Result<TextEdit, ChangeError> {
        let (start, end, clamped) = match range {
            None => (0, self.rope.len_bytes(), false),
            Some((s, e)) => {
                if e < s {
                    return Err(ChangeError::InvertedRange { start: s, end: e });
                }
                let s = offset_of(&self.rope, s, enc);
                let e = offset_of(&self.rope, e, enc);
                (s.byte, e.byte.max(s.byte), s.clamped || e.clamped)
            }
        };
        Ok(self.replace_bytes(start..end, text, clamped))
    }

    /// Replaces a byte range (clamped to the text and floored to char boundaries).
    pub fn replace(&mut self, range: std::ops::Range<usize>, text: &str) -> TextEdit {
        self.replace_bytes(range, text, false)
    }

    fn replace_bytes(&mut self, range: std::ops::Range<usize>, text: &str, clamped: bool) -> TextEdit {
        let len = self.rope.len_bytes();
        let start_char = self.rope.byte_to_char(range.start.min(len));
        let end_char = self.rope.byte_to_char(range.end.min(len)).max(start_char);
        let start = self.rope.char_to_byte(start_char);
        let end = self.rope.char_to_byte(end_char);
        let start_point = point_of(&self.rope, start);
        let old_end_point = point_of(&self.rope, end);
        if start == 0 && end == len {
            self.rope = Rope::from_str(text);
        } else {
            self.rope.remove(start_char..end_char);
            self.rope.insert(start_char, text);
        }
        let new_end = start + text.len();
        TextEdit {
            start_byte: start,
            old_end_byte: end,
            new_end_byte: new_end,
            start_point,
            old_end_point,
            new_end_point: point_of(&self.rope, new_end),
            clamped,
        }
    }
}
