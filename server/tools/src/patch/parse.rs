//! The apply_patch parser: patch text in the Codex grammar to `Patch` data.
//!
//! Lenient where models slip and the meaning is still clear: a heredoc wrapper
//! (`apply_patch <<'EOF' ... EOF`), CRLF line ends, markers padded with whitespace, a
//! missing trailing newline, blank lines between file sections, unified-diff style
//! `@@ -1,2 +1,3 @@` headers (the numbers are ignored), a first chunk without `@@`.
//! Strict everywhere else, with errors that give the patch line number and what was expected.
//! It does not look at any file: matching is `seek.rs`, building changes is `apply.rs`.

use std::fmt;

pub(crate) const BEGIN: &str = "*** Begin Patch";
pub(crate) const END: &str = "*** End Patch";
const ADD: &str = "*** Add File:";
const DELETE: &str = "*** Delete File:";
const UPDATE: &str = "*** Update File:";
const MOVE: &str = "*** Move to:";
const EOF_MARKER: &str = "*** End of File";

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Patch {
    pub(crate) hunks: Vec<Hunk>,
}

/// One file section of a patch. Paths are as written (relative or absolute).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Hunk {
    Add { path: String, content: String },
    Delete { path: String },
    Update { path: String, move_to: Option<String>, chunks: Vec<Chunk> },
}

impl Hunk {
    pub(crate) fn path(&self) -> &str {
        match self {
            Hunk::Add { path, .. } | Hunk::Delete { path } | Hunk::Update { path, .. } => path,
        }
    }
}

/// One `@@` section of an Update: `old` lines (context and `-`) become `new` lines
/// (context and `+`), after the `anchors` (the `@@ <text>` lines), in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chunk {
    pub anchors: Vec<String>,
    pub old: Vec<String>,
    pub new: Vec<String>,
    /// For each new line, the index of the old line it repeats when it is a context line
    /// (so the file's own text is kept there), `None` for an added line.
    pub new_from_old: Vec<Option<usize>>,
    /// `*** End of File`: the old lines end the file.
    pub eof: bool,
}

impl Chunk {
    fn push_context(&mut self, text: &str) {
        self.new_from_old.push(Some(self.old.len()));
        self.old.push(text.to_string());
        self.new.push(text.to_string());
    }

    fn has_body(&self) -> bool {
        !self.old.is_empty() || !self.new.is_empty()
    }
}

/// A syntax error, with the 1-based line of the patch text where it was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub(crate) line: usize,
    pub(crate) message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "invalid patch: {}", self.message)
        } else {
            write!(f, "invalid patch, line {}: {}", self.line, self.message)
        }
    }
}

fn err(line: usize, message: impl Into<String>) -> ParseError {
    ParseError { line, message: message.into() }
}

/// The body of a heredoc wrapper (`apply_patch <<'EOF'` ... `EOF`), or the text itself.
/// Returns the lines and the 1-based line number of the first one.
fn unwrap_heredoc(text: &str) -> (Vec<&str>, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let Some(first_idx) = lines.iter().position(|l| !l.trim().is_empty()) else { return (lines, 1) };
    let first = lines[first_idx].trim();
    let command = first.strip_prefix("apply_patch").or_else(|| first.strip_prefix("applypatch"));
    let Some(rest) = command else { return (lines, 1) };
    let body = &lines[first_idx + 1..];
    let offset = first_idx + 2;
    let Some(heredoc) = rest.trim().strip_prefix("<<") else {
        // `apply_patch` alone on its line, the patch after it.
        return if rest.trim().is_empty() { (body.to_vec(), offset) } else { (lines, 1) };
    };
    let delimiter = heredoc.trim().trim_start_matches('-').trim().trim_matches(|c| c == '\'' || c == '"');
    let end = body.iter().rposition(|l| l.trim() == delimiter).unwrap_or(body.len());
    (body[..end].to_vec(), offset)
}

fn is_hunk_header(trimmed: &str) -> bool {
    trimmed.starts_with(ADD) || trimmed.starts_with(DELETE) || trimmed.starts_with(UPDATE) || trimmed == END
}

fn header_path(trimmed: &str, marker: &str, line: usize) -> Result<String, ParseError> {
    let path = trimmed[marker.len()..].trim();
    if path.is_empty() {
        return Err(err(line, format!("'{marker}' needs a path")));
    }
    Ok(path.to_string())
}

/// The anchor text of an `@@` line: `@@ fn main` gives `fn main`; a unified-diff header
/// `@@ -3,4 +3,5 @@ fn main` gives `fn main` too; `@@` alone gives nothing.
fn anchor_of(trimmed: &str) -> Option<String> {
    let rest = trimmed.strip_prefix("@@").unwrap_or(trimmed).trim();
    let rest = match rest.strip_prefix('-') {
        Some(numbers) if numbers.starts_with(|c: char| c.is_ascii_digit()) => match numbers.find("@@") {
            Some(end) => numbers[end + 2..].trim(),
            None => "",
        },
        _ => rest,
    };
    (!rest.is_empty()).then(|| rest.to_string())
}

pub(crate) fn parse(text: &str) -> Result<Patch, ParseError> {
    let (lines, first_line) = unwrap_heredoc(text);
    // Numbered lines without the blank ones around the patch.
    let numbered: Vec<(usize, &str)> = lines.iter().enumerate().map(|(i, l)| (i + first_line, *l)).collect();
    let start = numbered.iter().position(|(_, l)| !l.trim().is_empty());
    let end = numbered.iter().rposition(|(_, l)| !l.trim().is_empty());
    let (Some(start), Some(end)) = (start, end) else {
        return Err(err(0, "the patch is empty; it must start with '*** Begin Patch' and end with '*** End Patch'"));
    };
    let (begin_no, begin) = numbered[start];
    if begin.trim() != BEGIN {
        return Err(err(begin_no, format!("the first line must be '{BEGIN}', found '{}'", begin.trim())));
    }
    let (end_no, last) = numbered[end];
    if start == end || last.trim() != END {
        return Err(err(end_no, format!("the last line must be '{END}'")));
    }
    let body = &numbered[start + 1..end];
    let mut hunks = Vec::new();
    let mut i = 0;
    while i < body.len() {
        let (no, line) = body[i];
        let trimmed = line.trim();
        i += 1;
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with(ADD) {
            let path = header_path(trimmed, ADD, no)?;
            let mut content = String::new();
            while let Some((_, l)) = body.get(i) {
                let Some(text) = l.strip_prefix('+') else { break };
                content.push_str(text);
                content.push('\n');
                i += 1;
            }
            hunks.push(Hunk::Add { path, content });
        } else if trimmed.starts_with(DELETE) {
            hunks.push(Hunk::Delete { path: header_path(trimmed, DELETE, no)? });
        } else if trimmed.starts_with(UPDATE) {
            let path = header_path(trimmed, UPDATE, no)?;
            let mut move_to = None;
            if let Some((move_no, l)) = body.get(i) {
                if l.trim().starts_with(MOVE) {
                    move_to = Some(header_path(l.trim(), MOVE, *move_no)?);
                    i += 1;
                }
            }
            let (chunks, next) = parse_chunks(body, i, &path)?;
            i = next;
            if chunks.is_empty() && move_to.is_none() {
                return Err(err(no, format!("the update of '{path}' has no changes; add '@@' chunks with ' ', '-' and '+' lines")));
            }
            hunks.push(Hunk::Update { path, move_to, chunks });
        } else if matches!(hunks.last(), Some(Hunk::Add { .. })) && !trimmed.starts_with("***") {
            return Err(err(no, format!("every line of an added file starts with '+', found '{trimmed}'")));
        } else {
            return Err(err(
                no,
                format!("expected a file section ('{ADD} <path>', '{DELETE} <path>' or '{UPDATE} <path>'), found '{trimmed}'"),
            ));
        }
    }
    if hunks.is_empty() {
        return Err(err(0, "the patch changes no file"));
    }
    Ok(Patch { hunks })
}

/// Parses the chunks of an Update section from `body[i..]` up to the next file section.
fn parse_chunks(body: &[(usize, &str)], mut i: usize, path: &str) -> Result<(Vec<Chunk>, usize), ParseError> {
    let mut chunks = Vec::new();
    let mut chunk = Chunk::default();
    let mut chunk_line = body.get(i).map_or(0, |(n, _)| *n);
    while let Some(&(no, line)) = body.get(i) {
        let trimmed = line.trim();
        if is_hunk_header(trimmed) {
            break;
        }
        i += 1;
        if trimmed.starts_with("@@") {
            if chunk.has_body() || chunk.eof {
                chunks.push(std::mem::take(&mut chunk));
            }
            if chunk.anchors.is_empty() {
                chunk_line = no;
            }
            chunk.anchors.extend(anchor_of(trimmed));
            continue;
        }
        if trimmed == EOF_MARKER {
            if !chunk.has_body() {
                return Err(err(no, format!("'{EOF_MARKER}' must follow the lines of a chunk")));
            }
            chunk.eof = true;
            continue;
        }
        if chunk.eof {
            return Err(err(no, format!("expected '@@' or a file section after '{EOF_MARKER}', found '{trimmed}'")));
        }
        let (kind, text) = match line.chars().next() {
            None => (' ', ""),
            Some(c) => (c, &line[c.len_utf8()..]),
        };
        match kind {
            ' ' => chunk.push_context(text),
            '-' => chunk.old.push(text.to_string()),
            '+' => {
                chunk.new.push(text.to_string());
                chunk.new_from_old.push(None);
            }
            // A whitespace-only line: an empty context line whose leading space was lost.
            _ if trimmed.is_empty() => chunk.push_context(""),
            _ => {
                return Err(err(
                    no,
                    format!("unexpected line in the update of '{path}': '{line}'; lines of a chunk start with ' ', '-' or '+'"),
                ))
            }
        }
    }
    if chunk.has_body() {
        chunks.push(chunk);
    } else if !chunk.anchors.is_empty() {
        return Err(err(chunk_line, format!("the '@@' chunk of '{path}' has no lines")));
    }
    Ok((chunks, i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn check(input: &str, expect: Expect) {
        let actual = match parse(input) {
            Ok(p) => format!("{:#?}", p.hunks),
            Err(e) => e.to_string(),
        };
        expect.assert_eq(&actual);
    }

    #[test]
    fn heredoc_and_padding() {
        check(
            "apply_patch <<'EOF'\n *** Begin Patch\n*** Update File: a.txt  \n@@ -1,2 +1,2 @@ fn main\n@@ inner\n x\n-y\n+z\n*** End of File\n*** End Patch \nEOF\n",
            expect![[r#"
                [
                    Update {
                        path: "a.txt",
                        move_to: None,
                        chunks: [
                            Chunk {
                                anchors: [
                                    "fn main",
                                    "inner",
                                ],
                                old: [
                                    "x",
                                    "y",
                                ],
                                new: [
                                    "x",
                                    "z",
                                ],
                                new_from_old: [
                                    Some(
                                        0,
                                    ),
                                    None,
                                ],
                                eof: true,
                            },
                        ],
                    },
                ]"#]],
        );
    }

    #[test]
    fn errors_name_the_line() {
        check("", expect!["invalid patch: the patch is empty; it must start with '*** Begin Patch' and end with '*** End Patch'"]);
        check("*** Begin Patch\n*** End Patch", expect!["invalid patch: the patch changes no file"]);
        check("hello", expect!["invalid patch, line 1: the first line must be '*** Begin Patch', found 'hello'"]);
        check("*** Begin Patch\n*** Add File: a\n+x\n", expect!["invalid patch, line 3: the last line must be '*** End Patch'"]);
        check(
            "*** Begin Patch\n*** Frobnicate File: a\n*** End Patch",
            expect!["invalid patch, line 2: expected a file section ('*** Add File: <path>', '*** Delete File: <path>' or '*** Update File: <path>'), found '*** Frobnicate File: a'"],
        );
        check(
            "*** Begin Patch\n*** Update File: a\n@@\nfoo\n*** End Patch",
            expect!["invalid patch, line 4: unexpected line in the update of 'a': 'foo'; lines of a chunk start with ' ', '-' or '+'"],
        );
        check(
            "*** Begin Patch\n*** Add File: a\n+x\ny\n*** End Patch",
            expect!["invalid patch, line 4: every line of an added file starts with '+', found 'y'"],
        );
        check(
            "*** Begin Patch\n*** Update File: a\n*** End Patch",
            expect!["invalid patch, line 2: the update of 'a' has no changes; add '@@' chunks with ' ', '-' and '+' lines"],
        );
    }
}
