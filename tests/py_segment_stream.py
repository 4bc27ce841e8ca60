"""strata segment's streamed RFM summary: a transaction log too large for the memory budget's
share (here forced with --memory) is summarised chunk by chunk of customers while the next
chunk is read, and gives the whole-log results bit for bit; a log not sorted by customer is
read whole with a note; a bad amount in a later chunk fails naming the file, dataset and row,
with no output.

usage: py_segment_stream.py path/to/strata
"""
import json
import os
import shutil

from strata_test import check, finish, interleave_customers, need, path, run, tmp

h5py, np = need("h5py", "numpy")

base = path("base.h5")  # about 1.1 million transactions: two chunks of 2^20 rows
check(run("gen", "--customers", 110000, "--seed", 6, "--out", base).returncode == 0, "gen")


def segment(src, out, *extra):
    r = run("segment", "--in", src, "--out", out, "--json", "--seed", 1, *extra)
    return r, (json.loads(r.stdout)["results"] if r.returncode == 0 else None)


whole_out, streamed_out = path("whole.h5"), path("streamed.h5")
r, whole = segment(base, whole_out)
check(r.returncode == 0 and whole["transactions"] == "whole", f"default: {r.stderr or whole['transactions']}")
r, streamed = segment(base, streamed_out, "--memory", "16M")
check(r.returncode == 0, f"--memory 16M: {r.stderr}")
if whole and streamed:
    check(streamed["transactions"] == "streamed", f"streamed: {streamed['transactions']}")
    check(streamed["k"] == whole["k"], "same k")
    with h5py.File(whole_out, "r") as a, h5py.File(streamed_out, "r") as b:
        for name in ("segments/label", "model/centers", "segments/profile", "rfm/customer_id",
                     "rfm/x", "rfm/t_x", "rfm/T", "rfm/monetary", "clv/p_alive", "clv/clv"):
            check(np.array_equal(a[name][()], b[name][()]), f"{name} streamed = whole")
        check(np.array_equal(a["model/clv"].attrs["params"], b["model/clv"].attrs["params"]),
              "fitted BG/NBD parameters")
        check(a["rfm"].attrs["calibration_end_day"] == b["rfm"].attrs["calibration_end_day"],
              "calibration end")

# ---- not sorted by customer (each customer's rows keep their order): whole, with a note
shuffled = interleave_customers(base, "shuffled.h5")
r, res = segment(shuffled, path("shuffled-out.h5"), "--memory", "16M")
check(r.returncode == 0, f"shuffled: {r.stderr}")
if res:
    check(res["transactions"] == "whole" and "not sorted by customer" in res.get("transactions_note", ""),
          f"note: {res.get('transactions_note')}")
    with h5py.File(path("shuffled-out.h5"), "r") as f:
        check(np.array_equal(f["segments/label"][()], np.asarray(h5py.File(whole_out, "r")["segments/label"][()])),
              "labels from the shuffled log")

# ---- a NaN amount in the second chunk, met by the read-ahead thread
bad = path("bad.h5")
shutil.copy(base, bad)
with h5py.File(bad, "r+") as f:
    m = f["transactions/amount"].shape[0]
    row = 1_100_000 if m > 1_100_000 else m - 1
    f["transactions/amount"][row] = np.nan
out = path("bad-out.h5")
r = run("segment", "--in", bad, "--out", out, "--memory", "16M")
want = f"{bad}: /transactions/amount row {row}, column 0 is NaN"
check(r.returncode == 3 and want in r.stderr, f"NaN amount: {r.stderr!r}")
check(not os.path.exists(out), "no output")
check(not [p for p in os.listdir(tmp) if ".tmp-" in p], "no temporary files left")

finish()
