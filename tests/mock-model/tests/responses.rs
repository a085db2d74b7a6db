//! The Responses dialect on the wire: event order and shapes for every output kind, the three endings,
//! remote compaction, and a snapshot of a representative stream.
//!
//! Not here: transport faults (faults.rs) and connection/routing behaviour (server.rs).

mod common;

use common::{event_types, responses};
use expect_test::expect;
use mock_model::{End, MockServer, Output, Script, Turn, Usage};
use serde_json::json;

#[tokio::test]
async fn every_output_kind_in_order() {
    let turn = Turn::new([
        Output::Reasoning { summary: vec!["Look first.".into(), "Then act.".into()], encrypted_content: Some("ENC".into()) },
        Output::commentary("Reading the file."),
        Output::function_call("read_file", "call_1", r#"{"path":"src/main.rs"}"#),
        Output::custom_tool_call("apply_patch", "call_2", "*** Begin Patch\n*** End Patch"),
    ])
    .usage(Usage { input_tokens: 100, cached_tokens: 40, output_tokens: 20, reasoning_tokens: 5 });
    let server = MockServer::start(Script::new([turn])).await.unwrap();
    let reply = responses(server.addr()).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    assert!(reply.complete);
    let events = reply.events();
    let types = event_types(&events);
    let collapsed: Vec<&str> = types.iter().map(|t| t.strip_prefix("response.").unwrap()).fold(Vec::new(), |mut acc, t| {
        if acc.last() != Some(&t) {
            acc.push(t);
        }
        acc
    });
    assert_eq!(
        collapsed,
        [
            "created",
            "in_progress",
            "output_item.added",
            "reasoning_summary_part.added",
            "reasoning_summary_text.delta",
            "reasoning_summary_text.done",
            "reasoning_summary_part.done",
            "reasoning_summary_part.added",
            "reasoning_summary_text.delta",
            "reasoning_summary_text.done",
            "reasoning_summary_part.done",
            "output_item.done",
            "output_item.added",
            "content_part.added",
            "output_text.delta",
            "output_text.done",
            "content_part.done",
            "output_item.done",
            "output_item.added",
            "function_call_arguments.delta",
            "function_call_arguments.done",
            "output_item.done",
            "output_item.added",
            "custom_tool_call_input.delta",
            "custom_tool_call_input.done",
            "output_item.done",
            "completed",
        ]
    );
    let of = |kind: &str| events.iter().map(|e| e.json()).filter(|d| d["type"] == kind).collect::<Vec<_>>();

    // Deltas concatenate to the full values, and each kind is split into several pieces.
    let concat = |kind: &str, index: usize| {
        of(kind).iter().filter(|d| d["output_index"] == index).map(|d| d["delta"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(concat("response.output_text.delta", 1).concat(), "Reading the file.");
    assert!(concat("response.output_text.delta", 1).len() > 1);
    assert_eq!(concat("response.function_call_arguments.delta", 2).concat(), r#"{"path":"src/main.rs"}"#);
    assert!(concat("response.function_call_arguments.delta", 2).len() > 1);
    assert_eq!(concat("response.custom_tool_call_input.delta", 3).concat(), "*** Begin Patch\n*** End Patch");
    assert!(of("response.custom_tool_call_input.delta").iter().all(|d| d["call_id"] == "call_2" && d["item_id"] == "ctc_mock_1_3"));
    let summary_deltas = of("response.reasoning_summary_text.delta");
    assert_eq!(
        summary_deltas.iter().filter(|d| d["summary_index"] == 1).map(|d| d["delta"].as_str().unwrap()).collect::<String>(),
        "Then act."
    );

    // Done items exactly as the API sends them.
    let done: Vec<_> = of("response.output_item.done").into_iter().map(|d| d["item"].clone()).collect();
    assert_eq!(
        done[0],
        json!({"id": "rs_mock_1_0", "type": "reasoning", "encrypted_content": "ENC",
               "summary": [{"type": "summary_text", "text": "Look first."}, {"type": "summary_text", "text": "Then act."}]})
    );
    assert_eq!(
        done[1],
        json!({"id": "msg_mock_1_1", "type": "message", "status": "completed", "role": "assistant", "phase": "commentary",
               "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": "Reading the file."}]})
    );
    assert_eq!(
        done[2],
        json!({"id": "fc_mock_1_2", "type": "function_call", "status": "completed", "name": "read_file",
               "call_id": "call_1", "arguments": "{\"path\":\"src/main.rs\"}"})
    );
    assert_eq!(
        done[3],
        json!({"id": "ctc_mock_1_3", "type": "custom_tool_call", "status": "completed", "name": "apply_patch",
               "call_id": "call_2", "input": "*** Begin Patch\n*** End Patch"})
    );
    let added = of("response.output_item.added");
    assert_eq!(added[2]["item"]["arguments"], "");
    assert_eq!(added[1]["item"]["status"], "in_progress");

    let completed = events.last().unwrap().json();
    assert_eq!(completed["response"]["id"], "resp_mock_1");
    assert_eq!(completed["response"]["status"], "completed");
    assert_eq!(completed["response"]["model"], "gpt-test");
    assert_eq!(completed["response"]["output"], json!(done));
    assert_eq!(
        completed["response"]["usage"],
        json!({"input_tokens": 100, "input_tokens_details": {"cached_tokens": 40}, "output_tokens": 20,
               "output_tokens_details": {"reasoning_tokens": 5}, "total_tokens": 120})
    );
    assert_eq!(events[0].json()["response"]["id"], "resp_mock_1");
}

#[tokio::test]
async fn failed_incomplete_and_eof_endings() {
    let script = Script::new([
        Turn::message("partial").end(End::Failed { code: "rate_limit_exceeded".into(), message: "Please try again in 11.054s.".into() }),
        Turn::message("cut").end(End::Incomplete { reason: "max_output_tokens".into() }),
        Turn::message("no end").end(End::Eof),
    ]);
    let server = MockServer::start(script).await.unwrap();
    let failed = responses(server.addr()).await.events().last().unwrap().json();
    assert_eq!(failed["type"], "response.failed");
    assert_eq!(failed["response"]["status"], "failed");
    assert_eq!(failed["response"]["error"], json!({"code": "rate_limit_exceeded", "message": "Please try again in 11.054s."}));

    let incomplete = responses(server.addr()).await.events().last().unwrap().json();
    assert_eq!(incomplete["type"], "response.incomplete");
    assert_eq!(incomplete["response"]["status"], "incomplete");
    assert_eq!(incomplete["response"]["incomplete_details"], json!({"reason": "max_output_tokens"}));

    let eof = responses(server.addr()).await;
    assert!(eof.complete, "eof ends the body cleanly");
    let types = event_types(&eof.events());
    assert_eq!(types.last().unwrap(), "response.output_item.done");
    assert!(!types.iter().any(|t| t == "response.completed"));
}

#[tokio::test]
async fn repeat_serves_a_turn_n_times_with_distinct_ids() {
    let script = Script::new([Turn::function_call("shell", "call_{n}", "{}").repeat(3), Turn::message("done")]);
    let server = MockServer::start(script).await.unwrap();
    for n in 0..3 {
        let events = responses(server.addr()).await.events();
        let done = events.iter().map(|e| e.json()).find(|d| d["type"] == "response.output_item.done").unwrap();
        assert_eq!(done["item"]["call_id"], format!("call_{n}"));
        assert_eq!(done["item"]["id"], format!("fc_mock_{}_0", n + 1));
    }
    let last = responses(server.addr()).await.events();
    assert_eq!(last.last().unwrap().json()["response"]["output"][0]["content"][0]["text"], "done");
    assert_eq!(server.turns_served(), 4);
}

#[tokio::test]
async fn compact_endpoint_answers_json_items() {
    let turn = Turn::new([Output::message("summary of the thread"), Output::Compaction { encrypted_content: "CMP".into() }]);
    let server = MockServer::start(Script::new([turn])).await.unwrap();
    let reply = common::post(server.addr(), "/v1/responses/compact", r#"{"model":"gpt-test","input":[]}"#).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(
        reply.json(),
        json!({"output": [
            {"id": "msg_mock_1_0", "type": "message", "status": "completed", "role": "assistant",
             "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": "summary of the thread"}]},
            {"id": "cmp_mock_1_1", "type": "compaction", "encrypted_content": "CMP"}
        ]})
    );
}

#[tokio::test]
async fn snapshot_of_a_representative_stream() {
    let turn = Turn::new([
        Output::reasoning(["Check it."]),
        Output::final_answer("Hello there."),
        Output::function_call("shell", "call_9", r#"{"cmd":["ls"]}"#),
    ])
    .usage(Usage { input_tokens: 12, cached_tokens: 0, output_tokens: 7, reasoning_tokens: 2 });
    let server = MockServer::start(Script::new([turn])).await.unwrap();
    let reply = responses(server.addr()).await;
    expect![[r#"
        event: response.created
        data: {"type":"response.created","sequence_number":0,"response":{"created_at":1700000000,"error":null,"id":"resp_mock_1","incomplete_details":null,"model":"gpt-test","object":"response","output":[],"status":"in_progress","usage":null}}

        event: response.in_progress
        data: {"type":"response.in_progress","sequence_number":1,"response":{"created_at":1700000000,"error":null,"id":"resp_mock_1","incomplete_details":null,"model":"gpt-test","object":"response","output":[],"status":"in_progress","usage":null}}

        event: response.output_item.added
        data: {"type":"response.output_item.added","sequence_number":2,"item":{"id":"rs_mock_1_0","summary":[],"type":"reasoning"},"output_index":0}

        event: response.reasoning_summary_part.added
        data: {"type":"response.reasoning_summary_part.added","sequence_number":3,"item_id":"rs_mock_1_0","output_index":0,"part":{"text":"","type":"summary_text"},"summary_index":0}

        event: response.reasoning_summary_text.delta
        data: {"type":"response.reasoning_summary_text.delta","sequence_number":4,"delta":"Check","item_id":"rs_mock_1_0","output_index":0,"summary_index":0}

        event: response.reasoning_summary_text.delta
        data: {"type":"response.reasoning_summary_text.delta","sequence_number":5,"delta":" it.","item_id":"rs_mock_1_0","output_index":0,"summary_index":0}

        event: response.reasoning_summary_text.done
        data: {"type":"response.reasoning_summary_text.done","sequence_number":6,"item_id":"rs_mock_1_0","output_index":0,"summary_index":0,"text":"Check it."}

        event: response.reasoning_summary_part.done
        data: {"type":"response.reasoning_summary_part.done","sequence_number":7,"item_id":"rs_mock_1_0","output_index":0,"part":{"text":"Check it.","type":"summary_text"},"summary_index":0}

        event: response.output_item.done
        data: {"type":"response.output_item.done","sequence_number":8,"item":{"id":"rs_mock_1_0","summary":[{"text":"Check it.","type":"summary_text"}],"type":"reasoning"},"output_index":0}

        event: response.output_item.added
        data: {"type":"response.output_item.added","sequence_number":9,"item":{"content":[],"id":"msg_mock_1_1","phase":"final_answer","role":"assistant","status":"in_progress","type":"message"},"output_index":1}

        event: response.content_part.added
        data: {"type":"response.content_part.added","sequence_number":10,"content_index":0,"item_id":"msg_mock_1_1","output_index":1,"part":{"annotations":[],"logprobs":[],"text":"","type":"output_text"}}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":11,"content_index":0,"delta":"Hello","item_id":"msg_mock_1_1","logprobs":[],"output_index":1}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":12,"content_index":0,"delta":" there.","item_id":"msg_mock_1_1","logprobs":[],"output_index":1}

        event: response.output_text.done
        data: {"type":"response.output_text.done","sequence_number":13,"content_index":0,"item_id":"msg_mock_1_1","logprobs":[],"output_index":1,"text":"Hello there."}

        event: response.content_part.done
        data: {"type":"response.content_part.done","sequence_number":14,"content_index":0,"item_id":"msg_mock_1_1","output_index":1,"part":{"annotations":[],"logprobs":[],"text":"Hello there.","type":"output_text"}}

        event: response.output_item.done
        data: {"type":"response.output_item.done","sequence_number":15,"item":{"content":[{"annotations":[],"logprobs":[],"text":"Hello there.","type":"output_text"}],"id":"msg_mock_1_1","phase":"final_answer","role":"assistant","status":"completed","type":"message"},"output_index":1}

        event: response.output_item.added
        data: {"type":"response.output_item.added","sequence_number":16,"item":{"arguments":"","call_id":"call_9","id":"fc_mock_1_2","name":"shell","status":"in_progress","type":"function_call"},"output_index":2}

        event: response.function_call_arguments.delta
        data: {"type":"response.function_call_arguments.delta","sequence_number":17,"delta":"{\"cm","item_id":"fc_mock_1_2","output_index":2}

        event: response.function_call_arguments.delta
        data: {"type":"response.function_call_arguments.delta","sequence_number":18,"delta":"d\":[","item_id":"fc_mock_1_2","output_index":2}

        event: response.function_call_arguments.delta
        data: {"type":"response.function_call_arguments.delta","sequence_number":19,"delta":"\"ls","item_id":"fc_mock_1_2","output_index":2}

        event: response.function_call_arguments.delta
        data: {"type":"response.function_call_arguments.delta","sequence_number":20,"delta":"\"]}","item_id":"fc_mock_1_2","output_index":2}

        event: response.function_call_arguments.done
        data: {"type":"response.function_call_arguments.done","sequence_number":21,"arguments":"{\"cmd\":[\"ls\"]}","item_id":"fc_mock_1_2","output_index":2}

        event: response.output_item.done
        data: {"type":"response.output_item.done","sequence_number":22,"item":{"arguments":"{\"cmd\":[\"ls\"]}","call_id":"call_9","id":"fc_mock_1_2","name":"shell","status":"completed","type":"function_call"},"output_index":2}

        event: response.completed
        data: {"type":"response.completed","sequence_number":23,"response":{"created_at":1700000000,"error":null,"id":"resp_mock_1","incomplete_details":null,"model":"gpt-test","object":"response","output":[{"id":"rs_mock_1_0","summary":[{"text":"Check it.","type":"summary_text"}],"type":"reasoning"},{"content":[{"annotations":[],"logprobs":[],"text":"Hello there.","type":"output_text"}],"id":"msg_mock_1_1","phase":"final_answer","role":"assistant","status":"completed","type":"message"},{"arguments":"{\"cmd\":[\"ls\"]}","call_id":"call_9","id":"fc_mock_1_2","name":"shell","status":"completed","type":"function_call"}],"status":"completed","usage":{"input_tokens":12,"input_tokens_details":{"cached_tokens":0},"output_tokens":7,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":19}}}

    "#]]
    .assert_eq(&reply.text());
}
