"""bract.clean, bract.dfc and bract.timescale against the CLI (bit for
bit) and against nilearn, teneto/statsmodels and analytic values
(testdata/reference, at the tolerances its README gives)."""

import numpy as np
import pytest

import bract

from conftest import TESTDATA, data_of, nifti, ref, same, tsv_columns, tsv_matrix

SIG = ref("signal")


def series(path):
    x, head = tsv_matrix(path)
    return x, head


# ---- clean ----

@pytest.mark.parametrize("opts,kw", [
    ([], {}),
    (["--standardize", "none", "--detrend", "none"], {"standardize": "none", "detrend": None}),
    (["--confounds", SIG + "/confounds.tsv", "--tr", "2", "--high-pass", "0.01",
      "--low-pass", "0.1"], {"confounds": "file", "tr": 2, "high_pass": 0.01, "low_pass": 0.1}),
    (["--confounds", SIG + "/confounds.tsv", "--tr", "2", "--high-pass", "0.01", "--low-pass",
      "0.1", "--censor", "0-1,50-52,100,170,238-239"],
     {"confounds": "file", "tr": 2, "high_pass": 0.01, "low_pass": 0.1,
      "censor": [0, 1, 50, 51, 52, 100, 170, 238, 239]}),
    (["--tr", "2", "--high-pass", "0.01", "--runs", "120,120", "--standardize", "psc",
      "--detrend", "2"], {"tr": 2, "high_pass": 0.01, "runs": [120, 120], "standardize": "psc",
                          "detrend": 2}),
    (["--confounds", SIG + "/confounds.tsv", "--no-standardize-confounds", "--standardize",
      "zscore-population"], {"confounds": "array", "standardize_confounds": False,
                             "standardize": "zscore-population"}),
])
def test_clean_equals_cli(cli, tmp_path, opts, kw):
    x, head = series(SIG + "/timeseries.tsv")
    cli("clean", "--data", SIG + "/timeseries.tsv", *opts, "-o", tmp_path / "out.tsv")
    want, whead = tsv_matrix(tmp_path / "out.tsv")
    if kw.get("confounds") == "file":
        kw["confounds"] = SIG + "/confounds.tsv"
    elif kw.get("confounds") == "array":
        kw["confounds"] = tsv_matrix(SIG + "/confounds.tsv")[0]
    got = bract.clean(x, names=head, **kw)
    assert whead == head
    assert same(got, want)


def test_clean_file(cli, tmp_path):
    cli("clean", "--data", SIG + "/timeseries.tsv", "--tr", "2", "--low-pass", "0.1",
        "-o", tmp_path / "out.tsv")
    want = tsv_matrix(tmp_path / "out.tsv")[0]
    assert same(bract.clean(SIG + "/timeseries.tsv", tr=2, low_pass=0.1), want)


def test_clean_dataframe(cli, tmp_path):
    pd = pytest.importorskip("pandas")
    cli("clean", "--data", SIG + "/timeseries.tsv", "--tr", "2", "--low-pass", "0.1",
        "-o", tmp_path / "out.tsv")
    want = tsv_matrix(tmp_path / "out.tsv")[0]
    df = pd.read_csv(SIG + "/timeseries.tsv", sep="\t", float_precision="round_trip")
    got = bract.clean(df, tr=2, low_pass=0.1)
    assert list(got.columns) == list(df.columns) and same(got.to_numpy(), want)


@pytest.mark.parametrize("case,kw", [
    ("detrend", {"standardize": "none"}),
    ("detrend_zscore_sample", {}),
    ("bandpass_0.01_0.1", {"tr": 2, "high_pass": 0.01, "low_pass": 0.1, "standardize": "none",
                           "keep_mean": True}),
    ("confounds_zscore_sample", {"confounds": SIG + "/confounds.tsv"}),
    ("all", {"confounds": SIG + "/confounds.tsv", "tr": 2, "high_pass": 0.01, "low_pass": 0.1}),
])
def test_clean_nilearn_reference(case, kw):
    x, _ = series(SIG + "/timeseries.tsv")
    want = tsv_matrix(SIG + "/expected_%s.tsv" % case)[0]
    np.testing.assert_allclose(bract.clean(x, **kw), want, rtol=0, atol=1e-8)


def test_clean_volume_equals_cli(cli, tmp_path):
    nib = pytest.importorskip("nibabel")
    h = TESTDATA + "/data/haxby2001-sub001/sub001"
    bold, mask = h + "/BOLD/task001_run001/bold_25mm.nii.gz", h + "/masks/25mm/brain.nii.gz"
    cli("clean", "--data", bold, "--mask", mask, "--high-pass", "0.01", "-o",
        tmp_path / "c.nii.gz")
    want = nifti(tmp_path / "c.nii.gz")
    got = bract.clean(bold, mask=mask, high_pass=0.01)
    assert same(data_of(got), want)
    img = nib.load(bold)
    got2 = bract.clean(img, mask=nib.load(mask), high_pass=0.01, as_image=False)
    assert same(got2, want)
    assert abs(got.header.get_zooms()[3] - 2.5) < 1e-6


# ---- dfc ----

@pytest.mark.parametrize("opts,kw", [
    (["--window", "30", "--states", "3"], {"window": 30, "states": 3}),
    (["--window", "30", "--step", "5", "--taper", "gaussian", "--sigma", "5", "--fisher"],
     {"window": 30, "step": 5, "taper": "gaussian", "sigma": 5, "fisher": True}),
    (["--window", "20", "--taper", "gift", "--states", "2", "--distance", "l1",
      "--restarts", "3", "--seed", "5"],
     {"window": 20, "taper": "gift", "states": 2, "distance": "l1", "restarts": 3, "seed": 5}),
    (["--window", "30", "--step", "10", "--estimator", "glasso", "--lambda", "0.1"],
     {"window": 30, "step": 10, "estimator": "glasso", "lam": 0.1}),
    (["--window", "30", "--estimator", "ledoit-wolf"], {"window": 30, "estimator": "ledoit-wolf"}),
])
def test_dfc_equals_cli(cli, tmp_path, opts, kw):
    data = ref("dfc", "input.tsv")
    cli("dfc", "--data", data, *opts, "-o", tmp_path / "d")
    d = tmp_path / "d"
    got = bract.dfc(data, **kw)
    assert same(got.windows, np.load(d / "windows.npy"))
    info = tsv_columns(d / "window_info.tsv")
    assert same(got.window_mean, [float(v) for v in info["mean_fc"]])
    assert same(got.window_sd, [float(v) for v in info["sd_fc"]])
    assert same(got.first_volume, [int(v) for v in info["first_volume"]])
    assert same(got.edge_mean[0], tsv_matrix(d / "edge_mean.tsv", 3)[0][:, 0])
    assert same(got.edge_std[0], tsv_matrix(d / "edge_std.tsv", 3)[0][:, 0])
    reg = tsv_matrix(d / "regions.tsv", 2)[0]
    assert same(np.column_stack([got.strength_mean[0], got.strength_std[0],
                                 got.edge_std_mean[0]]), reg)
    assert same(got.fc_variance, tsv_matrix(d / "summary.tsv", 1)[0][:, 2])
    if "states" in kw:
        seq = tsv_matrix(d / "state_sequence.tsv", 1)[0]
        assert same(got.state, seq[:, 2]) and same(got.distance, seq[:, 3])
        cen = tsv_matrix(d / "state_centroids.tsv", 3)[0][:, 0]
        assert same(got.centroids.ravel(), cen)
        summ = tsv_matrix(d / "state_summary.tsv", 1)[0]
        k = kw["states"]
        assert same(np.column_stack([got.fraction[0], got.mean_dwell[0], got.mean_dwell_s[0],
                                     np.full(k, got.transitions[0]),
                                     got.transition_matrix[0]]), summ[:, 1:])


def test_dfc_elbow_equals_cli(cli, tmp_path):
    data = ref("dfc", "input.tsv")
    cli("dfc", "--data", data, "--window", "30", "--step", "3", "--elbow", "1-6", "--restarts",
        "3", "-o", tmp_path / "d")
    got = bract.dfc(data, 30, step=3, elbow=(1, 6), restarts=3)
    e = tsv_matrix(tmp_path / "d" / "elbow.tsv")[0]
    assert same(got.elbow_k_values, e[:, 0]) and same(got.elbow_objective, e[:, 1])
    assert same(got.elbow_ratio, e[:, 2])
    assert same(got.elbow_k_values == got.elbow_k, e[:, 3] == 1)


def test_dfc_two_subjects(cli, tmp_path):
    x, head = series(ref("dfc", "input.tsv"))
    a, b = tmp_path / "sub-01.tsv", tmp_path / "sub-02.tsv"
    from conftest import write_tsv
    write_tsv(a, head, x[:150])
    write_tsv(b, head, x[90:])
    cli("dfc", "--data", a, b, "--window", "30", "--states", "3", "-o", tmp_path / "d")
    got = bract.dfc([x[:150], x[90:]], 30, states=3, names=head)
    assert same(got.windows, np.load(tmp_path / "d" / "windows.npy"))
    assert same(got.transitions, tsv_matrix(tmp_path / "d" / "summary.tsv", 1)[0][:, 4])


def test_dfc_references():
    x, _ = series(ref("dfc", "input.tsv"))
    rect = tsv_matrix(ref("dfc", "expected_rect_w30_s1.tsv"))[0]
    tap = tsv_matrix(ref("dfc", "expected_tapered_w30_sigma5.tsv"))[0]
    # the windows are float32 (windows.npy): compare at float32 precision
    np.testing.assert_allclose(bract.dfc(x, 30).windows, rect, rtol=0, atol=1e-7)
    np.testing.assert_allclose(bract.dfc(x, 30, taper="gaussian", sigma=5).windows, tap, rtol=0,
                               atol=1e-7)


def test_dfc_errors():
    x, _ = series(ref("dfc", "input.tsv"))
    with pytest.raises(bract.Error, match="unknown taper 'hann' \\(expected one of rect, "
                                          "gaussian, gift\\)"):
        bract.dfc(x, 30, taper="hann")
    with pytest.raises(bract.Error, match="seconds need the repetition time"):
        bract.dfc(x, "60s")
    with pytest.raises(bract.Error, match="fewer volumes|longer than|window"):
        bract.dfc(x[:20], 30)


# ---- timescale ----

@pytest.mark.parametrize("method", ["exp", "exp-offset-free", "integral", "e-fold", "ar1",
                                    "knee"])
def test_timescale_equals_cli(cli, tmp_path, method):
    data = ref("timescale", "series.tsv")
    cli("timescale", "--data", data, "--tr", "2", "--method", method, "-o", tmp_path / "t.tsv",
        "--acf", tmp_path / "acf.tsv")
    got, acf = bract.timescale(data, tr=2, method=method, acf=True)
    cols = tsv_columns(tmp_path / "t.tsv")
    assert got.columns[:-1] == list(cols)  # the CLI's columns, then flag_bits
    for c in cols:
        g = got[c]
        if isinstance(g, np.ndarray):
            assert same(g, [float("nan") if v == "n/a" else float(v) for v in cols[c]]), c
        else:
            assert list(g) == cols[c], c
    assert same(acf.T, tsv_matrix(tmp_path / "acf.tsv")[0])


def test_timescale_bootstrap_equals_cli(cli, tmp_path):
    data = ref("timescale", "series.tsv")
    cli("timescale", "--data", data, "--tr", "2", "--method", "ar1", "--bias-correct",
        "--bootstrap", "50", "--seed", "3", "-o", tmp_path / "t.tsv")
    got = bract.timescale(data, tr=2, method="ar1", bias_correct=True, bootstrap=50, seed=3,
                          threads=2)
    cols = tsv_columns(tmp_path / "t.tsv")
    for c in ("tau_s", "se_s", "tau_uncorrected_s", "bias_s", "boot_ok"):
        assert same(got[c], [float(v) for v in cols[c]]), c


def test_timescale_references():
    x, head = series(ref("timescale", "series.tsv"))
    exp = tsv_columns(ref("timescale", "expected_estimators_tr2.tsv"))
    # the integral of r5 runs to lag 63
    for method, col, lags in (("integral", "integral_s", 100), ("ar1", "ar1_s", None)):
        got = bract.timescale(x, tr=2, method=method, max_lag=lags)
        np.testing.assert_allclose(got["tau_s"], [float(v) for v in exp[col]], rtol=0,
                                   atol=1e-10)
    for adjusted, name in ((False, "default"), (True, "adjusted")):
        _, acf = bract.timescale(x, tr=2, max_lag=40, adjusted=adjusted, acf=True)
        want = tsv_matrix(ref("timescale", "expected_acf_%s_lag40.tsv" % name))[0]
        np.testing.assert_allclose(acf.T, want, rtol=0, atol=1e-12)


def test_timescale_volume_equals_cli(cli, tmp_path):
    pytest.importorskip("nibabel")
    h = TESTDATA + "/data/haxby2001-sub001/sub001"
    bold, mask = h + "/BOLD/task001_run001/bold_25mm.nii.gz", h + "/masks/25mm/brain.nii.gz"
    cli("timescale", "--data", bold, "--mask", mask, "--method", "ar1", "-o",
        tmp_path / "tau.nii.gz")
    got = bract.timescale(bold, mask=mask, method="ar1")
    assert same(data_of(got["tau_s"])[nifti(mask) != 0], nifti(tmp_path / "tau.nii.gz")[
        nifti(mask) != 0])
    assert same(data_of(got["r2"])[nifti(mask) != 0], nifti(tmp_path / "tau_r2.nii.gz")[
        nifti(mask) != 0])
