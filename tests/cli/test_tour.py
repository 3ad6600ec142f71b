"""calckit tour: runs (quick mode, Agg) and writes its figures."""

import os

import matplotlib
import pytest

#: the whole tour, figures written
pytestmark = pytest.mark.slow

matplotlib.use("Agg")

from calckit import tour  # noqa: E402
from calckit.cli import main  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"
FIGURES = {"activations.png", "taylor_exp.png", "rosenbrock_paths.png",
           "rosenbrock_losses.png", "gradient_field.png", "learning_rates.png",
           "xor_boundary.png", "xor_loss.png"}


def test_tour_runs_checks_pass_and_figures_are_written(tmp_path):
    out_dir = tmp_path / "tour"
    sections = []
    result = tour.run(str(out_dir), emit=sections.append, quick=True)
    text = "\n".join(sections)
    for title in ["1. Gradient of a loss", "gradcheck OK", "2. Activations",
                  "softplus", "3. Taylor polynomials", "rigorous bounds",
                  "4. Optimizers on Rosenbrock", "newton", "5. A 2-8-1 tanh network",
                  "ok=True", "PNG figures written to"]:
        assert title in text, title
    assert os.path.abspath(out_dir) in sections[-1]  # says where the files are
    assert result.checks["loss_gradcheck"] and result.checks["xor_gradcheck"]
    assert result.checks["newton_converged"]
    assert all(v for k, v in result.checks.items() if k.startswith("taylor"))
    assert len(sections) == len(result.sections) == 6
    assert set(os.listdir(out_dir)) == FIGURES
    assert sorted(os.path.basename(p) for p in result.files) == sorted(FIGURES)
    for name in FIGURES:
        data = (out_dir / name).read_bytes()
        assert data[:8] == PNG and len(data) > 10_000, name


def test_calckit_tour_command_prints_the_sections(tmp_path, capsys, monkeypatch):
    calls = []

    def fake_run(out, *, emit, quick, width, progress):
        calls.append((out, quick))
        emit("\n== 1. Gradient of a loss ==\nbody")

    monkeypatch.setattr(tour, "run", fake_run)
    status = main(["tour", "--out", str(tmp_path / "t"), "--quick"])
    out, err = capsys.readouterr()
    assert status == 0 and err == ""
    assert calls == [(str(tmp_path / "t"), True)]
    assert "== 1. Gradient of a loss ==" in out
    assert main(["tour"]) == 0 and calls[-1] == ("calckit-tour", False)
