"""bract dfc --windows: the float16 windows.npy is what numpy makes of the
float64 windows, and `none` writes no windows.npy and changes nothing else."""
import filecmp
import os

import numpy as np

from bract._lib import dptr, ffi, lib
from conftest import ref, tsv_matrix

TABLES = ["window_info.tsv", "edge_mean.tsv", "edge_std.tsv", "regions.tsv", "summary.tsv"]


def windows_f64(path, window):
    """The windows as the library computes them, in double precision."""
    x = tsv_matrix(path)[0]
    nt, nreg = x.shape
    p = ffi.new("bract_dfc_opts *")
    lib.bract_dfc_opts_defaults(p)
    p.window = window
    pl = ffi.new("bract_dfc_plan **")
    assert lib.bract_dfc_plan_new(nt, nreg, p, pl) == 0
    npairs = nreg * (nreg - 1) // 2
    out = np.empty((lib.bract_dfc_nwindows(pl[0]), npairs))

    @ffi.callback("int(void *, size_t, const double *)")
    def sink(ctx, k, fc):
        out[k] = np.frombuffer(ffi.buffer(fc, npairs * 8), dtype=np.float64)
        return 0

    xr = np.ascontiguousarray(x.T)
    try:
        assert lib.bract_dfc_run(pl[0], dptr(xr), ffi.NULL, sink, ffi.NULL, ffi.NULL) == 0
    finally:
        lib.bract_dfc_plan_free(pl[0])
    return out


def test_dfc_windows_float16_none(cli, tmp_path):
    data = ref("dfc", "input.tsv")
    for fmt in ("npy", "npy-float16", "none"):
        cli("dfc", "--data", data, "--window", "30", "--windows", fmt, "-o", tmp_path / fmt)
    w16 = np.load(tmp_path / "npy-float16" / "windows.npy")
    assert w16.dtype == np.dtype("<f2")
    want = windows_f64(data, 30)
    assert w16.shape == want.shape
    # numpy's own rounding of the doubles, to the last bit
    assert np.array_equal(w16.view(np.uint16), want.astype(np.float16).view(np.uint16))
    w32 = np.load(tmp_path / "npy" / "windows.npy")
    assert np.array_equal(w32, want.astype(np.float32))
    assert not os.path.exists(tmp_path / "none" / "windows.npy")
    assert not os.path.exists(tmp_path / "none" / "windows.json")
    for t in TABLES:
        for fmt in ("npy-float16", "none"):
            assert filecmp.cmp(tmp_path / "npy" / t, tmp_path / fmt / t, shallow=False), (fmt, t)
