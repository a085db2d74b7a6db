//! Bad input: each case gets a clear error, never a panic, and the server still answers.

use super::*;

fn still_answers(c: &mut LspClient) {
    let r = c.request("workspace/symbol", json!({"query": ""}));
    assert!(r.is_ok(), "server must still answer: {r:?}");
}

fn log_message(c: &mut LspClient, needle: &str) -> Value {
    let n = needle.to_string();
    c.wait_notification("window/logMessage", |p| p["message"].as_str().is_some_and(|m| m.contains(&n)))
}

#[test]
fn malformed_json_rpc() {
    let ws = TempWorkspace::new("malformed");
    let mut c = start(&ws, Value::Null);
    let body = "{not json";
    c.send_raw(format!("Content-Length: {}\r\n\r\n{}", body.len(), body).as_bytes());
    let err = c.wait(|m| m["id"].is_null() && m.get("error").is_some(), tests::TIMEOUT).expect("parse error reply");
    assert_eq!(err["error"]["code"], -32700);
    still_answers(&mut c);

    c.send_raw(b"Content-Length: nope\r\n\r\n");
    let err = c.wait(|m| m["id"].is_null() && m.get("error").is_some(), tests::TIMEOUT).expect("header error reply");
    assert!(err["error"]["message"].as_str().unwrap().contains("Content-Length"), "{err}");
    still_answers(&mut c);

    c.send(&json!({"jsonrpc": "2.0", "id": 7, "method": 42}));
    assert_eq!(c.response(7).unwrap_err()["code"], -32600);
    c.send(&json!([{"jsonrpc": "2.0", "id": 8, "method": "shutdown"}]));
    let err = c.wait(|m| m["id"].is_null() && m.get("error").is_some(), tests::TIMEOUT).expect("batch reply");
    assert_eq!(err["error"]["code"], -32600);
    still_answers(&mut c);

    // Unknown methods: requests get -32601, notifications are ignored.
    assert_eq!(c.request("codeloop/noSuchThing", json!({})).unwrap_err()["code"], -32601);
    c.notify("codeloop/noSuchNotification", json!({}));
    // Invalid params for a known method.
    assert_eq!(c.request("textDocument/documentSymbol", json!({"textDocument": 3})).unwrap_err()["code"], -32602);
    c.notify("textDocument/didOpen", json!({"textDocument": "oops"}));
    log_message(&mut c, "invalid params");
    still_answers(&mut c);
    assert_eq!(c.shutdown().code(), Some(0));
}

#[test]
fn bad_document_changes() {
    let ws = TempWorkspace::new("badchanges");
    let mut c = start(&ws, Value::Null);
    let ghost = tests::file_uri(&ws.path("ghost.rs"));
    c.notify("textDocument/didChange", json!({"textDocument": {"uri": ghost, "version": 2}, "contentChanges": [{"text": "x"}]}));
    let m = log_message(&mut c, "is not open");
    assert_eq!(m["type"], 1, "an error: {m}");
    still_answers(&mut c);

    let uri = c.open(&ws.path("a.rs"), "rust", "fn a() {}\n");
    c.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": 5}, "contentChanges": [{"text": "fn b() {}\n"}]}));
    c.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": "fn c() {}\n"}]}));
    let m = log_message(&mut c, "went from 5 to 3");
    assert_eq!(m["type"], 2, "a warning: {m}");
    let state = doc_text(&mut c, &uri);
    assert_eq!((state["version"].clone(), state["text"].clone()), (json!(3), json!("fn c() {}\n")), "applied, as the client has it");

    // An inverted range is refused and leaves the text alone.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 4}, "contentChanges": [
        {"range": {"start": {"line": 0, "character": 5}, "end": {"line": 0, "character": 1}}, "text": "zz"}]}),
    );
    log_message(&mut c, "is before its start");
    assert_eq!(doc_text(&mut c, &uri)["text"], "fn c() {}\n");

    // Out-of-range positions in requests are clamped, not fatal.
    let r = c.request(
        "codeloop/context",
        json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 99, "character": 99}, "end": {"line": 120, "character": 0}}}),
    );
    assert!(r.is_ok(), "{r:?}");
    still_answers(&mut c);
    assert_eq!(c.shutdown().code(), Some(0));
}

#[test]
fn fifty_megabyte_document() {
    let ws = TempWorkspace::new("huge");
    let mut c = start(&ws, Value::Null);
    let line = "let value_of_some_length = compute(1, 2, 3) + other_function_call(4);\n";
    let text = line.repeat(50 * 1024 * 1024 / line.len() + 1);
    assert!(text.len() >= 50 * 1024 * 1024);
    let uri = c.open(&ws.path("huge.js"), "javascript", &text);
    let m = log_message(&mut c, "not parsed");
    assert!(m["message"].as_str().unwrap().contains("MiB"), "{m}");
    // Edits still apply; symbols are simply empty; other requests are answered.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
        {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 3}}, "text": "var"}]}),
    );
    let state = doc_text(&mut c, &uri);
    assert_eq!(state["byteLength"], text.len());
    assert_eq!(state["parsed"], false);
    assert!(state["text"].as_str().unwrap().starts_with("var value_of"));
    let syms = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}})).unwrap();
    assert_eq!(syms, json!([]));
    still_answers(&mut c);
    assert_eq!(c.shutdown().code(), Some(0));
}
