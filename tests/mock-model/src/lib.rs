//! mock-model: a scripted mock model server speaking the real OpenAI Responses and Chat Completions
//! streaming wire formats over HTTP/1.1 on 127.0.0.1, for tests and benchmarks of the agent.
//!
//! A `Script` of `Turn`s describes model output at the semantic level; each model request consumes the
//! next turn, rendered in the dialect the request used, with optional transport faults. The server records
//! every request and connection so tests can assert on what the client sent and how it used the socket.
//!
//! Invariants:
//! - It binds 127.0.0.1 only; no traffic leaves the machine.
//! - It depends on no workspace crate: it is an independent wire-level implementation, so it catches the
//!   real client's mistakes instead of sharing them.
//! - An exhausted script answers HTTP 500 "mock script exhausted", so a test that under-scripts fails loudly.
//!
//! It is deliberately not a model simulator: it never looks at the prompt to decide what to answer.

mod record;
pub mod render;
mod script;
mod server;
mod service;
pub mod wire;

use std::path::PathBuf;
use std::time::Duration;

pub use record::{ConnectionRecord, RecordedRequest};
pub use script::{ChatReasoningField, End, Faults, Output, Phase, Script, StatusFault, Turn, Usage};
pub use server::{MockServer, MockServerConfig};

/// Errors at the crate boundary: loading scripts and waiting for the server to observe something.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read mock script {path}")]
    ReadScript { path: PathBuf, source: std::io::Error },
    #[error("cannot parse mock script {path}")]
    ParseScript { path: PathBuf, source: serde_json::Error },
    #[error("timed out after {timeout:?} waiting for {wanted} requests (got {got})")]
    RequestsTimeout { wanted: usize, got: usize, timeout: Duration },
    #[error("timed out after {timeout:?} waiting for connection {id} to close")]
    ConnectionTimeout { id: usize, timeout: Duration },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
