"""strata kmeans --k-range against scikit-learn (Debian's python3-sklearn) as independent truth:
for every k of the range, the Calinski-Harabasz, Davies-Bouldin and (exact, unsampled)
silhouette scores of /kmeans/selection equal sklearn.metrics' on the same labels, for float64
and float32 input; on blobs with a known number of clusters every criterion chooses it; the
sampled silhouette stays near the exact one; the output holds the chosen model, the table and
the JSON; 1 and 2 threads write the same file; bad flags exit 2.

usage: py_kmeans_select.py path/to/strata
"""
import json
import os

from strata_test import check, finish, need, run as run_strata, tmp

h5py, np, metrics = need("h5py", "numpy", "sklearn.metrics")
calinski_harabasz_score = metrics.calinski_harabasz_score
davies_bouldin_score = metrics.davies_bouldin_score
silhouette_score = metrics.silhouette_score


def run(args):
    return run_strata("kmeans", *args)


def close(a, b, rel):
    return abs(a - b) <= rel * max(abs(b), 1e-300)


rng = np.random.default_rng(7)
# Five separated blobs in 3 dimensions (the known truth is k = 5) plus a noisier set.
truth_k = 5
centres = rng.uniform(-20, 20, size=(truth_k, 3))
blobs = centres[rng.integers(0, truth_k, 1500)] + rng.normal(size=(1500, 3))
noisy = rng.normal(size=(1200, 4)) * [1, 2, 3, 4]

for name, x in (("blobs", blobs), ("noisy", noisy)):
    for dtype in (np.float64, np.float32):
        xd = x.astype(dtype)
        path = os.path.join(tmp, f"{name}-{np.dtype(dtype).name}.h5")
        with h5py.File(path, "w") as f:
            f["accounts/features"] = xd
        out = os.path.join(tmp, "sel.h5")
        common = ["--in", path, "--out", out, "--force", "--seed", "1", "--no-refine"]
        r = run(common + ["--k-range", "2:7", "--silhouette-sample", "0", "--json"])
        what = f"{name} {np.dtype(dtype).name}"
        check(r.returncode == 0, f"{what}: {r.stderr}")
        if r.returncode:
            continue
        res = json.loads(r.stdout)["results"]
        with h5py.File(out, "r") as f:
            table = f["kmeans/selection"][()]
            chosen_labels = f["kmeans/labels"][()]
            chosen_k = int(f["kmeans"].attrs["k"])
            check(int(f["kmeans/selection"].attrs["chosen_k"]) == chosen_k, f"{what}: chosen_k")
            check(f["kmeans/selection"].attrs["criterion"] == "silhouette", f"{what}: criterion")
        check(list(table["k"]) == list(range(2, 8)), f"{what}: table k column {table['k']}")
        check(len(res["selection"]) == 6, f"{what}: JSON table")
        rel = 1e-9 if dtype == np.float64 else 2e-5
        for row in table:
            k = int(row["k"])
            single = os.path.join(tmp, f"k{k}.h5")
            r1 = run(["--in", path, "--out", single, "--force", "--seed", "1", "--no-refine",
                      "-k", str(k)])
            check(r1.returncode == 0, f"{what} k={k}: {r1.stderr}")
            with h5py.File(single, "r") as f:
                labels = f["kmeans/labels"][()]
                check(close(float(f["kmeans"].attrs["inertia"]), float(row["inertia"]), 1e-12),
                      f"{what} k={k}: inertia of the table and of a single fit")
            xs = xd.astype(np.float64)
            ch = calinski_harabasz_score(xs, labels)
            db = davies_bouldin_score(xs, labels)
            sil = silhouette_score(xs, labels)
            check(close(row["calinski_harabasz"], ch, rel), f"{what} k={k}: CH {row['calinski_harabasz']} vs {ch}")
            check(close(row["davies_bouldin"], db, rel), f"{what} k={k}: DB {row['davies_bouldin']} vs {db}")
            check(abs(row["silhouette"] - sil) <= (1e-9 if dtype == np.float64 else 2e-5),
                  f"{what} k={k}: silhouette {row['silhouette']} vs {sil}")
            if k == chosen_k:
                check(np.array_equal(labels, chosen_labels), f"{what}: the chosen model's labels")
        best = int(table["k"][np.nanargmax(table["silhouette"])])
        check(chosen_k == best, f"{what}: chose {chosen_k}, best silhouette at {best}")
        if name == "blobs":
            check(chosen_k == truth_k, f"{what}: silhouette chose {chosen_k}, truth {truth_k}")
            for crit in ("calinski-harabasz", "davies-bouldin"):
                r2 = run(common + ["--k-range", "2:7", "--select", crit, "--json", "--quiet"])
                ok = r2.returncode == 0 and json.loads(r2.stdout)["results"]["k"] == truth_k
                check(ok, f"{what}: {crit} chose {r2.stdout[:200]} {r2.stderr}")

# The sampled silhouette (default 10,000 rows; here 400 of 1500) is near the exact one, and
# the run is the same for 1 and 2 threads.
path = os.path.join(tmp, "blobs-float64.h5")
outs = []
for threads in (1, 2):
    out = os.path.join(tmp, f"t{threads}.h5")
    r = run(["--in", path, "--out", out, "--force", "--k-range", "3:6", "--silhouette-sample",
             "400", "--threads", str(threads), "--quiet"])
    check(r.returncode == 0, f"threads {threads}: {r.stderr}")
    outs.append(out)
with h5py.File(outs[0], "r") as a, h5py.File(outs[1], "r") as b:
    ta, tb = a["kmeans/selection"][()], b["kmeans/selection"][()]
    for col in ("k", "inertia", "calinski_harabasz", "davies_bouldin", "silhouette", "n_iter"):
        check(np.array_equal(ta[col], tb[col]), f"column {col} differs between 1 and 2 threads")
    check(np.array_equal(a["kmeans/labels"][()], b["kmeans/labels"][()]),
          "labels differ between 1 and 2 threads")
    sampled = a["kmeans/selection"][()]
r = run(["--in", path, "--out", os.path.join(tmp, "exact.h5"), "--force", "--k-range", "3:6",
         "--silhouette-sample", "0", "--quiet"])
with h5py.File(os.path.join(tmp, "exact.h5"), "r") as f:
    exact = f["kmeans/selection"][()]
check(np.all(np.abs(sampled["silhouette"] - exact["silhouette"]) < 0.05),
      f"sampled silhouette {sampled['silhouette']} vs exact {exact['silhouette']}")

# The text table names the chosen k.
r = run(["--in", path, "--out", os.path.join(tmp, "txt.h5"), "--force", "--k-range", "4:6"])
check(r.returncode == 0 and "<- chosen" in r.stdout and "chosen k = 5 by silhouette" in r.stdout,
      f"text output: {r.stdout}")

# Usage errors exit 2 with a message naming the flag.
for args, needle in ((["--k-range", "5"], "--k-range"), (["--k-range", "6:3"], "--k-range"),
                     (["--k-range", "a:b"], "--k-range"), (["-k", "3", "--k-range", "2:4"], "either"),
                     (["--k-range", "2:4", "--select", "elbow"], "--select"),
                     ([], "either")):
    r = run(["--in", path, "--out", os.path.join(tmp, "bad.h5"), "--force"] + args)
    check(r.returncode == 2 and needle in r.stderr, f"{args}: exit {r.returncode}, {r.stderr}")

finish()
