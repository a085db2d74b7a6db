//! Tidy rules enforced as tests: the crate dependency direction, a `//!` header on every
//! source file, a file size limit, and docs/lsp-extensions.md covering every custom method.
//! (Every query file compiling is checked by the syntax crate's own tests.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The allowed workspace-internal edges (architecture.md). A new edge is a deliberate change here.
const ALLOWED: &[(&str, &[&str])] = &[
    ("stdx", &[]),
    ("text", &["stdx"]),
    ("syntax", &["text", "stdx"]),
    ("index", &["syntax", "text", "stdx"]),
    ("agent-protocol", &[]),
    ("model-client", &["agent-protocol", "stdx"]),
    ("config", &["model-client", "sandbox", "agent-protocol", "stdx"]),
    ("sandbox", &["stdx"]),
    ("tools", &["sandbox", "index", "syntax", "text", "agent-protocol", "stdx"]),
    ("agent", &["agent-protocol", "config", "model-client", "tools", "sandbox", "index", "syntax", "text", "stdx"]),
    ("lsp", &["agent", "agent-protocol", "config", "tools", "index", "syntax", "text", "stdx"]),
    ("cli", &["lsp", "agent", "tools", "config", "model-client", "sandbox", "index", "agent-protocol", "stdx"]),
    ("tests", &[]),
    ("mock-model", &[]),
    ("bench", &["text", "syntax", "stdx", "tests", "model-client", "mock-model", "agent-protocol", "tools", "sandbox"]),
];

#[test]
fn crate_dependency_direction() {
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let members: BTreeSet<String> = meta["packages"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect();
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut problems = Vec::new();
    for p in meta["packages"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        let Some(ok) = allowed.get(name) else {
            problems.push(format!("crate {name} is not in the tidy allow-list"));
            continue;
        };
        for d in p["dependencies"].as_array().unwrap() {
            let dep = d["name"].as_str().unwrap();
            if d["kind"].is_null() && members.contains(dep) && !ok.contains(&dep) {
                problems.push(format!("{name} -> {dep} is not an allowed dependency"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_source_file_has_a_header_and_a_sane_size() {
    let mut files = Vec::new();
    for d in ["server", "tests", "bench"] {
        rust_files(&repo().join(d), &mut files);
    }
    assert!(files.len() > 20);
    let mut problems = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let rel = f.strip_prefix(repo()).unwrap().display().to_string();
        if !text.trim_start().starts_with("//!") {
            problems.push(format!("{rel}: no //! header"));
        }
        let lines = text.lines().count();
        let justified = text.lines().take(20).any(|l| l.starts_with("//!") && l.contains("over 1,000 lines"));
        if lines > 1000 && !justified {
            problems.push(format!("{rel}: {lines} lines (limit 1,000 unless the header justifies it)"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn lsp_extensions_doc_covers_every_custom_method() {
    let lib = std::fs::read_to_string(repo().join("server/lsp/src/lib.rs")).unwrap();
    let doc = std::fs::read_to_string(repo().join("docs/lsp-extensions.md")).unwrap();
    let methods: Vec<&str> = lib.split(".custom_method(\"").skip(1).filter_map(|s| s.split('"').next()).collect();
    assert!(!methods.is_empty());
    for m in methods {
        assert!(doc.contains(&format!("`{m}`")), "docs/lsp-extensions.md does not document {m}");
    }
}
