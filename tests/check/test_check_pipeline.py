"""gradcheck as a pipeline of named steps (issue 13): each step can be run
and inspected on its own, and the package keeps its public names."""

import numpy as np
import sympy as sp

import calckit as ck
from calckit import numeric
from calckit.check import GradcheckReport, GradcheckRow, gradcheck, pipeline
from calckit.check._gradcheck import _problem


def _relu_problem(at):
    # relu'(0) is 0 in calckit (as in PyTorch): the exact slope at x = 1 is 1
    e = ck.parse("3*relu(x - 1) + x")
    x = sp.Symbol("x", real=True)
    pts = np.array([[at]])
    problem, nfev = _problem(e, [x], (), (), pts, "richardson", 1, 1e-6, 1e-8)
    return problem, nfev


def test_public_names_are_unchanged():
    assert ck.gradcheck is gradcheck and ck.GradcheckReport is GradcheckReport
    assert GradcheckRow._fields[:3] == ("point", "component", "exact")
    from calckit.nn import ModelGradcheckReport

    assert ModelGradcheckReport is GradcheckReport  # one report type


def test_each_step_does_its_part_at_a_kink():
    problem, nfev = _relu_problem(1.0)
    first = pipeline.estimate(problem, nfev)
    # a central stencil straddles the kink: the mean slope 2.5, not 1
    assert first.status[0, 0] == "FAIL" and problem.exact[0, 0] == 1.0
    assert abs(first.value[0, 0] - 2.5) < 1e-6
    rechecked = pipeline.recheck(problem, first)
    assert rechecked.status[0, 0] == "FAIL" and rechecked.nfev > first.nfev
    sided = pipeline.one_sided_step(problem, rechecked)
    assert sided.status[0, 0] == "kink"
    assert sided.note[0, 0] == "one-sided 1 | 4"
    assert pipeline.mark_uncertain(problem, sided).status[0, 0] == "kink"
    # run() is the four steps in order
    whole = pipeline.run(problem, nfev)
    assert whole.status[0, 0] == "kink" and whole.nfev == sided.nfev


def test_smooth_entries_stop_after_the_estimate():
    problem, nfev = _relu_problem(3.0)
    first = pipeline.estimate(problem, nfev)
    assert first.status[0, 0] == "ok"
    assert pipeline.run(problem, nfev).nfev == first.nfev  # nothing rechecked


def test_judge_widens_the_tolerance_by_the_error_estimate():
    exact = np.array([1.0, 1.0, 1.0, np.nan])
    value = np.array([1.0 + 1e-7, 1.1, 1.1, 1.0])
    error = np.array([0.0, 0.0, 0.06, 0.0])
    status = pipeline.judge(exact, value, error, rtol=1e-6, atol=0.0)
    assert list(status) == ["ok", "FAIL", "ok", "nan"]


def test_numeric_namespace_holds_only_its_public_api():
    public = {n for n in dir(numeric) if not n.startswith("_")}
    assert public == set(numeric.__all__) | {"derivatives"}
    assert not hasattr(numeric, "_check_call") and not hasattr(numeric, "_result")
