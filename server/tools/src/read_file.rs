//! read_file: a range of a file's lines, numbered, read through the `FileView` (the open
//! buffer when there is one, else the disk). Long lines and long outputs are cut, with a
//! note saying how to read on.
//!
//! Text only: binary or non-UTF-8 files are refused, images are not rendered.

use crate::context::{ToolContext, ToolOutput};
use agent_protocol::ToolSpec;
use serde::Deserialize;
use serde_json::json;
use std::fmt::Write;
use std::io;

pub const NAME: &str = "read_file";
pub const DEFAULT_LIMIT: usize = 2000;
/// Characters of a line shown; the rest is replaced by a marker.
pub const MAX_LINE_CHARS: usize = 500;
/// Bytes of output; reading stops at the line that would exceed it.
pub const MAX_OUTPUT_BYTES: usize = 64 * 1024;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ReadFileArgs {
    #[serde(alias = "file_path")]
    pub path: String,
    /// 1-based first line.
    #[serde(default)]
    pub offset: Option<usize>,
    #[serde(default)]
    pub limit: Option<usize>,
}

pub(crate) fn spec() -> ToolSpec {
    ToolSpec::Function {
        name: NAME.into(),
        description: "Read a text file's lines, numbered `L<n>: `. Shows the editor's unsaved buffer if the file is open.".into(),
        strict: false,
        parameters: json!({
            "type": "object",
            "properties": {
                "path": {"type": "string", "description": "File path, relative to the working directory or absolute."},
                "offset": {"type": "integer", "description": "First line to read, 1-based (default 1)."},
                "limit": {"type": "integer", "description": "Maximum lines to read (default 2000)."}
            },
            "required": ["path"],
            "additionalProperties": false
        }),
    }
}

pub(crate) fn describe_io_error(what: &str, e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => format!("{what} does not exist."),
        io::ErrorKind::IsADirectory => format!("{what} is a directory; use list_dir."),
        io::ErrorKind::InvalidData => format!("{what} is not a UTF-8 text file."),
        io::ErrorKind::PermissionDenied => format!("{what}: permission denied."),
        _ => format!("{what}: {e}."),
    }
}

pub fn run(ctx: &ToolContext, args: &ReadFileArgs) -> ToolOutput {
    let path = ctx.resolve(&args.path);
    let shown = ctx.show(&path);
    let snapshot = match ctx.view.read(&path) {
        Ok(s) => s,
        Err(e) => return ToolOutput::error(describe_io_error(&shown, &e)),
    };
    let text = &*snapshot.text;
    if text.contains('\0') {
        return ToolOutput::error(format!("{shown} looks binary (it contains NUL bytes)."));
    }
    let total = text.lines().count();
    if total == 0 {
        return ToolOutput::ok(format!("{shown} is empty."));
    }
    let offset = args.offset.unwrap_or(1).max(1);
    if offset > total {
        return ToolOutput::error(format!("offset {offset} is past the end of {shown} ({total} lines)."));
    }
    let limit = args.limit.unwrap_or(DEFAULT_LIMIT).max(1);
    let mut out = String::new();
    let mut last = offset - 1;
    for (i, line) in text.lines().enumerate().skip(offset - 1).take(limit) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut entry = format!("L{}: ", i + 1);
        match line.char_indices().nth(MAX_LINE_CHARS) {
            Some((cut, _)) => {
                let _ = write!(entry, "{}… [line cut: {} more characters]", &line[..cut], line[cut..].chars().count());
            }
            None => entry.push_str(line),
        }
        entry.push('\n');
        if out.len() + entry.len() > MAX_OUTPUT_BYTES && !out.is_empty() {
            break;
        }
        out.push_str(&entry);
        last = i + 1;
    }
    if last < total {
        let _ = write!(out, "[Showing lines {offset}-{last} of {total}. Use offset={} to read more.]", last + 1);
    }
    ToolOutput::ok(out.trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::ctx_with;
    use expect_test::{expect, Expect};

    fn check(files: &[(&str, &str)], args: serde_json::Value, expect: Expect) {
        let (ctx, _dir) = ctx_with(files, &[("open.txt", "unsaved\n")]);
        let args: ReadFileArgs = serde_json::from_value(args).unwrap();
        let out = run(&ctx, &args);
        expect.assert_eq(&format!("{}{}", if out.success { "" } else { "ERROR " }, out.text));
    }

    #[test]
    fn ranges_and_notes() {
        let lines: String = (1..=5).map(|i| format!("line {i}\n")).collect();
        check(
            &[("a.txt", &lines)],
            json!({"path": "a.txt", "offset": 2, "limit": 2}),
            expect![[r#"
                L2: line 2
                L3: line 3
                [Showing lines 2-3 of 5. Use offset=4 to read more.]"#]],
        );
        check(
            &[("a.txt", "x\r\ny")],
            json!({"file_path": "a.txt"}),
            expect![[r#"
            L1: x
            L2: y"#]],
        );
        check(&[("a.txt", "x\n")], json!({"path": "a.txt", "offset": 9}), expect!["ERROR offset 9 is past the end of a.txt (1 lines)."]);
        check(&[], json!({"path": "nope.txt"}), expect!["ERROR nope.txt does not exist."]);
        check(&[("d/a.txt", "")], json!({"path": "d"}), expect!["ERROR d is a directory; use list_dir."]);
        check(&[("e.txt", "")], json!({"path": "e.txt"}), expect!["e.txt is empty."]);
        check(&[("open.txt", "on disk\n")], json!({"path": "open.txt"}), expect!["L1: unsaved"]);
        let long = "é".repeat(MAX_LINE_CHARS + 3);
        check(&[("long.txt", &long)], json!({"path": "long.txt"}), expect!["L1: éééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé… [line cut: 3 more characters]"]);
    }
}
