r"""Batch, layer and instance normalisation: forward, backward, and a stateful BatchNorm.

All three share one core, :func:`normalize`: subtract the mean and divide by
:math:`\sqrt{\sigma^2 + \epsilon}` over some axes, then scale by γ and shift by
β. They differ only in the axes (:func:`norm_axes`) and in the shape of γ, β:

====================  ===============================  ==========================
kind                  averages over (NCHW / NHWC)      γ, β have shape
====================  ===============================  ==========================
batch norm            N, H, W — one μ, σ² per channel  (C,)  [(D,) for (N, D)]
layer norm            C, H, W — one μ, σ² per sample   (C, H, W) [(D,) for (N, D)]
instance norm         H, W — per sample and channel    (C,)
====================  ===============================  ==========================

That is the MLP lecture's table: "Batch Norm: for each C average B×H×W; Layer
Norm: for each B average H×W×C; Instance Norm: for each B, C average H×W".

Conventions
-----------
* Layouts: ``"ND"`` for (N, D) features, ``"NCHW"`` for images (lecturekit's
  default), ``"NHWC"`` for channels-last images (the MLP lecture writes a batch
  as :math:`B \times H \times W \times C`: pass ``layout="NHWC"``). ``layout=None``
  infers only the unambiguous cases: 2-D → ``"ND"``, 4-D → ``"NCHW"``.
* Training uses the *biased* batch variance :math:`\frac{1}{m}\sum (x - \mu)^2`,
  as every lecture writes it; ``m`` is the number of values averaged
  (:math:`N` for (N, D), :math:`N H W` per channel for images).
* ``eps = 1e-5`` inside the square root, as PyTorch.
* Values so far apart that :math:`(x - \mu)^2` overflows float64
  (:math:`|x - \mu| > 10^{154}`) are normalised in a scaled form, by powers of
  two, which is exact: ``batch_norm([[1e200], [-1e200]], [1.], [0.])`` is
  :math:`\pm 1`. Every ordinary input is computed as the formula reads, bit for
  bit. Only a variance itself beyond float64 (:func:`batch_stats`, the running
  variance) raises ``ValueError``.
* Forward functions return ``out`` only; backward functions take the
  forward's inputs, ``name_backward(dout, x, gamma, ...)``, recompute the
  statistics and return ``(dx, dgamma, dbeta)`` in that order.
* Running statistics (:class:`BatchNorm`) follow PyTorch:
  ``running = (1 - momentum) * running + momentum * batch_stat`` with
  ``momentum = 0.1``, and the running *variance* is updated with the unbiased
  batch variance :math:`\frac{m}{m-1}\sigma^2_B` while the normalisation itself
  uses the biased one. Keras/TensorFlow call ``1 - momentum`` the momentum:
  their ``momentum = 0.99`` (or 0.9) *keeps* the old value,
  ``running = 0.9 * running + 0.1 * new`` is PyTorch's ``momentum = 0.1``.

The lectures' letters
---------------------
==========================  =========  =========  ==================  ===============
lecture                     mean       variance   scale               shift
==========================  =========  =========  ==================  ===============
MLP (004), Lecture 3 (001)  m_j, μ_j   σ_j²       γ_j                 δ_j
Lecture 4 (000)             μ          **σ**      (garbled)           γ (garbled)
05/10/23 (002)              μ_k        σ_k²       γ_k                 α_k
Lecture 14 (003)            x̄          σ²         **β**               r
lecturekit                  mu         var        ``gamma``           ``beta``
==========================  =========  =========  ==================  ===============

Lecture 4's σ is already the variance (:math:`\sigma = \frac{1}{m}\sum
\tilde z_i^2`, divided by :math:`\sqrt{\sigma + \epsilon}`); Lecture 14's σ is
the standard deviation. Lecture 14's β is the *scale* (:math:`y_i = \beta \hat
x_i + r`), the opposite of the code's ``beta`` (the shift, as in the BN paper
and PyTorch). Lecture 3 writes :math:`\sigma_{ij}^2` and :math:`\gamma_i,
\delta_i` where the statistics and parameters are per feature j:
:math:`\sigma_j^2`, :math:`y_{ij} = \gamma_j \hat y_{ij} + \delta_j`.

References
----------
004_16411a88f2dc5004.txt ("MLP"), Batch Normalization.
001_2691e6e736ad0c50.txt (Lecture 3), Batch Normalization.
000_778bfa8cbc5d38d6.txt (Lecture 4), 1. Batch normalization.
002_4e19a57a78109995.txt (05/10/23), BN recap and BN in conv layers (conv3-64).
003_59d733786b3f0eb6.txt (Lecture 14), Batch Normalization, layer normalization.
Ioffe & Szegedy, "Batch Normalization", ICML 2015. Ba, Kiros & Hinton, "Layer
Normalization", 2016. Ulyanov, Vedaldi & Lempitsky, "Instance Normalization", 2016.
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from . import _im2col
from ._checks import (
    as_array,
    check_bool,
    check_choice,
    check_finite,
    check_int,
    check_positive,
    check_real,
    check_shape,
)
from ._geometry import checked_array

LAYOUTS = ("ND", "NCHW", "NHWC")
KINDS = ("batch", "layer", "instance")
_NDIM = {"ND": 2, "NCHW": 4, "NHWC": 4}
_CHANNEL_AXIS = {"ND": 1, "NCHW": 1, "NHWC": 3}


# ---------------------------------------------------------------- axes and checks


def norm_axes(kind, layout):
    r"""The axes that batch, layer or instance norm average over, for a layout.

    Parameters
    ----------
    kind : {'batch', 'layer', 'instance'}
    layout : {'ND', 'NCHW', 'NHWC'}

    Returns
    -------
    tuple of int
        Sorted axis numbers of the array that one mean and one variance are
        taken over.

    Notes
    -----
    ==========  ============  ============  ========
    kind        NCHW          NHWC          ND
    ==========  ============  ============  ========
    batch       (0, 2, 3)     (0, 1, 2)     (0,)
    layer       (1, 2, 3)     (1, 2, 3)     (1,)
    instance    (2, 3)        (1, 2)        no such
    ==========  ============  ============  ========

    Instance norm needs spatial axes; asking for it with ``"ND"`` raises.

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), Batch Normalization: "Batch Norm: for
    each C average B×H×W; Layer Norm: for each B average H×W×C; Instance Norm:
    for each B, C average H×W".

    Examples
    --------
    >>> norm_axes("batch", "NHWC")
    (0, 1, 2)
    """
    check_choice(kind, "kind", KINDS)
    check_choice(layout, "layout", LAYOUTS)
    if layout == "ND":
        if kind == "instance":
            raise ValueError(
                "instance norm averages over H and W, so it needs layout 'NCHW' or 'NHWC', "
                "got layout='ND'"
            )
        return (0,) if kind == "batch" else (1,)
    spatial = (2, 3) if layout == "NCHW" else (1, 2)
    return {"batch": (0,) + spatial, "layer": (1, 2, 3), "instance": spatial}[kind]


def _layout(x, layout):
    """Check or infer the layout of ``x`` (an ndarray)."""
    if layout is None:
        if x.ndim == 2:
            return "ND"
        if x.ndim == 4:
            return "NCHW"
        raise ValueError(
            f"x must be 2-D (N, D) or 4-D (N, C, H, W), got a {x.ndim}-D array of shape "
            f"{x.shape} (for channels-last images pass layout='NHWC')"
        )
    check_choice(layout, "layout", LAYOUTS)
    if x.ndim != _NDIM[layout]:
        want = "(N, D)" if layout == "ND" else "(" + ", ".join(layout) + ")"
        raise ValueError(
            f"x must be {_NDIM[layout]}-D {want} for layout={layout!r}, got a {x.ndim}-D array "
            f"of shape {x.shape}"
        )
    return layout


def _eps(eps):
    return check_positive(eps, "eps")


def _param(p, name, x, param_axes, of="the channels of x"):
    """Check that ``p`` has shape ``x.shape[param_axes]``; return it broadcastable to x."""
    p = check_shape(checked_array(p, name), name, tuple(x.shape[a] for a in param_axes), of=of)
    # (1, C, 1, 1) for NCHW per-channel parameters, (1, C, H, W) for layer norm, ...
    return p.reshape([x.shape[a] if a in param_axes else 1 for a in range(x.ndim)])


def _reduce_to_param(g, param_axes):
    """Sum ``g`` over every axis not in ``param_axes`` (the parameter's broadcast axes)."""
    other = tuple(a for a in range(g.ndim) if a not in param_axes)
    return np.sum(g, axis=other).reshape([g.shape[a] for a in param_axes])


def _m(x, axes):
    return math.prod(x.shape[a] for a in axes)


def _require_values(x, axes):
    if _m(x, axes) == 0:
        raise ValueError(f"x must have at least one value along axes {axes} to take a mean over, "
                         f"got shape {x.shape}")


def _dout(dout, x):
    return check_shape(checked_array(dout, "dout"), "dout", x.shape, of="x")


# ---------------------------------------------------------------- the shared core


def _power_of_two(top):
    """The power of two ``2**(e-1) <= top < 2**e`` (0.5 for 0): dividing by it is exact."""
    return np.ldexp(1.0, np.frexp(top)[1] - 1)


def _rescaled(x, axes, ok):
    r"""Mean and centred values of ``x`` over ``axes`` in units that cannot overflow.

    Returns ``mu``, ``z``, ``var_z`` and ``s``, ``q`` with :math:`x - \mu = s q z` and
    :math:`\sigma^2 = s^2 q^2 \operatorname{mean}(z^2)`, where in each slice not ``ok``
    ``s`` and ``q`` are powers of two (1 where ``ok``, so that those slices are
    computed exactly as :func:`_statistics` does): ``s`` near :math:`\max|x|`, so
    that :math:`x/s \le 2` and its mean cannot overflow, ``q`` near the largest
    centred value, so that :math:`|z| < 2` with :math:`\max|z| \ge 1` and
    :math:`z^2` neither overflows nor underflows. Dividing by a power of two is exact.
    """
    s = np.where(ok, 1.0, _power_of_two(np.max(np.abs(x), axis=axes, keepdims=True)))
    y = x / s
    mu_y = np.mean(y, axis=axes, keepdims=True)
    yc = y - mu_y
    q = np.where(ok, 1.0, _power_of_two(np.max(np.abs(yc), axis=axes, keepdims=True)))
    z = yc / q
    return mu_y * s, z, np.mean(z**2, axis=axes, keepdims=True), s, q


def _statistics(x, axes, eps):
    r"""``x_hat`` :math:`= (x - \mu)/\sqrt{\sigma^2 + \epsilon}` over ``axes``, and ``inv_std``.

    Where :math:`(x - \mu)^2` overflows (:math:`|x - \mu| > 10^{154}`), the slice is
    computed in the scaled form of :func:`_rescaled`,
    :math:`\hat x = z/\sqrt{\operatorname{mean}(z^2) + \epsilon/(sq)^2}`, the same
    number; every other slice, and so every ordinary input, bit for bit as before.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        mu = np.mean(x, axis=axes, keepdims=True)
        xc = x - mu
        var = np.mean(xc**2, axis=axes, keepdims=True)  # biased: 1/m, as the notes
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = xc * inv_std
        ok = np.isfinite(var)
    if ok.all():
        return x_hat, inv_std
    _, z, var_z, s, q = _rescaled(x, axes, ok)
    std_z = np.sqrt(var_z + eps / s / s / q / q)  # >= sqrt(1/m) in a rescaled slice
    return np.where(ok, x_hat, z / std_z), np.where(ok, inv_std, 1.0 / std_z / s / q)


def _axes(x, axes):
    if isinstance(axes, numbers.Integral) and not isinstance(axes, bool):
        axes = (axes,)
    if not isinstance(axes, (tuple, list)) or not axes or any(
        isinstance(a, bool) or not isinstance(a, numbers.Integral) for a in axes
    ):
        raise TypeError(f"axes must be an integer or a non-empty tuple of integers, got {axes!r}")
    bad = [a for a in axes if not -x.ndim <= a < x.ndim]
    if bad:
        raise ValueError(f"axes must lie in [{-x.ndim}, {x.ndim}) for a {x.ndim}-D x, "
                         f"got {tuple(axes)}")
    norm = tuple(sorted(int(a) % x.ndim for a in axes))
    if len(set(norm)) != len(norm):
        raise ValueError(f"axes must not repeat an axis, got {tuple(axes)}")
    return norm


def normalize(x, axes, *, eps=1e-5):
    r"""The core of every norm: :math:`\hat x = (x - \mu)/\sqrt{\sigma^2 + \epsilon}` over ``axes``.

    Parameters
    ----------
    x : array_like, any shape
    axes : int or tuple of int
        The axes one mean and one variance are taken over (see :func:`norm_axes`).
    eps : float, default 1e-5
        Added to the variance; must be > 0.

    Returns
    -------
    x_hat : ndarray, shape of x
        Mean 0 over ``axes``; variance :math:`\sigma^2/(\sigma^2 + \epsilon)`, which
        is 1 up to :math:`\epsilon/\sigma^2`. A constant slice gives 0, not NaN.

    Notes
    -----
    :math:`\mu = \frac{1}{m}\sum x`, :math:`\sigma^2 = \frac{1}{m}\sum (x - \mu)^2`
    (biased), where the sums run over the ``m`` entries that share a mean.

    Examples
    --------
    >>> normalize([[1.0], [3.0]], axes=0, eps=1e-12).ravel().round(6).tolist()
    [-1.0, 1.0]
    """
    x = as_array(x, "x")
    axes = _axes(x, axes)
    _require_values(x, axes)
    return _statistics(x, axes, _eps(eps))[0]


def normalize_backward(dout, x, axes, *, eps=1e-5):
    r"""Backward of :func:`normalize` in the compact closed form.

    Parameters
    ----------
    dout : array_like, shape of x
        :math:`\partial L / \partial \hat x`.
    x : array_like, any shape
        The forward's input.
    axes : int or tuple of int
    eps : float, default 1e-5

    Returns
    -------
    dx : ndarray, shape of x

    Notes
    -----
    With :math:`m` values sharing one mean,

    .. math::
        \frac{\partial L}{\partial x} = \frac{1}{m\sqrt{\sigma^2+\epsilon}}
        \Big(m\, \frac{\partial L}{\partial \hat x} - \sum \frac{\partial L}{\partial \hat x}
        - \hat x \sum \frac{\partial L}{\partial \hat x}\hat x\Big),

    the sums running over ``axes``. :func:`batch_norm_backward_graph` derives the
    same gradient one node of the computational graph at a time.
    """
    x = as_array(x, "x")
    dout = _dout(dout, x)
    axes = _axes(x, axes)
    _require_values(x, axes)
    x_hat, inv_std = _statistics(x, axes, _eps(eps))
    return _normalize_backward(dout, x_hat, inv_std, axes, _m(x, axes))


def _normalize_backward(dx_hat, x_hat, inv_std, axes, m):
    return (inv_std / m) * (
        m * dx_hat
        - np.sum(dx_hat, axis=axes, keepdims=True)
        - x_hat * np.sum(dx_hat * x_hat, axis=axes, keepdims=True)
    )


def _forward(x, gamma, beta, axes, param_axes, eps, of="the channels of x"):
    g = _param(gamma, "gamma", x, param_axes, of)
    b = _param(beta, "beta", x, param_axes, of)
    fast = _grouped_forward(x, g, b, axes, param_axes, eps)
    return fast if fast is not None else _forward_readable(x, g, b, axes, eps)


def _forward_readable(x, g, b, axes, eps):
    return g * _statistics(x, axes, eps)[0] + b


def _backward(dout, x, gamma, axes, param_axes, eps, of="the channels of x"):
    g = _param(gamma, "gamma", x, param_axes, of)
    dout = _dout(dout, x)
    fast = _grouped_backward(dout, x, g, axes, param_axes, eps)
    return fast if fast is not None else _backward_readable(dout, x, g, axes, param_axes, eps)


def _backward_readable(dout, x, g, axes, param_axes, eps):
    x_hat, inv_std = _statistics(x, axes, eps)
    dgamma = _reduce_to_param(dout * x_hat, param_axes)
    dbeta = _reduce_to_param(dout, param_axes)
    dx = _normalize_backward(dout * g, x_hat, inv_std, axes, _m(x, axes))
    return dx, dgamma, dbeta


# The fast path of a per-channel norm (batch norm in every layout). The readable code
# above reduces over axes (0, 2, 3) several times; here x is seen as rows (A, P*B), P
# the parameter's axis and B the axes after it (NCHW: (N, C*H*W) with B = H*W; (N, D):
# B = 1; NHWC: (N*H*W, C), B = 1). Every reduction is one product with a vector of ones
# or one einsum, and every elementwise step one ufunc of the rows with a row vector (a
# channel's value repeated B times): a (P, 1) broadcast over (A, P, B) runs the ufunc's
# inner loop once per B values, 20-40 % slower on the notebooks' 8x8 maps. The same
# numbers up to rounding (tests: within 1e-12 of the readable code); a channel whose
# variance overflows takes the readable path, which rescales.
#
# Keeping the forward's statistics for the backward (as torch's autograd does) was tried
# and timed slower: checking that x is unchanged (a copy in the forward, a comparison in
# the backward) costs as much as recomputing the statistics. Fresh memory is expensive:
# on this kind of virtual machine a new 256 KiB array can cost ~200 us of page faults,
# more than all the arithmetic of a 32x16x8x8 batch norm, so the backward's temporary is
# a buffer reused between calls, and only the returned arrays are new.

NORM_KEEP_BYTES = 4 * 2**20
"""The backward's centred copy of x is a per-thread buffer reused between calls when it
takes at most this many bytes; a larger one is allocated for the call only."""


@functools.lru_cache(maxsize=16)
def _ones(n):
    ones = np.ones(n)
    ones.flags.writeable = False
    return ones


def _col_sum(a2, B):
    """Per-channel sums of rows ``a2`` (A, P*B): (P,)."""
    col = np.dot(_ones(a2.shape[0]), a2)
    return np.dot(col.reshape(-1, B), _ones(B)) if B > 1 else col


def _col_dot(a2, b2, B):
    """Per-channel ``sum(a2 * b2)`` of rows (A, P*B), without the temporary: (P,)."""
    if B == 1:
        return np.einsum("ij,ij->j", a2, b2)
    A, Q = a2.shape
    return np.einsum("apb,apb->p", a2.reshape(A, -1, B), b2.reshape(A, -1, B))


def _row_bufsize(Q):
    """The ufunc buffer size (elements) for the row-by-row-vector steps on rows of Q values,
    or None for numpy's default. A ufunc of (A, Q) rows with a (Q,) row vector buffers the
    row vector in chunks of the buffer size (8192 elements by default); chunks spanning
    more than one row are copied, a chunk of exactly one row is not: on (32, 1024) rows
    each step took 15-18 us instead of 21-26 (as long as the same-shape ufunc)."""
    return Q if Q % 16 == 0 and 512 <= Q <= 16384 else None


_ILL_CONDITIONED = 64.0
"""A channel whose mean exceeds this many standard deviations takes numpy's own mean (the
readable code's, bit for bit): there the rounding of the mean, a few ulps of it whichever
way it is summed, is amplified by ``|mu| / sigma`` in every output."""


def _stats(x2, B, xc, x, axes):
    """``(xc, mu, var)`` of rows ``x2`` (the rows of ``x``, whose channel averages over
    ``axes``): ``xc = x - mu``, into ``xc`` if given. Call it with floating-point warnings
    off and check that the variances are finite: x is then finite too (a NaN or an infinity
    makes its channel's variance NaN or infinite)."""
    m = x2.shape[0] * B
    mu = _col_sum(x2, B) / m
    xc = np.subtract(x2, mu.repeat(B) if B > 1 else mu, out=xc)
    var = _col_dot(xc, xc, B) / m  # biased: 1/m, as the notes
    if np.dot(mu, mu) > _ILL_CONDITIONED**2 * np.minimum.reduce(var):
        mu = np.add.reduce(x, axis=axes).reshape(-1) / m  # np.mean's sum, in its order
        np.subtract(x2, mu.repeat(B) if B > 1 else mu, out=xc)
        var = _col_dot(xc, xc, B) / m
    return xc, mu, var


ONE_PASS = 16.0
"""A channel whose squared mean is at most this many times its variance (``|mu| <= 4 sigma``)
has its variance from the sums of x and x² (:func:`_moments`), without forming ``x - mu``:
the sums are a same-shape square and matrix-vector products, faster than subtracting a row
vector and an einsum (at (32, 16, 8, 8), one thread: forward 41 -> 35 µs, backward 78 ->
66 µs). Farther from zero mean, E[x²] − mu² cancels (its rounding grows with
``mu² / sigma²``) and ``x - mu`` is formed (:func:`_stats`). Within the bound, the outputs
and gradients are within a few ulps of the readable code's (4e-15 of their scale on the
notebooks' shape and on (256, 4, 32, 32), means up to 3.9σ)."""


def _moments(x2, B, scratch):
    """``(mu, var)`` of rows ``x2`` (A, P*B) from the sums of x and x² (into ``scratch``, the
    shape of ``x2``), or None unless every channel's ``mu² <= ONE_PASS var`` (None too if a
    value is not finite: NaN compares false). Call it with floating-point warnings off."""
    m = x2.shape[0] * B
    mu = _col_sum(x2, B) / m
    mu2 = mu * mu
    var = _col_sum(np.multiply(x2, x2, out=scratch), B) / m - mu2
    return (mu, var) if (mu2 <= ONE_PASS * var).all() else None


def _rows_forward(x2, B, g, b, eps, x, axes):
    """Batch norm of rows ``x2`` (A, P*B) with ``g``, ``b`` (P,); None unless the variances,
    ``g`` and ``b`` are finite (see :func:`_stats`)."""
    bufsize = _row_bufsize(x2.shape[1])
    old = None if bufsize is None else np.setbufsize(bufsize)
    try:
        with np.errstate(all="ignore"):
            out = np.empty_like(x2)
            moments = _moments(x2, B, out)
            if moments is None:  # out = x - mu, then scaled and shifted in place
                out, mu, var = _stats(x2, B, out, x, axes)
            else:  # out = x scale + (b - mu scale)
                mu, var = moments
            scale = g * (1.0 / np.sqrt(var + eps))
            shift = b if moments is None else b - mu * scale
            if not math.isfinite(np.add.reduce(var + scale + shift)):  # a NaN or inf among them
                return None
        if moments is None:
            out *= scale.repeat(B) if B > 1 else scale
        else:
            np.multiply(x2, scale.repeat(B) if B > 1 else scale, out=out)
        out += shift.repeat(B) if B > 1 else shift
    finally:
        if old is not None:
            np.setbufsize(old)
    return out


def _rows_backward(d2, x2, B, g, eps, x, axes):
    """``(dx, dgamma, dbeta)`` of rows ``d2``, ``x2`` (A, P*B) with ``g`` (P,); None unless
    the variances, ``g`` and the sums of ``d2`` are finite (see :func:`_stats`)."""
    m = x2.shape[0] * B
    bufsize = _row_bufsize(x2.shape[1])
    old = None if bufsize is None else np.setbufsize(bufsize)
    try:
        with np.errstate(all="ignore"):
            dx = np.empty_like(x2)
            moments = _moments(x2, B, dx)
            if moments is None:
                scratch = (_im2col.scratch("norm_xc", x2.shape, x2.dtype)
                           if x2.nbytes <= NORM_KEEP_BYTES else None)
                centred, mu, var = _stats(x2, B, scratch, x, axes)  # x - mu
            else:
                centred, (mu, var) = x2, moments
            inv_std = 1.0 / np.sqrt(var + eps)
            gi = g * inv_std
            dbeta = _col_sum(d2, B)
            if not math.isfinite(np.add.reduce(var + gi + dbeta)):
                return None
        if moments is None:
            dxc = _col_dot(d2, centred, B)  # sum dout * (x - mu)
        else:  # sum dout * x - mu sum dout (within ONE_PASS: a few ulps of the above)
            dxc = _col_sum(np.multiply(d2, x2, out=dx), B) - mu * dbeta
        dgamma = dxc * inv_std
        # dx = g inv/m (m dout - sum dout - x_hat sum dout x_hat), x_hat = (x - mu) inv, as
        # gi (dout - sum dout / m - (x - mu) inv^2 sum(dout (x - mu)) / m): four passes
        # (within ONE_PASS, x in place of x - mu and mu k in the constant)
        k = inv_std * inv_std * (dxc / -m)
        c = dbeta / m if moments is None else dbeta / m + mu * k
        if B > 1:
            gi, k, c = gi.repeat(B), k.repeat(B), c.repeat(B)
        np.multiply(centred, k, out=dx)
        dx += d2
        dx -= c
        dx *= gi
    finally:
        if old is not None:
            np.setbufsize(old)
    return dx, dgamma, dbeta


def _grouped(x, axes, param_axes):
    """``(x2, B)``: ``x`` as rows (A, P*B) with ``param_axes`` the channel, or None."""
    if len(param_axes) != 1 or set(axes) | set(param_axes) != set(range(x.ndim)):
        return None
    p = param_axes[0]
    B = math.prod(x.shape[p + 1:])
    return x.reshape(math.prod(x.shape[:p]), x.shape[p] * B), B


def _grouped_forward(x, g, b, axes, param_axes, eps):
    rows = _grouped(x, axes, param_axes)
    out = None if rows is None else _rows_forward(*rows, g.reshape(-1), b.reshape(-1), eps, x, axes)
    return None if out is None else out.reshape(x.shape)


def _grouped_backward(dout, x, g, axes, param_axes, eps):
    rows = _grouped(x, axes, param_axes)
    if rows is None:
        return None
    x2, B = rows
    grads = _rows_backward(dout.reshape(x2.shape), x2, B, g.reshape(-1), eps, x, axes)
    if grads is None:
        return None
    shape = [x.shape[a] for a in param_axes]
    return grads[0].reshape(x.shape), grads[1].reshape(shape), grads[2].reshape(shape)


# The public batch norm's fast entry, for the models' calls: float64 ndarrays and a float
# eps, every argument valid. It checks them without raising and without a pass of
# np.isfinite over x and dout (their finiteness is read off the statistics, which need
# the pass anyway); anything else, an error included, returns None and takes the checked
# path, which raises its messages in its order.

_BATCH_AXES = {layout: norm_axes("batch", layout) for layout in LAYOUTS}  # for the fast entry


def _rows_of(x, layout):
    """``(x2, B, channel_axis, axes)``: x as rows (A, P*B), or None unless ``x`` is a float64
    ndarray with at least two values per channel and ``layout`` fits its rank."""
    if type(x) is not np.ndarray or x.dtype != np.float64:
        return None
    if layout is None:
        layout = "ND" if x.ndim == 2 else "NCHW" if x.ndim == 4 else None
    elif not isinstance(layout, str) or layout not in _NDIM or x.ndim != _NDIM[layout]:
        return None
    if layout is None or x.size == 0:
        return None
    if layout == "NCHW":
        x2, B = x.reshape(x.shape[0], -1), x.shape[2] * x.shape[3]
    else:
        x2, B = x.reshape(-1, x.shape[-1]), 1
    if x2.shape[0] * B < 2:
        return None
    return x2, B, _CHANNEL_AXIS[layout], _BATCH_AXES[layout]


def _fast_args(x, eps, layout, *vectors):
    rows = _rows_of(x, layout)
    if rows is None or not isinstance(eps, float) or not 0.0 < eps < math.inf:
        return None
    C = x.shape[rows[2]]
    for v in vectors:
        if type(v) is not np.ndarray or v.dtype != np.float64 or v.shape != (C,):
            return None
    return rows


def _batch_norm_fast(x, gamma, beta, eps, layout):
    """:func:`batch_norm` in training mode, or None (the checked path)."""
    rows = _fast_args(x, eps, layout, gamma, beta)
    if rows is None:
        return None
    out = _rows_forward(rows[0], rows[1], gamma, beta, float(eps), x, rows[3])
    return None if out is None else out.reshape(x.shape)


def _batch_norm_backward_fast(dout, x, gamma, eps, layout):
    """:func:`batch_norm_backward` in training mode, or None (the checked path)."""
    rows = _fast_args(x, eps, layout, gamma)
    if rows is None or type(dout) is not np.ndarray or dout.dtype != np.float64 or (
            dout.shape != x.shape):
        return None
    x2, B, _, axes = rows
    grads = _rows_backward(dout.reshape(x2.shape), x2, B, gamma, float(eps), x, axes)
    return None if grads is None else (grads[0].reshape(x.shape), grads[1], grads[2])


# ---------------------------------------------------------------- batch norm


def _batch_setup(x, layout, eps):
    x = checked_array(x, "x")
    layout = _layout(x, layout)
    axes = norm_axes("batch", layout)
    return x, layout, axes, (_CHANNEL_AXIS[layout],), _eps(eps)


def _require_m_above_one(x, axes, layout):
    if _m(x, axes) < 2:
        raise ValueError(
            "Expected more than 1 value per channel when training, got x of shape "
            f"{x.shape} (layout {layout!r}): the batch variance of one value is 0 and its "
            "unbiased estimate m/(m-1) is undefined"
        )


def _running_stats(running_mean, running_var, x, param_axes):
    """The saved statistics of evaluation mode, checked (a variance is >= 0)."""
    mu = _param(running_mean, "running_mean", x, param_axes)
    var = _param(running_var, "running_var", x, param_axes)
    if np.any(var < 0):
        raise ValueError(f"running_var must be >= 0 (a variance), got {float(var.min()):g}")
    return mu, var


def _running(running_mean, running_var):
    if (running_mean is None) != (running_var is None):
        raise TypeError("pass both running_mean and running_var (evaluation mode) or neither "
                        "(training mode, batch statistics)")
    return running_mean is not None


def batch_stats(x, *, layout=None):
    r"""Per-channel batch mean and biased variance: :math:`\mu_k` and :math:`\sigma_k^2`.

    Parameters
    ----------
    x : array_like, shape (N, D), (N, C, H, W) or (N, H, W, C)
    layout : {'ND', 'NCHW', 'NHWC'}, optional
        Inferred from ``x.ndim`` if omitted (2-D → ND, 4-D → NCHW).

    Returns
    -------
    mu : ndarray, shape (C,)
    var : ndarray, shape (C,)
        :math:`\frac{1}{m}\sum (x - \mu_k)^2` with :math:`m = N` or :math:`N H W`.

    Raises
    ------
    ValueError
        If ``x`` has no value per channel, or a variance exceeds float64
        (:math:`\sigma_k > 1.3 \cdot 10^{154}`).

    Notes
    -----
    For images, 05/10/23 writes the channel mean as a sum over the batch and
    both spatial axes, :math:`\mu^k = \frac{1}{N H W}\sum_m\sum_w\sum_h
    J_m^k(w, h)` (garbled there as "1/(max width)"): in the conv3-64 example,
    64 means and 64 variances, each over :math:`N \cdot 224 \cdot 224` values.

    References
    ----------
    002_4e19a57a78109995.txt (05/10/23), BN in conv layer.

    Examples
    --------
    >>> mu, var = batch_stats(np.array([[1.0, 0.0], [3.0, 0.0]]))
    >>> mu.tolist(), var.tolist()
    ([2.0, 0.0], [1.0, 0.0])
    """
    x = as_array(x, "x")
    axes = norm_axes("batch", _layout(x, layout))
    if _m(x, axes) == 0:
        raise ValueError(f"x must have at least one value per channel, got shape {x.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        mu = np.mean(x, axis=axes)
        var = np.mean((x - np.expand_dims(mu, axes)) ** 2, axis=axes)
        ok = np.isfinite(var)
        if not ok.all():  # (x - mu)**2 overflowed: the scaled form, then the variance if it fits
            mu_r, _, var_z, s, q = _rescaled(x, axes, np.expand_dims(ok, axes))
            mu = np.where(ok, mu, mu_r.reshape(mu.shape))
            var = np.where(ok, var, (var_z * s * s * q * q).reshape(var.shape))
    check_finite(var, "the batch variance of x", "the values of x are too far apart")
    return mu, var


def batch_norm(x, gamma, beta, *, eps=1e-5, layout=None, running_mean=None, running_var=None):
    r"""Batch normalisation: per feature/channel, normalise over the batch, then scale and shift.

    Parameters
    ----------
    x : array_like, shape (N, D), (N, C, H, W) or (N, H, W, C)
    gamma : array_like, shape (C,)
        Scale γ (``C = D`` for (N, D)).
    beta : array_like, shape (C,)
        Shift β (the notes' δ, α or r).
    eps : float, default 1e-5
    layout : {'ND', 'NCHW', 'NHWC'}, optional
        Inferred only from 2-D (ND) and 4-D (NCHW) ``x``; pass ``"NHWC"`` for
        channels-last images.
    running_mean, running_var : array_like, shape (C,), optional
        Evaluation mode: normalise with these (saved) statistics instead of the
        batch's. Give both or neither.

    Returns
    -------
    out : ndarray, shape of x

    Notes
    -----
    Training (the MLP lecture's letters, feature j, sample i):

    .. math::
        m_j = \frac{1}{N}\sum_i x_{ij},\quad
        \sigma_j^2 = \frac{1}{N}\sum_i (x_{ij} - m_j)^2,\quad
        z_{ij} = \frac{x_{ij} - m_j}{\sqrt{\sigma_j^2 + \epsilon}},\quad
        \text{out}_{ij} = \gamma_j z_{ij} + \delta_j,

    with the sums over :math:`N \times H \times W` per channel for images.
    Evaluation ("Test: use saved :math:`m_j, \sigma_j`"): the same with the
    running statistics in place of :math:`m_j, \sigma_j^2`. The MLP lecture
    calls the scaled output :math:`\hat x_{ij}`; in lecturekit (and the BN paper)
    :math:`\hat x` is the normalised value before γ and β.

    A batch of one value per channel raises ``ValueError`` in training, as
    PyTorch does: its variance is 0 and every output would be β.

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), Batch Normalization; 002_4e19a57a78109995.txt
    (05/10/23), BN recap and BN in conv layers; Ioffe & Szegedy 2015, Algorithm 1.

    Examples
    --------
    >>> out = batch_norm([[1.0], [3.0]], gamma=[2.0], beta=[5.0], eps=1e-12)
    >>> out.ravel().round(6).tolist()
    [3.0, 7.0]
    """
    if running_mean is None and running_var is None:
        out = _batch_norm_fast(x, gamma, beta, eps, layout)
        if out is not None:
            return out
    x, layout, axes, param_axes, eps = _batch_setup(x, layout, eps)
    if not _running(running_mean, running_var):
        _require_m_above_one(x, axes, layout)
        return _forward(x, gamma, beta, axes, param_axes, eps)
    g = _param(gamma, "gamma", x, param_axes)
    b = _param(beta, "beta", x, param_axes)
    mu, var = _running_stats(running_mean, running_var, x, param_axes)
    return g * (x - mu) / np.sqrt(var + eps) + b


def batch_norm_backward(dout, x, gamma, *, eps=1e-5, layout=None, running_mean=None,
                        running_var=None):
    r"""Backward of :func:`batch_norm` in the compact closed form: ``(dx, dgamma, dbeta)``.

    Parameters
    ----------
    dout : array_like, shape of x
        :math:`\partial L / \partial \text{out}`.
    x : array_like, shape (N, D), (N, C, H, W) or (N, H, W, C)
        The forward's input.
    gamma : array_like, shape (C,)
    eps : float, default 1e-5
    layout : {'ND', 'NCHW', 'NHWC'}, optional
    running_mean, running_var : array_like, shape (C,), optional
        Give them if the forward was in evaluation mode: the statistics are then
        constants and ``dx = dout * gamma / sqrt(running_var + eps)``.

    Returns
    -------
    dx : ndarray, shape of x
    dgamma : ndarray, shape (C,)
        :math:`\sum \text{dout} \cdot \hat x` over N (and H, W).
    dbeta : ndarray, shape (C,)
        :math:`\sum \text{dout}` over N (and H, W).

    Notes
    -----
    Training mode, per channel with :math:`m` values (:math:`m = N` or :math:`NHW`):

    .. math::
        \frac{\partial L}{\partial x_i} = \frac{1}{m}\frac{\gamma}{\sqrt{\sigma^2+\epsilon}}
        \Big(m\,\text{dout}_i - \sum_k \text{dout}_k
        - \hat x_i \sum_k \text{dout}_k \hat x_k\Big).

    The batch statistics depend on every sample, so each :math:`x_i` also
    receives gradient through :math:`\mu` and :math:`\sigma^2`: the two sums.

    References
    ----------
    003_59d733786b3f0eb6.txt (Lecture 14), "back-prop of BN"; Ioffe & Szegedy 2015, §3.
    """
    if running_mean is None and running_var is None:
        grads = _batch_norm_backward_fast(dout, x, gamma, eps, layout)
        if grads is not None:
            return grads
    x, layout, axes, param_axes, eps = _batch_setup(x, layout, eps)
    if not _running(running_mean, running_var):
        _require_m_above_one(x, axes, layout)
        return _backward(dout, x, gamma, axes, param_axes, eps)
    g = _param(gamma, "gamma", x, param_axes)
    dout = _dout(dout, x)
    mu, var = _running_stats(running_mean, running_var, x, param_axes)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv_std
    dx = dout * g * inv_std
    return dx, _reduce_to_param(dout * x_hat, param_axes), _reduce_to_param(dout, param_axes)


def batch_norm_backward_graph(dout, x, gamma, *, eps=1e-5, layout=None):
    r"""Backward of :func:`batch_norm` (training) one computational-graph node at a time.

    Parameters and returns as :func:`batch_norm_backward`; the result is the
    same up to rounding (a test checks it).

    Notes
    -----
    The forward as a graph, and each node's local derivative in reverse: the
    forward column runs top to bottom, the backward column is executed bottom to
    top (from ``dout`` to ``dx``). ``dx`` collects two terms: the direct path
    through ``xc = x - mu`` (``dx = dxc``) and the path through the mean
    (``dx += dmu / m``, the same for every sample).

    ======================================  ============================================
    forward                                 backward
    ======================================  ============================================
    ``mu = mean(x)``                        ``dx += dmu / m``
    ``xc = x - mu``                         ``dx = dxc``; ``dmu = -sum(dxc)``
    ``var = mean(xc ** 2)``                 ``dxc += dvar * 2 * xc / m``
    ``std = sqrt(var + eps)``               ``dvar = dstd / (2 * std)``
    ``inv = 1 / std``                       ``dstd = -dinv / std ** 2``
    ``x_hat = xc * inv``                    ``dxc = dx_hat * inv``; ``dinv = sum(dx_hat * xc)``
    ``y = gamma * x_hat`` (scale)           ``dgamma = sum(dy * x_hat)``; ``dx_hat = dy * gamma``
    ``out = y + beta`` (shift)              ``dbeta = sum(dout)``; ``dy = dout``
    ======================================  ============================================

    References
    ----------
    003_59d733786b3f0eb6.txt (Lecture 14), "back-prop of BN"; the staged
    derivation of Kratzert, "Understanding the backward pass through Batch
    Normalization Layer" (2016).
    """
    x, layout, axes, param_axes, eps = _batch_setup(x, layout, eps)
    _require_m_above_one(x, axes, layout)
    g = _param(gamma, "gamma", x, param_axes)
    dout = _dout(dout, x)
    m = _m(x, axes)

    def graph(x, eps):
        def total(a):
            return np.sum(a, axis=axes, keepdims=True)

        # forward, keeping every intermediate
        mu = total(x) / m
        xc = x - mu
        var = total(xc**2) / m
        std = np.sqrt(var + eps)
        inv = 1.0 / std
        x_hat = xc * inv
        # backward, one local derivative per line
        dbeta = _reduce_to_param(dout, param_axes)            # out = y + beta
        dy = dout
        dgamma = _reduce_to_param(dy * x_hat, param_axes)     # y = gamma * x_hat
        dx_hat = dy * g
        dinv = total(dx_hat * xc)                              # x_hat = xc * inv
        dxc = dx_hat * inv
        dstd = -dinv / std**2                                  # inv = 1 / std
        dvar = dstd / (2.0 * std)                              # std = sqrt(var + eps)
        dxc = dxc + dvar * 2.0 * xc / m                        # var = mean(xc ** 2)
        dmu = -total(dxc)                                      # xc = x - mu
        dx = dxc + dmu / m                                     # mu = mean(x)
        return dx, dgamma, dbeta, var

    with np.errstate(over="ignore", invalid="ignore"):
        dx, dgamma, dbeta, var = graph(x, eps)
        ok = np.isfinite(var)
    if not ok.all():
        # (x - mu)**2 overflowed in some channel: the same graph on x / (s q) there, with eps
        # / (s q)**2, and dx / (s q) (x_hat, so dgamma and dbeta, does not change with the units)
        _, _, _, s_, q = _rescaled(x, axes, ok)
        dx, dgamma, dbeta, _ = graph(x / s_ / q, eps / s_ / s_ / q / q)
        dx = dx / s_ / q
    return dx, dgamma, dbeta


class BatchNorm:
    r"""Batch norm with learnable γ, β and running statistics, in train or eval mode.

    Parameters
    ----------
    num_features : int
        C (or D): the number of channels/features, the length of every vector below.
    eps : float, default 1e-5
    momentum : float, default 0.1
        PyTorch's convention: the weight of the *new* batch statistic,
        ``running = (1 - momentum) * running + momentum * batch_stat``. Keras's
        ``momentum = 0.9`` is this class's ``momentum = 0.1``.
    layout : {'ND', 'NCHW', 'NHWC'}, optional
        Inferred from each input's rank if omitted (2-D → ND, 4-D → NCHW).

    Attributes
    ----------
    gamma, beta : ndarray, shape (C,)
        Scale (init 1) and shift (init 0), learnable.
    running_mean, running_var : ndarray, shape (C,)
        Init 0 and 1. Updated in training mode only, the variance with the
        unbiased batch estimate :math:`\frac{m}{m-1}\sigma_B^2`.
    training : bool
        True after construction and :meth:`train`, False after :meth:`eval`.

    Notes
    -----
    "Train: compute :math:`m_j, \sigma_j` on mini-batch and learn
    :math:`\gamma_j, \delta_j`. Test: use saved :math:`m_j, \sigma_j` for
    trainset" (MLP lecture). The running averages are the "saved" statistics;
    :meth:`forward` in evaluation mode uses them, so its output no longer
    depends on the rest of the batch. Normalisation in training uses the biased
    variance; only the running estimate is unbiased (PyTorch's choice; the BN
    paper uses the unbiased variance for inference as well).

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), Batch Normalization: Train/Test.

    Examples
    --------
    >>> bn = BatchNorm(2)
    >>> out = bn.forward(np.array([[1.0, 2.0], [3.0, 6.0]]))
    >>> bn.running_mean.round(12).tolist()   # 0.9 * 0 + 0.1 * [2, 4]
    [0.2, 0.4]
    >>> bn.running_var.round(12).tolist()    # 0.9 * 1 + 0.1 * unbiased [2, 8]
    [1.1, 1.7]
    """

    def __init__(self, num_features, *, eps=1e-5, momentum=0.1, layout=None):
        self.num_features = check_int(num_features, "num_features", minimum=1)
        self.eps = _eps(eps)
        self.momentum = check_real(momentum, "momentum", low=0, high=1)
        if layout is not None:
            check_choice(layout, "layout", LAYOUTS)
        self.layout = layout
        self.gamma = np.ones(self.num_features)
        self.beta = np.zeros(self.num_features)
        self.running_mean = np.zeros(self.num_features)
        self.running_var = np.ones(self.num_features)
        self.training = True
        self._cache = None  # what backward needs: the last input and the statistics it used

    def train(self, mode=True):
        """Switch to training mode (batch statistics, running averages updated); return self."""
        self.training = check_bool(mode, "mode")
        return self

    def eval(self):
        """Switch to evaluation mode (running statistics, nothing updated); return self."""
        return self.train(False)

    def _check(self, x):
        x = as_array(x, "x")
        layout = _layout(x, self.layout)
        c = x.shape[_CHANNEL_AXIS[layout]]
        if c != self.num_features:
            raise ValueError(
                f"x must have num_features = {self.num_features} channels on axis "
                f"{_CHANNEL_AXIS[layout]} (layout {layout!r}), got {c} (shape {x.shape})"
            )
        return x, layout

    def forward(self, x):
        r"""Normalise ``x`` (shape (N, C), (N, C, H, W) or (N, H, W, C)); return ``out``."""
        x, layout = self._check(x)
        if self.training:
            out = batch_norm(x, self.gamma, self.beta, eps=self.eps, layout=layout)
            mu, var = batch_stats(x, layout=layout)
            m = _m(x, norm_axes("batch", layout))
            with np.errstate(over="ignore"):
                unbiased = var * m / (m - 1)
            check_finite(unbiased, "the unbiased batch variance of x",
                         "the values of x are too far apart")
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mu
            self.running_var = (1 - self.momentum) * self.running_var + self.momentum * unbiased
            self._cache = (x, layout, None, None)
        else:
            stats = (self.running_mean.copy(), self.running_var.copy())
            out = batch_norm(x, self.gamma, self.beta, eps=self.eps, layout=layout,
                             running_mean=stats[0], running_var=stats[1])
            self._cache = (x, layout) + stats
        return out

    __call__ = forward

    def backward(self, dout):
        r"""Gradients of the last :meth:`forward`: ``(dx, dgamma, dbeta)``."""
        if self._cache is None:
            raise RuntimeError("call forward before backward")
        x, layout, mu, var = self._cache
        return batch_norm_backward(dout, x, self.gamma, eps=self.eps, layout=layout,
                                   running_mean=mu, running_var=var)

    def __repr__(self):
        mode = "train" if self.training else "eval"
        return (f"BatchNorm({self.num_features}, eps={self.eps:g}, momentum={self.momentum:g}, "
                f"layout={self.layout!r}, mode={mode!r})")


# ---------------------------------------------------------------- layer and instance norm


def _layer_setup(x, eps, axes):
    x = as_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must be at least 2-D (N, ...) with the batch on axis 0, got a "
                         f"{x.ndim}-D array of shape {x.shape}")
    axes = tuple(range(1, x.ndim)) if axes is None else _axes(x, axes)
    if 0 in axes:
        raise ValueError(f"axes must not include the batch axis 0 (layer norm is per sample), "
                         f"got {axes}")
    _require_values(x, axes)
    return x, axes, _eps(eps)


def layer_norm(x, gamma, beta, *, eps=1e-5, axes=None):
    r"""Layer normalisation: per sample, normalise over all its features, then scale and shift.

    Parameters
    ----------
    x : array_like, shape (N, ...)
        At least 2-D; axis 0 is the batch.
    gamma, beta : array_like, shape ``x.shape[axes]``
        Elementwise scale and shift over the normalised shape: (D,) for (N, D),
        (C, H, W) for NCHW, (H, W, C) for NHWC (as PyTorch's ``LayerNorm``).
    eps : float, default 1e-5
    axes : int or tuple of int, optional
        The axes to normalise over; default all but axis 0. PyTorch's
        ``normalized_shape`` (the trailing axes) is ``axes=(-1,)``, ``(-2, -1)``...

    Returns
    -------
    out : ndarray, shape of x

    Notes
    -----
    :math:`\mu_i = \frac{1}{F}\sum_f x_{if}`, :math:`\sigma_i^2 = \frac{1}{F}\sum_f
    (x_{if} - \mu_i)^2` over the F entries of sample i, then :math:`\gamma_f
    \frac{x_{if} - \mu_i}{\sqrt{\sigma_i^2 + \epsilon}} + \beta_f`. Nothing
    depends on the other samples, so train and test are the same computation
    and a batch of one is fine.

    References
    ----------
    003_59d733786b3f0eb6.txt (Lecture 14): "normalize within the same layer of
    the same example"; 004_16411a88f2dc5004.txt ("MLP"): "Layer Norm: for each B
    average H×W×C"; Ba, Kiros & Hinton 2016.

    Examples
    --------
    >>> layer_norm([[1.0, 3.0]], gamma=[1.0, 1.0], beta=[0.0, 0.0], eps=1e-12).round(6).tolist()
    [[-1.0, 1.0]]
    """
    x, axes, eps = _layer_setup(x, eps, axes)
    return _forward(x, gamma, beta, axes, axes, eps, of=f"x's shape along axes {axes}")


def layer_norm_backward(dout, x, gamma, *, eps=1e-5, axes=None):
    r"""Backward of :func:`layer_norm`: ``(dx, dgamma, dbeta)``.

    Parameters
    ----------
    dout : array_like, shape of x
    x : array_like, shape (N, ...)
        The forward's input.
    gamma : array_like, shape ``x.shape[axes]``
    eps : float, default 1e-5
    axes : int or tuple of int, optional

    Returns
    -------
    dx : ndarray, shape of x
    dgamma, dbeta : ndarray, shape of gamma
        Summed over the batch (and any axes not normalised).

    Notes
    -----
    The batch-norm formula with the roles of the axes exchanged: the sums in
    :math:`\frac{1}{F}\frac{\gamma}{\sigma}(F\,\text{dout} - \sum \text{dout} -
    \hat x \sum \text{dout}\,\hat x)` run over the F features of each sample,
    with γ inside them because it varies per feature.
    """
    x, axes, eps = _layer_setup(x, eps, axes)
    return _backward(dout, x, gamma, axes, axes, eps, of=f"x's shape along axes {axes}")


def _instance_setup(x, layout, eps):
    x = as_array(x, "x")
    if layout is None and x.ndim != 4:
        raise ValueError(f"x must be 4-D (N, C, H, W) or (N, H, W, C), got a {x.ndim}-D array "
                         f"of shape {x.shape}")
    layout = _layout(x, layout)
    axes = norm_axes("instance", layout)
    eps = _eps(eps)
    if _m(x, axes) < 2:
        raise ValueError(f"Expected more than 1 spatial element when training, got input of "
                         f"shape {x.shape} (layout {layout!r})")
    return x, axes, (_CHANNEL_AXIS[layout],), eps


def instance_norm(x, gamma, beta, *, eps=1e-5, layout=None):
    r"""Instance normalisation: per sample and channel, normalise over H×W, then scale and shift.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W) or (N, H, W, C)
    gamma, beta : array_like, shape (C,)
        Per-channel scale and shift (PyTorch's ``InstanceNorm2d(affine=True)``).
    eps : float, default 1e-5
    layout : {'NCHW', 'NHWC'}, optional
        Default ``"NCHW"``.

    Returns
    -------
    out : ndarray, shape of x

    Notes
    -----
    :math:`\mu_{nc} = \frac{1}{HW}\sum_{h,w} x_{nchw}`, :math:`\sigma_{nc}^2 =
    \frac{1}{HW}\sum_{h,w}(x_{nchw} - \mu_{nc})^2`, then :math:`\gamma_c
    \frac{x_{nchw} - \mu_{nc}}{\sqrt{\sigma_{nc}^2 + \epsilon}} + \beta_c`.
    PyTorch keeps no running statistics here by default, nor does lecturekit.

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"): "Instance Norm: for each B, C average
    H×W"; Ulyanov, Vedaldi & Lempitsky 2016.

    Examples
    --------
    >>> x = np.array([1.0, 3.0, 5.0, 7.0]).reshape(1, 1, 2, 2)
    >>> instance_norm(x, [1.0], [0.0]).shape
    (1, 1, 2, 2)
    """
    x, axes, param_axes, eps = _instance_setup(x, layout, eps)
    return _forward(x, gamma, beta, axes, param_axes, eps)


def instance_norm_backward(dout, x, gamma, *, eps=1e-5, layout=None):
    r"""Backward of :func:`instance_norm`: ``(dx, dgamma, dbeta)``.

    Parameters
    ----------
    dout : array_like, shape of x
    x : array_like, shape (N, C, H, W) or (N, H, W, C)
        The forward's input.
    gamma : array_like, shape (C,)
    eps : float, default 1e-5
    layout : {'NCHW', 'NHWC'}, optional

    Returns
    -------
    dx : ndarray, shape of x
    dgamma, dbeta : ndarray, shape (C,)
        Summed over N, H and W.
    """
    x, axes, param_axes, eps = _instance_setup(x, layout, eps)
    return _backward(dout, x, gamma, axes, param_axes, eps)
