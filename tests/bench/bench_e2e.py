#!/usr/bin/env python3
"""End-to-end benchmarks of the bract CLI against Python baselines measured in
the same run (make bench).  Each figure is the best of --repeat runs, the CLI
and the baseline alternating, printed with the baseline and their ratio
(baseline / bract: how many times faster bract is).  The machine's load
moves every figure; compare the ratios.

    dfc        400 regions x 1200 volumes, rectangular windows of 60, step 1
               (1141 windows x 79,800 pairs), the data of
               tests/bench/bench_dfc.c written as a TSV.  bract: the whole
               command as a subprocess (start, reading the TSV, windows,
               summaries, windows.npy of 364 MB and the tables).  Baseline:
               a numpy loop over the windows (np.corrcoef, the upper
               triangle) into a float32 array and np.save, the series
               already in memory (its reading is not counted); and, like
               for like, a numpy script doing the command's work: np.loadtxt
               of the TSV, the loop and np.save, each edge's mean and sd
               into two TSV tables (the interpreter's start not counted).
    timescale  maps of 50,000 voxels x 1200 volumes (TR 0.72 s, a 4-D
               NIfTI of 240 MB), the default method (exp, lags 1-30).
               bract: the whole command.  Baselines, each reading the image
               with nibabel and saving the map: statsmodels' acf per voxel
               with scipy's curve_fit of the same model (the same map), and
               statsmodels' acf per voxel alone (no fit; a floor for any
               per-voxel Python loop).

Needs numpy, scipy, nibabel and statsmodels (Debian: python3-numpy,
python3-scipy, python3-nibabel, python3-statsmodels); without them it says
what is missing and exits 0.
"""

import argparse
import warnings
import os
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import nibabel as nib
    from scipy.optimize import curve_fit
    from statsmodels.tsa.stattools import acf
except ImportError as e:  # pragma: no cover
    print("bench_e2e: skipped (%s; apt-get install python3-numpy python3-scipy "
          "python3-nibabel python3-statsmodels)" % e)
    sys.exit(0)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def report(name, seconds, base_name, base):
    print("%-40s %8.3f s   baseline %-36s %8.3f s   ratio %6.2f"
          % (name, seconds, base_name, base, base / seconds), flush=True)


def timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def fresh(path):
    """Remove a previous run's output so that every run writes anew."""
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)
    for suffix in (".json",):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def cli(bract, *args):
    subprocess.run([bract, *map(str, args), "--quiet", "--force"], check=True)


# ---- dfc ----

def dfc_series(nt=1200, nreg=400):
    rng = np.random.default_rng(1)
    x = np.zeros((nt, nreg))
    e = rng.normal(size=(nt, nreg))
    for t in range(nt):
        prev = x[t - 1] if t else 0
        x[t] = 0.6 * prev + e[t]
        x[t, 1:] += 0.3 * x[t, 0]
    return x


def numpy_dfc(x, win, path):
    nt, n = x.shape
    iu = np.triu_indices(n, 1)
    out = np.empty((nt - win + 1, iu[0].size), np.float32)
    for k in range(out.shape[0]):
        out[k] = np.corrcoef(x[k:k + win], rowvar=False)[iu]
    np.save(path, out)


def numpy_dfc_script(tsv, win, outdir):
    """What bract dfc does, as a user's numpy script would: read the TSV,
    the windows into windows.npy, each edge's mean and sd (ddof 1) over the
    windows into two TSV tables with the regions' names (Python's repr:
    the shortest text that reads back, as bract writes)."""
    with open(tsv) as f:
        names = f.readline().rstrip("\n").split("\t")
    x = np.loadtxt(tsv, delimiter="\t", skiprows=1)
    nt, n = x.shape
    iu = np.triu_indices(n, 1)
    out = np.empty((nt - win + 1, iu[0].size), np.float32)
    s1 = np.zeros(iu[0].size)
    s2 = np.zeros(iu[0].size)
    for k in range(out.shape[0]):
        r = np.corrcoef(x[k:k + win], rowvar=False)[iu]
        out[k] = r
        s1 += r
        s2 += r * r
    os.makedirs(outdir, exist_ok=True)
    np.save(os.path.join(outdir, "windows.npy"), out)
    m = out.shape[0]
    mean = s1 / m
    sd = np.sqrt(np.maximum(s2 - m * mean * mean, 0) / (m - 1))
    for name, v in (("edge_mean.tsv", mean), ("edge_std.tsv", sd)):
        with open(os.path.join(outdir, name), "w") as f:
            f.write("region_a\tregion_b\tvalue\n")
            f.writelines("%s\t%s\t%r\n" % (names[i], names[j], float(v[e]))
                         for e, (i, j) in enumerate(zip(iu[0], iu[1])))


def bench_dfc(bract, d, repeat):
    win = 60
    x = dfc_series()
    tsv = os.path.join(d, "ts.tsv")
    with open(tsv, "w") as f:
        f.write("\t".join("r%d" % i for i in range(x.shape[1])) + "\n")
        for row in x:
            f.write("\t".join(repr(float(v)) for v in row) + "\n")
    out = os.path.join(d, "dfc")
    npy = os.path.join(d, "numpy_windows.npy")
    print("dfc: %d regions x %d volumes, window %d, step 1 (%d windows x %d pairs)"
          % (x.shape[1], x.shape[0], win, x.shape[0] - win + 1,
             x.shape[1] * (x.shape[1] - 1) // 2), flush=True)
    script = os.path.join(d, "numpy_script")
    t_cli, t_np, t_script = [], [], []
    for _ in range(repeat):
        fresh(out)
        t_cli.append(timed(lambda: cli(bract, "dfc", "--data", tsv, "--window", win, "-o",
                                       out)))
        fresh(npy)
        t_np.append(timed(lambda: numpy_dfc(x, win, npy)))
        fresh(script)
        t_script.append(timed(lambda: numpy_dfc_script(tsv, win, script)))
    got = np.load(os.path.join(out, "windows.npy"), mmap_mode="r")
    want = np.load(npy, mmap_mode="r")
    diff = float(np.max(np.abs(got - want)))
    report("bract dfc (CLI, end to end)", min(t_cli), "numpy loop + np.save", min(t_np))
    report("bract dfc (CLI, end to end)", min(t_cli), "numpy script, same work", min(t_script))
    print("  windows.npy %s %s, numpy's %s %s: largest difference %.2g"
          % (got.dtype, got.shape, want.dtype, want.shape, diff), flush=True)
    em = np.loadtxt(os.path.join(script, "edge_mean.tsv"), skiprows=1, usecols=2)
    bm = np.loadtxt(os.path.join(out, "edge_mean.tsv"), skiprows=1, usecols=-1)
    print("  edge_mean.tsv: largest difference bract vs the numpy script %.2g"
          % float(np.max(np.abs(em - bm))), flush=True)
    fresh(out)
    fresh(npy)
    fresh(script)


# ---- timescale maps ----

def timescale_image(path, shape=(50, 50, 20), nt=1200, tr=0.72):
    rng = np.random.default_rng(3)
    n = int(np.prod(shape))
    tau = 1.0 + 19.0 * (np.arange(n) % 97) / 96.0
    phi = np.exp(-tr / tau)
    x = np.empty((n, nt), np.float32)
    prev = np.zeros(n)
    for t in range(nt):
        prev = phi * prev + np.sqrt(1 - phi ** 2) * rng.standard_normal(n)
        x[:, t] = 1000 + 10 * prev + 3 * rng.standard_normal(n)
    # voxel v = i + nx (j + ny k), as bract numbers them
    data = x.reshape(shape[2], shape[1], shape[0], nt).transpose(2, 1, 0, 3)
    img = nib.Nifti1Image(np.ascontiguousarray(data), np.diag([3.0, 3.0, 3.0, 1.0]))
    img.header.set_xyzt_units("mm", "sec")
    img.header["pixdim"][4] = tr
    nib.save(img, path)
    return n


def exp_model(k, a, tau, b, tr):
    return a * (np.exp(-k * tr / tau) + b)


def python_timescale(src, dst, fit):
    warnings.simplefilter("ignore")  # curve_fit: covariance not estimated
    img = nib.load(src)
    tr = float(img.header["pixdim"][4])
    d = np.asarray(img.dataobj, dtype=np.float32)
    X = d.reshape(-1, d.shape[3], order="F")
    nlags = min(int(10 * np.log10(d.shape[3])), d.shape[3] - 1)
    k = np.arange(1, nlags + 1, dtype=float)
    tau = np.full(X.shape[0], np.nan)
    for v in np.flatnonzero(np.ptp(X, axis=1) > 0):
        a = acf(X[v].astype(np.float64), nlags=nlags, fft=True)
        if not fit:
            below = np.flatnonzero(a < np.exp(-1))
            tau[v] = below[0] * tr if below.size else np.nan
            continue
        try:
            p, _ = curve_fit(lambda kk, aa, tt, bb: exp_model(kk, aa, tt, bb, tr), k, a[1:],
                             p0=(1.0, 5.0, 0.0), maxfev=2000)
            tau[v] = p[1]
        except RuntimeError:
            pass
    out = tau.reshape(d.shape[:3], order="F").astype(np.float32)
    nib.save(nib.Nifti1Image(out, img.affine), dst)


def bench_timescale(bract, d, repeat, fit_repeat):
    src = os.path.join(d, "bold.nii")
    n = timescale_image(src)
    out = os.path.join(d, "tau.nii.gz")
    print("timescale maps: %d voxels x 1200 volumes, TR 0.72 s, method exp, lags 1-30 "
          "(a %.0f MB NIfTI)" % (n, os.path.getsize(src) / 1e6), flush=True)
    t_cli, t_fit, t_acf = [], [], []
    for r in range(repeat):
        for p in (out, os.path.join(d, "tau_r2.nii.gz"), os.path.join(d, "tau_flags.nii.gz")):
            fresh(p)
        t_cli.append(timed(lambda: cli(bract, "timescale", "--data", src, "-o", out)))
        if r < fit_repeat:
            t_fit.append(timed(lambda: python_timescale(src, os.path.join(d, "py_fit.nii.gz"),
                                                        True)))
        t_acf.append(timed(lambda: python_timescale(src, os.path.join(d, "py_acf.nii.gz"),
                                                    False)))
    report("bract timescale (CLI, end to end)", min(t_cli), "statsmodels acf + curve_fit",
           min(t_fit))
    report("bract timescale (CLI, end to end)", min(t_cli), "statsmodels acf alone (no fit)",
           min(t_acf))
    got = np.asarray(nib.load(out).dataobj, dtype=float).ravel()
    want = np.asarray(nib.load(os.path.join(d, "py_fit.nii.gz")).dataobj, dtype=float).ravel()
    ok = np.isfinite(got) & np.isfinite(want) & (got > 0) & (want > 0)
    print("  tau: median relative difference bract vs curve_fit %.2g over %d voxels"
          % (float(np.median(np.abs(got[ok] - want[ok]) / want[ok])), int(ok.sum())),
          flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bract", default=os.path.join(ROOT, "bract"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--fit-repeat", type=int, default=1,
                    help="runs of the slow curve_fit baseline (default 1)")
    ap.add_argument("--only", choices=["dfc", "timescale"])
    ap.add_argument("--dir", help="where the files go (default: a temporary directory)")
    a = ap.parse_args()
    if not os.access(a.bract, os.X_OK):
        sys.exit("bench_e2e: no bract CLI at %s" % a.bract)
    d = tempfile.mkdtemp(prefix="bract-e2e-", dir=a.dir)
    try:
        if a.only in (None, "dfc"):
            bench_dfc(a.bract, d, a.repeat)
        if a.only in (None, "timescale"):
            bench_timescale(a.bract, d, a.repeat, min(a.fit_repeat, a.repeat))
    finally:
        shutil.rmtree(d)


if __name__ == "__main__":
    main()
