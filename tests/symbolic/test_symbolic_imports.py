"""Issue 13: the symbolic layer has no import circle (the whitelist is
owned by the parser) and no function-level imports; every module imports
first in a fresh interpreter."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SYMBOLIC = Path(__file__).resolve().parents[2] / "calckit" / "symbolic"
MODULES = sorted(p.stem for p in SYMBOLIC.glob("*.py") if p.stem != "__init__")


def _imports(path: Path) -> tuple[set, list]:
    """(symbolic modules imported at module level, lines of nested imports)."""
    tree = ast.parse(path.read_text())
    top, nested = set(), []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            mods = {n.split(".")[2] for n in names
                    if n.startswith("calckit.symbolic.") and n.split(".")[2] in MODULES}
            if node.col_offset == 0:
                top |= mods
            else:
                nested.append((node.lineno, ast.unparse(node)))
    return top, nested


def test_no_import_circle_in_symbolic():
    graph = {m: _imports(SYMBOLIC / f"{m}.py")[0] - {m} for m in MODULES}
    state: dict = {}

    def visit(m, path):
        if state.get(m) == "done":
            return
        assert state.get(m) != "open", f"import circle: {' -> '.join(path + [m])}"
        state[m] = "open"
        for n in sorted(graph[m]):
            visit(n, path + [m])
        state[m] = "done"

    for m in MODULES:
        visit(m, [])


@pytest.mark.parametrize("module", MODULES)
def test_no_function_level_imports(module):
    assert _imports(SYMBOLIC / f"{module}.py")[1] == []


@pytest.mark.slow
def test_every_module_imports_first_in_a_fresh_interpreter():
    code = "import importlib, sys\n" + "".join(
        f"importlib.import_module('calckit.symbolic.{m}')\n" for m in MODULES)
    for m in MODULES:  # each one first, in its own interpreter
        first = f"import calckit.symbolic.{m}\n" + code
        out = subprocess.run([sys.executable, "-c", first], capture_output=True,
                             text=True, cwd=SYMBOLIC.parents[1], timeout=120)
        assert out.returncode == 0, out.stderr[-2000:]


def test_public_activation_names_need_no_renaming():
    import calckit as ck
    from calckit.symbolic import activations

    assert ck.activations.sigmoid is activations.sigmoid is activations.get("sigmoid")
    assert ck.activations.softplus is activations.get("softplus")
    assert "sigmoid_" not in activations.__all__
