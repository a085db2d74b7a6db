//! End-to-end tests of `codeloop exec`: the real binary over real pipes, against the scripted
//! mock model on 127.0.0.1, one fresh temp workspace (and state and config dirs) per test. This
//! file covers the turn loop and the tools: multi-round tool use with prefix stability, parallel
//! calls, apply_patch, bad calls, a commentary-only answer, and interrupts (during a long command,
//! during a stalled stream). Compaction, resume, stdout hygiene and model faults are in
//! `exec_scenarios.rs`; the harness is `exec_support.rs`.
//!
//! Deliberately not here: LSP mode (the other modules), the tools' own unit behaviour.

#[path = "exec_scenarios.rs"]
mod scenarios;
#[path = "exec_support.rs"]
mod support;

use std::time::{Duration, Instant};

use expect_test::expect;
use mock_model::{Faults, Output, Script, Turn, Usage};
use serde_json::{json, Value};

use support::{marker, processes_with, raw_fields, shape, wait_processes_gone, Setup};

fn shell_args(argv: &[&str]) -> String {
    json!({ "command": argv }).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_round_tool_use_keeps_the_prefix_stable() {
    let patch = "*** Begin Patch\n*** Update File: hello.txt\n@@\n-hello\n+hello, world\n*** End Patch";
    let setup = Setup::new(
        "multi-round",
        &[("hello.txt", "hello\n")],
        Script::new([
            Turn::new([
                Output::reasoning(["Look at the file first."]),
                Output::commentary("Reading hello.txt."),
                Output::function_call("shell", "c1", shell_args(&["cat", "hello.txt"])),
            ])
            .usage(Usage { input_tokens: 500, output_tokens: 20, ..Usage::default() }),
            Turn::custom_tool_call("apply_patch", "c2", patch),
            Turn::new([Output::final_answer("Updated hello.txt.")]),
        ]),
    )
    .await;
    let run = setup.spawn(&[], "greet the world in hello.txt").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(setup.read("hello.txt").as_deref(), Some("hello, world\n"));
    expect![[r#"
        threadStarted
        turnStarted
        toolCallBegin callId="c1" tool="shell"
        toolCallEnd callId="c1" tool="shell" success=true
        toolCallBegin callId="c2" tool="apply_patch"
        editProposed callId="c2"
        toolCallEnd callId="c2" tool="apply_patch" success=true
        turnCompleted
    "#]]
    .assert_eq(&run.outline());
    assert_eq!(run.of_type("turnCompleted")[0]["lastMessage"], "Updated hello.txt.");
    let numbers: Vec<Value> = run.of_type("modelRequest").iter().map(|e| e["request"].clone()).collect();
    assert_eq!(numbers, [json!(1), json!(2), json!(3)], "one modelRequest event per request of the turn");

    let reqs = setup.requests();
    assert_eq!(reqs.len(), 3);
    let out = reqs[1].tool_output("c1").unwrap();
    assert!(out.as_str().unwrap().contains("Output:\nhello\n"), "{out}");
    assert_eq!(reqs[2].tool_output("c2"), Some(json!("Success. Updated the following files:\nM hello.txt\n")));
    let thread_id = run.events[0]["threadId"].as_str().unwrap();
    assert_eq!(reqs[0].json()["prompt_cache_key"], thread_id);

    // Prefix stability, byte for byte: the same instructions, tools and cache key, and each
    // input is the previous input with items appended.
    let bodies: Vec<String> = reqs.iter().map(|r| String::from_utf8(r.body.to_vec()).unwrap()).collect();
    let field = |body: &str, key: &str| raw_fields(body).into_iter().find(|(k, _)| k == key).map(|(_, v)| v.to_string());
    for key in ["instructions", "tools", "prompt_cache_key"] {
        let first = field(&bodies[0], key).unwrap_or_else(|| panic!("no {key} in the request"));
        for b in &bodies[1..] {
            assert!(field(b, key).as_ref() == Some(&first), "{key} changed between requests");
        }
    }
    for pair in bodies.windows(2) {
        let (prev, next) = (field(&pair[0], "input").unwrap(), field(&pair[1], "input").unwrap());
        let open = prev.strip_suffix(']').unwrap();
        assert!(next.starts_with(open) && next.len() > prev.len(), "input does not extend the previous one:\n{prev}\n{next}");
    }
    for pair in reqs.windows(2) {
        let (prev, next) = (pair[0].input(), pair[1].input());
        assert_eq!(prev[..], next[..prev.len()]);
    }
    // One connection for the whole session.
    assert!(reqs.iter().all(|r| r.connection_id == reqs[0].connection_id), "{:?}", setup.server.connections());
    expect![[r#"
        message developer: <permissions>
        message user: <environment_context>
        message user: greet the world in hello.txt
        reasoning: 
        message assistant: Reading hello.txt.
        function_call: shell c1
        function_call_output: c1 Exit code: 0
        custom_tool_call: 
        custom_tool_call_output: c2 Success. Updated the following files:
    "#]]
    .assert_eq(&shape(&reqs[2]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_calls_run_together_and_are_recorded_in_call_order() {
    let call = |id: &str, word: &str| Output::function_call("shell", id, shell_args(&["sh", "-c", &format!("sleep 0.3; echo {word}")]));
    let setup = Setup::new(
        "parallel",
        &[],
        Script::new([
            Turn::new([call("p1", "one"), call("p2", "two"), call("p3", "three")]),
            Turn::new([Output::final_answer("All three ran.")]),
        ]),
    )
    .await;
    let started = Instant::now();
    let mut run = setup.spawn(&[], "run three commands");
    let first_begin = run.wait_type("toolCallBegin").await;
    assert_eq!(first_begin["callId"], "p1");
    let run = run.finish().await;
    let wall = started.elapsed();
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    // All three started before any ended: they ran concurrently.
    let calls: Vec<String> = run
        .events
        .iter()
        .filter(|e| e["type"] == "toolCallBegin" || e["type"] == "toolCallEnd")
        .map(|e| format!("{} {}", e["type"].as_str().unwrap(), e["callId"].as_str().unwrap()))
        .collect();
    assert_eq!(calls[..3], ["toolCallBegin p1", "toolCallBegin p2", "toolCallBegin p3"], "{calls:?}");
    for e in run.of_type("toolCallEnd") {
        assert!(e["durationMs"].as_u64().unwrap() >= 300, "{e}");
    }
    // Loosely: three 0.3 s sleeps in a row would take 0.9 s on their own.
    assert!(wall < Duration::from_millis(2500), "the whole run took {wall:?}");

    let reqs = setup.requests();
    assert_eq!(reqs.len(), 2);
    let input = reqs[1].input();
    let tail: Vec<String> = input[input.len() - 6..]
        .iter()
        .map(|i| format!("{} {} {}", i["type"].as_str().unwrap(), i["call_id"].as_str().unwrap(), i["output"].as_str().unwrap_or("")))
        .map(|s| s.replace(|c: char| c.is_ascii_digit(), "N"))
        .collect();
    expect![[r#"
        [
            "function_call pN ",
            "function_call pN ",
            "function_call pN ",
            "function_call_output pN Exit code: N\nWall time: N.N seconds\nOutput:\none\n",
            "function_call_output pN Exit code: N\nWall time: N.N seconds\nOutput:\ntwo\n",
            "function_call_output pN Exit code: N\nWall time: N.N seconds\nOutput:\nthree\n",
        ]
    "#]]
    .assert_debug_eq(&tail);
    let ids: Vec<&str> = input[input.len() - 6..].iter().map(|i| i["call_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["p1", "p2", "p3", "p1", "p2", "p3"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_patch_moves_fails_clearly_and_is_atomic() {
    let patch = |body: &str| format!("*** Begin Patch\n{body}*** End Patch");
    let setup = Setup::new(
        "apply-patch",
        &[("a.txt", "alpha\nbeta\n"), ("b.txt", "one\ntwo\nthree\n"), ("x.txt", "x1\nx2\n"), ("y.txt", "y1\ny2\n")],
        Script::new([
            Turn::custom_tool_call(
                "apply_patch",
                "m1",
                patch("*** Update File: a.txt\n*** Move to: moved/a2.txt\n@@\n alpha\n-beta\n+BETA\n"),
            ),
            // The JSON-function form of the same tool.
            Turn::function_call("apply_patch", "j1", json!({"input": patch("*** Add File: added.txt\n+new file\n")}).to_string()),
            Turn::custom_tool_call("apply_patch", "f1", patch("*** Update File: b.txt\n@@\n one\n-deux\n+2\n")),
            Turn::custom_tool_call(
                "apply_patch",
                "t1",
                patch("*** Update File: x.txt\n@@\n-x1\n+X1\n*** Update File: y.txt\n@@\n-zzz\n+Y\n"),
            ),
            Turn::new([Output::final_answer("Done patching.")]),
        ]),
    )
    .await;
    let run = setup.spawn(&[], "patch things").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);

    assert_eq!(setup.read("a.txt"), None);
    assert_eq!(setup.read("moved/a2.txt").as_deref(), Some("alpha\nBETA\n"));
    assert_eq!(setup.read("added.txt").as_deref(), Some("new file\n"));
    assert_eq!(setup.read("b.txt").as_deref(), Some("one\ntwo\nthree\n"));
    // Atomicity: the first file of the failed two-file patch is untouched on disk.
    assert_eq!(setup.read("x.txt").as_deref(), Some("x1\nx2\n"));
    assert_eq!(setup.read("y.txt").as_deref(), Some("y1\ny2\n"));

    let reqs = setup.requests();
    assert_eq!(reqs.len(), 5);
    let out = |i: usize, id: &str| reqs[i].tool_output(id).unwrap().as_str().unwrap().to_string();
    expect![[r#"
        Success. Updated the following files:
        M a.txt -> moved/a2.txt
    "#]]
    .assert_eq(&out(1, "m1"));
    // The function form is answered with a function_call_output.
    let j1 = reqs[2].input().into_iter().find(|i| i["call_id"] == "j1" && i["type"] != "function_call").unwrap();
    assert_eq!(j1["type"], "function_call_output");
    expect![[r#"
        Success. Updated the following files:
        A added.txt
    "#]]
    .assert_eq(&out(2, "j1"));
    expect![[r#"
        apply_patch failed; no file was changed.
        b.txt: chunk 1 of 1 did not match; these lines were not found:
         one
         deux
        Closest match at line 1 (1 of 2 lines equal); the file there reads:
        1 | one
        2 | two
        3 | three
        Re-read the file and retry with context lines copied exactly."#]]
    .assert_eq(&out(3, "f1"));
    expect![[r#"
        apply_patch failed; no file was changed.
        y.txt: chunk 1 of 1 did not match; these lines were not found:
         zzz
        No line of the chunk appears in the file.
        Re-read the file and retry with context lines copied exactly."#]]
    .assert_eq(&out(4, "t1"));
    let ends: Vec<(String, bool)> =
        run.of_type("toolCallEnd").iter().map(|e| (e["callId"].as_str().unwrap().to_string(), e["success"].as_bool().unwrap())).collect();
    assert_eq!(ends, [("m1".into(), true), ("j1".into(), true), ("f1".into(), false), ("t1".into(), false)]);
    assert_eq!(run.of_type("editProposed").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_tools_and_bad_arguments_are_explained_to_the_model() {
    let setup = Setup::new(
        "bad-calls",
        &[],
        Script::new([
            Turn::new([
                Output::function_call("no_such_tool", "u1", "{}"),
                Output::function_call("shell", "u2", r#"{"command": ["echo""#),
                Output::function_call("read_file", "u3", "{}"),
            ]),
            Turn::new([Output::final_answer("Understood.")]),
        ]),
    )
    .await;
    let run = setup.spawn(&[], "try bad calls").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.of_type("turnCompleted")[0]["lastMessage"], "Understood.");
    let reqs = setup.requests();
    assert_eq!(reqs.len(), 2);
    let outputs: Vec<Value> = ["u1", "u2", "u3"].iter().map(|id| reqs[1].tool_output(id).unwrap()).collect();
    expect![[r#"
        [
            String("unknown tool \"no_such_tool\"; the tools are: shell, apply_patch, read_file, list_dir, grep, update_plan."),
            String("invalid arguments for shell: EOF while parsing a list at line 1 column 19. Parameters: command (required), justification, prefix_rule, sandbox_permissions, timeout_ms, workdir."),
            String("invalid arguments for read_file: missing field `path` at line 1 column 2. Parameters: path (required), limit, offset."),
        ]
    "#]]
    .assert_debug_eq(&outputs);
    let ends: Vec<bool> = run.of_type("toolCallEnd").iter().map(|e| e["success"].as_bool().unwrap()).collect();
    assert_eq!(ends, [false, false, false]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupt_kills_the_running_command_and_exits_130() {
    let mark = format!("40.{}", marker());
    let script = format!("sleep {mark} & sleep {mark}; wait");
    let setup = Setup::new(
        "interrupt",
        &[],
        Script::new([
            Turn::function_call("shell", "i1", shell_args(&["sh", "-c", &script])),
            Turn::new([Output::final_answer("Continuing.")]),
        ]),
    )
    .await;
    let mut run = setup.spawn(&[], "run something long");
    run.wait_event(|e| e["type"] == "toolCallBegin" && e["callId"] == "i1").await;
    // The command is running once its two sleeps exist (sh and both sleeps carry the marker).
    let deadline = Instant::now() + Duration::from_secs(10);
    while processes_with(&mark).len() < 3 {
        assert!(Instant::now() < deadline, "the command did not start: {:?}", processes_with(&mark));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    run.signal("INT");
    let sent = Instant::now();
    let run = run.finish().await;
    let to_exit = sent.elapsed();
    let left_at_exit = processes_with(&mark);
    let gone = wait_processes_gone(&mark, Duration::from_secs(2)).await;
    eprintln!("interrupt: SIGINT to exit {to_exit:?}; processes left at exit: {left_at_exit:?}; all gone after {gone:?}");
    assert_eq!(run.code, Some(130), "{}", run.stderr);
    assert_eq!(run.of_type("turnAborted").len(), 1, "{}", run.outline());
    let end = run.of_type("toolCallEnd");
    assert_eq!((end[0]["callId"].as_str(), end[0]["output"].as_str()), (Some("i1"), Some("aborted")));
    assert!(gone.is_ok(), "processes still running 2 s after exit: {gone:?}");
    assert!(left_at_exit.is_empty(), "codeloop exited before its children were gone: {left_at_exit:?}");
    assert!(to_exit < Duration::from_secs(2), "SIGINT to exit took {to_exit:?}");
    assert_eq!(setup.requests().len(), 1);
    assert!(run.stderr.contains("turn aborted"), "{}", run.stderr);

    // The aborted call was recorded: resuming sends it with its "aborted" output.
    let thread_id = run.events[0]["threadId"].as_str().unwrap();
    let run = setup.spawn(&["--resume", thread_id], "continue").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let reqs = setup.requests();
    assert_eq!(reqs.len(), 2);
    expect![[r#"
        message developer: <permissions>
        message user: <environment_context>
        message user: run something long
        function_call: shell i1
        function_call_output: i1 aborted
        message user: continue
    "#]]
    .assert_eq(&shape(&reqs[1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupt_while_streaming_closes_the_connection() {
    let hang = Faults { hang_after_events: Some(3), ..Faults::default() };
    let setup =
        Setup::new("interrupt-stream", &[], Script::new([Turn::new([Output::commentary("Thinking about it.")]).faults(hang)])).await;
    let mut run = setup.spawn(&[], "think");
    // Event 3 is the message's output_item.added: the stream is open and stalled.
    run.wait_type("itemStarted").await;
    run.signal("INT");
    let sent = Instant::now();
    let run = run.finish().await;
    let to_exit = sent.elapsed();
    assert_eq!(run.code, Some(130), "{}", run.stderr);
    assert_eq!(run.of_type("turnAborted").len(), 1, "{}", run.outline());
    let conn = setup.requests()[0].connection_id;
    setup.server.wait_connection_closed(conn, Duration::from_secs(2)).await.unwrap();
    eprintln!("interrupt while streaming: SIGINT to exit {to_exit:?}");
    assert!(to_exit < Duration::from_secs(2), "SIGINT to exit took {to_exit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_ending_on_commentary_is_continued() {
    let setup = Setup::new(
        "commentary",
        &[],
        Script::new([Turn::new([Output::commentary("I will list the files now.")]), Turn::new([Output::final_answer("There are none.")])]),
    )
    .await;
    let run = setup.spawn(&[], "list the files").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.of_type("turnCompleted")[0]["lastMessage"], "There are none.");
    let reqs = setup.requests();
    assert_eq!(reqs.len(), 2);
    let last = reqs[1].input().last().cloned().unwrap();
    assert_eq!((last["role"].as_str(), last["phase"].as_str()), (Some("assistant"), Some("commentary")), "{last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_commands_run_in_the_workspace_write_sandbox_by_default() {
    let outside = std::env::temp_dir().join(format!("codeloop-exec-outside-{}", std::process::id()));
    let script = format!("touch inside.txt; touch {}", outside.display());
    let setup = Setup::new(
        "sandboxed-shell",
        &[],
        Script::new([
            Turn::function_call("shell", "c1", json!({ "command": script }).to_string()),
            Turn::new([Output::final_answer("ok")]),
        ]),
    )
    .await;
    let run = setup.spawn(&[], "touch things").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(setup.read("inside.txt").as_deref(), Some(""), "writes inside the workspace work");
    assert!(!outside.exists(), "a write outside the workspace got through the sandbox");
    let output = setup.requests()[1].tool_output("c1").unwrap();
    let output = output.as_str().unwrap();
    assert!(output.contains("Exit code: 1"), "{output}");
    assert!(output.contains("[sandbox]"), "the denial is reported to the model: {output}");
    // danger-full-access lifts it.
    let setup = Setup::new(
        "unsandboxed-shell",
        &[],
        Script::new([
            Turn::function_call("shell", "c1", json!({ "command": format!("touch {}", outside.display()) }).to_string()),
            Turn::new([Output::final_answer("ok")]),
        ]),
    )
    .await;
    let run = setup.spawn(&["--sandbox", "danger-full-access"], "touch outside").finish().await;
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(outside.exists());
    std::fs::remove_file(&outside).unwrap();
}
