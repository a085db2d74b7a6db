//! End-to-end tests of the approval policies through `codeloop exec`, which answers every
//! approval request with Denied: what runs without asking, what asks (and what the model reads
//! after the denial), what is forbidden, under untrusted, on-request, on-failure and never. The
//! commands run in the default workspace-write sandbox.
//!
//! Deliberately not here: the decision table itself (sandbox::approval's unit tests) and the LSP
//! rendering of requests (the lsp crate).

// The harness is shared with exec.rs by path (its module there is private to it).
#[allow(dead_code, clippy::duplicate_mod)]
#[path = "exec_support.rs"]
mod support;

use mock_model::{Output, Script, Turn};
use serde_json::{json, Value};

use support::{Finished, Setup};

fn call(id: &str, args: Value) -> Output {
    Output::function_call("shell", id, args.to_string())
}

/// One response with `calls`, then a final answer.
fn script(calls: Vec<Output>) -> Script {
    Script::new([Turn::new(calls), Turn::new([Output::final_answer("done")])])
}

/// The approval requests of a run, as `command escalated=.. (reason)`, sorted (parallel calls).
fn requests(run: &Finished) -> Vec<String> {
    let mut out: Vec<String> = run
        .of_type("approvalRequested")
        .iter()
        .map(|e| {
            let r = &e["request"];
            let cmd: Vec<&str> = r["command"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
            format!("{} escalated={} ({})", cmd.join(" "), r["escalated"], r["reason"].as_str().unwrap_or(""))
        })
        .collect();
    out.sort();
    out
}

fn output(setup: &Setup, call_id: &str) -> String {
    let req = setup.requests();
    let out = req.last().unwrap().tool_output(call_id).unwrap_or_else(|| panic!("no output for {call_id}"));
    out.as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_runs_known_safe_commands_and_asks_for_the_rest() {
    let setup = Setup::new(
        "approval-untrusted",
        &[("a.txt", "hello\n")],
        script(vec![call("c1", json!({"command": ["ls"]})), call("c2", json!({"command": "touch x"}))]),
    )
    .await;
    let run = setup.spawn(&["--approval", "untrusted"], "look around").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(requests(&run), ["bash -lc touch x escalated=false (not a known read-only command (approval policy: untrusted))"]);
    let ls = output(&setup, "c1");
    assert!(ls.contains("Exit code: 0") && ls.contains("a.txt"), "{ls}");
    let touch = output(&setup, "c2");
    assert!(touch.starts_with("Not run: the user denied the request to run this command."), "{touch}");
    assert!(setup.read("x").is_none(), "a denied command ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_request_asks_for_escalation_and_dangerous_commands_only() {
    let setup = Setup::new(
        "approval-on-request",
        &[("sub/keep.txt", "keep\n")],
        script(vec![
            call("c1", json!({"command": "touch inside.txt"})),
            call(
                "c2",
                json!({"command": "touch escalated.txt", "sandbox_permissions": "require_escalated", "justification": "Write outside the workspace?"}),
            ),
            call("c3", json!({"command": "rm -rf sub"})),
        ]),
    )
    .await;
    let run = setup.spawn(&["--approval", "on-request"], "do things").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        requests(&run),
        [
            "bash -lc rm -rf sub escalated=false (this command can destroy data)",
            "bash -lc touch escalated.txt escalated=true (Write outside the workspace?)",
        ]
    );
    assert_eq!(setup.read("inside.txt").as_deref(), Some(""), "a plain call runs sandboxed without asking");
    let esc = output(&setup, "c2");
    assert!(esc.starts_with("Not run: the user denied the request to run this command outside the sandbox."), "{esc}");
    assert!(setup.read("escalated.txt").is_none());
    assert!(output(&setup, "c3").starts_with("Not run: the user denied"));
    assert_eq!(setup.read("sub/keep.txt").as_deref(), Some("keep\n"), "a denied rm -rf ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_forbids_dangerous_commands_and_runs_escalations_sandboxed() {
    let setup = Setup::new(
        "approval-never",
        &[("something/keep.txt", "keep\n")],
        script(vec![
            call("c1", json!({"command": ["rm", "-rf", "something"]})),
            call("c2", json!({"command": "touch n.txt", "sandbox_permissions": "require_escalated", "justification": "please"})),
        ]),
    )
    .await;
    let run = setup.spawn(&["--approval", "never"], "clean up").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(requests(&run).is_empty(), "never asks");
    let rm = output(&setup, "c1");
    assert!(rm.starts_with("Not run: this command can destroy data; destructive commands are forbidden"), "{rm}");
    assert_eq!(setup.read("something/keep.txt").as_deref(), Some("keep\n"));
    let esc = output(&setup, "c2");
    assert!(esc.contains("Exit code: 0") && esc.contains("[approval] Escalation is not available"), "{esc}");
    assert_eq!(setup.read("n.txt").as_deref(), Some(""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_failure_offers_an_unsandboxed_retry_after_a_denial() {
    let outside = std::env::temp_dir().join(format!("codeloop-approval-outside-{}", std::process::id()));
    let setup = Setup::new(
        "approval-on-failure",
        &[],
        script(vec![
            call("c1", json!({"command": format!("touch {}", outside.display())})),
            call("c2", json!({"command": "touch ok.txt"})),
        ]),
    )
    .await;
    let run = setup.spawn(&["--approval", "on-failure"], "touch").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        requests(&run),
        [format!("bash -lc touch {} escalated=true (command failed in the sandbox; retry without it?)", outside.display())]
    );
    let out = output(&setup, "c1");
    assert!(out.contains("[sandbox]") && out.contains("[approval] The user declined to rerun it outside the sandbox"), "{out}");
    assert!(!outside.exists(), "the retry ran although it was denied");
    assert_eq!(setup.read("ok.txt").as_deref(), Some(""), "on-failure runs commands in the sandbox without asking");
}
