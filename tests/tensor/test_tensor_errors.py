"""Bad input to tensor expressions: each a clear calckit error naming it."""

from __future__ import annotations

import numpy as np
import pytest

import calckit as ck
import calckit.symbolic.tensor as T

X, w, y = ck.matrix("X", "n", "d"), ck.vector("w", "d"), ck.vector("y", "n")
SHAPES = {"X": ("n", "d"), "w": "d", "y": "n"}


@pytest.mark.parametrize("build, match", [
    (lambda: X @ y, r"matmul: shapes \(n, d\) and \(n,\) do not fit"),
    (lambda: X + w * y, r"mul: shapes \(d,\) and \(n,\) do not broadcast"),
    (lambda: w @ 2, r"matmul: operands must be vectors or matrices"),
    (lambda: T.trace(X), r"trace: needs a square matrix, got shape \(n, d\)"),
    (lambda: T.inv(X), r"inv: needs a square matrix"),
    (lambda: T.outer(X, w), r"outer: needs two vectors"),
    (lambda: T.sum(X, axis=2), r"sum: axis 2 is out of range"),
    (lambda: X[0], r"only new axes"),
    (lambda: ck.matrix("A", "n", "bad dim"), r"not a valid dim name"),
    (lambda: ck.vector("v", 0), r"positive int or a name"),
    (lambda: T.tensor_symbol("R", ("a", "b", "c")), r"at most 2"),
])
def test_shape_mismatches_are_errors_when_built(build, match):
    with pytest.raises(ck.ShapeError, match=match):
        build()


def test_wrt_that_does_not_occur_is_an_error_not_zero():
    with pytest.raises(ck.DifferentiationError, match="'v' does not occur"):
        ck.grad(T.sum(X @ w), wrt="v")
    with pytest.raises(ck.DifferentiationError, match=r"w has shape \(k,\)"):
        ck.grad(T.sum(X @ w), wrt=ck.vector("w", "k"))


def test_non_scalar_loss_given_to_grad():
    with pytest.raises(ck.DifferentiationError, match=r"shape \(n,\).*jacobian"):
        ck.grad(X @ w, wrt=w)
    with pytest.raises(ck.DifferentiationError, match="scalar loss"):
        ck.compile_grad(X @ w, wrt=w)


def test_at_on_scalars():
    with pytest.raises(ck.ShapeError, match="use \\* for scalars"):
        ck.parse("a @ b", shapes={})
    with pytest.raises(ck.ParseError, match="'@' is not allowed"):
        ck.parse("a @ b")  # without shapes the scalar grammar refuses '@'


def test_parse_errors_name_the_position():
    with pytest.raises(ck.ShapeError, match="position 6"):
        ck.parse("sum(X @ w)", shapes={"X": ("n", "d"), "w": "k"})
    with pytest.raises(ck.ParseError) as err:
        ck.parse("sum(X @ w", shapes=SHAPES)
    assert err.value.position == 9
    with pytest.raises(ck.ParseError):
        ck.parse("X.__class__", shapes=SHAPES)
    with pytest.raises(ck.CalckitTypeError):
        ck.parse("sum(X)", shapes=[("X", "n")])
    with pytest.raises(ck.ShapeError, match="both as dims and as symbols"):
        ck.parse("sum(n)", shapes={"n": "n"})
    with pytest.raises(ck.UnknownNameError):
        ck.parse("frobnicate(X)", shapes=SHAPES)


def test_hessian_of_a_matrix_variable_points_to_hvp():
    W = ck.matrix("W", "d", "k")
    with pytest.raises(ck.DifferentiationError, match="hvp"):
        ck.hessian(T.sum((X @ W) ** 2), W)


def test_dims_no_argument_binds():
    with pytest.raises(ck.InvalidParameterError, match=r"\['n'\]"):
        ck.compile("sum(w) / n", shapes={"w": "d", "X": ("n", "d")})


def test_params_must_cover_the_variables():
    with pytest.raises(ck.InvalidParameterError, match="neither in wrt"):
        ck.compile_grad(T.sum(X @ w - y), wrt="w", params="X")
    with pytest.raises(ck.InvalidParameterError, match="do not occur"):
        ck.compile_grad(T.sum(X @ w), wrt="w", params="X Q")


def test_kernel_arguments():
    k = ck.compile_grad(T.sum(X @ w), wrt=w)
    with pytest.raises(ck.CalckitTypeError, match="takes 2 arguments"):
        k(np.ones(2))
    with pytest.raises(ck.CalckitTypeError, match="real"):
        k(np.ones(2, complex), np.ones((3, 2)))
