#!/bin/sh
# Run the libFuzzer harnesses built by `make fuzz-build`, each for SECONDS,
# and fail on any crash, leak, timeout or out-of-memory in bract.
#
#   sh tests/fuzz/run.sh BUILDDIR SECONDS HARNESS...
#
# Each harness starts from its committed seeds (tests/fuzz/corpus/NAME/,
# read only) and a working corpus in BUILDDIR/corpus/NAME/ that persists
# between runs; its dictionary is tests/fuzz/NAME.dict.  A finding is saved
# as BUILDDIR/artifacts/NAME-crash-... (or leak-, timeout-, oom-) with its
# log in BUILDDIR/logs/NAME.N.log: reproduce with BUILDDIR/NAME ARTIFACT,
# then make it a regression test.
#
# Findings inside libhdf5 (the innermost frame that is not the sanitizer's
# or libc's is in libhdf5: F3 of the reliability findings, which bract
# cannot fix and documents in bract-rsa(1)) are counted as "upstream" and
# the harness is restarted until its time is spent; any other finding
# fails the run.  FUZZ_XFAIL="NAME ..." names harnesses with a finding of
# bract's known to be open until a later phase (tests/fuzz/README.md):
# reported, not failing.  FUZZ_ARGS adds libFuzzer options.
set -u
[ $# -ge 2 ] || { echo "usage: tests/fuzz/run.sh BUILDDIR SECONDS HARNESS..." >&2; exit 2; }
dir=$1
secs=$2
shift 2
mkdir -p "$dir/logs" "$dir/artifacts"
top=$(pwd)
# UB is a crash (-fno-sanitize-recover); leaks are findings; libhdf5's own
# leaks and intercepted reads are suppressed (lsan.supp, asan.supp), and its
# oversized allocations return NULL as in production; one thread.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:suppressions=$top/tests/fuzz/asan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$top/tests/fuzz/lsan.supp:print_suppressions=0}"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
# the harnesses write every input to a file: in memory when there is room
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    export TMPDIR=/dev/shm
fi

# "upstream" if the innermost stack frame of the first report that is not
# the sanitizer runtime, libFuzzer, a signal trampoline or libc is in
# libhdf5; "ours" otherwise.
classify() {
    awk '
        /ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error:/ { on = 1 }
        on && /^ *#[0-9]+ / {
            line = $0
            if (line ~ /__interceptor_|__asan|__lsan|__ubsan|__sanitizer|fuzzer::|libc\.so|sysdeps|libc_start|__restore_rt|in malloc |in calloc |in realloc |in free /)
                next
            print (line ~ /libhdf5/ ? "upstream" : "ours"); found = 1; exit
        }
        END { if (!found) print "ours" }' "$1"
}

failed=0
printf '%-16s %7s %11s %7s %5s %5s  %s\n' harness seconds execs exec/s cov runs result
for h in "$@"; do
    corpus="$dir/corpus/$h"
    mkdir -p "$corpus"
    seeds=tests/fuzz/corpus/$h
    dict=
    [ -f "tests/fuzz/$h.dict" ] && dict="-dict=tests/fuzz/$h.dict"
    start=$(date +%s)
    left=$secs
    runs=0 execs=0 upstream=0 cov=
    result=ok
    while [ "$left" -gt 0 ]; do
        runs=$((runs + 1))
        log="$dir/logs/$h.$runs.log"
        # shellcheck disable=SC2086
        "$dir/$h" -max_total_time="$left" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 \
            -artifact_prefix="$dir/artifacts/$h-" $dict ${FUZZ_ARGS:-} "$corpus" "$seeds" \
            >"$log" 2>&1
        rc=$?
        n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        execs=$((execs + ${n:-0}))
        c=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
        [ -n "$c" ] && cov=$c
        # 0: the time is up, or the -runs=N of FUZZ_ARGS are done (a long
        # run to a number of executions: see tests/fuzz/README.md)
        [ "$rc" -eq 0 ] && break
        what=$(grep -o -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer): [a-z-]+|ERROR: libFuzzer: [a-z-]+|runtime error: .*' "$log" | head -1)
        # An exhausted RSS limit has no useful stack.  bract's own large
        # allocations are caught earlier, as "malloc(N)" with a stack; in
        # the HDF5 harness the RSS runs out inside libhdf5 (it allocates and
        # fills buffers sized from the file: 22.5 GB for one vlen string
        # attribute of an 11.8 KB file, in H5T__conv_vlen).
        rss_upstream=0
        case " ${FUZZ_RSS_UPSTREAM:-fuzz_rdmset_h5} " in
            *" $h "*) grep -q 'out-of-memory (used:' "$log" && rss_upstream=1 ;;
        esac
        if [ "$rss_upstream" -eq 1 ] || [ "$(classify "$log")" = upstream ]; then
            upstream=$((upstream + 1))
        else
            case " ${FUZZ_XFAIL:-} " in
                *" $h "*) result="KNOWN OPEN (FUZZ_XFAIL): ${what:-exit $rc} ($log)" ;;
                *) result="FAILED: ${what:-exit $rc} ($log)"; failed=1 ;;
            esac
            break
        fi
        left=$((secs - ($(date +%s) - start)))
    done
    [ "$upstream" -gt 0 ] && [ "$result" = ok ] && result="ok ($upstream upstream libhdf5 findings)"
    elapsed=$(($(date +%s) - start))
    rate=$((execs / (elapsed > 0 ? elapsed : 1)))
    printf '%-16s %7s %11s %7s %5s %5s  %s\n' "$h" "$elapsed" "$execs" "$rate" "${cov:-?}" \
        "$runs" "$result"
done
if [ "$failed" -ne 0 ]; then
    echo "fuzz: findings in bract above; artifacts in $dir/artifacts/" >&2
    exit 1
fi
