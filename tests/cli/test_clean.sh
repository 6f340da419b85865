# bract clean against nilearn's signal.clean (testdata/reference/signal,
# nilearn 0.10.3, tolerance 1e-8), on real data, and its bad-input messages.

SIG=$REF/signal

# clean_close GOT EXPECTED TOL: same header, same shape, every number within TOL
clean_close() {
    if awk -F'\t' -v tol="$3" '
        FNR == 1 { if (NR == 1) h = $0; else if ($0 != h) { print "headers differ"; bad = 1 }; next }
        NR == FNR { n1++; for (i = 1; i <= NF; i++) a[n1, i] = $i; nf = NF; next }
        { n2++; if (NF != nf) { print "line " FNR ": " NF " fields"; bad = 1 }
          for (i = 1; i <= NF; i++) { d = a[n2, i] - $i; if (d < 0) d = -d
            if (d > tol) { print "line " FNR " field " i ": " a[n2, i] " vs " $i; bad = 1; exit } } }
        END { if (n1 != n2) { print n1 " rows vs " n2; bad = 1 }; exit bad }' "$1" "$2" > "$TMP/cmp"
    then pass; else fail "$1 differs from $2: $(head -3 "$TMP/cmp")"; fi
}

# cases.json, one per case (bandpass: nilearn 0.10.3 adds the mean back
# after filtering without standardising, which is --keep-mean)
check "clean: nilearn case detrend" 0 clean --data "$SIG/timeseries.tsv" --standardize none -o "$TMP/c1.tsv"
clean_close "$TMP/c1.tsv" "$SIG/expected_detrend.tsv" 1e-8
check "clean: nilearn case detrend_zscore_sample" 0 clean --data "$SIG/timeseries.tsv" -o "$TMP/c2.tsv"
clean_close "$TMP/c2.tsv" "$SIG/expected_detrend_zscore_sample.tsv" 1e-8
check "clean: nilearn case bandpass_0.01_0.1" 0 clean --data "$SIG/timeseries.tsv" --tr 2 \
    --high-pass 0.01 --low-pass 0.1 --standardize none --keep-mean -o "$TMP/c3.tsv"
clean_close "$TMP/c3.tsv" "$SIG/expected_bandpass_0.01_0.1.tsv" 1e-8
file_has "$TMP/c3.json" '"RepetitionTime": 2'
check "clean: nilearn case confounds_zscore_sample" 0 clean --data "$SIG/timeseries.tsv" \
    --confounds "$SIG/confounds.tsv" -o "$TMP/c4.tsv"
clean_close "$TMP/c4.tsv" "$SIG/expected_confounds_zscore_sample.tsv" 1e-8
check "clean: nilearn case all" 0 clean --data "$SIG/timeseries.tsv" --confounds "$SIG/confounds.tsv" \
    --tr 2 --high-pass 0.01 --low-pass 0.1 --standardize zscore -o "$TMP/c5.tsv"
clean_close "$TMP/c5.tsv" "$SIG/expected_all.tsv" 1e-8
file_has "$TMP/c5.json" '"confound_rank": 3'

# censoring (fixture from nilearn 0.10.3 with its index bug fixed, see
# tools/nilearn_signal_fixtures.py)
check "clean: censored band-pass with confounds" 0 clean --data "$SIG/timeseries.tsv" \
    --confounds "$SIG/confounds.tsv" --tr 2 --high-pass 0.01 --low-pass 0.1 \
    --censor 0-1,50-52,100,170,238-239 -o "$TMP/c6.tsv"
clean_close "$TMP/c6.tsv" testdata/nilearn-signal/expected_censor_bandpass.tsv 1e-8
file_has "$TMP/c6.json" '"censored_volumes": 9'
file_has "$TMP/c6.json" '"volumes_out": 231'
file_has "$TMP/c6.json" '"KeptVolumes": ['
check "clean: two runs, high-pass" 0 clean --data "$SIG/timeseries.tsv" --confounds "$SIG/confounds.tsv" \
    --tr 2 --high-pass 0.01 --runs 120,120 -o "$TMP/c7.tsv"
clean_close "$TMP/c7.tsv" testdata/nilearn-signal/expected_runs_highpass.tsv 1e-8

# real region series (nitime, TR 1.89 s): values from nilearn 0.10.3
# signal.clean(detrend=True, standardize="zscore_sample", low_pass=0.1,
# high_pass=0.01, t_r=1.89) on the same file
check "clean: nitime resting-state regions, band-pass" 0 clean \
    --data "$TESTDATA/data/nitime-rest/fmri_timeseries.csv" --tr 1.89 --high-pass 0.01 --low-pass 0.1 \
    -o "$TMP/nitime.tsv"
awk -F'\t' 'NR == 2 { a = $1 - 0.04170197002491383; b = $2 + 0.06709077494742728 }
    NR == 102 { c = $6 + 1.8027174393896503 }
    NR == 251 { d = $31 - 0.010957158165856603 }
    END { m = 0; split(a " " b " " c " " d, v, " ");
          for (i = 1; i <= 4; i++) { x = v[i] < 0 ? -v[i] : v[i]; if (x > m) m = x }
          exit !(m < 1e-8 && NR == 251) }' "$TMP/nitime.tsv" && pass || fail "nitime values differ from nilearn"
file_has "$TMP/nitime.tsv" "WM	Vent	Brain"

# voxelwise: cleaning without standardisation is linear, so the region means
# of the cleaned volume equal the cleaned region means (to float32 rounding
# of the NIfTI output: tolerance 1e-3 on values of order 10)
H=$TESTDATA/data/haxby2001-sub001/sub001
BOLD=$H/BOLD/task001_run001/bold_25mm.nii.gz
check "clean: voxelwise high-pass of a real run" 0 clean --data "$BOLD" --high-pass 0.01 \
    --standardize none -o "$TMP/bold_hp.nii.gz"
file_has "$TMP/bold_hp.json" '"RepetitionTime": 2.5'
check "clean: its region means" 0 extract --data "$TMP/bold_hp.nii.gz" --atlas "$H/masks/25mm/hoc.nii.gz" \
    -o "$TMP/hp_regions.tsv"
check "clean: region means first" 0 extract --data "$BOLD" --atlas "$H/masks/25mm/hoc.nii.gz" -o "$TMP/regions.tsv"
check "clean: then cleaned" 0 clean --data "$TMP/regions.tsv" --high-pass 0.01 --standardize none \
    -o "$TMP/regions_hp.tsv"
clean_close "$TMP/hp_regions.tsv" "$TMP/regions_hp.tsv" 1e-3
check "clean: voxelwise within a mask" 0 clean --data "$BOLD" --mask "$H/masks/25mm/brain.nii.gz" \
    -o "$TMP/bold_z.nii.gz"
check "clean: output grid" 0 info "$TMP/bold_z.nii.gz"
out_has "6 x 10 x 10 x 121"
out_has "FLOAT32"

# fMRIPrep-style confounds: leading n/a filled, n/a inside refused
{ printf 'trans_x\ttrans_x_derivative1\tcsf\n'; awk 'NR > 1 { printf "%s\t%s\t%s\n", $1, (NR == 2 ? "n/a" : $2), $3 }' "$SIG/confounds.tsv"; } > "$TMP/fmriprep.tsv"
check "clean: fMRIPrep confounds, column patterns" 0 clean --data "$SIG/timeseries.tsv" \
    --confounds "$TMP/fmriprep.tsv" --confound-columns 'trans_*' -o "$TMP/c8.tsv"
file_has "$TMP/c8.json" '"confound_cells_filled": 1'
file_has "$TMP/c8.json" '"confound_columns": 2'
file_has "$TMP/c8.json" '"trans_x_derivative1"'
awk -F'\t' 'BEGIN { OFS = "\t" } NR == 10 { $3 = "n/a" } { print }' "$TMP/fmriprep.tsv" > "$TMP/fmriprep_gap.tsv"
check "clean: n/a inside a confound column" 1 clean --data "$SIG/timeseries.tsv" \
    --confounds "$TMP/fmriprep_gap.tsv" -o "$TMP/bad0.tsv"
err_has "fmriprep_gap.tsv:10: column 3 ('csf'): missing or non-finite value after the first row"
file_absent "$TMP/bad0.tsv"
check "clean: a pattern that matches nothing" 1 clean --data "$SIG/timeseries.tsv" \
    --confounds "$TMP/fmriprep.tsv" --confound-columns 'rot_*' -o "$TMP/bad0.tsv"
err_has "no column matches 'rot_*' (the columns are trans_x, trans_x_derivative1, csf)"

# bad input: message, exit status, no output
head -n 200 "$SIG/confounds.tsv" > "$TMP/short_conf.tsv"
check "clean: confounds with a different number of rows" 1 clean --data "$SIG/timeseries.tsv" \
    --confounds "$TMP/short_conf.tsv" -o "$TMP/bad1.tsv"
err_has "bract clean: $TMP/short_conf.tsv has 199 rows but $SIG/timeseries.tsv has 240 volumes"
file_absent "$TMP/bad1.tsv"
file_absent "$TMP/bad1.json"
check "clean: cut-off above Nyquist" 1 clean --data "$SIG/timeseries.tsv" --tr 2 --low-pass 0.3 \
    -o "$TMP/bad2.tsv"
err_has "the low-pass cut-off 0.3 Hz is above the Nyquist frequency 0.25 Hz (TR 2 s)"
file_absent "$TMP/bad2.tsv"
check "clean: high-pass at or above low-pass" 2 clean --data "$SIG/timeseries.tsv" --tr 2 \
    --high-pass 0.1 --low-pass 0.1 -o "$TMP/bad3.tsv"
err_has "--high-pass (0.1 Hz) must be below --low-pass (0.1 Hz)"
file_absent "$TMP/bad3.tsv"
check "clean: no TR when filtering" 1 clean --data "$SIG/timeseries.tsv" --high-pass 0.01 -o "$TMP/bad4.tsv"
err_has "filtering needs the repetition time: $SIG/timeseries.tsv has no sidecar with RepetitionTime and no --tr was given"
file_absent "$TMP/bad4.tsv"
check "clean: run too short for the filter" 1 clean --data "$SIG/timeseries.tsv" --tr 2 --high-pass 0.01 \
    --runs 225,15 -o "$TMP/bad5.tsv"
err_has "run 2: 15 volumes are too few for the Butterworth filter, which pads 18 volumes"
file_absent "$TMP/bad5.tsv"
check "clean: mask on another grid" 1 clean --data "$BOLD" --mask "$TESTDATA/data/haxby2001-slice/mask.nii.gz" \
    -o "$TMP/bad6.nii.gz"
err_has "are on different grids"
file_absent "$TMP/bad6.nii.gz"
check "clean: censored volume beyond the series" 1 clean --data "$SIG/timeseries.tsv" --censor 5,240 \
    -o "$TMP/bad7.tsv"
err_has "--censor: volume 240 is beyond the 240 volumes"
file_absent "$TMP/bad7.tsv"
check "clean: bad censor list" 2 clean --data "$SIG/timeseries.tsv" --censor 5-x -o "$TMP/bad8.tsv"
err_has "--censor: bad range"
check "clean: --keep-mean with a z-score" 2 clean --data "$SIG/timeseries.tsv" --keep-mean -o "$TMP/bad9.tsv"
err_has "--keep-mean applies to --standardize none"
check "clean: unknown standardisation" 2 clean --data "$SIG/timeseries.tsv" --standardize std -o "$TMP/bad9.tsv"
err_has "expected one of none, zscore, zscore-population, psc"
no_temporaries "$TMP"
