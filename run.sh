#!/usr/bin/env bash
# Command (a): install what is needed, then run the whole pipeline to
# reports/index.html. Extra arguments go to snakemake (e.g. ./run.sh -n).
set -euo pipefail
cd "$(dirname "$0")"
./setup_env.sh
exec .venv/bin/snakemake "$@"
