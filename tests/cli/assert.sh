# Assertions for the end-to-end CLI tests; sourced by tests/cli_*.sh.
# Usage in a test: expect_exit CODE -- strata ARGS...; then check "$OUT" / "$ERR".
set -u
STRATA=${1:?usage: $0 path/to/strata}
TMP=$(mktemp -d "${STRATA_TEST_TMP:-/tmp}/cli.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILURES=0
CHECKS=0

fail() { echo "FAIL: $*" >&2; FAILURES=$((FAILURES + 1)); }

# Runs the command, capturing stdout in $OUT, stderr in $ERR and the exit code in $CODE.
run() {
  OUT=$("$@" 2>"$TMP/stderr") && CODE=0 || CODE=$?
  ERR=$(cat "$TMP/stderr")
}

expect_exit() {
  local want=$1; shift
  [ "$1" = "--" ] && shift
  run "$@"
  CHECKS=$((CHECKS + 1))
  if [ "$CODE" != "$want" ]; then
    fail "exit $CODE (want $want): $* | stderr: $ERR"
  fi
}

expect_in() { # expect_in "$TEXT" "fragment" "what"
  CHECKS=$((CHECKS + 1))
  case "$1" in *"$2"*) ;; *) fail "${3:-output} lacks '$2': $1" ;; esac
}

expect_no_file() {
  CHECKS=$((CHECKS + 1))
  [ ! -e "$1" ] || fail "unexpected output file $1"
}

finish() {
  echo "$((CHECKS - FAILURES)) passed, $FAILURES failed"
  [ "$FAILURES" -eq 0 ]
}
