//! Syntax for codeloop: tree-sitter parsing (incremental), query loading and execution.
//!
//! Architecture invariants:
//! - parsing never fails on bad code: broken input yields a tree with error nodes. The only
//!   `None` from a parse is a deadline running out (huge or generated files);
//! - nothing here panics on any input, and nothing copies a whole document: ropes are read
//!   chunk by chunk, both by the parser and by query predicates;
//! - positions are byte offsets. Tree-sitter `Point`s (rows count only `\n`, columns are bytes)
//!   never leave this crate; callers convert bytes to LSP positions through `text`;
//! - every query under `grammars/queries/` is compiled by [`check_queries`], which a test runs.
//!
//! This crate knows nothing of files, URIs, LSP or the index: it maps text to trees and trees
//! to symbols.

mod lang;
mod nodes;
mod parse;
mod query;
mod reach;
mod skim;
mod symbols;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;

pub use lang::Lang;
pub use nodes::{comments_in, identifiers_in};
pub use parse::{apply_edit, parse_bytes, parse_rope, release_memory};
pub use query::{check_queries, query_source};
pub use skim::outline_bytes;
pub use symbols::{symbols_bytes, symbols_rope, Symbol, SymbolKind};
pub use tree_sitter::Tree;
