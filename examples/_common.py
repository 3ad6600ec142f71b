"""Shared helpers for the calckit examples.

Every example saves its figures instead of showing them, so the whole set runs
unattended (``python examples/01_tangent_slope.py``). Three environment variables
control a run:

``CALCKIT_EXAMPLES_OUT``
    Folder for the figures (default: ``examples/output/`` next to this file).
``CALCKIT_EXAMPLES_SMALL=1``
    Shrinks data sizes and epochs so the whole set runs in seconds (the test
    suite uses it). Printed values then differ from a full run.
``CALCKIT_EXAMPLES_DPI``
    Resolution of the saved PNGs (default 100).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

# Figures are written to files; never open a window.
os.environ.setdefault("MPLBACKEND", "Agg")

SMALL = os.environ.get("CALCKIT_EXAMPLES_SMALL", "").strip() not in ("", "0")


def size(full, small):
    """Return ``small`` under ``CALCKIT_EXAMPLES_SMALL=1``, else ``full``."""
    return small if SMALL else full


def out_dir() -> Path:
    """The folder figures are saved to (created if needed)."""
    default = Path(__file__).resolve().parent / "output"
    path = Path(os.environ.get("CALCKIT_EXAMPLES_OUT") or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def save(fig, name: str) -> Path:
    """Save a matplotlib figure as ``name`` in :func:`out_dir`, then close it."""
    import matplotlib.pyplot as plt

    path = out_dir() / name
    dpi = float(os.environ.get("CALCKIT_EXAMPLES_DPI", "100"))
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    print(f"saved figure: {path}")
    return path


def image_row(panels, *, annotate_up_to: int = 7):
    """A row of images, each with its colour bar; an image of at most
    ``annotate_up_to`` pixels a side (a kernel) shows its values in its cells.

    ``panels`` holds ``(title, array, cmap)``; a diverging colour map
    (``"RdBu_r"``) is centred on 0, so the sign of a value reads off its
    colour. Returns the figure.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, len(panels), figsize=(4.3 * len(panels), 4),
                             layout="constrained", squeeze=False)
    for ax, (title, data, cmap) in zip(axes[0], panels, strict=True):
        data = np.asarray(data, dtype=float)
        limits = {}
        if cmap in ("RdBu_r", "RdBu", "coolwarm", "bwr", "seismic"):
            top = float(np.abs(data).max()) or 1.0
            limits = {"vmin": -top, "vmax": top}
        image = ax.imshow(data, cmap=cmap, **limits)
        fig.colorbar(image, ax=ax, shrink=0.8)
        ax.set_title(title)
        ax.set_xticks([])
        ax.set_yticks([])
        if max(data.shape) <= annotate_up_to:
            norm = image.norm
            for (i, j), v in np.ndenumerate(data):
                r, g, b, _ = image.cmap(norm(v))
                dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5
                ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=14,
                        color="white" if dark else "black")
    return fig


def banner(title: str) -> None:
    """Print a section title underlined like the seed notebooks."""
    print()
    print(title)
    print("=" * 60)


def load_digits():
    """The 8x8 digits (1797 images, 10 classes): scikit-learn's, or a synthetic
    stand-in of the same shapes when scikit-learn is not installed."""
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError:
        print("scikit-learn is not installed: using synthetic 8x8 'digits' "
              "(pip install scikit-learn for the real data set)")
        rng = np.random.default_rng(0)
        prototypes = rng.uniform(0, 16, size=(10, 64))
        labels = rng.integers(0, 10, size=1797)
        images = prototypes[labels] + rng.normal(0, 3, size=(1797, 64))
        return np.clip(images, 0, 16), labels
    digits = sk_load_digits()
    print("scikit-learn digits: 1797 images of 8x8 pixels, 10 classes")
    return digits.data, digits.target
