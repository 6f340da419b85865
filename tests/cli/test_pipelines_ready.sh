# The ready pipelines in pipelines/ plan and run on the layout bract simulate
# writes (tiny sizes), and all.ini is the union of the others.

D=$TMP/data
check "ready: simulate rsa" 0 simulate rsa -o "$D/rsa" --subjects 2 --words 12 --grid 12x12x8 --regions 4 --quiet
check "ready: simulate dfc" 0 simulate dfc -o "$D/dfc" --subjects 2 --regions 5 --volumes 100 --quiet
check "ready: simulate timescales" 0 simulate timescales -o "$D/timescales" --subjects 2 --regions 6 --volumes 120 --volume --quiet
check "ready: simulate rsa --event-related" 0 simulate rsa -o "$D/rsa-events" --event-related --subjects 2 --words 12 --grid 12x12x8 --regions 4 --quiet
for p in word-rsa word-rsa-events searchlight dfc timescales; do
    check "ready: $p.ini plans" 0 pipeline plan pipelines/$p.ini --data "$D" --out "$TMP/deriv"
    out_has "2 subjects"
done
check "ready: all.ini runs" 0 pipeline run pipelines/all.ini --data "$D" --out "$TMP/deriv" --quiet
err_has "0 failed, 0 not run"
# --quiet quiets the steps too: the summary is all (the searchlight steps
# leave edge centres out, which they warn about when not quiet)
# (valgrind's own reports may share stderr under make check-valgrind)
if ! grep -q 'warning:' "$TMP/.stderr" && [ ! -s "$TMP/.stdout" ]; then pass
else fail "pipeline --quiet printed more than its summary: $(grep -m 3 'warning:' "$TMP/.stderr")"; fi
if grep -q '"centres_left_out": [1-9]' "$TMP/deriv/sub-01/sub-01_searchlight.json"; then pass
else fail "the searchlight left no centre out: the --quiet check above proves nothing"; fi
file_exists "$TMP/deriv/group/rsa.tsv"
file_exists "$TMP/deriv/group/searchlight-group/t.nii.gz"
file_exists "$TMP/deriv/sub-02/sub-02_searchlight.nii.gz"
file_exists "$TMP/deriv/group/dfc.json"
file_exists "$TMP/deriv/group/hierarchy/hierarchy.tsv"
file_exists "$TMP/deriv/sub-02/glm/betas.nii.gz"
file_exists "$TMP/deriv/sub-02/glm/residuals.nii.gz"
file_exists "$TMP/deriv/group/events-rsa.tsv"
file_has "$TMP/deriv/sub-01/sub-01_desc-events_rdms.json" '"dof_rule": "ResidualDegreesOfFreedom of the residuals'"'"' sidecars (bract glm)"'
# every stage of the single pipelines is in all.ini, with the same command line
for p in word-rsa word-rsa-events searchlight dfc timescales; do
    check "ready: $p.ini is up to date after all.ini" 0 pipeline plan pipelines/$p.ini --data "$D" --out "$TMP/deriv"
    out_has "0 of"
done

# all.ini is what tools/join_pipelines.py makes of the single pipelines
# (its Python runs where there is one; bract itself needs none)
if command -v python3 >/dev/null 2>&1; then
    mkdir -p "$TMP/join"
    cp pipelines/word-rsa.ini pipelines/word-rsa-events.ini pipelines/searchlight.ini \
        pipelines/dfc.ini pipelines/timescales.ini "$TMP/join/"
    top=$(pwd)
    (cd "$TMP/join" && python3 "$top/tools/join_pipelines.py") &&
        cmp -s "$TMP/join/all.ini" pipelines/all.ini && pass ||
        fail "pipelines/all.ini is not what tools/join_pipelines.py makes: join again"
fi

# the demo's event-related study (tools/demo.sh: 8 subjects, seed 2, the
# defaults): word-rsa-events.ini finds the planted regions after FDR and no
# other
check "ready: the demo's event-related study" 0 simulate rsa -o "$TMP/demo/rsa-events" \
    --event-related --subjects 8 --seed 2 --quiet
check "ready: word-rsa-events.ini on it" 0 pipeline run pipelines/word-rsa-events.ini \
    --data "$TMP/demo" --out "$TMP/demo/deriv" -j 2 --quiet
awk -F'\t' 'FNR == NR { if (FNR > 1) planted[$1] = $4; next }
    FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $1 == "group" { n++; sig = $(c["p_fdr"]) < 0.05
                    if (sig != (planted[$(c["rdm"])] == 1)) { print "region " $(c["rdm"]) ": p_FDR " $(c["p_fdr"]); bad = 1 } }
    END { exit bad || n != 8 }' "$TMP/demo/rsa-events/truth.tsv" "$TMP/demo/deriv/group/events-rsa.tsv" &&
    pass || fail "the demo's planted regions are not exactly those significant after FDR"
