//! Server behaviour: keep-alive and connection records, request recording and waiting, routing
//! (404, 400, models, exhaustion), request logging, script files, and the `mock-model` binary.
//!
//! Not here: what the streams contain (responses.rs, chat.rs) or transport faults (faults.rs).

mod common;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{responses, Conn, TIMEOUT};
use mock_model::{MockServer, MockServerConfig, Script, Turn};
use serde_json::json;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/example.json")
}

#[tokio::test]
async fn keep_alive_reuses_one_connection() {
    let server = MockServer::start(Script::new([Turn::message("one"), Turn::message("two")])).await.unwrap();
    let mut conn = Conn::connect(server.addr()).await;
    for _ in 0..2 {
        conn.send("POST", "/v1/responses", r#"{"model":"m","input":[],"stream":true}"#).await;
        let reply = tokio::time::timeout(TIMEOUT, conn.reply()).await.unwrap();
        assert_eq!(reply.status, 200);
        assert!(reply.complete);
    }
    let connections = server.connections();
    assert_eq!(connections.len(), 1);
    assert_eq!(connections[0].requests, 2);
    assert_eq!(connections[0].closed, None);
    let requests = server.requests();
    assert!(requests.iter().all(|r| r.connection_id == 0));

    let dropped = Instant::now();
    drop(conn);
    let closed = server.wait_connection_closed(0, TIMEOUT).await.unwrap();
    assert!(closed >= dropped);
    assert_eq!(server.connections()[0].closed, Some(closed));
}

#[tokio::test]
async fn records_requests_and_waits_for_them() {
    let server = MockServer::start(Script::new([Turn::message("hi")])).await.unwrap();
    let addr = server.addr();
    let client = tokio::spawn(async move {
        let body = json!({"model": "m", "stream": true, "input": [{"type": "function_call_output", "call_id": "c1", "output": "ok"}]});
        common::post(addr, "/v1/responses?api-version=2025", &body.to_string()).await
    });
    let requests = server.wait_for_requests(1, TIMEOUT).await.unwrap();
    assert_eq!(client.await.unwrap().status, 200);
    let request = &requests[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/v1/responses"));
    assert_eq!(request.query.as_deref(), Some("api-version=2025"));
    assert_eq!(request.header("X-Test"), Some("yes"));
    assert!(request.headers.iter().all(|(name, _)| name == &name.to_ascii_lowercase()));
    assert_eq!(request.json()["model"], "m");
    assert_eq!(request.input().len(), 1);
    assert_eq!(request.tool_output("c1"), Some(json!("ok")));
    assert!(request.is_model_call());

    let error = server.wait_for_requests(2, Duration::from_millis(50)).await.unwrap_err();
    assert!(matches!(error, mock_model::Error::RequestsTimeout { wanted: 2, got: 1, .. }), "{error}");
    assert!(server.wait_connection_closed(7, Duration::from_millis(50)).await.is_err());
}

#[tokio::test]
async fn routing_errors_do_not_consume_turns() {
    let server = MockServer::start(Script::new([Turn::message("only")])).await.unwrap();
    let addr = server.addr();

    let reply = common::post(addr, "/v1/responses", "{not json").await;
    assert_eq!(reply.status, 400);
    let error = &reply.json()["error"];
    assert_eq!(error["type"], "invalid_request_error");
    assert_eq!(error["code"], "invalid_json");
    assert!(error["message"].as_str().unwrap().contains("not valid JSON"));

    let reply = common::post(addr, "/v1/responses", r#"{"model":"m","input":[]}"#).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["error"]["code"], "stream_required");

    let reply = common::post(addr, "/responses", r#"{"stream":true}"#).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["error"]["code"], "unknown_url");

    let mut conn = Conn::connect(addr).await;
    conn.send("GET", "/v1/models", "").await;
    let models = conn.reply().await;
    assert_eq!(models.status, 200);
    assert_eq!(models.json()["object"], "list");
    assert!(models.json()["data"].as_array().unwrap().iter().any(|m| m["id"] == "mock-model"));

    assert_eq!(server.turns_served(), 0);
    assert_eq!(server.requests().len(), 4, "bad requests are recorded too");
    assert_eq!(server.model_requests().len(), 2);
    assert_eq!(server.requests()[0].json(), serde_json::Value::Null);

    let reply = responses(addr).await;
    assert_eq!(reply.status, 200);
    let reply = responses(addr).await;
    assert_eq!(reply.status, 500);
    assert!(reply.json()["error"]["message"].as_str().unwrap().contains("mock script exhausted"));
}

#[tokio::test]
async fn logs_post_bodies_and_loads_script_files() {
    let dir = std::env::temp_dir().join(format!("mock-model-log-{}-{}", std::process::id(), unique_suffix()));
    let script = Script::load(&fixture()).unwrap();
    assert_eq!(script.len_served(), 3);
    let server = MockServer::start_with(script, MockServerConfig { port: 0, log_requests: Some(dir.clone()) }).await.unwrap();
    let first = responses(server.addr()).await;
    assert_eq!(first.header("x-codex-primary-used-percent"), Some("12.5"));
    let second = common::chat(server.addr(), true).await;
    assert_eq!(second.status, 429);
    assert_eq!(second.header("retry-after"), Some("1"));
    let mut names: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["0001.json", "0002.json"]);
    let logged: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("0002.json")).unwrap()).unwrap();
    assert_eq!(logged["stream_options"]["include_usage"], true);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(Script::load(&dir.join("missing.json")).is_err());
}

fn unique_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

#[tokio::test]
async fn shutdown_closes_hanging_connections() {
    let turn = Turn::message("x").faults(mock_model::Faults { hang_after_events: Some(1), ..Default::default() });
    let server = MockServer::start(Script::new([turn])).await.unwrap();
    let mut conn = Conn::connect(server.addr()).await;
    conn.send("POST", "/v1/responses", r#"{"model":"m","input":[],"stream":true}"#).await;
    assert_eq!(conn.head().await.0, 200);
    tokio::time::timeout(TIMEOUT, server.shutdown()).await.unwrap();
    assert!(tokio::time::timeout(TIMEOUT, async { while conn.chunk().await.is_ok_and(|c| c.is_some()) {} }).await.is_ok());
}

#[test]
fn binary_prints_the_url_serves_and_exits_when_stdin_closes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mock-model"))
        .arg("--script")
        .arg(fixture())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line.trim_end().to_owned();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/v1"), "{url}");
    let addr = url.trim_start_matches("http://").trim_end_matches("/v1").parse().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let reply = runtime.block_on(responses(addr));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.events().last().unwrap().json()["type"], "response.completed");

    drop(child.stdin.take());
    let (exited_tx, exited_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || exited_tx.send(child.wait()));
    let status = exited_rx.recv_timeout(TIMEOUT).expect("mock-model exits after stdin closed").unwrap();
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(rest, "", "exactly one line on stdout");
}
