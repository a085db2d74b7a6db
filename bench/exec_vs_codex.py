#!/usr/bin/env python3
"""`codeloop exec` side by side with the Codex CLI (`codex exec`) against the same scripted mock model
server, in one run: N shell rounds (the model calls the shell tool N times, then answers), runs of
the two products interleaved, each configuration repeated R times. Stdlib only, Linux only.

Usage:
  cargo build --release -p cli -p mock-model
  python3 bench/exec_vs_codex.py [--codex PATH] [--rounds 1,10,50] [--repeat 5] [--quick] [--markdown]

Codex: npm package @openai/codex, pinned at 0.169.0 (`npm i --prefix DIR @openai/codex@0.169.0`, then
`--codex DIR/node_modules/.bin/codex`). Found otherwise via $CODEX_BIN, /work/codex, ~/.cache/codeloop-bench/codex
or PATH. See bench/README-exec.md for what each number means.
"""
import argparse
import ctypes
import ctypes.util
import json
import os
import pathlib
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
CODEX_VERSION = "0.169.0"
PAGE = os.sysconf("SC_PAGE_SIZE")
PROMPT = "Run the command as many times as I ask, then say done."


# --------------------------------------------------------------------------------------------
# Scripts: N identical shell rounds, then a final message.


def script_for(product, rounds, shell_form):
    if product == "codeloop":
        # argv form runs echo directly; the string form runs `bash -lc` (as Codex's exec_command does).
        command = ["echo", "round"] if shell_form == "argv" else "echo round"
        call = {"name": "shell", "call_id": "call_{n}", "arguments": json.dumps({"command": command})}
    else:
        call = {"name": "exec_command", "call_id": "call_{n}", "arguments": json.dumps({"cmd": "echo round"})}
    return {"turns": [
        {"outputs": [{"function_call": call}], "repeat": rounds},
        {"outputs": [{"message": {"text": "done", "phase": "final_answer"}}]},
    ]}


# --------------------------------------------------------------------------------------------
# inotify on the mock's --log-requests dir: the time each request body was recorded (IN_CREATE).
# File mtimes are jiffy-coarse (up to 4-10 ms), too coarse for codeloop's rounds.

IN_CREATE = 0x100
_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


class RequestClock(threading.Thread):
    def __init__(self, directory):
        super().__init__(daemon=True)
        self.fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if _libc.inotify_add_watch(self.fd, str(directory).encode(), IN_CREATE) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch")
        self.times = {}
        self.stop = False
        self.start()

    def run(self):
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        while not self.stop:
            if not poller.poll(50):
                continue
            now = time.perf_counter_ns()
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                continue
            i = 0
            while i < len(data):
                _wd, _mask, _cookie, length = struct.unpack_from("iIII", data, i)
                name = data[i + 16:i + 16 + length].rstrip(b"\0").decode()
                self.times.setdefault(name, now)
                i += 16 + length

    def close(self):
        self.stop = True
        self.join()
        os.close(self.fd)


# --------------------------------------------------------------------------------------------
# Process tree sampling (RSS sum of all descendants) and TCP connections to the mock's port.


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def rss_bytes(pid):
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def pss_bytes(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def tcp_pairs(port):
    """(local port, remote port) of every socket table entry involving port (any state, TIME_WAIT included)."""
    seen = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    local, remote = int(fields[1].rsplit(":", 1)[1], 16), int(fields[2].rsplit(":", 1)[1], 16)
                    if port in (local, remote) and 0 not in (local, remote):
                        seen.add((local, remote))
        except OSError:
            pass
    return seen


def client_ports(pairs, port):
    return {local if remote == port else remote for local, remote in pairs}


class TreeSampler(threading.Thread):
    def __init__(self, pid, port, baseline, interval=0.005):
        super().__init__(daemon=True)
        self.pid, self.port, self.interval = pid, port, interval
        self.peak_tree, self.peak_pss, self.max_procs = 0, 0, 0
        self.baseline = baseline
        self.ports = set()
        self.stop = False
        self.start()

    def run(self):
        k = 0
        while not self.stop:
            pids = descendants(self.pid)
            total = sum(rss_bytes(p) for p in pids)
            if total > self.peak_tree:
                self.peak_tree = total
            self.peak_pss = max(self.peak_pss, sum(pss_bytes(p) for p in pids))
            self.max_procs = max(self.max_procs, len(pids))
            if k % 4 == 0:
                self.ports |= tcp_pairs(self.port) - self.baseline
            k += 1
            time.sleep(self.interval)

    def close(self):
        self.stop = True
        self.join()
        self.ports |= tcp_pairs(self.port) - self.baseline
        self.ports = client_ports(self.ports, self.port)


# --------------------------------------------------------------------------------------------
# One run.


# mock-model does not set TCP_NODELAY on accepted sockets: on a reused (keep-alive) connection every
# response after the first stalls ~40 ms (Nagle on the mock's side waits for the client's delayed ACK).
# Fresh connections (Codex opens one per request) start in quick-ACK mode and do not see it.
# `--mock-nodelay shim` preloads this into the mock (the same binary) to set TCP_NODELAY on accept.
NODELAY_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
static void nodelay(int fd) { if (fd >= 0) { int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); } }
int accept(int s, struct sockaddr *a, socklen_t *l) {
    static int (*real)(int, struct sockaddr *, socklen_t *);
    if (!real) real = dlsym(RTLD_NEXT, "accept");
    int fd = real(s, a, l); nodelay(fd); return fd;
}
int accept4(int s, struct sockaddr *a, socklen_t *l, int flags) {
    static int (*real)(int, struct sockaddr *, socklen_t *, int);
    if (!real) real = dlsym(RTLD_NEXT, "accept4");
    int fd = real(s, a, l, flags); nodelay(fd); return fd;
}
"""


def build_shim(scratch):
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        sys.exit("--mock-nodelay shim needs a C compiler (cc)")
    src, lib = pathlib.Path(scratch) / "nodelay.c", pathlib.Path(scratch) / "nodelay.so"
    src.write_text(NODELAY_SHIM)
    subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", str(lib), str(src), "-ldl"], check=True)
    return str(lib)


class Mock:
    preload = None

    def __init__(self, binary, script_path, log_dir):
        env = dict(os.environ, LD_PRELOAD=Mock.preload) if Mock.preload else None
        self.proc = subprocess.Popen([binary, "--script", str(script_path), "--log-requests", str(log_dir)], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.base_url = self.proc.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            raise SystemExit(f"mock-model did not print its base URL (got {self.base_url!r})")
        self.port = int(self.base_url.rsplit(":", 1)[1].split("/")[0])

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def command_for(product, args, base_url, work, home):
    env = dict(os.environ)
    if not args.user_home:
        # An empty HOME for both: Codex runs every command with `bash -lc`, which would otherwise source this
        # machine's ~/.profile / ~/.bashrc (pyenv init here: ~100+ ms per round) and measure that, not Codex.
        env["HOME"] = str(home)
    if product == "codeloop":
        env.update(CODELOOP_STATE_DIR=str(home / "state"), CODELOOP_CONFIG_DIR=str(home / "config"),
                   CODELOOP_CACHE_DIR=str(home / "cache"), CODELOOP_LOG="error")
        cmd = [args.codeloop, "exec", "--json", "-C", str(work), "-m", "bench-model",
               "-c", "model_provider=mock",
               "-c", f'model_providers.mock={{name="mock", base_url="{base_url}"}}',
               "--sandbox", args.sandbox, "--approval", "never", PROMPT]
    else:
        (home / "codex").mkdir(exist_ok=True)
        env.update(CODEX_HOME=str(home / "codex"), BENCH_MOCK_KEY="mock-key", RUST_LOG="error")
        cmd = [args.codex, "exec", "--json", "--skip-git-repo-check", "-C", str(work), "-m", "bench-model",
               "-c", "model_provider=mock",
               "-c", f'model_providers.mock={{name="mock", base_url="{base_url}", wire_api="responses", env_key="BENCH_MOCK_KEY"}}',
               "-c", "analytics.enabled=false", "-c", 'otel.metrics_exporter="none"',
               "-c", "features.plugins=false", "-c", "features.remote_plugin=false",
               "-c", "check_for_update_on_startup=false",
               "--sandbox", args.sandbox, "-c", 'approval_policy="never"', PROMPT]
    return cmd, env


def extends(prev, cur):
    """cur's input extends prev's exactly and everything before the input (model, instructions, tools) is equal."""
    a, b = prev.get("input"), cur.get("input")
    if not isinstance(a, list) or not isinstance(b, list) or len(b) < len(a) or b[:len(a)] != a:
        return False
    return all(prev.get(k) == cur.get(k) for k in ("model", "instructions", "tools"))


def run_once(product, rounds, args, scratch):
    run_dir = pathlib.Path(tempfile.mkdtemp(prefix=f"{product}-{rounds}-", dir=scratch))
    log_dir, work = run_dir / "requests", run_dir / "work"
    log_dir.mkdir()
    work.mkdir()
    (work / "README.md").write_text("bench workspace\n")
    script = run_dir / "script.json"
    script.write_text(json.dumps(script_for(product, rounds, args.shell_form)))
    # Codex warns about (and may refuse) helper binaries under /tmp: its home lives under --home-base.
    home = pathlib.Path(tempfile.mkdtemp(prefix=f"{product}-home-", dir=args.home_base))
    mock = Mock(args.mock, script, log_dir)
    clock = RequestClock(log_dir)
    cmd, env = command_for(product, args, mock.base_url, work, home)
    out = open(run_dir / "stdout.jsonl", "wb")
    err = open(run_dir / "stderr.txt", "wb")
    try:
        # Entries present before the product starts are strays: an old TIME_WAIT whose ephemeral port the
        # kernel has since handed to this mock as its listening port.
        baseline = tcp_pairs(mock.port)
        wall_offset = time.time_ns() - time.perf_counter_ns()
        t0 = time.perf_counter_ns()
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
        sampler = TreeSampler(proc.pid, mock.port, baseline)
        deadline = time.monotonic() + args.timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.002)
        t_end = time.perf_counter_ns()
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.close()
        try:  # anything the product left running in its process group
            os.killpg(proc.pid, signal.SIGKILL)
            leftovers = True
        except ProcessLookupError:
            leftovers = False
        time.sleep(0.02)  # let inotify deliver the last events
    finally:
        out.close()
        err.close()
        clock.close()
        mock.close()

    files = sorted(log_dir.glob("*.json"))
    bodies = [json.loads(f.read_bytes() or b"null") for f in files]
    times = [clock.times.get(f.name) for f in files]
    if any(t is None for t in times):  # fall back on (coarse) mtimes
        times = [f.stat().st_mtime_ns - wall_offset for f in files]
    errors = []
    if proc.returncode != 0:
        errors.append(f"exit {proc.returncode}: {(run_dir / 'stderr.txt').read_text(errors='replace')[-800:]}")
    if len(files) != rounds + 1:
        errors.append(f"{len(files)} requests, expected {rounds + 1}")
    pairs = list(zip(bodies, bodies[1:]))
    ext_ok = sum(1 for a, b in pairs if isinstance(a, dict) and isinstance(b, dict) and extends(a, b))
    result = {
        "product": product, "rounds": rounds, "errors": errors, "dir": str(run_dir),
        "wall_ms": (t_end - t0) / 1e6,
        "first_ms": (times[0] - t0) / 1e6 if times else None,
        "round_ms": (times[-1] - times[0]) / 1e6 / rounds if len(times) > 1 else None,
        "after_last_ms": (t_end - times[-1]) / 1e6 if times else None,
        "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1e3,
        "peak_tree_mb": sampler.peak_tree / 2**20,
        "peak_pss_mb": sampler.peak_pss / 2**20,
        "maxrss_mb": usage.ru_maxrss / 1024,
        "max_procs": sampler.max_procs,
        "bytes": sum(f.stat().st_size for f in files),
        "requests": len(files),
        "gaps_ms": [round((b - a) / 1e6, 2) for a, b in zip(times, times[1:])],
        "extends": (ext_ok, len(pairs)),
        "connections": len(sampler.ports),
        "leftovers": leftovers,
    }
    if not args.keep and not errors:
        shutil.rmtree(run_dir, ignore_errors=True)
    shutil.rmtree(home, ignore_errors=True)
    return result


# --------------------------------------------------------------------------------------------
# Reporting.

METRICS = [
    ("first_ms", "start → first request (ms)", "{:.1f}"),
    ("round_ms", "harness time per round (ms)", "{:.2f}"),
    ("wall_ms", "wall time (ms)", "{:.0f}"),
    ("cpu_ms", "CPU user+sys, tree (ms)", "{:.0f}"),
    ("peak_tree_mb", "peak RSS, tree sum (MB)", "{:.1f}"),
    ("peak_pss_mb", "peak PSS, tree sum (MB)", "{:.1f}"),
    ("maxrss_mb", "max RSS, largest process (MB)", "{:.1f}"),
    ("max_procs", "processes in the tree (max)", "{:.0f}"),
    ("bytes", "bytes sent (request bodies)", "{:,.0f}"),
    ("connections", "TCP connections opened", "{:.0f}"),
]


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return None, None, None
    return statistics.median(values), min(values), max(values)


def fmt(spec, stats):
    med, lo, hi = stats
    if med is None:
        return "n/a"
    if lo == hi:
        return spec.format(med)
    return f"{spec.format(med)} ({spec.format(lo)}–{spec.format(hi)})"


def report(results, args, rounds_list):
    lines = []
    head = "| N | metric | codeloop exec | Codex CLI | codeloop/codex |"
    lines += [head, "|---|---|---|---|---|"]
    for n in rounds_list:
        rs = {p: [r for r in results if r["product"] == p and r["rounds"] == n and not r["errors"]] for p in ("codeloop", "codex")}
        for key, label, spec in METRICS:
            st = {p: summary([r[key] for r in rs[p]]) for p in rs}
            ratio = "n/a"
            if st["codeloop"][0] is not None and st["codex"][0]:
                ratio = f"{st['codeloop'][0] / st['codex'][0]:.3f}"
            lines.append(f"| {n} | {label} | {fmt(spec, st['codeloop'])} | {fmt(spec, st['codex'])} | {ratio} |")
        ce, xe = ((sum(r["extends"][0] for r in rs[p]), sum(r["extends"][1] for r in rs[p])) for p in ("codeloop", "codex"))
        pct = lambda e: f"{100 * e[0] / e[1]:.0f} % ({e[0]}/{e[1]})" if e[1] else "n/a"
        lines.append(f"| {n} | requests extending the previous one | {pct(ce)} | {pct(xe)} | |")
    # Budgets.
    out = ["", "Budgets (medians, side by side in this run):"]
    def med(product, n, key):
        return summary([r[key] for r in results if r["product"] == product and r["rounds"] == n and not r["errors"]])[0]

    def check(name, a, b, limit):
        if a is None or not b:
            out.append(f"- {name}: n/a")
            return
        ratio = a / b
        out.append(f"- {name}: {a:.2f} vs {b:.2f} → {ratio:.3f} (budget ≤ {limit:.2f}) **{'PASS' if ratio <= limit else 'MISS'}**")

    big = max(rounds_list)
    first_c = summary([r["first_ms"] for r in results if r["product"] == "codeloop" and not r["errors"]])[0]
    first_x = summary([r["first_ms"] for r in results if r["product"] == "codex" and not r["errors"]])[0]
    check("start → first request, all N (ms)", first_c, first_x, 0.1)
    n_round = max(n for n in rounds_list)
    check(f"harness time per round, N={n_round} (ms)", med("codeloop", n_round, "round_ms"), med("codex", n_round, "round_ms"), 0.1)
    check(f"peak RSS (tree sum), N={big} (MB)", med("codeloop", big, "peak_tree_mb"), med("codex", big, "peak_tree_mb"), 0.2)
    check(f"  same as PSS (tree sum), N={big} (MB)", med("codeloop", big, "peak_pss_mb"), med("codex", big, "peak_pss_mb"), 0.2)
    check(f"  same as ru_maxrss of the largest process, N={big} (MB)", med("codeloop", big, "maxrss_mb"), med("codex", big, "maxrss_mb"), 0.2)
    for p in ("codeloop", "codex"):
        ok = sum(r["extends"][0] for r in results if r["product"] == p and not r["errors"])
        tot = sum(r["extends"][1] for r in results if r["product"] == p and not r["errors"])
        verdict = "PASS" if tot and ok == tot else "MISS"
        out.append(f"- {p}: requests extending the previous one exactly: {ok}/{tot} **{verdict if p == 'codeloop' else '(reference) ' + verdict}**")
    conns = [r for r in results if r["product"] == "codeloop" and not r["errors"] and r["rounds"] > 1]
    reused = conns and all(r["connections"] < r["requests"] for r in conns)
    detail = ", ".join(sorted({f"N={r['rounds']}: {r['connections']} for {r['requests']} requests" for r in conns}))
    out.append(f"- codeloop: one connection reused across the session: **{'PASS' if reused and all(r['connections'] == 1 for r in conns) else ('partly' if reused else 'MISS')}** ({detail})")
    return "\n".join(lines + out)


def find_codex(explicit):
    candidates = [explicit, os.environ.get("CODEX_BIN"), "/work/codex/node_modules/.bin/codex",
                  str(pathlib.Path.home() / ".cache/codeloop-bench/codex/node_modules/.bin/codex"), shutil.which("codex")]
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    sys.exit(f"Codex CLI not found. Install it with:\n  npm i --prefix ~/.cache/codeloop-bench/codex @openai/codex@{CODEX_VERSION}\n"
             "then pass --codex ~/.cache/codeloop-bench/codex/node_modules/.bin/codex")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--codex", help="codex launcher (node_modules/.bin/codex)")
    ap.add_argument("--codeloop", default=os.environ.get("CODELOOP_BIN", str(ROOT / "target/release/codeloop")))
    ap.add_argument("--mock", default=str(ROOT / "target/release/mock-model"))
    ap.add_argument("--rounds", default="1,10,50", help="comma-separated shell round counts")
    ap.add_argument("--repeat", type=int, default=5, help="runs per product and N (interleaved)")
    ap.add_argument("--quick", action="store_true", help="smoke run: N=1,10, R=2")
    ap.add_argument("--sandbox", default="danger-full-access", choices=["danger-full-access", "workspace-write", "read-only"],
                    help="sandbox mode for both products (default: none, i.e. danger-full-access)")
    ap.add_argument("--shell-form", default="argv", choices=["argv", "string"],
                    help="codeloop's shell call: argv [\"echo\",\"round\"] (no shell) or the string \"echo round\" (bash -lc, like Codex)")
    ap.add_argument("--home-base", default=os.environ.get("BENCH_HOME_BASE", str(pathlib.Path.home() / ".cache/codeloop-bench")),
                    help="where fresh CODEX_HOME / codeloop state dirs go (not /tmp: Codex warns about helper binaries there)")
    ap.add_argument("--mock-nodelay", default="off", choices=["off", "shim"],
                    help="shim: LD_PRELOAD a tiny accept() wrapper into mock-model that sets TCP_NODELAY (needs cc); see NODELAY_SHIM")
    ap.add_argument("--user-home", action="store_true",
                    help="keep the real HOME (login shells then source your ~/.profile and ~/.bashrc); default: a fresh empty HOME")
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--keep", action="store_true", help="keep the per-run directories (request logs, stdout)")
    ap.add_argument("--json", dest="json_out", help="also write every run's raw figures to this file")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.repeat = "1,10", 2
    rounds_list = [int(x) for x in args.rounds.split(",")]
    args.codex = find_codex(args.codex)
    for b in (args.codeloop, args.mock):
        if not os.access(b, os.X_OK):
            sys.exit(f"{b} missing: cargo build --release -p cli -p mock-model")
    os.makedirs(args.home_base, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix="exec-vs-codex-")
    if args.mock_nodelay == "shim":
        Mock.preload = build_shim(scratch)
    codex_version = subprocess.run([args.codex, "--version"], capture_output=True, text=True).stdout.strip()
    if CODEX_VERSION not in codex_version:
        print(f"warning: Codex is {codex_version!r}, the benchmark is pinned at {CODEX_VERSION}", file=sys.stderr)
    print(f"codeloop: {args.codeloop}\ncodex: {args.codex} ({codex_version})\nmock: {args.mock}\n"
          f"rounds {rounds_list}, {args.repeat} runs each, interleaved; sandbox: {args.sandbox}"
          f"{' (no sandbox for either product)' if args.sandbox == 'danger-full-access' else ''}; codeloop shell form: {args.shell_form}; "
          f"mock TCP_NODELAY: {'on (LD_PRELOAD shim)' if Mock.preload else 'off (stock mock-model)'}; "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}", flush=True)
    # Warm-up (page cache, node's compile cache): one unmeasured N=1 run each.
    for p in ("codeloop", "codex"):
        r = run_once(p, 1, args, scratch)
        if r["errors"]:
            print(f"warm-up {p} failed: {r['errors']} (kept in {r['dir']})", file=sys.stderr)
    results = []
    for n in rounds_list:
        for i in range(args.repeat):
            order = ("codeloop", "codex") if i % 2 == 0 else ("codex", "codeloop")
            for p in order:
                r = run_once(p, n, args, scratch)
                results.append(r)
                status = "; ".join(r["errors"]) if r["errors"] else "ok"
                print(f"  N={n:<3} {p:<8} run {i + 1}: first {r['first_ms'] or 0:7.1f} ms, round {r['round_ms'] or 0:7.2f} ms, "
                      f"wall {r['wall_ms']:7.0f} ms, cpu {r['cpu_ms']:6.0f} ms, tree RSS {r['peak_tree_mb']:6.1f} MB, "
                      f"conns {r['connections']}, extends {r['extends'][0]}/{r['extends'][1]}: {status}", file=sys.stderr, flush=True)
                if r["errors"]:
                    print(f"    (run dir kept: {r['dir']})", file=sys.stderr)
    print(f"load after: {os.getloadavg()[0]:.2f}")
    print(report(results, args, rounds_list))
    if args.json_out:
        pathlib.Path(args.json_out).write_text(json.dumps(results, indent=1))
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
