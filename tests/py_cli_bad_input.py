"""Every bad input gets the exit code of the contract, a message naming the culprit (file,
dataset, row or flag), and leaves no output file: missing file, a file that is not HDF5,
missing dataset, wrong rank, wrong type, zero rows, NaN or Inf in features, a negative
transaction amount, an unwritable
output path, an existing output without --force, and an output that is the input itself.
Fixtures are written with h5py (Debian's python3-h5py), independently of strata.

usage: py_cli_bad_input.py path/to/strata
"""
import os
import subprocess

from strata_test import check, finish, need, run, strata, tmp

h5py, np = need("h5py", "numpy")


def fixture(name, **datasets):
    path = os.path.join(tmp, name)
    with h5py.File(path, "w") as f:
        for key, value in datasets.items():
            f.create_dataset(key.replace("__", "/"), data=value)
    return path


def expect(code, fragments, args, out):
    r = subprocess.run([strata] + args, capture_output=True, text=True)
    check(r.returncode == code, f"{args}: exit {r.returncode}, want {code}; stderr {r.stderr!r}")
    for frag in fragments:
        check(frag in r.stderr, f"{args}: stderr lacks {frag!r}: {r.stderr!r}")
    if out is not None:
        check(not os.path.exists(out), f"{args}: left an output file {out}")
        leftovers = [f for f in os.listdir(os.path.dirname(out)) if ".tmp-" in f]
        check(not leftovers, f"{args}: left temporary files {leftovers}")
    return r


rng = np.random.default_rng(1)
good = rng.normal(size=(200, 4))
out = os.path.join(tmp, "out.h5")
kmeans = ["kmeans", "-k", "3", "--out", out]

missing = os.path.join(tmp, "nope.h5")
expect(4, [missing], kmeans + ["--in", missing], out)
text = os.path.join(tmp, "log.csv")
with open(text, "w") as f:
    f.write("customer,day,amount\n1,2,3\n")
expect(3, [text, "not an HDF5 file"], kmeans + ["--in", text], out)

p = fixture("no-features.h5", accounts__id=np.arange(5))
expect(3, [p, "/accounts/features is missing"], kmeans + ["--in", p], out)
expect(3, [p, "/x/y is missing"], kmeans + ["--in", p, "--dataset", "/x/y"], out)
p = fixture("rank.h5", accounts__features=good[:, 0])
expect(3, [p, "/accounts/features has rank 1, expected rank 2"], kmeans + ["--in", p], out)
p = fixture("type.h5", accounts__features=(good * 10).astype(np.int32))
expect(3, [p, "/accounts/features has type int32, expected float32 or float64"],
       kmeans + ["--in", p], out)
p = fixture("strings.h5", accounts__features=np.array([[b"a", b"b"]]))
expect(3, [p, "has type string"], kmeans + ["--in", p], out)
p = fixture("empty.h5", accounts__features=np.zeros((0, 4)))
expect(3, [p, "/accounts/features has zero rows"], kmeans + ["--in", p], out)
bad = good.copy()
bad[123, 2] = np.nan
p = fixture("nan.h5", accounts__features=bad)
expect(3, [p, "/accounts/features row 123, column 2 is NaN"], kmeans + ["--in", p], out)
bad = good.astype(np.float32)
bad[77, 0] = -np.inf
p = fixture("inf.h5", accounts__features=bad)
expect(3, [p, "row 77, column 0 is -Inf"], kmeans + ["--in", p], out)
p = fixture("weights.h5", accounts__features=good, accounts__weight=np.ones(199))
expect(3, [p, "/accounts/weight has 199 rows, expected 200"],
       kmeans + ["--in", p, "--weights", "/accounts/weight"], out)

# Usage errors (exit 2), each naming the flag.
p = fixture("good.h5", accounts__features=good)
expect(2, ["--k"], ["kmeans", "-k", "0", "--in", p, "--out", out], out)
expect(2, ["--init", "'best'"], kmeans + ["--in", p, "--init", "best"], out)
expect(2, ["k = 500 is more than the 200 rows"], ["kmeans", "-k", "500", "--in", p, "--out", out],
       out)
expect(2, ["--in FILE is required"], kmeans, out)

# Output problems (exit 4) and the input that must never be replaced.
expect(4, ["no-such-dir"], ["kmeans", "-k", "3", "--in", p, "--out",
                            os.path.join(tmp, "no-such-dir", "o.h5")], None)
expect(4, ["/proc/strata-k.h5"], ["kmeans", "-k", "3", "--in", p, "--out", "/proc/strata-k.h5"],
       None)
existing = os.path.join(tmp, "existing.h5")
with open(existing, "w") as f:
    f.write("keep me")
expect(4, [existing, "--force"], ["kmeans", "-k", "3", "--in", p, "--out", existing], None)
check(open(existing).read() == "keep me", "an existing output was modified without --force")
before = open(p, "rb").read()
expect(2, ["is the input file"], ["kmeans", "-k", "3", "--in", p, "--out", p, "--force"], None)
check(open(p, "rb").read() == before, "the input was modified")

# A transaction log with a refund left in: the CLV commands name the file, dataset, row and
# customer.
refund = fixture("refund.h5", transactions__customer_id=np.array([7, 7, 9, 9], dtype=np.int64),
                 transactions__day=np.array([0, 5, 1, 9], dtype=np.int32),
                 transactions__amount=np.array([3.0, 4.0, -2.5, 5.0]))
expect(3, [refund, "/transactions/amount row 2 (customer 9) is -2.5: negative"],
       ["clv", "fit", "--in", refund, "--out", out], out)

# And the good file works, writing what DESIGN.md lists.
r = expect(0, [], kmeans + ["--in", p, "--seed", "4"], None)
with h5py.File(out, "r") as f:
    check(f["kmeans/centers"].shape == (3, 4), "centres shape")
    check(f["kmeans/labels"].dtype == np.int32, "labels int32")
    check(f["kmeans/labels"].shape == (200,), "labels shape")
    for a in ("inertia", "n_iter", "converged", "seed"):
        check(a in f["kmeans"].attrs, f"attribute {a}")

finish()
