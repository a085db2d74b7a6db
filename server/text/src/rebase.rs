//! Rebasing edits over concurrent changes: the agent computed byte-range edits against version
//! B of a buffer, the user changed it since (version C); map the edits to C or say where they
//! collide. Pure range arithmetic: the edits' texts never matter, only where things are.
//!
//! The rules, for one edit `a..b` (in the coordinates reached so far) and one user change that
//! replaced `s..e` with `n` bytes, applied in the order the changes happened:
//! - the change is *before* the edit when `e <= a`: the edit shifts by `n - (e - s)`;
//! - else it is *after* the edit when `s >= b`: the edit stays;
//! - else it is an *overlap*: the user changed text the edit replaces (or typed strictly inside
//!   it, or replaced text around an insertion point). Overlaps are reported, never merged.
//!
//! Ties, which follow from the order of the two tests: text the user inserts exactly where the
//! agent inserts goes first (user text, then agent text); the user typing at the start of a
//! replaced range lands before the agent's text and at its end after it; a user change that
//! ends where an edit starts, or starts where it ends, only touches it and is not an overlap.
//! A change that replaced the whole text (a full-sync didChange) overlaps every edit.

use std::ops::Range;

/// One change as the document saw it: bytes `start..old_end` of the text before it became
/// `start..new_end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Splice {
    pub start: usize,
    pub old_end: usize,
    pub new_end: usize,
}

impl Splice {
    /// An empty change (nothing replaced by nothing): it moves nothing and collides with nothing.
    pub fn is_noop(&self) -> bool {
        self.start == self.old_end && self.old_end == self.new_end
    }

    /// How much the change moved what follows it.
    fn delta(&self) -> isize {
        self.new_end as isize - self.old_end as isize
    }
}

/// An edit the changes collided with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overlap {
    /// The index of the edit.
    pub edit: usize,
    /// The index of the first change that overlapped it.
    pub change: usize,
    /// Where the edit's region is in the text after all the changes, widened to cover what
    /// the overlapping changes wrote there.
    pub region: Range<usize>,
}

fn shift(x: usize, d: isize) -> usize {
    (x as isize + d).max(0) as usize
}

/// Maps `edits` (byte ranges of the base text, in any order) over `changes` (in the order they
/// were applied). `Ok`: the ranges in the text after the changes, in the same order. `Err`: every
/// edit a change overlapped, by edit index.
pub fn rebase(edits: &[Range<usize>], changes: &[Splice]) -> Result<Vec<Range<usize>>, Vec<Overlap>> {
    let mut out = Vec::with_capacity(edits.len());
    let mut overlaps = Vec::new();
    for (i, edit) in edits.iter().enumerate() {
        let (mut a, mut b) = (edit.start, edit.end.max(edit.start));
        let mut hit: Option<usize> = None;
        for (j, c) in changes.iter().enumerate() {
            if c.is_noop() {
                continue;
            }
            if c.old_end <= a {
                (a, b) = (shift(a, c.delta()), shift(b, c.delta()));
            } else if c.start >= b {
                // After: nothing of ours moves.
            } else {
                // Overlap: from here on, track the region widened by what the change wrote.
                hit.get_or_insert(j);
                let end = if b > c.old_end { shift(b, c.delta()) } else { c.new_end };
                (a, b) = (a.min(c.start), end.max(c.new_end));
            }
        }
        match hit {
            None => out.push(a..b),
            Some(change) => overlaps.push(Overlap { edit: i, change, region: a..b }),
        }
    }
    if overlaps.is_empty() {
        Ok(out)
    } else {
        Err(overlaps)
    }
}

/// The regions of the text after `changes` that they wrote (their new text, mapped over the
/// changes that followed), sorted and merged where they touch. Deletions leave empty regions.
pub fn touched(changes: &[Splice]) -> Vec<Range<usize>> {
    let mut regions: Vec<Range<usize>> = Vec::new();
    for c in changes.iter().filter(|c| !c.is_noop()) {
        let mut next = Vec::with_capacity(regions.len() + 1);
        let mut merged = c.start..c.new_end;
        let mut placed = false;
        for r in regions.drain(..) {
            if r.end < c.start {
                next.push(r);
            } else if r.start > c.old_end {
                if !placed {
                    next.push(merged.clone());
                    placed = true;
                }
                next.push(shift(r.start, c.delta())..shift(r.end, c.delta()));
            } else {
                // Touches or overlaps the change: one region with it.
                let end = if r.end > c.old_end { shift(r.end, c.delta()) } else { c.new_end };
                merged = merged.start.min(r.start)..merged.end.max(end);
            }
        }
        if !placed {
            next.push(merged);
        }
        regions = next;
    }
    regions
}

#[cfg(test)]
#[path = "rebase_tests.rs"]
mod tests;
