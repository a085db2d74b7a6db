#!/usr/bin/env bash
# Drives codeloop from a real editor: headless Neovim (Debian's 0.7.2) with tests/nvim/*.lua:
# symbols (symbols_0_7.lua), then the agent on an AI! comment (agent_0_7.lua, needs mock-model).
# Usage: tests/nvim/run.sh BIN   (skips with a message when nvim is not installed)
set -euo pipefail
bin="$1"
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v nvim >/dev/null; then
  echo "nvim not installed: skipping the Neovim test (.ci/run installs it)"
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/ws/src" "$tmp/ws/.git"
printf 'pub struct Config { pub name: String }\n\nimpl Config {\n    pub fn new() -> Self { Config { name: String::new() } }\n}\n\npub fn load() -> Config { Config::new() }\n' > "$tmp/ws/src/lib.rs"
printf 'def helper_from_disk():\n    pass\n' > "$tmp/ws/tool.py"
BIN="$bin" WS="$tmp/ws" RESULT="$tmp/result.txt" CODELOOP_CACHE_DIR="$tmp/cache" \
  timeout 60 nvim --headless --clean -u "$here/symbols_0_7.lua"
expected='encoding=utf-16
symbol Config kind=23 line=0 children=1
symbol impl Config kind=19 line=2 children=1
symbol load_all kind=12 line=6 children=0
wsymbol helper_from_disk tool.py
wsymbol load_all lib.rs'
actual="$(cat "$tmp/result.txt" 2>/dev/null || true)"
if [ "$actual" != "$expected" ]; then
  echo "Neovim test failed. Expected:"; echo "$expected"; echo "Actual:"; echo "$actual"
  exit 1
fi
echo "Neovim $(nvim --version | head -1): symbols ok"

# The agent: a code action on an AI! comment, the mock model answering with a patch.
mock="$(dirname "$bin")/mock-model"
if [ ! -x "$mock" ]; then
  echo "mock-model not built ($mock): skipping the Neovim agent test (cargo build -p mock-model)"
  exit 0
fi
printf 'fn f() -> i32 {\n    // return 2 instead AI!\n    1\n}\n' > "$tmp/ws/src/ai.rs"
cat > "$tmp/script.json" <<'JSON'
{"turns": [
  {"outputs": [{"custom_tool_call": {"name": "apply_patch", "call_id": "c1",
    "input": "*** Begin Patch\n*** Update File: src/ai.rs\n@@\n fn f() -> i32 {\n-    // return 2 instead AI!\n-    1\n+    2\n }\n*** End Patch"}}]},
  {"outputs": [{"message": {"text": "Returns 2 now."}}]}
]}
JSON
mkdir -p "$tmp/state" "$tmp/config"
"$mock" --script "$tmp/script.json" --ignore-stdin > "$tmp/mock.url" &
mock_pid=$!
trap 'kill "$mock_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/mock.url" ] && break; sleep 0.05; done
BIN="$bin" WS="$tmp/ws" RESULT="$tmp/agent.txt" MODEL_URL="$(head -1 "$tmp/mock.url")" \
  CODELOOP_CACHE_DIR="$tmp/cache" CODELOOP_STATE_DIR="$tmp/state" CODELOOP_CONFIG_DIR="$tmp/config" \
  timeout 60 nvim --headless --clean -u "$here/agent_0_7.lua"
expected='action=Run AI instruction: return 2 instead
buffer=changed
text=fn f() -> i32 {|    2|}
undo=restored'
actual="$(cat "$tmp/agent.txt" 2>/dev/null || true)"
if [ "$actual" != "$expected" ]; then
  echo "Neovim agent test failed. Expected:"; echo "$expected"; echo "Actual:"; echo "$actual"
  exit 1
fi
echo "Neovim $(nvim --version | head -1): agent ok"
