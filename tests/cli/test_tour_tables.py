"""The tour's optimizer table says what each run is and what "converged"
means; its activation table fits the terminal (issue 19, tables)."""

import pytest

#: runs the tour
pytestmark = pytest.mark.slow

pytest.importorskip("matplotlib")

from calckit import tour  # noqa: E402
from calckit.cli import main  # noqa: E402


@pytest.fixture(scope="module")
def sections(tmp_path_factory):
    texts = []
    out = tmp_path_factory.mktemp("tour")
    tour.run(str(out), emit=texts.append, quick=True, width=80)
    return {text.split("==")[1].strip()[:2]: text for text in texts}


def test_the_optimizer_table_names_momentum_and_explains_converged(sections):
    text = sections["4."]
    rows = [line for line in text.splitlines()
            if line.startswith(("sgd", "adam", "rmsprop", "newton"))]
    assert rows[0].startswith("sgd (momentum 0.9) ")
    assert "converged: |grad| < tol = 1e-08 within 600 steps" in text


def test_a_run_near_the_minimum_marked_no_is_explained():
    from types import SimpleNamespace as Run

    runs = {"sgd (momentum 0.9)": Run(converged=False, diverged=False,
                                      fun=1.474e-12, grad_norm=1.085e-6),
            "newton": Run(converged=True, diverged=False, fun=3e-21,
                          grad_norm=4e-10),
            "rmsprop": Run(converged=False, diverged=False, fun=0.0194,
                           grad_norm=0.39)}
    note = tour._convergence_note(runs, 1e-8, 3000)
    flat = " ".join(note.split())
    assert "near the minimum but above the tolerance: sgd (momentum 0.9) " \
           "(loss 1.5e-12, |grad| 1.1e-06)" in flat
    assert "newton" not in flat and "rmsprop" not in flat  # converged / far
    assert max(len(line) for line in note.splitlines()) <= 80


def test_the_activation_section_fits_80_columns(sections):
    text = sections["2."]
    assert "gelu_tanh" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_the_command_passes_a_terminal_fit(tmp_path, monkeypatch, capsys):
    seen = {}

    def fake_run(out, *, emit, quick, width, progress):
        seen["width"] = width

    monkeypatch.setenv("COLUMNS", "70")
    monkeypatch.setattr(tour, "run", fake_run)
    assert main(["tour", "--out", str(tmp_path / "t")]) == 0
    assert seen["width"] == 70


def test_every_section_of_the_tour_fits_80_columns(sections):
    """The gradcheck reports (152 columns before) and the optimizer table
    (86) too."""
    for key, text in sections.items():
        widest = max(text.splitlines(), key=len)
        assert len(widest) <= 80, (key, widest)
    assert "left out to fit" in sections["1."]  # the report says what it dropped
    assert "newton" in sections["4."] and "[1, 1]" in sections["4."]
