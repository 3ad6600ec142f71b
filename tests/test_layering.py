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
FRONT_ENDS = set(_files("__main__.py", "cli.py", "_cli_commands.py", "tour.py",
                        "plot/*.py"))
CORE = _files("symbolic/**/*.py", "kernels/**/*.py")
UPPER = ["calckit." + m for m in ("numeric", "optim", "nn", "tables", "check",
                                  "optimize", "plot", "cli", "_cli_commands",
                                  "tour", "datasets")]


def test_the_scan_sees_the_package_and_its_imports():
    assert len(ALL) > 40 and len(CORE) > 10
    found = {m for _, m in _imports(PACKAGE / "symbolic" / "parse.py")}
    assert {"sympy", "calckit.symbolic._lexer", "calckit.errors"} <= found
    # lazy imports inside functions count
    assert _violations([PACKAGE / "_cli_commands.py"], ["calckit.plot"])


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
    forbidden = ["calckit.plot", "calckit.cli", "calckit._cli_commands"]
    assert _violations([p for p in ALL if p not in FRONT_ENDS], forbidden) == []


def test_symbolic_core_imports_no_upper_layer():
    assert _violations(CORE, UPPER) == []


def test_optim_and_numeric_never_import_sympy():
    files = _files("optim/**/*.py", "numeric/**/*.py")
    forbidden = ["sympy", "calckit.symbolic", "calckit.kernels", "matplotlib",
                 "calckit.optimize"]
    assert _violations(files, forbidden) == []
