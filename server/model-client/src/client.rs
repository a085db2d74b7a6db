//! `ModelClient`: one per provider, owning one reqwest client (connection pool, keep-alive, HTTP/2
//! by ALPN, gzip/brotli/zstd, a connect timeout and deliberately NO total timeout, which would cut
//! long generations), the endpoint URL with the provider's `query_params`, and the headers every
//! request carries: `originator`, `User-Agent`, `Accept: text/event-stream`, the provider's
//! `http_headers` and `env_http_headers`; per request `Authorization: Bearer $env_key` and
//! `session_id`/`x-client-request-id` from the thread id.
//!
//! Not here: the retry loop and stream decoding (`stream.rs`), and anything about tools, sessions or
//! the editor.

use crate::chat_request::chat_body;
use crate::error::{ModelError, Result};
use crate::provider::{ProviderInfo, WireApi};
use crate::request::{ModelRequest, ResponsesBody};
use crate::retry::RetryConfig;
use crate::stream::{Driver, ResponseStream, Wire};
use crate::tls::rustls_config;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Client settings that are not part of the provider table.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub retry: RetryConfig,
    /// TCP + TLS connect deadline.
    pub connect_timeout: Duration,
    /// After `completed`, how long to wait for the end of the body so the connection can go back
    /// to the pool (servers end it right away; this only bounds a misbehaving one).
    pub drain_timeout: Duration,
    /// Sent as `originator` and as the `User-Agent` product.
    pub originator: String,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            retry: RetryConfig::default(),
            connect_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_millis(200),
            originator: "codeloop".to_string(),
        }
    }
}

/// A streaming client for one provider. Cheap to clone; clones share the connection pool.
#[derive(Clone, Debug)]
pub struct ModelClient {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub provider: ProviderInfo,
    pub config: ClientConfig,
    pub http: reqwest::Client,
    pub url: reqwest::Url,
    pub headers: HeaderMap,
}

impl ModelClient {
    /// Builds the client. Fails on a provider without `base_url` or with headers that are not valid HTTP.
    pub fn new(provider: ProviderInfo, config: ClientConfig) -> Result<ModelClient> {
        let invalid = |reason: String| ModelError::InvalidProvider { provider: provider.name.clone(), reason };
        let base = provider.base_url.as_deref().ok_or_else(|| invalid("base_url is not set".into()))?;
        let path = match provider.wire_api {
            WireApi::Responses => "responses",
            WireApi::Chat => "chat/completions",
        };
        let mut url = reqwest::Url::parse(&format!("{}/{path}", base.trim_end_matches('/')))
            .map_err(|e| invalid(format!("base_url {base:?} is not a URL: {e}")))?;
        if let Some(params) = provider.query_params.as_ref().filter(|p| !p.is_empty()) {
            url.query_pairs_mut().extend_pairs(params.iter());
        }
        let headers = static_headers(&provider, &config).map_err(invalid)?;
        let tls = rustls_config().map_err(|e| invalid(format!("TLS setup failed: {e}")))?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(config.connect_timeout)
            .tcp_keepalive(Duration::from_secs(30))
            .pool_idle_timeout(Duration::from_secs(90))
            .build()
            .map_err(|e| invalid(format!("cannot build the HTTP client: {e}")))?;
        Ok(ModelClient { inner: Arc::new(Inner { provider, config, http, url, headers }) })
    }

    pub fn provider(&self) -> &ProviderInfo {
        &self.inner.provider
    }

    /// The URL requests are POSTed to.
    pub fn endpoint(&self) -> &str {
        self.inner.url.as_str()
    }

    /// Starts one model response. Configuration errors (a missing API key) are returned here; every
    /// network outcome, retries included, comes through the stream. Nothing is sent until the stream
    /// is first polled. Cancelling `cancel` or dropping the stream closes the connection.
    pub fn stream(&self, request: &ModelRequest, cancel: CancellationToken) -> Result<ResponseStream> {
        let headers = self.request_headers(request)?;
        let (body, wire) = match self.inner.provider.wire_api {
            WireApi::Responses => (serde_json::to_vec(&ResponsesBody::new(request)), Wire::Responses),
            WireApi::Chat => {
                let (body, custom) = chat_body(request);
                (serde_json::to_vec(&body), Wire::Chat(Arc::new(custom)))
            }
        };
        let body =
            body.map_err(|e| ModelError::InvalidRequest { status: None, code: None, message: format!("cannot encode the request: {e}") })?;
        tracing::debug!(url = %self.inner.url, model = %request.model, bytes = body.len(), "model request");
        Ok(Driver::start(self.inner.clone(), headers, Bytes::from(body), wire, cancel))
    }

    /// The headers of one request: the static ones, the API key, the thread id.
    pub(crate) fn request_headers(&self, request: &ModelRequest) -> Result<HeaderMap> {
        let mut headers = self.inner.headers.clone();
        if let Some(key) = self.api_key()? {
            let mut value = HeaderValue::try_from(format!("Bearer {key}")).map_err(|_| ModelError::InvalidProvider {
                provider: self.inner.provider.name.clone(),
                reason: "the API key is not a valid header value".into(),
            })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        if let Some(thread) = &request.thread_id {
            if let Ok(v) = HeaderValue::from_str(thread.as_str()) {
                headers.insert(HeaderName::from_static("session_id"), v.clone());
                headers.insert(HeaderName::from_static("x-client-request-id"), v);
            }
        }
        Ok(headers)
    }

    /// The API key from `env_key`: `None` when the provider has no `env_key` (local servers).
    fn api_key(&self) -> Result<Option<String>> {
        let Some(env_key) = &self.inner.provider.env_key else { return Ok(None) };
        match std::env::var(env_key) {
            Ok(v) if !v.trim().is_empty() => Ok(Some(v.trim().to_string())),
            _ => {
                Err(ModelError::MissingApiKey { env_key: env_key.clone(), instructions: self.inner.provider.env_key_instructions.clone() })
            }
        }
    }
}

fn static_headers(provider: &ProviderInfo, config: &ClientConfig) -> std::result::Result<HeaderMap, String> {
    let mut h = HeaderMap::new();
    let value = |s: &str| HeaderValue::from_str(s).map_err(|_| format!("{s:?} is not a valid header value"));
    let name = |s: &str| HeaderName::from_bytes(s.as_bytes()).map_err(|_| format!("{s:?} is not a valid header name"));
    h.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(HeaderName::from_static("originator"), value(&config.originator)?);
    h.insert(
        USER_AGENT,
        value(&format!("{}/{} ({}; {})", config.originator, env!("CARGO_PKG_VERSION"), std::env::consts::OS, std::env::consts::ARCH))?,
    );
    for (k, v) in provider.http_headers.iter().flatten() {
        h.insert(name(k)?, value(v)?);
    }
    for (k, var) in provider.env_http_headers.iter().flatten() {
        if let Ok(v) = std::env::var(var) {
            if !v.trim().is_empty() {
                h.insert(name(k)?, value(v.trim())?);
            }
        }
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn provider(base_url: &str) -> ProviderInfo {
        let mut p = crate::provider::built_in_providers().remove("ollama").unwrap();
        p.base_url = Some(base_url.into());
        p
    }

    #[test]
    fn endpoint_with_query_params() {
        let mut p = provider("http://127.0.0.1:9/v1/");
        p.query_params = Some(BTreeMap::from([("api-version".to_string(), "2025-04-01".to_string())]));
        let c = ModelClient::new(p.clone(), ClientConfig::default()).unwrap();
        assert_eq!(c.endpoint(), "http://127.0.0.1:9/v1/chat/completions?api-version=2025-04-01");
        p.wire_api = WireApi::Responses;
        p.query_params = None;
        assert_eq!(ModelClient::new(p, ClientConfig::default()).unwrap().endpoint(), "http://127.0.0.1:9/v1/responses");
    }

    #[test]
    fn missing_key_and_bad_headers_are_clear() {
        let mut p = provider("http://127.0.0.1:9/v1");
        p.env_key = Some("CODELOOP_TEST_SURELY_UNSET_KEY".into());
        p.env_key_instructions = Some("export it".into());
        let c = ModelClient::new(p.clone(), ClientConfig::default()).unwrap();
        let err = c.stream(&ModelRequest::default(), CancellationToken::new()).err().unwrap();
        assert_eq!(err.to_string(), "the environment variable CODELOOP_TEST_SURELY_UNSET_KEY is not set: export it");
        p.http_headers = Some(BTreeMap::from([("bad header".to_string(), "x".to_string())]));
        let err = ModelClient::new(p, ClientConfig::default()).err().unwrap();
        assert_eq!(err.to_string(), "provider Ollama: \"bad header\" is not a valid header name");
        let mut p = provider("x");
        p.base_url = None;
        assert_eq!(ModelClient::new(p, ClientConfig::default()).err().unwrap().to_string(), "provider Ollama: base_url is not set");
    }
}
