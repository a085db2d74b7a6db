//! Keeping command output within bounds: `HeadTail` captures a stream up to a cap (its
//! first and last halves, counting what falls in between), `truncate_middle` cuts a text
//! for the model keeping head and tail, and `format_exec_output` renders a finished command
//! the way models know it (`Exit code`, `Wall time`, `Total output lines`, `Output`).
//!
//! Shared by the interim shell and, later, the sandboxed runner. No processes here.

use std::collections::VecDeque;
use std::fmt::Write;
use std::time::Duration;

/// Bytes captured per stream.
pub const CAPTURE_CAP_BYTES: usize = 1024 * 1024;
/// Bytes of a command's output shown to the model.
pub const DEFAULT_MODEL_OUTPUT_BYTES: usize = 10_000;

/// A bounded capture of a byte stream: the first `cap / 2` bytes, the last `cap / 2`, and
/// counts of everything.
#[derive(Clone, Debug)]
pub struct HeadTail {
    cap: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    total: u64,
    newlines: u64,
    last: Option<u8>,
}

impl HeadTail {
    pub fn new(cap: usize) -> HeadTail {
        HeadTail { cap, head: Vec::new(), tail: VecDeque::new(), total: 0, newlines: 0, last: None }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        self.newlines += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        if let Some(&b) = bytes.last() {
            self.last = Some(b);
        }
        let head_cap = self.cap / 2;
        let room = head_cap.saturating_sub(self.head.len());
        let (to_head, rest) = bytes.split_at(room.min(bytes.len()));
        self.head.extend_from_slice(to_head);
        let tail_cap = self.cap - head_cap;
        if rest.len() >= tail_cap {
            self.tail.clear();
            self.tail.extend(&rest[rest.len() - tail_cap..]);
        } else {
            let overflow = (self.tail.len() + rest.len()).saturating_sub(tail_cap);
            self.tail.drain(..overflow);
            self.tail.extend(rest);
        }
    }

    /// Bytes seen in total.
    pub fn total_bytes(&self) -> u64 {
        self.total
    }

    /// Bytes dropped between head and tail.
    pub fn omitted_bytes(&self) -> u64 {
        self.total - (self.head.len() + self.tail.len()) as u64
    }

    /// Lines seen in total (a last line without a line end counts).
    pub fn total_lines(&self) -> u64 {
        self.newlines + u64::from(self.last.is_some_and(|b| b != b'\n'))
    }

    /// The captured text (invalid UTF-8 replaced), with a marker where bytes were dropped.
    pub fn text(&self) -> String {
        let mut out = String::from_utf8_lossy(&self.head).into_owned();
        let omitted = self.omitted_bytes();
        if omitted > 0 {
            let _ = write!(out, "\n…{omitted} bytes not captured…\n");
        }
        let (a, b) = self.tail.as_slices();
        let mut tail = Vec::with_capacity(a.len() + b.len());
        tail.extend_from_slice(a);
        tail.extend_from_slice(b);
        out.push_str(&String::from_utf8_lossy(&tail));
        out
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `text` cut to about `max_bytes` keeping the head and the tail (half each), at line ends
/// where one is near, with a `…N bytes truncated…` marker. Returns the text unchanged when
/// it fits.
pub fn truncate_middle(text: &str, max_bytes: usize) -> (String, bool) {
    if text.len() <= max_bytes {
        return (text.to_string(), false);
    }
    let half = max_bytes / 2;
    let mut head_end = floor_char_boundary(text, half);
    // Prefer to cut after a line end within the last quarter of the head.
    if let Some(nl) = text[..head_end].rfind('\n').filter(|&nl| nl + 1 >= head_end - head_end / 4) {
        head_end = nl + 1;
    }
    let mut tail_start = floor_char_boundary(text, text.len() - half);
    if let Some(nl) = text[tail_start..].find('\n').filter(|&nl| nl < half / 4) {
        tail_start += nl + 1;
    }
    let tail_start = tail_start.max(head_end);
    let omitted = tail_start - head_end;
    let mut out = String::with_capacity(max_bytes + 40);
    out.push_str(&text[..head_end]);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let _ = writeln!(out, "…{omitted} bytes truncated…");
    out.push_str(&text[tail_start..]);
    (out, true)
}

/// A finished command, as reported to the model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecSummary {
    pub exit_code: i32,
    pub wall_time: Duration,
    /// stdout and stderr interleaved as they arrived.
    pub output: String,
    /// Lines of the whole output, including what the capture dropped.
    pub total_lines: u64,
    /// Set when the capture dropped bytes.
    pub capture_truncated: bool,
}

/// `Exit code: X\nWall time: Y seconds\n[Total output lines: N\n]Output:\n...`, the output
/// cut to `max_bytes` (head and tail). The line count appears when anything was cut.
pub fn format_exec_output(summary: &ExecSummary, max_bytes: usize) -> String {
    let (body, cut) = truncate_middle(&summary.output, max_bytes);
    let mut out = String::new();
    let _ = writeln!(out, "Exit code: {}", summary.exit_code);
    let _ = writeln!(out, "Wall time: {:.1} seconds", summary.wall_time.as_secs_f64());
    if cut || summary.capture_truncated {
        let _ = writeln!(out, "Total output lines: {}", summary.total_lines);
    }
    out.push_str("Output:\n");
    out.push_str(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn head_tail_keeps_both_ends() {
        let mut h = HeadTail::new(8);
        h.push(b"abc");
        h.push(b"defghij\nklm");
        assert_eq!(h.total_bytes(), 14);
        assert_eq!(h.omitted_bytes(), 6);
        assert_eq!(h.total_lines(), 2);
        assert_eq!(h.text(), "abcd\n…6 bytes not captured…\n\nklm");
        let mut small = HeadTail::new(100);
        small.push(b"one\ntwo\n");
        assert_eq!((small.text().as_str(), small.total_lines()), ("one\ntwo\n", 2));
    }

    #[test]
    fn truncation_cuts_at_lines() {
        let text: String = (1..=40).map(|i| format!("line {i}\n")).collect();
        let (cut, truncated) = truncate_middle(&text, 60);
        assert!(truncated);
        expect![[r#"
            line 1
            line 2
            line 3
            line 4
            …259 bytes truncated…
            line 38
            line 39
            line 40
        "#]]
        .assert_eq(&cut);
        assert_eq!(truncate_middle("short", 60), ("short".to_string(), false));
        // Multi-byte characters are never split.
        let (cut, _) = truncate_middle(&"é".repeat(100), 21);
        assert!(cut.contains("truncated"));
    }

    #[test]
    fn exec_output_format() {
        let s = ExecSummary {
            exit_code: 1,
            wall_time: Duration::from_millis(1234),
            output: (1..=30).map(|i| format!("{i}\n")).collect(),
            total_lines: 30,
            capture_truncated: false,
        };
        expect![[r#"
            Exit code: 1
            Wall time: 1.2 seconds
            Total output lines: 30
            Output:
            1
            2
            3
            4
            5
            …62 bytes truncated…
            28
            29
            30
        "#]]
        .assert_eq(&format_exec_output(&s, 20));
    }
}
