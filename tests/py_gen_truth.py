"""strata gen against independent truth: the most probable segment of every account recomputed
with scipy's densities from the parameters /truth states (so bayes_segment and bayes_accuracy
are what they claim); each segment's repeat purchases, share still alive and spend against the
BG/NBD and Gamma-Gamma expectations of that segment's parameters (Fader, Hardie & Lee 2005,
closed forms evaluated with scipy); behaviour that fits each prototype's story; --separation 0
leaves no latent structure; the B2B layout; byte-identical output for --threads 1 and 2;
--behaviour shared is the one-population truth the CLV tests rely on.

usage: py_gen_truth.py path/to/strata
"""
import json

from strata_test import check, finish, need, path, run

h5py, np, special, stats, integrate = need("h5py", "numpy", "scipy.special", "scipy.stats",
                                           "scipy.integrate")


def gen(name, *args):
    out = path(name)
    r = run("gen", "--out", out, "--quiet", *args)
    check(r.returncode == 0, f"gen {args}: {r.stderr}")
    return out


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def strings(ds):
    return [text(s) for s in ds[()]]


def within(value, expect, se, what, z=5.0):
    check(abs(value - expect) <= z * se, f"{what}: {value:.6g}, expected {expect:.6g} "
          f"(+- {z} x {se:.3g})")


def log_likelihoods(f):
    """log w_k + log f_k(x) for every account and segment, from /truth alone (scipy)."""
    X = f["accounts/features"][()]
    cen = f["truth/segment_feature_centres"]
    families = text(cen.attrs["families"]).split(",")
    shapes = cen.attrs["shapes"]
    centres = cen[()]
    names = strings(f["accounts/feature_names"])
    w = f["truth/segment_weights"][()]
    ll = np.tile(np.log(w), (X.shape[0], 1))
    for j, fam in enumerate(families):
        x = X[:, j]
        for k in range(len(w)):
            mu, s = centres[k, j], shapes[j]
            if fam == "gamma":
                ll[:, k] += stats.gamma.logpdf(x, s, scale=mu / s)
            elif fam == "beta":
                ll[:, k] += stats.beta.logpdf(x, mu * s, (1 - mu) * s)
            elif fam == "negative_binomial":
                ll[:, k] += stats.nbinom.logpmf(x, s, s / (s + mu))
            elif fam == "rounded_lognormal":
                # employees = max(1, round(X)), log X ~ N(log median, s)
                lo = np.where(x <= 1, -np.inf, (np.log(np.maximum(x - 0.5, 1e-300)) - np.log(mu)) / s)
                hi = (np.log(x + 0.5) - np.log(mu)) / s
                with np.errstate(divide="ignore"):  # beyond double range: impossible
                    ll[:, k] += np.log(stats.norm.sf(lo) - stats.norm.sf(hi))
            elif fam == "categorical":
                p = f["truth/levels/" + names[j]][()]
                ll[:, k] += np.log(p[k, x.astype(int)])
            # "band" is a function of the column it bands: no information of its own
    return ll


def bgnbd_expected_repeats(r, alpha, a, b, T):
    """E[X(T)] of BG/NBD (FHL 2005, eq. 9), per value of T."""
    z = T / (alpha + T)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + T)) ** r * special.hyp2f1(r, b, a + b - 1, z))


def bgnbd_alive(r, alpha, a, b, T):
    """P(alive at T): given lambda and p, dropouts come at rate lambda p, so P = exp(-lambda p T);
    over lambda ~ Gamma(r, alpha) that is (alpha / (alpha + p T))^r, then over p ~ Beta(a, b)."""
    grid = np.linspace(T.min(), T.max(), 41)
    vals = [integrate.quad(lambda p: (alpha / (alpha + p * t)) ** r * stats.beta.pdf(p, a, b), 0, 1,
                           limit=200)[0] for t in grid]
    return np.interp(T, grid, vals)


def per_customer(f):
    ids = f["accounts/id"][()]
    cust = f["transactions/customer_id"][()]
    amount = f["transactions/amount"][()]
    first = np.searchsorted(cust, ids)
    count = np.diff(np.append(first, len(cust)))
    spend = np.add.reduceat(amount, first)
    return count, spend


# ---- the default B2C base
base = gen("b2c.h5", "--customers", 40000, "--seed", 17, "--threads", 2)
with h5py.File(base, "r") as f:
    t = f["truth"]
    check(text(t.attrs["profile"]) == "b2c" and text(t.attrs["behaviour"]) == "segment",
          "profile and behaviour attributes")
    check(float(t.attrs["separation"]) == 1.0, "separation attribute")
    check("r" not in t.attrs and "alpha" not in t.attrs and "gamma" not in t.attrs,
          "no single-population parameters when every segment has its own")
    seg = f["truth/segment"][()]
    K = int(t.attrs["segments"])
    check(K == 5 and seg.max() == 4, "5 segments")
    labels = strings(f["truth/segment_labels"])
    check(labels[:3] == ["everyday regulars", "young app-first deal seekers", "VIP loyalists"],
          f"labels {labels}")
    beh = f["truth/segment_behaviour"][()]
    check(text(f["truth/segment_behaviour"].attrs["columns"]) == "r,alpha,a,b,p,q,gamma",
          "segment_behaviour columns")
    # datasets/customer_base.md's prototype table at separation 1
    check(np.allclose(beh[2], [2.0, 20.0, 0.4, 16.0, 8.0, 4.0, 45.0], rtol=1e-12),
          f"VIP behaviour {beh[2]}")
    check(np.allclose(beh[3], [0.6, 90.0, 4.0, 1.5, 4.0, 3.0, 40.0], rtol=1e-12),
          f"gift buyers' behaviour {beh[3]}")
    means = f["truth/segment_feature_means"][()]
    check(np.allclose(means[2, :4], [60, 14, 0.07, 3.0], rtol=1e-12), f"VIP feature means {means[2]}")
    check(np.all(np.isnan(means[:, 4:])), "categorical columns have no mean")
    check(strings(f["accounts/levels/age_band"]) == ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"],
          "age band levels")
    check(strings(f["accounts/levels/channel"]) == ["web", "app", "store", "marketplace", "referral"],
          "channel levels")
    check(strings(f["accounts/levels/loyalty_tier"]) == ["none", "bronze", "silver", "gold", "platinum"],
          "loyalty tiers")
    check(len(f["accounts/levels/region"]) == 6, "6 regions")

    # The Bayes-optimal classifier, recomputed independently.
    ll = log_likelihoods(f)
    mine = ll.argmax(1)
    theirs = f["truth/bayes_segment"][()]
    agree = float(np.mean(mine == theirs))
    check(agree >= 0.9995, f"bayes_segment agrees with scipy's posterior argmax on {agree:.5f}")
    acc = float(t.attrs["bayes_accuracy"])
    check(abs(acc - np.mean(theirs == seg)) < 1e-12, "bayes_accuracy is the share bayes_segment gets right")
    check(abs(acc - np.mean(mine == seg)) < 0.001, f"bayes_accuracy {acc} vs scipy {np.mean(mine == seg)}")
    check(0.95 <= acc < 1.0, f"default separation leaves real but small overlap: {acc}")

    # Behaviour per segment against the BG/NBD and Gamma-Gamma expectations.
    T = f["truth/T"][()]
    alive = f["truth/alive"][()]
    count, spend = per_customer(f)
    x = count - 1
    stories = {}
    for k in range(K):
        r, alpha, a, b, p, q, gam = beh[k]
        sel = seg == k
        n_k = int(sel.sum())
        ex = bgnbd_expected_repeats(r, alpha, a, b, T[sel])
        within(x[sel].mean(), ex.mean(), x[sel].std() / np.sqrt(n_k), f"segment {k} mean repeat purchases")
        pa = bgnbd_alive(r, alpha, a, b, T[sel])
        within(alive[sel].mean(), pa.mean(), np.sqrt(pa.mean() * (1 - pa.mean()) / n_k),
               f"segment {k} share alive")
        # Gamma-Gamma: E[amount] = p gamma / (q - 1); amounts of one customer share nu, so the
        # standard error is clustered by customer.
        m_spend = spend[sel].sum() / count[sel].sum()
        se = np.sqrt(np.sum((spend[sel] - m_spend * count[sel]) ** 2)) / count[sel].sum()
        within(m_spend, p * gam / (q - 1), se, f"segment {k} mean transaction amount")
        stories[labels[k]] = (x[sel].mean(), alive[sel].mean(), m_spend)
    vip, gift, lapsed = stories["VIP loyalists"], stories["one-time gift buyers"], stories["lapsed bargain hunters"]
    check(vip[0] == max(s[0] for s in stories.values()), "VIPs buy most often")
    check(vip[2] == max(s[2] for s in stories.values()), "VIPs spend most per purchase")
    print("segment stories (mean repeats, share alive, mean amount):",
          {k: tuple(round(float(v), 3) for v in s) for k, s in stories.items()})
    check(gift[0] == min(s[0] for s in stories.values()), "one-time gift buyers barely repeat")
    check(max(gift[1], lapsed[1]) < 0.45 < vip[1], "gift buyers and lapsed hunters drop out, VIPs stay")
    check(vip[1] > stories["young app-first deal seekers"][1], "VIPs stay longer than deal seekers")

# --extra-numeric / --extra-categorical: the extra columns enter the posterior (bayes_segment
# recomputed from /truth alone, extras included, must agree) and the base's columns are the
# ones of the base without extras.
wide = gen("wide.h5", "--customers", 20000, "--seed", 29, "--extra-numeric", 6,
           "--extra-categorical", 2)
plain = gen("plain.h5", "--customers", 20000, "--seed", 29)
with h5py.File(wide, "r") as f, h5py.File(plain, "r") as g:
    names = strings(f["accounts/feature_names"])
    check(names[8:] == [f"extra_num_{j:02d}" for j in range(1, 7)] + ["extra_cat_01", "extra_cat_02"],
          f"extra column names: {names[8:]}")
    check(np.array_equal(f["accounts/features"][:, :8], g["accounts/features"][()]),
          "the profile's columns are unchanged by extras")
    check(np.array_equal(f["transactions/amount"][()], g["transactions/amount"][()]),
          "transactions unchanged by extras")
    check(int(f["truth"].attrs["extra_numeric"]) == 6 and int(f["truth"].attrs["extra_categorical"]) == 2,
          "/truth records the extras")
    check("extra_numeric" not in g["truth"].attrs, "no extras, no attribute (bytes as before)")
    ll = log_likelihoods(f)
    seg, theirs = f["truth/segment"][()], f["truth/bayes_segment"][()]
    agree = float(np.mean(ll.argmax(1) == theirs))
    check(agree >= 0.9995, f"with extras, bayes_segment agrees with scipy's posterior on {agree:.5f}")
    acc, acc0 = float(f["truth"].attrs["bayes_accuracy"]), float(g["truth"].attrs["bayes_accuracy"])
    check(abs(acc - np.mean(theirs == seg)) < 1e-12, "bayes_accuracy with extras")
    check(acc > acc0, f"extra informative columns raise the Bayes accuracy: {acc0} -> {acc}")
    X = f["accounts/features"][()]
    means = f["truth/segment_feature_means"][()]
    for k in range(means.shape[0]):
        sel = seg == k
        for j in range(8, 14):
            within(X[sel, j].mean(), means[k, j], X[sel, j].std() / np.sqrt(sel.sum()),
                   f"segment {k} {names[j]} mean")
        for j in (14, 15):
            p = f["truth/levels/" + names[j]][()][k]
            share = np.bincount(X[sel, j].astype(int), minlength=6) / sel.sum()
            for l in range(6):
                within(share[l], p[l], np.sqrt(p[l] * (1 - p[l]) / sel.sum()),
                       f"segment {k} {names[j]} level {l} share")
r = run("gen", "--customers", 100, "--seed", 1, "--out", path("bad.h5"), "--extra-numeric", 33)
check(r.returncode == 2 and "extra-numeric" in r.stderr, f"--extra-numeric 33 refused: {r.stderr}")

# --json and the text summary state the separation.
r = run("gen", "--customers", 3000, "--seed", 17, "--out", path("json.h5"), "--json")
res = json.loads(r.stdout)["results"]
check(r.returncode == 0 and 0.9 < res["bayes_accuracy"] < 1 and res["profile"] == "b2c"
      and res["behaviour"] == "segment" and res["separation"] == 1, f"--json: {r.stdout}")
r = run("gen", "--customers", 3000, "--seed", 17, "--out", path("text.h5"))
check(r.returncode == 0 and "Bayes-optimal accuracy" in r.stdout and
      f"{res['bayes_accuracy']:.4f}" in r.stdout, f"text summary: {r.stdout}")

# ---- separation: 0 = no latent structure; more separation, fewer ambiguous accounts
flat = gen("flat.h5", "--customers", 20000, "--seed", 5, "--separation", 0)
with h5py.File(flat, "r") as f:
    seg = f["truth/segment"][()]
    w = f["truth/segment_weights"][()]
    acc = float(f["truth"].attrs["bayes_accuracy"])
    check(acc == np.mean(seg == np.argmax(w)), f"separation 0: the best guess is the largest segment ({acc})")
    within(acc, w.max(), np.sqrt(w.max() * (1 - w.max()) / len(seg)), "separation 0 accuracy")
    check(np.all(f["truth/bayes_segment"][()] == np.argmax(w)), "separation 0: one guess for all")
    for name in ("segment_behaviour", "segment_feature_means", "levels/age_band", "levels/channel"):
        v = f["truth/" + name][()]
        check(np.allclose(v, v[0], equal_nan=True, rtol=1e-13), f"separation 0: {name} the same in every segment")
    X = f["accounts/features"][()]
    # Numeric columns: segment means agree within sampling error (a one-way ANOVA F test).
    for j in range(4):
        groups = [X[seg == k, j] for k in range(len(w))]
        check(stats.f_oneway(*groups).pvalue > 1e-4, f"separation 0: column {j} means differ")
accs = []
for s in (0.5, 1, 2):
    with h5py.File(gen(f"s{s}.h5", "--customers", 5000, "--seed", 5, "--separation", s), "r") as f:
        accs.append(float(f["truth"].attrs["bayes_accuracy"]))
check(accs[0] < accs[1] < accs[2], f"Bayes accuracy grows with separation: {accs}")

# ---- B2B: layout, the derived size band, and byte-identical output for any thread count
b1 = gen("b2b-1.h5", "--customers", 30000, "--seed", 9, "--profile", "b2b", "--segments", 6, "--threads", 1)
b2 = gen("b2b-2.h5", "--customers", 30000, "--seed", 9, "--profile", "b2b", "--segments", 6, "--threads", 2)
with h5py.File(b1, "r") as f, h5py.File(b2, "r") as g:
    def visit(h5, out):
        h5.visititems(lambda name, obj: out.append(name) if isinstance(obj, h5py.Dataset) else None)
        return out
    names1, names2 = visit(f, []), visit(g, [])
    check(names1 == names2 and len(names1) > 20, "same datasets for --threads 1 and 2")
    for name in names1:
        a, b = f[name][()], g[name][()]
        if a.dtype == object:  # variable-length strings: compare the strings themselves
            same = a.tolist() == b.tolist()
        else:
            same = a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
        check(same, f"{name} byte-identical for --threads 1 and 2")
    check(float(f["truth"].attrs["bayes_accuracy"]) == float(g["truth"].attrs["bayes_accuracy"]),
          "bayes_accuracy identical for any thread count")
    names = strings(f["accounts/feature_names"])
    check(names == ["industry", "size_band", "region", "employees", "support_tickets",
                    "tenure_months", "web_sessions", "discount_share"], f"b2b columns {names}")
    check(text(f["accounts/features"].attrs["categorical"]) == "industry,size_band,region",
          "b2b categorical attribute")
    check(text(f["truth"].attrs["profile"]) == "b2b", "b2b profile attribute")
    check(len(f["accounts/levels/industry"]) == 10, "10 industries")
    check(strings(f["accounts/levels/size_band"]) == ["1-9", "10-49", "50-249", "250-999", "1000+"],
          "size bands")
    X = f["accounts/features"][()]
    seg = f["truth/segment"][()]
    emp = X[:, 3]
    check(np.all(emp >= 1) and np.all(emp == np.round(emp)), "employees are whole and >= 1")
    band = np.searchsorted([10, 50, 250, 1000], emp, side="right")
    check(np.array_equal(band, X[:, 1].astype(int)), "size_band is the band of employees")
    sb = f["truth/levels/size_band"][()]
    means = f["truth/segment_feature_means"][()]
    for k in range(int(f["truth"].attrs["segments"])):
        sel = seg == k
        n_k = sel.sum()
        for lvl in range(5):
            share = np.mean(X[sel, 1] == lvl)
            within(share, sb[k, lvl], np.sqrt(sb[k, lvl] * (1 - sb[k, lvl]) / n_k) + 1e-9,
                   f"b2b segment {k} size band {lvl}")
        within(emp[sel].mean(), means[k, 3], emp[sel].std() / np.sqrt(n_k), f"b2b segment {k} employees")
    ll = log_likelihoods(f)
    check(np.mean(ll.argmax(1) == f["truth/bayes_segment"][()]) >= 0.9995,
          "b2b bayes_segment agrees with scipy's posterior")

# ---- --behaviour shared: one population, stated as the old attributes
sh3 = gen("shared3.h5", "--customers", 20000, "--seed", 3, "--behaviour", "shared", "--segments", 3)
sh5 = gen("shared5.h5", "--customers", 20000, "--seed", 3, "--behaviour", "shared", "--segments", 5,
          "--r", 0.9, "--alpha", 25)
with h5py.File(sh3, "r") as f, h5py.File(sh5, "r") as g:
    t = g["truth"]
    truth = [0.9, 25.0, 0.9, 9.0, 6.25, 3.74, 15.44]
    got = [float(t.attrs[k]) for k in ("r", "alpha", "a", "b", "p", "q", "gamma")]
    check(got == truth, f"shared truth attributes {got}")
    check(text(t.attrs["behaviour"]) == "shared", "behaviour attribute")
    check(np.allclose(g["truth/segment_behaviour"][()], truth, rtol=0), "every segment shares the flags")
    lam = g["truth/lambda"][()]
    within(lam.mean(), 0.9 / 25, np.sqrt(0.9) / 25 / np.sqrt(len(lam)), "shared mean lambda")
    # Purchases do not depend on the segments: the same transactions for 3 or 5 segments.
    for name in ("customer_id", "day", "amount"):
        check(np.array_equal(f["transactions/" + name][()], g["transactions/" + name][()]),
              f"shared behaviour: /transactions/{name} independent of --segments")
r = run("gen", "--customers", 100, "--seed", 1, "--out", path("bad.h5"), "--r", 0.5)
check(r.returncode == 2 and "--behaviour shared" in r.stderr, f"--r without shared behaviour: {r.stderr!r}")
r = run("gen", "--customers", 100, "--seed", 1, "--out", path("bad.h5"), "--profile", "b2x")
check(r.returncode == 2 and "--profile" in r.stderr and "b2x" in r.stderr, f"bad profile: {r.stderr!r}")
r = run("gen", "--customers", 100, "--seed", 1, "--out", path("bad.h5"), "--separation", 9)
check(r.returncode == 2 and "--separation" in r.stderr, f"bad separation: {r.stderr!r}")

finish()
