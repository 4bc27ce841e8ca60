"""The lifetimes peer of `strata clv fit`: summary_data_from_transaction_data (weeks), the
BetaGeoFitter and GammaGammaFitter fits, P(alive), E[Y(52)] and 12-month CLV, on the first N
customers of the file (lifetimes is too slow for a million; the caller scales honestly).

usage: clv_lifetimes.py FILE.h5 N
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

warnings.filterwarnings("ignore")


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    with h5py.File(path, "r") as f:
        cid = f["transactions/customer_id"][()]
        day = f["transactions/day"][()]
        amount = f["transactions/amount"][()]
    keep = cid < cid.min() + n  # generated ids are consecutive: the first n customers
    df = pd.DataFrame({"customer_id": cid[keep],
                       "date": pd.to_datetime(day[keep], unit="D"),
                       "amount": amount[keep]})
    phases = {}
    t = time.perf_counter()
    s = summary_data_from_transaction_data(df, "customer_id", "date", monetary_value_col="amount",
                                           freq="D", freq_multiplier=7)
    phases["rfm"] = time.perf_counter() - t
    t = time.perf_counter()
    bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    phases["fit purchases"] = time.perf_counter() - t
    t = time.perf_counter()
    rep = s[s["frequency"] > 0]
    gg = GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    phases["fit spend"] = time.perf_counter() - t
    t = time.perf_counter()
    pa = bg.conditional_probability_alive(s["frequency"], s["recency"], s["T"])
    ey = bg.conditional_expected_number_of_purchases_up_to_time(52, s["frequency"], s["recency"], s["T"])
    clv = gg.customer_lifetime_value(bg, s["frequency"], s["recency"], s["T"], s["monetary_value"],
                                     time=12, discount_rate=0.01, freq="W")
    phases["score"] = time.perf_counter() - t
    print(json.dumps({"phases": phases, "seconds": sum(phases.values()), "customers": int(len(s)),
                      "bgnbd": [float(bg.params_[k]) for k in ("r", "alpha", "a", "b")],
                      "gammagamma": [float(gg.params_[k]) for k in ("p", "q", "v")],
                      "mean_p_alive": float(np.mean(pa)), "total_clv": float(np.sum(clv)),
                      "nonfinite_scores": int((~np.isfinite(ey)).sum() + (~np.isfinite(clv)).sum())}))


if __name__ == "__main__":
    main()
