//! The sandbox escape battery (issue 5 §5): the real `codeloop sandbox` binary, run as root and as
//! an unprivileged user (`codeloop-test`, created idempotently when the tests run as root). Every
//! escape attempt prints ESCAPED if it worked; the test asserts none did and that the victims
//! outside the workspace are untouched. Positive checks show the sandbox still lets work happen.
//!
//! It does not test the async server API (server/sandbox/tests/run.rs does) or policy parsing.

use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const TEST_USER: &str = "codeloop-test";
const SECRET: &str = "sekrit-7f3a9";

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// Creates the unprivileged test user if missing (idempotent, safe against concurrent tests).
fn ensure_test_user() {
    let exists = || Command::new("id").arg(TEST_USER).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
    if !exists() {
        let _ = Command::new("useradd").args(["-M", "-s", "/bin/sh", TEST_USER]).status();
    }
    assert!(exists(), "cannot create the test user {TEST_USER}");
}

/// Who runs the sandbox.
#[derive(Clone, Copy, Debug, PartialEq)]
enum As {
    /// The test process's user (root here and in CI).
    Current,
    /// `codeloop-test` via setpriv (only when the test runs as root).
    Unprivileged,
}

fn users() -> Vec<As> {
    if is_root() {
        ensure_test_user();
        vec![As::Current, As::Unprivileged]
    } else {
        // Not root: the current user already is the unprivileged case.
        vec![As::Current]
    }
}

/// A test area: `ws/` (the workspace, with .git/config) and `outside/victim`, owned by the user
/// who runs the sandbox, so plain permissions never stop an attempt: only the sandbox can.
struct Area {
    root: PathBuf,
    ws: PathBuf,
    outside: PathBuf,
    who: As,
}

impl Area {
    fn new(name: &str, who: As) -> Area {
        let root = std::env::temp_dir().join(format!("codeloop-sbx-{}-{name}-{who:?}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let ws = root.join("ws");
        let outside = root.join("outside");
        std::fs::create_dir_all(ws.join(".git")).unwrap();
        std::fs::create_dir_all(ws.join("src")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(ws.join(".git/config"), "orig\n").unwrap();
        std::fs::write(outside.join("victim"), "orig\n").unwrap();
        std::os::unix::fs::symlink(outside.join("victim"), ws.join("pre_link")).unwrap();
        std::os::unix::fs::symlink(&outside, ws.join("outdir")).unwrap();
        if who == As::Unprivileged {
            let ok = Command::new("chown").args(["-R", "-h", &format!("{TEST_USER}:{TEST_USER}")]).arg(&root).status().unwrap();
            assert!(ok.success());
        }
        Area { root, ws, outside, who }
    }

    /// `program` run as the area's user, in the workspace, with a secret in its environment.
    fn as_user(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = match self.who {
            As::Current => Command::new(program),
            As::Unprivileged => {
                let mut c = Command::new("setpriv");
                c.args([&format!("--reuid={TEST_USER}"), &format!("--regid={TEST_USER}"), "--init-groups", "--"])
                    .arg(program)
                    .env("HOME", &self.root);
                c
            }
        };
        c.current_dir(&self.ws).env("CODELOOP_TEST_API_KEY", SECRET).stdin(Stdio::null());
        c
    }

    fn command(&self) -> Command {
        self.as_user(tests::codeloop_bin())
    }

    /// Runs `script` with bash in the sandbox; `flags` go before `--`.
    fn run(&self, flags: &[&str], script: &str) -> Output {
        let out = self
            .command()
            .arg("sandbox")
            .args(["--timeout", "30"])
            .args(flags)
            .args(["--", "bash", "-c", script])
            .env("OUT", &self.outside)
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(125), "sandbox setup failed: {}", String::from_utf8_lossy(&out.stderr));
        out
    }

    fn assert_victims_untouched(&self) {
        assert_eq!(std::fs::read_to_string(self.outside.join("victim")).unwrap(), "orig\n", "{:?}: victim changed", self.who);
        assert_eq!(std::fs::read_to_string(self.ws.join(".git/config")).unwrap(), "orig\n", "{:?}: .git/config changed", self.who);
        let extra: Vec<_> = std::fs::read_dir(&self.outside).unwrap().flatten().map(|e| e.file_name()).filter(|n| n != "victim").collect();
        assert!(extra.is_empty(), "{:?}: files created outside: {extra:?}", self.who);
    }
}

impl Drop for Area {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn text(o: &Output) -> String {
    format!("stdout: {}\nstderr: {}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// Each attempt prints ESCAPED only if it worked.
const FS_ATTEMPTS: &[(&str, &str)] = &[
    ("write outside", "echo pwned > $OUT/victim && echo ESCAPED; touch $OUT/new && echo ESCAPED"),
    ("append outside", "echo pwned >> $OUT/victim && echo ESCAPED"),
    ("write /etc", "echo x > /etc/codeloop-escape && echo ESCAPED"),
    ("write home", "echo x > ~/.codeloop-escape && echo ESCAPED"),
    ("write .git/config", "echo pwned >> .git/config && echo ESCAPED"),
    ("create in .git", "mkdir -p .git/hooks && echo 'rm -rf ~' > .git/hooks/pre-commit && echo ESCAPED"),
    ("remove .git", "rm -rf .git; test -f .git/config || echo ESCAPED"),
    ("rename .git", "mv .git .git-moved && echo ESCAPED"),
    ("create .codeloop config", "mkdir -p .codeloop && echo 'approval_policy = \"never\"' > .codeloop/config.toml && echo ESCAPED"),
    ("new symlink out", "ln -s $OUT/victim link && echo pwned > link && echo ESCAPED"),
    ("planted symlink", "echo pwned > pre_link && echo ESCAPED"),
    ("symlinked dir", "echo x > outdir/new && echo ESCAPED"),
    ("hardlink out", "ln $OUT/victim hl && echo pwned >> hl && echo ESCAPED"),
    ("rename out", "mv $OUT/victim src/stolen && echo ESCAPED"),
    ("/proc/self/root", "echo pwned > /proc/self/root$OUT/victim && echo ESCAPED"),
    ("/proc/self/cwd", "echo pwned > /proc/self/cwd/../outside/victim && echo ESCAPED"),
    ("/proc/1/root", "echo pwned > /proc/1/root$OUT/victim && echo ESCAPED"),
    ("mount over", "mount --bind $OUT src 2>/dev/null && echo ESCAPED; unshare -Urm sh -c 'mount -t tmpfs x src && echo ESCAPED'"),
];

#[test]
fn sandbox_escape_battery_filesystem() {
    for who in users() {
        let area = Area::new("fs", who);
        for (name, script) in FS_ATTEMPTS {
            let out = area.run(&[], script);
            assert!(!String::from_utf8_lossy(&out.stdout).contains("ESCAPED"), "{who:?}: escape '{name}' worked\n{}", text(&out));
            area.assert_victims_untouched();
        }
    }
}

#[test]
fn sandbox_network_off_blocks_tcp_udp_dns_and_on_allows_tcp() {
    for who in users() {
        let area = Area::new("net", who);
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        tcp.set_nonblocking(true).unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        udp.set_nonblocking(true).unwrap();
        let (tp, up) = (tcp.local_addr().unwrap().port(), udp.local_addr().unwrap().port());
        let attempts = [
            format!("exec 3<>/dev/tcp/127.0.0.1/{tp} && echo ESCAPED"),
            format!("echo hello > /dev/udp/127.0.0.1/{up} && echo ESCAPED"),
            "getent ahosts example.com && echo ESCAPED".to_string(),
            format!("/usr/bin/python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {tp}), 2)' && echo ESCAPED"),
            "/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b\"x\", \"/dev/log\")' && echo ESCAPED".into(),
        ];
        for script in &attempts {
            let out = area.run(&[], script);
            assert!(!String::from_utf8_lossy(&out.stdout).contains("ESCAPED"), "{who:?}: network escape worked: {script}\n{}", text(&out));
        }
        assert!(tcp.accept().is_err(), "{who:?}: the host listener got a connection");
        let mut buf = [0u8; 16];
        assert!(udp.recv_from(&mut buf).is_err(), "{who:?}: the host UDP socket got a datagram");
        // Positive: with network allowed the same connect reaches the listener.
        let out = area.run(&["--network"], &format!("exec 3<>/dev/tcp/127.0.0.1/{tp} && echo CONNECTED"));
        assert!(String::from_utf8_lossy(&out.stdout).contains("CONNECTED"), "{who:?}: network allowed but connect failed\n{}", text(&out));
        let deadline = Instant::now() + Duration::from_secs(5);
        while tcp.accept().is_err() {
            assert!(Instant::now() < deadline, "{who:?}: no connection with network allowed");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[test]
fn sandbox_blocks_ptrace_and_secret_env() {
    for who in users() {
        let area = Area::new("ptrace", who);
        let ptrace = "sleep 30 & pid=$!; /usr/bin/python3 -c 'import ctypes,sys; r=ctypes.CDLL(None).ptrace(16, int(sys.argv[1]), 0, 0); print(\"ESCAPED\" if r == 0 else \"denied\")' $pid; strace -o /dev/null -p $pid -e trace=none & sp=$!; sleep 0.5; kill -0 $sp 2>/dev/null && echo ESCAPED; kill $pid";
        let out = area.run(&[], ptrace);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("denied") && !stdout.contains("ESCAPED"), "{who:?}: ptrace of a sibling\n{}", text(&out));
        // The "server" (this test for root; a sibling process for the test user) has a secret in its environment.
        let mut server = area.as_user("sleep").arg("30").spawn().unwrap();
        let server_pid = server.id();
        let secrets = format!(
            "env | grep -q {SECRET} && echo ESCAPED env; grep -qa {SECRET} /proc/*/environ 2>/dev/null && echo ESCAPED procfs; \
             grep -qa {SECRET} /proc/{server_pid}/environ 2>/dev/null && echo ESCAPED server; \
             grep -qa {SECRET} /proc/$PPID/environ /proc/1/environ 2>/dev/null && echo ESCAPED parent; \
             env | grep -q CODELOOP_TEST_API_KEY && echo ESCAPED name; echo checked"
        );
        let out = area.run(&[], &secrets);
        let _ = server.kill();
        let _ = server.wait();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("checked") && !stdout.contains("ESCAPED"), "{who:?}: secret readable\n{}", text(&out));
    }
}

/// Processes whose command line contains `marker`.
fn count_marked(marker: &str) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0 };
    dir.flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit())))
        .filter(|e| {
            let mut s = Vec::new();
            std::fs::File::open(e.path().join("cmdline")).and_then(|mut f| f.read_to_end(&mut s)).is_ok()
                && String::from_utf8_lossy(&s).replace('\0', " ").contains(marker)
        })
        .count()
}

#[test]
fn sandbox_contains_a_fork_bomb() {
    for who in users() {
        let area = Area::new("bomb", who);
        let marker = format!("codeloop-bomb-{}-{who:?}", std::process::id());
        // The limit is visible inside: RLIMIT_NPROC (user namespace) or pid_max (root).
        let out = area.run(&["--max-processes", "64"], "ulimit -u; cat /proc/sys/kernel/pid_max");
        let lines: Vec<u64> = String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect();
        assert!(lines.iter().any(|&n| n <= 301), "{who:?}: no process limit visible\n{}", text(&out));
        let mut child = area
            .command()
            .args(["sandbox", "--max-processes", "64", "--timeout", "4", "--", "bash", "-c", "b(){ b | b & }; b; sleep 10", &marker])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let mut peak = 0;
        let status = loop {
            peak = peak.max(count_marked(&marker));
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "{who:?}: the fork bomb outlived its timeout");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert_eq!(status.code(), Some(124), "{who:?}: expected the timeout exit");
        assert!(peak <= 320, "{who:?}: {peak} bomb processes at once");
        let deadline = Instant::now() + Duration::from_secs(2);
        while count_marked(&marker) > 0 {
            assert!(Instant::now() < deadline, "{who:?}: {} bomb processes left after the timeout", count_marked(&marker));
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn sandbox_allows_work_inside() {
    for who in users() {
        let area = Area::new("work", who);
        let out = area.run(
            &["--report"],
            "echo made > src/new.txt && cat src/new.txt; echo top > top.txt && echo top-ok; echo t > $TMPDIR/t && cat $TMPDIR/t; \
             git --version >/dev/null && echo git-ok; echo $CODELOOP_SANDBOX $CODELOOP_SANDBOX_NETWORK_DISABLED $NO_COLOR",
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(stdout, "made\ntop-ok\nt\ngit-ok\nworkspace-write 1 1\n", "{who:?}\n{}", text(&out));
        assert_eq!(std::fs::read_to_string(area.ws.join("src/new.txt")).unwrap(), "made\n");
        let report = String::from_utf8_lossy(&out.stderr);
        for fact in ["\"landlock\":\"fully-enforced\"", "\"seccomp\":true", "\"network_namespace\":true", "\"protection\":\"bind-mount\""] {
            assert!(report.contains(fact), "{who:?}: report lacks {fact}: {report}");
        }
        // read-only: the workspace is not writable, the private tmp is.
        let out = area.run(&["--mode", "read-only"], "echo x > src/ro.txt && echo ESCAPED; echo t > $TMPDIR/t && echo tmp-ok");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("tmp-ok") && !stdout.contains("ESCAPED"), "{who:?}: read-only\n{}", text(&out));
        area.assert_victims_untouched();
        assert!(!Path::new(&area.ws.join("src/ro.txt")).exists());
    }
}

#[test]
fn sandbox_timeout_kills_detached_children() {
    for who in users() {
        let area = Area::new("detach", who);
        // A sleep length nothing else on the machine uses marks the command's processes.
        let secs = 6000 + std::process::id() % 1000;
        let marker = format!("sleep {secs}");
        let script = format!("setsid {marker} & (trap '' HUP TERM; {marker}) & {marker}");
        let started = Instant::now();
        let out = area.command().args(["sandbox", "--timeout", "1", "--", "bash", "-c", &script]).output().unwrap();
        assert_eq!(out.status.code(), Some(124), "{}", text(&out));
        assert!(started.elapsed() < Duration::from_secs(10));
        let deadline = Instant::now() + Duration::from_millis(500);
        while count_marked(&marker) > 0 {
            assert!(Instant::now() < deadline, "{who:?}: detached children survived the timeout");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
