"""Tests of calckit.optim.schedules against closed forms written here."""

import math

import numpy as np
import pytest

from calckit import optim
from calckit.errors import InvalidParameterError
from calckit.optim import schedules as S


def test_constant():
    c = S.constant(0.3)
    assert [c(s) for s in (0, 1, 1000)] == [0.3, 0.3, 0.3]


def test_step_matches_steplr_formula():
    s = S.step(0.1, step_size=3, gamma=0.5)
    expected = [0.1 * 0.5 ** (t // 3) for t in range(10)]
    np.testing.assert_allclose([s(t) for t in range(10)], expected, rtol=1e-15)


def test_exponential():
    e = S.exponential(2.0, 0.9)
    np.testing.assert_allclose([e(t) for t in range(5)], [2 * 0.9**t for t in range(5)])


def test_cosine_endpoints_midpoint_and_hold():
    c = S.cosine(1.0, 100, eta_min=0.1)
    assert c(0) == pytest.approx(1.0)
    assert c(50) == pytest.approx(0.55)
    assert c(25) == pytest.approx(0.1 + 0.9 * (1 + math.cos(math.pi / 4)) / 2)
    assert c(100) == pytest.approx(0.1) and c(500) == pytest.approx(0.1)


def test_linear_warmup():
    w = S.linear_warmup(0.5, 5, start=0.1)
    np.testing.assert_allclose(
        [w(t) for t in range(8)], [0.1, 0.18, 0.26, 0.34, 0.42, 0.5, 0.5, 0.5]
    )


def test_join_restarts_each_schedule_at_its_boundary():
    j = S.join(
        [S.linear_warmup(1.0, 2), S.cosine(1.0, 4), S.constant(0.01)],
        boundaries=[2, 6],
    )
    expected = [0.0, 0.5, 1.0, (1 + math.cos(math.pi / 4)) / 2, 0.5,
                (1 + math.cos(3 * math.pi / 4)) / 2, 0.01, 0.01]
    np.testing.assert_allclose([j(t) for t in range(8)], expected, atol=1e-15)


def test_schedules_accept_arrays_for_plotting():
    c = S.cosine(1.0, 10)
    steps = np.arange(12)
    out = c(steps)
    assert out.shape == (12,)
    np.testing.assert_allclose(out, [c(int(t)) for t in steps])
    j = S.join([S.constant(1.0), S.constant(2.0)], [3])
    np.testing.assert_allclose(j(np.arange(5)), [1, 1, 1, 2, 2])


def test_scalar_in_float_out():
    assert isinstance(S.cosine(1.0, 10)(3), float)


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: S.constant(-1.0), "lr"),
        (lambda: S.step(0.1, 0), "step_size"),
        (lambda: S.step(0.1, 2.5), "step_size"),
        (lambda: S.exponential(0.1, -0.5), "gamma"),
        (lambda: S.cosine(0.1, 0), "total_steps"),
        (lambda: S.linear_warmup(0.1, True), "warmup_steps"),
        (lambda: S.join([S.constant(1.0)], [5]), "boundaries"),
        (lambda: S.join([S.constant(1.0), S.constant(2.0)], [5, 3]), "boundaries"),
        (lambda: S.join([], []), "schedules"),
    ],
)
def test_invalid_schedule_arguments(make, name):
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of"):
        make()


def test_repr_shows_arguments():
    assert repr(S.cosine(0.1, 10)) == "cosine(lr=0.1, total_steps=10, eta_min=0.0)"


@pytest.mark.parametrize("name", ["sgd", "adagrad", "rmsprop", "adam", "adamw", "lion"])
def test_every_lr_optimizer_takes_a_schedule(name):
    # a constant schedule gives the same trajectory as the float
    x0 = np.array([1.0, -0.5])
    runs = []
    for lr in (0.05, S.constant(0.05)):
        opt = optim.get(name, lr=lr)
        x, state = x0, opt.init(x0)
        for _ in range(4):
            x, state = opt.step(x, 2 * x, state)
        runs.append(x)
    np.testing.assert_array_equal(runs[0], runs[1])


def test_warmup_schedule_drives_sgd_step_sizes():
    # gradient 1 everywhere: the decrease at step t equals lr(t - 1)
    sched = S.linear_warmup(1.0, 4)
    opt = optim.SGD(lr=sched)
    x, state = np.array([0.0]), opt.init(np.array([0.0]))
    moves = []
    for _ in range(6):
        x_new, state = opt.step(x, np.ones(1), state)
        moves.append(float(x[0] - x_new[0]))
        x = x_new
    np.testing.assert_allclose(moves, [0.0, 0.25, 0.5, 0.75, 1.0, 1.0])


def test_join_calls_only_the_active_piece_with_an_int_step():
    # user schedules used to get every piece's float step array: list
    # indexing failed, and an `if` on the step raised for arrays
    table = [0.3, 0.2, 0.1]
    seen = []

    def by_table(t):
        seen.append(t)
        return table[t]

    j = S.join([by_table, lambda t: 0.05 if t < 2 else 0.01], boundaries=[3])
    assert [j(t) for t in range(6)] == [0.3, 0.2, 0.1, 0.05, 0.05, 0.01]
    assert seen == [0, 1, 2] and all(type(t) is int for t in seen)
    np.testing.assert_allclose(j(np.arange(6)), [0.3, 0.2, 0.1, 0.05, 0.05, 0.01])
    assert j(np.arange(6)).shape == (6,)
    opt = optim.SGD(lr=j)
    assert opt.learning_rate(4) == 0.05


def test_schedules_at_negative_and_huge_steps():
    c = S.cosine(1.0, 10, eta_min=0.1)
    w = S.linear_warmup(1.0, 4)
    assert c(-5) == 1.0 and w(-5) == 0.0  # clamped to step 0
    assert c(10**12) == pytest.approx(0.1) and w(10**12) == 1.0
    assert S.exponential(1.0, 0.5)(10**6) == 0.0
