#!/usr/bin/env bash
# Start JupyterLab on the quickstart notebook (no browser is opened).
#   PORT=9999 scripts/demo.sh --ServerApp.ip=0.0.0.0     extra arguments go to jupyter lab
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
args=(--no-browser --port="${PORT:-8888}")
if [[ $(id -u) -eq 0 ]]; then args+=(--allow-root); fi  # containers often run as root
exec .venv/bin/jupyter lab examples/quickstart.ipynb "${args[@]}" "$@"
