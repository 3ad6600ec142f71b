"""The Sobel panel of examples/18 (built by examples/_common.image_row)
shows values and colour bars (issue 19, plots)."""

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def common(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    sys.modules.pop("_common", None)
    import _common

    yield _common
    import matplotlib.pyplot as plt

    plt.close("all")


def test_every_image_has_a_colour_bar_and_the_kernel_its_values(common):
    sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)
    rng = np.random.default_rng(0)
    image = rng.random((12, 12))
    edges = rng.standard_normal((10, 10)) * 3
    fig = common.image_row([("Original image", image, "gray"),
                            ("Kernel (Sobel x)", sobel, "RdBu_r"),
                            ("Convolved image", edges, "RdBu_r")])
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["Original image",
                                                 "Kernel (Sobel x)",
                                                 "Convolved image"]
    assert len(fig.axes) == 6  # one colour bar per image
    kernel = panels[1]
    shown = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
             for t in kernel.texts}
    assert shown == {(i, j): f"{sobel[i, j]:g}" for i in range(3) for j in range(3)}
    assert not panels[0].texts and not panels[2].texts  # only small images
    # a signed image is centred on 0: the sign reads off the colour
    norm = panels[2].images[0].norm
    assert norm.vmin == pytest.approx(-np.abs(edges).max())
    assert norm.vmax == pytest.approx(np.abs(edges).max())


def test_kernel_values_contrast_with_their_cells(common):
    sobel = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)
    fig = common.image_row([("k", sobel, "RdBu_r")])
    ax = fig.axes[0]
    colors = {t.get_text(): t.get_color() for t in ax.texts}
    assert colors["2"] == "white" and colors["-2"] == "white"  # darkest cells
    assert colors["0"] == "black"  # the white middle column
