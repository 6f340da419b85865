"""bract.searchlight against bract searchlight on a simulated study: the
same map, bit for bit, from files, nibabel images and arrays."""

import numpy as np
import pytest

import bract

from conftest import data_of, nifti, same, tsv_columns

nib = pytest.importorskip("nibabel")

GRID = ["--grid", "9x9x7", "--regions", "3", "--documents", "0", "--dims", "4",
        "--categories", "2", "--words", "6"]


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """bract simulate rsa's searchlight study (one subject, two runs)."""
    import subprocess
    from conftest import CLI
    d = tmp_path_factory.mktemp("sl")
    p = subprocess.run([CLI, "simulate", "rsa", "-o", str(d / "sim"), "--subjects", "1", *GRID,
                        "--effect", "sphere", "--radius", "6", "--snr", "1", "--quiet"],
                       capture_output=True, text=True)
    if p.returncode:
        pytest.skip("bract simulate rsa failed: %s" % p.stderr)
    return d / "sim"


def inputs(sim):
    return (str(sim / "sub-01_patterns.nii.gz"), str(sim / "conditions.tsv"),
            str(sim / "mask.nii.gz"), str(sim / "model_rdm.tsv"))


@pytest.mark.filterwarnings("ignore::bract.BractWarning")
@pytest.mark.parametrize("opts,kw", [
    ([], {}),
    (["--radius", "4.5", "--strict", "--compare", "pearson"],
     {"radius": 4.5, "strict": True, "compare": "pearson"}),
    (["--voxels", "20", "--method", "euclidean"], {"voxels": 20, "method": "euclidean"}),
    (["--keep-outside", "--min-proportion", "0", "--method", "cosine", "--compare", "kendall"],
     {"keep_outside": True, "min_proportion": 0, "method": "cosine", "compare": "kendall"}),
    (["--method", "crossnobis"], {"method": "crossnobis"}),
    (["--demean-runs", "--compare", "rho-a"], {"demean_runs": True, "compare": "rho-a"}),
])
def test_equals_cli(cli, tmp_path, sim, opts, kw):
    data, conds, mask, model = inputs(sim)
    cli("searchlight", "--data", data, "--conditions", conds, "--mask", mask, "--model", model,
        *opts, "-o", tmp_path / "map.nii.gz", "--counts", tmp_path / "counts.nii.gz")
    want = nifti(tmp_path / "map.nii.gz")
    got = bract.searchlight(data, conds, mask, model, **kw)
    assert list(got) == ["embedding"]
    assert same(data_of(got["embedding"]), want)
    assert same(data_of(got.counts), nifti(tmp_path / "counts.nii.gz"))
    assert np.allclose(nib.load(str(mask)).affine, got["embedding"].affine)


def test_images_and_arrays_equal_files(cli, tmp_path, sim):
    data, conds, mask, model = inputs(sim)
    cli("searchlight", "--data", data, "--conditions", conds, "--mask", mask, "--model", model,
        "-o", tmp_path / "map.nii.gz")
    want = nifti(tmp_path / "map.nii.gz")
    labels = tsv_columns(conds)
    img, mimg = nib.load(data), nib.load(mask)
    rdms = bract.read_rdms(model)
    with pytest.warns(bract.BractWarning, match="centres left out"):
        a = bract.searchlight(img, labels["condition"], mimg, rdms, runs=labels["run"])
        b = bract.searchlight(np.asarray(img.dataobj), labels["condition"],
                              np.asarray(mimg.dataobj), rdms, runs=labels["run"],
                              affine=mimg.affine, as_image=False)
    assert same(data_of(a["embedding"]), want)
    assert isinstance(b["embedding"], np.ndarray) and same(b["embedding"], want)
    assert same(a.centre_values, b.centre_values)
    maps = [img.slicer[..., i] for i in range(img.shape[3])]  # one 3-D map per condition
    with pytest.warns(bract.BractWarning):
        c = bract.searchlight(maps, conds, mimg, rdms)
    assert same(data_of(c["embedding"]), want)


def test_two_models_and_threads(cli, tmp_path, sim):
    data, conds, mask, model = inputs(sim)
    m = bract.read_rdms(model)
    other = bract.RDMs(m.dissimilarities[0][::-1].copy(), m.conditions, ["reversed"])
    other.save(tmp_path / "reversed.tsv")
    cli("searchlight", "--data", data, "--conditions", conds, "--mask", mask, "--model", model,
        tmp_path / "reversed.tsv", "-o", tmp_path / "map.nii.gz")
    with pytest.warns(bract.BractWarning):
        got = bract.searchlight(data, conds, mask, [m, other], threads=1)
        got2 = bract.searchlight(data, conds, mask, [m, other], threads=2)
    assert list(got) == ["embedding", "reversed"]
    assert same(data_of(got["reversed"]), nifti(tmp_path / "map_reversed.nii.gz"))
    assert same(got.centre_values, got2.centre_values)


def test_errors(sim):
    data, conds, mask, model = inputs(sim)
    with pytest.raises(bract.Error, match="unknown RDM method 'pearson'"):
        bract.searchlight(data, conds, mask, model, method="pearson")
    with pytest.raises(bract.Error, match="the mask is empty"):
        bract.searchlight(data, conds, np.zeros((9, 9, 7)), model)
    with pytest.raises(bract.Error, match="grid"):
        bract.searchlight(np.zeros((9, 9, 6, 12)), conds, nib.load(mask), model)
