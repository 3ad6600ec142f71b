"""The generated source of a kernel: the identifiers of its arguments, the
namespace it runs in, and its execution (private; see :mod:`calckit.kernels`).

Every name a generated module reads must be defined by it, be one of its
globals (:data:`GLOBALS`) or a builtin: :func:`undefined_names` checks it
before the source runs, so that a SymPy construct printed as a bare name
(``Subs(...)``, ``builtins.sum``, ``inf``) is refused when compiling instead
of failing with a ``NameError`` when called.

>>> import sympy as sp
>>> safe_names([sp.Symbol("x"), sp.Symbol("range"), sp.Symbol("x")])
['x', '_a1', '_a2']
>>> undefined_names("def _kernel(x):\\n    return numpy.exp(x) + Subs(x)\\n")
['Subs']
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import keyword
import linecache
import unicodedata

import numpy
import scipy
import scipy.special

from calckit.kernels.runtime import RUNTIME

__all__ = ["GLOBALS", "execute", "safe_names", "undefined_names"]

#: the globals of every generated kernel (plus ``_dtype``, see :func:`execute`)
GLOBALS = {"numpy": numpy, "scipy": scipy, **RUNTIME}
#: names the generated code may refer to: the builtins it calls (``range``,
#: ``min``, ``float`` in ``.astype(float)``, ...), its globals and its local
#: output ``out``. An argument named like one of them (or starting with
#: ``_``, the prefix of every generated name) is renamed in the source.
_RESERVED = frozenset(
    {*dir(builtins), *GLOBALS, "_dtype", "out", "functools", "math", "mpmath"}
)
_KNOWN = frozenset({*dir(builtins), *GLOBALS, "_dtype"})


def safe_names(args) -> list[str]:
    """Source names of the arguments: the symbol's name when it is a plain
    identifier that shadows nothing the generated code uses, else ``_a{i}``.

    Python reads identifiers in NFKC form (``ｒａｎｇｅ`` is ``range``), so
    names are compared in that form.
    """
    names: list[str] = []
    seen: set[str] = set()
    for i, s in enumerate(args):
        n = s.name
        key = unicodedata.normalize("NFKC", n)
        if (not n.isidentifier() or keyword.iskeyword(key) or key.startswith("_")
                or key in _RESERVED or key in seen):
            n = key = f"_a{i}"
        names.append(n)
        seen.add(key)
    return names


def undefined_names(source: str) -> list[str]:
    """Names the module ``source`` reads but neither defines nor gets from
    :data:`GLOBALS` or the builtins (sorted)."""
    tree = ast.parse(source)
    defined = set(_KNOWN)
    read: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else defined).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.Lambda)):
            if isinstance(node, ast.FunctionDef):
                defined.add(node.name)
            defined.update(a.arg for a in node.args.args)
    return sorted(read - defined)


def execute(source: str, dtype, globals_: dict | None = None):
    """Compile and run the generated ``source`` (in :data:`GLOBALS`, or in
    ``globals_``: an array backend's namespace); return its ``_kernel``."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    filename = f"<calckit-kernel-{digest}>"
    if globals_ is None:
        namespace = {**GLOBALS, "_dtype": dtype}
    else:  # backend kernels take their dtype from the inputs; this is the default
        namespace = {**globals_, "_default": dtype}
    code = builtins.compile(source, filename, "exec")
    exec(code, namespace)  # our own generated source, never user text
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return namespace["_kernel"]
