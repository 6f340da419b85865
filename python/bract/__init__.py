"""bract: brain representations, activity, connectivity and timescales.

Python bindings of libbract (numpy arrays in and out), named after the
commands of the `bract` tool:

    rdm            RDMs of response patterns (bract rdm neural)
    model_rdm      the RDM of word vectors (bract rdm model)
    compare        one comparison of two RDMs
    rsa            comparisons with inference (bract rsa)
    searchlight    searchlight RSA maps (bract searchlight)
    clean          nilearn-style cleaning of time series (bract clean)
    dfc            sliding-window connectivity and states (bract dfc)
    timescale      intrinsic timescales (bract timescale)
    glm            the first-level GLM (bract glm)
    read_rdms, RDMs, set_threads, Error

Errors of the library are raised as bract.Error with its message; its
warnings are issued as bract.BractWarning through Python's warnings.
"""

from ._lib import BractWarning, Error, library_path, pystr as _pystr
from ._lib import ffi, lib  # the raw bindings, for what the functions do not cover
from .rdms import RDMs, read_rdms
from .rsa import compare, model_rdm, noise_ceiling, rdm, rsa
from .glm import GLMResult, glm
from .searchlight import SearchlightMaps, searchlight
from .timeseries import DFC, clean, dfc, timescale
from .table import Table
from .threads import get_threads, set_threads

__version__ = _pystr(lib.bract_version())


def build_info():
    """The libraries libbract runs with and their versions, one per line."""
    return _pystr(lib.bract_build_info())


__all__ = ["BractWarning", "DFC", "Error", "GLMResult", "RDMs", "SearchlightMaps", "Table",
           "build_info", "clean", "compare", "dfc", "ffi", "get_threads", "glm", "lib",
           "library_path",
           "model_rdm", "noise_ceiling", "rdm", "read_rdms", "rsa", "searchlight", "set_threads",
           "timescale", "__version__"]
