"""lecturekit.regularization against scipy's least squares and constrained minimisation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import linalg, optimize

from lecturekit.gradcheck import assert_gradcheck
from lecturekit.regularization import (
    l2_penalty,
    l2_penalty_backward,
    project_l2_ball,
    ridge_constrained,
    ridge_eta_for_lambda,
    ridge_lambda_for_eta,
    ridge_penalized,
)

SMALL = settings(max_examples=25, deadline=None)


def _data(n=30, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ rng.normal(size=d) * 2 + 0.3 * rng.normal(size=n)
    return X, y


def _objective(X, y):
    return lambda t: np.mean((X @ t - y) ** 2)


def test_l2_penalty_is_half_lambda_times_the_squared_norm_of_all_arrays():
    a, b = np.array([[1.0, -2.0]]), np.array([3.0])
    assert l2_penalty(a, 0.5) == pytest.approx(0.25 * 5)
    assert l2_penalty([a, b], 0.5) == pytest.approx(0.25 * (1 + 4 + 9))
    assert l2_penalty([1.0, -2.0, 3.0], 2.0) == pytest.approx(14.0)  # a plain list is one array


@SMALL
@given(seed=st.integers(0, 2**16), lam=st.floats(0, 5), dout=st.floats(-2, 2),
       shapes=st.lists(st.tuples(st.integers(1, 3), st.integers(1, 3)), min_size=1, max_size=3))
def test_l2_penalty_backward_gradcheck(seed, lam, dout, shapes):
    rng = np.random.default_rng(seed)
    thetas = [rng.normal(size=s) for s in shapes]
    grads = l2_penalty_backward(dout, thetas, lam)
    assert_gradcheck(lambda *ts: dout * l2_penalty(list(ts), lam), thetas, grads)
    (single,) = thetas[:1]
    assert_gradcheck(lambda t: dout * l2_penalty(t, lam), [single],
                     [l2_penalty_backward(dout, single, lam)], names=["theta"])


def test_projection_onto_the_ball_matches_scipy_constrained_minimisation():
    rng = np.random.default_rng(1)
    theta, eta = rng.normal(size=3) * 3, 2.0  # eta bounds the SQUARED norm: radius sqrt(2)
    proj = project_l2_ball(theta, eta)
    assert np.sum(proj**2) == pytest.approx(eta, rel=1e-14)
    reference = optimize.minimize(lambda z: np.sum((z - theta) ** 2), np.zeros(3),
                                  constraints=[{"type": "ineq", "fun": lambda z: eta - z @ z}],
                                  method="SLSQP", options={"ftol": 1e-14}).x
    np.testing.assert_allclose(proj, reference, atol=1e-6)
    inside = theta / np.linalg.norm(theta)  # squared norm 1 <= 2: unchanged
    np.testing.assert_allclose(project_l2_ball(inside, eta), inside, rtol=0, atol=0)
    # a list of arrays is projected by their joint norm
    parts = project_l2_ball([theta[:1], theta[1:]], eta)
    np.testing.assert_allclose(np.concatenate(parts), proj, rtol=1e-15)


@pytest.mark.parametrize("lam", [1e-3, 0.1, 2.0])
def test_ridge_penalized_matches_augmented_least_squares_and_zeroes_the_gradient(lam):
    X, y = _data()
    n, d = X.shape
    theta = ridge_penalized(X, y, lam)
    # 1/N ||X t - y||^2 + lam/2 ||t||^2 = || [X/sqrt(N); sqrt(lam/2) I] t - [y/sqrt(N); 0] ||^2
    A = np.vstack([X / np.sqrt(n), np.sqrt(lam / 2) * np.eye(d)])
    b = np.concatenate([y / np.sqrt(n), np.zeros(d)])
    np.testing.assert_allclose(theta, linalg.lstsq(A, b)[0], rtol=1e-10)
    gradient = 2 / n * X.T @ (X @ theta - y) + lam * theta
    np.testing.assert_allclose(gradient, 0, atol=1e-12)


@pytest.mark.parametrize("eta", [0.05, 1.0, 5.0])
def test_ridge_constrained_matches_scipy_slsqp(eta):
    X, y = _data(seed=2)
    theta = ridge_constrained(X, y, eta)
    f = _objective(X, y)
    reference = optimize.minimize(f, np.zeros(X.shape[1]), method="SLSQP",
                                  constraints=[{"type": "ineq", "fun": lambda t: eta - t @ t}],
                                  options={"ftol": 1e-15, "maxiter": 500}).x
    assert theta @ theta <= eta * (1 + 1e-12)
    assert f(theta) <= f(reference) + 1e-9  # at least as good as scipy's answer ...
    np.testing.assert_allclose(theta, reference, atol=1e-5)  # ... and the same point


def test_penalty_and_constraint_forms_correspond_both_ways():
    X, y = _data(seed=3)
    f = _objective(X, y)
    for lam in (1e-4, 0.01, 0.3, 3.0):
        eta = ridge_eta_for_lambda(X, y, lam)
        penalized = ridge_penalized(X, y, lam)
        assert eta == pytest.approx(penalized @ penalized, rel=1e-12)
        np.testing.assert_allclose(ridge_constrained(X, y, eta), penalized, rtol=1e-10)
        assert ridge_lambda_for_eta(X, y, eta) == pytest.approx(lam, rel=1e-9)
        # independently of lecturekit: the penalty solution solves the constraint problem
        # with eta = |theta(lam)|^2, by scipy's constrained minimiser
        reference = optimize.minimize(f, np.zeros(X.shape[1]), method="SLSQP",
                                      constraints=[{"type": "ineq",
                                                    "fun": lambda t, eta=eta: eta - t @ t}],
                                      options={"ftol": 1e-15, "maxiter": 500}).x
        np.testing.assert_allclose(penalized, reference, atol=1e-6)
    ls = linalg.lstsq(X, y)[0]
    eta_ls = ls @ ls
    for eta in (0.1 * eta_ls, 0.5 * eta_ls, 0.99 * eta_ls):
        lam = ridge_lambda_for_eta(X, y, eta)
        assert lam > 0
        assert ridge_eta_for_lambda(X, y, lam) == pytest.approx(eta, rel=1e-12)
    # an inactive ball: lambda = 0 and the least-squares answer
    assert ridge_lambda_for_eta(X, y, 2 * eta_ls) == 0
    np.testing.assert_allclose(ridge_constrained(X, y, 2 * eta_ls), ls, rtol=1e-10)
    assert ridge_eta_for_lambda(X, y, 0.0) == pytest.approx(eta_ls, rel=1e-12)
    # eta = 0 leaves only theta = 0 (the limit lambda -> infinity)
    assert ridge_lambda_for_eta(X, y, 0.0) == np.inf
    np.testing.assert_array_equal(ridge_constrained(X, y, 0.0), np.zeros(X.shape[1]))


def test_rank_deficient_X_uses_the_minimum_norm_solution():
    X, y = _data(n=5, d=8, seed=4)  # more unknowns than samples
    n = X.shape[0]
    min_norm = linalg.pinv(X) @ y
    np.testing.assert_allclose(ridge_penalized(X, y, 0.0), min_norm, rtol=1e-10)
    assert ridge_eta_for_lambda(X, y, 0.0) == pytest.approx(min_norm @ min_norm, rel=1e-12)
    eta = 0.5 * min_norm @ min_norm  # half the least-squares norm: the ball is active
    theta = ridge_constrained(X, y, eta)
    assert theta @ theta == pytest.approx(eta, rel=1e-12)
    # KKT of min F s.t. |t|^2 <= eta, written out: grad F(theta) = -lam theta with lam >= 0,
    # and lam is the multiplier ridge_lambda_for_eta returns
    grad = 2 / n * X.T @ (X @ theta - y)
    lam = -(grad @ theta) / (theta @ theta)
    assert lam > 0
    np.testing.assert_allclose(grad + lam * theta, 0, atol=1e-12)
    assert ridge_lambda_for_eta(X, y, eta) == pytest.approx(lam, rel=1e-9)
    # and scipy's constrained minimiser finds the same point
    f = _objective(X, y)
    reference = optimize.minimize(f, np.zeros(X.shape[1]), method="SLSQP",
                                  constraints=[{"type": "ineq", "fun": lambda t: eta - t @ t}],
                                  options={"ftol": 1e-15, "maxiter": 1000}).x
    np.testing.assert_allclose(theta, reference, atol=1e-6)


def test_bad_input_raises_naming_the_argument():
    X, y = _data()
    with pytest.raises(ValueError, match=r"lam must be in \[0, inf\], got -1"):
        l2_penalty(np.ones(2), -1.0)
    with pytest.raises(ValueError, match=r"lam must be in \[0, inf\], got -0.1"):
        ridge_penalized(X, y, -0.1)
    with pytest.raises(ValueError, match=r"eta must be in \[0, inf\], got -1"):
        project_l2_ball(np.ones(2), -1.0)
    with pytest.raises(ValueError, match=r"eta must be in \[0, inf\], got -1"):
        ridge_constrained(X, y, -1.0)
    with pytest.raises(ValueError, match="X must be 2-D, got a 1-D array"):
        ridge_penalized(np.ones(3), np.ones(3), 1.0)
    with pytest.raises(ValueError, match=r"y must have one entry per row of X \(30\), got 29"):
        ridge_constrained(X, y[:-1], 1.0)
    with pytest.raises(TypeError, match="theta must be an array of numbers"):
        l2_penalty("abc", 1.0)
