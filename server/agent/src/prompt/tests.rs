//! Snapshot tests of every rendered prompt piece, and the prefix-stability rules of the initial
//! context. Fixtures are built in fresh temp directories; dates and paths are fixed.

use super::*;
use agent_protocol::{EditorDiagnostic, LineRange, ResponseItem, Role};
use config::{ApprovalPolicy, SandboxMode};
use expect_test::{expect, Expect};
use std::path::{Path, PathBuf};

fn text(item: &ResponseItem) -> String {
    let role = match item {
        ResponseItem::Message { role, .. } => format!("{role:?}").to_lowercase(),
        _ => "?".into(),
    };
    format!("[{role}]\n{}", item.message_text().unwrap_or_default())
}

fn check(item: &ResponseItem, expect: Expect) {
    expect.assert_eq(&text(item));
}

/// A fresh, empty temp directory for one test.
fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("codeloop-prompt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn env() -> EnvironmentContext {
    EnvironmentContext {
        cwd: PathBuf::from("/work/repo"),
        shell: "bash".into(),
        current_date: "2026-05-03".into(),
        timezone: "Europe/Paris".into(),
        network_enabled: false,
        sandbox_mode: SandboxMode::WorkspaceWrite,
    }
}

fn perms(sandbox_mode: SandboxMode, approval_policy: ApprovalPolicy) -> Permissions {
    let writable_roots = if sandbox_mode == SandboxMode::WorkspaceWrite { vec![PathBuf::from("/work/repo")] } else { vec![] };
    Permissions { sandbox_mode, approval_policy, writable_roots, network_enabled: sandbox_mode == SandboxMode::DangerFullAccess }
}

fn settings() -> ContextSettings {
    ContextSettings {
        permissions: perms(SandboxMode::WorkspaceWrite, ApprovalPolicy::OnRequest),
        developer_instructions: None,
        environment: env(),
        model: Some("gpt-5.5".into()),
    }
}

#[test]
fn base_instructions_stay_small() {
    assert!(BASE_INSTRUCTIONS.len() <= 6 * 1024, "{} bytes", BASE_INSTRUCTIONS.len());
    for tool in ["apply_patch", "read_file", "list_dir", "grep", "find_symbol", "file_outline", "update_plan", "shell"] {
        assert!(BASE_INSTRUCTIONS.contains(&format!("`{tool}`")), "{tool} is not described");
    }
}

#[test]
fn environment_context_renders_fields_in_order() {
    let mut e = env();
    e.cwd = PathBuf::from("/work/a<b>&c");
    check(
        &environment_context(&e),
        expect![[r#"
            [user]
            <environment_context>
              <cwd>/work/a&lt;b&gt;&amp;c</cwd>
              <shell>bash</shell>
              <current_date>2026-05-03</current_date>
              <timezone>Europe/Paris</timezone>
              <network>disabled</network>
              <sandbox>workspace-write</sandbox>
            </environment_context>"#]],
    );
}

#[test]
fn permissions_workspace_write_on_request() {
    let mut p = perms(SandboxMode::WorkspaceWrite, ApprovalPolicy::OnRequest);
    p.writable_roots.push("/tmp/cache".into());
    check(
        &permissions_message(&p),
        expect![[r#"
            [developer]
            <permissions>
            Sandbox: workspace-write. Commands can read any file and write only under `/work/repo`, `/tmp/cache` (and a private temp dir). Network access is disabled.
            Approval policy: on-request. Commands run in the sandbox without asking. When one needs more than the sandbox allows (writing elsewhere, the network), rerun it with `sandbox_permissions: "require_escalated"` and a one-sentence `justification`; the user approves or declines. Ask only when the task needs it.
            Edits with `apply_patch` under the writable roots apply without asking; edits elsewhere wait for approval.
            </permissions>"#]],
    );
}

#[test]
fn permissions_other_combinations() {
    let all: Vec<String> = [
        (SandboxMode::ReadOnly, ApprovalPolicy::Untrusted),
        (SandboxMode::ReadOnly, ApprovalPolicy::Never),
        (SandboxMode::WorkspaceWrite, ApprovalPolicy::OnFailure),
        (SandboxMode::WorkspaceWrite, ApprovalPolicy::Never),
        (SandboxMode::DangerFullAccess, ApprovalPolicy::OnRequest),
    ]
    .into_iter()
    .map(|(s, a)| perms(s, a).render())
    .collect();
    expect![[r#"
        <permissions>
        Sandbox: read-only. Commands can read files but cannot write anywhere. Network access is disabled.
        Approval policy: untrusted. Only known read-only commands (`ls`, `cat`, `rg`, `git status`, `git diff`, ...) run without asking; every other command and every file edit waits for the user's approval. Group your work to keep the prompts few.
        </permissions>
        <permissions>
        Sandbox: read-only. Commands can read files but cannot write anywhere. Network access is disabled.
        Approval policy: never. Nobody can approve anything: do not request escalation. When the sandbox blocks something, find another way or report what is blocked.
        Edits with `apply_patch` are rejected: this session is read-only.
        </permissions>
        <permissions>
        Sandbox: workspace-write. Commands can read any file and write only under `/work/repo` (and a private temp dir). Network access is disabled.
        Approval policy: on-failure. Commands run in the sandbox without asking. When the sandbox blocks one, the user is asked whether to rerun it without the sandbox; you do not need to ask yourself.
        Edits with `apply_patch` under the writable roots apply without asking; edits elsewhere wait for approval.
        </permissions>
        <permissions>
        Sandbox: workspace-write. Commands can read any file and write only under `/work/repo` (and a private temp dir). Network access is disabled.
        Approval policy: never. Nobody can approve anything: do not request escalation. When the sandbox blocks something, find another way or report what is blocked.
        Edits with `apply_patch` under the writable roots apply without asking; edits elsewhere are rejected.
        </permissions>
        <permissions>
        Sandbox: danger-full-access. There is no sandbox: commands run with the user's full rights. Network access is enabled. Be careful with commands that delete or overwrite data.
        Approval policy: on-request. Commands run without asking and there is nothing to escalate.
        Edits with `apply_patch` apply without asking.
        </permissions>"#]]
    .assert_eq(&all.join("\n"));
}

/// Writes `//- /path` fixture files under `root`.
fn write_fixture(root: &Path, fixture: &str) {
    let mut path: Option<PathBuf> = None;
    let mut body = String::new();
    let flush = |path: &Option<PathBuf>, body: &str| {
        if let Some(p) = path {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
    };
    for line in fixture.lines() {
        if let Some(p) = line.strip_prefix("//- /") {
            flush(&path, &body);
            path = Some(root.join(p.trim()));
            body.clear();
        } else {
            body.push_str(line);
            body.push('\n');
        }
    }
    flush(&path, &body);
}

fn check_docs(fixture: &str, cwd: &str, max_bytes: usize, expect: Expect) {
    let root = tmp(&format!("docs-{}", expect.position.line));
    write_fixture(&root, fixture);
    std::fs::create_dir_all(root.join("repo/.git")).unwrap();
    let cwd = root.join(cwd);
    std::fs::create_dir_all(&cwd).unwrap();
    let project_root = find_project_root(&cwd);
    let item = project_docs(&cwd, project_root.as_deref(), Some(&root.join("config")), max_bytes);
    let actual = item.map(|i| text(&i)).unwrap_or_else(|| "(none)".into()).replace(&root.display().to_string(), "$TMP");
    expect.assert_eq(&actual);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn agents_md_from_global_and_root_down_to_cwd() {
    check_docs(
        r#"
//- /AGENTS.md
above the project root: never read
//- /config/AGENTS.md
global: be terse
//- /repo/AGENTS.md
root: run cargo test
//- /repo/crates/AGENTS.md
ignored: the override wins
//- /repo/crates/AGENTS.override.md
crates: override
//- /repo/crates/a/AGENTS.md

"#,
        "repo/crates/a",
        32 * 1024,
        expect![[r#"
            [user]
            # AGENTS.md instructions for $TMP/repo/crates/a

            <INSTRUCTIONS>
            --- $TMP/config/AGENTS.md ---
            global: be terse

            --- $TMP/repo/AGENTS.md ---
            root: run cargo test

            --- $TMP/repo/crates/AGENTS.override.md ---
            crates: override
            </INSTRUCTIONS>"#]],
    );
}

#[test]
fn agents_md_is_capped_with_a_note() {
    check_docs(
        r#"
//- /repo/AGENTS.md
0123456789abcdefghij
//- /repo/sub/AGENTS.md
never shown
"#,
        "repo/sub",
        10,
        expect![[r#"
            [user]
            # AGENTS.md instructions for $TMP/repo/sub

            <INSTRUCTIONS>
            --- $TMP/repo/AGENTS.md ---
            0123456789
            [truncated at 10 bytes: 10 more bytes of this file and these files were left out: $TMP/repo/sub/AGENTS.md; read them with read_file when they matter]
            </INSTRUCTIONS>"#]],
    );
    check_docs("//- /repo/AGENTS.md\nx\n", "repo", 0, expect!["(none)"]);
    check_docs("", "repo", 100, expect!["(none)"]);
}

#[test]
fn agents_md_without_a_project_root_reads_only_cwd() {
    let root = tmp("noroot");
    write_fixture(&root, "//- /AGENTS.md\nparent\n//- /a/AGENTS.md\nhere\n");
    let item = project_docs(&root.join("a"), None, None, 1000).unwrap();
    let t = item.message_text().unwrap();
    assert!(t.contains("here") && !t.contains("parent"), "{t}");
    std::fs::remove_dir_all(&root).unwrap();
}

fn editor(ranges: Vec<LineRange>, diagnostics: Vec<EditorDiagnostic>) -> agent_protocol::EditorContext {
    agent_protocol::EditorContext {
        path: "/work/repo/src/lib.rs".into(),
        text: Some("fn main() {\n    let x = 1;\n    println!(\"{}\", y);\n}\n\nfn other() {}\n".into()),
        version: Some(7),
        ranges,
        diagnostics,
    }
}

fn diag(line: u32, severity: &str, message: &str) -> EditorDiagnostic {
    EditorDiagnostic {
        range: LineRange { start: line, end: line },
        severity: severity.into(),
        message: message.into(),
        source: Some("rustc".into()),
    }
}

#[test]
fn editor_context_with_selection_and_diagnostics() {
    let ctx = editor(vec![LineRange { start: 1, end: 2 }], vec![diag(2, "error", "cannot find value `y`\nin this scope")]);
    check(
        &editor_context(&ctx, None),
        expect![[r#"
            [user]
            <editor_context>
            File: `/work/repo/src/lib.rs` (open in the editor, version 7)
            Selected lines 2-3:
            ```
            2 |     let x = 1;
            3 |     println!("{}", y);
            ```
            Diagnostics:
            - error at line 3 [rustc]: cannot find value `y`
              in this scope
            </editor_context>"#]],
    );
}

#[test]
fn editor_context_without_selection_shows_diagnostic_lines() {
    let ctx = editor(vec![], vec![diag(5, "warning", "unused"), diag(2, "error", "bad")]);
    check(
        &editor_context(&ctx, None),
        expect![[r#"
            [user]
            <editor_context>
            File: `/work/repo/src/lib.rs` (open in the editor, version 7)
            Lines with diagnostics 3-3:
            ```
            3 |     println!("{}", y);
            ```
            Lines with diagnostics 6-6:
            ```
            6 | fn other() {}
            ```
            Diagnostics:
            - warning at line 6 [rustc]: unused
            - error at line 3 [rustc]: bad
            </editor_context>"#]],
    );
}

#[test]
fn editor_context_caps_long_selections() {
    let mut ctx = editor(vec![LineRange { start: 0, end: 9999 }], vec![]);
    ctx.text = Some("x\n".repeat(1000));
    let t = editor_context(&ctx, None).message_text().unwrap();
    assert!(t.contains(&format!("{:>4} | x\n", SELECTION_LINES)));
    assert!(t.contains("[600 more selected lines not shown; read them with read_file]"), "{t}");
    ctx.text = Some(format!("{}\n", "y".repeat(SELECTION_CAP * 2)));
    ctx.ranges = vec![LineRange { start: 0, end: 0 }];
    let t = editor_context(&ctx, None).message_text().unwrap();
    assert!(t.len() < SELECTION_CAP && t.contains("[1 more selected lines not shown"), "{}", t.len());
}

#[test]
fn editor_context_resolved_through_the_index() {
    let root = tmp("editor-index");
    write_fixture(
        &root,
        "//- /src/shapes.rs\npub struct Circle {\n    pub r: f64,\n}\n//- /src/main.rs\nfn area(c: &Circle) -> f64 {\n    3.14 * c.r * c.r\n}\n",
    );
    let index = index::Index::new(index::IndexConfig { roots: vec![root.clone()], cache_dir: None, ..Default::default() });
    index.index_workspace(&|_| {});
    let ctx = agent_protocol::EditorContext {
        path: root.join("src/main.rs"),
        text: Some("fn area(c: &Circle) -> f64 {\n    3.14 * c.r * c.r\n}\n".into()),
        version: None,
        ranges: vec![LineRange { start: 0, end: 0 }],
        diagnostics: vec![],
    };
    let text = editor_text(&ctx).unwrap();
    let resolved = resolve_agent_context(&index, &ctx, &text);
    let actual = render_editor_context(&ctx, Some(&text), resolved.as_ref()).replace(&root.display().to_string(), "$TMP");
    expect![[r#"
        <editor_context>
        File: `$TMP/src/main.rs`
        Selected lines 1-1:
        ```
        1 | fn area(c: &Circle) -> f64 {
        ```
        Enclosing function `area` (lines 1-3):
        ```rust
        fn area(c: &Circle) -> f64 {
            3.14 * c.r * c.r
        }
        ```
        Definitions referenced by the selection:
        struct `Circle` at `src/shapes.rs:1-3`:
        ```rust
        pub struct Circle {
            pub r: f64,
        }
        ```
        </editor_context>"#]]
    .assert_eq(&actual);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn initial_context_order_and_settings_updates_append() {
    let mut s = settings();
    s.developer_instructions = Some("Prefer small commits.".into());
    let agents = ResponseItem::user_text(format!("{AGENTS_MD_HEADER}/work/repo\n\n<INSTRUCTIONS>\nx\n</INSTRUCTIONS>"));
    let prefix = initial_context(&s, Some(agents.clone()));
    let shape: Vec<String> = prefix.iter().map(|i| text(i).lines().take(2).collect::<Vec<_>>().join(" ")).collect();
    expect![[r#"
        [developer] <permissions>
        [developer] Prefer small commits.
        [user] # AGENTS.md instructions for /work/repo
        [user] <environment_context>"#]]
    .assert_eq(&shape.join("\n"));
    // The same settings give the same bytes.
    assert_eq!(prefix, initial_context(&s.clone(), Some(agents)));
    assert!(prefix.iter().filter(|i| matches!(i, ResponseItem::Message { role: Role::User, .. })).all(is_injected_context));

    assert_eq!(settings_update(&s, &s), vec![]);
    let mut next = s.clone();
    next.permissions = perms(SandboxMode::ReadOnly, ApprovalPolicy::OnRequest);
    next.environment.current_date = "2026-05-04".into();
    next.model = Some("gpt-6".into());
    next.developer_instructions = None;
    let update: Vec<String> = settings_update(&s, &next).iter().map(|i| text(i).lines().take(2).collect::<Vec<_>>().join(" ")).collect();
    expect![[r#"
        [developer] <permissions>
        [developer] The developer instructions were removed: disregard the earlier ones.
        [developer] The model changed from `gpt-5.5` to `gpt-6` for the rest of this conversation. Earlier replies may have been written by another model.
        [user] <environment_context>"#]]
    .assert_eq(&update.join("\n"));
}

#[test]
fn base_instructions_file_override() {
    let root = tmp("instructions");
    let mut config = config::ConfigLoader::new(&root).load().unwrap();
    assert_eq!(base_instructions(&config).unwrap(), BASE_INSTRUCTIONS);
    config.model_instructions_file = Some(root.join("missing.md"));
    let err = base_instructions(&config).unwrap_err().to_string();
    assert!(err.starts_with("cannot read model_instructions_file ") && err.contains("missing.md"), "{err}");
    std::fs::write(root.join("mine.md"), "Be a pirate.").unwrap();
    config.model_instructions_file = Some(root.join("mine.md"));
    assert_eq!(base_instructions(&config).unwrap(), "Be a pirate.");
    std::fs::remove_dir_all(&root).unwrap();
}
