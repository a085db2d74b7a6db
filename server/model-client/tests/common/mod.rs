//! Shared helpers of the integration tests: a provider pointing at the mock server, a client config
//! whose delays are milliseconds, and the one-line rendering of stream items used by every snapshot.
//! Not a place for assertions: each test file states its own.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use futures::StreamExt;
use model_client::{ClientConfig, ModelError, ProviderInfo, ResponseEvent, ResponseStream, RetryConfig, WireApi};
use std::time::Duration;

pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A local provider (no API key) for the mock at `base_url`.
pub fn provider(base_url: &str, wire_api: WireApi) -> ProviderInfo {
    assert!(base_url.starts_with("http://127.0.0.1:"), "tests talk to the loopback mock only: {base_url}");
    let mut p = model_client::built_in_providers().remove("ollama").unwrap();
    p.name = "mock".into();
    p.base_url = Some(base_url.to_string());
    p.wire_api = wire_api;
    p.stream_idle_timeout_ms = Some(5_000);
    p
}

/// Deterministic, millisecond delays: backoff 1, 2, 4, 8 ms; a server's "7 s" waits 7 ms.
pub fn fast_config() -> ClientConfig {
    ClientConfig {
        retry: RetryConfig {
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(8),
            jitter: 0.0,
            max_server_delay: Duration::from_secs(120),
            server_delay_scale: 0.001,
        },
        ..ClientConfig::default()
    }
}

/// One line per stream item; long deltas are shortened so snapshots stay readable.
pub fn render(item: &Result<ResponseEvent, ModelError>) -> String {
    let line = match item {
        Ok(event) => event.to_string(),
        Err(err) => format!("error {}: {err}", err.kind()),
    };
    if line.len() > 300 {
        let mut end = 200;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}… ({} bytes)", &line[..end], line.len())
    } else {
        line
    }
}

/// Drains a stream (bounded by `TIMEOUT`) into rendered lines.
pub async fn collect(mut stream: ResponseStream) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        match tokio::time::timeout(TIMEOUT, stream.next()).await {
            Ok(Some(item)) => lines.push(render(&item)),
            Ok(None) => break,
            Err(_) => {
                lines.push("<test timeout>".into());
                break;
            }
        }
    }
    lines
}
