# One vocabulary for conditions a model lacks, across rdm model, rsa and
# searchlight: --common-conditions keeps the conditions the inputs have in
# common (the others are left out with a warning), and every message that
# suggests an option names one the command has.

EM=$REF/embeddings
C=$TMP
printf 'condition\ncat\nunicorn\ndog\nfish\n' > "$C/c.tsv"
printf 'cat\nunicorn\ndog\nfish\n' > "$C/list.txt"

# ---- rdm model: words without a vector ----
check "conditions: rdm model, a word without a vector" 1 rdm model --embeddings "$EM/vectors.tsv" \
    --conditions "$C/c.tsv" -o "$C/m.tsv"
err_has "1 of 4 words is not in the table: unicorn"
err_has "--exclude LABEL"
err_has "--common-conditions to keep the words the table has"
check "conditions: rdm model, a word list" 1 rdm model --embeddings "$EM/vectors.tsv" \
    --words "$C/list.txt" -o "$C/m.tsv"
err_has "--common-conditions"
# --exclude is an option of --conditions only: not suggested for a word list
if grep -q -- "--exclude" "$TMP/.stderr"; then fail "suggests --exclude with --words"; else pass; fi
check "conditions: rdm model --common-conditions" 0 rdm model --embeddings "$EM/vectors.tsv" \
    --conditions "$C/c.tsv" --common-conditions -o "$C/m.tsv"
err_has "warning: 1 word not in $EM/vectors.tsv, dropped: unicorn"
err_has "bract rsa --common-conditions"
file_has "$C/m.json" '"common_conditions": true'
file_has "$C/m.tsv" "vectors	cat	dog	"
check "conditions: rdm model --help" 0 rdm model --help
out_has "--common-conditions"
out_lacks "--allow-missing"
# the old spelling still works (scripts and pipeline files written for 0.1)
check "conditions: rdm model --allow-missing" 0 rdm model --embeddings "$EM/vectors.tsv" \
    --conditions "$C/c.tsv" --allow-missing -o "$C/m_old.tsv" --quiet
if cmp -s "$C/m.tsv" "$C/m_old.tsv"; then pass; else fail "--allow-missing differs from --common-conditions"; fi

# ---- rsa: the neural RDMs hold a condition the model lacks ----
check "conditions: rdm neural" 0 rdm neural --data "$REF/rsa/patterns.tsv" -o "$C/n.tsv" --quiet
cut -f1 "$REF/rsa/patterns.tsv" | awk 'NR == 1 || $1 != "cat"' > "$C/w11.tsv"
check "conditions: a model without cat" 0 rdm model --embeddings "$EM/vectors.tsv" \
    --conditions "$C/w11.tsv" -o "$C/m11.tsv" --quiet
check "conditions: rsa, a condition the model lacks" 1 rsa --neural "$C/n.tsv" --model "$C/m11.tsv" \
    --permutations 0 -o "$C/r.tsv"
err_has "not in the models: 'cat'"
err_has "(--common-conditions)"
err_has "bract rdm neural --exclude"
# rsa has no --exclude: it must not be offered as one of its options
if grep -q "(--exclude)" "$TMP/.stderr"; then fail "rsa suggests --exclude, which it lacks"; else pass; fi

# ---- searchlight: the conditions table holds a condition the model lacks ----
S=$C/sl
grid="--grid 7x7x5 --regions 2 --documents 0 --dims 4 --categories 2 --words 6"
# shellcheck disable=SC2086
check "conditions: simulate" 0 simulate rsa -o "$S" --subjects 1 $grid --effect sphere --radius 6 --snr 1
w=$(awk -F'\t' 'NR == 2 { print $2 }' "$S/model_rdm.tsv")
awk -F'\t' -v w="$w" '$2 != w && $3 != w' "$S/model_rdm.tsv" > "$S/model5.tsv"
in="--data $S/sub-01_patterns.nii.gz --conditions $S/conditions.tsv --mask $S/mask.nii.gz"
# shellcheck disable=SC2086
check "conditions: searchlight, a condition the model lacks" 1 searchlight $in \
    --model "$S/model5.tsv" -o "$S/x.nii"
err_has "the models lack: '$w'"
err_has "--exclude $w"
err_has "--common-conditions"
file_absent "$S/x.nii"
# shellcheck disable=SC2086
check "conditions: searchlight --common-conditions" 0 searchlight $in --model "$S/model5.tsv" \
    --common-conditions -o "$S/common.nii"
err_has "warning: 1 condition the models lack left out: '$w'"
file_has "$S/common.json" '"common_conditions": true'
# shellcheck disable=SC2086
check "conditions: searchlight --exclude" 0 searchlight $in --model "$S/model5.tsv" \
    --exclude "$w" -o "$S/excl.nii"
if cmp -s "$S/common.nii" "$S/excl.nii"; then pass; else fail "--common-conditions differs from --exclude $w"; fi
