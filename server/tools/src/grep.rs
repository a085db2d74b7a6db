//! grep: a regex over the workspace with ripgrep's crates (grep-searcher, grep-regex, the
//! `ignore` walk: .gitignore honoured, `.git` skipped, binary files skipped), optional
//! include globs with ripgrep's `-g` semantics, results as `path:line:text`, capped, with a
//! count of what was left out. Open buffers are searched instead of their files on disk,
//! and unsaved buffers under the path are searched too.
//!
//! Line-oriented only: no multiline patterns, no context lines, no replacement.

use crate::context::{ToolContext, ToolOutput};
use crate::read_file::describe_io_error;
use agent_protocol::ToolSpec;
use grep_regex::RegexMatcherBuilder;
use grep_searcher::sinks::Lossy;
use grep_searcher::{BinaryDetection, SearcherBuilder};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::PathBuf;

pub const NAME: &str = "grep";
pub const DEFAULT_MAX_RESULTS: usize = 100;
pub const MAX_RESULTS_CAP: usize = 2000;
/// Characters of a matching line shown.
const MAX_LINE_CHARS: usize = 300;
/// Matches counted at most beyond those shown.
const COUNT_CAP: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Globs {
    One(String),
    Many(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct GrepArgs {
    pub pattern: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default, alias = "include")]
    pub glob: Option<Globs>,
    #[serde(default)]
    pub case_insensitive: Option<bool>,
    #[serde(default, alias = "limit")]
    pub max_results: Option<usize>,
}

pub(crate) fn spec() -> ToolSpec {
    ToolSpec::Function {
        name: NAME.into(),
        description: "Search file contents with a regex (Rust syntax, ripgrep rules: .gitignore honoured). Prints `path:line:text`.".into(),
        strict: false,
        parameters: json!({
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "description": "Regular expression, matched per line."},
                "path": {"type": "string", "description": "File or directory to search (default: the working directory)."},
                "glob": {"type": "array", "items": {"type": "string"}, "description": "Only files matching these globs, e.g. [\"*.rs\", \"src/**\"]; `!` excludes."},
                "case_insensitive": {"type": "boolean"},
                "max_results": {"type": "integer", "description": "Matching lines shown (default 100)."}
            },
            "required": ["pattern"],
            "additionalProperties": false
        }),
    }
}

pub fn run(ctx: &ToolContext, args: &GrepArgs) -> ToolOutput {
    let matcher = match RegexMatcherBuilder::new()
        .case_insensitive(args.case_insensitive.unwrap_or(false))
        .line_terminator(Some(b'\n'))
        .build(&args.pattern)
    {
        Ok(m) => m,
        Err(e) => return ToolOutput::error(format!("invalid pattern: {e}")),
    };
    let root = ctx.resolve(args.path.as_deref().unwrap_or("."));
    let shown_root = ctx.show(&root);
    let root_is_file = match std::fs::metadata(&root) {
        Ok(m) => m.is_file(),
        Err(_) if ctx.view.is_open(&root) => true,
        Err(e) => return ToolOutput::error(describe_io_error(&shown_root, &e)),
    };
    let globs: Vec<&String> = match &args.glob {
        None => Vec::new(),
        Some(Globs::One(g)) => vec![g],
        Some(Globs::Many(gs)) => gs.iter().collect(),
    };
    let mut overrides = ignore::overrides::OverrideBuilder::new(&root);
    for g in &globs {
        if let Err(e) = overrides.add(g) {
            return ToolOutput::error(format!("invalid glob {g:?}: {e}"));
        }
    }
    let overrides = match overrides.build() {
        Ok(o) => o,
        Err(e) => return ToolOutput::error(format!("invalid glob: {e}")),
    };

    // Files to search: the walk, plus open buffers under the root the walk did not see.
    let mut files: BTreeSet<PathBuf> = BTreeSet::new();
    if root_is_file {
        files.insert(root.clone());
    } else {
        let walk = ignore::WalkBuilder::new(&root)
            .hidden(false)
            .require_git(false)
            .overrides(overrides.clone())
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        files.extend(walk.flatten().filter(|e| e.file_type().is_some_and(|t| t.is_file())).map(|e| e.into_path()));
        for open in ctx.view.open_paths() {
            if open.starts_with(&root) && !files.contains(&open) && (globs.is_empty() || overrides.matched(&open, false).is_whitelist()) {
                files.insert(open);
            }
        }
    }

    let max = args.max_results.unwrap_or(DEFAULT_MAX_RESULTS).clamp(1, MAX_RESULTS_CAP);
    let mut searcher = SearcherBuilder::new().line_number(true).binary_detection(BinaryDetection::quit(0)).build();
    let mut out = String::new();
    let (mut shown, mut omitted) = (0usize, 0usize);
    for path in &files {
        if omitted >= COUNT_CAP {
            break;
        }
        let name = ctx.show(path);
        let mut sink = Lossy(|line_number: u64, line: &str| {
            if shown < max {
                let line = line.trim_end_matches(['\n', '\r']);
                let _ = match line.char_indices().nth(MAX_LINE_CHARS) {
                    Some((cut, _)) => writeln!(out, "{name}:{line_number}:{}…", &line[..cut]),
                    None => writeln!(out, "{name}:{line_number}:{line}"),
                };
                shown += 1;
            } else {
                omitted += 1;
            }
            Ok(omitted < COUNT_CAP)
        });
        let result = if ctx.view.is_open(path) {
            match ctx.view.read(path) {
                Ok(snapshot) => searcher.search_slice(&matcher, snapshot.text.as_bytes(), &mut sink),
                Err(_) => continue,
            }
        } else {
            searcher.search_path(&matcher, path, &mut sink)
        };
        if let Err(e) = result {
            tracing::debug!(path = %path.display(), error = %e, "grep: file skipped");
        }
    }
    if shown == 0 {
        return ToolOutput::ok(format!("No matches for /{}/ in {shown_root} ({} files searched).", args.pattern, files.len()));
    }
    if omitted > 0 {
        let more = if omitted >= COUNT_CAP { format!("at least {omitted}") } else { omitted.to_string() };
        let _ = write!(out, "[{more} more matching lines omitted; narrow the pattern, path or glob.]");
    }
    ToolOutput::ok(out.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::ctx_with;
    use expect_test::{expect, Expect};

    fn check(args: serde_json::Value, expect: Expect) {
        let files = [
            (".gitignore", "target/\n"),
            ("src/a.rs", "fn alpha() {}\nfn beta() {}\n"),
            ("src/b.py", "def alpha():\n    pass\n"),
            ("target/gen.rs", "fn alpha() {}\n"),
            ("open.rs", "fn stale() {}\n"),
            ("bin.dat", "alpha\0binary"),
        ];
        let open = [("open.rs", "fn alpha_in_buffer() {}\n"), ("src/unsaved.rs", "// ALPHA unsaved\n")];
        let (ctx, _dir) = ctx_with(&files, &open);
        let out = run(&ctx, &serde_json::from_value(args).unwrap());
        let text = out.text.replace(&ctx.cwd.display().to_string(), "$DIR");
        expect.assert_eq(&format!("{}{text}", if out.success { "" } else { "ERROR " }));
    }

    #[test]
    fn searches_buffers_over_disk() {
        check(
            json!({"pattern": "alpha"}),
            expect![[r#"
                open.rs:1:fn alpha_in_buffer() {}
                src/a.rs:1:fn alpha() {}
                src/b.py:1:def alpha():"#]],
        );
        check(
            json!({"pattern": "ALPHA", "case_insensitive": true, "glob": "*.rs", "path": "src"}),
            expect![[r#"
                src/a.rs:1:fn alpha() {}
                src/unsaved.rs:1:// ALPHA unsaved"#]],
        );
        check(
            json!({"pattern": "fn", "glob": ["*.rs"], "max_results": 2}),
            expect![[r#"
            open.rs:1:fn alpha_in_buffer() {}
            src/a.rs:1:fn alpha() {}
            [1 more matching lines omitted; narrow the pattern, path or glob.]"#]],
        );
        check(json!({"pattern": "stale"}), expect!["No matches for /stale/ in $DIR (6 files searched)."]);
        check(
            json!({"pattern": "("}),
            expect![[r#"
            ERROR invalid pattern: regex parse error:
                (?:()
                ^
            error: unclosed group"#]],
        );
        check(json!({"pattern": "x", "path": "nope"}), expect!["ERROR nope does not exist."]);
    }
}
