"""The peer of `strata gen`: the same synthetic customer base written the way a data
scientist would, with vectorised numpy (BG/NBD purchases, Gamma-Gamma spend, segment
features) and h5py. Same model and parameters; its own random stream, so the data are equal
in distribution, not in bytes.

usage: gen_numpy.py N SEED OUT.h5
"""
import sys
import time

import h5py
import numpy as np

# Same defaults as strata_gen_params_init and the segment table of src/gen/segments.c.
R, ALPHA, A, B = 0.9, 25.0, 0.9, 9.0
P_SPEND, Q, GAMMA = 6.25, 3.74, 15.44
START_DAY, COHORT, WINDOW = 19723, 365, 730
WEIGHTS = np.array([0.24, 0.20, 0.16, 0.13, 0.09])
TENURE = np.array([24.0, 5.0, 48.0, 14.0, 90.0])
EMPLOYEES = np.array([12.0, 2.0, 150.0, 25.0, 2500.0])
TICKETS = np.array([1.0, 0.3, 4.0, 2.0, 12.0])
DISCOUNT = np.array([0.10, 0.05, 0.20, 0.55, 0.25])
SESSIONS = np.array([6.0, 2.0, 20.0, 12.0, 45.0])
HOME = np.array([0, 1, 2, 3, 4])


def main():
    n, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    t_start = time.perf_counter()
    rng = np.random.default_rng(seed)
    lam = rng.gamma(R, 1.0 / ALPHA, n)
    drop = rng.beta(A, B, n)
    nu = rng.gamma(Q, 1.0 / GAMMA, n)
    t0 = rng.uniform(0.0, COHORT, n)

    # BG/NBD purchase process, one vectorised round per purchase number.
    cust = [np.arange(n)]
    times = [t0]
    t = t0.copy()
    idx = np.arange(n)
    while idx.size:
        t[idx] += rng.exponential(1.0 / lam[idx])
        idx = idx[t[idx] < WINDOW]
        cust.append(idx)
        times.append(t[idx].copy())
        idx = idx[rng.random(idx.size) >= drop[idx]]
    cust = np.concatenate(cust)
    times = np.concatenate(times)
    order = np.lexsort((times, cust))
    cust, times = cust[order], times[order]
    day = (START_DAY + np.floor(times)).astype(np.int32)
    amount = np.maximum(np.round(rng.gamma(P_SPEND, 1.0 / nu[cust]), 2), 0.01)

    seg = rng.choice(len(WEIGHTS), n, p=WEIGHTS / WEIGHTS.sum())
    feats = np.empty((n, 6))
    feats[:, 0] = rng.gamma(4.0, TENURE[seg] / 4.0)
    feats[:, 1] = np.maximum(np.round(EMPLOYEES[seg] * np.exp(0.5 * rng.standard_normal(n))), 1)
    home = rng.random(n) < 0.5
    other = rng.integers(0, 5, n)
    feats[:, 2] = np.where(home, HOME[seg], (HOME[seg] + 1 + other) % 6)
    feats[:, 3] = rng.poisson(TICKETS[seg])
    feats[:, 4] = rng.beta(DISCOUNT[seg] * 20, (1 - DISCOUNT[seg]) * 20)
    feats[:, 5] = rng.gamma(3.0, SESSIONS[seg] / 3.0)
    t_gen = time.perf_counter() - t_start

    with h5py.File(out, "w") as f:
        f["accounts/id"] = np.arange(10000001, 10000001 + n, dtype=np.int64)
        f.create_dataset("accounts/features", data=feats, chunks=(min(n, 21845), 6))
        f["accounts/feature_names"] = np.array(
            ["tenure_months", "employees", "region", "support_tickets", "discount_share",
             "web_sessions"], dtype=h5py.string_dtype())
        f["transactions/customer_id"] = (10000001 + cust).astype(np.int64)
        f["transactions/day"] = day
        f["transactions/amount"] = amount
        f["truth/segment"] = seg.astype(np.int32)
        f["truth/lambda"] = lam
        f["truth/dropout_p"] = drop
        f["truth/nu"] = nu
        f["truth/T"] = WINDOW - t0
    total = time.perf_counter() - t_start
    print(f'{{"customers": {n}, "transactions": {cust.size}, "generate": {t_gen:.4f}, '
          f'"seconds": {total:.4f}}}')


if __name__ == "__main__":
    main()
