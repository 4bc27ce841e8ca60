#!/usr/bin/python3
"""RFM scores and named cells of every CDNOW customer, by a plain pandas/numpy version of the
rule of the R package rfm 0.3.0, written independently of strata's C code. The golden file
cdnow_rfm.csv beside this script is its output; tests/test_segment_lenses.c compares strata
with it exactly and tests/py_lens_rfm_cdnow.py re-runs this script to check that it still
gives the same file.

Usage: make_cdnow_rfm.py CDNOW_master.txt rfm_rules.csv OUT.csv

The rule (rfm 0.3.0, R/rfm-table-transaction.R and R/utils.R):
  recency_days      = analysis_date - last order date; analysis_date = the day after the
                      last transaction of the file (1998-07-01 for CDNOW's master log)
  transaction_count = number of rows of the customer (rfm's n())
  amount            = sum of the rows' dollar values (rfm's sum(revenue)), in file order
  breaks b_j        = quantile(x, j/5, type = 7) + 1, j = 1..4, with R's arithmetic
  bin(x)            = 1 + #{j : b_j <= x}   (intervals [min, b_1), ..., [b_4, max + 1))
  R = 6 - bin(recency_days), F = bin(transaction_count), M = bin(amount)
Cells: rule rows of rfm_rules.csv (segment, inclusive score ranges), distinct names numbered
in order of first appearance; cell_first = the first matching row wins (rfm 0.3.0's
rfm_segment), cell_last = the last matching row wins (rfm <= 0.2.1); -1 = Others.
"""
import sys

import numpy as np
import pandas as pd

BINS = 5


def r_quantile7(x, prob):
    """R's quantile.default(x, prob, type = 7), operation for operation."""
    s = np.sort(np.asarray(x, dtype=np.float64))
    n = len(s)
    index = 1.0 + float(max(n - 1, 0)) * prob
    lo = np.floor(index)
    hi = np.ceil(index)
    qs = s[int(lo) - 1]
    xhi = s[int(hi) - 1]
    if index > lo and xhi != qs:
        h = index - lo
        qs = (1.0 - h) * qs + h * xhi
    return float(qs)


def rfm_bin(x, bins=BINS):
    by = 1.0 / bins  # R: seq(0, 1, length.out = bins + 1) = j * (1 / bins)
    breaks = [r_quantile7(x, j * by) + 1.0 for j in range(1, bins)]
    b = np.zeros(len(x), dtype=np.int64) + 1
    for br in breaks:
        b += (np.asarray(x) >= br)
    return b, breaks


def main():
    master, rules_path, out = sys.argv[1:4]
    # One header line (customer_id date number_of_cds dollar_value), CRLF line ends.
    log = pd.read_csv(master, sep=r"\s+", header=0, names=["id", "date", "qty", "amount"],
                      dtype={"id": np.int64, "date": str, "qty": np.int64, "amount": str})
    log["amount"] = log["amount"].map(float)  # correctly rounded, as strtod
    day = (pd.to_datetime(log["date"], format="%Y%m%d") - pd.Timestamp("1970-01-01")).dt.days
    log["day"] = day.astype(np.int64)
    as_of = int(log["day"].max()) + 1
    ids = np.sort(log["id"].unique())
    idx = np.searchsorted(ids, log["id"].to_numpy())
    g = log.groupby("id")
    last = g["day"].max().reindex(ids).to_numpy()
    count = g.size().reindex(ids).to_numpy().astype(np.float64)
    # bincount adds the rows in file order, one by one (pandas' groupby sum would use Kahan
    # summation, a different last bit than rfm's plain sum).
    amount = np.bincount(idx, weights=log["amount"].to_numpy(), minlength=len(ids))
    recency = (as_of - last).astype(np.float64)

    rbin, rbr = rfm_bin(recency)
    r = BINS + 1 - rbin
    f, fbr = rfm_bin(count)
    m, mbr = rfm_bin(amount)

    rules = pd.read_csv(rules_path, dtype=str, keep_default_na=False)
    names = list(dict.fromkeys(rules["segment"]))
    first = np.full(len(ids), -1, dtype=np.int64)
    last_match = np.full(len(ids), -1, dtype=np.int64)
    for _, row in rules.iterrows():
        lo = [int(row[c]) for c in ("r_lo", "f_lo", "m_lo")]
        hi = [int(row[c]) for c in ("r_hi", "f_hi", "m_hi")]
        hit = ((r >= lo[0]) & (r <= hi[0]) & (f >= lo[1]) & (f <= hi[1]) & (m >= lo[2]) &
               (m <= hi[2]))
        cell = names.index(row["segment"])
        first[hit & (first < 0)] = cell
        last_match[hit] = cell

    with open(out, "w", newline="\n") as fh:
        fh.write("# RFM scores of the CDNOW master log by tests/golden/lens/make_cdnow_rfm.py\n")
        fh.write("# as_of_day %d\n" % as_of)
        fh.write("# r_breaks %s\n" % " ".join(repr(v) for v in rbr))
        fh.write("# f_breaks %s\n" % " ".join(repr(v) for v in fbr))
        fh.write("# m_breaks %s\n" % " ".join(repr(v) for v in mbr))
        fh.write("# cells %s\n" % "|".join(names))
        fh.write("id,r,f,m,cell_first,cell_last\n")
        for i in range(len(ids)):
            fh.write("%d,%d,%d,%d,%d,%d\n" % (ids[i], r[i], f[i], m[i], first[i],
                                             last_match[i]))


if __name__ == "__main__":
    main()
