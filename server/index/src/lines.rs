//! Byte offsets to `TextPos` for text that is not in a rope: the files the walk reads from
//! disk, whose text is dropped as soon as their symbols are extracted.
//!
//! Lines break at `\n`, `\r\n` and `\r`, as in `text` (ropey with `cr_lines`), so a position
//! computed here equals `text::pos_of` on a rope of the same text. This is not a general
//! line index: it has no reverse mapping and borrows the text for its short life.

use text::TextPos;

pub(crate) struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset where each line starts; the first is always 0.
    starts: Vec<u32>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = Vec::with_capacity(bytes.len() / 32 + 1);
        starts.push(0);
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push((i + 1) as u32),
                b'\r' => {
                    if bytes.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                    starts.push((i + 1) as u32);
                }
                _ => {}
            }
            i += 1;
        }
        LineIndex { text, starts }
    }

    /// The byte offset where `line` starts; lines past the end give the text's length.
    pub(crate) fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).map_or(self.text.len(), |&s| s as usize)
    }

    /// The position of `byte`, clamped to the text and floored to a char boundary.
    pub(crate) fn pos(&self, byte: usize) -> TextPos {
        let mut byte = byte.min(self.text.len());
        while !self.text.is_char_boundary(byte) {
            byte -= 1;
        }
        // `starts[0] == 0 <= byte`, so the partition point is at least 1.
        let line = self.starts.partition_point(|&s| s as usize <= byte).saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0) as usize;
        let segment = self.text.get(start..byte).unwrap_or("");
        let utf8 = segment.len() as u32;
        if segment.is_ascii() {
            return TextPos { line: line as u32, utf8, utf16: utf8, utf32: utf8 };
        }
        let (mut utf16, mut utf32) = (0u32, 0u32);
        for c in segment.chars() {
            utf16 += c.len_utf16() as u32;
            utf32 += 1;
        }
        TextPos { line: line as u32, utf8, utf16, utf32 }
    }
}

#[cfg(test)]
mod tests {
    use super::LineIndex;

    #[test]
    fn agrees_with_rope_positions() {
        let samples =
            ["", "a", "a\nb", "fn main() {}\r\nlet é = \"😀\";\rnext\n\nlast", "\r\r\n\n😀x\r", "naïve 𝒳 straße\n  ünïcödé 😀😀 end"];
        for text in samples {
            let rope = text::Rope::from_str(text);
            let index = LineIndex::new(text);
            for byte in 0..=text.len() + 2 {
                assert_eq!(index.pos(byte), text::pos_of(&rope, byte), "{text:?} at {byte}");
            }
        }
    }
}
