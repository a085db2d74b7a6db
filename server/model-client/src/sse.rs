//! An incremental Server-Sent Events parser over byte chunks, following the WHATWG HTML
//! "event stream interpretation" algorithm: LF, CR and CRLF line ends (a CRLF may be split across
//! chunks), a leading UTF-8 BOM (also when split), `:` comments, `field: value` with one optional
//! space, multi-line `data` joined with `\n`, `event`, `id` (ignored when it holds NUL) and `retry`
//! (digits only). An event is dispatched at a blank line; an empty data buffer dispatches nothing,
//! and an unterminated event at end of stream is discarded.
//!
//! Each byte is looked at once: complete lines are parsed straight from the chunk, and only the
//! tail of a line cut by a chunk boundary is copied (so there is no quadratic rescanning).
//!
//! Deliberately not here: JSON, the meaning of event types, reconnection (the `retry` and
//! last-event-id values are kept but the client re-POSTs instead, because model APIs cannot resume
//! a generation), and any I/O.

/// One dispatched event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, or `"message"` when the event had none.
    pub event: String,
    /// The `data:` lines joined with `\n` (without the final newline).
    pub data: String,
    /// The last event id seen so far in the stream (the spec's "last event ID buffer").
    pub id: Option<String>,
}

/// What the parser rejects: a single event larger than the limit (a broken or hostile server).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SseTooLarge {
    pub limit: usize,
}

/// The incremental parser. Feed chunks in order; dispatched events are appended to `out`.
#[derive(Debug)]
pub struct SseParser {
    /// Bytes of the current line that arrived in earlier chunks.
    line: Vec<u8>,
    /// The previous chunk ended with CR: a leading LF of the next chunk belongs to that CR.
    after_cr: bool,
    /// How many bytes of a leading BOM have been matched; `None` once past the stream start.
    bom_state: Option<usize>,
    event: String,
    data: String,
    /// Whether any `data` field was seen for the pending event (data may legitimately be empty).
    has_data: bool,
    last_id: Option<String>,
    retry_ms: Option<u64>,
    max_event_bytes: usize,
}

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

impl Default for SseParser {
    fn default() -> Self {
        SseParser::new()
    }
}

impl SseParser {
    /// Events (or lines) larger than this are rejected: 64 MiB, far above any real delta.
    pub const DEFAULT_MAX_EVENT_BYTES: usize = 64 << 20;

    pub fn new() -> SseParser {
        SseParser::with_limit(SseParser::DEFAULT_MAX_EVENT_BYTES)
    }

    pub fn with_limit(max_event_bytes: usize) -> SseParser {
        SseParser {
            line: Vec::new(),
            after_cr: false,
            bom_state: Some(0),
            event: String::new(),
            data: String::new(),
            has_data: false,
            last_id: None,
            retry_ms: None,
            max_event_bytes,
        }
    }

    /// The last `retry:` value, in milliseconds.
    pub fn retry_ms(&self) -> Option<u64> {
        self.retry_ms
    }

    /// Parses one chunk, appending every event it completes to `out`.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseTooLarge> {
        if let Some(matched) = self.bom_state {
            chunk = self.skip_bom(matched, chunk);
            if self.bom_state.is_some() {
                return Ok(());
            }
        }
        if self.after_cr && !chunk.is_empty() {
            self.after_cr = false;
            if chunk[0] == b'\n' {
                chunk = &chunk[1..];
            }
        }
        let mut start = 0;
        while let Some(offset) = chunk[start..].iter().position(|&b| b == b'\n' || b == b'\r') {
            let end = start + offset;
            if self.line.is_empty() {
                self.process_line(&chunk[start..end], out)?;
            } else {
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(&chunk[start..end]);
                self.process_line(&line, out)?;
                line.clear();
                self.line = line;
            }
            start = end + 1;
            if chunk[end] == b'\r' {
                match chunk.get(start) {
                    Some(b'\n') => start += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        let rest = &chunk[start..];
        if self.line.len() + rest.len() > self.max_event_bytes {
            return Err(SseTooLarge { limit: self.max_event_bytes });
        }
        self.line.extend_from_slice(rest);
        Ok(())
    }

    /// Ends the stream. Returns whether an unterminated event (or line) was discarded, as the spec
    /// requires; callers may log it.
    pub fn finish(&mut self) -> bool {
        let discarded = !self.line.is_empty() || self.has_data;
        self.line.clear();
        self.data.clear();
        self.event.clear();
        self.has_data = false;
        discarded
    }

    /// Consumes the part of a BOM at the start of `chunk`. Leaves `bom_state` at `Some` only when the
    /// chunk ended inside a (so far matching) BOM; bytes that turn out not to be a BOM are replayed.
    fn skip_bom<'c>(&mut self, matched: usize, chunk: &'c [u8]) -> &'c [u8] {
        let mut m = matched;
        let mut i = 0;
        while m < BOM.len() && i < chunk.len() {
            if chunk[i] != BOM[m] {
                // Not a BOM: replay the bytes matched in earlier chunks as line content.
                self.bom_state = None;
                self.line.extend_from_slice(&BOM[..matched]);
                return chunk;
            }
            m += 1;
            i += 1;
        }
        if m == BOM.len() {
            self.bom_state = None;
        } else {
            self.bom_state = Some(m);
        }
        &chunk[i..]
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<SseEvent>) -> Result<(), SseTooLarge> {
        if line.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(());
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        match field {
            b"data" => {
                if self.data.len() + value.len() > self.max_event_bytes {
                    return Err(SseTooLarge { limit: self.max_event_bytes });
                }
                if self.has_data {
                    self.data.push('\n');
                }
                push_utf8(&mut self.data, value);
                self.has_data = true;
            }
            b"event" => {
                self.event.clear();
                push_utf8(&mut self.event, value);
            }
            b"id" if !value.contains(&0) => {
                let mut id = String::new();
                push_utf8(&mut id, value);
                self.last_id = Some(id);
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // Digits only, so this is valid UTF-8; an overflowing value is ignored.
                self.retry_ms = std::str::from_utf8(value).ok().and_then(|s| s.parse().ok()).or(self.retry_ms);
            }
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self, out: &mut Vec<SseEvent>) {
        if !self.has_data {
            // "If the data buffer is an empty string, set the data buffer and the event type buffer
            // to the empty string and return."
            self.event.clear();
            return;
        }
        let event = if self.event.is_empty() { "message".to_string() } else { std::mem::take(&mut self.event) };
        out.push(SseEvent { event, data: std::mem::take(&mut self.data), id: self.last_id.clone() });
        self.has_data = false;
    }
}

/// Appends bytes decoded as UTF-8, replacing invalid sequences (the spec decodes with replacement).
/// Lines are split only at CR and LF, which never occur inside a multi-byte sequence, so decoding
/// line by line is exact.
fn push_utf8(s: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => s.push_str(text),
        Err(_) => s.push_str(&String::from_utf8_lossy(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_chunks(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, &mut out).unwrap();
        }
        p.finish();
        out
    }

    /// Every split point of the input, and byte-by-byte, gives the same events as one chunk.
    fn check_all_splits(input: &[u8]) -> Vec<SseEvent> {
        let whole = parse_chunks(&[input]);
        for i in 0..=input.len() {
            assert_eq!(parse_chunks(&[&input[..i], &input[i..]]), whole, "split at {i}");
        }
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(parse_chunks(&bytes), whole, "byte by byte");
        whole
    }

    #[test]
    fn line_ends_bom_comments_and_multiline_data() {
        let input = b"\xEF\xBB\xBF: comment\r\nevent: a\r\ndata: x\rdata:y\n\nid: 7\ndata\n\nretry: 10\ndata: z\r\n\r\n";
        let events = check_all_splits(input);
        assert_eq!(
            events,
            vec![
                SseEvent { event: "a".into(), data: "x\ny".into(), id: None },
                SseEvent { event: "message".into(), data: "".into(), id: Some("7".into()) },
                SseEvent { event: "message".into(), data: "z".into(), id: Some("7".into()) },
            ]
        );
    }

    #[test]
    fn event_without_data_and_unterminated_event_are_not_dispatched() {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        p.feed(b"event: ping\n\ndata: partial", &mut out).unwrap();
        assert!(out.is_empty());
        assert!(p.finish());
    }

    #[test]
    fn a_non_bom_prefix_is_replayed() {
        // A lone 0xEF is not a BOM: it stays in the line, which then names an unknown field.
        assert!(parse_chunks(&[b"\xEF", b"data: a\n\n"]).is_empty());
        assert_eq!(parse_chunks(&[b"\xEF", b"\xBB", b"\xBFdata: a\n\n"])[0].data, "a");
        // Only the first BOM of a stream is skipped.
        assert!(parse_chunks(&[b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\n"]).is_empty());
    }

    #[test]
    fn oversized_events_are_rejected() {
        let mut p = SseParser::with_limit(8);
        let mut out = Vec::new();
        assert_eq!(p.feed(b"data: 0123456789", &mut out), Err(SseTooLarge { limit: 8 }));
    }
}
