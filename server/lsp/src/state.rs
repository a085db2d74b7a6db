//! State shared by the LSP handlers, the document actor and background tasks: the negotiated
//! position encoding, the workspace index (created at `initialize`) and the channel of
//! messages for the client. No logic lives here.

use index::Index;
use std::sync::atomic::{AtomicU8, Ordering};
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
}

impl Shared {
    pub fn new(notes: UnboundedSender<Note>) -> Self {
        Shared { encoding: AtomicU8::new(1), index: OnceLock::new(), notes }
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
