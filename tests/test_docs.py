"""Every code block in docs/*.md runs, so the documentation cannot rot.

Per page, in order and in one shared namespace:

* ```python blocks run; a block written in ``>>>`` style is a doctest (its
  shown output must match, with NORMALIZE_WHITESPACE and ELLIPSIS);
* ```console blocks: each ``$ command`` line runs in a shell-free subprocess
  and must exit 0 (or N, when a line ``[exit N]`` is shown); the lines shown
  under it must appear in its stdout + stderr (``...`` lines are skipped);
* other blocks (```bash install commands, ```text) are not run.

The API reference must name every public name of the contract, and the
gallery's images must exist and stay small.
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(p.name for p in DOCS.glob("*.md"))
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.S | re.M)


def blocks(page: str) -> list[tuple[str, str, int]]:
    """(language, code, line number) of every fenced block of a page."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 2)
            for m in FENCE.finditer(text)]


def run_python(code: str, globs: dict, where: str) -> None:
    if code.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(code, globs, where, where, 0)
        runner = doctest.DocTestRunner(
            optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
        out: list[str] = []
        runner.run(test, out=out.append, clear_globs=False)
        globs.update(test.globs)  # DocTest copies globs; keep the page's names
        assert runner.failures == 0, f"doctest failed in {where}:\n" + "".join(out)
    else:
        exec(compile(code, where, "exec"), globs)


# run the console script with this interpreter, wherever it is installed
_CLI = "import sys; from calckit.cli import main; sys.exit(main())"


def run_console(code: str, where: str, cwd: Path) -> None:
    commands: list[tuple[str, list[str]]] = []
    for line in code.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif commands and line.strip() and line.strip() != "...":
            commands[-1][1].append(line.strip())
    assert commands, f"{where}: console block without '$ ' commands"
    for command, expected in commands:
        argv = shlex.split(command)
        if argv[0] == "calckit":
            argv = [sys.executable, "-c", _CLI, *argv[1:]]
        elif argv[0] == "python":
            argv[0] = sys.executable
        # a shown line "[exit N]" states the expected exit status (default 0)
        codes = [int(line[6:-1]) for line in expected if line.startswith("[exit ")]
        expected = [line for line in expected if not line.startswith("[exit ")]
        env = dict(os.environ, MPLBACKEND="Agg")
        proc = subprocess.run(argv, capture_output=True, text=True, cwd=cwd,
                              env=env, timeout=120)
        assert proc.returncode == (codes[0] if codes else 0), (
            f"{where}: {command!r} exited {proc.returncode}:\n{proc.stderr}")
        output = " ".join((proc.stdout + proc.stderr).split())
        for line in expected:
            assert " ".join(line.split()) in output, (
                f"{where}: {command!r} did not print {line!r}; got:\n"
                f"{proc.stdout}{proc.stderr}")


def test_readme_examples_run(tmp_path, monkeypatch):
    """The README's Python session and commands print what it shows."""
    monkeypatch.chdir(tmp_path)
    globs: dict = {"__name__": "readme"}
    for lang, code, line in blocks("../README.md"):
        where = f"README.md:{line}"
        if lang == "python":
            run_python(code, globs, where)
        elif lang == "console":
            run_console(code, where, tmp_path)
    assert (tmp_path / "taylor.png").stat().st_size > 10_000


def test_docs_exist():
    for page in ["getting-started.md", "optimizers.md", "stability.md", "api.md",
                 "gallery.md"]:
        assert page in PAGES
    assert sum(p.startswith("howto-") for p in PAGES) >= 6


@pytest.mark.slow  # every docs page run: the full run only
@pytest.mark.parametrize("page", PAGES)
def test_page_code_runs(page, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    globs: dict = {"__name__": f"docs_{page[:-3].replace('-', '_')}"}
    try:
        for lang, code, line in blocks(page):
            where = f"docs/{page}:{line}"
            if lang == "python":
                run_python(code, globs, where)
            elif lang == "console":
                run_console(code, where, tmp_path)
    finally:
        plt.close("all")


# Every public name of the contract (../shared/API.md) appears in api.md.
CONTRACT = {
    "calckit": ["parse", "derivative", "grad", "jacobian", "hessian", "taylor",
                "compile", "compile_grad", "compile_hessian", "Kernel", "gradcheck",
                "GradcheckReport", "minimize", "OptimizeResult", "derivative_table",
                "DerivativeTable", "directional_derivative", "CalckitError",
                "ParseError", "ShapeError", "UnknownNameError", "CalckitTypeError",
                "InvalidParameterError", "DifferentiationError", "NumericError"],
    "activations": ["get", "names", "identity", "sigmoid", "tanh", "relu",
                    "leaky_relu", "elu", "selu", "gelu", "gelu_tanh", "swish", "silu",
                    "softplus", "mish", "softsign", "hard_sigmoid", "hard_tanh",
                    "log_sigmoid"],
    "losses": ["get", "names", "mse", "mae", "huber", "log_cosh",
               "binary_cross_entropy", "bce_with_logits", "softmax_cross_entropy",
               "hinge", "squared_hinge", "focal", "kl_divergence", "poisson_nll"],
    "numeric": ["derivative", "gradient", "jacobian", "hessian"],
    "optim": ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Lion", "Newton", "get"],
    "nn": ["Dense", "Activation", "BatchNorm", "Conv2D", "MaxPool2D", "Flatten",
           "RNN", "Sequential", "Perceptron"],
    "plot": ["taylor", "derivatives", "tangent", "gradient_field", "surface",
             "trajectories", "loss_curves", "learning_rates", "decision_boundary",
             "activations"],
}


def test_api_reference_covers_every_public_name():
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    missing = []
    for module, names in CONTRACT.items():
        prefix = "" if module == "calckit" else f"{module}."
        missing += [f"{prefix}{n}" for n in names
                    if not re.search(rf"`(ck\.)?{re.escape(prefix + n)}\b", text)]
    assert not missing, f"api.md does not document: {missing}"


def test_gallery_images_exist_and_are_small():
    text = (DOCS / "gallery.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", text)
    assert len(images) >= 8
    for image in images:
        path = DOCS / image
        assert path.is_file(), f"gallery image {image} is missing"
        assert path.stat().st_size <= 120_000, f"{image} is larger than 120 KB"
