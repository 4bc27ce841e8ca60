"""strata segment --k-criterion: the latent class BIC (default) finds the true number of latent
segments of generated bases (3 and 4 of the generator's prototypes) from the account features;
Calinski-Harabasz and the sampled silhouette run as asked; every candidate's scores (BIC, CH,
stability, silhouette when asked) reach /segments and --json, the silhouette equals
scikit-learn's on the same rows of the mixed cost's embedding, and a bad criterion is a usage
error naming the flag.

usage: py_segment_kcriterion.py path/to/strata
"""
import json
import os

from strata_test import check, finish, need, path, run

h5py, np, metrics = need("h5py", "numpy", "sklearn.metrics")

for segments, seed in ((3, 303), (4, 404)):
    base = path(f"base-{segments}-{seed}.h5")
    check(run("gen", "--customers", 20000, "--seed", seed, "--segments", segments, "--out", base)
          .returncode == 0, "gen")
    with h5py.File(base, "r") as f:
        truth = f["truth/segment"][()]
    for criterion in ("bic", "calinski-harabasz", "silhouette"):
        out = path(f"seg-{segments}-{seed}-{criterion}.h5")
        r = run("segment", "--in", base, "--out", out, "--no-clv", "--json", "--k-criterion",
                criterion)
        what = f"{segments} segments, seed {seed}, {criterion}"
        check(r.returncode == 0, f"{what}: {r.stderr}")
        if r.returncode != 0:
            continue
        res = json.loads(r.stdout)["results"]
        # Distance criteria keep improving as segments split along single features; only the
        # BIC is held to the true k.
        if criterion == "bic":
            check(res["k"] == segments, f"{what}: chose k = {res['k']}")
        want = criterion
        check(res["k_criterion"] == want, f"{what}: criterion {res['k_criterion']}")
        ks = [row["k"] for row in res["k_selection"]]
        check(ks == list(range(3, 9)), f"{what}: every candidate scored: {ks}")
        for row in res["k_selection"]:
            check(row["calinski_harabasz"] > 0, f"{what}: CH of k = {row['k']}")
            check(0 <= row["jaccard_min"] <= row["jaccard_mean"] <= 1,
                  f"{what}: stability of k = {row['k']}")
            check(np.isfinite(row["bic"]), f"{what}: BIC of k = {row['k']}")
            if criterion == "silhouette":
                check(-1 <= row["silhouette"] <= 1 and row["davies_bouldin"] > 0,
                      f"{what}: silhouette and Davies-Bouldin of k = {row['k']}")
            else:
                check("silhouette" not in row, f"{what}: no silhouette asked for")
        with h5py.File(out, "r") as f:
            labels = f["segments/label"][()]
            table = f["segments/k_selection"][()]
            check(f["segments"].attrs["k_criterion"] in (want, want.encode()),
                  f"{what}: /segments@k_criterion")
            check(list(table["k"]) == ks, f"{what}: /segments/k_selection rows")
            check(np.allclose(table["calinski_harabasz"],
                              [row["calinski_harabasz"] for row in res["k_selection"]]),
                  f"{what}: CH in the file = --json")
            if criterion == "silhouette":
                check(np.allclose(table["silhouette"], [row["silhouette"] for row in res["k_selection"]]),
                      f"{what}: silhouette in the file = --json")
        ari = metrics.adjusted_rand_score(truth, labels)
        if criterion == "bic":
            check(ari >= 0.9, f"{what}: ARI {ari:.3f} < 0.9")
        print(f"{what}: k = {res['k']}, ARI {ari:.3f}")

# The silhouette of the chosen k against scikit-learn's: n <= 10,000 rows so the score is exact
# on all of them: the scaled numeric features plus each nominal column one-hot at
# sqrt(gamma / 2), whose squared distances are the k-prototypes cost.
small = path("small.h5")
check(run("gen", "--customers", 3000, "--seed", 5, "--segments", 4, "--out", small).returncode == 0,
      "gen small")
out = path("small-seg.h5")
r = run("segment", "--in", small, "--out", out, "--no-clv", "--json", "--k-criterion", "silhouette",
        "--k-range", "4:4", "--log1p", "none")
check(r.returncode == 0, f"segment small: {r.stderr}")
if r.returncode == 0:
    res = json.loads(r.stdout)["results"]
    with h5py.File(small, "r") as f, h5py.File(out, "r") as g:
        names = [s.decode() if isinstance(s, bytes) else s for s in f["accounts/feature_names"][()]]
        x = f["accounts/features"][()]
        used = [names.index(fe["name"]) for fe in res["features"] if fe["used"]]
        z = (x[:, used] - x[:, used].mean(axis=0)) / x[:, used].std(axis=0)
        gamma = float(g["model"].attrs["gamma"])
        nominal = [names.index(c["name"]) for c in res["nominal_features"]]
        onehot = [(x[:, j][:, None] == np.unique(x[:, j])[None, :]) * np.sqrt(gamma / 2)
                  for j in nominal]
        z = np.hstack([z] + onehot)
        labels = g["segments/label"][()]
    # The score belongs to the selection fit; the final labels come from its refinement, which
    # moves few rows on separated data: a small tolerance covers that.
    ours = res["k_selection"][0]["silhouette"]
    ref = metrics.silhouette_score(z, labels)
    check(abs(ours - ref) < 2e-3, f"silhouette {ours:.4f} vs scikit-learn {ref:.4f}")
    print(f"silhouette k = 4: strata {ours:.4f}, scikit-learn {ref:.4f}")

# ---- bad values are usage errors naming the flag, with nothing written
bad_out = path("bad.h5")
for value in ("foo", "CH", ""):
    r = run("segment", "--in", small, "--out", bad_out, "--k-criterion", value)
    check(r.returncode == 2 and "--k-criterion" in r.stderr, f"--k-criterion {value!r}: {r.stderr!r}")
check(not os.path.exists(bad_out), "no output after bad flags")

finish()
