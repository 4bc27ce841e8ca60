#!/usr/bin/env bash
# `make demo`: generates the default customer base (datasets/default-base.args) and runs
# strata on it. Output goes to $BUILD/demo/.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build="$root/$build" ;; esac
strata="$build/strata"
out="$build/demo"
mkdir -p "$out"
base="$out/customers.h5"
# The spec is one line of `strata gen` flags; comments start with #.
read -r -a gen_args <<< "$(grep -v '^#' "$root/datasets/default-base.args" | tr '\n' ' ')"
echo "== strata gen ${gen_args[*]}"
"$strata" gen "${gen_args[@]}" --out "$base" --force
echo
echo "== strata segment --in $base --report $out/report.html"
"$strata" segment --in "$base" --out "$out/segments.h5" --report "$out/report.html" --force
echo
echo "The customer base is in $base"
echo "Segments, profiles and the model are in $out/segments.h5"
echo "The report is $out/report.html"
