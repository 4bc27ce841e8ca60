"""strata kmeans' initialisations and modes against independent truth (Debian's scikit-learn):
the default fit (auto: k-means|| here) reaches an inertia no worse than scikit-learn's default
KMeans on blobs; every init recovers the known blob centres; mini-batch reaches
MiniBatchKMeans' quality; out of core (--memory below the data) gives the in-memory result bit
for bit; Lloyd gives the reference kernels' result bit for bit with the machine's best kernels
(on AVX512_BF16 CPUs: its final assignment bounded by the last iteration's screen); bad flags
and data exit with the documented codes.

usage: py_kmeans_modes.py path/to/strata
"""
import json
import os
import subprocess

import strata_test
from strata_test import check, finish, need, run as run_strata, tmp

h5py, np, cluster = need("h5py", "numpy", "sklearn.cluster")
KMeans, MiniBatchKMeans = cluster.KMeans, cluster.MiniBatchKMeans


def run(args):
    return run_strata("kmeans", *args)


def fit(args):
    r = run(args + ["--json"])
    if r.returncode:
        return None, r.stderr
    return json.loads(r.stdout)["results"], ""


rng = np.random.default_rng(11)
k, d, n = 20, 8, 20000
centres = rng.uniform(-10, 10, size=(k, d))
truth = rng.integers(0, k, n)
x = (centres[truth] + rng.normal(size=(n, d))).astype(np.float32)
path = os.path.join(tmp, "blobs.h5")
with h5py.File(path, "w") as f:
    f["accounts/features"] = x
    f["init"] = x[rng.choice(n, k, replace=False)]
out = os.path.join(tmp, "out.h5")

# Default fit vs scikit-learn's default (k-means++, one run as n_init='auto' does, Lloyd).
ours, theirs = [], []
for seed in range(3):
    res, err = fit(["--in", path, "-k", str(k), "--out", out, "--force", "--seed", str(seed)])
    check(res is not None, f"default fit: {err}")
    if res is None:
        continue
    check(res["init"] == "k-means||", f"auto init resolved to {res['init']}")
    ours.append(res["inertia"])
    theirs.append(KMeans(n_clusters=k, n_init=1, random_state=seed).fit(x).inertia_)
    with h5py.File(out, "r") as f:
        c = f["kmeans/centers"][()]
    miss = np.sqrt(((centres[:, None, :] - c[None, :, :]) ** 2).sum(-1)).min(1).max()
    check(miss < 0.25, f"default fit seed {seed}: a blob centre missed by {miss}")
check(np.mean(ours) <= np.mean(theirs) * (1 + 1e-6),
      f"default inertia {np.mean(ours)} worse than scikit-learn's {np.mean(theirs)}")

# Each initialisation alone (no refinement jumps) finds every blob on this easy data.
for init in ("k-means++", "k-means||"):
    res, err = fit(["--in", path, "-k", str(k), "--out", out, "--force", "--init", init,
                    "--no-refine", "--seed", "4"])
    check(res is not None and res["init"] == init, f"--init {init}: {err}")
    with h5py.File(out, "r") as f:
        c = f["kmeans/centers"][()]
    miss = np.sqrt(((centres[:, None, :] - c[None, :, :]) ** 2).sum(-1)).min(1).max()
    check(miss < 0.25, f"--init {init}: a blob centre missed by {miss}")

# Mini-batch: as good as scikit-learn's MiniBatchKMeans with the same batch size.
ours, theirs = [], []
for seed in range(3):
    res, err = fit(["--in", path, "-k", str(k), "--out", out, "--force", "--algorithm",
                    "minibatch", "--batch-size", "512", "--seed", str(seed)])
    check(res is not None and res["algorithm"] == "minibatch", f"minibatch: {err}")
    if res is None:
        continue
    ours.append(res["inertia"])
    theirs.append(MiniBatchKMeans(n_clusters=k, batch_size=512, n_init=1,
                                  random_state=seed).fit(x).inertia_)
check(np.mean(ours) <= 1.05 * np.mean(theirs),
      f"mini-batch inertia {np.mean(ours)} vs scikit-learn's {np.mean(theirs)}")

# Out of core: a budget of 512 KiB, below the 640 KiB of rows, streams the data; from
# the same initial centres the result is the in-memory Lloyd's bit for bit.
common = ["--in", path, "-k", str(k), "--force", "--init", "given", "--init-centers", "/init",
          "--no-refine", "--algorithm", "lloyd"]
mem_out, ooc_out = os.path.join(tmp, "mem.h5"), os.path.join(tmp, "ooc.h5")
res_mem, err = fit(common + ["--out", mem_out])
check(res_mem is not None and not res_mem["out_of_core"], f"in memory: {err}")
res_ooc, err = fit(common + ["--out", ooc_out, "--memory", "512K"])
check(res_ooc is not None and res_ooc["out_of_core"], f"out of core: {err}")
if res_mem and res_ooc:
    check(res_mem["inertia"] == res_ooc["inertia"] and res_mem["n_iter"] == res_ooc["n_iter"],
          f"out of core {res_ooc} vs in memory {res_mem}")
    with h5py.File(mem_out, "r") as a, h5py.File(ooc_out, "r") as b:
        check(np.array_equal(a["kmeans/labels"][()], b["kmeans/labels"][()]), "out-of-core labels")
        check(np.array_equal(a["kmeans/centers"][()], b["kmeans/centers"][()]),
              "out-of-core centres")
        check(int(b["kmeans"].attrs["out_of_core"]) == 1, "out_of_core attribute")
res, err = fit(["--in", path, "-k", str(k), "--out", out, "--force", "--memory", "512K"])
check(res is not None and res["out_of_core"], f"out of core, default init: {err}")
r = run(["--in", path, "--k-range", "2:4", "--out", out, "--force", "--memory", "512K"])
check(r.returncode == 2 and "memory budget" in r.stderr, f"--k-range out of core: {r.stderr}")
r = run(["--in", path, "-k", "3", "--out", out, "--force", "--memory", "64K"])
check(r.returncode == 5 and "raise --memory" in r.stderr, f"tiny budget: {r.returncode} {r.stderr}")

# Usage errors exit 2 naming the flag; bad data exits 3 naming the row.
for args, needle in ((["--init", "kmeans||"], "--init"), (["--algorithm", "elkan"], "--algorithm"),
                     (["--batch-size", "0"], "--batch-size"), (["--init-rounds", "0"], "--init-rounds"),
                     (["--oversampling", "-1"], "--oversampling"),
                     (["--reassignment-ratio", "-1"], "--reassignment-ratio")):
    r = run(["--in", path, "-k", "3", "--out", out, "--force"] + args)
    check(r.returncode == 2 and needle in r.stderr, f"{args}: exit {r.returncode}, {r.stderr}")
r = run(["--in", path, "-k", str(n + 1), "--out", out, "--force"])
check(r.returncode == 2 and "more than" in r.stderr, f"k > n: {r.returncode} {r.stderr}")
bad = os.path.join(tmp, "nan.h5")
xb = x.copy()
xb[777, 3] = np.nan
with h5py.File(bad, "w") as f:
    f["accounts/features"] = xb
for extra in ([], ["--memory", "512K"]):
    r = run(["--in", bad, "-k", "3", "--out", out, "--force"] + extra)
    check(r.returncode == 3 and "row 777" in r.stderr, f"NaN {extra}: {r.returncode} {r.stderr}")

# Lloyd with the best kernels (bfloat16 screen and bounded final assignment where the CPU has
# them) against the portable reference kernels: stopped early, converged, and with an empty
# cluster re-seeded (two identical initial centres), 1 and 2 threads.
dup = os.path.join(tmp, "dup.h5")
with h5py.File(dup, "w") as f:
    f["accounts/features"] = x
    init = x[rng.choice(n, k, replace=False)]
    init[5] = init[4]
    f["init"] = init
for data, iters in ((path, 3), (path, 200), (dup, 4)):
    outs = []
    for isa, threads in (("ref", 1), (None, 1), (None, 2)):
        env = dict(os.environ)
        env.pop("STRATA_ISA", None)
        if isa:
            env["STRATA_ISA"] = isa
        o = os.path.join(tmp, f"isa-{isa}-{threads}.h5")
        r = subprocess.run([strata_test.strata, "kmeans", "--in", data, "-k", str(k), "--out", o,
                            "--force", "--init", "given", "--init-centers", "/init",
                            "--algorithm", "lloyd", "--max-iter", str(iters), "--tol", "0",
                            "--no-refine", "--threads", str(threads), "--json"],
                           capture_output=True, text=True, env=env)
        check(r.returncode == 0, f"lloyd {data} {iters} isa {isa}: {r.stderr}")
        if r.returncode:
            break
        with h5py.File(o, "r") as f:
            outs.append((json.loads(r.stdout)["results"], f["kmeans/centers"][()],
                         f["kmeans/labels"][()]))
    for res, c, lab in outs[1:]:
        same = (res["inertia"] == outs[0][0]["inertia"] and res["n_iter"] == outs[0][0]["n_iter"]
                and np.array_equal(c, outs[0][1]) and np.array_equal(lab, outs[0][2]))
        check(same, f"lloyd on {os.path.basename(data)}, {iters} iterations: best kernels differ "
                    f"from the reference ({res['inertia']} vs {outs[0][0]['inertia']})")

finish()
