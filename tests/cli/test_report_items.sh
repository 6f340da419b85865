# bract report, what a reader of a study's report needs (issue 15): subjects
# by their IDs, not paths; an exact permutation test said to be one ("all
# 719 relabellings"); the searchlight maps of many subjects as one
# small-multiples figure; table heads in words, not column names.

R=$TMP/root
SIM=$TMP/sim
check "report items: simulate rsa (6 words)" 0 simulate rsa -o "$SIM" --subjects 3 --words 6 \
    --categories 2 --regions 3 --grid 8x8x5 --documents 30 --quiet
mkdir -p "$R/group"
for s in 01 02 03; do
    mkdir -p "$R/sub-$s"
    check "report items: RDMs sub-$s" 0 rdm neural --data "$SIM/sub-${s}_patterns.nii.gz" \
        --conditions "$SIM/conditions.tsv" --atlas "$SIM/atlas.nii.gz" --labels "$SIM/labels.tsv" \
        -o "$R/sub-$s/sub-${s}_desc-regions_rdms.tsv" --quiet
    check "report items: searchlight sub-$s" 0 searchlight --data "$SIM/sub-${s}_patterns.nii.gz" \
        --conditions "$SIM/conditions.tsv" --mask "$SIM/mask.nii.gz" --model "$SIM/model_rdm.tsv" \
        --radius 4 -o "$R/sub-$s/sub-${s}_desc-searchlight_r.nii.gz" --quiet
done
check "report items: rsa, 1000 permutations of 6 words" 0 rsa --neural "$R"/sub-0?/*_rdms.tsv \
    --model "$SIM/model_rdm.tsv" --permutations 1000 --group -o "$R/group/rsa.tsv" --quiet
check "report items: group maps, 6 subjects" 0 group --maps "$TESTDATA/group"/sub-0?_r.nii.gz \
    --mask "$TESTDATA/group/mask.nii.gz" --permutations 1000 -o "$R/group/maps" --quiet
check "report items: simulate dfc" 0 simulate dfc -o "$SIM/dfc" --subjects 2 --regions 5 \
    --volumes 120 --no-volume --quiet
check "report items: dfc states" 0 dfc --data "$SIM/dfc/sub-01_timeseries.tsv" \
    --data "$SIM/dfc/sub-02_timeseries.tsv" --window 20 --states 2 -o "$R/group/dfc" --quiet
check "report items: report" 0 report "$R" -o "$TMP/r.html" --quiet
H=$TMP/r.html

# exact counts: 6! - 1 = 719 relabellings of the words, 2^6 - 1 = 63 flips
file_has "$H" "permutation test over all 719 relabellings of the 6 conditions (exact)"
file_has "$H" "Family-wise error from all 63 sign flips."
if grep -q "1000 condition-label permutations\|1000 sign flips" "$H"; then
    fail "the report gives the number asked for, not the exact test's"; else pass; fi

# subjects by ID: the per-subject RSA rows and the searchlight table
file_has "$H" '<td title="sub-02_desc-regions_rdms">sub-02</td>'
file_has "$H" '<td title="sub-03/sub-03_desc-searchlight_r.nii.gz">sub-03</td><td>desc-searchlight_r.nii.gz</td>'
if grep -q "<code>sub-0./sub-0._desc-searchlight_r.nii.gz</code></td>" "$H"; then
    fail "a searchlight table row names its map by path"; else pass; fi

# one small-multiples figure of the three searchlight maps, not a mosaic each
n=$(grep -o '<figure class="fig smallmult">' "$H" | wc -l)
[ "$n" = 1 ] && pass || fail "$n small-multiples figures, 1 expected"
n=$(sed -n 's/.*<figure class="fig smallmult"><div class="panels">\(.*\)<\/div><figcaption>.*/\1/p' "$H" |
    grep -o '<img ' | wc -l)
[ "$n" = 3 ] && pass || fail "$n searchlight panels, 3 expected"
file_has "$H" "The searchlight map of each subject, every one on the same colour scale"
if grep -q 'alt="sub-01/sub-01_desc-searchlight_r.nii.gz"' "$H"; then
    fail "a searchlight map still has a figure of its own"; else pass; fi

# table heads in words
file_has "$H" "<th class=\"n\">mean dwell (s)</th>"
file_has "$H" "<th class=\"n\">fraction of windows</th>"
if grep -q "<th[^>]*>mean_dwell_s</th>\|<th[^>]*>npy_row</th>" "$H"; then
    fail "a table head is a column name"; else pass; fi
