# bract simulate rsa: the files it writes, determinism, the whole-brain
# sphere, and bad options.

S="$TMP/simrsa"
small="--subjects 2 --words 6 --categories 2 --dims 4 --grid 8x8x6 --regions 3 --signal-regions 1 --documents 5"

# shellcheck disable=SC2086
check "simulate rsa: small dataset" 0 simulate rsa -o "$S/a" $small
for f in embedding.tsv conditions.tsv mask.nii.gz atlas.nii.gz labels.tsv truth.tsv \
    truth_map.nii.gz truth_map.json corpus.txt model_rdm.tsv sub-01_patterns.nii.gz sub-02_patterns.nii.gz \
    truth.json sub-02_patterns.json; do
    file_exists "$S/a/$f"
done
file_absent "$S/a/sub-03_patterns.nii.gz"
no_temporaries "$S/a"
file_has "$S/a/conditions.tsv" "condition	run"
[ "$(wc -l < "$S/a/conditions.tsv")" -eq 13 ] && pass || fail "conditions.tsv: not 12 volumes"
[ "$(wc -l < "$S/a/corpus.txt")" -eq 5 ] && pass || fail "corpus.txt: not 5 documents"
[ "$(awk -F'\t' 'NR > 1 { s += $4 } END { print s }' "$S/a/truth.tsv")" = 1 ] && pass ||
    fail "truth.tsv: not one signal region"
file_has "$S/a/labels.tsv" "index	name"
file_has "$S/a/labels.tsv" "3	region03"
file_has "$S/a/truth.json" '"snr": 0.02'
file_has "$S/a/embedding.tsv" "word	d0	d1	d2	d3"

check "simulate rsa: the files bract reads" 0 info "$S/a/sub-01_patterns.nii.gz" \
    "$S/a/model_rdm.tsv" "$S/a/atlas.nii.gz"
out_has "8 x 8 x 6 x 12 (4-D: 12 volumes of 384 voxels)"
out_has "embedding: 6 conditions, 15 pairs"
out_has "intent        LABEL"

# the same seed, the same bytes (whatever the threads); another seed differs
# shellcheck disable=SC2086
check "simulate rsa: again, one thread" 0 simulate rsa -o "$S/b" $small --threads 1
same=1
for f in embedding.tsv conditions.tsv atlas.nii.gz truth.tsv corpus.txt sub-02_patterns.nii.gz; do
    cmp -s "$S/a/$f" "$S/b/$f" || same=0
done
[ $same = 1 ] && pass || fail "two runs with the same seed differ"
# shellcheck disable=SC2086
check "simulate rsa: another seed" 0 simulate rsa -o "$S/c" $small --seed 2
cmp -s "$S/a/sub-01_patterns.nii.gz" "$S/c/sub-01_patterns.nii.gz" && fail "seeds 1 and 2 agree" || pass

# existing files are kept without --force
# shellcheck disable=SC2086
check "simulate rsa: existing files" 1 simulate rsa -o "$S/a" $small
err_has "exists"
# shellcheck disable=SC2086
check "simulate rsa: --force" 0 simulate rsa -o "$S/a" $small --force

check "simulate rsa: a sphere" 0 simulate rsa -o "$S/sphere" --subjects 1 --words 4 \
    --categories 2 --dims 3 --grid 12x12x10 --regions 2 --effect sphere --radius 6 \
    --center 5,6,5 --documents 0
# radius 6 mm at 3 mm voxels: the 33 voxels within 2 voxels (<= r)
[ "$(awk -F'\t' 'NR > 1 { s += $5 } END { print s }' "$S/sphere/truth.tsv")" = 33 ] && pass ||
    fail "sphere of radius 2 voxels: not 33 voxels"
file_has "$S/sphere/truth.json" '"effect": "sphere"'

# ---- bad options ----
check "simulate rsa: no output" 2 simulate rsa --subjects 2
err_has "no --output given"
check "simulate rsa: too many signal regions" 2 simulate rsa -o "$S/x" --regions 2 --signal-regions 3
err_has "--signal-regions (3) exceeds --regions (2)"
check "simulate rsa: bad grid" 2 simulate rsa -o "$S/x" --grid 10x10
err_has "--grid: expected NXxNYxNZ"
check "simulate rsa: centre outside the brain" 1 simulate rsa -o "$S/x" --effect sphere \
    --center 0,0,0 --subjects 1
err_has "the sphere centre (0, 0, 0) is outside the brain"
file_absent "$S/x/embedding.tsv"
check "simulate rsa: grid too small" 1 simulate rsa -o "$S/y" --grid 3x3x3 --regions 20
err_has "too few for 20 regions"

# the man page documents every option of the kind
for o in $($BRACT simulate rsa --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
    esc=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
    if grep -q -- "$esc" man/man1/bract-simulate.1; then pass; else
        current="man page of simulate rsa"; fail "bract-simulate.1 does not document $o"
    fi
done
