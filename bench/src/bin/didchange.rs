//! didChange + incremental reparse on generated Rust files of 2,000 and 20,000 lines, as the
//! document actor does it: apply the change to the rope, edit the tree, re-parse
//! incrementally. Prints p50/p99 of each part, the cost of a coalesced burst (ten changes,
//! one parse, as the actor does when changes queue up), and a full parse for comparison.
//! Run: cargo run --release -p bench --bin didchange

use std::time::{Duration, Instant};
use syntax::Lang;
use text::{Document, LineCol, PositionEncoding};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(name: &str, mut v: Vec<Duration>) {
    v.sort();
    println!(
        "  {name:<34} p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms  (n={})",
        ms(bench::percentile(&v, 50.0)),
        ms(bench::percentile(&v, 99.0)),
        ms(v.last().copied().unwrap_or_default()),
        v.len()
    );
}

fn run(lines_wanted: usize) {
    let src = bench::rust_source(lines_wanted);
    let lines = src.lines().count();
    let mut doc = Document::new(&src, 1);
    let t = Instant::now();
    let mut tree = syntax::parse_rope(Lang::Rust, doc.rope(), None);
    let full = t.elapsed();
    println!("{lines} lines, {} bytes; full parse {:.2} ms", src.len(), ms(full));
    let (mut apply, mut parse, mut total, mut burst) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let _ = full;
    let n = 2000;
    let mut inserted_at = 0;
    for i in 0..n {
        // Type a character at an indented position, then delete it again (a user typing and
        // correcting), so the file returns to valid code every other step.
        let line = (((i / 2) * 7919) % (lines - 10)) as u32 + 5;
        let t0 = Instant::now();
        let edit = if i % 2 == 0 {
            let Ok(edit) = doc.apply_change(Some((LineCol::new(line, 4), LineCol::new(line, 4))), "x", PositionEncoding::Utf16) else {
                break;
            };
            inserted_at = edit.start_byte;
            edit
        } else {
            doc.replace(inserted_at..inserted_at + 1, "")
        };
        if let Some(t) = tree.as_mut() {
            syntax::apply_edit(t, &edit);
        }
        let t1 = Instant::now();
        tree = syntax::parse_rope(Lang::Rust, doc.rope(), tree.as_ref());
        let t2 = Instant::now();
        apply.push(t1 - t0);
        parse.push(t2 - t1);
        total.push(t2 - t0);
    }
    assert_eq!(doc.len_bytes(), src.len(), "every insertion was deleted again");
    // Ten changes typed on one line, then one parse (what the actor does with a queued burst).
    for k in 0..100u32 {
        let line = (k * 7919) % (lines as u32 - 10) + 5;
        let t0 = Instant::now();
        let mut start = None;
        for c in 0..10 {
            if let Ok(edit) = doc.apply_change(Some((LineCol::new(line, 4 + c), LineCol::new(line, 4 + c))), "y", PositionEncoding::Utf16) {
                start.get_or_insert(edit.start_byte);
                if let Some(t) = tree.as_mut() {
                    syntax::apply_edit(t, &edit);
                }
            }
        }
        tree = syntax::parse_rope(Lang::Rust, doc.rope(), tree.as_ref());
        burst.push(t0.elapsed());
        let s = start.unwrap_or(0);
        let edit = doc.replace(s..s + 10, "");
        if let Some(t) = tree.as_mut() {
            syntax::apply_edit(t, &edit);
        }
        tree = syntax::parse_rope(Lang::Rust, doc.rope(), tree.as_ref());
    }
    summary("apply change + edit tree", apply);
    summary("incremental reparse", parse);
    summary("didChange + reparse (one change)", total);
    summary("burst of 10 changes + one reparse", burst);
}

fn main() {
    run(2_000);
    run(20_000);
}
