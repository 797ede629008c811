#!/usr/bin/env bash
# Create .venv (Python 3.11+, no conda needed) and install the project with
# its test and cluster extras. Safe to rerun: it only installs what changed.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# Exact versions from requirements.lock (hash-checked: the same libraries on
# every machine and next year), then the project itself without resolving
# anything. Refresh the lock as its header says.
stamp=.venv/.installed-$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet --require-hashes -r requirements.lock
  .venv/bin/python -m pip install --quiet --no-deps -e .
  rm -f .venv/.installed-*
  touch "$stamp"
fi
