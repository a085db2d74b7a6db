//! SSE byte framing and transport faults: turns rendered events into the timed pieces of a response body,
//! and those pieces into a hyper body stream.
//!
//! Everything about *how* bytes travel lives here (line endings, comments, multi-line data, chunking,
//! delays, aborts, hangs, malformed events). It deliberately knows nothing of either dialect's semantics.

use std::time::Duration;

use bytes::Bytes;
use futures::Stream;
use hyper::body::Frame;

use crate::render::SseEvent;
use crate::script::Faults;

/// One step of a response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Wait `delay`, then send `bytes` as one HTTP chunk, flushed on its own.
    Data { delay: Duration, bytes: Bytes },
    /// Abort the connection: the body errors, hyper drops the socket without a terminating chunk.
    Abort,
    /// Send nothing more and never finish, keeping the connection open.
    Hang,
}

/// The data lines of the `malformed_event_at` fault: JSON cut off mid-object, per dialect.
const MALFORMED_RESPONSES: &str = r#"{"type":"response.output_text.delta","delta":"#;
const MALFORMED_CHAT: &str = r#"{"object":"chat.completion.chunk","choices":[{"#;

/// Frames `events` as SSE and applies every transport fault of `faults`.
pub fn pieces(events: &[SseEvent], faults: &Faults) -> Vec<Piece> {
    let mut blocks: Vec<Vec<u8>> = events.iter().map(|event| frame(event, faults)).collect();
    if let Some(at) = faults.malformed_event_at {
        // Named events mean the Responses dialect; chat events are unnamed.
        let malformed = if events.iter().any(|event| event.event.is_some()) {
            SseEvent { event: Some("response.output_text.delta".to_owned()), data: MALFORMED_RESPONSES.to_owned() }
        } else {
            SseEvent { event: None, data: MALFORMED_CHAT.to_owned() }
        };
        // Framed without multiline_data: pretty-printing needs valid JSON.
        let faults = Faults { multiline_data: false, ..faults.clone() };
        blocks.insert(at.min(blocks.len()), frame(&malformed, &faults));
    }
    let cut = [faults.disconnect_after_events, faults.hang_after_events].into_iter().flatten().min();
    let tail = match cut {
        Some(n) if n <= blocks.len() => {
            blocks.truncate(n);
            let abort_first = faults.disconnect_after_events == Some(n);
            Some(if abort_first { Piece::Abort } else { Piece::Hang })
        }
        _ => None,
    };
    let mut out = timed(blocks, faults);
    out.extend(tail);
    out
}

/// Raw bytes (the `raw_sse` escape hatch) with only chunking, delays, disconnect and hang applied; the
/// event counts of disconnect and hang are counted in blank-line-terminated blocks.
pub fn raw_pieces(raw: &str, faults: &Faults) -> Vec<Piece> {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    let mut rest = raw;
    while let Some(end) = rest.find("\n\n") {
        blocks.push(rest.as_bytes()[..end + 2].to_vec());
        rest = &rest[end + 2..];
    }
    if !rest.is_empty() {
        blocks.push(rest.as_bytes().to_vec());
    }
    let cut = [faults.disconnect_after_events, faults.hang_after_events].into_iter().flatten().min();
    let mut tail = None;
    if let Some(n) = cut.filter(|n| *n <= blocks.len()) {
        blocks.truncate(n);
        tail = Some(if faults.disconnect_after_events == Some(n) { Piece::Abort } else { Piece::Hang });
    }
    let mut out = timed(blocks, faults);
    out.extend(tail);
    out
}

/// One event block: optional comment, `event:` line, `data:` line(s), blank line.
fn frame(event: &SseEvent, faults: &Faults) -> Vec<u8> {
    let mut lines: Vec<String> = Vec::new();
    if faults.comments {
        lines.push(": keep-alive".to_owned());
    }
    if let Some(name) = &event.event {
        lines.push(format!("event: {name}"));
    }
    let pretty = if faults.multiline_data {
        serde_json::from_str::<serde_json::Value>(&event.data).ok().and_then(|value| serde_json::to_string_pretty(&value).ok())
    } else {
        None
    };
    match pretty {
        Some(pretty) => lines.extend(pretty.lines().map(|line| format!("data: {line}"))),
        None => lines.push(format!("data: {}", event.data)),
    }
    let newline = if faults.crlf { "\r\n" } else { "\n" };
    let mut block = lines.join(newline);
    block.push_str(newline);
    block.push_str(newline);
    block.into_bytes()
}

/// Splits blocks into timed pieces: one per block, or `chunk_size`-byte pieces across block boundaries.
fn timed(blocks: Vec<Vec<u8>>, faults: &Faults) -> Vec<Piece> {
    let delay = Duration::from_millis(faults.event_delay_ms.unwrap_or(0));
    let units: Vec<Vec<u8>> = match faults.chunk_size {
        Some(size) if size > 0 => blocks.concat().chunks(size).map(<[u8]>::to_vec).collect(),
        _ => blocks,
    };
    units
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| Piece::Data { delay: if i == 0 { Duration::ZERO } else { delay }, bytes: Bytes::from(bytes) })
        .collect()
}

/// The hyper body stream playing `pieces`.
pub fn body_stream(pieces: Vec<Piece>) -> impl Stream<Item = Result<Frame<Bytes>, std::io::Error>> + Send + 'static {
    futures::stream::unfold(pieces.into_iter(), |mut pieces| async move {
        match pieces.next()? {
            Piece::Data { delay, bytes } => {
                if delay.is_zero() {
                    // Returning Pending once makes hyper flush what it has buffered, so every piece leaves
                    // in its own write instead of being coalesced with the next.
                    tokio::task::yield_now().await;
                } else {
                    tokio::time::sleep(delay).await;
                }
                Some((Ok(Frame::data(bytes)), pieces))
            }
            Piece::Abort => {
                // Let hyper flush the events before the abort, as a server dying mid-stream would have sent them.
                tokio::task::yield_now().await;
                let error = std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "mock-model: disconnect_after_events");
                Some((Err(error), pieces))
            }
            Piece::Hang => {
                futures::future::pending::<()>().await;
                None
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events() -> Vec<SseEvent> {
        (0..3).map(|i| SseEvent { event: Some(format!("e{i}")), data: format!(r#"{{"i":{i},"s":"x"}}"#) }).collect()
    }

    fn text(pieces: &[Piece]) -> String {
        let mut out = String::new();
        for piece in pieces {
            match piece {
                Piece::Data { bytes, .. } => out.push_str(std::str::from_utf8(bytes).unwrap()),
                Piece::Abort => out.push_str("<abort>"),
                Piece::Hang => out.push_str("<hang>"),
            }
        }
        out
    }

    #[test]
    fn frames_with_faults() {
        let plain = pieces(&events(), &Faults::default());
        assert_eq!(plain.len(), 3);
        assert_eq!(text(&plain[..1]), "event: e0\ndata: {\"i\":0,\"s\":\"x\"}\n\n");

        let faults = Faults { crlf: true, comments: true, multiline_data: true, ..Faults::default() };
        assert_eq!(
            text(&pieces(&events()[..1], &faults)),
            ": keep-alive\r\nevent: e0\r\ndata: {\r\ndata:   \"i\": 0,\r\ndata:   \"s\": \"x\"\r\ndata: }\r\n\r\n"
        );

        let faults = Faults { malformed_event_at: Some(1), disconnect_after_events: Some(2), ..Faults::default() };
        let cut = pieces(&events(), &faults);
        assert_eq!(cut.len(), 3);
        assert!(
            text(&cut).contains("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\n\n<abort>")
        );

        let faults = Faults { hang_after_events: Some(1), disconnect_after_events: Some(2), ..Faults::default() };
        assert_eq!(pieces(&events(), &faults).last(), Some(&Piece::Hang));

        let faults = Faults { chunk_size: Some(5), event_delay_ms: Some(3), ..Faults::default() };
        let chunked = pieces(&events(), &faults);
        assert_eq!(text(&chunked), text(&plain));
        assert!(chunked.iter().all(|p| matches!(p, Piece::Data { bytes, .. } if bytes.len() <= 5)));
        assert!(matches!(chunked[1], Piece::Data { delay, .. } if delay == Duration::from_millis(3)));
    }

    #[test]
    fn raw_is_verbatim() {
        let raw = "event: a\ndata: {}\n\nevent: b\ndata: {\n\ntrailing";
        assert_eq!(text(&raw_pieces(raw, &Faults::default())), raw);
        let faults = Faults { hang_after_events: Some(1), ..Faults::default() };
        assert_eq!(text(&raw_pieces(raw, &faults)), "event: a\ndata: {}\n\n<hang>");
    }
}
