"""lecturekit.gradcheck against closed-form gradients, and its input checks."""

import numpy as np
import pytest

from lecturekit.gradcheck import (
    assert_gradcheck,
    gradcheck,
    numerical_gradient,
    rel_error,
)


def test_numerical_gradient_of_quadratic_form_matches_closed_form():
    # f(x) = x^T A x has gradient (A + A^T) x: a closed form independent of the code.
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    x = rng.normal(size=4)
    (g,) = numerical_gradient(lambda x: x @ A @ x, [x])
    assert rel_error(g, (A + A.T) @ x) < 1e-9


def test_numerical_gradient_of_two_arrays_matches_closed_form():
    # f(W, x) = sum(sin(W x)): dW = cos(Wx) x^T, dx = W^T cos(Wx).
    rng = np.random.default_rng(1)
    W = rng.normal(size=(3, 5))
    x = rng.normal(size=5)
    gW, gx = numerical_gradient(lambda W, x: np.sum(np.sin(W @ x)), [W, x])
    c = np.cos(W @ x)
    assert rel_error(gW, np.outer(c, x)) < 1e-9
    assert rel_error(gx, W.T @ c) < 1e-9


def test_numerical_gradient_leaves_inputs_untouched():
    x = np.arange(6.0).reshape(2, 3)
    before = x.copy()
    numerical_gradient(lambda x: np.sum(x**3), [x])
    np.testing.assert_array_equal(x, before)


def test_assert_gradcheck_passes_right_and_fails_wrong_gradient():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 2))
    f = lambda x: np.sum(np.tanh(x))  # noqa: E731
    right = 1 - np.tanh(x) ** 2
    errors = assert_gradcheck(f, [x], [right], names=["x"])
    assert errors[0] < 1e-9
    with pytest.raises(AssertionError, match=r"x: "):
        assert_gradcheck(f, [x], [right * 1.001], names=["x"])


def test_rel_error_is_zero_for_equal_and_for_both_zero_and_symmetric():
    a = np.array([1.0, -2.0, 3.0])
    assert rel_error(a, a) == 0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0
    b = a + np.array([1e-3, 0, 0])
    assert rel_error(a, b) == rel_error(b, a)
    assert rel_error(a, b) == pytest.approx(1e-3 / (np.linalg.norm(a) + np.linalg.norm(b)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_raises_naming_the_argument(bad):
    x = np.array([1.0, bad])
    with pytest.raises(ValueError, match=r"^arrays\[0\] \(w\) must contain only finite values"):
        numerical_gradient(lambda w: np.sum(w), [x], names=["w"])
    with pytest.raises(ValueError, match=r"arrays\[1\] must contain only finite values"):
        gradcheck(lambda a, b: np.sum(a * b), [np.ones(2), x], [np.ones(2), np.ones(2)])


def test_non_finite_gradient_raises_naming_it():
    with pytest.raises(ValueError, match=r"grads\[0\] \(the gradient of x\) must contain only finite"):
        gradcheck(lambda x: np.sum(x), [np.ones(2)], [np.array([1.0, np.nan])], names=["x"])


def test_mismatched_gradient_shape_raises_naming_the_argument_and_shapes():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"grads\[0\] \(the gradient of x\) must have the shape of "
                                         r"arrays\[0\] \(x\), \(2, 3\), got \(3, 2\)"):
        gradcheck(lambda x: np.sum(x), [x], [np.ones((3, 2))], names=["x"])


def test_wrong_number_of_gradients_or_names_raises():
    with pytest.raises(ValueError, match="grads must have one gradient per array"):
        gradcheck(lambda x: np.sum(x), [np.ones(2)], [np.ones(2), np.ones(2)])
    with pytest.raises(ValueError, match="names must have one name per array"):
        numerical_gradient(lambda x: np.sum(x), [np.ones(2)], names=["a", "b"])


def test_non_scalar_or_non_finite_function_raises():
    with pytest.raises(ValueError, match=r"f must return a scalar, got an array of shape \(2,\)"):
        numerical_gradient(lambda x: x * 2, [np.ones(2)])
    with pytest.raises(ValueError, match="f returned a non-finite value"):
        numerical_gradient(lambda x: np.sum(x) * np.inf, [np.array([1.0])])


def test_arrays_must_be_a_sequence_and_h_positive():
    with pytest.raises(TypeError, match="arrays must be a list or tuple"):
        numerical_gradient(lambda x: np.sum(x), np.ones(2))
    with pytest.raises(ValueError, match=r"h must be in \(0, inf\], got 0"):
        numerical_gradient(lambda x: np.sum(x), [np.ones(2)], h=0)
