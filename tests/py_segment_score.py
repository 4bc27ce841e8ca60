"""strata score's streaming paths end to end: with /transactions sorted by customer (as strata gen
writes it) CLV is scored block by block, without it /transactions is read whole with a note,
and both give the training labels exactly; errors met by the read-ahead thread in a later
block (a NaN feature, a NaN or negative amount) fail with the message of a plain read naming
the file, dataset and row, and leave no output.

usage: py_segment_score.py path/to/strata
"""
import json
import os
import shutil

from strata_test import check, finish, interleave_customers, need, path, run, tmp

h5py, np = need("h5py", "numpy")

N = 300000  # two blocks of the per-block CLV path (2^18 accounts each)
base = path("base.h5")
check(run("gen", "--customers", N, "--seed", 4, "--out", base).returncode == 0, "gen")
model = path("model.h5")
r = run("segment", "--in", base, "--out", model, "--k", 4, "--seed", 2)
check(r.returncode == 0, f"segment: {r.stderr}")
with h5py.File(model, "r") as f:
    train_labels = f["segments/label"][()]
    train_ids = f["segments/account_id"][()]


def score(src, out, *extra):
    r = run("score", "--model", model, "--in", src, "--out", out, "--json", *extra)
    return r, (json.loads(r.stdout)["results"] if r.returncode == 0 else None)


# ---- sorted by customer: per block, the training labels for 1 and 2 threads
for threads in (1, 2):
    out = path(f"scored-{threads}.h5")
    r, res = score(base, out, "--threads", threads)
    check(r.returncode == 0, f"score --threads {threads}: {r.stderr}")
    if res:
        check(res["transactions"] == "per block", f"per-block path: {res['transactions']}")
        check("transactions_note" not in res, "no note on the per-block path")
        with h5py.File(out, "r") as f:
            check(np.array_equal(f["segments/label"][()], train_labels), f"labels ({threads} threads)")
            check(np.array_equal(f["segments/account_id"][()], train_ids), "account ids")

# ---- customers interleaved (each customer's rows keep their order): read whole, with a note,
# and the same labels
shuffled = interleave_customers(base, "shuffled.h5")
out = path("scored-shuffled.h5")
r, res = score(shuffled, out)
check(r.returncode == 0, f"score shuffled: {r.stderr}")
if res:
    check(res["transactions"] == "whole", f"whole path: {res['transactions']}")
    check("not sorted by customer" in res.get("transactions_note", ""), f"note: {res.get('transactions_note')}")
    with h5py.File(out, "r") as f:
        check(np.array_equal(f["segments/label"][()], train_labels), "labels from the whole path")
r = run("score", "--model", model, "--in", shuffled, "--out", path("text.h5"))
check(r.returncode == 0 and "note: /transactions/customer_id is not sorted" in r.stdout,
      f"note printed: {r.stdout[-300:]!r}")

# ---- errors in the second block, met by the read-ahead thread
with h5py.File(base, "r") as f:
    cid = f["transactions/customer_id"][()]
    acc = f["accounts/id"][()]
row_acc = 270000  # second block
row_txn = int(np.searchsorted(cid, acc[row_acc]))  # a transaction of that account


def broken(name, edit):
    p = path(name)
    shutil.copy(base, p)
    with h5py.File(p, "r+") as f:
        edit(f)
    return p


def set_feature(f):
    f["accounts/features"][row_acc, 1] = np.nan


def set_amount(value):
    def edit(f):
        f["transactions/amount"][row_txn] = value
    return edit


cases = [
    (broken("nan-feature.h5", set_feature), f"/accounts/features row {row_acc}, column 1 is NaN"),
    (broken("nan-amount.h5", set_amount(np.nan)), f"/transactions/amount row {row_txn}, column 0 is NaN"),
    (broken("neg-amount.h5", set_amount(-1.0)),
     f"/transactions/amount row {row_txn} (customer {acc[row_acc]}) is -1: negative"),
]
for src, want in cases:
    out = path("bad-out.h5")
    r = run("score", "--model", model, "--in", src, "--out", out)
    # Every message names the file, the dataset and the row.
    check(r.returncode == 3 and want in r.stderr and src in r.stderr,
          f"{os.path.basename(src)}: exit {r.returncode}, {r.stderr!r}")
    check(not os.path.exists(out), f"{os.path.basename(src)}: no output")
check(not [p for p in os.listdir(tmp) if ".tmp-" in p], "no temporary files left")

finish()
