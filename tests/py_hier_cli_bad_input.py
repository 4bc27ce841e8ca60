"""strata hier refuses bad input with the contract's exit code, a message naming the culprit,
and no output file: fewer than 2 rows, NaN in the features (row and column named), an unknown
method, an O(n^2) matrix over --memory (the message names --micro, and --micro then succeeds),
conflicting cut flags and --micro 1.

usage: py_hier_cli_bad_input.py path/to/strata
"""
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as e:
    print(f"SKIP: h5py/numpy not available ({e}); scripts/setup-deps.sh test installs them")
    sys.exit(77)

strata = sys.argv[1]
if os.environ.get("STRATA_TEST_TMP"):
    os.makedirs(os.environ["STRATA_TEST_TMP"], exist_ok=True)
tmp = tempfile.mkdtemp(dir=os.environ.get("STRATA_TEST_TMP"))
checks = failures = 0


def check(cond, what):
    global checks, failures
    checks += 1
    if not cond:
        failures += 1
        print(f"FAIL: {what}", file=sys.stderr)


def fixture(name, x):
    path = os.path.join(tmp, name)
    with h5py.File(path, "w") as f:
        f["accounts/features"] = x
    return path


out = os.path.join(tmp, "out.h5")


def expect(code, fragments, args):
    r = subprocess.run([strata, "hier", "--out", out] + args, capture_output=True, text=True)
    check(r.returncode == code, f"{args}: exit {r.returncode}, want {code}; stderr {r.stderr!r}")
    for frag in fragments:
        check(frag in r.stderr, f"{args}: stderr lacks {frag!r}: {r.stderr!r}")
    if code != 0:
        check(not os.path.exists(out), f"{args}: left an output file")
        check(not [f for f in os.listdir(tmp) if ".tmp-" in f], f"{args}: left temporary files")
    return r


rng = np.random.default_rng(3)
good = fixture("good.h5", rng.normal(size=(600, 4)))
one = fixture("one.h5", rng.normal(size=(1, 4)))
expect(3, [one, "/accounts/features", "at least 2"], ["--in", one, "--method", "ward"])
bad = rng.normal(size=(50, 3))
bad[17, 2] = np.nan
nan = fixture("nan.h5", bad)
expect(3, [nan, "row 17, column 2"], ["--in", nan, "--method", "single"])
expect(2, ["--method", "wards"], ["--in", good, "--method", "wards"])
expect(2, ["--method"], ["--in", good])
expect(5, ["--micro", "average", "memory budget"],
       ["--in", good, "--method", "average", "--memory", "1M"])
expect(0, [], ["--in", good, "--method", "average", "--memory", "1M", "--micro", "40", "--quiet"])
with h5py.File(out, "r") as f:
    check(f["hier/linkage"].shape == (39, 4), "two-stage linkage has M - 1 rows")
    check(f["hier/micro_labels"].shape == (600,), "micro labels for every row")
os.remove(out)
expect(2, ["--cut-k", "--cut-height"],
       ["--in", good, "--method", "ward", "--cut-k", "3", "--cut-height", "1"])
expect(2, ["--micro"], ["--in", good, "--method", "ward", "--micro", "1"])
expect(2, ["--cophenetic", "--micro"],
       ["--in", good, "--method", "ward", "--micro", "10", "--cophenetic"])

print(f"{checks - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
