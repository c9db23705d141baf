r"""Convolution and cross-correlation: the sums of the notes, the matrix view, the layers.

Conventions, stated once
------------------------
* **True convolution flips the kernel; deep-learning "convolution" does not.**
  :func:`conv1d` and :func:`convolve2d` compute Lecture 4's convolution
  :math:`(X * W)(t) = \sum_a x[a]\, w[t-a]`; :func:`correlate1d`,
  :func:`correlate2d` and the layer :func:`conv2d` compute the cross-correlation
  :math:`\sum_m \sum_n I[i+m, j+n]\, K[m, n]`, which is Lecture 3's
  :math:`Y(i,j) = \sum_{u,v} X(i+u, j+v) K(u,v)` and what PyTorch's ``conv2d`` does.
* Single-channel functions (``conv1d``, ``correlate1d``, ``convolve2d``,
  ``correlate2d``) take ``mode`` = ``"full"``, ``"same"`` or ``"valid"`` as
  numpy/scipy do. The layer functions take NCHW inputs ``x: (N, C, H, W)``,
  weights ``w: (K, C, kh, kw)`` (``conv_transpose2d``: ``(C_in, C_out, kh, kw)``
  as in PyTorch), bias ``b: (K,)``, and ``stride``, ``padding``, ``dilation``
  as an int or a pair (height, width).
* Output size (Lecture 4): :math:`m = (W - F + 2P)/S + 1` with the dilated
  kernel size :math:`F = d(k-1)+1`; floored when the division leaves a remainder,
  as PyTorch does (:func:`conv_output_size` can insist on exactness).
* float64 by default; ``conv2d``, ``conv2d_backward``, ``conv_transpose2d`` and its
  backward keep float32 when every array argument is float32.

Letters of the lectures and names of the code
---------------------------------------------
============================  =================  ======================
lecture                        notes              code
============================  =================  ======================
Lecture 4, 1-D                 X, W, t, a         ``x``, ``w``, index
Lecture 4, 2-D                 I, K, (i, j)       ``I``, ``K``
Lecture 3, the sum             X, K, Y, (u, v)    ``x``, ``w``, ``y``, ``(u, v)``
Lecture 3, as a matrix         y = Kx, k_1..k_4   :func:`conv_matrix`, ``k.ravel()``
Lecture 4, output size         W, F, P, S         ``n``, ``kernel``, ``padding``, ``stride``
============================  =================  ======================

Lecture 3 uses K for both the kernel and the convolution matrix; the code calls
the matrix ``conv_matrix(...)`` and the kernel ``k`` (single channel) or ``w``.

The fast layer code (im2col and one matrix product per chunk of samples) is in
:mod:`lecturekit._im2col`; :func:`conv2d_reference` is the readable loop it is
tested against.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import _im2col
from ._checks import as_array, check_choice, check_int

__all__ = [
    "conv_output_size", "conv_transpose_output_size",
    "conv1d", "correlate1d", "convolve2d", "correlate2d",
    "conv2d", "conv2d_reference", "conv2d_backward",
    "conv_transpose2d", "conv_transpose2d_backward",
    "conv_matrix", "conv_matrix_pattern", "conv_matrix_kernel_grad",
    "lecture4_example_1d", "lecture4_example_2d",
    "lecture3_example_image", "lecture3_example_conv_matrix",
]

MODES = ("full", "same", "valid")
_AXES = ("height", "width")


# --------------------------------------------------------------------------- sizes

def _pair(value, name, *, minimum):
    """An int or a pair of ints, as the pair ``(height, width)``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (height, width), got {value!r}")
        return tuple(check_int(v, name, minimum=minimum) for v in value)
    v = check_int(value, name, minimum=minimum)
    return v, v


def _positions(n, eff, stride, pad_total, what, *, exact=False):
    """Number of window positions along one axis; the checks behind conv_output_size."""
    span = n + pad_total - eff
    if span < 0:
        raise ValueError(
            f"the {what}kernel (dilated size d*(F-1)+1 = {eff}) is larger than the padded "
            f"input ({n} + padding {pad_total} = {n + pad_total})"
        )
    if exact and span % stride:
        raise ValueError(
            f"(W - F + 2P)/S = ({n} - {eff} + {pad_total})/{stride} = {span}/{stride} is not "
            f"an integer: the last {span % stride} row(s) of the padded input are never used "
            f"(PyTorch floors to {span // stride + 1})"
        )
    return span // stride + 1


def conv_output_size(n, kernel, *, stride=1, padding=0, dilation=1, exact=False):
    r"""Output size of a convolution along one axis: :math:`(W - F + 2P)/S + 1`.

    Parameters
    ----------
    n : int
        Input size :math:`W` (or :math:`h`) along the axis.
    kernel : int
        Kernel size :math:`F` along the axis (before dilation).
    stride : int, default 1
        :math:`S`.
    padding : int, default 0
        :math:`P`, zeros added on *each* side.
    dilation : int, default 1
        :math:`d`; the kernel then spans :math:`d(F-1)+1` input positions.
    exact : bool, default False
        If True, raise ``ValueError`` when :math:`S` does not divide
        :math:`W - F + 2P` instead of flooring.

    Returns
    -------
    int
        :math:`\lfloor (W - d(F-1) - 1 + 2P)/S \rfloor + 1`.

    Notes
    -----
    Lecture 4 writes :math:`m = (W - F + 2P)/S + 1` for a :math:`W \times h`
    image and an :math:`F \times F` filter, which assumes the division is exact.
    With dilation :math:`F` becomes :math:`d(F-1)+1`. When the division leaves a
    remainder, the last rows of the padded input are simply never covered and
    PyTorch (like this function) floors; ``exact=True`` reports it instead.

    References
    ----------
    000_778bfa8cbc5d38d6.txt (Lecture 4), "size of output after conv";
    001_2691e6e736ad0c50.txt (Lecture 3), "Different types of convolution".
    V. Dumoulin and F. Visin, "A guide to convolution arithmetic for deep
    learning", arXiv:1603.07285 (2016).

    Examples
    --------
    >>> conv_output_size(32, 5)                      # LeNet's first layer
    28
    >>> conv_output_size(7, 3, stride=2, padding=1)
    4
    >>> conv_output_size(6, 3, stride=2)             # (6 - 3)/2 + 1 = 2.5 -> 2
    2
    """
    n = check_int(n, "n", minimum=1)
    kernel = check_int(kernel, "kernel", minimum=1)
    stride = check_int(stride, "stride", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    dilation = check_int(dilation, "dilation", minimum=1)
    return _positions(n, dilation * (kernel - 1) + 1, stride, 2 * padding, "", exact=exact)


def conv_transpose_output_size(n, kernel, *, stride=1, padding=0, output_padding=0, dilation=1):
    r"""Output size of a transposed convolution: :math:`(n-1)s - 2p + d(k-1) + o + 1`.

    Parameters
    ----------
    n : int
        Input size along the axis.
    kernel, stride, padding, dilation : int
        As for the convolution whose adjoint this is.
    output_padding : int, default 0
        :math:`o`, added at the bottom/right; must be smaller than the stride or
        the dilation (PyTorch's rule), because a convolution with stride
        :math:`s` maps :math:`s` different input sizes to the same output size
        and ``output_padding`` picks one of them.

    Returns
    -------
    int

    Notes
    -----
    A transposed convolution is the gradient of a convolution with respect to
    its input (Lecture 3's :math:`\nabla_x L = K^T \nabla_y L`), so its output
    size is an input size of that convolution:
    ``conv_output_size(conv_transpose_output_size(n, ...), ...) == n``.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "Transposed convolution stride = 2";
    PyTorch ``torch.nn.ConvTranspose2d`` (output size formula).

    Examples
    --------
    >>> conv_transpose_output_size(4, 3, stride=2)
    9
    >>> conv_transpose_output_size(4, 3, stride=2, padding=1, output_padding=1)
    8
    """
    n = check_int(n, "n", minimum=1)
    kernel = check_int(kernel, "kernel", minimum=1)
    stride = check_int(stride, "stride", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    output_padding = check_int(output_padding, "output_padding", minimum=0)
    dilation = check_int(dilation, "dilation", minimum=1)
    if output_padding >= max(stride, dilation):
        raise ValueError(
            f"output_padding must be smaller than stride ({stride}) or dilation ({dilation}), "
            f"got {output_padding}"
        )
    size = (n - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    if size < 1:
        raise ValueError(
            f"the transposed convolution's output size (n-1)*s - 2p + d*(k-1) + o + 1 = "
            f"({n}-1)*{stride} - 2*{padding} + {dilation}*({kernel}-1) + {output_padding} + 1 "
            f"= {size} is not positive: padding {padding} is too large"
        )
    return size


# ----------------------------------------------------------- single-channel sums

def _correlate_padded(x, k, before, after):
    """Valid cross-correlation of ``x`` zero-padded by ``before``/``after`` on each axis."""
    xp = np.pad(x, list(zip(before, after, strict=True)))
    # every window of xp, shape x'.shape - k.shape + 1 followed by k.shape; contract with k
    return np.tensordot(sliding_window_view(xp, k.shape), k, axes=k.ndim)


def _single(x, w, mode, ndim, xname, wname, same_before):
    """Check a single-channel call and return the padding for ``mode``."""
    x = as_array(x, xname, ndim=ndim)
    w = as_array(w, wname, ndim=ndim)
    check_choice(mode, "mode", MODES)
    for arr, name in ((x, xname), (w, wname)):
        if arr.size == 0:
            raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if mode == "valid" and any(m > n for m, n in zip(w.shape, x.shape, strict=True)):
        raise ValueError(
            f"mode='valid' needs the kernel to fit inside the input: {wname} has shape "
            f"{w.shape}, {xname} has shape {x.shape}"
        )
    m = w.shape
    if mode == "full":
        before = after = tuple(k - 1 for k in m)
    elif mode == "valid":
        before = after = (0,) * ndim
    else:
        before = tuple(same_before(k) for k in m)
        after = tuple(k - 1 - b for k, b in zip(m, before, strict=True))
    return x, w, before, after


def conv1d(x, w, mode="full"):
    r"""True 1-D convolution :math:`(X * W)(t) = \sum_a x[a]\, w[t - a]`.

    Parameters
    ----------
    x : array_like, shape (N,)
        The signal :math:`X`.
    w : array_like, shape (M,)
        The kernel :math:`W`.
    mode : {"full", "same", "valid"}, default "full"
        ``"full"``: every :math:`t` with an overlap, length :math:`N+M-1`;
        ``"valid"``: only full overlaps, length :math:`N-M+1` (needs :math:`M \le N`);
        ``"same"``: length :math:`N`, the centre of ``"full"``.

    Returns
    -------
    ndarray, shape (N+M-1,), (N,) or (N-M+1,)

    Notes
    -----
    Lecture 4: :math:`(X * W)(t) = \sum_{a=-\infty}^{\infty} x[a]\, w[t-a]`, with
    :math:`x` and :math:`w` zero outside their support. Equal to
    ``numpy.convolve(x, w, mode)`` and ``scipy.signal.convolve(x, w, mode)``,
    except that ``"same"`` always has the length of ``x`` (as in scipy; numpy
    returns ``max(N, M)``) and ``"valid"`` raises when :math:`M > N`.

    ``"same"`` keeps ``full[(M-1)//2 : (M-1)//2 + N]``: for an even kernel the
    extra output of ``"full"`` is dropped at the end, so
    :math:`y[i] = \sum_j x[i + (M-1)//2 - j]\, w[j]`.

    References
    ----------
    000_778bfa8cbc5d38d6.txt (Lecture 4), "one-D convolution".

    Examples
    --------
    >>> conv1d([1, 2, 3, 2, 1], [-1, 0, 1], mode="valid")
    array([-2.,  0.,  2.])
    """
    x, w, before, after = _single(x, w, mode, 1, "x", "w", lambda m: m // 2)
    return _correlate_padded(x, w[::-1], before, after)


def correlate1d(x, w, mode="full"):
    r"""1-D cross-correlation :math:`\sum_j x[t + j]\, w[j]` (no flip).

    Parameters
    ----------
    x : array_like, shape (N,)
    w : array_like, shape (M,)
    mode : {"full", "same", "valid"}, default "full"
        As in :func:`conv1d`.

    Returns
    -------
    ndarray, shape (N+M-1,), (N,) or (N-M+1,)

    Notes
    -----
    ``"valid"``: :math:`z_i = \sum_{j=1}^{M} x_{i+j} w_j`, Lecture 4's
    "convolution as a dot product" :math:`(X_{i+1} \dots X_{i+m})\,(w_1 \dots
    w_m)^T = z_i`, whose gradient is :math:`\partial z_i / \partial w_j = X_{i+j}`.
    Equal to ``numpy.correlate(x, w, mode)`` and ``scipy.signal.correlate``.
    Convolution is correlation with the reversed kernel:
    ``conv1d(x, w) == correlate1d(x, w[::-1])``.

    Alignment of ``"same"`` for an even kernel: numpy and ``scipy.signal.correlate``
    keep ``full[(M-1)//2 : (M-1)//2 + N]``, i.e.
    :math:`y[i] = \sum_j x[i + j - M//2]\, w[j]`; this function does the same.
    ``scipy.signal.correlate2d``, PyTorch's ``padding="same"`` and
    :func:`correlate2d` instead use :math:`x[i + j - (M-1)//2]`, one step to the
    other side. For odd :math:`M` they all agree.

    References
    ----------
    000_778bfa8cbc5d38d6.txt (Lecture 4), "cross-correlation" and
    "convolution as a dot product".

    Examples
    --------
    >>> correlate1d([1, 2, 3, 2, 1], [1, 0, -1], mode="valid")
    array([-2.,  0.,  2.])
    """
    x, w, before, after = _single(x, w, mode, 1, "x", "w", lambda m: m // 2)
    return _correlate_padded(x, w, before, after)


def convolve2d(I, K, mode="full"):
    r"""True 2-D convolution :math:`(I * K)(i, j) = \sum_m \sum_n I[m, n]\, K[i-m, j-n]`.

    Parameters
    ----------
    I : array_like, shape (H, W)
        The image.
    K : array_like, shape (kh, kw)
        The kernel.
    mode : {"full", "same", "valid"}, default "full"
        Output shape ``(H+kh-1, W+kw-1)``, ``(H, W)`` or ``(H-kh+1, W-kw+1)``.

    Returns
    -------
    ndarray

    Notes
    -----
    Lecture 4 writes both forms,
    :math:`\sum_m \sum_n I[m,n] K[i-m, j-n] = \sum_m \sum_n I[i-m, j-n] K[m,n]`;
    the second shows that convolution is commutative, :math:`I * K = K * I`
    (exactly so in ``"full"`` mode). Equal to ``scipy.signal.convolve2d(I, K,
    mode)`` with zero boundary; ``"same"`` keeps ``full[(kh-1)//2 :, (kw-1)//2 :]``
    cut to ``(H, W)``, as scipy does.

    References
    ----------
    000_778bfa8cbc5d38d6.txt (Lecture 4), "Two-D conv".

    Examples
    --------
    >>> convolve2d([[1, 2], [3, 4]], [[0, 1], [1, 0]])
    array([[0., 1., 2.],
           [1., 5., 4.],
           [3., 4., 0.]])
    """
    I, K, before, after = _single(I, K, mode, 2, "I", "K", lambda m: m // 2)
    return _correlate_padded(I, K[::-1, ::-1], before, after)


def correlate2d(I, K, mode="full"):
    r"""2-D cross-correlation :math:`\sum_m \sum_n I[i+m, j+n]\, K[m, n]` (no flip).

    Parameters
    ----------
    I : array_like, shape (H, W)
    K : array_like, shape (kh, kw)
    mode : {"full", "same", "valid"}, default "full"
        As in :func:`convolve2d`.

    Returns
    -------
    ndarray

    Notes
    -----
    Lecture 4's cross-correlation and Lecture 3's
    :math:`Y(i,j) = \sum_{u,v} X(i+u, j+v) K(u,v)` (``"valid"``). Equal to
    ``scipy.signal.correlate2d(I, K, mode)``; ``"same"`` pads
    ``(kh-1)//2`` rows on top and ``kh//2`` at the bottom (likewise for columns),
    like scipy's ``correlate2d`` and PyTorch's ``padding="same"`` — but *not*
    like ``scipy.signal.correlate`` or :func:`correlate1d` for even kernels (see
    there).

    References
    ----------
    000_778bfa8cbc5d38d6.txt (Lecture 4), "cross-correlation";
    001_2691e6e736ad0c50.txt (Lecture 3), "Convolution".

    Examples
    --------
    >>> correlate2d([[1, 2, 3], [4, 5, 6]], [[1, 0], [0, 1]], mode="valid")
    array([[6., 8.]])
    """
    I, K, before, after = _single(I, K, mode, 2, "I", "K", lambda m: (m - 1) // 2)
    return _correlate_padded(I, K, before, after)


# ------------------------------------------------------------------ layer checks

def _float_dtype(*arrays):
    """float32 when every given array is float32, else float64."""
    dtypes = {a.dtype for a in arrays if a is not None}
    return np.dtype(np.float32) if dtypes == {np.dtype(np.float32)} else np.dtype(np.float64)


def _nchw(x, name, layout="(N, C, H, W)"):
    x = as_array(x, name, dtype=None)
    if x.ndim != 4:
        raise ValueError(f"{name} must be 4-D {layout}, got a {x.ndim}-D array of shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    return x


def _bias(b, n_out, what):
    if b is None:
        return None
    b = as_array(b, "b", dtype=None)
    if b.shape != (n_out,):
        raise ValueError(f"b must have shape ({n_out},), one per {what}, got {b.shape}")
    return b


def _geometry(in_hw, kernel, stride, padding, dilation):
    """Resolve stride/padding/dilation for a correlation of ``in_hw`` with ``kernel``."""
    stride = _pair(stride, "stride", minimum=1)
    dilation = _pair(dilation, "dilation", minimum=1)
    eff = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel, strict=True))
    if isinstance(padding, str):
        check_choice(padding, "padding", ("same", "valid"))
        if padding == "same" and stride != (1, 1):
            raise ValueError(f"padding='same' needs stride 1 (as in PyTorch), got stride={stride}")
        # 'same': total e-1 zeros, the odd one at the bottom/right (as PyTorch does)
        pad = tuple(((e - 1) // 2, e - 1 - (e - 1) // 2) if padding == "same" else (0, 0)
                    for e in eff)
    else:
        p = _pair(padding, "padding", minimum=0)
        pad = ((p[0], p[0]), (p[1], p[1]))
    out = tuple(
        _positions(n, e, s, lo + hi, f"{axis} of the ")
        for n, e, s, (lo, hi), axis in zip(in_hw, eff, stride, pad, _AXES, strict=True)
    )
    return _im2col.Geometry(tuple(kernel), stride, dilation, pad, tuple(in_hw), out)


def _conv2d_args(x, w, b, stride, padding, dilation):
    x = _nchw(x, "x")
    w = _nchw(w, "w", "(K, C, kh, kw)")
    if w.shape[1] != x.shape[1]:
        raise ValueError(
            f"w must have shape (K, {x.shape[1]}, kh, kw) to match x's C = {x.shape[1]} "
            f"channels, got {w.shape}"
        )
    b = _bias(b, w.shape[0], "filter (w.shape[0])")
    geom = _geometry(x.shape[2:], w.shape[2:], stride, padding, dilation)
    dtype = _float_dtype(x, w, b)
    b = None if b is None else b.astype(dtype, copy=False)
    return x.astype(dtype, copy=False), w.astype(dtype, copy=False), b, geom


def _check_dout(dout, expected, dtype):
    dout = as_array(dout, "dout", dtype=None)
    if dout.shape != expected:
        raise ValueError(f"dout must have the output's shape {expected}, got {dout.shape}")
    return dout.astype(np.result_type(dout.dtype, dtype), copy=False)


# --------------------------------------------------------------------- conv2d

def conv2d(x, w, b=None, *, stride=1, padding=0, dilation=1):
    r"""2-D convolution layer (cross-correlation), fast: im2col and one matrix product.

    Parameters
    ----------
    x : array_like, shape (N, C, H, W)
        Input images.
    w : array_like, shape (K, C, kh, kw)
        K filters.
    b : array_like, shape (K,), optional
        One bias per filter.
    stride : int or (int, int), default 1
    padding : int or (int, int) or {"same", "valid"}, default 0
        Zeros added on each side. ``"same"`` (stride 1 only, as in PyTorch)
        keeps ``(H, W)``: it pads :math:`e-1` in total, :math:`\lfloor (e-1)/2
        \rfloor` on top/left and the rest on the bottom/right, where :math:`e =
        d(k-1)+1`.
    dilation : int or (int, int), default 1

    Returns
    -------
    y : ndarray, shape (N, K, Ho, Wo)
        With ``Ho = conv_output_size(H, kh, stride=.., padding=.., dilation=..)``.
        float32 if ``x``, ``w`` (and ``b``) are float32, else float64.

    Notes
    -----
    Lecture 3's sum, with channels (the "convolution for 3D tensor"), stride
    :math:`s` and dilation :math:`d`:

    .. math::
        y[n, k, i, j] = b_k + \sum_{c}\sum_{u,v} x_p[n, c, i s + u d, j s + v d]\, w[k, c, u, v],

    where :math:`x_p` is ``x`` with the padding. It is a cross-correlation (no
    kernel flip), as in PyTorch and TensorFlow; the flipped version is
    :func:`convolve2d`. The windows are copied into an im2col matrix of shape
    ``(C*kh*kw, N*Ho*Wo)`` (in chunks of samples) so that the sum is one matrix
    product ``w.reshape(K, -1) @ cols`` per chunk, the bias riding along as one
    more column of weights against a row of ones. With few filters two output
    rows share an im2col column, which makes the product larger and faster; see
    :mod:`lecturekit._im2col`. :func:`conv2d_reference` is the same sum as loops;
    they agree to 1e-12.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "Convolution", "Convolution for 3D
    tensor", "Different types of convolution"; 000_778bfa8cbc5d38d6.txt
    (Lecture 4), "padding", "stride". K. Chellapilla, S. Puri and P. Simard,
    "High performance convolutional neural networks for document processing"
    (2006) for im2col.

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> w = np.ones((1, 1, 2, 2))
    >>> conv2d(x, w, stride=2)
    array([[[[10., 18.],
             [42., 50.]]]])
    """
    x, w, b, geom = _conv2d_args(x, w, b, stride, padding, dilation)
    return _im2col.forward(x, w, geom, b)


def conv2d_reference(x, w, b=None, *, stride=1, padding=0, dilation=1):
    r"""The sum :math:`Y(i,j) = \sum_{u,v} X(i+u, j+v) K(u,v)` as plain loops (slow).

    Same parameters and result as :func:`conv2d` (always float64). Written to be
    read next to Lecture 3: one loop per index of the sum, the channel sum as a
    dot product.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "Convolution".

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d_reference(x, np.ones((1, 1, 2, 2)), stride=2)
    array([[[[10., 18.],
             [42., 50.]]]])
    """
    x, w, b, geom = _conv2d_args(x, w, b, stride, padding, dilation)
    x, w = x.astype(np.float64), w.astype(np.float64)
    N, C = x.shape[:2]
    K, _, kh, kw = w.shape
    (sh, sw), (dh, dw) = geom.stride, geom.dilation
    (pt, pb), (pl, pr) = geom.pad
    Ho, Wo = geom.out_hw
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    y = np.zeros((N, K, Ho, Wo))
    for n in range(N):
        for k in range(K):
            for i in range(Ho):
                for j in range(Wo):
                    total = 0.0 if b is None else float(b[k])
                    for u in range(kh):
                        for v in range(kw):
                            # X(i+u, j+v) K(u, v), summed over the C channels
                            total += xp[n, :, i * sh + u * dh, j * sw + v * dw] @ w[k, :, u, v]
                    y[n, k, i, j] = total
    return y


def conv2d_backward(dout, x, w, *, stride=1, padding=0, dilation=1):
    r"""Gradients of :func:`conv2d`: returns ``(dx, dw, db)``.

    Parameters
    ----------
    dout : array_like, shape (N, K, Ho, Wo)
        :math:`\nabla_y L`, the upstream gradient.
    x : array_like, shape (N, C, H, W)
    w : array_like, shape (K, C, kh, kw)
    stride, padding, dilation
        As given to :func:`conv2d`.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dw : ndarray, shape (K, C, kh, kw)
    db : ndarray, shape (K,)

    Notes
    -----
    Lecture 3 writes the layer as :math:`y = Kx` with the convolution matrix
    :math:`K` (:func:`conv_matrix`) and derives

    .. math::
        \nabla_x L = K^T \nabla_y L, \qquad
        \nabla_K L = \nabla_y L\, x^T, \qquad
        \nabla_k L = X \times \nabla_y L,

    the last one summing :math:`\nabla_K L` over the places where each kernel
    entry sits (:func:`conv_matrix_kernel_grad`). Without forming :math:`K`:
    ``dw`` is the cross-correlation of the input with ``dout`` (the notes'
    :math:`X \times \nabla_y L`), and ``dx`` is the full convolution of ``dout``
    with the kernel (the notes' zero-padded :math:`\nabla_y L` times the
    flipped kernel :math:`\begin{pmatrix} k_4 & k_3 \\ k_2 & k_1 \end{pmatrix}`),
    here computed by scattering ``w.T @ dout`` back onto the windows.
    ``db = dout.sum(axis=(0, 2, 3))``.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "y = Kx" and the gradients after it;
    000_778bfa8cbc5d38d6.txt (Lecture 4), :math:`\partial z_i/\partial w_j = X_{i+j}`.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 1, 3, 3)
    >>> dx, dw, db = conv2d_backward(np.ones((1, 1, 2, 2)), x, np.ones((1, 1, 2, 2)))
    >>> dx[0, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    x, w, _, geom = _conv2d_args(x, w, None, stride, padding, dilation)
    dout = _check_dout(dout, (x.shape[0], w.shape[0]) + geom.out_hw, x.dtype)
    dx = _im2col.grad_input(dout, w, geom)
    dw = _im2col.grad_weight(dout, x, geom)
    return dx, dw, dout.sum(axis=(0, 2, 3))


# ------------------------------------------------------------ transposed conv

def _conv_transpose_args(x, w, b, stride, padding, output_padding, dilation):
    x = _nchw(x, "x")
    w = _nchw(w, "w", "(C_in, C_out, kh, kw)")
    if w.shape[0] != x.shape[1]:
        raise ValueError(
            f"w must have shape ({x.shape[1]}, C_out, kh, kw) to match x's C_in = "
            f"{x.shape[1]} channels, got {w.shape}"
        )
    b = _bias(b, w.shape[1], "output channel (w.shape[1])")
    if isinstance(padding, str):
        raise TypeError(f"padding must be an int or a pair of ints, got {padding!r}")
    s = _pair(stride, "stride", minimum=1)
    p = _pair(padding, "padding", minimum=0)
    o = _pair(output_padding, "output_padding", minimum=0)
    d = _pair(dilation, "dilation", minimum=1)
    out = tuple(
        conv_transpose_output_size(n, k, stride=si, padding=pi, output_padding=oi, dilation=di)
        for n, k, si, pi, oi, di in zip(x.shape[2:], w.shape[2:], s, p, o, d, strict=True)
    )
    # The conv2d whose input gradient this is: input `out`, window positions x's (H, W).
    geom = _im2col.Geometry(tuple(w.shape[2:]), s, d, ((p[0], p[0]), (p[1], p[1])), out,
                            tuple(x.shape[2:]))
    dtype = _float_dtype(x, w, b)
    b = None if b is None else b.astype(dtype, copy=False)
    return x.astype(dtype, copy=False), w.astype(dtype, copy=False), b, geom


def conv_transpose2d(x, w, b=None, *, stride=1, padding=0, output_padding=0, dilation=1):
    r"""Transposed convolution: the adjoint of :func:`conv2d`, PyTorch's ``conv_transpose2d``.

    Parameters
    ----------
    x : array_like, shape (N, C_in, H, W)
    w : array_like, shape (C_in, C_out, kh, kw)
        PyTorch's layout: the same array as the weight of the conv2d from
        ``C_out`` to ``C_in`` channels whose adjoint this is.
    b : array_like, shape (C_out,), optional
    stride, padding, dilation : int or (int, int)
        Those of that conv2d: ``padding`` *removes* rows and columns from the
        border of the output.
    output_padding : int or (int, int), default 0
        Extra rows/columns at the bottom/right, to pick among the input sizes
        that the conv2d maps to ``(H, W)``.

    Returns
    -------
    ndarray, shape (N, C_out, Ho, Wo)
        ``Ho = (H-1)*s - 2p + d*(kh-1) + output_padding + 1``
        (:func:`conv_transpose_output_size`).

    Notes
    -----
    Each input pixel scatters a copy of the kernel, scaled by the pixel, into
    the output at stride :math:`s`:

    .. math::
        y[n, o, i s + u d - p, j s + v d - p] \mathrel{+}= x[n, c, i, j]\, w[c, o, u, v].

    This is :math:`K^T` of Lecture 3's :math:`y = Kx`: for the conv2d with the
    same ``w``, stride, padding and dilation,
    :math:`\langle \mathrm{conv2d}(z, w), x\rangle = \langle z,
    \mathrm{conv\_transpose2d}(x, w)\rangle`, so conv_transpose2d computes
    conv2d's input gradient (and conv2d computes its input gradient). Not an inverse of
    conv2d, despite the name "deconvolution".

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "Transposed convolution stride = 2".
    V. Dumoulin and F. Visin, arXiv:1603.07285, section 4.

    Examples
    --------
    >>> conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2)), stride=2)[0, 0]
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.]])
    """
    x, w, b, geom = _conv_transpose_args(x, w, b, stride, padding, output_padding, dilation)
    y = _im2col.grad_input(x, w, geom)
    if b is not None:
        y += b[:, None, None]
    return y


def conv_transpose2d_backward(dout, x, w, *, stride=1, padding=0, output_padding=0, dilation=1):
    r"""Gradients of :func:`conv_transpose2d`: returns ``(dx, dw, db)``.

    Parameters
    ----------
    dout : array_like, shape (N, C_out, Ho, Wo)
    x : array_like, shape (N, C_in, H, W)
    w : array_like, shape (C_in, C_out, kh, kw)
    stride, padding, output_padding, dilation
        As given to :func:`conv_transpose2d`.

    Returns
    -------
    dx : ndarray, shape (N, C_in, H, W)
    dw : ndarray, shape (C_in, C_out, kh, kw)
    db : ndarray, shape (C_out,)

    Notes
    -----
    The roles of conv2d swap: ``dx = conv2d(dout, w, stride, padding,
    dilation)`` (the forward of the conv2d whose adjoint this is, cut to
    ``(H, W)``), and ``dw`` is conv2d's weight gradient with ``x`` as the
    upstream gradient and ``dout`` as the input.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "Transposed convolution stride = 2".

    Examples
    --------
    >>> x, w = np.ones((1, 1, 2, 2)), np.ones((1, 1, 2, 2))
    >>> dx, dw, db = conv_transpose2d_backward(np.ones((1, 1, 4, 4)), x, w, stride=2)
    >>> dx[0, 0]
    array([[4., 4.],
           [4., 4.]])
    """
    x, w, _, geom = _conv_transpose_args(x, w, None, stride, padding, output_padding, dilation)
    dout = _check_dout(dout, (x.shape[0], w.shape[1]) + geom.in_hw, x.dtype)
    dx = _im2col.forward(dout, w, geom)
    dw = _im2col.grad_weight(x, dout, geom)
    return dx, dw, dout.sum(axis=(0, 2, 3))


# -------------------------------------------------------- convolution as a matrix

def _shape2(value, name):
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"{name} must be a pair (height, width), got {value!r}")
    return tuple(check_int(v, name, minimum=1) for v in value)


def conv_matrix_pattern(input_shape, kernel_shape, *, stride=1, padding=0, dilation=1):
    r"""Which kernel entry sits where in the convolution matrix :math:`K` of :math:`y = Kx`.

    Parameters
    ----------
    input_shape : (int, int)
        ``(H, W)`` of the single-channel input ``x``.
    kernel_shape : (int, int)
        ``(kh, kw)``.
    stride, padding, dilation
        As for :func:`conv2d`.

    Returns
    -------
    ndarray of int, shape (Ho*Wo, H*W)
        Entry ``u*kw + v`` where kernel entry ``k[u, v]`` multiplies
        ``x.ravel()[col]`` in output ``y.ravel()[row]``, and ``-1`` where
        :math:`K` is zero. The notes number the kernel :math:`k_1, k_2, \dots`
        row by row, so ``pattern + 1`` is the notes' subscript (0 for zero).

    Notes
    -----
    ``np.argwhere(pattern == q)`` lists the (row, column) positions of
    :math:`k_{q+1}`; for Lecture 3's 3×3 input and 2×2 kernel, :math:`k_1` sits
    at (1,1), (2,2), (3,4), (4,5) (1-based), the four terms of
    :math:`(\nabla_k L)_1`. Padding positions have no column: their ``x`` is 0.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "y = Kx".

    Examples
    --------
    >>> conv_matrix_pattern((3, 3), (2, 2)) + 1
    array([[1, 2, 0, 3, 4, 0, 0, 0, 0],
           [0, 1, 2, 0, 3, 4, 0, 0, 0],
           [0, 0, 0, 1, 2, 0, 3, 4, 0],
           [0, 0, 0, 0, 1, 2, 0, 3, 4]])
    """
    H, W = _shape2(input_shape, "input_shape")
    kh, kw = _shape2(kernel_shape, "kernel_shape")
    geom = _geometry((H, W), (kh, kw), stride, padding, dilation)
    (sh, sw), (dh, dw) = geom.stride, geom.dilation
    (pt, _), (pl, _) = geom.pad
    Ho, Wo = geom.out_hw
    pattern = np.full((Ho * Wo, H * W), -1, dtype=np.int64)
    for i in range(Ho):
        for j in range(Wo):
            for u in range(kh):
                for v in range(kw):
                    r, c = i * sh + u * dh - pt, j * sw + v * dw - pl
                    if 0 <= r < H and 0 <= c < W:  # otherwise k[u, v] meets a padding zero
                        pattern[i * Wo + j, r * W + c] = u * kw + v
    return pattern


def conv_matrix(input_shape, kernel, *, stride=1, padding=0, dilation=1):
    r"""The doubly-blocked Toeplitz matrix :math:`K` with ``conv2d(x, k) == K @ x.ravel()``.

    Parameters
    ----------
    input_shape : (int, int)
        ``(H, W)`` of the single-channel input.
    kernel : array_like, shape (kh, kw)
        The kernel :math:`k`.
    stride, padding, dilation
        As for :func:`conv2d`.

    Returns
    -------
    K : ndarray, shape (Ho*Wo, H*W)

    Notes
    -----
    Lecture 3: flattening the input and output row by row turns the convolution
    into :math:`y = Kx`; for a 3×3 input and a 2×2 kernel

    .. math::
        K = \begin{pmatrix}
        k_1 & k_2 & 0 & k_3 & k_4 & 0 & 0 & 0 & 0 \\
        0 & k_1 & k_2 & 0 & k_3 & k_4 & 0 & 0 & 0 \\
        0 & 0 & 0 & k_1 & k_2 & 0 & k_3 & k_4 & 0 \\
        0 & 0 & 0 & 0 & k_1 & k_2 & 0 & k_3 & k_4
        \end{pmatrix}.

    The notes print five rows (the third twice, and a last one with only eight
    entries); see :func:`lecture3_example_conv_matrix`. Gradients:
    :math:`\nabla_x L = K^T \nabla_y L` and :math:`\nabla_K L = \nabla_y L\,
    x^T`, whose entries summed over each kernel entry's positions give
    :math:`\nabla_k L` (:func:`conv_matrix_kernel_grad`). Quadratic in the image
    size: for teaching, not for speed.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "y = Kx".

    Examples
    --------
    >>> conv_matrix((3, 3), [[1, 2], [3, 4]])[0]
    array([1., 2., 0., 3., 4., 0., 0., 0., 0.])
    """
    k = as_array(kernel, "kernel", ndim=2)
    pattern = conv_matrix_pattern(input_shape, k.shape, stride=stride, padding=padding,
                                  dilation=dilation)
    return np.where(pattern >= 0, k.ravel()[np.maximum(pattern, 0)], 0.0)


def conv_matrix_kernel_grad(dK, input_shape, kernel_shape, *, stride=1, padding=0, dilation=1):
    r"""Kernel gradient :math:`\nabla_k L` from the matrix gradient :math:`\nabla_K L`.

    Parameters
    ----------
    dK : array_like, shape (Ho*Wo, H*W)
        :math:`\nabla_K L`, e.g. ``np.outer(dy, x.ravel())`` (Lecture 3's
        :math:`\nabla_y L\, x^T`).
    input_shape, kernel_shape : (int, int)
    stride, padding, dilation
        As for :func:`conv_matrix`.

    Returns
    -------
    dk : ndarray, shape (kh, kw)

    Notes
    -----
    :math:`K` depends on :math:`k` linearly, each :math:`k_q` appearing at
    several places, so :math:`dL = \mathrm{tr}(\nabla_K L^T dK) = \nabla_k L^T
    dk` gives :math:`(\nabla_k L)_q = \sum_{(r,c):\,K_{rc} = k_q} (\nabla_K
    L)_{rc}`; Lecture 3: :math:`(\nabla_k L)_1 = (\nabla_K L)_{11} + (\nabla_K
    L)_{22} + (\nabla_K L)_{34} + (\nabla_K L)_{45}`, which equals
    :math:`(\nabla_y L)_1 x_1 + (\nabla_y L)_2 x_2 + (\nabla_y L)_3 x_4 +
    (\nabla_y L)_4 x_5`. Matches ``conv2d_backward``'s ``dw``.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), the gradients after "y = Kx".

    Examples
    --------
    >>> x, dy = np.arange(1.0, 10.0), np.ones(4)
    >>> conv_matrix_kernel_grad(np.outer(dy, x), (3, 3), (2, 2))
    array([[12., 16.],
           [24., 28.]])
    """
    kh, kw = _shape2(kernel_shape, "kernel_shape")
    pattern = conv_matrix_pattern(input_shape, (kh, kw), stride=stride, padding=padding,
                                  dilation=dilation)
    dK = as_array(dK, "dK", ndim=2)
    if dK.shape != pattern.shape:
        raise ValueError(f"dK must have the shape of K, {pattern.shape}, got {dK.shape}")
    on = pattern >= 0
    # sum dK over the positions of each kernel entry q = u*kw + v
    return np.bincount(pattern[on], weights=dK[on], minlength=kh * kw).reshape(kh, kw)


# ------------------------------------------------------------- worked examples

def lecture4_example_1d():
    r"""Lecture 4's 1-D example as printed: :math:`I = [1\,2\,3\,2\,1]`, :math:`K = [1\,0\,1]`.

    Returns
    -------
    dict
        ``I`` (5,), ``K`` (3,), ``claimed`` (3,): the notes' :math:`I * K = [-2\, 0\, 2]`.

    Notes
    -----
    Erratum. With the printed kernel (symmetric, so convolution and
    cross-correlation agree) the valid result is
    ``conv1d(I, K, "valid") = [4, 4, 4]``, not :math:`[-2, 0, 2]`. The notes'
    values are what the difference kernel gives: ``conv1d(I, [-1, 0, 1],
    "valid")`` (true convolution) or ``correlate1d(I, [1, 0, -1], "valid")``;
    the printed :math:`K` lost its minus sign.

    References
    ----------
    000_778bfa8cbc5d38d6.txt (Lecture 4), "cross-correlation".
    """
    return {
        "I": np.array([1.0, 2.0, 3.0, 2.0, 1.0]),
        "K": np.array([1.0, 0.0, 1.0]),
        "claimed": np.array([-2.0, 0.0, 2.0]),
    }


def lecture4_example_2d():
    r"""Lecture 4's 2-D example as printed: a 4×6 image with two entries lost, a 3×3 ``K``.

    Returns
    -------
    dict
        ``I`` (4, 6), as printed, with ``nan`` for the number missing from rows
        3 and 4 (the transcription gives them 5 numbers; the ``nan`` is put last);
        ``K`` (3, 3) as printed; ``K_minus`` (3, 3), the kernel with a :math:`-1`
        in its bottom-left corner that the notes print in their third step;
        ``claimed_sums`` (0, 4, 2), the notes' three window sums; ``claimed``
        (2, 3), the notes' result :math:`[0\ 4\ 2;\ 6\ \cdot\ \cdot]` with ``nan``
        where nothing is printed; ``window_3``, the 3×3 window of the notes' third
        step; ``I_reconstructed``, the image with row 3 read as
        :math:`[3\,2\,1\,1\,0\,1]` (a lost "1", see Notes) and ``nan`` for the
        unknown last entry :math:`b` of row 4.

    Notes
    -----
    Erratum. The printed :math:`K = [1\,0\,1; 0\,1\,0; 1\,0\,1]` is symmetric, so
    convolution and cross-correlation agree, and its first window sums to 6, not
    0; on the five complete columns the valid result is
    :math:`[6\ 6\ 7;\ 8\ 4\ 5]`. A 3×3 kernel on 6 columns has 4 positions per
    row; the notes show 3. Everything the notes do show is reproduced by the
    cross-correlation with ``K_minus`` :math:`= [1\,0\,1; 0\,1\,0; -1\,0\,1]` on
    ``I_reconstructed`` (the third window, columns 4–6, needs row 3 to end in
    :math:`1\,0\,1`): the valid result is :math:`[0\ 3\ 4\ 2;\ 6\ 2\ 2\ 2{+}b]`,
    so the first window gives 0, the third step's window 2, the second row
    starts with 6, and the notes' row :math:`[0\ 4\ 2]` skips the 3. With the
    printed ``K`` the reconstructed image gives :math:`[6\ 7\ 6\ 4;\ 8\ 4\ 6\ 4{+}b]`.

    References
    ----------
    000_778bfa8cbc5d38d6.txt (Lecture 4), the 2-D example after "cross-correlation".
    """
    nan = np.nan
    return {
        "I": np.array([[1.0, 2, 1, 1, 3, 0], [2, 0, 1, 1, 1, 2],
                       [3, 2, 1, 0, 1, nan], [1, 1, 2, 1, 1, nan]]),
        "K": np.array([[1.0, 0, 1], [0, 1, 0], [1, 0, 1]]),
        "K_minus": np.array([[1.0, 0, 1], [0, 1, 0], [-1, 0, 1]]),
        "claimed_sums": np.array([0.0, 4.0, 2.0]),
        "claimed": np.array([[0.0, 4, 2], [6, nan, nan]]),
        "window_3": np.array([[1.0, 3, 0], [1, 1, 2], [1, 0, 1]]),
        "I_reconstructed": np.array([[1.0, 2, 1, 1, 3, 0], [2, 0, 1, 1, 1, 2],
                                     [3, 2, 1, 1, 0, 1], [1, 1, 2, 1, 1, nan]]),
    }


def lecture3_example_image():
    r"""Lecture 3's 5×5 image :math:`X`, and the kernel of the figure it comes from.

    Returns
    -------
    dict
        ``X`` (5, 5), as printed; ``K_reconstructed`` (3, 3) and
        ``Y_reconstructed`` (3, 3), see Notes.

    Notes
    -----
    The transcription keeps the image but loses the "Filter / Kernel" and
    "Feature" pictures. This image is that of a widely reproduced CNN
    illustration whose kernel is :math:`[1\,2\,3; -4\,7\,4; 2\,-5\,1]` and whose
    feature map is :math:`[51\,66\,20; 31\,49\,101; 15\,53\,-2]`; the
    cross-correlation ``correlate2d(X, K_reconstructed, "valid")`` reproduces
    all nine values, so the identification is likely, but it is a
    reconstruction, not the notes' text.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "Convolution".
    """
    return {
        "X": np.array([[2.0, 4, 9, 1, 4], [2, 1, 4, 4, 6], [1, 1, 2, 9, 2],
                       [7, 3, 5, 1, 3], [2, 3, 4, 8, 5]]),
        "K_reconstructed": np.array([[1.0, 2, 3], [-4, 7, 4], [2, -5, 1]]),
        "Y_reconstructed": np.array([[51.0, 66, 20], [31, 49, 101], [15, 53, -2]]),
    }


def lecture3_example_conv_matrix():
    r"""Lecture 3's convolution matrix as printed: five rows for a 4×9 matrix.

    Returns
    -------
    dict
        ``input_shape`` (3, 3), ``kernel_shape`` (2, 2), and ``printed_rows``:
        the notes' rows as lists of subscripts (``q`` for :math:`k_q`, 0 for a
        zero).

    Notes
    -----
    Erratum. A 2×2 kernel has 2×2 positions on a 3×3 input, so :math:`K` is
    4×9 (``conv_matrix_pattern((3, 3), (2, 2)) + 1``). The notes print 5 rows:
    rows 1–3 are right, row 4 repeats row 3, and row 5,
    :math:`(0\,0\,0\,k_1\,k_2\,0\,k_3\,k_4)`, has only 8 entries. Which zero
    was lost cannot be told: with a zero in front it is the true row 4
    :math:`(0\,0\,0\,0\,k_1\,k_2\,0\,k_3\,k_4)`, with a zero at the end it is
    row 3 once more. Either way the printed rows 1–4 give :math:`y_3` twice and
    never :math:`y_4`. The matrix :math:`dK` printed a few lines later is right.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "y = Kx".
    """
    return {
        "input_shape": (3, 3),
        "kernel_shape": (2, 2),
        "printed_rows": [
            [1, 2, 0, 3, 4, 0, 0, 0, 0],
            [0, 1, 2, 0, 3, 4, 0, 0, 0],
            [0, 0, 0, 1, 2, 0, 3, 4, 0],
            [0, 0, 0, 1, 2, 0, 3, 4, 0],
            [0, 0, 0, 1, 2, 0, 3, 4],
        ],
    }
