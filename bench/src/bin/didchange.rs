//! didChange + incremental reparse on a 20,000-line Rust file, as the document actor does it:
//! apply the change to the rope, edit the tree, re-parse incrementally. Prints p50/p99/max
//! for single-character typing at spread-out positions, and for comparison a full parse.
//! Run: cargo run --release -p bench --bin didchange

use std::time::{Duration, Instant};
use syntax::Lang;
use text::{Document, LineCol, PositionEncoding};

fn main() {
    let src = bench::rust_source(20_000);
    let lines = src.lines().count();
    let mut doc = Document::new(&src, 1);
    let t = Instant::now();
    let mut tree = syntax::parse_rope(Lang::Rust, doc.rope(), None);
    let full = t.elapsed();
    let mut samples = Vec::new();
    let mut symbol_samples = Vec::new();
    let n = 2000;
    for i in 0..n {
        // Type inside function bodies across the file, alternating insert and delete.
        let line = ((i * 7919) % (lines - 10)) as u32 + 5;
        let start = Instant::now();
        let range = if i % 2 == 0 { (LineCol::new(line, 4), LineCol::new(line, 4)) } else { (LineCol::new(line - 0, 4), LineCol::new(line, 5)) };
        let text = if i % 2 == 0 { "x" } else { "" };
        let Ok(edit) = doc.apply_change(Some(range), text, PositionEncoding::Utf16) else { continue };
        if let Some(t) = tree.as_mut() {
            syntax::apply_edit(t, &edit);
        }
        tree = syntax::parse_rope(Lang::Rust, doc.rope(), tree.as_ref());
        samples.push(start.elapsed());
        if i % 100 == 0 {
            let s = Instant::now();
            if let Some(t) = &tree {
                std::hint::black_box(syntax::symbols_rope(Lang::Rust, t, doc.rope()));
            }
            symbol_samples.push(s.elapsed());
        }
    }
    samples.sort();
    symbol_samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("file: {lines} lines, {} bytes", src.len());
    println!("full parse: {:.2} ms", ms(full));
    println!(
        "didChange + incremental reparse ({} samples): p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        samples.len(),
        ms(bench::percentile(&samples, 50.0)),
        ms(bench::percentile(&samples, 99.0)),
        ms(*samples.last().unwrap_or(&Duration::ZERO))
    );
    println!(
        "symbols of the whole file ({} samples): p50 {:.2} ms, p99 {:.2} ms",
        symbol_samples.len(),
        ms(bench::percentile(&symbol_samples, 50.0)),
        ms(bench::percentile(&symbol_samples, 99.0))
    );
}
