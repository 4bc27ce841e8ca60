"""The peer of `strata segment`: the same pipeline as a data scientist would write it with
pandas + scikit-learn + lifetimes + kmodes, on the first N customers of a `strata gen` file
(and their transactions).

  read        h5py: account features, the customers' transactions (a prefix: grouped by customer)
  rfm         lifetimes.utils.summary_data_from_transaction_data (weeks, as strata's default)
  clv fit     BetaGeoFitter on (frequency, recency, T); GammaGammaFitter on repeat buyers
  clv score   P(alive) and 12-month discounted CLV for every customer
  features    account features + frequency + spend per purchase (revenue / transactions, a
              pandas groupby), log1p of skewed (skew > 1) non-negative numeric columns, z-scores
              (StandardScaler); the categorical columns (the file's 'categorical' attribute)
              stay level codes
  kprototypes kmodes.KPrototypes for k = 3..8 on the numeric + categorical columns of the first
              M customers (kmodes cannot do millions), default gamma (0.5 x the mean sd of the
              numeric columns), init Cao, n_init 1 (strata's --n-init default; kmodes' own
              default of 10 would be ~10x this phase), random_state 0
  choose k    the Calinski-Harabasz index of the numeric part (sklearn), the best k; the costs
              are kept too (the elbow a person would look at)
  assign      KPrototypes.predict for all N customers with the chosen model
  profile     per-segment means / medians, P(alive), size and CLV share with groupby

usage: segment_kprototypes.py FILE.h5 N M     prints one JSON object with the seconds of each phase
"""
import json
import os
import sys
import time
import warnings

import h5py
import numpy as np
import pandas as pd
from kmodes.kprototypes import KPrototypes
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data
from sklearn.metrics import calinski_harabasz_score
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")


def text(s):
    return s.decode() if isinstance(s, bytes) else str(s)


def main():
    path, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    m = min(m, n)
    phases = {}
    t = time.perf_counter()
    with h5py.File(path, "r") as f:
        feats = f["accounts/features"]
        names = [text(s) for s in f["accounts/feature_names"][()]]
        categorical = [c for c in text(feats.attrs.get("categorical", "")).split(",") if c]
        acc = pd.DataFrame(feats[:n], columns=names)
        ids = f["accounts/id"][:n]
        acc["customer_id"] = ids
        # Transactions are grouped by customer in id order: the first n customers' rows are a
        # prefix, found by bisecting the id column on disk (h5py reads only what it touches).
        cid = f["transactions/customer_id"]
        lo, hi = 0, cid.shape[0]
        last = ids[-1]
        while lo < hi:
            mid = (lo + hi) // 2
            if cid[mid] <= last:
                lo = mid + 1
            else:
                hi = mid
        tx = pd.DataFrame({"customer_id": cid[:lo],
                           "date": pd.to_datetime(f["transactions/day"][:lo], unit="D"),
                           "amount": f["transactions/amount"][:lo]})
    phases["read"] = time.perf_counter() - t

    t = time.perf_counter()
    rfm = summary_data_from_transaction_data(tx, "customer_id", "date", monetary_value_col="amount",
                                             freq="D", freq_multiplier=7)
    phases["rfm"] = time.perf_counter() - t
    t = time.perf_counter()
    bg = BetaGeoFitter().fit(rfm["frequency"], rfm["recency"], rfm["T"])
    rep = rfm[(rfm["frequency"] > 0) & (rfm["monetary_value"] > 0)]
    gg = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    phases["clv fit"] = time.perf_counter() - t
    t = time.perf_counter()
    rfm["p_alive"] = bg.conditional_probability_alive(rfm["frequency"], rfm["recency"], rfm["T"])
    rfm["clv"] = gg.customer_lifetime_value(bg, rfm["frequency"], rfm["recency"], rfm["T"],
                                            rfm["monetary_value"], time=12, discount_rate=0.01,
                                            freq="W")
    phases["clv score"] = time.perf_counter() - t

    t = time.perf_counter()
    spend = tx.groupby("customer_id")["amount"].agg(["sum", "count"])
    rfm["spend_per_purchase"] = spend["sum"] / spend["count"]
    df = acc.merge(rfm, left_on="customer_id", right_index=True, how="left")
    numeric = [c for c in names if c not in categorical] + ["frequency", "spend_per_purchase"]
    X = df[numeric].astype(float).fillna(0.0)
    for c in numeric:
        if X[c].min() >= 0 and X[c].skew() > 1:
            X[c] = np.log1p(X[c])
    Z = StandardScaler().fit_transform(X.values)
    mixed = np.empty((n, len(numeric) + len(categorical)), dtype=object)
    mixed[:, :len(numeric)] = Z
    mixed[:, len(numeric):] = df[categorical].values.astype(int)
    cat_idx = list(range(len(numeric), len(numeric) + len(categorical)))
    phases["features"] = time.perf_counter() - t

    t = time.perf_counter()
    fits, costs, iters = {}, {}, {}
    sample = mixed[:m]
    for k in range(3, 9):
        kp = KPrototypes(n_clusters=k, init="Cao", n_init=1, random_state=0)
        kp.fit(sample, categorical=cat_idx)
        fits[k], costs[k], iters[k] = kp, float(kp.cost_), int(kp.n_iter_)
    phases["kprototypes"] = time.perf_counter() - t

    t = time.perf_counter()
    ch = {k: float(calinski_harabasz_score(Z[:m], fits[k].labels_)) for k in fits}
    best_k = max(ch, key=ch.get)
    best = fits[best_k]
    phases["choose k"] = time.perf_counter() - t

    t = time.perf_counter()
    df["segment"] = best.predict(mixed, categorical=cat_idx)
    phases["assign"] = time.perf_counter() - t

    t = time.perf_counter()
    profile = df.groupby("segment").agg({**{c: ["mean", "median"] for c in numeric},
                                         "p_alive": "mean", "customer_id": "count"})
    levels = {c: df.groupby("segment")[c].value_counts(normalize=True) for c in categorical}
    clv_share = df.groupby("segment")["clv"].sum() / df["clv"].sum()
    phases["profile"] = time.perf_counter() - t
    print(json.dumps({"customers": n, "kprototypes_customers": m, "transactions": int(len(tx)),
                      "phases": phases, "seconds": sum(phases.values()), "k": int(best_k),
                      "k_criterion": "calinski-harabasz on the numeric part",
                      "calinski_harabasz": ch, "cost": costs, "n_iter": iters,
                      "gamma": float(best.gamma), "segments": int(len(profile)),
                      "levels_profiled": len(levels),
                      "clv_share": [float(v) for v in clv_share],
                      "threads": int(os.environ.get("OMP_NUM_THREADS", "0"))}))


if __name__ == "__main__":
    main()
