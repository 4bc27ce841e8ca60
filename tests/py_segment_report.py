"""The segmentation report in a real browser (issue 13, item 8): reports of a b2c base (with
--title and --currency), a b2b base, a transaction log alone (a CSV log imported, no
/accounts) and a --no-clv run are self-contained, every chart canvas draws ink, the page is no
wider than 1280 px and no table needs scrolling, the title and currency flags appear, the
glossary lists every measure and the action rules, every segment has an action hint, and
sections without data say so instead of drawing empty charts.

Headless Chromium loads a copy of each report with a probe script appended that writes what
it measured into data attributes; --dump-dom returns them. Skipped (77) without chromium.

usage: py_segment_report.py path/to/strata
"""
import datetime
import html as htmllib
import os
import random
import re
import shutil
import subprocess
import sys

from strata_test import SKIP, check, finish, path, run

chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if chromium is None:
    print("SKIP: chromium is not installed (apt-get install chromium); the report is checked in a browser")
    sys.exit(SKIP)

# After the page's own script: per canvas the count of painted pixels and whether Chart.js
# owns it, the document's width, and every .scroll box that would need a scroll bar.
PROBE = """<script>
window.addEventListener('load', function () {
  var cs = Array.prototype.slice.call(document.querySelectorAll('canvas'));
  cs.forEach(function (c) {
    var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data, n = 0;
    for (var i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    c.setAttribute('data-inked', String(n));
    c.setAttribute('data-chart', Chart.getChart(c) ? '1' : '0');
    c.setAttribute('data-width', String(c.getBoundingClientRect().width));
  });
  var over = [];
  document.querySelectorAll('.scroll').forEach(function (b) {
    if (b.scrollWidth > b.clientWidth + 1) over.push(((b.firstChild && b.firstChild.id) || 'table') + ':' + b.scrollWidth + '>' + b.clientWidth);
  });
  var b = document.body;
  b.setAttribute('data-canvases', String(cs.length));
  b.setAttribute('data-scroll-width', String(document.documentElement.scrollWidth));
  b.setAttribute('data-overflowing', over.join(' '));
  b.setAttribute('data-probe', 'done');
});
</script>
"""


def browse(report):
    """The DOM of the report after its scripts ran, in a 1280 px wide window."""
    probed = report.replace(".html", "-probe.html")
    page = open(report, encoding="utf-8").read()
    open(probed, "w", encoding="utf-8").write(page.replace("</body>", PROBE + "</body>"))
    r = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        "--window-size=1280,4000", "--virtual-time-budget=10000", "--dump-dom",
                        "file://" + probed], capture_output=True, text=True, timeout=180)
    return r.stdout


def attr(dom, name):
    m = re.search(r'<body[^>]*\s' + name + r'="([^"]*)"', dom)
    return m.group(1) if m else None


def table_html(dom, table_id):
    m = re.search(r'<table[^>]*id="' + table_id + r'"[^>]*>(.*?)</table>', dom, re.S)
    return m.group(1) if m else ""


def text(fragment):
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment))


GLOSSARY = ["CLV", "P(alive)", "Expected purchases", "RFM scores", "RFM cells", "Value x risk",
            "Growth terms", "Jaccard stability", "PSI", "Lift", "One-time buyer", "Spend per purchase",
            "Action hints"]
ACTIONS = {"Retain", "Win back", "Grow", "Nurture", "Deprioritise", "Maintain", "Review"}


def check_report(name, report, k_expected=None, lenses=True, nominal=True, currency=None, title=None,
                 k_chosen=False):
    check(os.path.exists(report), f"{name}: report written")
    if not os.path.exists(report):
        return
    page = open(report, encoding="utf-8").read()
    # self-contained: nothing is loaded; the only URLs are inside Chart.js's licence comments
    check(not re.search(r"<(script|img|link|iframe)[^>]+(src|href)\s*=", page, re.I), f"{name}: no external resources")
    own = page.split("</script>", 1)[1] if "</script>" in page else page
    check(not re.search(r"https?:", own, re.I), f"{name}: no http(s) reference outside Chart.js")
    check("Chart.js v" in page, f"{name}: Chart.js inlined")
    dom = browse(report)
    check(attr(dom, "data-probe") == "done", f"{name}: the page's scripts ran")
    canvases = re.findall(r"<canvas[^>]*>", dom)
    ids = [re.search(r'id="([^"]+)"', c).group(1) for c in canvases]
    check(len(canvases) >= 6, f"{name}: {len(canvases)} charts")
    for c, cid in zip(canvases, ids):
        inked = int(re.search(r'data-inked="(\d+)"', c).group(1))
        owned = re.search(r'data-chart="(\d)"', c).group(1) == "1"
        width = float(re.search(r'data-width="([\d.]+)"', c).group(1))
        check(owned and inked > 2000, f"{name}: chart {cid} drew ({inked} painted pixels)")
        check(0 < width <= 1240, f"{name}: chart {cid} fits ({width} px)")
    width = int(attr(dom, "data-scroll-width") or 99999)
    check(width <= 1280, f"{name}: page width {width} px <= 1280")
    check(attr(dom, "data-overflowing") == "", f"{name}: tables that need scrolling: {attr(dom, 'data-overflowing')!r}")
    for expected in ["sizes", "profile", "tree"]:
        check(expected in ids, f"{name}: chart {expected}")
    # the candidates' scores: a curve when k was chosen among several, the table always
    check(("kchoice" in ids) == k_chosen, f"{name}: chart of the candidates' scores {'present' if k_chosen else 'absent'}")
    check(re.search(r"<h3>Candidates</h3>", dom) is not None and "Calinski-Harabasz" in dom, f"{name}: candidates table")
    for expected in ["vr-accounts", "vr-clv", "rfm-counts", "rfm-segments", "growth-prev-curr", "growth-parts", "alive"]:
        check((expected in ids) == lenses, f"{name}: chart {expected} {'present' if lenses else 'absent'}")
    check(("nominal-0" in ids) == nominal, f"{name}: categorical charts {'present' if nominal else 'absent'}")
    check(("vr-heatmap" in dom and "rfm" in dom) if lenses else dom.count("Not available") >= 3,
          f"{name}: lens sections {'drawn' if lenses else 'say they are not available'}")
    # one overview row per segment, each with an action hint and its reason
    overview = table_html(dom, "overview")
    rows = re.findall(r"<tr>(.*?)</tr>", overview, re.S)[1:]
    seg_rows = [r for r in rows if "all accounts" not in r]
    if k_expected is not None:
        check(len(seg_rows) == k_expected, f"{name}: {len(seg_rows)} segment rows, want {k_expected}")
    for r in seg_rows:
        m = re.search(r'class="action"[^>]*>([^<]+)</span><br><span class="note">([^<]+)<', r)
        check(m is not None and m.group(1) in ACTIONS and len(m.group(2)) > 10, f"{name}: action hint in {text(r)[:60]!r}")
        if not lenses and m:
            check(m.group(1) == "Review", f"{name}: without CLV the hint is Review, got {m.group(1)}")
    # glossary: every measure and the action rule table
    glossary = re.search(r'<dl[^>]*id="glossary"[^>]*>(.*?)</dl>', dom, re.S)
    terms = re.findall(r"<dt>(.*?)</dt>", glossary.group(1)) if glossary else []
    for t in GLOSSARY:
        check(any(htmllib.unescape(x).startswith(t) for x in terms), f"{name}: glossary explains {t}")
    rules = text(table_html(dom, "action-rules"))
    for a in ACTIONS - {"Maintain"} | {"Maintain"}:
        check(a in rules, f"{name}: action rule table lists {a}")
    head = text(dom.split('<section', 1)[0])
    if lenses:
        check(re.search(r"Data period\s+\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d", head) is not None, f"{name}: data period in the header")
        check(re.search(r"As of\s+\d{4}-\d\d-\d\d", head) is not None, f"{name}: as-of date in the header")
        check("CLV horizon" in head, f"{name}: CLV horizon in the header")
    if title is not None:
        check(re.search(r"<h1>" + re.escape(htmllib.escape(title, quote=False)) + "</h1>", dom) is not None,
              f"{name}: title {title!r} as the heading")
        check("<title>" + htmllib.escape(title) + "</title>" in page, f"{name}: title in <title>")
    if currency is not None:
        check(re.search(r"Currency\s+" + currency, head) is not None, f"{name}: currency in the header")
        money = re.findall(r"<td>([^<]*\d[^<]*)</td>", overview)
        with_code = [m for m in money if m.endswith(" " + currency)]
        check(len(with_code) >= 3 * len(seg_rows), f"{name}: money figures carry {currency} ({len(with_code)})")
    else:
        check("none given (plain numbers)" in head, f"{name}: no currency: plain numbers")


# ---- a b2c base with a title and a currency
b2c = path("b2c.h5")
check(run("gen", "--customers", 6000, "--seed", 11, "--segments", 4, "--out", b2c).returncode == 0, "gen b2c")
title = 'Q4 review: <consumers> & "friends"'
r = run("segment", "--in", b2c, "--out", path("b2c-seg.h5"), "--report", path("b2c.html"), "--k", 4,
        "--title", title, "--currency", "EUR", "--stability-resamples", 5)
check(r.returncode == 0, f"segment b2c: {r.stderr}")
check_report("b2c", path("b2c.html"), k_expected=4, currency="EUR", title=title)

# ---- a b2b base, default title, k chosen
b2b = path("b2b.h5")
check(run("gen", "--customers", 4000, "--seed", 12, "--profile", "b2b", "--out", b2b).returncode == 0, "gen b2b")
r = run("segment", "--in", b2b, "--out", path("b2b-seg.h5"), "--report", path("b2b.html"), "--k-range", "3:5",
        "--stability-resamples", 5)
check(r.returncode == 0, f"segment b2b: {r.stderr}")
check_report("b2b", path("b2b.html"), title="Customer segments of " + b2b, k_chosen=True)

# ---- the same b2c base without CLV: no lenses, hints say Review
r = run("segment", "--in", b2c, "--out", path("noclv-seg.h5"), "--report", path("noclv.html"), "--k", 4,
        "--no-clv", "--stability-resamples", 5)
check(r.returncode == 0, f"segment --no-clv: {r.stderr}")
check_report("no-clv", path("noclv.html"), k_expected=4, lenses=False)

# ---- a transaction log alone: a CSV log imported into /transactions, no /accounts
# BG/NBD-like customers (gamma purchase rates, beta dropout after each purchase), so that the
# CLV models identify their parameters; amounts gamma-distributed around each customer's mean.
rng = random.Random(5)
csv = path("log.csv")
start = datetime.date(2023, 1, 2)
with open(csv, "w") as f:
    f.write("customer_id,date,amount\n")
    for c in range(1, 2001):
        lam = rng.gammavariate(0.9, 1.0 / 25.0)  # purchases per day
        p = rng.betavariate(0.9, 6.0)
        spend = rng.gammavariate(6.0, 8.0)
        day = rng.randrange(0, 365)
        while day < 730:
            f.write(f"{c},{start + datetime.timedelta(days=day)},{rng.gammavariate(4.0, spend / 4.0):.2f}\n")
            if rng.random() < p:
                break
            day += 1 + int(rng.expovariate(lam))
log = path("log.h5")
r = run("import", "--format", "csv", csv, "--out", log)
check(r.returncode == 0, f"import csv: {r.stderr}")
r = run("segment", "--in", log, "--out", path("log-seg.h5"), "--report", path("log.html"), "--k", 3,
        "--stability-resamples", 5, "--currency", "USD")
check(r.returncode == 0, f"segment a transaction log alone: {r.stderr}")
check_report("log only", path("log.html"), k_expected=3, nominal=False, currency="USD")
if os.path.exists(path("log.html")):
    check("the transaction log alone" in browse(path("log.html")), "log only: the header says the features come from the log")

# ---- the report is written atomically: an existing report is kept without --force
before = open(path("b2c.html"), "rb").read()
r = run("segment", "--in", b2c, "--out", path("b2c-seg2.h5"), "--report", path("b2c.html"), "--k", 4)
check(r.returncode != 0 and "b2c.html" in r.stderr, f"existing report refused: {r.stderr!r}")
check(open(path("b2c.html"), "rb").read() == before, "existing report untouched")
check(not any(n.startswith(".b2c.html") or (n.startswith("b2c.html") and n != "b2c.html") for n in os.listdir(os.path.dirname(path("x")))),
      "no temporary files left")

finish()
