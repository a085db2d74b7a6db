//! Transport faults observed from a raw TCP client: chunk splitting, framing variants, aborts, hangs,
//! HTTP status answers, latency, malformed events, huge deltas, and the raw escape hatch.
//!
//! Timing assertions are lower bounds only; nothing here sleeps to synchronize.

mod common;

use std::time::{Duration, Instant};

use common::{chat, event_types, responses, Conn, TIMEOUT};
use mock_model::{Faults, MockServer, Output, Script, StatusFault, Turn};
use serde_json::{json, Value};

fn faulty(faults: Faults) -> Turn {
    Turn::new([Output::message("one two three four five six"), Output::function_call("f", "c", r#"{"a":1}"#)]).faults(faults)
}

fn data_values(reply: &common::Reply) -> Vec<Value> {
    reply.events().iter().map(|e| if e.data == "[DONE]" { json!("[DONE]") } else { e.json() }).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunk_size_splits_the_body_into_many_chunks() {
    let script = Script::new([faulty(Faults::default()), faulty(Faults { chunk_size: Some(7), ..Faults::default() })]);
    let server = MockServer::start(script).await.unwrap();
    let plain = responses(server.addr()).await;
    let chunked = responses(server.addr()).await;
    assert_eq!(plain.chunks.len(), plain.events().len(), "one chunk per event by default");
    assert!(chunked.chunks.len() > plain.chunks.len() * 3);
    assert!(chunked.chunks.iter().all(|c| c.len() <= 7));
    // Same events apart from the ids that carry the turn serial.
    let strip = |text: String| text.replace("_mock_1", "_mock_N").replace("_mock_2", "_mock_N");
    assert_eq!(strip(chunked.text()), strip(plain.text()));
}

#[tokio::test]
async fn crlf_comments_and_multiline_data_parse_to_the_same_events() {
    let odd = Faults { crlf: true, comments: true, multiline_data: true, ..Faults::default() };
    let script = Script::new([faulty(Faults::default()), faulty(odd.clone()), faulty(Faults::default()), faulty(odd)]);
    let server = MockServer::start(script).await.unwrap();
    let plain = responses(server.addr()).await;
    let framed = responses(server.addr()).await;
    let text = framed.text();
    assert!(text.contains("\r\n") && !text.replace("\r\n", "").contains('\n'));
    assert!(text.starts_with(": keep-alive\r\nevent: response.created\r\ndata: {\r\n"));
    let renumber = |values: Vec<Value>| serde_json::to_string(&values).unwrap().replace("_mock_2", "_mock_1");
    assert_eq!(renumber(data_values(&framed)), renumber(data_values(&plain)));
    event_types(&framed.events());

    let plain = chat(server.addr(), false).await;
    let framed = chat(server.addr(), false).await;
    assert!(framed.text().ends_with(": keep-alive\r\ndata: [DONE]\r\n\r\n"));
    let renumber = |values: Vec<Value>| serde_json::to_string(&values).unwrap().replace("-mock-4", "-mock-3");
    assert_eq!(renumber(data_values(&framed)), renumber(data_values(&plain)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_aborts_the_connection_mid_body() {
    let script = Script::new([faulty(Faults { disconnect_after_events: Some(3), ..Faults::default() })]);
    let server = MockServer::start(script).await.unwrap();
    let mut conn = Conn::connect(server.addr()).await;
    conn.send("POST", "/v1/responses", r#"{"model":"m","input":[],"stream":true}"#).await;
    let reply = tokio::time::timeout(TIMEOUT, conn.reply()).await.unwrap();
    assert_eq!(reply.status, 200);
    assert!(!reply.complete, "no terminating chunk");
    assert_eq!(reply.events().len(), 3);
    assert!(conn.at_eof().await);
    let closed = server.wait_connection_closed(0, TIMEOUT).await.unwrap();
    assert!(closed >= server.connections()[0].opened);
}

#[tokio::test]
async fn hang_keeps_the_connection_open_until_the_client_leaves() {
    let script = Script::new([faulty(Faults { hang_after_events: Some(2), ..Faults::default() })]);
    let server = MockServer::start(script).await.unwrap();
    let mut conn = Conn::connect(server.addr()).await;
    conn.send("POST", "/v1/responses", r#"{"model":"m","input":[],"stream":true}"#).await;
    let (status, _) = conn.head().await;
    assert_eq!(status, 200);
    let mut body = Vec::new();
    while common::parse_sse(&String::from_utf8_lossy(&body)).len() < 2 {
        body.extend(tokio::time::timeout(TIMEOUT, conn.chunk()).await.unwrap().unwrap().unwrap());
    }
    assert!(tokio::time::timeout(Duration::from_millis(300), conn.chunk()).await.is_err(), "nothing after the hang point");
    assert_eq!(server.connections()[0].closed, None);
    // The client cancels by closing the socket; the server notices mid-response.
    let dropped = Instant::now();
    drop(conn);
    let closed = server.wait_connection_closed(0, TIMEOUT).await.unwrap();
    assert!(closed >= dropped);
}

#[tokio::test]
async fn status_faults_with_retry_after_and_headers() {
    let rate_limited = Turn::default()
        .faults(Faults {
            status: Some(StatusFault {
                code: 429,
                body: Some(json!({"error": {"type": "usage_limit_reached", "message": "limit", "resets_at": 1700000600}})),
                retry_after: Some("7".into()),
            }),
            ..Faults::default()
        })
        .header("x-codex-primary-used-percent", "100");
    let script = Script::new([
        rate_limited,
        Turn::default().faults(Faults {
            status: Some(StatusFault { code: 503, body: Some(json!("overloaded")), retry_after: None }),
            ..Faults::default()
        }),
        Turn::default().faults(Faults { status: Some(StatusFault { code: 500, body: None, retry_after: None }), ..Faults::default() }),
    ]);
    let server = MockServer::start(script).await.unwrap();
    let reply = responses(server.addr()).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("retry-after"), Some("7"));
    assert_eq!(reply.header("x-codex-primary-used-percent"), Some("100"));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.json()["error"]["type"], "usage_limit_reached");

    let reply = chat(server.addr(), false).await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.text(), "overloaded");
    assert_eq!(reply.header("retry-after"), None);

    let reply = responses(server.addr()).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.json()["error"]["code"], "mock_status_fault");
}

#[tokio::test]
async fn response_headers_on_streams_and_latency() {
    let turn =
        Turn::message("hi").header("x-ratelimit-remaining-requests", "42").faults(Faults { latency_ms: Some(150), ..Faults::default() });
    let server = MockServer::start(Script::new([turn])).await.unwrap();
    let started = Instant::now();
    let reply = responses(server.addr()).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(reply.header("x-ratelimit-remaining-requests"), Some("42"));
    assert_eq!(reply.header("x-request-id"), Some("req_mock_1"));
}

#[tokio::test]
async fn event_delay_spaces_events() {
    let turn = Turn::message("a b").faults(Faults { event_delay_ms: Some(10), ..Faults::default() });
    let server = MockServer::start(Script::new([turn])).await.unwrap();
    let started = Instant::now();
    let events = responses(server.addr()).await.events().len();
    assert!(started.elapsed() >= Duration::from_millis(10 * (events as u64 - 1)));
}

#[tokio::test]
async fn malformed_event_is_not_json() {
    let faults = Faults { malformed_event_at: Some(2), ..Faults::default() };
    let server = MockServer::start(Script::new([faulty(faults.clone()), faulty(faults)])).await.unwrap();
    for reply in [responses(server.addr()).await, chat(server.addr(), false).await] {
        let events = reply.events();
        assert!(serde_json::from_str::<Value>(&events[2].data).is_err());
        assert!(events
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 2)
            .all(|(_, e)| e.data == "[DONE]" || serde_json::from_str::<Value>(&e.data).is_ok()));
    }
}

#[tokio::test]
async fn huge_delta_and_delta_pieces() {
    let huge = Faults { huge_delta_bytes: Some(1 << 20), ..Faults::default() };
    let one_piece = Faults { delta_pieces: Some(1), ..Faults::default() };
    let script = Script::new([faulty(huge.clone()), faulty(huge), faulty(one_piece)]);
    let server = MockServer::start(script).await.unwrap();
    let events: Vec<Value> = responses(server.addr()).await.events().iter().map(|e| e.json()).collect();
    let big = events.iter().filter(|d| d["type"] == "response.output_text.delta" && d["output_index"] == 2).collect::<Vec<_>>();
    assert_eq!(big.len(), 1);
    assert_eq!(big[0]["delta"].as_str().unwrap().len(), 1 << 20);
    let chunks = data_values(&chat(server.addr(), false).await);
    assert!(chunks.iter().any(|c| c["choices"][0]["delta"]["content"].as_str().is_some_and(|s| s.len() == 1 << 20)));
    let events: Vec<Value> = responses(server.addr()).await.events().iter().map(|e| e.json()).collect();
    let count = |kind: &str| events.iter().filter(|d| d["type"] == kind).count();
    assert_eq!(count("response.output_text.delta"), 1);
    assert_eq!(count("response.function_call_arguments.delta"), 1);
}

#[tokio::test]
async fn raw_sse_is_served_verbatim() {
    let raw =
        "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r\"}}\n\nevent: weird\ndata: not json\n\n";
    let server = MockServer::start(Script::new([Turn::raw_sse(raw)])).await.unwrap();
    let reply = responses(server.addr()).await;
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    assert_eq!(reply.text(), raw);
}
