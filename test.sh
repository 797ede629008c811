#!/usr/bin/env bash
# Command (b): install what is needed, then run the test suite.
# Extra arguments go to pytest (e.g. ./test.sh -k fetch).
set -euo pipefail
cd "$(dirname "$0")"
./setup_env.sh
exec .venv/bin/python -m pytest "$@"
