#!/usr/bin/python3
"""Make the paired-design fixtures of testdata/group/ (numpy, scipy,
nibabel on Debian 12).  Run from this directory after make.py:
/usr/bin/python3 make_paired.py

A second condition for the six subjects of make.py (for example the
searchlight maps of a second model): sub-0N_r_b.nii.gz, correlation maps on
the same grid whose block effect is weaker than the first condition's, so
the paired difference keeps part of it.  One subject's second map has a NaN
at a voxel that is finite in every first map.  expected_paired.tsv holds
scipy's paired t (ttest_rel) of the Fisher z values, first minus second, at
every voxel of the mask where all twelve values are finite.

expected_two_sample.tsv treats the maps as two independent groups: the six
first maps (group 1) against the second maps of subjects 1-4 (group 2),
scipy's pooled-variance ttest_ind of the Fisher z values at every voxel of
the mask where all ten values are finite."""
import numpy as np
import nibabel as nib
from scipy import stats

shape = (6, 5, 4)
nsub = 6
rng = np.random.RandomState(2027)

first = np.stack([np.asarray(nib.load('sub-%02d_r.nii.gz' % (s + 1)).get_fdata(), np.float64)
                  for s in range(nsub)])
aff = nib.load('sub-01_r.nii.gz').affine
mask = np.asarray(nib.load('mask.nii.gz').get_fdata()) > 0

block = np.zeros(shape, bool)
block[1:3, 1:3, 1:3] = True
z = 0.15 * rng.standard_normal((nsub,) + shape) + np.where(block, 0.15, 0.0)
r = np.tanh(z).astype(np.float32)
r[4, 0, 2, 1] = np.nan  # voxel (0,2,1) of subject 5's second map
for s in range(nsub):
    img = nib.Nifti1Image(r[s], aff)
    img.header.set_xyzt_units('mm', 'sec')
    img.set_qform(aff, 1)
    img.set_sform(aff, 1)
    nib.save(img, 'sub-%02d_r_b.nii.gz' % (s + 1))

za = np.arctanh(first.astype(np.float32).astype(np.float64))
zb = np.arctanh(r.astype(np.float64))
with open('expected_paired.tsv', 'w') as f:
    f.write('i\tj\tk\tmean_dz\tt\tp_greater\tp_two_sided\n')
    n = 0
    for k in range(shape[2]):
        for j in range(shape[1]):
            for i in range(shape[0]):
                a, b = za[:, i, j, k], zb[:, i, j, k]
                if not mask[i, j, k] or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
                    continue
                t, p = stats.ttest_rel(a, b, alternative='greater')
                _, p2 = stats.ttest_rel(a, b)
                f.write('%d\t%d\t%d\t%r\t%r\t%r\t%r\n' % (i, j, k, float((a - b).mean()), float(t),
                                                          float(p), float(p2)))
                n += 1
print('tested voxels', n)

with open('expected_two_sample.tsv', 'w') as f:
    f.write('i\tj\tk\tmean_difference\tt\tp_greater\tp_two_sided\n')
    n = 0
    for k in range(shape[2]):
        for j in range(shape[1]):
            for i in range(shape[0]):
                a, b = za[:, i, j, k], zb[:4, i, j, k]
                if not mask[i, j, k] or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
                    continue
                t, p = stats.ttest_ind(a, b, alternative='greater')
                _, p2 = stats.ttest_ind(a, b)
                f.write('%d\t%d\t%d\t%r\t%r\t%r\t%r\n' % (i, j, k, float(a.mean() - b.mean()),
                                                          float(t), float(p), float(p2)))
                n += 1
print('two-sample voxels', n)
