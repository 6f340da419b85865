"""Region time series: cleaning (bract/clean.h), sliding-window
connectivity and states (dfc.h, kmeans.h, states.h), and intrinsic
timescales (timescale.h), as `bract clean`, `bract dfc` and
`bract timescale`."""

import math
import os
import warnings

import numpy as np

from . import _volumes as vol
from ._lib import (BractWarning, Owned, StrArray, check, copy_array, cstr, dptr, fail, ffi, lib,
                   parse_enum, pystr)
from .table import Table
from .threads import threads_for


# ---- inputs: tables of region series ----

class Series:
    """Region series: x (volumes x regions, float64), names, tr (0: unknown)."""

    def __init__(self, x, names, tr, path=None):
        self.x, self.names, self.tr, self.path = x, names, tr, path


def read_series(data, tr=None, names=None, what="data"):
    """Series from a table file (read by the library: TSV/CSV, TR from its
    sidecar), a pandas DataFrame, or an array (volumes x regions)."""
    if vol.is_path(data):
        path = os.fspath(data)
        with Owned("bract_tseries *", lib.bract_tseries_free) as ts:
            check(lib.bract_tseries_read(cstr(path), float(tr or 0), ts.pp))
            t = ts.p
            # region-major as the library keeps it; x is its transpose (a view),
            # which the stages below hand back to the library without a copy
            x = copy_array(t.x, t.nt * t.nreg).reshape(t.nreg, t.nt).T
            nm = [pystr(t.name[i]) for i in range(t.nreg)]
            return Series(x, nm, t.tr, path)
    if hasattr(data, "columns") and hasattr(data, "to_numpy"):
        names = [str(c) for c in data.columns] if names is None else names
        data = data.to_numpy(dtype=np.float64)
    x = np.asarray(data, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        fail("%s: expected volumes x regions (2-D), got shape %s" % (what, x.shape))
    if names is None:
        names = ["r%d" % (i + 1) for i in range(x.shape[1])]
    names = [str(n) for n in names]
    if len(names) != x.shape[1]:
        fail("%s: %d names for %d regions" % (what, len(names), x.shape[1]))
    return Series(x, names, float(tr or 0))


def _is_volume(data):
    if vol.is_path(data):
        p = os.fspath(data)
        return p.endswith(".nii") or p.endswith(".nii.gz")
    if vol.is_image(data):
        return True
    return hasattr(data, "ndim") and data.ndim == 4


# ---- bract.clean ----

def clean(data, confounds=None, tr=None, detrend=1, high_pass=None, low_pass=None,
          filter_order=5, standardize="zscore", standardize_confounds=True, keep_mean=False,
          censor=None, extrapolate=False, runs=None, mask=None, confound_columns=None,
          names=None, as_image=None, threads=None):
    """Clean time series as nilearn.signal.clean, as `bract clean`:
    censoring (spline-filled before filtering), detrending, Butterworth
    filtering of signals and confounds, confound regression,
    standardisation, each run separately.

    data: region series (an array of volumes x regions, a DataFrame, or a
        TSV/CSV file, its TR from the sidecar), or a 4-D series (NIfTI file,
        nibabel image or array x, y, z, volumes) cleaned voxel by voxel
        within `mask` (default: the voxels not all 0).
    confounds: regressors, one row per volume: an array, a DataFrame, or a
        TSV (fMRIPrep's; leading n/a filled), its columns chosen by
        confound_columns (names or shell patterns such as "trans_*").
    tr: repetition time in seconds (needed to filter; a file's own is used
        when not given).
    detrend: polynomial order removed (0 the mean, 1 linear as nilearn, None
        or "none": no detrending).
    high_pass, low_pass: Butterworth cut-offs in Hz; filter_order [5].
    standardize: "zscore" (ddof 1), "zscore-population", "psc" or "none";
        standardize_confounds=False divides confounds by their largest
        absolute value instead; keep_mean adds the mean back (standardize
        "none").
    censor: 0-based volumes to censor; extrapolate: spline-fill censored
        volumes at run ends instead of dropping them.
    runs: run lengths in volumes (consecutive runs summing to the volumes).
    Returns the cleaned series in the input's form (array, DataFrame, or
    for volumes a nibabel image / array, float32), the censored volumes
    left out.
    """
    o = ffi.new("bract_clean_opts *")
    lib.bract_clean_opts_defaults(o)
    if detrend is None or str(detrend) == "none":
        o.detrend = -1
    else:
        d = ffi.new("int *")
        check(lib.bract_clean_detrend_parse(cstr(str(detrend)), d))
        o.detrend = d[0]
    if high_pass is not None:
        if not high_pass > 0:
            fail("high_pass must be a positive frequency in Hz")
        o.high_pass = float(high_pass)
    if low_pass is not None:
        if not low_pass > 0:
            fail("low_pass must be a positive frequency in Hz")
        o.low_pass = float(low_pass)
    if o.low_pass > 0 and o.high_pass > 0 and o.high_pass >= o.low_pass:
        fail("high_pass (%g Hz) must be below low_pass (%g Hz)" % (o.high_pass, o.low_pass))
    o.filter_order = int(filter_order)
    o.standardize = parse_enum(lib.bract_clean_standardize_parse, "bract_clean_standardize",
                               standardize if standardize is not None else "none",
                               "standardisation")
    o.standardize_confounds = int(bool(standardize_confounds))
    o.keep_mean = int(bool(keep_mean))
    if keep_mean and o.standardize != lib.BRACT_STANDARDIZE_NONE:
        fail("keep_mean applies to standardize='none'")
    o.extrapolate = int(bool(extrapolate))
    if confound_columns is not None and not vol.is_path(confounds):
        fail("confound_columns applies to a confounds file")
    with threads_for(threads):
        if _is_volume(data):
            return _clean_volume(data, o, tr, confounds, confound_columns, censor, runs, mask,
                                 as_image)
        if mask is not None:
            fail("mask applies to 4-D data")
        s = read_series(data, tr, names)
        o.tr = s.tr
        with _Plan(o, s.x.shape[0], confounds, confound_columns, censor, runs, s.path) as plan:
            y = _clean_table(plan.p, s)
    if hasattr(data, "columns") and hasattr(data, "to_numpy"):
        import pandas as pd
        return pd.DataFrame(y, columns=s.names)
    return y


class _Plan(Owned):
    """A cleaning plan for nt volumes: confounds, censoring, runs."""

    def __init__(self, o, nt, confounds, columns, censor, runs, data_name):
        super().__init__("bract_clean_plan *", lib.bract_clean_plan_free)
        if (o.low_pass > 0 or o.high_pass > 0) and not o.tr > 0:
            fail("filtering needs the repetition time: give tr=SECONDS")
        keep = None
        if censor is not None:
            keep = np.ones(nt, dtype=np.uint8)
            idx = np.asarray(list(censor), dtype=np.int64)
            if idx.size and (idx.min() < 0 or idx.max() >= nt):
                fail("censor: volume %d is beyond the %d volumes (numbered from 0)"
                     % (idx.max() if idx.max() >= nt else idx.min(), nt))
            keep[idx] = 0
        rl = None
        if runs is not None:
            rl = np.asarray(list(runs), dtype=np.uintp)
            if rl.size == 0 or (rl == 0).any():
                fail("runs: positive run lengths are needed, such as [121, 121]")
        conf, nconf = None, 0
        if confounds is not None:
            conf = self._confounds(confounds, columns, nt, data_name)
            nconf = conf.shape[0]
        self.keep, self.rl, self.conf = keep, rl, conf
        check(lib.bract_clean_plan_new(
            o, nt, ffi.cast("size_t *", ffi.from_buffer(rl)) if rl is not None else ffi.NULL,
            0 if rl is None else len(rl), dptr(conf) if conf is not None else ffi.NULL, nconf,
            ffi.cast("unsigned char *", ffi.from_buffer(keep)) if keep is not None else ffi.NULL,
            self.pp))

    @staticmethod
    def _confounds(confounds, columns, nt, data_name):
        """Confound columns, one row each (C-contiguous ncols x nt)."""
        if vol.is_path(confounds):
            path = os.fspath(confounds)
            if isinstance(columns, str):
                columns = columns.split(",")
            pats = StrArray(list(columns or []))
            x, nrows, ncols = ffi.new("double **"), ffi.new("size_t *"), ffi.new("size_t *")
            names, nfilled = ffi.new("char ***"), ffi.new("size_t *")
            check(lib.bract_clean_confounds_read(cstr(path), pats.ptr, pats.n, x, nrows, ncols,
                                                 names, nfilled))
            try:
                c = copy_array(x[0], nrows[0] * ncols[0]).reshape(ncols[0], nrows[0])
            finally:
                lib.bract_clean_confounds_free(x[0], names[0], ncols[0])
            rows = nrows[0]
        else:
            if hasattr(confounds, "to_numpy"):
                confounds = confounds.to_numpy(dtype=np.float64)
            a = np.asarray(confounds, dtype=np.float64)
            if a.ndim == 1:
                a = a[:, None]
            rows = a.shape[0]
            c = np.ascontiguousarray(a.T)
            path = "confounds"
        if rows != nt:
            fail("%s has %d rows but %s has %d volumes (the confounds need one row per volume)"
                 % (path, rows, data_name or "the data", nt))
        return c


def _clean_table(plan, s):
    nt, nreg = s.x.shape
    with Owned("bract_tseries *", lib.bract_tseries_free) as ts:
        check(lib.bract_tseries_new(nt, nreg, ts.pp))
        t = ts.p
        xin = np.ascontiguousarray(s.x.T)
        ffi.memmove(t.x, ffi.from_buffer(xin), xin.nbytes)
        for i, name in enumerate(s.names):
            lib.free(t.name[i])
            t.name[i] = lib.strdup(cstr(name))
            if t.name[i] == ffi.NULL:
                fail("out of memory", -2)
        t.tr = s.tr
        cnt = ffi.new("bract_clean_counts *")
        check(lib.bract_clean_tseries(plan, t, cnt))
        return np.ascontiguousarray(copy_array(t.x, t.nt * nreg).reshape(nreg, t.nt).T)


class _BorrowedVolume(Owned):
    """A bract_volume whose voxel data are a numpy array's memory (float32
    or float64, x fastest, volume after volume: Fortran order), without a
    copy: the library's own buffer is put back before it is freed."""

    def __init__(self, arr, affine, vox, tr):
        super().__init__("bract_volume *", self._free)
        if arr.dtype not in (np.float32, np.float64):
            arr = arr.astype(np.float64, order="F")
        self.arr = np.asfortranarray(arr)
        dims = ffi.new("int64_t[4]", list(self.arr.shape[:3]) + [1])
        voxmm = ffi.new("double[3]", [float(v) for v in vox])
        a = ffi.new("double[4][4]", [list(map(float, row)) for row in affine])
        storage = lib.BRACT_F32 if self.arr.dtype == np.float32 else lib.BRACT_F64
        check(lib.bract_volume_new(dims, voxmm, a, float(tr or 0), storage, self.pp))
        v = self.pp[0]
        self.own_data = v.data
        v.data = ffi.cast("void *", ffi.from_buffer(self.arr.T))  # .T: C-ordered, same memory
        v.nt = self.arr.shape[3] if self.arr.ndim == 4 else 1
        v.ndim = 4 if v.nt > 1 else 3

    def _free(self, v):
        v.data = self.own_data
        lib.bract_volume_free(v)


def _clean_volume(data, o, tr, confounds, columns, censor, runs, mask, as_image):
    if vol.is_path(data):
        path = os.fspath(data)
        v = Owned("bract_volume *", lib.bract_volume_free)
        check(lib.bract_volume_read(cstr(path), 0x2, v.pp))  # BRACT_VOL_FLOAT32, as the CLI
        affine = np.array([[v.p.affine[i][j] for j in range(4)] for i in range(4)])
        tr_file = v.p.tr
    else:
        path = None
        if vol.is_image(data):
            arr = np.asanyarray(data.dataobj)
            if data.dataobj.slope not in (None, 1) or data.dataobj.inter not in (None, 0) or \
                    arr.dtype not in (np.float32, np.float64):
                arr = vol.image_array(data)
            affine = np.asarray(data.affine, dtype=np.float64)
            vox = data.header.get_zooms()[:3]
            tr_file = float(data.header.get_zooms()[3]) if len(data.header.get_zooms()) > 3 \
                else 0.0
        else:
            arr = np.asarray(data)
            affine, vox, tr_file = np.eye(4), (1.0, 1.0, 1.0), 0.0
        v = _BorrowedVolume(arr, affine, vox, tr_file)
    with v:
        nt = int(v.p.nt)
        if nt < 2:
            fail("cleaning needs a 4-D series")
        o.tr = float(tr) if tr else tr_file
        grid = vol.Grid(mask, affine) if mask is not None else None
        try:
            with _Plan(o, nt, confounds, columns, censor, runs, path) as plan, \
                    Owned("bract_volume *", lib.bract_volume_free) as out:
                cnt, ncl = ffi.new("bract_clean_counts *"), ffi.new("size_t *")
                check(lib.bract_clean_volume(plan.p, v.p, grid.mask if grid else ffi.NULL,
                                             out.pp, cnt, ncl, ffi.NULL))
                y = _adopt_volume(out)
        finally:
            if grid:
                grid.close()
    if as_image is None:
        as_image = vol.have_nibabel()
    if not as_image:
        return y
    import nibabel as nib
    img = nib.Nifti1Image(y, affine)
    img.header.set_xyzt_units("mm", "sec")
    zooms = list(img.header.get_zooms()[:3]) + [o.tr]
    img.header.set_zooms(zooms)
    return img


def _adopt_volume(owned):
    """The float32 data of a volume the library made, as a numpy array over
    its own memory (no copy): the volume is freed when the array goes."""
    v = owned.pp[0]
    owned.pp[0] = ffi.NULL
    shape = (int(v.nx), int(v.ny), int(v.nz), int(v.nt))
    n = v.nvox * v.nt
    data = ffi.gc(ffi.cast("float *", v.data), lambda _p, v=v: lib.bract_volume_free(v))
    return np.frombuffer(ffi.buffer(data, n * 4), dtype=np.float32).reshape(shape, order="F")


# ---- bract.dfc ----

def _span(value, tr, integer, what):
    """A length in volumes from a number of volumes or "60s" (seconds)."""
    if isinstance(value, str) and value.endswith("s"):
        sec = float(value[:-1])
        if not sec > 0:
            fail("%s: expected a positive number of volumes or seconds, not %r" % (what, value))
        if not tr > 0:
            fail("lengths in seconds need the repetition time: give tr=SECONDS")
        return sec / tr, True
    v = float(value)
    if not v > 0:
        fail("%s: expected a positive number of volumes or seconds, not %r" % (what, value))
    if integer and v != math.floor(v):
        fail("a length in volumes must be a whole number (got %s; add 's' for seconds)" % value)
    return v, False


class DFC:
    """What dfc() computed, per the CLI's output files.

    windows: float32, all windows x pairs (condensed order of `regions`),
        subjects one after another (windows.npy); window_subject,
        window_number (1-based within the subject), first_volume,
        last_volume (1-based, inclusive), centre_s, window_mean, window_sd
        (window_info.tsv).
    edge_mean, edge_std: subjects x pairs (edge_mean.tsv, edge_std.tsv);
        strength_mean, strength_std, edge_std_mean: subjects x regions
        (regions.tsv); fc_variance: per subject (summary.tsv).
    regions, excluded: the region names kept and left out; subjects.
    With states: centroids (K x pairs), state (per window, 1-based as
        state_sequence.tsv), distance (to its centroid), and per subject
        fraction, mean_dwell (windows), mean_dwell_s, transitions and
        transition_matrix (subjects x K x K) (state_summary.tsv).
    With elbow: elbow_k_values, elbow_objective, elbow_ratio,
        elbow_breakpoint and elbow_k, the suggested number of states
        (elbow.tsv).
    """


def dfc(data, window, step=1, taper="rect", sigma=None, alpha=None, estimator="pearson",
        lam=None, fisher=False, states=None, elbow=None, distance="l2", restarts=10,
        max_iter=300, seed=1, tr=None, names=None, subjects=None, threads=None):
    """Sliding-window dynamic functional connectivity and its recurring
    states, as `bract dfc`.

    data: region series (volumes x regions: an array, a DataFrame or a
        TSV file) or a list of them, one per subject (same regions).
    window, step: lengths in volumes, or strings such as "60s" (seconds,
        with the TR); taper "rect", "gaussian" (sigma) or "gift" (alpha).
    estimator: "pearson", "ledoit-wolf", "glasso" or "glasso-partial"
        (lam: the graphical-lasso penalty); fisher: Fisher z.
    states: K for k-means states over all windows (distance "l2" or "l1",
        restarts, max_iter, seed); elbow: (kmin, kmax), k-means for each k
        and GIFT's elbow of the validity ratio (elbow.tsv).
    A region with a non-finite value or no variance in any subject is
        left out of all (with a warning).
    Returns a DFC with the CLI's numbers (windows as windows.npy).
    """
    if not isinstance(data, (list, tuple)):
        data = [data]
    subs = [read_series(d, tr, names) for d in data]
    if not subs:
        fail("no data")
    for s in subs[1:]:
        if s.names != subs[0].names:
            fail("the subjects have different regions (expected the same columns in the same "
                 "order)")
    tr0 = subs[0].tr
    for s in subs[1:]:
        if abs(s.tr - tr0) > 1e-9 * tr0:
            fail("subjects with different TRs (%g and %g s)" % (s.tr, tr0))
    p = ffi.new("bract_dfc_opts *")
    lib.bract_dfc_opts_defaults(p)
    p.window_type = parse_enum(lib.bract_dfc_window_parse, "bract_dfc_window", taper, "taper")
    p.estimator = parse_enum(lib.bract_dfc_estimator_parse, "bract_dfc_estimator", estimator,
                             "connectivity estimator")
    p.fisher = int(bool(fisher))
    L, lsec = _span(window, tr0, True, "window")
    if not lsec and L < 3:
        fail("window must be at least 3 volumes (got %g)" % L)
    p.window = int(math.floor(L + 0.5))
    if lsec and abs(L - p.window) > 1e-6:
        warnings.warn("a window of %s is %g volumes at TR %g s: using %d volumes"
                      % (window, L, tr0, p.window), BractWarning, stacklevel=2)
    sv, ssec = _span(step, tr0, True, "step")
    p.step = max(1, int(math.floor(sv + 0.5)))
    glasso = p.estimator in (lib.BRACT_FC_GLASSO, lib.BRACT_FC_GLASSO_PARTIAL)
    if glasso != (lam is not None):
        fail("lam (the graphical-lasso penalty) goes with the glasso estimators")
    setattr(p, "lambda", float(lam) if lam is not None else float("nan"))
    if (p.window_type == lib.BRACT_WINDOW_GAUSSIAN) != (sigma is not None):
        fail("sigma goes with taper='gaussian' (and it needs one)")
    if sigma is not None:
        p.sigma = _span(sigma, tr0, False, "sigma")[0]
    if alpha is not None:
        if p.window_type != lib.BRACT_WINDOW_GIFT:
            fail("alpha applies to taper='gift'")
        p.alpha = _span(alpha, tr0, False, "alpha")[0]
    if subjects is None:
        subjects = ["sub-%02d" % (i + 1) for i in range(len(subs))] if len(subs) > 1 else \
            ["sub-01"]
    with threads_for(threads):
        return _dfc_run(subs, p, tr0, states, elbow, distance, restarts, max_iter, seed,
                        subjects)


def _dfc_run(subs, p, tr, k, elbow, distance, restarts, max_iter, seed, subjects):
    nall = len(subs[0].names)
    bad = np.zeros(nall, dtype=np.uint8)
    for s in subs:
        b1 = np.zeros(nall, dtype=np.uint8)
        xr = np.ascontiguousarray(s.x.T)
        nm = StrArray(s.names)
        lib.bract_dfc_bad_regions(dptr(xr), s.x.shape[0], nall, nm.ptr,
                                  ffi.cast("unsigned char *", ffi.from_buffer(b1)))
        from ._lib import take_warnings
        take_warnings(stacklevel=4)
        bad |= b1
    keep = np.flatnonzero(bad == 0)
    if len(keep) < 2:
        fail("%d usable region%s (of %d): connectivity needs at least 2"
             % (len(keep), "" if len(keep) == 1 else "s", nall))
    names = [subs[0].names[i] for i in keep]
    nreg = len(keep)
    npairs = nreg * (nreg - 1) // 2
    plans, xs, total = [], [], 0
    nm = StrArray(names)
    try:
        for s in subs:
            x = np.ascontiguousarray(s.x[:, keep].T)
            pl = Owned("bract_dfc_plan *", lib.bract_dfc_plan_free)
            plans.append(pl)
            check(lib.bract_dfc_plan_new(s.x.shape[0], nreg, p, pl.pp), s.path)
            xs.append(x)
            total += lib.bract_dfc_nwindows(pl.p)
        if k and k > total:
            fail("states=%d but only %d windows" % (k, total))
        if elbow is not None:
            kmin, kmax = (int(v) for v in elbow)
            if not 1 <= kmin < kmax <= 100:
                fail("elbow: expected (kmin, kmax) with 1 <= kmin < kmax <= 100")
            if kmax > total:
                fail("elbow up to %d but only %d windows" % (kmax, total))
        r = DFC()
        r.regions, r.subjects = names, list(subjects)
        r.excluded = [subs[0].names[i] for i in np.flatnonzero(bad)]
        r.windows = np.empty((total, npairs), dtype=np.float32)
        ns = len(subs)
        r.edge_mean, r.edge_std = np.empty((ns, npairs)), np.empty((ns, npairs))
        r.strength_mean, r.strength_std = np.empty((ns, nreg)), np.empty((ns, nreg))
        r.edge_std_mean, r.fc_variance = np.empty((ns, nreg)), np.empty(ns)
        info = {c: [] for c in ("subject", "window", "first", "last", "centre", "mean", "sd")}
        row0 = 0
        for si, (s, pl, x) in enumerate(zip(subs, plans, xs)):
            nwin = lib.bract_dfc_nwindows(pl.p)
            wmean, wsd = np.empty(nwin), np.empty(nwin)
            with Owned("bract_dfc_stats *", lib.bract_dfc_stats_free) as st:
                check(lib.bract_dfc_stats_new(nreg, st.pp))
                wm, ws = dptr(wmean), dptr(wsd)
                win = r.windows

                @ffi.callback("int(void *, size_t, const double *)")
                def sink(ctx, kk, fc, row0=row0, st=st.p, wm=wm, ws=ws):
                    lib.bract_dfc_stats_add(st, fc, wm + kk, ws + kk)
                    win[row0 + kk] = np.frombuffer(ffi.buffer(fc, npairs * 8), dtype=np.float64)
                    return 0

                check(lib.bract_dfc_run(pl.p, dptr(x), nm.ptr, sink, ffi.NULL, ffi.NULL), s.path)
                r.fc_variance[si] = lib.bract_dfc_stats_result(
                    st.p, dptr(r.edge_mean[si]), dptr(r.edge_std[si]), dptr(r.strength_mean[si]),
                    dptr(r.strength_std[si]), dptr(r.edge_std_mean[si]))
            first, last = ffi.new("size_t *"), ffi.new("size_t *")
            for kk in range(nwin):
                lib.bract_dfc_window_span(pl.p, kk, first, last)
                info["subject"].append(si)
                info["window"].append(kk + 1)
                info["first"].append(first[0] + 1)
                info["last"].append(last[0] + 1)
                info["centre"].append(tr * 0.5 * (first[0] + last[0]) if tr > 0 else np.nan)
            info["mean"].append(wmean)
            info["sd"].append(wsd)
            row0 += nwin
    finally:
        for pl in plans:
            pl.__exit__(None, None, None)
    r.window_subject = np.array(info["subject"], dtype=np.int64)
    r.window_number = np.array(info["window"], dtype=np.int64)
    r.first_volume = np.array(info["first"], dtype=np.int64)
    r.last_volume = np.array(info["last"], dtype=np.int64)
    r.centre_s = np.array(info["centre"], dtype=np.float64)
    r.window_mean, r.window_sd = np.concatenate(info["mean"]), np.concatenate(info["sd"])
    r.pairs = [(names[i], names[j]) for i in range(nreg) for j in range(i + 1, nreg)]
    kp = ffi.new("bract_kmeans_opts *")
    lib.bract_kmeans_opts_defaults(kp)
    kp.distance = parse_enum(lib.bract_kmeans_metric_parse, "bract_kmeans_metric", distance,
                             "k-means distance")
    kp.restarts, kp.max_iter, kp.seed = int(restarts), int(max_iter), int(seed)
    if elbow is not None:
        _elbow(r, kp, elbow)
    if k:
        _states(r, k, kp, p.step, tr)
    return r


def _elbow(r, kp, elbow):
    """k-means for each k of the range and GIFT's elbow (elbow.tsv)."""
    n, dim = r.windows.shape
    with Owned("bract_kmeans_elbow_result *", lib.bract_kmeans_elbow_result_free) as e:
        check(lib.bract_kmeans_elbow(ffi.cast("float *", ffi.from_buffer(r.windows)), n, dim, kp,
                                     int(elbow[0]), int(elbow[1]), e.pp, ffi.NULL))
        r.elbow_k_values = np.arange(e.p.kmin, e.p.kmax + 1)
        r.elbow_objective = copy_array(e.p.objective, e.p.m)
        r.elbow_ratio = copy_array(e.p.ratio, e.p.m)
        r.elbow_breakpoint, r.elbow_k = e.p.breakpoint, int(e.p.k)
    if np.isnan(r.elbow_breakpoint):
        warnings.warn("elbow %d-%d: the elbow needs at least 4 values of k from 2 up; none is "
                      "suggested" % tuple(elbow), BractWarning, stacklevel=4)


def _states(r, k, kp, step, tr):
    kp.k = int(k)
    n, dim = r.windows.shape
    with Owned("bract_kmeans_result *", lib.bract_kmeans_result_free) as km:
        check(lib.bract_kmeans(ffi.cast("float *", ffi.from_buffer(r.windows)), n, dim, kp,
                               km.pp, ffi.NULL))
        if not km.p.converged:
            warnings.warn("k-means did not converge in %d iterations (max_iter)" % kp.max_iter,
                          BractWarning, stacklevel=4)
        r.centroids = copy_array(km.p.centroid, k * dim).reshape(k, dim)
        labels = copy_array(km.p.label, n, np.uintp)
        r.distance = copy_array(km.p.dist, n)
    r.state = labels.astype(np.int64) + 1
    ns = len(r.subjects)
    r.fraction, r.mean_dwell = np.empty((ns, k)), np.empty((ns, k))
    r.transitions = np.empty(ns, dtype=np.int64)
    r.transition_matrix = np.empty((ns, k, k))
    tn = ffi.new("size_t *")
    for si in range(ns):
        lab = np.ascontiguousarray(labels[r.window_subject == si])
        check(lib.bract_states_stats(ffi.cast("size_t *", ffi.from_buffer(lab)), len(lab), k,
                                     dptr(r.fraction[si]), dptr(r.mean_dwell[si]), tn,
                                     dptr(r.transition_matrix[si])))
        r.transitions[si] = tn[0]
    r.mean_dwell_s = r.mean_dwell * step * tr if tr > 0 else np.full((ns, k), np.nan)


# ---- bract.timescale ----

def timescale(data, tr=None, method="exp", max_lag=None, min_lag=1, adjusted=False,
              welch_segment=None, knee_exponent=None, plain_frequency=False, knee_fmax=None,
              bootstrap=None, bias_correct=False, bootstrap_offset=False, seed=1, names=None,
              mask=None, acf=False, as_image=None, threads=None):
    """The intrinsic timescale (seconds) of each region or voxel from the
    decay of its autocorrelation, as `bract timescale`.

    data: region series (volumes x regions: an array, a DataFrame or a
        TSV file, its TR from the sidecar), or a 4-D series (NIfTI file,
        nibabel image or array) within `mask` (default: every voxel whose
        series varies).
    method: "exp", "exp-offset-free", "integral", "e-fold", "ar1", "knee".
    max_lag [min(10 log10 T, T - 1)], min_lag [1], adjusted (statsmodels'
        adjusted ACF), welch_segment, knee_exponent, plain_frequency,
        knee_fmax: as the CLI's options.
    bootstrap: simulated series per region for a standard error [0; 200
        with bias_correct]; bias_correct; bootstrap_offset; seed.
    acf: also return the ACF (lags 0..max_lag) of each series.
    Returns a Table with the CLI's columns (region, tau_s, se_s, r2, rmse,
    rho1, flags, ...), or for 4-D data a dict of maps ("tau_s", "r2",
    "flags" and with bootstrap "se_s"); with acf=True a pair (result, acf).
    """
    o = ffi.new("bract_timescale_opts *")
    lib.bract_timescale_opts_defaults(o)
    o.method = parse_enum(lib.bract_timescale_method_parse, "bract_timescale_method", method,
                          "timescale method")
    o.acf_norm = lib.BRACT_ACF_ADJUSTED if adjusted else lib.BRACT_ACF_BIASED
    o.max_lag = int(max_lag or 0)
    o.min_lag = int(min_lag)
    o.welch_segment = int(welch_segment or 0)
    o.knee_exponent = float(knee_exponent or 0)
    o.knee_plain_axis = int(bool(plain_frequency))
    o.knee_fmax = float(knee_fmax or 0)
    if bootstrap_offset and o.method != lib.BRACT_TAU_EXP:
        fail("bootstrap_offset applies to method='exp'")
    o.bootstrap = int(bootstrap) if bootstrap is not None else (200 if bias_correct else 0)
    o.bias_correct = int(bool(bias_correct))
    if bias_correct and o.bootstrap < 2:
        fail("bias_correct needs bootstrap of at least 2")
    o.boot_offset = int(bool(bootstrap_offset))
    if bootstrap_offset and o.bootstrap == 0:
        fail("bootstrap_offset needs bootstrap or bias_correct")
    o.seed = int(seed)
    with threads_for(threads):
        if _is_volume(data):
            return _timescale_volume(data, o, tr, mask, acf, as_image)
        if mask is not None:
            fail("mask applies to 4-D data")
        s = read_series(data, tr, names)
        if not s.tr > 0:
            fail("the repetition time is unknown: give tr=SECONDS")
        o.tr = s.tr
        res, a = _tau_run(o, s.x, s.path)
        table = _tau_table(o, res, s.names)
    return (table, a) if acf else table


def _tau_run(o, x, path):
    """Results (a cdata array) and ACFs of the columns of x (volumes x n)."""
    nt, n = x.shape
    xr = np.ascontiguousarray(x.T)
    base = dptr(xr)
    nbytes = nt * 8

    @ffi.callback("void(void *, size_t, double *)")
    def get(ctx, i, out):
        ffi.memmove(out, base + i * nt, nbytes)

    with Owned("bract_timescale_plan *", lib.bract_timescale_plan_free) as plan:
        rc = lib.bract_timescale_plan_new(nt, o, plan.pp)
        check(rc, path if path else None)
        L1 = lib.bract_timescale_plan_opts(plan.p).max_lag + 1
        res = ffi.new("bract_timescale_result[]", max(n, 1))
        acf = np.empty((n, L1))
        check(lib.bract_timescale_run(plan.p, n, get, ffi.NULL, res, dptr(acf), ffi.NULL))
        o[0] = lib.bract_timescale_plan_opts(plan.p)[0]
    return res, acf


def _tau_table(o, res, names):
    n = len(names)
    cols = {"region": list(names)}
    order = ["region", "tau_s", "se_s", "r2", "rmse", "rho1", "flags"]
    for c in ("tau_s", "se_s", "r2", "rmse", "rho1"):
        cols[c] = [getattr(res[i], c) for i in range(n)]
    buf = ffi.new("char[128]")
    cols["flags"] = [pystr(lib.bract_timescale_flags_string(res[i].flags, buf, 128))
                     for i in range(n)]
    cols["flag_bits"] = [int(res[i].flags) for i in range(n)]
    extra = []
    if o.bias_correct:
        cols["tau_uncorrected_s"] = [res[i].tau_raw_s for i in range(n)]
        cols["bias_s"] = [res[i].bias_s for i in range(n)]
        extra += ["tau_uncorrected_s", "bias_s"]
    if o.bootstrap > 0:
        cols["boot_ok"] = [int(res[i].boot_ok) for i in range(n)]
        extra.append("boot_ok")
    if o.method == lib.BRACT_TAU_EXP:
        extra += ["amplitude", "offset"]
    elif o.method == lib.BRACT_TAU_EXP_OFFSET_FREE:
        extra += ["amplitude"]
    elif o.method == lib.BRACT_TAU_INTEGRAL:
        cols["lags_summed"] = [float(res[i].lags_summed) if np.isfinite(res[i].tau_s) else np.nan
                               for i in range(n)]
        extra += ["lags_summed"]
    elif o.method == lib.BRACT_TAU_KNEE:
        extra += ["knee_hz", "exponent"]
    for c in ("amplitude", "offset", "knee_hz", "exponent"):
        if c in extra:
            cols[c] = [getattr(res[i], c) for i in range(n)]
    return Table(cols, order + extra + ["flag_bits"])


def _timescale_volume(data, o, tr, mask, want_acf, as_image):
    if vol.is_path(data):
        with Owned("bract_volume *", lib.bract_volume_free) as v:
            check(lib.bract_volume_read(cstr(os.fspath(data)), 0x2, v.pp))  # float32, as the CLI
            p = v.p
            shape = (int(p.nx), int(p.ny), int(p.nz), int(p.nt))
            arr = copy_array(p.data, p.nvox * p.nt, np.float32).reshape(shape, order="F")
            affine = np.array([[p.affine[i][j] for j in range(4)] for i in range(4)])
            hdr_tr = p.tr
    elif vol.is_image(data):
        arr = vol.image_array(data)
        affine = np.asarray(data.affine, dtype=np.float64)
        z = data.header.get_zooms()
        hdr_tr = float(z[3]) if len(z) > 3 else 0.0
    else:
        arr, affine, hdr_tr = np.asarray(data, dtype=np.float64), np.eye(4), 0.0
    if arr.ndim != 4 or arr.shape[3] < 3:
        fail("a 4-D series is needed (of at least 3 volumes)")
    o.tr = float(tr) if tr else hdr_tr
    if not o.tr > 0:
        fail("the repetition time is unknown (the header has none): give tr=SECONDS")
    if mask is not None:
        grid = vol.Grid(mask, affine)
        index = grid.index
    else:
        flat = arr.reshape((-1, arr.shape[3]), order="F")
        varying = ~np.all(flat == flat[:, :1], axis=1) | ~np.all(np.isfinite(flat), axis=1)
        index = np.flatnonzero(varying).astype(np.uintp)
        grid = vol.Grid(np.ones(arr.shape[:3]), affine)
    with grid:
        if len(index) == 0:
            fail("no voxel to estimate")
        x = vol.gather(arr, grid, index)
        res, a = _tau_run(o, x, None)
        n = len(index)
        maps = {"tau_s": [res[i].tau_s for i in range(n)], "r2": [res[i].r2 for i in range(n)],
                "flags": [float(res[i].flags) for i in range(n)]}
        if o.bootstrap > 0:
            maps["se_s"] = [res[i].se_s for i in range(n)]
        out = {k: grid.to_map(np.array(v), index, as_image) for k, v in maps.items()}
    return (out, a) if want_acf else out
