"""``calckit fit``: a formula fitted to the columns of a CSV file (issue 17),
checked against scipy.optimize.curve_fit; bad files and data end with exit
status 2 and one line naming the input."""

import json

import numpy as np
import pytest
from scipy.optimize import curve_fit as scipy_curve_fit

from calckit.cli import main

MODEL = "a*exp(-b*t) + c"


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def data_file(tmp_path):
    rng = np.random.default_rng(3)
    t = np.linspace(0.0, 4.0, 25)
    y = 2.5 * np.exp(-1.3 * t) + 0.5 + 0.01 * rng.normal(size=t.size)
    path = tmp_path / "decay.csv"
    lines = ["t,y"] + [f"{a:.17g},{b:.17g}" for a, b in zip(t, y, strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, t, y


def _scipy(t, y):
    popt, pcov = scipy_curve_fit(lambda t, a, b, c: a * np.exp(-b * t) + c, t, y,
                                 p0=[1.0, 1.0, 1.0])
    return popt, np.sqrt(np.diag(pcov))


def test_fit_matches_scipy_and_reports_errors(capsys, data_file):
    path, t, y = data_file
    status, out, err = run(capsys, "fit", MODEL, str(path), "--x", "t", "--json")
    assert status == 0, err
    got = json.loads(out)
    popt, perr = _scipy(t, y)
    np.testing.assert_allclose([got["params"][k] for k in "abc"], popt, rtol=1e-6)
    np.testing.assert_allclose([got["errors"][k] for k in "abc"], perr, rtol=1e-5)
    assert got["converged"] and got["points"] == 25
    status, out, _ = run(capsys, "fit", MODEL, str(path), "--x", "t",
                         "--p0", "a=2,b=1,c=0", "--method", "dogleg")
    assert status == 0 and "a = " in out and "+-" in out


def test_fit_draws_data_fit_and_residuals(capsys, data_file, tmp_path):
    path, _, _ = data_file
    figure = tmp_path / "fit.png"
    status, _, err = run(capsys, "fit", MODEL, str(path), "--x", "t",
                         "--plot", str(figure))
    assert status == 0, err
    assert figure.stat().st_size > 10_000


@pytest.mark.parametrize("content, words", [
    ("t,z\n0,1\n1,2\n2,3\n3,4\n", "no column 'y'"),
    ("t,y\n0,1\n1,nan\n2,3\n3,4\n", "line 3, column 'y'"),
    ("t,y\n0,1\n1,\n2,3\n3,4\n", "line 3, column 'y' is empty"),
    ("t,y\n0,1\n1,2\n", "points"),  # fewer points than parameters
    ("", "is empty"),
])
def test_bad_data_is_one_line_and_exit_2(capsys, tmp_path, content, words):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    status, out, err = run(capsys, "fit", MODEL, str(path), "--x", "t")
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and words in err


def test_a_missing_file_is_named(capsys, tmp_path):
    missing = tmp_path / "nowhere.csv"
    status, _, err = run(capsys, "fit", MODEL, str(missing), "--x", "t")
    assert status == 2 and "nowhere.csv" in err and "Traceback" not in err
