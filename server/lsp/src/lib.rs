//! The LSP front end of codeloop: tower-lsp over stdio, with the document store, symbols and
//! the workspace index behind it.
//!
//! Architecture invariants:
//! - this is the only crate that knows LSP (lsp-types, tower-lsp, JSON-RPC); conversions to
//!   and from the server's own types happen in `convert.rs`;
//! - document sync is applied in arrival order by one actor (`documents.rs`), whatever
//!   tower-lsp's handler concurrency (`ordered.rs` routes it there before any handler runs);
//! - nothing but JSON-RPC frames reaches stdout, and one malformed message never ends the
//!   session (`stdio.rs`);
//! - handlers never block the runtime and never await a request to the client;
//! - the agent crate knows nothing of LSP: its Ops and Events are converted here, edits leave
//!   only as versioned `workspace/applyEdit` (`agents.rs`, `edits.rs`, `edit_flow.rs`).

mod agents;
mod ai_comments;
mod approvals;
mod code_actions;
mod commands;
mod convert;
mod doc_view;
mod documents;
mod edit_flow;
mod edits;
mod ordered;
mod progress;
mod server;
mod state;
pub mod stdio;
mod transcript;
mod turn_progress;
mod undo;
mod undo_flow;

pub use server::{IndexOptions, InitOptions};
pub use stdio::Ending;

use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{mpsc, oneshot};
use tower_lsp::{LspService, Server};

/// How many request handlers tower-lsp may poll at once. Handlers are short (heavy work goes
/// to blocking threads), so a high limit keeps quick requests from queueing behind slow ones.
const CONCURRENCY: usize = 32;

/// Serves one LSP session over the given pipes until `exit` or end of input.
pub async fn serve<I, O>(input: I, output: O) -> Ending
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite + Unpin + Send + 'static,
{
    let (notes_tx, notes_rx) = mpsc::unbounded_channel();
    let shared = Arc::new(state::Shared::new(notes_tx));
    let (docs, doc_sender) = documents::DocStore::start(shared.clone());
    let shared_for_order = shared.clone();
    let (service, socket) = LspService::build(move |client| server::Backend::new(client, shared, docs, notes_rx))
        .custom_method("codeloop/context", server::Backend::context)
        .custom_method("codeloop/documentState", server::Backend::document_state)
        .custom_method("window/workDoneProgress/cancel", server::Backend::progress_cancel)
        .finish();
    let service = ordered::Ordered::new(service, doc_sender, shared_for_order);

    let (server_in, to_server) = tokio::io::duplex(1 << 20);
    let (from_server, server_out) = tokio::io::duplex(1 << 20);
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    tokio::spawn(stdio::write_output(output, out_rx));
    tokio::spawn(stdio::pump_output(from_server, out_tx.clone()));
    tokio::spawn(Server::new(server_in, server_out, socket).concurrency_level(CONCURRENCY).serve(service));

    let ending = stdio::pump_input(input, to_server, out_tx.clone()).await;
    let (done_tx, done_rx) = oneshot::channel();
    if out_tx.send(stdio::OutFrame::Flush(done_tx)).is_ok() {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), done_rx).await;
    }
    ending
}
