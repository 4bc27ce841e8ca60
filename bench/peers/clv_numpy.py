"""The numpy/scipy peer of `strata clv fit`: what an analyst would write without lifetimes —
vectorised numpy for the RFM summary, the BG/NBD and Gamma-Gamma log-likelihoods with
scipy.special, scipy.optimize.minimize (L-BFGS-B on log-parameters, numerical gradient), and
the closed-form scores (P(alive), E[Y(t)] with scipy.special.hyp2f1, Gamma-Gamma spend,
12-month discounted CLV as lifetimes). Same definitions as strata: same-day transactions are
one purchase, times in weeks (days / 7), calibration ends on the last transaction day.

usage: clv_numpy.py FILE.h5        prints one JSON object (seconds per phase, estimates)
"""
import json
import sys
import time

import h5py
import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

UNIT = 7.0


def rfm(cid, day, amount):
    end = day.max()
    key = cid.astype(np.int64) * 1_000_000 + (day - day.min()).astype(np.int64)
    keys, inv = np.unique(key, return_inverse=True)
    per_amount = np.bincount(inv, weights=amount)
    per_cid = keys // 1_000_000
    per_day = keys % 1_000_000 + day.min()
    ids, first_idx, counts = np.unique(per_cid, return_index=True, return_counts=True)
    last_idx = first_idx + counts - 1
    first_day, last_day = per_day[first_idx], per_day[last_idx]
    x = (counts - 1).astype(np.float64)
    t_x = (last_day - first_day) / UNIT
    T = (end - first_day) / UNIT
    totals = np.bincount(np.repeat(np.arange(len(ids)), counts), weights=per_amount)
    repeat_total = totals - per_amount[first_idx]
    monetary = np.where(x > 0, repeat_total / np.maximum(x, 1), 0.0)
    return ids, x, t_x, T, monetary


def bgnbd_nll(logp, x, tx, T):
    r, alpha, a, b = np.exp(logp)
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    A3 = -(r + x) * np.log(alpha + T)
    A4 = np.where(x > 0, np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + tx), -np.inf)
    ll = A1 + A2 + np.logaddexp(A3, A4)
    return -ll.sum() / len(x)


def gg_nll(logp, x, m):
    p, q, v = np.exp(logp)
    ll = (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v) + (p * x - 1) * np.log(m)
          + (p * x) * np.log(x) - (p * x + q) * np.log(x * m + v))
    return -ll.sum() / len(x)


def main():
    path = sys.argv[1]
    phases = {}
    t = time.perf_counter()
    with h5py.File(path, "r") as f:
        cid = f["transactions/customer_id"][()]
        day = f["transactions/day"][()]
        amount = f["transactions/amount"][()]
    phases["read"] = time.perf_counter() - t
    t = time.perf_counter()
    ids, x, tx, T, m = rfm(cid, day, amount)
    phases["rfm"] = time.perf_counter() - t
    t = time.perf_counter()
    res = minimize(bgnbd_nll, np.zeros(4), args=(x, tx, T), method="L-BFGS-B")
    r, alpha, a, b = np.exp(res.x)
    phases["fit purchases"] = time.perf_counter() - t
    t = time.perf_counter()
    rep = x > 0
    gres = minimize(gg_nll, np.zeros(3), args=(x[rep], m[rep]), method="L-BFGS-B")
    p, q, v = np.exp(gres.x)
    phases["fit spend"] = time.perf_counter() - t
    t = time.perf_counter()
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        ratio = np.where(x > 0, a / (b + x - 1) * ((alpha + T) / (alpha + tx)) ** (r + x), 0.0)
        p_alive = 1.0 / (1.0 + ratio)

        def expected(tt):
            z = tt / (alpha + T + tt)
            num = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + tt)) ** (r + x)
                                               * hyp2f1(r + x, b + x, a + b + x - 1, z))
            return num / (1 + ratio)

        ey52 = expected(52.0)
        spend = (p * (v + x * m) / (p * x + q - 1))
        clv = np.zeros_like(x)
        prev = np.zeros_like(x)
        for i in range(1, 13):
            cur = expected(i * 4.345)
            clv += spend * (cur - prev) / 1.01 ** i
            prev = cur
    phases["score"] = time.perf_counter() - t
    print(json.dumps({
        "phases": phases,
        "seconds": sum(v2 for k2, v2 in phases.items() if k2 != "read"),
        "customers": int(len(ids)),
        "bgnbd": [r, alpha, a, b], "gammagamma": [p, q, v],
        "mean_p_alive": float(np.nanmean(p_alive)), "total_clv": float(np.nansum(clv)),
        "nonfinite_scores": int((~np.isfinite(clv)).sum() + (~np.isfinite(ey52)).sum()),
    }))


if __name__ == "__main__":
    main()
