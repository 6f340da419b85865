# The bad-input corpus (tests/bad/cases.tsv, files by tests/bad/make_cases.py):
# every case's exit status and message, and that a failing command leaves
# nothing at its output paths -- no output, no sidecar, no temporary.
# Cases marked phaseN:F# are known to fail until that phase: they are
# reported (and reported again when they start to pass), not counted.
# Sourced by tests/cli/run.sh (check/pass/fail from tests/cli/lib.sh).

bad_dir=$(pwd)/tests/bad
ok_dir=$bad_dir/ok
nxfail=0
nxpass=0
ncases=0
# Every case gets a time limit (a hang is a failure: F1's info --stats) and,
# unless bract runs under a wrapper or a sanitizer (both reserve huge
# address ranges), 1 GB of address space, which these small inputs never
# need: a header that makes bract allocate what the file cannot hold fails
# loudly (F4's 20-byte embedding table asks for 1.4 GB).  One thread, and
# few malloc arenas, so that the address space does not grow with the
# machine's cores.
limit_kb=
if [ -z "${BRACT_WRAPPER:-}" ] && ! grep -q __asan_init "$bin" 2>/dev/null; then
    limit_kb=1048576
fi
tlimit=60
[ -n "${BRACT_WRAPPER:-}" ] && tlimit=600

run_case() { # args...: run bract with the limits; sets $status
    (
        [ -n "$limit_kb" ] && ulimit -v "$limit_kb"
        export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MALLOC_ARENA_MAX=2
        # shellcheck disable=SC2086
        exec timeout "$tlimit" $BRACT "$@"
    ) >"$TMP/.stdout" 2>"$TMP/.stderr" </dev/null
    status=$?
}

tab=$(printf '\t')
while IFS="$tab" read -r id want expect message command; do
    case $id in '#'* | '') continue ;; esac
    ncases=$((ncases + 1))
    out=$TMP/cases/$id
    mkdir -p "$out"
    cmdline=$(printf '%s' "$command" | sed -e "s|{bad}|$bad_dir|g" -e "s|{ok}|$ok_dir|g" \
        -e "s|{out}|$out|g")
    current="bad input $id"
    set -f
    # shellcheck disable=SC2086
    run_case $cmdline
    set +f
    problems=
    [ "$status" = "$want" ] || problems="exit status $status, expected $want;"
    case $message in
        -) ;;
        @*:*) # @NAME:TEXT: the output NAME must hold TEXT
            f=${message#@}
            f=${f%%:*}
            text=${message#@*:}
            grep -qF -- "$text" "$out/$f" 2>/dev/null || problems="$problems $f lacks: $text;"
            ;;
        *) grep -qF -- "$message" "$TMP/.stderr" || problems="$problems stderr lacks: $message;" ;;
    esac
    if [ "$want" != 0 ]; then
        left=$(ls -A "$out")
        [ -z "$left" ] || problems="$problems left at the output paths: $left;"
    elif ls -A "$out" | grep -q '\.bract-'; then
        problems="$problems temporary files left in $out;"
    fi
    case $expect in
        ok)
            if [ -z "$problems" ]; then
                pass
            else
                fail "$problems bract $cmdline"
            fi
            ;;
        *)
            if [ -z "$problems" ]; then
                nxpass=$((nxpass + 1))
                echo "NOW PASSES ($expect): $id -- mark it ok in tests/bad/cases.tsv"
            else
                nxfail=$((nxfail + 1))
                echo "expected failure ($expect): $id: $problems"
            fi
            ;;
    esac
done < "$bad_dir/cases.tsv"

# Cases that need more than one command line.

# F10: a user's file at the sidecar path, and a dangling symlink at the
# output path, are existing outputs: refused without --force.
d=$TMP/f10
mkdir -p "$d"
echo SENTINEL > "$d/m.json"
check "bad input f10_user_sidecar" 1 rdm model --embeddings "$ok_dir/embed.tsv" \
    --conditions "$ok_dir/conditions.tsv" --output "$d/m.tsv"
err_has "m.json: exists"
file_absent "$d/m.tsv"
file_has "$d/m.json" SENTINEL
ln -s "$d/nowhere.tsv" "$d/n.tsv"
check "bad input f10_dangling_symlink" 1 rdm model --embeddings "$ok_dir/embed.tsv" \
    --conditions "$ok_dir/conditions.tsv" --output "$d/n.tsv"
err_has "n.tsv: exists (a symbolic link"
file_absent "$d/nowhere.tsv"
file_absent "$d/n.json"
check "bad input f10_symlink_forced" 0 rdm model --embeddings "$ok_dir/embed.tsv" \
    --conditions "$ok_dir/conditions.tsv" --output "$d/n.tsv" --force
file_absent "$d/nowhere.tsv"
if [ -L "$d/n.tsv" ]; then fail "the link was written through, not replaced"; else pass; fi

# F12: a 64 KiB path keeps the reason in the message.
long=$(head -c 65536 /dev/zero | tr '\0' a)
check "bad input f12_long_path" 1 info "$TMP/$long.nii"
err_has "File name too long"
long=

# F1: info --stats on the 612-byte NIfTI-2 that used to hang ends at once
# (the case above has a time limit; this one a tight one).
t0=$(date +%s)
run_case info --stats "$bad_dir/dims_overflow_4d.nii"
if [ $(($(date +%s) - t0)) -le 10 ]; then pass; else fail "info --stats took over 10 s"; fi

echo "bad inputs: $ncases cases; $nxfail expected failures (later phases), $nxpass now passing"
