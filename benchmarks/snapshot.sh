#!/usr/bin/env bash
# Export a clean snapshot of a commit (default HEAD) with its front end built, to measure
# it while the work tree is being edited:
#   bash benchmarks/snapshot.sh /tmp/cw-snap [commit]
#   PYTHONPATH=/tmp/cw-snap .venv/bin/python benchmarks/stream.py
# PYTHONPATH reaches the Jupyter kernel, so the kernel imports the snapshot's chatwidget
# (and anywidget loads the snapshot's bundle); the results record the snapshot's commit.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:?usage: snapshot.sh DEST [COMMIT]}
commit=$(git rev-parse --short "${2:-HEAD}")
rm -rf "$dest"
mkdir -p "$dest"
git archive "$commit" | tar -x -C "$dest"
ln -s "$PWD/js/node_modules" "$dest/js/node_modules"
npm --prefix "$dest/js" run build >/dev/null
echo "$commit" > "$dest/.snapshot-commit"
echo "snapshot of $commit in $dest"
