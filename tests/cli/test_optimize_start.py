"""``--x0`` gives one value per variable: ``calckit optimize "x**2+y**2"
--x0 1`` used to run from [1, 1] silently (issue 19)."""

import json

import pytest

from calckit.cli import main


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("expr, x0, needle", [
    ("x**2+y**2", "1", "--x0 has 1 value for 2 variables (x, y)"),
    ("x**2+y**2", "1,2,3", "--x0 has 3 values for 2 variables (x, y)"),
    ("x**2", "1,2", "--x0 has 2 values for 1 variable (x)"),
])
def test_a_start_of_the_wrong_length_is_refused(capsys, expr, x0, needle):
    status, out, err = run(capsys, "optimize", expr, "--x0", x0)
    assert status == 2 and out == "" and needle in err
    assert len(err.strip().splitlines()) == 1


def test_each_variable_starts_at_its_own_value(capsys):
    # no steps: the result is the start, in the order of the variables
    status, out, _ = run(capsys, "optimize", "x**2+y**2", "--x0", "1,-1",
                         "--steps", "0", "--json")
    assert status == 1 and json.loads(out)["x"] == [1.0, -1.0]
    status, out, _ = run(capsys, "optimize", "x**2+y**2", "--wrt", "y x",
                         "--x0", "1,-1", "--steps", "0", "--json")
    assert json.loads(out)["x"] == [1.0, -1.0]  # y = 1, x = -1
    assert json.loads(out)["fun"] == 2.0


@pytest.mark.parametrize("kind", ["trajectories", "loss_curves", "learning_rates"])
def test_optimizer_plots_check_x0_too(capsys, tmp_path, kind):
    png = tmp_path / "p.png"
    status, out, err = run(capsys, "plot", kind, "x**2+y**2", "--x0", "1",
                           "-o", str(png))
    assert status == 2 and "--x0 has 1 value for 2 variables (x, y)" in err
    assert not png.exists()
    status, out, err = run(capsys, "plot", kind, "x**2+y**2", "--x0", "1,1",
                           "--steps", "5", "-o", str(png))
    assert status == 0 and png.exists()
