//! A scripted mock model server speaking the real Responses and Chat Completions wire formats (work in progress).
