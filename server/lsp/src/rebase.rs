//! An agent edit whose buffer the user typed into since the agent read it: the edit's byte
//! ranges (of the text at version B) are mapped over the document store's change log from B to
//! the version now (`text::rebase` has the rules), or refused with the overlapping regions as
//! they are now, numbered lines included, so that the model can re-read and retry.
//!
//! Pure: the caller passes the buffer now and the logged changes; nothing is sent from here.

use crate::documents::LoggedChange;
use agent_protocol::TextReplace;
use std::ops::Range;
use text::rebase::{rebase, touched, Splice};
use text::Rope;

/// Lines of one region shown to the model; longer regions are cut with a note.
const MAX_LINES: usize = 8;
/// Overlapping regions shown to the model.
const MAX_REGIONS: usize = 3;

/// An edit moved over the user's typing.
#[derive(Debug, PartialEq, Eq)]
pub struct Rebased {
    /// Byte ranges of the buffer now.
    pub edits: Vec<TextReplace>,
    /// The buffer now with the edits applied.
    pub new_content: String,
    /// What happened, for the model and the log.
    pub note: String,
}

pub fn splices(log: &[LoggedChange]) -> Vec<Splice> {
    log.iter().map(|c| Splice { start: c.start, old_end: c.old_end, new_end: c.new_end }).collect()
}

/// 1-based line of a byte offset.
fn line_of(rope: &Rope, byte: usize) -> usize {
    rope.byte_to_line(byte.min(rope.len_bytes())) + 1
}

/// "line 3" or "lines 3-5": the lines a byte range covers (an empty range: its line).
fn lines(rope: &Rope, r: &Range<usize>) -> String {
    let first = line_of(rope, r.start);
    let last = if r.end > r.start { line_of(rope, r.end - 1) } else { first };
    if first == last {
        format!("line {first}")
    } else {
        format!("lines {first}-{last}")
    }
}

/// The lines a byte range covers, numbered, at most `MAX_LINES` of them.
fn excerpt(rope: &Rope, r: &Range<usize>) -> String {
    let first = line_of(rope, r.start) - 1;
    let last = if r.end > r.start { line_of(rope, r.end - 1) - 1 } else { first };
    let width = (last + 1).to_string().len();
    let mut out = String::new();
    for l in first..=last.min(first + MAX_LINES - 1) {
        let text = rope.line(l).to_string();
        out.push_str(&format!("{:>width$} | {}\n", l + 1, text.trim_end_matches(['\n', '\r'])));
    }
    if last >= first + MAX_LINES {
        out.push_str(&format!("{:>width$} | ... ({} more lines)\n", "", last + 1 - first - MAX_LINES));
    }
    out
}

/// Joins line descriptions: "line 3, lines 7-9".
fn list(rope: &Rope, ranges: &[Range<usize>]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for r in ranges {
        let l = lines(rope, r);
        if !seen.contains(&l) {
            seen.push(l);
        }
    }
    if seen.len() > 6 {
        let more = seen.len() - 5;
        seen.truncate(5);
        seen.push(format!("{more} more places"));
    }
    seen.join(", ")
}

/// Maps `edits` (of the text at version `from`) to the buffer `now` (at version `to`) over
/// `log`, the changes between the two (`None`: not known any more).
pub fn over_typing(
    name: &str,
    now: &Rope,
    (from, to): (i32, i32),
    edits: &[TextReplace],
    log: Option<Vec<LoggedChange>>,
) -> Result<Rebased, String> {
    let changed = format!("{name}: the file changed in the editor since it was read (version {from}, now {to})");
    let log = match log {
        Some(log) if to > from => log,
        _ => return Err(format!("{changed} and those changes cannot be replayed; re-read it")),
    };
    let changes = splices(&log);
    let ranges: Vec<Range<usize>> = edits.iter().map(|e| e.start..e.end).collect();
    match rebase(&ranges, &changes) {
        Ok(mapped) => {
            let len = now.len_bytes();
            if mapped.iter().any(|r| r.end > len) || mapped.windows(2).any(|w| w[0].end > w[1].start) {
                return Err(format!("{changed}; internal error mapping the edit over those changes; re-read it"));
            }
            let edits: Vec<TextReplace> =
                mapped.iter().zip(edits).map(|(r, e)| TextReplace { start: r.start, end: r.end, new_text: e.new_text.clone() }).collect();
            let mut new_content = String::with_capacity(len);
            let mut at = 0;
            let text = now.to_string();
            for e in &edits {
                new_content.push_str(text.get(at..e.start).unwrap_or_default());
                new_content.push_str(&e.new_text);
                at = e.end;
            }
            new_content.push_str(text.get(at..).unwrap_or_default());
            let users = touched(&changes);
            let note = format!(
                "{name}: the user edited the file while the edit was pending ({} now); the edit was rebased over those changes and applied at {} (line numbers of the file now)",
                list(now, &users),
                list(now, &mapped),
            );
            Ok(Rebased { edits, new_content, note })
        }
        Err(overlaps) => {
            let mut out = format!(
                "{changed}, and the user's typing overlaps the text this edit replaces. The overlapping {} now:\n",
                if overlaps.len() == 1 { "region is" } else { "regions are" }
            );
            for o in overlaps.iter().take(MAX_REGIONS) {
                out.push_str(&format!("{}:\n{}", lines(now, &o.region), excerpt(now, &o.region)));
            }
            if overlaps.len() > MAX_REGIONS {
                out.push_str(&format!("(and {} more)\n", overlaps.len() - MAX_REGIONS));
            }
            out.push_str("Re-read the file and make the edit again against its current text.");
            Err(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rep(start: usize, end: usize, t: &str) -> TextReplace {
        TextReplace { start, end, new_text: t.into() }
    }

    fn logged(version: i32, start: usize, old_end: usize, new_len: usize) -> LoggedChange {
        LoggedChange { version, start, old_end, new_end: start + new_len }
    }

    #[test]
    fn typing_elsewhere_is_rebased_with_a_note() {
        let base = "fn a() {}\nfn b() {}\nfn c() {}\n";
        let b = base.find("b()").unwrap();
        let now = format!("// top\n{base}// end\n");
        let log = vec![logged(3, 0, 0, 7), logged(4, base.len() + 7, base.len() + 7, 7)];
        let r = over_typing("a.rs", &Rope::from_str(&now), (2, 4), &[rep(b, b + 1, "bee")], Some(log)).unwrap();
        assert_eq!(r.new_content, "// top\nfn a() {}\nfn bee() {}\nfn c() {}\n// end\n");
        assert_eq!(r.edits, vec![rep(b + 7, b + 8, "bee")]);
        assert_eq!(
            r.note,
            "a.rs: the user edited the file while the edit was pending (line 1, line 5 now); the edit was rebased over those changes and applied at line 3 (line numbers of the file now)"
        );
    }

    #[test]
    fn an_overlap_shows_the_region_now_with_line_numbers() {
        let base = "one\ntwo\nthree\n";
        // The agent replaces "two"; the user typed "2" inside it.
        let now = "one\nt2wo\nthree\n";
        let log = vec![logged(5, 5, 5, 1)];
        let err = over_typing("a.rs", &Rope::from_str(now), (4, 5), &[rep(4, 7, "TWO")], Some(log)).unwrap_err();
        assert_eq!(
            err,
            "a.rs: the file changed in the editor since it was read (version 4, now 5), and the user's typing overlaps the text this edit replaces. The overlapping region is now:\nline 2:\n2 | t2wo\nRe-read the file and make the edit again against its current text."
        );
        assert_eq!(&base[4..7], "two");
        let err = over_typing("a.rs", &Rope::from_str(now), (4, 5), &[rep(4, 7, "TWO")], None).unwrap_err();
        assert_eq!(
            err,
            "a.rs: the file changed in the editor since it was read (version 4, now 5) and those changes cannot be replayed; re-read it"
        );
    }

    #[test]
    fn long_regions_are_cut() {
        let now: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let r = Rope::from_str(&now);
        let text = excerpt(&r, &(0..now.len() - 1));
        assert_eq!(text.lines().count(), MAX_LINES + 1);
        assert!(text.starts_with(" 1 | line 1\n"), "{text}");
        assert!(text.ends_with("   | ... (12 more lines)\n"), "{text}");
    }
}
