# Helpers for the CLI regression tests (sourced by tests/cli/run.sh).
#
#   run ARGS...              run bract; sets $status, $TMP/.stdout, $TMP/.stderr
#   check NAME STATUS ARGS...  run and assert the exit status
#   out_has TEXT / err_has TEXT / out_lacks TEXT
#   file_absent PATH / file_exists PATH / file_has PATH TEXT / no_temporaries DIR
#   skip REASON              a check that cannot run here (a missing tool)
# Every assertion counts as a test; a failure prints the command, its output
# and the expectation.

npass=0
nfail=0
current=

pass() { npass=$((npass + 1)); }
# skip REASON: a check that cannot run here (a tool is missing): reported,
# counted apart, never a pass
nskip=0
skip() {
    nskip=$((nskip + 1))
    echo "SKIP: $current: $*"
}
fail() {
    nfail=$((nfail + 1))
    echo "FAIL: $current: $*"
    echo "  stdout: $(head -c 600 "$TMP/.stdout" 2>/dev/null)"
    echo "  stderr: $(head -c 600 "$TMP/.stderr" 2>/dev/null)"
}

run() {
    # $BRACT may carry a wrapper (valgrind ...): split it on purpose
    # shellcheck disable=SC2086
    $BRACT "$@" >"$TMP/.stdout" 2>"$TMP/.stderr" </dev/null
    status=$?
}

check() {
    current=$1
    want=$2
    shift 2
    run "$@"
    if [ "$status" = 99 ] && [ -n "${BRACT_WRAPPER:-}" ]; then
        fail "the wrapper reported errors (exit 99): bract $*"
        # the whole report, not just the start fail() shows
        grep -E "definitely lost|Invalid|uninitialised|Conditional jump|ERROR SUMMARY" \
            "$TMP/.stderr" | head -20
        grep -A25 "definitely lost in loss record" "$TMP/.stderr" | head -60
    elif [ "$status" = "$want" ]; then
        pass
    else
        fail "exit status $status, expected $want: bract $*"
    fi
}

out_has() { if grep -qF -- "$1" "$TMP/.stdout"; then pass; else fail "stdout lacks: $1"; fi; }
out_lacks() { if grep -qF -- "$1" "$TMP/.stdout"; then fail "stdout has: $1"; else pass; fi; }
err_has() { if grep -qF -- "$1" "$TMP/.stderr"; then pass; else fail "stderr lacks: $1"; fi; }
err_empty() { if [ -s "$TMP/.stderr" ]; then fail "stderr is not empty"; else pass; fi; }
file_absent() { if [ -e "$1" ]; then fail "$1 exists"; else pass; fi; }
file_exists() { if [ -e "$1" ]; then pass; else fail "$1 does not exist"; fi; }
file_has() { if grep -qF -- "$2" "$1" 2>/dev/null; then pass; else fail "$1 lacks: $2"; fi; }
# no stray temporary outputs in a directory
no_temporaries() {
    if ls -a "$1" | grep -q '\.bract-'; then fail "temporary files left in $1"; else pass; fi
}
