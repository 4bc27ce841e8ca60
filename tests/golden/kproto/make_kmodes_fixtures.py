"""Golden fixtures of strata's HUANG k-prototypes: small mixed data sets, their initial
prototypes and the Python kmodes package's (0.12.2) KPrototypes result from them.

usage: make_kmodes_fixtures.py [OUTDIR]     writes case_*.txt (default: this directory)
       import: cases() yields (name, text) for the checker tests/py_kproto_kmodes.py

Needs numpy and kmodes==0.12.2 (scripts/setup-test-venv.sh makes a venv with both). The data
are a pure function of each case's seed (numpy's PCG64), so re-running reproduces the files
bit for bit as long as kmodes does.

Every case is chosen so that kmodes never takes a random draw: every level of every
categorical column occurs (kmodes then encodes codes as themselves; given initial modes are
compared unencoded), the initial prototypes are k distinct rows (each attracts at least
itself in the first pass, so no random re-initialisation), and a spy on kmodes' random state
rejects any case in which a cluster empties during a pass (kmodes refills it from a random
member). Text format (one file per case, numbers as %.17g):
    line 1   n dn dc k max_iter weighted
    line 2   gamma
    line 3   dc level counts
    n lines  dn numbers, dc codes[, weight]
    k lines  initial numeric prototypes, then k lines initial codes
    1 line   kmodes labels_ (n)
    k lines  centroids (numeric), then k lines modes (codes)
    1 line   cost_, then 1 line n_iter_
"""
import os
import sys

import numpy as np

import kmodes
from kmodes import kprototypes
from kmodes.kprototypes import KPrototypes

KMODES_VERSION = "0.12.2"

# name, seed, n, dn, dc, k, levels, weighted, gamma, max_iter
CASES = [
    ("blobs_small", 1, 60, 2, 1, 2, [3], False, 0.7, 100),
    ("blobs_three", 2, 150, 3, 2, 3, [4, 2], False, 1.3, 100),
    ("mixed_four", 3, 240, 5, 3, 4, [3, 5, 2], False, 0.4, 100),
    ("weighted", 4, 120, 2, 2, 3, [3, 3], True, 0.9, 100),
    ("cat_heavy", 5, 200, 1, 4, 3, [2, 3, 4, 2], False, 2.5, 100),
    ("capped", 6, 300, 4, 2, 5, [6, 3], False, 0.25, 2),
    # Few rows per cluster and many levels: modes decided by ties (the smallest code wins).
    ("mode_ties", 7, 40, 1, 3, 4, [4, 5, 6], False, 1.0, 100),
]


class _Spy(np.random.RandomState):
    used = False

    def choice(self, *a, **kw):
        _Spy.used = True
        return super().choice(*a, **kw)


def _data(seed, n, dn, dc, k, levels):
    rng = np.random.default_rng(seed)
    centre = rng.normal(0.0, 2.0, size=(k, dn))
    pref = [rng.integers(0, L, size=k) for L in levels]
    truth = rng.integers(0, k, size=n)
    num = centre[truth] + rng.normal(0.0, 1.0, size=(n, dn))
    codes = np.empty((n, dc), dtype=np.int64)
    for t, L in enumerate(levels):
        keep = rng.random(n) < (0.2 if n < 50 else 0.6)
        codes[:, t] = np.where(keep, pref[t][truth], rng.integers(0, L, size=n))
        codes[:L, t] = np.arange(L)  # every level occurs: kmodes' encoding is the identity
    weights = rng.integers(1, 4, size=n).astype(np.float64)
    init_rows = rng.choice(n, size=k, replace=False)
    return num, codes, weights, init_rows


def run_kmodes(num, codes, weights, init_rows, k, gamma, max_iter, weighted):
    dn = num.shape[1]
    X = np.hstack([num, codes.astype(np.float64)])
    cat = list(range(dn, X.shape[1]))
    init = [num[init_rows].copy(), codes[init_rows].copy()]
    _Spy.used = False
    saved = kprototypes.check_random_state
    kprototypes.check_random_state = lambda s: _Spy(0)
    try:
        kp = KPrototypes(n_clusters=k, init=init, gamma=gamma, max_iter=max_iter, n_init=1)
        kp.fit(X, categorical=cat, sample_weight=list(weights) if weighted else None)
    finally:
        kprototypes.check_random_state = saved
    cents = kp._enc_cluster_centroids
    return (np.asarray(kp.labels_, dtype=np.int64), np.asarray(cents[0], dtype=np.float64),
            np.asarray(cents[1], dtype=np.int64), float(kp.cost_), int(kp.n_iter_), _Spy.used)


def _fmt(v):
    return "%.17g" % v


def cases():
    if kmodes.__version__ != KMODES_VERSION:
        raise RuntimeError(f"kmodes {kmodes.__version__}, the fixtures need {KMODES_VERSION}")
    for name, seed, n, dn, dc, k, levels, weighted, gamma, max_iter in CASES:
        for attempt in range(50):
            num, codes, weights, init_rows = _data(seed * 1000 + attempt, n, dn, dc, k, levels)
            labels, cnum, ccat, cost, n_iter, drew = run_kmodes(
                num, codes, weights, init_rows, k, gamma, max_iter, weighted)
            if not drew:
                break
        else:
            raise RuntimeError(f"{name}: every attempt emptied a cluster")
        out = [f"{n} {dn} {dc} {k} {max_iter} {int(weighted)}", _fmt(gamma),
               " ".join(str(L) for L in levels)]
        for i in range(n):
            row = [_fmt(v) for v in num[i]] + [str(int(c)) for c in codes[i]]
            if weighted:
                row.append(_fmt(weights[i]))
            out.append(" ".join(row))
        out += [" ".join(_fmt(v) for v in num[r]) for r in init_rows]
        out += [" ".join(str(int(c)) for c in codes[r]) for r in init_rows]
        out.append(" ".join(str(int(l)) for l in labels))
        out += [" ".join(_fmt(v) for v in cnum[j]) for j in range(k)]
        out += [" ".join(str(int(c)) for c in ccat[j]) for j in range(k)]
        out += [_fmt(cost), str(n_iter)]
        yield name, "\n".join(out) + "\n"


if __name__ == "__main__":
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, text in cases():
        with open(os.path.join(outdir, f"case_{name}.txt"), "w") as f:
            f.write(text)
        print(f"wrote case_{name}.txt")
