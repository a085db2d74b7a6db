//! The agent's code actions and thread commands end to end: the real binary over stdio, the
//! in-repo client, the scripted mock model. The action list and its latency, `AI!` comments in
//! Rust and Python becoming the edit that removes them, `codeAction/resolve`, `codeloop.undo`
//! (over the user's later typing, and refused when the user changed the agent's lines),
//! `codeloop.compact`, `codeloop.fork`, `codeloop.resume` across server restarts, progress on
//! the client's workDoneToken, and `workspace/didChangeConfiguration`.

use mock_model::{MockServer, RecordedRequest, Script, Turn};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use tests::workspace::TempWorkspace;
use tests::{file_uri, LspClient, TIMEOUT};

struct World {
    client: LspClient,
    server: MockServer,
    rt: tokio::runtime::Runtime,
    tmp: TempWorkspace,
}

fn spawn(tmp: &TempWorkspace, base_url: &str, caps: Value, options: Value) -> LspClient {
    let mut client = crate::spawn_agent_client(tmp);
    let mut opts = crate::agent_options(base_url, Value::Null);
    crate::merge(&mut opts, options);
    let mut all_caps = json!({"window": {"workDoneProgress": true}});
    crate::merge(&mut all_caps, caps);
    client.initialize(&tmp.path("ws"), all_caps, opts);
    client
}

fn world(name: &str, files: &[(&str, &str)], script: Script, caps: Value) -> World {
    let tmp = TempWorkspace::new(&format!("actions-{name}"));
    for d in ["ws", "state", "config"] {
        std::fs::create_dir_all(tmp.path(d)).unwrap();
    }
    for (path, text) in files {
        tmp.write(&format!("ws/{path}"), text);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let server = rt.block_on(MockServer::start(script)).unwrap();
    let client = spawn(&tmp, &server.base_url(), caps, Value::Null);
    World { client, server, rt, tmp }
}

impl World {
    fn uri(&self, rel: &str) -> String {
        file_uri(&self.tmp.path(&format!("ws/{rel}")))
    }

    fn open(&mut self, rel: &str, lang: &str, text: &str) -> String {
        let uri = self.uri(rel);
        self.client.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri, "languageId": lang, "version": 1, "text": text}}));
        uri
    }

    fn requests(&self, n: usize) -> Vec<RecordedRequest> {
        self.rt.block_on(self.server.wait_for_requests(n, TIMEOUT)).unwrap()
    }

    fn command(&mut self, command: &str, args: Value) -> Result<Value, Value> {
        self.client.request("workspace/executeCommand", json!({"command": command, "arguments": [args]}))
    }

    fn event(&mut self, thread: &str, typ: &str) -> Value {
        self.client.wait_notification("codeloop/event", |p| p["threadId"] == thread && p["type"] == typ)
    }

    fn actions(&mut self, uri: &str, range: Value, diagnostics: Value) -> Vec<Value> {
        let params = json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": diagnostics}});
        self.client.request("textDocument/codeAction", params).unwrap().as_array().cloned().unwrap_or_default()
    }

    /// Waits for an applyEdit, applies it to `text` (the buffer at `version`), sends the
    /// didChange and answers `applied: true`. Returns the new text.
    fn apply_next_edit(&mut self, uri: &str, text: &str, version: i64) -> String {
        let req = self.client.wait_server_request("workspace/applyEdit");
        let edit = &req["params"]["edit"]["documentChanges"][0];
        assert_eq!(edit["textDocument"], json!({"uri": uri, "version": version}), "{req}");
        let (new_text, changes) = apply_edits(text, &edit["edits"]);
        self.client
            .notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": version + 1}, "contentChanges": changes}));
        self.client.reply(&req["id"], json!({"applied": true}));
        new_text
    }
}

fn offset(text: &str, line: u64, character: u64) -> usize {
    let start: usize = text.split_inclusive('\n').take(line as usize).map(str::len).sum();
    let mut units = 0u64;
    for (i, ch) in text[start..].char_indices() {
        if units >= character || ch == '\n' {
            return start + i;
        }
        units += ch.len_utf16() as u64;
    }
    text.len()
}

/// Applies a TextDocumentEdit's edits (utf-16) and returns the text and the didChange changes.
fn apply_edits(text: &str, edits: &Value) -> (String, Vec<Value>) {
    let mut out = text.to_string();
    let mut list: Vec<&Value> = edits.as_array().unwrap().iter().collect();
    list.sort_by_key(|e| (e["range"]["start"]["line"].as_u64(), e["range"]["start"]["character"].as_u64()));
    for e in list.iter().rev() {
        let (s, en) = (&e["range"]["start"], &e["range"]["end"]);
        let a = offset(&out, s["line"].as_u64().unwrap(), s["character"].as_u64().unwrap());
        let b = offset(&out, en["line"].as_u64().unwrap(), en["character"].as_u64().unwrap());
        out.replace_range(a..b, e["newText"].as_str().unwrap());
    }
    let changes = list.iter().rev().map(|e| json!({"range": e["range"], "text": e["newText"]})).collect();
    (out, changes)
}

fn range(l1: u32, c1: u32, l2: u32, c2: u32) -> Value {
    json!({"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}})
}

fn titles(actions: &[Value]) -> Vec<String> {
    actions.iter().map(|a| a["title"].as_str().unwrap_or("").to_string()).collect()
}

fn find<'a>(actions: &'a [Value], prefix: &str) -> &'a Value {
    actions
        .iter()
        .find(|a| a["title"].as_str().is_some_and(|t| t.starts_with(prefix)))
        .unwrap_or_else(|| panic!("no {prefix}: {actions:?}"))
}

fn input_text(req: &RecordedRequest) -> String {
    req.input().iter().map(Value::to_string).collect::<Vec<_>>().join("\n")
}

const RUST: &str = "fn f() -> i32 {\n    // return 2 instead AI!\n    1\n}\n";
const RUST_PATCH: &str =
    "*** Begin Patch\n*** Update File: a.rs\n@@\n fn f() -> i32 {\n-    // return 2 instead AI!\n-    1\n+    2\n }\n*** End Patch";
const PYTHON: &str = "import os\n\ndef f():\n    # return 2 AI!\n    return 1\n";
const PYTHON_PATCH: &str =
    "*** Begin Patch\n*** Update File: b.py\n@@\n def f():\n-    # return 2 AI!\n-    return 1\n+    return 2\n*** End Patch";

#[test]
fn code_actions_are_listed_quickly_with_their_commands() {
    let mut w = world("list", &[], Script::new([]), Value::Null);
    let uri = w.open("a.rs", "rust", RUST);
    let diag = json!([{"range": range(2, 4, 2, 5), "message": "mismatched types", "severity": 1, "source": "rustc"}]);
    let actions = w.actions(&uri, range(1, 0, 2, 5), diag.clone());
    let t = titles(&actions);
    for want in [
        "Run AI instruction: return 2 instead",
        "Fix with agent: mismatched types",
        "Refactor selection with agent",
        "Write tests for f",
        "Explain with agent",
    ] {
        assert!(t.iter().any(|x| x == want), "{want} in {t:?}");
    }
    for a in &actions {
        assert_eq!(a["command"]["command"], "codeloop.ask", "{a}");
    }
    let fix = &find(&actions, "Fix with agent")["command"]["arguments"][0];
    assert_eq!(fix["diagnostics"], diag);
    assert!(fix["prompt"].as_str().unwrap().contains("line 3: mismatched types (rustc)"), "{fix}");
    let ai = &find(&actions, "Run AI instruction")["command"]["arguments"][0];
    assert_eq!(ai["uri"], uri);
    assert!(ai["prompt"].as_str().unwrap().contains("remove the comment"), "{ai}");
    // The surrounding code: the enclosing function's lines.
    assert_eq!(ai["range"], range(0, 0, 3, 1));
    // `only` filters by kind; a cursor outside any symbol gets no "Write tests".
    let params = json!({"textDocument": {"uri": uri}, "range": range(1, 0, 1, 0), "context": {"diagnostics": [], "only": ["refactor"]}});
    let only = w.client.request("textDocument/codeAction", params).unwrap();
    assert_eq!(titles(only.as_array().unwrap()), vec!["Write tests for f"]);

    // Latency: the handler reads the snapshot only.
    let mut times = Vec::new();
    for i in 0..100 {
        let start = Instant::now();
        let n = w.actions(&uri, range(i % 4, 0, i % 4, 3), Value::Array(vec![])).len();
        times.push(start.elapsed());
        assert!(n >= 1);
    }
    times.sort();
    let (p50, p99) = (times[50], times[98]);
    eprintln!("codeAction round trip over stdio: p50 {p50:?}, p99 {p99:?}, max {:?}", times[99]);
    assert!(p50 < Duration::from_millis(100), "p50 {p50:?}");
    w.client.shutdown();
}

fn run_ai_comment(name: &str, rel: &str, lang: &str, text: &str, patch: &str, expected: &str) -> (World, String, String) {
    let script = Script::new([Turn::custom_tool_call("apply_patch", "c1", patch), Turn::message("Done.")]);
    let mut w = world(name, &[], script, Value::Null);
    w.client.answer_manually("workspace/applyEdit");
    let uri = w.open(rel, lang, text);
    let line = text.lines().position(|l| l.ends_with("AI!")).unwrap() as u32;
    let actions = w.actions(&uri, range(line, 2, line, 2), json!([]));
    let cmd = find(&actions, "Run AI instruction")["command"].clone();
    let ids = w.client.request("workspace/executeCommand", json!({"command": cmd["command"], "arguments": cmd["arguments"]})).unwrap();
    let thread = ids["threadId"].as_str().unwrap().to_string();
    let new_text = w.apply_next_edit(&uri, text, 1);
    assert_eq!(new_text, expected);
    w.event(&thread, "turnCompleted");
    let first = input_text(&w.requests(2)[0]);
    assert!(first.contains("ends in `AI!`") && first.contains("remove the comment"), "{first}");
    (w, uri, thread)
}

#[test]
fn ai_comment_in_rust_becomes_the_edit_that_removes_it_and_undo_restores_it() {
    let expected = "fn f() -> i32 {\n    2\n}\n";
    let (mut w, uri, thread) = run_ai_comment("ai-rust", "a.rs", "rust", RUST, RUST_PATCH, expected);
    // The user types a line at the top after the agent's edit: undo keeps it.
    let top = json!({"range": range(0, 0, 0, 0), "text": "// mine\n"});
    w.client.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [top]}));
    let now = format!("// mine\n{expected}");
    let result = w.command("codeloop.undo", json!({})).unwrap();
    assert_eq!(result["threadId"], thread);
    assert_eq!(result["turnId"], "turn-1");
    assert_eq!(result["files"], json!([uri]));
    let undone = w.apply_next_edit(&uri, &now, 3);
    assert_eq!(undone, format!("// mine\n{RUST}"));
    let state = crate::doc_text(&mut w.client, &uri);
    assert_eq!(state["text"], format!("// mine\n{RUST}"));
    let err = w.command("codeloop.undo", json!({})).unwrap_err();
    assert_eq!(err["code"], -32803, "{err}");
    assert!(err["message"].as_str().unwrap().contains("no agent edits to undo"), "{err}");
    w.client.shutdown();
}

#[test]
fn ai_comment_in_python_and_undo_refused_over_the_users_change() {
    let expected = "import os\n\ndef f():\n    return 2\n";
    let (mut w, uri, thread) = run_ai_comment("ai-python", "b.py", "python", PYTHON, PYTHON_PATCH, expected);
    // The user rewrites the agent's line.
    let change = json!({"range": range(3, 11, 3, 12), "text": "3"});
    w.client.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [change]}));
    let err = w.command("codeloop.undo", json!({"threadId": thread})).unwrap_err();
    assert_eq!(err["code"], -32803, "{err}");
    assert!(err["message"].as_str().unwrap().contains("b.py: line 4 was changed since the agent's edit"), "{err}");
    assert_eq!(crate::doc_text(&mut w.client, &uri)["text"], "import os\n\ndef f():\n    return 3\n");
    w.client.shutdown();
}

#[test]
fn resolve_fills_the_command() {
    let caps = json!({"textDocument": {"codeAction": {"dataSupport": true, "resolveSupport": {"properties": ["command"]}}}});
    let mut w = world("resolve", &[], Script::new([]), caps);
    let uri = w.open("a.rs", "rust", RUST);
    let actions = w.actions(&uri, range(1, 0, 1, 0), json!([]));
    let ai = find(&actions, "Run AI instruction").clone();
    assert!(ai.get("command").is_none(), "light action: {ai}");
    assert_eq!(ai["data"], json!({"action": "aiComment", "uri": uri, "line": 1}));
    let resolved = w.client.request("codeAction/resolve", ai).unwrap();
    assert_eq!(resolved["command"]["command"], "codeloop.ask");
    assert!(resolved["command"]["arguments"][0]["prompt"].as_str().unwrap().contains("return 2 instead"), "{resolved}");
    // The comment is gone by the time of the resolve: an error, not a stale prompt.
    let gone = json!({"range": range(1, 0, 2, 0), "text": ""});
    w.client.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [gone]}));
    let err = w.client.request("codeAction/resolve", find(&actions, "Run AI instruction").clone()).unwrap_err();
    assert!(err["message"].as_str().unwrap().contains("the AI comment is gone"), "{err}");
    w.client.shutdown();
}

#[test]
fn compact_fork_and_resume_across_restarts() {
    let script = Script::new([Turn::message("Hi."), Turn::message("SUMMARY: the user said hello."), Turn::message("Forked.")]);
    let mut w = world("threads", &[], script, Value::Null);
    let t1 = w.command("codeloop.ask", json!({"prompt": "hello there"})).unwrap()["threadId"].as_str().unwrap().to_string();
    w.event(&t1, "turnCompleted");
    assert_eq!(w.command("codeloop.compact", json!({"threadId": t1})).unwrap(), json!({"threadId": t1}));
    w.event(&t1, "compacted");
    let fork = w.command("codeloop.fork", json!({"threadId": t1})).unwrap();
    let t2 = fork["threadId"].as_str().unwrap().to_string();
    assert_ne!(t2, t1);
    assert_eq!(fork["forkedFrom"], t1);
    w.command("codeloop.ask", json!({"prompt": "and now?", "threadId": t2})).unwrap();
    w.event(&t2, "turnCompleted");
    let third = input_text(&w.requests(3)[2]);
    assert!(third.contains("the user said hello") && third.contains("and now?"), "{third}");
    let err = w.command("codeloop.fork", json!({"threadId": "nope"})).unwrap_err();
    assert_eq!(err["code"], -32602, "{err}");
    let err = w.command("codeloop.compact", json!({})).unwrap_err();
    assert!(err["message"].as_str().unwrap().contains("missing field `threadId`"), "{err}");
    w.client.shutdown();

    // A new server on the same state dir: the thread is listed, not live, and resumes.
    let server = w.rt.block_on(MockServer::start(Script::new([Turn::message("Resumed.")]))).unwrap();
    let mut c = spawn(&w.tmp, &server.base_url(), Value::Null, Value::Null);
    let listed = c.request("workspace/executeCommand", json!({"command": "codeloop.threads", "arguments": []})).unwrap();
    let entry = listed["threads"].as_array().unwrap().iter().find(|t| t["threadId"] == t1).cloned().unwrap();
    assert_eq!(entry["live"], false);
    let resumed = c.request("workspace/executeCommand", json!({"command": "codeloop.resume", "arguments": [{"threadId": t1}]})).unwrap();
    assert_eq!(resumed, json!({"threadId": t1}));
    c.request("workspace/executeCommand", json!({"command": "codeloop.ask", "arguments": [{"prompt": "again", "threadId": t1}]})).unwrap();
    c.wait_notification("codeloop/event", |p| p["threadId"] == t1 && p["type"] == "turnCompleted");
    let req = input_text(&w.rt.block_on(server.wait_for_requests(1, TIMEOUT)).unwrap()[0]);
    assert!(req.contains("the user said hello") && req.contains("again"), "{req}");
    c.shutdown();
}

#[test]
fn progress_uses_the_client_token_and_configuration_reloads() {
    let script = Script::new([Turn::message("One."), Turn::message("Two.")]);
    let mut w = world("token", &[], script, Value::Null);
    let params = json!({"command": "codeloop.ask", "arguments": [{"prompt": "hi"}], "workDoneToken": "client-42"});
    w.client.request("workspace/executeCommand", params).unwrap();
    let end = w.client.wait_notification("$/progress", |p| p["token"] == "client-42" && p["value"]["kind"] == "end");
    assert_eq!(end["value"]["message"], "One.");
    let created: Vec<&Value> = w.client.log.iter().filter(|m| m["method"] == "window/workDoneProgress/create").collect();
    assert!(created.is_empty(), "no server-created token: {created:?}");
    // A new model through didChangeConfiguration: new threads use it.
    let base = w.server.base_url();
    let settings = json!({"codeloop": {"model": "other-model", "model_provider": "mock",
        "model_providers": {"mock": {"name": "mock", "base_url": base}}}});
    w.client.notify("workspace/didChangeConfiguration", json!({"settings": settings}));
    w.client.notify("workspace/didChangeConfiguration", json!({"settings": {}}));
    // Helix style: `file` and a 1-based `line` instead of `uri` and `range`.
    let args = json!({"prompt": "again", "file": "src/helix.rs", "line": 3});
    let t = w.command("codeloop.ask", args).unwrap()["threadId"].as_str().unwrap().to_string();
    w.event(&t, "turnCompleted");
    let second = &w.requests(2)[1];
    assert_eq!(second.json()["model"], "other-model");
    let input = input_text(second);
    assert!(input.contains("ws/src/helix.rs"), "{input}");
    let status = w.command("codeloop.status", Value::Null).unwrap();
    assert!(status["threads"].as_array().unwrap().iter().any(|s| s["model"] == "other-model"), "{status}");
    w.client.shutdown();
}

#[test]
fn transcripts_are_written_and_shown() {
    let script = Script::new([Turn::custom_tool_call("apply_patch", "c1", RUST_PATCH), Turn::message("Done: returns 2.")]);
    let tmp = TempWorkspace::new("actions-transcript");
    for d in ["ws", "state", "config"] {
        std::fs::create_dir_all(tmp.path(d)).unwrap();
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let server = rt.block_on(MockServer::start(script)).unwrap();
    let caps = json!({"window": {"showDocument": {"support": true}}});
    let mut c = spawn(&tmp, &server.base_url(), caps, json!({"transcript": true}));
    c.answer_manually("window/showDocument");
    let uri = file_uri(&tmp.path("ws/a.rs"));
    c.notify("textDocument/didOpen", json!({"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": RUST}}));
    let t =
        c.request("workspace/executeCommand", json!({"command": "codeloop.ask", "arguments": [{"prompt": "do the AI! comment"}]})).unwrap();
    let thread = t["threadId"].as_str().unwrap().to_string();
    let show = c.wait_server_request("window/showDocument");
    let path = tmp.path(&format!("state/transcripts/{thread}.md"));
    assert_eq!(show["params"], json!({"uri": file_uri(&path), "external": false, "takeFocus": false}));
    c.reply(&show["id"], json!({"success": true}));
    c.wait_notification("codeloop/event", |p| p["threadId"] == thread && p["type"] == "turnCompleted");
    let text = std::fs::read_to_string(Path::new(&path)).unwrap();
    for want in [
        "# codeloop thread",
        "## You\n\n> do the AI! comment",
        "**apply_patch**",
        "-    // return 2 instead AI!",
        "+    2",
        "Done: returns 2.",
    ] {
        assert!(text.contains(want), "{want} in:\n{text}");
    }
    c.shutdown();
}
