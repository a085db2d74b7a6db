//! The index's symbol record (`IndexedSymbol`) and its conversion from `syntax::Symbol`.
//!
//! An indexed symbol carries positions resolved in every encoding (`TextPos`), so the index
//! answers any client without keeping file contents. It deliberately keeps no byte offsets:
//! they go stale with the first edit and every consumer works in lines and columns.
//! Container names repeat (every method of a class names it), so they are shared `Arc<str>`s
//! interned per file.

use std::collections::HashMap;
use std::sync::Arc;
use syntax::SymbolKind;
use text::TextPos;

/// One symbol of an indexed file. `parent` indexes the same file's symbol slice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexedSymbol {
    pub name: Box<str>,
    pub kind: SymbolKind,
    /// The whole definition, start inclusive and end exclusive.
    pub range: (TextPos, TextPos),
    /// The name of the definition (what an editor selects when jumping to it).
    pub selection: (TextPos, TextPos),
    pub parent: Option<u32>,
    pub container: Option<Arc<str>>,
}

/// Ranks kinds for search: types, then functions, then the rest, variables last.
pub(crate) fn kind_rank(kind: SymbolKind) -> u8 {
    use SymbolKind::*;
    match kind {
        Class | Struct | Enum | Interface | Trait | TypeAlias => 0,
        Function | Method | Constructor | Macro => 1,
        Module | Namespace => 2,
        Impl | Constant | EnumMember => 3,
        Field => 4,
        Variable => 5,
    }
}

/// Hands out one `Arc<str>` per distinct container name of a file.
#[derive(Default)]
pub(crate) struct Interner {
    names: HashMap<Box<str>, Arc<str>>,
}

impl Interner {
    pub(crate) fn intern(&mut self, name: &str) -> Arc<str> {
        if let Some(arc) = self.names.get(name) {
            return arc.clone();
        }
        let arc: Arc<str> = Arc::from(name);
        self.names.insert(name.into(), arc.clone());
        arc
    }
}

/// Converts a file's symbols, resolving byte offsets with `pos`. A parent index that does
/// not point into the slice is dropped rather than trusted.
pub(crate) fn convert(symbols: &[syntax::Symbol], pos: impl Fn(usize) -> TextPos) -> Arc<[IndexedSymbol]> {
    let mut interner = Interner::default();
    let len = symbols.len();
    symbols
        .iter()
        .map(|s| IndexedSymbol {
            name: s.name.as_str().into(),
            kind: s.kind,
            range: (pos(s.range.start), pos(s.range.end)),
            selection: (pos(s.selection.start), pos(s.selection.end)),
            parent: s.parent.filter(|&p| p < len).and_then(|p| u32::try_from(p).ok()),
            container: s.container.as_deref().map(|c| interner.intern(c)),
        })
        .collect()
}
