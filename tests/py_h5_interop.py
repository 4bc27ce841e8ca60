"""Interoperability with h5py (Debian's python3-h5py), an independent HDF5 reader/writer:
files strata writes read back in h5py with the types of the data model (DESIGN.md), and files
h5py writes (float32 features, fixed and variable-length strings, attributes) are described
correctly by `strata info`.

usage: py_h5_interop.py path/to/strata
"""
import json
import os
import subprocess

from strata_test import check, finish, need, run, strata, tmp

h5py, np = need("h5py", "numpy")


base = os.path.join(tmp, "base.h5")
subprocess.run([strata, "gen", "--customers", "3000", "--seed", "5", "--behaviour", "shared",
                "--out", base, "--quiet"],
               check=True)
with h5py.File(base, "r") as f:
    check(f["accounts/id"].dtype == np.int64, "accounts/id is int64")
    check(f["accounts/features"].dtype == np.float64, "features are float64")
    check(f["accounts/features"].shape == (3000, 8), "features shape")
    check(f["accounts/features"].chunks is not None, "features are chunked")
    names = [s.decode() if isinstance(s, bytes) else s for s in f["accounts/feature_names"][()]]
    check(names == ["tenure_months", "web_sessions", "discount_share", "support_tickets",
                    "age_band", "region", "channel", "loyalty_tier"], f"feature names {names}")
    check(f["transactions/customer_id"].dtype == np.int64, "customer_id is int64")
    check(f["transactions/day"].dtype == np.int32, "day is int32")
    check(f["transactions/amount"].dtype == np.float64, "amount is float64")
    m = f["transactions/day"].shape[0]
    check(int(f["truth"].attrs["transactions"]) == m, "truth transactions attribute")
    check(float(f["truth"].attrs["r"]) == 0.9, "truth r attribute")
    version = f.attrs["strata_version"]
    version = version.decode() if isinstance(version, bytes) else version
    check(version.startswith("0."), f"strata_version attribute {version!r}")
    cmd = f.attrs["command_line"]
    cmd = cmd.decode() if isinstance(cmd, bytes) else cmd
    check("gen --customers 3000" in cmd, f"command_line attribute {cmd!r}")
    ids = f["accounts/id"][()]
    cust = f["transactions/customer_id"][()]
    check(np.all(np.isin(cust, ids)), "every transaction belongs to an account")
    check(np.all(np.diff(cust) >= 0), "transactions grouped by customer")
    seg = f["truth/segment"][()]
    check(seg.min() >= 0 and seg.max() < 5, "segments in 0..4")

# A file written by h5py, described by strata.
other = os.path.join(tmp, "from-h5py.h5")
with h5py.File(other, "w") as f:
    f.create_dataset("accounts/features", data=np.ones((17, 3), dtype=np.float32))
    f["accounts/feature_names"] = np.array(["a", "bb", "ccc"], dtype="S3")
    f["accounts/labels"] = np.array(["x", "yy"], dtype=h5py.string_dtype())
    f["accounts"].attrs["source"] = "h5py"
    f["accounts"].attrs["scale"] = np.array([1.5, 2.5])
mtime = os.stat(other).st_mtime_ns
out = subprocess.run([strata, "info", other, "--json"], capture_output=True, text=True)
check(os.stat(other).st_mtime_ns == mtime, "strata info left the input untouched")
check(out.returncode == 0, f"strata info on an h5py file: {out.stderr}")
objects = {o["path"]: o for o in json.loads(out.stdout)["results"]["objects"]}
check(objects["/accounts/features"]["type"] == "float32", "float32 type seen")
check(objects["/accounts/features"]["shape"] == [17, 3], "shape seen")
check(objects["/accounts/feature_names"]["type"] == "string", "fixed strings seen")
check(objects["/accounts"]["attributes"].get("source") == "h5py", "string attribute seen")
check(objects["/accounts"]["attributes"].get("scale") == "[1.5, 2.5]", "array attribute seen")
# The input is never modified by strata.
with h5py.File(other, "r") as f:
    check(float(f["accounts/features"][()].sum()) == 51.0, "input unchanged")

finish()
