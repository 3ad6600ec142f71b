"""Regenerate the reference figures of docs/gallery/ from the examples.

Runs the examples that draw the gallery's figures (full sizes, 60 dpi) with
their output in a temporary folder and copies the chosen PNGs to
docs/gallery/ as 256-colour PNGs, refusing any larger than 100 KB.

    python examples/make_gallery.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image  # installed with matplotlib

HERE = Path(__file__).resolve().parent
GALLERY = HERE.parent / "docs" / "gallery"

# example script -> figures it saves that go into the gallery
FIGURES = {
    "01_tangent_slope.py": ["01_tangent_slope.png"],
    "03_gradient_field.py": ["03_surface.png", "03_gradient_field.png"],
    "04_gradient_descent.py": ["04_gradient_descent.png"],
    "05_learning_rates.py": ["05_learning_rates.png"],
    "06_linear_regression.py": ["06_linear_regression.png"],
    "08_xor.py": ["08_xor_loss.png"],
    "09_practice_relu_adam.py": ["09_decision_boundary.png"],
    "11_mlp_moons.py": ["11_mlp_moons.png"],
    "12_activation_gallery.py": ["12_activations.png"],
    "13_optimizer_trajectories.py": ["13_trajectories.png"],
    "14_quadratic_minimum.py": ["14_function_and_derivative.png"],
    "15_ripple_surface.py": ["15_ripple_surface.png"],
    "16_taylor_exp.py": ["16_taylor_exp.png"],
    "17_normal_probability.py": ["17_normal_probability.png"],
    "18_sobel_convolution.py": ["18_sobel.png"],
    "21_time_series.py": ["21_time_series.png"],
}
MAX_BYTES = 100_000


def main() -> int:
    GALLERY.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, MPLBACKEND="Agg", CALCKIT_EXAMPLES_OUT=tmp,
                   CALCKIT_EXAMPLES_DPI=os.environ.get("CALCKIT_EXAMPLES_DPI", "60"))
        env.pop("CALCKIT_EXAMPLES_SMALL", None)
        for script, names in FIGURES.items():
            print(f"running {script}", flush=True)
            subprocess.run([sys.executable, str(HERE / script)], env=env, check=True,
                           stdout=subprocess.DEVNULL)
            for name in names:
                dst = GALLERY / name
                # a 256-colour palette keeps contour and surface plots small
                with Image.open(Path(tmp) / name) as image:
                    image.convert("RGB").quantize(colors=256).save(dst, optimize=True)
                size = dst.stat().st_size
                print(f"  {name}: {size // 1000} KB")
                if size > MAX_BYTES:
                    print(f"{name} is {size} bytes (> {MAX_BYTES}); lower the dpi")
                    return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
