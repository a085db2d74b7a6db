//! Randomized concurrent typing against the agent's edits, end to end: the real binary over
//! stdio, the in-repo client as the editor, the scripted mock model. For each seed the agent
//! rewrites one line of an open buffer with apply_patch while the user types at random places
//! (seeded xorshift, deterministic): first between the agent reading the buffer and the edit
//! being planned (the patch waits for the user's approval, policy untrusted, answered through
//! window/showMessageRequest), then between the edit being sent and the editor applying it (the
//! test holds the workspace/applyEdit, types, and refuses it the way VS Code refuses a stale
//! version, so the server rebases again). The final buffer must be the expected merge: every
//! keystroke of the user plus the agent's line. Some seeds type inside the agent's line instead
//! (before or after the edit was sent): the model must get the refusal with that line as it is
//! now, and the buffer must keep exactly what the user typed.

use mock_model::{MockServer, RecordedRequest, Script, Turn};
use serde_json::{json, Value};
use tests::workspace::TempWorkspace;
use tests::{file_uri, LspClient, TIMEOUT};

const SEEDS: u64 = 100;

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One seed's file: the text, the line the agent rewrites and what it writes.
struct Case {
    name: String,
    base: String,
    old_line: String,
    new_line: String,
    /// 0: the user types only outside the agent's line; 1: also inside it before the edit is
    /// planned; 2: inside it while the edit is in flight.
    inside: u8,
    before: usize,
    in_flight: usize,
}

fn case(seed: u64) -> Case {
    let mut rng = Rng::new(seed);
    let n = 6 + rng.below(6);
    let lines: Vec<String> = (0..n).map(|i| format!("line {i:02} é{} alpha beta", if i % 3 == 0 { "😀" } else { "" })).collect();
    let k = 2 + rng.below(n - 4);
    let inside = match rng.below(10) {
        0 | 1 => 1,
        2 | 3 => 2,
        _ => 0,
    };
    Case {
        name: format!("f{seed}.txt"),
        base: lines.iter().map(|l| format!("{l}\n")).collect(),
        old_line: lines[k].clone(),
        new_line: format!("AGENT-{seed} rewrote this!"),
        inside,
        before: rng.below(4),
        in_flight: if inside == 2 { 1 + rng.below(2) } else { rng.below(3) },
    }
}

/// The editor's copy of one buffer.
struct Buffer {
    uri: String,
    text: String,
    version: i32,
}

fn position(text: &str, byte: usize) -> Value {
    let line = text[..byte].matches('\n').count();
    let start = text[..byte].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": text[start..byte].encode_utf16().count()})
}

/// The byte offset of a utf-16 LSP position.
fn offset(text: &str, pos: &Value) -> usize {
    let (line, character) = (pos["line"].as_u64().unwrap() as usize, pos["character"].as_u64().unwrap());
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let mut units = 0u64;
    for (i, ch) in text[start..].char_indices() {
        if units >= character || ch == '\n' {
            return start + i;
        }
        units += ch.len_utf16() as u64;
    }
    text.len()
}

impl Buffer {
    /// The user replaces bytes `a..b` with `new` (one keystroke: one didChange).
    fn type_at(&mut self, client: &mut LspClient, a: usize, b: usize, new: &str) {
        let range = json!({"start": position(&self.text, a), "end": position(&self.text, b)});
        self.version += 1;
        self.text.replace_range(a..b, new);
        let change = json!({"range": range, "text": new});
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": self.uri, "version": self.version}, "contentChanges": [change]}),
        );
    }

    /// A random keystroke that keeps a character away from the agent's line: an insertion or
    /// a backspace.
    fn type_outside(&mut self, client: &mut LspClient, rng: &mut Rng, agent_line: &str) {
        let start = self.text.find(agent_line).unwrap();
        let end = start + agent_line.len();
        let far = |a: usize, b: usize| b + 2 <= start || a >= end + 2;
        let bounds: Vec<usize> = self.text.char_indices().map(|(i, _)| i).chain([self.text.len()]).collect();
        if rng.below(10) < 7 {
            let at: Vec<usize> = bounds.iter().copied().filter(|&p| far(p, p)).collect();
            let p = at[rng.below(at.len())];
            let key = ["x", "y", " ", "\n", "é", "😀"][rng.below(6)];
            self.type_at(client, p, p, key);
        } else {
            let chars: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).filter(|&(a, b)| far(a, b)).collect();
            let (a, b) = chars[rng.below(chars.len())];
            self.type_at(client, a, b, "");
        }
    }

    /// A keystroke inside the agent's line.
    fn type_inside(&mut self, client: &mut LspClient, agent_line: &str) {
        let p = self.text.find(agent_line).unwrap() + 3;
        self.type_at(client, p, p, "#");
    }
}

/// Applies a TextDocumentEdit's edits (utf-16) and returns the text and the didChange changes.
fn apply_edits(text: &str, edits: &Value) -> (String, Vec<Value>) {
    let mut out = text.to_string();
    let mut list: Vec<&Value> = edits.as_array().unwrap().iter().collect();
    list.sort_by_key(|e| (e["range"]["start"]["line"].as_u64(), e["range"]["start"]["character"].as_u64()));
    for e in list.iter().rev() {
        let (a, b) = (offset(&out, &e["range"]["start"]), offset(&out, &e["range"]["end"]));
        out.replace_range(a..b, e["newText"].as_str().unwrap());
    }
    (out, list.iter().rev().map(|e| json!({"range": e["range"], "text": e["newText"]})).collect())
}

fn tool_output(reqs: &[RecordedRequest], call: &str) -> String {
    match reqs.iter().find_map(|r| r.tool_output(call)) {
        Some(Value::String(s)) => s,
        Some(other) => other.to_string(),
        None => panic!("no output for {call}"),
    }
}

/// The numbered line the refusal shows: "7 | line 07 é alpha beta".
fn numbered(text: &str, needle: &str) -> String {
    let (i, line) = text.lines().enumerate().find(|(_, l)| l.contains(needle)).unwrap();
    format!("{} | {line}", i + 1)
}

#[test]
fn concurrent_typing_is_merged_or_the_overlap_refused() {
    let cases: Vec<Case> = (0..SEEDS).map(case).collect();
    let mut turns = Vec::new();
    for (seed, c) in cases.iter().enumerate() {
        let patch = format!("*** Begin Patch\n*** Update File: {}\n@@\n-{}\n+{}\n*** End Patch", c.name, c.old_line, c.new_line);
        turns.push(Turn::custom_tool_call("apply_patch", format!("c{seed}"), &patch));
        turns.push(Turn::message("Done."));
    }
    let tmp = TempWorkspace::new("agent-rebase");
    for d in ["ws", "state", "config"] {
        std::fs::create_dir_all(tmp.path(d)).unwrap();
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let server = rt.block_on(MockServer::start(Script::new(turns))).unwrap();
    let mut client = crate::spawn_agent_client(&tmp);
    let options = crate::agent_options(&server.base_url(), json!({"config": {"approval_policy": "untrusted"}}));
    let caps = json!({"window": {"workDoneProgress": true, "showMessage": {"messageActionItem": {"additionalPropertiesSupport": false}}}});
    client.initialize(&tmp.path("ws"), caps, options);
    client.answer_manually("workspace/applyEdit");
    client.answer_manually("window/showMessageRequest");

    let (mut merged, mut refused, mut resent) = (0, 0, 0);
    for (seed, c) in cases.iter().enumerate() {
        let mut rng = Rng::new(seed as u64 ^ 0xabcd);
        tmp.write(&format!("ws/{}", c.name), &c.base);
        let mut buf = Buffer { uri: file_uri(&tmp.path(&format!("ws/{}", c.name))), text: c.base.clone(), version: 1 };
        client.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": buf.uri, "languageId": "plaintext", "version": 1, "text": buf.text}}),
        );
        let args = json!({"prompt": "rewrite the line", "uri": buf.uri});
        let ids = client.request("workspace/executeCommand", json!({"command": "codeloop.ask", "arguments": [args]})).unwrap();
        let thread = ids["threadId"].as_str().unwrap().to_string();
        // The patch was computed against the buffer; it waits for the user's approval.
        let approval = client.wait_server_request("window/showMessageRequest");
        for _ in 0..c.before {
            buf.type_outside(&mut client, &mut rng, &c.old_line);
        }
        if c.inside == 1 {
            buf.type_inside(&mut client, &c.old_line);
        }
        client.reply(&approval["id"], json!({"title": "Allow once"}));
        let mut in_flight = c.in_flight;
        if c.inside != 1 {
            loop {
                let req = client.wait_server_request("workspace/applyEdit");
                let edit = &req["params"]["edit"]["documentChanges"][0];
                assert_eq!(edit["textDocument"], json!({"uri": buf.uri, "version": buf.version}), "seed {seed}");
                if in_flight > 0 {
                    // The user overtakes the edit: the editor refuses the stale version.
                    for _ in 0..in_flight {
                        buf.type_outside(&mut client, &mut rng, &c.old_line);
                    }
                    if c.inside == 2 {
                        buf.type_inside(&mut client, &c.old_line);
                    }
                    in_flight = 0;
                    resent += 1;
                    client.reply(&req["id"], json!({"applied": false, "failureReason": "document version mismatch"}));
                    if c.inside == 2 {
                        break;
                    }
                    continue;
                }
                let typed = buf.text.clone();
                let (text, changes) = apply_edits(&buf.text, &edit["edits"]);
                buf.text = text;
                buf.version += 1;
                client.notify(
                    "textDocument/didChange",
                    json!({"textDocument": {"uri": buf.uri, "version": buf.version}, "contentChanges": changes}),
                );
                client.reply(&req["id"], json!({"applied": true}));
                // The expected merge: everything the user typed, and the agent's line.
                assert_eq!(buf.text, typed.replacen(&c.old_line, &c.new_line, 1), "seed {seed}");
                break;
            }
        }
        client.wait_notification("codeloop/event", |p| p["threadId"] == thread && p["type"] == "turnCompleted");
        let reqs = rt.block_on(server.wait_for_requests(2 * (seed + 1), TIMEOUT)).unwrap();
        let out = tool_output(&reqs, &format!("c{seed}"));
        if c.inside == 0 {
            assert!(out.contains("Success"), "seed {seed}: {out}");
            assert!(buf.text.contains(&c.new_line) && !buf.text.contains(&c.old_line), "seed {seed}");
            merged += 1;
        } else {
            // The refusal shows the agent's line as it is now, numbered.
            assert!(out.contains("the user's typing overlaps the text this edit replaces"), "seed {seed}: {out}");
            let line = numbered(&buf.text, "lin#e");
            assert!(out.contains(&line), "seed {seed}: {out} should show {line:?}");
            assert!(!buf.text.contains(&c.new_line), "seed {seed}");
            refused += 1;
        }
        let state = client.request("codeloop/documentState", json!({"textDocument": {"uri": buf.uri}})).unwrap();
        assert_eq!(state["text"], buf.text, "seed {seed}: the server holds what the editor shows");
        assert_eq!(state["version"], buf.version, "seed {seed}");
        client.notify("textDocument/didClose", json!({"textDocument": {"uri": buf.uri}}));
    }
    assert!(merged > 0 && refused > 0 && resent > 0, "merged {merged}, refused {refused}, resent {resent}");
    client.shutdown();
}
