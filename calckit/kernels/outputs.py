"""Output rewrites of the kernel generator (private; used by
:mod:`calckit.kernels.codegen`): :func:`into` rewrites the outermost
operation of an output expression to write into its target
(``numpy.divide(a, b, out=out[..., 0])``), saving a temporary and a copy per
output entry.

>>> into("-a/b", "out[..., 0]")
'numpy.divide(-a, b, out=out[..., 0])'
>>> into("numpy.greater(x, 0).astype(float)", "_out")
'numpy.greater(x, 0, out=_out)'
>>> print(into("(lambda t: t*(1 - t))(x)", "_out"))
None
"""

from __future__ import annotations

import ast

import numpy
import scipy.special

__all__ = ["into"]

_BINOPS = {
    ast.Add: "numpy.add",
    ast.Sub: "numpy.subtract",
    ast.Mult: "numpy.multiply",
    ast.Div: "numpy.divide",
    ast.BitAnd: "numpy.bitwise_and",
    ast.BitOr: "numpy.bitwise_or",
}
#: ufuncs with a boolean result (``cond.astype(float)`` may write it directly)
_BOOLEAN = {
    f"numpy.{name}"
    for name in (
        "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
        "logical_and", "logical_or", "logical_not", "bitwise_and", "bitwise_or",
        "isnan", "isfinite", "isinf", "signbit",
    )
}
_MODULES = {"numpy": numpy, "scipy": scipy}


def into(value: str, target: str) -> str | None:
    """A statement computing ``value`` directly into the array ``target`` by
    giving its outermost ufunc ``out=target``, or None if it has none."""
    node = ast.parse(value, mode="eval").body
    call = _as_ufunc_call(node)
    if call is None:
        return None
    name, args = call
    texts = [ast.get_source_segment(value, a) or ast.unparse(a) for a in args]
    return f"{name}({', '.join(texts)}, out={target})"


def _as_ufunc_call(node):
    """``(ufunc name, argument nodes)`` of the outermost operation, or None."""
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _BINOPS[type(node.op)], [node.left, node.right]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return "numpy.negative", [node.operand]
    if not isinstance(node, ast.Call) or node.keywords:
        return None
    func = node.func
    if (  # cond.astype(float): the boolean ufunc writes into the float target
        isinstance(func, ast.Attribute)
        and func.attr == "astype"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == "float"
    ):
        inner = _as_ufunc_call(func.value)
        if inner is not None and inner[0] in _BOOLEAN:
            return inner
        return None
    name = ast.unparse(func)
    uf = _ufunc(name)
    if uf is None or uf.nout != 1 or uf.nin != len(node.args):
        return None
    if any(isinstance(a, ast.Starred) for a in node.args):
        return None
    return name, list(node.args)


def _ufunc(dotted: str):
    """The NumPy ufunc named ``dotted`` (``numpy.exp``), or None."""
    head, _, rest = dotted.partition(".")
    obj = _MODULES.get(head)
    for part in rest.split(".") if rest else ():
        obj = getattr(obj, part, None)
    return obj if isinstance(obj, numpy.ufunc) else None
