#!/usr/bin/env bash
# strata segment end to end on 1,000,000 generated customers (about 10 million transactions)
# against the same pipeline in pandas + scikit-learn + lifetimes, same file, same run, with the
# seconds of each phase and the peak memory. Issue 7's targets: < 20 s on 2 cores, >= 10x the
# peer, memory well below 3x the data's size.
. "$(dirname "$0")/common.sh"
N=${N:-1000000}
bench_header "segment: $N customers" 'import pandas, sklearn; from importlib.metadata import version as v; print("pandas", pandas.__version__, "scikit-learn", sklearn.__version__, "lifetimes", v("lifetimes"))'
data="$DATA/segment-$N.h5"
[ -f "$data" ] || "$STRATA" gen --customers "$N" --seed 11 --out "$data" --quiet
size=$(stat -c %s "$data")
echo "data:      $data, $(echo "$size" | awk '{printf "%.0f MB", $1/1e6}')"
/usr/bin/time -f "%M" -o "$DATA/strata.rss" "$STRATA" segment --in "$data" --out "$DATA/segment-out.h5" \
  --report "$DATA/segment-report.html" --force --json --threads "$THREADS" > "$DATA/strata.json"
/usr/bin/time -f "%M" -o "$DATA/peer.rss" "$PY" "$BENCH_DIR/peers/segment_pandas.py" "$data" > "$DATA/peer.json"
"$PY" - "$DATA/strata.json" "$DATA/peer.json" "$(cat "$DATA/strata.rss")" "$(cat "$DATA/peer.rss")" "$size" "$N" > "$RESULTS/segment.json" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1])); p = json.load(open(sys.argv[2]))
s_rss, p_rss, size, n = int(sys.argv[3]) * 1024, int(sys.argv[4]) * 1024, int(sys.argv[5]), int(sys.argv[6])
print(f"{'phase':16s} {'strata s':>9s} | {'peer phase':16s} {'peer s':>9s}", file=sys.stderr)
sp, pp = list(s["phases"].items()), list(p["phases"].items())
for i in range(max(len(sp), len(pp))):
    a = sp[i] if i < len(sp) else ("", None)
    b = pp[i] if i < len(pp) else ("", None)
    print(f"{a[0]:16s} {'' if a[1] is None else '%9.2f' % a[1]:>9s} | {b[0]:16s} {'' if b[1] is None else '%9.2f' % b[1]:>9s}", file=sys.stderr)
print(f"{'total':16s} {s['seconds']:9.2f} | {'total':16s} {p['seconds']:9.2f}   strata {p['seconds'] / s['seconds']:.1f}x faster", file=sys.stderr)
print(f"peak memory: strata {s_rss / 1e6:.0f} MB ({s_rss / size:.2f}x the file), peer {p_rss / 1e6:.0f} MB ({p_rss / size:.2f}x)", file=sys.stderr)
print(f"k: strata {s['results']['k']}, peer {p['k']}", file=sys.stderr)
print(json.dumps({"benchmark": "segment", "customers": n, "file_bytes": size,
                  "strata_seconds": s["seconds"], "peer_seconds": p["seconds"],
                  "speedup": p["seconds"] / s["seconds"], "strata_peak_rss": s_rss,
                  "peer_peak_rss": p_rss, "strata_phases": s["phases"], "peer_phases": p["phases"],
                  "strata_k": s["results"]["k"], "peer_k": p["k"]}))
PYEOF
