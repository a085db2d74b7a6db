#!/usr/bin/env bash
# The agent loop end to end on a fresh machine, with no network and no API key: `codeloop exec`
# fixes a failing test in a scratch project, against the scripted mock model server (a real HTTP
# server on 127.0.0.1 speaking the OpenAI Responses wire format; the script is demo-script.json).
# Commands run in the workspace-write sandbox; the session is saved under the scratch dir.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
bin="${CODELOOP_BIN_DIR:-$root/target/release}"
[ -x "$bin/codeloop" ] && [ -x "$bin/mock-model" ] || cargo build --release -p cli -p mock-model --manifest-path "$root/Cargo.toml"

work="$(mktemp -d "${TMPDIR:-/tmp}/codeloop-demo.XXXXXX")"
trap 'kill "$mock_pid" 2>/dev/null || true' EXIT
mkdir -p "$work/project"
cat > "$work/project/calc.py" <<'PY'
def add(a, b):
    return a - b
PY
cat > "$work/project/test_calc.py" <<'PY'
from calc import add

assert add(2, 3) == 5, f"add(2, 3) == {add(2, 3)}, expected 5"
print("ok: 1 test passed")
PY

# The mock prints its base URL on its first line of output, then serves until killed.
"$bin/mock-model" --script "$here/demo-script.json" --ignore-stdin > "$work/mock.url" 2> "$work/mock.log" &
mock_pid=$!
for _ in $(seq 100); do [ -s "$work/mock.url" ] && break; sleep 0.05; done
url="$(head -n1 "$work/mock.url")"

echo "== codeloop exec in $work/project (model: scripted mock at $url)"
CODELOOP_STATE_DIR="$work/state" CODELOOP_CONFIG_DIR="$work/config" \
  "$bin/codeloop" exec -C "$work/project" -m demo-model \
  -c model_provider=mock -c "model_providers.mock={name=\"mock\", base_url=\"$url\"}" \
  "The tests fail. Fix the bug."
echo "== calc.py now:"
cat "$work/project/calc.py"
echo "== session file:"
find "$work/state" -name '*.jsonl'
