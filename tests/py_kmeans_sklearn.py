"""strata kmeans against scikit-learn (Debian's python3-sklearn) as independent truth: from the
same initial centres, plain Lloyd (no refinement) gives the same labels, centres, inertia and
iteration count, with and without sample weights, for float32 and float64 input; the three
exact algorithms (lloyd, hamerly, yinyang) agree.

usage: py_kmeans_sklearn.py path/to/strata
"""
import os
import subprocess

from strata_test import check, finish, need, run, strata, tmp

h5py, np, cluster = need("h5py", "numpy", "sklearn.cluster")
KMeans = cluster.KMeans


rng = np.random.default_rng(42)
for dtype in (np.float64, np.float32):
    for weighted in (False, True):
        k, d, n = 7, 5, 4000
        centres = rng.uniform(-10, 10, size=(k, d))
        x = (centres[rng.integers(0, k, n)] + rng.normal(size=(n, d))).astype(dtype)
        w = rng.integers(1, 4, n).astype(np.float64) if weighted else None
        init = x[rng.choice(n, k, replace=False)]
        path = os.path.join(tmp, f"in-{np.dtype(dtype).name}-{weighted}.h5")
        with h5py.File(path, "w") as f:
            f["accounts/features"] = x
            f["init"] = init
            if weighted:
                f["accounts/weight"] = w
        ref = KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd", tol=1e-4,
                     max_iter=300).fit(x.astype(np.float64) if dtype == np.float64 else x,
                                       sample_weight=w)
        for algorithm in ("lloyd", "hamerly", "yinyang"):
            out = os.path.join(tmp, f"out-{algorithm}.h5")
            args = [strata, "kmeans", "--in", path, "-k", str(k), "--out", out, "--force",
                    "--init", "given", "--init-centers", "/init", "--algorithm", algorithm,
                    "--no-refine", "--quiet"]
            if weighted:
                args += ["--weights", "/accounts/weight"]
            r = subprocess.run(args, capture_output=True, text=True)
            what = f"{np.dtype(dtype).name} weighted={weighted} {algorithm}"
            check(r.returncode == 0, f"{what}: {r.stderr}")
            if r.returncode:
                continue
            with h5py.File(out, "r") as f:
                labels = f["kmeans/labels"][()]
                got = f["kmeans/centers"][()]
                inertia = float(f["kmeans"].attrs["inertia"])
                n_iter = int(f["kmeans"].attrs["n_iter"])
            check(got.dtype == dtype, f"{what}: centres kept the input type")
            check(np.array_equal(labels, ref.labels_), f"{what}: labels differ from scikit-learn")
            rtol = 1e-10 if dtype == np.float64 else 2e-6
            check(np.allclose(got, ref.cluster_centers_, rtol=rtol, atol=rtol),
                  f"{what}: centres differ by {np.abs(got - ref.cluster_centers_).max()}")
            check(abs(inertia - ref.inertia_) <= 1e-5 * ref.inertia_,
                  f"{what}: inertia {inertia} vs {ref.inertia_}")
            check(n_iter == ref.n_iter_, f"{what}: {n_iter} iterations vs {ref.n_iter_}")

finish()
