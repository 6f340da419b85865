"""RDM sets: the RDMs class, reading and writing through the library, and
conversion to and from rsatoolbox."""

import os

import numpy as np

from ._lib import Owned, StrArray, check, copy_array, cstr, fail, ffi, lib, pystr


class RDMs:
    """A set of representational dissimilarity matrices over one list of
    conditions, kept condensed: the n(n-1)/2 upper-triangle entries of each,
    row-major, i < j (scipy's squareform order, rsatoolbox's, and the order
    of bract's RDM-set TSV).

    Attributes:
        dissimilarities: float64 array, one row per RDM (n_rdms x n_pairs);
            NaN marks a missing pair.
        conditions: the condition labels, in RDM order.
        names: one name per RDM (the region, or the model).
        method: bract's RDM method ("correlation", ...) when known.
        measure: what the values measure in rsatoolbox's words
            ("correlation", "squared euclidean", ...), when known.
    """

    def __init__(self, dissimilarities, conditions, names=None, method=None, measure=None):
        d = np.array(dissimilarities, dtype=np.float64, copy=True)
        if d.ndim == 1:
            d = d[None, :]
        if d.ndim != 2:
            fail("dissimilarities: expected one condensed vector per RDM (2-D), got shape %s"
                 % (d.shape,))
        self.conditions = [str(c) for c in conditions]
        n = len(self.conditions)
        if d.shape[1] != n * (n - 1) // 2:
            fail("%d conditions make RDMs of %d pairs, but the dissimilarities have %d columns"
                 % (n, n * (n - 1) // 2, d.shape[1]))
        if names is None:
            names = ["rdm%d" % (i + 1) for i in range(d.shape[0])]
        elif isinstance(names, str):
            names = [names]
        self.names = [str(x) for x in names]
        if len(self.names) != d.shape[0]:
            fail("%d names for %d RDMs" % (len(self.names), d.shape[0]))
        self.dissimilarities = d
        self.method = method
        self.measure = measure

    # ---- the container ----

    @property
    def n_rdms(self):
        return self.dissimilarities.shape[0]

    @property
    def n_conditions(self):
        return len(self.conditions)

    def __len__(self):
        return self.n_rdms

    def __getitem__(self, key):
        """One RDM (by index or by name) as an RDMs of one."""
        if isinstance(key, str):
            if key not in self.names:
                raise KeyError("no RDM called %r (the set has %s)" % (key, ", ".join(self.names)))
            key = self.names.index(key)
        d = self.dissimilarities[key]
        names = np.array(self.names, dtype=object)[key]
        return RDMs(d, self.conditions, list(np.atleast_1d(names)), self.method, self.measure)

    def __repr__(self):
        return "<bract.RDMs: %d RDM%s of %d conditions%s>" % (
            self.n_rdms, "" if self.n_rdms == 1 else "s", self.n_conditions,
            ", " + self.method if self.method else "")

    def matrix(self, index=0):
        """RDM `index` (or name) as a square matrix (zeros on the diagonal)."""
        if isinstance(index, str):
            index = self.names.index(index)
        n = self.n_conditions
        m = np.zeros((n, n))
        iu = np.triu_indices(n, 1)
        m[iu] = self.dissimilarities[index]
        m[(iu[1], iu[0])] = self.dissimilarities[index]
        return m

    def reorder(self, conditions):
        """The same RDMs with the conditions in another order (every label
        once)."""
        conditions = [str(c) for c in conditions]
        if sorted(conditions) != sorted(self.conditions):
            fail("reorder: the conditions differ (have %s; asked for %s)"
                 % (", ".join(self.conditions), ", ".join(conditions)))
        pos = {c: i for i, c in enumerate(self.conditions)}
        idx = np.array([pos[c] for c in conditions])
        n = len(conditions)
        iu = np.triu_indices(n, 1)
        a, b = idx[iu[0]], idx[iu[1]]
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        col = lo * n - lo * (lo + 1) // 2 + (hi - lo - 1)
        return RDMs(self.dissimilarities[:, col], conditions, self.names, self.method,
                    self.measure)

    # ---- files ----

    def save(self, path, force=False):
        """Write the set through the library: long-form TSV (rdm,
        condition_a, condition_b, dissimilarity), or HDF5 in rsatoolbox's
        layout when `path` ends in .h5 or .hdf5 (rsatoolbox.rdm.load_rdm
        reads it).  Atomic; an existing file is refused unless force."""
        with _CSet(self) as s:
            check(lib.bract_rdmset_write(s.p, cstr(os.fspath(path)), int(bool(force))))

    # ---- rsatoolbox ----

    def to_rsatoolbox(self):
        """An rsatoolbox.rdm.RDMs with the same values, conditions (pattern
        descriptor `conds`), names (RDM descriptor `name`) and measure."""
        try:
            from rsatoolbox.rdm import RDMs as RsaRDMs
        except ImportError as e:
            raise ImportError("to_rsatoolbox needs rsatoolbox (pip install rsatoolbox)") from e
        return RsaRDMs(self.dissimilarities.copy(),
                       dissimilarity_measure=self.measure,
                       rdm_descriptors={"name": list(self.names)},
                       pattern_descriptors={"conds": list(self.conditions)})

    @classmethod
    def from_rsatoolbox(cls, rdms):
        """An RDMs from an rsatoolbox.rdm.RDMs: conditions from its pattern
        descriptor `conds` (else the first string descriptor, else the
        index), names from its RDM descriptor `name` (else rdm1, ...), as
        bract reads rsatoolbox's HDF5 files."""
        d = np.asarray(rdms.get_vectors(), dtype=np.float64)
        pd = getattr(rdms, "pattern_descriptors", {}) or {}
        conds = pd.get("conds")
        if conds is None:
            conds = next((v for v in pd.values() if len(v) and isinstance(v[0], str)), None)
        if conds is None:
            conds = [str(i) for i in range(rdms.n_cond)]
        rd = getattr(rdms, "rdm_descriptors", {}) or {}
        names = rd.get("name")
        if names is None or any(n is None for n in names):
            names = ["rdm%d" % (i + 1) for i in range(d.shape[0])]
        return cls(d, [str(c) for c in conds], [str(n) for n in names],
                   measure=getattr(rdms, "dissimilarity_measure", None))


class _CSet(Owned):
    """A bract_rdmset made from an RDMs for the duration of a call."""

    def __init__(self, r):
        super().__init__("bract_rdmset *", lib.bract_rdmset_free)
        check(lib.bract_rdmset_new(r.n_rdms, self.pp))
        s = self.pp[0]
        conds = StrArray(r.conditions)
        n = r.n_conditions
        npairs = n * (n - 1) // 2
        try:
            for k in range(r.n_rdms):
                check(lib.bract_rdmset_init_rdm(s, k, cstr(r.names[k]), n, conds.ptr))
                src = np.ascontiguousarray(r.dissimilarities[k])
                ffi.memmove(s.rdm[k].d, ffi.from_buffer(src), npairs * 8)
            if r.measure:
                check(lib.bract_rdmset_set_measure(s, cstr(r.measure)))
        except Exception:
            self.__exit__(None, None, None)
            raise


def _from_cset(s, method=None, split=False):
    """RDMs from a bract_rdmset (copied); with split, a list of RDMs of one
    (sets whose RDMs have different conditions)."""
    out = []
    measure = pystr(s.measure)
    for k in range(s.nrdm):
        r = s.rdm[k]
        conds = [pystr(r.cond[i]) for i in range(r.n)]
        d = copy_array(r.d, r.n * (r.n - 1) // 2)
        out.append(RDMs(d, conds, [pystr(r.name)], method, measure))
    if split:
        return out
    if not out:
        fail("the RDM set is empty")
    first = out[0].conditions
    for o in out[1:]:
        if o.conditions != first:
            fail("RDM %s has other conditions than %s (%s vs %s): read the file with "
                 "split=True for one RDMs per RDM"
                 % (o.names[0], out[0].names[0], ", ".join(o.conditions[:5]),
                    ", ".join(first[:5])))
    return RDMs(np.vstack([o.dissimilarities for o in out]), first,
                [o.names[0] for o in out], method, measure)


def read_rdms(path, split=False):
    """Read an RDM set written by bract (long-form TSV, plain or gzipped) or
    an HDF5 file of rsatoolbox's (RDMs.save / bract's .h5).  Returns an
    RDMs, or with split=True a list of RDMs of one RDM each (for files whose
    RDMs have different conditions)."""
    with Owned("bract_rdmset *", lib.bract_rdmset_free) as s:
        check(lib.bract_rdmset_read(cstr(os.fspath(path)), s.pp))
        return _from_cset(s.p, split=split)


def as_rdms(x, what="RDM"):
    """An RDMs from an RDMs, a path, or an rsatoolbox RDMs."""
    if isinstance(x, RDMs):
        return x
    if isinstance(x, (str, bytes, os.PathLike)):
        return read_rdms(x)
    if hasattr(x, "get_vectors") and hasattr(x, "pattern_descriptors"):
        return RDMs.from_rsatoolbox(x)
    fail("%s: expected a bract.RDMs, a file name or an rsatoolbox RDMs, not %s"
         % (what, type(x).__name__))


def condensed(x, what="RDM"):
    """A condensed float64 vector from an RDMs of one, a square matrix or a
    vector."""
    if isinstance(x, RDMs):
        if x.n_rdms != 1:
            fail("%s: an RDMs of %d RDMs; give one (rdms[i])" % (what, x.n_rdms))
        return x.dissimilarities[0]
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[0] > 1:
        return a[np.triu_indices(a.shape[0], 1)]
    if a.ndim != 1:
        fail("%s: expected a condensed vector, a square matrix or an RDMs, got shape %s"
             % (what, a.shape))
    return a
