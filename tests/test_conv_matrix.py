"""lecturekit.conv_matrix: y = Kx against conv2d and its backward, finite differences, the notes' K."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit.conv import conv2d, conv2d_backward, correlate2d
from lecturekit.conv_matrix import (
    conv_matrix,
    conv_matrix_kernel_grad,
    conv_matrix_pattern,
    lecture3_example_conv_matrix,
)
from lecturekit.gradcheck import assert_gradcheck, numerical_gradient

from .strategies import conv_geometry

FEW = settings(max_examples=25, deadline=None)


@st.composite
def matrix_cases(draw):
    """A single-channel input that the (dilated, strided, padded) kernel fits, and an rng."""
    (kh, kw), geometry, (H, W) = draw(conv_geometry())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.normal(size=(H, W)), rng.normal(size=(kh, kw)), rng, geometry


@FEW
@given(case=matrix_cases())
def test_conv_matrix_matches_conv2d(case):
    x, k, rng, kw = case
    K = conv_matrix(x.shape, k, **kw)
    y = conv2d(x[None, None], k[None, None], **kw)
    assert K.shape == (y.size, x.size)
    np.testing.assert_allclose(K @ x.ravel(), y.ravel(), atol=1e-12)


@FEW
@given(case=matrix_cases())
def test_conv_matrix_transpose_gives_input_gradient(case):
    x, k, rng, kw = case
    K = conv_matrix(x.shape, k, **kw)
    dy = rng.normal(size=K.shape[0])
    dx, dw, _ = conv2d_backward(dy.reshape(1, 1, *conv2d(x[None, None], k[None, None], **kw)
                                           .shape[2:]), x[None, None], k[None, None], **kw)
    np.testing.assert_allclose(K.T @ dy, dx.ravel(), atol=1e-12)  # grad_x L = K^T grad_y L


@FEW
@given(case=matrix_cases())
def test_conv_matrix_kernel_grad_matches_conv2d_backward(case):
    x, k, rng, kw = case
    K = conv_matrix(x.shape, k, **kw)
    dy = rng.normal(size=K.shape[0])
    out_hw = conv2d(x[None, None], k[None, None], **kw).shape[2:]
    _, dw, _ = conv2d_backward(dy.reshape(1, 1, *out_hw), x[None, None], k[None, None], **kw)
    # grad_K L = grad_y L x^T, summed over the positions of each kernel entry
    dk = conv_matrix_kernel_grad(np.outer(dy, x.ravel()), x.shape, k.shape, **kw)
    np.testing.assert_allclose(dk, dw[0, 0], atol=1e-12)


def test_conv_matrix_kernel_grad_is_outer_product():
    # Lecture 3: grad_K L = grad_y L x^T for L = <g, K x> with K free (finite differences say
    # so), and grad_k L collects, for each k_q, the entries of grad_K L where k_q sits in K.
    # The reference for the second step is finite differences of L(k) = g^T K(k) x in k.
    rng = np.random.default_rng(17)
    x, g, k = rng.normal(size=9), rng.normal(size=4), rng.normal(size=(2, 2))
    (dK,) = numerical_gradient(lambda K: g @ (K @ x), [conv_matrix((3, 3), k)])
    np.testing.assert_allclose(dK, np.outer(g, x), atol=1e-8)
    (dk,) = numerical_gradient(lambda k: g @ (conv_matrix((3, 3), k) @ x), [k])
    np.testing.assert_allclose(conv_matrix_kernel_grad(np.outer(g, x), (3, 3), (2, 2)), dk, atol=1e-8)


def test_conv_matrix_gradients_match_finite_differences():
    # dL = tr(grad_K L^T dK) + grad_x L^T dx, with K = K(k): both gradients by finite differences
    rng = np.random.default_rng(18)
    x, k, g = rng.normal(size=(4, 3)), rng.normal(size=(2, 2)), rng.normal(size=6)
    K = conv_matrix(x.shape, k)
    dk = conv_matrix_kernel_grad(np.outer(g, x.ravel()), x.shape, k.shape)
    assert_gradcheck(lambda x, k: g @ (conv_matrix(x.shape, k) @ x.ravel()), [x, k],
                     [(K.T @ g).reshape(x.shape), dk], names=["x", "k"])


def test_conv_matrix_is_linear_in_kernel():
    # so dK (the notes' matrix of dk_1..dk_4) is conv_matrix(dk)
    rng = np.random.default_rng(19)
    k1, k2 = rng.normal(size=(2, 2, 2))
    np.testing.assert_allclose(conv_matrix((3, 3), 2 * k1 - 3 * k2),
                               2 * conv_matrix((3, 3), k1) - 3 * conv_matrix((3, 3), k2))
    notes_dK = np.array([[1, 2, 0, 3, 4, 0, 0, 0, 0], [0, 1, 2, 0, 3, 4, 0, 0, 0],
                         [0, 0, 0, 1, 2, 0, 3, 4, 0], [0, 0, 0, 0, 1, 2, 0, 3, 4]])
    np.testing.assert_array_equal(conv_matrix((3, 3), [[1, 2], [3, 4]]), notes_dK)


def test_lecture3_3x3_input_2x2_kernel_example():
    # y1 = k1 x1 + k2 x2 + k3 x4 + k4 x5, ... (1-based, row by row)
    x = np.arange(1.0, 10.0).reshape(3, 3)
    k = np.array([[2.0, -1.0], [0.5, 3.0]])
    x1, x2, x3, x4, x5, x6, x7, x8, x9 = x.ravel()
    k1, k2, k3, k4 = k.ravel()
    expected = [[k1 * x1 + k2 * x2 + k3 * x4 + k4 * x5, k1 * x2 + k2 * x3 + k3 * x5 + k4 * x6],
                [k1 * x4 + k2 * x5 + k3 * x7 + k4 * x8, k1 * x5 + k2 * x6 + k3 * x8 + k4 * x9]]
    np.testing.assert_allclose(correlate2d(x, k, "valid"), expected)
    np.testing.assert_allclose(conv2d(x[None, None], k[None, None])[0, 0], expected)
    np.testing.assert_allclose(conv_matrix((3, 3), k) @ x.ravel(), np.ravel(expected))


def test_lecture3_conv_matrix_erratum():
    ex = lecture3_example_conv_matrix()
    true_rows = (conv_matrix_pattern(ex["input_shape"], ex["kernel_shape"]) + 1).tolist()
    printed = ex["printed_rows"]
    assert len(true_rows) == 4 and len(printed) == 5  # 4 outputs, 5 printed rows
    assert printed[:3] == true_rows[:3]
    assert printed[3] == printed[2] != true_rows[3]  # row 4 repeats row 3
    # row 5 lost a zero, and which one cannot be told: in front it is row 4, at the end row 3
    assert len(printed[4]) == 8 and [0] + printed[4] == true_rows[3]
    assert printed[4] + [0] == true_rows[2]


def test_kernel_grad_sums_matrix_grad_over_kernel_positions():
    pattern = conv_matrix_pattern((3, 3), (2, 2))
    # the notes: (grad_k L)_1 = (grad_K L)_11 + (grad_K L)_22 + (grad_K L)_34 + (grad_K L)_45
    assert [tuple(rc) for rc in np.argwhere(pattern == 0) + 1] == [(1, 1), (2, 2), (3, 4), (4, 5)]
    dK = np.random.default_rng(20).normal(size=(4, 9))
    dk = conv_matrix_kernel_grad(dK, (3, 3), (2, 2))
    assert dk[0, 0] == pytest.approx(dK[0, 0] + dK[1, 1] + dK[2, 3] + dK[3, 4])
    for q in range(4):
        assert dk.ravel()[q] == pytest.approx(dK[pattern == q].sum())


def test_conv_matrix_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"dK must have the shape of K, \(4, 9\), got \(9, 4\)"):
        conv_matrix_kernel_grad(np.ones((9, 4)), (3, 3), (2, 2))
    with pytest.raises(ValueError, match=r"input_shape must be a pair \(height, width\)"):
        conv_matrix((3, 3, 1), np.ones((2, 2)))
    with pytest.raises(ValueError, match="kernel must be 2-D"):
        conv_matrix((3, 3), np.ones(4))
