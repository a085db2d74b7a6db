#!/usr/bin/env bash
# The test command (README, AGENTS.md and .ci/run all call this):
# builds the binary, runs every Rust test (unit, snapshot, tidy, end-to-end over stdio),
# then the pytest-lsp suite as an independent client.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked -p cli
cargo test --locked --workspace
venv="${CODELOOP_VENV:-.venv}"
if ! "$venv/bin/python" -c 'import pytest_lsp' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/pytest/requirements.txt
fi
CODELOOP_BIN="$PWD/target/debug/codeloop" "$venv/bin/python" -m pytest -q tests/pytest
bash tests/nvim/run.sh "$PWD/target/debug/codeloop"
