# bract timescale and bract simulate timescales: values against the
# statsmodels fixtures, outputs, the hierarchy mode, and bad input.

# ts_col FILE NAME: the values of column NAME (header excluded)
ts_col() {
    awk -v name="$2" 'BEGIN { FS = "\t" } NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i; next } c { print $c }' "$1"
}
# ts_close A B TOL: two TSVs with the same header and shape whose numbers agree within TOL
ts_close() {
    if awk -v tol="$3" 'BEGIN { FS = "\t" }
        NR == FNR { a[FNR] = $0; na = FNR; next }
        { n = split(a[FNR], x, "\t"); if (n != NF) { bad = 1; exit }
          for (i = 1; i <= NF; i++) {
            if (FNR == 1) { if (x[i] != $i) { bad = 1; exit } }
            else { d = x[i] - $i; if (d < 0) d = -d; if (d > tol) { bad = 1; exit } } }
          nb = FNR }
        END { exit bad || na != nb }' "$1" "$2"; then pass; else fail "$1 and $2 differ by more than $3"; fi
}
# ts_values_close LIST1 LIST2 TOL: two files of one number per line
ts_values_close() {
    if paste "$1" "$2" | awk -v tol="$3" '{ d = $1 - $2; if (d < 0) d = -d; if (d > tol || NF != 2) bad = 1; n++ } END { exit bad || n == 0 }'; then
        pass
    else
        fail "$1 and $2 differ by more than $3"
    fi
}

S=$REF/timescale/series.tsv

check "timescale: integral and ACF of the reference series" 0 timescale -d "$S" --tr 2 --method integral --max-lag 40 --acf "$TMP/acf.tsv" -o "$TMP/tau.tsv"
ts_close "$TMP/acf.tsv" "$REF/timescale/expected_acf_default_lag40.tsv" 1e-12
file_has "$TMP/tau.tsv" "region	tau_s	se_s	r2	rmse	rho1	flags	lags_summed"
file_has "$TMP/tau.json" '"method": "integral"'
file_has "$TMP/acf.json" '"RepetitionTime": 2'
# r5's ACF is still positive at lag 40: kept as a lower bound, flagged, warned
err_has "1 region with the ACF still positive at the last lag"
file_has "$TMP/tau.tsv" "truncated"

check "timescale: --adjusted ACF" 0 timescale -d "$S" --tr 2 --method ar1 --max-lag 40 --adjusted --acf "$TMP/acfa.tsv" -o "$TMP/taua.tsv"
ts_close "$TMP/acfa.tsv" "$REF/timescale/expected_acf_adjusted_lag40.tsv" 1e-12

# expected_estimators_tr2.tsv (1e-10); the integral of r5 runs to lag 63
check "timescale: integral to lag 100 equals the reference" 0 timescale -d "$S" --tr 2 --method integral --max-lag 100 -o "$TMP/int.tsv"
ts_col "$TMP/int.tsv" tau_s > "$TMP/got"
ts_col "$REF/timescale/expected_estimators_tr2.tsv" integral_s > "$TMP/want"
ts_values_close "$TMP/got" "$TMP/want" 1e-10
check "timescale: ar1 equals the reference" 0 timescale -d "$S" --tr 2 --method ar1 -o "$TMP/ar1.tsv"
ts_col "$TMP/ar1.tsv" tau_s > "$TMP/got"
ts_col "$REF/timescale/expected_estimators_tr2.tsv" ar1_s > "$TMP/want"
ts_values_close "$TMP/got" "$TMP/want" 1e-10

# the TR from the sidecar
head -121 "$S" > "$TMP/ts.tsv"
printf '{"RepetitionTime": 2}\n' > "$TMP/ts.json"
check "timescale: TR from the sidecar" 0 timescale -d "$TMP/ts.tsv" --method e-fold -o "$TMP/ef.tsv"
file_has "$TMP/ef.json" '"tr_s": 2'

# bad input: TR unknown or zero, a series shorter than the maximum lag
printf '{"RepetitionTime": 0}\n' > "$TMP/ts.json"
check "timescale: a TR of zero in the sidecar" 1 timescale -d "$TMP/ts.tsv" -o "$TMP/no.tsv"
err_has "bract timescale: $TMP/ts.tsv: the repetition time is unknown: give --tr SECONDS"
file_absent "$TMP/no.tsv"
rm -f "$TMP/ts.json"
check "timescale: --tr 0" 2 timescale -d "$TMP/ts.tsv" --tr 0 -o "$TMP/no.tsv"
err_has "--tr must be a positive number of seconds (got 0)"
check "timescale: series shorter than the maximum lag" 1 timescale -d "$TMP/ts.tsv" --tr 2 --max-lag 120 -o "$TMP/no.tsv"
err_has "$TMP/ts.tsv: the series have 120 samples, shorter than the maximum lag 120 + 1 (give a maximum lag of at most 119)"
file_absent "$TMP/no.tsv"
no_temporaries "$TMP"

# constant and missing regions are flagged rows, not errors
awk 'BEGIN { FS = OFS = "\t" } NR == 1 { print $0, "flat", "gone"; next } { print $0, 7, (NR == 5 ? "n/a" : NR) }' "$TMP/ts.tsv" > "$TMP/ts2.tsv"
check "timescale: constant and non-finite regions" 0 timescale -d "$TMP/ts2.tsv" --tr 2 --method e-fold -o "$TMP/fl.tsv"
err_has "warning: 1 region constant: excluded (tau n/a)"
err_has "warning: 1 region with non-finite values: excluded (tau n/a)"
file_has "$TMP/fl.tsv" "flat	n/a	n/a	n/a	n/a	n/a	constant"
file_has "$TMP/fl.tsv" "gone	n/a	n/a	n/a	n/a	n/a	nonfinite"
file_has "$TMP/fl.json" '"excluded_constant": 1'
file_has "$TMP/fl.json" '"excluded_nonfinite": 1'

# outputs: never over an input, not over an existing file without --force
check "timescale: output over the input" 1 timescale -d "$TMP/ts2.tsv" --tr 2 -o "$TMP/ts2.tsv"
err_has "bract timescale:"
head -1 "$TMP/ts2.tsv" | grep -q flat && pass || fail "the input was modified"
cp "$TMP/fl.tsv" "$TMP/fl.bak"
check "timescale: existing output without --force" 1 timescale -d "$TMP/ts2.tsv" --tr 2 -o "$TMP/fl.tsv"
cmp -s "$TMP/fl.tsv" "$TMP/fl.bak" && pass || fail "an existing output was changed"

# usage errors
check "timescale: unknown method" 2 timescale -d "$S" --tr 2 --method tau -o "$TMP/no.tsv"
err_has "--method: unknown timescale method 'tau' (expected one of exp, exp-offset-free, integral, e-fold, ar1, knee)"
check "timescale: knee option without knee" 2 timescale -d "$S" --tr 2 --knee-exponent 2 -o "$TMP/no.tsv"
err_has "apply to --method knee"
check "timescale: no output" 2 timescale -d "$S" --tr 2
err_has "no --output given"
check "timescale: NIfTI output for a table" 2 timescale -d "$S" --tr 2 -o "$TMP/no.nii.gz"

# knee and exp report their own columns (every method is in the unit tests)
for m in exp knee; do
    check "timescale: method $m" 0 timescale -d "$TMP/ts.tsv" --tr 2 --method "$m" -o "$TMP/m-$m.tsv"
done
file_has "$TMP/m-exp.tsv" "flags	amplitude	offset"
file_has "$TMP/m-knee.tsv" "flags	knee_hz	exponent"

# bootstrap: columns, and the same numbers for any number of threads
check "timescale: bias correction, 1 thread" 0 timescale -d "$TMP/ts.tsv" --tr 2 --method ar1 --bias-correct --bootstrap 20 --threads 1 -o "$TMP/bc1.tsv"
file_has "$TMP/bc1.tsv" "flags	tau_uncorrected_s	bias_s	boot_ok"
check "timescale: bias correction, 2 threads" 0 timescale -d "$TMP/ts.tsv" --tr 2 --method ar1 --bias-correct --bootstrap 20 --threads 2 -o "$TMP/bc2.tsv"
cmp -s "$TMP/bc1.tsv" "$TMP/bc2.tsv" && pass || fail "bootstrap results differ between 1 and 2 threads"

# simulate timescales: deterministic, with a volume
check "simulate timescales: small volume" 0 simulate timescales -o "$TMP/sim" --regions 4 --volumes 80 --block 1 --volume --seed 3
for f in timeseries.tsv timeseries.json truth.tsv bold.nii.gz atlas.nii.gz labels.tsv mask.nii.gz; do
    file_exists "$TMP/sim/$f"
done
file_has "$TMP/sim/truth.tsv" "region	value	tau_s	x	y	z"
file_has "$TMP/sim/timeseries.json" '"RepetitionTime": 2'
check "simulate timescales: same seed, same files" 0 simulate timescales -o "$TMP/sim2" --regions 4 --volumes 80 --block 1 --volume --seed 3 --threads 1
cmp -s "$TMP/sim/timeseries.tsv" "$TMP/sim2/timeseries.tsv" && pass || fail "simulate is not deterministic"
check "simulate timescales: existing files" 1 simulate timescales -o "$TMP/sim" --regions 4 --volumes 80
err_has "exists"
check "simulate timescales: tau-max below tau-min" 2 simulate timescales -o "$TMP/sim3" --tau-min 5 --tau-max 2

# voxelwise maps
check "timescale: voxel maps" 0 timescale -d "$TMP/sim/bold.nii.gz" -m "$TMP/sim/mask.nii.gz" --method e-fold --acf "$TMP/acf.nii.gz" -o "$TMP/vt.nii.gz"
for f in vt.nii.gz vt.json vt_r2.nii.gz vt_flags.nii.gz acf.nii.gz; do
    file_exists "$TMP/$f"
done
file_absent "$TMP/vt_se.nii.gz"
file_has "$TMP/vt.json" '"voxels": 4'
check "timescale: the map's intent" 0 info "$TMP/vt.nii.gz" "$TMP/acf.nii.gz"
out_has "ESTIMATE (tau_s)"
out_has "5 x 5 x 3 x 20 (4-D: 20 volumes"
check "timescale: voxels without a mask, as a table" 0 timescale -d "$TMP/sim/bold.nii.gz" --method ar1 -o "$TMP/vt.tsv"
file_has "$TMP/vt.json" '"background_voxels": 71'
file_has "$TMP/vt.tsv" "1_1_1	"
check "timescale: --mask on another grid" 1 timescale -d "$TMP/sim/bold.nii.gz" -m "$REF/volumes/float64_nifti2_3d.nii" -o "$TMP/no.nii.gz"
file_absent "$TMP/no.nii.gz"

# hierarchy on a planted gradient: the order is recovered (Spearman >= 0.9)
check "simulate timescales: 3 subjects" 0 simulate timescales -o "$TMP/g" --subjects 3 --volumes 600
for s in 01 02 03; do
    check "timescale: subject $s" 0 timescale -d "$TMP/g/sub-${s}_timeseries.tsv" --method e-fold -o "$TMP/g/tau-$s.tsv"
done
check "timescale hierarchy: 3 subjects" 0 timescale hierarchy --index "$TMP/g/truth.tsv" --coords "$TMP/g/truth.tsv" --permutations 500 --bootstrap 200 -o "$TMP/h" "$TMP/g/tau-01.tsv" "$TMP/g/tau-02.tsv" "$TMP/g/tau-03.tsv"
file_has "$TMP/h/hierarchy.tsv" "source	n_regions	rho	p_perm	p_spatial	ci_low	ci_high"
file_has "$TMP/h.json" '"reliability.tsv"'
rho=$(awk -F '\t' '$1 == "group" { print $3 }' "$TMP/h/hierarchy.tsv")
awk -v r="$rho" 'BEGIN { exit !(r >= 0.9) }' && pass || fail "group rho $rho < 0.9"
awk -F '\t' '$1 == "group" { exit !($6 < $3 && $3 <= $7 && $4 < 0.01) }' "$TMP/h/hierarchy.tsv" && pass || fail "group row: CI or p"
file_has "$TMP/h/reliability.tsv" "icc_3_1"
file_has "$TMP/h/regions.tsv" "region	value	tau_mean_s	tau_sd_s	n_subjects	rank_tau	rank_index"
file_has "$TMP/h/regions.json" '"spatial_null": "moran_spectral_randomization"'
check "timescale hierarchy: one subject" 0 timescale hierarchy --index "$TMP/g/truth.tsv" --permutations 100 -o "$TMP/h1" "$TMP/g/tau-01.tsv"
file_absent "$TMP/h1/reliability.tsv"
check "timescale hierarchy: index without a value column" 1 timescale hierarchy --index "$TMP/g/tau-01.tsv" -o "$TMP/h2" "$TMP/g/tau-01.tsv"
err_has "no column 'value'"
check "timescale hierarchy: no TAU file" 2 timescale hierarchy --index "$TMP/g/truth.tsv" -o "$TMP/h2"
err_has "no TAU file given"
file_absent "$TMP/h2"
# F19: two output roots holding the same work compare byte-equal: a table's
# source is recorded relative to the output directory inside the root
for r in r1 r2; do
    mkdir -p "$TMP/$r/sub-01" "$TMP/$r/sub-02"
    printf '{"Name": "x"}\n' >"$TMP/$r/dataset_description.json"
    cp "$TMP/g/tau-01.tsv" "$TMP/$r/sub-01/tau.tsv"
    cp "$TMP/g/tau-02.tsv" "$TMP/$r/sub-02/tau.tsv"
    check "timescale hierarchy: root $r" 0 timescale hierarchy --index "$TMP/g/truth.tsv" \
        --permutations 20 --bootstrap 20 -o "$TMP/$r/group/hierarchy" "$TMP/$r/sub-01/tau.tsv" \
        "$TMP/$r/sub-02/tau.tsv"
done
file_has "$TMP/r1/group/hierarchy/hierarchy.tsv" "../../sub-01/tau.tsv	"
if cmp -s "$TMP/r1/group/hierarchy/hierarchy.tsv" "$TMP/r2/group/hierarchy/hierarchy.tsv"; then pass; else
    fail "hierarchy.tsv differs between two output roots: $(diff "$TMP/r1/group/hierarchy/hierarchy.tsv" "$TMP/r2/group/hierarchy/hierarchy.tsv" | head -4)"; fi
check "timescale hierarchy --help" 0 timescale hierarchy --help
out_has "Usage: bract timescale hierarchy"
