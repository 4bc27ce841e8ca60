#!/usr/bin/env bash
# strata hier against fastcluster, SciPy and genieclust on the same float64 rows (d = 16),
# 2 threads (issue 6): (a) exact linkage at n = 10,000 and 20,000: ward and single from the
# vectors against fastcluster.linkage_vector and scipy linkage; average and complete against
# fastcluster.linkage on the condensed matrix (its pdist not timed; strata's time includes its
# own distance matrix), weighted likewise, centroid and median (generic algorithm) against
# fastcluster.linkage_vector at GENERIC_SIZES; heights compared and merges row for row; each
# time is the best of REPEAT runs (the machine is shared). (b) single-linkage
# trees at n = 100,000 against genieclust (Genie, gini_threshold = 1). (c) two-stage Ward
# (--micro M) on 1,000,000 accounts. strata's time is its fit (read and write excluded), the
# peers' their linkage call.
. "$(dirname "$0")/common.sh"
SIZES=${SIZES-"10000 20000"}
VECTOR_METHODS=${VECTOR_METHODS:-"ward single"}
MATRIX_METHODS=${MATRIX_METHODS:-"average complete weighted"}
GENERIC_METHODS=${GENERIC_METHODS:-"centroid median"}
GENERIC_SIZES=${GENERIC_SIZES-"20000"}
REPEAT=${REPEAT:-1}
VECTOR_PEERS=${VECTOR_PEERS:-"fastcluster-vector scipy"}
MATRIX_PEERS=${MATRIX_PEERS:-"fastcluster"}
GENIE_N=${GENIE_N:-100000}
MICRO_N=${MICRO_N:-1000000}
MICRO_M=${MICRO_M:-2000}
bench_header "hier" 'import scipy, fastcluster, genieclust, numpy; print("fastcluster", fastcluster.__version__, "| scipy", scipy.__version__, "| genieclust", genieclust.__version__, "| numpy", numpy.__version__)'
json_field() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
# Phases nest (k-means "iterate" holds "hamerly", "linkage" holds "nn-chain"), so strata's
# time is the command's wall clock less its read and write phases.
io_seconds='d["phases"].get("read", 0) + d["phases"].get("write", 0)'
results="["
strata_fit() { # file method [extra...] -> best seconds of REPEAT; output in $DATA/hier-out.h5
  local f=$1 m=$2; shift 2
  local t0 t1 out best="" s
  for _ in $(seq "$REPEAT"); do
    t0=$(date +%s.%N)
    out=$("$STRATA" hier --in "$f" --method "$m" --out "$DATA/hier-out.h5" --force --json --threads "$THREADS" "$@")
    t1=$(date +%s.%N)
    s=$(echo "$t0 $t1 $(echo "$out" | json_field "$io_seconds")" | awk '{print $2 - $1 - $3}')
    best=$(echo "$s $best" | awk '{print ($2 == "" || $1 < $2) ? $1 : $2}')
  done
  echo "$best"
}
compare() { # size method peer
  local n=$1 m=$2 peer=$3 s=$4
  r=$(REPEAT=$REPEAT "$PY" "$BENCH_DIR/peers/hier_peers.py" run "$peer" "$m" "$DATA/hier-$n.h5" "$DATA/hier-out.h5")
  p=$(echo "$r" | json_field 'd["seconds"]')
  e=$(echo "$r" | json_field 'd.get("max_rel_height_diff", float("nan"))')
  same=$(echo "$r" | json_field 'json.dumps(d.get("same_merges"))')
  printf '    %-20s %8.3f s   strata is %5.1fx faster   heights max rel diff %.1e  same merges %s\n' "$peer" "$p" "$(echo "$p $s" | awk '{print $1/$2}')" "$e" "$same"
  results="$results{\"n\":$n,\"method\":\"$m\",\"tool\":\"$peer\",\"seconds\":$p,\"speedup\":$(echo "$p $s" | awk '{print $1/$2}'),\"max_rel_height_diff\":$e,\"same_merges\":${same:-null}},"
}
for n in $SIZES; do
  data="$DATA/hier-$n.h5"
  [ -f "$data" ] || "$PY" "$BENCH_DIR/peers/hier_peers.py" make "$data" "$n" 16 1
  echo
  echo "-- n = $n, d = 16"
  for m in $VECTOR_METHODS; do
    s=$(strata_fit "$data" "$m")
    printf '  %-9s strata %8.3f s\n' "$m" "$s"
    results="$results{\"n\":$n,\"method\":\"$m\",\"tool\":\"strata\",\"seconds\":$s},"
    for peer in $VECTOR_PEERS; do compare "$n" "$m" "$peer" "$s"; done
  done
  for m in $MATRIX_METHODS; do
    s=$(strata_fit "$data" "$m")
    printf '  %-9s strata %8.3f s (distance matrix included)\n' "$m" "$s"
    results="$results{\"n\":$n,\"method\":\"$m\",\"tool\":\"strata\",\"seconds\":$s},"
    for peer in $MATRIX_PEERS; do compare "$n" "$m" "$peer" "$s"; done
  done
  case " $GENERIC_SIZES " in *" $n "*)
    for m in $GENERIC_METHODS; do
      s=$(strata_fit "$data" "$m")
      printf '  %-9s strata %8.3f s\n' "$m" "$s"
      results="$results{\"n\":$n,\"method\":\"$m\",\"tool\":\"strata\",\"seconds\":$s},"
      compare "$n" "$m" fastcluster-vector "$s"
    done ;;
  esac
done
if [ "$GENIE_N" -gt 0 ]; then
  data="$DATA/hier-$GENIE_N.h5"
  [ -f "$data" ] || "$PY" "$BENCH_DIR/peers/hier_peers.py" make "$data" "$GENIE_N" 16 2
  echo
  echo "-- n = $GENIE_N, d = 16: single-linkage trees"
  s=$(strata_fit "$data" single)
  printf '  %-9s strata %8.3f s\n' single "$s"
  results="$results{\"n\":$GENIE_N,\"method\":\"single\",\"tool\":\"strata\",\"seconds\":$s},"
  r=$("$PY" "$BENCH_DIR/peers/hier_peers.py" run genieclust single "$data")
  p=$(echo "$r" | json_field 'd["seconds"]')
  printf '    %-20s %8.3f s   strata is %5.1fx faster\n' genieclust "$p" "$(echo "$p $s" | awk '{print $1/$2}')"
  results="$results{\"n\":$GENIE_N,\"method\":\"single\",\"tool\":\"genieclust\",\"seconds\":$p,\"speedup\":$(echo "$p $s" | awk '{print $1/$2}')},"
fi
if [ "$MICRO_N" -gt 0 ]; then
  data="$DATA/hier-$MICRO_N.h5"
  [ -f "$data" ] || "$PY" "$BENCH_DIR/peers/hier_peers.py" make "$data" "$MICRO_N" 16 3
  echo
  echo "-- two-stage Ward, $MICRO_N accounts x 16, --micro $MICRO_M (target: under 30 s on 2 cores)"
  t0=$(date +%s.%N)
  out=$("$STRATA" hier --in "$data" --method ward --micro "$MICRO_M" --cut-k 8 --out "$DATA/hier-out.h5" --force --json --threads "$THREADS")
  t1=$(date +%s.%N)
  total=$(echo "$t0 $t1" | awk '{print $2 - $1}')
  s=$(echo "$t0 $t1 $(echo "$out" | json_field "$io_seconds")" | awk '{print $2 - $1 - $3}')
  printf '  strata two-stage ward %8.3f s without read/write, %.3f s wall clock in all\n' "$s" "$total"
  echo "$out" | json_field '", ".join("%s %.2f s" % kv for kv in d["phases"].items())' | sed 's/^/    phases (nested): /'
  results="$results{\"n\":$MICRO_N,\"method\":\"ward\",\"micro\":$MICRO_M,\"tool\":\"strata\",\"seconds\":$s,\"total_seconds\":$total},"
fi
echo "${results%,}]" > "$RESULTS/hier.json"
