//! Unit tests for position conversions and document changes.

use crate::*;
use ropey::Rope;

const U8: PositionEncoding = PositionEncoding::Utf8;
const U16: PositionEncoding = PositionEncoding::Utf16;
const U32: PositionEncoding = PositionEncoding::Utf32;

fn off(text: &str, line: u32, col: u32, enc: PositionEncoding) -> (usize, bool) {
    let r = offset_of(&Rope::from_str(text), LineCol::new(line, col), enc);
    (r.byte, r.clamped)
}

#[test]
fn multibyte_columns_per_encoding() {
    // 'a' 1B/1U, '😀' 4B/2U/1C, 'b', then CRLF
    let t = "a😀b\r\nxé\u{2028}y\n";
    assert_eq!(off(t, 0, 3, U16), (5, false)); // after the emoji: 1 + 2 units
    assert_eq!(off(t, 0, 5, U8), (5, false));
    assert_eq!(off(t, 0, 2, U32), (5, false));
    // inside the surrogate pair floors to the emoji start
    assert_eq!(off(t, 0, 2, U16), (1, false));
    // inside the UTF-8 sequence floors too
    assert_eq!(off(t, 0, 3, U8), (1, false));
    // U+2028 does not break lines: line 1 holds all of "xé\u{2028}y"
    let rope = Rope::from_str(t);
    assert_eq!(rope.len_lines(), 3);
    assert_eq!(off(t, 1, 4, U32), (8 + 1 + 2 + 3 + 1, false));
}

#[test]
fn clamps_past_line_end_before_crlf() {
    let t = "ab\r\ncd";
    // line 0 has 2 columns; 99 clamps to 2, before "\r\n", never between \r and \n
    assert_eq!(off(t, 0, 99, U16), (2, true));
    assert_eq!(off(t, 0, 99, U8), (2, true));
    assert_eq!(off(t, 0, 99, U32), (2, true));
    // a line past the end clamps to the end of the text
    assert_eq!(off(t, 7, 0, U16), (6, true));
    // exact line end is not clamped
    assert_eq!(off(t, 1, 2, U16), (6, false));
}

#[test]
fn lone_cr_is_a_line_break() {
    assert_eq!(off("a\rb", 1, 0, U16), (2, false));
}

#[test]
fn pos_of_reports_all_encodings() {
    let rope = Rope::from_str("x\n😀é z");
    let p = pos_of(&rope, 2 + 4 + 2 + 1);
    assert_eq!(p, TextPos { line: 1, utf8: 7, utf16: 4, utf32: 3 });
    // past the end clamps to the end
    assert_eq!(pos_of(&rope, 1000), TextPos { line: 1, utf8: 8, utf16: 5, utf32: 4 });
    // inside the emoji floors to its start
    assert_eq!(pos_of(&rope, 3), TextPos { line: 1, utf8: 0, utf16: 0, utf32: 0 });
}

#[test]
fn incremental_changes_apply_in_sequence() {
    let mut d = Document::new("fn main() {}\n", 1);
    let e = d.apply_change(Some((LineCol::new(0, 11), LineCol::new(0, 11))), "\n    let 😀 = 1;\n", U16).unwrap();
    assert_eq!(e.start_byte, 11);
    assert_eq!(e.old_end_byte, 11);
    assert_eq!(e.new_end_byte, 11 + "\n    let 😀 = 1;\n".len());
    assert_eq!(d.text(), "fn main() {\n    let 😀 = 1;\n}\n");
    // replace the emoji (2 UTF-16 units at col 8) with "x"
    d.apply_change(Some((LineCol::new(1, 8), LineCol::new(1, 10))), "x", U16).unwrap();
    assert_eq!(d.text(), "fn main() {\n    let x = 1;\n}\n");
    // full replacement
    let e = d.apply_change(None, "new", U16).unwrap();
    assert_eq!((e.start_byte, e.old_end_byte, e.new_end_byte), (0, 29, 3));
    assert_eq!(d.text(), "new");
}

#[test]
fn inverted_range_is_an_error_and_changes_nothing() {
    let mut d = Document::new("abc", 1);
    let err = d.apply_change(Some((LineCol::new(0, 2), LineCol::new(0, 1))), "x", U16).unwrap_err();
    assert_eq!(err.to_string(), "range end 0:1 is before its start 0:2");
    assert_eq!(d.text(), "abc");
}

#[test]
fn out_of_range_change_clamps_to_end() {
    let mut d = Document::new("ab\n", 1);
    let e: TextEdit = d.apply_change(Some((LineCol::new(5, 0), LineCol::new(9, 9))), "z", U16).unwrap();
    assert!(e.clamped);
    assert_eq!(d.text(), "ab\nz");
}

#[test]
fn points_follow_rows_and_byte_columns() {
    let mut d = Document::new("aé\nb", 1);
    let e = d.replace(4..4, "c\nd");
    assert_eq!(e.start_point, Point { row: 1, column: 0 });
    assert_eq!(e.new_end_point, Point { row: 2, column: 1 });
}

/// Random edits in every encoding, checked against a naive String model.
#[test]
fn random_edits_match_string_model() {
    let alphabet = ["a", "é", "😀", "\n", "\r\n", "\t", "中", "\r"];
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut doc = Document::new("", 0);
    let mut model = String::new();
    for _ in 0..3000 {
        let len = model.len();
        let mut a = next(len + 1);
        let mut b = next(len + 1);
        while !model.is_char_boundary(a) {
            a -= 1;
        }
        while !model.is_char_boundary(b) {
            b -= 1;
        }
        let (a, b) = (a.min(b), a.max(b));
        let mut ins = String::new();
        for _ in 0..next(4) {
            ins.push_str(alphabet[next(alphabet.len())]);
        }
        let enc = [U8, U16, U32][next(3)];
        let rope = doc.rope().clone();
        let (sa, sb) = (line_col(&rope, a, enc), line_col(&rope, b, enc));
        // Positions between \r and \n are not addressable in LSP; mirror the clamp.
        let a2 = offset_of(&rope, sa, enc).byte;
        let b2 = offset_of(&rope, sb, enc).byte.max(a2);
        let _ = (sa, sb);
        doc.apply_change(Some((line_col(&rope, a2, enc), line_col(&rope, b2, enc))), &ins, enc).unwrap();
        model.replace_range(a2..b2, &ins);
        assert_eq!(doc.text(), model);
    }
}
