# bract searchlight: the value at a centre is what bract rdm neural and bract
# rsa give on that sphere's voxels (spheres drawn by bract simulate rsa, an
# independent implementation of the same rule), outputs and sidecars, the
# same bytes for any thread count, a killed run, and errors.

S="$TMP/sl"
grid="--grid 9x9x7 --regions 3 --documents 0 --dims 4 --categories 2 --words 6"
# shellcheck disable=SC2086
check "searchlight: simulate" 0 simulate rsa -o "$S/sim" --subjects 1 $grid --effect sphere \
    --radius 6 --snr 1
D=$S/sim
in="--data $D/sub-01_patterns.nii.gz --conditions $D/conditions.tsv --mask $D/mask.nii.gz"

# shellcheck disable=SC2086
check "searchlight: a map" 0 searchlight $in --model "$D/model_rdm.tsv" -o "$S/map.nii.gz" \
    --counts "$S/counts.nii.gz" --fisher
file_exists "$S/map.nii.gz"
file_exists "$S/map_z.nii.gz"
file_exists "$S/counts.json"
no_temporaries "$S"
file_has "$S/map.json" '"sphere": "radius: distance <= radius in mm'
file_has "$S/map.json" '"radius_mm": 6'
file_has "$S/map.json" '"full_sphere": 33'
file_has "$S/map.json" '"centres_failed": 0'
file_has "$S/map.json" '"Model": "embedding"'
check "searchlight: the map's header" 0 info "$S/map.nii.gz" "$S/map_z.nii.gz"
out_has "intent        CORREL (spearman)"
out_has "intent        ESTIMATE (Fisher z)"
out_has "9 x 9 x 7 (3-D"

# three centres: the sphere (6 mm at 3 mm voxels, within the brain) and the
# centre alone, each drawn by bract simulate rsa on the same grid
for c in 4,4,3 2,4,3 4,6,5; do
    n=$(echo "$c" | tr , _)
    # shellcheck disable=SC2086
    run simulate rsa -o "$S/sphere_$n" --subjects 1 $grid --effect sphere --radius 6 --center "$c"
    # shellcheck disable=SC2086
    run simulate rsa -o "$S/point_$n" --subjects 1 $grid --effect sphere --radius 1 --center "$c"
done
equal_at_centres() { # NAME MAP RDM-OPTIONS... -- RSA-OPTIONS...
    name=$1
    map=$2
    shift 2
    ropts=
    while [ "$1" != "--" ]; do ropts="$ropts $1"; shift; done
    shift
    neural=
    for c in 4,4,3 2,4,3 4,6,5; do
        n=$(echo "$c" | tr , _)
        # shellcheck disable=SC2086
        check "searchlight: $name, rdm neural at $c" 0 rdm neural --data "$D/sub-01_patterns.nii.gz" \
            --conditions "$D/conditions.tsv" --mask "$S/sphere_$n/truth_map.nii.gz" $ropts \
            --name sphere -o "$S/$name-rdm_$n.tsv"
        neural="$neural $S/$name-rdm_$n.tsv"
        check "searchlight: $name, value at $c" 0 extract --data "$map" \
            --atlas "$S/point_$n/truth_map.nii.gz" --tr 1 -o "$S/$name-value_$n.tsv"
    done
    # shellcheck disable=SC2086
    check "searchlight: $name, rsa" 0 rsa --neural $neural --model "$D/model_rdm.tsv" \
        --permutations 0 "$@" -o "$S/$name-rsa.tsv"
    current="searchlight: $name, the map holds rsa's r (float32: relative 2^-24)"
    i=0
    for c in 4,4,3 2,4,3 4,6,5; do
        n=$(echo "$c" | tr , _)
        i=$((i + 1))
        r=$(awk -F'\t' -v row=$((i + 1)) 'NR == row { print $9 }' "$S/$name-rsa.tsv")
        v=$(awk 'NR == 2 { print $1 }' "$S/$name-value_$n.tsv")
        if awk -v r="$r" -v v="$v" 'BEGIN { d = r - v; if (d < 0) d = -d; a = r < 0 ? -r : r;
                                             exit !(r != "" && d <= 5.97e-8 * a) }'; then
            pass
        else
            fail "centre $c: map $v, rdm neural + rsa $r"
        fi
    done
}
equal_at_centres corr "$S/map.nii.gz" -- --method spearman
# shellcheck disable=SC2086
check "searchlight: crossnobis, cosine" 0 searchlight $in --model "$D/model_rdm.tsv" \
    --method crossnobis --compare cosine -o "$S/xnobis.nii"
check "searchlight: its header" 0 info "$S/xnobis.nii"
out_has "intent        ESTIMATE (cosine)"
equal_at_centres xnobis "$S/xnobis.nii" --method crossnobis -- --method cosine
# the count map: a full sphere at the inner centre, fewer at the edge one
check "searchlight: counts at a centre" 0 extract --data "$S/counts.nii.gz" \
    --atlas "$S/point_4_4_3/truth_map.nii.gz" --tr 1 -o "$S/count.tsv"
file_has "$S/count.tsv" "33"

# threads do not change a bit
# shellcheck disable=SC2086
check "searchlight: 1 thread" 0 searchlight $in --model "$D/model_rdm.tsv" --threads 1 \
    --voxels 12 -o "$S/t1.nii"
# shellcheck disable=SC2086
check "searchlight: 2 threads" 0 searchlight $in --model "$D/model_rdm.tsv" --threads 2 \
    --voxels 12 -o "$S/t2.nii"
cmp -s "$S/t1.nii" "$S/t2.nii" && pass || fail "1 and 2 threads differ"
file_has "$S/t1.json" '"sphere": "count: about the N nearest usable voxels'

# several models: a 4-D map and one map per model (names made file-safe)
awk -F'\t' 'NR == 1 { print; next } { $1 = "a/b model"; $4 = (NR * 7919) % 101; print }' OFS='\t' \
    "$D/model_rdm.tsv" > "$S/second.tsv"
# shellcheck disable=SC2086
check "searchlight: two models" 0 searchlight $in --model "$D/model_rdm.tsv" "$S/second.tsv" \
    --compare pearson --partial -o "$S/two.nii.gz"
file_exists "$S/two_embedding.nii.gz"
file_exists "$S/two_a-b-model.nii.gz"
file_has "$S/two_a-b-model.json" '"Model": "a/b model"'
file_has "$S/two.json" '"partial": "other models"'
check "searchlight: the 4-D map" 0 info "$S/two.nii.gz"
out_has "9 x 9 x 7 x 2 (4-D"

# a killed run leaves no map, or a complete one (the bare binary, as in
# test_pipeline.sh: kills at fractions of a measured run)
K=$S/kill
"$bin" simulate rsa -o "$K/sim" --subjects 1 --grid 18x18x12 --regions 3 --documents 0 --dims 4 \
    --categories 2 --words 24 --effect sphere --radius 6 --snr 1 >/dev/null 2>&1
kin="--data $K/sim/sub-01_patterns.nii.gz --conditions $K/sim/conditions.tsv --mask $K/sim/mask.nii.gz"
# the quicker of two runs (the machine is shared: a slow one would put the
# kills after the end)
full=1000
for r in 1 2; do
    rm -f "$K/ref.nii"
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$bin" searchlight $kin --model "$K/sim/model_rdm.tsv" --method crossnobis --radius 12 \
        --threads 1 --quiet -o "$K/ref.nii" >/dev/null 2>&1
    t1=$(date +%s.%N)
    full=$(awk "BEGIN { t = $t1 - $t0; print (t < $full ? t : $full) }")
done
killed=0
for frac in 0.1 0.2 0.35 0.5 0.65; do
    rm -f "$K/k.nii"
    # shellcheck disable=SC2086
    "$bin" searchlight $kin --model "$K/sim/model_rdm.tsv" --method crossnobis --radius 12 \
        --threads 1 --quiet -o "$K/k.nii" >/dev/null 2>&1 &
    pid=$!
    sleep "$(awk "BEGIN { print $full * $frac }")"
    kill -9 $pid 2>/dev/null && killed=$((killed + 1))
    wait $pid 2>/dev/null
    current="searchlight: killed at $frac of the run"
    if [ ! -e "$K/k.nii" ] || cmp -s "$K/k.nii" "$K/ref.nii"; then pass; else
        fail "a partial map was left"
    fi
done
current="searchlight: kills"
[ $killed -ge 3 ] && pass || fail "only $killed of 5 runs were killed (a run takes $full s)"
rm -rf "$K"

# errors: messages, exit statuses, nothing written
# shellcheck disable=SC2086
check "searchlight: no model" 2 searchlight $in -o "$S/x.nii"
err_has "no --model given"
# shellcheck disable=SC2086
check "searchlight: radius and voxels" 2 searchlight $in --model "$D/model_rdm.tsv" --radius 6 \
    --voxels 20 -o "$S/x.nii"
err_has "give --radius or --voxels, not both"
# shellcheck disable=SC2086
check "searchlight: fisher of cosine" 2 searchlight $in --model "$D/model_rdm.tsv" --compare cosine \
    --fisher -o "$S/x.nii"
err_has "--fisher applies to correlations, not to cosine"
# shellcheck disable=SC2086
check "searchlight: not a NIfTI name" 2 searchlight $in --model "$D/model_rdm.tsv" -o "$S/x.tsv"
err_has "name them .nii or .nii.gz"
# shellcheck disable=SC2086
check "searchlight: output over an input" 1 searchlight $in --model "$D/model_rdm.tsv" \
    -o "$D/mask.nii.gz" --force
err_has "mask.nii.gz"
# shellcheck disable=SC2086
check "searchlight: an existing output" 1 searchlight $in --model "$D/model_rdm.tsv" -o "$S/map.nii.gz"
err_has "exists (use --force to overwrite)"
w=$(awk -F'\t' 'NR == 2 { print $2 }' "$D/model_rdm.tsv")
awk -F'\t' -v w="$w" 'BEGIN { OFS = "\t" } { if ($2 == w) $2 = "zzz"; if ($3 == w) $3 = "zzz"; print }' \
    "$D/model_rdm.tsv" > "$S/other.tsv"
# shellcheck disable=SC2086
check "searchlight: model of other conditions" 1 searchlight $in --model "$S/other.tsv" -o "$S/x.nii"
err_has "the conditions table does not have the conditions of the first model"
err_has "not in the model: '$w'"
awk -F'\t' 'NR == 1 { print; next } { print $1 "\t1" }' "$D/conditions.tsv" > "$S/one_run.tsv"
check "searchlight: crossnobis with one run" 1 searchlight --data "$D/sub-01_patterns.nii.gz" \
    --conditions "$S/one_run.tsv" --mask "$D/mask.nii.gz" --model "$D/model_rdm.tsv" \
    --method crossnobis -o "$S/x.nii"
err_has "crossnobis needs at least 2 runs"
# shellcheck disable=SC2086
check "searchlight: every centre left out" 1 searchlight $in --model "$D/model_rdm.tsv" \
    --min-voxels 40 -o "$S/x.nii"
err_has "every centre was left out"
awk -F'\t' 'NR == 2 { $4 = "n/a" } { print }' OFS='\t' "$D/model_rdm.tsv" > "$S/missing.tsv"
# shellcheck disable=SC2086
check "searchlight: model missing a pair" 1 searchlight $in --model "$S/missing.tsv" -o "$S/x.nii"
err_has "misses pairs, which every sphere's RDM has"
# shellcheck disable=SC2086
check "searchlight: ... ignored with --nan model" 0 searchlight $in --model "$S/missing.tsv" \
    --nan model -o "$S/nanmodel.nii"
# shellcheck disable=SC2086
check "searchlight: --voxels beyond the mask" 1 searchlight $in --model "$D/model_rdm.tsv" \
    --voxels 5000 -o "$S/x.nii"
err_has "spheres of 5000 voxels: the mask has 211 voxels"
file_absent "$S/x.nii"
no_temporaries "$S"
