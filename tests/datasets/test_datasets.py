"""calckit.datasets: shapes, labels, geometry, seeding, windowing."""

import numpy as np
import pytest

from calckit import InvalidParameterError, ShapeError, datasets

GENERATORS = [
    (datasets.moons, {}),
    (datasets.circles, {}),
    (datasets.spirals, {"n_classes": 4}),
    (datasets.blobs, {"n_features": 3}),
    (datasets.xor, {"noise": 0.1}),
]


@pytest.mark.parametrize("gen,kw", GENERATORS)
def test_classification_shapes_and_seeding(gen, kw):
    X, y = gen(120, seed=3, **kw)
    assert X.shape[0] == y.shape[0] == 120 and X.dtype == np.float64
    assert y.dtype.kind == "i" and y.min() == 0
    X2, y2 = gen(120, seed=3, **kw)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = gen(120, seed=4, **kw)
    assert not np.array_equal(X, X3)
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1  # balanced classes


def test_xor_truth_table():
    X, y = datasets.xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == [0, 1, 1, 0]


def test_moons_and_circles_geometry_without_noise():
    X, y = datasets.moons(100, noise=0.0, seed=0)
    r0 = np.hypot(X[y == 0, 0], X[y == 0, 1])
    r1 = np.hypot(X[y == 1, 0] - 1, X[y == 1, 1] - 0.5)
    np.testing.assert_allclose(r0, 1.0)
    np.testing.assert_allclose(r1, 1.0)
    assert np.all(X[y == 0, 1] >= 0) and np.all(X[y == 1, 1] <= 0.5)
    X, y = datasets.circles(100, noise=0.0, factor=0.3, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)


def test_blobs_linearly_separable():
    X, y = datasets.blobs(300, n_features=4, separation=2.0, std=2.0, seed=1)
    # wide blobs, yet separable by construction: the perceptron rule
    # converges exactly when the data is linearly separable
    from calckit.nn import Perceptron

    assert Perceptron(4).fit(X, y, epochs=500).converged


def test_spirals_arms():
    X, y = datasets.spirals(300, n_classes=3, noise=0.0, seed=0)
    assert set(y.tolist()) == {0, 1, 2}
    r = np.hypot(X[:, 0], X[:, 1])
    assert r.min() >= 0.05 - 1e-12 and r.max() <= 1.0 + 1e-12


def test_linear_regression_recovers_coefficients():
    X, y, (w, b) = datasets.linear_regression(2000, n_features=3, noise=0.1, seed=2,
                                              return_coef=True)
    A = np.c_[X, np.ones(len(X))]
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    np.testing.assert_allclose(coef[:3], w, atol=0.02)
    assert coef[3] == pytest.approx(b, abs=0.02)
    resid = y - A @ coef
    assert resid.std() == pytest.approx(0.1, rel=0.1)


def test_seasonal_series_and_windows():
    t, s = datasets.seasonal_series(200, period=20, trend=0.01, noise=0.0, seed=0)
    np.testing.assert_allclose(s, np.sin(2 * np.pi * t / 20) + 0.01 * t)
    _, noisy = datasets.seasonal_series(200, period=20, trend=0.01, noise=0.5,
                                          seed=0)
    assert (noisy - s).std() == pytest.approx(0.5, rel=0.15)
    X, y = datasets.windows(s, 10, horizon=3)
    assert X.shape == (188, 10) and y.shape == (188,)
    np.testing.assert_array_equal(X[5], s[5:15])
    assert y[5] == s[17]
    with pytest.raises(ShapeError, match="too short"):
        datasets.windows(s[:5], 5)
    with pytest.raises(ShapeError):
        datasets.windows(np.zeros((3, 3)), 2)


def test_bad_arguments():
    with pytest.raises(InvalidParameterError, match="n_samples"):
        datasets.moons(0)
    with pytest.raises(InvalidParameterError, match="noise"):
        datasets.moons(10, noise=-1)
    with pytest.raises(InvalidParameterError, match="seed"):
        datasets.circles(10, seed="x")
    with pytest.raises(InvalidParameterError, match="factor"):
        datasets.circles(10, factor=2)


@pytest.mark.parametrize(
    "make,name",
    [
        (lambda: datasets.moons(10, noise=float("inf")), "noise"),
        (lambda: datasets.xor(8, noise="a"), "noise"),
        (lambda: datasets.circles(10, factor="a"), "factor"),
        (lambda: datasets.spirals(10, turns=float("nan")), "turns"),
        (lambda: datasets.blobs(10, std=-1.0), "std"),
        (lambda: datasets.blobs(10, std=float("nan")), "std"),
        (lambda: datasets.blobs(10, separation=0.0), "separation"),
        (lambda: datasets.seasonal_series(10, period=0), "period"),
        (lambda: datasets.seasonal_series(10, trend=float("nan")), "trend"),
        (lambda: datasets.seasonal_series(10, amplitude=float("inf")), "amplitude"),
        (lambda: datasets.moons(10, seed=-1), "seed"),
    ],
)
def test_non_finite_or_out_of_range_arguments(make, name):
    # these produced nan/inf data (with RuntimeWarnings) or bare ValueErrors
    with pytest.raises(InvalidParameterError, match=name):
        make()


def test_windows_of_non_numbers_is_a_type_error():
    from calckit.errors import CalckitTypeError

    with pytest.raises(CalckitTypeError, match="series must be a 1-D array"):
        datasets.windows(["a", "b", "c"], 2)
