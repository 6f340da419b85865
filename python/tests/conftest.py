"""Shared helpers of the Python package's tests: the repository's paths,
running the CLI built with the library under test, reading its outputs.

Equality with the CLI is tested with ==, not a tolerance: both call the
same library, and the CLI writes every number in the shortest text that
reads back as the same double (float32 in NIfTI maps, which the package
returns as float32 too)."""

import csv
import os
import subprocess

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTDATA = os.path.join(ROOT, "testdata")
REF = os.path.join(TESTDATA, "reference")
CLI = os.environ.get("BRACT_CLI", os.path.join(ROOT, "bract"))


def ref(*parts):
    return os.path.join(REF, *parts)


def num(s):
    return float("nan") if s in ("n/a", "") else float(s)


def read_tsv(path):
    """(header, rows of strings) of a TSV file."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    return rows[0], rows[1:]


def tsv_columns(path):
    """{column: list of strings}."""
    head, rows = read_tsv(path)
    return {h: [r[i] for r in rows] for i, h in enumerate(head)}


def tsv_matrix(path, skip=0):
    """The numeric columns (from column `skip` on) as a float64 array, and
    the header."""
    head, rows = read_tsv(path)
    return np.array([[num(v) for v in r[skip:]] for r in rows]), head


def patterns_table(path):
    """A patterns table: (values rows x features, conditions, runs or None)."""
    cols = tsv_columns(path)
    feats = [c for c in cols if c not in ("condition", "run")]
    x = np.array([[num(cols[c][i]) for c in feats] for i in range(len(cols["condition"]))])
    return x, cols["condition"], cols.get("run")


def write_tsv(path, header, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.write("\t".join(header) + "\n")
        for r in rows:
            f.write("\t".join(repr(float(v)) if isinstance(v, (float, np.floating)) else str(v)
                              for v in r) + "\n")
    return path


def same(a, b):
    """Equal to the last bit, NaN where the other is NaN."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


@pytest.fixture
def cli(tmp_path):
    """run(*args): run the CLI (exit status 0 expected) in tmp_path."""
    if not os.access(CLI, os.X_OK):
        pytest.skip("no bract CLI at %s (make, or set BRACT_CLI)" % CLI)

    def run(*args, status=0):
        p = subprocess.run([CLI] + [str(a) for a in args] + ["--quiet"], cwd=str(tmp_path),
                           capture_output=True, text=True)
        if p.returncode != status:
            raise AssertionError("bract %s: exit %d\n%s" % (" ".join(map(str, args)),
                                                            p.returncode, p.stderr))
        return p
    return run


def nifti(path):
    nib = pytest.importorskip("nibabel")
    return np.asanyarray(nib.load(str(path)).dataobj)


def data_of(img):
    return np.asanyarray(img.dataobj) if hasattr(img, "dataobj") else np.asarray(img)
