#!/usr/bin/env bash
# Set up a development environment from a clean clone; safe to run again.
#   .venv/ with the package installed editable and its test extras,
#   the front end built into chatwidget/static/ from js/,
#   configurable-http-proxy for the JupyterHub tests in tests/hub/node_modules/.
# Environment: PYTHON (default python3) picks the interpreter for a new .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "setup.sh: $*" >&2; exit 1; }

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "'$tool' not found on PATH. Install Node.js >= 20 with npm (Debian: apt-get install nodejs npm) and run again."
done
PYTHON=${PYTHON:-python3}
command -v "$PYTHON" >/dev/null 2>&1 || die "'$PYTHON' not found on PATH; install Python >= 3.10."

# npm is also run by hatch-jupyter-builder during the editable install: keep it quiet and offline-friendly.
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

if [[ ! -x .venv/bin/python ]]; then
  echo "setup.sh: creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi

# npm ci wipes node_modules and installs again: only when the lock file changed since.
npm_install() {
  local dir=$1 stamp="$1/node_modules/.chatwidget-lock" want
  want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
    echo "setup.sh: $dir/node_modules is up to date with its package-lock.json"
    return
  fi
  npm --prefix "$dir" ci --no-audit --no-fund || npm --prefix "$dir" install --no-audit --no-fund
  echo "$want" > "$stamp"
}

echo "setup.sh: front end (npm ci + build in js/)"
npm_install js
# Always rebuild: a stale bundle must never survive a change of the sources.
npm --prefix js run build

# The hub tests' proxy (configurable-http-proxy): a small npm project of its own.
npm_install tests/hub

# The Python install only needs to run again when the project metadata changed.
stamp=.venv/.chatwidget-setup
want="$(cat pyproject.toml js/package.json | sha256sum | cut -d' ' -f1)"
if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]] || ! .venv/bin/python -I -c "import chatwidget" 2>/dev/null; then
  echo "setup.sh: pip install -e .[test]"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[test]"
  echo "$want" > "$stamp"
else
  echo "setup.sh: .venv is up to date with pyproject.toml (delete $stamp to force a reinstall)"
fi

[[ -x /usr/bin/chromium ]] ||
  echo "setup.sh: note: /usr/bin/chromium is missing; browser tests need it (Debian: apt-get install chromium)." >&2
echo "setup.sh: done. Activate with: source .venv/bin/activate"
