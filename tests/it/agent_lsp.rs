//! The agent in the editor, end to end: the real binary over stdio, the in-repo client, the
//! scripted mock model on 127.0.0.1. `codeloop.ask` with the editor context, versioned
//! `workspace/applyEdit` in utf-16 and utf-8, stale buffers, cancellation through the
//! command and through `window/workDoneProgress/cancel`, bad arguments and configuration
//! errors. Every test ends with `shutdown`, which checks that stdout carried only JSON-RPC.
//!
//! The approval path is tested in the lsp crate (`approvals.rs`): no standard tool asks for
//! approval yet, so no script can make the agent ask.

use mock_model::{Faults, MockServer, Output, RecordedRequest, Script, Turn};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use tests::workspace::TempWorkspace;
use tests::{file_uri, LspClient, TIMEOUT};

/// One test's world: a temp dir with `ws/`, `state/`, `config/`, the mock model, the server.
struct World {
    client: LspClient,
    server: MockServer,
    rt: tokio::runtime::Runtime,
    tmp: TempWorkspace,
}

fn world(name: &str, files: &[(&str, &str)], script: Script, caps: Value, options: Value) -> World {
    let tmp = TempWorkspace::new(&format!("agent-{name}"));
    for d in ["ws", "state", "config"] {
        std::fs::create_dir_all(tmp.path(d)).unwrap();
    }
    for (path, text) in files {
        tmp.write(&format!("ws/{path}"), text);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let server = rt.block_on(MockServer::start(script)).unwrap();
    let mut client = crate::spawn_agent_client(&tmp);
    let mut opts = crate::agent_options(&server.base_url(), Value::Null);
    crate::merge(&mut opts, options);
    let mut all_caps = json!({"window": {"workDoneProgress": true}});
    crate::merge(&mut all_caps, caps);
    client.initialize(&tmp.path("ws"), all_caps, opts);
    World { client, server, rt, tmp }
}

impl World {
    fn uri(&self, rel: &str) -> String {
        file_uri(&self.tmp.path(&format!("ws/{rel}")))
    }

    fn requests(&self, n: usize) -> Vec<RecordedRequest> {
        self.rt.block_on(self.server.wait_for_requests(n, TIMEOUT)).unwrap()
    }

    fn command(&mut self, command: &str, args: Value) -> Result<Value, Value> {
        self.client.request("workspace/executeCommand", json!({"command": command, "arguments": [args]}))
    }

    /// The agent event of this type for this thread (events are opted in).
    fn event(&mut self, thread: &str, typ: &str) -> Value {
        self.client.wait_notification("codeloop/event", |p| p["threadId"] == thread && p["type"] == typ)
    }

    /// The `$/progress` values of one token, in order, up to its `end`.
    fn progress_until_end(&mut self, token: &str) -> Vec<Value> {
        self.client.wait_notification("$/progress", |p| p["token"] == token && p["value"]["kind"] == "end");
        self.client
            .log
            .iter()
            .filter(|m| m["method"] == "$/progress" && m["params"]["token"] == token)
            .map(|m| m["params"]["value"].clone())
            .collect()
    }
}

/// The byte offset of an LSP position in `text`, in the given encoding.
fn offset(text: &str, line: u64, character: u64, enc: &str) -> usize {
    let start: usize = text.split_inclusive('\n').take(line as usize).map(str::len).sum();
    let mut units = 0u64;
    for (i, ch) in text[start..].char_indices() {
        if units >= character || ch == '\n' {
            return start + i;
        }
        units += match enc {
            "utf-8" => ch.len_utf8() as u64,
            "utf-32" => 1,
            _ => ch.len_utf16() as u64,
        };
    }
    text.len()
}

/// Applies a TextDocumentEdit's edits (sorted, non-overlapping) and returns the text plus the
/// didChange content changes that say the same.
fn apply_edits(text: &str, edits: &Value, enc: &str) -> (String, Vec<Value>) {
    let mut out = text.to_string();
    let mut list: Vec<&Value> = edits.as_array().unwrap().iter().collect();
    list.sort_by_key(|e| (e["range"]["start"]["line"].as_u64(), e["range"]["start"]["character"].as_u64()));
    for e in list.iter().rev() {
        let (s, en) = (&e["range"]["start"], &e["range"]["end"]);
        let a = offset(&out, s["line"].as_u64().unwrap(), s["character"].as_u64().unwrap(), enc);
        let b = offset(&out, en["line"].as_u64().unwrap(), en["character"].as_u64().unwrap(), enc);
        out.replace_range(a..b, e["newText"].as_str().unwrap());
    }
    let changes = list.iter().rev().map(|e| json!({"range": e["range"], "text": e["newText"]})).collect();
    (out, changes)
}

fn input_text(req: &RecordedRequest) -> String {
    req.input().iter().map(Value::to_string).collect::<Vec<_>>().join("\n")
}

const BUFFER: &str = "fn main() {}\nlet s = \"é😀\"; let x = 1;";
const PATCH: &str = "*** Begin Patch\n*** Update File: a.rs\n@@\n-let s = \"é😀\"; let x = 1;\n+let s = \"é😀\"; let y = 2;\n*** End Patch";

fn ask_and_apply(enc: &str) {
    let caps = json!({"general": {"positionEncodings": [enc]}});
    let script = Script::new([Turn::custom_tool_call("apply_patch", "c1", PATCH), Turn::message("Renamed x to y.\nDetails follow.")]);
    // The disk holds something else: the agent must read the unsaved buffer.
    let mut w = world(&format!("apply-{enc}"), &[("a.rs", "on disk\n")], script, caps, Value::Null);
    w.client.answer_manually("workspace/applyEdit");
    let uri = w.uri("a.rs");
    w.client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": "fn main() {}\n"}}),
    );
    w.client.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": BUFFER}]}));
    let range = json!({"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 5}});
    let ids = w.command("codeloop.ask", json!({"prompt": "rename x to y", "uri": uri, "range": range})).unwrap();
    let thread = ids["threadId"].as_str().unwrap().to_string();
    assert_eq!(ids["turnId"], "turn-1");

    // One applyEdit with a TextDocumentEdit at the open version.
    let req = w.client.wait_server_request("workspace/applyEdit");
    let edit = &req["params"]["edit"]["documentChanges"][0];
    assert_eq!(edit["textDocument"], json!({"uri": uri, "version": 2}), "{req}");
    assert_eq!(req["params"]["label"], "codeloop: edit a.rs");
    let (new_text, changes) = apply_edits(BUFFER, &edit["edits"], enc);
    assert_eq!(new_text, "fn main() {}\nlet s = \"é😀\"; let y = 2;\n", "edits {} in {enc}", edit["edits"]);
    // Long enough for the rate-limited "editing a.rs" report to go out before the turn moves on.
    std::thread::sleep(Duration::from_millis(150));
    w.client.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": changes}));
    w.client.reply(&req["id"], json!({"applied": true}));

    let token = format!("codeloop/turn/{thread}/turn-1");
    let values = w.progress_until_end(&token);
    let kinds: Vec<&str> = values.iter().filter_map(|v| v["kind"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"begin"), "{values:?}");
    assert!(kinds.contains(&"report"), "{values:?}");
    assert_eq!(values[0]["cancellable"], true);
    assert_eq!(values.last().unwrap()["message"], "Renamed x to y.");
    assert!(values.iter().any(|v| v["message"] == "editing a.rs"), "{values:?}");
    w.event(&thread, "turnCompleted");

    let reqs = w.requests(2);
    let first = input_text(&reqs[0]);
    assert!(first.contains("<editor_context>") && first.contains("rename x to y"), "{first}");
    assert!(first.contains("let x = 1;") && first.contains("version 2"), "the buffer, not the disk: {first}");
    let output = reqs[1].tool_output("c1").unwrap().to_string();
    assert!(output.contains("Success"), "{output}");
    assert_eq!(std::fs::read_to_string(w.tmp.path("ws/a.rs")).unwrap(), "on disk\n", "the server never writes open files");
    let state = crate::doc_text(&mut w.client, &uri);
    assert_eq!(state["version"], 3);
    w.client.shutdown();
}

#[test]
fn ask_applies_a_versioned_edit_in_utf16() {
    ask_and_apply("utf-16");
}

#[test]
fn ask_applies_a_versioned_edit_in_utf8() {
    ask_and_apply("utf-8");
}

/// Thread A's edit is held by the client; meanwhile thread B proposes an edit to b.rs (it waits:
/// edits go one at a time) and the user types inside the line B replaces. B's edit must not be
/// sent (an overlap: typing elsewhere is rebased, see agent_lsp_rebase.rs): the model gets the
/// reason. A's client answer (applied:false, Helix style) goes back to A's model too.
#[test]
fn stale_buffer_edits_go_back_to_the_model() {
    let patch = |file: &str| format!("*** Begin Patch\n*** Update File: {file}\n@@\n-one\n+uno\n*** End Patch");
    let script = Script::new([
        Turn::custom_tool_call("apply_patch", "ca", patch("a.rs")),
        Turn::custom_tool_call("apply_patch", "cb", patch("b.rs")),
        Turn::message("Done."),
        Turn::message("Done."),
    ]);
    let mut w = world("stale", &[], script, Value::Null, Value::Null);
    w.client.answer_manually("workspace/applyEdit");
    let (ua, ub) = (w.uri("a.rs"), w.uri("b.rs"));
    for uri in [&ua, &ub] {
        w.client.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": "one\n"}}));
    }
    let a = w.command("codeloop.ask", json!({"prompt": "edit a", "uri": ua})).unwrap()["threadId"].as_str().unwrap().to_string();
    let held = w.client.wait_server_request("workspace/applyEdit");
    let b = w.command("codeloop.ask", json!({"prompt": "edit b", "uri": ub})).unwrap()["threadId"].as_str().unwrap().to_string();
    assert_ne!(a, b);
    w.event(&b, "editProposed");
    // The user types into the line B replaces while B's proposal waits.
    let change = json!({"range": {"start": {"line": 0, "character": 1}, "end": {"line": 0, "character": 1}}, "text": "1"});
    w.client.notify("textDocument/didChange", json!({"textDocument": {"uri": ub, "version": 2}, "contentChanges": [change]}));
    crate::doc_text(&mut w.client, &ub);
    w.client.reply(&held["id"], json!({"applied": false, "failureReason": "document has changed"}));
    w.event(&a, "turnCompleted");
    w.event(&b, "turnCompleted");
    let reqs = w.requests(4);
    let out = |id: &str| reqs.iter().find_map(|r| r.tool_output(id)).unwrap().to_string();
    assert!(
        out("cb").contains("the file changed in the editor since it was read (version 1, now 2), and the user's typing overlaps"),
        "{}",
        out("cb")
    );
    assert!(out("cb").contains("line 1:\\n1 | o1ne"), "{}", out("cb"));
    assert!(out("ca").contains("document has changed"), "{}", out("ca"));
    // B's stale edit never left the server: the only applyEdit was A's.
    assert_eq!(w.client.log.iter().filter(|m| m["method"] == "workspace/applyEdit").count(), 1);
    w.client.shutdown();
}

/// A client that says applied:true but never changes the buffer (Neovim with a stale version).
#[test]
fn applied_true_without_the_change_is_reported_as_not_applied() {
    let script = Script::new([Turn::custom_tool_call("apply_patch", "c1", PATCH), Turn::message("ok")]);
    let mut w = world("lying-client", &[], script, Value::Null, Value::Null);
    w.client.answer_manually("workspace/applyEdit");
    let uri = w.uri("a.rs");
    w.client.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": BUFFER}}));
    let thread = w.command("codeloop.ask", json!({"prompt": "rename"})).unwrap()["threadId"].as_str().unwrap().to_string();
    let req = w.client.wait_server_request("workspace/applyEdit");
    w.client.reply(&req["id"], json!({"applied": true}));
    w.event(&thread, "turnCompleted");
    let out = w.requests(2)[1].tool_output("c1").unwrap().to_string();
    assert!(out.contains("did not show up"), "{out}");
    w.client.shutdown();
}

fn hanging_turn() -> Turn {
    Turn::new([Output::commentary("Thinking about it for a long while.")])
        .faults(Faults { hang_after_events: Some(4), ..Faults::default() })
}

#[test]
fn cancel_by_command_and_by_progress_cancel() {
    let mut w = world("cancel", &[], Script::new([hanging_turn(), hanging_turn()]), Value::Null, Value::Null);
    // codeloop.cancel
    let t1 = w.command("codeloop.ask", json!({"prompt": "think"})).unwrap()["threadId"].as_str().unwrap().to_string();
    let token1 = format!("codeloop/turn/{t1}/turn-1");
    w.client.wait_notification("$/progress", |p| p["token"] == token1 && p["value"]["kind"] == "report");
    let status = w.command("codeloop.status", Value::Null).unwrap();
    assert_eq!(status["threads"][0]["state"], "running", "{status}");
    assert_eq!(w.command("codeloop.cancel", json!({"threadId": t1})).unwrap(), json!({"cancelled": [t1]}));
    let end = w.progress_until_end(&token1);
    assert_eq!(end.last().unwrap()["message"], "aborted: interrupted");
    w.event(&t1, "turnAborted");
    // window/workDoneProgress/cancel
    let t2 = w.command("codeloop.ask", json!({"prompt": "think again"})).unwrap()["threadId"].as_str().unwrap().to_string();
    let token2 = format!("codeloop/turn/{t2}/turn-1");
    w.client.wait_notification("$/progress", |p| p["token"] == token2 && p["value"]["kind"] == "begin");
    w.client.notify("window/workDoneProgress/cancel", json!({"token": token2}));
    w.event(&t2, "turnAborted");
    assert_eq!(w.progress_until_end(&token2).last().unwrap()["message"], "aborted: interrupted");
    let status = w.command("codeloop.status", Value::Null).unwrap();
    assert!(status["threads"].as_array().unwrap().iter().all(|t| t["state"] == "idle"), "{status}");
    w.client.shutdown();
}

#[test]
fn bad_arguments_are_errors_and_the_server_goes_on() {
    let mut w = world("bad-args", &[], Script::new([]), Value::Null, Value::Null);
    let cases = [
        ("codeloop.ask", json!({"prompt": 3}), "codeloop.ask: invalid arguments: invalid type: integer `3`"),
        ("codeloop.ask", json!({}), "missing field `prompt`"),
        ("codeloop.ask", json!({"prompt": "  "}), "`prompt` is empty"),
        (
            "codeloop.ask",
            json!({"prompt": "x", "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}}),
            "need a `uri`",
        ),
        ("codeloop.ask", json!({"prompt": "x", "threadId": "nope"}), "no live thread `nope`"),
        ("codeloop.cancel", json!({"threadId": "nope"}), "no live thread `nope`"),
        ("codeloop.approve", json!({}), "no approval is pending"),
        ("codeloop.deny", json!({"approvalId": 7}), "invalid type: integer `7`"),
        ("codeloop.nope", json!({}), "unknown command `codeloop.nope`"),
    ];
    for (command, args, message) in cases {
        let err = w.command(command, args.clone()).unwrap_err();
        assert_eq!(err["code"], -32602, "{command} {args}: {err}");
        assert!(err["message"].as_str().unwrap().contains(message), "{command} {args}: {err}");
    }
    let status = w.command("codeloop.status", Value::Null).unwrap();
    assert_eq!(status, json!({"threads": [], "configError": null}));
    assert_eq!(w.command("codeloop.threads", json!({})).unwrap(), json!({"threads": []}));
    w.client.shutdown();
}

#[test]
fn a_configuration_error_disables_the_agent_only() {
    let options = json!({"config": {"model": 3}});
    let mut w = world("bad-config", &[], Script::new([]), Value::Null, options);
    let shown = w.client.wait_notification("window/showMessage", |p| p["type"] == 1);
    assert!(shown["message"].as_str().unwrap().contains("initializationOptions.config: key `model`"), "{shown}");
    let err = w.command("codeloop.ask", json!({"prompt": "hi"})).unwrap_err();
    assert_eq!(err["code"], -32803, "{err}");
    assert!(err["message"].as_str().unwrap().contains("configuration error"), "{err}");
    // The LSP features keep working.
    let path = w.tmp.path("ws/a.rs");
    let uri = w.client.open(Path::new(&path), "rust", "fn f() {}\n");
    let symbols = w.client.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}})).unwrap();
    assert_eq!(symbols[0]["name"], "f");
    w.client.shutdown();
}

#[test]
fn commands_are_advertised() {
    let tmp = TempWorkspace::new("agent-caps");
    let mut c = LspClient::spawn(&tmp.path("cache"), &[("CODELOOP_CONFIG_DIR", tmp.root.to_str().unwrap())]);
    let result = c.initialize(&tmp.root, json!({}), json!({"index": {"enabled": false}}));
    let commands = &result["capabilities"]["executeCommandProvider"]["commands"];
    assert_eq!(
        commands,
        &json!([
            "codeloop.ask",
            "codeloop.cancel",
            "codeloop.status",
            "codeloop.threads",
            "codeloop.approve",
            "codeloop.deny",
            "codeloop.resume",
            "codeloop.fork",
            "codeloop.compact",
            "codeloop.undo"
        ])
    );
    c.shutdown();
}
