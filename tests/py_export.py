"""strata export against independent truth: every filter and --top equal a numpy selection
over the HDF5 datasets, the CSV parses back through Python's csv module to the same ids and
values (1e-12 relative), gzip and zstd outputs decompress to the plain CSV byte for byte,
string keys come from /customers, and failures exit with the contract's code writing nothing."""
import csv
import gzip
import io
import os
import shutil
import subprocess

from strata_test import check, need, path, run, strata  # noqa: F401
import strata_test

np, h5py = need("numpy", "h5py")

base, seg, sc = path("b.h5"), path("s.h5"), path("sc.h5")
r = run("gen", "--customers", 6000, "--seed", 404, "--segments", 4, "--out", base, "--quiet")
check(r.returncode == 0, f"gen: {r.stderr}")
r = run("segment", "--in", base, "--out", seg, "--quiet")
check(r.returncode == 0, f"segment: {r.stderr}")
r = run("score", "--model", seg, "--in", base, "--out", sc, "--quiet")
check(r.returncode == 0, f"score: {r.stderr}")

with h5py.File(seg, "r") as f:
    g = f["segments"]
    ids = g["account_id"][:]
    label = g["label"][:]
    names = [s.decode() for s in g["name"][:]]
    vals = {k: g[k][:] for k in ("p_alive", "expected_purchases", "expected_spend", "clv")}
    rfm_cell = g["rfm/cell"][:]
    rfm_names = [s.decode() for s in g["rfm/cell_name"][:]]
    vr_cell = g["value_risk/cell"][:]
    vr_names = [s.decode() for s in g["value_risk/cell_name"][:]]
    scores = [g["rfm/" + k][:] for k in ("r_score", "f_score", "m_score")]

HEADER = ["account_id", "segment_label", "segment", "r_score", "f_score", "m_score", "rfm_cell",
          "value_risk_cell", "p_alive", "expected_purchases", "expected_spend", "clv"]


def read_csv(p):
    with open(p, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def export(name, *flags):
    out = path(name)
    r = run("export", "--in", seg, "--out", out, "--force", *flags)
    check(r.returncode == 0, f"export {flags}: exit {r.returncode} {r.stderr}")
    return out


def same_rows(rows, sel, what):
    """rows (parsed CSV) equal the accounts at positions sel, in that order."""
    check(len(rows) == len(sel), f"{what}: {len(rows)} rows, numpy selects {len(sel)}")
    if len(rows) != len(sel) or len(sel) == 0:
        return
    got_id = np.array([int(x[0]) for x in rows])
    check(np.array_equal(got_id, ids[sel]), f"{what}: account ids differ")
    check(np.array_equal(np.array([int(x[1]) for x in rows]), label[sel]), f"{what}: labels")
    check(all(x[2] == names[label[i]] for x, i in zip(rows, sel)), f"{what}: segment names")
    for c in range(3):
        check(np.array_equal(np.array([int(x[3 + c]) for x in rows]), scores[c][sel]),
              f"{what}: {HEADER[3 + c]}")
    def cell(c, nm):
        return "" if c == -2 else ("Others" if c == -1 else nm[c])
    check(all(x[6] == cell(rfm_cell[i], rfm_names) for x, i in zip(rows, sel)), f"{what}: rfm_cell")
    check(all(x[7] == cell(vr_cell[i], vr_names) for x, i in zip(rows, sel)), f"{what}: vr cell")
    for c, k in enumerate(("p_alive", "expected_purchases", "expected_spend", "clv")):
        got = np.array([float(x[8 + c]) for x in rows])
        want = vals[k][sel]
        check(np.allclose(got, want, rtol=1e-12, atol=0), f"{what}: {k} beyond 1e-12 relative")


# Everything, in file order; the header names the documented columns.
hdr, rows = read_csv(export("all.csv"))
check(hdr == HEADER, f"header {hdr}")
same_rows(rows, np.arange(len(ids)), "no filter")
# Names with commas round-trip through the csv module (they are quoted by libcsv).
check(any("," in x[2] for x in rows), "a segment name with a comma was exported")

# The analyst's job: at-risk customers of the most valuable segment, with their CLV.
means = [vals["clv"][label == s].mean() for s in range(len(names))]
best = int(np.argmax(means))
_, rows = read_csv(export("job.csv", "--segment", names[best], "--p-alive-below", 0.5))
sel = np.flatnonzero((label == best) & (vals["p_alive"] < 0.5))
check(len(sel) > 0, "the analyst's selection is not empty")
same_rows(rows, sel, "--segment best --p-alive-below 0.5")

# Every filter alone, and a label number for --segment.
_, rows = read_csv(export("lab.csv", "--segment", 1))
same_rows(rows, np.flatnonzero(label == 1), "--segment 1")
q = float(np.median(vals["clv"]))
_, rows = read_csv(export("clv.csv", "--clv-above", q))
same_rows(rows, np.flatnonzero(vals["clv"] > q), "--clv-above")
_, rows = read_csv(export("pa.csv", "--p-alive-below", 0.3))
same_rows(rows, np.flatnonzero(vals["p_alive"] < 0.3), "--p-alive-below")
present = sorted(set(int(c) for c in rfm_cell if c >= 0))
rc_name = rfm_names[present[0]]
_, rows = read_csv(export("rfm.csv", "--rfm-cell", rc_name))
same_rows(rows, np.flatnonzero(rfm_cell == present[0]), "--rfm-cell")
_, rows = read_csv(export("oth.csv", "--rfm-cell", "Others"))
oi = rfm_names.index("Others")
same_rows(rows, np.flatnonzero((rfm_cell == -1) | (rfm_cell == oi)), "--rfm-cell Others")
_, rows = read_csv(export("vr.csv", "--value-risk-cell", vr_names[0]))
same_rows(rows, np.flatnonzero(vr_cell == 0), "--value-risk-cell full name")
short = vr_names[3].split(":")[0]
_, rows = read_csv(export("vrs.csv", "--value-risk-cell", short.upper()))
same_rows(rows, np.flatnonzero(vr_cell == 3), "--value-risk-cell short form")
_, rows = read_csv(export("vri.csv", "--value-risk-cell", 5))
same_rows(rows, np.flatnonzero(vr_cell == 5), "--value-risk-cell index")

# --top N: numpy's order by CLV descending, ties by account id; combined with a filter.
for n in (1, 37, 100000):
    _, rows = read_csv(export(f"top{n}.csv", "--top", n))
    order = np.lexsort((ids, -vals["clv"]))[:n]
    same_rows(rows, order, f"--top {n}")
m = label == best
_, rows = read_csv(export("topf.csv", "--top", 20, "--segment", names[best]))
order = [i for i in np.lexsort((ids, -vals["clv"])) if m[i]][:20]
same_rows(rows, np.array(order), "--top 20 --segment")

# Compression: by suffix and by flag, byte for byte the plain CSV.
plain = open(path("all.csv"), "rb").read()
check(gzip.decompress(open(export("all.csv.gz"), "rb").read()) == plain, "gzip by suffix")
check(gzip.decompress(open(export("all.bin", "--compress", "gzip"), "rb").read()) == plain,
      "gzip by --compress")
zst = export("all.csv.zst")
if shutil.which("zstd"):
    out = subprocess.run(["zstd", "-dc", zst], capture_output=True).stdout
    check(out == plain, "zstd output decompresses to the plain CSV")
else:
    print("zstd command not found: skipping the zstd decompression check")
check(open(export("none.csv.gz", "--compress", "none"), "rb").read() == plain, "--compress none")

# A score output of the training base names its cells as the segment output does: both
# exports agree on every account's cells.
r = run("export", "--in", sc, "--out", path("sc.csv"))
check(r.returncode == 0, f"score export: {r.stderr}")
r2 = run("export", "--in", seg, "--out", path("seg.csv"))
check(r2.returncode == 0, f"segment export: {r2.stderr}")
_, rows = read_csv(path("sc.csv"))
_, seg_rows = read_csv(path("seg.csv"))
check([x[6:8] for x in rows] == [x[6:8] for x in seg_rows] and len(rows) == len(seg_rows),
      "score output: the same RFM and value x risk cell names as the segment output")
check(any(x[6] not in ("", "Others") and not x[6].lstrip("-").isdigit() for x in rows),
      "score output: RFM cells written by name")

# String keys from --keys (and from the results file itself): one per id, with awkward text.
keys = path("keys.h5")
with h5py.File(keys, "w") as f:
    perm = np.random.default_rng(3).permutation(len(ids))
    f["customers/id"] = ids[perm]
    f["customers/key"] = np.array([f'K{i}, "q"\nx'.encode() for i in ids[perm]],
                                  dtype=h5py.string_dtype())
_, rows = read_csv(export("keys.csv", "--keys", keys, "--top", 5))
order = np.lexsort((ids, -vals["clv"]))[:5]
check([x[0] for x in rows] == [f'K{i}, "q"\nx' for i in ids[order]], "--keys string ids")
with h5py.File(keys, "a") as f:
    del f["customers/id"]
    f["customers/id"] = ids[perm] + 1  # now one id has no key
r = run("export", "--in", seg, "--out", path("nokey.csv"), "--keys", keys)
check(r.returncode == 3 and "no /customers/key" in r.stderr, f"missing key: {r.returncode}")
check(not os.path.exists(path("nokey.csv")), "nothing written when a key is missing")

# Failures: usage (2) naming the flag, data (3), existing output (4); nothing written.
def fails(code, needle, *flags, out="fail.csv"):
    r = run("export", "--out", path(out), *flags)
    check(r.returncode == code, f"{flags}: exit {r.returncode}, want {code} ({r.stderr})")
    check(needle in r.stderr, f"{flags}: message lacks {needle!r}: {r.stderr}")
    check(not os.path.exists(path(out)), f"{flags}: wrote output on failure")
fails(2, "--segment", "--in", seg, "--segment", "no such segment")
fails(2, names[0], "--in", seg, "--segment", "no such segment")
fails(2, "--segment", "--in", seg, "--segment", 99)
fails(2, "--rfm-cell", "--in", seg, "--rfm-cell", "Nope")
fails(2, "--value-risk-cell", "--in", seg, "--value-risk-cell", "Nope")
fails(2, "--rfm-cell", "--in", sc, "--rfm-cell", "No Such Cell")
fails(2, "--compress", "--in", seg, "--compress", "lz4")
fails(2, "--top", "--in", seg, "--top", 0)
fails(2, "--p-alive-below", "--in", seg, "--p-alive-below", "x")
fails(2, "--bogus", "--in", seg, "--bogus")
fails(3, "/segments", "--in", base)

r = run("export", "--in", seg, "--out", path("all.csv"))
check(r.returncode == 4 and "--force" in r.stderr, "existing output without --force exits 4")
check(open(path("all.csv"), "rb").read() == plain, "existing output is left untouched")
check(not [p for p in os.listdir(strata_test.tmp) if ".tmp-" in p], "no temporary file left")

strata_test.finish()
