# bract info on volumes written by other tools, tables and RDM sets, and the
# messages for bad input.

check "info: nibabel int16, scaled, 4-D, TR 0.72" 0 info "$REF/volumes/int16_scaled_4d.nii.gz"
out_has "NIfTI-1, gzip-compressed"
out_has "5 x 6 x 4 x 7 (4-D: 7 volumes of 120 voxels)"
out_has "3 x 3 x 3.5 mm"
out_has "TR            0.72 s"
out_has "INT16"
out_has "slope 0.5, intercept -3"
out_has "qform 0 (unknown), sform 2 (aligned); affine from sform"
out_has "[   3   0   0 -30 ]"
err_empty

check "info: --stats reads scaled values" 0 info --stats "$REF/volumes/int16_scaled_4d.nii.gz"
out_has "min 117.5, max 948"
out_has "840 nonzero, 0 non-finite of 840"

check "info: NIfTI-2 float64" 0 info "$REF/volumes/float64_nifti2_3d.nii"
out_has "NIfTI-2"
out_has "4 x 3 x 2 (3-D: 24 voxels)"
out_has "FLOAT64"

check "info: real BOLD series" 0 info "$TESTDATA/data/haxby2001-slice/bold.nii.gz"
out_has "40 x 20 x 1 x 1452"
out_has "TR            2.5 s"
out_has "orientation   LAS"

check "info: --json" 0 info --json "$REF/volumes/int16_scaled_4d.nii.gz" "$REF/rsa/patterns.tsv"
out_has '"tr_s": 0.72'
out_has '"datatype": "INT16"'
out_has '"scl_slope": 0.5'
out_has '"type": "table"'

check "info: table" 0 info "$REF/rsa/patterns.tsv"
out_has "TSV, 36 rows x 32 columns"
out_has "condition: text"
out_has "run: numbers 0 to 2"

check "info: CSV" 0 info "$TESTDATA/data/nitime-rest/fmri_timeseries.csv"
out_has "CSV, 250 rows x 31 columns"
out_has "... and 11 more columns"

check "info: RDM set" 0 info "$REF/rsa/expected_rdms.tsv"
out_has "RDM set (long-form TSV), 6 RDMs"
out_has "crossnobis: 12 conditions, 66 pairs"

check "info: gzipped RDM set" 0 info "$TESTDATA/data/rsa92/brain_rdms.tsv.gz"
out_has "8 RDMs"
out_has "92 conditions, 4186 pairs"

# bad input: message, exit 1, and the other files are still described
head -c 400 "$TESTDATA/data/haxby2001-slice/mask.nii.gz" >/dev/null
printf 'not a volume at all, just text padding....' > "$TMP/fake.nii"
check "info: not NIfTI" 1 info "$TMP/fake.nii" "$REF/volumes/float64_nifti2_3d.nii"
err_has "bract info: $TMP/fake.nii: not a NIfTI file"
out_has "NIfTI-2"

head -c 500 "$REF/volumes/float64_nifti2_3d.nii" > "$TMP/cut.nii"
check "info: truncated volume" 1 info "$TMP/cut.nii"
err_has "truncated"

check "info: missing file" 1 info "$TMP/none.nii.gz"
err_has "bract info: $TMP/none.nii.gz: cannot open: No such file or directory"

printf 'a\tb\n1\t2\n3\n' > "$TMP/short.tsv"
check "info: table row missing a column" 1 info "$TMP/short.tsv"
err_has "bract info: $TMP/short.tsv:3: 1 field, expected 2 (the header has 2 columns)"

# F21: a .npy array and a JSON sidecar are described as such, not as tables
{ printf '\223NUMPY\001\000\166\000'
  printf "%-117s\n" "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
  head -c 24 /dev/zero; } >"$TMP/a.npy"
check "info: npy" 0 info "$TMP/a.npy"
out_has "NumPy .npy, <f4 (float32, C order)"
out_has "shape         2 x 3"
head -c 134 "$TMP/a.npy" >"$TMP/short.npy"
check "info: npy shorter than its shape" 1 info "$TMP/short.npy"
err_has "$TMP/short.npy: truncated .npy data: the header describes a 2 x 3 array of 4-byte values but the file holds 6 bytes of data"
printf '{"Command": "rdm neural", "Parameters": {"method": "correlation"}}\n' >"$TMP/s.json"
check "info: JSON sidecar" 0 info "$TMP/s.json"
out_has "JSON sidecar, 2 keys"
out_has "written by    bract rdm neural"
out_lacks "column"
: >"$TMP/empty.json"
check "info: empty JSON" 1 info "$TMP/empty.json"
err_has "bract info: $TMP/empty.json: not valid JSON"

check "info: no file" 2 info --stats
err_has "bract info: no FILE given"
check "info: no arguments prints usage" 2 info
out_has "Usage: bract info"
