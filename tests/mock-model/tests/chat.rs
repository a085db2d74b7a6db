//! The Chat Completions dialect on the wire: the role chunk, content and reasoning deltas, tool-call
//! fragments, finish reasons, the optional usage chunk, `[DONE]`, mid-stream errors, and a snapshot.
//!
//! Not here: transport faults (faults.rs) and connection/routing behaviour (server.rs).

mod common;

use common::chat;
use expect_test::expect;
use mock_model::{ChatReasoningField, End, MockServer, Output, Script, Turn, Usage};
use serde_json::{json, Value};

fn split(reply: &common::Reply) -> (Vec<Value>, Option<String>) {
    let events = reply.events();
    assert!(events.iter().all(|e| e.event.is_none()), "chat events are unnamed");
    let done = events.last().filter(|e| e.data == "[DONE]").map(|e| e.data.clone());
    let chunks = events.iter().filter(|e| e.data != "[DONE]").map(|e| e.json()).collect();
    (chunks, done)
}

#[tokio::test]
async fn content_reasoning_and_tool_calls() {
    let turn = Turn::new([
        Output::reasoning(["Think about it."]),
        Output::message("Calling tools now."),
        Output::function_call("read_file", "call_a", r#"{"path":"a.rs"}"#),
        Output::custom_tool_call("apply_patch", "call_b", "*** Begin Patch"),
    ])
    .usage(Usage { input_tokens: 30, cached_tokens: 10, output_tokens: 8, reasoning_tokens: 3 });
    let server = MockServer::start(Script::new([turn])).await.unwrap();
    let reply = chat(server.addr(), true).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let (chunks, done) = split(&reply);
    assert_eq!(done.as_deref(), Some("[DONE]"));
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["id"], "chatcmpl-mock-1");
        assert_eq!(chunk["model"], "gpt-test");
    }
    let deltas: Vec<&Value> = chunks.iter().filter_map(|c| c["choices"].get(0)).map(|c| &c["delta"]).collect();
    assert_eq!(deltas[0]["role"], "assistant");
    assert!(deltas[1..].iter().all(|d| d.get("role").is_none()));
    let text = |field: &str| deltas.iter().filter_map(|d| d[field].as_str()).collect::<String>();
    assert_eq!(text("reasoning_content"), "Think about it.");
    assert_eq!(text("content"), "Calling tools now.");

    // Tool calls: fragments by index, id/type/name only in the first fragment, arguments in several pieces.
    let fragments: Vec<&Value> = deltas.iter().filter_map(|d| d["tool_calls"].get(0)).collect();
    for (index, id, name, arguments) in [
        (0, "call_a", "read_file", r#"{"path":"a.rs"}"#.to_owned()),
        (1, "call_b", "apply_patch", json!({"input": "*** Begin Patch"}).to_string()),
    ] {
        let mine: Vec<&&Value> = fragments.iter().filter(|f| f["index"] == index).collect();
        assert!(mine.len() > 2, "arguments split across chunks");
        assert_eq!(mine[0]["id"], id);
        assert_eq!(mine[0]["type"], "function");
        assert_eq!(mine[0]["function"]["name"], name);
        assert!(mine[1..].iter().all(|f| f.get("id").is_none() && f["function"].get("name").is_none()));
        assert_eq!(mine.iter().map(|f| f["function"]["arguments"].as_str().unwrap()).collect::<String>(), arguments);
    }

    let finish: Vec<&Value> =
        chunks.iter().filter_map(|c| c["choices"].get(0)).map(|c| &c["finish_reason"]).filter(|f| !f.is_null()).collect();
    assert_eq!(finish, [&json!("tool_calls")]);
    let last = chunks.last().unwrap();
    assert_eq!(last["choices"], json!([]));
    assert_eq!(
        last["usage"],
        json!({"prompt_tokens": 30, "completion_tokens": 8, "total_tokens": 38,
               "prompt_tokens_details": {"cached_tokens": 10}, "completion_tokens_details": {"reasoning_tokens": 3}})
    );
}

#[tokio::test]
async fn usage_chunk_only_when_requested_and_reasoning_field_option() {
    let mut turn = Turn::new([Output::reasoning(["hmm"]), Output::message("hi")]);
    turn.chat_reasoning_field = ChatReasoningField::Reasoning;
    let server = MockServer::start(Script::new([turn])).await.unwrap();
    let (chunks, done) = split(&chat(server.addr(), false).await);
    assert!(done.is_some());
    assert!(chunks.iter().all(|c| c.get("usage").is_none() && c["choices"].as_array().unwrap().len() == 1));
    let deltas: Vec<&Value> = chunks.iter().map(|c| &c["choices"][0]["delta"]).collect();
    assert_eq!(deltas.iter().filter_map(|d| d["reasoning"].as_str()).collect::<String>(), "hmm");
    assert!(deltas.iter().all(|d| d.get("reasoning_content").is_none()));
    assert_eq!(chunks.last().unwrap()["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn endings() {
    let script = Script::new([
        Turn::message("long").end(End::Incomplete { reason: "max_output_tokens".into() }),
        Turn::message("oops").end(End::Failed { code: "server_error".into(), message: "boom".into() }),
        Turn::message("cut").end(End::Eof),
    ]);
    let server = MockServer::start(script).await.unwrap();
    let (chunks, done) = split(&chat(server.addr(), false).await);
    assert!(done.is_some());
    assert_eq!(chunks.last().unwrap()["choices"][0]["finish_reason"], "length");

    let reply = chat(server.addr(), false).await;
    assert_eq!(reply.status, 200);
    let events = reply.events();
    assert_eq!(
        events.last().unwrap().json()["error"],
        json!({"message": "boom", "type": "server_error", "param": null, "code": "server_error"})
    );
    assert!(events.iter().all(|e| e.data != "[DONE]"));

    let reply = chat(server.addr(), false).await;
    assert!(reply.complete);
    let (chunks, done) = split(&reply);
    assert!(done.is_none());
    assert!(chunks.iter().all(|c| c["choices"][0]["finish_reason"].is_null()));
}

#[tokio::test]
async fn snapshot_of_a_representative_stream() {
    let turn = Turn::new([Output::message("Sure thing."), Output::function_call("shell", "call_1", r#"{"cmd":"ls"}"#)]).usage(Usage {
        input_tokens: 5,
        cached_tokens: 0,
        output_tokens: 4,
        reasoning_tokens: 0,
    });
    let server = MockServer::start(Script::new([turn])).await.unwrap();
    expect![[r#"
        data: {"choices":[{"delta":{"content":"","refusal":null,"role":"assistant"},"finish_reason":null,"index":0,"logprobs":null}],"created":1700000000,"id":"chatcmpl-mock-1","model":"gpt-test","object":"chat.completion.chunk","system_fingerprint":"fp_mock","usage":null}

        data: {"choices":[{"delta":{"content":"Sure"},"finish_reason":null,"index":0,"logprobs":null}],"created":1700000000,"id":"chatcmpl-mock-1","model":"gpt-test","object":"chat.completion.chunk","system_fingerprint":"fp_mock","usage":null}

        data: {"choices":[{"delta":{"content":" thing."},"finish_reason":null,"index":0,"logprobs":null}],"created":1700000000,"id":"chatcmpl-mock-1","model":"gpt-test","object":"chat.completion.chunk","system_fingerprint":"fp_mock","usage":null}

        data: {"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"","name":"shell"},"id":"call_1","index":0,"type":"function"}]},"finish_reason":null,"index":0,"logprobs":null}],"created":1700000000,"id":"chatcmpl-mock-1","model":"gpt-test","object":"chat.completion.chunk","system_fingerprint":"fp_mock","usage":null}

        data: {"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"{\"c"},"index":0}]},"finish_reason":null,"index":0,"logprobs":null}],"created":1700000000,"id":"chatcmpl-mock-1","model":"gpt-test","object":"chat.completion.chunk","system_fingerprint":"fp_mock","usage":null}

        data: {"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"md\""},"index":0}]},"finish_reason":null,"index":0,"logprobs":null}],"created":1700000000,"id":"chatcmpl-mock-1","model":"gpt-test","object":"chat.completion.chunk","system_fingerprint":"fp_mock","usage":null}

        data: {"choices":[{"delta":{"tool_calls":[{"function":{"arguments":":\"l"},"index":0}]},"finish_reason":null,"index":0,"logprobs":null}],"created":1700000000,"id":"chatcmpl-mock-1","model":"gpt-test","object":"chat.completion.chunk","system_fingerprint":"fp_mock","usage":null}

        data: {"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"s\"}"},"index":0}]},"finish_reason":null,"index":0,"logprobs":null}],"created":1700000000,"id":"chatcmpl-mock-1","model":"gpt-test","object":"chat.completion.chunk","system_fingerprint":"fp_mock","usage":null}

        data: {"choices":[{"delta":{},"finish_reason":"tool_calls","index":0,"logprobs":null}],"created":1700000000,"id":"chatcmpl-mock-1","model":"gpt-test","object":"chat.completion.chunk","system_fingerprint":"fp_mock","usage":null}

        data: {"choices":[],"created":1700000000,"id":"chatcmpl-mock-1","model":"gpt-test","object":"chat.completion.chunk","system_fingerprint":"fp_mock","usage":{"completion_tokens":4,"completion_tokens_details":{"reasoning_tokens":0},"prompt_tokens":5,"prompt_tokens_details":{"cached_tokens":0},"total_tokens":9}}

        data: [DONE]

    "#]].assert_eq(&chat(server.addr(), true).await.text());
}
