"""lecturekit.objectives: closed forms, finite differences, and SGD's noise against its formula."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lecturekit.gradcheck import assert_gradcheck, numerical_gradient, rel_error
from lecturekit.objectives import (
    himmelblau,
    least_squares,
    least_squares_minimizer,
    least_squares_per_sample_grads,
    least_squares_smoothness,
    make_least_squares,
    minibatch_gradient_stats,
    minibatch_gradient_variance,
    quadratic,
    reparameterize,
    reparameterize_backward,
    rosenbrock,
)
from lecturekit.optim import GD, trajectory
from lecturekit.rng import default_rng

SMALL = settings(max_examples=20, deadline=None)
FINITE = st.floats(-3, 3, allow_nan=False)


def _data(n=20, seed=0):
    return make_least_squares(n, rng=default_rng(seed), w_true=1.5, noise=0.3)


def test_least_squares_value_and_gradient_against_the_sum_written_out():
    x, y = _data(7)
    w = 0.7
    value = sum((w * xi - yi) ** 2 for xi, yi in zip(x, y, strict=True)) / len(x)
    (num,) = numerical_gradient(lambda w: least_squares(w, x, y)[0], [np.array(w)])
    F, dF = least_squares(w, x, y)
    assert F == pytest.approx(value, rel=1e-14)
    assert dF == pytest.approx(float(num), rel=1e-8)


def test_per_sample_gradients_average_to_the_full_gradient():
    x, y = _data(11)
    g = least_squares_per_sample_grads(-0.4, x, y)
    for i in range(len(x)):
        (gi,) = numerical_gradient(lambda w, i=i: (w * x[i] - y[i]) ** 2, [np.array(-0.4)])
        assert g[i] == pytest.approx(float(gi), rel=1e-7, abs=1e-9)
    assert g.mean() == pytest.approx(least_squares(-0.4, x, y)[1], rel=1e-13)


def test_least_squares_is_vectorised_over_w():
    x, y = _data(5)
    ws = np.linspace(-1, 3, 9).reshape(3, 3)
    F, dF = least_squares(ws, x, y)
    assert F.shape == dF.shape == (3, 3)
    assert F[1, 2] == pytest.approx(least_squares(ws[1, 2], x, y)[0], rel=1e-14)


def test_smoothness_is_the_second_derivative_and_minimiser_zeroes_the_gradient():
    x, y = _data(9)
    L = least_squares_smoothness(x)
    h = 1e-3
    second = (least_squares(0.5 + h, x, y)[1] - least_squares(0.5 - h, x, y)[1]) / (2 * h)
    assert L == pytest.approx(second, rel=1e-9)
    assert least_squares(least_squares_minimizer(x, y), x, y)[1] == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize("factor", [0.5, 0.99, 1.5, 1.99])
def test_gd_converges_for_a_step_below_two_over_L(factor):
    x, y = _data(30, seed=1)
    L = least_squares_smoothness(x)
    w_star = least_squares_minimizer(x, y)
    path = trajectory(GD(lr=factor / L), lambda w: least_squares(w, x, y)[1], 5.0, steps=4000)
    assert abs(path[-1] - w_star) < 1e-8
    # the error contracts by exactly |1 - alpha L| per step
    err = path[:4] - w_star  # (later errors are too close to rounding for a ratio)
    np.testing.assert_allclose(err[1:] / err[:-1], 1 - factor, rtol=1e-6)


@pytest.mark.parametrize("factor", [2.01, 2.5])
def test_gd_diverges_for_a_step_above_two_over_L(factor):
    x, y = _data(30, seed=1)
    L = least_squares_smoothness(x)
    w_star = least_squares_minimizer(x, y)
    path = trajectory(GD(lr=factor / L), lambda w: least_squares(w, x, y)[1], w_star + 1.0,
                      steps=200)
    err = np.abs(path - w_star)
    assert np.all(err[1:] > err[:-1])  # every step moves further away
    assert err[-1] == pytest.approx((factor - 1) ** 200, rel=1e-6)


def _grad_fd(f, w):
    return numerical_gradient(lambda w: float(np.sum(f(w)[0])), [w])[0]


@pytest.mark.parametrize("f", [quadratic, rosenbrock, himmelblau])
@SMALL
@given(w=arrays(np.float64, (3, 2), elements=FINITE))
def test_2d_gradients_match_finite_differences(f, w):
    # summing over a batch of points: each point's gradient is independent of the others
    _, grad = f(w)
    assert rel_error(grad, _grad_fd(f, w)) < 1e-7


def test_2d_surfaces_known_values_and_grid_shapes():
    assert quadratic(np.array([2.0, 1.0]), a=1.0, b=10.0)[0] == pytest.approx(0.5 * 4 + 5)
    assert rosenbrock(np.array([1.0, 1.0]))[0] == 0
    assert rosenbrock(np.array([0.0, 0.0]))[0] == 1
    minima = [(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)]
    for minimum in minima:
        value, grad = himmelblau(np.array(minimum))
        assert value < 1e-9 and np.abs(grad).max() < 1e-4
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-1, 3, 4)), axis=-1)  # (4, 5, 2)
    value, grad = rosenbrock(grid)
    assert value.shape == (4, 5) and grad.shape == (4, 5, 2)


# ---------------------------------------------------------------- gradient noise


def _check_against_formula(stats, n_draws):
    # The sample variance of n iid draws has standard error sqrt((m4 - s^4) / n), with m4
    # the fourth central moment; we estimate both from the draws and allow 5 standard errors.
    d = stats.draws - stats.draws.mean(axis=0)
    m4 = np.mean(d**4, axis=0)
    se = np.sqrt((m4 - stats.var**2) / n_draws)
    assert np.all(np.abs(stats.var - stats.predicted_var) < 5 * se)
    se_mean = np.sqrt(stats.var / n_draws)
    assert np.all(np.abs(stats.mean - stats.full_grad) < 5 * se_mean + 1e-15)


@pytest.mark.parametrize("batch_size", [1, 5, 20, 39])
@pytest.mark.parametrize("replace", [False, True])
def test_minibatch_gradient_variance_matches_the_formula(batch_size, replace):
    x, y = _data(40, seed=2)
    g = least_squares_per_sample_grads(0.0, x, y)
    stats = minibatch_gradient_stats(g, batch_size, replace=replace, rng=default_rng(batch_size),
                                     n_draws=20_000)
    _check_against_formula(stats, 20_000)


def test_minibatch_gradient_variance_formula_written_out():
    g = np.array([1.0, 2.0, 4.0, 7.0])
    sigma2 = np.mean((g - g.mean()) ** 2)
    assert minibatch_gradient_variance(g, 2, replace=True) == pytest.approx(sigma2 / 2)
    assert minibatch_gradient_variance(g, 2) == pytest.approx(sigma2 / 2 * 2 / 3)
    # enumerate all 6 subsets of size 2: the exact variance of their means
    means = [(g[i] + g[j]) / 2 for i in range(4) for j in range(i + 1, 4)]
    assert minibatch_gradient_variance(g, 2) == pytest.approx(np.var(means))


def test_gradient_noise_vanishes_at_the_full_batch_only_without_replacement():
    x, y = _data(25, seed=3)
    g = least_squares_per_sample_grads(0.3, x, y)
    assert minibatch_gradient_variance(g, 25) == 0
    assert minibatch_gradient_variance(g, 25, replace=True) > 0
    full = minibatch_gradient_stats(g, 25, rng=default_rng(0), n_draws=50)
    assert full.var.max() < 1e-25
    variances = [minibatch_gradient_variance(g, b) for b in range(1, 26)]
    assert np.all(np.diff(variances) < 0)


def test_minibatch_gradient_stats_for_vector_gradients():
    rng = default_rng(4)
    g = rng.normal(size=(30, 3)) * np.array([1.0, 5.0, 0.1])
    stats = minibatch_gradient_stats(g, 4, rng=rng, n_draws=20_000)
    assert stats.var.shape == (3,) and stats.draws.shape == (20_000, 3)
    _check_against_formula(stats, 20_000)


def test_minibatch_gradient_stats_bad_input():
    with pytest.raises(ValueError, match=r"batch_size must be <= N \(3\) when sampling without"):
        minibatch_gradient_stats(np.ones(3), 4, rng=default_rng(0))
    with pytest.raises(ValueError, match=r"per_sample_grads must be 1-D or 2-D"):
        minibatch_gradient_variance(np.ones((2, 2, 2)), 1)
    with pytest.raises(TypeError, match=r"replace must be True or False"):
        minibatch_gradient_variance(np.ones(3), 1, replace="yes")


# ---------------------------------------------------------------- reparameterisation


@SMALL
@given(mu=arrays(np.float64, (2, 3), elements=FINITE),
       sigma=arrays(np.float64, (3,), elements=st.floats(0.01, 3)))
def test_reparameterize_backward_passes_gradcheck(mu, sigma):
    rng = default_rng(0)
    x, eps = reparameterize(mu, sigma, rng=rng)
    dout = rng.normal(size=x.shape)
    dmu, dsigma = reparameterize_backward(dout, mu, sigma, eps)
    assert_gradcheck(lambda m, s: np.sum((m + s * eps) * dout), [mu, sigma], [dmu, dsigma],
                     names=["mu", "sigma"])


def test_reparameterized_samples_have_mean_mu_and_std_sigma():
    n = 200_000
    x, eps = reparameterize(np.full(n, 1.5), np.full(n, 0.5), rng=default_rng(1))
    np.testing.assert_array_equal(x, 1.5 + 0.5 * eps)
    assert abs(x.mean() - 1.5) < 5 * 0.5 / np.sqrt(n)
    assert abs(x.std() - 0.5) < 5 * 0.5 / np.sqrt(2 * n)


def test_pathwise_gradient_of_expected_square_is_unbiased():
    # E[x^2] = mu^2 + sigma^2, so d/dmu = 2 mu and d/dsigma = 2 sigma; the reparameterised
    # estimate averages d(x^2)/dx * dx/d(mu, sigma) = 2x * (1, eps) over samples.
    n = 200_000
    mu, sigma = 0.7, 1.3
    x, eps = reparameterize(np.full(n, mu), np.full(n, sigma), rng=default_rng(2))
    dmu, dsigma = reparameterize_backward(2 * x / n, np.array(mu), np.array(sigma), eps)
    se = 2 * np.sqrt(np.var(x) / n), 2 * np.sqrt(np.var(x * eps) / n)
    assert abs(dmu - 2 * mu) < 5 * se[0]
    assert abs(dsigma - 2 * sigma) < 5 * se[1]


def test_reparameterize_bad_input():
    with pytest.raises(ValueError, match=r"sigma must be >= 0"):
        reparameterize(0.0, -1.0, rng=default_rng(0))
    with pytest.raises(ValueError, match=r"mu and sigma must broadcast together"):
        reparameterize(np.zeros(2), np.ones(3), rng=default_rng(0))
    with pytest.raises(ValueError, match=r"w must have shape \(\.\.\., 2\)"):
        rosenbrock(np.zeros(3))
    with pytest.raises(ValueError, match=r"y must have the shape of x, \(3,\), got \(2,\)"):
        least_squares(1.0, np.zeros(3), np.zeros(2))
