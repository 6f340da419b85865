"""The first-level GLM (bract/glm.h), as `bract glm`: nilearn 0.10.3's
FirstLevelModel, run by run, with the library's designs, fits, trials and
contrasts."""

import os

import numpy as np

from . import _volumes as vol
from ._lib import (Owned, StrArray, check, copy_array, cstr, fail, ffi, fptr, lib, parse_enum,
                   pystr)
from .table import Table
from .threads import threads_for


class GLMResult:
    """What glm() computed, as `bract glm` writes it.

    betas: a 4-D map (nibabel image, else array; float32 as betas.nii.gz,
        0 outside the mask, NaN at voxels left out), one volume per row of
        beta_table (condition, run; with trials also trial and onset: the
        conditions table rdm() and searchlight() take).
    beta_values: mask voxels x betas, float64 (the values before float32).
    residuals: 4-D map of the (whitened for AR(1)) residuals of the kept
        volumes, run after run (None with residuals=False);
        residual_dof: their degrees of freedom summed over runs.
    contrasts: {name: {"effect", "variance", "t" or "F", "z", "p": map}}.
    designs: per run, (column names, matrix rows x columns) as
        design_run-<N>.tsv; dof: per run.
    voxels: the mask's voxels (spatial indices, x fastest).
    """


class _Events(Owned):
    """bract_events from a BIDS events file (read by the library) or from
    columns in memory (onset, duration, trial_type, optional modulation)."""

    def __init__(self, events, what):
        super().__init__("bract_events *", self._free)
        self.owned_by_lib = vol.is_path(events)
        if self.owned_by_lib:
            check(lib.bract_events_read(cstr(os.fspath(events)), ffi.NULL, self.pp))
            if self.pp[0].n == 0:
                fail("%s: no events" % os.fspath(events), -5)
            return
        cols = events
        if hasattr(events, "to_dict") and hasattr(events, "columns"):
            cols = {c: list(events[c]) for c in events.columns}
        try:
            onset = [float(v) for v in cols["onset"]]
            label = list(cols["trial_type"])
        except (KeyError, TypeError):
            fail("%s: events need onset and trial_type columns (a DataFrame, a dict of columns "
                 "or a BIDS events.tsv)" % what)
        dur = [0.0 if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)
               for v in cols.get("duration", [0.0] * len(onset))]
        mod = [float(v) for v in cols.get("modulation", [1.0] * len(onset))]
        keep = [i for i in range(len(onset)) if label[i] is not None and
                str(label[i]) not in ("", "n/a") and
                not (isinstance(label[i], float) and np.isnan(label[i]))]
        if not keep:
            fail("%s: no events" % what, -5)
        self.labels = [ffi.new("char[]", cstr(str(label[i]))) for i in keep]
        self.arr = ffi.new("bract_event[]", len(keep))
        for j, i in enumerate(keep):
            e = self.arr[j]
            e.onset, e.duration, e.label = onset[i], dur[i], self.labels[j]
            e.line, e.modulation = i + 2, mod[i]
        self.name = ffi.new("char[]", cstr(what))
        self.keepalive = ffi.new("bract_events *", {"path": self.name, "n": len(keep),
                                                    "ev": self.arr,
                                                    "nskipped": len(onset) - len(keep)})
        self.pp[0] = self.keepalive

    def _free(self, p):
        if self.owned_by_lib:
            lib.bract_events_free(p)


class _Confounds(Owned):
    """bract_nuisance from an fMRIPrep confounds file (columns or strategies,
    read by the library) or a matrix in memory (volumes x columns, used as
    given: no filling, no demeaning, nothing censored)."""

    def __init__(self, confounds, nopts, what):
        super().__init__("bract_nuisance *", self._free)
        self.owned_by_lib = vol.is_path(confounds)
        if self.owned_by_lib:
            if not nopts.ncolumns and not nopts.nstrategies:
                fail("%s: confounds need columns (names or globs) or a strategy"
                     % os.fspath(confounds))
            check(lib.bract_nuisance_new(cstr(os.fspath(confounds)), nopts, self.pp))
            return
        names = None
        if hasattr(confounds, "columns") and hasattr(confounds, "to_numpy"):
            names = [str(c) for c in confounds.columns]
            confounds = confounds.to_numpy(dtype=np.float64)
        x = np.asarray(confounds, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        self.x = np.ascontiguousarray(x)
        n, k = self.x.shape
        names = names or ["confound_%d" % (i + 1) for i in range(k)]
        self.names = StrArray(names)
        self.keep = np.ones(n, dtype=np.uint8)
        self.name = ffi.new("char[]", cstr(what))
        self.keepalive = ffi.new("bract_nuisance *", {
            "path": self.name, "nrows": n, "ncols": k,
            "name": ffi.cast("char **", self.names.ptr),
            "x": ffi.cast("double *", ffi.from_buffer(self.x)),
            "keep": ffi.cast("unsigned char *", ffi.from_buffer(self.keep)), "nkept": n})
        self.pp[0] = self.keepalive

    def _free(self, p):
        if self.owned_by_lib:
            lib.bract_nuisance_free(p)


def _per_run(x, nruns, what):
    if x is None:
        return [None] * nruns
    if isinstance(x, (list, tuple)):
        if len(x) != nruns:
            fail("%d %s for %d runs: one per run, in the same order" % (len(x), what, nruns))
        return list(x)
    if nruns != 1:
        fail("%d runs but one %s: give one per run" % (nruns, what))
    return [x]


def glm(data, events, mask, confounds=None, tr=None, hrf="glover", fir_delays=None,
        drift="cosine", high_pass=0.01, drift_order=1, slice_time_ref=0.0, noise="ar1",
        ar_bins=100, trials="none", contrasts=None, f_contrasts=None, confound_columns=None,
        confound_strategy=None, fd_threshold=None, std_dvars_threshold=None, residuals=True,
        affine=None, as_image=None, threads=None):
    """The first-level GLM of one subject's runs, as `bract glm` (nilearn
    0.10.3's FirstLevelModel, number for number).

    data: one run or a list of runs: 4-D NIfTI files (streamed by the
        library, as the CLI), nibabel images or arrays (x, y, z, volumes).
    events: one per run: a BIDS events.tsv, a DataFrame or a dict of
        columns (onset, duration, trial_type, optional modulation).
    mask: the voxels to fit (a file, an image, or a 3-D array with affine).
    confounds: one per run: an fMRIPrep confounds file (with
        confound_columns, names or globs such as "trans_*", and/or
        confound_strategy: motion6, motion24, wm_csf, global, acompcor,
        scrub; fd_threshold, std_dvars_threshold for scrub), or a matrix in
        memory (volumes x columns, used as given).
    tr: repetition time [the file's header; an image's pixdim[4]].
    hrf: glover, spm, glover+derivative, spm+derivative,
        glover+derivative+dispersion, spm+derivative+dispersion, fir
        (fir_delays in volumes); drift: cosine (high_pass Hz), polynomial
        (drift_order), none; slice_time_ref: fraction of the TR.
    noise: "ar1" (ar_bins) or "ols"; trials: "none" (a beta per condition
        per run), "lsa" or "lss" (a beta per trial).
    contrasts: {name: expression} t contrasts (e.g. "face-house");
        f_contrasts: {name: [expression, ...]} F contrasts.
    residuals: keep the residuals.
    Returns a GLMResult.
    """
    runs = list(data) if isinstance(data, (list, tuple)) else [data]
    nruns = len(runs)
    evs = _per_run(events, nruns, "events")
    confs = _per_run(confounds, nruns, "confounds")
    dopts = ffi.new("bract_glm_design_opts *")
    lib.bract_glm_design_opts_defaults(dopts)
    dopts.hrf.model = parse_enum(lib.bract_hrf_model_parse, "bract_hrf_model", hrf, "HRF model")
    delays = ffi.new("int[]", [int(v) for v in (fir_delays or [0])])
    if fir_delays is not None:
        dopts.hrf.fir_delays, dopts.hrf.nfir = delays, len(fir_delays)
    dopts.drift = parse_enum(lib.bract_glm_drift_parse, "bract_glm_drift", drift, "drift model")
    dopts.high_pass, dopts.drift_order = float(high_pass), int(drift_order)
    dopts.slice_time_ref = float(slice_time_ref)
    fopts = ffi.new("bract_glm_fit_opts *")
    lib.bract_glm_fit_opts_defaults(fopts)
    fopts.noise = parse_enum(lib.bract_glm_noise_parse, "bract_glm_noise", noise, "noise model")
    fopts.ar_bins = int(ar_bins)
    fopts.keep_residuals = int(bool(residuals))
    tmode = parse_enum(lib.bract_glm_trials_parse, "bract_glm_trials", trials, "trials model")
    if tmode == lib.BRACT_GLM_TRIALS_LSS and lib.bract_hrf_nbasis(dopts.hrf.model,
                                                                  dopts.hrf.nfir) != 1:
        fail("LSS needs one regressor per condition (glover, spm, or fir with one delay), not %s"
             % hrf)
    nopts = ffi.new("bract_nuisance_opts *")
    lib.bract_nuisance_opts_defaults(nopts)
    cols = confound_columns.split(",") if isinstance(confound_columns, str) else \
        list(confound_columns or [])
    colv = StrArray(cols)
    nopts.columns, nopts.ncolumns = colv.ptr, colv.n
    strats = confound_strategy.split(",") if isinstance(confound_strategy, str) else \
        list(confound_strategy or [])
    sv = ffi.new("bract_nuisance_strategy[]", [
        parse_enum(lib.bract_nuisance_strategy_parse, "bract_nuisance_strategy", s, "strategy")
        for s in strats] or [0])
    nopts.strategies, nopts.nstrategies = sv, len(strats)
    if fd_threshold is not None:
        nopts.fd_threshold = float(fd_threshold)
    if std_dvars_threshold is not None:
        nopts.std_dvars_threshold = float(std_dvars_threshold)
    specs = [(str(k), [str(v)], lib.BRACT_GLM_STAT_T) for k, v in (contrasts or {}).items()]
    specs += [(str(k), [str(e) for e in ([v] if isinstance(v, str) else v)], lib.BRACT_GLM_STAT_F)
              for k, v in (f_contrasts or {}).items()]
    names = [s[0] for s in specs]
    if len(set(names)) != len(names):
        fail("a contrast name is given twice")
    with threads_for(threads), vol.Grid(mask, affine) as grid:
        if len(grid.index) == 0:
            fail("the mask is empty", -5)
        return _analyse(runs, evs, confs, grid, tr, dopts, fopts, nopts, tmode, specs,
                        residuals, as_image)


def _load_run(run, grid, tr, r):
    """Voxel-major float32 series of the mask's voxels, volumes, and TR."""
    if vol.is_path(run):
        path = os.fspath(run)
        y, nvol = ffi.new("float **"), ffi.new("size_t *")
        with Owned("bract_volume *", lib.bract_volume_free) as hdr:
            check(lib.bract_glm_load_data(cstr(path), grid.mask, grid.geom, y, nvol, hdr.pp))
            data = ffi.gc(y[0], lib.free)  # the library's buffer, freed with the array
            t = ffi.new("double *")
            check(lib.bract_glm_run_tr(cstr(path), hdr.p.tr, float(tr or 0), t))
        arr = np.frombuffer(ffi.buffer(data, len(grid.index) * nvol[0] * 4), dtype=np.float32)
        return arr.reshape(len(grid.index), nvol[0]), nvol[0], t[0], path
    x = vol.gather(run, grid, grid.index, "run %d" % (r + 1))
    t = float(tr or 0)
    if not t and vol.is_image(run) and len(run.header.get_zooms()) > 3:
        t = float(run.header.get_zooms()[3])
    if not t > 0:
        fail("run %d: the repetition time is unknown: give tr=SECONDS" % (r + 1))
    if x.shape[0] < 2:
        fail("run %d: a run is a 4-D series" % (r + 1))
    return np.ascontiguousarray(x.T, dtype=np.float32), x.shape[0], t, "run %d" % (r + 1)


def _analyse(runs, evs, confs, grid, tr, dopts, fopts, nopts, tmode, specs, keep_res,
             as_image):
    nvox = len(grid.index)
    held = []
    designs, fits, lss, evobjs, trs = [], [], [], [], []
    try:
        for r, run in enumerate(runs):
            y, nvol, t, name = _load_run(run, grid, tr, r)
            if trs and abs(t - trs[0]) > 1e-4:
                fail("%s: TR %g s, but run 1 has %g s: one model needs one TR" % (name, t, trs[0]))
            trs.append(t)
            ev = _Events(evs[r], "events of run %d" % (r + 1))
            held.append(ev)
            evobjs.append(ev)
            conf = None
            if confs[r] is not None:
                conf = _Confounds(confs[r], nopts, "confounds of run %d" % (r + 1))
                held.append(conf)
            model_ev = ev.p
            if tmode == lib.BRACT_GLM_TRIALS_LSA:
                evt = Owned("bract_events *", lib.bract_events_free)
                held.append(evt)
                check(lib.bract_glm_events_trialwise(ev.p, evt.pp))
                model_ev = evt.p
                ev.trialwise = evt.p
            d = Owned("bract_glm_design *", lib.bract_glm_design_free)
            held.append(d)
            check(lib.bract_glm_design_new(model_ev, nvol, t, conf.p if conf else ffi.NULL,
                                           dopts, d.pp), "run %d (%s)" % (r + 1, name))
            f = Owned("bract_glm_fit *", lib.bract_glm_fit_free)
            held.append(f)
            check(lib.bract_glm_fit_new(d.p, fptr(y), nvol, nvox, fopts, ffi.NULL, f.pp),
                  "run %d (%s)" % (r + 1, name))
            betas = None
            if tmode == lib.BRACT_GLM_TRIALS_LSS:
                bp = ffi.new("double **")
                check(lib.bract_glm_lss(ev.p, nvol, t, conf.p if conf else ffi.NULL, dopts,
                                        fptr(y), nvol, nvox, fopts, ffi.NULL, bp),
                      "run %d (%s)" % (r + 1, name))
                try:
                    betas = copy_array(bp[0], nvox * ev.p.n).reshape(nvox, ev.p.n)
                finally:
                    lib.free(bp[0])
            designs.append(d.p)
            fits.append(f.p)
            lss.append(betas)
        out = GLMResult()
        out.voxels = grid.index
        _betas(out, designs, fits, lss, evobjs, tmode, dopts, grid, as_image)
        out.contrasts = {}
        ds = ffi.new("const bract_glm_design *[]", designs)
        fs = ffi.new("const bract_glm_fit *[]", fits)
        for cname, exprs, stat in specs:
            ex = StrArray(exprs)
            with Owned("bract_glm_contrast *", lib.bract_glm_contrast_free) as c:
                check(lib.bract_glm_contrast_new(ds, fs, len(designs), ex.ptr, ex.n, stat, c.pp),
                      "contrast %s" % cname)
                out.contrasts[cname] = _contrast_maps(c.p, grid, as_image)
        out.designs = [([pystr(d.name[j]) for j in range(d.ncol)],
                        copy_array(d.x, d.nrow * d.ncol).reshape(d.nrow, d.ncol))
                       for d in designs]
        out.dof = [f.dof for f in fits]
        out.residual_dof = float(sum(out.dof))
        out.residuals = None
        if keep_res:
            parts = [copy_array(f.resid, nvox * f.nrow, np.float32).reshape(nvox, f.nrow)
                     for f in fits]
            out.residuals = grid.to_map(np.hstack(parts), grid.index, as_image, fill=0)
        out.tr = trs[0]
        return out
    finally:
        for h in reversed(held):
            h.__exit__(None, None, None)


def _betas(out, designs, fits, lss, evobjs, tmode, dopts, grid, as_image):
    """One beta volume per condition per run (or per trial), in the CLI's
    order, with its table."""
    trials = tmode != lib.BRACT_GLM_TRIALS_NONE
    fir = dopts.hrf.model == lib.BRACT_HRF_FIR
    vals, cond, run, trial, onset = [], [], [], [], []
    for r, (d, f, b, ev) in enumerate(zip(designs, fits, lss, evobjs)):
        beta = copy_array(f.beta, f.nvox * d.ncol).reshape(f.nvox, d.ncol)
        if trials:
            counts = {}
            for k in range(ev.p.n):
                e = ev.p.ev[k]
                label = pystr(e.label)
                counts[label] = counts.get(label, 0) + 1
                if b is not None:
                    vals.append(b[:, k])
                else:
                    col = lib.bract_glm_design_find(d, ev.trialwise.ev[k].label)
                    vals.append(beta[:, col])
                cond.append(label)
                run.append(str(r + 1))
                trial.append("%s__%03d" % (label, counts[label]))
                onset.append(e.onset)
        else:
            per = d.nbasis if fir else 1
            for c in range(d.ncond):
                for bb in range(per):
                    col = c * d.nbasis + bb
                    vals.append(beta[:, col])
                    cond.append(pystr(d.name[col]) if per > 1 else pystr(d.cond[c]))
                    run.append(str(r + 1))
    out.beta_values = np.column_stack(vals)
    cols = {"condition": cond, "run": run}
    order = ["condition", "run"]
    if trials:
        cols.update(trial=trial, onset=onset)
        order += ["trial", "onset"]
    out.beta_table = Table(cols, order)
    out.betas = grid.to_map(out.beta_values.astype(np.float32), grid.index, as_image, fill=0)


def _contrast_maps(c, grid, as_image):
    n = c.nvox
    stat = "F" if c.stat == lib.BRACT_GLM_STAT_F else "t"
    eff = copy_array(c.effect, c.dim * n).reshape(c.dim, n).T
    maps = {"effect": grid.to_map((eff if c.dim > 1 else eff[:, 0]).astype(np.float32),
                                  grid.index, as_image, fill=0)}
    for key, ptr in (("variance", c.variance), (stat, c.value), ("z", c.z), ("p", c.p)):
        maps[key] = grid.to_map(copy_array(ptr, n).astype(np.float32), grid.index, as_image,
                                fill=0)
    maps["dof"] = c.dof
    return maps
