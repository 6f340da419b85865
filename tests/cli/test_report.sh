# bract report: an output root made with real commands (RSA, group maps, dFC
# states, timescales and their hierarchy), its report checked against the
# input tables, for references outside the page, and rendered in headless
# Chromium (no console messages, no file loaded but the page, every figure
# decoded, the expected headings).  Then malformed outputs, bad roots and
# usage errors.

R=$TMP/root
SIM=$TMP/sim
mkdir -p "$R/group" "$SIM"

# fmt_p / fmt_r: the report's formats of p-values (0.003, 2.1e-05) and r
fmt_p() { awk -v v="$1" 'BEGIN { if (v == 0 || v == 1) printf "%d", v; else if (v >= 0.001) printf "%.3f", v; else printf "%.1e", v }'; }
fmt_r() { awk -v v="$1" 'BEGIN { s = sprintf("%.3f", v); if (s == "-0.000") s = "0.000"; printf "%s", s }'; }
# cell RAW FMT: the table cell of a number (the file's text on hover when the shown text differs)
cell() { if [ "$1" = "$2" ]; then printf '<td class="n">%s</td>' "$2"; else printf '<td class="n" title="%s">%s</td>' "$1" "$2"; fi; }
# col FILE NAME [FILTER]: a column of a TSV
col() { awk -v name="$2" 'BEGIN { FS = "\t" } NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next } c { print $c }' "$1"; }

# ---- RSA: three subjects, eight words, three regions ----
check "report: simulate rsa" 0 simulate rsa -o "$SIM/rsa" --subjects 3 --words 8 --regions 3 \
    --grid 8x8x5 --documents 30 --quiet
if $BRACT --help 2>/dev/null | grep -q '^     rdm '; then
    for s in 01 02 03; do
        mkdir -p "$R/sub-$s"
        check "report: region RDMs sub-$s" 0 rdm neural --data "$SIM/rsa/sub-${s}_patterns.nii.gz" \
            --conditions "$SIM/rsa/conditions.tsv" --atlas "$SIM/rsa/atlas.nii.gz" \
            --labels "$SIM/rsa/labels.tsv" -o "$R/sub-$s/sub-${s}_rdms.tsv" --quiet
    done
    check "report: model RDM" 0 rdm model --embeddings "$SIM/rsa/embedding.tsv" \
        --conditions "$SIM/rsa/conditions.tsv" -o "$R/group/model_embedding.tsv" --quiet
    MODEL=$R/group/model_embedding.tsv
    RUNS=10 # rdm neural x 3, rdm model, rsa, group, dfc, timescale x 2, hierarchy
else
    # bract rdm is not in this build: region RDMs made from the simulation's
    # model RDM plus noise (files without sidecars, found through bract rsa's)
    for s in 01 02 03; do
        mkdir -p "$R/sub-$s"
        awk -v seed="$s" 'BEGIN { FS = OFS = "\t"; srand(seed + 0) }
            NR == 1 { print; next }
            { for (k = 1; k <= 3; k++) { $1 = sprintf("region%02d", k); $4 = $4 + (k == 1 ? 0.2 : 0.6) * (rand() - 0.5); out[k] = out[k] $0 "\n" } }
            END { for (k = 1; k <= 3; k++) printf "%s", out[k] }' "$SIM/rsa/model_rdm.tsv" \
            >"$R/sub-$s/sub-${s}_rdms.tsv"
    done
    MODEL=$SIM/rsa/model_rdm.tsv
    RUNS=6 # rsa, group, dfc, timescale x 2, hierarchy
fi
check "report: rsa" 0 rsa --neural "$R"/sub-0?/sub-0?_rdms.tsv --model "$MODEL" --group \
    --permutations 50 --bootstrap 20 -o "$R/group/rsa.tsv" --quiet

# ---- group maps of the six simulated correlation maps ----
G=$TESTDATA/group
check "report: group maps" 0 group --maps "$G"/sub-0?_r.nii.gz --mask "$G/mask.nii.gz" \
    --permutations 20 --tfce --cluster-p 0.001 --atlas "$G/atlas.nii.gz" --labels "$G/labels.tsv" \
    -o "$R/group/searchlight" --quiet

# ---- dFC states of two simulated subjects ----
check "report: simulate dfc" 0 simulate dfc -o "$SIM/dfc" --subjects 2 --regions 6 --volumes 160 \
    --dwell 30 --no-volume --quiet
check "report: dfc" 0 dfc --data "$SIM/dfc/sub-01_timeseries.tsv" --data "$SIM/dfc/sub-02_timeseries.tsv" \
    --window 20 --step 2 --states 3 --restarts 2 -o "$R/group/dfc" --quiet

# ---- timescales and their hierarchy ----
check "report: simulate timescales" 0 simulate timescales -o "$SIM/ts" --regions 6 --volumes 150 \
    --subjects 2 --quiet
for s in 01 02; do
    check "report: timescale sub-$s" 0 timescale --data "$SIM/ts/sub-${s}_timeseries.tsv" \
        -o "$R/sub-$s/sub-${s}_tau.tsv" --quiet
done
check "report: timescale hierarchy" 0 timescale hierarchy --index "$SIM/ts/truth.tsv" \
    --coords "$SIM/ts/truth.tsv" --permutations 50 --bootstrap 50 -o "$R/group/hierarchy" --quiet \
    "$R/sub-01/sub-01_tau.tsv" "$R/sub-02/sub-02_tau.tsv"

# ---- the report ----
H=$TMP/report.html
check "report: write the report" 0 report "$R" -o "$H" --dpi 72
out_has "$H: 4 sections"
# no warning: every part shown (the sidecar counts them; stderr may hold a wrapper's reports)
file_has "$TMP/report.json" '"warnings": 0'
file_exists "$TMP/report.json"
file_has "$TMP/report.json" '"Command": "report"'
file_has "$TMP/report.json" '"notes": 0'
no_temporaries "$TMP"

current="report: sections"
for h in '<h2 id="summary">Summary</h2>' '<h2 id="dataset">Dataset</h2>' \
    '<h2 id="rsa">Representational similarity</h2>' '<h2 id="maps">Group maps</h2>' \
    '<h2 id="dynamic-connectivity">Dynamic connectivity</h2>' \
    '<h2 id="timescales">Intrinsic timescales</h2>' '<h2 id="runs">Runs and parameters</h2>' \
    '<h3 id="model-rdms">Model RDMs</h3>' '<h3 id="neural-rdms">Mean neural RDMs</h3>' \
    '<h3 id="clusters">Clusters</h3>' '<h3 id="dfc-states">States</h3>' '<h3 id="hierarchy">Hierarchy</h3>' \
    '<a href="#rsa">Representational similarity</a>' '<details class="run" id="run-'; do
    file_has "$H" "$h"
done

# the RSA group rows, as bract rsa wrote them: r, p and FDR p of each
current="report: RSA numbers"
n=0
while IFS="	" read -r level rdm model model_b r p pfdr; do
    [ "$level" = group ] && [ "$model_b" = n/a ] || continue
    n=$((n + 1))
    file_has "$H" "<td>$rdm</td><td>$model</td>$(cell "$r" "$(fmt_r "$r")")"
    file_has "$H" "$(cell "$p" "$(fmt_p "$p")")$(cell "$pfdr" "$(fmt_p "$pfdr")")"
done <<EOF
$(awk 'BEGIN { FS = OFS = "\t" } NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { print $c["level"], $c["rdm"], $c["model"], $c["model_b"], $c["r"], $c["p"], $c["p_fdr"] }' "$R/group/rsa.tsv")
EOF
[ $n -eq 3 ] && pass || fail "expected 3 group rows in rsa.tsv, found $n"
# group rows come first; the subject rows are folded
nsub=$(awk -F '\t' '$1 == "subject"' "$R/group/rsa.tsv" | wc -l)
file_has "$H" "<summary>Per-subject results ($nsub rows)</summary>"

# the cluster table: cluster 1's size, peak t and corrected p
current="report: cluster numbers"
size=$(col "$R/group/searchlight/clusters.tsv" size_voxels | head -1)
peak=$(col "$R/group/searchlight/clusters.tsv" peak_t | head -1)
pc=$(col "$R/group/searchlight/clusters.tsv" p_corrected | head -1)
file_has "$H" "<td class=\"n\">1</td><td class=\"n\">$size</td>"
file_has "$H" "$(cell "$peak" "$(awk -v v="$peak" 'BEGIN { printf "%.2f", v }')")$(cell "$pc" "$(fmt_p "$pc")")"
file_has "$H" "peak t = $(awk -v v="$peak" 'BEGIN { printf "%.2f", v }') at -2, -2, 2 mm, left_region"

# dFC: each state's mean fraction of windows over the two subjects
current="report: dFC numbers"
for k in 1 2 3; do
    f=$(awk -v k=$k 'BEGIN { FS = "\t" } NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["state"] == k { s += $c["fraction"]; n++ } END { printf "%.3f", s / n }' "$R/group/dfc/state_summary.tsv")
    file_has "$H" "<tr><td class=\"n\">$k</td><td class=\"n\">$f</td>"
done

# the hierarchy: the group's rho and permutation p in the summary
current="report: hierarchy numbers"
rho=$(awk -F '\t' '$1 == "group" { print $3 }' "$R/group/hierarchy/hierarchy.tsv")
pp=$(awk -F '\t' '$1 == "group" { print $4 }' "$R/group/hierarchy/hierarchy.tsv")
file_has "$H" "$(printf '\317\201') = $(fmt_r "$rho")"
file_has "$H" "(p<sub>perm</sub> = $(fmt_p "$pp")"
# the timescale table: sub-01's first region, with its column's decimals
# (four significant digits of the column's largest value)
tau=$(col "$R/sub-01/sub-01_tau.tsv" tau_s | head -1)
d=$(col "$R/sub-01/sub-01_tau.tsv" tau_s | awk '$1 != "n/a" { a = $1 < 0 ? -$1 : $1; if (a > m) m = a }
    END { x = log(m) / log(10); f = int(x); if (f > x) f--; d = 3 - f; if (d < 0) d = 0; print d }')
file_has "$H" "<tr><td>R01</td>$(cell "$tau" "$(awk -v v="$tau" -v d="$d" 'BEGIN { printf "%.*f", d, v }')")"

# self-contained: no scheme, no file, no script; every figure a data URI
current="report: self-contained"
if grep -qiE 'https?:|ftp:|file:|<script|@import|url\(|<link|<iframe' "$H"; then fail "$H refers to something outside itself"; else pass; fi
if grep -o 'src="[^"]*' "$H" | grep -qv '^src="data:image/png;base64,'; then fail "a src that is not a data URI"; else pass; fi
if grep -o 'href="[^"]*' "$H" | grep -qv '^href="#'; then fail "an href that is not an anchor of the page"; else pass; fi
nimg=$(grep -o '<img ' "$H" | wc -l)
[ "$nimg" -ge 9 ] && pass || fail "only $nimg figures (bars, model and neural RDMs and MDS, maps, states, scatter expected)"

# written into the root itself and run again: its own sidecar is not an output
check "report: into the root" 0 report "$R" -o "$R/report.html" --dpi 72
grep -E '"(sidecars|runs|sections|figures)"' "$R/report.json" >"$TMP/counts1"
check "report: again with --force" 0 report "$R" -o "$R/report.html" --dpi 72 --force
grep -E '"(sidecars|runs|sections|figures)"' "$R/report.json" >"$TMP/counts2"
if [ -s "$TMP/counts1" ] && cmp -s "$TMP/counts1" "$TMP/counts2"; then pass; else
    fail "the second report counts otherwise: $(cat "$TMP/counts1") / $(cat "$TMP/counts2")"; fi
file_has "$TMP/counts2" "\"runs\": $RUNS"

# ---- rendered in headless Chromium ----
# chromium RUN_DIR URL: the DOM on RUN_DIR/dom, the log on RUN_DIR/log
chromium_run() {
    rm -rf "$1" && mkdir -p "$1/profile"
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$1/profile" --enable-logging=stderr --v=1 --dump-dom "$2" \
        >"$1/dom" 2>"$1/log" </dev/null
}
current="report: headless Chromium"
if ! command -v chromium >/dev/null 2>&1; then
    fail "chromium is not installed: this test renders the report in headless Chromium; install the Debian package chromium (sh tools/deps.sh test, as root)"
else
    C=$TMP/chromium
    # the control: a page that logs to the console is caught by the log
    printf '<!DOCTYPE html><html><body><h2>c</h2><script>console.error("bract-control")</script></body></html>' >"$TMP/control.html"
    chromium_run "$C" "file://$TMP/control.html"
    if grep -q 'CONSOLE.*"bract-control"' "$C/log"; then pass; else fail "Chromium's log does not show console messages (--enable-logging=stderr --v=1): the check below would prove nothing"; fi
    # the report: loads, logs nothing to the console, fetches no other file
    chromium_run "$C" "file://$H"
    [ -s "$C/dom" ] && pass || fail "no DOM from Chromium: $(tail -3 "$C/log")"
    if grep -q 'CONSOLE' "$C/log"; then fail "console messages: $(grep CONSOLE "$C/log" | head -3)"; else pass; fi
    loads=$(grep -c 'FileURLLoader::Start: file://' "$C/log")
    if [ "$loads" = 1 ] && grep -q "FileURLLoader::Start: file://$H\$" "$C/log"; then pass; else
        fail "Chromium loaded $loads files (only the page expected): $(grep 'FileURLLoader::Start' "$C/log" | head -3)"; fi
    if grep -qE 'URLLoader.*https?://' "$C/log"; then fail "network requests: $(grep -E 'URLLoader.*https?://' "$C/log" | head -2)"; else pass; fi
    for h in 'id="summary">Summary</h2>' 'id="rsa">Representational similarity</h2>' 'id="maps">Group maps</h2>' \
        'id="dynamic-connectivity">Dynamic connectivity</h2>' 'id="timescales">Intrinsic timescales</h2>' \
        'id="runs">Runs and parameters</h2>'; do
        if grep -qF "$h" "$C/dom"; then pass; else fail "the rendered page lacks $h"; fi
    done
    # every embedded figure decodes: a copy of the page with a script that
    # counts the loaded images
    sed 's|</body>|<script>window.addEventListener("load", function () { var ok = 0, bad = 0; for (const i of document.images) { if (i.complete \&\& i.naturalWidth > 0) ok++; else bad++; } console.log("BRACT-IMAGES ok=" + ok + " bad=" + bad); });</script></body>|' \
        "$H" >"$TMP/counted.html"
    chromium_run "$C" "file://$TMP/counted.html"
    if grep -q "BRACT-IMAGES ok=$nimg bad=0" "$C/log"; then pass; else fail "figures that do not decode: $(grep -o 'BRACT-IMAGES[^"]*' "$C/log")"; fi
    rm -rf "$C"
fi

# ---- malformed outputs: notes and warnings, exit 0 ----
B=$TMP/bad
cp -r "$R" "$B"
rm -f "$B/report.html" "$B/report.json"
head -3 "$R/group/rsa.tsv" >"$B/group/rsa.tsv"
printf 'group\tregion09\n' >>"$B/group/rsa.tsv"
rm "$B/group/hierarchy/regions.tsv"
printf '{ "Command": ' >"$B/group/dfc/summary.json"
check "report: malformed outputs" 0 report "$B" -o "$TMP/bad.html" --dpi 72
err_has "bract report: warning: RSA: $B/group/rsa.tsv:4: 2 fields, expected 20"
err_has "bract report: warning: timescale hierarchy: group/hierarchy/regions.tsv is missing (only its sidecar is there)"
err_has "bract report: warning: group/dfc/summary.json: not valid JSON"
out_has "some parts not shown"
file_has "$TMP/bad.html" '<p class="note"><strong>Not shown: </strong>'
file_has "$TMP/bad.html" "3 problems: parts of the report could not be shown"
file_has "$TMP/bad.html" '<h2 id="maps">Group maps</h2>'
file_has "$TMP/bad.json" '"notes": 3'

# ---- errors ----
check "report: a file is not a root" 1 report "$R/group/rsa.tsv" -o "$TMP/x.html"
err_has "bract report: $R/group/rsa.tsv: not a directory"
file_absent "$TMP/x.html"
mkdir -p "$TMP/empty/sub"
printf '{"a": 1}\n' >"$TMP/empty/sub/other.json"
check "report: a directory without bract outputs" 1 report "$TMP/empty" -o "$TMP/x.html"
err_has "$TMP/empty holds no bract outputs (no JSON sidecar written by bract under it)"
file_absent "$TMP/x.html"
file_absent "$TMP/x.json"
check "report: a missing root" 1 report "$TMP/nowhere" -o "$TMP/x.html"
err_has "nowhere: No such file or directory"
cksum "$H" >"$TMP/sum1"
check "report: an existing report needs --force" 1 report "$R" -o "$H"
err_has "report.html: exists (use --force to overwrite)"
cksum "$H" >"$TMP/sum2"
cmp -s "$TMP/sum1" "$TMP/sum2" && pass || fail "the report changed after a refused run"
check "report: no output" 2 report "$R"
err_has "no --output given"
check "report: two roots" 2 report "$R" "$B" -o "$TMP/x.html"
err_has "one DIR only (got 2)"
check "report: no root" 2 report -o "$TMP/x.html"
err_has "no DIR given"
check "report: a bad alpha" 2 report "$R" --alpha 2 -o "$TMP/x.html"
err_has "--alpha"
file_absent "$TMP/x.html"

# ---- a first-level GLM: its runs and the designs of the first one ----
G=$TMP/glmroot
E=$REF/glm/event
check "report: glm of the event fixture" 0 glm \
    --data "$E/sub-01_task-words_run-1_bold.nii.gz" "$E/sub-01_task-words_run-2_bold.nii.gz" \
    --events "$E/sub-01_task-words_run-1_events.tsv" "$E/sub-01_task-words_run-2_events.tsv" \
    --confounds "$E/sub-01_task-words_run-1_desc-confounds_timeseries.tsv" \
    "$E/sub-01_task-words_run-2_desc-confounds_timeseries.tsv" --confound-strategy motion6 \
    --mask "$E/mask.nii.gz" -o "$G/sub-01/glm" --quiet
check "report: a GLM root" 0 report "$G" -o "$TMP/glm.html" --dpi 40
file_has "$TMP/glm.json" '"warnings": 0'
file_has "$TMP/glm.html" '<h2 id="glm">First-level GLM</h2>'
file_has "$TMP/glm.html" '<h3 id="glm-design">Design matrices</h3>'
file_has "$TMP/glm.html" '<code>sub-01/glm/</code></a></td><td class="n">2</td><td class="n">308</td><td class="n">20</td><td class="n">236</td><td class="n">0</td><td class="n">0</td><td>glover, ar1</td>'
file_has "$TMP/glm.html" 'alt="GLM design of run 1"'
file_has "$TMP/glm.html" 'alt="GLM design of run 2"'
file_has "$TMP/glm.html" '140 volumes × 22 regressors'
file_has "$TMP/glm.html" '<a href="#glm">First-level GLM</a>: 1 run of bract glm'
if grep -q 'Also run</a>: bract glm' "$TMP/glm.html"; then fail "glm listed among the commands without a section"; else pass; fi
