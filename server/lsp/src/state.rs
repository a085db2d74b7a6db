//! State shared by the LSP handlers, the document actor and background tasks: the negotiated
//! position encoding, the workspace index (created at `initialize`) and the channel of
//! messages for the client, and the counters that order configuration reloads before the
//! commands that follow them. No logic lives here.

use index::Index;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::OnceLock;
use text::PositionEncoding;
use tokio::sync::mpsc::UnboundedSender;
use tower_lsp::lsp_types::MessageType;

/// A message for the user, sent from places that have no `Client` (the document thread).
pub enum Note {
    Log(MessageType, String),
}

pub struct Shared {
    encoding: AtomicU8,
    pub index: OnceLock<Index>,
    pub notes: UnboundedSender<Note>,
    /// `workspace/didChangeConfiguration` notifications received (counted in arrival order).
    pub config_requested: AtomicU64,
    /// Those handled (the configuration reloaded or ignored).
    config_handled: tokio::sync::watch::Sender<u64>,
}

impl Shared {
    pub fn new(notes: UnboundedSender<Note>) -> Self {
        let (config_handled, _) = tokio::sync::watch::channel(0);
        Shared { encoding: AtomicU8::new(1), index: OnceLock::new(), notes, config_requested: AtomicU64::new(0), config_handled }
    }

    pub fn config_handled(&self) {
        self.config_handled.send_modify(|n| *n += 1);
    }

    /// Waits until every configuration change received so far has been handled, so that a
    /// command sent after a didChangeConfiguration sees the new configuration.
    pub async fn config_sync(&self) {
        let target = self.config_requested.load(Ordering::SeqCst);
        let mut rx = self.config_handled.subscribe();
        let _ = rx.wait_for(|n| *n >= target).await;
    }

    pub fn encoding(&self) -> PositionEncoding {
        match self.encoding.load(Ordering::SeqCst) {
            0 => PositionEncoding::Utf8,
            2 => PositionEncoding::Utf32,
            _ => PositionEncoding::Utf16,
        }
    }

    pub fn set_encoding(&self, enc: PositionEncoding) {
        let v = match enc {
            PositionEncoding::Utf8 => 0,
            PositionEncoding::Utf16 => 1,
            PositionEncoding::Utf32 => 2,
        };
        self.encoding.store(v, Ordering::SeqCst);
    }
}
