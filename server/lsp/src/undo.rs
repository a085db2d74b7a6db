//! `codeloop.undo`: reverting a turn's edits as one `workspace/applyEdit`.
//!
//! For every edit the client applied to an open buffer, the log keeps its inverse: the regions
//! the agent wrote (byte ranges of the buffer at the version that showed the edit) with the text
//! they replaced, computed from the text before the edit. Successive edits of one turn to the
//! same file compose into one set of regions when nothing else changed the buffer in between.
//! To undo, the regions are mapped over every change the buffer saw since (the document
//! store's change log), and the inverse goes out at the version the buffer has now. If the
//! user changed one of those regions since, the undo is refused: it never clobbers typing.
//! Created, moved or deleted files and edits to files that were not open are not reverted
//! (the result says so). Pure planning here; sending is in `commands.rs`/`edit_flow.rs`.

use crate::documents::LoggedChange;
use agent_protocol::TextReplace;
use std::sync::{Mutex, MutexGuard};
use tower_lsp::lsp_types::Url;

/// Turns kept in the log.
const MAX_TURNS: usize = 100;

/// Bytes `start..end` hold `new` (what the agent wrote) and held `old` before.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub start: usize,
    pub end: usize,
    pub old: String,
    pub new: String,
}

/// The inverse of a turn's edits to one buffer, valid at `version`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileUndo {
    pub uri: Url,
    pub version: i32,
    /// `Err`: why it cannot be undone.
    pub regions: Result<Vec<Region>, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TurnUndo {
    pub thread_id: String,
    pub turn_id: String,
    pub files: Vec<FileUndo>,
    /// What the turn did that undo does not revert ("created src/new.rs").
    pub skipped: Vec<String>,
}

#[derive(Default)]
pub struct UndoLog {
    turns: Mutex<Vec<TurnUndo>>,
}

/// The regions of `edits` (byte ranges of `base`, sorted, disjoint) in the text after them,
/// composed with `earlier` regions (in `base` coordinates) of the same turn.
pub fn compose(base: &str, earlier: &[Region], edits: &[TextReplace]) -> Vec<Region> {
    // Intervals of `base` touched by either side, clustered when they overlap or touch.
    #[derive(Clone, Copy)]
    enum Side {
        Earlier(usize),
        Edit(usize),
    }
    let mut spans: Vec<(usize, usize, Side)> = earlier.iter().enumerate().map(|(i, r)| (r.start, r.end, Side::Earlier(i))).collect();
    spans.extend(edits.iter().enumerate().map(|(i, e)| (e.start, e.end, Side::Edit(i))));
    spans.sort_by_key(|s| (s.0, s.1));
    let mut out = Vec::new();
    let mut delta: isize = 0;
    let mut i = 0;
    while i < spans.len() {
        let (a, mut b) = (spans[i].0, spans[i].1);
        let mut members = vec![spans[i].2];
        i += 1;
        while i < spans.len() && spans[i].0 <= b {
            b = b.max(spans[i].1);
            members.push(spans[i].2);
            i += 1;
        }
        // The cluster's text before the turn and after this edit.
        let (mut old, mut new) = (String::new(), String::new());
        let mut pos_old = a;
        let mut pos_new = a;
        let mut olds: Vec<&Region> =
            members.iter().filter_map(|m| if let Side::Earlier(k) = m { Some(&earlier[*k]) } else { None }).collect();
        olds.sort_by_key(|r| r.start);
        for r in olds {
            old.push_str(base.get(pos_old..r.start).unwrap_or(""));
            old.push_str(&r.old);
            pos_old = r.end;
        }
        old.push_str(base.get(pos_old..b).unwrap_or(""));
        let mut news: Vec<&TextReplace> =
            members.iter().filter_map(|m| if let Side::Edit(k) = m { Some(&edits[*k]) } else { None }).collect();
        news.sort_by_key(|e| e.start);
        for e in news {
            new.push_str(base.get(pos_new..e.start).unwrap_or(""));
            new.push_str(&e.new_text);
            pos_new = e.end;
        }
        new.push_str(base.get(pos_new..b).unwrap_or(""));
        let start = (a as isize + delta).max(0) as usize;
        delta += new.len() as isize - (b - a) as isize;
        if old != new {
            out.push(Region { start, end: start + new.len(), old, new });
        }
    }
    out
}

/// Maps `a..b` over one change; `None` when the change touched it.
fn map_over(a: usize, b: usize, c: &LoggedChange) -> Option<(usize, usize)> {
    let shift = |x: usize| (x as isize + c.new_end as isize - c.old_end as isize).max(0) as usize;
    if c.old_end <= a {
        Some((shift(a), shift(b)))
    } else if c.start >= b {
        Some((a, b))
    } else {
        None
    }
}

fn line_at(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(0, |t| t.matches('\n').count()) + 1
}

/// The text of one buffer after undoing `files` (this buffer's records, oldest first), given its
/// text now and its changes since each record's version.
pub fn revert(
    name: &str,
    now: &str,
    files: &[&FileUndo],
    changes_since: &dyn Fn(i32) -> Option<Vec<LoggedChange>>,
) -> Result<String, String> {
    let mut working = now.to_string();
    let mut synthetic: Vec<LoggedChange> = Vec::new();
    for f in files.iter().rev() {
        let regions = f.regions.as_ref().map_err(|e| format!("{name}: {e}"))?;
        let log = changes_since(f.version)
            .ok_or_else(|| format!("{name}: the buffer was reopened or changed too much since the edit; undo it in the editor"))?;
        let mut mapped = Vec::with_capacity(regions.len());
        for r in regions {
            let mut span = Some((r.start, r.end));
            for c in log.iter().chain(synthetic.iter()) {
                span = span.and_then(|(a, b)| map_over(a, b, c));
            }
            let (a, b) = span.ok_or_else(|| {
                format!(
                    "{name}: line {} was changed since the agent's edit; not undoing it (undo it in the editor)",
                    line_at(now, r.start.min(now.len()))
                )
            })?;
            if working.get(a..b) != Some(r.new.as_str()) {
                return Err(format!(
                    "{name}: line {} no longer holds the agent's edit; not undoing it (undo it in the editor)",
                    line_at(&working, a.min(working.len()))
                ));
            }
            mapped.push((a, b, r));
        }
        mapped.sort_by_key(|m| std::cmp::Reverse(m.0));
        for (a, b, r) in mapped {
            working.replace_range(a..b, &r.old);
            synthetic.push(LoggedChange { version: i32::MAX, start: a, old_end: b, new_end: a + r.old.len() });
        }
    }
    Ok(working)
}

/// The one replacement that turns `from` into `to`: bytes of `from` and the new text.
pub fn difference(from: &str, to: &str) -> (std::ops::Range<usize>, String) {
    let prefix = from.char_indices().zip(to.chars()).take_while(|((_, a), b)| a == b).last().map_or(0, |((i, a), _)| i + a.len_utf8());
    let (fr, tr) = (&from[prefix..], &to[prefix..]);
    let suffix = fr.chars().rev().zip(tr.chars().rev()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum::<usize>();
    let suffix = suffix.min(fr.len()).min(tr.len());
    (prefix..from.len() - suffix, to[prefix..to.len() - suffix].to_string())
}

impl UndoLog {
    fn lock(&self) -> MutexGuard<'_, Vec<TurnUndo>> {
        self.turns.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn turn<'a>(turns: &'a mut Vec<TurnUndo>, thread_id: &str, turn_id: &str) -> &'a mut TurnUndo {
        let at = match turns.iter().position(|t| t.thread_id == thread_id && t.turn_id == turn_id) {
            Some(i) => i,
            None => {
                if turns.len() >= MAX_TURNS {
                    turns.remove(0);
                }
                turns.push(TurnUndo { thread_id: thread_id.into(), turn_id: turn_id.into(), ..TurnUndo::default() });
                turns.len() - 1
            }
        };
        &mut turns[at]
    }

    /// Records an applied edit of an open buffer: `edits` of `base_text` (at `base_version`)
    /// showed up at `version`; `exact` when the buffer then held exactly the edit's result.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        (thread_id, turn_id): (&str, &str),
        uri: &Url,
        base_version: i32,
        base_text: &str,
        edits: &[TextReplace],
        version: i32,
        exact: bool,
    ) {
        let mut turns = self.lock();
        let turn = Self::turn(&mut turns, thread_id, turn_id);
        let last = turn.files.iter_mut().rev().find(|f| &f.uri == uri);
        let regions = match last {
            // Nothing changed the buffer between the turn's previous edit and this one: compose.
            Some(prev) if prev.version == base_version && prev.regions.is_ok() => {
                let earlier = prev.regions.clone().unwrap_or_default();
                prev.version = version;
                prev.regions = if exact { Ok(compose(base_text, &earlier, edits)) } else { Err(Self::inexact()) };
                return;
            }
            _ if exact => Ok(compose(base_text, &[], edits)),
            _ => Err(Self::inexact()),
        };
        turn.files.push(FileUndo { uri: uri.clone(), version, regions });
    }

    fn inexact() -> String {
        "the buffer changed while the edit was applied, so its inverse is not known".to_string()
    }

    /// Notes something of the turn that undo does not revert.
    pub fn skip(&self, (thread_id, turn_id): (&str, &str), what: String) {
        let mut turns = self.lock();
        Self::turn(&mut turns, thread_id, turn_id).skipped.push(what);
    }

    /// Takes the turn to undo: the named one, else the last one with edits (of `thread_id` if given).
    pub fn take(&self, thread_id: Option<&str>, turn_id: Option<&str>) -> Result<TurnUndo, String> {
        let mut turns = self.lock();
        let at = turns
            .iter()
            .rposition(|t| thread_id.is_none_or(|id| t.thread_id == id) && turn_id.is_none_or(|id| t.turn_id == id) && !t.files.is_empty());
        match at {
            Some(i) => Ok(turns.remove(i)),
            None => Err(match (thread_id, turn_id) {
                (_, Some(turn)) => format!("no edits of turn `{turn}` to undo"),
                (Some(thread), None) => format!("no edits of thread `{thread}` to undo"),
                (None, None) => "no agent edits to undo".to_string(),
            }),
        }
    }

    /// Puts back a turn whose undo did not happen.
    pub fn restore(&self, turn: TurnUndo) {
        self.lock().push(turn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rep(start: usize, end: usize, t: &str) -> TextReplace {
        TextReplace { start, end, new_text: t.into() }
    }

    fn apply(text: &str, edits: &[TextReplace]) -> String {
        let mut out = text.to_string();
        for e in edits.iter().rev() {
            out.replace_range(e.start..e.end, &e.new_text);
        }
        out
    }

    fn undo_all(now: &str, regions: &[Region]) -> String {
        let f = FileUndo { uri: Url::parse("file:///a").unwrap(), version: 1, regions: Ok(regions.to_vec()) };
        revert("a", now, &[&f], &|_| Some(Vec::new())).unwrap()
    }

    #[test]
    fn composed_regions_restore_the_text_before_the_turn() {
        let t0 = "one\ntwo\nthree\nfour\n";
        let e1 = [rep(0, 3, "ONE"), rep(8, 13, "")];
        let t1 = apply(t0, &e1);
        let r1 = compose(t0, &[], &e1);
        assert_eq!(undo_all(&t1, &r1), t0);
        // The second edit overlaps the first one's region and adds another.
        let e2 = [rep(1, 3, "NEW"), rep(t1.len(), t1.len(), "five\n")];
        let t2 = apply(&t1, &e2);
        let r2 = compose(&t1, &r1, &e2);
        assert_eq!(undo_all(&t2, &r2), t0);
    }

    #[test]
    fn typing_elsewhere_is_kept_and_typing_inside_refuses() {
        let t0 = "a\nb\nc\n";
        let e = [rep(2, 3, "B")];
        let t1 = apply(t0, &e);
        let f = FileUndo { uri: Url::parse("file:///a").unwrap(), version: 3, regions: Ok(compose(t0, &[], &e)) };
        // The user types "x" at the start (before the region) and "y" at the end.
        let typed = format!("x{t1}y");
        let log = [
            LoggedChange { version: 4, start: 0, old_end: 0, new_end: 1 },
            LoggedChange { version: 5, start: t1.len() + 1, old_end: t1.len() + 1, new_end: t1.len() + 2 },
        ];
        assert_eq!(revert("a", &typed, &[&f], &|v| Some(log.iter().filter(|c| c.version > v).copied().collect())).unwrap(), "xa\nb\nc\ny");
        // Typing right after the region is outside it.
        let after = vec![LoggedChange { version: 4, start: 3, old_end: 3, new_end: 4 }];
        assert_eq!(revert("a", "a\nBz\nc\n", &[&f], &|_| Some(after.clone())).unwrap(), "a\nbz\nc\n");
        // Replacing the region's text (the user retyped it).
        let inside = "a\nBz\nc\n";
        let log = vec![LoggedChange { version: 4, start: 2, old_end: 3, new_end: 4 }];
        let err = revert("a.rs", inside, &[&f], &|_| Some(log.clone())).unwrap_err();
        assert!(err.contains("a.rs: line 2 was changed since the agent's edit"), "{err}");
        assert!(revert("a.rs", inside, &[&f], &|_| None).is_err());
    }

    #[test]
    fn difference_is_one_minimal_replacement() {
        assert_eq!(difference("abcdef", "abXYef"), (2..4, "XY".to_string()));
        assert_eq!(difference("é1é", "é2é"), (2..3, "2".to_string()));
        assert_eq!(difference("aa", "aaa"), (2..2, "a".to_string()));
    }

    #[test]
    fn take_picks_the_last_turn_with_edits() {
        let log = UndoLog::default();
        let uri = Url::parse("file:///a").unwrap();
        log.record(("t1", "turn-1"), &uri, 1, "x", &[rep(0, 1, "y")], 2, true);
        log.record(("t2", "turn-1"), &uri, 2, "y", &[rep(0, 1, "z")], 3, true);
        log.skip(("t2", "turn-2"), "created b".into());
        assert_eq!(log.take(None, None).unwrap().thread_id, "t2");
        assert_eq!(log.take(Some("t1"), None).unwrap().turn_id, "turn-1");
        assert_eq!(log.take(None, None).unwrap_err(), "no agent edits to undo");
    }
}
