# bract searchlight on coarse grids: when the radius holds a single voxel
# (7 mm voxels, the default 6 mm radius), say so and suggest a --radius
# that reaches the 6 face neighbours, not --min-voxels.

S=$TMP/coarse
grid="--grid 7x7x5 --voxel 7 --regions 2 --documents 0 --dims 4 --categories 2 --words 6"
# shellcheck disable=SC2086
check "coarse: simulate 7 mm voxels" 0 simulate rsa -o "$S" --subjects 1 $grid --effect sphere \
    --radius 14 --snr 1
in="--data $S/sub-01_patterns.nii.gz --conditions $S/conditions.tsv --mask $S/mask.nii.gz --model $S/model_rdm.tsv"
# shellcheck disable=SC2086
check "coarse: the default radius" 1 searchlight $in -o "$S/x.nii"
err_has "spheres of radius 6 mm hold a single voxel on this grid (voxels of 7 x 7 x 7 mm)"
err_has "--radius 7 (the centre and its 6 face neighbours)"
if grep -q -- "--min-voxels" "$TMP/.stderr"; then fail "suggests --min-voxels"; else pass; fi
file_absent "$S/x.nii"
# --strict needs a radius beyond the neighbours' distance
# shellcheck disable=SC2086
check "coarse: --strict" 1 searchlight $in --radius 7 --strict -o "$S/x.nii"
err_has "spheres of radius 7 mm (strict) hold a single voxel"
err_has "--radius 7.1 (the centre"
# the suggestion works: 7 voxels a sphere
# shellcheck disable=SC2086
check "coarse: the suggested radius" 0 searchlight $in --radius 7 -o "$S/r7.nii" --quiet
file_has "$S/r7.json" '"full_sphere": 7'
# asked for explicitly, one-voxel spheres are computed (euclidean is defined)
# shellcheck disable=SC2086
check "coarse: --min-voxels 1" 0 searchlight $in --min-voxels 1 --method euclidean -o "$S/one.nii" --quiet
file_has "$S/one.json" '"full_sphere": 1'
