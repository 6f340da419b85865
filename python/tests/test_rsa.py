"""bract.model_rdm, bract.compare, bract.noise_ceiling and bract.rsa
against the CLI (bit for bit) and rsatoolbox's numbers (1e-10)."""

import numpy as np
import pytest

import bract

from conftest import num, patterns_table, ref, same, tsv_columns

EMB = ref("embeddings")
PATTERNS = ref("rsa", "patterns.tsv")


@pytest.fixture(scope="module")
def words():
    return list(dict.fromkeys(patterns_table(PATTERNS)[1]))


# ---- model RDMs ----

@pytest.mark.parametrize("table", ["vectors.tsv", "vectors.w2v.txt", "vectors.w2v.bin",
                                   "vectors.glove.txt"])
@pytest.mark.parametrize("method", ["cosine", "correlation", "euclidean"])
def test_model_rdm_equals_cli(cli, tmp_path, table, method):
    out = tmp_path / "model.tsv"
    cli("rdm", "model", "--embeddings", ref("embeddings", table), "--conditions", PATTERNS,
        "--method", method, "-o", out)
    want = bract.read_rdms(out)
    got = bract.model_rdm(ref("embeddings", table), PATTERNS, method=method)
    assert got.names == want.names and got.conditions == want.conditions
    assert same(got.dissimilarities, want.dissimilarities)
    # a list of words gives the same RDM as the conditions table
    assert same(bract.model_rdm(ref("embeddings", table), want.conditions,
                                method=method).dissimilarities, want.dissimilarities)


@pytest.mark.parametrize("table,tol", [("vectors.tsv", 1e-10), ("vectors.w2v.bin", 1e-6)])
def test_model_rdm_reference(words, table, tol):
    cols = tsv_columns(ref("embeddings", "expected_model_rdms.tsv"))
    exp = {}
    for name, v in zip(cols["rdm"], cols["dissimilarity"]):
        exp.setdefault(name, []).append(float(v))
    for method in ("cosine", "correlation", "euclidean"):
        got = bract.model_rdm(ref("embeddings", table), words, method=method)
        np.testing.assert_allclose(got.dissimilarities[0], exp[method], rtol=0, atol=tol)


def test_model_rdm_missing_words(words):
    with pytest.raises(bract.Error, match=r"1 of 13 words not in .*: zebra \(try lowercase"):
        bract.model_rdm(ref("embeddings", "vectors.tsv"), words + ["zebra"])
    with pytest.warns(bract.BractWarning, match="zebra"):
        r = bract.model_rdm(ref("embeddings", "vectors.tsv"), words + ["zebra"],
                            allow_missing=True)
    assert r.conditions == words


def test_model_rdm_bad_format_and_method(words):
    with pytest.raises(bract.Error, match="unknown embedding format 'fasttext' \\(expected"):
        bract.model_rdm(ref("embeddings", "vectors.tsv"), words, format="fasttext")
    with pytest.raises(bract.Error, match="noise estimate"):
        bract.model_rdm(ref("embeddings", "vectors.tsv"), words, method="crossnobis")


# ---- comparisons (rsatoolbox's, testdata/reference/rsa: 1e-10) ----

METHODS = {"cosine": "cosine", "corr": "pearson", "spearman": "spearman", "rho-a": "rho-a",
           "kendall": "kendall", "tau-a": "tau-a", "cosine_cov": "cosine_cov",
           "corr_cov": "corr_cov"}


@pytest.fixture(scope="module")
def compare_inputs():
    return tsv_columns(ref("rsa", "compare_inputs.tsv"))


def test_compare_reference(compare_inputs):
    model = np.array([float(v) for v in compare_inputs["model"]])
    exp = tsv_columns(ref("rsa", "expected_compare.tsv"))
    for subj, m, value in zip(exp["data"], exp["method"], exp["value"]):
        x = np.array([float(v) for v in compare_inputs[subj]])
        assert abs(bract.compare(x, model, METHODS[m]) - float(value)) <= 1e-10, (subj, m)
    assert len(exp["data"]) == 5 * len(METHODS)


def test_noise_ceiling_reference(compare_inputs):
    exp = tsv_columns(ref("rsa", "expected_noise_ceiling.tsv"))
    subjects = np.array([[float(v) for v in compare_inputs[c]] for c in compare_inputs
                         if c.startswith("subject")])
    n = int(round((1 + np.sqrt(1 + 8 * subjects.shape[1])) / 2))
    rdms = bract.RDMs(subjects, ["c%d" % i for i in range(n)])
    for i, m in enumerate(exp["method"]):
        lo, hi = bract.noise_ceiling(rdms, METHODS.get(m, m))
        assert abs(lo - float(exp["lower"][i])) <= 1e-10, m
        assert abs(hi - float(exp["upper"][i])) <= 1e-10, m


def test_compare_matches_conditions_by_label(words):
    x, conds, runs = patterns_table(PATTERNS)
    neural = bract.rdm(x, conds, runs=runs)
    model = bract.model_rdm(ref("embeddings", "vectors.tsv"), words)
    shuffled = model.reorder(words[::-1])
    assert bract.compare(neural, shuffled) == bract.compare(neural, model)
    assert bract.compare(neural.matrix(), model.matrix(), "kendall") == \
        bract.compare(neural, model, "tau-b")


# ---- bract rsa ----

@pytest.fixture(scope="module")
def subjects(tmp_path_factory):
    """Three subjects' RDM sets of two regions, and two models, as files."""
    d = tmp_path_factory.mktemp("rsa")
    x, conds, runs = patterns_table(PATTERNS)
    rng = np.random.default_rng(3)
    files = []
    for s in range(3):
        y = x + rng.normal(scale=0.5, size=x.shape)
        r = bract.rdm({"left": y[:, :15], "right": y[:, 15:]}, conds, runs=runs)
        files.append(str(d / ("sub-%02d_rdms.tsv" % (s + 1))))
        r.save(files[-1])
    words = list(dict.fromkeys(conds))
    m1 = bract.model_rdm(ref("embeddings", "vectors.tsv"), words, name="w2v")
    m2 = bract.model_rdm(ref("embeddings", "vectors.tsv"), words, method="euclidean", name="euc")
    models = bract.RDMs(np.vstack([m1.dissimilarities, m2.dissimilarities]), words,
                        ["w2v", "euc"])
    mfile = str(d / "models.tsv")
    models.save(mfile)
    return files, mfile


def table_equals_tsv(t, path):
    cols = tsv_columns(path)
    assert t.columns == list(cols)
    assert len(t) == len(cols["r"])
    for c in t.columns:
        got = t[c]
        if isinstance(got, np.ndarray):
            assert same(got, np.array([num(v) for v in cols[c]])), c
        else:
            assert [("n/a" if v is None else v) for v in got] == cols[c], c


@pytest.mark.parametrize("opts,kw", [
    (["--permutations", "0"], {"permutations": 0}),
    (["--permutations", "200", "--bootstrap", "50"], {"permutations": 200, "bootstrap": 50}),
    (["--method", "kendall", "--permutations", "100", "--alternative", "two-sided"],
     {"method": "kendall", "permutations": 100, "alternative": "two-sided"}),
    (["--group", "--permutations", "100"], {"group": True, "permutations": 100}),
    (["--group", "--group-test", "signflip", "--flips", "500", "--permutations", "0"],
     {"group": True, "group_test": "signflip", "flips": 500, "permutations": 0}),
    (["--group", "--group-test", "wilcoxon", "--no-fisher", "--no-pairwise",
      "--permutations", "0", "--seed", "9"],
     {"group": True, "group_test": "wilcoxon", "fisher": False, "pairwise": False,
      "permutations": 0, "seed": 9}),
    (["--method", "pearson", "--partial", "--permutations", "50"],
     {"method": "pearson", "partial": True, "permutations": 50}),
])
def test_rsa_equals_cli(cli, tmp_path, subjects, opts, kw):
    files, mfile = subjects
    out = tmp_path / "rsa.tsv"
    cli("rsa", "--neural", *files, "--model", mfile, *opts, "-o", out)
    table_equals_tsv(bract.rsa(files, mfile, **kw), out)


def test_rsa_on_objects_equals_files(subjects):
    files, mfile = subjects
    objs = [bract.read_rdms(f) for f in files]
    a = bract.rsa(files, mfile, group=True, permutations=50)
    b = bract.rsa(objs, bract.read_rdms(mfile), group=True, permutations=50,
                  subjects=["sub-01_rdms", "sub-02_rdms", "sub-03_rdms"])
    for c in a.columns:
        assert (same(a[c], b[c]) if isinstance(a[c], np.ndarray) else a[c] == b[c]), c


def test_rsa_threads_give_the_same_numbers(subjects):
    files, mfile = subjects
    a = bract.rsa(files, mfile, permutations=300, bootstrap=30, threads=1)
    b = bract.rsa(files, mfile, permutations=300, bootstrap=30, threads=2)
    for c in ("r", "p", "ci_low", "ci_high"):
        assert same(a[c], b[c])


def test_rsa_errors(subjects, tmp_path):
    files, mfile = subjects
    with pytest.raises(bract.Error, match="unknown group test 'z' \\(expected one of t, "
                                          "wilcoxon, signflip\\)"):
        bract.rsa(files, mfile, group=True, group_test="z")
    with pytest.raises(bract.Error, match="group statistics need at least 2 subjects"):
        bract.rsa(files[0], mfile, group=True)
    other = bract.RDMs(np.arange(3.0), ["a", "b", "c"], ["abc"])
    with pytest.raises(bract.Error) as e:
        bract.rsa(files[0], other, permutations=0)
    assert e.value.status == -5  # BRACT_EDATA: the conditions differ, said by the library
