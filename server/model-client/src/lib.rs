//! Streaming clients for the OpenAI Responses and Chat Completions APIs (work in progress).
