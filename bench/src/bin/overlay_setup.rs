//! Workspace overlay costs on a generated tree of 50,000 files (and 100 files, to show setup does
//! not scale with the tree): spawning `true` plain vs entering the overlay first (fork, enter,
//! exec, wait), the setup alone (timed inside the child), and `Overlay::changes` with 0 and 100
//! changed files. Prints p50/p99 over 200 runs. Linux only; run as root or as a user allowed
//! unprivileged user namespaces.
//! Run: cargo run --release -p bench --bin overlay_setup

use sandbox::overlay::{probe, EnterPlan, Overlay, OverlayConfig};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 200;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(name: &str, mut v: Vec<Duration>) {
    v.sort();
    println!(
        "  {name:<40} p50 {:>7.3} ms  p99 {:>7.3} ms  (n={})",
        ms(bench::percentile(&v, 50.0)),
        ms(bench::percentile(&v, 99.0)),
        v.len()
    );
}

/// `files` small source files in directories of 100, plus a target/ dir (write-through).
fn generate(root: &Path, files: usize) -> anyhow::Result<()> {
    for i in 0..files {
        let dir = root.join(format!("src/m{}", i / 100));
        if i % 100 == 0 {
            std::fs::create_dir_all(&dir)?;
        }
        std::fs::write(dir.join(format!("f{i}.rs")), format!("pub fn f{i}() -> u32 {{ {i} }}\n"))?;
    }
    std::fs::create_dir_all(root.join("target"))?;
    Ok(())
}

/// Spawns `true` (through the overlay when given); returns the wall time and the setup time
/// measured in the child.
fn spawn_true(overlay: Option<&Overlay>) -> anyhow::Result<(Duration, Option<Duration>)> {
    let mut cmd = Command::new("true");
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let mut reader = None;
    if let Some(ov) = overlay {
        let mut plan = EnterPlan::with_cwd(&ov.mount_spec(), ov.root())?;
        let (r, w) = UnixStream::pair()?;
        reader = Some(r);
        // SAFETY: the closure only makes syscalls (apply() does not allocate; Instant and a
        // write to a socket are syscalls too).
        unsafe {
            cmd.pre_exec(move || {
                let t = Instant::now();
                plan.apply().map_err(std::io::Error::from)?;
                let nanos = t.elapsed().as_nanos() as u64;
                (&w).write_all(&nanos.to_le_bytes())
            })
        };
    }
    let t = Instant::now();
    let status = cmd.status()?;
    let wall = t.elapsed();
    anyhow::ensure!(status.success(), "true failed: {status}");
    let setup = match reader {
        Some(mut r) => {
            let mut b = [0u8; 8];
            r.read_exact(&mut b)?;
            Some(Duration::from_nanos(u64::from_le_bytes(b)))
        }
        None => None,
    };
    Ok((wall, setup))
}

fn bench_tree(files: usize, state: &Path) -> anyhow::Result<()> {
    let root = std::env::temp_dir().join(format!("codeloop-overlay-bench-{files}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root)?;
    let t = Instant::now();
    generate(&root, files)?;
    println!("tree of {files} files ({:.1}s to generate)", t.elapsed().as_secs_f64());
    let mut ov = Overlay::new(OverlayConfig::new(&root, state.join(format!("t{files}"))))?;
    ov.stage(Path::new("src/m0/f0.rs"), b"pub fn f0() -> u32 { 42 }\n")?;

    let (mut plain, mut wall, mut setup) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        plain.push(spawn_true(None)?.0);
        let (w, s) = spawn_true(Some(&ov))?;
        wall.push(w);
        setup.extend(s);
    }
    summary("spawn true, plain", plain);
    summary("spawn true, overlay (fork+enter+exec)", wall);
    summary("overlay setup alone (in the child)", setup);

    ov.reset()?;
    let mut zero = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let set = ov.changes()?;
        zero.push(t.elapsed());
        anyhow::ensure!(set.changes.is_empty(), "unexpected changes");
    }
    summary("changes(), 0 changed", zero);

    // A command changes 50 files and creates 50.
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg("for i in $(seq 1 50); do echo x >> src/m0/f$i.rs; echo n > src/m0/new$i.rs; done");
    cmd.current_dir(&root);
    let mut plan = EnterPlan::with_cwd(&ov.mount_spec(), &root)?;
    // SAFETY: apply() only makes syscalls.
    unsafe { cmd.pre_exec(move || plan.apply().map_err(std::io::Error::from)) };
    anyhow::ensure!(cmd.status()?.success(), "the changing command failed");
    let mut hundred = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let set = ov.changes()?;
        hundred.push(t.elapsed());
        anyhow::ensure!(set.changes.len() == 100, "expected 100 changes, got {}", set.changes.len());
    }
    summary("changes(), 100 changed", hundred);
    ov.remove()?;
    std::fs::remove_dir_all(&root)?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let support = probe();
    anyhow::ensure!(support.available, "overlays unavailable here: {:?}", support.reason);
    println!("overlay available (userxattr: {}), {RUNS} runs each", support.userxattr);
    let state: PathBuf = std::env::temp_dir().join(format!("codeloop-overlay-bench-state-{}", std::process::id()));
    for files in [100, 50_000] {
        bench_tree(files, &state)?;
    }
    let _ = std::fs::remove_dir_all(&state);
    Ok(())
}
