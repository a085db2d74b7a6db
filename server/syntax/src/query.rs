//! The symbols queries: their text (compiled into the binary from `grammars/queries/`), one
//! compiled `Query` per language cached for the life of the process, and the check that every
//! query compiles and follows the capture conventions.
//!
//! This module does not run queries (see `symbols.rs`) and does not load query files at run
//! time: editing a `.scm` file means rebuilding, which is what keeps `check_queries` honest.

use std::sync::OnceLock;

use tree_sitter::Query;

use crate::reach::{reach, Reach};
use crate::{Lang, SymbolKind};

/// The capture that names a symbol.
pub(crate) const NAME: &str = "name";
/// The capture whose text names the enclosing type of a definition that is not nested in it
/// (Go methods, C++ out-of-line members).
pub(crate) const CONTAINER: &str = "container";
/// The trait of a Rust impl block (`impl Trait for Type`).
pub(crate) const TRAIT: &str = "trait";
/// Prefix of the capture that marks a whole definition; the rest is a [`SymbolKind::as_str`].
pub(crate) const DEFINITION_PREFIX: &str = "definition.";

/// The top-level declaration patterns JavaScript and TypeScript share, appended to both queries.
macro_rules! ecma {
    ($lang:literal) => {
        concat!(
            include_str!(concat!("../../../grammars/queries/", $lang, "/symbols.scm")),
            "\n",
            include_str!("../../../grammars/queries/ecmascript/declarations.scm")
        )
    };
}

/// The symbols query text for `lang`, as written in `grammars/queries/<lang>/symbols.scm`
/// (for JavaScript and TypeScript followed by `grammars/queries/ecmascript/declarations.scm`).
pub fn query_source(lang: Lang) -> &'static str {
    match lang {
        Lang::Rust => include_str!("../../../grammars/queries/rust/symbols.scm"),
        Lang::Python => include_str!("../../../grammars/queries/python/symbols.scm"),
        Lang::JavaScript => ecma!("javascript"),
        Lang::TypeScript => ecma!("typescript"),
        // TSX is TypeScript plus JSX: one query serves both grammars.
        Lang::Tsx => ecma!("typescript"),
        Lang::Go => include_str!("../../../grammars/queries/go/symbols.scm"),
        Lang::C => include_str!("../../../grammars/queries/c/symbols.scm"),
        Lang::Cpp => include_str!("../../../grammars/queries/cpp/symbols.scm"),
        Lang::Java => include_str!("../../../grammars/queries/java/symbols.scm"),
        Lang::Ruby => include_str!("../../../grammars/queries/ruby/symbols.scm"),
        Lang::Bash => include_str!("../../../grammars/queries/bash/symbols.scm"),
    }
}

/// A compiled symbols query and the indices of the captures the extractor reads.
pub(crate) struct SymbolsQuery {
    pub(crate) query: Query,
    /// For each capture index: `Some(kind)` when it is a `@definition.<kind>` capture.
    pub(crate) kinds: Vec<Option<SymbolKind>>,
    pub(crate) name: Option<u32>,
    pub(crate) container: Option<u32>,
    pub(crate) trait_: Option<u32>,
    /// Where patterns can start, for the walk that skips the rest.
    pub(crate) reach: Reach,
}

type Compiled = Result<SymbolsQuery, String>;

static QUERIES: [OnceLock<Compiled>; Lang::ALL.len()] = [const { OnceLock::new() }; Lang::ALL.len()];

/// The cached symbols query for `lang`; `None` (logged once) if it does not compile, in which
/// case the language simply has no symbols.
pub(crate) fn symbols_query(lang: Lang) -> Option<&'static SymbolsQuery> {
    let compiled = QUERIES[lang.index()].get_or_init(|| {
        let compiled = compile(lang);
        if let Err(err) = &compiled {
            stdx::never!(true, "symbols query for {} is broken: {}", lang.name(), err);
        }
        compiled
    });
    compiled.as_ref().ok()
}

fn compile(lang: Lang) -> Compiled {
    crate::parse::use_fast_allocator();
    let query = Query::new(&lang.language(), query_source(lang))
        .map_err(|err| format!("{}:{}:{}: {:?}: {}", lang.name(), err.row + 1, err.column + 1, err.kind, err.message))?;
    let mut kinds = Vec::new();
    for capture in query.capture_names() {
        let kind = match capture.strip_prefix(DEFINITION_PREFIX) {
            Some(kind) => match SymbolKind::from_str_opt(kind) {
                Some(kind) => Some(kind),
                None => return Err(format!("{}: unknown symbol kind in @{capture}", lang.name())),
            },
            None if [NAME, CONTAINER, TRAIT].contains(capture) || capture.starts_with('_') => None,
            None => return Err(format!("{}: unknown capture @{capture}", lang.name())),
        };
        kinds.push(kind);
    }
    let index = |name: &str| query.capture_index_for_name(name);
    let reach = reach(lang, &query, query_source(lang)).map_err(|err| format!("{}: {err}", lang.name()))?;
    let compiled = SymbolsQuery { name: index(NAME), container: index(CONTAINER), trait_: index(TRAIT), kinds, query, reach };
    check_patterns(lang, &compiled)?;
    Ok(compiled)
}

/// Every pattern must capture exactly one definition and a name, or it yields nothing.
fn check_patterns(lang: Lang, compiled: &SymbolsQuery) -> Result<(), String> {
    let source = query_source(lang);
    for pattern in 0..compiled.query.pattern_count() {
        let start = compiled.query.start_byte_for_pattern(pattern);
        let end = compiled.query.end_byte_for_pattern(pattern);
        let text = source.get(start..end).unwrap_or_default();
        let line = source.get(..start).unwrap_or_default().lines().count() + 1;
        let definitions = text.matches(&format!("@{DEFINITION_PREFIX}")).count();
        if definitions != 1 || !text.contains(&format!("@{NAME}")) {
            return Err(format!("{}:{line}: a pattern needs one @definition.<kind> and a @name capture", lang.name()));
        }
    }
    Ok(())
}

/// Compiles every language's query (and loads every grammar into a parser, which checks the
/// grammar's ABI against this tree-sitter). Returns the problems found; empty means all good.
pub fn check_queries() -> Vec<(Lang, String)> {
    let mut errors = Vec::new();
    for lang in Lang::ALL {
        if let Err(err) = crate::parse::load_parser(lang) {
            errors.push((lang, format!("grammar does not load: {err}")));
            continue;
        }
        if let Err(err) = QUERIES[lang.index()].get_or_init(|| compile(lang)) {
            errors.push((lang, err.clone()));
        }
    }
    errors
}
