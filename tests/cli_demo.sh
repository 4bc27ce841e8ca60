#!/usr/bin/env bash
# `make demo` end to end (its script, on the freshly built binary): it must finish and say
# where its output is.
. "$(dirname "$0")/cli/assert.sh"
build=$(dirname "$STRATA")
expect_exit 0 -- bash "$(dirname "$0")/../scripts/demo.sh" "$build"
expect_in "$OUT" "segments ("
expect_in "$OUT" "The report is"
CHECKS=$((CHECKS + 1)); [ -s "$build/demo/report.html" ] || fail "no report"
finish
