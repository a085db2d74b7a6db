//! Line diffs with imara-diff: the unified diff shown for each patched file, and minimal
//! byte edits between two texts (used when a patch touches a file more than once, so its
//! chunk edits no longer apply to the base directly).

use agent_protocol::TextReplace;
use imara_diff::{Algorithm, BasicLineDiffPrinter, Diff, InternedInput, UnifiedDiffConfig};
use std::fmt::Write;

/// A unified diff of `old` to `new` with `---`/`+++` headers naming `old_name` and
/// `new_name`; empty when the texts are equal.
pub(crate) fn unified(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    let input = InternedInput::new(old, new);
    let mut diff = Diff::compute(Algorithm::Histogram, &input);
    diff.postprocess_lines(&input);
    if diff.count_additions() == 0 && diff.count_removals() == 0 {
        return String::new();
    }
    let body = diff.unified_diff(&BasicLineDiffPrinter(&input.interner), UnifiedDiffConfig::default(), &input).to_string();
    let mut out = String::new();
    let _ = writeln!(out, "--- {old_name}\n+++ {new_name}");
    out.push_str(&body);
    out
}

/// Byte edits turning `old` into `new`, one per changed run of lines.
pub(crate) fn edits(old: &str, new: &str) -> Vec<TextReplace> {
    let input = InternedInput::new(old, new);
    let mut diff = Diff::compute(Algorithm::Histogram, &input);
    diff.postprocess_lines(&input);
    let starts = |text: &str| -> Vec<usize> {
        let mut v = vec![0];
        v.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        if text.ends_with('\n') || text.is_empty() {
            v.pop();
        }
        v.push(text.len());
        v
    };
    let (old_starts, new_starts) = (starts(old), starts(new));
    let at = |v: &[usize], i: u32, len: usize| v.get(i as usize).copied().unwrap_or(len);
    diff.hunks()
        .map(|h| TextReplace {
            start: at(&old_starts, h.before.start, old.len()),
            end: at(&old_starts, h.before.end, old.len()),
            new_text: new.get(at(&new_starts, h.after.start, new.len())..at(&new_starts, h.after.end, new.len())).unwrap_or("").to_string(),
        })
        .collect()
}

/// `base` with `edits` (sorted, non-overlapping) applied.
pub(crate) fn apply_edits(base: &str, edits: &[TextReplace]) -> String {
    let mut out = String::with_capacity(base.len());
    let mut pos = 0;
    for e in edits {
        out.push_str(base.get(pos..e.start).unwrap_or(""));
        out.push_str(&e.new_text);
        pos = e.end.max(pos);
    }
    out.push_str(base.get(pos..).unwrap_or(""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn edits_round_trip() {
        for (old, new) in
            [("a\nb\nc\n", "a\nB\nc\n"), ("a\nb\nc", "a\nb\nc\nd\n"), ("", "x\n"), ("x\n", ""), ("1\n2\n3\n4\n5\n", "0\n1\n3\n4\n5\n6")]
        {
            let e = edits(old, new);
            assert_eq!(apply_edits(old, &e), new, "{old:?} -> {new:?}: {e:?}");
        }
    }

    #[test]
    fn unified_has_headers() {
        expect![[r#"
            --- a.txt
            +++ a.txt
            @@ -1,3 +1,3 @@
             a
            -b
            +B
             c
        "#]]
        .assert_eq(&unified("a\nb\nc\n", "a\nB\nc\n", "a.txt", "a.txt"));
        assert_eq!(unified("same\n", "same\n", "a", "a"), "");
    }
}
