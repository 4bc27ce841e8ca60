"""Peers of bench/hier.sh: fastcluster, SciPy and genieclust on the same rows as strata hier.

usage:
  hier_peers.py make FILE N D SEED             write N x D float64 blobs to FILE (/accounts/features)
  hier_peers.py run PEER METHOD FILE [STRATA_OUT]
        PEER: fastcluster-vector (linkage_vector), fastcluster (linkage on the condensed
        matrix, pdist not timed), scipy (linkage from the vectors, pdist included as scipy does
        it), genieclust (Genie with gini_threshold=1: single linkage's MST tree)
        prints JSON {"seconds", "max_rel_height_diff" and "same_merges" vs STRATA_OUT's
        /hier/linkage}; seconds is the best of $REPEAT calls (default 1)
"""
import json
import os
import sys
import time

import h5py
import numpy as np


def make(path, n, d, seed):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(24, d))
    x = centres[rng.integers(0, 24, n)] + rng.normal(size=(n, d))
    with h5py.File(path, "w") as f:
        f["accounts/features"] = x


def once(peer, method, x, D):
    """Runs the peer once; returns (seconds, Z or None)."""
    if peer == "fastcluster-vector":
        import fastcluster
        t = time.perf_counter()
        Z = fastcluster.linkage_vector(x, method)
        return time.perf_counter() - t, Z
    if peer == "fastcluster":
        import fastcluster
        t = time.perf_counter()
        Z = fastcluster.linkage(D, method)
        return time.perf_counter() - t, Z
    if peer == "scipy":
        from scipy.cluster.hierarchy import linkage
        t = time.perf_counter()
        Z = linkage(x, method)
        return time.perf_counter() - t, Z
    if peer == "genieclust":
        import genieclust
        t = time.perf_counter()
        g = genieclust.Genie(n_clusters=1, gini_threshold=1.0)
        g.fit(x)
        return time.perf_counter() - t, None
    raise SystemExit(f"unknown peer {peer}")


def run(peer, method, path, strata_out=None):
    x = h5py.File(path, "r")["accounts/features"][()].astype(np.float64)
    D = None
    if peer == "fastcluster":
        from scipy.spatial.distance import pdist
        D = pdist(x)  # not timed: fastcluster.linkage is handed the condensed matrix
    dt, Z = float("inf"), None
    for _ in range(int(os.environ.get("REPEAT", "1"))):
        t, Z = once(peer, method, x, D)
        dt = min(dt, t)
    res = {"seconds": dt}
    if Z is not None and strata_out:
        S = h5py.File(strata_out, "r")["hier/linkage"][()]
        rel = np.abs(S[:, 2] - Z[:, 2]) / np.maximum(np.abs(Z[:, 2]), 1e-300)
        res["max_rel_height_diff"] = float(rel.max())
        res["same_merges"] = bool(np.array_equal(S[:, [0, 1, 3]], Z[:, [0, 1, 3]]))
    print(json.dumps(res))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] if len(sys.argv) > 5 else None)
