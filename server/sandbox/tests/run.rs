//! Tests of the server-side API (`sandbox::run`) against a real helper: this test binary is its own
//! helper (`<test exe> sandbox ...` dispatches to `helper_main`), which is why it has no libtest
//! harness. Covers output capture and caps, the enforcement report, denial detection, timeouts
//! and cancellation killing every descendant within 200 ms.
//!
//! The escape battery against the real `codeloop` binary is in tests/it/sandbox.rs.

// A test binary without the libtest harness: clippy does not know these are tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sandbox::{run, run_cancellable, SandboxCommand, SandboxMode, SandboxPolicy};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args_os();
    if args.nth(1).is_some_and(|a| a == "sandbox") {
        sandbox::helper_main(args.collect());
    }
    let filter = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let tests: &[(&str, fn())] = &[
        ("output_and_report", output_and_report),
        ("caps_and_counts", caps_and_counts),
        ("denial_is_detected", denial_is_detected),
        ("timeout_kills_all_descendants", timeout_kills_all_descendants),
        ("cancel_kills_within_200ms", cancel_kills_within_200ms),
        ("background_jobs_do_not_hang", background_jobs_do_not_hang),
        ("full_access_scrubs_env", full_access_scrubs_env),
    ];
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _guard = rt.enter();
    let mut failed = 0;
    for (name, f) in tests {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        let ok = std::panic::catch_unwind(f).is_ok();
        eprintln!("test {name} ... {}", if ok { "ok" } else { "FAILED" });
        failed += usize::from(!ok);
    }
    if failed > 0 {
        eprintln!("{failed} failed");
        std::process::exit(1);
    }
}

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Handle::current().block_on(f)
}

fn workspace(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("codeloop-run-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    dir
}

fn bash(script: &str, cwd: &PathBuf, policy: SandboxPolicy) -> SandboxCommand {
    SandboxCommand::new(vec!["bash".into(), "-c".into(), script.into()], cwd, policy)
}

fn output_and_report() {
    let ws = workspace("output");
    let out = block(run(bash("echo out; echo err >&2; echo x > src/f; exit 3", &ws, SandboxPolicy::default()))).unwrap();
    assert_eq!(out.exit_code, Some(3));
    assert_eq!(out.stdout.text, "out\n");
    assert_eq!(out.stderr.text, "err\n");
    assert!(!out.denied && !out.timed_out);
    let report = out.enforcement.expect("report");
    assert_eq!(report.mode, SandboxMode::WorkspaceWrite);
    assert!(report.seccomp && report.no_new_privs, "{}", report.summary());
    assert_eq!(std::fs::read_to_string(ws.join("src/f")).unwrap(), "x\n");
    std::fs::remove_dir_all(&ws).unwrap();
}

fn caps_and_counts() {
    let ws = workspace("caps");
    let mut cmd = bash("seq 1 100000", &ws, SandboxPolicy::read_only());
    cmd.output_cap = 64;
    let out = block(run(cmd)).unwrap();
    assert_eq!(out.exit_code, Some(0));
    assert!(out.stdout.truncated);
    assert_eq!(out.stdout.total_lines, 100000);
    assert_eq!(out.stdout.total_bytes, 588895);
    assert!(out.stdout.text.starts_with("1\n2\n3\n") && out.stdout.text.ends_with("99999\n100000\n"), "{}", out.stdout.text);
    std::fs::remove_dir_all(&ws).unwrap();
}

fn denial_is_detected() {
    let ws = workspace("denial");
    let out = block(run(bash("touch /etc/codeloop-denied", &ws, SandboxPolicy::default()))).unwrap();
    assert_eq!(out.exit_code, Some(1));
    assert!(out.denied, "{:?}", out.stderr);
    let out = block(run(bash("exit 1", &ws, SandboxPolicy::default()))).unwrap();
    assert!(!out.denied);
    std::fs::remove_dir_all(&ws).unwrap();
}

/// Processes whose command line contains `marker` (NULs read as spaces).
fn count_marked(marker: &str) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
    dir.flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
        .filter(|e| std::fs::read(e.path().join("cmdline")).is_ok_and(|s| String::from_utf8_lossy(&s).replace('\0', " ").contains(marker)))
        .count()
}

fn detached_script(marker: &str) -> String {
    format!("setsid {marker} & (trap '' HUP TERM INT; {marker}) & nohup {marker} >/dev/null 2>&1 & {marker}")
}

fn wait_gone(marker: &str, within: Duration) {
    let deadline = Instant::now() + within;
    while count_marked(marker) > 0 {
        assert!(Instant::now() < deadline, "{} processes still alive after {within:?}", count_marked(marker));
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn timeout_kills_all_descendants() {
    let ws = workspace("timeout");
    let marker = format!("sleep {}", 7000 + std::process::id() % 1000);
    let mut cmd = bash(&detached_script(&marker), &ws, SandboxPolicy::default());
    cmd.timeout = Some(Duration::from_millis(500));
    let started = Instant::now();
    let out = block(run(cmd)).unwrap();
    assert!(out.timed_out && out.signal == Some(9), "{out:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    wait_gone(&marker, Duration::from_millis(200));
    std::fs::remove_dir_all(&ws).unwrap();
}

fn cancel_kills_within_200ms() {
    let ws = workspace("cancel");
    let marker = format!("sleep {}", 8000 + std::process::id() % 1000);
    let cmd = bash(&detached_script(&marker), &ws, SandboxPolicy::default());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(run_cancellable(cmd, async move {
        let _ = rx.await;
    }));
    let deadline = Instant::now() + Duration::from_secs(5);
    while count_marked(&marker) < 4 {
        assert!(Instant::now() < deadline, "the command did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    let cancelled_at = Instant::now();
    tx.send(()).unwrap();
    let out = block(task).unwrap().unwrap();
    assert!(out.cancelled);
    wait_gone(&marker, Duration::from_millis(200).saturating_sub(cancelled_at.elapsed()));
    eprintln!("  cancel -> all gone in {:?}", cancelled_at.elapsed());
    std::fs::remove_dir_all(&ws).unwrap();
}

fn background_jobs_do_not_hang() {
    let ws = workspace("background");
    let marker = format!("sleep {}", 9000 + std::process::id() % 1000);
    let started = Instant::now();
    let out = block(run(bash(&format!("{marker} & echo started"), &ws, SandboxPolicy::default()))).unwrap();
    assert_eq!(out.stdout.text, "started\n");
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    wait_gone(&marker, Duration::from_millis(200));
    std::fs::remove_dir_all(&ws).unwrap();
}

fn full_access_scrubs_env() {
    let ws = workspace("env");
    // SAFETY-free in tests: set before any command runs; only this thread reads it.
    unsafe { std::env::set_var("CODELOOP_RUN_TEST_TOKEN", "sekrit") };
    let mut cmd = bash("env", &ws, SandboxPolicy::full_access());
    cmd.env.push(("EXTRA_VAR".into(), "1".into()));
    let out = block(run(cmd)).unwrap();
    assert!(!out.stdout.text.contains("sekrit"));
    assert!(out.stdout.text.contains("CODELOOP_SANDBOX=danger-full-access"));
    assert!(out.stdout.text.contains("EXTRA_VAR=1"));
    std::fs::remove_dir_all(&ws).unwrap();
}
