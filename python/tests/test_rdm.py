"""bract.rdm against bract rdm neural (bit for bit), against rsatoolbox's
RDMs (testdata/reference/rsa, 1e-10), and RDM sets in and out."""

import numpy as np
import pytest

import bract

from conftest import patterns_table, ref, same, tsv_columns, write_tsv

PATTERNS = ref("rsa", "patterns.tsv")


@pytest.fixture(scope="module")
def pat():
    return patterns_table(PATTERNS)


def cli_rdm(cli, tmp_path, name, *opts):
    out = tmp_path / (name + ".tsv")
    cli("rdm", "neural", "--data", PATTERNS, *opts, "-o", out)
    return bract.read_rdms(out), out


@pytest.mark.parametrize("opts,kw", [
    ([], {}),
    (["--method", "euclidean"], {"method": "euclidean"}),
    (["--method", "euclidean", "--plain"], {"method": "euclidean", "plain": True}),
    (["--method", "cosine"], {"method": "cosine"}),
    (["--method", "crossnobis"], {"method": "crossnobis"}),
    (["--method", "crossnobis", "--noise-method", "identity"],
     {"method": "crossnobis", "noise_method": "identity"}),
    (["--method", "crossnobis", "--rsatoolbox-dof"],
     {"method": "crossnobis", "rsatoolbox_dof": True}),
    (["--method", "mahalanobis", "--noise-method", "shrinkage_eye"],
     {"method": "mahalanobis", "noise_method": "shrinkage_eye"}),
    (["--method", "mahalanobis", "--noise-method", "diag"],
     {"method": "mahalanobis", "noise_method": "diag"}),
    (["--demean-runs"], {"demean_runs": True}),
    (["--sort-conditions"], {"sort_conditions": True}),
    (["--exclude", "cat", "鱼"], {"exclude": ["cat", "鱼"]}),
])
def test_equals_cli(cli, tmp_path, pat, opts, kw):
    x, conds, runs = pat
    want, _ = cli_rdm(cli, tmp_path, "out", *opts)
    got = bract.rdm(x, conds, runs=runs, **kw)
    assert got.conditions == want.conditions
    assert got.names == want.names == ["patterns"]
    assert same(got.dissimilarities, want.dissimilarities)


@pytest.mark.parametrize("method", ["mahalanobis", "crossnobis"])
@pytest.mark.parametrize("noise_method", ["shrinkage_diag", "full"])
def test_noise_residuals_equal_cli(cli, tmp_path, pat, method, noise_method):
    """Residuals given as a table (CLI) and as an array (Python)."""
    x, conds, runs = pat
    rng = np.random.default_rng(7)
    res = rng.normal(size=(80, x.shape[1]))
    noise = write_tsv(tmp_path / "noise.tsv", ["v%d" % i for i in range(x.shape[1])], res)
    want, _ = cli_rdm(cli, tmp_path, "out", "--method", method, "--noise", noise,
                      "--noise-method", noise_method, "--noise-dof", "70")
    got = bract.rdm(x, conds, runs=runs, method=method, noise=res, noise_method=noise_method,
                    noise_dof=70)
    assert same(got.dissimilarities, want.dissimilarities)


def test_regions_dict_and_names(pat):
    x, conds, runs = pat
    both = bract.rdm({"left": x[:, :15], "right": x[:, 15:]}, conds, runs=runs)
    assert both.names == ["left", "right"]
    assert same(both.dissimilarities[1], bract.rdm(x[:, 15:], conds, runs=runs).dissimilarities[0])
    assert same(both["right"].dissimilarities, both.dissimilarities[1:])


def test_no_copy_of_a_c_contiguous_float64_array(pat):
    """The patterns are read where they lie: a float32 or Fortran-ordered
    array gives the same RDM as its float64 C-ordered copy."""
    x, conds, runs = pat
    a = bract.rdm(x, conds, runs=runs)
    b = bract.rdm(np.asfortranarray(x), conds, runs=runs)
    assert same(a.dissimilarities, b.dissimilarities)


# ---- rsatoolbox's RDMs (testdata/reference/rsa/README: tolerance 1e-10) ----

@pytest.fixture(scope="module")
def expected():
    cols = tsv_columns(ref("rsa", "expected_rdms.tsv"))
    out = {}
    for name, v in zip(cols["rdm"], cols["dissimilarity"]):
        out.setdefault(name, []).append(float(v))
    return {k: np.array(v) for k, v in out.items()}


@pytest.fixture(scope="module")
def precision():
    return np.loadtxt(ref("rsa", "precision_shrinkage_diag.tsv"), delimiter="\t")  # no header


@pytest.mark.parametrize("name,kw", [
    ("euclidean", {"method": "euclidean"}),
    ("correlation", {"method": "correlation"}),
    ("cosine", {"method": "cosine"}),
    ("crossnobis_identity", {"method": "crossnobis", "noise_method": "identity"}),
])
def test_rsatoolbox_reference(pat, expected, name, kw):
    x, conds, runs = pat
    got = bract.rdm(x, conds, runs=runs, **kw)
    np.testing.assert_allclose(got.dissimilarities[0], expected[name], rtol=0, atol=1e-10)


@pytest.mark.parametrize("method", ["mahalanobis", "crossnobis"])
def test_rsatoolbox_reference_with_precision(pat, expected, precision, method):
    x, conds, runs = pat
    got = bract.rdm(x, conds, runs=runs, method=method, precision=precision)
    np.testing.assert_allclose(got.dissimilarities[0], expected[method], rtol=0, atol=1e-10)


def test_precision_of_the_residuals_equals_the_estimate(pat, precision):
    """The reference precision is the inverse of the shrinkage_diag
    estimate from the pattern rows: giving it outright changes the
    numbers by rounding only."""
    x, conds, runs = pat
    a = bract.rdm(x, conds, runs=runs, method="crossnobis", precision=precision)
    b = bract.rdm(x, conds, runs=runs, method="crossnobis")
    np.testing.assert_allclose(a.dissimilarities, b.dissimilarities, rtol=0, atol=1e-10)


# ---- RDM sets: files and objects ----

def test_save_writes_the_cli_bytes(cli, tmp_path, pat):
    x, conds, runs = pat
    _, out = cli_rdm(cli, tmp_path, "cli")
    mine = tmp_path / "mine.tsv"
    bract.rdm(x, conds, runs=runs).save(mine)
    assert mine.read_bytes() == out.read_bytes()
    with pytest.raises(bract.Error, match="exists"):
        bract.rdm(x, conds, runs=runs).save(mine)


def test_hdf5_round_trip(cli, tmp_path, pat):
    x, conds, runs = pat
    r = bract.rdm(x, conds, runs=runs, method="crossnobis")
    r.save(tmp_path / "mine.h5")
    back = bract.read_rdms(tmp_path / "mine.h5")
    assert back.conditions == r.conditions and back.names == r.names
    assert back.measure == "crossnobis"
    assert same(back.dissimilarities, r.dissimilarities)
    cli("rdm", "neural", "--data", PATTERNS, "--method", "crossnobis", "-o", tmp_path / "c.h5")
    assert same(bract.read_rdms(tmp_path / "c.h5").dissimilarities, r.dissimilarities)


def test_rsatoolbox_fixture_file():
    """An HDF5 file written by rsatoolbox (testdata/rsatoolbox-hdf5)."""
    import glob
    files = sorted(glob.glob(ref("..", "rsatoolbox-hdf5", "*.h5")))
    if not files:
        pytest.skip("no rsatoolbox HDF5 fixture")
    r = bract.read_rdms(files[0], split=True)
    assert r and all(isinstance(x, bract.RDMs) for x in r)


def test_matrix_and_reorder(pat):
    x, conds, runs = pat
    r = bract.rdm(x, conds, runs=runs)
    m = r.matrix()
    n = r.n_conditions
    assert m.shape == (n, n) and np.all(np.diag(m) == 0) and np.array_equal(m, m.T)
    assert same(m[np.triu_indices(n, 1)], r.dissimilarities[0])
    rev = r.reorder(r.conditions[::-1])
    assert same(rev.matrix(), m[::-1, ::-1])


class FakeRsatoolboxRDMs:
    """What from_rsatoolbox reads of an rsatoolbox.rdm.RDMs."""

    def __init__(self, d, conds, names, measure):
        self.d, self.n_cond = d, len(conds)
        self.pattern_descriptors = {"conds": conds}
        self.rdm_descriptors = {"name": names}
        self.dissimilarity_measure = measure

    def get_vectors(self):
        return self.d


def test_from_rsatoolbox(pat):
    x, conds, runs = pat
    r = bract.rdm(x, conds, runs=runs)
    fake = FakeRsatoolboxRDMs(r.dissimilarities, r.conditions, ["roi"], "correlation")
    back = bract.RDMs.from_rsatoolbox(fake)
    assert back.conditions == r.conditions and back.names == ["roi"]
    assert back.measure == "correlation" and same(back.dissimilarities, r.dissimilarities)
    # the neural RDMs of rsa() may be rsatoolbox objects
    model = bract.RDMs(r.dissimilarities[0][::-1].copy(), r.conditions, ["m"])
    t1 = bract.rsa(fake, model, permutations=0)
    t2 = bract.rsa(r, model, permutations=0)
    assert same(t1["r"], t2["r"])


def test_to_rsatoolbox(pat):
    pytest.importorskip("rsatoolbox")
    x, conds, runs = pat
    r = bract.rdm(x, conds, runs=runs)
    rt = r.to_rsatoolbox()
    assert same(rt.get_vectors(), r.dissimilarities)
    back = bract.RDMs.from_rsatoolbox(rt)
    assert back.conditions == r.conditions and same(back.dissimilarities, r.dissimilarities)
