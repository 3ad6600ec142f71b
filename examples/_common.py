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


def banner(title: str) -> None:
    """Print a section title underlined like the seed notebooks."""
    print()
    print(title)
    print("=" * 60)
