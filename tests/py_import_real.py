"""strata import on logs as they come: UUID ids, day-first dates, decimal commas and quantity x
price against a hand-made HDF5 of the same log; the CDNOW master log with "C" ids against the
plain one; several files against their concatenation; every bad input refused with its exit
code and message and no output.

usage: py_import_real.py path/to/strata
"""
import json
import os

from strata_test import check, finish, need, run, shared_dataset, tmp

h5py, np = need("h5py", "numpy")


def days(dates):
    return (np.array(dates, dtype="datetime64[D]") - np.datetime64("1970-01-01", "D")).astype(np.int64)


def read(path):
    with h5py.File(path, "r") as f:
        t = {k: f["transactions"][k][()] for k in f["transactions"].keys()}
        keys = [k.decode() if isinstance(k, bytes) else k for k in f["customers/key"][()]]
        return t, list(f["customers/id"][()]), keys, dict(f["customers"].attrs)


def no_output(out):
    return not os.path.exists(out) and not [p for p in os.listdir(tmp) if ".tmp-" in p]


# ---- UUIDs, day-first dates, decimal commas, quantity x price, ';' separated.
u = ["3f2b8c1e-0d4a-4e55-9b1a-6c0f2a7d9e10", "a1b2c3d4-0000-4000-8000-000000000001",
     "3f2b8c1e-0d4a-4e55-9b1a-6c0f2a7d9e11"]
rows = [(u[0], "01/02/1997", "2", "12,50"), (u[1], "31/12/1996", "1", "0,99"),
        (u[0], "1/3/1997", "3", "-4,00"), (u[2], "29/02/1996", "0", "7,25"),
        (u[1], "05/02/1997", "10", "1,5")]
log = os.path.join(tmp, "real.csv")
with open(log, "w") as f:
    f.write("order;cust;when;qty;unit_price\n")
    for i, (c, d, q, p) in enumerate(rows):
        f.write(f"{i};{c};{d};{q};{p}\n")
# The expected file, written by hand: ids by first appearance, dates read day first.
exp_ids = [1, 2, 1, 3, 2]
exp_days = days(["1997-02-01", "1996-12-31", "1997-03-01", "1996-02-29", "1997-02-05"])
exp_amount = np.array([2 * 12.5, 1 * 0.99, 3 * -4.0, 0 * 7.25, 10 * 1.5])
expected = os.path.join(tmp, "expected.h5")
with h5py.File(expected, "w") as f:
    f["transactions/customer_id"] = np.array(exp_ids, dtype=np.int64)
    f["transactions/day"] = exp_days.astype(np.int32)
    f["transactions/amount"] = exp_amount
    f["customers/id"] = np.array([1, 2, 3], dtype=np.int64)
    f["customers/key"] = np.array(u, dtype=h5py.string_dtype())
out = os.path.join(tmp, "real.h5")
r = run("import", "--format", "csv", log, "--out", out, "--id-col", "cust", "--date-col", "when",
        "--date-format", "%d/%m/%Y", "--decimal-comma", "--delimiter", ";",
        "--quantity-col", "qty", "--price-col", "unit_price", "--json")
check(r.returncode == 0, f"real csv: {r.stderr}")
t, ids, keys, attrs = read(out)
with h5py.File(expected, "r") as f:
    for name in ("customer_id", "day", "amount"):
        want = f["transactions/" + name][()]
        check(t[name].dtype == want.dtype and np.array_equal(t[name], want),
              f"{name}: {t[name]} != {want}")
    want_keys = [k.decode() if isinstance(k, bytes) else k for k in f["customers/key"][()]]
    check(keys == want_keys and ids == list(f["customers/id"][()]), f"customers {ids} {keys}")
check("quantity" not in t, "quantity x price stores no integer quantity")
check("first_appearance" in str(attrs.get("id_rule")), f"id_rule {attrs}")
res = json.loads(r.stdout)["results"]
check(res["customers"] == 3 and res["transactions"] == 5, f"summary counts {res}")
check(res["first_date"] == "1996-02-29" and res["last_date"] == "1997-03-01", f"range {res}")
check(abs(res["total_amount"] - exp_amount.sum()) < 1e-9, f"total {res}")
check(res["zero_amount_rows"] == 1 and res["negative_amount_rows"] == 1, f"zero/neg {res}")
check("Gamma-Gamma" in res["zero_amount_policy"] and "reject" in res["negative_amount_policy"],
      f"policies {res}")
r = run("import", "--format", "csv", log, "--out", os.path.join(tmp, "real2.h5"), "--id-col", "cust",
        "--date-col", "when", "--date-format", "%d/%m/%Y", "--decimal-comma", "--delimiter", ";",
        "--quantity-col", "qty", "--price-col", "unit_price")
check(r.returncode == 0 and "3 customers" in r.stderr and "1996-02-29 .. 1997-03-01" in r.stderr
      and "negative amount (refunds): 1" in r.stderr, f"text summary on stderr: {r.stderr!r}")

# ---- Other date patterns and ISO timestamps with the default format.
iso = os.path.join(tmp, "iso.csv")
with open(iso, "w") as f:
    f.write("customer_id,date,amount\nC1,1997-01-01T12:34:56Z,1\nC2,1997-01-01 23:59:59+02:00,2\n"
            "C1,1997-01-02T00:00:00-05:00,3\n")
r = run("import", "--format", "csv", iso, "--out", os.path.join(tmp, "iso.h5"))
check(r.returncode == 0, f"iso timestamps: {r.stderr}")
t, ids, keys, _ = read(os.path.join(tmp, "iso.h5"))
check(list(t["day"]) == list(days(["1997-01-01", "1997-01-01", "1997-01-02"])),
      f"time of day ignored, no zone conversion: {t['day']}")
check(keys == ["C1", "C2"] and list(t["customer_id"]) == [1, 2, 1], f"C ids {keys}")
for pattern, text, want in (("%b %d, %Y", '"Feb 1, 1997"', "1997-02-01"),
                            ("%d %B %y", "1 february 97", "1997-02-01"),
                            ("%Y.%j", "1996.366", "1996-12-31"), ("%m/%d/%Y", "02/01/1997", "1997-02-01"),
                            ("%d.%m.%y", "01.02.03", "2003-02-01")):
    p = os.path.join(tmp, "pat.csv")
    with open(p, "w") as f:
        f.write(f"customer_id,date,amount\n7,{text},1\n")
    o = os.path.join(tmp, "pat.h5")
    if os.path.exists(o):
        os.remove(o)
    r = run("import", "--format", "csv", p, "--out", o, "--date-format", pattern)
    check(r.returncode == 0 and read(o)[0]["day"][0] == days([want])[0], f"{pattern} {text}: {r.stderr}")

# ---- CDNOW master with "C" ids = the plain one, keys hold the "C" ids.
shared = shared_dataset("cdnow")
if shared is not None:
    plain = os.path.join(tmp, "cd_plain.h5")
    r = run("import", "--format", "cdnow", os.path.join(shared, "CDNOW_master.txt"), "--out", plain)
    check(r.returncode == 0, f"plain master: {r.stderr}")
    cfile = os.path.join(tmp, "cdnow_c.txt")
    raw_ids = []
    with open(os.path.join(shared, "CDNOW_master.txt")) as src, open(cfile, "w") as dst:
        for line in src:
            parts = line.split()
            if len(parts) == 4 and parts[1].isdigit():
                raw_ids.append(parts[0])
                dst.write("C" + line.lstrip())
            else:
                dst.write(line)
    cout = os.path.join(tmp, "cd_c.h5")
    r = run("import", "--format", "cdnow", cfile, "--out", cout)
    check(r.returncode == 0, f"C master: {r.stderr}")
    tp, idp, keyp, _ = read(plain)
    tc, idc, keyc, attrc = read(cout)
    for name in ("customer_id", "day", "amount", "quantity"):
        check(np.array_equal(tp[name], tc[name]), f"C master {name} differs from the plain one")
    uniq = list(dict.fromkeys(raw_ids))
    check(keyc == ["C" + k for k in uniq] and len(keyc) == 23570, f"C keys {keyc[:3]}")
    check(keyp == uniq and idp == [int(k) for k in uniq], "plain master keeps integer ids, keys as written")
    check("first_appearance" in str(attrc.get("id_rule")), "C ids are mapped")
else:
    print("note: ../shared/datasets/cdnow absent; the CDNOW 'C' id check was skipped")

# ---- Two files = one file concatenated, ids consistent across files.
jan, feb, both = (os.path.join(tmp, n) for n in ("jan.csv", "feb.csv", "both.csv"))
head = "customer_id,date,amount\n"
a = "alice@example.com,2024-01-03,5\nbob@example.com,2024-01-09,2.5\n"
b = "carol@example.com,2024-02-01,1\nalice@example.com,2024-02-11,9\n"
for p, body in ((jan, head + a), (feb, head + b), (both, head + a + b)):
    with open(p, "w") as f:
        f.write(body)
r1 = run("import", "--format", "csv", jan, feb, "--out", os.path.join(tmp, "two.h5"))
r2 = run("import", "--format", "csv", both, "--out", os.path.join(tmp, "one.h5"))
check(r1.returncode == 0 and r2.returncode == 0, f"two files: {r1.stderr} {r2.stderr}")
t1, i1, k1, _ = read(os.path.join(tmp, "two.h5"))
t2, i2, k2, _ = read(os.path.join(tmp, "one.h5"))
check(all(np.array_equal(t1[n], t2[n]) for n in t2) and k1 == k2 and i1 == i2,
      f"two files != one concatenated: {t1} {t2}")
check(list(t1["customer_id"]) == [1, 2, 3, 1], f"alice keeps her id across files {t1}")

# ---- Bad inputs: documented exit code, message naming file/line/value or flag, no output.
bad = os.path.join(tmp, "bad.csv")
with open(bad, "w") as f:
    f.write("customer_id;date;amount;q;p\nC1;01/02/1997;1,5;1;2\nC2;1997-02-01;2;1;2\n")
out = os.path.join(tmp, "bad.h5")
cases = [
    (["--date-format", "%d/%m/%Y", "--delimiter", ";", "--decimal-comma"], 3,
     [bad, "record 3", "1997-02-01", "%d/%m/%Y"]),
    (["--decimal-comma"], 2, ["--decimal-comma", "--delimiter"]),
    (["--delimiter", ";", "--amount-col", "amount", "--quantity-col", "q", "--price-col", "p"], 2,
     ["--amount-col", "--price-col"]),
    (["--delimiter", ";", "--price-col", "p"], 2, ["--quantity-col"]),
    (["--delimiter", ";", "--amount-col", "value"], 3, [bad, "no column 'value'"]),
    (["--date-format", "%d/%q/%Y", "--delimiter", ";"], 2, ["--date-format", "%d/%q/%Y"]),
    (["--delimiter", ";"], 3, [bad, "record 2", "01/02/1997"]),
]
for extra, code, words in cases:
    r = run("import", "--format", "csv", bad, "--out", out, *extra)
    check(r.returncode == code and all(w in r.stderr for w in words) and no_output(out),
          f"{extra}: exit {r.returncode}, {r.stderr!r}")
empty = os.path.join(tmp, "empty.csv")
open(empty, "w").close()
r = run("import", "--format", "csv", jan, empty, "--out", out)
check(r.returncode == 3 and empty in r.stderr and "empty" in r.stderr and no_output(out),
      f"empty second file: {r.returncode} {r.stderr!r}")
r = run("import", "--format", "cdnow", empty, "--out", out)
check(r.returncode == 3 and empty in r.stderr and no_output(out), f"empty cdnow: {r.stderr!r}")
r = run("import", "--format", "csv", jan, os.path.join(tmp, "nope.csv"), "--out", out)
check(r.returncode == 4 and "nope.csv" in r.stderr and no_output(out), f"missing 2nd file {r.stderr!r}")
badfeb = os.path.join(tmp, "badfeb.csv")
with open(badfeb, "w") as f:
    f.write(head + "dave,2024-02-30,1\n")
r = run("import", "--format", "csv", jan, badfeb, "--out", out)
check(r.returncode == 3 and badfeb in r.stderr and "record 2" in r.stderr and no_output(out),
      f"bad row in the second file names it: {r.stderr!r}")

finish()
