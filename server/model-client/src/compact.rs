//! Remote compaction: `POST {base_url}/responses/compact` with `{model, instructions, input}`,
//! answered with one JSON object `{output: [items]}` (the replacement history, typically ending with
//! an opaque `compaction` item). Retried like a request (before any byte of an answer), with the same
//! backoff and `Retry-After` handling as streams.
//!
//! Only for Responses providers that declare `supports_remote_compaction`; the agent falls back to
//! its local summary otherwise.

use agent_protocol::ResponseItem;
use reqwest::header::{HeaderValue, ACCEPT};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::client::ModelClient;
use crate::error::{ModelError, Result, RetryPolicy};
use crate::http_error::error_from_status;
use crate::provider::WireApi;
use crate::request::ModelRequest;

#[derive(Serialize)]
struct CompactBody<'a> {
    model: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    instructions: &'a str,
    input: Vec<&'a ResponseItem>,
}

#[derive(Deserialize)]
struct CompactResponse {
    output: Vec<ResponseItem>,
}

impl ModelClient {
    /// Whether `compact` can be used with this provider.
    pub fn supports_remote_compaction(&self) -> bool {
        self.provider().wire_api == WireApi::Responses && self.provider().supports_remote_compaction == Some(true)
    }

    /// Asks the provider to compact `request.input`; returns the replacement items.
    pub async fn compact(&self, request: &ModelRequest, cancel: CancellationToken) -> Result<Vec<ResponseItem>> {
        let mut headers = self.request_headers(request)?;
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let body = CompactBody {
            model: &request.model,
            instructions: &request.instructions,
            input: request.input.iter().filter(|i| i.is_sendable()).collect(),
        };
        let body = serde_json::to_vec(&body).map_err(|e| ModelError::InvalidRequest {
            status: None,
            code: None,
            message: format!("cannot encode the request: {e}"),
        })?;
        let mut url = self.inner.url.clone();
        url.set_path(&format!("{}/compact", url.path().trim_end_matches('/')));
        let max = self.provider().request_max_retries();
        let mut attempt = 0u64;
        loop {
            let result = tokio::select! {
                r = self.compact_once(url.clone(), headers.clone(), body.clone()) => r,
                _ = cancel.cancelled() => return Err(ModelError::Cancelled),
            };
            let err = match result {
                Ok(items) => return Ok(items),
                Err(e) => e,
            };
            attempt += 1;
            let delay = match err.retry_policy() {
                RetryPolicy::Never => return Err(err),
                _ if attempt > max => return Err(err),
                RetryPolicy::Backoff => self.inner.config.retry.backoff(attempt),
                RetryPolicy::After(d) => match self.inner.config.retry.server_delay(d) {
                    Some(d) => d,
                    None => return Err(err),
                },
            };
            tracing::warn!(attempt, max, delay_ms = delay.as_millis() as u64, "compaction request failed, retrying: {err}");
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = cancel.cancelled() => return Err(ModelError::Cancelled),
            }
        }
    }

    async fn compact_once(&self, url: reqwest::Url, headers: reqwest::header::HeaderMap, body: Vec<u8>) -> Result<Vec<ResponseItem>> {
        let transport = |e: reqwest::Error| {
            if e.is_connect() {
                ModelError::Connect { url: url.to_string(), message: e.to_string() }
            } else {
                ModelError::Transport { message: e.to_string() }
            }
        };
        let response = self.inner.http.post(url.clone()).headers(headers).body(body).send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let response_headers = response.headers().clone();
        let text = response.text().await.map_err(|e| ModelError::Transport { message: e.to_string() })?;
        if !(200..300).contains(&status) {
            return Err(error_from_status(status, &response_headers, &text));
        }
        let parsed: CompactResponse = serde_json::from_str(&text)
            .map_err(|e| ModelError::MalformedEvent { event_type: "responses/compact".into(), message: e.to_string() })?;
        Ok(parsed.output.into_iter().filter(ResponseItem::is_sendable).collect())
    }
}
