//! Streaming clients for the OpenAI Responses and Chat Completions APIs (work in progress).

mod provider;

pub use provider::{built_in_providers, ProviderInfo, WireApi};
