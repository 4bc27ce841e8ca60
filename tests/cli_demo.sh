#!/usr/bin/env bash
# `make demo` end to end (its script, on the freshly built binary): it must finish and say
# where its output is.
. "$(dirname "$0")/cli/assert.sh"
build=$(dirname "$STRATA")
expect_exit 0 -- bash "$(dirname "$0")/../scripts/demo.sh" "$build"
expect_in "$OUT" "/accounts/features"
expect_in "$OUT" "The customer base is in"
finish
