"""The notebooks of docs/notebooks/ run top to bottom in a real Jupyter kernel
(nbclient + ipykernel), and show their results richly: SymPy as LaTeX, tables
and gradcheck reports as HTML or Markdown, figures as PNG."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "docs" / "notebooks"
NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))

# notebook -> MIME types its outputs must include
RICH = {
    "calculus-and-taylor.ipynb": {"text/latex", "image/png"},
    "optimization.ipynb": {"text/latex", "image/png"},
    "backprop-and-gradcheck.ipynb": {"text/html", "text/markdown", "image/png",
                                     "text/latex"},
    "derivative-tables.ipynb": {"text/html", "image/png"},
}


def test_the_four_teaching_notebooks_are_there():
    assert set(RICH) <= set(NAMES), f"missing notebooks: {set(RICH) - set(NAMES)}"


def test_notebooks_are_stored_without_outputs():
    """Outputs come from running them (here and in the site build)."""
    nbformat = pytest.importorskip("nbformat")
    for name in NAMES:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        stale = [i for i, c in enumerate(nb.cells)
                 if c.cell_type == "code" and (c.outputs or c.execution_count)]
        assert not stale, f"{name}: cells {stale} have stored outputs"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_executes_with_rich_output(name, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # the kernel imports calckit from this tree
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", path)
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on any failing cell

    mimes: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            assert out.output_type != "error", f"{name}: {out.ename}: {out.evalue}"
            if out.output_type == "stream" and out.name == "stderr":
                # a warning in a teaching notebook is a defect
                assert "Warning" not in out.text, f"{name}: {out.text}"
            mimes |= set(out.get("data", {}))
    assert RICH.get(name, {"text/plain"}) <= mimes, (
        f"{name}: outputs lack {RICH[name] - mimes}")
