"""Loading libbract.so, and the glue every wrapper uses: statuses to
exceptions, queued warnings to Python warnings, numpy arrays to pointers."""

import ctypes.util
import os
import warnings

import numpy as np
from cffi import FFI

from ._cdef import CDEF

ffi = FFI()
ffi.cdef(CDEF)

_HERE = os.path.dirname(os.path.abspath(__file__))


class Error(RuntimeError):
    """A failure reported by libbract: the message is the library's
    (bract_last_error: what went wrong, where, what was expected); `status`
    is the negative BRACT_E* code and `reason` its fixed description."""

    def __init__(self, message, status=-1, reason=""):
        super().__init__(message)
        self.status = status
        self.reason = reason


class BractWarning(UserWarning):
    """A warning queued by libbract (excluded voxels, dropped words, ...)."""


def _candidates():
    """Where libbract.so is looked for, in order: $BRACT_LIBRARY (an
    explicit choice wins), next to the package (a pip install copies it
    there), the build tree of the checkout the package sits in
    (python/bract -> build/libbract.so), then the system's search path."""
    env = os.environ.get("BRACT_LIBRARY")
    if env:
        yield env
        return
    yield os.path.join(_HERE, "libbract.so")
    yield os.path.join(_HERE, "libbract.so.0")
    checkout = os.path.dirname(os.path.dirname(_HERE))
    yield os.path.join(checkout, "build", "libbract.so")
    found = ctypes.util.find_library("bract")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            tried.append(path + " (no such file)")
            continue
        try:
            return ffi.dlopen(path), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError(
        "bract: cannot load libbract.so; tried: " + "; ".join(tried or ["nothing found"]) +
        ". Build it with `make` (the package then finds build/libbract.so), install it with "
        "`make install`, or point BRACT_LIBRARY at it.")


lib, library_path = _load()
lib.bract_init()


def take_warnings(stacklevel=3):
    """Re-issue the warnings the library queued on this thread."""
    msgs = ffi.new("const char *const **")
    n = lib.bract_take_warnings(msgs)
    for i in range(n):
        warnings.warn(ffi.string(msgs[0][i]).decode("utf-8", "replace"), BractWarning,
                      stacklevel=stacklevel)


def last_error():
    return ffi.string(lib.bract_last_error()).decode("utf-8", "replace")


def check(status, context=None):
    """Raise Error for a negative status (after passing on any warnings)."""
    if status >= 0:
        take_warnings(stacklevel=4)
        return status
    msg = last_error()
    take_warnings(stacklevel=4)
    reason = ffi.string(lib.bract_strerror(status)).decode()
    if context:
        msg = "%s: %s" % (context, msg)
    raise Error(msg or reason, status, reason)


def fail(message, status=-1):
    """An error of the bindings' own (arguments the library never sees)."""
    raise Error(message, status, "invalid argument")


# ---- strings ----

def cstr(s):
    if isinstance(s, bytes):
        return s
    return os.fsencode(s) if isinstance(s, os.PathLike) else str(s).encode("utf-8")


def pystr(p):
    return ffi.string(p).decode("utf-8", "replace") if p != ffi.NULL else None


class StrArray:
    """A const char *const * array kept alive with its strings (None -> NULL)."""

    def __init__(self, items):
        self.bufs = [None if s is None else ffi.new("char[]", cstr(s)) for s in items]
        self.ptr = ffi.new("const char *[]", [ffi.NULL if b is None else b for b in self.bufs]
                           or [ffi.NULL])
        self.n = len(self.bufs)


def parse_enum(fn, ctype, name, what):
    """A library enum parser (bract_x_parse): its value, or Error with the
    library's message listing the names it accepts."""
    if name is None:
        fail("no %s given" % what)
    out = ffi.new(ctype + " *")
    check(fn(cstr(name), out))
    return out[0]


# ---- arrays ----

def as_f64(a, ndim=None, what="array"):
    """A C-contiguous float64 view of a (a copy only when the dtype or the
    memory order require one)."""
    arr = np.ascontiguousarray(a, dtype=np.float64)
    if ndim is not None and arr.ndim != ndim:
        fail("%s: expected %d dimensions, got an array of shape %s" % (what, ndim, arr.shape))
    return arr


def dptr(arr):
    """double * into a C-contiguous float64 array (no copy)."""
    assert arr.dtype == np.float64 and arr.flags.c_contiguous
    return ffi.cast("double *", ffi.from_buffer(arr))


def fptr(arr):
    assert arr.dtype == np.float32 and arr.flags.c_contiguous
    return ffi.cast("float *", ffi.from_buffer(arr))


def sizeptr(arr):
    assert arr.dtype == np.uintp and arr.flags.c_contiguous
    return ffi.cast("size_t *", ffi.from_buffer(arr))


def copy_array(ptr, n, dtype=np.float64):
    """A numpy copy of n values at a C pointer the library owns."""
    if n == 0:
        return np.empty(0, dtype=dtype)
    ctype = {np.float64: "double", np.float32: "float", np.uintp: "size_t",
             np.uint8: "unsigned char", np.uint32: "uint32_t"}[dtype]
    buf = ffi.buffer(ffi.cast(ctype + " *", ptr), n * np.dtype(dtype).itemsize)
    return np.frombuffer(buf, dtype=dtype).copy()


class Owned:
    """A library object freed by its free function when the block ends."""

    def __init__(self, ctype, free):
        self.pp = ffi.new(ctype + " *")
        self.free = free

    @property
    def p(self):
        return self.pp[0]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.pp[0] != ffi.NULL:
            self.free(self.pp[0])
            self.pp[0] = ffi.NULL
        return False
