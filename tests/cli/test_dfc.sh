# bract dfc and bract simulate dfc: outputs against the reference windows,
# thread invariance, the simulator's files, and the messages for bad input
# (with no output left behind).

# dfc_close NAME "x1 x2 ..." "y1 y2 ..." TOL: every |x - y| <= TOL
dfc_close() {
    current=$1
    if awk -v a="$2" -v b="$3" -v tol="$4" 'BEGIN {
        n = split(a, x, " "); m = split(b, y, " ");
        if (n != m || n == 0) exit 1;
        for (i = 1; i <= n; i++) { d = x[i] - y[i]; if (d < 0) d = -d; if (d > tol) exit 1 }
        exit 0 }'; then pass; else fail "numbers differ by more than $4: [$2] vs [$3]"; fi
}
# dfc_json FILE TEXT: FILE, without spaces and newlines, contains TEXT
dfc_json() {
    if tr -d ' \n' < "$1" | grep -qF -- "$2"; then pass; else fail "$1 lacks: $2"; fi
}
# column COL (by name) of a TSV, from row FROM (1 = first data row), N rows
dfc_col() {
    awk -F '\t' -v col="$2" -v from="${3:-1}" -v n="${4:-1000000}" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
        NR - 1 >= from && NR - 1 < from + n { printf "%s ", $c }' "$1"
}

input=$REF/dfc/input.tsv

# ---- rectangular windows of 30: the reference values ----
check "dfc: reference, rectangular" 0 dfc --data "$input" --window 30 -o "$TMP/rect"
err_empty
for f in windows.npy window_info.tsv edge_mean.tsv edge_std.tsv regions.tsv summary.tsv \
    windows.json edge_std.json; do
    file_exists "$TMP/rect/$f"
done
no_temporaries "$TMP/rect"
dfc_json "$TMP/rect/windows.json" '"Shape":[211,15]'
file_has "$TMP/rect/windows.json" '"window_volumes": 30'
file_has "$TMP/rect/window_info.json" "one row per window"
file_has "$TMP/rect/window_info.tsv" "input	1	0	1	30	n/a	"
file_has "$TMP/rect/window_info.tsv" "input	211	210	211	240	n/a	"
# windows.npy: 128-byte header, then 211 x 15 float32; the first window
# equals the reference to float32 precision
size=$(wc -c < "$TMP/rect/windows.npy")
[ "$size" -eq $((128 + 211 * 15 * 4)) ] && pass || fail "windows.npy has $size bytes"
first=$(od -A n -t f4 -j 128 -N 60 -v "$TMP/rect/windows.npy" | tr -s ' \n' '  ')
want=$(sed -n 2p "$REF/dfc/expected_rect_w30_s1.tsv" | tr '\t' ' ')
dfc_close "dfc: windows.npy row 1" "$first" "$want" 1e-7
last=$(od -A n -t f4 -j $((128 + 210 * 60)) -N 60 -v "$TMP/rect/windows.npy" | tr -s ' \n' '  ')
want=$(sed -n 212p "$REF/dfc/expected_rect_w30_s1.tsv" | tr '\t' ' ')
dfc_close "dfc: windows.npy row 211" "$last" "$want" 1e-7
# edge means and sds: the column means and sds (ddof 1) of the reference
# windows, in double precision (1e-10)
ref_mean=$(awk -F '\t' 'NR > 1 { for (i = 1; i <= NF; i++) s[i] += $i; n++ }
    END { for (i = 1; i <= 15; i++) printf "%.17g ", s[i] / n }' "$REF/dfc/expected_rect_w30_s1.tsv")
ref_sd=$(awk -F '\t' 'NR > 1 { n++; for (i = 1; i <= NF; i++) { d = $i - m[i]; m[i] += d / n; q[i] += d * ($i - m[i]) } }
    END { for (i = 1; i <= 15; i++) printf "%.17g ", sqrt(q[i] / (n - 1)) }' "$REF/dfc/expected_rect_w30_s1.tsv")
dfc_close "dfc: edge_mean.tsv" "$(dfc_col "$TMP/rect/edge_mean.tsv" mean)" "$ref_mean" 1e-10
dfc_close "dfc: edge_std.tsv" "$(dfc_col "$TMP/rect/edge_std.tsv" std)" "$ref_sd" 1e-10
file_has "$TMP/rect/edge_mean.tsv" "input	r4	r5	"

# ---- --windows: float16 (half the bytes, the float32 values to half
# precision), none (no windows.npy; every table the same) ----
check "dfc: --windows npy-float16" 0 dfc --data "$input" --window 30 --windows npy-float16 \
    -o "$TMP/w16"
size=$(wc -c < "$TMP/w16/windows.npy")
[ "$size" -eq $((128 + 211 * 15 * 2)) ] && pass || fail "float16 windows.npy has $size bytes"
file_has "$TMP/w16/windows.npy" "'descr': '<f2'"
file_has "$TMP/w16/windows.json" "float16 (IEEE half"
check "dfc: --windows none" 0 dfc --data "$input" --window 30 --windows none -o "$TMP/wnone"
err_empty
file_absent "$TMP/wnone/windows.npy"
file_absent "$TMP/wnone/windows.json"
if grep -qF windows.npy "$TMP/wnone.json"; then fail "wnone.json lists windows.npy"; else pass; fi
for f in window_info.tsv edge_mean.tsv edge_std.tsv regions.tsv summary.tsv; do
    if cmp -s "$TMP/rect/$f" "$TMP/w16/$f" && cmp -s "$TMP/rect/$f" "$TMP/wnone/$f"; then
        pass
    else
        fail "$f differs with --windows"
    fi
done
check "dfc: --windows unknown" 2 dfc --data "$input" --window 30 --windows hdf5 -o "$TMP/wbad"
err_has "bract dfc: --windows: unknown windows file format 'hdf5' (expected one of none, npy, npy-float16)"
file_absent "$TMP/wbad"

# ---- the Gaussian taper (sd 5) and the Ledoit-Wolf estimator ----
file_has "$TMP/rect.json" '"windows.npy",'
file_has "$TMP/rect.json" '"Command": "dfc"'
check "dfc: reference, gaussian taper" 0 dfc --data "$input" --window 30 --taper gaussian \
    --sigma 5 -o "$TMP/tap"
first=$(od -A n -t f4 -j 128 -N 60 -v "$TMP/tap/windows.npy" | tr -s ' \n' '  ')
want=$(sed -n 2p "$REF/dfc/expected_tapered_w30_sigma5.tsv" | tr '\t' ' ')
dfc_close "dfc: tapered windows.npy row 1" "$first" "$want" 1e-7
file_has "$TMP/tap/windows.json" '"sigma_volumes": 5'
check "dfc: Ledoit-Wolf" 0 dfc --data "$input" --window 30 --estimator ledoit-wolf --fisher \
    -o "$TMP/lw"
first=$(od -A n -t f4 -j 128 -N 60 -v "$TMP/lw/windows.npy" | tr -s ' \n' '  ')
want=$(sed -n 2p "$TESTDATA/dfc/expected_ledoitwolf_w30.tsv" |
    awk '{ for (i = 1; i <= NF; i++) printf "%.9g ", 0.5 * log((1 + $i) / (1 - $i)) }')
dfc_close "dfc: Ledoit-Wolf, Fisher z, row 1" "$first" "$want" 2e-7

# ---- the simulator ----
check "simulate dfc" 0 simulate dfc -o "$TMP/sim" --regions 5 --volumes 160 --dwell 40 \
    --states 2 --subjects 2
for f in sub-01_timeseries.tsv sub-01_null.tsv sub-01_bold.nii.gz sub-01_states.tsv \
    sub-01_segments.tsv sub-02_timeseries.tsv atlas.nii.gz labels.tsv states.tsv \
    modules.tsv truth.json; do
    file_exists "$TMP/sim/$f"
done
no_temporaries "$TMP/sim"
file_has "$TMP/sim/sub-01_timeseries.json" '"RepetitionTime": 2'
file_has "$TMP/sim/sub-01_timeseries.tsv" "r01	r02	r03	r04	r05"
file_has "$TMP/sim/truth.json" '"subject":"sub-02"'
file_has "$TMP/sim/labels.tsv" "5	r05"
check "simulate dfc: the volume" 0 info "$TMP/sim/sub-01_bold.nii.gz"
out_has "12 x 4 x 4 x 160"
out_has "TR            2 s"
# the segments tile the series
last_vol=$(awk -F '\t' 'END { print $3 }' "$TMP/sim/sub-01_segments.tsv")
[ "$last_vol" = 160 ] && pass || fail "segments end at volume $last_vol"
check "simulate dfc: same seed, same series" 0 simulate dfc -o "$TMP/sim2" --regions 5 \
    --volumes 160 --dwell 40 --states 2 --subjects 2 --no-volume
cmp -s "$TMP/sim/sub-02_timeseries.tsv" "$TMP/sim2/sub-02_timeseries.tsv" && pass ||
    fail "simulate dfc is not deterministic"
file_absent "$TMP/sim2/atlas.nii.gz"
check "simulate dfc: existing files" 1 simulate dfc -o "$TMP/sim2" --regions 5 --volumes 160 \
    --no-volume
err_has "exists (use --force to overwrite)"
check "simulate dfc: rho out of range" 2 simulate dfc -o "$TMP/sim3" --rho 1
err_has "--rho must be from 0 to 0.999"
file_absent "$TMP/sim3"

# ---- two subjects: states, elbow, flexibility, surrogates; 1 and 2 threads ----
for t in 1 2; do
    check "dfc: everything, $t thread(s)" 0 dfc --threads $t --data "$TMP/sim/sub-01_timeseries.tsv" \
        --data "$TMP/sim/sub-02_timeseries.tsv" --window 40s --states 2 --elbow 1-5 \
        --flexibility --community-runs 2 --surrogates 9 -o "$TMP/all$t"
    err_has "9 surrogates: the smallest possible p-value is 0.1"
done
for f in windows.npy window_info.tsv edge_mean.tsv edge_std.tsv regions.tsv summary.tsv \
    state_centroids.tsv state_sequence.tsv state_summary.tsv elbow.tsv communities.tsv \
    surrogate_tests.tsv; do
    cmp -s "$TMP/all1/$f" "$TMP/all2/$f" && pass || fail "$f differs between 1 and 2 threads"
done
file_has "$TMP/all1/window_info.tsv" "sub-01	1	0	1	20	19	"
file_has "$TMP/all1/window_info.tsv" "sub-02	1	141	1	20	19	"
file_has "$TMP/all1/state_summary.tsv" "subject	state	fraction	mean_dwell_windows	mean_dwell_s	transitions	to_1	to_2"
rows=$(awk 'END { print NR }' "$TMP/all1/state_summary.tsv")
[ "$rows" = 5 ] && pass || fail "state_summary.tsv has $rows lines, expected 5"
# the fractions of each subject add up to 1; dwell in seconds = windows x TR
awk -F '\t' 'NR > 1 { f[$1] += $3; if ($5 - 2 * $4 > 1e-9 || 2 * $4 - $5 > 1e-9) bad = 1 }
    END { for (s in f) if (f[s] < 1 - 1e-12 || f[s] > 1 + 1e-12) bad = 1; exit bad }' \
    "$TMP/all1/state_summary.tsv" && pass || fail "state fractions or dwell times inconsistent"
file_has "$TMP/all1/surrogate_tests.tsv" "sub-01	fc_variance	"
file_has "$TMP/all1/surrogate_tests.tsv" "sub-02	state_switches	"
file_has "$TMP/all1/edge_std.tsv" "subject	region_a	region_b	std	null_mean	p	p_fdr"
file_has "$TMP/all1/summary.tsv" "transitions	flexibility	modularity	dynamic_edges"
file_has "$TMP/all1/elbow.tsv" "k	objective	ratio	elbow"
file_has "$TMP/all1/communities.tsv" "subject	window	npy_row	r01	r02	r03	r04	r05"
file_has "$TMP/all1/windows.json" '"window_s": 40'
file_has "$TMP/all1/windows.json" '"window_volumes": 20'
file_has "$TMP/all1/state_summary.json" '"RepetitionTime": 2'

# ---- a GIFT taper and the graphical lasso run ----
# subjects are named by BIDS subject; two files of one subject by their stems
check "dfc: two files of one subject" 0 dfc --data "$TMP/sim/sub-01_timeseries.tsv" \
    --data "$TMP/sim/sub-01_null.tsv" --window 20 --step 10 -o "$TMP/names"
file_has "$TMP/names/summary.tsv" "sub-01_timeseries	"
file_has "$TMP/names/summary.tsv" "sub-01_null	"
check "dfc: subject names" 0 dfc --data "$TMP/sim/sub-02_timeseries.tsv" --window 20 --step 10 \
    -o "$TMP/names2"
file_has "$TMP/names2/summary.tsv" "sub-02	"
check "dfc: GIFT taper, glasso" 0 dfc --data "$TMP/sim/sub-01_timeseries.tsv" --window 20 \
    --taper gift --estimator glasso --lambda 0.1 -o "$TMP/gift"
file_has "$TMP/gift/window_info.tsv" "sub-01	1	0	2	21	"
file_has "$TMP/gift/summary.tsv" "sub-01	160	140	"

# ---- bad input: a clear message, exit status, and no output ----
check "dfc: fewer volumes than the window" 1 dfc --data "$input" --window 300 -o "$TMP/bad1"
err_has "bract dfc: $input: 240 volumes are fewer than the window of 300"
file_absent "$TMP/bad1"
check "dfc: a window of 1" 2 dfc --data "$input" --window 1 -o "$TMP/bad1"
err_has "--window must be at least 3 volumes (got 1)"
file_absent "$TMP/bad1"
check "dfc: a window of 2 s at TR 2 s" 1 dfc --data "$TMP/sim/sub-01_timeseries.tsv" \
    --window 2s -o "$TMP/bad1"
err_has "a window of 1 volume: a windowed correlation needs at least 3 volumes"
file_absent "$TMP/bad1"
printf 'a\tb\tc\n1\t2\t3\n4\t5\t6\n7\tseven\t9\n1\t0\t2\n' > "$TMP/text.tsv"
check "dfc: non-numeric series" 1 dfc --data "$TMP/text.tsv" --window 3 -o "$TMP/bad1"
err_has "text.tsv:4: column 2 ('b'): expected a number, found 'seven'"
file_absent "$TMP/bad1"
check "dfc: missing input" 1 dfc --data "$TMP/none.tsv" --window 3 -o "$TMP/bad1"
err_has "none.tsv: cannot open"
file_absent "$TMP/bad1"
printf 'r0\tr1\n1\t2\n2\t1\n3\t5\n4\t4\n' > "$TMP/other.tsv"
check "dfc: subjects with different regions" 1 dfc --data "$input" --data "$TMP/other.tsv" \
    --window 3 -o "$TMP/bad1"
err_has "have different regions (expected the same columns in the same order)"
file_absent "$TMP/bad1"
check "dfc: seconds without a TR" 1 dfc --data "$input" --window 60s -o "$TMP/bad1"
err_has "lengths in seconds need the repetition time"
file_absent "$TMP/bad1"
check "dfc: gaussian without sigma" 2 dfc --data "$input" --window 30 --taper gaussian \
    -o "$TMP/bad1"
err_has "--taper gaussian needs --sigma"
check "dfc: glasso without lambda" 2 dfc --data "$input" --window 30 --estimator glasso \
    -o "$TMP/bad1"
err_has "--estimator glasso needs --lambda"
check "dfc: Ledoit-Wolf with a taper" 2 dfc --data "$input" --window 30 --taper gift \
    --estimator ledoit-wolf -o "$TMP/bad1"
err_has "--estimator ledoit-wolf needs rectangular windows"
check "dfc: no window" 2 dfc --data "$input" -o "$TMP/bad1"
err_has "no --window given"
check "dfc: bad elbow range" 2 dfc --data "$input" --window 30 --elbow 4-2 -o "$TMP/bad1"
err_has "--elbow: expected a range KMIN-KMAX"
check "dfc: more states than windows" 1 dfc --data "$input" --window 238 --states 4 \
    -o "$TMP/bad1"
err_has "--states 4 but only 3 windows"
file_absent "$TMP/bad1"
# a region flat within some windows: an error naming it and the window
awk -F '\t' 'BEGIN { OFS = "\t" } NR > 1 && NR <= 40 { $3 = 0.5 } { print }' "$input" > "$TMP/flat.tsv"
check "dfc: a region without variance in a window" 1 dfc --data "$TMP/flat.tsv" --window 30 \
    -o "$TMP/bad1"
err_has "region r2 has no variance in window 1 (volumes 1-30)"
file_absent "$TMP/bad1"
# a region constant throughout: excluded with a warning and a count
awk -F '\t' 'BEGIN { OFS = "\t" } NR > 1 { $2 = 1 } { print }' "$input" > "$TMP/const.tsv"
check "dfc: a constant region is excluded" 0 dfc --data "$TMP/const.tsv" --window 30 \
    -o "$TMP/const"
err_has "warning: $TMP/const.tsv: region r1 is constant: excluded"
file_has "$TMP/const/windows.json" '"excluded_regions": 1'
dfc_json "$TMP/const/windows.json" '"Shape":[211,10]'
# an existing output without --force: refused, the old file untouched
check "dfc: existing outputs" 1 dfc --data "$input" --window 20 -o "$TMP/rect"
err_has "windows.npy: exists (use --force to overwrite)"
first=$(od -A n -t f4 -j 128 -N 60 -v "$TMP/rect/windows.npy" | tr -s ' \n' '  ')
want=$(sed -n 2p "$REF/dfc/expected_rect_w30_s1.tsv" | tr '\t' ' ')
dfc_close "dfc: the old windows.npy is untouched" "$first" "$want" 1e-7
no_temporaries "$TMP/rect"
check "dfc: --force" 0 dfc --data "$input" --window 20 -o "$TMP/rect" --force
dfc_json "$TMP/rect/windows.json" '"Shape":[221,15]'
printf 'x' > "$TMP/afile"
check "dfc: output is a file" 1 dfc --data "$input" --window 20 -o "$TMP/afile"
err_has "$TMP/afile exists and is not a directory"
# a high-pass cut-off below 1/window in the input's sidecar
cp "$TMP/sim/sub-01_timeseries.tsv" "$TMP/hp.tsv"
printf '{"RepetitionTime": 2, "Parameters": {"high_pass_hz": 0.008}}\n' > "$TMP/hp.json"
check "dfc: high-pass below 1/window" 0 dfc --data "$TMP/hp.tsv" --window 30 -o "$TMP/hp"
err_has "high-pass cut-off 0.008 Hz is below 1/window = 0.0166667 Hz (window 60 s)"
check "dfc: high-pass above 1/window" 0 dfc --data "$TMP/hp.tsv" --window 70 -o "$TMP/hp2"
err_empty
