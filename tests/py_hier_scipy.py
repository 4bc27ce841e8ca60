"""strata hier against SciPy and fastcluster (Debian's python3-scipy and python3-fastcluster) as
independent truth, for every method on random data and on duplicate-free real data (the wine and
breast-cancer tables shipped with python3-sklearn, duplicates removed):
  - heights equal SciPy's and fastcluster's to 1e-9 relative, and the merges define the same
    tree (identical rows in SciPy's id convention; a canonical leaf-set comparison is reported
    too, so a mismatch says whether only the layout or the tree itself differs);
  - cuts (--cut-k, --cut-height) equal fcluster's maxclust/distance labels up to renaming;
  - /hier/leaf_order equals leaves_list, --cophenetic equals cophenet to 1e-9;
  - two-stage (--micro M) with M = n equals exact Ward: same heights, same tree through the
    micro labels, same cut labels;
  - float32 input is clustered as its float64 values.

usage: py_hier_scipy.py path/to/strata
"""
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
    from scipy.cluster.hierarchy import cophenet, fcluster, leaves_list, linkage
    from scipy.spatial.distance import pdist
except ImportError as e:
    print(f"SKIP: h5py/numpy/scipy not available ({e}); scripts/setup-deps.sh test installs them")
    sys.exit(77)
try:
    import fastcluster
except ImportError as e:
    print(f"SKIP: fastcluster not available ({e}); scripts/setup-deps.sh test installs "
          "python3-fastcluster")
    sys.exit(77)

strata = sys.argv[1]
if os.environ.get("STRATA_TEST_TMP"):
    os.makedirs(os.environ["STRATA_TEST_TMP"], exist_ok=True)
tmp = tempfile.mkdtemp(dir=os.environ.get("STRATA_TEST_TMP"))
checks = failures = 0
METHODS = ["single", "complete", "average", "weighted", "ward", "centroid", "median"]


def check(cond, what):
    global checks, failures
    checks += 1
    if not cond:
        failures += 1
        print(f"FAIL: {what}", file=sys.stderr)


def run(args):
    r = subprocess.run([strata, "hier"] + args + ["--force", "--quiet"], capture_output=True,
                       text=True)
    return r


def fit(path, method, extra=()):
    out = os.path.join(tmp, "out.h5")
    r = run(["--in", path, "--method", method, "--out", out] + list(extra))
    if r.returncode != 0:
        return None, r.stderr
    with h5py.File(out, "r") as f:
        res = {k: f["hier"][k][()] for k in f["hier"].keys()}
        res["attrs"] = dict(f["hier"].attrs)
    return res, ""


def leaf_sets(Z, n):
    """Canonical tree: the set of (leaf set, height) of every merge."""
    members = [frozenset([i]) for i in range(n)]
    out = set()
    for a, b, h, _ in Z:
        s = members[int(a)] | members[int(b)]
        members.append(s)
        out.add((s, round(float(h), 9)))
    return out


def rel_err(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))) if len(a) else 0.0


def same_partition(a, b):
    a, b = np.asarray(a), np.asarray(b)
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def datasets():
    rng = np.random.default_rng(7)
    yield "random 400x5", rng.normal(size=(400, 5))
    yield "blobs 300x3", np.concatenate([rng.normal(c, 1.0, size=(100, 3)) for c in (0, 6, 12)])
    # Large enough for the matrix NN-chain to compact its matrix several times.
    yield "blobs 2000x4", np.concatenate([rng.normal(c, 1.0, size=(500, 4)) for c in (0, 3, 6, 9)])
    try:
        from sklearn.datasets import load_breast_cancer, load_wine
        for name, loader in (("wine", load_wine), ("breast-cancer", load_breast_cancer)):
            x = np.unique(loader().data.astype(np.float64), axis=0)
            yield f"{name} {x.shape[0]}x{x.shape[1]}", x
    except Exception as e:  # the real tables are an addition, not a requirement
        print(f"note: sklearn's real data sets unavailable ({e}); random data only")


for label, x in datasets():
    n = x.shape[0]
    path = os.path.join(tmp, "in.h5")
    with h5py.File(path, "w") as f:
        f["accounts/features"] = x
    for method in METHODS:
        what = f"{label} {method}"
        res, err = fit(path, method, ["--cut-k", "5", "--cophenetic"])
        check(res is not None, f"{what}: strata failed: {err}")
        if res is None:
            continue
        Z = res["linkage"]
        Zs = linkage(x, method)
        if method in ("single", "ward", "centroid", "median"):
            Zf = fastcluster.linkage_vector(x, method)
        else:
            Zf = fastcluster.linkage(x, method)
        for peer, Zp in (("scipy", Zs), ("fastcluster", Zf)):
            check(Z.shape == Zp.shape, f"{what}: shape {Z.shape} vs {peer} {Zp.shape}")
            e = rel_err(Z[:, 2], Zp[:, 2])
            check(e <= 1e-9, f"{what}: heights differ from {peer} by {e:.3g} relative")
            same_rows = np.array_equal(Z[:, [0, 1, 3]], Zp[:, [0, 1, 3]])
            same_tree = leaf_sets(Z, n) == leaf_sets(Zp, n)
            check(same_rows, f"{what}: merges differ from {peer} (same tree: {same_tree})")
        check(np.array_equal(res["leaf_order"], leaves_list(Zs)), f"{what}: leaf order")
        c_ref = cophenet(Zs, pdist(x))[0]
        c = float(res["attrs"]["cophenetic_correlation"])
        check(abs(c - c_ref) <= 1e-9 * abs(c_ref), f"{what}: cophenetic {c} vs {c_ref}")
        check(same_partition(res["labels"], fcluster(Zs, 5, "maxclust")),
              f"{what}: --cut-k 5 labels differ from fcluster")
        check(np.array_equal(res["labels"] + 1, fcluster(Z, 5, "maxclust")),
              f"{what}: labels are not fcluster's minus 1 on strata's own tree")
    # Cuts on one method over several k and heights.
    Zs = linkage(x, "average")
    for k in (2, 3, 8, 20):
        res, err = fit(path, "average", ["--cut-k", str(k)])
        check(res is not None and same_partition(res["labels"], fcluster(Zs, k, "maxclust")),
              f"{label} average --cut-k {k}: {err}")
    for q in (0.3, 0.6, 0.9):
        t = float(np.quantile(Zs[:, 2], q))
        res, err = fit(path, "average", ["--cut-height", repr(t)])
        check(res is not None and same_partition(res["labels"], fcluster(Zs, t, "distance")),
              f"{label} average --cut-height {t}: {err}")

# Regression for the matrix NN-chain's cached nearest neighbours: on an integer grid most
# distances are equal, so a cached neighbour must break ties exactly as a fresh row scan does
# (the lowest index), or the merges stop being fastcluster's.
rng = np.random.default_rng(5)
grid = np.array([(i, j) for i in range(24) for j in range(24)], dtype=np.float64)
grid = grid[rng.permutation(len(grid))]
path = os.path.join(tmp, "grid.h5")
with h5py.File(path, "w") as f:
    f["accounts/features"] = grid
for method in ("complete", "average", "weighted"):
    res, err = fit(path, method)
    check(res is not None, f"grid {method}: strata failed: {err}")
    if res is not None:
        Zf = fastcluster.linkage(grid, method)
        check(np.array_equal(res["linkage"], Zf), f"grid {method}: merges differ from fastcluster")

# Two-stage with M = n is exact Ward, through the micro labels.
rng = np.random.default_rng(11)
for dtype in (np.float64, np.float32):
    x = rng.normal(size=(250, 4)).astype(dtype)
    n = x.shape[0]
    path = os.path.join(tmp, f"micro-{np.dtype(dtype).name}.h5")
    with h5py.File(path, "w") as f:
        f["accounts/features"] = x
    what = f"two-stage {np.dtype(dtype).name} M = n"
    exact, err = fit(path, "ward", ["--cut-k", "6"])
    two, err2 = fit(path, "ward", ["--cut-k", "6", "--micro", str(n)])
    check(exact is not None and two is not None, f"{what}: {err} {err2}")
    if exact is None or two is None:
        continue
    Zs = linkage(x.astype(np.float64), "ward")
    check(rel_err(exact["linkage"][:, 2], Zs[:, 2]) <= 1e-9, f"{what}: exact vs scipy")
    check(rel_err(two["linkage"][:, 2], exact["linkage"][:, 2]) <= 1e-9,
          f"{what}: heights {rel_err(two['linkage'][:, 2], exact['linkage'][:, 2])}")
    micro = two["micro_labels"]
    check(sorted(micro.tolist()) == list(range(n)), f"{what}: micro-clusters are not singletons")
    point_of = np.empty(n, dtype=np.int64)
    point_of[micro] = np.arange(n)
    Zm = two["linkage"].copy()
    for c in (0, 1):
        ids = Zm[:, c].astype(np.int64)
        Zm[:, c] = np.where(ids < n, point_of[np.minimum(ids, n - 1)], ids)
    check(leaf_sets(Zm, n) == leaf_sets(exact["linkage"], n), f"{what}: trees differ")
    check(same_partition(two["labels"], exact["labels"]), f"{what}: cut labels differ")
    check(np.allclose(two["micro_sizes"], 1), f"{what}: sizes")

print(f"{checks - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
