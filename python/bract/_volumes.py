"""Volumes for the library: NIfTI files (read by the library itself),
nibabel images and numpy arrays (x, y, z[, t], x fastest in the library's
spatial index i + nx (j + ny k)), and maps back as nibabel images or arrays."""

import importlib.util
import os

import numpy as np

from ._lib import Owned, check, cstr, fail, ffi, lib


def is_path(x):
    return isinstance(x, (str, bytes, os.PathLike))


def is_image(x):
    return hasattr(x, "dataobj") and hasattr(x, "affine")


def have_nibabel():
    return importlib.util.find_spec("nibabel") is not None


def paths_of(x):
    """A list of paths when x is a path or a list of paths, else None."""
    if is_path(x):
        return [os.fspath(x)]
    if isinstance(x, (list, tuple)) and x and all(is_path(p) for p in x):
        return [os.fspath(p) for p in x]
    return None


def image_array(img):
    """The values of a nibabel image (scaled) as float64."""
    return np.asarray(img.get_fdata(dtype=np.float64))


class Grid:
    """The grid of a mask: dims, voxel-to-mm affine, and the library's
    bract_mask and header volume (freed by close())."""

    def __init__(self, mask, affine=None, voxel_size=None):
        self._owned = []
        self.path = None
        if is_path(mask):
            self.path = os.fspath(mask)
            m = Owned("bract_mask *", lib.bract_mask_free)
            g = Owned("bract_volume *", lib.bract_volume_free)
            self._owned += [m, g]
            check(lib.bract_mask_read(cstr(self.path), m.pp, g.pp))
            self.mask, self.geom = m.p, g.p
            self.dims = (int(self.geom.nx), int(self.geom.ny), int(self.geom.nz))
            self.affine = np.array([[self.geom.affine[i][j] for j in range(4)]
                                    for i in range(4)])
            self.index = np.frombuffer(ffi.buffer(self.mask.index, self.mask.n *
                                                  ffi.sizeof("size_t")), dtype=np.uintp).copy()
            return
        if is_image(mask):
            arr = image_array(mask)
            aff = np.asarray(mask.affine, dtype=np.float64)
            vox = tuple(float(z) for z in mask.header.get_zooms()[:3])
        else:
            arr = np.asarray(mask)
            aff, vox = affine, voxel_size
        if arr.ndim == 4 and arr.shape[3] == 1:
            arr = arr[..., 0]
        if arr.ndim != 3:
            fail("mask: a 3-D volume is needed, got shape %s" % (arr.shape,))
        if aff is None:
            vox = (1.0, 1.0, 1.0) if voxel_size is None else tuple(float(v) for v in voxel_size)
            aff = np.diag(list(vox) + [1.0])
        aff = np.asarray(aff, dtype=np.float64)
        if aff.shape != (4, 4):
            fail("affine: a 4 x 4 matrix is needed, got shape %s" % (aff.shape,))
        if vox is None:
            vox = tuple(float(np.sqrt((aff[:3, i] ** 2).sum())) for i in range(3))
        self.dims = tuple(int(n) for n in arr.shape)
        self.affine = aff
        flat = np.asarray(arr, dtype=np.float64).ravel(order="F")
        self.index = np.flatnonzero(np.isfinite(flat) & (flat != 0)).astype(np.uintp)
        self._index_c = np.ascontiguousarray(self.index)
        self.mask = ffi.new("bract_mask *", {"nx": self.dims[0], "ny": self.dims[1],
                                             "nz": self.dims[2], "n": len(self.index),
                                             "index": ffi.cast("size_t *",
                                                               ffi.from_buffer(self._index_c))})
        g = Owned("bract_volume *", lib.bract_volume_free)
        self._owned.append(g)
        dims = ffi.new("int64_t[4]", list(self.dims) + [1])
        voxmm = ffi.new("double[3]", list(vox))
        a = ffi.new("double[4][4]", [list(row) for row in aff])
        check(lib.bract_volume_new(dims, voxmm, a, 0.0, lib.BRACT_F32, g.pp))
        self.geom = g.p

    @property
    def nvox(self):
        return self.dims[0] * self.dims[1] * self.dims[2]

    def close(self):
        for o in reversed(self._owned):
            o.__exit__(None, None, None)
        self._owned = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def check_shape(self, shape, what):
        if tuple(shape[:3]) != self.dims:
            fail("%s: grid %s differs from the mask's %s" % (what, tuple(shape[:3]), self.dims))

    def to_map(self, values, index, as_image=None, fill=np.nan, dtype=np.float32):
        """A 3-D map (or 4-D with values of shape n x k) holding values at
        spatial indices `index` and `fill` elsewhere: a nibabel image on the
        mask's grid when nibabel is installed (as_image None) or asked for,
        else an array."""
        values = np.asarray(values)
        k = values.shape[1] if values.ndim == 2 else None
        flat = np.full((self.nvox,) + ((k,) if k else ()), fill, dtype=dtype)
        flat[np.asarray(index, dtype=np.intp)] = values
        shape = self.dims + ((k,) if k else ())
        arr = flat.reshape(shape, order="F")
        if as_image is None:
            as_image = have_nibabel()
        if not as_image:
            return arr
        import nibabel as nib
        img = nib.Nifti1Image(arr, self.affine)
        img.header.set_xyzt_units("mm", "sec")
        return img


def gather(data, grid, index, what="data"):
    """Rows = volumes, columns = the voxels `index` of a 4-D image or array
    (x, y, z, t), as a C-contiguous float64 array (one copy: the selection)."""
    if isinstance(data, (list, tuple)):  # 3-D maps (or 4-D series) one after another
        parts = [image_array(d) if is_image(d) else np.asarray(d) for d in data]
        arr = np.concatenate([p[..., None] if p.ndim == 3 else p for p in parts], axis=3)
    else:
        arr = image_array(data) if is_image(data) else np.asarray(data)
    if arr.ndim == 3:
        arr = arr[..., None]
    if arr.ndim != 4:
        fail("%s: a 4-D series (x, y, z, volumes) is needed, got shape %s" % (what, arr.shape))
    grid.check_shape(arr.shape, what)
    nt = arr.shape[3]
    # a view when arr is Fortran-ordered (nibabel's arrays are): its
    # transpose is then C-ordered volumes x voxels, and taking the columns
    # is the one copy
    flat = arr.reshape((-1, nt), order="F")
    out = flat.T[:, np.asarray(index, dtype=np.intp)]
    return np.ascontiguousarray(out, dtype=np.float64)
