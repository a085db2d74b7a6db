//! Reading from ropes: a large document assembled by many small inserts (so its text is spread
//! over many chunks) must parse and yield symbols exactly as the same text in one buffer. Also
//! the no-panic guarantees: garbage input, and a tree that is out of step with its rope.

use text::Rope;

use super::incremental::Rng;
use crate::{comments_in, identifiers_in, parse_bytes, parse_rope, symbols_bytes, symbols_rope, Lang};

fn corpus(lang: Lang, file: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../grammars/corpus").join(lang.name()).join(file);
    std::fs::read_to_string(path).unwrap()
}

/// About 200 KB of Rust, with a multi-byte character in every copy.
fn big_rust() -> String {
    let unit = corpus(Lang::Rust, "shapes.rs");
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 200 * 1024 {
        text.push_str(&unit.replace("Point", &format!("Point{i}")).replace("pub fn main", &format!("pub fn main_{i}")));
        text.push_str("// ünïcödé 😀\r\n");
        i += 1;
    }
    text
}

/// Builds a rope by inserting `text` in pieces of 1 to 24 bytes in a shuffled order (each
/// piece at its final offset among the pieces already present), so chunk boundaries fall
/// anywhere, including inside names and `\r\n`.
fn fragmented_rope(text: &str, rng: &mut Rng) -> Rope {
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + 1 + rng.below(24)).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        pieces.push(start..end);
        start = end;
    }
    // Insert the pieces in the order of a random permutation; each goes after the pieces
    // before it in the text that are already present.
    let mut order: Vec<usize> = (0..pieces.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut present = vec![false; pieces.len()];
    // A Fenwick tree over piece lengths gives the byte offset of the present prefix.
    let mut fenwick = vec![0usize; pieces.len() + 1];
    let mut rope = Rope::new();
    for &p in &order {
        let mut offset = 0;
        let mut i = p;
        while i > 0 {
            offset += fenwick[i];
            i &= i - 1;
        }
        let char_idx = rope.byte_to_char(offset);
        rope.insert(char_idx, &text[pieces[p].clone()]);
        present[p] = true;
        let mut i = p + 1;
        while i <= pieces.len() {
            fenwick[i] += pieces[p].len();
            i += i & i.wrapping_neg();
        }
    }
    assert!(present.iter().all(|&x| x));
    rope
}

#[test]
fn fragmented_rope_parses_like_bytes() {
    let text = big_rust();
    let mut rng = Rng::new(42);
    let rope = fragmented_rope(&text, &mut rng);
    assert_eq!(rope.len_bytes(), text.len());
    assert!(rope == text.as_str(), "rope does not hold the text");
    // Ropey merges small leaves, so this is a few hundred chunks of under 1 KB; what matters
    // is that their boundaries fall anywhere, including inside names.
    let chunks: Vec<&str> = rope.chunks().collect();
    assert!(chunks.len() > 200, "only {} chunks", chunks.len());
    let inside_names = chunks
        .windows(2)
        .filter(|w| w[0].ends_with(|c: char| c.is_alphanumeric()) && w[1].starts_with(|c: char| c.is_alphanumeric()))
        .count();
    assert!(inside_names > 10, "only {inside_names} chunk boundaries inside names");

    let from_rope = parse_rope(Lang::Rust, &rope, None).unwrap();
    let from_bytes = parse_bytes(Lang::Rust, text.as_bytes()).unwrap();
    assert!(!from_bytes.root_node().has_error());
    assert_eq!(from_rope.root_node().to_sexp(), from_bytes.root_node().to_sexp());

    let rope_symbols = symbols_rope(Lang::Rust, &from_rope, &rope);
    let byte_symbols = symbols_bytes(Lang::Rust, &from_bytes, text.as_bytes());
    assert!(rope_symbols.len() > 1000, "{}", rope_symbols.len());
    assert_eq!(rope_symbols, byte_symbols);

    let mid = text.len() / 2;
    let range = mid..mid + 2000;
    let names = identifiers_in(Lang::Rust, &from_rope, &rope, range.clone());
    assert!(!names.is_empty());
    assert_eq!(names, identifiers_in(Lang::Rust, &from_bytes, &Rope::from_str(&text), range));
}

#[test]
fn garbage_never_panics() {
    let mut rng = Rng::new(7);
    let alphabet: Vec<char> = "{}()[]<>;:,.=+-*/\\\"'`#@$%^&|!?~ \t\r\n_aZ09éü😀∑\u{0}\u{feff}".chars().collect();
    for lang in Lang::ALL {
        for _ in 0..20 {
            let len = rng.below(400);
            let text: String = (0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect();
            let rope = Rope::from_str(&text);
            let tree = parse_rope(lang, &rope, None).unwrap();
            let tree_bytes = parse_bytes(lang, text.as_bytes()).unwrap();
            assert_eq!(tree.root_node().to_sexp(), tree_bytes.root_node().to_sexp());
            assert_eq!(symbols_rope(lang, &tree, &rope), symbols_bytes(lang, &tree, text.as_bytes()));
            let a = rng.below(len + 10);
            let b = a + rng.below(50);
            let _ = identifiers_in(lang, &tree, &rope, a..b);
            let _ = comments_in(&tree, a..b);
            // A tree that does not belong to the text: wrong answers are fine, panics are not.
            let other = Rope::from_str(&text[..text.char_indices().nth(len / 2).map_or(0, |(i, _)| i)]);
            let _ = symbols_rope(lang, &tree, &other);
            let _ = identifiers_in(lang, &tree, &other, 0..usize::MAX);
        }
        // Invalid UTF-8 from disk.
        let bytes: Vec<u8> = (0..300).map(|_| rng.next() as u8).collect();
        let tree = parse_bytes(lang, &bytes).unwrap();
        let _ = symbols_bytes(lang, &tree, &bytes);
    }
}
