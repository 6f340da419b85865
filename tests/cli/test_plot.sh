# bract plot: every kind writes a PNG of the asked size and a well-formed
# SVG from small inputs, with a sidecar; bad input is reported by file and
# column and leaves no output.

# png_size FILE: "WIDTHxHEIGHT" from the PNG header (IHDR, big-endian)
png_size() {
    od -An -tu1 -j16 -N8 "$1" 2>/dev/null |
        awk '{printf "%dx%d", (($1*256+$2)*256+$3)*256+$4, (($5*256+$6)*256+$7)*256+$8}'
}
png_is() {
    got=$(png_size "$1")
    if [ "$got" = "$2" ]; then pass; else fail "$1 is $got pixels, expected $2"; fi
}
svg_ok() {
    if xmllint --noout "$1" 2>"$TMP/xmllint"; then pass; else fail "$1 is not well-formed XML: $(head -c 300 "$TMP/xmllint")"; fi
}

P=$TMP/plot
mkdir -p "$P"

# ---- rdm and mds from the reference RDM set (12 conditions) ----
check "plot rdm: one RDM as PNG" 0 plot rdm "$REF/rsa/expected_rdms.tsv" --rdm euclidean \
    --width 5 --height 4 --dpi 100 -o "$P/rdm.png"
png_is "$P/rdm.png" 500x400
file_has "$P/rdm.json" '"kind": "rdm"'
file_has "$P/rdm.json" '"rdm": "euclidean"'
check "plot rdm: every RDM of the set as SVG" 0 plot rdm "$REF/rsa/expected_rdms.tsv" --rank \
    -o "$P/rdms.svg"
svg_ok "$P/rdms.svg"
file_has "$P/rdms.svg" '<svg'
check "plot rdm: an unknown RDM lists the set and writes nothing" 1 plot rdm \
    "$REF/rsa/expected_rdms.tsv" --rdm IT -o "$P/none.png"
err_has "expected_rdms.tsv: no RDM named 'IT' in the set (its RDMs: 'euclidean', 'correlation'"
file_absent "$P/none.png"
file_absent "$P/none.json"
check "plot rdm: an existing output needs --force" 1 plot rdm "$REF/rsa/expected_rdms.tsv" \
    --rdm euclidean -o "$P/rdm.png"
err_has "rdm.png: exists (use --force to overwrite)"
png_is "$P/rdm.png" 500x400
check "plot rdm: --force replaces it" 0 plot rdm "$REF/rsa/expected_rdms.tsv" --rdm cosine \
    --width 4 --height 4 --dpi 50 --force -o "$P/rdm.png"
png_is "$P/rdm.png" 200x200
check "plot rdm: never over an input" 1 plot rdm "$P/rdm.png" --force -o "$P/rdm.png"
err_has "refusing to overwrite an input"

check "plot mds: PNG" 0 plot mds "$REF/rsa/expected_rdms.tsv" --rdm correlation --dpi 80 \
    -o "$P/mds.png"
png_is "$P/mds.png" 496x480
check "plot mds: SVG" 0 plot mds "$REF/rsa/expected_rdms.tsv" --rdm correlation -o "$P/mds.svg"
svg_ok "$P/mds.svg"
check "plot mds: a set needs --rdm" 1 plot mds "$REF/rsa/expected_rdms.tsv" -o "$P/m2.png"
err_has "holds 6 RDMs: choose one with --rdm NAME"
file_absent "$P/m2.png"

# ---- bars ----
printf 'rdm\tmodel\tmethod\tr\tp\tp_fdr\tci_low\tci_high\tnoise_lower\tnoise_upper\tsubjects\n' >"$P/res.tsv"
printf 'V1\tw2v\tspearman\t0.12\t0.001\t0.003\t0.06\t0.18\t0.25\t0.34\t20\n' >>"$P/res.tsv"
printf 'V1\tLSA\tspearman\t0.05\t0.08\t0.12\t-0.01\t0.11\t0.25\t0.34\t20\n' >>"$P/res.tsv"
printf 'IT\tw2v\tspearman\t0.21\t0.0001\t0.0006\t0.14\t0.28\t0.30\t0.41\t20\n' >>"$P/res.tsv"
printf 'IT\tLSA\tspearman\t-0.02\t0.6\t0.6\t-0.09\t0.04\t0.30\t0.41\t20\n' >>"$P/res.tsv"
check "plot bars: PNG" 0 plot bars "$P/res.tsv" --width 6 --height 3 --dpi 100 -o "$P/bars.png"
png_is "$P/bars.png" 600x300
check "plot bars: SVG of one region" 0 plot bars "$P/res.tsv" --rdm IT --sig p -o "$P/bars.svg"
svg_ok "$P/bars.svg"
cut -f1,2,3,5 "$P/res.tsv" >"$P/nor.tsv"
check "plot bars: a missing column is named with its file" 1 plot bars "$P/nor.tsv" -o "$P/b2.png"
err_has "nor.tsv: no column 'r' (the columns are 'rdm', 'model', 'method', 'p')"
file_absent "$P/b2.png"

# ---- map: a tiny NIfTI-2 volume; a background on another grid ----
check "plot map: ortho PNG" 0 plot map "$REF/volumes/float64_nifti2_3d.nii" --threshold 0.5 \
    --width 6 --height 2.5 --dpi 100 -o "$P/map.png"
png_is "$P/map.png" 600x250
file_has "$P/map.json" '"CutMillimetres"'
check "plot map: mosaic SVG" 0 plot map "$REF/volumes/float64_nifti2_3d.nii" --view mosaic \
    --slices 2 --axis z -o "$P/map.svg"
svg_ok "$P/map.svg"
check "plot map: background on another grid" 1 plot map "$REF/volumes/float64_nifti2_3d.nii" \
    --background "$TESTDATA/data/mni2mm/MNI152NLin6_res-2x2x2_T1w_descr-brainmask.nii.gz" -o "$P/m3.png"
err_has "the map and its background must share a grid"
err_has "float64_nifti2_3d.nii and "
err_has "brainmask.nii.gz are on different grids"
file_absent "$P/m3.png"
check "plot map: --cut needs three numbers" 2 plot map "$REF/volumes/float64_nifti2_3d.nii" \
    --cut 1,2 -o "$P/m4.png"
err_has "--cut: expected X,Y,Z in millimetres"

# ---- states: a dfc directory with dashed region names ----
mkdir -p "$P/dfc"
printf 'state\tLH-V1-LH-V2\tLH-V1-RH-V1\tLH-V2-RH-V1\n1\t0.8\t-0.2\t0.1\n2\t-0.5\t0.3\t0.6\n' \
    >"$P/dfc/state_centroids.tsv"
printf 'subject\twindow\tstate\ns1\t0\t1\ns1\t1\t1\ns1\t2\t2\ns2\t0\t2\ns2\t1\t1\n' \
    >"$P/dfc/state_sequence.tsv"
check "plot states: PNG" 0 plot states "$P/dfc" --width 6 --height 3.5 --dpi 100 -o "$P/states.png"
png_is "$P/states.png" 600x350
check "plot states: SVG" 0 plot states "$P/dfc" -o "$P/states.svg"
svg_ok "$P/states.svg"
check "plot states: a directory without centroids" 1 plot states "$P" -o "$P/s2.png"
err_has "no state_centroids.tsv"
file_absent "$P/s2.png"

# ---- scatter ----
printf 'region\ttau_s\nV1\t1.2\nV2\t1.9\nMT\t2.1\nLIP\t3.3\nPFC\t4.0\n' >"$P/tau.tsv"
printf 'region\tvalue\nPFC\t0.9\nLIP\t0.7\nMT\t0.4\nV2\t0.2\nV1\t0.1\n' >"$P/hier.tsv"
check "plot scatter: PNG" 0 plot scatter "$P/tau.tsv" "$P/hier.tsv" --width 5 --height 4 \
    --dpi 100 -o "$P/scatter.png"
png_is "$P/scatter.png" 500x400
file_has "$P/scatter.json" '"hierarchy"'
check "plot scatter: SVG" 0 plot scatter "$P/tau.tsv" "$P/hier.tsv" -o "$P/scatter.svg"
svg_ok "$P/scatter.svg"
check "plot scatter: a missing column" 1 plot scatter "$P/hier.tsv" "$P/hier.tsv" -o "$P/s3.png"
err_has "hier.tsv: no column 'tau_s'"
file_absent "$P/s3.png"

# ---- design: a GLM's design matrix (the fixture's, nilearn's names) ----
D=$REF/glm/event/design_run-1_motion6.tsv
check "plot design: PNG at nilearn's size" 0 plot design "$D" --dpi 50 -o "$P/design.png"
# 22 columns, 140 rows, longest name 'constant': 1 + 0.23 x 22 by 10 inches
png_is "$P/design.png" 303x500
file_has "$P/design.json" '"kind": "design"'
file_has "$P/design.json" '"rescale": "l2"'
file_has "$P/design.json" '"cmap": "viridis"'
check "plot design: SVG, SPM's grey" 0 plot design "$D" --rescale max-abs --cmap gray \
    --title "run 1" -o "$P/design_grey.svg"
svg_ok "$P/design_grey.svg"
file_has "$P/design_grey.svg" '<title>run 1</title>'
file_has "$P/design_grey.svg" '<desc>design matrix, 140 rows; columns: apple, bus, car, cat, dog, grape, hammer, horse, pear, saw, trans_x, trans_y, trans_z, rot_x, rot_y, rot_z, drift_1, drift_2, drift_3, drift_4, drift_5, constant</desc>'
file_has "$P/design_grey.json" '"cmap": "gray"'
file_has "$P/design_grey.json" '"rescale": "max-abs"'
# 6.06 x 10 inches
file_has "$P/design_grey.svg" 'width="436.32pt" height="720pt"'
printf 'a\tb\n1\t2\n3\tzebra\n' > "$P/bad_design.tsv"
check "plot design: a cell that is no number" 1 plot design "$P/bad_design.tsv" -o "$P/bd.png"
err_has "bad_design.tsv:3: column 2 ('b')"
file_absent "$P/bd.png"
check "plot design: another colour map" 1 plot design "$D" --cmap coldhot -o "$P/bd.png"
err_has "unknown colour map 'coldhot' for a design matrix (expected viridis or gray)"
check "plot design: unknown scaling" 2 plot design "$D" --rescale z -o "$P/bd.png"
err_has "unknown column scaling 'z' (expected one of l2, max-abs, none)"
file_absent "$P/bd.png"

# ---- usage errors ----
check "plot: unknown kind" 2 plot pie "$P/tau.tsv" -o "$P/x.png"
err_has "unknown kind 'pie' (expected one of rdm, mds, bars, map, states, scatter, design)"
check "plot: wrong number of inputs" 2 plot scatter "$P/tau.tsv" -o "$P/x.png"
err_has "plot scatter takes 2 inputs (got 1)"
check "plot: unknown output format" 2 plot rdm "$REF/rsa/expected_rdms.tsv" -o "$P/x.pdf"
err_has "cannot tell the format of"
check "plot: no output" 2 plot rdm "$REF/rsa/expected_rdms.tsv"
err_has "no --output given"
check "plot: an option of another kind" 2 plot rdm "$REF/rsa/expected_rdms.tsv" \
    --background "$REF/volumes/float64_nifti2_3d.nii" -o "$P/x.png"
err_has "bract plot: unknown option --background"
err_has "Usage: bract plot rdm RDMS.tsv"
check "plot: options before the kind" 2 plot -o "$P/x.png" rdm "$REF/rsa/expected_rdms.tsv"
err_has "unknown option -o (give the kind first)"
check "plot: the kinds" 0 plot --help
out_has "scatter  TAU.tsv HIERARCHY.tsv"
check "plot: a kind's options" 0 plot map --help
out_has "--view ortho|mosaic"
out_lacks "--rank"
no_temporaries "$P"

# the colour-bar label comes from the RDM set's sidecar when it names the method
cp "$REF/rsa/expected_rdms.tsv" "$P/corr.tsv"
printf '{"Parameters": {"method": "correlation"}}\n' >"$P/corr.json"
check "plot rdm: units from the RDM set's sidecar" 0 plot rdm "$P/corr.tsv" --rdm correlation \
    --dpi 40 -o "$P/corr_fig.png"
file_has "$P/corr_fig.json" '"units": "correlation distance (1 − r)"'
