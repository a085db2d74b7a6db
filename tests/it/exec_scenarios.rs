//! End-to-end scenarios of `codeloop exec` beyond a single clean turn: compaction (by threshold
//! and on a context overflow), resuming a thread after the process was SIGKILLed, stdout
//! hygiene, and model stream faults (retried, and fatal). Same harness as `exec.rs`.
//!
//! Deliberately not here: the retry timing and SSE parsing details (model-client's own tests).

use expect_test::expect;
use mock_model::{End, Output, Script, Turn, Usage};
use serde_json::json;

use super::support::{kill_leftovers, marker, shape, Setup};

fn shell_args(argv: &[&str]) -> String {
    json!({ "command": argv }).to_string()
}

fn shapes(setup: &Setup) -> String {
    let mut out = String::new();
    for (i, r) in setup.requests().iter().enumerate() {
        out.push_str(&format!("--- request {} {}\n{}", i + 1, r.path, shape(r)));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_compaction_mid_turn_replaces_the_history() {
    let setup = Setup::new(
        "compaction",
        &[],
        Script::new([
            // 900 tokens of a 1000-token window: over the 80 % limit once the output is added.
            Turn::function_call("shell", "k1", shell_args(&["echo", "one"])).usage(Usage {
                input_tokens: 880,
                output_tokens: 20,
                ..Usage::default()
            }),
            Turn::message("SUMMARY: ran echo one; next, say finished."),
            Turn::new([Output::final_answer("Finished.")]),
        ]),
    )
    .await;
    let run = setup.spawn(&["-c", "model_context_window=1000"], "echo one, then finish").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.of_type("compacted").len(), 1, "{}", run.outline());
    assert_eq!(run.of_type("turnCompleted")[0]["lastMessage"], "Finished.");
    expect![[r#"
        --- request 1 /v1/responses
        message developer: <permissions>
        message user: <environment_context>
        message user: echo one, then finish
        --- request 2 /v1/responses
        message developer: <permissions>
        message user: <environment_context>
        message user: echo one, then finish
        function_call: shell k1
        function_call_output: k1 Exit code: 0
        message user: Stop working on the task for a moment: the conve
        --- request 3 /v1/responses
        message developer: <permissions>
        message user: <environment_context>
        message user: echo one, then finish
        message user: Summary of the earlier conversation (you wrote i
    "#]]
    .assert_eq(&shapes(&setup));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_compaction_is_used_where_the_provider_supports_it() {
    let setup = Setup::new(
        "remote-compaction",
        &[],
        Script::new([
            Turn::function_call("shell", "k1", shell_args(&["echo", "one"])).usage(Usage {
                input_tokens: 880,
                output_tokens: 20,
                ..Usage::default()
            }),
            // Served by POST /v1/responses/compact as {"output": [...]}.
            Turn::new([Output::message("echo one, then finish"), Output::Compaction { encrypted_content: "opaque-summary".into() }]),
            Turn::new([Output::final_answer("Finished.")]),
        ]),
    )
    .await;
    let extra = ["-c", "model_context_window=1000", "-c", "model_providers.mock.supports_remote_compaction=true"];
    let run = setup.spawn(&extra, "echo one, then finish").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let compacted = run.of_type("compacted");
    assert_eq!(compacted.len(), 1, "{}", run.outline());
    assert_eq!(compacted[0]["remote"], true);
    let reqs = setup.requests();
    assert_eq!(reqs[1].path, "/v1/responses/compact");
    let body = reqs[1].json();
    assert_eq!(body["model"], "test-model");
    assert!(body.get("stream").is_none(), "the compact call is not streamed: {body}");
    // The next request: the initial context, then what the provider returned, the opaque item kept.
    let last = reqs[2].input();
    assert_eq!(last.last().unwrap()["type"], "compaction");
    assert_eq!(last.last().unwrap()["encrypted_content"], "opaque-summary");
    assert_eq!(last[0]["role"], "developer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_overflow_compacts_and_retries_once() {
    let overflow = || Turn::new([]).end(End::Failed { code: "context_length_exceeded".into(), message: "too long".into() });
    let setup = Setup::new(
        "overflow",
        &[],
        Script::new([overflow(), Turn::message("SUMMARY: nothing done yet."), Turn::new([Output::final_answer("Done after compaction.")])]),
    )
    .await;
    let run = setup.spawn(&[], "do a big thing").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.of_type("compacted").len(), 1, "{}", run.outline());
    assert_eq!(run.of_type("turnCompleted")[0]["lastMessage"], "Done after compaction.");
    expect![[r#"
        --- request 1 /v1/responses
        message developer: <permissions>
        message user: <environment_context>
        message user: do a big thing
        --- request 2 /v1/responses
        message developer: <permissions>
        message user: <environment_context>
        message user: do a big thing
        message user: Stop working on the task for a moment: the conve
        --- request 3 /v1/responses
        message developer: <permissions>
        message user: <environment_context>
        message user: do a big thing
        message user: Summary of the earlier conversation (you wrote i
    "#]]
    .assert_eq(&shapes(&setup));

    // Only once: a second overflow after the compaction fails the turn.
    let setup = Setup::new(
        "overflow-twice",
        &[],
        Script::new([overflow(), Turn::message("SUMMARY: nothing."), overflow(), Turn::message("not reached")]),
    )
    .await;
    let run = setup.spawn(&[], "do a bigger thing").finish().await;
    assert_eq!(run.code, Some(1), "{}", run.outline());
    assert_eq!(setup.server.turns_served(), 3);
    assert_eq!(run.of_type("turnFailed").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_after_sigkill_continues_with_an_aborted_output() {
    let mark = format!("41.{}", marker());
    let setup = Setup::new(
        "resume",
        &[],
        Script::new([
            Turn::function_call("shell", "r1", shell_args(&["sh", "-c", &format!("sleep {mark}")])),
            Turn::new([Output::final_answer("Resumed.")]),
        ]),
    )
    .await;
    let mut run = setup.spawn(&[], "start a long job");
    let begin = run.wait_event(|e| e["type"] == "toolCallBegin" && e["callId"] == "r1").await;
    let thread_id = begin["threadId"].as_str().unwrap().to_string();
    run.signal("KILL");
    let killed = run.finish().await;
    // The orphaned command is ours to clean up: codeloop had no chance to.
    kill_leftovers(&mark);
    assert_eq!(killed.code, None);
    assert_eq!(killed.of_type("threadStarted")[0]["threadId"], thread_id.as_str());

    let run = setup.spawn(&["--resume", &thread_id], "go on").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.of_type("turnCompleted")[0]["lastMessage"], "Resumed.");
    assert_eq!(run.events[0]["threadId"], thread_id.as_str());
    let reqs = setup.requests();
    assert_eq!(reqs.len(), 2);
    // The resumed request extends the killed one's.
    let (before, after) = (reqs[0].input(), reqs[1].input());
    assert!(after.len() > before.len());
    // The same cache key, instructions and tools from the second process.
    let (a, b) = (reqs[0].json(), reqs[1].json());
    assert_eq!(b["prompt_cache_key"], thread_id.as_str());
    for key in ["prompt_cache_key", "instructions", "tools"] {
        assert!(a[key] == b[key], "{key} changed across the resume");
    }
    assert_eq!(before[..], after[..before.len()]);
    // The killed call was written to the session file before it ran, so the resumed history
    // holds it, closed by an "aborted" output.
    expect![[r#"
        message developer: <permissions>
        message user: <environment_context>
        message user: start a long job
        function_call: shell r1
        function_call_output: r1 aborted
        message user: go on
    "#]]
    .assert_eq(&shape(&reqs[1]));
    assert_eq!(reqs[1].tool_output("r1"), Some(serde_json::json!("aborted")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stdout_holds_only_events_in_json_mode_and_only_the_answer_otherwise() {
    let script = || {
        Script::new([
            Turn::function_call("shell", "c1", shell_args(&["sh", "-c", "echo LEAK-OUT; echo LEAK-ERR >&2"])),
            Turn::new([Output::final_answer("Two\nlines.")]),
        ])
    };
    let setup = Setup::new("stdout-json", &[], script()).await;
    let run = setup.spawn(&[], "print things").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    // The harness parsed every line as an event; nothing else came out.
    assert_eq!(run.stdout.len(), run.events.len());
    // The command's output reaches stdout only inside the events that quote it.
    for line in run.stdout.iter().filter(|l| l.contains("LEAK")) {
        let e: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(e["type"] == "toolCallBegin" || e["type"] == "toolCallEnd", "{line}");
    }

    let setup = Setup::new("stdout-text", &[], script()).await;
    let run = setup.spawn_with(&[], "print things", false).finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, ["Two", "lines."]);
    assert!(run.stderr.contains("[shell] sh -c"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_faults_are_retried_and_a_bad_request_fails_clearly() {
    let setup = Setup::new(
        "faults",
        &[],
        Script::new([
            Turn::status(500, json!({"error": {"message": "boom", "type": "server_error", "param": null, "code": null}})),
            Turn::new([Output::message("partial answer")]).end(End::Eof),
            Turn::new([Output::final_answer("Recovered.")]),
        ]),
    )
    .await;
    let run = setup.spawn(&[], "survive faults").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let retries: Vec<String> = run.of_type("streamRetry").iter().map(|e| format!("{} {}", e["attempt"], e["reason"])).collect();
    expect![[r#"
        [
            "1 \"server error (500): boom\"",
            "1 \"stream closed before the response completed (9 events received)\"",
        ]
    "#]]
    .assert_debug_eq(&retries);
    assert_eq!(run.of_type("turnCompleted")[0]["lastMessage"], "Recovered.");
    // The retried attempts re-send the same body.
    let reqs = setup.requests();
    assert_eq!(reqs.len(), 3);
    assert!(reqs.iter().all(|r| r.body == reqs[0].body));
    // The broken attempt's partial message is not in the history of a later request.
    assert!(!String::from_utf8_lossy(&reqs[2].body).contains("partial answer"));

    let setup = Setup::new(
        "bad-request",
        &[],
        Script::new([Turn::status(
            400,
            json!({"error": {"message": "Invalid value for 'model': test-model", "type": "invalid_request_error", "param": "model", "code": "invalid_value"}}),
        )]),
    )
    .await;
    let run = setup.spawn(&[], "fail please").finish().await;
    assert_eq!(run.code, Some(1), "{}", run.outline());
    assert_eq!(setup.requests().len(), 1, "a 400 is not retried");
    assert!(run.of_type("streamRetry").is_empty());
    let failed = run.of_type("turnFailed");
    assert!(failed[0]["error"].as_str().unwrap().contains("Invalid value for 'model'"), "{}", failed[0]);
    let line = run.stderr.lines().find(|l| l.starts_with("codeloop: turn failed:")).unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(line.contains("Invalid value for 'model': test-model"), "{line}");
}
