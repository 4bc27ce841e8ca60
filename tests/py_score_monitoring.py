"""strata score as a monitoring run between two segmentations: scoring the training base
reproduces its labels and every lens (RFM scores and cells, value x risk cells, CLV and P(alive)
per account); --previous gives the migration matrix of accounts and CLV, checked exactly
against a numpy cross-table of a hand-made previous run (shuffled ids, accounts gone and new,
renamed segments); the PSI of every feature equals numpy's over the model's stored bins, a
shifted feature reads "shifted" and turns the verdict, --psi-watch/--psi-shifted move the
readings; a previous file without segments is refused with nothing written.

usage: py_score_monitoring.py path/to/strata
"""
import json
import os
import shutil

from strata_test import check, finish, need, path, run

h5py, np = need("h5py", "numpy")


def strings(ds):
    return [s.decode() if isinstance(s, bytes) else s for s in ds[()]]


base = path("base.h5")
check(run("gen", "--customers", 20000, "--seed", 404, "--segments", 4, "--out", base).returncode == 0, "gen")
model = path("model.h5")
r = run("segment", "--in", base, "--out", model)
check(r.returncode == 0, f"segment: {r.stderr}")

# ---- the training base scores to its own labels and lenses
same = path("same.h5")
r = run("score", "--model", model, "--in", base, "--out", same, "--json")
check(r.returncode == 0, f"score: {r.stderr}")
res = json.loads(r.stdout)["results"]
with h5py.File(model, "r") as a, h5py.File(same, "r") as b:
    for name in ("label", "clv", "p_alive", "expected_purchases", "expected_spend", "rfm/r_score",
                 "rfm/f_score", "rfm/m_score", "rfm/cell", "value_risk/cell"):
        check(np.array_equal(a[f"segments/{name}"][()], b[f"segments/{name}"][()]),
              f"scoring the training base reproduces /segments/{name}")
    check(res["verdict"] == "stable" and all(d["reading"] == "stable" for d in res["drift"]),
          f"training base is stable: {res['verdict']}")
    check(max(d["psi"] for d in res["drift"]) < 1e-3, "feature PSI of the training base ~ 0")
    model_names = strings(a["segments/name"])
    ids = a["segments/account_id"][()]
    labels = a["segments/label"][()]
    k = len(model_names)

# ---- `strata clv score` takes the CLV models saved inside a segmentation
cs = path("clv-score.h5")
r = run("clv", "score", "--model", model, "--in", base, "--out", cs)
check(r.returncode == 0, f"clv score --model <segmentation>: {r.stderr}")
if r.returncode == 0:
    with h5py.File(model, "r") as a, h5py.File(cs, "r") as b:
        check(np.allclose(a["clv/clv"][()], b["clv/clv"][()], rtol=1e-12) and
              np.allclose(a["clv/p_alive"][()], b["clv/p_alive"][()], rtol=1e-12),
              "clv score with the segmentation's models = the segmentation's CLV")

# ---- a hand-made previous run: 300 accounts gone from it (new now), 200 it had that are gone
# now, ids shuffled, labels shifted for a third of the accounts, one segment renamed
rng = np.random.default_rng(5)
keep = rng.permutation(len(ids))[300:]
prev_ids = np.concatenate([ids[keep], np.arange(200) + 900000000]).astype(np.int64)
prev_labels = np.concatenate([labels[keep], rng.integers(0, k, 200)]).astype(np.int32)
moved = rng.random(len(prev_labels)) < 1 / 3
prev_labels[moved] = (prev_labels[moved] + 1) % k
prev_clv = rng.gamma(2.0, 50.0, len(prev_ids))
order = rng.permutation(len(prev_ids))
prev_ids, prev_labels, prev_clv = prev_ids[order], prev_labels[order], prev_clv[order]
prev_names = list(model_names)
prev_names[0] = "A segment renamed since"
previous = path("previous.h5")
with h5py.File(previous, "w") as f:
    f["segments/account_id"] = prev_ids
    f["segments/label"] = prev_labels
    f["segments/clv"] = prev_clv
    f["segments/name"] = np.array(prev_names, dtype=h5py.string_dtype())
mig = path("migration.h5")
mig_html = path("migration.html")
r = run("score", "--model", model, "--in", base, "--out", mig, "--previous", previous, "--json",
        "--report", mig_html, "--title", "Q3 vs Q2")
if r.returncode == 0:
    page = open(mig_html, encoding="utf-8").read()
    check("Q3 vs Q2" in page and "A segment renamed since" in page and "Migration matrix" in page,
          "the migration report names the title and both runs' segments")
    check("src=\"http" not in page and "href=\"http" not in page, "the migration report is self-contained")
check(r.returncode == 0, f"score --previous: {r.stderr}")
if r.returncode == 0:
    res = json.loads(r.stdout)["results"]
    with h5py.File(mig, "r") as f:
        acc = f["migration/accounts"][()]
        clv = f["migration/clv"][()]
        new_clv = f["segments/clv"][()]
        new_ids = f["segments/account_id"][()]
        new_labels = f["segments/label"][()]
    # numpy's cross-table: rows the previous segment (+ new accounts), columns this one (+ gone)
    want = np.zeros((k + 1, k + 1), dtype=np.int64)
    want_clv = np.zeros((k + 1, k + 1))
    prev_of = dict(zip(prev_ids.tolist(), prev_labels.tolist()))
    prev_value = dict(zip(prev_ids.tolist(), prev_clv.tolist()))
    seen = set()
    for i, lab, v in zip(new_ids.tolist(), new_labels.tolist(), new_clv.tolist()):
        row = prev_of.get(i, k)
        want[row, lab] += 1
        want_clv[row, lab] += v
        seen.add(i)
    for i, lab in prev_of.items():
        if i not in seen:
            want[lab, k] += 1
            want_clv[lab, k] += prev_value[i]
    check(np.array_equal(acc, want), f"migration accounts = numpy's cross-table\n{acc}\n{want}")
    check(np.allclose(clv, want_clv, rtol=1e-9), "migration CLV = numpy's sums")
    m = res["migration"]
    check(m["added"] == 300 and m["gone"] == 200 and m["matched"] == len(ids) - 300,
          f"added / gone / matched {m}")
    # stayed: same segment name on both sides; the renamed segment never stays
    stayed = sum(int(want[a, b]) for a in range(k) for b in range(k) if prev_names[a] == model_names[b])
    check(m["stayed"] == stayed, f"stayed {m['stayed']} vs {stayed}")

# ---- drift: a copy of the base whose first numeric feature tripled
shifted = path("shifted.h5")
shutil.copy(base, shifted)
with h5py.File(shifted, "r+") as f:
    names = strings(f["accounts/feature_names"])
    x = f["accounts/features"][()]
    x[:, 0] *= 3.0
    f["accounts/features"][...] = x
out = path("drift.h5")
r = run("score", "--model", model, "--in", shifted, "--out", out, "--json")
check(r.returncode == 0, f"score shifted: {r.stderr}")
if r.returncode == 0:
    res = json.loads(r.stdout)["results"]
    drift = {d["feature"]: d for d in res["drift"]}
    check(drift[names[0]]["reading"] == "shifted", f"{names[0]} reads {drift[names[0]]}")
    check(res["verdict"] == "significant drift", f"verdict {res['verdict']}")
    check(drift[names[1]]["reading"] == "stable", f"{names[1]} unchanged: {drift[names[1]]}")
    # The PSI from the model's stored bins with numpy: right-closed bins (searchsorted 'left'),
    # shares floored at 1e-4.
    with h5py.File(model, "r") as g:
        for j in range(int(g["model"].attrs["drift_features"])):
            grp = g[f"model/drift/{j}"]
            feat = grp.attrs["feature"]
            feat = feat.decode() if isinstance(feat, bytes) else feat
            if feat != names[0]:
                continue
            edges, expected = grp["edges"][()], grp["shares"][()]
            actual = np.bincount(np.searchsorted(edges, x[:, 0], side="left"),
                                 minlength=len(expected)) / len(x)
            e, a = np.maximum(expected, 1e-4), np.maximum(actual, 1e-4)
            psi = float(((a - e) * np.log(a / e)).sum())
            check(abs(psi - drift[feat]["psi"]) < 1e-9 * max(1, psi), f"PSI {drift[feat]['psi']} vs numpy {psi}")
    # thresholds are flags
    r = run("score", "--model", model, "--in", shifted, "--out", path("drift2.h5"), "--json",
            "--psi-watch", 1000, "--psi-shifted", 2000)
    res = json.loads(r.stdout)["results"] if r.returncode == 0 else {"drift": [], "verdict": ""}
    check(all(d["reading"] == "stable" for d in res["drift"]) and res["verdict"] == "stable",
          "raised thresholds read everything stable")

# ---- the original customer ids of an imported log (/customers) travel into every result file
keyed = path("keyed.h5")
shutil.copy(base, keyed)
with h5py.File(keyed, "r+") as f:
    acc = f["accounts/id"][()]
    f["customers/id"] = acc
    f["customers/key"] = np.array([f"C-{i:09d}" for i in acc], dtype=h5py.string_dtype())
for cmd in (("segment", "--in", keyed, "--out", path("keyed-seg.h5")),
            ("score", "--model", model, "--in", keyed, "--out", path("keyed-score.h5"))):
    r = run(*cmd)
    check(r.returncode == 0, f"{cmd[0]} with /customers: {r.stderr}")
    if r.returncode == 0:
        with h5py.File(cmd[-1], "r") as g:
            check(np.array_equal(g["customers/id"][()], acc) and
                  strings(g["customers/key"])[:2] == [f"C-{i:09d}" for i in acc[:2]],
                  f"{cmd[0]} carries /customers/id and /customers/key")

# ---- a segmentation on nominal columns alone (no numeric feature: modes only) scores too
nom = path("nominal.h5")
r = run("segment", "--in", base, "--out", nom, "--no-clv", "--features", "age_band,region,channel,loyalty_tier")
check(r.returncode == 0, f"nominal-only segment: {r.stderr}")
if r.returncode == 0:
    r = run("score", "--model", nom, "--in", base, "--out", path("nominal-score.h5"))
    check(r.returncode == 0, f"nominal-only score: {r.stderr}")
    if r.returncode == 0:
        with h5py.File(nom, "r") as a, h5py.File(path("nominal-score.h5"), "r") as b:
            check(np.array_equal(a["segments/label"][()], b["segments/label"][()]),
                  "a nominal-only model scores its training base to its labels")

# ---- bad input: a previous file without segments, bad thresholds
bad = path("bad.h5")
r = run("score", "--model", model, "--in", base, "--out", bad, "--previous", base)
check(r.returncode == 3 and "holds no segment assignment" in r.stderr, f"--previous without segments: {r.stderr!r}")
r = run("score", "--model", model, "--in", base, "--out", bad, "--psi-watch", 0.3, "--psi-shifted", 0.2)
check(r.returncode == 2 and "--psi-shifted" in r.stderr, f"thresholds out of order: {r.stderr!r}")
r = run("score", "--model", model, "--in", base, "--out", bad, "--report", path("r.html"))
check(r.returncode == 2 and "--previous" in r.stderr, f"--report without --previous: {r.stderr!r}")
check(not os.path.exists(bad), "nothing written on failure")

finish()
