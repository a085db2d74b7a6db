//! The helper process (`codeloop sandbox ... -- cmd`), Linux. The binary re-executes itself into
//! this entry point, which is single-threaded, so it may unshare, mount, fork and allocate freely.
//!
//! Process tree: the supervisor (this process: enters the user/net/pid namespaces, waits, relays
//! the exit status, removes the private tmp it made) -> the namespace's init (pid 1: mounts,
//! reaps orphans; its death kills every process in the namespace) -> the command (rlimits,
//! no_new_privs, Landlock, seccomp, exec). Without a PID namespace the init step is skipped.
//! With `--overlay`, pid 1 mounts the workspace overlay (overlay/mount.rs) right after entering
//! its mount namespace and before every other mount, so the read-only binds and the private /tmp
//! go on top of it and Landlock's rules name the overlay's inodes; a failure fails the command.
//! It does not capture output, enforce output caps or scrub beyond env.rs: that is run.rs's job.

use crate::args::{HelperArgs, USAGE};
use crate::env::command_env;
use crate::policy::{resolve_paths, ResolvedPaths, SandboxMode};
use crate::report::{Enforcement, ProcessLimit, ProtectionMethod};
use crate::{landlock, limits, namespaces, seccomp};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Exit code when the sandbox itself could not be set up (like env(1)'s 125).
pub const EXIT_SETUP_FAILED: i32 = 125;
/// Exit code when `--timeout` expired (like timeout(1)).
pub const EXIT_TIMED_OUT: i32 = 124;

/// The `codeloop sandbox` entry point: `args` are the arguments after `sandbox`. Never returns.
pub fn helper_main(args: Vec<OsString>) -> ! {
    let a = match crate::args::parse(args) {
        Ok(a) => a,
        Err(msg) if msg == USAGE => {
            let _ = std::io::stderr().write_all(msg.as_bytes());
            std::process::exit(0)
        }
        Err(msg) => fail(&msg),
    };
    match supervise(a) {
        Ok(never) => match never {},
        Err(msg) => fail(&msg),
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("codeloop sandbox: {msg}");
    std::process::exit(EXIT_SETUP_FAILED)
}

/// Creates a fresh private tmp (mode 0700) under the system temp dir.
fn make_private_tmp() -> std::io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("codeloop-sandbox-{}-{nanos}", std::process::id()));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok(dir)
}

fn supervise(a: HelperArgs) -> Result<std::convert::Infallible, String> {
    let cwd = match &a.cwd {
        Some(c) => c.clone(),
        None => std::env::current_dir().map_err(|e| format!("no working directory: {e}"))?,
    };
    let cwd = std::fs::canonicalize(&cwd).map_err(|e| format!("--cwd {}: {e}", cwd.display()))?;
    let mut report = Enforcement { mode: a.policy.mode, ..Enforcement::default() };
    if !a.policy.is_restricted() {
        if let Some(spec) = &a.overlay {
            enter_overlay(spec, &cwd, &mut report)?;
        }
        let env = command_env(std::env::vars_os(), &[], &a.policy, None);
        return Err(exec_command(&a, &cwd, env, &report));
    }
    let roots = if a.workspace_roots.is_empty() { vec![cwd.clone()] } else { a.workspace_roots.clone() };
    let (tmp, owned_tmp) = match &a.tmp {
        Some(t) => (t.clone(), false),
        None => (make_private_tmp().map_err(|e| format!("cannot create the private tmp: {e}"))?, true),
    };
    let paths = resolve_paths(&a.policy, &roots, &tmp);
    let network_off = !a.policy.network_allowed();
    let outer = namespaces::enter_outer(network_off, true, &mut report.warnings);
    report.user_namespace = outer.user;
    report.network_namespace = outer.net;
    report.pid_namespace = outer.pid;
    if outer.net {
        if let Err(e) = namespaces::loopback_up() {
            report.warnings.push(format!("loopback: {e}"));
        }
    }
    // Not dumpable: a sandboxed command cannot read our environ or memory through /proc, even
    // where Landlock's ptrace scoping is missing.
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
    let (status_r, status_w) = pipe().map_err(|e| format!("pipe: {e}"))?;
    // SAFETY: the helper is single-threaded, so the child may run arbitrary code after fork.
    let child = unsafe { libc::fork() };
    if child < 0 {
        return Err(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if child == 0 {
        drop(status_r);
        // SAFETY: prctl/setpgid with integer arguments.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
            if a.timeout.is_some() && !outer.pid {
                libc::setpgid(0, 0);
            }
        }
        let code = child_main(&a, &cwd, &tmp, &paths, outer, report, status_w);
        // SAFETY: leave without running the parent's atexit handlers twice.
        unsafe { libc::_exit(code) }
    }
    drop(status_w);
    let raw = wait_child(child, a.timeout, outer.pid);
    let command_status = read_status(status_r).unwrap_or(raw.status);
    if owned_tmp {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    if raw.timed_out {
        eprintln!("codeloop sandbox: timed out after {:?}", a.timeout.unwrap_or_default());
        std::process::exit(EXIT_TIMED_OUT);
    }
    relay(command_status)
}

/// The child: pid 1 of the PID namespace when there is one. Sets up mounts and limits, then runs
/// the command (directly, or as its own child while reaping orphans).
fn child_main(
    a: &HelperArgs,
    cwd: &Path,
    tmp: &Path,
    paths: &ResolvedPaths,
    outer: namespaces::Outer,
    mut report: Enforcement,
    status_w: std::os::fd::OwnedFd,
) -> i32 {
    // SAFETY: trivial getter.
    let root = unsafe { libc::geteuid() } == 0;
    let mut mounted = false;
    if outer.user || root {
        match namespaces::enter_mount_ns() {
            Ok(()) => mounted = true,
            Err(e) => report.warnings.push(format!("mount namespace: {e}")),
        }
    }
    // The overlay first: later mounts must land on top of it, and Landlock (in `restrict`) must
    // open the overlaid paths, not the lower ones the overlay hides.
    if let Some(spec) = &a.overlay {
        if let Err(msg) = enter_overlay(spec, cwd, &mut report) {
            eprintln!("codeloop sandbox: {msg}");
            return EXIT_SETUP_FAILED;
        }
        // `enter` made a private mount namespace (and a user namespace if it needed one).
        mounted = true;
    }
    report.mount_namespace = mounted;
    let mut writable = paths.writable.clone();
    let mut enumerate = Vec::new();
    let needs_protection = a.policy.mode == SandboxMode::WorkspaceWrite && writable.len() > 1;
    if needs_protection {
        report.protection = ProtectionMethod::Enumerated;
        if mounted && protect_with_mounts(paths, &mut report.warnings) {
            report.protection = ProtectionMethod::BindMount;
        }
        if report.protection == ProtectionMethod::Enumerated {
            enumerate = writable[1..].to_vec();
        }
    }
    let mut tmp_inside = tmp.to_path_buf();
    let slash_tmp = Path::new("/tmp");
    let tmp_free = !writable[1..].iter().any(|r| r.starts_with(slash_tmp)) && !cwd.starts_with(slash_tmp);
    if mounted && tmp_free {
        match namespaces::bind(tmp, slash_tmp) {
            Ok(()) => {
                report.tmp_at_slash_tmp = true;
                tmp_inside = slash_tmp.to_path_buf();
                writable[0] = slash_tmp.to_path_buf();
            }
            Err(e) => report.warnings.push(format!("private /tmp: {e}")),
        }
    }
    if outer.pid && mounted {
        match namespaces::mount_proc() {
            Ok(()) => report.private_proc = true,
            Err(e) => report.warnings.push(format!("private /proc: {e}")),
        }
    }
    if let (true, true, Some(n)) = (root, report.private_proc, a.policy.limits.max_processes) {
        if namespaces::pid_max_is_namespaced() {
            let n = u64::from(n).max(301);
            match namespaces::set_pid_max(n) {
                Ok(()) => report.process_limit = Some(ProcessLimit::PidMax(n)),
                Err(e) => report.warnings.push(format!("pid_max: {e}")),
            }
        } else {
            report.warnings.push("kernel before 6.14: no process limit for root".into());
        }
    }
    let network_off = !a.policy.network_allowed();
    let env = command_env(std::env::vars_os(), &[], &a.policy, Some(&tmp_inside));
    if !outer.pid {
        restrict(a, &writable, &enumerate, network_off, outer.user, &mut report);
        let _ = exec_command(a, cwd, env, &report);
        return 127;
    }
    // pid 1: fork the command, reap everything, report the command's status to the supervisor.
    // SAFETY: still single-threaded.
    let cmd = unsafe { libc::fork() };
    if cmd < 0 {
        eprintln!("codeloop sandbox: fork: {}", std::io::Error::last_os_error());
        return EXIT_SETUP_FAILED;
    }
    if cmd == 0 {
        drop(status_w);
        restrict(a, &writable, &enumerate, network_off, outer.user, &mut report);
        let _ = exec_command(a, cwd, env, &report);
        return 127;
    }
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes into a local.
        let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
        if pid == cmd {
            let mut f = std::fs::File::from(status_w);
            let _ = f.write_all(&status.to_ne_bytes());
            return 0;
        }
        if pid < 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return EXIT_SETUP_FAILED;
        }
    }
}

/// Mounts the workspace overlay over its root and re-enters `cwd` through it. The error is the
/// whole message: the command must not run on the real tree instead.
fn enter_overlay(spec: &crate::args::OverlaySpec, cwd: &Path, report: &mut Enforcement) -> Result<(), String> {
    let started = std::time::Instant::now();
    let fail = |e: &dyn std::fmt::Display| format!("cannot enter the workspace overlay on {}: {e}", spec.root.display());
    let mut plan = crate::overlay::EnterPlan::with_cwd(spec, cwd).map_err(|e| fail(&e))?;
    plan.apply().map_err(|e| fail(&std::io::Error::from(e)))?;
    let entered = plan.report(started.elapsed());
    for (dir, why) in &entered.skipped_write_through {
        report.warnings.push(format!("overlay write-through {}: {why}", dir.display()));
    }
    report.overlay = true;
    Ok(())
}

/// Read-only binds over the protected entries (creating the absent ones empty first).
fn protect_with_mounts(paths: &ResolvedPaths, warnings: &mut Vec<String>) -> bool {
    for p in &paths.absent_protected {
        if let Err(e) = std::fs::create_dir(p) {
            if e.kind() != std::io::ErrorKind::AlreadyExists {
                warnings.push(format!("cannot create {} to protect it: {e}", p.display()));
                return false;
            }
        }
    }
    for p in paths.protected.iter().chain(&paths.absent_protected) {
        if let Err(e) = namespaces::bind_read_only(p) {
            warnings.push(format!("read-only bind of {}: {e}", p.display()));
            return false;
        }
    }
    true
}

/// The last steps before exec, in order: capabilities (root without a user namespace), rlimits,
/// no_new_privs, Landlock, seccomp.
fn restrict(a: &HelperArgs, writable: &[PathBuf], enumerate: &[PathBuf], network_off: bool, in_user_ns: bool, report: &mut Enforcement) {
    // SAFETY: trivial getter.
    if unsafe { libc::geteuid() } == 0 && !in_user_ns {
        if let Err(e) = limits::drop_root_capabilities() {
            report.warnings.push(format!("capability bounding set: {e}"));
        }
    }
    if report.process_limit.is_none() {
        report.process_limit = limits::apply_rlimits(&a.policy.limits, in_user_ns, &mut report.warnings);
    } else {
        let mut no_nproc = a.policy.limits.clone();
        no_nproc.max_processes = None;
        limits::apply_rlimits(&no_nproc, in_user_ns, &mut report.warnings);
    }
    match limits::no_new_privs() {
        Ok(()) => report.no_new_privs = true,
        Err(e) => report.warnings.push(format!("no_new_privs: {e}")),
    }
    landlock::apply(writable, enumerate, network_off, report);
    match seccomp::apply(network_off) {
        Ok(()) => {
            report.seccomp = true;
            report.seccomp_network = network_off;
        }
        Err(e) => report.warnings.push(format!("seccomp: {e}")),
    }
}

/// Writes the report if asked, then execs the command. Returns only on failure (the message).
fn exec_command(a: &HelperArgs, cwd: &Path, env: Vec<(OsString, OsString)>, report: &Enforcement) -> String {
    let mut stderr = std::io::stderr().lock();
    if a.report {
        let _ = stderr.write_all(report.to_line().as_bytes());
    }
    if a.explain {
        let _ = writeln!(stderr, "codeloop sandbox: {}", report.summary());
    }
    drop(stderr);
    let Some((program, rest)) = a.command.split_first() else { return "no command".into() };
    let err = std::process::Command::new(program).args(rest).current_dir(cwd).env_clear().envs(env).exec();
    let code = if err.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 };
    eprintln!("codeloop sandbox: cannot run {}: {err}", program.to_string_lossy());
    std::process::exit(code)
}

fn pipe() -> std::io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two fds into our array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both fds are fresh and ours.
    Ok(unsafe { (std::os::fd::OwnedFd::from_raw_fd(fds[0]), std::os::fd::OwnedFd::from_raw_fd(fds[1])) })
}

/// The command's wait status as sent by pid 1 (None without a PID namespace or if pid 1 died).
fn read_status(r: std::os::fd::OwnedFd) -> Option<i32> {
    use std::io::Read;
    let mut buf = [0u8; 4];
    std::fs::File::from(r).read_exact(&mut buf).ok()?;
    Some(i32::from_ne_bytes(buf))
}

struct Waited {
    status: i32,
    timed_out: bool,
}

/// Waits for the child, killing it (and with it its namespace or process group) on timeout.
fn wait_child(child: libc::pid_t, timeout: Option<Duration>, pid_ns: bool) -> Waited {
    let mut timed_out = false;
    if let Some(t) = timeout {
        // SAFETY: pidfd_open takes a pid and flags; the fd is closed below.
        let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, child, 0) } as libc::c_int;
        if pidfd >= 0 {
            let mut pfd = libc::pollfd { fd: pidfd, events: libc::POLLIN, revents: 0 };
            let ms = libc::c_int::try_from(t.as_millis()).unwrap_or(libc::c_int::MAX);
            // SAFETY: poll on one valid pollfd.
            let ready = unsafe { libc::poll(&mut pfd, 1, ms) };
            if ready == 0 {
                timed_out = true;
                let target = if pid_ns { child } else { -child };
                // SAFETY: kill of our own child (or its process group).
                unsafe { libc::kill(target, libc::SIGKILL) };
            }
            // SAFETY: our fd.
            unsafe { libc::close(pidfd) };
        }
    }
    let mut status = 0;
    loop {
        // SAFETY: waitpid writes into a local.
        let rc = unsafe { libc::waitpid(child, &mut status, 0) };
        if rc == child || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            break;
        }
    }
    Waited { status, timed_out }
}

/// Exits the way the command did: same code, or death by the same signal.
fn relay(status: i32) -> ! {
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        let no_core = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: resetting a handler and raising a signal on ourselves; no memory is shared.
        unsafe {
            libc::setrlimit(libc::RLIMIT_CORE, &no_core);
            libc::signal(sig, libc::SIG_DFL);
            libc::kill(libc::getpid(), sig);
        }
        std::process::exit(128 + sig)
    }
    std::process::exit(if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { EXIT_SETUP_FAILED })
}
