//! Text documents for codeloop: versioned ropes and position arithmetic.
//!
//! Architecture invariants:
//! - no I/O, no async, no lsp-types: this crate is pure data and arithmetic;
//! - inside the server a position is a byte offset into a rope; line/column pairs in a
//!   client's encoding (UTF-8, UTF-16 or UTF-32 code units) exist only at the edges and are
//!   converted here, with out-of-range values clamped as the LSP specification says;
//! - lines break at `\n`, `\r\n` and `\r` only (ropey is built with `cr_lines` and without
//!   `unicode_lines`, so form feeds and U+2028 do not shift line numbers).

mod document;
mod pos;
pub mod rebase;

pub use document::{ChangeError, Document, TextEdit};
pub use pos::{line_col, line_content_len_chars, offset_of, point_of, pos_of, LineCol, Point, PositionEncoding, Resolved, TextPos};
pub use rebase::{rebase, Overlap, Splice};
pub use ropey::{Rope, RopeSlice};

#[cfg(test)]
mod tests;
