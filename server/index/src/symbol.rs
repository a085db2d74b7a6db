//! The index's symbol record (`IndexedSymbol`) and the compact per-file table that stores
//! it (`FileSymbols`).
//!
//! An indexed symbol carries positions resolved in every encoding (`TextPos`), so the index
//! answers any client without keeping file contents. It deliberately keeps no byte offsets:
//! they go stale with the first edit and every consumer works in lines and columns.
//! In memory a file's symbols are one table: names concatenated in one string, 48 bytes of
//! fixed fields per symbol, container names shared per file, and UTF-16/UTF-32 columns
//! stored only for files where some differ from the UTF-8 one (non-ASCII before a symbol on
//! its line). `IndexedSymbol`s are built from it on demand.

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

const NONE: u32 = u32::MAX;
const NO_CONTAINER: u16 = u16::MAX;

/// The fixed part of a symbol: 48 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Packed {
    name_start: u32,
    name_len: u16,
    container: u16,
    parent: u32,
    kind: SymbolKind,
    /// range start, range end, selection start, selection end: (line, UTF-8 column).
    pos: [(u32, u32); 4],
}

/// (UTF-16, UTF-32) columns of a symbol's four positions.
type WideColumns = [(u32, u32); 4];

/// The symbols of one file, in the order `syntax` produced them (parents first).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct FileSymbols {
    names: Box<str>,
    syms: Box<[Packed]>,
    containers: Box<[Arc<str>]>,
    /// Per symbol and position: (UTF-16, UTF-32) columns, when any differs from UTF-8.
    wide: Option<Box<[WideColumns]>>,
}

impl FileSymbols {
    pub(crate) fn len(&self) -> usize {
        self.syms.len()
    }

    pub(crate) fn name(&self, i: usize) -> &str {
        let Some(p) = self.syms.get(i) else { return "" };
        let start = p.name_start as usize;
        self.names.get(start..start + usize::from(p.name_len)).unwrap_or("")
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.name(i))
    }

    pub(crate) fn kind(&self, i: usize) -> Option<SymbolKind> {
        self.syms.get(i).map(|p| p.kind)
    }

    /// Line and UTF-8 column of the symbol's name, for ordering.
    pub(crate) fn selection_start(&self, i: usize) -> (u32, u32) {
        self.syms.get(i).map_or((0, 0), |p| p.pos[2])
    }

    pub(crate) fn parent(&self, i: usize) -> Option<u32> {
        self.syms.get(i).map(|p| p.parent).filter(|&p| p != NONE)
    }

    pub(crate) fn container(&self, i: usize) -> Option<&Arc<str>> {
        let c = self.syms.get(i)?.container;
        self.containers.get(usize::from(c))
    }

    pub(crate) fn containers(&self) -> &[Arc<str>] {
        &self.containers
    }

    /// The container's index in `containers()`.
    pub(crate) fn container_index(&self, i: usize) -> Option<u16> {
        self.syms.get(i).map(|p| p.container).filter(|&c| c != NO_CONTAINER)
    }

    /// The four positions: range start and end, selection start and end.
    pub(crate) fn positions(&self, i: usize) -> [TextPos; 4] {
        let Some(p) = self.syms.get(i) else { return [TextPos::default(); 4] };
        let wide = self.wide.as_ref().and_then(|w| w.get(i));
        std::array::from_fn(|k| {
            let (line, utf8) = p.pos[k];
            let (utf16, utf32) = wide.map_or((utf8, utf8), |w| w[k]);
            TextPos { line, utf8, utf16, utf32 }
        })
    }

    pub(crate) fn get(&self, i: usize) -> Option<IndexedSymbol> {
        let p = self.syms.get(i)?;
        let [a, b, c, d] = self.positions(i);
        Some(IndexedSymbol {
            name: self.name(i).into(),
            kind: p.kind,
            range: (a, b),
            selection: (c, d),
            parent: self.parent(i),
            container: self.container(i).cloned(),
        })
    }

    pub(crate) fn to_vec(&self) -> Arc<[IndexedSymbol]> {
        (0..self.len()).filter_map(|i| self.get(i)).collect()
    }
}

/// Builds a `FileSymbols`, interning container names.
#[derive(Default)]
pub(crate) struct Builder {
    names: String,
    syms: Vec<Packed>,
    containers: Vec<Arc<str>>,
    container_ids: HashMap<Arc<str>, u16>,
    wide: Vec<WideColumns>,
    any_wide: bool,
}

impl Builder {
    pub(crate) fn with_capacity(n: usize) -> Builder {
        let mut b = Builder::default();
        b.reserve(n);
        b
    }

    pub(crate) fn reserve(&mut self, n: usize) {
        self.syms.reserve(n);
        self.wide.reserve(n);
    }

    /// The index of a container name, added if new. `None` past 65,535 distinct names.
    pub(crate) fn container(&mut self, name: &str) -> Option<u16> {
        if let Some(&id) = self.container_ids.get(name) {
            return Some(id);
        }
        let id = u16::try_from(self.containers.len()).ok().filter(|&id| id != NO_CONTAINER)?;
        let arc: Arc<str> = Arc::from(name);
        self.containers.push(arc.clone());
        self.container_ids.insert(arc, id);
        Some(id)
    }

    /// Adds a symbol. Names longer than 65,535 bytes are cut (at a char boundary).
    pub(crate) fn push(&mut self, name: &str, kind: SymbolKind, pos: [TextPos; 4], parent: Option<u32>, container: Option<u16>) {
        let mut len = name.len().min(usize::from(u16::MAX));
        while !name.is_char_boundary(len) {
            len -= 1;
        }
        let name_start = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push_str(&name[..len]);
        self.syms.push(Packed {
            name_start,
            name_len: len as u16,
            container: container.unwrap_or(NO_CONTAINER),
            parent: parent.unwrap_or(NONE),
            kind,
            pos: pos.map(|p| (p.line, p.utf8)),
        });
        self.any_wide |= pos.iter().any(|p| p.utf16 != p.utf8 || p.utf32 != p.utf8);
        self.wide.push(pos.map(|p| (p.utf16, p.utf32)));
    }

    pub(crate) fn finish(self) -> FileSymbols {
        FileSymbols {
            names: self.names.into_boxed_str(),
            syms: self.syms.into_boxed_slice(),
            containers: self.containers.into_boxed_slice(),
            wide: self.any_wide.then(|| self.wide.into_boxed_slice()),
        }
    }
}

/// Converts a file's symbols, resolving byte offsets with `pos`. A parent index that does
/// not point into the slice is dropped rather than trusted.
pub(crate) fn convert(symbols: &[syntax::Symbol], pos: impl Fn(usize) -> TextPos) -> Arc<FileSymbols> {
    let mut b = Builder::with_capacity(symbols.len());
    let len = symbols.len();
    for s in symbols {
        let container = s.container.as_deref().and_then(|c| b.container(c));
        let parent = s.parent.filter(|&p| p < len).and_then(|p| u32::try_from(p).ok());
        let positions = [pos(s.range.start), pos(s.range.end), pos(s.selection.start), pos(s.selection.end)];
        b.push(&s.name, s.kind, positions, parent, container);
    }
    Arc::new(b.finish())
}
