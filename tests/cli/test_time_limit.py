"""``--time-limit`` bounds every command, and its own value is checked
(issue 20, item 3)."""

import os
import signal
import subprocess
import sys
import time

import pytest

from calckit.cli import main

#: fresh interpreters and real alarms
pytestmark = pytest.mark.slow


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def stopped(capsys, *argv, limit="0.5"):
    """Run under ``--time-limit limit``; the command must be stopped soon
    after, with exit status 2 and one line naming the limit."""
    start = time.perf_counter()
    status, out, err = run(capsys, "--time-limit", limit, *argv)
    elapsed = time.perf_counter() - start
    assert status == 2, (status, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"time limit of {float(limit):g} s" in err
    assert elapsed < float(limit) + 5
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)  # disarmed
    return err


# sgd on x**4 creeps towards 0 and never reaches a zero gradient: 10**8
# steps run for many minutes without the limit
SLOW = ("x**4", "--x0", "1")


def test_optimize_is_under_the_limit(capsys):
    stopped(capsys, "optimize", *SLOW, "--optimizer", "sgd", "--lr", "0.01",
            "--steps", "100000000", "--tol", "0")


@pytest.mark.parametrize("kind", ["trajectories", "loss_curves", "learning_rates"])
def test_optimizer_plots_are_under_the_limit(capsys, tmp_path, kind):
    argv = ["plot", kind, SLOW[0], "--x0", "1", "--steps", "100000000",
            "-o", str(tmp_path / "p.png")]
    if kind == "learning_rates":
        argv += ["--lrs", "0.01"]
    else:
        argv += ["--optimizers", "sgd:0.01"]
    stopped(capsys, *argv)
    assert not (tmp_path / "p.png").exists()


def test_tour_is_under_the_limit(capsys, tmp_path):
    stopped(capsys, "tour", "--out", str(tmp_path / "tour"), limit="0.2")


def test_the_tour_has_a_longer_default_than_other_commands():
    from calckit.cli.main import TIME_LIMIT, _limit_of

    assert _limit_of("diff") == TIME_LIMIT
    assert _limit_of("tour") > TIME_LIMIT
    assert _limit_of("tour", 3.0) == 3.0  # an explicit limit wins


@pytest.mark.parametrize("value", ["1e-5", "0.001", "-1", "1e300", "1e7", "inf",
                                   "nan", "soon"])
def test_limits_out_of_range_are_refused_in_one_line(capsys, value):
    status, out, err = run(capsys, "--time-limit", value, "diff", "x")
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "--time-limit" in err and "0 (no limit)" in err and repr(value) in err


@pytest.mark.parametrize("value", ["0", "0.01", "1e6"])
def test_limits_in_range_are_accepted(capsys, value):
    assert run(capsys, "--time-limit", value, "diff", "x**2") == (0, "2*x\n", "")


def _cli(*argv):
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "calckit", *argv],
                          capture_output=True, text=True, timeout=120, env=env)


def test_tiny_and_huge_limits_in_a_fresh_process():
    # were: killed by SIGALRM (exit 142, "_OutOfTime ... lost sys.stderr") and
    # "OverflowError: timestamp out of range"
    for value in ("1e-5", "1e300"):
        proc = _cli("--time-limit", value, "diff", "x")
        assert proc.returncode == 2, proc
        assert len(proc.stderr.strip().splitlines()) == 1
        assert "--time-limit" in proc.stderr


def test_the_shortest_limit_ends_cleanly_in_a_fresh_process():
    # the first alarm may come at any point of the command: the process
    # still ends with one line (or the result), never killed by the signal
    for _ in range(3):
        proc = _cli("--time-limit", "0.01", "taylor", "exp(sin(x))", "-n", "12")
        assert proc.returncode in (0, 2), proc
        assert "Traceback" not in proc.stderr and "_OutOfTime" not in proc.stderr
        if proc.returncode == 2:
            assert len(proc.stderr.strip().splitlines()) == 1
