# bract events: BIDS events of the Haxby 2001 runs to the conditions table,
# checked volume by volume against PyMVPA's per-volume labels
# (haxby2001-slice/attributes_literal.txt); the options; bad input.

H=$TESTDATA/data/haxby2001-sub001/sub001/BOLD
EV=""
DA=""
for r in 001 002 003 004 005 006 007 008 009 010 011 012; do
    EV="$EV $H/task001_run$r/bold_events.tsv"
    DA="$DA $H/task001_run$r/bold_25mm.nii.gz"
done

# shellcheck disable=SC2086
check "events: Haxby, 12 runs" 0 events --events $EV --data $DA --baseline rest -o "$TMP/cond.tsv"
out_has "12 runs, 1452 volumes: 864 labelled by events, 588 rest"
awk -F'\t' 'NR > 1 { print $1 }' "$TMP/cond.tsv" > "$TMP/ours"
awk '{ print $1 }' "$TESTDATA/data/haxby2001-slice/attributes_literal.txt" > "$TMP/pymvpa"
if cmp -s "$TMP/ours" "$TMP/pymvpa"; then pass; else fail "labels differ from PyMVPA's: $(diff "$TMP/ours" "$TMP/pymvpa" | head -3)"; fi
# runs numbered 1..12, 121 volumes each
[ "$(awk -F'\t' 'NR > 1 && $2 == 12' "$TMP/cond.tsv" | wc -l)" -eq 121 ] && pass || fail "run 12 does not have 121 volumes"
file_has "$TMP/cond.tsv" "condition	run"
file_has "$TMP/cond.json" '"volumes_labelled": 864'
file_has "$TMP/cond.json" '"VolumesPerCondition": {'
file_has "$TMP/cond.json" '"face": 108'
file_has "$TMP/cond.json" '"tr": 2.5'

# the table drives bract rdm neural on the slice (rest left out by default)
# shellcheck disable=SC2086
check "events: rest left out" 0 events --events $EV --volumes 121 --tr 2.5 -o "$TMP/cond_na.tsv" --quiet
[ "$(grep -c '^n/a	' "$TMP/cond_na.tsv")" -eq 588 ] && pass || fail "expected 588 n/a volumes"
S=$TESTDATA/data/haxby2001-slice
check "events: conditions drive rdm neural" 0 rdm neural --data "$S/bold.nii.gz" --conditions "$TMP/cond_na.tsv" \
    --mask "$S/mask.nii.gz" -o "$TMP/hx_rdm.tsv" --quiet
file_has "$TMP/hx_rdm.json" '"conditions": 8'
file_has "$TMP/hx_rdm.json" '"runs": 12'

# a hemodynamic shift of one TR moves every label one volume later
# shellcheck disable=SC2086
check "events: --shift" 0 events --events $EV --volumes 121 --tr 2.5 --shift 2.5 --baseline rest \
    -o "$TMP/shift.tsv" --quiet
awk -F'\t' 'NR > 1 { print $1 }' "$TMP/shift.tsv" | sed -n 8p > "$TMP/v7"
awk -F'\t' 'NR > 1 { print $1 }' "$TMP/shift.tsv" | sed -n 7p > "$TMP/v6"
if [ "$(cat "$TMP/v6")" = rest ] && [ "$(cat "$TMP/v7")" = scissors ]; then pass; else fail "--shift 2.5: volume 6 $(cat "$TMP/v6"), 7 $(cat "$TMP/v7")"; fi

# another label column, standard output, the middle of the acquisition
# (volume times 0.5, 1.5, 2.5, 3.5: cat [0, 2) covers two, the impulse at
# 2.5 s the third)
printf 'onset\tduration\ttrial_type\tword\n0\t2\tanimal\tcat\n2.5\t0\tanimal\t猫\n' > "$TMP/words.tsv"
check "events: --column word to stdout" 0 events --events "$TMP/words.tsv" --volumes 4 --tr 1 --column word \
    --time middle -o -
out_has "cat	1"
out_has "猫	1"
out_has "n/a	1"

# ---- bad input: a message, exit status, no output ----
# shellcheck disable=SC2086
check "events: fewer --data than --events" 2 events --events $EV --data "$H/task001_run001/bold_25mm.nii.gz" -o "$TMP/bad.tsv"
err_has "12 --events files but 1 --data series: one of each per run, in the same order"
check "events: --volumes without --tr" 2 events --events "$TMP/words.tsv" --volumes 3 -o "$TMP/bad.tsv"
err_has "--volumes needs --tr"
check "events: no run length" 2 events --events "$TMP/words.tsv" -o "$TMP/bad.tsv"
err_has "give each run's --data (or --volumes N with --tr)"
printf 'onset\tduration\ttrial_type\n0\t4\tface\n3\t2\thouse\n' > "$TMP/overlap.tsv"
check "events: overlapping events" 1 events --events "$TMP/overlap.tsv" --volumes 8 --tr 1 -o "$TMP/bad.tsv"
err_has "$TMP/overlap.tsv: lines 2 ('face') and 3 ('house') both cover volume 3 (t = 3 s)"
printf 'onset\tduration\ttrial_type\n0\t4\tface\nlater\t2\thouse\n' > "$TMP/nonnum.tsv"
check "events: a non-numeric onset" 1 events --events "$TMP/nonnum.tsv" --volumes 8 --tr 1 -o "$TMP/bad.tsv"
err_has "$TMP/nonnum.tsv:3: column 1 ('onset'): expected a number, found 'later'"
printf 'onset\ttrial_type\n0\tface\n' > "$TMP/nodur.tsv"
check "events: no duration column" 1 events --events "$TMP/nodur.tsv" --volumes 8 --tr 1 -o "$TMP/bad.tsv"
err_has "not a BIDS events file (onset, duration, trial_type)"
file_absent "$TMP/bad.tsv"
printf 'onset\tduration\ttrial_type\n0\t2\tface\n30\t2\thouse\n' > "$TMP/late.tsv"
check "events: an event after the run" 0 events --events "$TMP/late.tsv" --volumes 8 --tr 1 -o "$TMP/late_c.tsv"
err_has "late.tsv: 1 event begins after the run's last volume (8 volumes of 1 s)"
file_has "$TMP/late_c.json" '"events_after_last_volume": 1'
cksum "$TMP/late_c.tsv" > "$TMP/s1"
check "events: existing output refused" 1 events --events "$TMP/words.tsv" --volumes 3 --tr 1 -o "$TMP/late_c.tsv"
err_has "exists (use --force to overwrite)"
cksum "$TMP/late_c.tsv" > "$TMP/s2"
cmp -s "$TMP/s1" "$TMP/s2" && pass || fail "an existing output changed"
no_temporaries "$TMP"
