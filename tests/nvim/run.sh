#!/usr/bin/env bash
# Drives codeloop from a real editor: headless Neovim (Debian's 0.7.2) with tests/nvim/*.lua.
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
echo "Neovim $(nvim --version | head -1): ok"
