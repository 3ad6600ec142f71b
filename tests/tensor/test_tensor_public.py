"""The tensor names of the contract are public and documented."""

from pathlib import Path

import calckit as ck

NAMES = ["vector", "matrix", "hvp", "latex", "compile_value_and_grad"]


def test_names_are_exported_and_documented():
    api = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()
    for name in NAMES:
        assert name in ck.__all__ and callable(getattr(ck, name))
        assert f"`ck.{name}(" in api


def test_latex_of_scalar_and_tensor_expressions():
    assert ck.latex("x**2/2") == r"\frac{x^{2}}{2}"
    assert ck.latex("X @ w", shapes={"X": ("n", "d"), "w": "d"}) == "X w"
    assert ck.latex("w @ A @ w", shapes={"A": ("d", "d"), "w": "d"}) == \
        r"w^\top A w"
