//! Initialize, open, change, documentSymbol, workspace/symbol, shutdown and exit.

use super::*;
use expect_test::expect;

#[test]
fn full_session_over_stdio() {
    let ws = TempWorkspace::with_fixture(
        "lifecycle",
        r#"
//- /src/lib.rs
pub struct Config { pub name: String }

impl Config {
    pub fn new(name: &str) -> Self { Config { name: name.to_string() } }
}

pub fn load_config() -> Config { Config::new("x") }
//- /tools/build.py
class Builder:
    def run(self):
        pass

MAX_JOBS = 4
"#,
    );
    let mut c = start(&ws, Value::Null);
    let info = wait_indexed(&mut c);
    assert!(info.contains("2 files"), "{info}");

    // documentSymbol on an open buffer whose text differs from disk: the buffer wins.
    let uri = c.open(&ws.path("src/lib.rs"), "rust", "fn helper() {}\n\nmod inner {\n    pub fn deep() {}\n}\n");
    let syms = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}})).unwrap();
    expect![[r#"
        12 helper @0:3
        2 inner @2:4
          12 deep @3:11
    "#]]
    .assert_eq(&outline(&syms));

    // An incremental change renames `helper` to `assist`; the outline follows at once.
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 0, "character": 3}, "end": {"line": 0, "character": 9}}, "text": "assist"}
        ]}),
    );
    let syms = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}})).unwrap();
    assert!(outline(&syms).starts_with("12 assist @0:3"), "{}", outline(&syms));

    // workspace/symbol: fuzzy over disk files, plus the open buffer's symbols once pushed.
    let hits = c.request("workspace/symbol", json!({"query": "Buildr"})).unwrap();
    assert_eq!(hits[0]["name"], "Builder", "{hits:#}");
    assert!(hits[0]["location"]["uri"].as_str().unwrap().ends_with("tools/build.py"));
    let hits = c.request("workspace/symbol", json!({"query": "MAX_JOBS"})).unwrap();
    assert_eq!(hits[0]["kind"], 14, "a module-level ALL_CAPS assignment is a constant: {hits:#}");

    // The open buffer overrides disk in the workspace index too (after the debounce).
    let found = (0..100).any(|_| {
        let hits = c.request("workspace/symbol", json!({"query": "deep"})).unwrap();
        if hits.as_array().is_some_and(|a| a.iter().any(|h| h["name"] == "deep")) {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        false
    });
    assert!(found, "open buffer symbols never reached workspace/symbol");
    let hits = c.request("workspace/symbol", json!({"query": "load_config"})).unwrap();
    assert!(!hits.as_array().unwrap().iter().any(|h| h["name"] == "load_config"), "disk symbols of an open file must be hidden: {hits:#}");

    // Closing the buffer restores the disk view.
    c.notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}));
    let hits = c.request("workspace/symbol", json!({"query": "load_config"})).unwrap();
    assert_eq!(hits[0]["name"], "load_config", "{hits:#}");

    let status = c.shutdown();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn version_and_help() {
    let out = std::process::Command::new(tests::codeloop_bin()).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("codeloop {}", env!("CARGO_PKG_VERSION")));
    let out = std::process::Command::new(tests::codeloop_bin()).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("lsp") && help.contains("index"), "{help}");
}

#[test]
fn exit_without_shutdown_is_code_1() {
    let ws = TempWorkspace::new("noshutdown");
    let mut c = start(&ws, Value::Null);
    c.notify("exit", Value::Null);
    let status = (0..300)
        .find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(10));
            c.try_status()
        })
        .expect("server exits on `exit`");
    assert_eq!(status.code(), Some(1));
}

#[test]
fn null_params_shutdown_is_accepted() {
    // pygls and lsp4j send `"params": null` on shutdown; tower-lsp alone rejects it.
    let ws = TempWorkspace::new("nullparams");
    let mut c = start(&ws, Value::Null);
    let id = 99;
    c.send(&json!({"jsonrpc": "2.0", "id": id, "method": "shutdown", "params": null}));
    assert_eq!(c.response(id), Ok(Value::Null));
}
