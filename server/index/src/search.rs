//! Symbol search: fuzzy `search` for `workspace/symbol` and exact `definitions` for
//! go-to-definition by name and the agent's context.
//!
//! Ranking, best first: exact name (case-sensitive, then not), prefix (caseless for a
//! query without capitals, as nucleo's smart case), then fuzzy matches by nucleo's score;
//! ties go to shorter names, then to types and functions over fields and variables, then by
//! path and position, so results are deterministic. An empty query lists symbols by kind,
//! path and position.
//! This is a scan over every symbol (nucleo's prefilter keeps it cheap); there is no
//! trigram or prefix index.

use crate::store::{FileId, State};
use crate::symbol::{kind_rank, FileSymbols};
use crate::SymbolHit;
use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use std::cmp::Ordering;

const TIER_EXACT: u64 = 0;
const TIER_EXACT_CASELESS: u64 = 1;
const TIER_PREFIX: u64 = 2;
const TIER_PREFIX_CASELESS: u64 = 3;
const TIER_FUZZY: u64 = 4;

struct Candidate {
    /// Packed ranking key, smaller is better: tier, inverted fuzzy score, length, kind.
    key: u64,
    file: FileId,
    sym: u32,
    score: u32,
}

fn pack(tier: u64, fuzzy: u16, syms: &FileSymbols, i: usize, by_len: bool) -> u64 {
    let len = if by_len { syms.name(i).chars().count().min(0xffff) as u64 } else { 0 };
    let rank = syms.kind(i).map_or(u8::MAX, kind_rank);
    (tier << 40) | (u64::from(u16::MAX - fuzzy) << 24) | (len << 8) | u64::from(rank)
}

fn public_score(tier: u64, fuzzy: u16) -> u32 {
    (TIER_FUZZY + 1 - tier) as u32 * 100_000 + u32::from(fuzzy)
}

fn starts_with_caseless(name: &str, query: &str) -> bool {
    name.len() >= query.len() && name.is_char_boundary(query.len()) && name[..query.len()].eq_ignore_ascii_case(query)
}

/// The exact and prefix tiers. A query without capitals is caseless (smart case), so its
/// prefix matches all rank alike; an exact match of the very spelling still ranks first.
fn tier_of(name: &str, query: &str, smart_caseless: bool) -> Option<u64> {
    if name == query {
        Some(TIER_EXACT)
    } else if name.eq_ignore_ascii_case(query) {
        Some(TIER_EXACT_CASELESS)
    } else if name.starts_with(query) {
        Some(TIER_PREFIX)
    } else if starts_with_caseless(name, query) {
        Some(if smart_caseless { TIER_PREFIX } else { TIER_PREFIX_CASELESS })
    } else {
        None
    }
}

pub(crate) fn search(state: &State, query: &str, limit: usize) -> Vec<SymbolHit> {
    if limit == 0 {
        return Vec::new();
    }
    let query = query.trim();
    let mut cands = Vec::new();
    if query.is_empty() {
        for (file, entry) in state.entries() {
            let Some(syms) = entry.served() else { continue };
            for i in 0..syms.len() {
                // Nothing to match: list by kind, then path and position.
                cands.push(Candidate { key: pack(TIER_FUZZY, 0, syms, i, false), file, sym: i as u32, score: 0 });
            }
        }
    } else {
        let atom = Atom::new(query, CaseMatching::Smart, Normalization::Smart, AtomKind::Fuzzy, false);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let caseless = !query.chars().any(char::is_uppercase);
        for (file, entry) in state.entries() {
            let Some(syms) = entry.served() else { continue };
            for (i, name) in syms.names().enumerate() {
                let (tier, fuzzy) = match tier_of(name, query, caseless) {
                    Some(tier) => (tier, 0),
                    None => match atom.score(Utf32Str::new(name, &mut buf), &mut matcher) {
                        Some(score) => (TIER_FUZZY, score),
                        None => continue,
                    },
                };
                let key = pack(tier, fuzzy, syms, i, true);
                cands.push(Candidate { key, file, sym: i as u32, score: public_score(tier, fuzzy) });
            }
        }
    }
    top(state, cands, limit)
}

/// The `limit` best candidates in full ranking order. Only those tied with the cut-off on
/// the packed key need the (slower) path comparison.
fn top(state: &State, mut cands: Vec<Candidate>, limit: usize) -> Vec<SymbolHit> {
    if cands.len() > limit {
        cands.select_nth_unstable_by_key(limit - 1, |c| c.key);
        let cut = cands[limit - 1].key;
        cands.retain(|c| c.key <= cut);
    }
    let resolve = |c: &Candidate| {
        let entry = state.entry(c.file)?;
        Some((entry, entry.served()?))
    };
    cands.sort_by(|a, b| {
        a.key.cmp(&b.key).then_with(|| match (resolve(a), resolve(b)) {
            (Some((ea, sa)), Some((eb, sb))) => {
                ea.path.cmp(&eb.path).then_with(|| sa.selection_start(a.sym as usize).cmp(&sb.selection_start(b.sym as usize)))
            }
            _ => Ordering::Equal,
        })
    });
    cands
        .iter()
        .take(limit)
        .filter_map(|c| {
            let (entry, syms) = resolve(c)?;
            Some(SymbolHit { path: entry.path.clone(), symbol: syms.get(c.sym as usize)?, score: c.score })
        })
        .collect()
}

pub(crate) fn definitions(state: &State, name: &str, limit: usize) -> Vec<SymbolHit> {
    if limit == 0 {
        return Vec::new();
    }
    let cands = state
        .postings(name)
        .iter()
        .filter_map(|&(file, sym)| {
            let syms = state.entry(file)?.served()?;
            let rank = kind_rank(syms.kind(sym as usize)?);
            (syms.name(sym as usize) == name).then(|| Candidate { key: u64::from(rank), file, sym, score: public_score(TIER_EXACT, 0) })
        })
        .collect();
    top(state, cands, limit)
}
