# bract rdm neural and bract rdm model: the reference fixtures end to end,
# the Haxby slice, and every bad input (message, exit status, no output).

# rdm_matches OUT REF NAME TOL: the dissimilarities of OUT (one RDM) equal
# those of RDM NAME in the RDM set REF, pair by pair and label by label.
rdm_matches() {
    if awk -F'\t' -v name="$3" -v tol="$4" '
        NR == FNR { if (FNR > 1) { a[++n] = $2; b[n] = $3; d[n] = $4 } next }
        FNR > 1 && $1 == name { k++; e = d[k] - $4; if (e < 0) e = -e
            if (a[k] != $2 || b[k] != $3 || !(e <= tol)) { bad = 1
                printf "pair %d: %s %s %s vs %s %s %s\n", k, a[k], b[k], d[k], $2, $3, $4 } }
        END { if (k != n || k == 0) { bad = 1; printf "%d pairs vs %d\n", n, k } exit bad }
        ' "$1" "$2" >"$TMP/cmp" 2>&1; then pass; else fail "$1 differs from $3 in $2: $(head -3 "$TMP/cmp")"; fi
}

# value_near FILE ROW TOL WANT: dissimilarity of data row ROW
value_near() {
    if awk -F'\t' -v r="$2" -v tol="$3" -v want="$4" 'NR == r + 1 { e = $4 - want; if (e < 0) e = -e; ok = e <= tol }
        END { exit !ok }' "$1"; then pass; else fail "$1 row $2 is not $4 (+-$3)"; fi
}

# sum_near FILE TOL WANT: sum of the dissimilarities
sum_near() {
    if awk -F'\t' -v tol="$2" -v want="$3" 'NR > 1 { s += $4 } END { e = s - want; if (e < 0) e = -e; exit !(e <= tol) }' "$1"
    then pass; else fail "the dissimilarities of $1 do not sum to $3 (+-$2)"; fi
}

P=$REF/rsa/patterns.tsv
E=$REF/rsa/expected_rdms.tsv

# ---- the reference fixture, every method (tolerance 1e-10) ----
check "rdm neural: euclidean" 0 rdm neural --data "$P" --method euclidean -o "$TMP/eu.tsv"
rdm_matches "$TMP/eu.tsv" "$E" euclidean 1e-10
file_has "$TMP/eu.json" '"convention": "squared Euclidean distance divided by the number of voxels (rsatoolbox)"'
file_has "$TMP/eu.json" '"conditions": 12'
check "rdm neural: correlation (default)" 0 rdm neural --data "$P" -o "$TMP/co.tsv"
rdm_matches "$TMP/co.tsv" "$E" correlation 1e-10
check "rdm neural: cosine" 0 rdm neural --data "$P" --method cosine -o "$TMP/cs.tsv"
rdm_matches "$TMP/cs.tsv" "$E" cosine 1e-10
check "rdm neural: mahalanobis" 0 rdm neural --data "$P" --method mahalanobis -o "$TMP/ma.tsv"
rdm_matches "$TMP/ma.tsv" "$E" mahalanobis 1e-10
file_has "$TMP/ma.json" '"dof_rule": "rows - conditions"'
file_has "$TMP/ma.json" '"noise_dof": 24'
check "rdm neural: crossnobis" 0 rdm neural --data "$P" --method crossnobis -o "$TMP/cn.tsv"
rdm_matches "$TMP/cn.tsv" "$E" crossnobis 1e-10
check "rdm neural: crossnobis, identity" 0 rdm neural --data "$P" --method crossnobis \
    --noise-method identity --name crossnobis_identity -o "$TMP/ci.tsv"
rdm_matches "$TMP/ci.tsv" "$E" crossnobis_identity 1e-10
out_lacks "warning"
check "rdm neural: plain euclidean" 0 rdm neural --data "$P" --method euclidean --plain -o "$TMP/pl.tsv"
file_has "$TMP/pl.json" 'plain Euclidean distance'
# plain = sqrt(squared / P * P): 1.85151166156191 * 30 -> sqrt = 7.452876...
value_near "$TMP/pl.tsv" 1 1e-9 "$(awk 'BEGIN { printf "%.15f", sqrt(1.85151166156191 * 30) }')"

# the residuals given as a table (rows minus condition means) give the same
# precision when told the dof, so the same RDM
awk -F'\t' 'NR == 1 { print; next } { for (j = 3; j <= NF; j++) { s[$1, j] += $j } n[$1]++; row[NR] = $0 }
    END { for (r = 2; r <= NR; r++) { split(row[r], f, "\t"); line = f[1] "\t" f[2]
          for (j = 3; j <= NF; j++) line = line "\t" sprintf("%.17g", f[j] - s[f[1], j] / n[f[1]]); print line } }' \
    "$P" > "$TMP/res.tsv"
check "rdm neural: --noise table, --noise-dof" 0 rdm neural --data "$P" --method mahalanobis \
    --noise "$TMP/res.tsv" --noise-dof 24 -o "$TMP/ma2.tsv"
rdm_matches "$TMP/ma2.tsv" "$E" mahalanobis 1e-10
file_has "$TMP/ma2.json" '"noise_source": "residual input"'

# ---- the Haxby et al. 2001 slice (RSA notes 12.3; 6 decimals: 1e-6) ----
H=$TESTDATA/data/haxby2001-slice
awk 'BEGIN { print "condition\trun" } { print $1 "\t" $2 }' "$H/attributes_literal.txt" > "$TMP/haxby.tsv"
check "rdm neural: Haxby crossnobis, identity" 0 rdm neural --data "$H/bold.nii.gz" \
    --conditions "$TMP/haxby.tsv" --mask "$H/mask.nii.gz" --exclude rest --demean-runs \
    --sort-conditions --method crossnobis --noise-method identity -o "$TMP/hx.tsv"
value_near "$TMP/hx.tsv" 1 1e-6 5.611597
value_near "$TMP/hx.tsv" 5 1e-6 -9.161669
sum_near "$TMP/hx.tsv" 1e-6 1070.165996
file_has "$TMP/hx.tsv" "mask	bottle	cat	"
file_has "$TMP/hx.json" '"excluded_volumes": 588'
file_has "$TMP/hx.json" '"voxels": 530'
# the same slice through --atlas (the mask as a one-label atlas), named by a labels table
printf 'index\tname\n1\tventral_slice\n' > "$TMP/labels.tsv"
check "rdm neural: Haxby euclidean via --atlas" 0 rdm neural --data "$H/bold.nii.gz" \
    --conditions "$TMP/haxby.tsv" --atlas "$H/mask.nii.gz" --labels "$TMP/labels.tsv" \
    --exclude rest --demean-runs --sort-conditions --method euclidean -o "$TMP/hxe.tsv"
value_near "$TMP/hxe.tsv" 1 1e-6 70.269606
sum_near "$TMP/hxe.tsv" 1e-6 2417.888601
file_has "$TMP/hxe.tsv" "ventral_slice	bottle	cat	"

# ---- bad input: message, exit 1, no output ----
head -n 1452 "$TMP/haxby.tsv" > "$TMP/short.tsv"
check "rdm neural: conditions shorter than the data" 1 rdm neural --data "$H/bold.nii.gz" \
    --conditions "$TMP/short.tsv" --mask "$H/mask.nii.gz" -o "$TMP/bad1.tsv"
err_has "bract rdm neural: $TMP/short.tsv: the data have 1452 volumes ($H/bold.nii.gz) but the conditions have 1451 rows"
file_absent "$TMP/bad1.tsv"
file_absent "$TMP/bad1.json"

check "rdm neural: a region with too few voxels" 1 rdm neural --data "$H/bold.nii.gz" \
    --conditions "$TMP/haxby.tsv" --mask "$H/mask.nii.gz" --min-voxels 600 -o "$TMP/bad2.tsv"
err_has "region mask has 530 usable voxels; an RDM needs at least 600"
file_absent "$TMP/bad2.tsv"
check "rdm neural: --skip-small with no region left" 1 rdm neural --data "$P" --min-voxels 31 \
    --skip-small -o "$TMP/bad2.tsv"
err_has "warning: region patterns left out: 30 usable voxels, fewer than 31"
err_has "too few usable features"
file_absent "$TMP/bad2.tsv"

printf 'condition\tv1\tv2\na\t1\tn/a\nb\t2\t3\nc\t5\t1\n' > "$TMP/onevox.tsv"
check "rdm neural: one usable voxel" 1 rdm neural --data "$TMP/onevox.tsv" -o "$TMP/bad3.tsv"
err_has "bract rdm neural: region onevox has 1 usable voxel (1 of 2 dropped: 1 non-finite, 0 constant); an RDM needs at least 2"
file_absent "$TMP/bad3.tsv"

printf 'condition\trun\tv1\tv2\na\t1\t1\t2\nb\t1\t2\t1\na\t2\t1\t3\nb\t2\t3\t1\na\t3\t2\t2\n' > "$TMP/run1.tsv"
check "rdm neural: crossnobis with a run of one condition" 1 rdm neural --data "$TMP/run1.tsv" \
    --method crossnobis -o "$TMP/bad4.tsv"
err_has "run 3 has only 1 condition; crossnobis needs every condition in every run"
file_absent "$TMP/bad4.tsv"
printf 'condition\tv1\tv2\na\t1\t2\nb\t2\t1\n' > "$TMP/norun.tsv"
check "rdm neural: crossnobis without runs" 1 rdm neural --data "$TMP/norun.tsv" \
    --method crossnobis --noise-method identity -o "$TMP/bad5.tsv"
err_has "crossnobis needs at least 2 runs, the design has 1 (no run column)"
check "rdm neural: mahalanobis without residual dof" 1 rdm neural --data "$TMP/norun.tsv" \
    --method mahalanobis -o "$TMP/bad5.tsv"
err_has "leave no residual degrees of freedom"
file_absent "$TMP/bad5.tsv"
printf 'condition\trun\tv1\tv2\na\t1\t1\tx\n' > "$TMP/nonnum.tsv"
check "rdm neural: a non-numeric pattern cell" 1 rdm neural --data "$TMP/nonnum.tsv" -o "$TMP/bad6.tsv"
err_has "$TMP/nonnum.tsv:2: column 4 ('v2')"
file_absent "$TMP/bad6.tsv"
check "rdm neural: a missing data file" 1 rdm neural --data "$TMP/none.nii.gz" \
    --conditions "$TMP/haxby.tsv" --mask "$H/mask.nii.gz" -o "$TMP/bad7.tsv"
err_has "$TMP/none.nii.gz"
file_absent "$TMP/bad7.tsv"

# outputs: existing ones kept, inputs never overwritten
printf 'keep me\n' > "$TMP/exists.tsv"
check "rdm neural: existing output" 1 rdm neural --data "$P" -o "$TMP/exists.tsv"
err_has "exists (use --force to overwrite)"
file_has "$TMP/exists.tsv" "keep me"
check "rdm neural: --force" 0 rdm neural --data "$P" -o "$TMP/exists.tsv" --force
file_has "$TMP/exists.tsv" "dissimilarity"
cp "$P" "$TMP/p.tsv"
check "rdm neural: output over the input" 1 rdm neural --data "$TMP/p.tsv" -o "$TMP/p.tsv" --force
err_has "refusing to overwrite an input"
no_temporaries "$TMP"

# usage errors
check "rdm neural: no output" 2 rdm neural --data "$P"
err_has "no --output given"
check "rdm neural: --plain with correlation" 2 rdm neural --data "$P" --plain -o "$TMP/u.tsv"
err_has "--plain applies to --method euclidean"
check "rdm neural: unknown method" 2 rdm neural --data "$P" --method manhattan -o "$TMP/u.tsv"
err_has "--method: unknown RDM method 'manhattan' (expected one of euclidean, correlation, cosine, mahalanobis, crossnobis)"
check "rdm neural: NIfTI without conditions" 2 rdm neural --data "$H/bold.nii.gz" --mask "$H/mask.nii.gz" -o "$TMP/u.tsv"
err_has "no --conditions given"
check "rdm neural: noise options need a noise method" 2 rdm neural --data "$P" --noise-dof 3 -o "$TMP/u.tsv"
err_has "apply to --method mahalanobis and crossnobis"
check "rdm: unknown kind" 2 rdm fancy
err_has "bract rdm: unknown kind 'fancy'"
check "rdm neural --help" 0 rdm neural --help
out_has "Usage: bract rdm neural"
file_absent "$TMP/u.tsv"

# ---- model RDMs: every format against the reference ----
EM=$REF/embeddings
cut -f1 "$P" | head -n 13 > "$TMP/words.tsv"
# (every format x method pair is in tests/test_embed.c; here each format once)
for fm in w2v.txt:cosine w2v.txt:correlation w2v.txt:euclidean glove.txt:correlation \
    tsv:euclidean w2v.bin:cosine; do
    f=${fm%:*}
    tol=1e-10
    [ $f = w2v.bin ] && tol=1e-6
    for m in ${fm#*:}; do
        check "rdm model: $f $m" 0 rdm model --embeddings "$EM/vectors.$f" --conditions "$TMP/words.tsv" \
            --method $m -o "$TMP/m_${f}_${m}.tsv"
        rdm_matches "$TMP/m_${f}_${m}.tsv" "$EM/expected_model_rdms.tsv" $m $tol
    done
done
file_has "$TMP/m_w2v.bin_cosine.json" '"format": "word2vec-bin"'
file_has "$TMP/m_w2v.bin_cosine.json" '"words_found": 12'
gzip -c "$EM/vectors.w2v.txt" > "$TMP/v.txt.gz"
check "rdm model: gzipped word2vec text" 0 rdm model --embeddings "$TMP/v.txt.gz" --conditions "$TMP/words.tsv" \
    --name w2v -o "$TMP/mgz.tsv"
rdm_matches "$TMP/mgz.tsv" "$EM/expected_model_rdms.tsv" cosine 1e-10
file_has "$TMP/mgz.tsv" "w2v	猫	狗	"
printf '苹果\ndog\n\ncat\ndog\n' > "$TMP/list.txt"
check "rdm model: a word list" 0 rdm model --embeddings "$EM/vectors.tsv" --words "$TMP/list.txt" -o "$TMP/ml.tsv"
file_has "$TMP/ml.tsv" "vectors	苹果	dog	"
file_has "$TMP/ml.json" '"words": 3'

# missing words: one error listing every one, or dropped with --allow-missing
printf 'condition\nCat\ndog\nunicorn\n猫\n龙\n' > "$TMP/miss.tsv"
check "rdm model: missing words" 1 rdm model --embeddings "$EM/vectors.glove.txt" --conditions "$TMP/miss.tsv" -o "$TMP/mm.tsv"
err_has "bract rdm model: $EM/vectors.glove.txt: 3 of 5 words are not in the table: Cat, unicorn, 龙"
file_absent "$TMP/mm.tsv"
check "rdm model: --lowercase" 1 rdm model --embeddings "$EM/vectors.glove.txt" --conditions "$TMP/miss.tsv" \
    --lowercase -o "$TMP/mm.tsv"
err_has "2 of 5 words are not in the table: unicorn, 龙"
check "rdm model: --allow-missing" 0 rdm model --embeddings "$EM/vectors.glove.txt" --conditions "$TMP/miss.tsv" \
    --lowercase --allow-missing -o "$TMP/mm.tsv"
err_has "warning: 2 words not in $EM/vectors.glove.txt, dropped: unicorn, 龙"
file_has "$TMP/mm.tsv" "vectors.glove	Cat	dog	"
file_has "$TMP/mm.json" '"excluded_words": 2'
file_has "$TMP/mm.json" '"龙"'

# malformed tables name file and line; no output
printf 'cat 1 2 3\ndog 1 2 3\nemu 1 2\n' > "$TMP/bad.txt"
printf 'condition\ncat\ndog\n' > "$TMP/cd.tsv"
check "rdm model: wrong number of values" 1 rdm model --embeddings "$TMP/bad.txt" --conditions "$TMP/cd.tsv" -o "$TMP/mb.tsv"
err_has "bract rdm model: $TMP/bad.txt:3: 'emu' has 2 values, expected 3"
file_absent "$TMP/mb.tsv"
printf 'cat 1 2 3\ndog 1 zwei 3\n' > "$TMP/bad.txt"
check "rdm model: non-numeric value" 1 rdm model --embeddings "$TMP/bad.txt" --conditions "$TMP/cd.tsv" -o "$TMP/mb.tsv"
err_has "$TMP/bad.txt:2: value 2 is 'zwei', not a number"
file_absent "$TMP/mb.tsv"
head -c 60 "$EM/vectors.w2v.bin" > "$TMP/cut.bin"
check "rdm model: truncated binary" 1 rdm model --embeddings "$TMP/cut.bin" --conditions "$TMP/cd.tsv" -o "$TMP/mb.tsv"
err_has "$TMP/cut.bin: truncated: record 2 (word 'dog', byte 42) has 14 of its 32 bytes"
file_absent "$TMP/mb.tsv"
printf 'cat\nzzz\n' > "$TMP/one.txt"
check "rdm model: one word only" 1 rdm model --embeddings "$EM/vectors.tsv" --words "$TMP/one.txt" --allow-missing -o "$TMP/mb.tsv"
err_has "bract rdm model: $EM/vectors.tsv: 1 word found; an RDM needs at least 2"
file_absent "$TMP/mb.tsv"
check "rdm model: both --words and --conditions" 2 rdm model --embeddings "$EM/vectors.tsv" --words "$TMP/list.txt" \
    --conditions "$TMP/cd.tsv" -o "$TMP/mb.tsv"
err_has "give either --conditions or --words"
check "rdm model: unknown format" 2 rdm model --embeddings "$EM/vectors.tsv" --words "$TMP/list.txt" --format fasttext -o "$TMP/mb.tsv"
err_has "--format: unknown embedding format 'fasttext' (expected one of auto, word2vec, word2vec-bin, glove, tsv)"
file_absent "$TMP/mb.tsv"
check "rdm model: a method that needs noise" 2 rdm model --embeddings "$EM/vectors.tsv" --words "$TMP/list.txt" --method crossnobis -o "$TMP/mb.tsv"
err_has "--method crossnobis needs a noise estimate, which word vectors do not have"
file_absent "$TMP/mb.tsv"
# ---- HDF5 RDM sets in rsatoolbox's layout (.h5, .hdf5) ----
# h5show ARGS: h5dump's output becomes what out_has reads
h5show() { h5dump "$@" >"$TMP/.stdout" 2>&1 || fail "h5dump $*"; }
check "rdm neural: HDF5 output" 0 rdm neural --data "$P" --method euclidean -o "$TMP/eu.h5"
file_exists "$TMP/eu.json"
h5show -A "$TMP/eu.h5"
out_has 'ATTRIBUTE "dissimilarity_measure"'
out_has '(0): "squared euclidean"'
out_has 'DATASET "dissimilarities"'
out_has 'DATASPACE  SIMPLE { ( 1, 66 ) / ( 1, 66 ) }'
out_has 'GROUP "descriptors"'
# labels with Chinese characters: variable-length UTF-8 (rsatoolbox itself
# cannot write them; it reads them as bytes)
h5show -d /pattern_descriptors/conds "$TMP/eu.h5"
out_has 'STRSIZE H5T_VARIABLE;'
out_has 'CSET H5T_CSET_UTF8;'
out_has '"cat", "dog", "fish"'
h5show -d /rdm_descriptors/name -d /rdm_descriptors/index "$TMP/eu.h5"
out_has 'STRPAD H5T_STR_NULLPAD;'
out_has 'CSET H5T_CSET_ASCII;'
out_has 'H5T_STD_I64LE'
# the HDF5 file holds the same numbers as the TSV: compare through bract rsa
check "rdm model: HDF5 output" 0 rdm model --embeddings "$EM/vectors.tsv" --conditions "$TMP/words.tsv" \
    --method correlation -o "$TMP/model.hdf5"
h5show -a /dissimilarity_measure "$TMP/model.hdf5"
out_has '(0): "correlation"'
check "rdm model: TSV twin" 0 rdm model --embeddings "$EM/vectors.tsv" --conditions "$TMP/words.tsv" \
    --method correlation -o "$TMP/model.tsv"
check "rsa: HDF5 inputs" 0 rsa --neural "$TMP/eu.h5" --model "$TMP/model.hdf5" --permutations 0 \
    -o "$TMP/rsa_h5.tsv" --quiet
check "rsa: TSV inputs" 0 rsa --neural "$TMP/eu.tsv" --model "$TMP/model.tsv" --permutations 0 \
    -o "$TMP/rsa_tsv.tsv" --quiet
if cmp -s "$TMP/rsa_h5.tsv" "$TMP/rsa_tsv.tsv"; then pass; else fail "rsa on HDF5 and on TSV differ"; fi
check "info: HDF5 RDM set" 0 info "$TMP/model.hdf5"
out_has 'RDM set (HDF5, rsatoolbox layout), 1 RDM'
out_has 'measure       correlation'
# a file saved by rsatoolbox's RDMs.save (testdata/rsatoolbox-hdf5)
check "info: rsatoolbox's file" 0 info --json "$TESTDATA/rsatoolbox-hdf5/models.h5"
out_has '"measure": "correlation"'
out_has '"name": "semantic"'
out_has '"missing": 1'
# an existing output is kept without --force; a non-HDF5 .h5 input is an error
cp "$TMP/eu.h5" "$TMP/keep.h5"
check "rdm neural: HDF5 output exists" 1 rdm neural --data "$P" -o "$TMP/eu.h5"
err_has "exists"
if cmp -s "$TMP/eu.h5" "$TMP/keep.h5"; then pass; else fail "existing HDF5 output was changed"; fi
printf 'not hdf5\n' > "$TMP/fake.h5"
check "rsa: a .h5 that is not HDF5" 1 rsa --neural "$TMP/fake.h5" --model "$TMP/model.tsv" -o "$TMP/r_bad.tsv"
err_has "$TMP/fake.h5: not a readable HDF5 file"
file_absent "$TMP/r_bad.tsv"

no_temporaries "$TMP"
