"""RDMs of patterns and of word vectors, comparisons, and the inference of
`bract rsa` (bract/rdm.h, patterns.h, embed.h, compare.h, rsa.h)."""

import os
import warnings

import numpy as np

from . import _lib
from ._lib import (BractWarning, Owned, StrArray, check, cstr, dptr, fail, ffi, lib,
                   parse_enum, pystr)
from .rdms import RDMs, _CSet, _from_cset, as_rdms, condensed
from .table import Table
from .threads import threads_for


def file_stem(path):
    """The CLI's stem of a file name: the base name without .gz, .nii,
    .tsv, .csv, .txt, .bin, .vec, .h5, .hdf5 (repeatedly)."""
    s = os.path.basename(os.fspath(path))
    again = True
    while again:
        again = False
        for ext in (".gz", ".nii", ".tsv", ".csv", ".txt", ".bin", ".vec", ".h5", ".hdf5"):
            if len(s) > len(ext) and s.endswith(ext):
                s = s[:-len(ext)]
                again = True
                break
    return s


# ---- designs ----

def _labels(values, what):
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        fail("%s: expected one label per row, not a single string" % what)
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out.append(None)
        else:
            out.append(str(v))
    return out


class _Design(Owned):
    """A bract_rdm_design from per-row labels (None, "" or "n/a": left out),
    or read from a conditions table (columns condition, optional run)."""

    def __init__(self, conditions, runs, nvol, sort_conditions=False, exclude=()):
        super().__init__("bract_rdm_design *", lib.bract_rdm_design_free)
        self._x = StrArray(list(exclude or ()))
        o = ffi.new("bract_rdm_design_opts *")
        o.order = lib.BRACT_ORDER_SORTED if sort_conditions else lib.BRACT_ORDER_FIRST
        o.exclude = self._x.ptr
        o.nexclude = self._x.n
        if isinstance(conditions, (str, os.PathLike)):
            if runs is not None:
                fail("runs: a conditions table carries its own run column")
            check(lib.bract_rdm_design_read(cstr(os.fspath(conditions)), o, self.pp))
            if nvol is not None and self.p.nvol != nvol:
                fail("%s has %d rows but the data have %d volumes; one row per volume is "
                     "needed" % (os.fspath(conditions), self.p.nvol, nvol))
            return
        cond = _labels(conditions, "conditions")
        run = _labels(runs, "runs")
        if nvol is None:
            nvol = len(cond)
        if len(cond) != nvol:
            fail("%d condition labels for %d pattern rows: one label per row is needed"
                 % (len(cond), nvol))
        if run is not None and len(run) != nvol:
            fail("%d run labels for %d pattern rows: one label per row is needed"
                 % (len(run), nvol))
        if run is not None and any(r is None or r in ("", "n/a") for r in run):
            fail("a missing run label (row %d): every row needs its run"
                 % next(i for i, r in enumerate(run) if r is None or r in ("", "n/a")))
        self._c = StrArray(cond)
        self._r = StrArray(run) if run is not None else None
        check(lib.bract_rdm_design_from_labels(self._c.ptr, self._r.ptr if self._r else ffi.NULL,
                                               nvol, o, self.pp))

    @property
    def conditions(self):
        d = self.p
        return [pystr(d.cond[i]) for i in range(d.ncond)]


def _rdm_opts(method, noise_method, plain, rsatoolbox_dof, noise_dof, have_noise):
    o = ffi.new("bract_rdm_opts *")
    o.method = parse_enum(lib.bract_rdm_method_parse, "bract_rdm_method", method,
                          "RDM method")
    o.noise = parse_enum(lib.bract_rdm_noise_method_parse, "bract_rdm_noise_method",
                         noise_method, "noise method")
    o.plain = int(bool(plain))
    o.dof_rule = lib.BRACT_DOF_RSATOOLBOX if rsatoolbox_dof else lib.BRACT_DOF_CORRECT
    o.noise_dof = float(noise_dof) if noise_dof else 0.0
    if plain and o.method != lib.BRACT_RDM_EUCLIDEAN:
        fail("plain applies to method='euclidean'")
    needs = lib.bract_rdm_needs_noise(o)
    if not needs and (have_noise or noise_dof or rsatoolbox_dof):
        fail("noise, precision, noise_dof and rsatoolbox_dof apply to method='mahalanobis' "
             "and 'crossnobis'")
    if noise_dof and not have_noise:
        fail("noise_dof applies to given noise residuals")
    return o


# ---- bract.rdm ----

def rdm(patterns, conditions, method="correlation", runs=None, noise=None, precision=None,
        noise_method="shrinkage_diag", noise_dof=None, rsatoolbox_dof=False, plain=False,
        demean_runs=False, sort_conditions=False, exclude=(), min_voxels=2, name="patterns",
        threads=None):
    """RDMs of response patterns, as `bract rdm neural`.

    patterns: array, one row per volume (or beta map) and one column per
        voxel or feature; or a dict {region name: array} for one RDM per
        region, all with the same rows.
    conditions: one label per row (None, "" or "n/a" leaves the row out).
    method: "euclidean" (squared distance / voxels, rsatoolbox; plain=True:
        |b_i - b_j|), "correlation", "cosine", "mahalanobis", "crossnobis".
    runs: one run label per row (crossnobis needs 2 or more runs with every
        condition in each).
    noise: residual rows (rows x the same columns; a dict per region) for
        the noise precision of mahalanobis and crossnobis, estimated with
        noise_method ("shrinkage_diag", "shrinkage_eye", "diag", "full",
        "identity"); without it the pattern rows minus their condition means.
    precision: a precision matrix (voxels x voxels) given outright instead.
    noise_dof: degrees of freedom of the given residuals [rows - 1];
        rsatoolbox_dof: residual dof from the patterns as rsatoolbox's
        *_from_measurements.
    demean_runs: subtract each column's mean over its run first.
    sort_conditions: conditions sorted by label (as rsatoolbox), not in
        order of first appearance; exclude: labels whose rows are left out.
    min_voxels: a region with fewer usable columns is an error.
    name: the RDM's name for a single array.

    Each pattern is the mean of its condition's rows per run; a column with
    a non-finite value or constant rows is dropped with a warning.  Returns
    an RDMs (one per region), dissimilarities as `bract rdm neural` writes
    them, bit for bit.
    """
    regions = patterns if isinstance(patterns, dict) else {name: patterns}
    if isinstance(noise, dict) != isinstance(patterns, dict) and noise is not None:
        fail("noise: give a dict of residuals per region for a dict of patterns (and an "
             "array for an array)")
    if precision is not None and noise is not None:
        fail("give noise residuals or a precision matrix, not both")
    mats = {k: _lib.as_f64(v, 2, "patterns") for k, v in regions.items()}
    if not mats:
        fail("no patterns given")
    nvol = {m.shape[0] for m in mats.values()}
    if len(nvol) != 1:
        fail("the regions' pattern arrays have different numbers of rows: %s" % sorted(nvol))
    nvol = nvol.pop()
    o = _rdm_opts(method, noise_method, plain, rsatoolbox_dof, noise_dof,
                  noise is not None or precision is not None)
    if precision is not None:
        o.precision_given = 1
    po = ffi.new("bract_patterns_opts *", {"demean_runs": int(bool(demean_runs)),
                                           "min_voxels": int(min_voxels)})
    noises = noise if isinstance(noise, dict) else {name: noise}
    with threads_for(threads), _Design(conditions, runs, nvol, sort_conditions, exclude) as d:
        conds = d.conditions
        rows = []
        names = []
        for rname, x in mats.items():
            res = noises.get(rname) if noise is not None else None
            if noise is not None and res is None:
                fail("noise: no residuals for region %r" % rname)
            rows.append(_region_rdm(d, o, po, rname, x, res, precision))
            names.append(str(rname))
        measure = pystr(lib.bract_rdm_measure_name(o))
        mname = pystr(lib.bract_rdm_method_name(o.method))
    return RDMs(np.vstack(rows), conds, names, mname, measure)


def _region_rdm(d, o, po, rname, x, res, precision):
    """One region's RDM: patterns from the matrix, then the library's
    bract_patterns_rdms (or, with a precision, the engine itself)."""
    if res is not None:
        res = _lib.as_f64(res, 2, "noise")
        if res.shape[1] != x.shape[1]:
            fail("noise for %r has %d columns but the patterns have %d"
                 % (rname, res.shape[1], x.shape[1]))
    with Owned("bract_patterns_set *", lib.bract_patterns_set_free) as ps:
        check(lib.bract_patterns_from_matrix(
            dptr(x), x.shape[1], x.shape[1], d.p, dptr(res) if res is not None else ffi.NULL,
            res.shape[1] if res is not None else 0, res.shape[0] if res is not None else 0,
            ffi.NULL, cstr(rname), po, ps.pp))
        if precision is None:
            info = ffi.new("bract_rdm_info[1]")
            with Owned("bract_rdmset *", lib.bract_rdmset_free) as s:
                check(lib.bract_patterns_rdms(d.p, ps.p, o, ffi.NULL, s.pp, info))
                nnan = info[0].nnan
                out = _from_cset(s.p).dissimilarities[0]
        else:
            out, nnan = _precision_rdm(d, o, ps.p.region[0], precision, x.shape[1])
    if nnan:
        warnings.warn("%d dissimilarit%s left NaN: a condition's pattern is constant "
                      "(correlation) or zero (cosine)" % (nnan, "y" if nnan == 1 else "ies"),
                      BractWarning, stacklevel=4)
    return out


def _precision_rdm(d, o, p, precision, ncol):
    prec = _lib.as_f64(precision, 2, "precision")
    if prec.shape != (ncol, ncol):
        fail("precision: expected %d x %d (the patterns' columns), got %s"
             % (ncol, ncol, prec.shape))
    keep = np.frombuffer(ffi.buffer(p.voxel, p.nvox * ffi.sizeof("size_t")), dtype=np.uintp)
    if p.nvox != ncol:
        prec = np.ascontiguousarray(prec[np.ix_(keep, keep)])
    nc = d.p.ncond
    out = np.empty(nc * (nc - 1) // 2)
    info = ffi.new("bract_rdm_info *")
    noise = ffi.new("bract_rdm_noise *", {"prec": dptr(prec), "ldp": p.nvox})
    with Owned("bract_rdm_plan *", lib.bract_rdm_plan_free) as plan, \
            Owned("bract_rdm_ws *", lib.bract_rdm_ws_free) as ws:
        check(lib.bract_rdm_plan_new(d.p, o, p.nvox, 0, plan.pp))
        check(lib.bract_rdm_ws_new(plan.p, ws.pp))
        check(lib.bract_rdm_compute(plan.p, ws.p, p.x, p.nvox, p.nvox, noise, dptr(out), info))
    return out, info.nnan


# ---- bract.model_rdm ----

def model_rdm(embeddings, conditions, method="cosine", format="auto", lowercase=False,
              allow_missing=False, plain=False, name=None, sort_conditions=False, exclude=()):
    """The model RDM of the conditions' word vectors, as `bract rdm model`
    (the library's bract_embed_rdm).

    embeddings: an embedding table: word2vec text or binary, GloVe, TSV
        (`word` + one column per dimension), plain or gzipped; format "auto"
        detects it ("word2vec", "word2vec-bin", "glove", "tsv").
    conditions: the words (labels), in RDM order (each once; repeats are
        dropped), or a conditions TSV whose `condition` column gives them in
        the order `bract rdm neural` uses.
    method: "cosine", "correlation" or "euclidean" (plain=True: not squared
        nor divided by the dimensions).
    lowercase: compare the words lowercased; allow_missing: drop words the
        table lacks (with a warning) instead of raising.
    name: the RDM's name [the table's file stem].
    Returns an RDMs of one RDM over the words found.
    """
    emb = os.fspath(embeddings)
    if isinstance(conditions, (str, os.PathLike)):
        dopts = ffi.new("bract_rdm_design_opts *")
        xs = StrArray(list(exclude or ()))
        dopts.order = lib.BRACT_ORDER_SORTED if sort_conditions else lib.BRACT_ORDER_FIRST
        dopts.exclude, dopts.nexclude = xs.ptr, xs.n
        with Owned("bract_rdm_design *", lib.bract_rdm_design_free) as d:
            check(lib.bract_rdm_design_read(cstr(os.fspath(conditions)), dopts, d.pp))
            words = [pystr(d.p.cond[i]) for i in range(d.p.ncond)]
    else:
        words = list(dict.fromkeys(str(w) for w in conditions if str(w) not in exclude))
        if sort_conditions:
            words.sort(key=lambda w: w.encode("utf-8"))
    o = _rdm_opts(method, "shrinkage_diag", plain, False, None, False)
    if lib.bract_rdm_needs_noise(o):
        fail("method=%r needs a noise estimate, which word vectors do not have" % method)
    eo = ffi.new("bract_embed_opts *")
    eo.format = parse_enum(lib.bract_embed_format_parse, "bract_embed_format", format,
                           "embedding format")
    eo.lowercase = int(bool(lowercase))
    w = StrArray(words)
    with Owned("bract_embedding *", lib.bract_embed_free) as e:
        check(lib.bract_embed_lookup(cstr(emb), w.ptr, w.n, eo, e.pp))
        missing = [words[i] for i in range(len(words)) if not e.p.found[i]]
        if missing:
            msg = "%d of %d word%s not in %s: %s" % (
                len(missing), len(words), "s" if len(words) != 1 else "", emb,
                ", ".join(missing))
            if not allow_missing:
                fail(msg + ("" if lowercase else
                            " (try lowercase=True, or allow_missing=True to drop them)"))
            warnings.warn(msg + ": dropped", BractWarning, stacklevel=2)
        nnan = ffi.new("size_t *")
        with Owned("bract_rdmset *", lib.bract_rdmset_free) as s:
            rc = lib.bract_embed_rdm(e.p, o, cstr(name if name else file_stem(emb)), s.pp, nnan)
            check(rc, emb if rc == lib.BRACT_EDATA else None)
            out = _from_cset(s.p, method=pystr(lib.bract_rdm_method_name(o.method)))
    if nnan[0]:
        warnings.warn("%d dissimilarit%s left NaN: a word's vector is zero (cosine) or "
                      "constant (correlation)" % (nnan[0], "y" if nnan[0] == 1 else "ies"),
                      BractWarning, stacklevel=2)
    return out


# ---- bract.compare ----

def compare(rdm_a, rdm_b, method="spearman"):
    """Compare two RDMs: a float, as `bract rsa` computes r (the library's
    bract_compare_vectors).

    rdm_a, rdm_b: RDMs of one RDM each (b is put in a's condition order when
        their conditions are the same labels in another order), square
        matrices, or condensed vectors of the same length; a is the neural
        RDM, b the model.
    method: "spearman", "pearson" (also "corr"), "kendall" (tau-b, also
        "tau-b"), "tau-a", "rho-a", "cosine", "corr_cov", "cosine_cov".
    NaN when the formula is undefined (a constant RDM, a zero vector).
    """
    m = parse_enum(lib.bract_compare_method_parse, "bract_compare_method", method,
                   "comparison method")
    if isinstance(rdm_a, RDMs) and isinstance(rdm_b, RDMs) and \
            rdm_a.conditions != rdm_b.conditions:
        rdm_b = rdm_b.reorder(rdm_a.conditions)
    x = np.ascontiguousarray(condensed(rdm_a, "rdm_a"), dtype=np.float64)
    y = np.ascontiguousarray(condensed(rdm_b, "rdm_b"), dtype=np.float64)
    if x.shape != y.shape:
        fail("the RDMs have %d and %d pairs" % (x.size, y.size))
    n = int(round((1 + np.sqrt(1 + 8 * x.size)) / 2))
    if n * (n - 1) // 2 != x.size:
        fail("%d values are not the pairs of any number of conditions" % x.size)
    r = ffi.new("double *")
    check(lib.bract_compare_vectors(m, n, dptr(x), dptr(y), r))
    return float(r[0])


def noise_ceiling(rdms, method="spearman"):
    """rsatoolbox's leave-one-subject-out noise ceiling of subjects' RDMs
    (an RDMs with one RDM per subject, or a list): (lower, upper)."""
    if not isinstance(rdms, RDMs):
        rs = [as_rdms(r) for r in rdms]
        rdms = RDMs(np.vstack([r.reorder(rs[0].conditions).dissimilarities for r in rs]),
                    rs[0].conditions)
    m = parse_enum(lib.bract_compare_method_parse, "bract_compare_method", method,
                   "comparison method")
    d = np.ascontiguousarray(rdms.dissimilarities)
    ptrs = ffi.new("const double *[]", [dptr(d) + i * d.shape[1] for i in range(d.shape[0])])
    lo, hi = ffi.new("double *"), ffi.new("double *")
    check(lib.bract_compare_noise_ceiling(m, rdms.n_conditions, d.shape[0], ptrs, ffi.NULL,
                                          lo, hi))
    return float(lo[0]), float(hi[0])


# ---- bract.rsa ----

_RSA_COLUMNS = ["level", "subject", "rdm", "model", "model_b", "method", "n_subjects", "n_pairs",
                "r", "z", "test", "stat", "df", "p", "p_fdr", "ci_low", "ci_high",
                "noise_lower", "noise_upper", "n_samples"]


def _named_inputs(items, what):
    """RDMs from paths or objects, with the file each came from (or None)."""
    if isinstance(items, (RDMs, str, bytes, os.PathLike)) or hasattr(items, "get_vectors"):
        items = [items]
    out = []
    for it in items:
        path = os.fspath(it) if isinstance(it, (str, os.PathLike)) else None
        out.append((as_rdms(it, what), path))
    return out


def _model_names(models):
    """The CLI's model names: each RDM's own, or "<file stem>:<name>" (for
    objects "model<k>:<name>") where names repeat."""
    flat = []
    for k, (r, path) in enumerate(models):
        for name in r.names:
            flat.append((name, path, k))
    names = []
    for name, path, k in flat:
        dup = sum(1 for n, _, _ in flat if n == name) > 1
        if dup:
            names.append("%s:%s" % (file_stem(path) if path else "model%d" % (k + 1), name))
        else:
            names.append(name)
    if len(set(names)) != len(names):
        fail("two model RDMs are called %r" % next(n for n in names if names.count(n) > 1))
    return names


def rsa(neural, models, method="spearman", controls=None, partial=False, nan="match",
        common_conditions=False, permutations=10000, bootstrap=0, ci=0.95,
        alternative="greater", group=False, group_test="t", flips=10000, fisher=True,
        pairwise=True, seed=1, subjects=None, threads=None):
    """Compare neural RDMs with model RDMs and test the match, as `bract rsa`
    (the library's bract_rsa_run): the same rows, numbers and random streams.

    neural: one subject's RDMs (an RDMs, a file, an rsatoolbox RDMs) or a
        list of them, one per subject; their RDMs are regions, matched by
        name across subjects.
    models: RDMs (or files, or a list): every RDM in them is a model.
    method: comparison ("spearman", "pearson", "kendall", "tau-a", "rho-a",
        "cosine", "corr_cov", "cosine_cov").
    controls: RDMs regressed out (partial pearson or spearman); partial=True
        also regresses the other models out.
    nan: missing pairs, "match" (as rsatoolbox) or "model".
    common_conditions: leave out conditions of the neural RDMs the models
        lack (with a warning) instead of raising.
    permutations: condition-label permutations per subject (0: none);
        bootstrap: samples over conditions for intervals; ci: their level;
        alternative: "greater", "less" or "two-sided".
    group: statistics across subjects (2 or more): group_test "t" (on
        Fisher z unless fisher=False), "wilcoxon" or "signflip" (flips sign
        flips), the noise ceiling, pairwise model comparisons (pairwise).
    seed: the random streams' key (the CLI's --seed).
    subjects: subject names [file stems, else sub-01, sub-02, ...].
    Returns a Table with the columns of `bract rsa`'s TSV.
    """
    subj = _named_inputs(neural, "neural")
    mods = _named_inputs(models, "models")
    ctls = _named_inputs(controls, "controls") if controls is not None else []
    if group and len(subj) < 2:
        fail("group statistics need at least 2 subjects")
    cm = parse_enum(lib.bract_compare_method_parse, "bract_compare_method", method,
                    "comparison method")
    if (partial or ctls) and cm not in (lib.BRACT_CMP_PEARSON, lib.BRACT_CMP_SPEARMAN):
        fail("%s needs method 'pearson' or 'spearman' (not %s)"
             % ("partial" if partial else "controls", method))
    if subjects is None:
        stems = [file_stem(p) if p else None for _, p in subj]
        if all(stems) and len(set(stems)) == len(stems):
            subjects = stems
        elif all(p for _, p in subj):
            subjects = [p for _, p in subj]
        else:
            subjects = ["sub-%02d" % (i + 1) for i in range(len(subj))]
    subjects = [str(s) for s in subjects]
    if len(subjects) != len(subj):
        fail("%d subject names for %d subjects" % (len(subjects), len(subj)))
    o = ffi.new("bract_rsa_opts *")
    lib.bract_rsa_opts_defaults(o)
    o.method = cm
    o.partial = (lib.BRACT_PARTIAL_OTHERS if partial else
                 lib.BRACT_PARTIAL_CONTROLS if ctls else lib.BRACT_PARTIAL_NONE)
    o.nan_policy = parse_enum(lib.bract_compare_nan_parse, "bract_compare_nan", nan,
                              "missing-pair policy")
    o.common_conditions = int(bool(common_conditions))
    o.permutations = int(permutations)
    o.bootstrap = int(bootstrap)
    o.ci_level = float(ci)
    o.alternative = parse_enum(lib.bract_stats_alternative_parse, "bract_stats_alternative",
                               alternative, "alternative")
    o.group = int(bool(group))
    o.group_test = parse_enum(lib.bract_rsa_group_test_parse, "bract_rsa_group_test",
                              group_test, "group test")
    o.group_permutations = int(flips)
    o.fisher = int(bool(fisher))
    o.pairwise = int(bool(pairwise))
    o.seed = int(seed)
    label = ("partial " if o.partial != lib.BRACT_PARTIAL_NONE else "") + \
        pystr(lib.bract_compare_method_name(cm))
    mnames = _model_names(mods)
    sets = []
    try:
        nsets = [_CSet(r) for r, _ in subj]
        msets = [_CSet(r) for r, _ in mods]
        csets = [_CSet(r) for r, _ in ctls]
        sets = nsets + msets + csets
        mptr = [ms.p.rdm + j for ms in msets for j in range(ms.p.nrdm)]
        cptr = [cs.p.rdm + j for cs in csets for j in range(cs.p.nrdm)]
        sn, sf = StrArray(subjects), StrArray([p or s for (_, p), s in zip(subj, subjects)])
        mn = StrArray(mnames)
        mf = StrArray([p or "model %d" % (k + 1) for k, (r, p) in enumerate(mods)
                       for _ in r.names])
        cf = StrArray([p or "control %d" % (k + 1) for k, (r, p) in enumerate(ctls)
                       for _ in r.names])
        inp = ffi.new("bract_rsa_input *")
        inp.nsubjects = len(subj)
        inp.subject_names, inp.subject_files = sn.ptr, sf.ptr
        nptrs = ffi.new("const bract_rdmset *[]", [s.p for s in nsets])
        inp.neural = nptrs
        marr = ffi.new("const bract_rdm *[]", mptr or [ffi.NULL])
        carr = ffi.new("const bract_rdm *[]", cptr or [ffi.NULL])
        inp.nmodels, inp.models, inp.model_names, inp.model_files = len(mptr), marr, mn.ptr, mf.ptr
        inp.ncontrols, inp.controls, inp.control_files = len(cptr), carr, cf.ptr
        with threads_for(threads), Owned("bract_rsa_result *", lib.bract_rsa_result_free) as res:
            check(lib.bract_rsa_run(inp, o, res.pp))
            return _rsa_table(res.p, label)
    finally:
        for s in sets:
            s.__exit__(None, None, None)


def _rsa_table(res, label):
    none = (1 << (8 * ffi.sizeof("size_t"))) - 1
    cols = {c: [] for c in _RSA_COLUMNS}
    for i in range(res.nrows):
        r = res.rows[i]
        cols["level"].append("group" if r.level == lib.BRACT_RSA_GROUP else "subject")
        cols["subject"].append(None if r.subject == none else pystr(res.subjects[r.subject]))
        cols["rdm"].append(pystr(res.regions[r.region]))
        cols["model"].append(pystr(res.models[r.model]))
        cols["model_b"].append(None if r.model_b == none else pystr(res.models[r.model_b]))
        cols["method"].append(label)
        cols["n_subjects"].append(r.nsubjects)
        cols["n_pairs"].append(r.npairs)
        for c in ("r", "z", "stat", "df", "p", "p_fdr", "ci_low", "ci_high", "noise_lower",
                  "noise_upper"):
            cols[c].append(getattr(r, c))
        cols["test"].append(pystr(r.test) if r.test != ffi.NULL else None)
        cols["n_samples"].append(r.nsamples)
    return Table(cols, _RSA_COLUMNS)
