#!/usr/bin/env bash
# The whole check, as CI runs it: setup, lint, types, the front end's unit tests (vitest),
# then every other test in one pytest run (kernel tests, browser tests, example notebooks
# under nbval).
#   scripts/test.sh                 everything
#   scripts/test.sh -m "not browser" -x   extra arguments go to pytest
# Artifacts (screenshots, server and console logs, junit.xml) land in test-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
export PYTHONDONTWRITEBYTECODE=1

failed=()
step() {  # run a check, remember a failure, keep going so one run reports everything
  local name=$1; shift
  echo "::: $name"
  if ! "$@"; then failed+=("$name"); echo "::: $name FAILED" >&2; fi
}

step "ruff check" ruff check .
step "ruff format" ruff format --check .
step "mypy" mypy
step "tsc" npm --prefix js run --silent typecheck
step "front-end unit tests" env NO_COLOR=1 npm --prefix js test --silent

rm -rf test-artifacts
mkdir -p test-artifacts
notebooks=()
if compgen -G "examples/*.ipynb" >/dev/null; then notebooks=(examples); fi
step "pytest" python -m pytest tests "${notebooks[@]}" \
  --nbval --nbval-current-env \
  --junitxml=test-artifacts/junit.xml "$@"

if ((${#failed[@]})); then
  echo "test.sh: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "test.sh: all checks passed"
