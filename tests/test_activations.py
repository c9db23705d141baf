"""lecturekit.activations against closed forms, finite differences and their stability claims."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from lecturekit.activations import (
    activation_kernels,
    leaky_relu,
    leaky_relu_backward,
    relu,
    relu_backward,
    sigmoid,
    sigmoid_backward,
    softmax,
    softmax_backward,
    tanh,
    tanh_backward,
)
from lecturekit.gradcheck import assert_gradcheck

from .references import RECTIFY

SMALL = settings(max_examples=25, deadline=None)

# Values away from the kink at 0 (finite differences with h = 1e-6 never straddle it) and
# below |x| = 3, where tanh' > 0.01: beyond, rounding in tanh itself (1e-16 / h) is no
# longer small against the derivative.
away_from_zero = st.floats(0.01, 3.0) | st.floats(-3.0, -0.01)
small_arrays = arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=4),
                      elements=away_from_zero)


def _check(f, backward, x, seed=0, **kw):
    dout = np.random.default_rng(seed).normal(size=np.shape(x))
    assert_gradcheck(lambda x: np.sum(f(x, **kw) * dout), [x], [backward(dout, x, **kw)],
                     names=["x"])


def test_values_match_textbook_definitions():
    x = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(sigmoid(x), [1 / (1 + math.exp(-v)) for v in x], rtol=1e-15)
    # Lecture 14: tanh = (e^x - e^-x) / (e^x + e^-x)
    np.testing.assert_allclose(tanh(x), (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)),
                               rtol=1e-14, atol=1e-16)
    np.testing.assert_array_equal(relu(x), [max(v, 0.0) for v in x])
    np.testing.assert_allclose(leaky_relu(x, negative_slope=0.2),
                               [v if v >= 0 else 0.2 * v for v in x])
    # tanh(x) = 2 sigmoid(2x) - 1 ties the two together
    np.testing.assert_allclose(tanh(x), 2 * sigmoid(2 * x) - 1, atol=1e-15)


def test_softmax_matches_definition_and_sums_to_one():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4))
    s = softmax(x)
    np.testing.assert_allclose(s, np.exp(x) / np.exp(x).sum(axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(softmax(x, axis=0).sum(axis=0), np.ones(4), rtol=1e-15)


@SMALL
@given(x=small_arrays)
def test_elementwise_backwards_pass_gradcheck(x):
    _check(sigmoid, sigmoid_backward, x)
    _check(tanh, tanh_backward, x)
    _check(relu, relu_backward, x)
    _check(leaky_relu, leaky_relu_backward, x, negative_slope=0.1)


# Logits within [-3, 3]: a spread of 9 or more makes the softmax Jacobian ~1e-4, and the
# finite-difference rounding (1e-16 / h = 1e-10) is then no longer small against it.
@SMALL
@given(x=arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=4),
                elements=st.floats(-3, 3)), axis=st.integers(-1, 0))
def test_softmax_backward_gradcheck(x, axis):
    _check(softmax, softmax_backward, x, axis=axis)


@pytest.mark.parametrize("shape", [(1,), (2, 3), (2, 3, 4)])
def test_backwards_gradcheck_on_fixed_shapes(shape):
    rng = np.random.default_rng(2)
    x = rng.normal(size=shape)
    x[np.abs(x) < 0.01] = 0.5  # keep off the kink
    for f, b in [(sigmoid, sigmoid_backward), (tanh, tanh_backward), (relu, relu_backward),
                 (leaky_relu, leaky_relu_backward), (softmax, softmax_backward)]:
        _check(f, b, x)


def test_huge_inputs_are_finite_without_warnings():
    # pytest turns RuntimeWarnings from lecturekit into errors, so overflow would fail here.
    x = np.array([-1e4, -800.0, 0.0, 800.0, 1e4])
    s = sigmoid(x)
    assert np.all(np.isfinite(s))
    np.testing.assert_array_equal(s[[0, -1]], [0.0, 1.0])
    assert np.all(np.isfinite(sigmoid_backward(np.ones(5), x)))
    np.testing.assert_array_equal(tanh(x)[[0, -1]], [-1.0, 1.0])
    logits = np.array([[1e4, 0.0, -1e4], [1e4, 1e4, 1e4]])
    np.testing.assert_allclose(softmax(logits), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-15)
    assert np.all(np.isfinite(softmax_backward(np.ones((2, 3)), logits)))


def test_kink_convention_matches_pytorch():
    # relu'(0) = 0 and leaky_relu'(0) = slope, PyTorch's choice (documented).
    np.testing.assert_array_equal(relu_backward([1.0], [0.0]), [0.0])
    np.testing.assert_array_equal(leaky_relu_backward([1.0], [0.0], negative_slope=0.2), [0.2])


# g'(x) written out independently of lecturekit (the kernels and the public functions share
# their code, so comparing one with the other could never fail): sigma' = sigma (1 - sigma),
# tanh' = 1 - tanh^2, relu' = [x > 0] and leaky' = 1 or the slope, 0 at the kink for ReLU
# and the slope for leaky ReLU (the PyTorch convention).
_SLOPE = 0.1
_CLOSED_FORMS = {
    "linear": (lambda x: x, lambda x: np.ones_like(x)),
    "sigmoid": (RECTIFY["sigmoid"], lambda x: RECTIFY["sigmoid"](x) * (1 - RECTIFY["sigmoid"](x))),
    "tanh": (RECTIFY["tanh"], lambda x: 1 - RECTIFY["tanh"](x) ** 2),
    "relu": (RECTIFY["relu"], lambda x: np.where(x > 0, 1.0, 0.0)),
    "leaky_relu": (lambda x: np.where(x >= 0, x, _SLOPE * x),
                   lambda x: np.where(x > 0, 1.0, _SLOPE)),
}


@pytest.mark.parametrize("name", ["linear", "sigmoid", "tanh", "relu", "leaky_relu"])
def test_activation_kernels_match_closed_forms_and_the_public_functions(name):
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    g, g_prime = activation_kernels(name, negative_slope=_SLOPE)
    g_ref, g_prime_ref = _CLOSED_FORMS[name]
    np.testing.assert_allclose(g(x), g_ref(x), rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(g_prime(x), g_prime_ref(x), rtol=1e-14, atol=1e-16)
    # Wiring: the unchecked kernels are the same functions as the checked public ones.
    public = {"linear": (lambda x: x, lambda d, x: d),
              "sigmoid": (sigmoid, sigmoid_backward), "tanh": (tanh, tanh_backward),
              "relu": (relu, relu_backward),
              "leaky_relu": (lambda x: leaky_relu(x, _SLOPE),
                             lambda d, x: leaky_relu_backward(d, x, _SLOPE))}[name]
    np.testing.assert_array_equal(g(x), public[0](x))
    np.testing.assert_array_equal(g_prime(x), public[1](np.ones(5), x))


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match=r"dout must have shape \(3,?\), got \(2,\)"):
        sigmoid_backward(np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match="x must be an array of numbers, got str"):
        relu("abc")
    with pytest.raises(ValueError, match="x must contain only finite values"):
        tanh([np.nan])
    with pytest.raises(ValueError, match=r"negative_slope must be in \[0, inf\], got -1"):
        leaky_relu([1.0], negative_slope=-1.0)
    with pytest.raises(ValueError, match=r"axis must be in \[-2, 2\) for a 2-D x, got 2"):
        softmax(np.ones((2, 2)), axis=2)
    with pytest.raises(ValueError, match="name must be one of .* got 'gelu'"):
        activation_kernels("gelu")
