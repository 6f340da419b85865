"""Searchlight RSA maps (bract/searchlight.h), as `bract searchlight`."""

import warnings

import numpy as np

from . import _volumes as vol
from ._lib import (BractWarning, Owned, StrArray, check, cstr, dptr, fail, ffi, lib,
                   parse_enum, sizeptr)
from .rdms import _CSet
from .rsa import _Design, _model_names, _named_inputs, _rdm_opts
from .threads import threads_for


class SearchlightMaps(dict):
    """The maps of a searchlight, one per model: {model name: map}, each a
    nibabel image (float32, NaN outside the centres, on the mask's grid)
    when nibabel is installed, else a 3-D float32 array.

    Also: `centre_values` (centres x models, float64: the values before the maps'
    float32), `centres` (the centres' spatial indices, x fastest), `status`
    (per centre: 0 ok, 1 left out, 2 failed, 3 undefined), `counts` (a map
    of the usable voxels in each centre's sphere), `models` (names in
    order), `full_sphere` (voxels of a sphere away from every edge; 0 for
    count spheres)."""


def _model_ptrs(mods):
    sets = [_CSet(r) for r, _ in mods]
    ptrs = [s.p.rdm + j for s in sets for j in range(s.p.nrdm)]
    files = [p or "model %d" % (k + 1) for k, (r, p) in enumerate(mods) for _ in r.names]
    return sets, ptrs, files


def searchlight(data, conditions, mask, models, radius=6.0, voxels=None, strict=False,
                keep_outside=False, min_voxels=2, min_proportion=0.5, method="correlation",
                runs=None, noise=None, noise_method="shrinkage_diag", noise_dof=None,
                rsatoolbox_dof=False, plain=False, compare="spearman", controls=None,
                partial=False, nan="match", demean_runs=False, sort_conditions=False,
                exclude=(), affine=None, voxel_size=None, as_image=None, threads=None):
    """Searchlight RSA: at every voxel of the mask, the RDM of the patterns
    in a sphere around it compared with each model, as `bract searchlight`
    (bit for bit: a centre's value is what rdm() and rsa() give for the
    voxels of its sphere).

    data: the pattern volumes: a NIfTI file name or a list of them (read by
        the library, as the CLI reads them), a 4-D nibabel image, a 4-D
        array (x, y, z, volumes), or a list of 3-D images or arrays (one
        beta map per row of the conditions).
    conditions: one label per volume, or a conditions TSV (condition,
        optional run); runs: one run label per volume.
    mask: the centres and the voxels the spheres may use: a file name, a
        nibabel image, or a 3-D array (then `affine`, a 4 x 4 voxel-to-mm
        matrix, or `voxel_size` in mm; default 1 mm).
    models: model RDMs (RDMs, files, rsatoolbox RDMs, or a list); every RDM
        in them is a model.
    radius: sphere radius in mm (distance <= radius, or < with strict);
        voxels: about this many nearest voxels instead (CoSMoMVPA's rule);
        keep_outside: spheres also take voxels outside the mask.
    min_voxels, min_proportion: centres with fewer usable voxels, or less
        than this share of a full sphere, are left out (NaN).
    method, noise, noise_method, noise_dof, rsatoolbox_dof, plain,
        demean_runs, sort_conditions, exclude: the RDMs, as rdm(); noise:
        residual volumes (files, image or array on the grid).
    compare, controls, partial, nan: the comparison, as rsa().
    as_image: maps as nibabel images (default: when nibabel is installed).
    Returns SearchlightMaps {model name: map}.
    """
    if voxels is not None and radius not in (None, 6.0):
        fail("give radius or voxels, not both")
    if voxels is not None and (strict or keep_outside):
        fail("strict and keep_outside apply to radius spheres")
    so = ffi.new("bract_searchlight_opts *")
    so.radius_mm = 6.0 if radius is None else float(radius)
    so.strict = int(bool(strict))
    so.nvoxels = int(voxels or 0)
    so.keep_outside = int(bool(keep_outside))
    so.min_voxels = int(min_voxels)
    so.min_proportion = float(min_proportion)
    co = ffi.new("bract_compare_opts *")
    co.method = parse_enum(lib.bract_compare_method_parse, "bract_compare_method", compare,
                           "comparison method")
    co.nan_policy = parse_enum(lib.bract_compare_nan_parse, "bract_compare_nan", nan,
                               "missing-pair policy")
    mods = _named_inputs(models, "models")
    ctls = _named_inputs(controls, "controls") if controls is not None else []
    if (partial or ctls) and co.method not in (lib.BRACT_CMP_PEARSON, lib.BRACT_CMP_SPEARMAN):
        fail("%s needs compare='pearson' or 'spearman'" % ("partial" if partial else "controls"))
    co.partial = (lib.BRACT_PARTIAL_OTHERS if partial else
                  lib.BRACT_PARTIAL_CONTROLS if ctls else lib.BRACT_PARTIAL_NONE)
    ro = _rdm_opts(method, noise_method, plain, rsatoolbox_dof, noise_dof, noise is not None)
    noise_paths = vol.paths_of(noise) if noise is not None else None
    if noise_paths and not noise_dof and lib.bract_rdm_needs_noise(ro):
        np_ = StrArray(noise_paths)
        dof = ffi.new("double *")
        check(lib.bract_glm_residual_dof(np_.ptr, np_.n, dof))
        if dof[0] > 0:
            ro.noise_dof = dof[0]
    names = _model_names(mods)
    msets, mptr, mfiles = _model_ptrs(mods)
    csets, cptr, cfiles = _model_ptrs(ctls)
    try:
        with threads_for(threads), vol.Grid(mask, affine, voxel_size) as grid:
            if len(grid.index) == 0:
                fail("the mask is empty")
            nvol = None if vol.paths_of(data) else _nvolumes(data)
            with _Design(conditions, runs, nvol, sort_conditions, exclude) as d:
                return _run(d, grid, data, noise, noise_paths, ro, so, co, demean_runs, names,
                            mptr, mfiles, cptr, cfiles, as_image)
    finally:
        for s in msets + csets:
            s.__exit__(None, None, None)


def _nvolumes(data):
    if isinstance(data, (list, tuple)):
        return sum(_nvolumes(d) for d in data)
    shape = data.shape if hasattr(data, "shape") else np.shape(data)
    return 1 if len(shape) == 3 else int(shape[3])


def _run(d, grid, data, noise, noise_paths, ro, so, co, demean_runs, names, mptr, mfiles, cptr,
         cfiles, as_image):
    mf, cf = StrArray(mfiles), StrArray(cfiles)
    marr = ffi.new("const bract_rdm *[]", mptr or [ffi.NULL])
    carr = ffi.new("const bract_rdm *[]", cptr or [ffi.NULL])
    po = ffi.new("bract_patterns_opts *", {"demean_runs": int(bool(demean_runs))})
    with Owned("bract_searchlight_models *", lib.bract_searchlight_models_free) as sm, \
            Owned("bract_searchlight *", lib.bract_searchlight_free) as sl, \
            Owned("bract_patterns_set *", lib.bract_patterns_set_free) as ps:
        check(lib.bract_searchlight_models_new(d.p, len(mptr), marr, mf.ptr, len(cptr), carr,
                                               cf.ptr, co, sm.pp))
        check(lib.bract_searchlight_new(grid.mask, grid.geom, so, sl.pp))
        nd = ffi.new("size_t *")
        dv = lib.bract_searchlight_data_voxels(sl.p, nd)
        dvox = np.frombuffer(ffi.buffer(dv, nd[0] * ffi.sizeof("size_t")), dtype=np.uintp).copy()
        _patterns(d, grid, data, noise, noise_paths, dvox, po, so.keep_outside, ps)
        p = ps.p.region[0]
        check(lib.bract_searchlight_set_columns(sl.p, p.voxel, p.nvox))
        C = lib.bract_searchlight_ncentres(sl.p)
        K = len(names)
        values = np.empty((C, K))
        status = np.empty(C, dtype=np.uint8)
        fail_ = ffi.new("bract_searchlight_failure *")
        inp = ffi.new("bract_searchlight_input *")
        inp.design, inp.rdm, inp.x, inp.ldx = d.p, ro[0], p.x, p.nvox
        inp.res, inp.ldr, inp.nres, inp.models = p.res, p.nvox, p.nres, sm.p
        check(lib.bract_searchlight_run(sl.p, inp, 0, C, dptr(values),
                                        ffi.cast("unsigned char *", ffi.from_buffer(status)),
                                        fail_, ffi.NULL))
        centres = np.frombuffer(ffi.buffer(lib.bract_searchlight_centres(sl.p),
                                           C * ffi.sizeof("size_t")), dtype=np.uintp).copy()
        sizes = np.frombuffer(ffi.buffer(lib.bract_searchlight_sizes(sl.p), C * 4),
                              dtype=np.uint32).copy()
        full = lib.bract_searchlight_full_size(sl.p)
        _report(status, fail_, so, full, centres, grid)
    out = SearchlightMaps()
    for k, name in enumerate(names):
        out[name] = grid.to_map(values[:, k].astype(np.float32), centres, as_image)
    out.centre_values, out.centres, out.status, out.models = values, centres, status, list(names)
    out.full_sphere = full
    out.counts = grid.to_map(sizes.astype(np.float32), centres, as_image, fill=0)
    return out


def _patterns(d, grid, data, noise, noise_paths, dvox, po, keep_outside, ps):
    """The patterns of the voxels the spheres may use: through the library's
    reader for files (as the CLI), from the arrays otherwise."""
    paths = vol.paths_of(data)
    region = "sphere voxels" if keep_outside else "mask"
    if paths:
        dvc = np.ascontiguousarray(dvox)
        dm = ffi.new("bract_mask *", {"nx": grid.dims[0], "ny": grid.dims[1], "nz": grid.dims[2],
                                      "n": len(dvc), "index": sizeptr(dvc)})
        if noise is not None and not noise_paths:
            fail("noise: with data files, give the residuals as files too")
        dp, npth = StrArray(paths), StrArray(noise_paths or [])
        with Owned("bract_atlas *", lib.bract_atlas_free) as at:
            check(lib.bract_atlas_from_mask(dm, cstr(region), at.pp))
            check(lib.bract_patterns_from_volumes(dp.ptr, dp.n, d.p, at.p, grid.geom, npth.ptr,
                                                  npth.n, po, ffi.NULL, ps.pp))
        return
    x = vol.gather(data, grid, dvox, "data")
    if x.shape[0] != d.p.nvol:
        fail("the data have %d volumes but the conditions have %d rows; one row per volume "
             "is needed" % (x.shape[0], d.p.nvol))
    res = None
    if noise is not None:
        if noise_paths:
            fail("noise: with data arrays, give the residuals as an array or image too")
        res = vol.gather(noise, grid, dvox, "noise")
    dvc = np.ascontiguousarray(dvox)
    check(lib.bract_patterns_from_matrix(
        dptr(x), x.shape[1], x.shape[1], d.p, dptr(res) if res is not None else ffi.NULL,
        x.shape[1], res.shape[0] if res is not None else 0, sizeptr(dvc), cstr(region), po,
        ps.pp))


def _report(status, fail_, so, full, centres, grid):
    """The CLI's account of the centres: warnings, and an error when none
    was computed."""
    left = int((status == lib.BRACT_SL_LEFT_OUT).sum())
    failed = int((status == lib.BRACT_SL_FAILED).sum())
    undefined = int((status == lib.BRACT_SL_UNDEFINED).sum())
    computed = len(status) - left
    full = so.nvoxels if so.nvoxels else full
    rule = "--voxels" if so.nvoxels else "a full sphere"
    msg = ffi.string(fail_.message).decode("utf-8", "replace")
    if left:
        warnings.warn("%d of %d centres left out: their spheres have fewer than %d usable voxels "
                      "or fewer than %g x %d (%s) (min_voxels, min_proportion)"
                      % (left, len(status), so.min_voxels, so.min_proportion, full, rule),
                      BractWarning, stacklevel=4)
    if failed:
        v = int(centres[fail_.centre])
        nx, ny = grid.dims[0], grid.dims[1]
        warnings.warn("%d centre%s failed, the first at voxel %d,%d,%d: %s"
                      % (failed, "" if failed == 1 else "s", v % nx, v // nx % ny, v // (nx * ny),
                         msg), BractWarning, stacklevel=4)
    if undefined:
        warnings.warn("%d centre%s with an undefined comparison (a pattern or RDM constant over "
                      "the sphere): NaN" % (undefined, "" if undefined == 1 else "s"),
                      BractWarning, stacklevel=4)
    if computed and failed == computed:
        fail("every centre failed: %s" % msg, -5)
    if not computed:
        fail("every centre was left out: no sphere has %d usable voxels and %g x %d; see "
             "min_voxels and min_proportion" % (so.min_voxels, so.min_proportion, full), -5)
