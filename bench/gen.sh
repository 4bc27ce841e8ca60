#!/usr/bin/env bash
# strata gen on 1,000,000 customers against the same generator in vectorised numpy + h5py.
# Target (issue 3): well under a minute on 2 cores.
. "$(dirname "$0")/common.sh"
N=${N:-1000000}
bench_header "gen: $N customers" 'import numpy, h5py; print("numpy", numpy.__version__, "h5py", h5py.__version__)'
s1=$(best_of 3 "$STRATA" gen --customers "$N" --seed 1 --behaviour shared --out "$DATA/gen-strata.h5" --force --threads 1)
s2=$(best_of 3 "$STRATA" gen --customers "$N" --seed 1 --behaviour shared --out "$DATA/gen-strata.h5" --force --threads "$THREADS")
m=$("$STRATA" info "$DATA/gen-strata.h5" --json | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print([o for o in d["results"]["objects"] if o["path"]=="/transactions/day"][0]["shape"][0])')
rm -f "$DATA/gen-numpy.h5"
peer=$(best_of 3 "$PY" "$BENCH_DIR/peers/gen_numpy.py" "$N" 1 "$DATA/gen-numpy.h5")
pm=$("$PY" -c "import h5py; print(h5py.File('$DATA/gen-numpy.h5')['transactions/day'].shape[0])")
printf '%-28s %10s %14s %12s\n' "" seconds transactions "vs numpy"
printf '%-28s %10.2f %14d %11.1fx\n' "strata gen, 1 thread" "$s1" "$m" "$(echo "$peer $s1" | awk '{print $1/$2}')"
printf '%-28s %10.2f %14d %11.1fx\n' "strata gen, $THREADS threads" "$s2" "$m" "$(echo "$peer $s2" | awk '{print $1/$2}')"
printf '%-28s %10.2f %14d %12s\n' "numpy + h5py (peer)" "$peer" "$pm" "1.0x"
cat > "$RESULTS/gen.json" <<JSON
{"benchmark": "gen", "customers": $N, "threads": $THREADS, "strata_seconds_1thread": $s1,
 "strata_seconds": $s2, "strata_transactions": $m, "numpy_seconds": $peer,
 "numpy_transactions": $pm, "speedup_vs_numpy": $(echo "$peer $s2" | awk '{print $1/$2}')}
JSON
