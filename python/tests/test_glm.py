"""bract.glm against bract glm (bit for bit) and nilearn's
FirstLevelModel (testdata/reference/glm/event, the README's tolerances)."""

import numpy as np
import pytest

import bract

from conftest import data_of, nifti, ref, same, tsv_columns, tsv_matrix

nib = pytest.importorskip("nibabel")

E = ref("glm", "event")
BOLD = [E + "/sub-01_task-words_run-%d_bold.nii.gz" % r for r in (1, 2)]
EVENTS = [E + "/sub-01_task-words_run-%d_events.tsv" % r for r in (1, 2)]
CONF = [E + "/sub-01_task-words_run-%d_desc-confounds_timeseries.tsv" % r for r in (1, 2)]
MASK = E + "/mask.nii.gz"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """bract glm on both runs with motion confounds, a t and an F contrast."""
    import subprocess
    from conftest import CLI
    out = tmp_path_factory.mktemp("glm") / "glm"
    p = subprocess.run([CLI, "glm", "--data", *BOLD, "--events", *EVENTS, "--confounds", *CONF,
                        "--confound-strategy", "motion6", "--mask", MASK, "--contrast",
                        "animals=cat+dog+horse-car-bus-hammer", "--f-contrast",
                        "pairs=cat-dog,car-bus", "-o", str(out), "--quiet"],
                       capture_output=True, text=True)
    if p.returncode:
        pytest.skip("bract glm failed: %s" % p.stderr)
    return out


def check_same_as_cli(g, out):
    assert same(data_of(g.betas), nifti(out / "betas.nii.gz"))
    assert same(data_of(g.residuals), nifti(out / "residuals.nii.gz"))
    cols = tsv_columns(out / "betas.tsv")
    assert g.beta_table["condition"] == cols["condition"]
    assert g.beta_table["run"] == cols["run"]
    for s in ("effect", "variance", "t", "z", "p"):
        assert same(data_of(g.contrasts["animals"][s]),
                    nifti(out / ("contrast-animals_stat-%s.nii.gz" % s))), s
    for s in ("effect", "F"):
        assert same(data_of(g.contrasts["pairs"][s]),
                    nifti(out / ("contrast-pairs_stat-%s.nii.gz" % s))), s
    for r, (names, x) in enumerate(g.designs):
        want, head = tsv_matrix(out / ("design_run-%d.tsv" % (r + 1)))
        assert names == head and same(x, want)
    assert g.residual_dof == 236


def test_files_equal_cli(two_runs):
    g = bract.glm(BOLD, EVENTS, MASK, confounds=CONF, confound_strategy="motion6",
                  contrasts={"animals": "cat+dog+horse-car-bus-hammer"},
                  f_contrasts={"pairs": ["cat-dog", "car-bus"]})
    check_same_as_cli(g, two_runs)


def events_in_memory(path):
    """A DataFrame when pandas is installed, else a dict of columns."""
    cols = tsv_columns(path)
    cols = {"onset": [float(v) for v in cols["onset"]],
            "duration": [float(v) for v in cols["duration"]], "trial_type": cols["trial_type"]}
    try:
        import pandas as pd
        return pd.DataFrame(cols)
    except ImportError:
        return cols


def test_images_and_events_in_memory_equal_cli(two_runs):
    g = bract.glm([nib.load(b) for b in BOLD],
                  [events_in_memory(e) for e in EVENTS], nib.load(MASK),
                  confounds=CONF, confound_strategy="motion6",
                  contrasts={"animals": "cat+dog+horse-car-bus-hammer"},
                  f_contrasts={"pairs": ["cat-dog", "car-bus"]}, threads=1)
    check_same_as_cli(g, two_runs)


def test_dicts_of_columns_equal_files():
    ev = tsv_columns(EVENTS[0])
    cols = {"onset": [float(v) for v in ev["onset"]],
            "duration": [float(v) for v in ev["duration"]], "trial_type": ev["trial_type"]}
    a = bract.glm(BOLD[0], cols, MASK, noise="ols", as_image=False)
    b = bract.glm(BOLD[0], EVENTS[0], MASK, noise="ols", as_image=False)
    assert same(a.betas, b.betas) and same(a.residuals, b.residuals)


@pytest.mark.parametrize("trials", ["lss", "lsa"])
def test_trials_equal_cli(cli, tmp_path, trials):
    cli("glm", "-d", BOLD[0], "-e", EVENTS[0], "-m", MASK, "--trials", trials, "--noise", "ols",
        "-o", tmp_path / "t")
    g = bract.glm(BOLD[0], EVENTS[0], MASK, trials=trials, noise="ols")
    assert same(data_of(g.betas), nifti(tmp_path / "t" / "betas.nii.gz"))
    cols = tsv_columns(tmp_path / "t" / "betas.tsv")
    assert g.beta_table["trial"] == cols["trial"]
    assert same(g.beta_table["onset"], [float(v) for v in cols["onset"]])


def rel_err(got, voxels, fixture, names):
    """The fixture's worst relative error, as tests/test_glm.c measures it."""
    cols = tsv_columns(fixture)
    mask = nifti(MASK)
    nx, ny = mask.shape[:2]
    pos = {int(v): i for i, v in enumerate(voxels)}
    worst = 0.0
    for c in list(cols)[3:]:
        refv = np.array([float(v) for v in cols[c]])
        big = np.abs(refv).max()
        k = names.index(c)
        for row in range(len(refv)):
            v = int(cols["i"][row]) + nx * (int(cols["j"][row]) + ny * int(cols["k"][row]))
            den = max(abs(refv[row]), 1e-3 * big)
            worst = max(worst, abs(got[pos[v], k] - refv[row]) / den)
    return worst


@pytest.mark.parametrize("noise,tol", [("ols", 1e-8), ("ar1", 1e-6)])
def test_nilearn_betas(noise, tol):
    """nilearn's betas with the six raw motion columns as confounds (the
    fixtures passed them undemeaned: an array is used as given)."""
    conf = tsv_columns(CONF[0])
    names = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
    x = np.column_stack([[float(v) for v in conf[c]] for c in names])
    g = bract.glm(BOLD[0], EVENTS[0], MASK, confounds=x, noise=noise, as_image=False)
    conds = g.beta_table["condition"]
    err = rel_err(g.beta_values, g.voxels, E + "/betas_%s_motion6_run-1.tsv" % noise, conds)
    assert err <= tol


def test_errors():
    with pytest.raises(bract.Error, match="unknown|expected one of"):
        bract.glm(BOLD[0], EVENTS[0], MASK, hrf="gamma")
    with pytest.raises(bract.Error, match="2 runs but one events"):
        bract.glm(BOLD, EVENTS[0], MASK)
    with pytest.raises(bract.Error, match="contrast bad"):
        bract.glm(BOLD[0], EVENTS[0], MASK, contrasts={"bad": "cat-zebra"})
    with pytest.raises(bract.Error, match="LSS needs one regressor per condition"):
        bract.glm(BOLD[0], EVENTS[0], MASK, trials="lss", hrf="spm+derivative")
