//! The apply_patch scenarios: each numbered directory under `tests/patch_scenarios/` holds
//! `input/` (the files before), optionally `open/` (open buffers, version 1, laid over the
//! disk), `patch.txt`, and either `expected/` (the files after, plus `output.txt`: the
//! model-facing summary and the diffs) or `expected_error.txt` (the failure message; the
//! files must then be exactly `input/`). The patch is computed against the view and written
//! with `apply_to_disk`. `UPDATE_EXPECT=1` rewrites the expectations.
//!
//! Not a unit test of the parser or the matcher: those live next to their code.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use tools::{apply_patch, apply_to_disk, Overlaid};

fn read_tree(root: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(entries) = fs::read_dir(dir) else { return };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
                out.insert(rel, fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn write_tree(root: &Path, tree: &BTreeMap<String, String>) {
    for (rel, content) in tree {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
}

fn render_tree(tree: &BTreeMap<String, String>) -> String {
    tree.iter().map(|(k, v)| format!("--- {k}\n{v}")).collect::<Vec<_>>().join("\n")
}

/// Runs one scenario; returns a description of the mismatch, if any.
fn run(dir: &Path, update: bool) -> Option<String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let work = std::env::temp_dir().join(format!("tools-scenario-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).unwrap();
    let input = read_tree(&dir.join("input"));
    write_tree(&work, &input);
    let view = Overlaid::new();
    for (rel, text) in read_tree(&dir.join("open")) {
        view.set(work.join(rel), 1, text);
    }
    let patch = fs::read_to_string(dir.join("patch.txt")).unwrap();
    let result = apply_patch(&patch, &work, &view);
    let mut problems = Vec::new();
    let (expected_dir, output_file, error_file) = (dir.join("expected"), dir.join("output.txt"), dir.join("expected_error.txt"));
    match result {
        Ok(outcome) => {
            apply_to_disk(&outcome.proposal, &view).unwrap_or_else(|e| panic!("{name}: apply_to_disk: {e}"));
            let after = read_tree(&work);
            let mut output = outcome.summary(&work);
            for f in &outcome.files {
                output.push('\n');
                output.push_str(&f.diff);
            }
            if update {
                let _ = fs::remove_dir_all(&expected_dir);
                let _ = fs::remove_file(&error_file);
                fs::create_dir_all(&expected_dir).unwrap();
                write_tree(&expected_dir, &after);
                fs::write(&output_file, &output).unwrap();
            } else {
                if error_file.exists() {
                    problems.push(format!("expected an error, the patch applied:\n{output}"));
                }
                let expected = read_tree(&expected_dir);
                if after != expected {
                    problems.push(format!("files differ\nexpected:\n{}\nactual:\n{}", render_tree(&expected), render_tree(&after)));
                }
                let want = fs::read_to_string(&output_file).unwrap_or_default();
                if want != output {
                    problems.push(format!("output differs\nexpected:\n{want}\nactual:\n{output}"));
                }
            }
        }
        Err(failure) => {
            let message = failure.message(&work);
            let after = read_tree(&work);
            if after != input {
                problems.push("a failed patch changed files".to_string());
            }
            if update {
                let _ = fs::remove_dir_all(&expected_dir);
                let _ = fs::remove_file(&output_file);
                fs::write(&error_file, format!("{message}\n")).unwrap();
            } else {
                let want = fs::read_to_string(&error_file).unwrap_or_else(|_| "(no expected_error.txt)".into());
                if want.trim_end() != message {
                    problems.push(format!("error differs\nexpected:\n{want}\nactual:\n{message}"));
                }
            }
        }
    }
    let _ = fs::remove_dir_all(&work);
    (!problems.is_empty()).then(|| format!("== {name}\n{}", problems.join("\n")))
}

#[test]
fn patch_scenarios() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/patch_scenarios");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut dirs: Vec<PathBuf> = fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    dirs.sort();
    assert!(dirs.len() >= 30, "expected at least 30 scenarios, found {}", dirs.len());
    let failures: Vec<String> = dirs.iter().filter_map(|d| run(d, update)).collect();
    assert!(failures.is_empty(), "{} of {} scenarios failed:\n{}", failures.len(), dirs.len(), failures.join("\n\n"));
}
