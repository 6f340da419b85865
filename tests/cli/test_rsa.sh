# bract rsa: values against the rsatoolbox fixtures through the command
# line, a permutation p-value counted by hand, the outputs, and the
# messages for bad input (exit status, message, no output left).

R="$TMP/rsa"
mkdir -p "$R"

# RDM sets from the reference comparison inputs: 12 conditions c01..c12,
# 66 pairs in condensed order; subject k's file holds region "R1"
awk -F'\t' -v dir="$R" '
NR == 1 { next }
{
    p = $1; i = 0; n = 12; left = p
    while (left >= n - i - 1) { left -= n - i - 1; i++ }
    j = i + 1 + left
    a = sprintf("c%02d", i + 1); b = sprintf("c%02d", j + 1)
    print "model", a, b, $2 > (dir "/model.tsv.body")
    for (s = 1; s <= 5; s++) print "R1", a, b, $(s + 2) > (dir "/sub" s ".tsv.body")
}' OFS='\t' "$REF/rsa/compare_inputs.tsv"
for f in model sub1 sub2 sub3 sub4 sub5; do
    { printf 'rdm\tcondition_a\tcondition_b\tdissimilarity\n'; cat "$R/$f.tsv.body"; } > "$R/$f.tsv"
    rm "$R/$f.tsv.body"
done

# compare a results column (by name) of the rows matching level/subject
# with expected values at a tolerance: same_values FILE LEVEL COLUMN TOL V1 V2 ...
same_values() {
    file=$1 level=$2 col=$3 tol=$4
    shift 4
    got=$(awk -F'\t' -v lv="$level" -v c="$col" '
        NR == 1 { for (k = 1; k <= NF; k++) if ($k == c) ci = k; next }
        $1 == lv && $5 == "n/a" { print $ci }' "$file" | tr '\n' ' ')
    if awk -v got="$got" -v want="$*" -v tol="$tol" 'BEGIN {
        n = split(got, g, " "); m = split(want, w, " ")
        if (n != m) exit 1
        for (k = 1; k <= n; k++) { d = g[k] - w[k]; if (d < 0) d = -d; if (d > tol) exit 1 }
        exit 0 }'; then pass; else fail "$col of $level rows: got '$got', expected '$*'"; fi
}

want() { # the expected_compare values of one method, subjects 1..5
    awk -F'\t' -v m="$1" '$2 == m { printf "%s ", $3 }' "$REF/rsa/expected_compare.tsv"
}

# rsatoolbox's compare inputs are any vectors, negative values too: bract
# refuses negative dissimilarities (F21) unless told, naming file, line,
# RDM and pair
check "rsa: negative values refused" 1 rsa --neural "$R/sub1.tsv" --model "$R/model.tsv" \
    --permutations 0 -o "$R/neg.tsv"
err_has "$R/sub1.tsv:"
err_has ": RDM 'R1' has the negative dissimilarity"
file_absent "$R/neg.tsv"
file_absent "$R/neg.json"

for m in spearman pearson kendall tau-a rho-a cosine corr_cov cosine_cov; do
    ref=$m
    [ "$m" = pearson ] && ref=corr
    check "rsa: $m against rsatoolbox" 0 rsa --allow-negative --neural "$R"/sub1.tsv "$R"/sub2.tsv "$R"/sub3.tsv \
        "$R"/sub4.tsv "$R"/sub5.tsv --model "$R/model.tsv" --method "$m" --permutations 0 \
        -o "$R/res_$m.tsv"
    # rsatoolbox f1f83ca (reference/README.md): 1e-10
    same_values "$R/res_$m.tsv" subject r 1e-10 $(want "$ref")
done
# rsatoolbox's spelling of pearson, which the library's parser accepts
check "rsa: --method corr" 0 rsa --allow-negative --neural "$R"/sub1.tsv "$R"/sub2.tsv "$R"/sub3.tsv \
    "$R"/sub4.tsv "$R"/sub5.tsv --model "$R/model.tsv" --method corr --permutations 0 \
    -o "$R/res_corr.tsv"
same_values "$R/res_corr.tsv" subject r 1e-10 $(want corr)
file_has "$R/res_corr.json" '"method": "pearson"'
if cmp -s "$R/res_corr.tsv" "$R/res_pearson.tsv"; then pass; else fail "--method corr differs from pearson"; fi
file_has "$R/res_spearman.tsv" "level	subject	rdm	model	model_b	method	n_subjects	n_pairs	r	z	test	stat	df	p	p_fdr	ci_low	ci_high	noise_lower	noise_upper	n_samples"
file_has "$R/res_spearman.tsv" "subject	sub3	R1	model	n/a	spearman	1	66	0.3353940298808521"
file_exists "$R/res_spearman.json"
file_has "$R/res_spearman.json" '"method": "spearman"'
file_has "$R/res_spearman.json" '"conditions": 12'

check "rsa: group, noise ceiling" 0 rsa --allow-negative --neural "$R"/sub?.tsv --model "$R/model.tsv" --group \
    --permutations 0 --method rho-a -o "$R/group.tsv"
nc=$(awk -F'\t' '$1 == "rho-a" { print $2, $3 }' "$REF/rsa/expected_noise_ceiling.tsv")
same_values "$R/group.tsv" group noise_lower 1e-10 ${nc% *}
same_values "$R/group.tsv" group noise_upper 1e-10 ${nc#* }
file_has "$R/group.tsv" "group	n/a	R1	model	n/a	rho-a	5	66"
# the summary on stdout: the group row, its noise ceiling, the FDR count
out_has "5 subjects, 1 region x 1 model, rho-a; group test of the subjects' values"
out_has "noise ceiling"
out_has "of 1 region-model pairs"

# a permutation p-value counted by hand: 4 conditions, the model marks one
# pair; of the 24 relabellings 4 keep the mark on the pair of largest
# neural value: p = 4/24
printf 'rdm\tcondition_a\tcondition_b\tdissimilarity\nV1\ta\tb\t6\nV1\ta\tc\t5\nV1\ta\td\t4\nV1\tb\tc\t3\nV1\tb\td\t2\nV1\tc\td\t1\n' > "$R/small.tsv"
printf 'rdm\tcondition_a\tcondition_b\tdissimilarity\nmark\ta\tb\t1\nmark\ta\tc\t0\nmark\ta\td\t0\nmark\tb\tc\t0\nmark\tb\td\t0\nmark\tc\td\t0\n' > "$R/mark.tsv"
check "rsa: exhaustive permutation test" 0 rsa --allow-negative --neural "$R/small.tsv" --model "$R/mark.tsv" \
    --method pearson -o "$R/perm.tsv"
out_has "1 subject, 1 region x 1 model, pearson; condition-label permutation test"
out_has "0.167"
file_has "$R/perm.tsv" "permutation"
same_values "$R/perm.tsv" subject p 1e-15 0.16666666666666666
same_values "$R/perm.tsv" subject n_samples 0 23

# file names may follow --neural and --model; the seed makes runs repeat
check "rsa: bootstrap, seeded" 0 rsa --allow-negative --neural "$R/sub1.tsv" "$R/sub2.tsv" --model "$R/model.tsv" \
    --permutations 99 --bootstrap 50 --seed 7 -o "$R/b1.tsv"
check "rsa: same seed, 1 thread" 0 rsa --allow-negative --neural "$R/sub1.tsv" "$R/sub2.tsv" --model "$R/model.tsv" \
    --permutations 99 --bootstrap 50 --seed 7 --threads 1 -o "$R/b2.tsv"
if cmp -s "$R/b1.tsv" "$R/b2.tsv"; then pass; else fail "results differ between runs"; fi
# the bootstrap interval holds r
if awk -F'\t' 'NR > 1 && !($16 < $9 && $9 < $17) { bad = 1 } END { exit bad }' "$R/b1.tsv"; then
    pass
else
    fail "bootstrap intervals do not hold r in $R/b1.tsv"
fi

# partial correlation: regress a control out
check "rsa: partial spearman" 0 rsa --allow-negative --neural "$R/sub1.tsv" --model "$R/model.tsv" --control "$R/sub2.tsv" \
    --permutations 0 -o "$R/partial.tsv"
file_has "$R/partial.tsv" "partial spearman"

# ---- usage errors (exit 2) ----
check "rsa: no output" 2 rsa --allow-negative --neural "$R/sub1.tsv" --model "$R/model.tsv"
err_has "bract rsa: no --output given"
check "rsa: unknown method" 2 rsa --allow-negative --neural "$R/sub1.tsv" --model "$R/model.tsv" --method foo -o "$R/x.tsv"
err_has "--method: unknown comparison method 'foo' (expected one of spearman, pearson, kendall, tau-a, rho-a, cosine, corr_cov, cosine_cov)"
check "rsa: partial kendall" 2 rsa --allow-negative --neural "$R/sub1.tsv" --model "$R/model.tsv" --partial --method kendall \
    -o "$R/x.tsv"
err_has "--partial needs --method pearson or spearman (not kendall)"
check "rsa: group of one" 2 rsa --allow-negative --neural "$R/sub1.tsv" --model "$R/model.tsv" --group -o "$R/x.tsv"
err_has "--group needs at least 2 --neural files"
check "rsa: file before any list" 2 rsa "$R/sub1.tsv" --model "$R/model.tsv" -o "$R/x.tsv"
err_has "unexpected argument '$R/sub1.tsv'"
file_absent "$R/x.tsv"

# ---- data errors (exit 1): message, no output, no temporary ----
sed 's/c12/c99/g' "$R/sub2.tsv" > "$R/badcond.tsv"
check "rsa: conditions differ from the model's" 1 rsa --allow-negative --neural "$R/sub1.tsv" "$R/badcond.tsv" \
    --model "$R/model.tsv" -o "$R/x.tsv"
err_has "bract rsa: $R/badcond.tsv: RDM 'R1' does not have the conditions of the models"
err_has "not in the models: 'c99' (1 in all); missing: 'c12' (1 in all)"
file_absent "$R/x.tsv"
file_absent "$R/x.json"
no_temporaries "$R"

sed 's/^R1/R2/' "$R/sub2.tsv" > "$R/otherregion.tsv"
check "rsa: region unknown across subjects" 1 rsa --allow-negative --neural "$R/sub1.tsv" "$R/otherregion.tsv" \
    --model "$R/model.tsv" -o "$R/x.tsv"
err_has "$R/otherregion.tsv has no RDM 'R1', which $R/sub1.tsv has"
file_absent "$R/x.tsv"

awk -F'\t' 'BEGIN { OFS = "\t" } $2 == "c02" && $3 == "c05" { $4 = "n/a" } { print }' \
    "$R/sub3.tsv" > "$R/nan.tsv"
check "rsa: missing pair only in the neural RDM" 1 rsa --allow-negative --neural "$R/nan.tsv" --model "$R/model.tsv" \
    --permutations 0 -o "$R/x.tsv"
err_has "RDM 'R1' has no value for the pair (c02, c05), which the models have"
file_absent "$R/x.tsv"

awk -F'\t' 'BEGIN { OFS = "\t" } $2 == "c02" && $3 == "c05" { $4 = "n/a" } { print }' \
    "$R/model.tsv" > "$R/nanmodel.tsv"
check "rsa: missing pair only in the model" 1 rsa --allow-negative --neural "$R/sub3.tsv" --model "$R/nanmodel.tsv" \
    --permutations 0 -o "$R/x.tsv"
# F17: the model that misses the pair is blamed, with its line
err_has "nanmodel.tsv:15: model 'model' has no value for the pair (c02, c05), which RDM 'R1' of"
check "rsa: --nan model ignores it" 0 rsa --allow-negative --neural "$R/sub3.tsv" --model "$R/nanmodel.tsv" --nan model \
    --permutations 0 -o "$R/x.tsv"
file_has "$R/x.tsv" "	1	65	"
rm -f "$R/x.tsv" "$R/x.json"

echo "old" > "$R/exists.tsv"
check "rsa: existing output without --force" 1 rsa --allow-negative --neural "$R/sub1.tsv" --model "$R/model.tsv" \
    --permutations 0 -o "$R/exists.tsv"
err_has "exists"
file_has "$R/exists.tsv" "old"
check "rsa: --force replaces it" 0 rsa --allow-negative --neural "$R/sub1.tsv" --model "$R/model.tsv" --permutations 0 \
    --force -o "$R/exists.tsv"
file_has "$R/exists.tsv" "spearman"

check "rsa: output over an input" 1 rsa --allow-negative --neural "$R/sub1.tsv" --model "$R/model.tsv" --force \
    -o "$R/sub1.tsv"
file_has "$R/sub1.tsv" "condition_a"

printf 'rdm\tcondition_a\tcondition_b\tdissimilarity\nR1\ta\tb\n' > "$R/broken.tsv"
check "rsa: malformed RDM set" 1 rsa --allow-negative --neural "$R/broken.tsv" --model "$R/model.tsv" -o "$R/x.tsv"
err_has "$R/broken.tsv:2"
file_absent "$R/x.tsv"
# --common-conditions: a word the model has no vector for.  The reference
# patterns' correlation RDM with "cat" and "dog" excluded at the source must
# give exactly the result of the full RDM compared on the model's conditions.
P=$REF/rsa/patterns.tsv
cut -f1 "$P" | awk 'NR == 1 || $1 != "cat" && $1 != "dog"' > "$R/words10.tsv"
check "rsa: model of 10 words" 0 rdm model --embeddings "$REF/embeddings/vectors.tsv" \
    --conditions "$R/words10.tsv" -o "$R/m10.tsv" --quiet
check "rsa: full neural RDM" 0 rdm neural --data "$P" -o "$R/n12.tsv" --quiet
check "rsa: neural RDM without cat and dog" 0 rdm neural --data "$P" --exclude cat --exclude dog \
    -o "$R/n10.tsv" --quiet
check "rsa: 12 conditions against 10" 1 rsa --allow-negative --neural "$R/n12.tsv" --model "$R/m10.tsv" -o "$R/c.tsv"
err_has "not in the models: 'cat', 'dog' (2 in all); compare on the models' conditions only (--common-conditions), or leave them out of the neural RDMs (bract rdm neural --exclude)"
file_absent "$R/c.tsv"
check "rsa: --common-conditions" 0 rsa --allow-negative --neural "$R/n12.tsv" --model "$R/m10.tsv" --common-conditions \
    --permutations 200 -o "$R/c12.tsv"
err_has "n12.tsv: 2 conditions the models lack left out of its RDMs: 'cat', 'dog'"
file_has "$R/c12.json" '"common_conditions": true'
check "rsa: excluded at the source" 0 rsa --allow-negative --neural "$R/n10.tsv" --model "$R/m10.tsv" --permutations 200 \
    -o "$R/c10.tsv" --quiet
cut -f3- "$R/c12.tsv" > "$R/c12.cut"
cut -f3- "$R/c10.tsv" > "$R/c10.cut"
if cmp -s "$R/c12.cut" "$R/c10.cut"; then pass; else fail "--common-conditions differs from --exclude: $(diff "$R/c12.cut" "$R/c10.cut" | head -3)"; fi
no_temporaries "$R"
