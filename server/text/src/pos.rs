//! Conversions between byte offsets and line/column positions in the three LSP encodings.
//!
//! All functions take a rope and never panic: positions past the end of a line clamp to the
//! line's end (before its line break), lines past the end clamp to the end of the text, and a
//! column that falls inside a multi-byte character or a surrogate pair floors to that
//! character's start. The clamping follows the LSP specification: "If the character value is
//! greater than the line length it defaults back to the line length."

use ropey::{Rope, RopeSlice};

/// The unit in which a client counts columns (`positionEncoding` in LSP 3.17).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum PositionEncoding {
    Utf8,
    /// The LSP default, and the only encoding VS Code, Zed and eglot speak.
    #[default]
    Utf16,
    Utf32,
}

impl PositionEncoding {
    /// The wire name used in `general.positionEncodings` and `positionEncoding`.
    pub fn as_str(self) -> &'static str {
        match self {
            PositionEncoding::Utf8 => "utf-8",
            PositionEncoding::Utf16 => "utf-16",
            PositionEncoding::Utf32 => "utf-32",
        }
    }

    pub fn from_wire(s: &str) -> Option<Self> {
        match s {
            "utf-8" => Some(PositionEncoding::Utf8),
            "utf-16" => Some(PositionEncoding::Utf16),
            "utf-32" => Some(PositionEncoding::Utf32),
            _ => None,
        }
    }
}

/// A zero-based line and a column counted in some encoding's code units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

impl LineCol {
    pub fn new(line: u32, col: u32) -> Self {
        LineCol { line, col }
    }
}

/// A position resolved in every encoding at once, so that derived data (the symbol index)
/// can answer any client without keeping the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TextPos {
    pub line: u32,
    pub utf8: u32,
    pub utf16: u32,
    pub utf32: u32,
}

impl TextPos {
    pub fn col(&self, enc: PositionEncoding) -> u32 {
        match enc {
            PositionEncoding::Utf8 => self.utf8,
            PositionEncoding::Utf16 => self.utf16,
            PositionEncoding::Utf32 => self.utf32,
        }
    }

    pub fn line_col(&self, enc: PositionEncoding) -> LineCol {
        LineCol { line: self.line, col: self.col(enc) }
    }
}

/// A row and a byte column, the shape tree-sitter wants in an `InputEdit`.
///
/// Rows follow this crate's line breaks; tree-sitter counts only `\n`, so the two differ only
/// after a lone `\r`. Only byte offsets are used to map tree nodes back to positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Point {
    pub row: usize,
    pub column: usize,
}

/// A byte offset, and whether the requested position had to be clamped to reach it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub byte: usize,
    pub clamped: bool,
}

/// Number of chars of the line's content, excluding its line break.
pub fn line_content_len_chars(line: RopeSlice<'_>) -> usize {
    let n = line.len_chars();
    if n == 0 {
        return 0;
    }
    match line.char(n - 1) {
        '\n' if n >= 2 && line.char(n - 2) == '\r' => n - 2,
        '\n' | '\r' => n - 1,
        _ => n,
    }
}

/// Resolves a client position to a byte offset, clamping as the LSP specification says.
pub fn offset_of(rope: &Rope, pos: LineCol, enc: PositionEncoding) -> Resolved {
    let line = pos.line as usize;
    if line >= rope.len_lines() {
        return Resolved { byte: rope.len_bytes(), clamped: true };
    }
    let line_start = rope.line_to_char(line);
    let content = line_content_len_chars(rope.line(line));
    let col = pos.col as usize;
    let (chars, clamped) = match enc {
        PositionEncoding::Utf32 => (col.min(content), col > content),
        PositionEncoding::Utf16 => {
            let start16 = rope.char_to_utf16_cu(line_start);
            let end16 = rope.char_to_utf16_cu(line_start + content);
            if start16 + col > end16 {
                (content, true)
            } else {
                // utf16_cu_to_char floors a unit inside a surrogate pair to its char.
                (rope.utf16_cu_to_char(start16 + col) - line_start, false)
            }
        }
        PositionEncoding::Utf8 => {
            let start8 = rope.char_to_byte(line_start);
            let end8 = rope.char_to_byte(line_start + content);
            if start8 + col > end8 {
                (content, true)
            } else {
                // byte_to_char floors a byte inside a multi-byte char to its char.
                (rope.byte_to_char(start8 + col) - line_start, false)
            }
        }
    };
    Resolved { byte: rope.char_to_byte(line_start + chars), clamped }
}

/// Resolves a byte offset to a position in every encoding. Offsets past the end clamp to the
/// end; offsets inside a character floor to its start.
pub fn pos_of(rope: &Rope, byte: usize) -> TextPos {
    let byte = byte.min(rope.len_bytes());
    let ch = rope.byte_to_char(byte);
    let line = rope.char_to_line(ch);
    let line_start = rope.line_to_char(line);
    TextPos {
        line: line as u32,
        utf8: (rope.char_to_byte(ch) - rope.char_to_byte(line_start)) as u32,
        utf16: (rope.char_to_utf16_cu(ch) - rope.char_to_utf16_cu(line_start)) as u32,
        utf32: (ch - line_start) as u32,
    }
}

/// Resolves a byte offset to a position in one encoding: the same answer as
/// `pos_of(..).line_col(enc)` with fewer rope walks (the LSP edge converts every symbol range).
pub fn line_col(rope: &Rope, byte: usize, enc: PositionEncoding) -> LineCol {
    let byte = byte.min(rope.len_bytes());
    let ch = rope.byte_to_char(byte);
    let line = rope.char_to_line(ch);
    let col = match enc {
        PositionEncoding::Utf8 => rope.char_to_byte(ch) - rope.line_to_byte(line),
        PositionEncoding::Utf16 => rope.char_to_utf16_cu(ch) - rope.char_to_utf16_cu(rope.line_to_char(line)),
        PositionEncoding::Utf32 => ch - rope.line_to_char(line),
    };
    LineCol { line: line as u32, col: col as u32 }
}

/// Resolves a byte offset to a row and byte column for tree-sitter.
pub fn point_of(rope: &Rope, byte: usize) -> Point {
    let byte = byte.min(rope.len_bytes());
    let line = rope.byte_to_line(byte);
    Point { row: line, column: byte - rope.line_to_byte(line) }
}

#[cfg(test)]
mod line_col_tests {
    use super::*;

    #[test]
    fn line_col_agrees_with_pos_of_at_every_byte() {
        let rope = Rope::from_str("a\u{e9}\u{1f600}x\r\nb\rc\u{2028}d\n\u{1f600}\u{1f600}\nend");
        for byte in 0..=rope.len_bytes() + 2 {
            for enc in [PositionEncoding::Utf8, PositionEncoding::Utf16, PositionEncoding::Utf32] {
                assert_eq!(line_col(&rope, byte, enc), pos_of(&rope, byte).line_col(enc), "byte {byte} {enc:?}");
            }
        }
    }
}
