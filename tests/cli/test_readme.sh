# The README's walkthrough runs as written: its shell block (the first
# ```sh block after "## Walkthrough") is run line for line with `sh -e`, in
# an empty directory, with the bract under test first on PATH, and what the
# README says of the result is checked against the simulated truth.

R=$TMP/readme
mkdir -p "$R/bin"
# `bract` on PATH: the binary under test (through BRACT_WRAPPER if set)
printf '#!/bin/sh\nexec %s "$@"\n' "$BRACT" > "$R/bin/bract"
chmod +x "$R/bin/bract"
awk '/^## Walkthrough/ { w = 1; next } /^## / { w = 0 }
     w && /^```sh$/ && !done { b = 1; next } b && /^```$/ { b = 0; done = 1 } b' README.md \
    > "$R/walkthrough.sh"
current="readme: the walkthrough block"
if [ "$(grep -c '^bract\|^ *bract' "$R/walkthrough.sh")" -ge 6 ]; then pass
else fail "no walkthrough found in README.md ($(wc -l < "$R/walkthrough.sh") lines)"; fi
current="readme: the walkthrough runs as written"
if (cd "$R" && PATH="$R/bin:$PATH" sh -e walkthrough.sh) >"$TMP/.stdout" 2>"$TMP/.stderr"; then pass
else fail "sh -e walkthrough.sh failed (exit $?)"; fi
W=$R/walkthrough
for f in study/truth.tsv sub-04_rdms.tsv model.tsv rsa.tsv sub-04_sl.nii.gz group/p_tfce_fwe.nii.gz \
    report.html; do
    file_exists "$W/$f"
done
# "its p_fdr is below 0.05 for the two regions study/truth.tsv marks as
# carrying the signal (region05 and region07), and for no other"
current="readme: the group rows find the planted regions"
sig=$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["level"] == "group" && $c["p_fdr"] < 0.05 { print $c["rdm"] }' "$W/rsa.tsv" | sort | tr '\n' ' ')
truth=$(awk -F'\t' 'NR > 1 && $4 == 1 { print $1 }' "$W/study/truth.tsv" | sort | tr '\n' ' ')
if [ "$sig" = "$truth" ] && [ "$truth" = "region05 region07 " ]; then pass
else fail "significant: '$sig'; planted: '$truth' (the README names region05 and region07)"; fi
