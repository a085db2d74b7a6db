//! Client behaviour against the mock server that scenarios cannot show: the bytes and headers of the
//! requests (snapshots, both dialects), connection reuse, cancellation (token and drop, each closing
//! the connection within 100 ms of the mock's clock), and that tests never leave 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use agent_protocol::{CustomToolFormat, FunctionCallOutput, ReasoningSummary, ResponseItem, ThreadId, ToolSpec};
use futures::StreamExt;
use mock_model::{Faults, MockServer, Output, Script, Turn};
use model_client::{
    CancellationToken, ModelClient, ModelError, ModelRequest, Reasoning, ReasoningEffort, ReasoningSummaryMode, ResponseEvent, Verbosity,
    WireApi,
};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

fn full_request() -> ModelRequest {
    ModelRequest {
        model: "gpt-test".into(),
        instructions: "You are a coding agent.".into(),
        input: vec![
            ResponseItem::developer_text("sandbox: workspace-write"),
            ResponseItem::user_text("fix the bug"),
            ResponseItem::Reasoning {
                summary: vec![ReasoningSummary::SummaryText { text: "looking".into() }],
                content: None,
                encrypted_content: Some("enc".into()),
            },
            ResponseItem::assistant_text("Let me look."),
            ResponseItem::FunctionCall {
                name: "shell".into(),
                namespace: None,
                arguments: r#"{"command":["ls"]}"#.into(),
                call_id: "call_1".into(),
            },
            ResponseItem::CustomToolCall {
                name: "apply_patch".into(),
                input: "*** Begin Patch\n*** End Patch".into(),
                call_id: "call_2".into(),
            },
            ResponseItem::FunctionCallOutput { call_id: "call_1".into(), output: FunctionCallOutput::Text("a.rs".into()) },
            ResponseItem::CustomToolCallOutput { call_id: "call_2".into(), output: "Done!".into() },
            ResponseItem::Other,
        ],
        tools: vec![
            ToolSpec::Function {
                name: "shell".into(),
                description: "Runs a command.".into(),
                strict: false,
                parameters: json!({"type": "object", "properties": {"command": {"type": "array", "items": {"type": "string"}}}, "required": ["command"]}),
            },
            ToolSpec::Custom {
                name: "apply_patch".into(),
                description: "Edits files.".into(),
                format: Some(CustomToolFormat {
                    kind: "grammar".into(),
                    syntax: "lark".into(),
                    definition: "start: begin_patch hunk+ end_patch".into(),
                }),
            },
        ],
        parallel_tool_calls: true,
        reasoning: Some(Reasoning { effort: Some(ReasoningEffort::High), summary: Some(ReasoningSummaryMode::Auto) }),
        verbosity: Some(Verbosity::Medium),
        prompt_cache_key: Some("thread-42".into()),
        thread_id: Some(ThreadId::from("thread-42")),
    }
}

async fn client_for(server: &MockServer, wire: WireApi) -> ModelClient {
    ModelClient::new(common::provider(&server.base_url(), wire), common::fast_config()).unwrap()
}

/// The body as the mock received it, pretty-printed, and the headers that do not depend on the port.
fn recorded(server: &MockServer) -> (String, String) {
    let req = &server.model_requests()[0];
    let body = serde_json::to_string_pretty(&req.json()).unwrap();
    let mut headers: Vec<String> = req
        .headers
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "host" | "content-length"))
        .map(|(k, v)| match k.as_str() {
            "user-agent" => format!("{k}: {}", v.split(' ').next().unwrap_or_default()),
            _ => format!("{k}: {v}"),
        })
        .collect();
    headers.sort();
    (
        body,
        headers.join("\n")
            + &format!("\n{} {}{}\n", req.method, req.path, req.query.as_deref().map(|q| format!("?{q}")).unwrap_or_default()),
    )
}

#[tokio::test]
async fn responses_request_bytes_and_headers() {
    let server = MockServer::start(Script::new([Turn::message("ok")])).await.unwrap();
    std::env::set_var("CODELOOP_TEST_MODEL_CLIENT_KEY", "sk-test-123");
    let mut provider = common::provider(&server.base_url(), WireApi::Responses);
    provider.env_key = Some("CODELOOP_TEST_MODEL_CLIENT_KEY".into());
    provider.http_headers = Some([("x-extra".to_string(), "1".to_string())].into());
    provider.query_params = Some([("api-version".to_string(), "2025-04-01".to_string())].into());
    let client = ModelClient::new(provider, common::fast_config()).unwrap();
    let lines = common::collect(client.stream(&full_request(), CancellationToken::new()).unwrap()).await;
    assert!(lines.last().unwrap().starts_with("completed"), "{lines:?}");
    let (body, headers) = recorded(&server);
    expect_test::expect_file!["snapshots/recorded_responses_body.json"].assert_eq(&body);
    expect_test::expect![[r#"
        accept-encoding: zstd,gzip,br
        accept: text/event-stream
        authorization: Bearer sk-test-123
        content-type: application/json
        originator: codeloop
        session_id: thread-42
        user-agent: codeloop/0.1.0
        x-client-request-id: thread-42
        x-extra: 1
        POST /v1/responses?api-version=2025-04-01
    "#]]
    .assert_eq(&headers);
}

#[tokio::test]
async fn chat_request_bytes_and_headers() {
    let server = MockServer::start(Script::new([Turn::message("ok")])).await.unwrap();
    let client = client_for(&server, WireApi::Chat).await;
    let lines = common::collect(client.stream(&full_request(), CancellationToken::new()).unwrap()).await;
    assert!(lines.last().unwrap().starts_with("completed"), "{lines:?}");
    let (body, headers) = recorded(&server);
    expect_test::expect_file!["snapshots/recorded_chat_body.json"].assert_eq(&body);
    expect_test::expect![[r#"
        accept-encoding: zstd,gzip,br
        accept: text/event-stream
        content-type: application/json
        originator: codeloop
        session_id: thread-42
        user-agent: codeloop/0.1.0
        x-client-request-id: thread-42
        POST /v1/chat/completions
    "#]]
    .assert_eq(&headers);
}

#[tokio::test]
async fn requests_reuse_one_connection() {
    for wire in [WireApi::Responses, WireApi::Chat] {
        let server = MockServer::start(Script::new([Turn::message("one"), Turn::message("two"), Turn::message("three")])).await.unwrap();
        let client = client_for(&server, wire).await;
        for _ in 0..3 {
            let lines = common::collect(client.stream(&full_request(), CancellationToken::new()).unwrap()).await;
            assert!(lines.last().unwrap().starts_with("completed"), "{lines:?}");
        }
        let conns = server.connections();
        assert_eq!(conns.len(), 1, "{wire:?}: {conns:?}");
        assert_eq!(conns[0].requests, 3);
    }
}

/// A stream that hangs after two events, read up to the hang.
async fn hanging_stream(server: &MockServer, cancel: CancellationToken) -> model_client::ResponseStream {
    let client = client_for(server, WireApi::Responses).await;
    let mut stream = client.stream(&full_request(), cancel).unwrap();
    for _ in 0..2 {
        let ev = tokio::time::timeout(common::TIMEOUT, stream.next()).await.unwrap().unwrap().unwrap();
        assert!(!matches!(ev, ResponseEvent::Retrying { .. }), "{ev}");
    }
    stream
}

fn hanging_script() -> Script {
    Script::new([Turn::new([Output::message("a b c d")]).faults(Faults { hang_after_events: Some(4), ..Faults::default() })])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_the_token_closes_the_connection_within_100ms() {
    let server = MockServer::start(hanging_script()).await.unwrap();
    let cancel = CancellationToken::new();
    let mut stream = hanging_stream(&server, cancel.clone()).await;
    let reader = tokio::spawn(async move { stream.next().await.map(|r| r.map(|e| e.to_string())) });
    tokio::time::sleep(Duration::from_millis(20)).await; // the reader is parked on the socket
    let t0 = Instant::now();
    cancel.cancel();
    let item = tokio::time::timeout(common::TIMEOUT, reader).await.unwrap().unwrap();
    assert_eq!(item, Some(Err(ModelError::Cancelled)));
    let closed = server.wait_connection_closed(0, common::TIMEOUT).await.unwrap();
    let elapsed = closed.saturating_duration_since(t0);
    assert!(elapsed < Duration::from_millis(100), "connection closed {elapsed:?} after cancel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_stream_closes_the_connection_within_100ms() {
    let server = MockServer::start(hanging_script()).await.unwrap();
    let stream = hanging_stream(&server, CancellationToken::new()).await;
    let t0 = Instant::now();
    drop(stream);
    let closed = server.wait_connection_closed(0, common::TIMEOUT).await.unwrap();
    let elapsed = closed.saturating_duration_since(t0);
    assert!(elapsed < Duration::from_millis(100), "connection closed {elapsed:?} after drop");
}

#[tokio::test]
async fn cancelling_during_backoff_ends_at_once() {
    let status =
        Faults { status: Some(mock_model::StatusFault { code: 429, body: None, retry_after: Some("60".into()) }), ..Faults::default() };
    let server = MockServer::start(Script::new([Turn::default().faults(status), Turn::message("never")])).await.unwrap();
    let mut provider = common::provider(&server.base_url(), WireApi::Responses);
    provider.request_max_retries = Some(3);
    let config = model_client::ClientConfig {
        retry: model_client::RetryConfig { server_delay_scale: 1.0, ..common::fast_config().retry },
        ..common::fast_config()
    };
    let client = ModelClient::new(provider, config).unwrap();
    let cancel = CancellationToken::new();
    let mut stream = client.stream(&full_request(), cancel.clone()).unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert!(matches!(first, ResponseEvent::Retrying { delay, .. } if delay == Duration::from_secs(60)), "{first}");
    let t0 = Instant::now();
    cancel.cancel();
    assert_eq!(stream.next().await, Some(Err(ModelError::Cancelled)));
    assert!(t0.elapsed() < Duration::from_millis(100));
    assert_eq!(stream.next().await, None);
    assert_eq!(server.model_requests().len(), 1);
}

#[tokio::test]
async fn a_connection_refused_is_retried_then_reported() {
    // A socket bound but not listening: connections to its port are refused, and while it is
    // held no other test's server can be given that port. (Binding a listener and dropping it
    // freed the port, and a server of a test running in parallel could get it.)
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    let mut provider = common::provider(&format!("http://127.0.0.1:{port}/v1"), WireApi::Responses);
    provider.request_max_retries = Some(1);
    let client = ModelClient::new(provider, common::fast_config()).unwrap();
    let lines = common::collect(client.stream(&full_request(), CancellationToken::new()).unwrap()).await;
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("retrying 1/1 after 1 ms: connect"), "{lines:?}");
    assert!(lines[1].starts_with("error connect: cannot connect to http://127.0.0.1:"), "{lines:?}");
    drop(socket);
}

#[tokio::test]
async fn tls_is_set_up_with_ring_without_a_global_provider() {
    // A TLS handshake against a plain TCP server that closes at once: the client must fail cleanly
    // (no panic about a missing rustls crypto provider).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            drop(sock);
        }
    });
    let mut provider = common::provider(&format!("http://127.0.0.1:{port}/v1"), WireApi::Responses);
    provider.base_url = Some(format!("https://127.0.0.1:{port}/v1"));
    provider.request_max_retries = Some(0);
    let client = ModelClient::new(provider, common::fast_config()).unwrap();
    let lines = common::collect(client.stream(&full_request(), CancellationToken::new()).unwrap()).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("error connect") || lines[0].starts_with("error transport"), "{lines:?}");
}

/// Every URL in this crate's test fixtures and test sources is loopback: no test reaches the network.
#[test]
fn test_fixtures_only_name_loopback_urls() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    let mut bad = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for (i, _) in text.match_indices("://") {
            let scheme_start = text[..i].rfind(|c: char| !c.is_ascii_alphanumeric()).map_or(0, |p| p + 1);
            let scheme = &text[scheme_start..i];
            if !matches!(scheme, "http" | "https" | "ws" | "wss") {
                continue;
            }
            let host: String = text[i + 3..].chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '{')).collect();
            // `{port}`-style format strings follow "127.0.0.1:"; a bare `{` host is a format argument.
            if !matches!(host.as_str(), "127.0.0.1" | "localhost" | "{") && !host.starts_with('{') {
                bad.push(format!("{}: {scheme}://{host}", file.display()));
            }
        }
    }
    assert!(files.len() > 40, "fixtures not found");
    assert!(bad.is_empty(), "non-loopback URLs in test fixtures:\n{}", bad.join("\n"));
}
