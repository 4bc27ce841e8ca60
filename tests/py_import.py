"""strata import: CDNOW and CSV logs into /transactions, checked against an independent parse
in Python (numpy datetime64 for the day numbers), plus every kind of bad row reported with its
line or record number, --skip-bad-rows counting them, and no output on failure. The CDNOW part
reads ../shared/datasets/cdnow when present and checks the facts its README states.

usage: py_import.py path/to/strata
"""
import os

from strata_test import check, finish, need, run, shared_dataset, strata, tmp

h5py, np = need("h5py", "numpy")



def days(dates):
    return (np.array(dates, dtype="datetime64[D]") - np.datetime64("1970-01-01", "D")).astype(np.int64)


def read(path):
    with h5py.File(path, "r") as f:
        t = f["transactions"]
        return {k: t[k][()] for k in t.keys()}, dict(t.attrs)


# ---- CSV: quoted fields, another column order, CRLF, extra columns, blank line.
csv = os.path.join(tmp, "log.csv")
with open(csv, "w", newline="") as f:
    f.write('note,amount,cust,when\r\n')
    f.write('"first, with comma",10.50,17,2024-01-05\r\n')
    f.write('"quote ""x""",3,4,2023-12-31T23:59:00\r\n')
    f.write('\r\n')
    f.write('plain,0.01,17,20240229\r\n')
out = os.path.join(tmp, "csv.h5")
r = run("import", "--format", "csv", csv, "--out", out, "--id-col", "cust", "--date-col", "when")
check(r.returncode == 0, f"csv import: {r.stderr}")
t, attrs = read(out)
check(list(t["customer_id"]) == [17, 4, 17], f"ids {t['customer_id']}")
check(list(t["day"]) == list(days(["2024-01-05", "2023-12-31", "2024-02-29"])), f"days {t['day']}")
check(np.allclose(t["amount"], [10.5, 3.0, 0.01]), f"amounts {t['amount']}")
check(t["customer_id"].dtype == np.int64 and t["day"].dtype == np.int32
      and t["amount"].dtype == np.float64, "types of the data model")
check(int(attrs["rows"]) == 3 and int(attrs["skipped_rows"]) == 0, f"attrs {attrs}")

# Semicolons.
semi = os.path.join(tmp, "semi.csv")
with open(semi, "w") as f:
    f.write("customer_id;date;amount\n5;2020-03-01;1.5\n")
r = run("import", "--format", "csv", semi, "--out", os.path.join(tmp, "semi.h5"), "--delimiter", ";")
check(r.returncode == 0, f"semicolon csv: {r.stderr}")

# ---- Bad rows: exit 3 naming file and record, no output; --skip-bad-rows counts them.
bad = os.path.join(tmp, "bad.csv")
with open(bad, "w") as f:
    f.write("customer_id,date,amount\n1,2024-01-01,5\n2,2024-02-30,1\nx,2024-01-01,1\n3,2024-01-02,nan\n4,2024-01-03\n")
out = os.path.join(tmp, "bad.h5")
r = run("import", "--format", "csv", bad, "--out", out)
check(r.returncode == 3, f"bad csv exit {r.returncode}")
check(bad in r.stderr and "record 3" in r.stderr and "2024-02-30" in r.stderr, f"message {r.stderr!r}")
check(not os.path.exists(out), "no output after a bad row")
check(not [p for p in os.listdir(tmp) if ".tmp-" in p], "no temporary file left")
r = run("import", "--format", "csv", bad, "--out", out, "--skip-bad-rows", "--json")
check(r.returncode == 0, f"skip-bad-rows: {r.stderr}")
# "x" is a customer id like any other text, so the ids are mapped 1..N by first appearance.
check('"skipped_rows":3' in r.stdout and '"rows":2' in r.stdout, f"json {r.stdout}")
t, attrs = read(out)
check(int(attrs["skipped_rows"]) == 3 and list(t["customer_id"]) == [1, 2], f"kept rows {t}")
with h5py.File(out, "r") as f:
    check([k.decode() if isinstance(k, bytes) else k for k in f["customers/key"][()]] == ["1", "x"]
          and list(f["customers/id"][()]) == [1, 2], "keys of a mixed log")

missing_col = os.path.join(tmp, "cols.csv")
with open(missing_col, "w") as f:
    f.write("id,day,value\n1,2024-01-01,5\n")
r = run("import", "--format", "csv", missing_col, "--out", os.path.join(tmp, "cols.h5"))
check(r.returncode == 3 and "no column 'customer_id'" in r.stderr and "id, day, value" in r.stderr,
      f"missing column message {r.stderr!r}")
empty = os.path.join(tmp, "empty.csv")
open(empty, "w").close()
r = run("import", "--format", "csv", empty, "--out", os.path.join(tmp, "empty.h5"))
check(r.returncode == 3 and "empty" in r.stderr, f"empty file: {r.returncode} {r.stderr!r}")
r = run("import", "--format", "csv", os.path.join(tmp, "nope.csv"), "--out", os.path.join(tmp, "n.h5"))
check(r.returncode == 4 and "nope.csv" in r.stderr, f"missing input: {r.stderr!r}")
r = run("import", "--format", "xls", csv, "--out", os.path.join(tmp, "n.h5"))
check(r.returncode == 2 and "--format" in r.stderr, f"bad format: {r.stderr!r}")

# ---- CDNOW layout: a small log with a header, CRLF and a bad line.
cd = os.path.join(tmp, "cd.txt")
with open(cd, "w", newline="") as f:
    f.write(" customer_id  date number_of_cds  dollar_value\r\n")
    f.write("00001 19970101 1 11.77\r\n00002 19970112 2 29.33\r\n00002 19970112 1 10.00\r\n")
r = run("import", "--format", "cdnow", cd, "--out", os.path.join(tmp, "cd.h5"))
check(r.returncode == 0, f"cdnow: {r.stderr}")
t, _ = read(os.path.join(tmp, "cd.h5"))
check(list(t["customer_id"]) == [1, 2, 2] and list(t["quantity"]) == [1, 2, 1], f"cdnow rows {t}")
check(list(t["day"]) == list(days(["1997-01-01", "1997-01-12", "1997-01-12"])), "cdnow days")
with open(cd, "a", newline="") as f:
    f.write("00003 19971301 1 5.00\r\n")
r = run("import", "--format", "cdnow", cd, "--out", os.path.join(tmp, "cd2.h5"))
check(r.returncode == 3 and "line 5" in r.stderr and "19971301" in r.stderr, f"cdnow bad line: {r.stderr!r}")

# ---- The real CDNOW logs, when the shared data sets are present.
shared = shared_dataset("cdnow")
if shared is not None:
    for name, rows, customers, total in (("CDNOW_master.txt", 69659, 23570, 2500315.63),
                                          ("CDNOW_sample.txt", 6919, 2357, 244091.94)):
        out = os.path.join(tmp, name + ".h5")
        r = run("import", "--format", "cdnow", os.path.join(shared, name), "--out", out)
        check(r.returncode == 0, f"{name}: {r.stderr}")
        t, _ = read(out)
        check(len(t["day"]) == rows, f"{name}: {len(t['day'])} rows, README says {rows}")
        check(len(np.unique(t["customer_id"])) == customers, f"{name}: customers")
        check(abs(t["amount"].sum() - total) < 0.005, f"{name}: total {t['amount'].sum()}")
        check(t["day"].min() == days(["1997-01-01"])[0] and t["day"].max() == days(["1998-06-30"])[0],
              f"{name}: date range")
        # Independent parse of the same file.
        raw = np.loadtxt(os.path.join(shared, name), dtype=str, skiprows=1 if "master" in name else 0)
        date_col = 1 if raw.shape[1] == 4 else 2
        iso = [f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, date_col]]
        check(np.array_equal(t["day"], days(iso)), f"{name}: day numbers")
        check(np.array_equal(t["customer_id"], raw[:, 0].astype(np.int64)), f"{name}: ids")
else:
    print("note: ../shared/datasets/cdnow absent; the real-log checks were skipped")

finish()
