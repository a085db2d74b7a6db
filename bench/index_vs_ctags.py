#!/usr/bin/env python3
"""Cold index, warm restart and RSS of `codeloop index` side by side with universal-ctags on
the same trees, in one run (ratios matter more than absolute numbers on a noisy machine).

Usage: bench/index_vs_ctags.py [TREE...]   (default: the python3 standard library and the
cargo registry sources). Needs a release build: cargo build --release -p cli.
"""
import json
import os
import pathlib
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
# ctags' names for the languages codeloop indexes (ctags maps no extension to TSX, or .pyi).
CTAGS_LANGUAGES = "Python,Rust,C,C++,JavaScript,TypeScript,Go,Java,Ruby,Sh"
BIN = os.environ.get("CODELOOP_BIN", str(ROOT / "target" / "release" / "codeloop"))


def run(cmd, env=None):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {out.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return out.stdout, wall, cpu, after.ru_maxrss / 1024.0


def bench_tree(tree):
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="codeloop-bench-"))
    env = dict(os.environ, CODELOOP_CACHE_DIR=str(tmp / "cache"), CODELOOP_LOG="error")
    rows = []
    tags = tmp / "tags"
    _, wall, cpu, _ = run(["ctags", "-R", "-f", str(tags), str(tree)])
    ntags = sum(1 for line in open(tags, errors="replace") if not line.startswith("!_"))
    rows.append(("universal-ctags -R", wall, cpu, ntags, ""))
    # The same, restricted to the languages codeloop indexes: ctags -R also tags JSON, HTML,
    # CSS, Makefiles... which can be most of its time (two thirds on the python stdlib).
    _, wall, cpu, _ = run(["ctags", "-R", f"--languages={CTAGS_LANGUAGES}", "-f", str(tags), str(tree)])
    ntags = sum(1 for line in open(tags, errors="replace") if not line.startswith("!_"))
    rows.append(("universal-ctags -R, codeloop's languages only", wall, cpu, ntags, "not a budget; for scale"))
    out, wall, cpu, _ = run([BIN, "index", "--json", str(tree)], env)
    cold = json.loads(out)
    rows.append(("codeloop index (cold)", wall, cpu, cold["symbols"], f"{cold['files_parsed']} parsed, peak RSS {cold['peak_rss_bytes']/2**20:.0f} MB"))
    out, wall_w, cpu_w, _ = run([BIN, "index", "--json", str(tree)], env)
    warm = json.loads(out)
    rows.append(("codeloop index (warm)", wall_w, cpu_w, warm["symbols"], f"{warm['files_from_cache']} from cache, {warm['files_parsed']} parsed, peak RSS {warm['peak_rss_bytes']/2**20:.0f} MB"))
    shutil.rmtree(tmp, ignore_errors=True)
    ctags_wall = rows[0][1]
    print(f"\n## {tree}  ({cold['files_seen']} files indexed by codeloop, {cold['files_skipped']} skipped)\n")
    print("| tool | wall s | CPU s | symbols | wall / ctags | notes |")
    print("|---|---|---|---|---|---|")
    for name, wall, cpu, syms, notes in rows:
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {syms} | {wall / ctags_wall:.2f} | {notes} |")
    print(f"\nwarm / cold wall: {rows[3][1] / rows[2][1]:.3f}")


def main():
    trees = sys.argv[1:] or [
        sysconfig.get_paths()["stdlib"],
        str(pathlib.Path.home() / ".cargo" / "registry" / "src"),
    ]
    print(f"machine: {os.cpu_count()} cores; codeloop: {BIN}")
    for tree in trees:
        lines = subprocess.run(f"find {tree} -name '*.py' -o -name '*.rs' | head -200000 | xargs cat 2>/dev/null | wc -l", shell=True, capture_output=True, text=True).stdout.strip()
        print(f"\n{tree}: about {lines} lines of .py/.rs")
        bench_tree(tree)


if __name__ == "__main__":
    main()
