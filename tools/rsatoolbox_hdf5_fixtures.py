#!/usr/bin/env python3
"""Write testdata/rsatoolbox-hdf5/: RDM sets saved by rsatoolbox's own
RDMs.save(..., file_type='hdf5'), for the tests of bract's HDF5 reader.

Run from the top of the tree with rsatoolbox importable (its source tree on
PYTHONPATH with the Cython extension built; numpy, scipy, h5py as in
Debian 12):

    PYTHONPATH=/path/to/rsatoolbox/src python3 tools/rsatoolbox_hdf5_fixtures.py

Files:
- crossnobis.h5: calc_rdm(method='crossnobis', cv_descriptor='run') of the
  reference patterns (testdata/reference/rsa/patterns.tsv) with the
  reference precision matrix.  rsatoolbox cannot write non-ASCII labels to
  HDF5, so the 12 conditions are named w01..w12 in their order of first
  appearance (the order of expected_rdms.tsv); the values must equal the
  reference's `crossnobis` RDM.  rsatoolbox also stores the precision
  matrix (descriptors/noise) and cv_descriptor, which a reader must skip.
- models.h5: two RDMs of 4 conditions with names, a NaN, and
  dissimilarity_measure 'correlation'.
- unnamed.h5: one RDM of 3 conditions with neither pattern nor RDM
  descriptors of its own (only rsatoolbox's automatic index), and no
  dissimilarity_measure (None).
Development tool only: the tests read the files, never run this."""
import csv
import os

import numpy as np
import rsatoolbox

OUT = "testdata/rsatoolbox-hdf5"
REF = "testdata/reference/rsa"


def read_patterns():
    with open(os.path.join(REF, "patterns.tsv"), encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    head, body = rows[0], rows[1:]
    cond = [r[0] for r in body]
    run = [r[1] for r in body]
    x = np.array([[float(v) for v in r[2:]] for r in body])
    assert head[2] == "v0"
    return cond, run, x


def save(rdms, name):
    path = os.path.join(OUT, name)
    if os.path.exists(path):
        os.remove(path)
    rdms.save(path, file_type="hdf5")


def main():
    os.makedirs(OUT, exist_ok=True)
    cond, run, x = read_patterns()
    first = []
    for c in cond:
        if c not in first:
            first.append(c)
    ascii_name = {c: "w%02d" % (i + 1) for i, c in enumerate(first)}
    ds = rsatoolbox.data.Dataset(
        x, obs_descriptors={"conds": [ascii_name[c] for c in cond], "run": run})
    prec = np.loadtxt(os.path.join(REF, "precision_shrinkage_diag.tsv"), delimiter="\t")
    cn = rsatoolbox.rdm.calc_rdm(ds, method="crossnobis", descriptor="conds",
                                 noise=prec, cv_descriptor="run")
    save(cn, "crossnobis.h5")

    d = np.array([[0.5, 1.25, 0.75, 1.0, np.nan, 0.125],
                  [1.5, 0.25, 2.0, 0.5, 1.0, 0.0625]])
    models = rsatoolbox.rdm.RDMs(d, dissimilarity_measure="correlation",
                                 rdm_descriptors={"name": ["visual", "semantic"]},
                                 pattern_descriptors={"conds": ["cat", "dog", "car", "bus"]})
    save(models, "models.h5")

    unnamed = rsatoolbox.rdm.RDMs(np.array([[3.0, 4.0, 5.0]]))
    save(unnamed, "unnamed.h5")


if __name__ == "__main__":
    main()
