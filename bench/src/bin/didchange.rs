//! didChange + incremental reparse on generated Rust files of 2,000 and 20,000 lines and a
//! Python file of 20,000 lines, as the document actor does it: apply the change to the rope, edit the tree, re-parse
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

/// Where typing keeps the file valid code: (line, column) pairs.
fn typing_spots(lang: Lang, src: &str) -> Vec<(u32, u32)> {
    let lines = src.lines().count();
    match lang {
        // Any indented line of the generated Rust: column 4 is whitespace inside an item.
        Lang::Rust => (5..lines - 5).map(|l| (l as u32, 4)).collect(),
        // The start of an identifier that begins a method body line.
        _ => src
            .lines()
            .enumerate()
            .filter(|(_, text)| text.starts_with("        total") || text.starts_with("        self."))
            .map(|(l, _)| (l as u32, 8))
            .collect(),
    }
}

fn run(lang: Lang, src: &str) {
    let lines = src.lines().count();
    let spots = typing_spots(lang, src);
    let mut doc = Document::new(src, 1);
    let t = Instant::now();
    let mut tree = syntax::parse_rope(lang, doc.rope(), None);
    let full = t.elapsed();
    println!("{} {lines} lines, {} bytes; full parse {:.2} ms", lang.name(), src.len(), ms(full));
    let (mut apply, mut parse, mut total, mut burst) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let _ = full;
    let n = 2000;
    let mut inserted_at = 0;
    for i in 0..n {
        // Type a character at an indented position, then delete it again (a user typing and
        // correcting), so the file returns to valid code every other step.
        let (line, col) = spots[((i / 2) * 7919) % spots.len()];
        let t0 = Instant::now();
        let edit = if i % 2 == 0 {
            let Ok(edit) = doc.apply_change(Some((LineCol::new(line, col), LineCol::new(line, col))), "x", PositionEncoding::Utf16) else {
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
        tree = syntax::parse_rope(lang, doc.rope(), tree.as_ref());
        let t2 = Instant::now();
        apply.push(t1 - t0);
        parse.push(t2 - t1);
        total.push(t2 - t0);
    }
    assert_eq!(doc.len_bytes(), src.len(), "every insertion was deleted again");
    // Ten changes typed on one line, then one parse (what the actor does with a queued burst).
    for k in 0..100usize {
        let (line, col) = spots[(k * 7919) % spots.len()];
        let t0 = Instant::now();
        let mut start = None;
        for c in 0..10 {
            if let Ok(edit) =
                doc.apply_change(Some((LineCol::new(line, col + c), LineCol::new(line, col + c))), "y", PositionEncoding::Utf16)
            {
                start.get_or_insert(edit.start_byte);
                if let Some(t) = tree.as_mut() {
                    syntax::apply_edit(t, &edit);
                }
            }
        }
        tree = syntax::parse_rope(lang, doc.rope(), tree.as_ref());
        burst.push(t0.elapsed());
        let s = start.unwrap_or(0);
        let edit = doc.replace(s..s + 10, "");
        if let Some(t) = tree.as_mut() {
            syntax::apply_edit(t, &edit);
        }
        tree = syntax::parse_rope(lang, doc.rope(), tree.as_ref());
    }
    if tree.as_ref().is_some_and(|t| t.root_node().has_error()) {
        println!("  (the tree has an error after the run: the edits did not keep the file valid)");
    }
    summary("apply change + edit tree", apply);
    summary("incremental reparse", parse);
    summary("didChange + reparse (one change)", total);
    summary("burst of 10 changes + one reparse", burst);
}

fn main() {
    run(Lang::Rust, &bench::rust_source(2_000));
    run(Lang::Rust, &bench::rust_source(20_000));
    run(Lang::Python, &bench::python_source(20_000));
}
