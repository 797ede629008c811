#!/usr/bin/env bash
# Create .venv (Python 3.11+, no conda needed) and install the project with
# its test and cluster extras. Safe to rerun: it only installs what changed.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[test,slurm]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi
