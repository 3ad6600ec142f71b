"""The one-way import graph of calckit (STYLE.md section 8).

Two kinds of check: in a fresh interpreter, importing a light layer must not
load a heavy dependency (matplotlib, SymPy); and, statically over the source
(``ast``, so lazy imports inside functions count too), no module imports a
layer above its own.
"""

import ast
import pathlib
import subprocess
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "calckit"

# -- what importing a module loads -------------------------------------------

NOT_LOADED = {
    "calckit": ("matplotlib",),
    "calckit.nn": ("matplotlib",),
    "calckit.optim": ("matplotlib", "sympy"),
    "calckit.numeric": ("matplotlib", "sympy"),
    "calckit.kernels": ("matplotlib",),
    "calckit.tables": ("matplotlib",),
}


def _loaded_after_import(module: str) -> set:
    code = (
        "import sys\n"
        f"import {module}\n"
        "print('\\n'.join(sorted(m.split('.')[0] for m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=120, check=True)
    return set(out.stdout.split())


@pytest.mark.slow  # one fresh interpreter per module
@pytest.mark.parametrize("module, heavy", NOT_LOADED.items())
def test_importing_does_not_load_heavy_dependencies(module, heavy):
    loaded = _loaded_after_import(module)
    assert "calckit" in loaded  # the probe really imported it
    assert not loaded & set(heavy), f"import {module} loads {loaded & set(heavy)}"


def test_probe_sees_a_dependency_that_is_loaded():
    # the check above could pass by reading the wrong list: prove it can fail
    assert "sympy" in _loaded_after_import("calckit.symbolic.parse")


# -- static import graph -------------------------------------------------------


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: pathlib.Path) -> list:
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    return _imports_of(path.read_text(encoding="utf-8"), package)


def _imports_of(source: str, package: str) -> list:
    """``(line, module)`` for every import in ``source`` (a module of
    ``package``), lazy ones included; ``from a import b`` gives ``a`` and
    ``a.b`` (b may be a module), relative imports are resolved, and
    ``alias.b`` on a name bound by ``import calckit [as alias]`` counts as
    importing ``calckit.b``."""
    tree = ast.parse(source)
    found, aliases = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                found.append((node.lineno, a.name))
                if a.name == "calckit":
                    aliases.add(a.asname or a.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            found.append((node.lineno, base))
            found.extend((node.lineno, f"{base}.{a.name}") for a in node.names)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases):
            found.append((node.lineno, f"calckit.{node.attr}"))
    return found


def _files(*patterns: str) -> list:
    return sorted({p for pattern in patterns for p in PACKAGE.glob(pattern)})


def _violations(files, forbidden) -> list:
    out = []
    for path in files:
        where = path.relative_to(PACKAGE.parent)
        out += [f"{where}:{line} imports {module}"
                for line, module in _imports(path)
                if any(module == f or module.startswith(f + ".") for f in forbidden)]
    return out


ALL = _files("**/*.py")
FRONT_ENDS = set(_files("__main__.py", "cli/**/*.py", "tour.py", "plot/*.py"))
CORE = _files("symbolic/**/*.py", "kernels/**/*.py")
UPPER = ["calckit." + m for m in ("numeric", "optim", "nn", "tables", "check",
                                  "optimize", "plot", "cli",
                                  "tour", "datasets")]


def test_the_scan_sees_the_package_and_its_imports():
    assert len(ALL) > 40 and len(CORE) > 10
    found = {m for _, m in _imports(PACKAGE / "symbolic" / "parse.py")}
    assert {"sympy", "calckit.symbolic._lexer", "calckit.errors"} <= found
    # lazy imports inside functions count
    assert _violations([PACKAGE / "cli" / "commands" / "diff.py"], ["calckit.plot"])


def test_relative_imports_and_module_attributes_are_resolved():
    source = (
        "import calckit as ck\n"
        "from ..numeric import gradient\n"
        "def f():\n"
        "    from . import _lexer\n"
        "    return ck.plot.taylor\n"
    )
    found = {m for _, m in _imports_of(source, "calckit.symbolic")}
    assert {"calckit.numeric.gradient", "calckit.symbolic._lexer",
            "calckit.plot"} <= found


def test_only_the_front_ends_import_plot_or_cli():
    forbidden = ["calckit.plot", "calckit.cli"]
    assert _violations([p for p in ALL if p not in FRONT_ENDS], forbidden) == []


def test_symbolic_core_imports_no_upper_layer():
    assert _violations(CORE, UPPER) == []


def test_optim_and_numeric_never_import_sympy():
    files = _files("optim/**/*.py", "numeric/**/*.py")
    forbidden = ["sympy", "calckit.symbolic", "calckit.kernels", "matplotlib",
                 "calckit.optimize"]
    assert _violations(files, forbidden) == []


# -- the whole graph: layers in pipeline order, no circles ----------------------

#: The pipeline, bottom first: a module may import only from components
#: listed before its own (and from its own component's other modules).
PIPELINE = (
    "errors", "_text", "_validate", "_progress",  # stdlib / NumPy helpers
    "symbolic", "activations", "losses",  # SymPy: parse, derive, stable, library
    "kernels",  # SymPy -> NumPy code
    "numeric",  # finite differences (NumPy only)
    "check",  # exact vs numeric derivatives
    "optim",  # pure optimizers (NumPy only)
    "optimize",  # minimize, compare, least squares, curve fitting
    "datasets", "nn",  # layers, backprop, training
    "tables", "plot",  # derivative tables, figures
    "tour", "cli", "__main__",  # front ends
)
#: Components that never import SymPy-level layers, though listed above them.
NUMPY_ONLY = {
    "_text": (), "_validate": (), "numeric": (), "optim": ("numeric", "check"),
}
SYMPY_LAYERS = ("symbolic", "activations", "losses", "kernels", "check")


def _component(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _known_modules() -> dict:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking_lines(tree: ast.AST) -> set:
    """Line numbers of imports under ``if TYPE_CHECKING:`` (never executed)."""
    lines = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.If) and isinstance(node.test, ast.Name)
                and node.test.id == "TYPE_CHECKING"):
            lines |= {n.lineno for n in ast.walk(node) if hasattr(n, "lineno")}
    return lines


def _graph() -> dict:
    """module -> set of calckit modules it imports (lazy ones included).

    ``from a import b`` where ``a.b`` is a module counts as importing
    ``a.b`` alone (the package ``a`` is only its namespace there);
    ``import calckit`` followed by ``calckit.name`` counts as importing the
    module that defines ``name`` (:data:`calckit._EXPORTS`); imports under
    ``if TYPE_CHECKING:`` do not count."""
    import calckit

    known = _known_modules()

    def resolve(m: str):
        parts = m.split(".")
        for i in range(len(parts), 0, -1):
            if ".".join(parts[:i]) in known:
                return ".".join(parts[:i])
        return None

    graph = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_lines(tree)
        found = [(line, m) for line, m in _imports(path) if line not in skip]
        by_line: dict = {}
        for line, m in found:
            by_line.setdefault(line, set()).add(m)
        out = set()
        for mods in by_line.values():
            for m in mods:
                if not m.startswith("calckit"):
                    continue
                if m in known and any(o.startswith(m + ".") and o in known
                                      for o in mods):
                    continue  # ``from a import b``: the submodule a.b
                if m.startswith("calckit.") and _component(m) in calckit._EXPORTS:
                    m = calckit._EXPORTS[_component(m)]
                target = resolve(m)
                if target not in (None, name, "calckit"):
                    out.add(target)
        graph[name] = out
    return graph


def _cycles(graph: dict) -> list:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _backward_edges(graph: dict) -> list:
    rank = {c: i for i, c in enumerate(PIPELINE)}
    bad = []
    for a, targets in graph.items():
        ca = _component(a)
        for b in targets:
            cb = _component(b)
            if ca == cb or a == "calckit":
                continue
            if ca not in rank or cb not in rank:
                bad.append(f"{a} -> {b} (component not in PIPELINE)")
            elif rank[cb] > rank[ca]:
                bad.append(f"{a} -> {b} (runs back up the pipeline)")
            elif ca in NUMPY_ONLY and (cb in SYMPY_LAYERS or cb in NUMPY_ONLY[ca]):
                bad.append(f"{a} -> {b} (a NumPy-only layer)")
    return sorted(bad)


def test_no_import_circles():
    assert _cycles(_graph()) == []


def test_every_import_runs_down_the_pipeline():
    assert _backward_edges(_graph()) == []


def test_the_graph_checks_can_fail():
    graph = {"calckit.optim._x": {"calckit.optimize._y"},
             "calckit.optimize._y": {"calckit.optim._x"},
             "calckit.numeric.a": {"calckit.kernels.b"}}
    assert _cycles(graph) == [["calckit.optim._x", "calckit.optimize._y"]]
    assert _backward_edges(graph) == [
        "calckit.numeric.a -> calckit.kernels.b (a NumPy-only layer)",
        "calckit.optim._x -> calckit.optimize._y (runs back up the pipeline)",
    ]
    real = _graph()
    assert "calckit.kernels.compiler" in real["calckit.kernels.derived"]
    assert len(real) > 100
