# bract group --p-style: every p map also as -log10 p (nilearn's logp,
# NIfTI intent LOG10PVAL) or as 1 - p (FSL randomise's convention), beside
# the p maps, which are always written (the report reads them).

G=$TESTDATA/group
MAPS="$G/sub-01_r.nii.gz $G/sub-02_r.nii.gz $G/sub-03_r.nii.gz $G/sub-04_r.nii.gz $G/sub-05_r.nii.gz $G/sub-06_r.nii.gz"
O=$TMP/ps
# shellcheck disable=SC2086
check "p-style: group --p-style minus-log10 one-minus" 0 group --maps $MAPS --mask "$G/mask.nii.gz" \
    --permutations 20 --tfce --p-style minus-log10 one-minus -o "$O" --quiet
for f in p p_fdr p_fwe p_tfce_fwe; do
    file_exists "$O/$f.nii.gz"
    file_exists "$O/${f}_minus-log10.nii.gz"
    file_exists "$O/${f}_minus-log10.json"
    file_exists "$O/${f}_one-minus.nii.gz"
done
file_has "$O/p_fwe_minus-log10.json" '"p_style": "p,minus-log10,one-minus"'
file_has "$O/p_fwe_minus-log10.json" '-log10 p'
file_has "$O.json" '"p_fdr_one-minus.nii.gz"'
# the values (each voxel's in tests/test_stats.c): the extremes of -log10 p
# and 1 - p are those of p, reversed; the same voxels are NaN
# mmn FILE: "min max nonfinite" of a map
mmn() {
    $BRACT info --stats --json "$1" | tr -d ' ,' | awk -F: '
        $1 == "\"min\"" { mn = $2 } $1 == "\"max\"" { mx = $2 } $1 == "\"nonfinite\"" { nf = $2 }
        END { print mn, mx, nf }'
}
check "p-style: the maps' intents" 0 info "$O/p_fwe_minus-log10.nii.gz" "$O/p_fwe_one-minus.nii.gz"
out_has "LOG10PVAL"
out_has "group: 1 - p FWE max-t"
for f in p p_fwe p_tfce_fwe; do
    current="p-style: $f values"
    set -- $(mmn "$O/$f.nii.gz") $(mmn "$O/${f}_minus-log10.nii.gz") $(mmn "$O/${f}_one-minus.nii.gz")
    if awk -v pmin="$1" -v pmax="$2" -v pnf="$3" -v lmin="$4" -v lmax="$5" -v lnf="$6" \
        -v omin="$7" -v omax="$8" -v onf="$9" 'function near(a, b) { d = a - b; if (d < 0) d = -d; return d <= 1e-5 * (1 + (b < 0 ? -b : b)) }
        BEGIN { ok = near(lmax, -log(pmin) / log(10)) && near(lmin, -log(pmax) / log(10)) &&
                     near(omax, 1 - pmin) && near(omin, 1 - pmax) && pnf == lnf && pnf == onf
                exit !ok }'; then pass; else fail "p $1..$2 ($3 NaN), -log10 p $4..$5 ($6), 1 - p $7..$8 ($9)"; fi
done
# the default is p alone, and p may be named
# shellcheck disable=SC2086
check "p-style: default" 0 group --maps $MAPS --mask "$G/mask.nii.gz" --permutations 0 -o "$TMP/def" --quiet
file_absent "$TMP/def/p_minus-log10.nii.gz"
file_has "$TMP/def/p.json" '"p_style": "p"'
# shellcheck disable=SC2086
check "p-style: an unknown style" 2 group --maps $MAPS --mask "$G/mask.nii.gz" --p-style ln -o "$TMP/x"
err_has "--p-style: unknown p style 'ln' (expected one of p, minus-log10, one-minus)"
check "p-style: --help" 0 group --help
out_has "--p-style"

# bract glm --p-style: each contrast's p map also as -log10 p and 1 - p,
# beside contrast-NAME_stat-p.nii.gz (which is always written)
E=$REF/glm/event
check "p-style: glm --p-style minus-log10 one-minus" 0 glm \
    --data "$E/sub-01_task-words_run-1_bold.nii.gz" "$E/sub-01_task-words_run-2_bold.nii.gz" \
    --events "$E/sub-01_task-words_run-1_events.tsv" "$E/sub-01_task-words_run-2_events.tsv" \
    --mask "$E/mask.nii.gz" --contrast animals=cat+dog-car-bus --no-residuals \
    --p-style minus-log10 one-minus -o "$TMP/glmps" --quiet
for f in p p_minus-log10 p_one-minus; do
    file_exists "$TMP/glmps/contrast-animals_stat-$f.nii.gz"
    file_exists "$TMP/glmps/contrast-animals_stat-$f.json"
done
file_has "$TMP/glmps/contrast-animals_stat-p_minus-log10.json" '"p_style": "p,minus-log10,one-minus"'
file_has "$TMP/glmps/contrast-animals_stat-p_minus-log10.json" "nilearn's logp"
file_has "$TMP/glmps.json" '"contrast-animals_stat-p_one-minus.nii.gz"'
check "p-style: glm maps' intents" 0 info "$TMP/glmps/contrast-animals_stat-p_minus-log10.nii.gz"
out_has "LOG10PVAL"
current="p-style: glm values"
set -- $(mmn "$TMP/glmps/contrast-animals_stat-p.nii.gz") \
    $(mmn "$TMP/glmps/contrast-animals_stat-p_minus-log10.nii.gz") \
    $(mmn "$TMP/glmps/contrast-animals_stat-p_one-minus.nii.gz")
if awk -v pmin="$1" -v pmax="$2" -v pnf="$3" -v lmin="$4" -v lmax="$5" -v lnf="$6" \
    -v omin="$7" -v omax="$8" -v onf="$9" 'function near(a, b) { d = a - b; if (d < 0) d = -d; return d <= 1e-5 * (1 + (b < 0 ? -b : b)) }
    BEGIN { ok = near(lmax, -log(pmin) / log(10)) && near(lmin, -log(pmax) / log(10)) &&
                 near(omax, 1 - pmin) && near(omin, 1 - pmax) && pnf == lnf && pnf == onf
            exit !ok }'; then pass; else fail "p $1..$2 ($3 NaN), -log10 p $4..$5 ($6), 1 - p $7..$8 ($9)"; fi
check "p-style: glm default writes p alone" 0 glm \
    --data "$E/sub-01_task-words_run-1_bold.nii.gz" --events "$E/sub-01_task-words_run-1_events.tsv" \
    --mask "$E/mask.nii.gz" --contrast animals=cat+dog-car-bus --no-residuals -o "$TMP/glmdef" --quiet
file_exists "$TMP/glmdef/contrast-animals_stat-p.nii.gz"
file_absent "$TMP/glmdef/contrast-animals_stat-p_minus-log10.nii.gz"
check "p-style: glm, an unknown style" 2 glm \
    --data "$E/sub-01_task-words_run-1_bold.nii.gz" --events "$E/sub-01_task-words_run-1_events.tsv" \
    --mask "$E/mask.nii.gz" --p-style ln -o "$TMP/glmx"
err_has "--p-style: unknown p style 'ln' (expected one of p, minus-log10, one-minus)"
file_absent "$TMP/glmx"
