"""The golden RFM file of the CDNOW master log (tests/golden/lens/cdnow_rfm.csv, which
test_segment_lenses_cdnow compares strata with) is still what pandas gives: re-runs
tests/golden/lens/make_cdnow_rfm.py and compares byte for byte. Also checks that the script's
R-style type-7 quantile agrees with numpy's own linear quantile (the textbook definition).
Skips (77) when pandas or the shared CDNOW data set is absent."""
import os
import subprocess
import sys

from strata_test import check, finish, need, path, shared_dataset

need("numpy", "pandas")
import numpy as np  # noqa: E402

master = shared_dataset("cdnow", "CDNOW_master.txt")
if master is None:
    print("SKIP: ../shared/datasets/cdnow/CDNOW_master.txt is absent")
    sys.exit(77)

src = os.environ.get("STRATA_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
script = os.path.join(src, "tests", "golden", "lens", "make_cdnow_rfm.py")
golden = os.path.join(src, "tests", "golden", "lens", "cdnow_rfm.csv")
rules = os.path.join(src, "datasets", "rfm_rules.csv")
out = path("cdnow_rfm.csv")
res = subprocess.run([sys.executable, script, master, rules, out], capture_output=True, text=True)
check(res.returncode == 0, f"make_cdnow_rfm.py ran: {res.stderr[-400:]}")
if res.returncode == 0:
    with open(out, "rb") as a, open(golden, "rb") as b:
        fresh, kept = a.read(), b.read()
    check(fresh == kept, "pandas still gives the committed golden file byte for byte")
    rows = [ln for ln in fresh.decode().splitlines() if ln and not ln.startswith(("#", "id,"))]
    check(len(rows) == 23570, f"23,570 customers (got {len(rows)})")
    scores = np.array([[int(v) for v in ln.split(",")[1:4]] for ln in rows])
    check(scores.min() >= 1 and scores.max() <= 5, "scores in 1..5")
    # Tied frequencies (11,908 one-time buyers) repeat a break: F skips score 2, as rfm does.
    check(not (scores[:, 1] == 2).any(), "F never scores 2 (repeated break 2, 2)")

    sys.path.insert(0, os.path.dirname(script))
    import make_cdnow_rfm as mk  # noqa: E402
    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 7, 10, 101, 1000):
        x = np.round(rng.gamma(0.7, 30.0, n), 2)
        x[rng.random(n) < 0.3] = 12.5  # ties
        for j in range(1, 5):
            a = mk.r_quantile7(x, j * 0.2)
            b = float(np.quantile(x, j * 0.2))
            check(abs(a - b) <= 1e-9 * max(1.0, abs(b)), f"n={n} p={j/5}: R {a!r} vs numpy {b!r}")
finish()
