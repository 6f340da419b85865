# --columns and --exclude-columns (shell patterns) in clean, dfc and
# timescale: confound columns kept in a region file (nitime's resting-state
# table has WM, Vent and Brain next to 28 regions) are not analysed as
# regions, and the sidecar records the selection.

N=$TESTDATA/data/nitime-rest/fmri_timeseries.csv
tr ',' '\t' < "$N" | tr -d '"' > "$TMP/all.tsv"
cut -f4- "$TMP/all.tsv" > "$TMP/regions.tsv"
# same FILE1 FILE2 WHAT: identical files
same() { if cmp -s "$1" "$2"; then pass; else fail "$3: $1 and $2 differ: $(diff "$1" "$2" | head -3)"; fi; }

# ---- timescale ----
check "columns: timescale of the regions alone" 0 timescale -d "$TMP/regions.tsv" --tr 1.89 -o "$TMP/tau_ref.tsv"
check "columns: timescale --exclude-columns" 0 timescale -d "$TMP/all.tsv" --tr 1.89 \
    --exclude-columns WM,Vent,Brain -o "$TMP/tau_ex.tsv"
same "$TMP/tau_ref.tsv" "$TMP/tau_ex.tsv" "timescale --exclude-columns"
file_has "$TMP/tau_ex.json" '"exclude_columns": "WM,Vent,Brain"'
tr -d ' \n' < "$TMP/tau_ex.json" > "$TMP/tau_ex.flat"
file_has "$TMP/tau_ex.flat" '"ExcludedColumns":["WM","Vent","Brain"]'
file_has "$TMP/tau_ex.json" '"excluded_columns": 3'
# globs, and the two options together (repeated, or list values)
check "columns: timescale --columns globs" 0 timescale -d "$TMP/all.tsv" --tr 1.89 \
    --columns 'L*' 'R*' --exclude-columns 'LAmy' -o "$TMP/tau_lr.tsv"
if cut -f1 "$TMP/tau_lr.tsv" | grep -qx -e WM -e Vent -e Brain -e APHG -e LAmy; then
    fail "a column outside the selection is in $TMP/tau_lr.tsv"; else pass; fi
file_has "$TMP/tau_lr.tsv" "LCau	"
file_has "$TMP/tau_lr.tsv" "RCau	"
file_has "$TMP/tau_lr.json" '"columns": "L*,R*"'

# ---- clean: only the region columns are cleaned and written ----
check "columns: clean of the regions alone" 0 clean -d "$TMP/regions.tsv" --tr 1.89 --high-pass 0.01 -o "$TMP/c_ref.tsv"
check "columns: clean --exclude-columns" 0 clean -d "$TMP/all.tsv" --tr 1.89 --high-pass 0.01 \
    --exclude-columns WM --exclude-columns 'V*' Brain -o "$TMP/c_ex.tsv"
same "$TMP/c_ref.tsv" "$TMP/c_ex.tsv" "clean --exclude-columns"
file_has "$TMP/c_ex.json" '"excluded_columns": 3'

# ---- dfc ----
check "columns: dfc of the regions alone" 0 dfc --data "$TMP/regions.tsv" --tr 1.89 --window 30 -o "$TMP/d_ref"
check "columns: dfc --exclude-columns" 0 dfc --data "$TMP/all.tsv" --tr 1.89 \
    --window 30 --exclude-columns WM,Vent,Brain -o "$TMP/d_ex"
# (the first column names the subject: the file's stem)
cut -f2- "$TMP/d_ref/edge_mean.tsv" > "$TMP/d_ref.cut"
cut -f2- "$TMP/d_ex/edge_mean.tsv" > "$TMP/d_ex.cut"
same "$TMP/d_ref.cut" "$TMP/d_ex.cut" "dfc --exclude-columns"
tr -d ' \n' < "$TMP/d_ex/edge_mean.json" > "$TMP/d_ex.flat"
file_has "$TMP/d_ex.flat" '"ExcludedColumns":["WM","Vent","Brain"]'
# every subject's table is selected alike (the regions must then agree)
cp "$TMP/all.tsv" "$TMP/sub-02.tsv"
check "columns: dfc --exclude-columns, two subjects" 0 dfc --data "$TMP/all.tsv" "$TMP/sub-02.tsv" \
    --tr 1.89 --window 30 --exclude-columns WM,Vent,Brain -o "$TMP/d_two"
file_has "$TMP/d_two/regions.json" '"excluded_columns": 3'

# ---- mistakes ----
check "columns: a pattern that matches nothing" 1 timescale -d "$TMP/all.tsv" --tr 1.89 \
    --columns 'roi_*' -o "$TMP/x.tsv"
err_has "$TMP/all.tsv: no column matches 'roi_*' (the columns are WM, Vent, Brain, LCau"
check "columns: nothing left" 1 dfc --data "$TMP/all.tsv" --tr 1.89 --window 30 \
    --exclude-columns '*' -o "$TMP/x"
err_has "the column selection leaves no column"
file_absent "$TMP/x.tsv"
check "columns: not for NIfTI data" 2 clean -d "$TESTDATA/data/haxby2001-slice/bold.nii.gz" \
    --columns 'L*' -o "$TMP/x.nii.gz"
err_has "--columns and --exclude-columns select columns of a table"
