#!/usr/bin/env bash
# Start JupyterLab on the quickstart notebook (no browser is opened). The URL it prints opens
# the notebook itself: /lab/tree/quickstart.ipynb?token=...
#   PORT=9999 scripts/demo.sh --ServerApp.ip=0.0.0.0     extra arguments go to jupyter lab
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
notebook=quickstart.ipynb
# The server's default URL is what it prints (with the port it really got and the token).
args=(--no-browser --port="${PORT:-8888}" --ServerApp.root_dir=examples --LabApp.default_url="/lab/tree/$notebook")
if [[ $(id -u) -eq 0 ]]; then args+=(--allow-root); fi  # containers often run as root
exec .venv/bin/jupyter lab "${args[@]}" "$@"
