# Shared by the benchmark scripts: paths, the peers' virtual environment, and the header that
# every benchmark prints first (machine, ISA, threads, compiler flags, peer versions).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
STRATA=$BUILD/strata
DATA=${STRATA_BENCH_DATA:-$BUILD/bench-data}
RESULTS=$BENCH_DIR/results
PY=$BENCH_DIR/.venv/bin/python
THREADS=${THREADS:-2}
mkdir -p "$DATA" "$RESULTS"
"$BENCH_DIR/setup-venv.sh"
# The peers get the same threads as strata.
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS

bench_header() {
  local title=$1
  echo "== $title"
  echo "machine:   $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
  echo "strata:    $("$STRATA" --version), threads $THREADS"
  echo "compiler:  $(grep -m1 'CMAKE_C_COMPILER:' "$BUILD/CMakeCache.txt" | cut -d= -f2) $(grep -m1 'CMAKE_C_FLAGS_RELEASE:' "$BUILD/CMakeCache.txt" | cut -d= -f2)"
  echo "peers:     python $("$PY" -c 'import sys; print(sys.version.split()[0])'), $("$PY" -c "$2")"
}

# seconds of wall clock for a command, best of N runs
best_of() {
  local n=$1; shift
  local best=""
  for _ in $(seq "$n"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    best=$(echo "$t0 $t1 $best" | awk '{d=$2-$1; if ($3=="" || d<$3) print d; else print $3}')
  done
  echo "$best"
}
