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

# ---- bract bids: the BIDS App ----
O=$TMP/out
check "bids: participant level, two labels" 0 bids "$B" "$O" participant \
    --participant-label 01 sub-02 --quiet
file_exists "$O/sub-01/func/sub-01_task-words_space-MNI152NLin2009cAsym_desc-crossnobis_rdms.tsv"
file_exists "$O/sub-02/func/sub-02_task-words_space-MNI152NLin2009cAsym_glm/betas.nii.gz"
file_absent "$O/sub-03"
file_absent "$O/group"
err_has "bract bids: 4 steps (2 left to the group level): 4 run, 0 up to date, 0 failed"
file_has "$O/dataset_description.json" '"DatasetType": "derivative"'
file_has "$O/dataset_description.json" '"Name": "bract derivatives of bract simulated word-RSA study"'
file_has "$O/dataset_description.json" "\"URL\": \"file://$(cd "$B" && pwd -P)\""
file_has "$O/dataset_description.json" "\"URL\": \"file://$(cd "$B/derivatives/fmriprep" && pwd -P)\""
file_has "$O/dataset_description.json" '"GeneratedBy": ['
# the GLM read fMRIPrep's preprocessed runs, confounds and mask, and the raw events
file_has "$O/sub-01/func/sub-01_task-words_space-MNI152NLin2009cAsym_glm.json" \
    'derivatives/fmriprep/sub-01/func/sub-01_task-words_run-2_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz --events'
file_has "$O/sub-01/func/sub-01_task-words_space-MNI152NLin2009cAsym_glm.json" \
    "--events $(cd "$B" && pwd)/sub-01/func/sub-01_task-words_run-1_events.tsv"
file_has "$O/sub-01/func/sub-01_task-words_space-MNI152NLin2009cAsym_glm.json" \
    '_desc-confounds_timeseries.tsv'
file_has "$O/sub-01/func/sub-01_task-words_space-MNI152NLin2009cAsym_glm.json" \
    'anat/sub-01_space-MNI152NLin2009cAsym_desc-brain_mask.nii.gz'

check "bids: group level before every subject is done" 1 bids "$B" "$O" group
err_has "bract bids: glm sub-03: not run: new; run the participant level for sub-03 first"
err_has "rsa group: not run"
file_absent "$O/group/task-words_space-MNI152NLin2009cAsym_desc-crossnobis_rsa.tsv"

check "bids: participant level, the rest" 0 bids "$B" "$O" participant --quiet
err_has "6 steps (2 left to the group level): 2 run, 4 up to date"
check "bids: group level" 0 bids "$B" "$O" group --quiet
err_has "8 steps: 1 run, 7 up to date, 0 failed, 0 not run" # the model ran the first time
file_exists "$O/group/task-words_desc-word2vec_rdms.tsv"
file_exists "$O/group/task-words_space-MNI152NLin2009cAsym_desc-crossnobis_rsa.tsv"
file_has "$O/group/task-words_space-MNI152NLin2009cAsym_desc-crossnobis_rsa.tsv" "word2vec"
check "bids: both levels again: up to date" 0 bids "$B" "$O" group
err_has "8 steps: 0 run, 8 up to date"
check "bids: --force reruns" 0 bids "$B" "$O" group --force --quiet
err_has "8 steps: 2 run, 6 up to date"

# the layout: BIDS-derivatives names (entities in order, a suffix, an
# extension), subjects' files under sub-<label>/func/ and named for the
# subject, the group's under group/ without a subject, a JSON sidecar per
# file.  Inside a glm directory the names are bract glm's own (its record is
# the _glm.json beside it).
current="bids: output layout"
ent='(sub-[A-Za-z0-9]+_)?(ses-[A-Za-z0-9]+_)?(task-[A-Za-z0-9]+_)?(run-[0-9]+_)?(space-[A-Za-z0-9]+_)?(desc-[A-Za-z0-9]+_)?[A-Za-z0-9]+'
bad=$(cd "$O" && find . -path '*_glm/*' -prune -o \( -type f -o -type d \) -print | sed 's|^\./||' |
    while read -r f; do
        b=${f##*/}
        case $f in
        .|dataset_description.json|sub-0[123]|sub-0[123]/func|group) continue ;;
        sub-*/func/*)
            s=${f%%/*}
            echo "$b" | grep -Eq "^${s}_${ent}(\.tsv|\.json|\.nii\.gz)?\$" || echo "$f" ;;
        group/*)
            echo "$b" | grep -Eq "^${ent}(\.tsv|\.json|\.nii\.gz)\$" &&
                ! echo "$b" | grep -q '^sub-' || echo "$f" ;;
        *) echo "$f" ;;
        esac
        case $b in *.json|dataset_description.json) ;;
        *) [ -e "$O/${f%.tsv}.json" ] || [ -e "$O/${f%.nii.gz}.json" ] || echo "$f: no sidecar" ;;
        esac
    done)
if [ -z "$bad" ]; then pass; else fail "not BIDS-derivatives names: $bad"; fi
nfiles=$(cd "$O" && find . -path '*_glm/*' -prune -o -type f -print | wc -l)
[ "$nfiles" = 14 ] && pass || fail "14 files outside the glm directories expected, found $nfiles"

# --plan, --input, --task and the messages
check "bids: --plan" 0 bids "$B" "$O" participant --plan --participant-label 03 --verbose \
    --input "atlas=$B/derivatives/simulation/truth_map.nii.gz"
out_has "pipeline pipelines/bids-word-rsa.ini (built in): 1 subjects, 4 steps; outputs under $O"
out_has "run    rdms             sub-03       parameters changed"
out_has "--atlas $B/derivatives/simulation/truth_map.nii.gz"
check "bids: --task of no run" 1 bids "$B" "$O" participant --task rest
err_has "key bold: pattern $(cd "$B/derivatives/fmriprep" && pwd -P)/sub-01/func/sub-01_task-rest_run-*_space-MNI152NLin2009cAsym_desc-preproc_bold.nii.gz matches no file for sub-01"
check "bids: --input for no key" 1 bids "$B" "$O" participant --input brain=x.nii.gz
err_has "section [dataset]: no key brain to give the input"
check "bids: unknown level" 2 bids "$B" "$O" subject
err_has "unknown analysis level 'subject' (expected participant or group)"
check "bids: too few arguments" 2 bids "$B" "$O"
err_has "expected BIDS_DIR OUTPUT_DIR participant|group (got 2 arguments)"
check "bids: not a BIDS dataset" 1 bids "$B/sub-01" "$O" participant
err_has "not a BIDS dataset (no dataset_description.json)"
check "bids: unknown participant" 1 bids "$B" "$O" participant --participant-label 09
err_has "--participant-label 09: $B has no sub-09"
check "bids: no fMRIPrep outputs" 1 bids "$B" "$O" participant --derivatives "$TMP/none"
err_has "$TMP/none: No such file or directory (fMRIPrep's outputs)"
check "bids: output into the dataset itself" 2 bids "$B" "$B" participant
err_has "OUTPUT_DIR is BIDS_DIR"
