//! AGENTS.md: the user's and the project's instructions for agents, collected once per session
//! and injected as one user message. In each directory the first of `AGENTS.override.md` and
//! `AGENTS.md` counts (as in Codex); the global one lives in the user's config directory; the
//! project's are read from the project root (the nearest ancestor holding `.git`) down to the
//! working directory, never above the root. The whole is capped at `project_doc_max_bytes`.
//!
//! Deliberately not here: refreshing on a cwd change (the message is part of the cached prefix and
//! stays as it was), skills, and fallback file names.

use agent_protocol::ResponseItem;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// File names tried in each directory, the first present one winning.
pub const AGENTS_MD_NAMES: [&str; 2] = ["AGENTS.override.md", "AGENTS.md"];

/// The first line's prefix; also how a history scan recognises this message as injected context.
pub const AGENTS_MD_HEADER: &str = "# AGENTS.md instructions for ";

/// The nearest ancestor of `cwd` (itself included) that holds `.git`.
pub fn find_project_root(cwd: &Path) -> Option<PathBuf> {
    cwd.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf)
}

/// The AGENTS.md message for a session in `cwd`, or `None` when there is no instruction file (or
/// `max_bytes` is 0). `global_config_dir` is the user's config directory (`$CODELOOP_CONFIG_DIR`,
/// else `$XDG_CONFIG_HOME/codeloop`, else `~/.config/codeloop`); `project_root` is usually
/// `find_project_root(cwd)`, and without one only `cwd` itself is searched. Files are read in
/// order (global first, then root down to cwd), each labelled with its path; the file that crosses
/// `max_bytes` is cut there and the rest are omitted, with a note saying so. Unreadable files are
/// skipped with a warning: a permissions problem must not block a turn.
pub fn project_docs(cwd: &Path, project_root: Option<&Path>, global_config_dir: Option<&Path>, max_bytes: usize) -> Option<ResponseItem> {
    if max_bytes == 0 {
        return None;
    }
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    if let Some(found) = global_config_dir.and_then(first_in_dir) {
        files.push(found);
    }
    files.extend(project_dirs(cwd, project_root).iter().filter_map(|d| first_in_dir(d)));
    if files.is_empty() {
        return None;
    }
    Some(ResponseItem::user_text(render(cwd, &files, max_bytes)))
}

/// The directories searched for project files, from the root down to `cwd`.
fn project_dirs(cwd: &Path, project_root: Option<&Path>) -> Vec<PathBuf> {
    let Some(root) = project_root.filter(|r| cwd.starts_with(r)) else {
        return vec![cwd.to_path_buf()];
    };
    let mut dirs: Vec<PathBuf> = cwd.ancestors().take_while(|d| d.starts_with(root)).map(Path::to_path_buf).collect();
    dirs.reverse();
    dirs
}

/// The first instruction file of `dir` with non-blank content.
fn first_in_dir(dir: &Path) -> Option<(PathBuf, String)> {
    for name in AGENTS_MD_NAMES {
        let path = dir.join(name);
        if !path.is_file() {
            continue;
        }
        match std::fs::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                if text.trim().is_empty() {
                    continue;
                }
                return Some((path, text));
            }
            Err(e) => tracing::warn!(path = %path.display(), error = %e, "cannot read AGENTS.md; skipped"),
        }
    }
    None
}

fn render(cwd: &Path, files: &[(PathBuf, String)], max_bytes: usize) -> String {
    let mut out = String::new();
    let _ = write!(out, "{AGENTS_MD_HEADER}{}\n\n<INSTRUCTIONS>\n", cwd.display());
    let mut left = max_bytes;
    for (i, (path, text)) in files.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = writeln!(out, "--- {} ---", path.display());
        let text = text.trim_end();
        if text.len() <= left {
            out.push_str(text);
            out.push('\n');
            left -= text.len();
            continue;
        }
        let mut cut = left;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&text[..cut]);
        let omitted: Vec<String> = files[i + 1..].iter().map(|(p, _)| p.display().to_string()).collect();
        let _ = write!(out, "\n[truncated at {max_bytes} bytes: {} more bytes of this file", text.len() - cut);
        if !omitted.is_empty() {
            let _ = write!(out, " and these files were left out: {}", omitted.join(", "));
        }
        out.push_str("; read them with read_file when they matter]\n");
        break;
    }
    out.push_str("</INSTRUCTIONS>");
    out
}
