#!/usr/bin/env bash
# Installs the Debian packages strata needs, and only those that are missing, so that
# `make demo` and `make test` work on a bare Debian machine and cost nothing when re-run.
# Usage: scripts/setup-deps.sh [build|test|all]   (default: build)
set -euo pipefail

build_pkgs=(
  build-essential cmake pkg-config
  libhdf5-dev libopenblas-openmp-dev
  libcmocka-dev libcjson-dev libcsv-dev zlib1g-dev libzstd-dev
  libnlopt-dev libgsl-dev libsleef-dev
  libjs-chart.js
)
# Independent truth for tests (SciPy, fastcluster, scikit-learn, h5py) from Debian.
test_pkgs=(
  python3 python3-numpy python3-scipy python3-h5py python3-sklearn python3-fastcluster
  python3-pandas python3-venv python3-pip
  chromium fonts-dejavu-core
)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  test|all) want+=("${test_pkgs[@]}") ;;
  *) echo "setup-deps.sh: unknown set '$1' (expected build, test or all)" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  # dpkg-query reports "install ok installed" only for a fully installed package.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# The test set also makes the venv with kmodes (non-fatal offline; scripts/setup-test-venv.sh).
venv() {
  case "${1:-build}" in test|all) "$(dirname "$0")/setup-test-venv.sh" >/dev/null ;; esac
}
if [ ${#missing[@]} -eq 0 ]; then venv "${1:-build}"; exit 0; fi

if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
  echo "setup-deps.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
fi
echo "setup-deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
venv "${1:-build}"
