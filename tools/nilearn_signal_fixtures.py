#!/usr/bin/env python3
"""Write testdata/nilearn-signal/: nilearn 0.10.3 signal.clean outputs for the cases
the shared reference set does not cover (censoring, runs, psc, population
z-score), on the shared inputs testdata/reference/signal/{timeseries,confounds}.tsv.

Run from the top of the tree with nilearn 0.10.3 importable, e.g. its source
tree on PYTHONPATH (numpy 1.24, scipy 1.10, pandas, scikit-learn as in
Debian 12):

    PYTHONPATH=/path/to/nilearn-0.10.3 python3 tools/nilearn_signal_fixtures.py

Each case is written as expected_<case>.tsv, and cases.json records the exact
keyword arguments (sample_mask as the kept volume indices).  Development
tool only: the tests read the files, never run this.

One bug of nilearn is corrected before the cases run.  sample_mask reaches
_interpolate_volumes as an array of kept indices, and that function writes
the spline values to volumes[~sample_mask]: for integers ~i is -(i + 1), so
it overwrites the rows mirrored from the kept ones (n - 1 - i) instead of
the censored rows.  Censored volumes whose mirror is also censored are never
interpolated, and with extrapolate=False the later shift of sample_mask then
picks the wrong rows.  The code is the same in nilearn 0.10.3 and in its
main branch of 2026.  The replacement below builds the boolean mask of kept
volumes and fills exactly the censored ones, which is what nilearn's
documentation (and Lindquist et al. 2018) describe."""
import json
import warnings

import numpy as np
import nilearn
import nilearn.signal
from nilearn.signal import clean
from scipy.interpolate import CubicSpline


def _interpolate_volumes_fixed(volumes, sample_mask, t_r, extrapolate):
    frame_times = np.arange(volumes.shape[0]) * t_r
    kept = np.zeros(volumes.shape[0], dtype=bool)
    kept[sample_mask] = True
    spline = CubicSpline(frame_times[kept], volumes[kept], extrapolate=extrapolate)
    volumes[~kept] = spline(frame_times)[~kept]
    return volumes


nilearn.signal._interpolate_volumes = _interpolate_volumes_fixed

warnings.simplefilter("ignore")
ref = "testdata/reference/signal"
out = "testdata/nilearn-signal"
x = np.loadtxt(f"{ref}/timeseries.tsv", skiprows=1)
c = np.loadtxt(f"{ref}/confounds.tsv", skiprows=1)
n = x.shape[0]
censored = [0, 1, 50, 51, 52, 100, 170, 238, 239]
keep = np.array([i for i in range(n) if i not in censored])
half = n // 2
keep_runs = [np.array([i for i in range(half) if i not in censored]),
             np.array([i - half for i in range(half, n) if i not in censored])]
runs = np.repeat([0, 1], half)

cases = {
    "censor_bandpass": dict(detrend=True, standardize="zscore_sample", confounds="confounds.tsv",
                            low_pass=0.1, high_pass=0.01, t_r=2.0, sample_mask=keep,
                            extrapolate=False),
    "censor_bandpass_extrapolate": dict(detrend=True, standardize="zscore_sample",
                                        low_pass=0.1, high_pass=0.01, t_r=2.0,
                                        sample_mask=keep, extrapolate=True),
    "censor_nofilter": dict(detrend=True, standardize="zscore_sample", confounds="confounds.tsv",
                            sample_mask=keep),
    "runs_highpass": dict(detrend=True, standardize="zscore_sample", confounds="confounds.tsv",
                          high_pass=0.01, t_r=2.0, runs=runs),
    "runs_censor_lowpass": dict(detrend=True, standardize="zscore_sample", low_pass=0.08,
                                t_r=2.0, runs=runs, sample_mask=keep_runs),
    "psc_detrend": dict(detrend=True, standardize="psc"),
    "psc_highpass_confounds": dict(detrend=False, standardize="psc", confounds="confounds.tsv",
                                   high_pass=0.01, t_r=2.0),
    "zscore_population_nodetrend": dict(detrend=False, standardize="zscore"),
    "lowpass_raw_confounds": dict(detrend=True, standardize="zscore_sample",
                                  confounds="confounds.tsv", standardize_confounds=False,
                                  low_pass=0.12, t_r=2.0),
}
# a source tree reports "0+unknown": the version run is the one named here
record = {"nilearn_version": "0.10.3 (git tag 0.10.3; __version__ %s)" % nilearn.__version__, "numpy": np.__version__,
          "patch": "nilearn.signal._interpolate_volumes fills the censored rows (boolean mask), "
                   "see tools/nilearn_signal_fixtures.py",
          "inputs": [f"{ref}/timeseries.tsv", f"{ref}/confounds.tsv"], "cases": {}}
for name, kw in cases.items():
    call = dict(kw)
    # nilearn 0.10.3 shifts a sample_mask array in place (sample_mask -=
    # sample_mask[0]) when extrapolate=False: give each call its own copy
    if "sample_mask" in call:
        sm = call["sample_mask"]
        call["sample_mask"] = [a.copy() for a in sm] if isinstance(sm, list) else sm.copy()
    if "confounds" in call:
        call["confounds"] = c
    y = clean(x, **call)
    np.savetxt(f"{out}/expected_{name}.tsv", y, delimiter="\t", fmt="%.17g",
               header="\t".join(f"r{i}" for i in range(x.shape[1])), comments="")
    rec = {}
    for k, v in kw.items():
        if k == "sample_mask":
            v = [a.tolist() for a in v] if isinstance(v, list) else v.tolist()
        elif k == "runs":
            v = v.tolist()
        rec[k] = v
    record["cases"][name] = rec
with open(f"{out}/cases.json", "w") as f:
    json.dump(record, f, indent=1)
