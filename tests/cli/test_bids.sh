# BIDS: bract simulate rsa --bids writes a dataset bids-validator accepts,
# and bract bids runs the word-RSA pipeline on it as a BIDS App, writing a
# BIDS-derivatives dataset.

# bids-validator comes from npm (make check installs it, tools/npm_install.sh);
# without it these checks fail: they are never skipped.
BV=${BIDS_VALIDATOR:-$(pwd)/build/npm/node_modules/.bin/bids-validator}
validate() { # DIR: runs the validator; $TMP/.stdout and .stderr hold what it said
    current=$1
    "$BV" --no-color "$2" >"$TMP/.stdout" 2>"$TMP/.stderr" </dev/null
    status=$?
}

B=$TMP/ds
check "bids: simulate rsa --bids" 0 simulate rsa --bids -o "$B" --subjects 3 --words 12 \
    --runs 2 --grid 10x10x8 --regions 4 --signal-regions 1 --dims 8 --categories 3 --quiet
for f in dataset_description.json README participants.tsv task-words_bold.json \
    task-words_events.json sub-01/func/sub-01_task-words_run-1_bold.nii.gz \
    sub-03/func/sub-03_task-words_run-2_events.tsv \
    derivatives/fmriprep/dataset_description.json \
    derivatives/fmriprep/sub-02/func/sub-02_task-words_run-2_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz \
    derivatives/fmriprep/sub-02/func/sub-02_task-words_run-2_space-MNI152NLin2009cAsym_desc-preproc_bold.json \
    derivatives/fmriprep/sub-02/func/sub-02_task-words_run-1_space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz \
    derivatives/fmriprep/sub-02/func/sub-02_task-words_run-1_desc-confounds_timeseries.tsv \
    derivatives/fmriprep/sub-02/func/sub-02_task-words_run-1_desc-confounds_timeseries.json \
    derivatives/fmriprep/sub-03/anat/sub-03_space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz \
    derivatives/simulation/atlas.nii.gz derivatives/simulation/words.txt \
    derivatives/simulation/truth.tsv; do
    file_exists "$B/$f"
done
file_has "$B/dataset_description.json" '"DatasetType": "raw"'
file_has "$B/task-words_bold.json" '"RepetitionTime": 2'
file_has "$B/participants.tsv" 'sub-03'
# the events' columns are described once, at the top: no per-run sidecar
file_absent "$B/sub-01/func/sub-01_task-words_run-1_events.json"
file_absent "$B/sub-01/func/sub-01_task-words_run-1_desc-confounds_timeseries.tsv"
check "bids: simulate rsa --bids again refuses" 1 simulate rsa --bids -o "$B" --subjects 3 --quiet
err_has "exists (use --force to overwrite)"

if [ -x "$BV" ]; then
    validate "bids: bids-validator accepts the dataset" "$B"
    if [ "$status" = 0 ] && ! grep -q "\[ERR\]" "$TMP/.stdout"; then pass; else
        fail "bids-validator rejects $B (exit $status): $(grep -A3 '\[ERR\]' "$TMP/.stdout" | head -20)"; fi
    grep -q "3 - Subjects" "$TMP/.stdout" && pass || fail "the validator did not find 3 subjects"
    # and it does reject what is not BIDS (the check above means something)
    cp -r "$B" "$TMP/bad"
    echo '{"RepetitionTime": 2}' > "$TMP/bad/task-words_bold.json"
    : > "$TMP/bad/sub-01/func/sub-01_task-words_run-3_bold.txt"
    validate "bids: bids-validator rejects a broken copy" "$TMP/bad"
    if [ "$status" != 0 ] && grep -q "\[ERR\]" "$TMP/.stdout"; then pass; else
        fail "bids-validator accepts a dataset without TaskName (exit $status)"; fi
    rm -rf "$TMP/bad"
else
    current="bids: bids-validator"
    fail "bids-validator is not installed at $BV: 'make bids-validator' installs it (npm)"
fi
