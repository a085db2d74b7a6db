//! End-to-end tests: the real `codeloop` binary over stdio pipes (one test binary, so the
//! grammars link once). Each module covers one area of the LSP contract.

mod agent_lsp;
mod agent_lsp_actions;
mod agent_lsp_rebase;
mod bad_input;
mod context;
mod exec;
mod exec_approval;
mod index;
mod lifecycle;
mod overlay_shell;
mod sandbox;
mod sync;
mod tidy;

use serde_json::{json, Value};
use tests::workspace::TempWorkspace;
use tests::LspClient;

/// A client with a plain editor's capabilities (progress and file watching supported),
/// initialized on `ws` with a private cache dir inside the workspace's parent.
pub fn start(ws: &TempWorkspace, extra_caps: Value) -> LspClient {
    let cache = ws.root.with_extension("cache");
    let mut c = LspClient::spawn(&cache, &[]);
    let mut caps = json!({
        "window": {"workDoneProgress": true},
        "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}, "symbol": {}},
        "textDocument": {"documentSymbol": {"hierarchicalDocumentSymbolSupport": true}},
    });
    merge(&mut caps, extra_caps);
    c.initialize(&ws.root, caps, Value::Null);
    c
}

/// `codeloop lsp` with its state, config and home inside `tmp` (so the user's files never leak in).
pub fn spawn_agent_client(tmp: &TempWorkspace) -> LspClient {
    let (state, config) = (tmp.path("state"), tmp.path("config"));
    let env = [
        ("CODELOOP_STATE_DIR", state.to_str().unwrap()),
        ("CODELOOP_CONFIG_DIR", config.to_str().unwrap()),
        ("HOME", config.to_str().unwrap()),
    ];
    LspClient::spawn(&tmp.path("cache"), &env)
}

/// initializationOptions for the agent against the mock model at `base_url` (no index, events on),
/// with `extra` merged in.
pub fn agent_options(base_url: &str, extra: Value) -> Value {
    let mut opts = serde_json::json!({
        "index": {"enabled": false, "persist": false},
        "events": true,
        "config": {
            "model": "test-model",
            "model_provider": "mock",
            "model_providers": {"mock": {"name": "mock", "base_url": base_url}},
        },
    });
    merge(&mut opts, extra);
    opts
}

pub fn merge(a: &mut Value, b: Value) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(Value::Null), v);
            }
        }
        (a, b) if !b.is_null() => *a = b,
        _ => {}
    }
}

/// Waits for the initial index to finish (the `end` of the `codeloop/index` progress).
pub fn wait_indexed(c: &mut LspClient) -> String {
    let end = c.wait_notification("$/progress", |p| p["token"] == "codeloop/index" && p["value"]["kind"] == "end");
    end["value"]["message"].as_str().unwrap_or_default().to_string()
}

/// The outline as `kind name` lines, indented by depth.
pub fn outline(symbols: &Value) -> String {
    fn walk(out: &mut String, v: &Value, depth: usize) {
        for s in v.as_array().into_iter().flatten() {
            let r = &s["selectionRange"]["start"];
            out.push_str(&format!(
                "{}{} {} @{}:{}\n",
                "  ".repeat(depth),
                s["kind"],
                s["name"].as_str().unwrap_or("?"),
                r["line"],
                r["character"]
            ));
            walk(out, &s["children"], depth + 1);
        }
    }
    let mut out = String::new();
    walk(&mut out, symbols, 0);
    out
}

pub fn doc_text(c: &mut LspClient, uri: &str) -> Value {
    c.request("codeloop/documentState", json!({"textDocument": {"uri": uri}})).expect("documentState")
}
