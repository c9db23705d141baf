r"""Residual blocks :math:`x_{l+1} = x_l + f_l(x_l)`, and why their gradients do not vanish.

Conventions
-----------
* Dense blocks take ``x`` of shape ``(N, D)``; weights are ``(out, in)`` as in
  PyTorch's ``nn.Linear``, so a layer is ``x @ w.T + b``.
* Convolutional blocks take NCHW images ``x: (N, C, H, W)`` and a square,
  odd-sized kernel ``w: (C, C, k, k)`` with "same" padding :math:`(k-1)/2`, so
  that :math:`f(x)` has the shape of :math:`x` and the sum is defined.
* Backward functions take the forward's inputs and return the gradients in
  the order of the forward's arguments (``dx`` first).

Lecture 14's letters: the block's input :math:`x_l` (or :math:`x_t`) is ``x``,
:math:`f_l` is the residual branch. The lecture's conventional layer is
:math:`x_{l+1} = f_l(x_l)` with :math:`f_l` = "weight + BN + ReLU"; the residual
layer adds the identity. Since

.. math:: \frac{\partial x_{l+1}}{\partial x_l} = I + \frac{\partial f_l}{\partial x_l},

the gradient reaching layer :math:`l` from layer :math:`L` is
:math:`\prod_{k=l}^{L-1} (I + \partial f_k/\partial x_k)^\top` applied to
:math:`\partial \mathcal{L}/\partial x_L`: a sum over all paths, one of which is
the identity, rather than a product of possibly small Jacobians
(:func:`gradient_norms_by_depth` measures both).

This is the "pre-activation" form of He et al.'s second paper (identity
skip, nothing after the sum). The original ResNet (He et al. 2016a) applies a
ReLU after the sum, :math:`x_{l+1} = \mathrm{relu}(x_l + F(x_l))`, with
:math:`F` = conv-BN-ReLU-conv-BN.

References
----------
Lecture 14 (003_59d733786b3f0eb6.txt), "Residual Network (Res Net)":
:math:`x_{l+1} = x_l + f_l(x_l)`, "weight + BN + ReLU",
:math:`\partial x_{t+1}/\partial x_t = 1 + \partial f_t/\partial x_t`, "avoid
gradient vanishing". He, Zhang, Ren & Sun (2016a), "Deep residual learning for
image recognition"; (2016b), "Identity mappings in deep residual networks".
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import as_array, check_bool, check_choice, check_int, check_real, check_shape
from .activations import ACTIVATIONS, activation_kernels, relu, relu_backward
from .conv import conv2d, conv2d_backward
from .norm import batch_norm, batch_norm_backward
from .rng import check_rng

__all__ = [
    "residual_block", "residual_block_backward",
    "conv_bn_relu", "conv_bn_relu_backward", "residual_conv_block", "residual_conv_block_backward",
    "GradientNorms", "gradient_norms_by_depth",
]


# ---------------------------------------------------------------- dense block


def _dense_inputs(x, w1, b1, w2, b2):
    x = as_array(x, "x", ndim=2)
    d = x.shape[1]
    w1 = as_array(w1, "w1", ndim=2)
    check_shape(w1, "w1", (None, d), of="the features of x")
    hidden = w1.shape[0]
    b1 = check_shape(as_array(b1, "b1"), "b1", (hidden,), of="the rows of w1")
    w2 = check_shape(as_array(w2, "w2"), "w2", (d, hidden), of="x and w1")
    b2 = check_shape(as_array(b2, "b2"), "b2", (d,), of="the features of x")
    return x, w1, b1, w2, b2


def residual_block(x, w1, b1, w2, b2):
    r"""A dense residual block :math:`x + w_2\,\mathrm{relu}(w_1 x + b_1) + b_2`.

    Parameters
    ----------
    x : ndarray, shape (N, D)
        :math:`x_l`.
    w1 : ndarray, shape (M, D)
        The first weight (M hidden units).
    b1 : ndarray, shape (M,)
    w2 : ndarray, shape (D, M)
        The second weight: back to D, so that the sum is defined.
    b2 : ndarray, shape (D,)

    Returns
    -------
    ndarray, shape (N, D)
        :math:`x_{l+1} = x_l + f(x_l)`.

    Notes
    -----
    .. math::
        x_{l+1} = x_l + f_l(x_l), \qquad
        \frac{\partial x_{l+1}}{\partial x_l}
        = I + w_2\, \mathrm{diag}(\mathrm{relu}'(w_1 x_l + b_1))\, w_1

    With :math:`w_2 = 0` the block is the identity, which a plain ReLU layer can
    only approximate (Lecture 14: "ReLU has difficulty to learn identity
    mapping").

    References
    ----------
    Lecture 14 (003_59d733786b3f0eb6.txt), "Res Net".

    Examples
    --------
    >>> x = np.array([[1.0, -2.0]])
    >>> residual_block(x, np.ones((3, 2)), np.zeros(3), np.zeros((2, 3)), np.zeros(2))
    array([[ 1., -2.]])
    """
    x, w1, b1, w2, b2 = _dense_inputs(x, w1, b1, w2, b2)
    a = relu(x @ w1.T + b1)  # (N, M)
    return x + a @ w2.T + b2


def residual_block_backward(dout, x, w1, b1, w2, b2):
    r"""Gradients of :func:`residual_block`: ``(dx, dw1, db1, dw2, db2)``.

    Parameters
    ----------
    dout : ndarray, shape (N, D)
        :math:`\partial L/\partial x_{l+1}`.
    x, w1, b1, w2, b2
        The forward's inputs.

    Returns
    -------
    dx : ndarray, shape (N, D)
        ``dout`` (the skip) plus the gradient through :math:`f`.
    dw1 : ndarray, shape (M, D)
    db1 : ndarray, shape (M,)
    dw2 : ndarray, shape (D, M)
    db2 : ndarray, shape (D,)
    """
    x, w1, b1, w2, b2 = _dense_inputs(x, w1, b1, w2, b2)
    dout = check_shape(as_array(dout, "dout"), "dout", x.shape, of="x")
    z = x @ w1.T + b1  # (N, M)
    a = relu(z)
    dz = relu_backward(dout @ w2, z)  # (N, M)
    dx = dout + dz @ w1  # the identity path, then the path through f
    return dx, dz.T @ x, dz.sum(axis=0), dout.T @ a, dout.sum(axis=0)


# ---------------------------------------------------------------- convolutional block


def _conv_inputs(x, w, gamma, beta, *, square):
    x = as_array(x, "x", ndim=4)
    c = x.shape[1]
    w = as_array(w, "w", ndim=4)
    check_shape(w, "w", (c if square else None, c, None, None), of="the channels of x")
    k = w.shape[2]
    if w.shape[3] != k or k % 2 == 0:
        raise ValueError(f"w must have a square, odd-sized kernel (so that 'same' padding keeps "
                         f"the height and width of x), got kernel {w.shape[2:]}")
    gamma = check_shape(as_array(gamma, "gamma"), "gamma", (w.shape[0],), of="the filters of w")
    beta = check_shape(as_array(beta, "beta"), "beta", (w.shape[0],), of="the filters of w")
    return x, w, gamma, beta, k // 2


def conv_bn_relu(x, w, gamma, beta, *, eps=1e-5):
    r"""Lecture 14's "weight + BN + ReLU" layer, :math:`\mathrm{relu}(\mathrm{BN}(w * x))`.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
    w : ndarray, shape (K, C, k, k)
        The convolution ("weight"), k odd, "same" padding :math:`(k-1)/2`.
    gamma, beta : ndarray, shape (K,)
        Batch norm's scale and shift (training mode: batch statistics per channel).
    eps : float, default 1e-5

    Returns
    -------
    ndarray, shape (N, K, H, W)

    Notes
    -----
    .. math:: x_{l+1} = f_l(x_l) = \mathrm{relu}\bigl(\mathrm{BN}_{\gamma,\beta}(w * x_l)\bigr)

    BN comes right after the weight layer (Lecture 14: "insert BN after each
    weight layer"), before the nonlinearity, as in Ioffe & Szegedy. The
    convolution has no bias: BN subtracts each channel's mean, so a bias would
    cancel (its gradient is exactly 0); β takes its place.

    References
    ----------
    Lecture 14 (003_59d733786b3f0eb6.txt), "Batch Normalization (BN)" and "Res Net".

    Examples
    --------
    >>> x = np.arange(8.0).reshape(2, 1, 2, 2)
    >>> conv_bn_relu(x, np.ones((3, 1, 1, 1)), np.ones(3), np.zeros(3)).shape
    (2, 3, 2, 2)
    """
    x, w, gamma, beta, pad = _conv_inputs(x, w, gamma, beta, square=False)
    return relu(batch_norm(conv2d(x, w, padding=pad), gamma, beta, eps=eps))


def conv_bn_relu_backward(dout, x, w, gamma, beta, *, eps=1e-5):
    r"""Gradients of :func:`conv_bn_relu`: ``(dx, dw, dgamma, dbeta)``.

    Parameters
    ----------
    dout : ndarray, shape (N, K, H, W)
    x, w, gamma, beta, eps
        The forward's inputs.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dw : ndarray, shape (K, C, k, k)
    dgamma, dbeta : ndarray, shape (K,)
    """
    x, w, gamma, beta, pad = _conv_inputs(x, w, gamma, beta, square=False)
    z = conv2d(x, w, padding=pad)  # (N, K, H, W)
    dout = check_shape(as_array(dout, "dout"), "dout", z.shape, of="x and w")
    bn = batch_norm(z, gamma, beta, eps=eps)
    dz, dgamma, dbeta = batch_norm_backward(relu_backward(dout, bn), z, gamma, eps=eps)
    dx, dw, _ = conv2d_backward(dz, x, w, padding=pad)
    return dx, dw, dgamma, dbeta


def residual_conv_block(x, w, gamma, beta, *, eps=1e-5):
    r"""A convolutional residual block: :math:`x + \mathrm{relu}(\mathrm{BN}(w * x))`.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        :math:`x_l`.
    w : ndarray, shape (C, C, k, k)
        As :func:`conv_bn_relu`, with as many filters as input channels so that
        :math:`f(x)` has the shape of :math:`x`.
    gamma, beta : ndarray, shape (C,)
    eps : float, default 1e-5

    Returns
    -------
    ndarray, shape (N, C, H, W)
        :math:`x_{l+1} = x_l + f_l(x_l)` with :math:`f_l` = :func:`conv_bn_relu`.

    Notes
    -----
    Lecture 14's :math:`f_l` is one weight-BN-ReLU unit; the ResNet paper's
    basic block stacks two (conv-BN-ReLU-conv-BN) and puts the ReLU after the sum.

    References
    ----------
    Lecture 14 (003_59d733786b3f0eb6.txt), "Res Net".

    Examples
    --------
    >>> x = np.arange(8.0).reshape(2, 1, 2, 2)
    >>> out = residual_conv_block(x, np.ones((1, 1, 3, 3)), np.zeros(1), np.zeros(1))
    >>> bool(np.array_equal(out, x))  # gamma = beta = 0: f = relu(0) = 0, the identity
    True
    """
    x, w, gamma, beta, _ = _conv_inputs(x, w, gamma, beta, square=True)
    return x + conv_bn_relu(x, w, gamma, beta, eps=eps)


def residual_conv_block_backward(dout, x, w, gamma, beta, *, eps=1e-5):
    r"""Gradients of :func:`residual_conv_block`: ``(dx, dw, dgamma, dbeta)``.

    Parameters
    ----------
    dout : ndarray, shape (N, C, H, W)
        :math:`\partial L/\partial x_{l+1}`.
    x, w, gamma, beta, eps
        The forward's inputs.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        ``dout`` through the skip plus :func:`conv_bn_relu_backward`'s ``dx``.
    dw : ndarray, shape (C, C, k, k)
    dgamma, dbeta : ndarray, shape (C,)
    """
    x, w, gamma, beta, _ = _conv_inputs(x, w, gamma, beta, square=True)
    dout = check_shape(as_array(dout, "dout"), "dout", x.shape, of="x")
    dx_f, dw, dgamma, dbeta = conv_bn_relu_backward(dout, x, w, gamma, beta, eps=eps)
    return dout + dx_f, dw, dgamma, dbeta


# ---------------------------------------------------------------- depth experiment


class GradientNorms(NamedTuple):
    r"""Per-layer gradient norms of a deep stack at initialisation.

    ``input_grad[l]`` is :math:`\|\partial L/\partial x_l\|` for
    :math:`l = 0, \dots, L` (``input_grad[0]`` reaches the data, ``input_grad[L]``
    is the upstream gradient); ``weight_grad[l]`` is
    :math:`\|\partial L/\partial W_l\|_F` of layer :math:`l = 0, \dots, L-1`.
    """

    input_grad: np.ndarray
    weight_grad: np.ndarray


def gradient_norms_by_depth(depth, width, *, residual, rng, activation="sigmoid",
                            init="xavier_normal", batch_size=32, branch_scale=1.0):
    r"""Each layer's gradient norm at initialisation in a deep stack, plain or residual.

    Parameters
    ----------
    depth : int
        :math:`L \ge 1` layers.
    width : int
        :math:`n` units per layer.
    residual : bool
        ``False``: :math:`x_{l+1} = g(W_l x_l)`; ``True``: :math:`x_{l+1} = x_l + g(W_l x_l)`.
    rng : numpy.random.Generator
        Draws the input, the weights and the upstream gradient, in that order.
    activation : {'sigmoid', 'tanh', 'relu', 'leaky_relu', 'linear'}, default 'sigmoid'
        :math:`g`; Lecture 14 names ReLU and sigmoid ("Rectify: ReLU sigmoid").
    init : {'xavier_normal', 'kaiming_normal'}, default 'xavier_normal'
        :math:`W_l` from :mod:`lecturekit.init` (:math:`\mathrm{Var} = 1/n` or :math:`2/n`).
    batch_size : int, default 32
    branch_scale : float, default 1.0
        :math:`s \ge 0` of the residual stack, :math:`x_{l+1} = x_l + s\,g(W_l x_l)`
        (ignored for the plain one). :math:`s = 1/\sqrt{L}` keeps the product of
        the blocks' factors bounded whatever the depth.

    Returns
    -------
    GradientNorms
        ``input_grad`` of shape (L + 1,) and ``weight_grad`` of shape (L,).

    Notes
    -----
    The branch here is the simplest :math:`f_l(x) = g(W_l x)` (no bias), the loss
    :math:`L = \langle x_L, G \rangle / \sqrt N` with :math:`G \sim N(0, 1)`, so
    that :math:`\partial L / \partial x_L = G/\sqrt N` and

    .. math::
        \frac{\partial L}{\partial x_l} =
        \Bigl(\prod_{k=l}^{L-1} \frac{\partial x_{k+1}}{\partial x_k}\Bigr)^{\!\top}
        \frac{\partial L}{\partial x_L}, \quad
        \frac{\partial x_{k+1}}{\partial x_k} = [I\ +]\ \mathrm{diag}(g'(W_k x_k))\, W_k.

    Plain, each factor has norm around :math:`\sqrt{n\,\mathrm{Var}(W)\,\mathbb{E}\,g'^2}`,
    about 1/4 for the sigmoid with Xavier weights: the gradient vanishes
    geometrically with depth. Residual, the identity keeps each factor near 1.
    The residual sum is not a cure-all: with ReLU and He weights each block
    roughly doubles the signal's variance, and the gradient *explodes* by
    about :math:`\sqrt 2` per block; real ResNets put batch norm inside
    :math:`f_l` (and scale its last layer) to keep :math:`\partial f/\partial x` small.
    A branch scaled by :math:`s` makes each factor :math:`I + s\,\partial f_l/\partial x_l`,
    nearer the identity: at depth 50 with ReLU and He weights the input gradient
    grows by about :math:`10^{10}` over the stack with :math:`s = 1` and by less than
    10 with :math:`s = 1/\sqrt L` (the idea of SkipInit and Fixup: De & Smith 2020,
    Zhang et al. 2019).

    Cost: about :math:`6 L\, N n^2` flops (1-2 ms at depth 100, width 64).

    References
    ----------
    Lecture 14 (003_59d733786b3f0eb6.txt), "Res Net", "avoid gradient vanishing".

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> plain = gradient_norms_by_depth(30, 16, residual=False, rng=default_rng(0))
    >>> res = gradient_norms_by_depth(30, 16, residual=True, rng=default_rng(0))
    >>> float(plain.input_grad[0] / plain.input_grad[-1]) < 1e-10
    True
    >>> 0.1 < float(res.input_grad[0] / res.input_grad[-1]) < 10
    True
    """
    depth = check_int(depth, "depth", minimum=1)
    width = check_int(width, "width", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    residual = check_bool(residual, "residual")
    scale = float(check_real(branch_scale, "branch_scale", low=0))
    g, g_prime = activation_kernels(check_choice(activation, "activation", ACTIVATIONS))
    # n_in = n_out = n: Xavier's 2 / (n_in + n_out) = 1/n, He's 2 / n_in = 2/n (lecturekit.init)
    var = {"xavier_normal": 1.0, "kaiming_normal": 2.0}[
        check_choice(init, "init", ("xavier_normal", "kaiming_normal"))] / width
    check_rng(rng)

    x = rng.standard_normal((batch_size, width))
    # one draw for all layers: (L, n_out, n_in), weights[l] is W_l
    weights = np.sqrt(var) * rng.standard_normal((depth, width, width))
    xs, zs = [x], []
    # A residual ReLU stack may overflow at large depth: that is the result (inf), not an error.
    with np.errstate(over="ignore", invalid="ignore"):
        for w in weights:
            z = x @ w.T  # (N, n)
            x = x + scale * g(z) if residual else g(z)
            xs.append(x)
            zs.append(z)
        dx = rng.standard_normal((batch_size, width)) / np.sqrt(batch_size)
        input_grad = np.empty(depth + 1)
        weight_grad = np.empty(depth)
        input_grad[depth] = np.linalg.norm(dx)
        for l in reversed(range(depth)):
            dz = (scale * dx if residual else dx) * g_prime(zs[l])  # (N, n)
            weight_grad[l] = np.linalg.norm(dz.T @ xs[l])
            dx = (dx if residual else 0.0) + dz @ weights[l]
            input_grad[l] = np.linalg.norm(dx)
    return GradientNorms(input_grad=input_grad, weight_grad=weight_grad)
