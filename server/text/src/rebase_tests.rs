//! Tests of the rebase: the tie rules by example, then randomized cases (a small xorshift with
//! fixed seeds) checked against an independent model in which every character carries where it
//! came from (a base index or a user keystroke). The model decides which user changes are safe,
//! computes the other order of the merge (agent edits first, then the user's changes mapped by
//! character identity) and what the user wrote; the rebase must agree on all three.

#![allow(clippy::single_range_in_vec_init)]

use super::*;

fn splice(start: usize, old_end: usize, new_len: usize) -> Splice {
    Splice { start, old_end, new_end: start + new_len }
}

/// Applies edits (sorted, disjoint byte ranges) with their texts.
fn apply(text: &str, ranges: &[Range<usize>], texts: &[&str]) -> String {
    let mut out = text.to_string();
    for (r, t) in ranges.iter().zip(texts).rev() {
        out.replace_range(r.clone(), t);
    }
    out
}

#[test]
fn edits_before_and_after_a_change_shift_or_stay() {
    // base "0123456789": the agent replaces 4..6; the user inserts "ab" at 1 and deletes 8..9.
    let changes = [splice(1, 1, 2), splice(10, 11, 0)];
    assert_eq!(rebase(&[4..6], &changes), Ok(vec![6..8]));
    // A change strictly inside an untouched stretch moves nothing after it.
    assert_eq!(rebase(&[0..1], &changes), Ok(vec![0..1]));
    // Several edits, one on each side.
    assert_eq!(rebase(&[0..1, 4..6, 9..10], &changes), Ok(vec![0..1, 6..8, 10..11]));
}

#[test]
fn ties_at_the_edges() {
    // User insertion where the agent inserts: user text first.
    assert_eq!(rebase(&[3..3], &[splice(3, 3, 2)]), Ok(vec![5..5]));
    // User insertion at the start of a replaced range: before it; at its end: after it.
    assert_eq!(rebase(&[3..5], &[splice(3, 3, 2)]), Ok(vec![5..7]));
    assert_eq!(rebase(&[3..5], &[splice(5, 5, 2)]), Ok(vec![3..5]));
    // A user change ending where the edit starts, or starting where it ends, only touches it.
    assert_eq!(rebase(&[3..5], &[splice(1, 3, 0)]), Ok(vec![1..3]));
    assert_eq!(rebase(&[3..5], &[splice(5, 7, 1)]), Ok(vec![3..5]));
    // A user replacement starting at an insertion point goes after the agent's text.
    assert_eq!(rebase(&[3..3], &[splice(3, 4, 1)]), Ok(vec![3..3]));
    // Between two adjacent replaced ranges: after the first, before the second.
    assert_eq!(rebase(&[1..3, 3..5], &[splice(3, 3, 1)]), Ok(vec![1..3, 4..6]));
    // Empty changes are ignored.
    assert_eq!(rebase(&[3..5], &[splice(4, 4, 0)]), Ok(vec![3..5]));
}

#[test]
fn overlaps_are_reported_with_the_region_as_it_is_now() {
    // The user typed inside the replaced range.
    let err = rebase(&[3..6], &[splice(4, 4, 2)]).unwrap_err();
    assert_eq!(err, vec![Overlap { edit: 0, change: 0, region: 3..8 }]);
    // The user's change straddles the start of the range, then text is inserted before it all.
    let err = rebase(&[0..1, 3..6], &[splice(2, 4, 5), splice(0, 0, 1)]).unwrap_err();
    assert_eq!(err, vec![Overlap { edit: 1, change: 0, region: 3..10 }]);
    // A deletion across an insertion point.
    let err = rebase(&[3..3], &[splice(2, 4, 0)]).unwrap_err();
    assert_eq!(err, vec![Overlap { edit: 0, change: 0, region: 2..2 }]);
    // A full-text replacement overlaps everything that is not an insertion at its very end.
    assert!(rebase(&[0..1], &[splice(0, 10, 10)]).is_err());
    // The region keeps following later changes, widening when they overlap it again.
    let err = rebase(&[3..6], &[splice(4, 5, 1), splice(5, 9, 1)]).unwrap_err();
    assert_eq!(err[0].region, 3..6);
}

#[test]
fn rebased_edits_apply_to_the_current_text() {
    let base = "fn a() {}\nfn b() {}\nfn c() {}\n";
    // The agent renames b (bytes 13..14) to bee; the user adds a line at the top and edits c.
    let user = ["// hi\n", "// hi\nfn a() {}\nfn b() {}\nfn cc() {}\n"];
    let changes = [splice(0, 0, 6), splice(29, 30, 2)];
    let rebased = rebase(&[13..14], &changes).unwrap();
    assert_eq!(apply(user[1], &rebased, &["bee"]), "// hi\nfn a() {}\nfn bee() {}\nfn cc() {}\n");
    assert_eq!(&base[13..14], "b");
}

#[test]
fn touched_regions_merge() {
    assert_eq!(touched(&[splice(2, 2, 3), splice(5, 5, 1), splice(0, 0, 1)]), vec![0..1, 3..7]);
    assert_eq!(touched(&[splice(2, 4, 0)]), vec![2..2]);
    assert_eq!(touched(&[splice(5, 5, 2), splice(1, 1, 1), splice(2, 9, 1)]), vec![1..3]);
}

// ---- randomized -------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn text(&mut self, max: usize) -> String {
        let n = self.below(max + 1);
        (0..n).map(|_| b"abxyz \n"[self.below(7)] as char).collect()
    }
}

/// Where a character came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    Base(usize),
    User(usize),
    Agent(usize),
    /// Zero-width: the end of agent edit `i` in the agent-first text.
    Mark(usize),
}

/// Where a character sits relative to the agent's edits, in order: gap 0, edit 0, gap 1, ...
/// as an ordinal: gap g is 2g, edit i is 2i + 1.
type Zone = usize;

#[derive(Clone, Copy, Debug)]
struct Ch {
    c: char,
    tag: Tag,
    zone: Zone,
}

fn render(list: &[Ch]) -> String {
    list.iter().filter(|c| !matches!(c.tag, Tag::Mark(_))).map(|c| c.c).collect()
}

struct Case {
    base: String,
    edits: Vec<Range<usize>>,
    texts: Vec<String>,
}

fn gen_case(rng: &mut Rng) -> Case {
    let base = rng.text(40);
    let k = rng.below(5);
    let mut points: Vec<usize> = (0..2 * k).map(|_| if rng.chance(15) { base.len() } else { rng.below(base.len() + 1) }).collect();
    points.sort_unstable();
    let edits: Vec<Range<usize>> = points.chunks(2).map(|p| if rng.chance(25) { p[0]..p[0] } else { p[0]..p[1] }).collect();
    let texts = edits.iter().map(|_| rng.text(4)).collect();
    Case { base, edits, texts }
}

/// The zone of base byte `x`: inside edit i, or in the gap after every edit that ends at or
/// before it (an insertion at `x` puts its text before base byte `x`).
fn zone_of(edits: &[Range<usize>], x: usize) -> Zone {
    match edits.iter().position(|e| e.start <= x && x < e.end) {
        Some(i) => 2 * i + 1,
        None => 2 * edits.iter().filter(|e| e.end <= x).count(),
    }
}

/// One user change on the tagged text: replace `at..at + del` with `text`. Returns the edits
/// it overlaps (empty: safe) and the zone its text goes to.
fn classify(list: &[Ch], at: usize, del: usize, text: &str) -> (Vec<usize>, Zone) {
    if del == 0 {
        if text.is_empty() {
            return (Vec::new(), 0);
        }
        let left = at.checked_sub(1).map(|i| list[i].zone);
        let right = list.get(at).map(|c| c.zone);
        return match (left, right) {
            (Some(l), Some(r)) if l == r && l % 2 == 1 => (vec![l / 2], l),
            (None, _) => (Vec::new(), 0),
            (Some(l), _) if l % 2 == 1 => (Vec::new(), l + 1),
            (Some(l), _) => (Vec::new(), l),
        };
    }
    let zones = list[at..at + del].iter().map(|c| c.zone);
    let (lo, hi) = (zones.clone().min().unwrap_or(0), zones.max().unwrap_or(0));
    let hits: Vec<usize> = (0..).take_while(|i| 2 * i < hi).filter(|i| 2 * i + 1 >= lo).collect();
    (hits, lo)
}

/// The agent-first text, tagged: gaps' base characters, each edit's text followed by its mark.
fn agent_first(case: &Case) -> Vec<Ch> {
    let mut out = Vec::new();
    let bytes: Vec<char> = case.base.chars().collect();
    let mut next_edit = 0;
    for x in 0..=bytes.len() {
        while next_edit < case.edits.len() && case.edits[next_edit].start == x {
            let z = 2 * next_edit + 1;
            out.extend(case.texts[next_edit].chars().map(|c| Ch { c, tag: Tag::Agent(next_edit), zone: z }));
            out.push(Ch { c: '\0', tag: Tag::Mark(next_edit), zone: z });
            next_edit += 1;
        }
        if x < bytes.len() {
            let z = zone_of(&case.edits, x);
            if z.is_multiple_of(2) {
                out.push(Ch { c: bytes[x], tag: Tag::Base(x), zone: z });
            }
        }
    }
    out
}

/// Runs one randomized case. Returns whether the rebase succeeded.
fn run_case(seed: u64) -> bool {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let case = gen_case(&mut rng);
    let mut now: Vec<Ch> = case.base.chars().enumerate().map(|(x, c)| Ch { c, tag: Tag::Base(x), zone: zone_of(&case.edits, x) }).collect();
    let mut other = agent_first(&case);
    let mut changes = Vec::new();
    let mut expect_err: Option<(Vec<usize>, usize, Range<usize>)> = None;
    let mut user_id = 0;
    for _ in 0..1 + rng.below(6) {
        // Mostly safe changes: retry an unsafe one a few times before keeping it.
        let (mut at, mut del, mut text, mut verdict) = (0, 0, String::new(), (Vec::new(), 0));
        for _ in 0..8 {
            at = rng.below(now.len() + 1);
            del = if rng.chance(40) { 0 } else { rng.below((now.len() - at).min(6) + 1) };
            text = rng.text(3);
            verdict = classify(&now, at, del, &text);
            if verdict.0.is_empty() || rng.chance(15) {
                break;
            }
        }
        changes.push(splice(at, at + del, text.len()));
        let (hits, zone) = verdict;
        if !hits.is_empty() {
            expect_err = Some((hits, changes.len() - 1, at..at + text.len()));
            let typed = text.chars().map(|c| Ch { c, tag: Tag::User(usize::MAX), zone });
            now.splice(at..at + del, typed);
            break;
        }
        // The other order: the same change by character identity on the agent-first text.
        let deleted: Vec<Tag> = now[at..at + del].iter().map(|c| c.tag).collect();
        let pos = if let Some(first) = deleted.first() {
            other.iter().position(|c| c.tag == *first).unwrap()
        } else if at == 0 {
            0
        } else {
            let left = now[at - 1];
            let anchor = match left.tag {
                Tag::Base(_) if left.zone % 2 == 1 => Tag::Mark(left.zone / 2),
                t => t,
            };
            other.iter().position(|c| c.tag == anchor).unwrap() + 1
        };
        let typed: Vec<Ch> = text
            .chars()
            .map(|c| {
                user_id += 1;
                Ch { c, tag: Tag::User(user_id), zone }
            })
            .collect();
        other.retain(|c| !deleted.contains(&c.tag));
        let pos = pos.min(other.len());
        other.splice(pos..pos, typed.iter().copied());
        now.splice(at..at + del, typed);
    }
    let current = render(&now);
    let result = rebase(&case.edits, &changes);
    match (result, expect_err) {
        (Ok(mapped), None) => {
            for w in mapped.windows(2) {
                assert!(w[0].end <= w[1].start, "seed {seed}: rebased edits out of order: {mapped:?}");
            }
            let texts: Vec<&str> = case.texts.iter().map(String::as_str).collect();
            let merged = apply(&current, &mapped, &texts);
            assert_eq!(merged, render(&other), "seed {seed}: base {:?} edits {:?} changes {changes:?}", case.base, case.edits);
            // What the user wrote is exactly the touched regions.
            let regions = touched(&changes);
            for (i, ch) in now.iter().enumerate() {
                let inside = regions.iter().any(|r| r.start <= i && i < r.end);
                assert_eq!(inside, matches!(ch.tag, Tag::User(_)), "seed {seed}: byte {i} of {current:?}, regions {regions:?}");
            }
            true
        }
        (Err(overlaps), Some((hits, change, typed))) => {
            let edits: Vec<usize> = overlaps.iter().map(|o| o.edit).collect();
            assert_eq!(edits, hits, "seed {seed}: base {:?} edits {:?} changes {changes:?}", case.base, case.edits);
            for o in &overlaps {
                assert_eq!(o.change, change, "seed {seed}");
                assert!(o.region.start <= typed.start && typed.end <= o.region.end, "seed {seed}: {o:?} vs {typed:?}");
                assert!(
                    o.region.end <= current.len(),
                    "seed {seed}: {o:?} len {} base {:?} edits {:?} changes {changes:?}",
                    current.len(),
                    case.base,
                    case.edits
                );
            }
            false
        }
        (got, want) => panic!("seed {seed}: base {:?} edits {:?} changes {changes:?}: got {got:?}, want {want:?}", case.base, case.edits),
    }
}

#[test]
fn randomized_merges_commute_and_overlaps_are_reported() {
    let cases = 20_000;
    let merged = (0..cases).filter(|&seed| run_case(seed)).count();
    // Both outcomes are well represented.
    assert!(merged > cases as usize / 2 && merged < cases as usize * 19 / 20, "{merged} of {cases} merged");
}
