#!/usr/bin/env bash
# Drives codeloop from Emacs + eglot, headless (emacs --batch -Q -l tests/emacs/agent-test.el):
# imenu outline (documentSymbol), then "Run AI instruction" on an `# ... AI!` comment through
# eglot's code-action menu, the mock model answering with a patch, the buffer changing, and one
# `undo` restoring it. Emacs 28 (Debian bookworm) needs elpa-eglot; Emacs >= 29 has eglot built in.
# Usage: tests/emacs/run.sh BIN   (BIN's directory must hold mock-model too)
# A missing emacs/eglot is skipped with a message, or fails the run when CODELOOP_REQUIRE_EDITORS=1 (CI).
set -euo pipefail
bin="$1"
here="$(cd "$(dirname "$0")" && pwd)"
emacs="${EMACS:-$(command -v emacs || true)}"
mock="$(dirname "$bin")/mock-model"

skip() {
  if [ "${CODELOOP_REQUIRE_EDITORS:-0}" = 1 ]; then echo "FAIL (CODELOOP_REQUIRE_EDITORS=1): $*"; exit 1; fi
  echo "SKIP: $*"
  echo "emacs: 0 passed, 0 failed, 1 skipped"
  exit 0
}
[ -n "$emacs" ] && [ -x "$emacs" ] || skip "emacs not installed: the Emacs/eglot test (.ci/run installs emacs-nox and elpa-eglot)"
if ! timeout 60 "$emacs" --batch -Q --eval '(progn (unless (locate-library "eglot") (add-to-list (quote package-directory-list) "/usr/share/emacs/site-lisp/elpa") (package-initialize)) (require (quote eglot)))' >/dev/null 2>&1; then
  skip "eglot not available to $emacs: the Emacs/eglot test (apt-get install elpa-eglot on Emacs 28)"
fi
[ -x "$mock" ] || skip "mock-model not built ($mock): the Emacs/eglot test (cargo build -p mock-model)"
version="$("$emacs" --version | head -1)"

tmp="$(mktemp -d)"
mock_pid=""
trap '[ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
ws="$tmp/ws"
mkdir -p "$ws/.git" "$tmp/state" "$tmp/config"
printf 'def f():\n    # return 2 instead AI!\n    return 1\n' > "$ws/ai.py"
cat > "$tmp/script.json" <<'JSON'
{"turns": [
  {"outputs": [{"custom_tool_call": {"name": "apply_patch", "call_id": "c1",
    "input": "*** Begin Patch\n*** Update File: ai.py\n@@\n def f():\n-    # return 2 instead AI!\n-    return 1\n+    return 2\n*** End Patch"}}]},
  {"outputs": [{"message": {"text": "Returns 2 now."}}]}
]}
JSON
"$mock" --script "$tmp/script.json" --ignore-stdin > "$tmp/mock.url" &
mock_pid=$!
for _ in $(seq 200); do [ -s "$tmp/mock.url" ] && break; sleep 0.05; done

# HOME points into the temporary dir so no user init, elpa or eglot state leaks in or out.
HOME="$tmp" BIN="$bin" WS="$ws" RESULT="$tmp/result.txt" EVENTS="$tmp/events.log" MODEL_URL="$(head -1 "$tmp/mock.url")" \
  CODELOOP_CACHE_DIR="$tmp/cache" CODELOOP_STATE_DIR="$tmp/state" CODELOOP_CONFIG_DIR="$tmp/config" \
  timeout 120 "$emacs" --batch -Q -l "$here/agent-test.el" > "$tmp/emacs.log" 2>&1 || echo "emacs exited with $?"

# The server's side: the agent was told the edit showed up in the buffer (the didChange after
# the applyEdit matched), as recorded in the thread's session file.
if grep -rqF 'Success. Updated the following files' "$tmp/state" 2>/dev/null; then
  echo "server=edit confirmed" >> "$tmp/result.txt"
else
  echo "server=edit not confirmed" >> "$tmp/result.txt"
fi
expected='mode=python-mode
managed=yes
imenu=Function:f
menu=Run AI instruction
buffer=changed
text=def f():|    return 2|
turn=ended
undo=restored
server=edit confirmed'
actual="$(cat "$tmp/result.txt" 2>/dev/null || true)"
if [ "$actual" != "$expected" ]; then
  echo "FAIL: $version + eglot: agent. Expected:"; echo "$expected"; echo "Actual:"; echo "$actual"
  echo "--- emacs output:"; tail -40 "$tmp/emacs.log"
  echo "--- eglot events (tail):"; tail -c 6000 "$tmp/events.log" 2>/dev/null || true
  echo "emacs: 0 passed, 1 failed, 0 skipped"
  exit 1
fi
echo "ok: $(sed -n 's/^versions: //p' "$tmp/emacs.log"): imenu and agent (AI! code action, patch, undo)"
echo "emacs: 1 passed, 0 failed, 0 skipped"
