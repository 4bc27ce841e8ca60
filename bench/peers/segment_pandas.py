"""The peer of `strata segment`: the same pipeline as a data scientist would write it with
pandas + scikit-learn + lifetimes. Reads the same HDF5 file (h5py), RFM with lifetimes'
summary_data_from_transaction_data (weeks), BetaGeoFitter + GammaGammaFitter, P(alive) and
12-month CLV, features (account columns but the nominal region, plus frequency, recency,
monetary, clv), log1p of skewed non-negative columns, StandardScaler, KMeans for k = 3..8 with
calinski_harabasz_score, the same 3-5 preference, and per-segment profiles with groupby.

usage: segment_pandas.py FILE.h5      prints one JSON object with the seconds of each phase
"""
import json
import sys
import time
import warnings

import h5py
import numpy as np
import pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")


def main():
    path = sys.argv[1]
    phases = {}
    t = time.perf_counter()
    with h5py.File(path, "r") as f:
        acc = pd.DataFrame(f["accounts/features"][()],
                           columns=[s.decode() if isinstance(s, bytes) else s
                                    for s in f["accounts/feature_names"][()]])
        acc["customer_id"] = f["accounts/id"][()]
        tx = pd.DataFrame({"customer_id": f["transactions/customer_id"][()],
                           "date": pd.to_datetime(f["transactions/day"][()], unit="D"),
                           "amount": f["transactions/amount"][()]})
    phases["read"] = time.perf_counter() - t

    t = time.perf_counter()
    rfm = summary_data_from_transaction_data(tx, "customer_id", "date", monetary_value_col="amount",
                                             freq="D", freq_multiplier=7)
    phases["rfm"] = time.perf_counter() - t
    t = time.perf_counter()
    bg = BetaGeoFitter().fit(rfm["frequency"], rfm["recency"], rfm["T"])
    rep = rfm[rfm["frequency"] > 0]
    gg = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    phases["clv fit"] = time.perf_counter() - t
    t = time.perf_counter()
    rfm["p_alive"] = bg.conditional_probability_alive(rfm["frequency"], rfm["recency"], rfm["T"])
    rfm["clv"] = gg.customer_lifetime_value(bg, rfm["frequency"], rfm["recency"], rfm["T"],
                                            rfm["monetary_value"], time=12, discount_rate=0.01,
                                            freq="W")
    phases["clv score"] = time.perf_counter() - t

    t = time.perf_counter()
    df = acc.merge(rfm, left_on="customer_id", right_index=True, how="left").fillna(0.0)
    cols = [c for c in acc.columns if c not in ("customer_id", "region")] + \
        ["frequency", "recency", "monetary_value", "clv"]
    X = df[cols].astype(float)
    for c in cols:
        if X[c].min() >= 0 and X[c].skew() > 1:
            X[c] = np.log1p(X[c])
    Z = StandardScaler().fit_transform(X.values)
    phases["features"] = time.perf_counter() - t

    t = time.perf_counter()
    best, best_score, fits = None, -np.inf, {}
    for k in range(3, 9):
        km = KMeans(n_clusters=k, n_init=1, random_state=0).fit(Z)
        ch = calinski_harabasz_score(Z, km.labels_)
        score = ch if 3 <= k <= 5 else ch / 1.15
        fits[k] = ch
        if score > best_score:
            best, best_score = km, score
    phases["kmeans"] = time.perf_counter() - t

    t = time.perf_counter()
    df["segment"] = best.labels_
    profile = df.groupby("segment").agg({**{c: ["mean", "median"] for c in cols},
                                         "p_alive": "mean", "customer_id": "count"})
    clv_share = df.groupby("segment")["clv"].sum() / df["clv"].sum()
    phases["profile"] = time.perf_counter() - t
    print(json.dumps({"phases": phases, "seconds": sum(phases.values()), "k": int(best.n_clusters),
                      "calinski_harabasz": fits, "segments": int(len(profile)),
                      "clv_share": [float(v) for v in clv_share]}))


if __name__ == "__main__":
    main()
