# Kills (issue 14 item 4): SIGKILL every long-running writer -- searchlight,
# group, dfc, timescale maps, glm, pipeline run -- at seeded pseudo-random
# moments; the final output paths never hold a partial file (each is absent
# or the same bytes as an uninterrupted run's), leftover temporaries are
# named .NAME.bract-XXXXXX.EXT (bract(1), FILES), and the next run (without
# --force) succeeds, cleans them and gives the uninterrupted run's outputs.
# Then two runs writing one output at once, and an output path that is a
# symbolic link (refused without --force, replaced with it).
# No timing assertions: the moments are fractions of a measured run.

K=$TMP/kill
mkdir -p "$K"
kills=0
inside=0 # kills that landed before the run's record was written
krand=14 # the seed of the kill moments
next_frac() { # a pseudo-random fraction in [0.05, 0.95) (LCG)
    krand=$(((krand * 1103515245 + 12345) % 2147483648))
    awk "BEGIN { printf \"%.3f\", 0.05 + 0.9 * $krand / 2147483648 }"
}
# run bract in directory $1 (outputs are relative paths)
in_dir() {
    d=$1
    shift
    # shellcheck disable=SC2086
    (cd "$d" && exec $BRACT "$@") >"$TMP/.stdout" 2>"$TMP/.stderr" </dev/null
}
same_bytes() { # a b (.gz compared decompressed: the gzip header is not data)
    case $1 in
        *.gz) gzip -dc "$1" >"$TMP/ka" 2>/dev/null && gzip -dc "$2" >"$TMP/kb" 2>/dev/null &&
            cmp -s "$TMP/ka" "$TMP/kb" ;;
        *) cmp -s "$1" "$2" ;;
    esac
}
# Every file at a final name in $2 is complete: the same as in $1 (sidecars,
# which hold dates and wall times, end their JSON object); hidden files are
# temporaries named as documented.  With $3 = all, $2 holds every file of $1
# and no temporary.
kill_state() {
    for f in $(cd "$2" && find . -type f ! -name '.*' | sort); do
        if [ ! -e "$1/$f" ]; then
            fail "$f: not an output of the uninterrupted run"
            return 1
        fi
        case $f in
            *.json) [ "$(tail -c 2 "$2/$f" | tr -d '\n')" = "}" ] ||
                { fail "$f: not a complete sidecar"; return 1; } ;;
            *) same_bytes "$1/$f" "$2/$f" || { fail "$f: partial, or not the uninterrupted run's"; return 1; } ;;
        esac
    done
    odd=$(cd "$2" && find . -name '.*' -type f | grep -vE '/\.[^/]+\.bract-[a-z0-9]{6}(\.[^/]*)?$')
    if [ -n "$odd" ]; then
        fail "hidden files not named as temporaries: $odd"
        return 1
    fi
    [ "${3:-}" = all ] || return 0
    for f in $(cd "$1" && find . -type f ! -name '.*' | sort); do
        [ -e "$2/$f" ] || { fail "$f missing after the rerun"; return 1; }
    done
    if [ -n "$(cd "$2" && find . -name '.*.bract-*')" ]; then
        fail "temporaries left after the rerun: $(cd "$2" && find . -name '.*.bract-*' | head -3)"
        return 1
    fi
}

# kill_writer NAME RECORD ARGS...: RECORD (relative) is the file written last,
# whose presence says the run completed (then the rerun needs --force); ""
# for the pipeline, whose reruns never do.
kill_writer() {
    kname=$1
    krec=$2
    shift 2
    w=$K/$kname
    mkdir -p "$w/ref"
    current="kill: $kname, an uninterrupted run"
    t0=$(date +%s.%N)
    in_dir "$w/ref" "$@"
    st=$?
    t1=$(date +%s.%N)
    if [ $st != 0 ]; then
        fail "exit status $st: bract $*"
        return
    fi
    pass
    full=$(awk "BEGIN { print $t1 - $t0 }")
    for i in 1 2 3; do
        frac=$(next_frac)
        current="kill: $kname at $frac of the run"
        rm -rf "$w/k"
        mkdir -p "$w/k"
        # shellcheck disable=SC2086
        (cd "$w/k" && exec $BRACT "$@") >/dev/null 2>&1 </dev/null &
        pid=$!
        sleep "$(awk "BEGIN { print $full * $frac }")"
        kill -9 $pid 2>/dev/null
        wait $pid 2>/dev/null
        kill_state "$w/ref" "$w/k" || continue
        force=
        kills=$((kills + 1))
        if [ -n "$krec" ] && [ -e "$w/k/$krec" ]; then force=--force; else inside=$((inside + 1)); fi
        in_dir "$w/k" "$@" $force
        st=$?
        if [ $st != 0 ]; then
            fail "the rerun failed (exit $st)"
            continue
        fi
        kill_state "$w/ref" "$w/k" all && pass
    done
}

# inputs: small synthetic data (bract simulate) and the fixtures
grid="--grid 30x30x24 --regions 3 --documents 0 --dims 4 --categories 2 --words 8"
# shellcheck disable=SC2086
check "kill: simulate rsa" 0 simulate rsa -o "$K/rsa" --subjects 3 $grid --effect sphere --radius 6 \
    --snr 1 --quiet
check "kill: simulate dfc" 0 simulate dfc -o "$K/dfc-in" --subjects 2 --regions 20 --volumes 400 \
    --no-volume --quiet
check "kill: simulate timescales" 0 simulate timescales -o "$K/ts-in" --regions 8 --volumes 300 \
    --block 4 --volume --quiet
R=$K/rsa
sl_in() { echo "--data $R/sub-0$1_patterns.nii.gz --conditions $R/conditions.tsv --mask $R/mask.nii.gz --model $R/model_rdm.tsv"; }
for s in 1 2 3; do
    # shellcheck disable=SC2046
    check "kill: searchlight map of sub-0$s" 0 searchlight $(sl_in $s) -o "$K/map-$s.nii.gz" --quiet
done
MAPS="$K/map-1.nii.gz $K/map-2.nii.gz $K/map-3.nii.gz"

# shellcheck disable=SC2046
kill_writer searchlight sl.json searchlight $(sl_in 1) -o sl.nii.gz --counts counts.nii.gz \
    --fisher --quiet
# shellcheck disable=SC2086
kill_writer group g.json group --maps $MAPS $MAPS $MAPS --mask "$R/mask.nii.gz" \
    --permutations 300 --tfce -o g --quiet
kill_writer dfc d.json dfc --data "$K/dfc-in/sub-01_timeseries.tsv" "$K/dfc-in/sub-02_timeseries.tsv" \
    --window 30 --states 3 -o d --quiet
kill_writer timescale tau.json timescale --data "$K/ts-in/bold.nii.gz" --bootstrap 20 \
    --acf acf.nii.gz -o tau.nii.gz --quiet
E=$REF/glm/event
kill_writer glm glm.json glm --data "$E/sub-01_task-words_run-1_bold.nii.gz" \
    "$E/sub-01_task-words_run-2_bold.nii.gz" --events "$E/sub-01_task-words_run-1_events.tsv" \
    "$E/sub-01_task-words_run-2_events.tsv" --mask "$E/mask.nii.gz" \
    --contrast animals=cat+dog+horse-car-bus-hammer -o glm --quiet
# the pipeline: subject steps, and a group dfc step writing a directory
# (finding F9: temporaries inside it)
cat >"$K/dfc.ini" <<INI
[dataset]
root = $K/dfc-in
subjects = sub-*_timeseries.tsv
ts = {subject}_timeseries.tsv
[stage clean]
command = clean
data = {ts}
detrend = 1
output = {out}/{subject}_desc-clean_timeseries.tsv
[stage dfc]
command = dfc
scope = group
data = {all:stage:clean}
window = 30
states = 3
output = {out}/dfc
INI
kill_writer pipeline "" pipeline run --quiet --out out "$K/dfc.ini"

# two runs writing one output at once: one complete output, equal to a
# single run's; each run completes or fails cleanly (exit 1, a message)
w=$K/dfc
rm -rf "$w/c"
mkdir -p "$w/c"
dargs="--data $K/dfc-in/sub-01_timeseries.tsv $K/dfc-in/sub-02_timeseries.tsv --window 30 --states 3 -o d --quiet"
# shellcheck disable=SC2086
(cd "$w/c" && exec $BRACT dfc $dargs) >"$TMP/k1.out" 2>"$TMP/k1.err" </dev/null &
p1=$!
# shellcheck disable=SC2086
(cd "$w/c" && exec $BRACT dfc $dargs) >"$TMP/k2.out" 2>"$TMP/k2.err" </dev/null &
p2=$!
wait $p1
s1=$?
wait $p2
s2=$?
current="kill: two dfc runs into one directory at once"
if [ $s1 = 0 ] || [ $s2 = 0 ]; then pass; else fail "neither completed ($s1, $s2)"; fi
for s in $s1 $s2; do
    case $s in 0 | 1) pass ;; *) fail "a run ended with status $s" ;; esac
done
[ $s1 = 0 ] || grep -q "bract dfc: " "$TMP/k1.err" || fail "the failing run says nothing"
[ $s2 = 0 ] || grep -q "bract dfc: " "$TMP/k2.err" || fail "the failing run says nothing"
kill_state "$w/ref" "$w/c" all && pass
# the same with --force: both complete
# shellcheck disable=SC2086
(cd "$w/c" && exec $BRACT dfc $dargs --force) >/dev/null 2>&1 </dev/null &
p1=$!
# shellcheck disable=SC2086
(cd "$w/c" && exec $BRACT dfc $dargs --force) >/dev/null 2>&1 </dev/null &
p2=$!
wait $p1
s1=$?
wait $p2
s2=$?
current="kill: two dfc --force runs into one directory at once"
if [ $s1 = 0 ] && [ $s2 = 0 ]; then pass; else fail "exit statuses $s1 and $s2"; fi
kill_state "$w/ref" "$w/c" all && pass

# an output path that is a symbolic link: refused without --force (bract(1)),
# the link replaced, never written through, with it
w=$K/searchlight
mkdir -p "$w/l"
echo TARGET >"$w/l/target.nii.gz"
ln -s target.nii.gz "$w/l/sl.nii.gz"
# shellcheck disable=SC2046
check "kill: an output that is a symbolic link" 1 searchlight $(sl_in 1) -o "$w/l/sl.nii.gz" --quiet
err_has "bract searchlight: $w/l/sl.nii.gz: exists (a symbolic link; use --force to replace the link)"
file_has "$w/l/target.nii.gz" TARGET
# shellcheck disable=SC2046
check "kill: --force replaces the link" 0 searchlight $(sl_in 1) -o "$w/l/sl.nii.gz" --quiet --force
current="kill: --force replaces the link"
if [ -L "$w/l/sl.nii.gz" ]; then fail "sl.nii.gz is still a link"; else pass; fi
file_has "$w/l/target.nii.gz" TARGET
ln -s nowhere.nii.gz "$w/l/dangling.nii.gz"
# shellcheck disable=SC2046
check "kill: an output that is a dangling link" 1 searchlight $(sl_in 1) -o "$w/l/dangling.nii.gz" --quiet
err_has "dangling.nii.gz: exists (a symbolic link; use --force to replace the link)"
file_absent "$w/l/nowhere.nii.gz"
echo "kill: $inside of $kills kills landed before the end of the run (a pipeline's always count)"
