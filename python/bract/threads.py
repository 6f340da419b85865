"""Threads: how many OpenMP threads bract's parallel stages use."""

import contextlib

from ._lib import lib


def set_threads(n=None):
    """Set the number of threads for bract's parallel stages (None or < 1:
    all cores); returns the number in effect.  Results are the same for any
    number (bract's reductions run in a fixed order)."""
    return lib.bract_set_threads(0 if n is None else int(n))


def get_threads():
    """The number of threads bract's parallel stages use."""
    return lib.bract_get_threads()


@contextlib.contextmanager
def threads_for(n):
    """Run a block with n threads (None: leave the setting alone)."""
    if n is None:
        yield
        return
    before = lib.bract_get_threads()
    lib.bract_set_threads(int(n))
    try:
        yield
    finally:
        lib.bract_set_threads(before)
