# bract group on the fixtures of testdata/group (six 6x5x4 correlation maps
# with an effect in a 2x2x2 block; scipy's values in expected.tsv): outputs,
# intents, the cluster table, refusals, and no output after bad input.

G=$TESTDATA/group
MAPS="$G/sub-01_r.nii.gz $G/sub-02_r.nii.gz $G/sub-03_r.nii.gz $G/sub-04_r.nii.gz $G/sub-05_r.nii.gz $G/sub-06_r.nii.gz"
O=$TMP/group

# shellcheck disable=SC2086
check "group: t, FWE, TFCE, clusters with labels" 0 group --maps $MAPS --mask "$G/mask.nii.gz" \
    --permutations 100 --tfce --cluster-p 0.001 --atlas "$G/atlas.nii.gz" \
    --labels "$G/labels.tsv" -o "$O"
out_has "6 subjects, 114 of 115 mask voxels tested, 63 sign flips (every flip)"
out_has "1 cluster (cluster-fwe), 1 with p <= 0.05"
err_has "warning: 1 mask voxel left out because a subject's value is not finite"
err_has "(the first at voxel 4,3,2)"
for f in mean t p p_fdr p_fwe tfce p_tfce_fwe p_cluster_fwe clusters; do
    file_exists "$O/$f.nii.gz"
    file_exists "$O/$f.json"
done
file_exists "$O/clusters.tsv"
file_exists "$O/permutations.tsv"
# the record of the run, next to the directory, lists every file
file_has "$O.json" '"Files": ['
file_has "$O.json" '"p_cluster_fwe.nii.gz",'
file_has "$O.json" '"permutations.tsv"'
no_temporaries "$O"
# the block's peak: voxel (2,1,2) = (-2,-2,2) mm, t = scipy's 12.287488981531855;
# 7 voxels of 2 mm (56 mm^3) at t >= t(p 0.001, 5 df); 2 of 64 flips reach 7
file_has "$O/clusters.tsv" "cluster	size_voxels	size_mm3	peak_x	peak_y	peak_z	peak_i	peak_j	peak_k	peak_t	p_corrected	correction	peak_label"
file_has "$O/clusters.tsv" "1	7	56	-2	-2	2	2	1	2	12.287488981531855	0.015625	cluster-fwe	left_region"
[ "$(wc -l < "$O/permutations.tsv")" -eq 64 ] && pass || fail "permutations.tsv: expected 63 flips"
file_has "$O/permutations.tsv" "flip	max_t	max_tfce	max_cluster_size"
file_has "$O/t.json" '"tested_voxels": 114'
file_has "$O/t.json" '"excluded_nonfinite": 1'
file_has "$O/t.json" '"exhaustive": true'
file_has "$O/t.json" '"cluster_t": 5.89342953135'
file_has "$O/t.json" '"Description": "one-sample t against the null mean"'
file_has "$O/clusters.json" '"ClusterTableCorrection": "cluster-fwe"'

check "group: t map intent" 0 info "$O/t.nii.gz" "$O/p_fwe.nii.gz" "$O/clusters.nii.gz" "$O/tfce.nii.gz"
out_has "intent        TTEST (t), parameters 5 0 0"
out_has "intent        PVAL (p FWE max-t)"
out_has "intent        LABEL (cluster)"
out_has "intent        none"
out_has "6 x 5 x 4 (3-D: 120 voxels)"
out_has "[  2  0  0 -6 ]"

check "group: --stats of the t map (NaN outside the 114 voxels)" 0 info --stats "$O/t.nii.gz"
out_has "6 non-finite of 120"
out_has "max 12.2875"

cksum "$O/t.nii.gz" > "$TMP/sum1"
# shellcheck disable=SC2086
check "group: existing outputs refused" 1 group --maps $MAPS --mask "$G/mask.nii.gz" --permutations 10 -o "$O"
err_has "$O.json: exists (use --force to overwrite)"
cksum "$O/t.nii.gz" > "$TMP/sum2"
cmp -s "$TMP/sum1" "$TMP/sum2" && pass || fail "t.nii.gz changed after a refused run"
# shellcheck disable=SC2086
check "group: --force replaces them" 0 group --maps $MAPS --mask "$G/mask.nii.gz" --permutations 10 --force \
    --quiet -o "$O"
file_has "$O/t.json" '"permutations": 10'
no_temporaries "$O"

# threads do not change anything; two-sided TFCE table
for th in 1 2; do
    # shellcheck disable=SC2086
    check "group: two-sided, $th thread(s)" 0 group --maps $MAPS --mask "$G/mask.nii.gz" --permutations 50 \
        --alternative two-sided --tfce --connectivity 6 --threads $th --seed 7 --quiet \
        --transform fisher -o "$TMP/two$th"
done
cmp -s "$TMP/two1/permutations.tsv" "$TMP/two2/permutations.tsv" && pass ||
    fail "permutations differ between 1 and 2 threads"
cmp -s "$TMP/two1/p_tfce_fwe.nii.gz" "$TMP/two2/p_tfce_fwe.nii.gz" && pass ||
    fail "TFCE p maps differ between 1 and 2 threads"
file_has "$TMP/two1/t.json" '"ClusterTableCorrection": "tfce-fwe"'
file_has "$TMP/two1/t.json" '"alternative": "two-sided"'
file_has "$TMP/two1/t.json" '"connectivity": 6'
# 6 subjects give 64 flips, more than 50 asked: random flips
file_has "$TMP/two1/t.json" '"exhaustive": false'

# shellcheck disable=SC2086
check "group: parametric only, FDR table" 0 group --maps $MAPS --mask "$G/mask.nii.gz" --permutations 0 \
    --quiet -o "$TMP/param"
out_lacks "subjects"
file_absent "$TMP/param/p_fwe.nii.gz"
file_absent "$TMP/param/permutations.tsv"
file_has "$TMP/param/clusters.tsv" "fdr"

# ---- bad input: a message, and no output directory ----
check "group: one map" 2 group --maps "$G/sub-01_r.nii.gz" --mask "$G/mask.nii.gz" -o "$TMP/bad"
err_has "bract group: a group test needs at least 2 subject maps (got 1:"
file_absent "$TMP/bad"
check "group: no maps" 2 group --mask "$G/mask.nii.gz" -o "$TMP/bad"
err_has "no --maps given"
# shellcheck disable=SC2086
check "group: no mask" 2 group --maps $MAPS -o "$TMP/bad"
err_has "no --mask given"
# shellcheck disable=SC2086
check "group: 4-D map" 1 group --maps $MAPS "$G/bad_4d.nii.gz" --mask "$G/mask.nii.gz" -o "$TMP/bad"
err_has "bad_4d.nii.gz: is 4-D (2 volumes); give one 3-D map per subject"
file_absent "$TMP/bad"
# shellcheck disable=SC2086
check "group: maps on different grids" 1 group --maps $MAPS "$G/bad_grid.nii.gz" \
    --mask "$G/mask.nii.gz" -o "$TMP/bad"
err_has "bad_grid.nii.gz are on different grids: 6x5x4 voxels vs 6x5x3"
file_absent "$TMP/bad"
# shellcheck disable=SC2086
check "group: affines differ" 1 group --maps $MAPS "$G/bad_affine.nii.gz" \
    --mask "$G/mask.nii.gz" -o "$TMP/bad"
err_has "voxel-to-mm affines differ by 1 mm"
file_absent "$TMP/bad"
# shellcheck disable=SC2086
check "group: mask on another grid" 1 group --maps $MAPS --mask "$G/bad_grid.nii.gz" -o "$TMP/bad"
err_has "are on different grids"
file_absent "$TMP/bad"
# shellcheck disable=SC2086
check "group: 4-D mask" 1 group --maps $MAPS --mask "$G/bad_4d.nii.gz" -o "$TMP/bad"
err_has "a mask must be 3-D"
file_absent "$TMP/bad"
# shellcheck disable=SC2086
check "group: not correlations" 1 group --maps $MAPS "$G/bad_range.nii.gz" \
    --mask "$G/mask.nii.gz" -o "$TMP/bad"
err_has "which is not a correlation (|r| > 1)"
file_absent "$TMP/bad"
# shellcheck disable=SC2086
check "group: --transform none takes any values" 0 group --maps $MAPS "$G/bad_range.nii.gz" \
    --mask "$G/mask.nii.gz" --transform none --null-mean 0.05 --permutations 0 --quiet -o "$TMP/none"
file_has "$TMP/none/mean.json" '"null_mean": 0.05'
# shellcheck disable=SC2086
check "group: atlas on another grid" 1 group --maps $MAPS --mask "$G/mask.nii.gz" \
    --atlas "$G/bad_atlas_grid.nii.gz" --permutations 0 -o "$TMP/bad"
err_has "different grids"
file_absent "$TMP/bad"
# shellcheck disable=SC2086
check "group: missing parent directory" 1 group --maps $MAPS --mask "$G/mask.nii.gz" \
    -o "$TMP/no/such/dir"
err_has "cannot make the output directory: $TMP/no/such does not exist"
printf 'x' > "$TMP/afile"
# shellcheck disable=SC2086
check "group: output is a file" 1 group --maps $MAPS --mask "$G/mask.nii.gz" -o "$TMP/afile"
err_has "$TMP/afile: exists and is not a directory"
# shellcheck disable=SC2086
check "group: both cluster thresholds" 2 group --maps $MAPS --mask "$G/mask.nii.gz" \
    --cluster-p 0.01 --cluster-t 3 -o "$TMP/bad"
err_has "give --cluster-p or --cluster-t, not both"
# shellcheck disable=SC2086
check "group: TFCE step without --tfce" 2 group --maps $MAPS --mask "$G/mask.nii.gz" \
    --tfce-dh 0.05 -o "$TMP/bad"
err_has "need --tfce"
# shellcheck disable=SC2086
check "group: connectivity 8" 2 group --maps $MAPS --mask "$G/mask.nii.gz" --connectivity 8 \
    -o "$TMP/bad"
err_has "--connectivity: unknown connectivity '8' (expected one of 6, 18, 26)"
# shellcheck disable=SC2086
check "group: bad alternative" 2 group --maps $MAPS --mask "$G/mask.nii.gz" \
    --alternative sideways -o "$TMP/bad"
err_has "--alternative: unknown alternative 'sideways' (expected one of greater, less, two-sided)"
# shellcheck disable=SC2086
check "group: labels without atlas" 2 group --maps $MAPS --mask "$G/mask.nii.gz" \
    --labels "$G/labels.tsv" -o "$TMP/bad"
err_has "--labels needs --atlas"
file_absent "$TMP/bad"

# ---- paired design: --versus (scipy's ttest_rel in expected_paired.tsv) ----
MAPS_B="$G/sub-01_r_b.nii.gz $G/sub-02_r_b.nii.gz $G/sub-03_r_b.nii.gz $G/sub-04_r_b.nii.gz $G/sub-05_r_b.nii.gz $G/sub-06_r_b.nii.gz"
# shellcheck disable=SC2086
check "group: paired" 0 group --maps $MAPS --versus $MAPS_B --mask "$G/mask.nii.gz" \
    --permutations 100 -o "$TMP/paired"
out_has "6 subjects (paired), 113 of 115 mask voxels tested, 63 sign flips (every flip)"
err_has "warning: 2 mask voxels left out because a subject's value is not finite"
err_has "(the first at voxel 0,2,1)"
file_has "$TMP/paired/t.json" '"design": "paired"'
file_has "$TMP/paired/t.json" '"versus": ['
file_has "$TMP/paired/t.json" 'sub-06_r_b.nii.gz'
file_has "$TMP/paired/mean.json" '"Description": "mean over subjects of the differences of the transformed values (paired)"'
file_has "$TMP/paired/t.json" '"Description": "paired t: one-sample t of the differences against the null mean"'
file_has "$TMP/group/t.json" '"design": "one-sample"'
# the largest paired t, at voxel (2,2,2), is scipy's (to the 6 digits info prints)
peak=$(awk -F'\t' 'NR > 1 && $5 > m { m = $5 } END { printf "%.6g", m }' "$G/expected_paired.tsv")
check "group: paired t map" 0 info --stats "$TMP/paired/t.nii.gz"
out_has "max $peak"
# the same maps given after --versus as file names
# shellcheck disable=SC2086
check "group: paired, file names after --versus" 0 group --maps $MAPS --versus $MAPS_B \
    --mask "$G/mask.nii.gz" --permutations 100 -o "$TMP/paired2" --quiet
if cmp -s "$TMP/paired/t.nii.gz" "$TMP/paired2/t.nii.gz" && cmp -s "$TMP/paired/p_fwe.nii.gz" "$TMP/paired2/p_fwe.nii.gz"
then pass; else fail "paired runs differ"; fi
# shellcheck disable=SC2086
check "group: --versus count differs" 2 group --maps $MAPS --versus "$G/sub-01_r_b.nii.gz" \
    "$G/sub-02_r_b.nii.gz" --mask "$G/mask.nii.gz" -o "$TMP/bad"
err_has "--versus gives 2 maps but --maps 6: a paired design needs one map of each condition per subject"
file_absent "$TMP/bad"
# shellcheck disable=SC2086
check "group: --versus map out of range" 1 group --maps $MAPS --versus "$G/bad_range.nii.gz" \
    $(echo $MAPS_B | cut -d' ' -f2-) --mask "$G/mask.nii.gz" -o "$TMP/bad"
err_has "bad_range.nii.gz: voxel"
file_absent "$TMP/bad"

# ---- two groups: --second-group (scipy's ttest_ind in expected_two_sample.tsv) ----
B4="$G/sub-01_r_b.nii.gz $G/sub-02_r_b.nii.gz $G/sub-03_r_b.nii.gz $G/sub-04_r_b.nii.gz"
# shellcheck disable=SC2086
check "group: two groups, every relabelling" 0 group --maps $MAPS --second-group $B4 \
    --mask "$G/mask.nii.gz" --permutations 500 --tfce -o "$TMP/two"
out_has "10 subjects (6 + 4, two groups), 114 of 115 mask voxels tested, 209 relabellings (every one)"
file_has "$TMP/two/t.json" '"design": "two-sample"'
file_has "$TMP/two/t.json" '"group1_subjects": 6'
file_has "$TMP/two/t.json" '"group2_subjects": 4'
file_has "$TMP/two/t.json" '"second_group": ['
file_has "$TMP/two/t.json" '"Description": "two-sample t (pooled variance) of mean 1 - mean 2 against the null mean"'
check "group: two-sample t intent" 0 info "$TMP/two/t.nii.gz"
out_has "intent        TTEST (t), parameters 8 0 0"
peak=$(awk -F'\t' 'NR > 1 && $5 > m { m = $5 } END { printf "%.6g", m }' "$G/expected_two_sample.tsv")
check "group: two-sample t map" 0 info --stats "$TMP/two/t.nii.gz"
out_has "max $peak"
[ "$(wc -l < "$TMP/two/permutations.tsv")" -eq 210 ] && pass || fail "permutations.tsv: expected 209 relabellings"
# shellcheck disable=SC2086
check "group: --versus and --second-group" 2 group --maps $MAPS --versus $MAPS_B --second-group $B4 \
    --mask "$G/mask.nii.gz" -o "$TMP/bad"
err_has "give --versus (paired) or --second-group (two groups), not both"
check "group: two groups of one" 2 group --maps "$G/sub-01_r.nii.gz" --second-group "$G/sub-01_r_b.nii.gz" \
    --mask "$G/mask.nii.gz" -o "$TMP/bad"
err_has "a two-sample test needs at least 3 maps in all (got 1 and 1)"
file_absent "$TMP/bad"
