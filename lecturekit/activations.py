r"""Activation functions g(z) and their backward passes.

Conventions
-----------
* Every function is elementwise (softmax: along ``axis``) and returns float64.
* ``name_backward(dout, x, ...)`` returns :math:`\partial L / \partial x =
  \text{dout} \odot g'(x)` (softmax: the vector-Jacobian product), given the
  forward's *input* ``x``, as every backward in lecturekit does.
* At the kink of ReLU and leaky ReLU (x = 0) the derivative is taken from the
  right-open side: relu'(0) = 0 and leaky_relu'(0) = negative_slope, as PyTorch
  does.
* The lectures call the activation g (MLP lecture: :math:`a = g(z)`; Lecture 3:
  :math:`a^l = g^l(z^l)`); Lecture 14 calls it "rectify" whether it is a ReLU, a
  sigmoid or tanh. Its σ in the LSTM gates is the sigmoid below, not a
  standard deviation.

References
----------
004_16411a88f2dc5004.txt ("MLP"), Drop Out: :math:`z = Wx + b,\ a = g(z)`.
001_2691e6e736ad0c50.txt (Lecture 3), Weight Initialization: :math:`a^l = g^l(z^l)`.
003_59d733786b3f0eb6.txt (Lecture 14), vanilla RNN: tanh and softmax.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, check_choice, check_real, check_shape
from ._geometry import checked_array

# ---------------------------------------------------------------- kernels
# Unchecked kernels on float64 arrays, shared by the public functions and by
# lecturekit.propagation.signal_propagation, which calls them hundreds of times per
# slider move and must not pay for input checks each time.


def _sigmoid(x):
    # exp(-|x|) <= 1 never overflows; the two branches are the same function.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigmoid_grad(x):
    s = _sigmoid(x)
    return s * (1.0 - s)


def _tanh_grad(x):
    return 1.0 - np.tanh(x) ** 2


def _relu(x):
    return np.maximum(x, 0.0)


def _relu_grad(x):
    return (x > 0).astype(x.dtype)


def _leaky_relu(x, negative_slope):
    return np.where(x >= 0, x, negative_slope * x)


def _leaky_relu_grad(x, negative_slope):
    return np.where(x > 0, 1.0, negative_slope).astype(x.dtype)


# ---------------------------------------------------------------- checks


def _inputs(dout, x):
    x = checked_array(x, "x")
    dout = check_shape(checked_array(dout, "dout"), "dout", x.shape, of="x")
    return dout, x


def _slope(negative_slope):
    return check_real(negative_slope, "negative_slope", low=0)


# ---------------------------------------------------------------- public


def sigmoid(x):
    r"""Logistic sigmoid :math:`\sigma(x) = 1 / (1 + e^{-x})`, stable for any finite x.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, shape of x
        Values in [0, 1]; no overflow warning even for :math:`|x| = 10^4`.

    Notes
    -----
    Computed as :math:`1/(1+e^{-|x|})` for :math:`x \ge 0` and
    :math:`e^{-|x|}/(1+e^{-|x|})` for :math:`x < 0`, so the exponential never
    exceeds 1. The naive :math:`1/(1+e^{-x})` overflows for :math:`x < -709`.

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), Weight Initialization: activations sigmoid, tanh.

    Examples
    --------
    >>> sigmoid([0.0, -1e4]).tolist()
    [0.5, 0.0]
    """
    return _sigmoid(as_array(x, "x"))


def sigmoid_backward(dout, x):
    r"""Gradient through the sigmoid: :math:`\text{dout} \cdot \sigma(x)(1 - \sigma(x))`.

    Parameters
    ----------
    dout : array_like, shape of x
        Upstream gradient :math:`\partial L / \partial \sigma(x)`.
    x : array_like, any shape
        The forward's input.

    Returns
    -------
    dx : ndarray, shape of x
    """
    dout, x = _inputs(dout, x)
    return dout * _sigmoid_grad(x)


def tanh(x):
    r"""Hyperbolic tangent :math:`\tanh x = (e^x - e^{-x}) / (e^x + e^{-x})`.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, shape of x

    Notes
    -----
    Lecture 14 writes the quotient of exponentials; ``np.tanh`` computes the
    same function without overflow (:math:`\tanh(\pm 10^4) = \pm 1`).
    :math:`\tanh x = 2\sigma(2x) - 1`.

    References
    ----------
    003_59d733786b3f0eb6.txt (Lecture 14), vanilla RNN.

    Examples
    --------
    >>> tanh([0.0, 1e4]).tolist()
    [0.0, 1.0]
    """
    return np.tanh(as_array(x, "x"))


def tanh_backward(dout, x):
    r"""Gradient through tanh: :math:`\text{dout} \cdot (1 - \tanh^2 x)`.

    Parameters
    ----------
    dout : array_like, shape of x
    x : array_like, any shape
        The forward's input.

    Returns
    -------
    dx : ndarray, shape of x
    """
    dout, x = _inputs(dout, x)
    return dout * _tanh_grad(x)


def relu(x):
    r"""Rectified linear unit :math:`\max(x, 0)`.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, shape of x

    Examples
    --------
    >>> relu([-2.0, 3.0]).tolist()
    [0.0, 3.0]
    """
    return _relu(checked_array(x, "x"))


def relu_backward(dout, x):
    r"""Gradient through ReLU: :math:`\text{dout} \cdot [x > 0]` (0 at x = 0, as PyTorch).

    Parameters
    ----------
    dout : array_like, shape of x
    x : array_like, any shape
        The forward's input.

    Returns
    -------
    dx : ndarray, shape of x
    """
    dout, x = _inputs(dout, x)
    # dout * _relu_grad(x) in one pass: the mask is cast to 1.0 and 0.0 inside the product
    return np.multiply(dout, x > 0)


def leaky_relu(x, negative_slope=0.01):
    r"""Leaky ReLU: :math:`x` for :math:`x \ge 0`, :math:`\text{negative\_slope} \cdot x` below.

    Parameters
    ----------
    x : array_like, any shape
    negative_slope : float, default 0.01
        The slope for negative inputs (PyTorch's ``negative_slope``; the ``a``
        of :func:`lecturekit.init.kaiming_normal`). Must be >= 0.

    Returns
    -------
    ndarray, shape of x

    Examples
    --------
    >>> leaky_relu([-2.0, 3.0], negative_slope=0.1).tolist()
    [-0.2, 3.0]
    """
    return _leaky_relu(as_array(x, "x"), _slope(negative_slope))


def leaky_relu_backward(dout, x, negative_slope=0.01):
    r"""Gradient through leaky ReLU: ``dout`` where x > 0, ``negative_slope * dout`` elsewhere.

    Parameters
    ----------
    dout : array_like, shape of x
    x : array_like, any shape
        The forward's input.
    negative_slope : float, default 0.01

    Returns
    -------
    dx : ndarray, shape of x
    """
    dout, x = _inputs(dout, x)
    return dout * _leaky_relu_grad(x, _slope(negative_slope))


def _axis(x, axis):
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an integer, got {axis!r}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis must be in [{-x.ndim}, {x.ndim}) for a {x.ndim}-D x, got {axis}")
    return int(axis)


def softmax(x, axis=-1):
    r"""Softmax along ``axis``: :math:`s_k = e^{x_k} / \sum_j e^{x_j}`, stable for huge x.

    Parameters
    ----------
    x : array_like, shape (..., K, ...)
        Logits; ``K`` is the size of ``axis``.
    axis : int, default -1
        The class axis.

    Returns
    -------
    ndarray, shape of x
        Non-negative, summing to 1 along ``axis``.

    Notes
    -----
    Softmax is unchanged by adding a constant to every :math:`x_k`, so we
    subtract :math:`\max_j x_j` first: the largest exponent is then :math:`e^0
    = 1` and nothing overflows (logits of :math:`10^4` are fine).

    References
    ----------
    003_59d733786b3f0eb6.txt (Lecture 14), vanilla RNN: softmax output.

    Examples
    --------
    >>> softmax([1e4, 1e4]).tolist()
    [0.5, 0.5]
    """
    x = as_array(x, "x")
    return _softmax(x, _axis(x, axis))


def _softmax(x, axis):
    # x - max may overflow to -inf when the logits span more than 1.8e308; exp(-inf) = 0
    # is then the right value, so the overflow is not worth a warning.
    with np.errstate(over="ignore"):
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_backward(dout, x, axis=-1):
    r"""Gradient through softmax: :math:`s \odot (\text{dout} - \langle\text{dout}, s\rangle)`.

    Parameters
    ----------
    dout : array_like, shape of x
        Upstream gradient :math:`\partial L / \partial s`.
    x : array_like, any shape
        The forward's input (logits).
    axis : int, default -1

    Returns
    -------
    dx : ndarray, shape of x

    Notes
    -----
    The Jacobian is :math:`\partial s_i / \partial x_j = s_i(\delta_{ij} - s_j)`,
    so :math:`\partial L/\partial x_j = \sum_i \text{dout}_i s_i (\delta_{ij} -
    s_j) = s_j(\text{dout}_j - \sum_i \text{dout}_i s_i)`.
    """
    dout, x = _inputs(dout, x)
    axis = _axis(x, axis)
    s = _softmax(x, axis)
    return s * (dout - np.sum(dout * s, axis=axis, keepdims=True))


# ---------------------------------------------------------------- by name

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu")
"""The names :func:`activation_kernels` (and the signal-propagation explorer) accept."""


def activation_kernels(name, negative_slope=0.01):
    r"""Return ``(g, g_prime)``: an activation and its derivative, by name.

    Parameters
    ----------
    name : {'linear', 'sigmoid', 'tanh', 'relu', 'leaky_relu'}
    negative_slope : float, default 0.01
        Used by ``'leaky_relu'`` only.

    Returns
    -------
    g, g_prime : callable
        Unchecked elementwise functions of a float64 array: :math:`g(z)` and
        :math:`g'(z)`, for loops that call them many times (the checked public
        functions above are for everything else).

    Examples
    --------
    >>> g, g_prime = activation_kernels("tanh")
    >>> float(g_prime(np.array(0.0)))
    1.0
    """
    check_choice(name, "name", ACTIVATIONS)
    if name == "linear":
        return (lambda z: z), (lambda z: np.ones_like(z))
    if name == "sigmoid":
        return _sigmoid, _sigmoid_grad
    if name == "tanh":
        return np.tanh, _tanh_grad
    if name == "relu":
        return _relu, _relu_grad
    slope = _slope(negative_slope)
    return (lambda z: _leaky_relu(z, slope)), (lambda z: _leaky_relu_grad(z, slope))
