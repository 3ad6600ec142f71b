"""Run every script in examples/ (small sizes, Agg backend) so none can rot.

All examples run once per session with ``CALCKIT_EXAMPLES_SMALL=1``, split
between two worker subprocesses (``examples/run_all.py``, which runs each
script as ``__main__`` and records whether it raised; RuntimeWarnings are
errors), with their figures written to a temporary folder. Each test then
checks one script's status, its key printed values and its figure files.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

#: every example run as a script: the full run only
pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("[0-9][0-9]_*.py"))

# script -> (regular expressions the output must match, figure files)
EXPECTED: dict[str, tuple[list[str], list[str]]] = {
    "01_tangent_slope.py": (
        [r"f\(1\.5\) = 2\.25", r"f'\(1\.5\) = 3\.0", r"gradcheck ok: True"],
        ["01_tangent_slope.png"]),
    "02_derivative_rules.py": (
        [r"Power\s+f\(x\) = x\*\*2\s+-> f'\(x\) = 2\*x",
         r"Natural log\s+f\(x\) = log\(x\)\s+-> f'\(x\) = 1/x",
         r"\| `x\*\*2` \| `2\*x` \| `2` \|",
         r"gradcheck of all rows at x = 0\.7: True"],
        []),
    "03_gradient_field.py": (
        [r"df/dx = 2\*x,  df/dy = 2\*y", r"\( 2\.0, 2\.0\)  \[  4\.0,  4\.0\]",
         r"At minimum \(0,0\), gradient = \[0\.0, 0\.0\]",
         r"gradcheck at 7 points ok: True", r"df/dx = 2\*x \+ 2\*y"],
        ["03_surface.png", "03_gradient_field.png"]),
    "04_gradient_descent.py": (
        [r"\s+1 \|  4\.0000 \| 26\.0000 \| 10\.0000",
         r"\s+20 \|  0\.0576 \| 10\.0033 \|  0\.1441",
         r"Converged to x = 0\.057646, f\(x\) = 10\.003323",
         r"gradcheck along the path ok: True"],
        ["04_gradient_descent.png"]),
    "05_learning_rates.py": (
        [r"0\.01\s+\|\s+3\.33\d+", r"0\.5\s+\|\s+0\.000000", r"1\.0\s+\|\s+5\.000000",
         r"lr = 1\.1: diverged=True", r"gradcheck of f' = 2\*x ok: True"],
        ["05_learning_rates.png"]),
    "06_linear_regression.py": (
        [r"Epoch   0: Loss = ", r"Final parameters: w = 2\.9\d\d",
         r"gradcheck ok: True"],
        ["06_linear_regression.png"]),
    "07_backprop_chain_rule.py": (
        [r"dL/d\[0\.W\] shape: \(2, 3\)",
         r"max \|backprop - symbolic\| = \d\.\d+e-(1[3-9]|[2-9]\d)",
         r"model\.gradcheck ok: True", r"sigmoid'\(1\.5\) = 0\.149146",
         r"exact gradient kernel    dy/dw1 = 3\.5186016843\d*e-04",
         r"gradcheck ok: True"],
        []),
    "08_xor.py": (
        [r"gradcheck before training ok: True", r"Epoch     0: Loss = ",
         r"\[1 1\]  \|  0   \|"],
        ["08_xor_loss.png"]),
    "09_practice_relu_adam.py": (
        [r"gradcheck after training \(backprop vs numeric\) ok: True",
         r"training accuracy = 0\.\d+"],
        ["09_decision_boundary.png", "09_loss.png"]),
    "10_perceptron.py": ([r"training accuracy = 1\.000"], ["10_perceptron.png"]),
    "11_mlp_moons.py": (
        [r"gradcheck ok: True", r"Epoch 0, Loss: ", r"training accuracy = 0\.\d+"],
        ["11_mlp_moons.png"]),
    "12_activation_gallery.py": (
        [r"sigmoid\(\[-1000\.  1000\.\]\) = \[0\. 1\.\]", r"gradcheck: \{.*\}"],
        ["12_activations.png"]),
    "13_optimizer_trajectories.py": (
        [r"sgd\s+\|\s+4\.28\de-05", r"momentum\s+\|", r"adam\s+\|",
         r"gradcheck along the Adam path ok: True"],
        ["13_trajectories.png", "13_losses.png"]),
    "14_quadratic_minimum.py": (
        [r"f'\(x\) = 2\*x \+ 5", r"x = \[-5/2\]", r"Minimum found at x = -2\.50",
         r"f\(x\) at minimum = -0\.25", r"gradcheck ok: True"],
        ["14_function_and_derivative.png"]),
    "15_ripple_surface.py": (
        [r"gradcheck away from the origin ok: True"], ["15_ripple_surface.png"]),
    "16_taylor_exp.py": (
        [r"\s+1 \|\s+0 \| 1\s+\|", r"\s+5 \|\s+4 \| x\*\*4/24",
         r"derivatives at 0: \[1, 1, 1, 1, 1\]"],
        ["16_taylor_exp.png"]),
    "17_normal_probability.py": (
        [r"P\(-1 < X < 1\) = erf\(sqrt\(2\)/2\) = 0\.6826894921",
         r"numeric quadrature    = 0\.6826894921", r"total mass = 1",
         r"gradcheck ok: True"],
        ["17_normal_probability.png"]),
    "18_sobel_convolution.py": (
        [r"input \(32, 32\) -> output \(30, 30\)",
         r"max \|Conv2D - scipy\.signal\.correlate2d\| = "
         r"(\d\.\d+e-(1[4-9]|[2-9]\d)|0\.00e\+00)",
         r"Conv2D gradcheck ok: True"],
        ["18_sobel.png"]),
    "19_batchnorm.py": (
        [r"eval mode uses running statistics: True", r"BatchNorm gradcheck ok: True"],
        []),
    "20_rnn_bptt.py": (
        [r"hidden states \(batch, time, hidden\) = \(1, 4, 3\)",
         r"BPTT gradcheck ok: True"],
        []),
    "21_time_series.py": (
        [r"windows of 60 steps", r"linear AR\(60\) test MSE: ", r"gradcheck ok: True",
         r"Final Training Loss: "],
        ["21_time_series.png"]),
    "22_digits_cnn.py": ([r"gradcheck .* ok: True", r"Final test accuracy: "], []),
    "23_bag_of_words.py": (
        [r"gradcheck ok: True", r"Final training accuracy: 1\.0000",
         r"Sentiment prediction for 'This movie is amazing!': Positive"],
        []),
    "24_logistic_digits.py": (
        [r"gradient:  2\*lam \* w \+ X\.T @ \(sigmoid\(X @ w\) - y\) / n",
         r"gradcheck ok: True", r"converged after [1-9] Newton steps",
         r"Held-out accuracy: (0\.9[5-9]|1\.0)"],
        ["24_logistic_digits.png"]),
    "25_softmax_digits.py": (
        [r"db = mean\(softmax\(X @ W \+ b, axis=1\) - Y, axis=0\)",
         r"gradcheck ok: True", r"Held-out accuracy \(397 images\): (0\.9[5-9]|1\.0)"],
        ["25_softmax_digits.png"]),
    "26_backprop_equations.py": (
        [r"delta_2 = delta_1 @ W3\.T \* \(a2\*\(1 - a2\)\)",
         r"dW1 = X\.T @ delta_3 / n",
         r"max \|derived - backprop\| over all parameters = \d\.\de-(1[2-9]|[2-9]\d)",
         r"XOR learned: True"],
        ["26_backprop_equations.png"]),
}


def _start(scripts: list[str], out: Path) -> subprocess.Popen:
    """One worker process running ``scripts`` in turn (imports paid once)."""
    env = dict(os.environ, MPLBACKEND="Agg", CALCKIT_EXAMPLES_SMALL="1",
               CALCKIT_EXAMPLES_OUT=str(out / "figures"), CALCKIT_EXAMPLES_DPI="40")
    argv = [sys.executable, "-W", "error::RuntimeWarning", str(EXAMPLES / "run_all.py"),
            "--capture", str(out), *scripts]
    return subprocess.Popen(argv, env=env, cwd=out, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run all examples once in two worker processes; script -> results."""
    out = tmp_path_factory.mktemp("examples")
    workers = [_start(SCRIPTS[i::2], out) for i in range(2)]
    for worker in workers:
        worker.communicate(timeout=600)
    results = {}
    for script in SCRIPTS:
        status = out / f"{script}.status"
        results[script] = (
            int(status.read_text()) if status.exists() else None,
            (out / f"{script}.out").read_text() if status.exists() else "",
            (out / f"{script}.err").read_text() if status.exists() else "",
            out / "figures",
        )
    return results


def test_every_example_has_expectations():
    assert SCRIPTS, "no examples found"
    assert sorted(EXPECTED) == SCRIPTS


@pytest.mark.parametrize("script", SCRIPTS)
def test_example(script, runs):
    status, stdout, stderr, figures = runs[script]
    assert status == 0, f"{script} failed (status {status}):\n{stdout}\n{stderr}"
    patterns, files = EXPECTED[script]
    for pattern in patterns:
        assert re.search(pattern, stdout), (
            f"{script}: output does not match {pattern!r}:\n{stdout}")
    for name in files:
        path = figures / name
        assert path.is_file() and path.stat().st_size > 1000, f"missing {path}"
        assert f"saved figure: {path}" in stdout
    assert "Traceback" not in stderr
