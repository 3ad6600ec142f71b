"""The calckit command (calckit.cli.main and the console script)."""

import csv
import io
import json
import math
import shutil
import subprocess
import sys

import numpy as np
import pytest

from calckit.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_diff_prints_the_derivative_and_its_value(capsys):
    status, out, err = run(capsys, "diff", "x**2*sin(x)", "--at", "1")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "x*(x*cos(x) + 2*sin(x))"
    assert float(lines[1].split(": ")[1]) == pytest.approx(
        math.cos(1) + 2 * math.sin(1), rel=1e-9)


def test_diff_higher_order_latex_and_json(capsys):
    assert run(capsys, "diff", "exp(2*x)", "-n", "3", "--latex")[1] == "8 e^{2 x}\n"
    status, out, _ = run(capsys, "diff", "sin(x*y)", "--var", "y", "--json",
                         "--at", "x=2,y=0.5")
    data = json.loads(out)
    assert data["derivative"] == "x*cos(x*y)"
    assert data["value"] == pytest.approx(2 * math.cos(1.0), rel=1e-12)


def test_grad_components_and_values(capsys):
    status, out, _ = run(capsys, "grad", "x**2*y + sin(x*y)", "--at", "x=1,y=2")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("df/dx = ") and lines[1].startswith("df/dy = ")
    values = [float(v) for v in lines[2].split("[")[1].rstrip("]").split(",")]
    np.testing.assert_allclose(values, [4 + 2 * math.cos(2), 1 + math.cos(2)],
                               rtol=1e-9)
    data = json.loads(run(capsys, "grad", "w*x + b", "--wrt", "w b", "--json")[1])
    assert data == {"expr": "b + w*x", "wrt": ["w", "b"], "grad": ["x", "1"]}


def test_hessian_json(capsys):
    data = json.loads(run(capsys, "hessian", "x**2*y + y**3", "--at", "1,2",
                          "--json")[1])
    assert data["hessian"] == [["2*y", "2*x"], ["2*x", "6*y"]]
    assert data["value"] == [[4.0, 2.0], [2.0, 12.0]]


def test_taylor_with_rigorous_bound(capsys):
    status, out, _ = run(capsys, "taylor", "exp(x)", "--order", "5", "--interval",
                         "-1,1", "--json")
    data = json.loads(out)
    assert data["polynomial"] == "x**5/120 + x**4/24 + x**3/6 + x**2/2 + x + 1"
    assert data["measured_error"] <= data["bound"] <= 1.011 * math.e / 720
    status, out, _ = run(capsys, "taylor", "log(x)", "--at", "1", "--order", "3",
                         "--interval", "0.5,1.5", "--method", "integral", "--table")
    assert out.splitlines()[0] == "x + (x - 1)**3/3 - (x - 1)**2/2 - 1"  # exact
    assert "alpha" in out and "rigorous, integral" in out


def test_table_formats(capsys):
    status, out, _ = run(capsys, "table", "--rules", "--markdown")
    assert status == 0 and "| chain | `f(g(x))` |" in out
    status, out, _ = run(capsys, "table", "x**3", "exp(x)", "--orders", "1,2",
                         "--at", "2", "--csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["f'", "f''", "f'(2)", "f''(2)"]
    assert float(rows[1][2]) == 12.0 and float(rows[2][3]) == pytest.approx(
        math.exp(2), rel=1e-15)
    status, out, _ = run(capsys, "table", "--activations", "--orders", "0,1",
                         "--json")
    assert "relu" in [r[0] for r in json.loads(out)["rows"]]
    assert run(capsys, "table", "--losses", "--latex")[1].startswith(
        r"\begin{tabular}")


def test_gradcheck_passes_and_fails_with_exit_status(capsys):
    status, out, _ = run(capsys, "gradcheck", "x**2*y + sin(x)", "--at", "x=1,y=2")
    assert status == 0 and "gradcheck OK" in out
    status, out, _ = run(capsys, "gradcheck", "x**2*y", "--at", "x=1,y=2",
                         "--order", "2", "--json")
    assert status == 0 and json.loads(out)["ok"] is True
    # Abs is continued analytically on each side of 0 for the complex step
    status, out, _ = run(capsys, "gradcheck", "Abs(x)", "--at", "x=-1",
                         "--method", "complex")
    assert status == 0 and "gradcheck OK" in out
    # f not defined at the point: the check cannot pass
    status, out, err = run(capsys, "gradcheck", "log(x)", "--at", "x=-1")
    assert status == 1 and err == ""
    assert "gradcheck FAILED" in out and " nan " in out
    status, out, _ = run(capsys, "gradcheck", "log(x)", "--at", "x=-1", "--json")

    def not_json(constant):
        raise AssertionError(f"{constant} is not JSON")

    data = json.loads(out, parse_constant=not_json)
    assert status == 1 and data["ok"] is False and data["max_abs_error"] is None


def test_python_dash_m_runs_the_cli():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "calckit", "diff", "x**3"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "3*x**2" in done.stdout


def test_optimize_prints_progress_result_and_status(capsys, tmp_path):
    png = tmp_path / "path.png"
    status, out, err = run(capsys, "optimize", "(1-x)**2 + 100*(y-x**2)**2", "--x0",
                           "-1.2,1", "--optimizer", "adam", "--lr", "0.01",
                           "--steps", "500", "--plot", str(png))
    assert status == 1 and err == ""  # not converged: exit status 1
    lines = out.splitlines()
    first = " ".join(out.split("\nnot converged")[0].split())  # wrapped at 80
    assert lines[0].startswith("optimizing f = ") and "adam (lr=0.01)" in first
    assert "x0 = [-1.2, 1.0]" in first
    assert "status: not converged" in out
    assert png.read_bytes()[:8] == PNG
    # with --json, stdout is one JSON document (figure path included); the
    # progress line goes to stderr
    status, out, err = run(capsys, "optimize", "(1-x)**2 + 100*(y-x**2)**2",
                           "--x0", "-1.2,1", "--optimizer", "newton", "--steps",
                           "50", "--json", "--plot", str(png))
    data = json.loads(out)
    assert status == 0 and err.startswith("optimizing f = ")
    assert data["converged"] and data["status"] == "converged"
    assert data["figure"] == str(png.resolve())
    np.testing.assert_allclose(data["x"], [1, 1], atol=1e-8)


def test_optimize_reports_divergence(capsys):
    status, out, _ = run(capsys, "optimize", "x**2 + 10", "--x0", "3", "--optimizer",
                         "sgd", "--lr", "1.1", "--steps", "5000")
    assert status == 1 and "status: diverged" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["plot", "taylor", "sin(x)", "--orders", "1,3", "--xlim", "-3,3"],
        ["plot", "tangent", "x**3", "--at", "-1,0.5"],
        ["plot", "gradient-field", "x**2 + 3*y**2"],
        ["plot", "trajectories", "x**2 + 3*y**2", "--x0", "1,1", "--steps", "50"],
        ["plot", "learning_rates"],
        ["diff", "x**3", "--plot"],
        ["grad", "x*y**2", "--plot"],
        ["taylor", "exp(x)", "--order", "4", "--interval", "-2,2", "--plot"],
    ],
)
def test_plots_are_written(capsys, tmp_path, argv):
    png = tmp_path / "f.png"
    argv = argv + [str(png)] if argv[-1] == "--plot" else argv + ["-o", str(png)]
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    assert png.read_bytes()[:8] == PNG
    assert str(png) in out


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["diff", "x**"], "position 3"),
        (["diff", "x*y"], "--var"),
        (["diff", "x", "--order", "-1"], "order"),
        (["grad", "x**2", "--at", "y=1"], "x"),
        (["grad", "x + y", "--at", "1,2,3"], "--at"),
        (["gradcheck", "x"], "--at"),
        (["gradcheck", "x", "--at", "x=one"], "one"),
        (["optimize", "x**2", "--x0", "1", "--optimizer", "foo"], "foo"),
        (["optimize", "x**2", "--x0", "1", "--lr", "-1", "--optimizer", "sgd"], "lr"),
        (["taylor", "exp(x)", "--interval", "1"], "--interval"),
        (["table"], "--rules"),
        (["table", "x", "--orders", "a"], "--orders"),
        (["plot", "nothing"], "nothing"),
        (["plot", "taylor"], "expression"),
        (["frobnicate"], "frobnicate"),
        ([], "COMMAND"),
        (["diff", "__import__('os')"], "calckit: error"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, needle):
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert needle in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["diff", "grad", "hessian", "taylor", "table",
                                     "gradcheck", "optimize", "plot", "tour"])
def test_help_on_each_subcommand(capsys, command):
    status, out, _ = run(capsys, command, "--help")
    assert status == 0 and out.startswith(f"usage: calckit {command}")


def test_top_level_help_lists_every_command(capsys):
    status, out, _ = run(capsys, "--help")
    for command in ["diff", "grad", "hessian", "taylor", "table", "gradcheck",
                    "optimize", "plot", "tour"]:
        assert command in out


def test_console_script_in_a_subprocess():
    exe = shutil.which("calckit")
    cmd = [exe] if exe else [sys.executable, "-m", "calckit.cli"]
    ok = subprocess.run(cmd + ["diff", "x**3"], capture_output=True, text=True,
                        timeout=60)
    assert ok.returncode == 0 and ok.stdout == "3*x**2\n"
    bad = subprocess.run(cmd + ["grad", "x +* y"], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "Traceback" not in bad.stderr


def test_cli_import_does_not_load_matplotlib():
    code = ("import sys, calckit.cli; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=60)
    assert out.stdout.strip() == "False"


def test_expressions_and_values_may_start_with_minus(capsys):
    assert run(capsys, "diff", "-x**3")[1] == "-3*x**2\n"
    status, out, _ = run(capsys, "optimize", "-exp(-x**2)", "--x0", "-0.5",
                         "--optimizer", "newton", "--steps", "50", "--json")
    data = json.loads(out)
    assert status == 0 and data["converged"] and abs(data["x"][0]) < 1e-8
    assert run(capsys, "diff", "x**3", "-n", "2")[1] == "6*x\n"


def test_constant_expressions_and_undefined_values_are_clear(capsys):
    for command in ("grad", "hessian", "optimize"):
        extra = ["--x0", "1"] if command == "optimize" else []
        status, out, err = run(capsys, command, "5", *extra)
        assert status == 2 and out == ""
        assert err.strip() == ("calckit: error: 5 has no variables; give an "
                               "expression of x, y, ... (or --wrt)")
    assert run(capsys, "taylor", "5")[:2] == (0, "5\n")
    status, out, _ = run(capsys, "diff", "1/x", "--at", "0")
    assert status == 0 and out.endswith("at 0: nan\n")
    status, out, _ = run(capsys, "diff", "1/x", "--at", "0", "--json")
    assert json.loads(out)["value"] is None


def test_json_with_a_figure_stays_one_document(capsys, tmp_path):
    png = tmp_path / "d.png"
    for command in (["diff", "sin(x)"], ["grad", "x*y"],
                    ["taylor", "exp(x)", "--at", "x=1"]):
        status, out, _ = run(capsys, *command, "--json", "--plot", str(png))
        assert status == 0 and json.loads(out)["figure"] == str(png.resolve())
        assert png.read_bytes()[:8] == PNG


def test_taylor_plot_accepts_named_point_and_table_rejects_misplaced_at(capsys,
                                                                        tmp_path):
    png = tmp_path / "t.png"
    status, out, _ = run(capsys, "taylor", "exp(x)", "--at", "x=1", "--plot", str(png))
    assert status == 0 and out.startswith("E*(x - 1)**3/6")
    status, _, err = run(capsys, "table", "--rules", "--at", "1")
    assert status == 2 and "--at applies to expressions and --activations" in err


def test_short_output_option_attached_and_plot_steps(capsys, tmp_path):
    png = tmp_path / "s.png"
    status, out, _ = run(capsys, "plot", "surface", "x*y", f"-o{png}")
    assert status == 0 and png.read_bytes()[:8] == PNG


def test_plot_learning_rates_uses_the_steps_given(capsys, tmp_path, monkeypatch):
    # --steps 1000 used to be read as "not given" and replaced by 30
    from calckit import plot

    seen = []
    real = plot.learning_rates

    def spy(*args, **kwargs):
        seen.append(kwargs["steps"])
        return real(*args, **{**kwargs, "steps": 3})

    monkeypatch.setattr(plot, "learning_rates", spy)
    png = tmp_path / "lr.png"
    for given, used in ((["--steps", "1000"], 1000), ([], 30)):
        assert run(capsys, "plot", "learning_rates", *given, "-o", str(png))[0] == 0
        assert seen.pop() == used


def test_decimal_coefficients_compile(capsys):
    # 1.0*x - 1.0 used to recurse forever in the printer
    status, out, _ = run(capsys, "gradcheck", "1.0*x - 1.0", "--at", "1")
    assert status == 0 and "gradcheck OK" in out
