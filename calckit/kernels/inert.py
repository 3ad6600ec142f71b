"""SymPy trees rebuilt without evaluating them again (private; used by the
kernel generator): inert ``Max`` and ``Min``, and substitution.

SymPy evaluates ``Max(a, b, ...)`` whenever it is rebuilt, and the kernel
generator rebuilds expressions many times (CSE, renaming arguments,
templates of many entries): each rebuild compares every pair of arguments
through ``factor_terms``. :func:`inert_extrema` swaps them for
:class:`Maximum` and :class:`Minimum`, plain functions the printer writes as
``numpy.maximum`` / ``numpy.minimum`` (or ``numpy.clip``).
"""

from __future__ import annotations

import sympy as sp

from calckit.kernels.dag import holds

__all__ = ["Maximum", "Minimum", "inert_extrema", "substitute"]


class Maximum(sp.Function):
    """``Max``, inert: SymPy re-evaluates a ``Max`` each time CSE or
    ``xreplace`` rebuilds it, comparing every pair of arguments with
    ``factor_terms`` (25 s for 100 symbols; 20 s for the gradient of ``Min``
    and ``Max`` nested 10 deep). Printed as ``numpy.maximum``."""


class Minimum(sp.Function):
    """``Min``, inert (see :class:`Maximum`)."""


_INERT = {sp.Max: Maximum, sp.Min: Minimum}


def inert_extrema(expr):
    """``expr`` with every ``Max``/``Min`` made inert (:class:`Maximum`,
    :class:`Minimum`); the tree is rebuilt bottom-up so that no ``Max`` is
    evaluated again on the way.

    >>> x, y, z = sp.symbols("x y z", real=True)
    >>> inert_extrema(sp.Max(x, y, z) + sp.Min(x, 1))
    Maximum(x, y, z) + Minimum(1, x)
    """
    if not holds([expr], sp.Max, sp.Min):
        return expr
    done: dict = {}

    def walk(node):
        if node.is_Atom or not node.args:
            return node
        hit = done.get(node)
        if hit is None:
            args = [walk(a) for a in node.args]
            inert = _INERT.get(type(node))
            if inert is not None:
                hit = inert(*args)
            elif all(a is b for a, b in zip(args, node.args, strict=True)):
                hit = node
            else:
                hit = _rebuild(node, args)
            done[node] = hit
        return hit

    return walk(expr)


def _rebuild(node, args):
    """``node`` with new ``args``, not evaluated again where the class
    allows it (``Heaviside`` of a large argument asks assumptions that cost
    seconds; the arguments are the old ones with ``Max`` made inert)."""
    try:
        return node.func(*args, evaluate=False)
    except TypeError:  # a class without the option (ExprCondPair, Tuple, ...)
        return node.func(*args)


def substitute(expr, mapping):
    """``expr.xreplace(mapping)`` without evaluating rebuilt nodes again
    (renaming the symbols of a large ``Heaviside`` argument costs seconds of
    assumption queries in ``xreplace``).

    >>> x, y = sp.symbols("x y", real=True)
    >>> substitute(sp.Heaviside(x - 1) * x, {x: y})
    y*Heaviside(y - 1)
    """
    done: dict = {}

    def walk(node):
        if node in mapping:
            return mapping[node]
        if node.is_Atom or not node.args:
            return node
        hit = done.get(node)
        if hit is None:
            args = [walk(a) for a in node.args]
            same = all(a is b for a, b in zip(args, node.args, strict=True))
            hit = node if same else _rebuild(node, args)
            done[node] = hit
        return hit

    return walk(expr)
