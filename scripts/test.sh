#!/usr/bin/env bash
# Installs everything into .venv and runs the whole suite: formatting, lint, types, tests.
# Needs only Python 3.11+ (set PYTHON to choose the interpreter).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'
# The report tests drive a real headless Chromium (Debian's package).
bash scripts/install-chromium.sh
echo "== ruff"
.venv/bin/ruff format --check src tests bench
.venv/bin/ruff check src tests bench
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
.venv/bin/pytest "$@"
