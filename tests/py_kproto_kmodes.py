"""The k-prototypes golden fixtures (tests/golden/kproto) against the live Python kmodes package
0.12.2: re-runs make_kmodes_fixtures.py's cases through kmodes and checks that every committed
case file is still exactly its output (data, initial prototypes, labels, prototypes, cost,
iterations), so that tests/test_kproto.c, which compares strata's HUANG with those files,
compares with kmodes itself. strata's side needs no CLI: the C test reads the same files.

kmodes is not in Debian: it comes from the venv of scripts/setup-test-venv.sh
(${STRATA_TEST_VENV:-${XDG_CACHE_HOME:-~/.cache}/strata-test-venv}); this script re-runs itself
with that venv's python when the current interpreter lacks kmodes, and skips (exit 77) with a
message when neither has it.

usage: py_kproto_kmodes.py path/to/strata   (the strata binary is not needed)
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden", "kproto")


def venv_python():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    venv = os.environ.get("STRATA_TEST_VENV") or os.path.join(base, "strata-test-venv")
    return os.path.join(venv, "bin", "python")


try:
    import numpy  # noqa: F401
    import kmodes  # noqa: F401
except ImportError as e:
    py = venv_python()
    if os.environ.get("STRATA_KPROTO_REEXEC") != "1" and os.access(py, os.X_OK):
        os.environ["STRATA_KPROTO_REEXEC"] = "1"
        os.execv(py, [py, os.path.abspath(__file__)] + sys.argv[1:])
    print(f"SKIP: kmodes not importable ({e}); run scripts/setup-test-venv.sh (needs PyPI once)")
    sys.exit(77)

sys.path.insert(0, GOLDEN)
import make_kmodes_fixtures as fx  # noqa: E402

if kmodes.__version__ != fx.KMODES_VERSION:
    print(f"SKIP: kmodes {kmodes.__version__} installed; the fixtures are of {fx.KMODES_VERSION}")
    sys.exit(77)

failures = 0
seen = 0
for name, text in fx.cases():
    seen += 1
    path = os.path.join(GOLDEN, f"case_{name}.txt")
    with open(path) as f:
        committed = f.read()
    if committed != text:
        failures += 1
        a, b = committed.splitlines(), text.splitlines()
        line = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        print(f"FAIL {name}: committed fixture differs from kmodes at line {line + 1}")
    else:
        print(f"ok   {name}: kmodes reproduces the committed fixture")
expected = {f"case_{c[0]}.txt" for c in fx.CASES}
present = {f for f in os.listdir(GOLDEN) if f.startswith("case_")}
if present != expected:
    failures += 1
    print(f"FAIL fixture files {sorted(present)} != cases {sorted(expected)}")
if seen == 0:
    failures += 1
    print("FAIL no cases")
sys.exit(1 if failures else 0)
