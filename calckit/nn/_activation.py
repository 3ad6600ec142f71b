"""Elementwise activation layers built from symbolic definitions.

The activation ``f`` is a SymPy expression in one symbol: a name from
:mod:`calckit.activations`, a SymPy ``Lambda``, a Python callable that maps
a SymPy symbol to an expression, or an expression string in one variable.
Its exact derivative is derived symbolically and both are compiled with
:func:`calckit.compile` (stable forms), so a user-invented activation works
like a built-in one. When ``f'`` can be written through ``y = f(x)`` alone
(``1 - y**2`` for tanh), backward reuses the forward output.

>>> import numpy as np
>>> import sympy as sp
>>> from calckit.nn import Activation
>>> u = sp.Symbol("u")
>>> act = Activation(sp.Lambda(u, u * sp.tanh(u)))
>>> x = np.array([[0.5, -1.0]])
>>> bool(np.allclose(act.forward(x), x * np.tanh(x)))
True
>>> d = act.backward(np.ones_like(x))
>>> bool(np.allclose(d, np.tanh(x) + x / np.cosh(x) ** 2))
True
"""

from __future__ import annotations

import difflib
import inspect

import numpy as np
import sympy as sp

from calckit import activations
from calckit.errors import (
    CalckitError,
    CalckitTypeError,
    InvalidParameterError,
    UnknownNameError,
)
from calckit.kernels import compile as compile_kernel
from calckit.nn._base import Layer, as_float_array
from calckit.symbolic._coerce import as_expr
from calckit.symbolic.derive import derivative

__all__ = ["Activation", "activation_expr", "ACTIVATION_VAR"]

_X = ACTIVATION_VAR = sp.Symbol("x", real=True)
_Y = sp.Symbol("y_out", real=True)


def activation_expr(activation, **kwargs):
    """Return ``(name_or_None, f(x), x)`` for any accepted activation spec."""
    if isinstance(activation, str):
        names = activations.names()
        name = activation.strip()
        if name not in names and name.lower() in names:
            name = name.lower()  # "ReLU", "Tanh" as PyTorch spells them
        if name in names:
            return name, _library_expr(name, activations.get(name), kwargs), _X
        if name.isidentifier():
            # a lone name would parse as the expression "x" (the identity):
            # a misspelt activation must not silently become f(x) = x
            close = difflib.get_close_matches(name.lower(), names, n=3, cutoff=0.6)
            hint = (f" Did you mean {' or '.join(repr(c) for c in close)}?"
                    if close else "")
            if name.lower() in ("softmax", "log_softmax", "logsoftmax"):
                hint = (" Softmax is not elementwise: end the model with the "
                        "logits (a Dense layer) and train with "
                        "loss='softmax_cross_entropy', which applies it.")
            raise UnknownNameError(
                f"unknown activation {activation!r}.{hint} Known activations: "
                f"{', '.join(names)}; an expression in one variable such as "
                "'x*tanh(x)' also works ('identity' for f(x) = x).")
        if kwargs:
            raise InvalidParameterError(
                "keyword arguments are only for named library activations, got "
                f"{sorted(kwargs)} with {activation!r}")

        try:
            expr = as_expr(activation, name="activation")
        except CalckitError as exc:
            raise UnknownNameError(
                f"unknown activation {activation!r}: not one of "
                f"{', '.join(activations.names())}, and not an expression in one "
                f"variable ({exc})") from exc
        return None, *_one_variable(expr, activation)
    if kwargs:
        raise InvalidParameterError(
            "keyword arguments are only for named library activations, got "
            f"{sorted(kwargs)} with {activation!r}")
    if isinstance(activation, sp.Lambda):
        if len(activation.variables) != 1:
            raise CalckitTypeError(
                f"an activation Lambda must take one variable, got {activation}")
        return None, sp.sympify(activation(_X)), _X
    if isinstance(activation, sp.Expr):
        return None, *_one_variable(activation, activation)
    if callable(activation):
        expr = activation(_X)
        if not isinstance(expr, sp.Expr):
            raise CalckitTypeError(
                f"activation {getattr(activation, '__name__', activation)!r} must "
                f"return a SymPy expression when called on a SymPy symbol, got "
                f"{type(expr).__name__}")
        fn_name = getattr(activation, "__name__", None)
        return (None if fn_name == "<lambda>" else fn_name), expr, _X
    raise CalckitTypeError(
        "activation must be a library name, a SymPy Lambda or expression in one "
        f"variable, or a callable on a SymPy symbol; got {type(activation).__name__}")


def _library_expr(name, fn, kwargs):
    """``fn(x, **kwargs)``; InvalidParameterError for keyword arguments the
    library activation does not take."""
    accepted = list(inspect.signature(fn).parameters)[1:]
    unknown = sorted(k for k in kwargs if k not in accepted)
    if unknown:
        takes = (f"its parameters are {', '.join(accepted)}" if accepted
                 else "it takes no parameters")
        raise InvalidParameterError(
            f"activation {name!r} does not take {', '.join(map(repr, unknown))}; "
            f"{takes}")
    return sp.sympify(fn(_X, **kwargs))


def _one_variable(expr, spec):
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    if len(syms) > 1:
        raise CalckitTypeError(
            f"an activation must have one variable, {spec!r} has "
            f"{', '.join(s.name for s in syms)}")
    if not syms:
        return expr, _X
    return expr.subs(syms[0], _X), _X


def _lean(expr, x):
    """Value-identical cheaper forms of the ReLU-style ``Piecewise`` nodes:
    ``Piecewise((x, x > 0), (0, True))`` -> ``Max(x, 0)`` and
    ``Piecewise((c, x > 0), (0, True))`` -> ``c*Heaviside(x, 0)`` (one NumPy
    call instead of a mask and a select; equal at the kink too)."""
    def rewrite(pw):
        if len(pw.args) != 2:
            return pw
        (value, cond), (other, last) = pw.args
        if last is not sp.true or other != 0 or cond != sp.StrictGreaterThan(x, 0):
            return pw
        if value == x:
            return sp.Max(x, 0)
        if value.is_Number:
            return value * sp.Heaviside(x, 0)
        return pw
    return expr.replace(lambda e: isinstance(e, sp.Piecewise), rewrite)


def _raw(kernel):
    """The generated NumPy function behind a Kernel, skipping the generic
    argument handling (shapes here always match) when the Kernel exposes it."""
    return getattr(kernel, "function", None) or kernel


class Activation(Layer):
    """Elementwise activation ``y = f(x)`` with the exact, compiled ``f'``.

    Parameters
    ----------
    activation : str, sympy.Lambda, sympy.Expr or callable
        A name from :func:`calckit.activations.names` (extra keyword
        arguments go to it, e.g. ``Activation("leaky_relu", alpha=0.2)``), or
        a user function of one variable.

    Attributes
    ----------
    name : str or None
        The library name (used to pick He or Glorot initialisation before it).
    expr, derivative : sympy.Expr
        ``f(x)`` and ``f'(x)``.
    """

    def __init__(self, activation, **kwargs) -> None:
        super().__init__()

        self.name, self.expr, x = activation_expr(activation, **kwargs)
        self.spec = activation if isinstance(activation, str) else self.name
        self.derivative = derivative(self.expr, x)
        # write f' through the output y = f(x) where that removes x
        via_y = self.derivative.subs(self.expr, _Y)
        self._by_output = _Y in via_y.free_symbols and x not in via_y.free_symbols
        d_expr = via_y if self._by_output else self.derivative
        self._f = _raw(compile_kernel(_lean(self.expr, x), wrt=[x]))
        self._df = _raw(compile_kernel(_lean(d_expr, x),
                                       wrt=[_Y if self._by_output else x]))
        self._cache: tuple[np.ndarray, np.ndarray] | None = None

    def forward(self, x, training: bool = True):
        if type(x) is not np.ndarray or x.dtype != np.float64:
            x = as_float_array(x)
        y = self._f(x)
        if not isinstance(y, np.ndarray) or y.shape != x.shape:
            y = np.broadcast_to(np.asarray(y, dtype=np.float64), x.shape).copy()
        self._cache = (x, y)
        return y

    def backward(self, grad_out):
        x, y = self._need_forward(self._cache)
        if grad_out.shape != x.shape:
            self._check_backward(grad_out, x.shape)
        d = self._df(y if self._by_output else x)
        if d is x or d is y:  # the kernel may return its argument (f' = f)
            return grad_out * d
        d *= grad_out
        return d

    def __repr__(self) -> str:
        if isinstance(self.spec, str):
            return f"Activation({self.spec!r})"
        return f"Activation({self.expr})"
