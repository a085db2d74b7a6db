//! Per-command overhead of the sandbox: spawning `true` unsandboxed, through the helper without
//! restrictions, sandboxed (workspace-write, network off and on, with the workspace overlay), and, when the Codex CLI is
//! installed, `codex sandbox -- true` side by side. Prints p50/p99 over N runs each.
//! Run: cargo build --release -p cli && cargo run --release -p bench --bin sandbox_spawn [N]
//! ($CODELOOP_BIN overrides target/release/codeloop; $CODEX_BIN the codex binary, else `codex` on PATH.)
//!
//! It measures spawn-to-exit wall time from a parent process, not what happens inside.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn codeloop_bin() -> PathBuf {
    std::env::var_os("CODELOOP_BIN").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("target/release/codeloop"))
}

fn codex_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CODEX_BIN") {
        return Some(PathBuf::from(p));
    }
    let out = Command::new("sh").args(["-c", "command -v codex"]).output().ok()?;
    let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!p.is_empty()).then(|| PathBuf::from(p))
}

/// Runs `argv` n times (after 5 warm-ups); returns sorted durations, or the failure.
fn measure(argv: &[String], n: usize, cwd: &std::path::Path) -> Result<Vec<Duration>, String> {
    let mut times = Vec::with_capacity(n);
    for i in 0..n + 5 {
        let start = Instant::now();
        let out = Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("{}: {e}", argv[0]))?;
        let elapsed = start.elapsed();
        if !out.status.success() {
            return Err(format!("exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr).trim()));
        }
        if i >= 5 {
            times.push(elapsed);
        }
    }
    times.sort();
    Ok(times)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(idx).copied().unwrap_or_default()
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    // Absolute: the commands run with the bench workspace as their working directory.
    let bin = std::fs::canonicalize(codeloop_bin()).unwrap_or_else(|_| codeloop_bin()).to_string_lossy().into_owned();
    let ws = std::env::temp_dir().join(format!("codeloop-spawn-bench-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(ws.join(".git")) {
        eprintln!("cannot create {}: {e}", ws.display());
        std::process::exit(1);
    }
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut cases: Vec<(&str, Vec<String>)> = vec![
        ("true (unsandboxed)", s(&["true"])),
        ("codeloop sandbox, danger-full-access", s(&[&bin, "sandbox", "--mode", "danger-full-access", "--", "true"])),
        ("codeloop sandbox, workspace-write, network on", s(&[&bin, "sandbox", "--network", "--", "true"])),
        ("codeloop sandbox, workspace-write (default)", s(&[&bin, "sandbox", "--", "true"])),
        ("codeloop sandbox, read-only", s(&[&bin, "sandbox", "--mode", "read-only", "--", "true"])),
    ];
    // The LSP path: workspace-write with the thread's overlay mounted over the workspace.
    let state = std::env::temp_dir().join(format!("codeloop-spawn-bench-state-{}", std::process::id()));
    let overlay = sandbox::overlay::Overlay::new(sandbox::overlay::OverlayConfig::new(&ws, &state))
        .map_err(|e| e.to_string())
        .and_then(|o| serde_json::to_string(&o.mount_spec()).map_err(|e| e.to_string()));
    match &overlay {
        Ok(json) => cases.push(("codeloop sandbox, workspace-write + overlay", s(&[&bin, "sandbox", "--overlay", json, "--", "true"]))),
        Err(e) => eprintln!("no overlay case: {e}"),
    }
    match codex_bin() {
        Some(codex) => {
            let codex = codex.to_string_lossy().into_owned();
            // Codex 0.16x: `codex sandbox -- cmd` (read-only by default); workspace-write via config.
            cases.push(("codex sandbox, read-only (default)", s(&[&codex, "sandbox", "--", "true"])));
            cases.push(("codex sandbox, workspace-write", s(&[&codex, "sandbox", "-c", "sandbox_mode=\"workspace-write\"", "--", "true"])));
        }
        None => eprintln!("codex not found (set CODEX_BIN or `npm i -g @openai/codex`): no side-by-side"),
    }
    let mut stdout = String::new();
    stdout.push_str(&format!("{:<48} {:>10} {:>10} {:>10}\n", format!("spawn `true`, n={n}"), "p50", "p99", "mean"));
    for (name, argv) in &cases {
        match measure(argv, n, &ws) {
            Ok(t) => {
                let mean = t.iter().sum::<Duration>() / t.len().max(1) as u32;
                stdout.push_str(&format!("{name:<48} {:>10.2?} {:>10.2?} {:>10.2?}\n", pct(&t, 0.5), pct(&t, 0.99), mean));
            }
            Err(e) => stdout.push_str(&format!("{name:<48} failed: {e}\n")),
        }
    }
    let _ = std::fs::remove_dir_all(&ws);
    let _ = std::fs::remove_dir_all(&state);
    use std::io::Write;
    let _ = std::io::stdout().write_all(stdout.as_bytes());
}
