//! find_symbol and file_outline: the workspace symbol index as tools. find_symbol lists
//! exact-name definitions first, then fuzzy matches; file_outline prints a file's symbol
//! tree with line ranges, from the index, or parsed afresh from the view when the file is
//! open in the editor or not indexed.
//!
//! Names only: no references, no types, no scopes (the index has none).

use crate::context::{ToolContext, ToolOutput};
use crate::read_file::describe_io_error;
use agent_protocol::ToolSpec;
use serde::Deserialize;
use serde_json::json;
use std::fmt::Write;
use syntax::SymbolKind;

pub const FIND_SYMBOL: &str = "find_symbol";
pub const FILE_OUTLINE: &str = "file_outline";
pub const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 200;
/// Outline entries shown at most.
const OUTLINE_CAP: usize = 500;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FindSymbolArgs {
    #[serde(alias = "query")]
    pub name: String,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub limit: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FileOutlineArgs {
    #[serde(alias = "file_path")]
    pub path: String,
}

const KINDS: &str = "function, method, class, struct, enum, interface, trait, type, module, constant, field, variable, macro";

pub(crate) fn find_symbol_spec() -> ToolSpec {
    ToolSpec::Function {
        name: FIND_SYMBOL.into(),
        description: "Find definitions by name in the workspace symbol index (exact matches first, then fuzzy).".into(),
        strict: false,
        parameters: json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "description": "Symbol name or fuzzy query."},
                "kind": {"type": "string", "description": format!("Only this kind: {KINDS}.")},
                "limit": {"type": "integer", "description": "Maximum results (default 20)."}
            },
            "required": ["name"],
            "additionalProperties": false
        }),
    }
}

pub(crate) fn file_outline_spec() -> ToolSpec {
    ToolSpec::Function {
        name: FILE_OUTLINE.into(),
        description: "A file's symbols (functions, types, methods...) as a tree with line ranges.".into(),
        strict: false,
        parameters: json!({
            "type": "object",
            "properties": {"path": {"type": "string", "description": "File path."}},
            "required": ["path"],
            "additionalProperties": false
        }),
    }
}

fn parse_kind(kind: &str) -> Option<SymbolKind> {
    let k = kind.trim().to_ascii_lowercase();
    let k = match k.as_str() {
        "type" | "type_alias" | "typealias" => "type_alias",
        "const" => "constant",
        "fn" | "func" => "function",
        "enum_member" | "variant" => "enum_member",
        other => other,
    };
    SymbolKind::from_str_opt(k).or_else(|| SymbolKind::ALL.into_iter().find(|s| s.as_str().replace('_', "") == k.replace('_', "")))
}

pub fn find_symbol(ctx: &ToolContext, args: &FindSymbolArgs) -> ToolOutput {
    let Some(index) = &ctx.index else { return ToolOutput::error("The symbol index is not available; use grep.") };
    let kind = match args.kind.as_deref().filter(|k| !k.trim().is_empty()) {
        None => None,
        Some(k) => match parse_kind(k) {
            Some(kind) => Some(kind),
            None => return ToolOutput::error(format!("unknown kind {k:?}; kinds: {KINDS}.")),
        },
    };
    let limit = args.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let wanted = |h: &index::SymbolHit| kind.is_none_or(|k| h.symbol.kind == k);
    let mut hits: Vec<index::SymbolHit> = index.definitions(&args.name, limit * 4).into_iter().filter(wanted).collect();
    for h in index.search(&args.name, limit * 4).into_iter().filter(wanted) {
        if !hits.iter().any(|x| x.path == h.path && x.symbol == h.symbol) {
            hits.push(h);
        }
    }
    hits.truncate(limit);
    if hits.is_empty() {
        return ToolOutput::ok(format!("No symbol matches {:?}.", args.name));
    }
    let mut out = String::new();
    for h in &hits {
        let s = &h.symbol;
        let container = s.container.as_deref().map(|c| format!(" in {c}")).unwrap_or_default();
        let _ =
            writeln!(out, "{} {}{container} {}:{}-{}", s.kind.as_str(), s.name, ctx.show(&h.path), s.range.0.line + 1, s.range.1.line + 1);
    }
    ToolOutput::ok(out.trim_end().to_string())
}

/// One outline row: depth, kind, name, first and last line (1-based).
type Row = (usize, SymbolKind, String, u32, u32);

fn depth_of(parent_of: impl Fn(usize) -> Option<usize>, mut i: usize) -> usize {
    let mut depth = 0;
    while let Some(p) = parent_of(i).filter(|_| depth < 64) {
        depth += 1;
        i = p;
    }
    depth
}

fn parse_outline(path: &std::path::Path, text: &str) -> Option<Vec<Row>> {
    let lang = syntax::Lang::from_path(path)?;
    let tree = syntax::parse_bytes(lang, text.as_bytes())?;
    let symbols = syntax::symbols_bytes(lang, &tree, text.as_bytes());
    let starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let line = |b: usize| starts.partition_point(|&s| s <= b).saturating_sub(1) as u32 + 1;
    let parent = |i: usize| symbols.get(i).and_then(|s| s.parent);
    Some(
        symbols
            .iter()
            .enumerate()
            .map(|(i, s)| {
                (depth_of(parent, i), s.kind, s.name.clone(), line(s.range.start), line(s.range.end.saturating_sub(1).max(s.range.start)))
            })
            .collect(),
    )
}

pub fn file_outline(ctx: &ToolContext, args: &FileOutlineArgs) -> ToolOutput {
    let path = ctx.resolve(&args.path);
    let shown = ctx.show(&path);
    let indexed = if ctx.view.is_open(&path) { None } else { ctx.index.as_ref().and_then(|i| i.file_symbols(&path)) };
    let rows: Vec<Row> = match indexed {
        Some(symbols) => {
            let parent = |i: usize| symbols.get(i).and_then(|s| s.parent).map(|p| p as usize);
            symbols
                .iter()
                .enumerate()
                .map(|(i, s)| (depth_of(parent, i), s.kind, s.name.to_string(), s.range.0.line + 1, s.range.1.line + 1))
                .collect()
        }
        None => {
            let text = match ctx.view.read(&path) {
                Ok(s) => s.text,
                Err(e) => return ToolOutput::error(describe_io_error(&shown, &e)),
            };
            match parse_outline(&path, &text) {
                Some(rows) => rows,
                None => return ToolOutput::error(format!("{shown}: no outline for this language; use read_file.")),
            }
        }
    };
    if rows.is_empty() {
        return ToolOutput::ok(format!("{shown} defines no symbols."));
    }
    let mut out = String::new();
    for (depth, kind, name, start, end) in rows.iter().take(OUTLINE_CAP) {
        let indent = "  ".repeat(*depth);
        // An impl block's name already says what it is (`impl Display for Point`).
        let label = if *kind == SymbolKind::Impl { name.clone() } else { format!("{} {name}", kind.as_str()) };
        let _ = writeln!(out, "{indent}{label} L{start}-{end}");
    }
    if rows.len() > OUTLINE_CAP {
        let _ = writeln!(out, "[{} more symbols omitted]", rows.len() - OUTLINE_CAP);
    }
    ToolOutput::ok(out.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::ctx_with;
    use expect_test::expect;

    const SRC: &str = "struct Point { x: i32 }\n\nimpl Point {\n    fn norm(&self) -> i32 {\n        self.x\n    }\n}\n\nfn main() {}\n";

    #[test]
    fn outline_from_index_and_from_buffers() {
        let (mut ctx, dir) = ctx_with(&[("src/lib.rs", SRC)], &[("src/open.rs", "fn edited_in_buffer() {}\n")]);
        let cfg = index::IndexConfig { roots: vec![dir.path().to_path_buf()], cache_dir: None, threads: 1, ..Default::default() };
        let idx = index::Index::new(cfg);
        idx.index_workspace(&|_| {});
        ctx.index = Some(idx);
        let outline = |p: &str| file_outline(&ctx, &FileOutlineArgs { path: p.into() }).text;
        expect![[r#"
            struct Point L1-1
              field x L1-1
            impl Point L3-7
              method norm L4-6
            function main L9-9"#]]
        .assert_eq(&outline("src/lib.rs"));
        expect!["function edited_in_buffer L1-1"].assert_eq(&outline("src/open.rs"));
        expect!["missing.rs does not exist."].assert_eq(&outline("missing.rs"));

        let find = |v: serde_json::Value| find_symbol(&ctx, &serde_json::from_value(v).unwrap()).text;
        expect!["method norm in Point src/lib.rs:4-6"].assert_eq(&find(json!({"name": "norm"})));
        expect!["struct Point src/lib.rs:1-1"].assert_eq(&find(json!({"name": "Point", "kind": "struct", "limit": 1})));
        expect![[r#"No symbol matches "zzzz"."#]].assert_eq(&find(json!({"name": "zzzz"})));
        expect!["unknown kind \"blob\"; kinds: function, method, class, struct, enum, interface, trait, type, module, constant, field, variable, macro."]
            .assert_eq(&find(json!({"name": "x", "kind": "blob"})));
    }
}
