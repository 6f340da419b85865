"""The package itself: the version, where it finds libbract.so, errors
carrying the library's message (the one the CLI prints), warnings through
Python's warnings module, threads, and the README's tutorial as written."""

import os
import subprocess
import sys

import numpy as np
import pytest

import bract

from conftest import CLI, ROOT, patterns_table, ref

PKG = os.path.dirname(os.path.dirname(os.path.abspath(bract.__file__)))


def test_version_is_the_librarys():
    with open(os.path.join(ROOT, "VERSION")) as f:
        assert bract.__version__ == f.read().strip()
    if os.access(CLI, os.X_OK):
        out = subprocess.run([CLI, "--version"], capture_output=True, text=True).stdout
        assert bract.__version__ in out.splitlines()[0]
    assert "OpenMP" in bract.build_info()


def run_python(code, **env):
    e = dict(os.environ, PYTHONPATH=PKG)
    e.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e,
                          cwd=ROOT)


def test_bract_library_wins_and_says_what_it_tried(tmp_path):
    bad = str(tmp_path / "nowhere" / "libbract.so")
    p = run_python("import bract", BRACT_LIBRARY=bad)
    assert p.returncode != 0
    assert "cannot load libbract.so" in p.stderr and bad in p.stderr
    p = run_python("import bract; print(bract.library_path)", BRACT_LIBRARY=bract.library_path)
    assert p.stdout.strip() == bract.library_path


def test_the_build_tree_is_found_without_the_variable():
    env = {k: v for k, v in os.environ.items() if k != "BRACT_LIBRARY"}
    env["PYTHONPATH"] = os.path.join(ROOT, "python")
    p = subprocess.run([sys.executable, "-c", "import bract; print(bract.library_path)"],
                       capture_output=True, text=True, env=env, cwd="/")
    if not os.path.exists(os.path.join(ROOT, "build", "libbract.so")):
        pytest.skip("no build/libbract.so")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() in (os.path.join(ROOT, "build", "libbract.so"),
                                os.path.join(ROOT, "python", "bract", "libbract.so"))


# ---- errors ----

def test_bad_method_names_raise_the_librarys_message(cli, tmp_path):
    x, conds, runs = patterns_table(ref("rsa", "patterns.tsv"))
    cases = [
        (lambda: bract.rdm(x, conds, method="pearson"),
         ["rdm", "neural", "--data", ref("rsa", "patterns.tsv"), "--method", "pearson", "-o",
          tmp_path / "r.tsv"]),
        (lambda: bract.compare(np.arange(6.0), np.arange(6.0)[::-1], "spearmann"),
         ["rsa", "--neural", ref("rsa", "patterns.tsv"), "--model", ref("rsa", "patterns.tsv"),
          "--method", "spearmann", "-o", tmp_path / "s.tsv"]),
        (lambda: bract.clean(x, standardize="zscore-sample"),
         ["clean", "--data", ref("signal", "timeseries.tsv"), "--standardize", "zscore-sample",
          "-o", tmp_path / "c.tsv"]),
        (lambda: bract.timescale(x, tr=2, method="exponential"),
         ["timescale", "--data", ref("timescale", "series.tsv"), "--tr", "2", "--method",
          "exponential", "-o", tmp_path / "t.tsv"]),
    ]
    for call, args in cases:
        with pytest.raises(bract.Error) as e:
            call()
        assert isinstance(e.value, RuntimeError)
        assert e.value.status == -1 and e.value.reason == "invalid argument"
        msg = str(e.value)
        assert msg.startswith("unknown ") and "(expected one of" in msg
        err = cli(*args, status=2).stderr
        assert msg in err, (msg, err)


def test_file_errors_name_the_file(tmp_path):
    missing = str(tmp_path / "none.tsv")
    with pytest.raises(bract.Error) as e:
        bract.read_rdms(missing)
    assert missing in str(e.value) and e.value.status == -3
    bad = tmp_path / "bad.tsv"
    bad.write_text("rdm\tcondition_a\tcondition_b\tdissimilarity\nr\ta\tb\tlots\n")
    with pytest.raises(bract.Error, match=r"bad.tsv:2"):
        bract.read_rdms(bad)


def test_data_errors():
    x, conds, runs = patterns_table(ref("rsa", "patterns.tsv"))
    with pytest.raises(bract.Error, match="crossnobis"):
        bract.rdm(x, conds, method="crossnobis")  # one run
    with pytest.raises(bract.Error, match="35 condition labels for 36 pattern rows"):
        bract.rdm(x, conds[:-1])
    with pytest.raises(bract.Error, match="plain applies"):
        bract.rdm(x, conds, plain=True)


def test_library_warnings_are_python_warnings():
    x, conds, runs = patterns_table(ref("rsa", "patterns.tsv"))
    x = x.copy()
    x[:, 3] = 1.5  # a constant voxel
    x[4, 7] = np.nan
    with pytest.warns(bract.BractWarning, match=r"2 of 30 voxels dropped \(1 with non-finite "
                                                r"values, 1 constant\)"):
        bract.rdm(x, conds, runs=runs)


def test_threads():
    before = bract.get_threads()
    assert bract.set_threads(1) == 1 and bract.get_threads() == 1
    bract.set_threads(before)
    x, conds, runs = patterns_table(ref("rsa", "patterns.tsv"))
    r = bract.rdm(x, conds, runs=runs, threads=1)
    assert bract.get_threads() == before and r.n_rdms == 1


# ---- the README's tutorial, as written ----

def readme_tutorial():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    section = text[text.index("\n## Python\n"):]
    start = section.index("```python\n") + len("```python\n")
    return section[start:section.index("```", start)]


def test_readme_tutorial_runs_as_written():
    code = readme_tutorial()
    assert 8 <= len(code.strip().splitlines()) <= 12
    p = run_python(code)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("Spearman r: ")
    r, pval = (float(v) for v in lines[1].split())
    assert -1 <= r <= 1 and 0 < pval <= 1
