"""lecturekit.resnet: gradchecks of the residual blocks, and the depth experiment."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lecturekit.gradcheck import assert_gradcheck, numerical_gradient
from lecturekit.resnet import (
    conv_bn_relu,
    conv_bn_relu_backward,
    gradient_norms_by_depth,
    residual_block,
    residual_block_backward,
    residual_conv_block,
    residual_conv_block_backward,
)
from lecturekit.rng import default_rng

SMALL = settings(max_examples=20, deadline=None)


def _dense(n, d, m, seed):
    rng = default_rng(seed)
    return (rng.normal(size=(n, d)), rng.normal(size=(m, d)), rng.normal(size=m),
            rng.normal(size=(d, m)), rng.normal(size=d), rng)


def test_residual_block_is_x_plus_the_written_out_branch():
    x, w1, b1, w2, b2, _ = _dense(3, 4, 5, 0)
    for n in range(3):
        f = w2 @ np.maximum(w1 @ x[n] + b1, 0) + b2
        np.testing.assert_allclose(residual_block(x, w1, b1, w2, b2)[n], x[n] + f, rtol=1e-14)


@SMALL
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 5), st.integers(0, 2**16))
def test_residual_block_backward_passes_gradcheck(n, d, m, seed):
    x, w1, b1, w2, b2, rng = _dense(n, d, m, seed)
    dout = rng.normal(size=(n, d))
    grads = residual_block_backward(dout, x, w1, b1, w2, b2)
    assert_gradcheck(lambda *a: np.sum(residual_block(*a) * dout), [x, w1, b1, w2, b2],
                     list(grads), names=["x", "w1", "b1", "w2", "b2"])


def test_block_jacobian_is_identity_plus_branch_jacobian():
    # d x_{l+1} / d x_l = I + d f / d x_l (Lecture 14), checked by finite differences
    x, w1, b1, w2, b2, _ = _dense(1, 3, 4, 2)
    jac = np.stack([
        numerical_gradient(lambda x, j=j: residual_block(x, w1, b1, w2, b2)[0, j], [x])[0][0]
        for j in range(3)])
    mask = (w1 @ x[0] + b1 > 0).astype(float)
    closed_form = np.eye(3) + w2 @ (mask[:, None] * w1)
    np.testing.assert_allclose(jac, closed_form, rtol=1e-7, atol=1e-9)
    # the backward pass is the same Jacobian: with dout = e_j, dx is row j of it (J^T e_j)
    for j in range(3):
        dx = residual_block_backward(np.eye(3)[j][None], x, w1, b1, w2, b2)[0]
        np.testing.assert_allclose(dx[0], closed_form[j], rtol=1e-12, atol=1e-14)


def test_zero_branch_is_the_identity():
    x, w1, b1, _, _, _ = _dense(2, 3, 4, 3)
    np.testing.assert_array_equal(residual_block(x, w1, b1, np.zeros((3, 4)), np.zeros(3)), x)


# ---------------------------------------------------------------- convolutional block


def _conv_case(n, c, h, k, seed):
    rng = default_rng(seed)
    return (rng.normal(size=(n, c, h, h)), rng.normal(size=(c, c, k, k)),
            1 + 0.5 * rng.normal(size=c), 0.5 * rng.normal(size=c), rng)


def _conv_bn_relu_by_hand(x, w, gamma, beta):
    k = w.shape[2]
    p = k // 2
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    z = np.zeros((x.shape[0], w.shape[0]) + x.shape[2:])
    for i in range(x.shape[2]):
        for j in range(x.shape[3]):
            # cross-correlation: z[n, k, i, j] = sum_c,u,v xp[n, c, i+u, j+v] w[k, c, u, v]
            z[:, :, i, j] = np.einsum("ncuv,kcuv->nk", xp[:, :, i:i + k, j:j + k], w)
    mu = z.mean(axis=(0, 2, 3), keepdims=True)
    var = z.var(axis=(0, 2, 3), keepdims=True)
    bn = gamma[None, :, None, None] * (z - mu) / np.sqrt(var + 1e-5) + beta[None, :, None, None]
    return np.maximum(bn, 0)


def test_conv_bn_relu_is_conv_then_batch_norm_then_relu():
    # Lecture 14's conventional layer x_{l+1} = f_l(x_l), "weight + BN + ReLU", 2 -> 3 channels
    rng = default_rng(0)
    x, w = rng.normal(size=(2, 2, 4, 4)), rng.normal(size=(3, 2, 3, 3))
    gamma, beta = 1 + 0.5 * rng.normal(size=3), 0.5 * rng.normal(size=3)
    np.testing.assert_allclose(conv_bn_relu(x, w, gamma, beta),
                               _conv_bn_relu_by_hand(x, w, gamma, beta), rtol=1e-12, atol=1e-12)


def test_conv_block_is_x_plus_conv_bn_relu_written_out():
    x, w, gamma, beta, _ = _conv_case(2, 2, 4, 3, 0)
    np.testing.assert_allclose(residual_conv_block(x, w, gamma, beta),
                               x + _conv_bn_relu_by_hand(x, w, gamma, beta), rtol=1e-12, atol=1e-12)


@settings(max_examples=10, deadline=None)
@given(st.integers(2, 3), st.integers(1, 2), st.integers(1, 3), st.integers(2, 4),
       st.sampled_from([1, 3]), st.integers(0, 2**16))
def test_conv_bn_relu_backward_passes_gradcheck(n, c, k_out, h, k, seed):
    assume(not (c == 1 and k == 1))  # see test_conv_block_backward_passes_gradcheck
    rng = default_rng(seed)
    x, w = rng.normal(size=(n, c, h, h)), rng.normal(size=(k_out, c, k, k))
    gamma, beta = 1 + 0.5 * rng.normal(size=k_out), 0.5 * rng.normal(size=k_out)
    dout = rng.normal(size=(n, k_out, h, h))
    grads = conv_bn_relu_backward(dout, x, w, gamma, beta)
    assert_gradcheck(lambda *a: np.sum(conv_bn_relu(*a) * dout), [x, w, gamma, beta],
                     list(grads), names=["x", "w", "gamma", "beta"])


@settings(max_examples=10, deadline=None)
@given(st.integers(2, 3), st.integers(1, 2), st.integers(2, 4), st.sampled_from([1, 3]),
       st.integers(0, 2**16))
def test_conv_block_backward_passes_gradcheck(n, c, h, k, seed):
    # one channel and a 1x1 kernel: BN(w x) = BN(x) does not depend on w, dw is 0 up to eps
    # and a relative error between two near-zero vectors means nothing
    assume(not (c == 1 and k == 1))
    x, w, gamma, beta, rng = _conv_case(n, c, h, k, seed)
    dout = rng.normal(size=x.shape)
    grads = residual_conv_block_backward(dout, x, w, gamma, beta)
    assert_gradcheck(lambda *a: np.sum(residual_conv_block(*a) * dout), [x, w, gamma, beta],
                     list(grads), names=["x", "w", "gamma", "beta"])


def test_conv_block_rejects_even_kernels_and_channel_mismatch():
    x = np.zeros((2, 2, 4, 4))
    with pytest.raises(ValueError, match=r"w must have a square, odd-sized kernel"):
        residual_conv_block(x, np.zeros((2, 2, 2, 2)), np.ones(2), np.zeros(2))
    with pytest.raises(ValueError, match=r"w must have shape \(2, 2, \*, \*\), got \(3, 2, 3, 3\)"):
        residual_conv_block(x, np.zeros((3, 2, 3, 3)), np.ones(2), np.zeros(2))


# ---------------------------------------------------------------- depth experiment


def test_at_depth_50_residual_keeps_the_first_layer_gradient_and_plain_loses_it():
    plain = gradient_norms_by_depth(50, 64, residual=False, rng=default_rng(0))
    res = gradient_norms_by_depth(50, 64, residual=True, rng=default_rng(0))
    for norms in (res.input_grad, res.weight_grad):
        assert 0.1 < norms[0] / norms[-1] < 10
    for norms in (plain.input_grad, plain.weight_grad):
        assert norms[0] / norms[-1] < 0.1
    assert plain.input_grad[0] / plain.input_grad[-1] < 1e-20  # geometric: ~(1/4)^50


def _stack_by_hand(depth, width, residual, seed):
    # an independent re-implementation with explicit Jacobian products, one sample
    rng = default_rng(seed)
    x = rng.standard_normal((1, width))[0]
    W = np.sqrt(1 / width) * rng.standard_normal((depth, width, width))
    G = rng.standard_normal((1, width))[0]  # upstream gradient (batch of one: /sqrt(1))
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    J_total = np.eye(width)
    jacobians = []
    for l in range(depth):
        z = W[l] @ x
        J = sig(z)[:, None] * (1 - sig(z))[:, None] * W[l]
        J = np.eye(width) + J if residual else J
        jacobians.append(J)
        x = (x if residual else 0) + sig(z)
    norms = [np.linalg.norm(G)]
    for J in reversed(jacobians):
        J_total = J_total @ J  # d x_L / d x_l, accumulated from the top
        norms.append(np.linalg.norm(J_total.T @ G))
    return np.array(norms[::-1])


@pytest.mark.parametrize("residual", [False, True])
def test_input_gradient_norms_equal_explicit_jacobian_products(residual):
    got = gradient_norms_by_depth(6, 5, residual=residual, rng=default_rng(4), batch_size=1)
    np.testing.assert_allclose(got.input_grad, _stack_by_hand(6, 5, residual, 4), rtol=1e-12)


def test_weight_gradient_norms_match_finite_differences():
    depth, width = 3, 4
    rng = default_rng(5)
    x0 = rng.standard_normal((2, width))
    W = np.sqrt(1 / width) * rng.standard_normal((depth, width, width))
    G = rng.standard_normal((2, width)) / np.sqrt(2)
    got = gradient_norms_by_depth(depth, width, residual=True, rng=default_rng(5), batch_size=2)

    def loss(W):
        x = x0
        for l in range(depth):
            x = x + 1 / (1 + np.exp(-(x @ W[l].T)))
        return np.sum(x * G)

    (dW,) = numerical_gradient(loss, [W])
    np.testing.assert_allclose(got.weight_grad, np.linalg.norm(dW, axis=(1, 2)), rtol=1e-7)


def test_residual_relu_with_he_init_explodes_instead():
    res = gradient_norms_by_depth(50, 64, residual=True, rng=default_rng(0), activation="relu",
                                  init="kaiming_normal")
    assert res.input_grad[0] / res.input_grad[-1] > 1e5


def test_depth_experiment_bad_input():
    with pytest.raises(TypeError, match=r"residual must be True or False"):
        gradient_norms_by_depth(3, 4, residual="yes", rng=default_rng(0))
    with pytest.raises(ValueError, match=r"activation must be one of"):
        gradient_norms_by_depth(3, 4, residual=True, rng=default_rng(0), activation="gelu")
    with pytest.raises(ValueError, match=r"depth must be >= 1, got 0"):
        gradient_norms_by_depth(0, 4, residual=True, rng=default_rng(0))


def test_dense_block_bad_shapes_raise_naming_the_argument():
    x, w1, b1, w2, b2, _ = _dense(2, 3, 4, 0)
    with pytest.raises(ValueError, match=r"w2 must have shape \(3, 4\), got \(4, 3\)"):
        residual_block(x, w1, b1, w2.T, b2)
    with pytest.raises(ValueError, match=r"dout must have shape \(2, 3\)"):
        residual_block_backward(np.zeros((3, 3)), x, w1, b1, w2, b2)


def test_scaled_branch_gradients_match_finite_differences_and_scale_one_is_the_default():
    depth, width, s = 3, 4, 0.3
    rng = default_rng(6)
    x0 = rng.standard_normal((2, width))
    W = np.sqrt(1 / width) * rng.standard_normal((depth, width, width))
    G = rng.standard_normal((2, width)) / np.sqrt(2)
    got = gradient_norms_by_depth(depth, width, residual=True, rng=default_rng(6), batch_size=2,
                                  branch_scale=s)

    def forward(W, x):
        for l in range(depth):
            x = x + s / (1 + np.exp(-(x @ W[l].T)))  # x_{l+1} = x_l + s g(W_l x_l)
        return np.sum(x * G)

    (dW,) = numerical_gradient(lambda W: forward(W, x0), [W])
    np.testing.assert_allclose(got.weight_grad, np.linalg.norm(dW, axis=(1, 2)), rtol=1e-7)
    (dx,) = numerical_gradient(lambda x: forward(W, x), [x0])
    assert got.input_grad[0] == pytest.approx(np.linalg.norm(dx), rel=1e-7)
    for residual in (False, True):
        a = gradient_norms_by_depth(20, 8, residual=residual, rng=default_rng(1), activation="relu",
                                    init="kaiming_normal")
        b = gradient_norms_by_depth(20, 8, residual=residual, rng=default_rng(1), activation="relu",
                                    init="kaiming_normal", branch_scale=1.0)
        np.testing.assert_array_equal(a.input_grad, b.input_grad)
    with pytest.raises(ValueError, match="branch_scale"):
        gradient_norms_by_depth(3, 4, residual=True, rng=default_rng(0), branch_scale=-1.0)
