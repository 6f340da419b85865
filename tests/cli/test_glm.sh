# bract glm on the event-related word fixture (nilearn 0.10.3,
# testdata/reference/glm/event), its outputs as rdm neural reads them, and
# its messages for bad input (each leaving no output behind).

E=$REF/glm/event
B1=$E/sub-01_task-words_run-1_bold.nii.gz
B2=$E/sub-01_task-words_run-2_bold.nii.gz
V1=$E/sub-01_task-words_run-1_events.tsv
V2=$E/sub-01_task-words_run-2_events.tsv
C1=$E/sub-01_task-words_run-1_desc-confounds_timeseries.tsv
C2=$E/sub-01_task-words_run-2_desc-confounds_timeseries.tsv
M=$E/mask.nii.gz

check "glm: two runs, motion confounds, t and F contrasts" 0 glm --data "$B1" "$B2" \
    --events "$V1" "$V2" --confounds "$C1" "$C2" --confound-strategy motion6 --mask "$M" \
    --contrast animals=cat+dog+horse-car-bus-hammer --f-contrast pairs=cat-dog,car-bus \
    -o "$TMP/glm"
for f in design_run-1.tsv design_run-2.tsv betas.nii.gz betas.tsv residuals.nii.gz \
    contrast-animals_stat-t.nii.gz contrast-animals_stat-z.nii.gz contrast-animals_stat-p.nii.gz \
    contrast-animals_stat-effect.nii.gz contrast-animals_stat-variance.nii.gz \
    contrast-pairs_stat-F.nii.gz contrast-pairs_stat-effect.nii.gz; do
    file_exists "$TMP/glm/$f"
done
file_exists "$TMP/glm.json"
no_temporaries "$TMP/glm"
# the design as nilearn names its columns (motion6 comes sorted, as load_confounds)
file_has "$TMP/glm/design_run-1.tsv" "apple	bus	car	cat	dog	grape	hammer	horse	pear	saw	rot_x"
file_has "$TMP/glm/design_run-1.tsv" "rot_z	trans_x	trans_y	trans_z	drift_1"
file_has "$TMP/glm/design_run-1.tsv" "drift_4	drift_5	constant"
file_has "$TMP/glm/betas.tsv" "condition	run"
file_has "$TMP/glm/betas.tsv" "saw	2"
[ "$(wc -l < "$TMP/glm/betas.tsv")" -eq 21 ] && pass || fail "betas.tsv: 20 rows and a header"
# dof: 2 x (140 - 22)
file_has "$TMP/glm/residuals.json" '"ResidualDegreesOfFreedom": 236'
file_has "$TMP/glm/residuals.json" '"Whitened": true'
file_has "$TMP/glm/contrast-animals_stat-t.json" '"DegreesOfFreedom": 236'
file_has "$TMP/glm.json" '"contrast-pairs_stat-F.nii.gz"'
check "glm: the t map's intent" 0 info "$TMP/glm/contrast-animals_stat-t.nii.gz"
out_has "TTEST"
check "glm: the F map's intent" 0 info "$TMP/glm/contrast-pairs_stat-F.nii.gz"
out_has "FTEST"

# crossnobis on the betas, its noise dof from the residuals' sidecar
check "glm then rdm neural crossnobis with the GLM residuals" 0 rdm neural \
    --data "$TMP/glm/betas.nii.gz" --conditions "$TMP/glm/betas.tsv" --mask "$M" \
    --method crossnobis --noise "$TMP/glm/residuals.nii.gz" -o "$TMP/rdm.tsv"
file_has "$TMP/rdm.json" "ResidualDegreesOfFreedom of the residuals' sidecars (bract glm)"
file_has "$TMP/rdm.json" '"noise_dof": 236'

# the searchlight reads the GLM's outputs too, its dof from the same sidecar
check "glm then searchlight crossnobis with the GLM residuals" 0 searchlight \
    --data "$TMP/glm/betas.nii.gz" --conditions "$TMP/glm/betas.tsv" --mask "$M" \
    --method crossnobis --noise "$TMP/glm/residuals.nii.gz" --model "$TMP/rdm.tsv" \
    -o "$TMP/sl.nii.gz" --quiet
file_has "$TMP/sl.json" "ResidualDegreesOfFreedom of the residuals' sidecars (bract glm)"
file_has "$TMP/sl.json" '"noise": "'"$TMP"'/glm/residuals.nii.gz"'

# ---- the chain equals the same chain from nilearn's betas ----
# Issue 11: events -> glm -> rdm neural --method crossnobis --noise residuals
# on the fixture (above: $TMP/rdm.tsv, AR(1), motion6, the dof from the
# residuals' sidecar) against rdm neural on nilearn's AR(1) betas
# (betas_ar1_motion6_run-*.tsv, as a patterns table) with the same
# residuals, read back through bract extract and an atlas of one label per
# mask voxel.  bract's betas pass through float32 NIfTI, nilearn's do not:
# 1e-6 of the largest dissimilarity (about 1e-8 here).
dof=$(sed -n 's/.*"ResidualDegreesOfFreedom": \([0-9.]*\).*/\1/p' "$TMP/glm/residuals.json")
[ "$dof" = 236 ] && pass || fail "residual dof $dof, not 236"
# nilearn's betas: one row per word and run, one column per voxel v_i_j_k
awk -F'\t' 'FNR == 1 { for (c = 4; c <= NF; c++) w[c] = $c; nw = NF; run++; next }
    { key = "v_" $1 "_" $2 "_" $3; if (run == 1) vox[++nv] = key
      for (c = 4; c <= nw; c++) b[run, w[c], key] = $c }
    END { printf "condition\trun"; for (v = 1; v <= nv; v++) printf "\t%s", vox[v]; printf "\n"
          for (r = 1; r <= run; r++) for (c = 4; c <= nw; c++) { printf "%s\t%d", w[c], r
              for (v = 1; v <= nv; v++) printf "\t%s", b[r, w[c], vox[v]]; printf "\n" } }' \
    "$E/betas_ar1_motion6_run-1.tsv" "$E/betas_ar1_motion6_run-2.tsv" > "$TMP/ref_patterns.tsv"
# the atlas: the mask's NIfTI header made int16, label L at the L-th voxel of
# the tables (C order of i, j, k); its labels name the voxels v_i_j_k
gzip -dc "$M" | dd bs=1 count=70 2>/dev/null > "$TMP/voxels.nii"
printf '\004\000\020\000' >> "$TMP/voxels.nii"
gzip -dc "$M" | dd bs=1 skip=74 count=278 2>/dev/null >> "$TMP/voxels.nii"
printf "$(awk -F'\t' 'NR > 1 { lab[$1 + 8 * ($2 + 9 * $3)] = NR - 1 }
    END { for (x = 0; x < 432; x++) { l = x in lab ? lab[x] : 0
              printf "\\%03o\\%03o", l % 256, int(l / 256) } }' "$E/betas_ar1_motion6_run-1.tsv")" \
    >> "$TMP/voxels.nii"
awk -F'\t' 'NR == 1 { print "index\tname"; next } { print NR - 1 "\tv_" $1 "_" $2 "_" $3 }' \
    "$E/betas_ar1_motion6_run-1.tsv" > "$TMP/voxels.tsv"
check "glm chain: the residuals voxel by voxel" 0 extract --data "$TMP/glm/residuals.nii.gz" \
    --atlas "$TMP/voxels.nii" --labels "$TMP/voxels.tsv" -o "$TMP/ref_residuals.tsv"
[ "$(head -1 "$TMP/ref_residuals.tsv" | tr '\t' '\n' | wc -l)" -eq 308 ] && pass ||
    fail "the residual table has not 308 voxel columns"
check "glm chain: crossnobis from nilearn's betas" 0 rdm neural --data "$TMP/ref_patterns.tsv" \
    --method crossnobis --noise "$TMP/ref_residuals.tsv" --noise-dof "$dof" \
    -o "$TMP/ref_rdm.tsv"
# the same 45 pairs (each RDM in its own condition order), within 1e-6
awk -F'\t' 'FNR == 1 { f++; next }
    { k = $2 < $3 ? $2 "|" $3 : $3 "|" $2; d[f, k] = $4; if (f == 1) n++
      if ($4 > big || -$4 > big) big = $4 < 0 ? -$4 : $4 }
    END { for (key in d) { split(key, kk, SUBSEP); if (kk[1] != 1) continue
              if (!((2, kk[2]) in d)) { print "missing pair " kk[2]; exit 1 }
              e = d[1, kk[2]] - d[2, kk[2]]; if (e < 0) e = -e; if (e > worst) worst = e }
          printf "glm chain: crossnobis of the bract and nilearn betas: max |diff| / max %.2g\n", worst / big
          exit !(n == 45 && worst <= 1e-6 * big) }' "$TMP/rdm.tsv" "$TMP/ref_rdm.tsv" && pass ||
    fail "the crossnobis RDMs of bract's and nilearn's betas differ"

# the same bits with one thread and two
check "glm: one thread" 0 glm -d "$B1" -e "$V1" -m "$M" -@ 1 -o "$TMP/one"
check "glm: two threads" 0 glm -d "$B1" -e "$V1" -m "$M" -@ 2 -o "$TMP/two"
cmp -s "$TMP/one/betas.nii.gz" "$TMP/two/betas.nii.gz" && pass || fail "betas differ with threads"
cmp -s "$TMP/one/residuals.nii.gz" "$TMP/two/residuals.nii.gz" && pass ||
    fail "residuals differ with threads"

check "glm: LSS beta series" 0 glm -d "$B1" -e "$V1" -m "$M" --trials lss --noise ols \
    --no-residuals -o "$TMP/lss"
file_has "$TMP/lss/betas.tsv" "condition	run	trial	onset"
file_has "$TMP/lss/betas.tsv" "car	1	car__001	8.06"
file_has "$TMP/lss/betas.tsv" "dog	1	dog__001	16.34"
file_absent "$TMP/lss/residuals.nii.gz"
check "glm: LSA beta series" 0 glm -d "$B1" -e "$V1" -m "$M" --trials lsa -o "$TMP/lsa"
file_has "$TMP/lsa/design_run-1.tsv" "apple__001	apple__002	apple__003	bus__001"

check "glm: existing outputs without --force" 1 glm -d "$B1" -e "$V1" -m "$M" -o "$TMP/one"
err_has "exists"

# ---- bad input: a clear message naming the place, nothing written ----

printf 'onset\tduration\ttrial_type\n10\t2\tcat\n300\t2\tdog\n' > "$TMP/late.tsv"
check "glm: an event after the run" 1 glm -d "$B1" -e "$TMP/late.tsv" -m "$M" -o "$TMP/bad1"
err_has "late.tsv:3: event 'dog' at 300 s is outside the run"
file_absent "$TMP/bad1"

check "glm: an unknown condition in a contrast" 1 glm -d "$B1" -e "$V1" -m "$M" \
    --contrast x=cat-zebra -o "$TMP/bad2"
err_has "contrast 'cat-zebra': unknown condition 'zebra'"
file_absent "$TMP/bad2"

printf 'onset\tduration\ttrial_type\n10\t2\tcat\n10\t2\tdog\n90\t2\tcat\n90\t2\tdog\n' \
    > "$TMP/twins.tsv"
check "glm: a rank-deficient design" 1 glm -d "$B1" -e "$TMP/twins.tsv" -m "$M" -o "$TMP/bad3"
err_has "the design is rank-deficient: columns 'cat', 'dog' are collinear"
file_absent "$TMP/bad3"

head -100 "$C1" > "$TMP/short_confounds.tsv"
check "glm: confounds with another number of rows" 1 glm -d "$B1" -e "$V1" -m "$M" \
    --confounds "$TMP/short_confounds.tsv" --confound-columns 'trans_*' -o "$TMP/bad4"
err_has "short_confounds.tsv: 99 rows, but the run has 140 volumes"
file_absent "$TMP/bad4"

awk -F'\t' 'BEGIN { OFS = "\t" } NR == 11 { $1 = "n/a" } { print }' "$C1" > "$TMP/nan_confounds.tsv"
check "glm: n/a beyond the first row of a confound" 1 glm -d "$B1" -e "$V1" -m "$M" \
    --confounds "$TMP/nan_confounds.tsv" --confound-columns 'trans_*,framewise_displacement' \
    -o "$TMP/bad5"
err_has "nan_confounds.tsv:11: column 1 ('trans_x'): missing value 'n/a'"
err_has "only the first row may be n/a"
file_absent "$TMP/bad5"

run simulate timescales --volume --volumes 12 --tr 2 --regions 3 -o "$TMP/short"
printf 'onset\tduration\ttrial_type\n2\t2\ta\n12\t2\tb\n' > "$TMP/short_events.tsv"
check "glm: a run shorter than its HRF" 1 glm -d "$TMP/short/bold.nii.gz" \
    -e "$TMP/short_events.tsv" -m "$TMP/short/mask.nii.gz" -o "$TMP/bad6"
err_has "the run (12 volumes x 2 s = 24 s) is not longer than its glover HRF (32 s)"
file_absent "$TMP/bad6"

cp "$B1" "$TMP/bold.nii.gz"
printf '{"RepetitionTime": 2.5}\n' > "$TMP/bold.json"
check "glm: the header's TR and the sidecar's disagree" 1 glm -d "$TMP/bold.nii.gz" -e "$V1" \
    -m "$M" -o "$TMP/bad7"
err_has "the header's TR (2 s) and the sidecar $TMP/bold.json (RepetitionTime 2.5 s) disagree"
file_absent "$TMP/bad7"

# a header without a TR (pixdim[4] = 0): the BIDS sidecar's RepetitionTime
# serves, and gives the design the header's TR gives; neither is an error.
# (Before bract read the raw header, nifticlib made a 0 TR 1 s: F6.)
gzip -dc "$B1" >"$TMP/full.nii"
{ dd if="$TMP/full.nii" bs=1 count=92 2>/dev/null; printf '\000\000\000\000'
  dd if="$TMP/full.nii" bs=1 skip=96 2>/dev/null; } >"$TMP/notr.nii"
check "glm: a header TR of 0 is unknown" 0 info "$TMP/notr.nii"
out_has "TR            unknown"
check "glm: no TR anywhere" 1 glm -d "$TMP/notr.nii" -e "$V1" -m "$M" -o "$TMP/bad9"
err_has "notr.nii: no repetition time in the header or a JSON sidecar: give it (--tr)"
file_absent "$TMP/bad9"
printf '{"RepetitionTime": 2}\n' >"$TMP/notr.json"
check "glm: the TR from the sidecar" 0 glm -d "$TMP/notr.nii" -e "$V1" -m "$M" -o "$TMP/sidetr"
cmp -s "$TMP/sidetr/design_run-1.tsv" "$TMP/one/design_run-1.tsv" && pass ||
    fail "the sidecar's TR gives another design than the header's"
file_has "$TMP/sidetr/betas.json" '"tr": 2'
check "glm: --tr against the sidecar" 1 glm -d "$TMP/notr.nii" -e "$V1" -m "$M" --tr 2.5 \
    -o "$TMP/bad10"
err_has "--tr 2.5 s but the sidecar $TMP/notr.json says RepetitionTime 2 s"
check "glm: --tr against the header" 1 glm -d "$B1" -e "$V1" -m "$M" --tr 2.5 -o "$TMP/bad8"
err_has "--tr 2.5 s but the header says 2 s"
file_absent "$TMP/bad8"

# ---- usage errors ----
check "glm: one events file for two runs" 2 glm -d "$B1" "$B2" -e "$V1" -m "$M" -o "$TMP/u1"
err_has "2 --data runs but 1 --events file"
check "glm: confounds without columns" 2 glm -d "$B1" -e "$V1" -m "$M" --confounds "$C1" \
    -o "$TMP/u2"
err_has "--confounds needs --confound-columns or --confound-strategy"
check "glm: an unknown strategy" 2 glm -d "$B1" -e "$V1" -m "$M" --confounds "$C1" \
    --confound-strategy motion6,compcor -o "$TMP/u3"
err_has "unknown confound strategy 'compcor'"
check "glm: an unknown HRF" 2 glm -d "$B1" -e "$V1" -m "$M" --hrf canonical -o "$TMP/u4"
err_has "unknown HRF model 'canonical'"
check "glm: FIR delays without the FIR model" 2 glm -d "$B1" -e "$V1" -m "$M" \
    --fir-delays 0,1 -o "$TMP/u5"
err_has "--fir-delays applies to --hrf fir"
check "glm: a contrast without a name" 2 glm -d "$B1" -e "$V1" -m "$M" --contrast cat-dog \
    -o "$TMP/u6"
err_has "--contrast 'cat-dog': expected NAME=EXPRESSION"
check "glm: LSS with a derivative" 2 glm -d "$B1" -e "$V1" -m "$M" --trials lss \
    --hrf spm+derivative -o "$TMP/u7"
err_has "--trials lss needs one regressor per condition"
check "glm: no mask" 2 glm -d "$B1" -e "$V1" -o "$TMP/u8"
err_has "no --mask given"
for d in u1 u2 u3 u4 u5 u6 u7 u8; do file_absent "$TMP/$d"; done

# ---- single-trial denoising ----

check "glm: --denoise on two runs" 0 glm -d "$B1" "$B2" -e "$V1" "$V2" -m "$M" --trials lss \
    --denoise --no-residuals -o "$TMP/dn"
for f in betas.nii.gz betas.tsv diagnostics.tsv reliability.nii.gz onoff_r2.nii.gz \
    condition_r2.nii.gz hrf_index.nii.gz hrf_library.tsv noise_pool.nii.gz noise_pcs.nii.gz noise_pcs_cv.tsv \
    ridge_fraction.nii.gz; do
    file_exists "$TMP/dn/$f"
done
no_temporaries "$TMP/dn"
file_has "$TMP/dn/diagnostics.tsv" "step	hrf_library	noise_pcs	ridge	median_reliability	change	voxels	p_worse	kept"
file_has "$TMP/dn/diagnostics.tsv" "baseline	0	0	0	"
file_has "$TMP/dn/noise_pcs_cv.tsv" "components	median_cv_r2	chosen"
file_has "$TMP/dn/betas.tsv" "condition	run	trial	onset"
file_has "$TMP/dn/betas.tsv" "car	1	car__001	8.06"
file_has "$TMP/dn/betas.json" '"denoise": true'
file_has "$TMP/dn/hrf_library.tsv" "index	peak	undershoot	ratio	dispersion	peak_time	voxels"
[ "$(wc -l < "$TMP/dn/hrf_library.tsv")" -eq 22 ] && pass || fail "hrf_library.tsv: 21 HRFs"
# the betas are what rdm neural reads
check "glm --denoise then rdm neural" 0 rdm neural --data "$TMP/dn/betas.nii.gz" \
    --conditions "$TMP/dn/betas.tsv" --mask "$M" --method correlation -o "$TMP/dn_rdm.tsv"

# each step alone, and the same bits for one thread and two
check "glm: --ridge auto alone" 0 glm -d "$B1" "$B2" -e "$V1" "$V2" -m "$M" --trials lsa \
    --ridge auto --no-residuals -@ 1 -o "$TMP/r1"
file_has "$TMP/r1/diagnostics.tsv" "ridge	0	0	1	"
file_absent "$TMP/r1/hrf_index.nii.gz"
file_absent "$TMP/r1/noise_pcs_cv.tsv"
check "glm: --ridge auto alone, two threads" 0 glm -d "$B1" "$B2" -e "$V1" "$V2" -m "$M" \
    --trials lsa --ridge auto --no-residuals -@ 2 -o "$TMP/r2"
cmp -s "$TMP/r1/betas.nii.gz" "$TMP/r2/betas.nii.gz" && pass || fail "denoised betas differ with threads"
check "glm: three noise components, no library, no ridge" 0 glm -d "$B1" "$B2" -e "$V1" "$V2" \
    -m "$M" --trials lss --noise-pcs 3 --keep-worse-steps --no-residuals -o "$TMP/pc3"
file_has "$TMP/pc3/noise_pcs_cv.tsv" "3	n/a	1"
file_exists "$TMP/pc3/noise_components_run-2.tsv"
file_has "$TMP/pc3/noise_components_run-1.tsv" "pc_01	pc_02	pc_03"

# bad input
check "glm: --denoise with one run" 2 glm -d "$B1" -e "$V1" -m "$M" --trials lss --denoise \
    -o "$TMP/d1"
err_has "denoising cross-validates across runs: give at least 2 runs"
check "glm: --denoise without trials" 2 glm -d "$B1" "$B2" -e "$V1" "$V2" -m "$M" --denoise \
    -o "$TMP/d2"
err_has "give --trials lss or --trials lsa"
check "glm: --noise-pcs without denoising" 2 glm -d "$B1" "$B2" -e "$V1" "$V2" -m "$M" \
    --trials lss --noise-pcs 0 -o "$TMP/d3"
err_has "apply to denoising"
check "glm: --noise-pcs not a number" 2 glm -d "$B1" "$B2" -e "$V1" "$V2" -m "$M" \
    --trials lss --noise-pcs many -o "$TMP/d4"
err_has "noise components 'many': expected auto or a number"
awk -F'\t' 'BEGIN { OFS = "\t" } NR > 1 { $3 = "other_" $3 } { print }' "$V2" > "$TMP/v2_other.tsv"
check "glm: --denoise, no condition in two runs" 1 glm -d "$B1" "$B2" -e "$V1" "$TMP/v2_other.tsv" \
    -m "$M" --trials lss --denoise -o "$TMP/d5"
err_has "no condition (trial_type) occurs in two runs"
for d in d1 d2 d3 d4 d5; do file_absent "$TMP/$d"; done

# the report shows what each step did
mkdir -p "$TMP/rroot"
check "glm --denoise for the report" 0 glm -d "$B1" "$B2" -e "$V1" "$V2" -m "$M" --trials lss \
    --denoise --no-residuals -o "$TMP/rroot/glm"
check "report of a denoised GLM" 0 report "$TMP/rroot" -o "$TMP/rroot.html"
file_has "$TMP/rroot.html" "Single-trial denoising"
file_has "$TMP/rroot.html" 'alt="reliability per denoising step"'
file_has "$TMP/rroot.html" "<td>hrf_library</td>"
