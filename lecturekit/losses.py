r"""Loss functions: mean squared error and softmax cross-entropy, with backward passes.

Conventions
-----------
* Both losses are *means*: MSE over every element, cross-entropy over the
  batch. This matches the notes' objective :math:`\frac{1}{N}\sum_i
  \mathcal{L}(y_i, f(x_i, \theta))` (MLP lecture) and PyTorch's default
  ``reduction="mean"``.
* A loss returns a Python float. Its backward takes ``dout``, the scalar
  upstream gradient :math:`\partial(\text{objective})/\partial(\text{loss})`
  (1.0 when the loss *is* the objective), then the forward's inputs, and returns
  the gradient with respect to the prediction (``y_pred``) or the ``logits``
  only; targets and labels are data, not parameters.
* Labels are integer class indices in [0, K), not one-hot vectors.
* A loss or gradient whose value exceeds float64 (about 1.8e308) raises
  ``ValueError`` rather than returning ``inf``; logits that span more than that
  range are otherwise fine (log-sum-exp), without a warning.

References
----------
004_16411a88f2dc5004.txt ("MLP"): the regularised objective, and the 1-D least
squares :math:`F(\omega) = \frac{1}{N}\sum_i (\omega x_i - y_i)^2`.
003_59d733786b3f0eb6.txt (Lecture 14): softmax output of the RNN.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, as_int_array, check_finite, check_real, check_shape


def _dout(dout):
    return check_real(dout, "dout")


def _mse_inputs(y_pred, y):
    y_pred = as_array(y_pred, "y_pred")
    y = as_array(y, "y")
    if y.shape != y_pred.shape:
        raise ValueError(f"y must have the shape of y_pred, {y_pred.shape}, got {y.shape}")
    if y_pred.size == 0:
        raise ValueError("y_pred must not be empty: the mean of no elements is undefined")
    return y_pred, y


def mse_loss(y_pred, y):
    r"""Mean squared error over *all* elements: :math:`\frac{1}{n}\sum_k (\hat y_k - y_k)^2`.

    Parameters
    ----------
    y_pred : array_like, any shape
        Predictions :math:`\hat y`.
    y : array_like, shape of y_pred
        Targets.

    Returns
    -------
    float

    Notes
    -----
    ``n`` is the total number of elements (``y_pred.size``), as PyTorch's
    ``MSELoss(reduction="mean")``. For targets of shape (N, D) this is the
    per-sample sum of squares divided by :math:`N D`, not by :math:`N`: some
    texts (and the least-squares derivations) use :math:`\frac{1}{N}\sum_i
    \|\hat y_i - y_i\|^2`, which is :math:`D` times larger.

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), SGD: :math:`F(\omega) = \frac{1}{N}\sum_i
    (\omega x_i - y_i)^2`.

    Examples
    --------
    >>> mse_loss([1.0, 2.0], [0.0, 0.0])
    2.5
    """
    y_pred, y = _mse_inputs(y_pred, y)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = np.mean((y_pred - y) ** 2)
    return float(check_finite(loss, "the mean squared error", "y_pred - y is too large"))


def mse_loss_backward(dout, y_pred, y):
    r"""Gradient of :func:`mse_loss`: :math:`\text{dout} \cdot 2(\hat y - y)/n`.

    Parameters
    ----------
    dout : float
        Upstream gradient of the loss (1.0 if the loss is the objective).
    y_pred : array_like, any shape
    y : array_like, shape of y_pred

    Returns
    -------
    dy_pred : ndarray, shape of y_pred
    """
    dout = _dout(dout)
    y_pred, y = _mse_inputs(y_pred, y)
    with np.errstate(over="ignore", invalid="ignore"):
        grad = dout * 2.0 * (y_pred - y) / y_pred.size
    return check_finite(grad, "the gradient 2 dout (y_pred - y) / n",
                        "dout or y_pred - y is too large")


def _ce_inputs(logits, labels):
    logits = as_array(logits, "logits", ndim=2)
    n, k = logits.shape
    if n == 0 or k == 0:
        raise ValueError(f"logits must have at least one row and one class, "
                         f"got shape {logits.shape}")
    labels_arr = as_int_array(labels, "labels", what="integer class indices",
                              hint=" (convert one-hot rows with argmax, floats with astype(int))")
    check_shape(labels_arr, "labels", (n,), of="the rows of logits")
    bad = (labels_arr < 0) | (labels_arr >= k)
    if np.any(bad):
        raise ValueError(
            f"labels must be in [0, {k}) for logits with K = {k} classes, "
            f"got {labels_arr[bad][0]} at index {int(np.flatnonzero(bad)[0])}"
        )
    return logits, labels_arr.astype(np.intp)


def _log_softmax(logits):
    # log s_k = x_k - logsumexp(x) with logsumexp(x) = max + log sum exp(x - max): every
    # exponent is <= 0, so logits of 1e4 give finite values.
    with np.errstate(over="ignore"):  # logits spanning more than 1.8e308: -inf, exp(-inf) = 0
        shifted = logits - np.max(logits, axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def softmax_cross_entropy(logits, labels):
    r"""Softmax followed by cross-entropy, averaged over the batch.

    Parameters
    ----------
    logits : array_like, shape (N, K)
        Unnormalised scores :math:`x_{ik}`.
    labels : array_like of int, shape (N,)
        The true class :math:`c_i \in \{0, \dots, K-1\}` of each row.

    Returns
    -------
    float
        :math:`L = -\frac{1}{N}\sum_{i=1}^N \log s_{i c_i}` with
        :math:`s_{ik} = e^{x_{ik}} / \sum_j e^{x_{ij}}`.

    Notes
    -----
    Computed as :math:`\log s_{ik} = x_{ik} - \max_j x_{ij} - \log\sum_j
    e^{x_{ij} - \max_j x_{ij}}` (log-sum-exp), never as ``log(softmax(x))``,
    which gives ``log(0) = -inf`` once a probability underflows. This is
    PyTorch's ``cross_entropy(logits, labels)`` with the default mean.

    References
    ----------
    003_59d733786b3f0eb6.txt (Lecture 14), vanilla RNN: softmax output.

    Examples
    --------
    >>> round(softmax_cross_entropy([[0.0, 0.0]], [1]), 6)  # log 2
    0.693147
    """
    logits, labels = _ce_inputs(logits, labels)
    log_s = _log_softmax(logits)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = -np.mean(log_s[np.arange(len(labels)), labels])
    return float(check_finite(loss, "the cross-entropy", "the spread of logits is too large"))


def softmax_cross_entropy_backward(dout, logits, labels):
    r"""Gradient of :func:`softmax_cross_entropy`: :math:`\text{dout}\,(s - \text{onehot}(c))/N`.

    Parameters
    ----------
    dout : float
        Upstream gradient of the loss (1.0 if the loss is the objective).
    logits : array_like, shape (N, K)
    labels : array_like of int, shape (N,)

    Returns
    -------
    dlogits : ndarray, shape (N, K)
        Each row sums to 0; finite for any finite logits.

    Notes
    -----
    :math:`\partial(-\log s_{ic})/\partial x_{ik} = s_{ik} - [k = c]`, and the
    mean over the batch contributes the factor :math:`1/N`.
    """
    dout = _dout(dout)
    logits, labels = _ce_inputs(logits, labels)
    n = logits.shape[0]
    dlogits = np.exp(_log_softmax(logits))
    dlogits[np.arange(n), labels] -= 1.0
    return dout * dlogits / n
