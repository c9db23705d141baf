r"""Max and average pooling over NCHW inputs, with their backward passes.

Conventions, stated once
------------------------
* Inputs ``x: (N, C, H, W)``; each channel is pooled on its own.
* ``kernel_size``, ``stride`` and ``padding`` are an int or a pair (height,
  width); ``stride=None`` means ``stride = kernel_size`` (non-overlapping
  windows), as in PyTorch.
* PyTorch's semantics: output size :math:`\lfloor (H + 2P - F)/S \rfloor + 1`
  (floored, ``ceil_mode=False``); ``padding`` at most half the kernel, so that
  no window lies entirely in the padding. Max pooling pads with :math:`-\infty`
  (padding never wins); average pooling pads with zeros and divides by the full
  window size :math:`F_h F_w` (PyTorch's default ``count_include_pad=True``), so
  a border window that overlaps the padding averages the zeros too.
* Ties in max pooling: the gradient goes to the *first* maximum in row-major
  order within the window (as numpy's ``argmax`` and PyTorch's CPU kernel
  choose). Overlapping windows add their gradients.
* float64 by default; float32 input stays float32.

The lectures' letters: Lecture 3 shows pooling on a picture only; the code's
``kernel_size``, ``stride``, ``padding`` are Lecture 4's :math:`F, S, P`.
"""

from __future__ import annotations

import functools

import numpy as np

from ._geometry import AXES, cached_for_plain_sizes, check_dout, float_dtype, nchw, pair, positions

__all__ = [
    "max_pool2d", "max_pool2d_backward", "max_pool2d_reference",
    "avg_pool2d", "avg_pool2d_backward", "avg_pool2d_reference",
]


def _pool_args(x, kernel_size, stride, padding):
    x = nchw(x, "x")
    x = x.astype(float_dtype(x), copy=False)
    return (x, *_geometry(x.shape, kernel_size, stride, padding))


@cached_for_plain_sizes
def _geometry(shape, kernel_size, stride, padding):
    """``(k, s, p, out)`` for an input of ``shape``, checked."""
    k = pair(kernel_size, "kernel_size", minimum=1)
    s = k if stride is None else pair(stride, "stride", minimum=1)
    p = pair(padding, "padding", minimum=0)
    for ki, pi in zip(k, p, strict=True):
        if pi > ki // 2:
            raise ValueError(
                f"padding must be at most half the kernel size (kernel_size // 2 = {ki // 2}), "
                f"got padding={pi} with kernel_size={ki}"
            )
    out = tuple(positions(n, ki, si, 2 * pi, f"{axis} of the ", names="x, kernel_size and padding")
                for n, ki, si, pi, axis in zip(shape[2:], k, s, p, AXES, strict=True))
    return k, s, p, out


def _window_entries(k, s, out):
    """Yield ``(q, index)``: for entry ``(u, v)`` of every window, ``q = u*kw + v`` and the
    strided slice of the padded input that holds it for all windows, (N, C, Ho, Wo).

    Pooling over these ``kh*kw`` strided slices of the padded input is much
    faster than reducing over the last axes of a window view.
    """
    for u in range(k[0]):
        for v in range(k[1]):
            # entry (u, v) of the window at (i, j) is padded pixel (i*sh + u, j*sw + v)
            yield u * k[1] + v, (..., slice(u, u + s[0] * out[0], s[0]),
                                 slice(v, v + s[1] * out[1], s[1]))


def _padded(x, p, fill):
    """``x`` with ``p`` rows/columns of ``fill`` on each side; ``x`` itself when ``p`` is 0."""
    if p == (0, 0):
        return x
    return np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=fill)


def _entries(x, k, s, p, out, fill):
    """Yield ``(q, entry)``: entry ``(u, v)``, ``q = u*kw + v``, of every window, (N, C, Ho, Wo).

    Strided views of the (padded) input: no copy, and no padding at all when ``p`` is 0.
    """
    xp = _padded(x, p, fill)
    for q, index in _window_entries(k, s, out):
        yield q, xp[index]


# The fast kernels. They are the readable versions below (kept as the reference, and
# tested bit-identical to these, ties included) with the temporaries taken out: the
# running maximum and sum are updated in place, the arg-max is one byte per window,
# and when windows do not overlap (stride >= kernel) the backward writes each window's
# gradient into its place instead of adding it onto a zeroed array.

def _arg_dtype(k):
    return np.dtype(np.uint8 if k[0] * k[1] <= 256 else np.intp)


def _max_forward(x, k, s, p, out):
    it = _entries(x, k, s, p, out, -np.inf)
    _, first = next(it)
    second = next(it, None)
    if second is None:
        return first.copy()
    best = np.maximum(first, second[1])
    for _, entry in it:  # the same order as functools.reduce(np.maximum, entries)
        np.maximum(best, entry, out=best)
    return best


def _max_argmax(x, k, s, p, out):
    """Index ``u*kw + v`` of each window's first maximum in row-major order (uint8)."""
    it = _entries(x, k, s, p, out, -np.inf)
    _, first = next(it)
    best = first.copy()
    dtype = _arg_dtype(k)
    arg = np.zeros(best.shape, dtype=dtype)
    greater = np.empty(best.shape, dtype=bool)
    moved = np.empty(best.shape, dtype=dtype)
    # the comparison's bytes as the index type (uint8: a bool is one byte, 0 or 1), so
    # that "q * greater" is a uint8 product, 4x faster than bool * uint8, which casts
    flags = greater.view(np.uint8) if dtype == np.uint8 else greater
    last = k[0] * k[1] - 1
    for q, entry in it:
        entry = np.ascontiguousarray(entry)  # one strided read instead of two
        # strict ">": on a tie the earlier entry keeps the gradient
        np.greater(entry, best, out=greater)
        # q grows along the loop, so "arg = q where greater" is max(arg, q * greater),
        # which is cheaper than a masked copy
        np.multiply(flags, dtype.type(q), out=moved)
        np.maximum(arg, moved, out=arg)
        if q < last:  # the running maximum is needed for the next entries only
            np.maximum(best, entry, out=best)
    return arg


def _disjoint(k, s):
    return s[0] >= k[0] and s[1] >= k[1]


@functools.lru_cache(maxsize=16)
def _window_starts(shape, s, out):
    """Flat index of each window's first entry in a C-contiguous array of ``shape``, (N, C, Ho, Wo).

    Read-only and cached: the models pool the same shapes on every step.
    """
    N, C, Hp, Wp = shape
    rows = np.arange(N * C, dtype=np.intp)[:, None] * (Hp * Wp) + np.arange(out[0]) * (s[0] * Wp)
    starts = (rows[:, :, None] + np.arange(out[1]) * s[1]).reshape(N, C, *out)
    starts.flags.writeable = False
    return starts


def _max_backward(g, x, k, s, p, out):
    """The gradient of max pooling: ``g`` sent to each window's first maximum."""
    N, C, H, W = x.shape
    dxp = np.zeros((N, C, H + 2 * p[0], W + 2 * p[1]), dtype=g.dtype)
    arg = _max_argmax(x, k, s, p, out)
    if _disjoint(k, s):
        # each input pixel is in at most one window: put each window's gradient at its
        # arg-max, one fancy-index write into the flat array (np.put is 2-3x slower).
        # 0.0 + g turns a -0.0 into +0.0, as adding onto zeros does.
        offsets = (np.arange(k[0])[:, None] * dxp.shape[3] + np.arange(k[1])).ravel()
        where = np.take(offsets, arg)
        where += _window_starts(dxp.shape, s, out)
        dxp.reshape(-1)[where] = g + 0.0
    else:
        hit = np.empty(arg.shape, dtype=bool)
        for q, index in _window_entries(k, s, out):
            np.equal(arg, q, out=hit)
            view = dxp[index]
            np.add(view, g, out=view, where=hit)  # adding 0 elsewhere would change nothing
    return dxp if p == (0, 0) else dxp[:, :, p[0]:p[0] + H, p[1]:p[1] + W]


def _avg_forward(x, k, s, p, out):
    it = _entries(x, k, s, p, out, 0.0)
    _, first = next(it)
    total = first + 0.0  # sum() starts from 0: 0 + first
    for _, entry in it:
        np.add(total, entry, out=total)
    total /= k[0] * k[1]
    return total


def _avg_scatter(g, x_shape, k, s, p, out):
    N, C, H, W = x_shape
    share = g / (k[0] * k[1])
    dxp = np.zeros((N, C, H + 2 * p[0], W + 2 * p[1]), dtype=share.dtype)
    if _disjoint(k, s):
        share += 0.0  # as 0.0 + share: no -0.0
        for _, index in _window_entries(k, s, out):
            dxp[index] = share
    else:
        for _, index in _window_entries(k, s, out):
            dxp[index] += share
    return dxp if p == (0, 0) else dxp[:, :, p[0]:p[0] + H, p[1]:p[1] + W]


# The readable versions: what the fast kernels above compute, bit for bit.

def _argmax(x, k, s, p, out):
    """Index ``u*kw + v`` of each window's first maximum in row-major order."""
    best = np.full(x.shape[:2] + out, -np.inf, dtype=x.dtype)
    arg = np.zeros(best.shape, dtype=np.intp)
    for q, entry in _entries(x, k, s, p, out, -np.inf):
        # strict ">": on a tie the earlier entry keeps the gradient
        np.copyto(arg, q, where=entry > best)
        np.maximum(best, entry, out=best)
    return arg


def _scatter(g, x_shape, k, s, p, out, arg=None):
    """Add ``g`` (N, C, Ho, Wo) onto each window entry; return the unpadded input's gradient.

    With ``arg``, entry ``(u, v)`` receives ``g`` only where ``arg == u*kw + v``.
    """
    N, C, H, W = x_shape
    dxp = np.zeros((N, C, H + 2 * p[0], W + 2 * p[1]), dtype=g.dtype)
    for q, index in _window_entries(k, s, out):
        dxp[index] += g if arg is None else np.where(arg == q, g, 0)
    return dxp[:, :, p[0]:p[0] + H, p[1]:p[1] + W]


def _max_pool_readable(x, k, s, p, out):
    return functools.reduce(np.maximum, (entry for _, entry in _entries(x, k, s, p, out, -np.inf)))


def _max_pool_backward_readable(dout, x, k, s, p, out):
    return _scatter(dout, x.shape, k, s, p, out, arg=_argmax(x, k, s, p, out))


def _avg_pool_readable(x, k, s, p, out):
    return sum(entry for _, entry in _entries(x, k, s, p, out, 0.0)) / (k[0] * k[1])


def _avg_pool_backward_readable(dout, x, k, s, p, out):
    return _scatter(dout / (k[0] * k[1]), x.shape, k, s, p, out)


def max_pool2d(x, kernel_size, *, stride=None, padding=0):
    r"""Max pooling: the largest entry of each window.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    kernel_size : int or (int, int)
        :math:`F`, the window size.
    stride : int or (int, int), optional
        :math:`S`; default ``kernel_size``.
    padding : int or (int, int), default 0
        :math:`P`, at most ``kernel_size // 2``; padded with :math:`-\infty`.

    Returns
    -------
    ndarray, shape (N, C, Ho, Wo)
        ``Ho = (H + 2P - F) // S + 1``.

    Notes
    -----
    :math:`y[n, c, i, j] = \max_{u,v} x_p[n, c, iS + u, jS + v]`. The lecture's
    motivation: a little invariance to small shifts, accumulating over several
    poolings, and none to scaling, rotation or colour. What does hold exactly
    is a covariance (the pooled map of the transformed input is the
    transformed pooled map) for: shifts by multiples of :math:`S` (if nothing
    crosses the border); 90° rotations and flips when the windows tile the
    input (:math:`F = S`, :math:`H` and :math:`W` multiples of :math:`S`); and
    increasing pixel-wise maps :math:`\phi` (:math:`\max \phi(x) =
    \phi(\max x)`, e.g. :math:`c\,x` with :math:`c > 0`). Not for other
    rotations, rescaling, or decreasing maps such as :math:`1 - x`.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "What is pooling?".

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> max_pool2d(x, 2)
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """
    x, k, s, p, out = _pool_args(x, kernel_size, stride, padding)
    return _max_forward(x, k, s, p, out)


def max_pool2d_backward(dout, x, kernel_size, *, stride=None, padding=0):
    r"""Gradient of :func:`max_pool2d` with respect to ``x``.

    Parameters
    ----------
    dout : array_like, shape (N, C, Ho, Wo)
    x : array_like, shape (N, C, H, W)
    kernel_size, stride, padding
        As given to :func:`max_pool2d`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)

    Notes
    -----
    Each window passes its gradient to its arg-max and nothing to the rest:
    :math:`\partial y_{ij} / \partial x_{rs} = 1` if :math:`x_{rs}` is the
    window's maximum. Ties go to the first maximum in row-major order within
    the window (the max is not differentiable there; any choice is a valid
    subgradient). Overlapping windows add.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "What is pooling?".

    Examples
    --------
    >>> x = np.array([[[[1.0, 3.0], [2.0, 0.0]]]])
    >>> max_pool2d_backward(np.array([[[[5.0]]]]), x, 2)
    array([[[[0., 5.],
             [0., 0.]]]])
    """
    x, k, s, p, out = _pool_args(x, kernel_size, stride, padding)
    dout = check_dout(dout, x.shape[:2] + out, x.dtype,
                      "max_pool2d(x, kernel_size, stride, padding)")
    return _max_backward(dout, x, k, s, p, out)


def max_pool2d_reference(x, kernel_size, *, stride=None, padding=0):
    r"""Max pooling as plain loops (slow); same parameters and result as :func:`max_pool2d`.

    Examples
    --------
    >>> max_pool2d_reference(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """
    x, k, s, p, out = _pool_args(x, kernel_size, stride, padding)
    N, C, H, W = x.shape
    y = np.empty(x.shape[:2] + out, dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(out[0]):
                for j in range(out[1]):
                    best = -np.inf  # padding positions are -inf: skip them
                    for u in range(k[0]):
                        for v in range(k[1]):
                            r, q = i * s[0] + u - p[0], j * s[1] + v - p[1]
                            if 0 <= r < H and 0 <= q < W:
                                best = max(best, x[n, c, r, q])
                    y[n, c, i, j] = best
    return y


def avg_pool2d(x, kernel_size, *, stride=None, padding=0):
    r"""Average pooling: the mean of each window, padding zeros included.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
    kernel_size : int or (int, int)
    stride : int or (int, int), optional
        Default ``kernel_size``.
    padding : int or (int, int), default 0
        Zeros, at most ``kernel_size // 2``; they count in the average
        (PyTorch's ``count_include_pad=True``).

    Returns
    -------
    ndarray, shape (N, C, Ho, Wo)

    Notes
    -----
    :math:`y[n, c, i, j] = \frac{1}{F_h F_w} \sum_{u,v} x_p[n, c, iS + u, jS + v]`,
    which is also ``conv2d`` with a box filter (:func:`lecturekit.filters.box`)
    applied to each channel at stride :math:`S`.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "What is pooling?".

    Examples
    --------
    >>> avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """
    x, k, s, p, out = _pool_args(x, kernel_size, stride, padding)
    return _avg_forward(x, k, s, p, out)


def avg_pool2d_backward(dout, x, kernel_size, *, stride=None, padding=0):
    r"""Gradient of :func:`avg_pool2d` with respect to ``x``.

    Parameters
    ----------
    dout : array_like, shape (N, C, Ho, Wo)
    x : array_like, shape (N, C, H, W)
    kernel_size, stride, padding
        As given to :func:`avg_pool2d`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)

    Notes
    -----
    Every entry of a window receives :math:`1/(F_h F_w)` of the window's
    gradient; overlapping windows add; the share of the padding is dropped.

    Examples
    --------
    >>> avg_pool2d_backward(np.ones((1, 1, 1, 1)), np.zeros((1, 1, 2, 2)), 2)
    array([[[[0.25, 0.25],
             [0.25, 0.25]]]])
    """
    x, k, s, p, out = _pool_args(x, kernel_size, stride, padding)
    dout = check_dout(dout, x.shape[:2] + out, x.dtype,
                      "avg_pool2d(x, kernel_size, stride, padding)")
    return _avg_scatter(dout, x.shape, k, s, p, out)


def avg_pool2d_reference(x, kernel_size, *, stride=None, padding=0):
    r"""Average pooling as plain loops (slow); same parameters and result as :func:`avg_pool2d`.

    Examples
    --------
    >>> avg_pool2d_reference(np.arange(16.0).reshape(1, 1, 4, 4), 2)
    array([[[[ 2.5,  4.5],
             [10.5, 12.5]]]])
    """
    x, k, s, p, out = _pool_args(x, kernel_size, stride, padding)
    N, C, H, W = x.shape
    y = np.empty(x.shape[:2] + out, dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(out[0]):
                for j in range(out[1]):
                    total = 0.0  # padding positions add 0 but count in the divisor
                    for u in range(k[0]):
                        for v in range(k[1]):
                            r, q = i * s[0] + u - p[0], j * s[1] + v - p[1]
                            if 0 <= r < H and 0 <= q < W:
                                total += x[n, c, r, q]
                    y[n, c, i, j] = total / (k[0] * k[1])
    return y
