//! Rendering a `Turn` into the events of one wire dialect, before SSE framing and faults.
//!
//! Rendering is pure and deterministic (fixed ids and timestamps) so the output can be snapshotted.
//! It deliberately does no I/O and no SSE byte framing: `wire` does that, including every fault.

pub mod chat;
pub mod responses;

use serde_json::Value;

use crate::script::Turn;

/// One SSE event: an optional `event:` name and its `data:` payload (compact JSON, or deliberately not JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

impl SseEvent {
    pub fn unnamed(data: &Value) -> SseEvent {
        SseEvent { event: None, data: data.to_string() }
    }
}

/// What a rendering needs besides the turn.
#[derive(Debug, Clone)]
pub struct RenderContext {
    /// 1-based count of turns served so far, this one included; makes response and item ids unique.
    pub serial: usize,
    /// 0-based repetition of a `repeat: N` turn; replaces `{n}` in call ids.
    pub repetition: usize,
    /// The `model` of the request, echoed back like the real APIs do.
    pub model: String,
}

impl RenderContext {
    pub(crate) fn call_id(&self, call_id: &str) -> String {
        call_id.replace("{n}", &self.repetition.to_string())
    }
}

/// Fixed `created` timestamp so rendered streams snapshot stably.
pub const CREATED_AT: u64 = 1_700_000_000;

/// The text of the filler message added by the `huge_delta_bytes` fault.
pub(crate) fn huge_text(bytes: usize) -> String {
    "lorem ipsum ".chars().cycle().take(bytes).collect()
}

/// Which splitting a delta stream gets when the turn does not fix `delta_pieces`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Split {
    /// Word-ish pieces, each starting with the whitespace before its word, like model tokens.
    Words,
    /// Up to four near-equal pieces (JSON arguments have few spaces to split at).
    Quarters,
}

/// Splits `text` into non-empty delta pieces whose concatenation is `text`. No pieces for empty text.
pub(crate) fn pieces(text: &str, turn: &Turn, split: Split) -> Vec<String> {
    if text.is_empty() {
        return Vec::new();
    }
    match (turn.faults.delta_pieces, split) {
        (Some(n), _) => equal_pieces(text, n.max(1)),
        (None, Split::Quarters) => equal_pieces(text, 4),
        (None, Split::Words) => word_pieces(text),
    }
}

fn equal_pieces(text: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let n = n.min(chars.len());
    let base = chars.len() / n;
    let extra = chars.len() % n;
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for i in 0..n {
        let len = base + usize::from(i < extra);
        out.push(chars[start..start + len].iter().collect());
        start += len;
    }
    out
}

fn word_pieces(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut prev_space = false;
    for c in text.chars() {
        let space = c.is_whitespace();
        // A new piece starts where whitespace begins after a word, so pieces look like " word".
        if space && !prev_space && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.push(c);
        prev_space = space;
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::Faults;

    #[test]
    fn splits_words_and_equal_pieces() {
        let turn = Turn::default();
        assert_eq!(pieces("Hello big  world.", &turn, Split::Words), ["Hello", " big", "  world."]);
        assert_eq!(pieces(" lead", &turn, Split::Words), [" lead"]);
        assert_eq!(pieces("{\"a\":1}", &turn, Split::Quarters), ["{\"", "a\"", ":1", "}"]);
        assert_eq!(pieces("ab", &turn, Split::Quarters), ["a", "b"]);
        assert!(pieces("", &turn, Split::Words).is_empty());
        let turn = Turn::default().faults(Faults { delta_pieces: Some(3), ..Faults::default() });
        assert_eq!(pieces("héllo wörld", &turn, Split::Words), ["héll", "o wö", "rld"]);
        assert_eq!(huge_text(14), "lorem ipsum lo");
    }
}
