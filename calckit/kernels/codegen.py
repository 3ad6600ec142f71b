"""Source generation for calckit kernels (private; see :mod:`calckit.kernels`).

:func:`generate` turns a flat list of SymPy expressions (the entries of the
output, row-major) into the Python source of a module defining ``_kernel``.
The pipeline, per function body:

1. ``Piecewise`` nodes are lowered: each becomes a placeholder computed by
   the runtime helper ``_piecewise`` from one small function per condition
   and per branch, defined at the top of the module. Each branch function
   only ever sees the elements its condition selects, so an untaken branch
   cannot warn or leak ``nan``/``inf``; CSE runs inside each branch function
   separately, so nothing is hoisted out of its mask. Branches that cannot
   fail at all (numbers, bare arguments) use ``numpy.where`` instead.
2. ``sympy.cse`` across every output entry (``cse=True``).
3. Integer powers of one base are computed once as a chain of products
   (``x2 = x*x; x3 = x2*x; ...``) when several are needed.
4. Output: a single expression is broadcast to ``shape`` if needed (a
   ``(1,)``- or ``(1, 1)``-shaped output is a view of it, never a copy);
   vectors and matrices fill ``out[..., i]`` of one output array (zeros
   when there are structural zeros) laid out entry-major, so that each
   ``out[..., i]`` is contiguous (``_empty_last``), each distinct
   entry computed once and, when its outermost operation is a ufunc,
   written in place (``numpy.divide(a, b, out=out[..., 0])``; see
   :mod:`calckit.kernels.outputs`). Symmetric entries of a Hessian are
   assigned twice. Temporaries are deleted after their last use.
5. ``_kernel`` converts and broadcasts the arguments and evaluates the body.
   Bodies of several operations (or with a masked ``Piecewise``) also get a
   copy ``_core(*args, _shape, _out)`` that ``_kernel`` calls block by block
   along the leading axis on large inputs (about
   :data:`calckit.kernels.runtime.BLOCK` elements at a time, so temporaries
   stay in cache), writing into one output array. Short bodies run on whole
   arrays: for them the blocks cost more than they save.

The runtime helpers live in :mod:`calckit.kernels.runtime` and are put in
the namespace of every kernel.

>>> import sympy as sp
>>> x, y = sp.symbols("x y", real=True)
>>> print(generate([x*y, 0, 3], (3,), [x, y]).split("    try")[1])
:
        _shape = _bshape((x, y,))
    except ValueError:
        _shape_error(('x', 'y'), (x, y,))
    out = _empty_last(_shape, (3,), _dtype, True)
    numpy.multiply(x, y, out=out[..., 0])
    out[..., 2] = 3
    return out
<BLANKLINE>
"""

from __future__ import annotations

import math

import sympy as sp

from calckit.kernels.cost import BLOCK_COST as _BLOCK_COST
from calckit.kernels.cost import cost as _cost
from calckit.kernels.dag import holds, symbols_of
from calckit.kernels.inert import inert_extrema as _inert_extrema
from calckit.kernels.inert import substitute as _substitute
from calckit.kernels.outputs import into as _into
from calckit.kernels.passes import drop_aliases as _drop_aliases
from calckit.kernels.passes import fold_numbers as _fold_numbers
from calckit.kernels.passes import power_chains as _power_chains
from calckit.kernels.passes import with_deaths as _with_deaths
from calckit.kernels.printer import KernelPrinter, UnsupportedError
from calckit.kernels.sigmoid import share_expit as _share_expit

__all__ = ["generate"]

_CSE_PREFIX = "c"
#: batch entries by template when there are at least this many distinct ones
_BATCH_MIN = 16
#: ... and at least this many entries per template on average
_BATCH_GAIN = 4


# -- generation -----------------------------------------------------------------
class _Module:
    """Accumulates helper functions (piecewise branches) and the printer."""

    #: lower a Piecewise that may fail by masked evaluation (``_piecewise``);
    #: False: always a nested ``where`` (array backends, whose ops never warn)
    masked = True

    def __init__(self, cse: bool, printer=None):
        self.cse = cse
        self.printer = printer if printer is not None else KernelPrinter()
        self.helpers: list[str] = []
        self.count = 0
        self.piecewise = False  # a masked Piecewise was lowered

    def fresh(self, stem: str) -> str:
        self.count += 1
        return f"_{stem}{self.count}"


def generate(entries, shape, args, *, cse: bool = True, labels=None) -> str:
    """Source of a module defining ``_kernel(*args)`` (see module docstring).

    Parameters
    ----------
    entries : list of sympy.Expr
        Output entries in row-major order; symbols must be among ``args``
        and named as valid, non-reserved Python identifiers.
    shape : tuple of int
        The expression shape: ``()`` for one entry, ``(m,)`` or ``(m, n)``.
    args : list of sympy.Symbol
        The kernel's arguments, in order.
    cse : bool
        Run common-subexpression elimination across all entries.
    labels : sequence of str, optional
        Argument names for error messages (default: the symbol names).
    """
    mod = _Module(cse)
    names = [str(a) for a in args]
    labels = tuple(labels) if labels is not None else tuple(names)
    entries = [_inert_extrema(sp.sympify(e)) for e in entries]
    _check_derivatives(entries, args, labels)
    single = shape == () or (len(entries) == 1 and math.prod(shape) == 1)
    if not single:
        unique, index = _distinct(entries)
        groups = _templates(unique, args)
        if len(unique) >= _BATCH_MIN and len(groups) * _BATCH_GAIN <= len(unique):
            body = _batched(mod, groups, index, shape, len(entries), names, labels)
            return _module(mod, names, body)
    body = _prologue(names, labels)
    if single:
        lines, (value,) = _body(mod, entries, indent="    ")
        if value in names:  # never hand an input array back
            value = f"{value}.copy()"
        # a (1,)- or (1, 1)-shaped output is a view of the fresh (N,) result
        tail = "" if shape == () else f".reshape(_shape + {tuple(shape)!r})"
        alloc = "numpy.empty(_shape, _dtype)"
    else:
        unique, index = _distinct(entries)
        # every entry negated and no zeros: one in-place negation of the
        # whole (contiguous) output instead of one per (strided) entry
        negate = len(unique) > 1 and all(e.could_extract_minus_sign() for e in unique)
        negate = negate and sum(map(len, index.values())) == len(entries)
        lines, values = _body(mod, [-e for e in unique] if negate else unique,
                              indent="    ")
        alloc = _alloc(index, shape, len(entries))
        tail = ""
    if single:
        cost = _cost(lines, [value])
    else:  # a strided write into the output counts as one more operation
        cost = _cost(lines, values) + len(values) + negate
    if not mod.piecewise and cost < _BLOCK_COST:
        if single:
            body += [*lines, f"    return _finish({value}, _shape, _dtype){tail}"]
        else:
            body += _fill(lines, values, unique, index, shape, alloc, negate)
        return _module(mod, names, body)
    if single:
        into = _into(value, "_out")
        if into:
            core = [*lines, f"    _out = {alloc} if _out is None else _out",
                    f"    {into}", "    return _out"]
        else:
            core = [*lines, f"    return _finish({value}, _shape, _dtype, _out)"]
    else:
        core = _fill(lines, values, unique, index, shape,
                     f"{alloc} if _out is None else _out", negate)
    mod.helpers.append(f"def _core({', '.join([*names, '_shape', '_out'])}):")
    mod.helpers += core
    mod.helpers.append("")
    body += [
        "    _rows = _block_rows(_shape)",
        "    if _rows:  # large input: evaluate block by block (cache-friendly)",
        f"        _out = {alloc}",
        "        _n, _nd = _shape[0], len(_shape)",
        "        for _i in range(0, _n, _rows):",
        "            _j = min(_i + _rows, _n)",
        "            _core(",
        *[f"                _cut({n}, _i, _j, _n, _nd)," for n in names],
        "                (_j - _i,) + _shape[1:], _out[_i:_j],",
        "            )",
        f"        return _out{tail}",
        f"    return _core({', '.join([*names, '_shape', 'None'])}){tail}",
    ]
    return _module(mod, names, body)


def _check_derivatives(entries, args, labels) -> None:
    """:class:`UnsupportedError` naming an unevaluated ``Derivative`` (no
    derivative rule; the printer would only see it after CSE renamed its
    argument), written with the arguments' ``labels``."""
    if not holds(entries, sp.Derivative):
        return
    for e in dict.fromkeys(entries):
        if not e.is_Number and e.has(sp.Derivative):
            node = min(e.atoms(sp.Derivative), key=sp.count_ops)
            node = node.xreplace({a: sp.Symbol(lab) for a, lab
                                  in zip(args, labels, strict=True) if str(a) != lab})
            raise UnsupportedError(
                f"unevaluated derivative {node} (no derivative rule for "
                f"{type(node.expr).__name__})"
            )


def _prologue(names, labels):
    """Lines converting the arguments and computing their broadcast ``_shape``."""
    body = [
        f"    {n} = _asarray({n}, _dtype, {lab!r})"
        for n, lab in zip(names, labels, strict=True)
    ]
    if len(names) == 1:
        body.append(f"    _shape = {names[0]}.shape")
    elif names:
        tup = f"({', '.join(names)},)"
        body += [
            "    try:",
            f"        _shape = _bshape({tup})",
            "    except ValueError:",
            f"        _shape_error({labels!r}, {tup})",
        ]
    else:
        body.append("    _shape = ()")
    return body


def _module(mod, names, body):
    src = [*mod.helpers]
    src.append(f"def _kernel({', '.join(names)}):")
    src += body
    return "\n".join(src) + "\n"


def _distinct(entries):
    """Distinct non-zero entries and, for each, its flat output positions."""
    index: dict = {}
    unique = []
    for pos, e in enumerate(entries):
        if e.is_Number and e == 0:
            continue
        if e not in index:
            index[e] = []
            unique.append(e)
        index[e].append(pos)
    return unique, index


def _alloc(index, shape, size):
    """Text allocating the output (zeros if there are structural zeros)."""
    has_zero = sum(len(v) for v in index.values()) < size
    shape_text = "(" + ", ".join(str(s) for s in shape) + ",)"
    return f"_empty_last(_shape, {shape_text}, _dtype{', True' if has_zero else ''})"


def _fill(lines, values, unique, index, shape, alloc, negate):
    """Lines computing ``out`` (allocated by the text ``alloc``) for vector
    and matrix outputs, entry by entry, each written in place if possible;
    ``negate``: the values are the negated entries, negate ``out`` at the end."""
    # temporaries first, then the output (NumPy reuses freed memory better)
    lines = [*lines, f"    out = {alloc}"]
    for e, value in zip(unique, values, strict=True):
        targets = [_index(pos, shape) for pos in index[e]]
        first = f"out[..., {targets[0]}]"
        lines.append(f"    {_into(value, first) or f'{first} = {value}'}")
        for t in targets[1:]:
            lines.append(f"    out[..., {t}] = {first}")
    if negate:
        lines.append("    numpy.negative(out, out=out)")
    lines.append("    return out")
    return lines


def _templates(unique, args):
    """Group entries that are one expression up to renaming of arguments.

    Returns a list of groups ``[(entry, [arg index, ...], symbols), ...]``,
    found by a structural key (no SymPy rebuild per entry); :func:`_batched`
    builds one template per group.
    """
    position = {a: i for i, a in enumerate(args)}
    keyed: dict = {}
    for e in unique:
        syms = sorted(symbols_of([e]), key=position.__getitem__)
        local = {s: j for j, s in enumerate(syms)}
        key = _shape_key(e, local, {})
        keyed.setdefault(key, []).append((e, [position[s] for s in syms], syms))
    return list(keyed.values())


def _shape_key(expr, local, memo):
    """A hashable key equal for expressions equal up to renaming the
    symbols (``local`` numbers them)."""
    if expr.is_Symbol:
        return ("_v", local[expr])
    if expr.is_Atom or not expr.args:
        return expr
    hit = memo.get(expr)
    if hit is None:
        hit = (expr.func, *(_shape_key(a, local, memo) for a in expr.args))
        memo[expr] = hit
    return hit


def _batched(mod, groups, index, shape, size, names, labels):
    """Body evaluating each template once on gathered arguments.

    Used when many entries share few templates (Rosenbrock-like sums): all
    arguments are stacked into ``_A`` (trailing axis), each template is a
    helper function evaluated on ``_A[..., indices]`` and scattered into the
    flattened output.
    """
    tup = f"({', '.join(names)},)"
    lines = [
        f"    _A = _stack_args({tup}, _dtype, {labels!r})",
        "    _shape = _A.shape[:-1]",
        f"    out = {_alloc(index, shape, size)}",
        f"    _flat = out.reshape(_shape + ({size},))",
    ]
    for members in groups:
        nvars = len(members[0][1])
        # symbols _v0, _v1, ... stand for the entry's arguments in order
        tmpl = _substitute(members[0][0], {s: sp.Symbol(f"_v{j}")
                                           for j, s in enumerate(members[0][2])})
        targets, which = [], []
        for k, (e, _, _) in enumerate(members):
            targets += index[e]
            which += [k] * len(index[e])
        jname = mod.fresh("J")
        mod.helpers.append(f"{jname} = numpy.array({targets!r}, numpy.intp)")
        gathered = []
        for j in range(nvars):
            iname = mod.fresh("I")
            idx = [m[1][j] for m in members]
            mod.helpers.append(f"{iname} = numpy.array({idx!r}, numpy.intp)")
            gathered.append(f"_A[..., {iname}]")
        argnames = ", ".join(f"_v{j}" for j in range(nvars))
        if nvars == 0:
            value = mod.printer.doprint(tmpl)
        else:
            fname = _helper(mod, "group", tmpl, argnames)
            value = f"{fname}({', '.join(gathered)})"
        if nvars and len(which) != len(members):
            # an entry filling several positions: its column, repeated (a
            # constant template is one number and fills them all as it is)
            kname = mod.fresh("K")
            mod.helpers.append(f"{kname} = numpy.array({which!r}, numpy.intp)")
            value = f"{value}[..., {kname}]"
        lines.append(f"    _flat[..., {jname}] = {value}")
    mod.helpers.append("")
    lines.append("    return out")
    return lines


def _index(pos, shape):
    if len(shape) == 1:
        return str(pos)
    return f"{pos // shape[1]}, {pos % shape[1]}"


def _body(mod, exprs, indent):
    """Statements and final value texts for ``exprs`` in one function body."""
    exprs = [_fold_numbers(sp.sympify(e)) for e in exprs]
    pre_lines: list[str] = []
    lowered = [_lower_piecewise(mod, e, pre_lines, indent) for e in exprs]
    lowered = _share_expit(lowered)
    if mod.cse and lowered:
        syms = sp.numbered_symbols(mod.fresh(_CSE_PREFIX) + "_")
        repl, reduced = sp.cse(lowered, symbols=syms, order="none")
    else:
        repl, reduced = [], lowered
    repl, reduced, pow_lines = _power_chains(mod, repl, reduced)
    stmts = list(pow_lines.get(None, []))
    for sym, value in repl:
        stmts.append((sym, value))
        stmts += pow_lines.get(sym, [])
    stmts, reduced = _drop_aliases(stmts, reduced)
    lines = list(pre_lines)
    for sym, value, dead in _with_deaths(stmts, reduced):
        lines.append(f"{indent}{sym} = {mod.printer.doprint(value)}")
        if dead:
            lines.append(f"{indent}del {', '.join(map(str, dead))}")
    values = [mod.printer.doprint(r) for r in reduced]
    return lines, values


def _lower_piecewise(mod, expr, lines, indent):
    """Replace each outermost Piecewise in ``expr`` by a placeholder symbol."""
    if not holds([expr], sp.Piecewise):
        return expr
    mapping: dict[sp.Basic, None] = {}  # an ordered set
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Piecewise) and node not in mapping:
            mapping[node] = None
    outer = [p for p in mapping if not any(p != q and q.has(p) for q in mapping)]
    repl = {}
    for p in outer:
        name = mod.fresh("pw")
        lines.append(f"{indent}{name} = {_piecewise_call(mod, p)}")
        repl[p] = sp.Symbol(name)
    return expr.xreplace(repl)


def _piecewise_call(mod, pw):
    """Text evaluating ``pw``; helper functions go to ``mod.helpers``."""
    pairs = []
    for value, cond in pw.args:
        if cond is sp.false:
            continue
        pairs.append((value, cond))
        if cond is sp.true:
            break
    mod.piecewise = True
    if not mod.masked or all(_cannot_fail(v) and _cannot_fail(c) for v, c in pairs):
        return _where(mod, pairs)
    syms = sorted(pw.free_symbols, key=lambda s: s.name)
    argnames = ", ".join(s.name for s in syms)
    items = []
    for value, cond in pairs:
        cname = "None"
        if cond is not sp.true:
            cname = _helper(mod, "cond", cond, argnames)
        vname = _helper(mod, "branch", value, argnames)
        items.append(f"({cname}, {vname})")
    return (
        f"_piecewise(_shape, _dtype, ({', '.join(items)},), "
        f"({argnames}{',' if syms else ''}))"
    )


def _helper(mod, stem, expr, argnames):
    name = mod.fresh(stem)
    lines, (value,) = _body(mod, [expr], indent="    ")
    mod.helpers.append(f"def {name}({argnames}):")
    if any("_shape" in line for line in lines):
        shape = f"_bshape(({argnames},))" if argnames else "()"
        mod.helpers.append(f"    _shape = {shape}")
    mod.helpers += lines
    mod.helpers.append(f"    return {value}")
    mod.helpers.append("")
    return name


def _where(mod, pairs):
    p = mod.printer
    where = p._module_format("numpy.where")
    text = p._module_format("numpy.nan")
    for value, cond in reversed(pairs):
        if cond is sp.true:
            text = p.doprint(value)
        else:
            text = f"{where}({p.doprint(cond)}, {p.doprint(value)}, {text})"
    return text


def _cannot_fail(expr) -> bool:
    """True for expressions whose evaluation can never warn or overflow."""
    if expr in (sp.true, sp.false) or expr.is_Symbol:
        return True
    if expr.is_Number:
        return bool(expr.is_finite)
    if isinstance(expr, sp.Mul) and len(expr.args) == 2:
        c, s = expr.args
        return c.is_Number and abs(c) <= 1 and s.is_Symbol
    if isinstance(expr, (sp.And, sp.Or, sp.Not)):
        return all(_cannot_fail(a) for a in expr.args)
    if isinstance(expr, sp.core.relational.Relational):
        return all(a.is_Symbol or (a.is_Number and a.is_finite) for a in expr.args)
    return False
