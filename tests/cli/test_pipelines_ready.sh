# The ready pipelines in pipelines/ plan and run on the layout bract simulate
# writes (tiny sizes), and all.ini is the union of the others.

D=$TMP/data
check "ready: simulate rsa" 0 simulate rsa -o "$D/rsa" --subjects 2 --words 12 --grid 12x12x8 --regions 4 --quiet
check "ready: simulate dfc" 0 simulate dfc -o "$D/dfc" --subjects 2 --regions 5 --volumes 100 --quiet
check "ready: simulate timescales" 0 simulate timescales -o "$D/timescales" --subjects 2 --regions 6 --volumes 120 --volume --quiet
for p in word-rsa searchlight dfc timescales; do
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
# every stage of the single pipelines is in all.ini, with the same command line
for p in word-rsa searchlight dfc timescales; do
    check "ready: $p.ini is up to date after all.ini" 0 pipeline plan pipelines/$p.ini --data "$D" --out "$TMP/deriv"
    out_has "0 of"
done
