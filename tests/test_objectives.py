"""lecturekit.objectives: closed forms, finite differences, and SGD's noise against its formula."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lecturekit.gradcheck import assert_gradcheck, numerical_gradient, rel_error
from lecturekit.objectives import (
    NoisyFiniteSum,
    himmelblau,
    least_squares,
    least_squares_minimizer,
    least_squares_per_sample_grads,
    least_squares_smoothness,
    make_least_squares,
    minibatch_gradient_stats,
    minibatch_gradient_variance,
    noisy_finite_sum,
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
    for w, f, df in zip(ws.ravel(), F.ravel(), dF.ravel(), strict=True):  # the sums written out
        assert f == pytest.approx(sum((w * xi - yi) ** 2 for xi, yi in zip(x, y, strict=True)) / 5,
                                  rel=1e-13)
        assert df == pytest.approx(sum(2 * xi * (w * xi - yi) for xi, yi in zip(x, y, strict=True)) / 5,
                                   rel=1e-12, abs=1e-14)


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


def _check_against_formula(stats, g, batch_size, replace, n_draws):
    # Everything derived here from g and the draws, not taken from the function: the variance
    # of a mean of B of N per-sample gradients is sigma^2 / B, times (N - B) / (N - 1) without
    # replacement, sigma^2 the population variance. The sample variance of n iid draws has
    # standard error sqrt((m4 - s^4) / n), m4 the fourth central moment; allow 5 of them.
    n = len(g)
    predicted = g.var(axis=0) / batch_size * (1.0 if replace else (n - batch_size) / (n - 1))
    draws = stats.draws
    var = draws.var(axis=0, ddof=1)
    d = draws - draws.mean(axis=0)
    se = np.sqrt((np.mean(d**4, axis=0) - var**2) / n_draws)
    assert np.all(np.abs(var - predicted) < 5 * se)
    se_mean = np.sqrt(var / n_draws)
    assert np.all(np.abs(draws.mean(axis=0) - g.mean(axis=0)) < 5 * se_mean + 1e-15)
    # ... and what the function reports is what it drew and what the formula says
    np.testing.assert_allclose(stats.predicted_var, predicted, rtol=1e-12)
    np.testing.assert_allclose(stats.full_grad, g.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(stats.mean, draws.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(stats.var, var, rtol=1e-3)  # ddof 0 or 1 over 20 000 draws


@pytest.mark.parametrize("batch_size", [1, 5, 20, 39])
@pytest.mark.parametrize("replace", [False, True])
def test_minibatch_gradient_variance_matches_the_formula(batch_size, replace):
    x, y = _data(40, seed=2)
    g = least_squares_per_sample_grads(0.0, x, y)
    stats = minibatch_gradient_stats(g, batch_size, replace=replace, rng=default_rng(batch_size),
                                     n_draws=20_000)
    _check_against_formula(stats, g, batch_size, replace, 20_000)


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
    _check_against_formula(stats, g, 4, False, 20_000)


def test_minibatch_gradient_stats_bad_input():
    with pytest.raises(ValueError, match=r"batch_size must be <= N \(3\) when sampling without"):
        minibatch_gradient_stats(np.ones(3), 4, rng=default_rng(0))
    with pytest.raises(ValueError, match=r"per_sample_grads must be 1-D or 2-D"):
        minibatch_gradient_variance(np.ones((2, 2, 2)), 1)
    with pytest.raises(TypeError, match=r"replace must be True or False"):
        minibatch_gradient_variance(np.ones(3), 1, replace="yes")



# ---------------------------------------------------------------- the noisy finite sum behind SGD


def _offsets_sum_bound(xi):
    """What rounding leaves of sum_i (z_i - mean z): about 2 N eps max|z| per coordinate."""
    return 2 * xi.shape[0] * np.finfo(float).eps * np.abs(xi).max()


@pytest.mark.parametrize("f", [quadratic, rosenbrock, himmelblau])
def test_noisy_finite_sum_offsets_have_mean_zero_so_F_is_f(f):
    F = noisy_finite_sum(f, 64, noise=10.0, rng=default_rng(7))
    xi = F.offsets
    assert xi.shape == (64, 2) and F.n_samples == 64
    for column in xi.T:  # the exact sum of the stored floats (math.fsum), zero up to rounding
        assert abs(math.fsum(column)) <= _offsets_sum_bound(xi)
    assert 5.0 < xi.std() < 15.0  # the spread is the noise, 10
    for w in (np.array([0.3, -1.2]), np.array([2.0, 2.0])):
        # F(w) = 1/N sum_i (f(w) + xi_i^T w), the sum written out
        value = math.fsum(f(w)[0] + xi[i] @ w for i in range(64)) / 64
        assert value == pytest.approx(f(w)[0], rel=1e-12, abs=1e-12)
        assert F(w)[0] == f(w)[0]


def test_noisy_finite_sum_full_batch_gradient_is_the_gradient_of_f():
    F = noisy_finite_sum(rosenbrock, 32, noise=20.0, rng=default_rng(1))
    w = np.array([-1.2, 1.0])
    np.testing.assert_array_equal(F.grad(w), rosenbrock(w)[1])  # idx=None: the full gradient
    np.testing.assert_array_equal(F(w)[1], rosenbrock(w)[1])
    everyone = F.grad(w, np.arange(32))  # |I_k| = N: the noise averages away
    np.testing.assert_allclose(everyone, rosenbrock(w)[1], rtol=0, atol=_offsets_sum_bound(F.offsets))


def test_noisy_finite_sum_minibatch_gradient_is_the_mean_of_the_per_sample_gradients():
    F = noisy_finite_sum(himmelblau, 40, noise=5.0, rng=default_rng(2))
    w, idx = np.array([0.5, -1.5]), np.array([3, 17, 17, 39, 0])
    # per-sample gradients grad f_i(w), f_i(w) = f(w) + xi_i^T w, by centred differences
    per_sample = [numerical_gradient(lambda v, i=i: himmelblau(v)[0] + F.offsets[i] @ v, [w])[0]
                  for i in idx]
    # f ~ 100 here: centred differences with h = 1e-6 are good to ~1e-8 absolute
    np.testing.assert_allclose(F.grad(w, idx), np.mean(per_sample, axis=0), rtol=1e-8, atol=1e-7)
    literal = np.mean([himmelblau(w)[1] + F.offsets[i] for i in idx], axis=0)
    np.testing.assert_allclose(F.grad(w, idx), literal, rtol=1e-14)
    np.testing.assert_allclose(F.minibatch_noise(idx), literal - himmelblau(w)[1], rtol=1e-12)
    stack = np.array([w, [1.0, 2.0], [-3.0, 0.0]])  # (3, 2): one minibatch, three points
    np.testing.assert_array_equal(F.grad(stack, idx)[0], F.grad(w, idx))


def test_noisy_finite_sum_without_noise_is_f_for_every_minibatch():
    F = noisy_finite_sum(quadratic, 8, noise=0.0, rng=default_rng(0), dim=2)
    w = np.array([1.0, -2.0])
    assert np.all(F.offsets == 0)
    np.testing.assert_array_equal(F.grad(w, [1, 2]), quadratic(w)[1])


def test_noisy_finite_sum_bad_input():
    with pytest.raises(TypeError, match=r"^func must be a callable func\(w\)"):
        noisy_finite_sum("quadratic", 8, noise=1.0, rng=default_rng(0))
    with pytest.raises(ValueError, match=r"^n_samples must be >= 1, got 0"):
        noisy_finite_sum(quadratic, 0, noise=1.0, rng=default_rng(0))
    with pytest.raises(ValueError, match=r"^noise must be in \[0, inf\], got -1"):
        noisy_finite_sum(quadratic, 8, noise=-1.0, rng=default_rng(0))
    with pytest.raises(TypeError, match=r"^rng must be a numpy.random.Generator"):
        noisy_finite_sum(quadratic, 8, noise=1.0, rng=7)
    with pytest.raises(ValueError, match=r"^dim must be >= 1, got 0"):
        noisy_finite_sum(quadratic, 8, noise=1.0, rng=default_rng(0), dim=0)
    with pytest.raises(ValueError, match=r"^offsets must be 2-D"):
        NoisyFiniteSum(quadratic, np.zeros(3))
    F = noisy_finite_sum(quadratic, 8, noise=1.0, rng=default_rng(0))
    for idx in ([], [[0, 1]]):
        with pytest.raises(ValueError, match=r"^idx must be a non-empty 1-D array of sample indices"):
            F.grad(np.zeros(2), idx)
    with pytest.raises(TypeError, match=r"^idx must be sample indices, got dtype float64"):
        F.grad(np.zeros(2), [0.5, 1.5])
    with pytest.raises(ValueError, match=r"^idx must hold sample indices in \[0, 8\)"):
        F.grad(np.zeros(2), [0, 8])

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
