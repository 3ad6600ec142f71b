"""The CLI takes its optimizer names from the registry (calckit.optim),
so a new optimizer (AMSGrad) appears without editing the CLI (issue 19)."""

import json

import pytest

from calckit import optim
from calckit.cli import main


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_help_lists_the_registry(capsys, monkeypatch):
    monkeypatch.setattr(optim, "names", lambda: ("sgd", "adam", "amsgrad"))
    for argv in (("optimize", "--help"), ("plot", "--help")):
        status, out, _ = run(capsys, *argv)
        assert status == 0
        assert "sgd, adam, amsgrad" in " ".join(out.split())


@pytest.mark.parametrize("name", optim.names())
def test_every_registered_optimizer_runs(capsys, name):
    status, out, err = run(capsys, "optimize", "(x - 1)**2", "--x0", "3",
                           "--optimizer", name, "--steps", "3", "--json")
    assert status in (0, 1), err
    data = json.loads(out)
    assert data["nit"] <= 3 and err.startswith(f"optimizing f = (x - 1)**2 over "
                                               f"(x) with {name}")


def test_an_unknown_name_is_refused_with_the_registry(capsys):
    status, out, err = run(capsys, "optimize", "x**2", "--x0", "1",
                           "--optimizer", "adm")
    assert status == 2 and out == ""
    assert "'adam'" in err and ", ".join(optim.names()) in err
