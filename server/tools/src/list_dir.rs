//! list_dir: a directory's entries to a depth, as an indented tree sorted by name,
//! directories marked `/` and symlinks `@`. Honours .gitignore (and .ignore) like ripgrep,
//! shows hidden files but never `.git`, and pages with offset/limit.
//!
//! Disk only: open buffers that were never saved do not appear (they do in grep).

use crate::context::{ToolContext, ToolOutput};
use crate::read_file::describe_io_error;
use agent_protocol::ToolSpec;
use serde::Deserialize;
use serde_json::json;
use std::fmt::Write;

pub const NAME: &str = "list_dir";
pub const DEFAULT_DEPTH: usize = 2;
pub const DEFAULT_LIMIT: usize = 200;
/// Entries counted at most (to say how many are left).
const COUNT_CAP: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ListDirArgs {
    #[serde(alias = "dir_path", default)]
    pub path: Option<String>,
    #[serde(default)]
    pub depth: Option<usize>,
    /// 1-based first entry.
    #[serde(default)]
    pub offset: Option<usize>,
    #[serde(default)]
    pub limit: Option<usize>,
}

pub(crate) fn spec() -> ToolSpec {
    ToolSpec::Function {
        name: NAME.into(),
        description: "List a directory as a tree (dirs end with `/`), skipping .gitignored files.".into(),
        strict: false,
        parameters: json!({
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "Directory (default: the working directory)."},
                "depth": {"type": "integer", "description": "Levels to descend (default 2)."},
                "offset": {"type": "integer", "description": "First entry to show, 1-based (default 1)."},
                "limit": {"type": "integer", "description": "Maximum entries (default 200)."}
            },
            "additionalProperties": false
        }),
    }
}

pub fn run(ctx: &ToolContext, args: &ListDirArgs) -> ToolOutput {
    let root = ctx.resolve(args.path.as_deref().unwrap_or("."));
    let shown = ctx.show(&root);
    match std::fs::metadata(&root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return ToolOutput::error(format!("{shown} is a file; use read_file.")),
        Err(e) => return ToolOutput::error(describe_io_error(&shown, &e)),
    }
    let depth = args.depth.unwrap_or(DEFAULT_DEPTH).max(1);
    let offset = args.offset.unwrap_or(1).max(1);
    let limit = args.limit.unwrap_or(DEFAULT_LIMIT).max(1);
    let walk = ignore::WalkBuilder::new(&root)
        .hidden(false)
        .require_git(false)
        .max_depth(Some(depth))
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    let mut lines = Vec::new();
    let mut total = 0;
    for entry in walk.flatten() {
        if entry.depth() == 0 {
            continue;
        }
        total += 1;
        if total >= offset && lines.len() < limit {
            let ft = entry.file_type();
            let mark = match ft {
                Some(t) if t.is_dir() => "/",
                Some(t) if t.is_symlink() => "@",
                _ => "",
            };
            let indent = "  ".repeat(entry.depth() - 1);
            lines.push(format!("{indent}{}{mark}", entry.file_name().to_string_lossy()));
        }
        if total >= COUNT_CAP {
            break;
        }
    }
    let mut out = format!("Absolute path: {}\n", root.display());
    if lines.is_empty() {
        out.push_str(if total == 0 { "(empty directory)" } else { "(no entries at this offset)" });
        return ToolOutput::ok(out);
    }
    for l in &lines {
        out.push_str(l);
        out.push('\n');
    }
    let last = offset + lines.len() - 1;
    if last < total {
        let more = if total >= COUNT_CAP { format!("{}+", COUNT_CAP - last) } else { (total - last).to_string() };
        let _ = write!(out, "[{more} more entries. Use offset={} to see more.]", last + 1);
    }
    ToolOutput::ok(out.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::ctx_with;
    use expect_test::expect;

    #[test]
    fn tree_respects_gitignore_and_pages() {
        let files = [
            (".gitignore", "target/\n*.log\n"),
            ("src/main.rs", ""),
            ("src/deep/inner/x.rs", ""),
            ("target/debug/app", ""),
            ("run.log", ""),
            ("README.md", ""),
            (".git/HEAD", ""),
        ];
        let (ctx, dir) = ctx_with(&files, &[]);
        let list = |args: serde_json::Value| {
            let out = run(&ctx, &serde_json::from_value(args).unwrap());
            out.text.replace(&dir.path().display().to_string(), "$DIR")
        };
        expect![[r#"
            Absolute path: $DIR
            .gitignore
            README.md
            src/
              deep/
              main.rs"#]]
        .assert_eq(&list(json!({})));
        expect![[r#"
            Absolute path: $DIR/src
            deep/
              inner/
                x.rs
            [1 more entries. Use offset=4 to see more.]"#]]
        .assert_eq(&list(json!({"dir_path": "src", "depth": 5, "limit": 3})));
        expect![[r#"
            Absolute path: $DIR/src
            main.rs"#]]
        .assert_eq(&list(json!({"path": "src", "depth": 5, "offset": 4})));
        assert!(!run(&ctx, &serde_json::from_value(json!({"path": "README.md"})).unwrap()).success);
    }
}
