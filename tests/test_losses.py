"""lecturekit.losses against direct sums, scipy's logsumexp and finite differences."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes
from scipy.special import logsumexp

from lecturekit.gradcheck import assert_gradcheck
from lecturekit.losses import (
    mse_loss,
    mse_loss_backward,
    softmax_cross_entropy,
    softmax_cross_entropy_backward,
)

SMALL = settings(max_examples=25, deadline=None)


def test_mse_is_the_mean_over_all_elements():
    rng = np.random.default_rng(0)
    y_pred, y = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    by_hand = sum((y_pred[i, j] - y[i, j]) ** 2 for i in range(3) for j in range(4)) / 12
    assert mse_loss(y_pred, y) == pytest.approx(by_hand, rel=1e-14)


@SMALL
@given(shape=array_shapes(min_dims=1, max_dims=3, max_side=4), seed=st.integers(0, 2**16),
       dout=st.floats(-3, 3))
def test_mse_backward_gradcheck(shape, seed, dout):
    rng = np.random.default_rng(seed)
    y_pred, y = rng.normal(size=shape), rng.normal(size=shape)
    assert_gradcheck(lambda p: dout * mse_loss(p, y), [y_pred],
                     [mse_loss_backward(dout, y_pred, y)], names=["y_pred"])


def test_cross_entropy_matches_the_definition():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(5, 3))
    labels = np.array([0, 2, 1, 1, 0])
    by_hand = -sum(math.log(math.exp(logits[i, c]) / sum(math.exp(v) for v in logits[i]))
                   for i, c in enumerate(labels)) / 5
    assert softmax_cross_entropy(logits, labels) == pytest.approx(by_hand, rel=1e-13)


@SMALL
@given(n=st.integers(1, 4), k=st.integers(1, 5), seed=st.integers(0, 2**16),
       scale=st.sampled_from([0.1, 1.0, 3.0]))
def test_cross_entropy_backward_gradcheck_and_scipy_reference(n, k, seed, scale):
    # Scales beyond ~3 make some gradients e^-15 small against a loss of 15, where
    # finite differences (rounding ~1e-16 * loss / h) cannot reach 1e-7 relative.
    rng = np.random.default_rng(seed)
    logits = scale * rng.normal(size=(n, k))
    labels = rng.integers(0, k, size=n)
    expected = np.mean(logsumexp(logits, axis=1) - logits[np.arange(n), labels])
    assert softmax_cross_entropy(logits, labels) == pytest.approx(expected, rel=1e-12, abs=1e-14)
    dlogits = softmax_cross_entropy_backward(1.0, logits, labels)
    assert_gradcheck(lambda x: softmax_cross_entropy(x, labels), [logits], [dlogits],
                     names=["logits"])
    np.testing.assert_allclose(dlogits.sum(axis=1), 0, atol=1e-15)  # softmax minus one-hot


@pytest.mark.parametrize("shape", [(1, 2), (4, 3), (6, 10)])
def test_cross_entropy_backward_gradcheck_with_upstream_gradient(shape):
    rng = np.random.default_rng(2)
    logits = rng.normal(size=shape)
    labels = rng.integers(0, shape[1], size=shape[0])
    assert_gradcheck(lambda x: 0.7 * softmax_cross_entropy(x, labels), [logits],
                     [softmax_cross_entropy_backward(0.7, logits, labels)], names=["logits"])


def test_huge_logits_give_exact_finite_loss_and_gradient():
    logits = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]])
    # Row 0: log-sum-exp is 1e4 (+ e^-1e4, which is 0 in float64); row 1: 1e4 + log 3.
    assert softmax_cross_entropy(logits, np.array([0, 1])) == pytest.approx(math.log(3) / 2)
    assert softmax_cross_entropy(logits, np.array([1, 0])) == pytest.approx(
        (1e4 + math.log(3)) / 2)
    d = softmax_cross_entropy_backward(1.0, logits, np.array([2, 1]))
    assert np.all(np.isfinite(d))
    np.testing.assert_allclose(d, [[0.5, 0, -0.5], [1 / 6, -1 / 3, 1 / 6]], atol=1e-15)


def test_bad_labels_and_shapes_raise_naming_the_argument():
    logits = np.zeros((2, 3))
    with pytest.raises(TypeError, match="labels must be integer class indices, got dtype float64"):
        softmax_cross_entropy(logits, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\) .* got 3 at index 1"):
        softmax_cross_entropy(logits, np.array([0, 3]))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\) .* got -1 at index 0"):
        softmax_cross_entropy_backward(1.0, logits, np.array([-1, 0]))
    with pytest.raises(ValueError, match=r"labels must have shape \(2,?\), got \(3,\)"):
        softmax_cross_entropy(logits, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"logits must be 2-D, got a 1-D array of shape \(3,\)"):
        softmax_cross_entropy(np.zeros(3), np.array([0]))
    with pytest.raises(ValueError, match=r"y must have the shape of y_pred, \(2,\), got \(3,\)"):
        mse_loss(np.zeros(2), np.zeros(3))
    with pytest.raises(TypeError, match="dout must be a real number"):
        mse_loss_backward(np.ones(2), np.zeros(2), np.zeros(2))
