//! Conversions between lsp-types and the server's own types (the only place besides the
//! handlers that knows LSP shapes): URIs and paths, positions in the negotiated encoding,
//! symbol kinds. Nothing here does I/O.

use std::path::{Path, PathBuf};
use syntax::SymbolKind;
use text::{LineCol, PositionEncoding, Rope, TextPos};
use tower_lsp::lsp_types::{self as lsp, Url};

pub fn uri_to_path(uri: &Url) -> Option<PathBuf> {
    if uri.scheme() != "file" {
        return None;
    }
    uri.to_file_path().ok()
}

pub fn path_to_uri(path: &Path) -> Option<Url> {
    Url::from_file_path(path).ok()
}

pub fn line_col(p: lsp::Position) -> LineCol {
    LineCol { line: p.line, col: p.character }
}

pub fn position(p: TextPos, enc: PositionEncoding) -> lsp::Position {
    lsp::Position { line: p.line, character: p.col(enc) }
}

pub fn range(r: (TextPos, TextPos), enc: PositionEncoding) -> lsp::Range {
    lsp::Range { start: position(r.0, enc), end: position(r.1, enc) }
}

/// A byte range of a rope as an LSP range.
pub fn byte_range(rope: &Rope, r: &std::ops::Range<usize>, enc: PositionEncoding) -> lsp::Range {
    let (s, e) = (text::line_col(rope, r.start, enc), text::line_col(rope, r.end, enc));
    lsp::Range { start: lsp::Position { line: s.line, character: s.col }, end: lsp::Position { line: e.line, character: e.col } }
}

/// An LSP range as a byte range of a rope, clamped as the specification says.
pub fn to_byte_range(rope: &Rope, r: lsp::Range, enc: PositionEncoding) -> std::ops::Range<usize> {
    let s = text::offset_of(rope, line_col(r.start), enc).byte;
    let e = text::offset_of(rope, line_col(r.end), enc).byte;
    s.min(e)..s.max(e)
}

/// Picks the position encoding: utf-8, then utf-32, else the default utf-16
/// (rust-analyzer's order: the client's preference order is not meaningful in practice).
pub fn negotiate_encoding(caps: &lsp::ClientCapabilities) -> PositionEncoding {
    let offered: Vec<PositionEncoding> = caps
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .map(|v| v.iter().filter_map(|k| PositionEncoding::from_wire(k.as_str())).collect())
        .unwrap_or_default();
    [PositionEncoding::Utf8, PositionEncoding::Utf32].into_iter().find(|e| offered.contains(e)).unwrap_or(PositionEncoding::Utf16)
}

pub fn symbol_kind(k: SymbolKind) -> lsp::SymbolKind {
    match k {
        SymbolKind::Module => lsp::SymbolKind::MODULE,
        SymbolKind::Namespace => lsp::SymbolKind::NAMESPACE,
        SymbolKind::Class => lsp::SymbolKind::CLASS,
        SymbolKind::Struct => lsp::SymbolKind::STRUCT,
        SymbolKind::Enum => lsp::SymbolKind::ENUM,
        SymbolKind::Interface | SymbolKind::Trait => lsp::SymbolKind::INTERFACE,
        SymbolKind::Function | SymbolKind::Macro => lsp::SymbolKind::FUNCTION,
        SymbolKind::Method => lsp::SymbolKind::METHOD,
        SymbolKind::Constructor => lsp::SymbolKind::CONSTRUCTOR,
        SymbolKind::Field => lsp::SymbolKind::FIELD,
        SymbolKind::EnumMember => lsp::SymbolKind::ENUM_MEMBER,
        SymbolKind::Constant => lsp::SymbolKind::CONSTANT,
        SymbolKind::Variable => lsp::SymbolKind::VARIABLE,
        SymbolKind::TypeAlias => lsp::SymbolKind::TYPE_PARAMETER,
        SymbolKind::Impl => lsp::SymbolKind::OBJECT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_prefers_utf8_then_utf32() {
        let mut caps = lsp::ClientCapabilities::default();
        assert_eq!(negotiate_encoding(&caps), PositionEncoding::Utf16);
        caps.general = Some(lsp::GeneralClientCapabilities {
            position_encodings: Some(vec![lsp::PositionEncodingKind::UTF16, lsp::PositionEncodingKind::UTF32]),
            ..Default::default()
        });
        assert_eq!(negotiate_encoding(&caps), PositionEncoding::Utf32);
        caps.general = Some(lsp::GeneralClientCapabilities {
            position_encodings: Some(vec![
                lsp::PositionEncodingKind::UTF16,
                lsp::PositionEncodingKind::UTF8,
                lsp::PositionEncodingKind::UTF32,
            ]),
            ..Default::default()
        });
        assert_eq!(negotiate_encoding(&caps), PositionEncoding::Utf8);
    }
}
