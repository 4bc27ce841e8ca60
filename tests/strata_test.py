"""Shared plumbing of the Python end-to-end tests (tests/py_*.py): the strata binary from the
command line, a scratch directory, named checks with a final 'N passed, N failed' line, and a
clean skip (exit 77) when Debian's python3 packages a test needs are missing."""
import importlib
import os
import subprocess
import sys
import tempfile

SKIP = 77

strata = sys.argv[1] if len(sys.argv) > 1 else "strata"
tmp = tempfile.mkdtemp(dir=os.environ.get("STRATA_TEST_TMP"))
_checks = 0
_failures = 0


def need(*modules):
    """Imports the modules a test needs, or skips the test naming what is missing."""
    loaded = []
    for name in modules:
        try:
            loaded.append(importlib.import_module(name))
        except ImportError as e:
            print(f"SKIP: {name} is not available ({e}); scripts/setup-deps.sh test installs it")
            sys.exit(SKIP)
    return loaded


def check(cond, what):
    global _checks, _failures
    _checks += 1
    if not cond:
        _failures += 1
        print(f"FAIL: {what}", file=sys.stderr)


def run(*args):
    """Runs strata with the arguments; returns the CompletedProcess (text stdout/stderr)."""
    return subprocess.run([strata] + [str(a) for a in args], capture_output=True, text=True)


def path(name):
    return os.path.join(tmp, name)


def shared_dataset(*parts):
    """A file of ../shared/datasets, or None when the shared data sets are absent."""
    root = os.path.join(os.environ.get("STRATA_SOURCE_DIR", "."), "..", "shared", "datasets")
    p = os.path.join(root, *parts)
    return p if os.path.exists(p) else None


def interleave_customers(src, name):
    """A copy of src (in the scratch directory) whose /transactions are no longer grouped by
    customer, each customer's rows keeping their order: the layout of an unsorted import.
    Needs h5py and numpy (the caller has asked for them with need())."""
    import shutil

    import h5py
    import numpy as np
    dst = path(name)
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        cid = f["transactions/customer_id"][()]
        order = np.lexsort((np.arange(len(cid)), (cid * 2654435761) % (1 << 32)))
        for col in ("customer_id", "day", "amount"):
            f[f"transactions/{col}"][...] = f[f"transactions/{col}"][()][order]
    return dst


def finish():
    print(f"{_checks - _failures} passed, {_failures} failed")
    sys.exit(1 if _failures else 0)
