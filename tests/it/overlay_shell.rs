//! Shell commands on the workspace overlay (issue 5 §2, issue 6 §6), end to end: the real binary
//! in LSP mode with the in-repo client and the scripted mock model. A command sees the unsaved
//! buffers; what it writes comes back as one versioned `workspace/applyEdit` (Add, Update,
//! Delete) and the real tree stays untouched; write-through directories (target/) are written
//! for real; two threads do not see each other's overlay. The helper itself (`codeloop sandbox
//! --overlay`) is also run directly, as root and as the unprivileged `codeloop-test`.
//!
//! Where overlays are unavailable (no user namespaces, no overlayfs) the LSP tests are skipped
//! with a message, as the fallback is the real tree (covered by agent_lsp and exec tests).

use mock_model::{MockServer, RecordedRequest, Script, Turn};
use serde_json::json;
use std::process::Command;
use tests::workspace::TempWorkspace;
use tests::{file_uri, LspClient, TIMEOUT};

struct World {
    client: LspClient,
    server: MockServer,
    rt: tokio::runtime::Runtime,
    tmp: TempWorkspace,
}

fn shell(id: &str, script: &str) -> Turn {
    Turn::function_call("shell", id, json!({ "command": script }).to_string())
}

fn world(name: &str, files: &[(&str, &str)], script: Script) -> World {
    let tmp = TempWorkspace::new(&format!("overlay-{name}"));
    for d in ["ws", "state", "config"] {
        std::fs::create_dir_all(tmp.path(d)).unwrap();
    }
    for (path, text) in files {
        tmp.write(&format!("ws/{path}"), text);
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let server = rt.block_on(MockServer::start(script)).unwrap();
    let mut client = crate::spawn_agent_client(&tmp);
    let opts = crate::agent_options(&server.base_url(), serde_json::Value::Null);
    let caps = json!({
        "window": {"workDoneProgress": true},
        "workspace": {"workspaceEdit": {"documentChanges": true, "resourceOperations": ["create", "rename", "delete"]}},
    });
    client.initialize(&tmp.path("ws"), caps, opts);
    World { client, server, rt, tmp }
}

impl World {
    fn uri(&self, rel: &str) -> String {
        file_uri(&self.tmp.path(&format!("ws/{rel}")))
    }

    fn disk(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(self.tmp.path(&format!("ws/{rel}"))).ok()
    }

    fn ask(&mut self, prompt: &str, thread: Option<&str>) -> String {
        let mut args = json!({"prompt": prompt});
        if let Some(t) = thread {
            args["threadId"] = json!(t);
        }
        let ids = self.client.request("workspace/executeCommand", json!({"command": "codeloop.ask", "arguments": [args]})).unwrap();
        ids["threadId"].as_str().unwrap().to_string()
    }

    fn completed(&mut self, thread: &str) {
        self.client.wait_notification("codeloop/event", |p| p["threadId"] == thread && p["type"] == "turnCompleted");
    }

    fn requests(&self, n: usize) -> Vec<RecordedRequest> {
        self.rt.block_on(self.server.wait_for_requests(n, TIMEOUT)).unwrap()
    }

    fn output(&self, n: usize, call: &str) -> String {
        let reqs = self.requests(n);
        let out = reqs.iter().find_map(|r| r.tool_output(call)).unwrap_or_else(|| panic!("no output for {call}"));
        out.as_str().unwrap_or_default().to_string()
    }
}

/// Whether this machine can mount overlays (the server probes the same way).
fn overlays_work() -> bool {
    let tmp = TempWorkspace::new("overlay-probe");
    std::fs::create_dir_all(tmp.path("ws")).unwrap();
    std::fs::write(tmp.path("ws/f"), "x").unwrap();
    let out = helper(&tmp, "cat f", None);
    let ok = out.status.success();
    if !ok {
        eprintln!("overlays unavailable here, skipping: {}", String::from_utf8_lossy(&out.stderr));
    }
    ok
}

/// `codeloop sandbox --overlay` on `<tmp>/ws` with `<tmp>/state` as the upper layer's home.
fn helper(tmp: &TempWorkspace, script: &str, user: Option<&str>) -> std::process::Output {
    let (ws, state) = (tmp.path("ws"), tmp.path("state"));
    for d in ["upper", "work"] {
        std::fs::create_dir_all(state.join(d)).unwrap();
    }
    let spec = json!({"root": ws, "upper": state.join("upper"), "work": state.join("work"), "writeThrough": ["target"]});
    let mut c = match user {
        Some(u) => {
            let mut c = Command::new("setpriv");
            c.args([&format!("--reuid={u}"), &format!("--regid={u}"), "--init-groups", "--"]).arg(tests::codeloop_bin());
            c
        }
        None => Command::new(tests::codeloop_bin()),
    };
    c.args(["sandbox", "--explain", "--timeout", "30", "--overlay", &spec.to_string(), "--", "bash", "-c", script]);
    c.current_dir(&ws).output().unwrap()
}

/// (a) + (b): the command reads the unsaved buffer, and its write becomes a versioned edit of
/// that buffer; the disk file keeps its content.
#[test]
fn a_command_sees_the_buffer_and_its_write_becomes_an_edit() {
    if !overlays_work() {
        return;
    }
    let script = Script::new([shell("c1", "cat a.txt && printf 'in buffer\\nmore\\n' > a.txt"), Turn::message("done")]);
    let mut w = world("buffer", &[("a.txt", "on disk\n")], script);
    w.client.answer_manually("workspace/applyEdit");
    let uri = w.uri("a.txt");
    w.client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "plaintext", "version": 4, "text": "in buffer\n"}}),
    );
    let thread = w.ask("append to a.txt", None);
    let req = w.client.wait_server_request("workspace/applyEdit");
    let edit = &req["params"]["edit"]["documentChanges"][0];
    assert_eq!(edit["textDocument"], json!({"uri": uri, "version": 4}), "{req}");
    let insert = json!([{"range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}}, "newText": "more\n"}]);
    assert_eq!(edit["edits"], insert, "a minimal edit: {req}");
    let change = json!({"range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}}, "text": "more\n"});
    w.client.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": 5}, "contentChanges": [change]}));
    w.client.reply(&req["id"], json!({"applied": true}));
    w.completed(&thread);
    let out = w.output(2, "c1");
    assert!(out.contains("Output:\nin buffer\n"), "the command read the buffer, not the disk: {out}");
    assert!(out.contains("[overlay] files changed by the command, proposed to the editor: M a.txt"), "{out}");
    assert_eq!(w.disk("a.txt").as_deref(), Some("on disk\n"), "the real tree is untouched");
    w.client.shutdown();
}

/// (c) + (d): a created file becomes a CreateFile + insert, a deleted one a DeleteFile; target/
/// is written through to the real tree and is not proposed; a binary file and a symlink are
/// named as not transferred.
#[test]
fn created_and_deleted_files_become_resource_operations_and_target_writes_through() {
    if !overlays_work() {
        return;
    }
    let cmd = "rm old.txt && echo hi > new.txt && echo built > target/out.txt && ls && printf 'a\\377b' > bin.dat && ln -s keep.txt link";
    let script = Script::new([shell("c1", cmd), Turn::message("done")]);
    let mut w = world("add-delete", &[("old.txt", "bye\n"), ("keep.txt", "keep\n"), ("target/.keep", "")], script);
    w.client.answer_manually("workspace/applyEdit");
    let thread = w.ask("shuffle files", None);
    let req = w.client.wait_server_request("workspace/applyEdit");
    let changes = &req["params"]["edit"]["documentChanges"];
    let (new_uri, old_uri) = (w.uri("new.txt"), w.uri("old.txt"));
    assert_eq!(changes[0]["kind"], "create", "{req}");
    assert_eq!(changes[0]["uri"], json!(new_uri));
    assert_eq!(changes[1]["textDocument"]["uri"], json!(new_uri));
    assert_eq!(changes[1]["edits"][0]["newText"], "hi\n");
    assert_eq!((&changes[2]["kind"], &changes[2]["uri"]), (&json!("delete"), &json!(old_uri)), "{req}");
    assert_eq!(changes.as_array().unwrap().len(), 3, "target/ is not proposed: {req}");
    w.client.reply(&req["id"], json!({"applied": true}));
    w.completed(&thread);
    let out = w.output(2, "c1");
    assert!(out.contains("[overlay] files changed by the command, proposed to the editor: A new.txt, D old.txt"), "{out}");
    assert!(out.contains("keep.txt\nnew.txt\ntarget\n"), "the command saw its own changes: {out}");
    assert!(
        out.contains("not transferred: bin.dat (binary or not UTF-8: kept for this thread's commands only); link (a symlink to keep.txt"),
        "{out}"
    );
    assert!(w.disk("bin.dat").is_none() && w.tmp.path("ws/link").symlink_metadata().is_err());
    assert_eq!(w.disk("old.txt").as_deref(), Some("bye\n"), "the real tree is untouched");
    assert_eq!(w.disk("new.txt"), None);
    assert_eq!(w.disk("target/out.txt").as_deref(), Some("built\n"), "target/ writes through");
    w.client.shutdown();
}

/// (e): thread A's overlay holds a git-ignored file (not proposed, kept for A's commands);
/// thread B does not see it, A's next command does, and the real tree never has it.
#[test]
fn threads_do_not_see_each_others_overlay() {
    if !overlays_work() {
        return;
    }
    let script = Script::new([
        shell("a1", "echo secret > a.log && echo wrote"),
        Turn::message("a done"),
        shell("b1", "cat a.log || echo missing"),
        Turn::message("b done"),
        shell("a2", "cat a.log"),
        Turn::message("a again"),
    ]);
    let mut w = world("threads", &[(".gitignore", "*.log\n")], script);
    let a = w.ask("write", None);
    w.completed(&a);
    let b = w.ask("read", None);
    assert_ne!(a, b);
    w.completed(&b);
    w.ask("read again", Some(&a));
    w.completed(&a);
    let (a1, b1, a2) = (w.output(6, "a1"), w.output(6, "b1"), w.output(6, "a2"));
    assert!(a1.contains("wrote") && !a1.contains("[overlay] files changed"), "ignored files are not proposed: {a1}");
    assert!(b1.contains("missing"), "thread B saw thread A's file: {b1}");
    assert!(a2.contains("Output:\nsecret\n"), "thread A keeps its own file: {a2}");
    assert_eq!(w.disk("a.log"), None, "the real tree never had it");
    assert!(!w.client.log.iter().any(|m| m["method"] == "workspace/applyEdit"));
    let overlays = w.tmp.path("state/overlays");
    assert_eq!(std::fs::read_dir(&overlays).unwrap().count(), 2, "one overlay per thread");
    w.client.shutdown();
    let left: Vec<_> = std::fs::read_dir(&overlays).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "the overlays are removed with their threads: {left:?}");
}

/// The helper alone, as root and as the unprivileged test user: the command sees the upper
/// layer, writes land there, target/ writes through, .git stays read-only, and the report says
/// the overlay was used.
#[test]
fn the_helper_mounts_the_overlay_for_root_and_unprivileged_users() {
    let root = Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false);
    let mut users = vec![None];
    if root {
        let exists = || Command::new("id").arg("codeloop-test").output().is_ok_and(|o| o.status.success());
        if !exists() {
            let _ = Command::new("useradd").args(["-M", "-s", "/bin/sh", "codeloop-test"]).status();
        }
        if exists() {
            users.push(Some("codeloop-test"));
        }
    }
    for user in users {
        let tmp = TempWorkspace::new("overlay-helper");
        tmp.write("ws/a.txt", "disk\n");
        tmp.write("ws/.git/config", "orig\n");
        tmp.write("ws/target/.keep", "");
        tmp.write("state/upper/a.txt", "staged buffer\n");
        std::fs::create_dir_all(tmp.path("state/work")).unwrap();
        if let Some(u) = user {
            let ok = Command::new("chown").args(["-R", &format!("{u}:{u}")]).arg(&tmp.root).status().unwrap();
            assert!(ok.success());
        }
        let script = "cat a.txt; echo new > b.txt; echo built > target/out; echo x >> .git/config 2>/dev/null && echo ESCAPED; true";
        let out = helper(&tmp, script, user);
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if !out.status.success() && stderr.contains("cannot enter the workspace overlay") && user.is_some() {
            eprintln!("no unprivileged overlays here: {stderr}");
            continue;
        }
        assert!(out.status.success(), "{user:?}: {stdout}\n{stderr}");
        assert!(stderr.contains("overlay"), "{user:?}: the report names the overlay: {stderr}");
        assert_eq!(stdout, "staged buffer\n", "{user:?}: {stderr}");
        let read = |rel: &str| std::fs::read_to_string(tmp.path(rel)).ok();
        assert_eq!(read("ws/a.txt").as_deref(), Some("disk\n"));
        assert_eq!(read("ws/b.txt"), None, "{user:?}: a write reached the real tree");
        assert_eq!(read("state/upper/b.txt").as_deref(), Some("new\n"));
        assert_eq!(read("ws/target/out").as_deref(), Some("built\n"), "{user:?}: target/ writes through");
        assert_eq!(read("ws/.git/config").as_deref(), Some("orig\n"));
        assert_eq!(read("state/upper/.git/config"), None, "{user:?}: .git stays read-only on the overlay");
    }
}
