"""``calckit gradcheck --params``: fixed values (data) beside the variables
of the check, and messages that name the real options (issue 19)."""

import json

import numpy as np
import pytest

from calckit.cli import main

EXPR = "log(1 + exp(w*x + b))"


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def refused(capsys, *argv):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == "", (status, out, err)
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err


def test_params_hold_data_fixed(capsys):
    status, out, _ = run(capsys, "gradcheck", EXPR, "--at", "w=1,b=2",
                         "--params", "x=3", "--wrt", "w b", "--json")
    data = json.loads(out)
    assert status == 0 and data["ok"] is True
    # the report's exact values are d/dw = x*s and d/db = s, s = sigmoid(w*x+b)
    s = 1 / (1 + np.exp(-(1 * 3 + 2)))
    rows = [line.split() for line in data["report"].splitlines()
            if line.split()[1:2] in (["d/dw"], ["d/db"])]
    exact = {r[1]: float(r[2]) for r in rows}
    assert exact["d/dw"] == pytest.approx(3 * s, rel=1e-9)  # 10 digits shown
    assert exact["d/db"] == pytest.approx(s, rel=1e-9)


def test_without_wrt_the_params_are_not_variables(capsys):
    status, out, _ = run(capsys, "gradcheck", EXPR, "--at", "1,2",
                         "--params", "x=-3")  # b=1, w=2 in name order
    assert status == 0 and "d/dx" not in out
    assert "d/db" in out and "d/dw" in out


def test_a_fixed_value_in_at_names_the_params_option(capsys):
    err = refused(capsys, "gradcheck", EXPR, "--at", "w=1,b=2,x=3", "--wrt", "w b")
    assert "--params x=3" in err and "fixed values go in params" not in err


def test_a_symbol_without_value_names_the_params_option(capsys):
    err = refused(capsys, "gradcheck", EXPR, "--at", "w=1,b=2", "--wrt", "w b")
    assert "x" in err and "--params" in err


@pytest.mark.parametrize("params, needle", [
    ("q=1,x=3", "--params names q"),
    ("w=1", "both --wrt and --params"),
    ("3", "--params must look like x=1"),
    ("x=inf", "finite"),
])
def test_bad_params_are_refused(capsys, params, needle):
    err = refused(capsys, "gradcheck", EXPR, "--at", "w=1,b=2", "--wrt", "w b",
                  "--params", params)
    assert needle in err


def test_negative_params_values_are_read(capsys):
    status, out, _ = run(capsys, "gradcheck", "w*x", "--at", "w=1",
                         "--params", "x=-3", "--json")
    assert status == 0 and json.loads(out)["ok"] is True
