//! AI comments: a comment whose text ends in `AI!` (an instruction: edit the code, and remove
//! the comment) or `AI?` (a question about the code around it), found through the tree-sitter
//! comment nodes of any supported language. This is how a Helix user gives a free-text prompt
//! without a custom UI: type the comment, then pick "Run AI instruction" in the code actions.
//!
//! Consecutive comment-only lines above the marked one belong to the same instruction. Pure
//! functions over a text and a tree: no I/O, nothing LSP (`code_actions.rs` converts).

use std::ops::Range;
use syntax::Tree;
use text::Rope;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// `AI!`: do it.
    Instruction,
    /// `AI?`: answer it.
    Question,
}

/// One AI comment of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AiComment {
    pub mark: Mark,
    /// The instruction or question, without comment markers and without the `AI!`/`AI?`.
    pub text: String,
    /// 0-based lines `first..=last` that hold the comment (the marked line and the comment
    /// lines right above it).
    pub lines: (u32, u32),
    /// The bytes of those lines, including the last line's newline.
    pub bytes: Range<usize>,
}

/// Lines of context on each side of the comment when no enclosing symbol is known.
pub const CONTEXT_LINES: u32 = 20;

/// The comment's text without its markers (`//`, `#`, `--`, `/* */`, `<!-- -->`, `;`, `*`).
fn strip_markers(raw: &str) -> String {
    let mut lines = Vec::new();
    for line in raw.lines() {
        let mut l = line.trim();
        for end in ["*/", "-->"] {
            l = l.strip_suffix(end).unwrap_or(l).trim_end();
        }
        for start in ["<!--", "/**", "/*", "///", "//!", "//", "##", "#", "--", ";;", ";", "*", "%", "\"\"\"", "'''"] {
            if let Some(rest) = l.strip_prefix(start) {
                l = rest.trim_start();
                break;
            }
        }
        for end in ["\"\"\"", "'''"] {
            l = l.strip_suffix(end).unwrap_or(l).trim_end();
        }
        if !l.is_empty() {
            lines.push(l);
        }
    }
    lines.join(" ")
}

/// The mark at the end of a comment's text, and the text before it.
fn mark_of(text: &str) -> Option<(Mark, String)> {
    let t = text.trim_end();
    let n = t.len();
    if n < 3 || !t.is_char_boundary(n - 3) {
        return None;
    }
    let (body, tail) = t.split_at(n - 3);
    let mark = match tail {
        "AI!" | "ai!" => Mark::Instruction,
        "AI?" | "ai?" => Mark::Question,
        _ => return None,
    };
    // `AI!` must be a word of its own ("XAI!" is not a mark).
    if body.chars().last().is_some_and(char::is_alphanumeric) {
        return None;
    }
    Some((mark, body.trim().to_string()))
}

fn line_of(rope: &Rope, byte: usize) -> u32 {
    rope.byte_to_line(byte.min(rope.len_bytes())) as u32
}

fn line_bytes(rope: &Rope, first: u32, last: u32) -> Range<usize> {
    let start = rope.line_to_byte((first as usize).min(rope.len_lines()));
    let end = rope.line_to_byte(((last as usize) + 1).min(rope.len_lines()));
    start..end
}

/// Whether a line holds only this comment (nothing but blanks around it).
fn comment_only(rope: &Rope, comment: &Range<usize>) -> bool {
    let first = line_of(rope, comment.start);
    let last = line_of(rope, comment.end.saturating_sub(1).max(comment.start));
    let lines = line_bytes(rope, first, last);
    let before = rope.byte_slice(lines.start..comment.start).to_string();
    let after = rope.byte_slice(comment.end.min(lines.end)..lines.end).to_string();
    before.trim().is_empty() && after.trim().is_empty()
}

/// The AI comments that touch lines `lines.0..=lines.1`.
pub fn find(rope: &Rope, tree: &Tree, lines: (u32, u32)) -> Vec<AiComment> {
    let scan = line_bytes(rope, lines.0, lines.1);
    let mut out = Vec::new();
    for comment in syntax::comments_in(tree, scan) {
        let raw = rope.byte_slice(comment.clone()).to_string();
        let Some((mark, text)) = mark_of(&strip_markers(&raw)) else { continue };
        let mut first = line_of(rope, comment.start);
        let last = line_of(rope, comment.end.saturating_sub(1).max(comment.start));
        let mut parts = vec![text];
        // Comment-only lines right above belong to the instruction.
        if comment_only(rope, &comment) {
            while first > 0 {
                let above = line_bytes(rope, first - 1, first - 1);
                let found = syntax::comments_in(tree, above.clone());
                let [c] = found.as_slice() else { break };
                if !comment_only(rope, c) || line_of(rope, c.start) != first - 1 {
                    break;
                }
                let t = strip_markers(&rope.byte_slice(c.clone()).to_string());
                if t.is_empty() || mark_of(&t).is_some() {
                    break;
                }
                parts.insert(0, t);
                first -= 1;
            }
        }
        let text = parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ");
        let bytes = if comment_only(rope, &comment) { line_bytes(rope, first, last) } else { comment.clone() };
        out.push(AiComment { mark, text, lines: (first, last), bytes });
    }
    out
}

/// The prompt for a comment in `file` (a display path).
pub fn prompt(c: &AiComment, file: &str, raw: &str) -> String {
    let (a, b) = (c.lines.0 + 1, c.lines.1 + 1);
    let at = if a == b { format!("line {a}") } else { format!("lines {a}-{b}") };
    let quoted = raw.trim_end_matches('\n');
    match c.mark {
        Mark::Instruction => format!(
            "The comment at {at} of {file} ends in `AI!`: it is an instruction from the user.\n\
             Instruction: {}\n\n\
             Do it, changing the code around the comment (the editor context shows it). \
             In the same edit, remove the comment that holds the instruction:\n```\n{quoted}\n```",
            c.text
        ),
        Mark::Question => format!(
            "The comment at {at} of {file} ends in `AI?`: it is a question from the user about the code around it.\n\
             Question: {}\n\n\
             Answer it. Do not edit any file.\n```\n{quoted}\n```",
            c.text
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syntax::Lang;

    fn check(lang: Lang, src: &str, line: u32) -> Vec<AiComment> {
        let rope = Rope::from_str(src);
        let tree = syntax::parse_rope(lang, &rope, None).unwrap();
        find(&rope, &tree, (line, line))
    }

    #[test]
    fn marks_in_rust_python_and_others() {
        let src = "fn a() {}\n// make this\n// return 2 AI!\nfn b() -> i32 { 1 }\n";
        let found = check(Lang::Rust, src, 2);
        assert_eq!(found.len(), 1);
        let c = &found[0];
        assert_eq!((c.mark, c.text.as_str(), c.lines), (Mark::Instruction, "make this return 2", (1, 2)));
        assert_eq!(&src[c.bytes.clone()], "// make this\n// return 2 AI!\n");

        let py = "def f():\n    x = 1  # why one? AI?\n    return x\n";
        let found = check(Lang::Python, py, 1);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].mark, found[0].text.as_str()), (Mark::Question, "why one?"));
        // Trailing comment: only the comment goes.
        assert_eq!(&py[found[0].bytes.clone()], "# why one? AI?");

        let c_src = "int x; /* double it ai! */\n";
        assert_eq!(check(Lang::C, c_src, 0)[0].text, "double it");
        assert!(check(Lang::Rust, "// see XAI!\n", 0).is_empty());
        assert!(check(Lang::Rust, "let s = \"AI!\";\n", 0).is_empty());
    }

    #[test]
    fn prompts_say_to_remove_the_comment() {
        let c = AiComment { mark: Mark::Instruction, text: "add docs".into(), lines: (3, 3), bytes: 0..0 };
        let p = prompt(&c, "src/a.rs", "// add docs AI!\n");
        assert!(p.contains("line 4 of src/a.rs") && p.contains("remove the comment") && p.contains("// add docs AI!\n```"), "{p}");
    }
}
