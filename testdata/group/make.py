#!/usr/bin/python3
"""Make the group-map fixtures of testdata/group/ (numpy, scipy, statsmodels,
nibabel on Debian 12).  Run from this directory: /usr/bin/python3 make.py

Six subjects' correlation maps (float32, 6x5x4 voxels of 2 mm, origin
(-6, -4, -2) mm) with an effect planted in a 2x2x2 block, a mask, a label
atlas with names, inputs that must be refused, and scipy's one-sample t of
the Fisher z values at every tested voxel (expected.tsv)."""
import numpy as np
import nibabel as nib
from scipy import stats
from statsmodels.stats.multitest import multipletests

rng = np.random.RandomState(2026)
shape = (6, 5, 4)
aff = np.array([[2.0, 0, 0, -6], [0, 2.0, 0, -4], [0, 0, 2.0, -2], [0, 0, 0, 1]])
nsub = 6


def save(arr, name, dtype=np.float32, affine=aff):
    img = nib.Nifti1Image(np.asarray(arr, dtype=dtype), affine)
    img.header.set_xyzt_units('mm', 'sec')
    img.set_qform(affine, 1)
    img.set_sform(affine, 1)
    nib.save(img, name)


block = np.zeros(shape, bool)
block[1:3, 1:3, 1:3] = True
z = 0.15 * rng.standard_normal((nsub,) + shape) + np.where(block, 0.45, 0.0)
r = np.tanh(z).astype(np.float32)
r[2, 4, 3, 2] = np.nan  # one subject without a value at voxel (4,3,2)
for s in range(nsub):
    save(r[s], 'sub-%02d_r.nii.gz' % (s + 1))

mask = np.ones(shape, np.uint8)
mask[0, 0, :] = 0  # a column left out
mask[5, 4, 3] = 0
save(mask, 'mask.nii.gz', np.uint8)

atlas = np.zeros(shape, np.int16)
atlas[0:3, :, :] = 1
atlas[3:6, :, :] = 2
atlas[5, :, :] = 0
save(atlas, 'atlas.nii.gz', np.int16)
with open('labels.tsv', 'w') as f:
    f.write('index\tname\n1\tleft_region\n2\tright_region\n')

# inputs to refuse
save(np.stack([r[0], r[1]], axis=-1), 'bad_4d.nii.gz')
save(r[0][:, :, :3], 'bad_grid.nii.gz')
shifted = aff.copy()
shifted[0, 3] += 1.0
save(r[0], 'bad_affine.nii.gz', affine=shifted)
save(r[0] * 3.0, 'bad_range.nii.gz')
save(atlas[:, :, :3], 'bad_atlas_grid.nii.gz', np.int16)

# expected values at the tested voxels (mask, all subjects finite), in
# file order (x fastest)
zz = np.arctanh(r.astype(np.float64))
rows = []
for k in range(shape[2]):
    for j in range(shape[1]):
        for i in range(shape[0]):
            if not mask[i, j, k] or not np.all(np.isfinite(zz[:, i, j, k])):
                continue
            t, p = stats.ttest_1samp(zz[:, i, j, k], 0.0, alternative='greater')
            _, p2 = stats.ttest_1samp(zz[:, i, j, k], 0.0)
            rows.append((i, j, k, zz[:, i, j, k].mean(), t, p, p2))
q = multipletests([row[5] for row in rows], method='fdr_bh')[1]
with open('expected.tsv', 'w') as f:
    f.write('i\tj\tk\tmean_z\tt\tp_greater\tp_two_sided\tp_fdr_greater\n')
    for row, qq in zip(rows, q):
        f.write('%d\t%d\t%d\t%r\t%r\t%r\t%r\t%r\n' % (row[:4] + (float(row[4]), float(row[5]),
                                                             float(row[6]), float(qq))))
best = max(rows, key=lambda row: row[4])
print('tested voxels', len(rows), 'peak', best[:3], 'mm', aff[:3, :3] @ np.array(best[:3]) + aff[:3, 3],
      't', best[4])
