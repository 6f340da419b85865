#!/bin/sh
# MPI tests: the searchlight under mpirun gives the same bytes as one
# process with one or two threads, for 1 and 3 ranks; errors are reported
# once and leave no output; `mpirun bract pipeline run` gives the outputs of
# a single-process run.
#
#   sh tests/cli/mpi.sh ./build-mpi/bract ./bract      (make check-mpi)
#
# Open MPI refuses to run as root without its two environment variables,
# and more ranks than cores without --oversubscribe (this machine has 2).
set -u
[ $# -eq 2 ] || { echo "usage: tests/cli/mpi.sh MPI_BRACT BRACT" >&2; exit 2; }
mpibin=$1
bin=$2
case $mpibin in /*) ;; *) mpibin="$(pwd)/$mpibin" ;; esac
case $bin in /*) ;; *) bin="$(pwd)/$bin" ;; esac
command -v mpirun >/dev/null 2>&1 || { echo "mpi.sh: no mpirun (apt-get install openmpi-bin)" >&2; exit 1; }
if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export LC_ALL=C.UTF-8
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bract-mpi-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
. tests/cli/lib.sh
MPIRUN="mpirun --oversubscribe"
echo "== tests/cli/mpi.sh ($(mpirun --version 2>/dev/null | head -1))"

# a small dataset: three subjects of 12 words in 2 runs with a planted sphere
BRACT=$bin
check "mpi: simulate" 0 simulate rsa -o "$TMP/sim" --subjects 3 --words 12 --categories 3 \
    --dims 8 --grid 14x14x10 --regions 3 --effect sphere --radius 6 --documents 5 --snr 0.5
S=$TMP/sim
in="--data $S/sub-01_patterns.nii.gz --conditions $S/conditions.tsv --mask $S/mask.nii.gz"

# each setting: one process with 1 and 2 threads, then 1 and 3 ranks
# (3 ranks with 1 and with 2 threads each), byte for byte
same_maps() { # NAME OPTIONS...
    name=$1
    shift
    BRACT=$bin
    check "mpi: $name, 1 thread" 0 searchlight $in "$@" --threads 1 -o "$TMP/$name-t1.nii"
    check "mpi: $name, 2 threads" 0 searchlight $in "$@" --threads 2 -o "$TMP/$name-t2.nii"
    BRACT="$MPIRUN -np 1 $mpibin"
    check "mpi: $name, 1 rank" 0 searchlight $in "$@" -o "$TMP/$name-r1.nii"
    BRACT="$MPIRUN -np 3 $mpibin"
    check "mpi: $name, 3 ranks" 0 searchlight $in "$@" --threads 1 -o "$TMP/$name-r3.nii"
    BRACT="$MPIRUN -np 3 $mpibin"
    check "mpi: $name, 3 ranks of 2 threads" 0 searchlight $in "$@" --threads 2 \
        -o "$TMP/$name-r3t2.nii"
    current="mpi: $name, the same bytes"
    for r in t2 r1 r3 r3t2; do
        if cmp -s "$TMP/$name-t1.nii" "$TMP/$name-$r.nii"; then pass; else
            fail "$name-$r.nii differs from the single-process, single-thread map"
        fi
    done
    file_has "$TMP/$name-r3.json" '"Ranks": 3'
}
same_maps corr --model "$S/model_rdm.tsv"
same_maps crossnobis --model "$S/model_rdm.tsv" --method crossnobis --compare cosine \
    --radius 7.5 --min-proportion 0
same_maps count --model "$S/model_rdm.tsv" --voxels 20 --compare kendall --method euclidean

# several models: every per-model map and the 4-D stack
BRACT=$bin
awk -F'\t' 'NR == 1 { print; next } { $1 = "shuffled"; $4 = (NR * 7919) % 101; print }' OFS='\t' \
    "$S/model_rdm.tsv" > "$TMP/second.tsv"
check "mpi: two models, one process" 0 searchlight $in --model "$S/model_rdm.tsv" "$TMP/second.tsv" \
    -o "$TMP/two-1.nii.gz" --fisher --counts "$TMP/counts-1.nii"
BRACT="$MPIRUN -np 3 $mpibin"
check "mpi: two models, 3 ranks" 0 searchlight $in --model "$S/model_rdm.tsv" "$TMP/second.tsv" \
    -o "$TMP/two-3.nii.gz" --fisher --counts "$TMP/counts-3.nii"
current="mpi: two models, the same bytes"
for f in two two_embedding two_shuffled two_z two_embedding_z two_shuffled_z; do
    g=$(echo "$f" | sed 's/^two/two-3/')
    f1=$(echo "$f" | sed 's/^two/two-1/')
    if cmp -s "$TMP/$f1.nii.gz" "$TMP/$g.nii.gz"; then pass; else fail "$g.nii.gz differs"; fi
done
if cmp -s "$TMP/counts-1.nii" "$TMP/counts-3.nii"; then pass; else fail "counts differ"; fi

# errors under mpirun: one message from rank 0, nothing written
BRACT="$MPIRUN -np 3 $mpibin"
check "mpi: a missing input" 1 searchlight --data "$TMP/none.nii.gz" --conditions \
    "$S/conditions.tsv" --mask "$S/mask.nii.gz" --model "$S/model_rdm.tsv" -o "$TMP/bad.nii"
err_has "bract searchlight: $TMP/none.nii.gz: cannot open"
[ "$(grep -c 'bract searchlight:' "$TMP/.stderr")" = 1 ] && pass || fail "not exactly one message"
file_absent "$TMP/bad.nii"
awk -F'\t' 'NR == 1 { print; next } { print $1 "\t1" }' "$S/conditions.tsv" > "$TMP/one_run.tsv"
check "mpi: crossnobis with one run" 1 searchlight --data "$S/sub-01_patterns.nii.gz" \
    --conditions "$TMP/one_run.tsv" --mask "$S/mask.nii.gz" --model "$S/model_rdm.tsv" \
    --method crossnobis -o "$TMP/bad.nii"
err_has "crossnobis needs at least 2 runs"
file_absent "$TMP/bad.nii"
check "mpi: an existing output" 1 searchlight $in --model "$S/model_rdm.tsv" -o "$TMP/corr-t1.nii"
err_has "exists (use --force to overwrite)"
no_temporaries "$TMP"

# a study: region series, cleaned, searchlight maps and a group map; the
# ranks take whole subjects (the searchlight then runs on one rank each)
mkdir -p "$TMP/pl/data"
for s in 01 02 03; do
    mkdir -p "$TMP/pl/data/sub-$s"
    cp "$S/sub-${s}_patterns.nii.gz" "$TMP/pl/data/sub-$s/patterns.nii.gz"
done
cp "$S/atlas.nii.gz" "$S/mask.nii.gz" "$S/conditions.tsv" "$S/model_rdm.tsv" "$TMP/pl/data/"
cat > "$TMP/pl/study.ini" <<'INI'
[dataset]
root = data
bold = {subject}/patterns.nii.gz
atlas = atlas.nii.gz
mask = mask.nii.gz
conditions = conditions.tsv
model = model_rdm.tsv

[stage extract]
command = extract
data = {bold}
atlas = {atlas}
tr = 2
output = {out}/{subject}_timeseries.tsv

[stage clean]
command = clean
data = {stage:extract}
detrend = 1
output = {out}/{subject}_desc-clean_timeseries.tsv

[stage searchlight]
command = searchlight
data = {bold}
conditions = {conditions}
mask = {mask}
model = {model}
radius = 6
output = {out}/{subject}_searchlight.nii.gz

[stage group]
command = group
scope = group
maps = {all:stage:searchlight}
mask = {mask}
permutations = 100
output = {out}/group
INI
BRACT=$bin
check "mpi: pipeline, one process" 0 pipeline run --quiet --out "$TMP/pl/one" "$TMP/pl/study.ini"
BRACT="$MPIRUN -np 2 $mpibin"
check "mpi: pipeline, 2 ranks" 0 pipeline run --quiet --out "$TMP/pl/two" "$TMP/pl/study.ini"
err_has "10 steps: 10 run, 0 up to date, 0 failed, 0 not run"
current="mpi: pipeline outputs"
n=0
for f in $(cd "$TMP/pl/one" && find . -name '*.tsv' -o -name '*.nii.gz' | sort); do
    n=$((n + 1))
    if cmp -s "$TMP/pl/one/$f" "$TMP/pl/two/$f"; then pass; else fail "$f differs between 1 and 2 ranks"; fi
done
[ $n -ge 14 ] && pass || fail "only $n outputs compared"

echo "MPI tests: $((npass + nfail)) checks, $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
