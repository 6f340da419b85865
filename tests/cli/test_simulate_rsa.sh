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

# ---- event-related runs ----
ev="--subjects 2 --words 6 --categories 2 --dims 4 --grid 8x8x6 --regions 3 --signal-regions 1 --documents 5 --event-related"
F=sub-02/func/sub-02_task-words_run-2
# shellcheck disable=SC2086
check "simulate rsa: event-related" 0 simulate rsa -o "$S/ev" $ev
for f in embedding.tsv words.txt mask.nii.gz atlas.nii.gz labels.tsv truth.tsv truth_map.nii.gz \
    corpus.txt model_rdm.tsv "$F"_bold.nii.gz "$F"_bold.json "$F"_events.tsv "$F"_events.json \
    "$F"_desc-confounds_timeseries.tsv "$F"_desc-confounds_timeseries.json \
    sub-01/func/sub-01_task-words_run-1_bold.nii.gz; do
    file_exists "$S/ev/$f"
done
file_absent "$S/ev/conditions.tsv"
file_absent "$S/ev/sub-01_patterns.nii.gz"
file_absent "$S/ev/sub-01/func/sub-01_task-words_run-3_bold.nii.gz"
no_temporaries "$S/ev/sub-02/func"
[ "$(wc -l < "$S/ev/words.txt")" -eq 6 ] && pass || fail "words.txt: not 6 words"
# BIDS: RepetitionTime and TaskName in the BOLD sidecar
file_has "$S/ev/${F}_bold.json" '"RepetitionTime": 2'
file_has "$S/ev/${F}_bold.json" '"TaskName": "words"'
file_has "$S/ev/${F}_bold.json" '"event_related": true'
file_has "$S/ev/truth.json" '"snr": 3'
# one event per word, from 6 s, 2 to 4 s apart
file_has "$S/ev/${F}_events.tsv" "onset	duration	trial_type"
awk -F'\t' 'NR == 2 && $1 != 6 { bad = 1 } NR > 2 && ($1 - prev < 2 - 1e-9 || $1 - prev > 4 + 1e-9) { bad = 1 }
    NR > 1 { prev = $1; n++; if ($2 != 1) bad = 1; w[$3]++ } END { exit bad || n != 6 || length(w) != 6 }' \
    "$S/ev/${F}_events.tsv" && pass || fail "events: not 6 words from 6 s, 2-4 s apart"
# fMRIPrep's columns; n/a in the first row of FD and the derivatives
file_has "$S/ev/${F}_desc-confounds_timeseries.tsv" "global_signal	std_dvars	dvars	framewise_displacement	trans_x	trans_x_derivative1	trans_x_power2"
awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i }
    NR == 2 { bad = $(c["framewise_displacement"]) != "n/a" || $(c["rot_z_derivative1"]) != "n/a" || $(c["trans_x"]) != 0 }
    NR == 3 { bad = bad || $(c["framewise_displacement"]) == "n/a" } END { exit bad || NR != 23 }' \
    "$S/ev/${F}_desc-confounds_timeseries.tsv" && pass || fail "confounds: n/a rows or length wrong"
# 6 + 5 x 4 + 1 + 16 = 43 s: 22 volumes of 2 s
check "simulate rsa: the BOLD run" 0 info "$S/ev/${F}_bold.nii.gz"
out_has "8 x 8 x 6 x 22 (4-D: 22 volumes of 384 voxels)"
out_has "TR            2 s"
# the same bytes with one thread
# shellcheck disable=SC2086
check "simulate rsa: event-related, one thread" 0 simulate rsa -o "$S/ev1" $ev --threads 1
same=1
for f in "$F"_bold.nii.gz "$F"_events.tsv "$F"_desc-confounds_timeseries.tsv truth.tsv; do
    cmp -s "$S/ev/$f" "$S/ev1/$f" || same=0
done
[ $same = 1 ] && pass || fail "event-related runs differ with one thread"
# bract glm reads it as it is: TR from the header and sidecar, motion confounds
check "simulate rsa: bract glm on a simulated subject" 0 glm \
    -d "$S/ev/sub-02/func/sub-02_task-words_run-1_bold.nii.gz" "$S/ev/${F}_bold.nii.gz" \
    -e "$S/ev/sub-02/func/sub-02_task-words_run-1_events.tsv" "$S/ev/${F}_events.tsv" \
    --confounds "$S/ev/sub-02/func/sub-02_task-words_run-1_desc-confounds_timeseries.tsv" \
    "$S/ev/${F}_desc-confounds_timeseries.tsv" --confound-strategy motion6 \
    -m "$S/ev/mask.nii.gz" -o "$S/ev-glm"
[ "$(wc -l < "$S/ev-glm/betas.tsv")" -eq 13 ] && pass || fail "betas.tsv: not 6 words x 2 runs"
file_has "$S/ev-glm/design_run-2.tsv" "rot_z	trans_x	trans_y	trans_z"
# shellcheck disable=SC2086
check "simulate rsa: event-related files exist" 1 simulate rsa -o "$S/ev" $ev
err_has "exists (use --force to overwrite)"
# shellcheck disable=SC2086
check "simulate rsa: event-related, --force" 0 simulate rsa -o "$S/ev" $ev --force
cmp -s "$S/ev/${F}_bold.nii.gz" "$S/ev1/${F}_bold.nii.gz" && pass || fail "--force wrote other data"
# shellcheck disable=SC2086
check "simulate rsa: event-related, longer runs" 0 simulate rsa -o "$S/ev2" $ev --volumes 40 \
    --tr 1.5 --isi-min 3 --isi-max 3 --duration 0.5 --hrf spm --snr 1
file_has "$S/ev2/${F}_bold.json" '"RepetitionTime": 1.5'
check "simulate rsa: motion24 from the simulated confounds" 0 glm \
    -d "$S/ev2/${F}_bold.nii.gz" -e "$S/ev2/${F}_events.tsv" \
    --confounds "$S/ev2/${F}_desc-confounds_timeseries.tsv" --confound-strategy motion24 \
    -m "$S/ev2/mask.nii.gz" -o "$S/ev2-glm"
file_has "$S/ev2-glm/design_run-1.tsv" "rot_z_derivative1_power2"
file_has "$S/ev2-glm/design_run-1.json" "confounds_first_row_filled"
awk -F'\t' 'NR > 1 { s = s " " $1 } END { exit s != " 6 9 12 15 18 21" }' "$S/ev2/${F}_events.tsv" &&
    pass || fail "fixed intervals of 3 s: onsets not 6, 9, ..., 21"
check "simulate rsa: event-related options without --event-related" 2 simulate rsa -o "$S/x" --tr 2
err_has "--tr applies to --event-related"
# shellcheck disable=SC2086
check "simulate rsa: ISI range backwards" 2 simulate rsa -o "$S/x" $ev --isi-min 5
err_has "--isi-min (5) exceeds --isi-max (4)"
# shellcheck disable=SC2086
check "simulate rsa: runs too short" 1 simulate rsa -o "$S/x" $ev --volumes 10
err_has "10 volumes of 2 s (20 s) are too few for 6 words: the last event may end at 27 s"
# shellcheck disable=SC2086
check "simulate rsa: FIR is no response" 1 simulate rsa -o "$S/x" $ev --hrf fir
err_has "the simulated response is glover or spm, not fir"
file_absent "$S/x/embedding.tsv"

# known truth for single-trial denoising: each voxel its HRF, shared noise, an evoked response
# shellcheck disable=SC2086
check "simulate rsa: --hrf-variability --structured-noise --evoked" 0 simulate rsa -o "$S/dn" $ev \
    --isi-min 2 --isi-max 6 --hrf-variability 1 --structured-noise 3 --evoked 2
file_exists "$S/dn/sub-01/func/sub-01_task-words_run-1_bold.nii.gz"
# shellcheck disable=SC2086
check "simulate rsa: the same without them" 0 simulate rsa -o "$S/dn0" $ev --isi-min 2 --isi-max 6
cmp -s "$S/dn/sub-01/func/sub-01_task-words_run-1_bold.nii.gz" \
    "$S/dn0/sub-01/func/sub-01_task-words_run-1_bold.nii.gz" && fail "the options changed nothing" || pass
cmp -s "$S/dn/sub-01/func/sub-01_task-words_run-1_events.tsv" \
    "$S/dn0/sub-01/func/sub-01_task-words_run-1_events.tsv" && pass || fail "the events changed"
check "simulate rsa: --structured-noise without --event-related" 2 simulate rsa -o "$S/x" \
    --structured-noise 2
err_has "--structured-noise applies to --event-related"

# the man page documents every option of the kind
for o in $($BRACT simulate rsa --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
    esc=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
    if grep -q -- "$esc" man/man1/bract-simulate.1; then pass; else
        current="man page of simulate rsa"; fail "bract-simulate.1 does not document $o"
    fi
done
