# bract extract on the Haxby 25 mm runs with the Harvard-Oxford label image,
# and its messages for bad input.

H=$TESTDATA/data/haxby2001-sub001/sub001
BOLD=$H/BOLD/task001_run001/bold_25mm.nii.gz
HOC=$H/masks/25mm/hoc.nii.gz

check "extract: Harvard-Oxford regions of a run" 0 extract --data "$BOLD" --atlas "$HOC" -o "$TMP/hoc.tsv"
file_has "$TMP/hoc.tsv" "1	3	4	7	8	12	14	17	18	22	23	24	28	31	32	33	35	36	42	43	44"
# first volume, regions 1, 3, 4: the mean of their int16 voxels (checked with
# numpy on the same file: exact)
file_has "$TMP/hoc.tsv" "683	1293.5	1467.3333333333333	1836.3333333333333"
file_has "$TMP/hoc.json" '"RepetitionTime": 2.5'
file_has "$TMP/hoc.json" '"regions": 21'
file_has "$TMP/hoc.json" '"voxels_used": 45'
file_has "$TMP/hoc.json" '"name": "44"'
file_has "$TMP/hoc.json" '"voxels": 5'
no_temporaries "$TMP"
[ "$(wc -l < "$TMP/hoc.tsv")" -eq 122 ] && pass || fail "hoc.tsv should have 121 rows and a header"

printf 'index\tname\n0\tBackground\n1\tFrontal Pole\n3\tSuperior Frontal Gyrus\n' > "$TMP/labels_part.tsv"
check "extract: atlas label absent from the labels table" 1 extract --data "$BOLD" --atlas "$HOC" \
    --labels "$TMP/labels_part.tsv" -o "$TMP/bad1.tsv"
err_has "bract extract: $HOC: label 4 is in the atlas but not in the labels file $TMP/labels_part.tsv"
file_absent "$TMP/bad1.tsv"
file_absent "$TMP/bad1.json"

# a full labels table, with one label the image does not have (an n/a column)
{ printf 'index\tname\n'; for l in 1 3 4 7 8 12 14 17 18 22 23 24 28 31 32 33 35 36 42 43 44 47; do
    printf '%s\tHO%s\n' "$l" "$l"; done; } > "$TMP/labels.tsv"
check "extract: labels name the columns; an empty label is n/a" 0 extract --data "$BOLD" --atlas "$HOC" \
    --labels "$TMP/labels.tsv" --tr 2 -o "$TMP/named.tsv"
file_has "$TMP/named.tsv" "HO1	HO3	HO4"
file_has "$TMP/named.tsv" "2047.5	n/a"
err_has "warning: $HOC: region HO47 (label 47) has no voxels"
err_has "warning: --tr 2 s replaces the header's TR of 2.5 s"
file_has "$TMP/named.json" '"RepetitionTime": 2'
file_has "$TMP/named.json" '"regions_empty": 1'

check "extract: brain mask on the same grid" 0 extract --data "$BOLD" --atlas "$HOC" \
    --mask "$H/masks/25mm/brain.nii.gz" -o "$TMP/masked.tsv"
file_exists "$TMP/masked.tsv"

check "extract: mask on another grid" 1 extract --data "$BOLD" --atlas "$HOC" \
    --mask "$TESTDATA/data/haxby2001-slice/mask.nii.gz" -o "$TMP/bad2.tsv"
err_has "$BOLD and $TESTDATA/data/haxby2001-slice/mask.nii.gz are on different grids: 6x10x10 voxels vs 40x20x1"
file_absent "$TMP/bad2.tsv"

check "extract: atlas on another grid" 1 extract --data "$TESTDATA/data/haxby2001-slice/bold.nii.gz" \
    --atlas "$HOC" -o "$TMP/bad3.tsv"
err_has "are on different grids"
file_absent "$TMP/bad3.tsv"

check "extract: existing output without --force" 1 extract --data "$BOLD" --atlas "$HOC" -o "$TMP/hoc.tsv"
err_has "exists"

check "extract: no atlas" 2 extract --data "$BOLD" -o "$TMP/x.tsv"
err_has "bract extract: no --atlas given"
check "extract: bad TR" 2 extract --data "$BOLD" --atlas "$HOC" --tr abc -o "$TMP/x.tsv"
err_has "--tr expects a number"

# an n/a column stays n/a through bract clean, with a warning and a count
check "extract then clean: n/a region left out" 0 clean --data "$TMP/named.tsv" --high-pass 0.01 \
    -o "$TMP/named_clean.tsv"
err_has "warning: region HO47 has no values (all n/a): left out"
file_has "$TMP/named_clean.json" '"excluded_regions_nonfinite": 1'
file_has "$TMP/named_clean.json" '"RepetitionTime": 2'
