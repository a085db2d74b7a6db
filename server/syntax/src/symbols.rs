//! Symbols: runs a language's symbols query over a tree and turns the matches into a flat,
//! document-ordered list with parent links (the outline) and containers (for the index).
//!
//! The queries say *what* is a definition; this module decides what the outline shows, the
//! same way for every language: duplicate captures of one name collapse to the widest, nesting
//! comes from byte ranges, functions nested in types become methods, and variables inside
//! function bodies are dropped. It does not resolve references, compute scopes or read doc
//! comments, and it never copies a whole document: names are read from the rope piece by piece.

use std::ops::Range;

use streaming_iterator::StreamingIterator;
use tree_sitter::{Node, QueryCursor, QueryMatch, TextProvider, Tree};

use crate::query::{symbols_query, SymbolsQuery};
use crate::Lang;

/// What a symbol is. The lowercase names (`as_str`) are persisted by the index and used as
/// `@definition.<kind>` capture names in the query files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    Module,
    Namespace,
    Class,
    Struct,
    Enum,
    Interface,
    Trait,
    Function,
    Method,
    Constructor,
    Field,
    EnumMember,
    Constant,
    Variable,
    TypeAlias,
    Macro,
    Impl,
}

impl SymbolKind {
    pub const ALL: [SymbolKind; 17] = [
        SymbolKind::Module,
        SymbolKind::Namespace,
        SymbolKind::Class,
        SymbolKind::Struct,
        SymbolKind::Enum,
        SymbolKind::Interface,
        SymbolKind::Trait,
        SymbolKind::Function,
        SymbolKind::Method,
        SymbolKind::Constructor,
        SymbolKind::Field,
        SymbolKind::EnumMember,
        SymbolKind::Constant,
        SymbolKind::Variable,
        SymbolKind::TypeAlias,
        SymbolKind::Macro,
        SymbolKind::Impl,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SymbolKind::Module => "module",
            SymbolKind::Namespace => "namespace",
            SymbolKind::Class => "class",
            SymbolKind::Struct => "struct",
            SymbolKind::Enum => "enum",
            SymbolKind::Interface => "interface",
            SymbolKind::Trait => "trait",
            SymbolKind::Function => "function",
            SymbolKind::Method => "method",
            SymbolKind::Constructor => "constructor",
            SymbolKind::Field => "field",
            SymbolKind::EnumMember => "enum_member",
            SymbolKind::Constant => "constant",
            SymbolKind::Variable => "variable",
            SymbolKind::TypeAlias => "type_alias",
            SymbolKind::Macro => "macro",
            SymbolKind::Impl => "impl",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<SymbolKind> {
        SymbolKind::ALL.into_iter().find(|kind| kind.as_str() == s)
    }

    /// Kinds whose bodies are code: what is declared inside them is local.
    fn is_function_like(self) -> bool {
        matches!(self, SymbolKind::Function | SymbolKind::Method | SymbolKind::Constructor)
    }

    fn is_value(self) -> bool {
        matches!(self, SymbolKind::Variable | SymbolKind::Constant)
    }
}

/// One definition in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    /// Bytes of the whole definition (for Python, including decorators).
    pub range: Range<usize>,
    /// Bytes of the name.
    pub selection: Range<usize>,
    /// Index, in the same list, of the innermost enclosing symbol. Parents come before children.
    pub parent: Option<usize>,
    /// The enclosing type or scope by name: the parent's name, the type of a Rust impl block
    /// (`Foo` for methods in `impl Display for Foo`), or the receiver/qualifier of a member
    /// defined outside its type (Go methods, `void Foo::bar() {}`).
    pub container: Option<String>,
}

/// Symbols of a tree parsed from `rope`. Names and predicate text are read through the rope's
/// chunks; the document is never copied whole.
pub fn symbols_rope(lang: Lang, tree: &Tree, rope: &text::Rope) -> Vec<Symbol> {
    let provider = |node: Node<'_>| rope_chunks(rope, node.byte_range());
    extract(lang, tree, provider, &RopeText(rope))
}

/// Symbols of a tree parsed from `src`.
pub fn symbols_bytes(lang: Lang, tree: &Tree, src: &[u8]) -> Vec<Symbol> {
    extract(lang, tree, src, &ByteText(src))
}

/// Where names come from: small reads only, never the whole text.
trait Text {
    fn text(&self, range: Range<usize>) -> String;
    fn byte(&self, at: usize) -> Option<u8>;
}

struct RopeText<'a>(&'a text::Rope);

impl Text for RopeText<'_> {
    fn text(&self, range: Range<usize>) -> String {
        let mut bytes = Vec::with_capacity(range.len().min(256));
        for chunk in rope_chunks(self.0, range) {
            bytes.extend_from_slice(chunk);
        }
        String::from_utf8(bytes).unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned())
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.0.get_byte(at)
    }
}

struct ByteText<'a>(&'a [u8]);

impl Text for ByteText<'_> {
    fn text(&self, range: Range<usize>) -> String {
        String::from_utf8_lossy(self.0.get(range).unwrap_or_default()).into_owned()
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.0.get(at).copied()
    }
}

/// The bytes of `range` (clamped to the text) as the rope's own chunks, sliced at byte
/// offsets: no copy, and no char-index conversions, which dominate when reading thousands of
/// short names. A range that splits a character (a tree out of step with its text) yields the
/// partial bytes, never a panic.
pub(crate) fn rope_chunks(rope: &text::Rope, range: Range<usize>) -> impl Iterator<Item = &[u8]> {
    let end = range.end.min(rope.len_bytes());
    let mut at = range.start;
    std::iter::from_fn(move || {
        if at >= end {
            return None;
        }
        let (chunk, chunk_start, _, _) = rope.get_chunk_at_byte(at)?;
        let piece = chunk.as_bytes().get(at - chunk_start..(end - chunk_start).min(chunk.len()))?;
        if piece.is_empty() {
            return None;
        }
        at += piece.len();
        Some(piece)
    })
}

/// A definition as captured, before nesting decides its final kind and parent.
#[derive(Clone, Debug)]
struct Raw {
    kind: SymbolKind,
    name: String,
    range: Range<usize>,
    selection: Range<usize>,
    /// From a `@container` capture; otherwise the container comes from nesting.
    container: Option<String>,
    /// The name children use as their container: the type of an impl block, else `name`.
    scope_name: String,
    pattern: usize,
}

/// Runs the symbols query where a pattern can start: a walk over the tree that skips every
/// subtree which, by the grammar's node types, cannot hold a pattern's root node (see
/// `reach`), and matches the query only at root-kind nodes, with patterns starting at that node.
/// Equivalent to matching the query over the whole tree (`extract_full`, which the tests
/// compare it with), and several times cheaper: most nodes are never visited.
fn extract<T, I>(lang: Lang, tree: &Tree, provider: T, src: &dyn Text) -> Vec<Symbol>
where
    T: TextProvider<I> + Copy,
    I: AsRef<[u8]>,
{
    let Some(sq) = symbols_query(lang) else { return Vec::new() };
    let mut query_cursor = QueryCursor::new();
    query_cursor.set_max_start_depth(Some(0));
    let mut raws = Vec::new();
    let mut cursor = tree.walk();
    'walk: loop {
        let node = cursor.node();
        let id = node.kind_id() as usize;
        if sq.reach.root.get(id).copied().unwrap_or(true) {
            let mut matches = query_cursor.matches(&sq.query, node, provider);
            while let Some(m) = matches.next() {
                raws.extend(raw_from_match(sq, m, src));
            }
        }
        // Node types bound error-free subtrees only.
        let enter = sq.reach.holds.get(id).copied().unwrap_or(true) || node.has_error();
        if enter && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    finish(lang, raws)
}

/// The same symbols from one query match over the whole tree: the reference `extract` is
/// checked against.
#[cfg(test)]
fn extract_full<T, I>(lang: Lang, tree: &Tree, provider: T, src: &dyn Text) -> Vec<Symbol>
where
    T: TextProvider<I>,
    I: AsRef<[u8]>,
{
    let Some(sq) = symbols_query(lang) else { return Vec::new() };
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(&sq.query, tree.root_node(), provider);
    let mut raws = Vec::new();
    while let Some(m) = matches.next() {
        raws.extend(raw_from_match(sq, m, src));
    }
    finish(lang, raws)
}

/// Symbols of `src` found by matching the query over the whole tree (tests only).
#[cfg(test)]
pub(crate) fn symbols_bytes_full(lang: Lang, tree: &Tree, src: &[u8]) -> Vec<Symbol> {
    extract_full(lang, tree, src, &ByteText(src))
}

/// The definition one match captured, if it captured a definition and a real name.
fn raw_from_match(sq: &SymbolsQuery, m: &QueryMatch<'_, '_>, src: &dyn Text) -> Option<Raw> {
    let (mut definition, mut name, mut container, mut trait_) = (None, None, None, None);
    for capture in m.captures {
        let index = Some(capture.index);
        if let Some(Some(kind)) = sq.kinds.get(capture.index as usize) {
            definition = Some((*kind, capture.node));
        } else if index == sq.name {
            name = Some(capture.node);
        } else if index == sq.container {
            container = Some(capture.node);
        } else if index == sq.trait_ {
            trait_ = Some(capture.node);
        }
    }
    let (Some((kind, definition)), Some(name)) = (definition, name) else { return None };
    if name.byte_range().is_empty() {
        // A name the parser invented to recover from an error (a MISSING node).
        return None;
    }
    let name_text = clean_name(&src.text(name.byte_range()));
    let (name_text, scope_name) = if kind == SymbolKind::Impl {
        let label = match trait_ {
            Some(t) => format!("impl {} for {}", clean_name(&src.text(t.byte_range())), name_text),
            None => format!("impl {name_text}"),
        };
        (label, base_name(&name_text))
    } else {
        (name_text.clone(), name_text)
    };
    let mut range = definition.byte_range();
    // Some nodes (C macros) end after their line break; the definition ends before it.
    while range.end > name.end_byte() && matches!(src.byte(range.end - 1), Some(b'\n' | b'\r')) {
        range.end -= 1;
    }
    Some(Raw {
        kind,
        name: name_text,
        range,
        selection: name.byte_range(),
        container: container.map(|c| base_name(&clean_name(&src.text(c.byte_range())))),
        scope_name,
        pattern: m.pattern_index,
    })
}

/// Collapses whitespace runs (names can span lines, e.g. generic impl targets) and bounds the
/// length, so one odd capture cannot bloat the index.
fn clean_name(s: &str) -> String {
    const MAX: usize = 200;
    let mut out = String::with_capacity(s.len().min(MAX));
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        if out.len() > MAX {
            let mut end = MAX;
            while !out.is_char_boundary(end) {
                end -= 1;
            }
            out.truncate(end);
            break;
        }
    }
    out
}

/// The bare type name of a type expression: `&'a mut crate::Foo<T>` and `Foo<T>::` give `Foo`.
fn base_name(s: &str) -> String {
    let s = s.split('<').next().unwrap_or(s).trim_end_matches(':');
    let s = s.rsplit("::").next().unwrap_or(s);
    let mut s = s.trim_start_matches(['&', '*', ' ']);
    loop {
        let before = s;
        for prefix in ["mut ", "dyn ", "const "] {
            s = s.strip_prefix(prefix).unwrap_or(s).trim_start();
        }
        if let Some(rest) = s.strip_prefix('\'') {
            // A lifetime: skip it and the space after it.
            s = rest.split_once(' ').map_or("", |(_, rest)| rest).trim_start();
        }
        if s == before {
            break;
        }
    }
    s.trim().to_owned()
}

/// Turns captured definitions into the outline: dedupe, nest, drop locals, settle kinds.
fn finish(lang: Lang, mut raws: Vec<Raw>) -> Vec<Symbol> {
    // One symbol per name node: the widest definition wins (a decorated Python function over
    // the bare one), then the earliest pattern (a `const` variable over a plain variable).
    raws.sort_by(|a, b| {
        (a.selection.start, a.selection.end, std::cmp::Reverse(a.range.len()), a.pattern).cmp(&(
            b.selection.start,
            b.selection.end,
            std::cmp::Reverse(b.range.len()),
            b.pattern,
        ))
    });
    raws.dedup_by(|later, kept| later.selection == kept.selection);
    raws.sort_by_key(|r| (r.range.start, std::cmp::Reverse(r.range.end), r.selection.start));

    // Drop what is local to a function body (or to a variable's initializer), then nest again:
    // the children of what was dropped move up, and may be local themselves.
    let parents = loop {
        let parents = nest(&raws);
        let before = raws.len();
        let keep: Vec<bool> =
            raws.iter().zip(&parents).map(|(raw, parent)| !is_local(raw.kind, parent.and_then(|p| raws.get(p)).map(|p| p.kind))).collect();
        let mut keep = keep.into_iter();
        raws.retain(|_| keep.next().unwrap_or(true));
        if raws.len() == before {
            break parents;
        }
    };

    let mut symbols: Vec<Symbol> = Vec::with_capacity(raws.len());
    for (raw, parent) in raws.iter().zip(parents) {
        let parent_raw = parent.and_then(|p| raws.get(p));
        let mut kind = raw.kind;
        if kind == SymbolKind::Function && parent_raw.is_some_and(|p| is_method_parent(lang, p.kind)) {
            kind = SymbolKind::Method;
        }
        let container = raw.container.clone().or_else(|| parent_raw.map(|p| p.scope_name.clone()));
        if kind == SymbolKind::Method && is_constructor(lang, &raw.name, container.as_deref()) {
            kind = SymbolKind::Constructor;
        }
        symbols.push(Symbol {
            name: raw.name.clone(),
            kind,
            range: raw.range.clone(),
            selection: raw.selection.clone(),
            parent,
            container,
        });
    }
    symbols
}

/// For each definition (sorted by start, widest first), the index of the innermost definition
/// whose range strictly contains it. Definitions with identical ranges (`var a, b int`) are
/// siblings, not parent and child.
fn nest(raws: &[Raw]) -> Vec<Option<usize>> {
    let mut parents = Vec::with_capacity(raws.len());
    let mut stack: Vec<usize> = Vec::new();
    for raw in raws {
        while let Some(&top) = stack.last() {
            let outer = &raws[top].range;
            let contains = outer.start <= raw.range.start && raw.range.end <= outer.end;
            if contains && *outer != raw.range {
                break;
            }
            stack.pop();
        }
        parents.push(stack.last().copied());
        stack.push(parents.len() - 1);
    }
    parents
}

/// Whether a definition of `kind` directly inside `parent` is local noise for the outline.
fn is_local(kind: SymbolKind, parent: Option<SymbolKind>) -> bool {
    let Some(parent) = parent else { return false };
    match kind {
        SymbolKind::Variable | SymbolKind::Constant | SymbolKind::Field => parent.is_function_like() || parent.is_value(),
        // Object-literal methods in JavaScript and members of anonymous classes.
        SymbolKind::Method => parent.is_function_like(),
        _ => false,
    }
}

/// Whether a function directly inside a definition of `kind` is a method.
fn is_method_parent(lang: Lang, kind: SymbolKind) -> bool {
    match kind {
        SymbolKind::Class | SymbolKind::Struct | SymbolKind::Enum | SymbolKind::Interface | SymbolKind::Trait | SymbolKind::Impl => true,
        SymbolKind::Module => lang == Lang::Ruby,
        _ => false,
    }
}

fn is_constructor(lang: Lang, name: &str, container: Option<&str>) -> bool {
    match lang {
        Lang::Python => name == "__init__",
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx => name == "constructor",
        Lang::Ruby => name == "initialize",
        Lang::Cpp | Lang::Java => container == Some(name),
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn base_names() {
        let cases = [
            ("Foo", "Foo"),
            ("Foo<T>", "Foo"),
            ("crate::Bar<'a>", "Bar"),
            ("&'a mut Foo", "Foo"),
            ("dyn Trait", "Trait"),
            ("TT<T>", "TT"),
            ("ns::Outer::Inner", "Inner"),
        ];
        for (input, want) in cases {
            assert_eq!(base_name(input), want, "{input}");
        }
    }

    #[test]
    fn kinds_round_trip() {
        for kind in SymbolKind::ALL {
            assert_eq!(SymbolKind::from_str_opt(kind.as_str()), Some(kind));
        }
        assert_eq!(SymbolKind::from_str_opt("Function"), None);
    }
}
