//! The agent's only way to a model: streaming clients for the OpenAI Responses API and for Chat
//! Completions servers (Ollama, llama.cpp, vLLM, LM Studio, OpenRouter), behind one request type and
//! one event type, with typed errors and retries.
//!
//! Architecture invariants:
//! - This crate knows HTTP, SSE and providers; nothing of tools, sessions, prompts or LSP.
//! - Every call is cancellable (a `CancellationToken`, or dropping the stream: both close the
//!   connection) and has an idle timeout (`stream_idle_timeout_ms`).
//! - `ModelError::retry_policy` classifies every variant with an exhaustive match.
//! - The agent never sees the wire dialect: Chat responses come out as the same items and events.
//!
//! Module map: `client` (reqwest, headers), `stream` (retry loop), `sse` (the parser),
//! `responses` / `chat_stream` (decoders), `request` / `chat_request` (bodies), `error`,
//! `http_error`, `retry`, `rate_limits`, `tls`, `provider`.

mod chat_request;
mod chat_stream;
mod client;
mod compact;
mod error;
mod event;
mod http_error;
mod provider;
mod rate_limits;
mod request;
mod responses;
mod retry;
pub mod sse;
mod stream;
mod tls;

pub use client::{ClientConfig, ModelClient};
pub use error::{ModelError, Result, RetryPolicy};
pub use event::ResponseEvent;
pub use provider::{built_in_providers, ProviderInfo, WireApi};
pub use rate_limits::parse_rate_limits;
pub use request::{ModelRequest, Reasoning, ReasoningEffort, ReasoningSummaryMode, Verbosity};
pub use retry::RetryConfig;
pub use stream::ResponseStream;
pub use tokio_util::sync::CancellationToken;
