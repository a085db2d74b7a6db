//! A tower `Service` in front of tower-lsp's `LspService` that takes document sync out of
//! tower-lsp's concurrent handler pool.
//!
//! tower-lsp polls up to `concurrency_level` handler futures at once, so two `didChange`
//! handlers that reach an `.await` can finish out of order (tower-lsp#284). `call()` here runs
//! synchronously in arrival order, before any handler is polled; document notifications are
//! handed to the document actor right there, which applies them strictly in order.
//! `workspace/didChangeConfiguration` is counted here too, so that agent commands sent after
//! it wait for the reload (`Shared::config_sync`). Everything else passes through untouched.
//! This is not where documents are changed: see `documents.rs`.

use crate::documents::DocSender;
use crate::state::Shared;
use futures::future::{Either, Ready};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::Service;
use tower_lsp::jsonrpc::{Request, Response};

/// The notifications that change the document store.
pub const DOC_METHODS: [&str; 4] = ["textDocument/didOpen", "textDocument/didChange", "textDocument/didClose", "textDocument/didSave"];

pub struct Ordered<S> {
    inner: S,
    docs: DocSender,
    shared: Arc<Shared>,
}

impl<S> Ordered<S> {
    pub fn new(inner: S, docs: DocSender, shared: Arc<Shared>) -> Self {
        Ordered { inner, docs, shared }
    }
}

impl<S> Service<Request> for Ordered<S>
where
    S: Service<Request, Response = Option<Response>>,
{
    type Response = Option<Response>;
    type Error = S::Error;
    type Future = Either<Ready<Result<Option<Response>, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        if req.id().is_none() && DOC_METHODS.contains(&req.method()) {
            let (method, _, params) = req.into_parts();
            self.docs.submit(&method, params.unwrap_or(serde_json::Value::Null));
            return Either::Left(futures::future::ready(Ok(None)));
        }
        if req.id().is_none() && req.method() == "workspace/didChangeConfiguration" {
            self.shared.config_requested.fetch_add(1, Ordering::SeqCst);
        }
        Either::Right(self.inner.call(req))
    }
}
