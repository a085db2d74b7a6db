//! SSE parser scenarios: every `tests/sse/NNN_name/input.sse` is parsed in one chunk, split at every
//! byte offset, and byte by byte; all must give the events in `expected.txt` (one per line, then
//! the last `retry` value and whether an unterminated event was discarded). `UPDATE_EXPECT=1`
//! rewrites the expected files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use model_client::sse::{SseEvent, SseParser};
use std::path::{Path, PathBuf};

fn parse(chunks: &[&[u8]]) -> (Vec<SseEvent>, Option<u64>, bool) {
    let mut parser = SseParser::new();
    let mut out = Vec::new();
    for chunk in chunks {
        parser.feed(chunk, &mut out).unwrap();
    }
    let retry = parser.retry_ms();
    let discarded = parser.finish();
    (out, retry, discarded)
}

fn render((events, retry, discarded): &(Vec<SseEvent>, Option<u64>, bool)) -> String {
    let mut s = String::new();
    for e in events {
        s.push_str(&format!("event={} id={:?} data={:?}\n", e.event, e.id, e.data));
    }
    s.push_str(&format!("retry={retry:?} discarded_partial={discarded}\n"));
    s
}

#[test]
fn sse_scenarios() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sse");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    assert!(dirs.len() >= 20);
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for dir in &dirs {
        let input = std::fs::read(dir.join("input.sse")).unwrap();
        let whole = parse(&[&input]);
        for i in 0..=input.len() {
            assert_eq!(parse(&[&input[..i], &input[i..]]), whole, "{}: split at {i}", dir.display());
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(parse(&bytes), whole, "{}: byte by byte", dir.display());
        let got = render(&whole);
        let path = dir.join("expected.txt");
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if got != expected {
            if update {
                std::fs::write(&path, &got).unwrap();
            } else {
                failures.push(format!("--- {}\nexpected:\n{expected}got:\n{got}", dir.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
