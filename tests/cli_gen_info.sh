#!/usr/bin/env bash
# End-to-end: strata --help/--version, gen and info, exit codes and messages of the contract.
. "$(dirname "$0")/cli/assert.sh"

# --help, --version, usage errors (exit 2).
expect_exit 0 -- "$STRATA" --help
expect_in "$OUT" "gen" "strata --help"
expect_in "$OUT" "info" "strata --help"
expect_exit 0 -- "$STRATA" --version
expect_in "$OUT" "strata 0." "strata --version"
expect_exit 0 -- "$STRATA" gen --help
expect_in "$OUT" "--customers N" "strata gen --help"
expect_in "$OUT" "--threads N" "strata gen --help"
expect_in "$OUT" "--profile P" "strata gen --help"
expect_in "$OUT" "--separation S" "strata gen --help"
expect_in "$OUT" "--behaviour B" "strata gen --help"
# Required flags have no default to state, and a default is stated once.
CHECKS=$((CHECKS + 1))
if echo "$OUT" | grep -E -- '--(customers|seed|out) ' | grep -q default; then
  fail "gen --help states a default for a required flag: $(echo "$OUT" | grep -E -- '--(customers|seed) ')"
fi
CHECKS=$((CHECKS + 1))
if echo "$OUT" | grep -E 'default.*default'; then fail "gen --help states a default twice"; fi
expect_exit 2 -- "$STRATA"
expect_exit 2 -- "$STRATA" frobnicate
expect_in "$ERR" "unknown command 'frobnicate'"
expect_exit 2 -- "$STRATA" gen --seed 1 --out "$TMP/x.h5"
expect_in "$ERR" "--customers N is required"
expect_exit 2 -- "$STRATA" gen --customers ten --seed 1 --out "$TMP/x.h5"
expect_in "$ERR" "--customers expects an integer"
expect_in "$ERR" "'ten'"
expect_exit 2 -- "$STRATA" gen --customers 10 --seed 1 --out "$TMP/x.h5" --threads -3
expect_in "$ERR" "--threads"
expect_exit 2 -- "$STRATA" gen --customers 10 --seed 1 --out "$TMP/x.h5" --bogus
expect_in "$ERR" "unknown option '--bogus'"
expect_exit 2 -- "$STRATA" gen --customers 10 --seed 1 --out "$TMP/x.h5" --memory lots
expect_in "$ERR" "--memory"
expect_exit 2 -- "$STRATA" gen --customers 10 --seed 1 --out "$TMP/x.h5" --profile b2x
expect_in "$ERR" "--profile must be b2c or b2b"
expect_exit 2 -- "$STRATA" gen --customers 10 --seed 1 --out "$TMP/x.h5" --behaviour mixed
expect_in "$ERR" "--behaviour must be segment or shared"
expect_exit 2 -- "$STRATA" gen --customers 10 --seed 1 --out "$TMP/x.h5" --alpha 30
expect_in "$ERR" "--alpha sets the shared population: add --behaviour shared"
expect_exit 2 -- "$STRATA" gen --customers 10 --seed 1 --out "$TMP/x.h5" --separation 5
expect_in "$ERR" "--separation"
expect_exit 2 -- "$STRATA" gen --customers 10 --seed 1 --out "$TMP/x.h5" --profile b2b --segments 9
expect_in "$ERR" "--segments"
expect_no_file "$TMP/x.h5"

# A good run, in text and in JSON.
expect_exit 0 -- "$STRATA" gen --customers 500 --seed 3 --out "$TMP/base.h5"
expect_in "$OUT" "500 customers"
expect_in "$OUT" "Bayes-optimal accuracy"
expect_exit 0 -- "$STRATA" gen --customers 500 --seed 3 --out "$TMP/base2.h5" --json --threads 1
expect_in "$OUT" '"ok":true'
expect_in "$OUT" '"customers":500'
expect_in "$OUT" '"phases":{'
if command -v /usr/bin/python3 >/dev/null; then
  CHECKS=$((CHECKS + 1))
  echo "$OUT" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["results"]["transactions"] > 500' \
    || fail "gen --json is not the expected JSON: $OUT"
fi
# --quiet prints nothing on success.
expect_exit 0 -- "$STRATA" gen --customers 50 --seed 3 --out "$TMP/quiet.h5" --quiet
CHECKS=$((CHECKS + 1)); [ -z "$OUT$ERR" ] || fail "--quiet printed: $OUT$ERR"

# An existing output is never replaced without --force (exit 4), and stays as it was.
before=$(cksum < "$TMP/base.h5")
expect_exit 4 -- "$STRATA" gen --customers 100 --seed 9 --out "$TMP/base.h5"
expect_in "$ERR" "$TMP/base.h5"
expect_in "$ERR" "--force"
CHECKS=$((CHECKS + 1)); [ "$(cksum < "$TMP/base.h5")" = "$before" ] || fail "existing output was modified"
expect_exit 0 -- "$STRATA" gen --customers 100 --seed 9 --out "$TMP/base.h5" --force
CHECKS=$((CHECKS + 1)); [ "$(cksum < "$TMP/base.h5")" != "$before" ] || fail "--force did not replace"

# Unwritable output paths (exit 4), with no file and no temporary left behind.
expect_exit 4 -- "$STRATA" gen --customers 10 --seed 1 --out "$TMP/missing-dir/x.h5"
expect_in "$ERR" "missing-dir"
expect_exit 4 -- "$STRATA" gen --customers 10 --seed 1 --out /proc/strata-x.h5
expect_in "$ERR" "/proc/strata-x.h5"
# Over the memory budget (exit 5), nothing written.
expect_exit 5 -- "$STRATA" gen --customers 100000 --seed 1 --out "$TMP/big.h5" --memory 64K
expect_in "$ERR" "memory budget"
expect_no_file "$TMP/big.h5"
CHECKS=$((CHECKS + 1))
leftovers=$(find "$TMP" -name '.*tmp-*' | wc -l)
[ "$leftovers" -eq 0 ] || fail "temporary files left behind: $(find "$TMP" -name '.*tmp-*')"

# JSON errors: one object on stdout with the exit code.
expect_exit 4 -- "$STRATA" gen --customers 10 --seed 1 --out "$TMP/base.h5" --json
expect_in "$OUT" '"ok":false'
expect_in "$OUT" '"exit_code":4'

# info: what the file holds.
expect_exit 0 -- "$STRATA" info "$TMP/base.h5"
expect_in "$OUT" "/accounts/features"
expect_in "$OUT" "float64   [100 x 8]"
expect_in "$OUT" "@categorical = age_band,region,channel,loyalty_tier"
expect_in "$OUT" "/accounts/levels/loyalty_tier"
expect_in "$OUT" "/truth/segment_behaviour"
expect_in "$OUT" "@bayes_accuracy = "
expect_in "$OUT" "@behaviour = segment"
expect_in "$OUT" "/transactions/day"
expect_in "$OUT" "@strata_version"
expect_in "$OUT" "@command_line"
CHECKS=$((CHECKS + 1))
if echo "$OUT" | grep -q "@r = "; then fail "per-segment behaviour must not state a single r"; fi
expect_exit 0 -- "$STRATA" gen --customers 100 --seed 9 --out "$TMP/shared.h5" --behaviour shared --profile b2b
expect_exit 0 -- "$STRATA" info "$TMP/shared.h5"
expect_in "$OUT" "@r = 0.9"
expect_in "$OUT" "@behaviour = shared"
expect_in "$OUT" "@profile = b2b"
expect_in "$OUT" "@categorical = industry,size_band,region"
expect_exit 0 -- "$STRATA" info "$TMP/base.h5" --json
expect_in "$OUT" '"path":"/truth/segment"'
# info on bad files: missing (4), not HDF5 (3), no file argument (2).
expect_exit 4 -- "$STRATA" info "$TMP/nope.h5"
expect_in "$ERR" "$TMP/nope.h5"
printf 'id,day,amount\n1,2,3\n' > "$TMP/log.csv"
expect_exit 3 -- "$STRATA" info "$TMP/log.csv"
expect_in "$ERR" "not an HDF5 file"
expect_exit 2 -- "$STRATA" info

finish
