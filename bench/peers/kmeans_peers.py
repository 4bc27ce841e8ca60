"""Peers of `strata kmeans`, one per process (scikit-learn-intelex patches scikit-learn):

  kmeans_peers.py make FILE N D K SEED      blobs (float32) + initial centres into FILE
  kmeans_peers.py PEER MODE FILE K ITERS    PEER: sklearn-lloyd, sklearn-elkan, sklearnex, faiss,
                                            faiss-full (default mode: all rows, no subsample)
                                            MODE: iter (given centres, ITERS iterations, tol 0)
                                                  default (each tool's default fit)
  kmeans_peers.py sgemm                     GFLOP/s of a large float32 matmul (numpy's BLAS)

Prints one JSON object: seconds (fit only, data already in memory; in iter mode the best of
$REPEAT fits, default 1, after an untimed one with WARMUP=1), n_iter, inertia on the full
data, version.
"""
import json
import os
import sys
import time

import h5py
import numpy as np


def load(path):
    with h5py.File(path, "r") as f:
        return f["accounts/features"][()], f["init"][()]


def inertia_of(x, centres):
    # Exact squared distances in float64, in chunks: the same yardstick for every tool.
    total = 0.0
    c = centres.astype(np.float64)
    cn = (c * c).sum(1)
    for s in range(0, len(x), 65536):
        b = x[s:s + 65536].astype(np.float64)
        d = (b * b).sum(1)[:, None] + cn[None, :] - 2.0 * b @ c.T
        total += np.maximum(d.min(1), 0).sum()
    return total


def make_fit(peer, mode, x, init, k, iters):
    """(version, fit) where fit() runs one fit and returns (seconds, centres, n_iter)."""
    if peer.startswith("sklearn"):
        version = ""
        if peer == "sklearnex":
            import sklearnex
            sklearnex.patch_sklearn(verbose=False)
            from importlib.metadata import version as v
            version = "scikit-learn-intelex " + v("scikit-learn-intelex")
        import sklearn
        from sklearn.cluster import KMeans
        version = version or "scikit-learn " + sklearn.__version__
        alg = "elkan" if peer == "sklearn-elkan" else "lloyd"

        def fit():
            if mode == "iter":
                km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=iters, tol=0, algorithm=alg)
            else:
                km = KMeans(n_clusters=k, random_state=0, algorithm=alg)
            t = time.perf_counter()
            km.fit(x)
            return time.perf_counter() - t, km.cluster_centers_, int(km.n_iter_)
        return version, fit
    if peer.startswith("faiss"):
        import faiss
        d = x.shape[1]

        def fit():
            if mode == "iter":
                # All points every iteration (faiss subsamples 256 per centre by default).
                km = faiss.Kmeans(d, k, niter=iters, max_points_per_centroid=10 ** 9, seed=0)
                t = time.perf_counter()
                km.train(x, init_centroids=init)
            elif peer == "faiss-full":
                # faiss's defaults (25 iterations, random init) on every row instead of its
                # default subsample of 256 rows per centre: the like-for-like full fit.
                km = faiss.Kmeans(d, k, seed=0, max_points_per_centroid=10 ** 9)
                t = time.perf_counter()
                km.train(x)
            else:
                km = faiss.Kmeans(d, k, seed=0)
                t = time.perf_counter()
                km.train(x)
            return time.perf_counter() - t, km.centroids, km.cp.niter
        return "faiss " + faiss.__version__, fit
    raise SystemExit(f"unknown peer {peer}")


def main():
    what = sys.argv[1]
    if what == "make":
        path, n, d, k, seed = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
        rng = np.random.default_rng(seed)
        centres = rng.uniform(-10, 10, size=(k, d)).astype(np.float32)
        x = centres[rng.integers(0, k, n)] + rng.normal(scale=1.5, size=(n, d)).astype(np.float32)
        init = x[rng.choice(n, k, replace=False)]
        with h5py.File(path, "w") as f:
            f.create_dataset("accounts/features", data=x.astype(np.float32), chunks=(16384, d))
            f["init"] = init.astype(np.float32)
        return
    if what == "sgemm":
        a = np.random.default_rng(0).random((4096, 4096), dtype=np.float32)
        a @ a
        t = time.perf_counter()
        for _ in range(3):
            a @ a
        s = (time.perf_counter() - t) / 3
        print(json.dumps({"gflops": 2 * 4096 ** 3 / s / 1e9, "numpy": np.__version__}))
        return
    peer, mode, path, k, iters = what, sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    x, init = load(path)
    version, fit = make_fit(peer, mode, x, init, k, iters)
    # (a) is timed as the best of REPEAT fits, as strata's side is (the machine is shared);
    # every fit starts from the same centres, so the result is the same each time.
    seconds = None
    # WARMUP=1: one untimed fit first (the interleaved rounds of kmeans.sh time one fit per
    # process, which would otherwise include the first fit's thread-pool and page start-up).
    if mode == "iter" and os.environ.get("WARMUP") == "1":
        fit()
    for _ in range(int(os.environ.get("REPEAT", "1")) if mode == "iter" else 1):
        s, centres, n_iter = fit()
        seconds = s if seconds is None else min(seconds, s)
    print(json.dumps({"seconds": seconds, "n_iter": n_iter, "inertia": inertia_of(x, centres),
                      "version": version}))


if __name__ == "__main__":
    main()
