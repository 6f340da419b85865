#!/usr/bin/env python3
"""The searchlight and dFC benchmarks through Python, each against the CLI
on the same files in the same run (make bench-python).

    searchlight  a 64 x 64 x 40 grid of 3 mm voxels, an ellipsoid mask of
                 about 60,000 voxels, 60 conditions, correlation RDMs,
                 Spearman against one model, 6 mm spheres (33 voxels): the
                 data of tests/bench/bench_searchlight.c, as NIfTI files
    dfc          400 regions x 1200 volumes, rectangular windows of 60,
                 step 1 (1141 windows x 79,800 pairs): tests/bench/bench_dfc.c's
                 size, as a TSV

Each figure is the best of `--repeat` runs (default 3), runs of the CLI
and of Python alternating.  The CLI's time is the whole command: start,
reading, computing, writing its outputs (the dFC windows.npy is 364 MB).
Python's is the call: reading (the library's readers, from the same files;
or nothing, for data already in memory), computing, and returning the
results as numpy arrays.  Printed as ratios, Python / CLI: under 1.10 is
within 10 %.  The machine's load moves every figure; compare the ratios.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))

import bract  # noqa: E402

CLI = os.environ.get("BRACT_CLI", os.path.join(ROOT, "bract"))


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def report(name, seconds, base_name, base):
    print("%-46s %9.3f s   baseline %-22s %9.3f s   ratio %6.3f"
          % (name, seconds, base_name, base, seconds / base), flush=True)


def cli(*args):
    subprocess.run([CLI, *map(str, args), "--quiet", "--force"], check=True)


def searchlight_data(d):
    import nibabel as nib
    nx, ny, nz, ncond = 64, 64, 40, 60
    i, j, k = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing="ij")
    # the ellipsoid of bench_searchlight.c: semi-axes 30, 30 and 16 voxels on 64 x 64 x 40
    ax, ay, az = nx / 2 - 2, ny / 2 - 2, nz / 2 - 4
    mask = (((i - (nx - 1) / 2) / ax) ** 2 + ((j - (ny - 1) / 2) / ay) ** 2 +
            ((k - (nz - 1) / 2) / az) ** 2 <= 1)
    rng = np.random.default_rng(11)
    cond = np.arange(ncond)[None, None, None, :]
    sig = np.sin(0.21 * i[..., None] + 0.7 * cond) * np.cos(0.17 * j[..., None] - 0.3 * cond)
    data = (sig + rng.uniform(-0.5, 0.5, size=sig.shape)).astype(np.float32)
    data[~mask] = 0
    aff = np.diag([3.0, 3.0, 3.0, 1.0])
    nib.save(nib.Nifti1Image(data, aff), os.path.join(d, "patterns.nii.gz"))
    nib.save(nib.Nifti1Image(mask.astype(np.uint8), aff), os.path.join(d, "mask.nii.gz"))
    words = ["w%02d" % c for c in range(ncond)]
    with open(os.path.join(d, "conditions.tsv"), "w") as f:
        f.write("condition\n" + "".join(w + "\n" for w in words))
    model = bract.RDMs(rng.uniform(1, 2, ncond * (ncond - 1) // 2), words, ["model"])
    model.save(os.path.join(d, "model.tsv"), force=True)
    return int(mask.sum())


def bench_searchlight(d, repeat):
    nvox = searchlight_data(d)
    p = [os.path.join(d, f) for f in ("patterns.nii.gz", "conditions.tsv", "mask.nii.gz",
                                      "model.tsv")]
    print("searchlight: %d mask voxels, 60 conditions, correlation RDMs, spearman, 6 mm "
          "spheres, %d threads" % (nvox, bract.get_threads()), flush=True)
    import nibabel as nib
    img, mimg = nib.load(p[0]), nib.load(p[2])
    arr = np.asarray(img.dataobj)
    marr = np.asarray(mimg.dataobj)
    words = ["w%02d" % c for c in range(60)]
    model = bract.read_rdms(p[3])
    out = os.path.join(d, "map.nii.gz")

    def run_cli():
        cli("searchlight", "--data", p[0], "--conditions", p[1], "--mask", p[2], "--model", p[3],
            "-o", out)

    def run_files():
        bract.searchlight(*p)

    def run_arrays():
        bract.searchlight(arr, words, marr, model, affine=mimg.affine)

    t_cli, t_files, t_arrays = [], [], []
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bract.BractWarning)
        for _ in range(repeat):
            t_cli.append(best(run_cli, 1))
            t_files.append(best(run_files, 1))
            t_arrays.append(best(run_arrays, 1))
    report("searchlight, Python from the files", min(t_files), "bract searchlight", min(t_cli))
    report("searchlight, Python from arrays in memory", min(t_arrays), "bract searchlight",
           min(t_cli))
    # the same numbers, whichever way (a check, not a timing)
    want = np.asanyarray(nib.load(out).dataobj)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bract.BractWarning)
        got = np.asanyarray(bract.searchlight(*p)["model"].dataobj)
    assert np.array_equal(got, want, equal_nan=True), "the Python map differs from the CLI's"


def bench_dfc(d, repeat):
    nt, nreg, win = 1200, 400, 60
    rng = np.random.default_rng(1)
    x = np.zeros((nt, nreg))
    e = rng.normal(size=(nt, nreg))
    for t in range(nt):
        prev = x[t - 1] if t else 0
        x[t] = 0.6 * prev + e[t]
        x[t, 1:] += 0.3 * x[t, 0]
    path = os.path.join(d, "ts.tsv")
    with open(path, "w") as f:
        f.write("\t".join("r%d" % i for i in range(nreg)) + "\n")
        for row in x:
            f.write("\t".join(repr(float(v)) for v in row) + "\n")
    outdir = os.path.join(d, "dfc")
    print("dfc: %d regions x %d volumes, window %d, step 1 (%d windows x %d pairs), %d threads"
          % (nreg, nt, win, nt - win + 1, nreg * (nreg - 1) // 2, bract.get_threads()),
          flush=True)
    t_cli, t_files, t_arrays = [], [], []
    for _ in range(repeat):
        t_cli.append(best(lambda: cli("dfc", "--data", path, "--window", win, "-o", outdir), 1))
        t_files.append(best(lambda: bract.dfc(path, win), 1))
        t_arrays.append(best(lambda: bract.dfc(x, win), 1))
    report("dfc, Python from the file", min(t_files), "bract dfc", min(t_cli))
    report("dfc, Python from an array in memory", min(t_arrays), "bract dfc", min(t_cli))
    w = np.load(os.path.join(outdir, "windows.npy"), mmap_mode="r")
    got = bract.dfc(path, win).windows
    assert np.array_equal(got, w), "the Python windows differ from the CLI's"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=["searchlight", "dfc"])
    a = ap.parse_args()
    if not os.access(CLI, os.X_OK):
        sys.exit("bench.py: no bract CLI at %s (make, or set BRACT_CLI)" % CLI)
    with tempfile.TemporaryDirectory(prefix="bract-bench-") as d:
        if a.only in (None, "searchlight"):
            bench_searchlight(d, a.repeat)
        if a.only in (None, "dfc"):
            bench_dfc(d, a.repeat)


if __name__ == "__main__":
    main()
