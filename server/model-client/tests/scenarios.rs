//! The scenario runner: every `tests/scenarios/NNN_name/` holds a mock `script.json`, an optional
//! `config.json` (`wire_api`, `request_max_retries`, `stream_max_retries`, `stream_idle_timeout_ms`)
//! and `expected.txt`, the client's stream rendered one item per line plus the number of model
//! requests the mock saw. `UPDATE_EXPECT=1` rewrites the expected files.
//!
//! Every fault the mock can inject has a scenario here ending in the documented retry or error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use agent_protocol::{CustomToolFormat, ResponseItem, ThreadId, ToolSpec};
use mock_model::{MockServer, Script};
use model_client::{CancellationToken, ModelClient, ModelRequest, WireApi};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioConfig {
    #[serde(default)]
    wire_api: WireApi,
    request_max_retries: Option<u64>,
    stream_max_retries: Option<u64>,
    stream_idle_timeout_ms: Option<u64>,
}

/// The request every scenario sends: a function tool and a custom (freeform) tool.
pub fn scenario_request() -> ModelRequest {
    ModelRequest {
        model: "mock-model".into(),
        instructions: "You are a test.".into(),
        input: vec![ResponseItem::user_text("hello")],
        tools: vec![
            ToolSpec::Function {
                name: "shell".into(),
                description: "Runs a command.".into(),
                strict: false,
                parameters: serde_json::json!({"type": "object", "properties": {"command": {"type": "array", "items": {"type": "string"}}}}),
            },
            ToolSpec::Custom {
                name: "apply_patch".into(),
                description: "Edits files.".into(),
                format: Some(CustomToolFormat { kind: "grammar".into(), syntax: "lark".into(), definition: "start: /.+/s".into() }),
            },
        ],
        parallel_tool_calls: true,
        thread_id: Some(ThreadId::from("thread-scenario")),
        ..ModelRequest::default()
    }
}

async fn run(dir: &Path) -> String {
    let script = Script::load(&dir.join("script.json")).unwrap();
    let config: ScenarioConfig = match std::fs::read_to_string(dir.join("config.json")) {
        Ok(text) => serde_json::from_str(&text).unwrap(),
        Err(_) => ScenarioConfig::default(),
    };
    let server = MockServer::start(script).await.unwrap();
    let mut provider = common::provider(&server.base_url(), config.wire_api);
    provider.request_max_retries = config.request_max_retries.or(Some(3));
    provider.stream_max_retries = config.stream_max_retries.or(Some(3));
    if let Some(ms) = config.stream_idle_timeout_ms {
        provider.stream_idle_timeout_ms = Some(ms);
    }
    let client = ModelClient::new(provider, common::fast_config()).unwrap();
    let stream = client.stream(&scenario_request(), CancellationToken::new()).unwrap();
    let mut lines = common::collect(stream).await;
    lines.push(format!("requests: {}", server.model_requests().len()));
    lines.join("\n") + "\n"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenarios() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    assert!(dirs.len() >= 20, "scenarios missing under {}", root.display());
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for dir in &dirs {
        let got = run(dir).await;
        let expected_path = dir.join("expected.txt");
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if got != expected {
            if update {
                std::fs::write(&expected_path, &got).unwrap();
            } else {
                failures.push(format!("--- {}\nexpected:\n{expected}\ngot:\n{got}", dir.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{} scenario(s) differ (UPDATE_EXPECT=1 to accept):\n{}", failures.len(), failures.join("\n"));
}
