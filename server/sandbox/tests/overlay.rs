//! End-to-end tests of the workspace overlay: real mounts, real processes. A command runs as
//! `sh -c` in a child that enters the overlay between fork and exec (what the helper does before
//! its exec), from an `OverlayMount` that went through JSON like on the helper's command line.
//!
//! Run as root, and (from the `unprivileged_user` test, when root) again as the unprivileged
//! user `codeloop-ovl` through setpriv. Not here: the helper's other protections (Landlock,
//! seccomp, namespaces), which have their own tests.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use expect_test::{expect, Expect};
use sandbox::overlay::{self, ChangeKind, ChangeLimits, ChangeSet, EnterPlan, Overlay, OverlayConfig, OverlayMount};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The env var that marks the unprivileged re-run (so it does not recurse).
const UNPRIVILEGED_MARK: &str = "CODELOOP_OVERLAY_UNPRIVILEGED";
const USER: &str = "codeloop-ovl";

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("codeloop-ovl-{tag}-{}-{n}", std::process::id()));
        let _ = rm(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(fs::canonicalize(&dir).unwrap())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = rm(&self.0);
    }
}

/// remove_dir_all that first makes directories writable (overlayfs leaves a mode-000 work/work).
fn rm(p: &Path) -> std::io::Result<()> {
    let m = fs::symlink_metadata(p)?;
    if m.is_dir() {
        fs::set_permissions(p, fs::Permissions::from_mode(0o700))?;
        for e in fs::read_dir(p)? {
            rm(&e?.path())?;
        }
        fs::remove_dir(p)
    } else {
        fs::remove_file(p)
    }
}

/// A workspace with a .gitignore, sources, a nested directory, a binary file and a target/.
fn workspace() -> TempDir {
    let ws = TempDir::new("ws");
    let files: &[(&str, &[u8])] = &[
        (".gitignore", b"*.log\nignored_dir/\n"),
        ("src/main.rs", b"fn main() {}\n"),
        ("src/lib.rs", b"pub fn a() {}\n"),
        ("docs/readme.md", b"readme\n"),
        ("docs/old/one.txt", b"one\n"),
        ("docs/old/two.txt", b"two\n"),
        ("data.bin", b"\x00\xffbinary"),
        ("target/keep", b"built before\n"),
    ];
    for (rel, content) in files {
        let p = ws.0.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }
    ws
}

fn overlay(ws: &TempDir, state: &TempDir, thread: &str) -> Overlay {
    let config = OverlayConfig::new(&ws.0, state.0.join("overlays").join(thread));
    assert_eq!(config.write_through, vec![PathBuf::from("target")]);
    Overlay::new(config).unwrap()
}

/// Runs `sh -c script` in the overlay with the root as cwd; returns stdout. Panics on failure.
fn run(ov: &Overlay, script: &str) -> String {
    let json = serde_json::to_string(&ov.mount_spec()).unwrap();
    let mount: OverlayMount = serde_json::from_str(&json).unwrap();
    let mut plan = EnterPlan::with_cwd(&mount, ov.root()).unwrap();
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script).current_dir(ov.root());
    // SAFETY: apply() only makes syscalls (no allocation, no locks), as pre_exec requires.
    unsafe { cmd.pre_exec(move || plan.apply().map_err(std::io::Error::from)) };
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{script}: {:?}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Every path of the tree with its type, mode and content (or link target), sorted.
fn snapshot(root: &Path) -> Vec<(PathBuf, u32, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, u32, Vec<u8>)>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            let body = if m.is_file() {
                fs::read(&p).unwrap()
            } else if m.is_symlink() {
                fs::read_link(&p).unwrap().into_os_string().into_encoded_bytes()
            } else {
                Vec::new()
            };
            out.push((rel, m.mode(), body));
            if m.is_dir() {
                walk(root, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn render(root: &Path, set: &ChangeSet) -> String {
    let mut s = String::new();
    for c in &set.changes {
        s += &format!("{} {:?}\n", c.path.strip_prefix(root).unwrap().display(), c.kind);
    }
    for p in &set.omitted {
        s += &format!("omitted {}\n", p.strip_prefix(root).unwrap().display());
    }
    if set.truncated {
        s += "truncated\n";
    }
    s
}

fn check_changes(ov: &Overlay, expect: Expect) {
    expect.assert_eq(&render(ov.root(), &ov.changes().unwrap()));
}

#[test]
fn scenario_probe_says_available() {
    let support = overlay::probe();
    assert!(support.available, "{support:?}");
    assert_eq!(support.reason, None);
    // SAFETY: trivial getter.
    assert_eq!(support.userxattr, unsafe { libc::geteuid() } != 0);
}

#[test]
fn scenario_real_tree_untouched_and_changes_reported() {
    let (ws, state) = (workspace(), TempDir::new("state"));
    let mut ov = overlay(&ws, &state, "t1");
    ov.stage(Path::new("src/main.rs"), b"fn main() { staged() }\n").unwrap();
    let target_before = fs::read(ws.0.join("target/keep")).unwrap();
    let before = snapshot(&ws.0);
    let out = run(
        &ov,
        "cat src/main.rs
         echo new > src/new.rs
         rm src/lib.rs
         echo more >> docs/readme.md
         rm -r docs/old
         mkdir -p newdir/sub emptydir && echo x > newdir/sub/f.txt
         printf '\\000\\001' > data.bin
         echo log > build.log && mkdir ignored_dir && echo i > ignored_dir/f
         ln -s src/main.rs link
         touch src/main.rs",
    );
    assert_eq!(out, "fn main() { staged() }\n");
    let after = snapshot(&ws.0);
    assert_eq!(before, after, "the real tree changed");
    assert_eq!(fs::read(ws.0.join("target/keep")).unwrap(), target_before);
    check_changes(
        &ov,
        expect![[r#"
            data.bin Modified("\0\u{1}")
            docs/old/one.txt Deleted
            docs/old/two.txt Deleted
            docs/readme.md Modified("readme\nmore\n")
            link Symlink(src/main.rs)
            newdir/sub/f.txt Created("x\n")
            src/lib.rs Deleted
            src/new.rs Created("new\n")
        "#]],
    );
    // Files created in the upper layer belong to the real uid (the namespace maps it to itself).
    // SAFETY: trivial getter.
    assert_eq!(fs::metadata(ov.upper_dir().join("src/new.rs")).unwrap().uid(), unsafe { libc::geteuid() });
}

#[test]
fn scenario_commands_see_staged_buffers() {
    let (ws, state) = (workspace(), TempDir::new("state"));
    let mut ov = overlay(&ws, &state, "t1");
    ov.stage(Path::new("src/lib.rs"), b"pub fn staged() {}\n").unwrap();
    ov.stage(&ws.0.join("src/unsaved.rs"), b"// new buffer\n").unwrap();
    assert_eq!(run(&ov, "cat src/lib.rs src/unsaved.rs"), "pub fn staged() {}\n// new buffer\n");
    check_changes(&ov, expect![[""]]);

    // A command that changes a staged buffer and deletes a staged new file.
    run(&ov, "echo changed > src/lib.rs && rm src/unsaved.rs");
    check_changes(
        &ov,
        expect![[r#"
            src/lib.rs Modified("changed\n")
            src/unsaved.rs Deleted
        "#]],
    );

    // After unstaging (and a reset of the command's work), commands see disk again.
    ov.reset().unwrap();
    ov.stage(Path::new("src/lib.rs"), b"pub fn again() {}\n").unwrap();
    assert_eq!(run(&ov, "cat src/lib.rs"), "pub fn again() {}\n");
    ov.unstage(Path::new("src/lib.rs")).unwrap();
    assert_eq!(run(&ov, "cat src/lib.rs"), "pub fn a() {}\n");
    check_changes(&ov, expect![[""]]);
    assert_eq!(ov.staged().count(), 0);
}

#[test]
fn scenario_write_through_reaches_the_real_tree() {
    let (ws, state) = (workspace(), TempDir::new("state"));
    let ov = overlay(&ws, &state, "t1");
    run(&ov, "echo obj > target/out.o && rm target/keep && cd target && echo rel > rel.o");
    assert_eq!(fs::read_to_string(ws.0.join("target/out.o")).unwrap(), "obj\n");
    assert_eq!(fs::read_to_string(ws.0.join("target/rel.o")).unwrap(), "rel\n");
    assert!(!ws.0.join("target/keep").exists());
    check_changes(&ov, expect![[""]]);
}

#[test]
fn scenario_two_threads_do_not_see_each_other() {
    let (ws, state) = (workspace(), TempDir::new("state"));
    let (mut a, b) = (overlay(&ws, &state, "a"), overlay(&ws, &state, "b"));
    a.stage(Path::new("src/main.rs"), b"// a's buffer\n").unwrap();
    run(&a, "echo a > a.txt && rm docs/readme.md");
    assert_eq!(run(&b, "test -e a.txt && echo yes || echo no; cat src/main.rs docs/readme.md"), "no\nfn main() {}\nreadme\n");
    run(&b, "echo b > b.txt");
    check_changes(
        &a,
        expect![[r#"
            a.txt Created("a\n")
            docs/readme.md Deleted
        "#]],
    );
    check_changes(
        &b,
        expect![[r#"
            b.txt Created("b\n")
        "#]],
    );
}

#[test]
fn scenario_opaque_directories_and_restaging() {
    let (ws, state) = (workspace(), TempDir::new("state"));
    let mut ov = overlay(&ws, &state, "t1");
    run(&ov, "rm -rf docs && mkdir -p docs/old && echo n > docs/new.md && echo one > docs/old/one.txt");
    check_changes(
        &ov,
        expect![[r#"
            docs/new.md Created("n\n")
            docs/old/two.txt Deleted
            docs/readme.md Deleted
        "#]],
    );
    // A command deletes a directory; then the user's buffer of a file in it is staged: the file
    // shows, the rest of the directory stays deleted.
    ov.reset().unwrap();
    run(&ov, "rm -r docs/old");
    ov.stage(Path::new("docs/old/one.txt"), b"buffer\n").unwrap();
    assert_eq!(run(&ov, "ls docs/old; cat docs/old/one.txt"), "one.txt\nbuffer\n");
    check_changes(
        &ov,
        expect![[r#"
            docs/old/two.txt Deleted
        "#]],
    );
}

#[test]
fn scenario_renames_and_type_changes() {
    let (ws, state) = (workspace(), TempDir::new("state"));
    let ov = overlay(&ws, &state, "t1");
    // overlayfs without redirect_dir refuses to rename a lower directory (EXDEV): mv copies.
    run(&ov, "mv docs/old docs/older && mv src/lib.rs src/lib2.rs && rm src/main.rs && mkdir src/main.rs && echo d > src/main.rs/x");
    check_changes(
        &ov,
        expect![[r#"
            docs/old/one.txt Deleted
            docs/old/two.txt Deleted
            docs/older/one.txt Created("one\n")
            docs/older/two.txt Created("two\n")
            src/lib.rs Deleted
            src/lib2.rs Created("pub fn a() {}\n")
            src/main.rs Deleted
            src/main.rs/x Created("d\n")
        "#]],
    );
}

#[test]
fn scenario_metadata_only_changes_are_not_reported() {
    let (ws, state) = (workspace(), TempDir::new("state"));
    let ov = overlay(&ws, &state, "t1");
    run(&ov, "touch src/lib.rs && chmod +x src/main.rs && cp docs/readme.md docs/readme.md.tmp && mv docs/readme.md.tmp docs/readme.md");
    check_changes(&ov, expect![[""]]);
    assert_eq!(fs::metadata(ws.0.join("src/main.rs")).unwrap().mode() & 0o111, 0);
}

#[test]
fn scenario_large_change_sets_are_truncated() {
    let (ws, state) = (workspace(), TempDir::new("state"));
    let mut config = OverlayConfig::new(&ws.0, state.0.join("t1"));
    config.limits = ChangeLimits { max_files: 3, ..ChangeLimits::default() };
    let ov = Overlay::new(config).unwrap();
    run(&ov, "mkdir gen && for i in 0 1 2 3 4 5; do echo $i > gen/f$i; done");
    check_changes(
        &ov,
        expect![[r#"
            gen/f0 Created("0\n")
            gen/f1 Created("1\n")
            gen/f2 Created("2\n")
            omitted gen/f3
            omitted gen/f4
            omitted gen/f5
            truncated
        "#]],
    );
    let set = ov.changes().unwrap();
    assert!(set.changes.iter().all(|c| matches!(c.kind, ChangeKind::Created { .. })));
}

#[test]
fn scenario_enter_reports_what_it_did() {
    let (ws, state) = (workspace(), TempDir::new("state"));
    let ov = overlay(&ws, &state, "t1");
    let mut mount = ov.mount_spec();
    mount.write_through.push("node_modules".into());
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg("pwd").current_dir(ws.0.join("src"));
    // The full entry point, as the helper calls it: the report goes to stderr.
    // SAFETY: the child is a fresh fork of this process; enter() allocates, which glibc allows
    // after fork, and the child execs right after.
    unsafe {
        cmd.pre_exec(move || {
            let report = overlay::enter(&mount).map_err(std::io::Error::other)?;
            let line = format!(
                "{:?} {:?} {:?}\n",
                report.write_through,
                report.skipped_write_through,
                report.elapsed < std::time::Duration::from_millis(20)
            );
            libc::write(2, line.as_ptr().cast(), line.len());
            Ok(())
        })
    };
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{}\n", ws.0.join("src").display()));
    expect![[r#"
        ["target"] [("node_modules", "missing in the real tree")] true
    "#]]
    .assert_eq(&String::from_utf8(out.stderr).unwrap());
}

#[test]
fn scenario_state_dir_inside_root_is_refused() {
    let ws = workspace();
    let err = Overlay::new(OverlayConfig::new(&ws.0, ws.0.join(".codeloop/overlays/t1"))).unwrap_err();
    assert!(matches!(err, overlay::Error::StateDirOverlapsRoot { .. }), "{err}");
}

/// Runs every scenario again as an unprivileged user (when this test runs as root).
#[test]
fn unprivileged_user() {
    // SAFETY: trivial getter.
    if unsafe { libc::geteuid() } != 0 || std::env::var_os(UNPRIVILEGED_MARK).is_some() {
        return;
    }
    if !Command::new("id").arg("-u").arg(USER).output().unwrap().status.success() {
        let status = Command::new("useradd").args(["-M", USER]).status().unwrap();
        assert!(status.success() || Command::new("id").arg(USER).output().unwrap().status.success());
    }
    let id = |flag: &str| String::from_utf8(Command::new("id").args([flag, USER]).output().unwrap().stdout).unwrap().trim().to_owned();
    let (uid, gid) = (id("-u"), id("-g"));
    // The target dir may not be readable by the user: run a copy of this test binary.
    let dir = TempDir::new("bin");
    fs::set_permissions(&dir.0, fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.0.join("overlay-tests");
    fs::copy(std::env::current_exe().unwrap(), &bin).unwrap();
    fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new("setpriv")
        .args([format!("--reuid={uid}"), format!("--regid={gid}"), "--clear-groups".to_owned()])
        .arg(&bin)
        .args(["scenario_", "--test-threads=2"])
        .env(UNPRIVILEGED_MARK, "1")
        .env("TMPDIR", "/tmp")
        .current_dir("/tmp")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "unprivileged run failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("test result: ok. 11 passed"), "{stdout}");
}
