# bract pipeline: planning, running, skipping what is up to date, -j, kills,
# failures, and the messages for bad pipeline files.

H=$TESTDATA/data/haxby2001-sub001/sub001
mkdir -p "$TMP/pl/data/sub-01" "$TMP/pl/data/sub-02" "$TMP/pl/data/sub-03"
cp "$H/BOLD/task001_run001/bold_25mm.nii.gz" "$TMP/pl/data/sub-01/bold.nii.gz"
cp "$H/BOLD/task001_run002/bold_25mm.nii.gz" "$TMP/pl/data/sub-02/bold.nii.gz"
cp "$H/BOLD/task001_run003/bold_25mm.nii.gz" "$TMP/pl/data/sub-03/bold.nii.gz"
cp "$H/masks/25mm/hoc.nii.gz" "$TMP/pl/data/atlas.nii.gz"
cp "$H/masks/25mm/brain.nii.gz" "$TMP/pl/data/brain.nii.gz"
cat > "$TMP/pl/study.ini" <<'INI'
; a small study: region series, cleaned, and voxelwise cleaning
[dataset]
root = data
bold = {subject}/bold.nii.gz
atlas = atlas.nii.gz
brain = brain.nii.gz

[stage clean]
command = clean
data = {stage:extract}
high-pass = 0.01
output = {out}/{subject}_desc-clean_timeseries.tsv

[stage extract]
command = extract
data = {bold}
atlas = {atlas}
output = {out}/{subject}_timeseries.tsv

[stage voxels]
command = clean
data = {bold}
mask = {brain}
detrend = 2
output = {out}/{subject}_desc-clean_bold.nii.gz
INI
P=$TMP/pl/study.ini
D=$TMP/pl/data/derivatives/bract

check "pipeline: plan of a new study" 0 pipeline plan "$P"
out_has "3 subjects, 9 steps"
out_has "run    extract          sub-01       new"
out_has "9 of 9 steps would run"

check "pipeline: run" 0 pipeline run "$P"
err_has "9 steps: 9 run, 0 up to date, 0 failed, 0 not run"
file_exists "$D/sub-03/sub-03_desc-clean_timeseries.tsv"
file_exists "$D/sub-02/sub-02_desc-clean_bold.nii.gz"
file_has "$D/sub-01/sub-01_desc-clean_timeseries.json" '"CommandLine": "bract clean --data'
# the output root is a BIDS-derivatives dataset (issue 15)
file_has "$D/dataset_description.json" '"DatasetType": "derivative"'
file_has "$D/dataset_description.json" '"Name": "bract"'
file_has "$D/dataset_description.json" '"GeneratedBy": ['
file_has "$D/dataset_description.json" "\"URL\": \"file://$(cd "$TMP/pl/data" && pwd -P)\""
file_has "$D/dataset_description.json" '"BIDSVersion": "1.8.0"'
no_temporaries "$D/sub-01"

check "pipeline: a second run skips everything" 0 pipeline run "$P"
err_has "9 steps: 0 run, 9 up to date, 0 failed, 0 not run"

# --force reruns what is up to date (issue 15), and plan says it would
check "pipeline: plan --force" 0 pipeline plan --force "$P"
out_has "run    extract          sub-01       up to date, but --force"
out_has "9 of 9 steps would run"
ino=$(stat -c %i "$D/sub-01/sub-01_timeseries.tsv")
check "pipeline: run --force" 0 pipeline run --force "$P"
err_has "9 steps: 9 run, 0 up to date, 0 failed, 0 not run"
err_has "extract sub-01: done in"
# outputs are renamed into place: a rewritten file is a new inode
if [ "$(stat -c %i "$D/sub-01/sub-01_timeseries.tsv")" != "$ino" ]; then pass; else
    fail "sub-01_timeseries.tsv was not rewritten"; fi
check "pipeline: after --force, up to date again" 0 pipeline run "$P"
err_has "9 steps: 0 run, 9 up to date"

# a dataset that is not writable: the default output root goes beside it,
# and the runner says where (issue 15).  Root may write anywhere, so root
# runs these as nobody.
RO=$(mktemp -d "${TMPDIR:-/tmp}/bract-ro-XXXXXX")
chmod 755 "$RO"
RO=$(cd "$RO" && pwd -P)
mkdir -p "$RO/study/ds/sub-01"
cp "$H/BOLD/task001_run001/bold_25mm.nii.gz" "$RO/study/ds/sub-01/bold.nii.gz"
cp "$H/masks/25mm/hoc.nii.gz" "$RO/study/ds/atlas.nii.gz"
cat > "$RO/study/ro.ini" <<'INI'
[dataset]
root = ds
bold = {subject}/bold.nii.gz
atlas = atlas.nii.gz
[stage extract]
command = extract
data = {bold}
atlas = {atlas}
output = {out}/{subject}_timeseries.tsv
INI
chmod -R a+rX "$RO/study"
chmod a-w "$RO/study/ds" "$RO/study/ds/sub-01"
chmod a+w "$RO/study"
saved_bract=$BRACT
if [ "$(id -u)" = 0 ]; then BRACT="setpriv --reuid=65534 --regid=65534 --clear-groups $BRACT"; fi
check "pipeline: read-only dataset, plan" 0 pipeline plan "$RO/study/ro.ini"
out_has "outputs under $RO/study/derivatives/bract"
err_has "$RO/study/ds is not writable: outputs go beside it, to $RO/study/derivatives/bract"
check "pipeline: read-only dataset, run" 0 pipeline run "$RO/study/ro.ini"
file_exists "$RO/study/derivatives/bract/sub-01/sub-01_timeseries.tsv"
file_absent "$RO/study/ds/derivatives"
rm -rf "$RO/study/derivatives"
chmod a-w "$RO/study"
check "pipeline: read-only dataset and parent" 1 pipeline plan --quiet "$RO/study/ro.ini"
err_has "$RO/study/ds is not writable, nor is $RO/study (for $RO/study/derivatives/bract): give --out DIR"
check "pipeline: --out still wins" 0 pipeline plan --out "$RO/elsewhere" "$RO/study/ro.ini"
out_has "outputs under $RO/elsewhere"
BRACT=$saved_bract
chmod -R u+w "$RO"
rm -rf "$RO"

check "pipeline: -j 2 into another root" 0 pipeline run -j 2 --out "$TMP/pl/j2" "$P"
err_has "9 steps: 9 run"
same=1
for f in $(cd "$D" && find . -name '*.tsv' -o -name '*.nii.gz' | sort); do
    case $f in *.gz) gzip -dc "$D/$f" > "$TMP/a"; gzip -dc "$TMP/pl/j2/$f" > "$TMP/b" ;;
               *) cp "$D/$f" "$TMP/a"; cp "$TMP/pl/j2/$f" "$TMP/b" ;; esac
    cmp -s "$TMP/a" "$TMP/b" || { same=0; current="pipeline: -j 2"; fail "$f differs from -j 1"; }
done
[ $same = 1 ] && pass

# a changed option reruns what it affects, a touched input what depends on it
sed 's/high-pass = 0.01/high-pass = 0.02/' "$P" > "$TMP/pl/changed.ini"
check "pipeline: changed parameter" 0 pipeline plan "$TMP/pl/changed.ini"
out_has "run    clean            sub-02       parameters changed"
out_has "skip   extract          sub-02       up to date"
out_has "3 of 9 steps would run"
touch "$TMP/pl/data/sub-02/bold.nii.gz"
check "pipeline: newer input" 0 pipeline plan "$P"
out_has "run    extract          sub-02       input $TMP/pl/data/sub-02/bold.nii.gz is newer"
out_has "run    clean            sub-02       after extract sub-02"
out_has "3 of 9 steps would run"
check "pipeline: rerun after the change" 0 pipeline run --quiet "$P"
err_has "9 steps: 3 run, 6 up to date"

# kill the runner at several moments; rerunning finishes with the same
# outputs (a heavier study, so that kills land inside steps)
S=$TESTDATA/data/haxby2001-slice
mkdir -p "$TMP/plk/data/sub-01" "$TMP/plk/data/sub-02"
cp "$S/bold.nii.gz" "$TMP/plk/data/sub-01/bold.nii.gz"
cp "$S/bold.nii.gz" "$TMP/plk/data/sub-02/bold.nii.gz"
cp "$S/mask.nii.gz" "$TMP/plk/data/atlas.nii.gz"
cp "$S/mask.nii.gz" "$TMP/plk/data/brain.nii.gz"
sed 's/high-pass = 0.01/high-pass = 0.01\nlow-pass = 0.1/' "$P" > "$TMP/plk/study.ini"
K=$TMP/plk/study.ini
t0=$(date +%s.%N)
"$bin" pipeline run --quiet --out "$TMP/plk/ref" "$K" >/dev/null 2>&1
t1=$(date +%s.%N)
full=$(awk "BEGIN { print $t1 - $t0 }")
killed=0
for frac in 0.1 0.3 0.5 0.7 0.9; do
    rm -rf "$TMP/plk/k"
    "$bin" pipeline run --quiet --out "$TMP/plk/k" "$K" >/dev/null 2>&1 &
    pid=$!
    sleep "$(awk "BEGIN { print $full * $frac }")"
    kill -9 $pid 2>/dev/null && killed=$((killed + 1))
    wait $pid 2>/dev/null
    "$bin" pipeline run --quiet --out "$TMP/plk/k" "$K" >/dev/null 2>&1 || { current="pipeline: kill at $frac"; fail "rerun failed"; }
    current="pipeline: kill at $frac of the run"
    ok=1
    for f in $(cd "$TMP/plk/ref" && find . -name '*.tsv' -o -name '*.nii.gz' | sort); do
        case $f in *.gz) gzip -dc "$TMP/plk/ref/$f" > "$TMP/a"; gzip -dc "$TMP/plk/k/$f" > "$TMP/b" 2>/dev/null ;;
                   *) cp "$TMP/plk/ref/$f" "$TMP/a"; cp "$TMP/plk/k/$f" "$TMP/b" 2>/dev/null ;; esac
        cmp -s "$TMP/a" "$TMP/b" || { ok=0; fail "$f differs after the rerun"; }
    done
    if ls -aR "$TMP/plk/k" | grep -q '\.bract-'; then fail "temporaries left"; ok=0; fi
    [ $ok = 1 ] && pass
done
current="pipeline: kills"
[ $killed -ge 3 ] && pass || fail "only $killed of 5 runs were killed (a run takes $full s)"

# the runner passes --force to its steps, but replaces only what a run of
# the step wrote (finding F5): a user's file at an output path, without a
# bract sidecar recording the step, makes that step fail and stays as it was
U=$TMP/pl/user
mkdir -p "$U/sub-01"
echo SENTINEL > "$U/sub-01/sub-01_timeseries.tsv"
check "pipeline: a user's file at an output path" 1 pipeline run --out "$U" "$P"
err_has "bract pipeline: extract sub-01: $U/sub-01/sub-01_timeseries.tsv exists and no bract sidecar records this step ($U/sub-01/sub-01_timeseries.json is missing): the pipeline replaces only outputs it wrote"
err_has "extract sub-01: FAILED"
file_has "$U/sub-01/sub-01_timeseries.tsv" SENTINEL
file_absent "$U/sub-01/sub-01_timeseries.json"
file_exists "$U/sub-02/sub-02_timeseries.tsv"
# a sidecar that records another command is no licence either
echo '{"GeneratedBy": [{"Name": "bract"}], "CommandLine": "bract clean --data x -o elsewhere.tsv"}' \
    > "$U/sub-01/sub-01_timeseries.json"
check "pipeline: an output recorded by another command" 1 pipeline run --out "$U" "$P"
err_has "sub-01_timeseries.json records another command (bract clean --data x -o elsewhere.tsv)"
file_has "$U/sub-01/sub-01_timeseries.tsv" SENTINEL
# a user's file at a sidecar path is not replaced either
rm "$U/sub-01/sub-01_timeseries.tsv" "$U/sub-01/sub-01_timeseries.json"
echo SENTINEL > "$U/sub-01/sub-01_timeseries.json"
check "pipeline: a user's file at a sidecar path" 1 pipeline run --out "$U" "$P"
err_has "$U/sub-01/sub-01_timeseries.json exists and is not a sidecar bract wrote"
file_has "$U/sub-01/sub-01_timeseries.json" SENTINEL
rm "$U/sub-01/sub-01_timeseries.json"
check "pipeline: the user's files moved away, the run completes" 0 pipeline run --out "$U" "$P"
err_has "9 steps: 2 run, 7 up to date"
# outputs outside the output root are refused when the file is read,
# unless the file allows them
sed 's|output = {out}/{subject}_timeseries.tsv|output = {out}/../../{subject}_timeseries.tsv|' \
    "$P" > "$TMP/pl/escape.ini"
check "pipeline: an output outside the root" 1 pipeline run --out "$TMP/pl/esc/root" "$TMP/pl/escape.ini"
err_has "bract pipeline: $TMP/pl/escape.ini: section [stage extract]: key output: $(cd "$TMP/pl" && pwd -P)/esc/sub-01_timeseries.tsv resolves outside the output root $(cd "$TMP/pl" && pwd -P)/esc/root"
file_absent "$TMP/pl/esc"
printf '[output]\nallow_outside_root = yes\n' >> "$TMP/pl/escape.ini"
check "pipeline: allow_outside_root = yes" 0 pipeline plan --out "$TMP/pl/esc/root" "$TMP/pl/escape.ini"
out_has "9 of 9 steps would run"
# through a symbolic link to a directory elsewhere
mkdir -p "$TMP/pl/lnk/root/sub-01" "$TMP/pl/elsewhere"
ln -s "$TMP/pl/elsewhere" "$TMP/pl/lnk/root/sub-01/x"
sed 's|output = {out}/{subject}_timeseries.tsv|output = {out}/x/{subject}_timeseries.tsv|' \
    "$P" > "$TMP/pl/link.ini"
check "pipeline: an output through a link out of the root" 1 pipeline plan --out "$TMP/pl/lnk/root" "$TMP/pl/link.ini"
err_has "elsewhere/sub-01_timeseries.tsv resolves outside the output root"

# a failing subject does not stop the others; --fail-fast does
printf 'not a volume' > "$TMP/pl/data/sub-02/bold.nii.gz"
check "pipeline: one subject fails" 1 pipeline run --out "$TMP/pl/f" "$P"
err_has "bract extract: $TMP/pl/data/sub-02/bold.nii.gz: not a NIfTI file"
err_has "extract sub-02: FAILED"
err_has "9 steps: 6 run, 0 up to date, 2 failed, 1 not run"
file_exists "$TMP/pl/f/sub-03/sub-03_desc-clean_timeseries.tsv"
check "pipeline: --fail-fast" 1 pipeline run --fail-fast --out "$TMP/pl/ff" "$P"
err_has "1 failed"
file_absent "$TMP/pl/ff/sub-03/sub-03_timeseries.tsv"

# bad pipeline files name the file, the section and the key
bad() { printf '%b' "$2" > "$TMP/pl/$1.ini"; }
bad e1 '[dataset]\nroot = data\n[stage a]\ncommand = frobnicate\noutput = x\n'
check "pipeline: unknown stage command" 1 pipeline plan "$TMP/pl/e1.ini"
err_has "bract pipeline: $TMP/pl/e1.ini: section [stage a]: key command: unknown bract command 'frobnicate'"
bad e2 '[dataset]\nroot = data\n[stage a]\ncommand = extract\ndata = x\noutput = {out}/x.tsv\n'
check "pipeline: missing required option" 1 pipeline plan "$TMP/pl/e2.ini"
err_has "e2.ini: section [stage a]: missing key 'atlas' (bract extract needs it)"
bad e3 '[dataset]\nroot = data\nbold = {subject}/func/*_bold.nii.gz\n[stage a]\ncommand = clean\ndata = {bold}\noutput = {out}/x.tsv\n'
check "pipeline: pattern matching no file" 1 pipeline plan "$TMP/pl/e3.ini"
err_has "e3.ini: section [dataset]: key bold: pattern $TMP/pl/data/sub-01/func/*_bold.nii.gz matches no file for sub-01"
bad e4 '[dataset]\nroot = data\n[stage a]\ncommand = clean\ndata = {stage:b}\noutput = {out}/a.tsv\n[stage b]\ncommand = clean\ndata = {stage:a}\noutput = {out}/b.tsv\n'
check "pipeline: cycle" 1 pipeline plan "$TMP/pl/e4.ini"
err_has "e4.ini: section [stage a]: the stages depend on each other in a cycle: a -> b -> a"
bad e5 '[dataset]\nroot = data\n[stage a]\ncommand = clean\ndata = x\n'
check "pipeline: stage without output" 1 pipeline plan "$TMP/pl/e5.ini"
err_has "e5.ini: section [stage a]: missing key 'output'"
bad e6 '[dataset]\nroot = data\n[stage a]\ncommand = clean\ndata = {nothing}\noutput = {out}/a.tsv\n'
check "pipeline: unknown placeholder" 1 pipeline plan "$TMP/pl/e6.ini"
err_has "e6.ini: section [stage a]: key data: unknown placeholder {nothing}"
bad e7 '[dataset]\nroot = data\n[stages]\nx = 1\n'
check "pipeline: unknown section" 1 pipeline plan "$TMP/pl/e7.ini"
err_has "e7.ini: section [stages]: unknown section"
bad e8 '[dataset]\nroot = data\n[stage a]\ncommand clean\n'
check "pipeline: syntax error" 1 pipeline plan "$TMP/pl/e8.ini"
err_has "e8.ini: line 4: not a section header"
check "pipeline: no action" 2 pipeline "$P"
err_has "unknown action"
# every stage key is an option of its command, checked when the file is
# loaded (not by a failing step per subject)
bad e9 '[dataset]\nroot = data\n[stage a]\ncommand = extract\ndata = x\natlas = y\nfrobnicate = yes\noutput = {out}/x.tsv\n'
check "pipeline: unknown stage key" 1 pipeline plan "$TMP/pl/e9.ini"
err_has "e9.ini: section [stage a]: key frobnicate: bract extract has no option --frobnicate"
file_absent "$TMP/pl/data/derivatives/bract/sub-01/x.tsv"
bad e10 '[dataset]\nroot = data\n[stage a]\ncommand = group\nscope = group\nmaps = x\nmask = y\ntfce = 3\noutput = {out}/g\n'
check "pipeline: a flag with a value" 1 pipeline run "$TMP/pl/e10.ini"
err_has "e10.ini: section [stage a]: key tfce: --tfce is a flag: write yes or no (found '3')"
bad e11 '[dataset]\nroot = data\n[stage a]\ncommand = group\nscope = group\nmaps = x\nmask = yes\noutput = {out}/g\n'
check "pipeline: yes for an option with a value" 1 pipeline plan "$TMP/pl/e11.ini"
err_has "e11.ini: section [stage a]: key mask: --mask takes a value, not 'yes'"
check "pipeline: two files" 2 pipeline plan "$P" "$P"
err_has "one pipeline FILE at a time (got 2)"
check "pipeline: options of run only" 2 pipeline plan --jobs 2 "$P"
err_has "unknown option --jobs"
