#!/usr/bin/env bash
# Makes the Python environment of the tests that compare strata with peers outside Debian:
# a venv that sees Debian's numpy/scipy/scikit-learn/h5py (--system-site-packages) plus the
# kmodes package at the version strata's k-prototypes replicates (tests/py_kproto_kmodes.py,
# tests/golden/kproto/). Installed with --no-deps so pip never replaces Debian's numpy.
# Non-fatal: without network the tests that need kmodes skip with a message.
# Usage: scripts/setup-test-venv.sh        prints the venv's python on stdout when ready
# The venv lives outside the build tree: ${STRATA_TEST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/strata-test-venv}
set -uo pipefail

venv="${STRATA_TEST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/strata-test-venv}"
kmodes_version="0.12.2"

if [ ! -x "$venv/bin/python" ]; then
  if ! /usr/bin/python3 -m venv --system-site-packages "$venv" >&2; then
    echo "setup-test-venv.sh: cannot create $venv (is python3-venv installed?)" >&2
    exit 0
  fi
fi
have=$("$venv/bin/python" -c 'import kmodes; print(kmodes.__version__)' 2>/dev/null || true)
if [ "$have" != "$kmodes_version" ]; then
  if ! "$venv/bin/python" -m pip install -q --no-deps "kmodes==$kmodes_version" >&2; then
    echo "setup-test-venv.sh: pip could not install kmodes==$kmodes_version (offline?);" \
      "tests that compare with kmodes will skip" >&2
    exit 0
  fi
fi
echo "$venv/bin/python"
