"""Python source for tensor kernels (private; see :mod:`calckit.kernels.tensor`).

:func:`generate` takes the output expressions and the argument variables
and emits one function body:

1. **Lowering** to what hand-written NumPy would do: ``diag(c) @ B`` is
   ``c[:, None] * B``, ``A @ diag(c)`` is ``A * c``, ``outer(a, b)`` is
   ``a[:, None] * b``: a ``diag(...)`` is never built unless it is the
   result itself.
2. **Sharing**: nodes are hashed, so a subexpression used by the value and
   by the gradient (one ``X @ w``) is computed once; ``softmax`` reuses a
   ``logsumexp`` of the same argument.
3. **Fusion**: a chain of elementwise operations with a single consumer is
   one NumPy expression, printed by calckit's kernel printer after calckit's
   stable rewriting (``softplus`` as ``logaddexp(0, z)``, ``sigmoid`` as
   ``expit``), with the values computed earlier substituted back in
   (``1 - tanh(z)**2`` reuses ``tanh(z)``).
4. Matrix products are ``@`` (BLAS), transposes are views, reductions are
   NumPy methods or the stable helpers of
   :mod:`calckit.kernels.tensor_runtime`.
"""

from __future__ import annotations

import keyword

import sympy as sp

from calckit.errors import InvalidParameterError
from calckit.kernels.printer import KernelPrinter, UnsupportedError
from calckit.kernels.sigmoid import share_expit
from calckit.symbolic.stable import stabilize
from calckit.symbolic.tensor import expr as E
from calckit.symbolic.tensor.shapes import DimSymbol

__all__ = ["generate", "lower"]

_FUSABLE = frozenset({"add", "mul", "elem", "scalar"})
#: operations printed as a call or a postfix of an atom: no parentheses needed
_POSTFIX = frozenset({"T", "expand", "sum", "lse", "softmax", "diag", "trace", "inv",
                      "logdet", "eye", "bcast"})


# -- 1. lowering --------------------------------------------------------------------
def lower(outputs: list) -> list:
    """``outputs`` with diagonal and outer products as broadcasting products."""
    memo: dict = {}

    def go(node):
        hit = memo.get(node)
        if hit is not None:
            return hit
        args = tuple(go(a) for a in node.args)
        out = node if args == node.args else E.Tensor(node.op, args, node.attr,
                                                      node.shape)
        if out.op == "matmul":
            out = _reassociate(out)
        if out.op == "matmul":
            a, b = out.args
            if a.op == "diag" and a.args[0].ndim == 1:
                c = a.args[0]
                out = E.mul(E.expand(c, 1) if b.ndim == 2 else c, b)
            elif b.op == "diag" and b.args[0].ndim == 1:
                out = E.mul(a, b.args[0])
        elif out.op == "outer":
            out = E.mul(E.expand(args[0], 1), args[1])
        memo[node] = out
        return out

    return [go(o) for o in outputs]


def _chain(node) -> list:
    if node.op != "matmul":
        return [node]
    return _chain(node.args[0]) + _chain(node.args[1])


def _reassociate(node):
    """A chain of products ending (starting) with a vector is evaluated from
    that end: ``X.T @ X @ w`` as ``X.T @ (X @ w)``, two matrix-vector
    products instead of a matrix-matrix one."""
    factors = _chain(node)
    if len(factors) < 3 or not (factors[-1].ndim == 1 or factors[0].ndim == 1):
        return node
    if factors[-1].ndim == 1:
        out = factors[-1]
        for f in reversed(factors[:-1]):
            out = E.Tensor("matmul", (f, out), (), f.shape[:-1] + out.shape[1:])
    else:
        out = factors[0]
        for f in factors[1:]:
            out = E.Tensor("matmul", (out, f), (), out.shape[:-1] + f.shape[1:])
    return out


# -- 2./3. the body ----------------------------------------------------------------
class _Printer(KernelPrinter):
    """The kernel printer, with ``Piecewise`` as nested ``numpy.where`` (the
    statement runs under ``numpy.errstate`` when an untaken branch can
    overflow; see :meth:`_Body.elementwise`)."""

    def doprint(self, expr, *args, **kwargs):
        # a step cast to float64 would turn a float32 kernel into float64
        return super().doprint(expr, *args, **kwargs).replace(".astype(float)",
                                                               ".astype(_dt)")

    def _print(self, expr, **kwargs):
        if isinstance(expr, sp.Expr) and expr.is_number and not expr.is_Atom \
                and expr.is_extended_real:  # sqrt(2): a Python float, not numpy's
            value = float(expr)
            return f"({value!r})" if value < 0 else repr(value)
        return super()._print(expr, **kwargs)

    def _print_Piecewise(self, expr):
        where = self._module_format("numpy.where")
        text = None
        for val, cond in reversed(expr.args):
            v = f"_dt.type({self._print(val)})" if val.is_number else self._print(val)
            if cond == sp.true:
                text = v
            else:
                c = self._print(cond)
                text = f"{where}({c}, {v}, {text if text is not None else 'numpy.nan'})"
        return text


def _safe_branch(e) -> bool:
    """A ``Piecewise`` value that cannot overflow or warn where it is unused."""
    return all(isinstance(n, (sp.Symbol, sp.Number, sp.Add, sp.Mul))
               or (isinstance(n, sp.Pow) and n.exp.is_Integer and n.exp > 0)
               for n in sp.preorder_traversal(e))


class _Body:
    """Statements of a kernel body, one per materialized node."""

    def __init__(self, names: dict, outputs: list):
        self.names = dict(names)  # node or symbol -> source name
        self.lines: list[str] = []
        self.printer = _Printer()
        self.count = 0
        self.done: dict = {}  # node -> source name
        self.known: dict = {}  # stabilized SymPy form -> symbol of a computed value
        self.uses = _uses(outputs)
        self.outputs = set(outputs)
        self.lse: dict = {}  # (arg, axis) -> lse node (softmax shares its work)
        for node in self.uses:
            if node.op == "lse":
                self.lse.setdefault((node.args[0], node.attr[0]), node)
        self.partners = {node for node in self.uses if node.op == "softmax"
                         and (node.args[0], node.attr[0]) in self.lse}
        self.partners |= {self.lse[(n.args[0], n.attr[0])] for n in self.partners}
        self.partners |= {n.args[0] for n in self.partners}

    def fresh(self) -> str:
        self.count += 1
        return f"_t{self.count}"

    def inline(self, node) -> bool:
        """Fused into its only consumer (an elementwise operation)."""
        if node.op == "scalar":
            return True
        return (node.op in _FUSABLE and node not in self.outputs
                and len(self.uses[node]) == 1
                and next(iter(self.uses[node])).op in _FUSABLE)

    # SymPy form of an elementwise node over the names of computed values
    def scalar_form(self, node, memo):
        hit = memo.get(node)
        if hit is not None:
            return hit
        if node.op == "scalar":
            out = node.attr[0].xreplace(self.dim_subs(node.attr[0]))
        elif node in self.done or node.op not in _FUSABLE:
            out = sp.Symbol(self.emit(node), real=True)
        elif node.op == "add":
            out = sp.Add(*[self.operand(a, memo) for a in node.args])
        elif node.op == "mul":
            out = sp.Mul(*[self.operand(a, memo) for a in node.args])
        else:
            fn = node.attr[0]
            subs = {E.dummy(i): self.operand(a, memo) for i, a in enumerate(node.args)}
            out = fn.xreplace({**subs, **self.dim_subs(fn)})
        memo[node] = out
        return out

    def operand(self, node, memo):
        if self.inline(node):
            return self.scalar_form(node, memo)
        return sp.Symbol(self.emit(node), real=True)

    def dim_subs(self, e) -> dict:
        return {s: sp.Symbol(self.names[s], real=True)
                for s in e.free_symbols if isinstance(s, DimSymbol)}

    def emit(self, node) -> str:
        """Emit the statement of ``node`` (once); return its name."""
        name = self.done.get(node) or self.names.get(node)
        if name is not None:
            return name
        if node.op in _FUSABLE:
            name = self.elementwise(node)
        else:
            name = self.structural(node)
        self.done[node] = name
        return name

    def elementwise(self, node) -> str:
        # not emitted yet (emit checks), so scalar_form builds its own form
        raw = self.scalar_form(node, {})
        form = stabilize(raw)
        if self.known:
            form = form.xreplace(self.known)
        hit = self.known.get(form)
        if isinstance(hit, sp.Symbol):
            return hit.name
        (printable,) = share_expit([form])
        risky = any(not all(_safe_branch(v) for v, _ in p.args)
                    for p in printable.atoms(sp.Piecewise))
        pairs, (printable,) = sp.cse([printable], symbols=self.cse_symbols(),
                                     optimizations=None)
        if risky:  # masked elements of an untaken branch may overflow: no warning
            self.lines.append("with numpy.errstate(all='ignore'):")
        for sym, sub in pairs:
            self.lines.append(f"{'    ' if risky else ''}{sym} = "
                              f"{self.print(sub, node)}")
        text = self.print(printable, node)
        if not printable.free_symbols:  # a constant: a value of the kernel's dtype
            text = f"_dt.type({text})"
        if not risky and not pairs and self.deferrable(node):
            return f"({text})"
        name = self.fresh()
        self.lines.append(f"{'    ' if risky else ''}{name} = {text}")
        if form.free_symbols:
            self.known[form] = sp.Symbol(name, real=True)
        return name

    def cse_symbols(self):
        while True:
            yield sp.Symbol(self.fresh(), real=True)

    def print(self, e, node) -> str:
        try:
            return self.printer.doprint(e)
        except UnsupportedError as exc:
            raise UnsupportedError(f"{node}: {exc}") from None

    def structural(self, node) -> str:  # noqa: C901 - one line per operation
        op, attr = node.op, node.attr
        if op == "softmax":
            partner = self.lse.get((node.args[0], attr[0]))
            if partner is not None:
                a = self.emit(node.args[0])
                lse = self.emit(partner)
                keep = _keep(lse, partner, attr[0])
                return self.assign(f"numpy.exp({a} - {keep})", node)
        args = [self.emit(a) for a in node.args]
        if op == "matmul":
            text = f"{args[0]} @ {args[1]}"
        elif op == "T":
            text = f"{args[0]}.T"
        elif op == "sum":
            text = f"{args[0]}.sum({_axis(*attr)})"
        elif op == "lse":
            text = f"_lse({args[0]}, {attr[0]}, {attr[1]})"
        elif op == "softmax":
            text = f"_softmax({args[0]}, {attr[0]})"
        elif op == "expand":
            text = f"{args[0]}[:, None]" if attr[0] == 1 else f"{args[0]}[None, :]"
        elif op == "bcast":
            text = f"numpy.broadcast_to({args[0]}, {self.shape(attr[0])})"
        elif op == "diag":
            text = f"numpy.diag({args[0]})"
        elif op == "trace":
            text = f"numpy.trace({args[0]})"
        elif op == "inv":
            text = f"numpy.linalg.inv({args[0]})"
        elif op == "logdet":
            text = f"_logdet({args[0]})"
        elif op == "eye":
            text = f"numpy.eye({self.dim(attr[0])}, dtype=_dt)"
        elif op == "outer":
            text = f"numpy.multiply.outer({args[0]}, {args[1]})"
        else:  # pragma: no cover - every operation is listed above
            raise UnsupportedError(f"no kernel rule for {op}")
        return self.assign(text, node)

    def deferrable(self, node) -> bool:
        """Written inside its only consumer's statement instead of a line
        of its own (``X.T @ (expit(z) - y)``)."""
        return (node not in self.outputs and len(self.uses[node]) == 1
                and node not in self.partners)

    def assign(self, text: str, node=None) -> str:
        if node is not None and self.deferrable(node):
            return text if node.op in _POSTFIX else f"({text})"
        name = self.fresh()
        self.lines.append(f"{name} = {text}")
        return name

    def dim(self, d) -> str:
        return str(d) if isinstance(d, int) else self.names[DimSymbol(d)]

    def shape(self, shape) -> str:
        inner = ", ".join(self.dim(d) for d in shape)
        return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _keep(name: str, lse_node, axis) -> str:
    if lse_node.attr[1] or axis is None:
        return name
    return f"{name}[:, None]" if axis == 1 else f"{name}[None, :]"


def _axis(axis, keepdims) -> str:
    parts = [] if axis is None else [f"axis={axis}"]
    if keepdims:
        parts.append("keepdims=True")
    return ", ".join(parts)


def _uses(outputs: list) -> dict:
    """node -> set of distinct consumer nodes (outputs count as consumers)."""
    uses: dict = {}
    for out in outputs:
        for node in E.walk(out):
            uses.setdefault(node, set())
            for a in node.args:
                uses.setdefault(a, set()).add(node)
    for out in outputs:
        uses[out].add(E.Tensor("output", (out,), (), out.shape))
    return uses


# -- the function ---------------------------------------------------------------
_RESERVED = frozenset({"numpy", "scipy", "out", "_dt"} | set(keyword.kwlist)
                      | set(dir(__builtins__) if isinstance(__builtins__, dict)
                            else dir(__builtins__)))


def source_names(args: list, dims: list) -> tuple:
    """Source names of the arguments and the dims: their own names unless
    they would shadow something, else ``_a{i}`` / ``_d_{name}``."""
    taken: set = set()
    out_args = []
    for i, a in enumerate(args):
        n = a.name
        if n in _RESERVED or n.startswith("_") or n in taken or not n.isidentifier():
            n = f"_a{i}"
        taken.add(n)
        out_args.append(n)
    out_dims = []
    for d in dims:
        n = d if d not in taken and d not in _RESERVED else f"_d_{d}"
        taken.add(n)
        out_dims.append(n)
    return out_args, out_dims


def generate(outputs: list, args: list, spec: list, *, returns: str) -> str:
    """Source of ``_kernel(*args)`` evaluating ``outputs``.

    ``args`` are the variables (``var`` nodes or SymPy symbols), ``spec`` their
    expected shapes, ``returns`` how the output names are returned (a format
    string over ``{0}, {1}, ...``).
    """
    dims = sorted({d for s in spec for d in s if isinstance(d, str)})
    _check_bound(outputs, set(dims))
    arg_names, dim_names = source_names(args, dims)
    names: dict = {}
    for a, n in zip(args, arg_names, strict=True):
        names[a] = n
        if isinstance(a, sp.Symbol):
            names[E.scalar(a)] = n
    for d, n in zip(dims, dim_names, strict=True):
        names[DimSymbol(d)] = n
    lowered = lower(outputs)
    body = _Body(names, lowered)
    results = []
    for node, orig in zip(lowered, outputs, strict=True):
        results.append(_result(body, node, orig))
    lines = _prologue(arg_names, spec, names, dims) + body.lines
    lines.append("return " + returns.format(*results))
    sig = ", ".join(arg_names)
    return f"def _kernel({sig}):\n" + "".join(f"    {ln}\n" for ln in lines)


def _check_bound(outputs: list, dims: set) -> None:
    """Every dim the outputs use is the size of an argument's axis."""
    used: set = set()
    for out in outputs:
        for node in E.walk(out):
            used.update(d for d in node.shape if isinstance(d, str))
            if node.op in ("scalar", "elem"):
                used.update(s.name for s in node.attr[0].free_symbols
                            if isinstance(s, DimSymbol))
    loose = sorted(used - dims)
    if loose:
        raise InvalidParameterError(
            f"dim(s) {loose} of {', '.join(map(str, outputs))[:80]} are not the "
            "size of any argument, so a kernel cannot know them")


def _result(body: _Body, node, orig) -> str:
    """A fresh array of the output's shape and the kernel's dtype."""
    name = body.emit(node)
    if node.op == "var" or name in body.names.values():
        return f"{name}.copy()"
    if node.op == "bcast" or node.op == "scalar" or (
            node.op in _FUSABLE and node.ndim < orig.ndim):
        shape = body.shape(orig.shape)
        return f"numpy.full({shape}, {name}, _dt)" if orig.ndim else f"_dt.type({name})"
    return name


def _prologue(arg_names, spec, names, dims) -> list:
    first = arg_names[0]
    same = " and ".join([f"type({n}) is _ndarray" for n in arg_names]
                        + [f"{n}.dtype is _dt" for n in arg_names[1:]])
    lines = [f"_dt = getattr({first}, 'dtype', None)",  # fast path: float arrays
             f"if _dt not in _FLOATS or not ({same}):",
             f"    _dt = _float_dtype({', '.join(arg_names)})"]
    lines += [f"    {n} = _arg({n}, _dt, {n!r})" for n in arg_names]
    ndims = [f"{n}.ndim != {len(s)}" for n, s in zip(arg_names, spec, strict=True)]
    checks = []
    bound: dict = {}
    binds = []
    for n, s in zip(arg_names, spec, strict=True):
        for ax, d in enumerate(s):
            ref = f"{n}.shape[{ax}]"
            if isinstance(d, int):
                checks.append(f"{ref} != {d}")
            elif d in bound:
                checks.append(f"{ref} != {bound[d]}")
            else:
                bound[d] = names[DimSymbol(d)]
                binds.append(f"{bound[d]} = {ref}")
    bad = f"_bad_shape(_SPEC, ({', '.join(arg_names)},))"
    if ndims:
        lines.append(f"if {' or '.join(ndims)}:")
        lines.append(f"    {bad}")
    lines += binds
    if checks:
        lines.append(f"if {' or '.join(checks)}:")
        lines.append(f"    {bad}")
    return lines
