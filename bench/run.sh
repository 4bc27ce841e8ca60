#!/usr/bin/env bash
# Runs every benchmark (bench/*.sh except the helpers) against its peers; results land in
# bench/results/*.json. Usage: bench/run.sh [build-dir] [name...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export BUILD=$(cd "${1:-build}" && pwd)
shift || true
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for s in "$here"/*.sh; do
    b=$(basename "$s" .sh)
    case $b in run|common|setup-venv) ;; *) names+=("$b") ;; esac
  done
fi
for b in "${names[@]}"; do
  bash "$here/$b.sh"
  echo
done
