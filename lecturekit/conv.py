r"""Convolution and cross-correlation: the sums of the notes, the sizes, the layers.

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
  as PyTorch does (:func:`conv_output_size` can insist on exactness). The
  receptive field of a stack of layers: :func:`receptive_field`.
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
Lecture 4, output size         W, F, P, S         ``n``, ``kernel``, ``padding``, ``stride``
Lecture 4, receptive field     F (per layer)      ``kernel_sizes``, ``strides``, ``dilations``
============================  =================  ======================

Lecture 3's convolution as a matrix, :math:`y = Kx`, is in
:mod:`lecturekit.conv_matrix`. The window arithmetic that convolution and
pooling share (pairs, window positions, NCHW checks) is in
:mod:`lecturekit._geometry`.

The fast layer code (im2col and one batched matrix product per chunk of samples) is in
:mod:`lecturekit._im2col`; :func:`conv2d_reference` is the readable loop it is
tested against.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import _im2col
from ._checks import as_array, check_bool, check_choice, check_int
from ._geometry import check_dout, checked_array, correlation_geometry, float_dtype, nchw, pair, positions

__all__ = [
    "conv_output_size", "conv_transpose_output_size", "receptive_field",
    "conv1d", "correlate1d", "convolve2d", "correlate2d",
    "conv2d", "conv2d_reference", "conv2d_backward",
    "conv_transpose2d", "conv_transpose2d_backward",
    "lecture4_example_1d", "lecture4_example_2d", "lecture3_example_image",
]

MODES = ("full", "same", "valid")


# --------------------------------------------------------------------------- sizes

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
    return positions(n, dilation * (kernel - 1) + 1, stride, 2 * padding, "",
                     exact=check_bool(exact, "exact"), names="n, kernel, padding and dilation")


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


def _per_layer(values, name, depth=None):
    """``values`` as a list of ints >= 1, one per layer (``depth`` of them if given)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeError(f"{name} must be a sequence of ints, one per layer, got {values!r}")
    if depth is None and len(values) == 0:
        raise ValueError(f"{name} must list at least one layer, got {values!r}")
    if depth is not None and len(values) != depth:
        raise ValueError(f"{name} must have one entry per layer, len(kernel_sizes) = {depth}, "
                         f"got {len(values)}")
    return [check_int(v, f"{name}[{i}]", minimum=1) for i, v in enumerate(values)]


def receptive_field(kernel_sizes, *, strides=None, dilations=None):
    r"""Side of the receptive field of stacked convolutions: :math:`1 + \sum_l (k_l - 1) d_l \prod_{j<l} s_j`.

    Parameters
    ----------
    kernel_sizes : sequence of int, length L
        :math:`k_1, \dots, k_L`, the kernel size of each layer along one axis,
        layer 1 first (the one that sees the input).
    strides : sequence of int, length L, optional
        :math:`s_1, \dots, s_L`; default all 1.
    dilations : sequence of int, length L, optional
        :math:`d_1, \dots, d_L`; default all 1.

    Returns
    -------
    int
        :math:`r_L`, the number of input pixels along the axis on which one
        output pixel of layer L depends.

    Notes
    -----
    Going down one layer, a block of :math:`r` adjacent outputs of layer
    :math:`l` covers :math:`s_l(r - 1) + d_l(k_l - 1) + 1` of its inputs.
    Starting from one pixel at the top (:math:`r = 1`) this recursion unrolls to

    .. math::
        r_L = 1 + \sum_{l=1}^{L} (k_l - 1)\, d_l \prod_{j<l} s_j,

    where :math:`\prod_{j<l} s_j` is the distance, in input pixels, between
    neighbouring inputs of layer :math:`l`. For :math:`L` stride-1 layers of
    size :math:`F` it is :math:`L(F-1) + 1`: two 3×3 layers see 5×5, three see
    7×7. The notes' "receptive field aka. filter size" is the case
    :math:`L = 1`. Padding does not enter: it moves the field and decides where
    the image's border cuts it off, not its size inside.

    :math:`r_L` is the side of a bounding box. A stride larger than the next
    kernel leaves holes in it (kernel 1 with stride 2, then kernel 2: the output
    sees input pixels 0 and 2 of a field of 3). The tests measure the box
    around the non-zero entries of :math:`\partial y_\text{centre}/\partial x`,
    back-propagated through a random stack with :func:`conv2d_backward`.

    References
    ----------
    000_778bfa8cbc5d38d6.txt (Lecture 4), "receptive field aka. filter size".
    V. Dumoulin and F. Visin, arXiv:1603.07285 (2016); W. Luo et al.,
    "Understanding the effective receptive field in deep convolutional neural
    networks", NeurIPS 2016.

    Examples
    --------
    >>> receptive_field([3, 3]), receptive_field([3, 3, 3]), receptive_field([7])
    (5, 7, 7)
    >>> receptive_field([7, 3, 3], strides=[2, 1, 1])   # 1 + 6 + 2*2 + 2*2
    15
    >>> receptive_field([3, 3, 3], dilations=[1, 2, 4])  # 1 + 2 + 4 + 8
    15
    """
    k = _per_layer(kernel_sizes, "kernel_sizes")
    s = [1] * len(k) if strides is None else _per_layer(strides, "strides", len(k))
    d = [1] * len(k) if dilations is None else _per_layer(dilations, "dilations", len(k))
    r, jump = 1, 1  # jump: prod_{j<l} s_j, input pixels between neighbouring inputs of layer l
    for k_l, s_l, d_l in zip(k, s, d, strict=True):
        r += (k_l - 1) * d_l * jump
        jump *= s_l
    return r


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

def _bias(b, n_out, what):
    if b is None:
        return None
    b = checked_array(b, "b", keep_float32=True)
    if b.shape != (n_out,):
        raise ValueError(f"b must have shape ({n_out},), one per {what}, got {b.shape}")
    return b


def _conv2d_args(x, w, b, stride, padding, dilation):
    x = nchw(x, "x")
    w = nchw(w, "w", "(K, C, kh, kw)")
    if w.shape[1] != x.shape[1]:
        raise ValueError(
            f"w must have shape (K, {x.shape[1]}, kh, kw) to match x's C = {x.shape[1]} "
            f"channels, got {w.shape}"
        )
    b = _bias(b, w.shape[0], "filter (w.shape[0])")
    geom = correlation_geometry(x.shape[2:], w.shape[2:], stride, padding, dilation)
    dtype = float_dtype(x, w, b)
    b = None if b is None else b.astype(dtype, copy=False)
    return x.astype(dtype, copy=False), w.astype(dtype, copy=False), b, geom


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
    if _im2col.is_small(x.shape[0], x.shape[1], geom):
        return _im2col.small_forward(x, w, geom, b)
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
    :math:`K` (:func:`lecturekit.conv_matrix.conv_matrix`) and derives

    .. math::
        \nabla_x L = K^T \nabla_y L, \qquad
        \nabla_K L = \nabla_y L\, x^T, \qquad
        \nabla_k L = X \times \nabla_y L,

    the last one summing :math:`\nabla_K L` over the places where each kernel
    entry sits (:func:`lecturekit.conv_matrix.conv_matrix_kernel_grad`). Without
    forming :math:`K`: ``dw`` is the cross-correlation of the input with ``dout`` (the notes'
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
    dout = check_dout(dout, (x.shape[0], w.shape[0]) + geom.out_hw, x.dtype,
                      "conv2d(x, w, stride, padding, dilation)")
    if _im2col.is_small(x.shape[0], x.shape[1], geom):
        return _im2col.small_backward(dout, x, w, geom)
    return _im2col.backward(dout, x, w, geom)


# ------------------------------------------------------------ transposed conv

def _conv_transpose_args(x, w, b, stride, padding, output_padding, dilation):
    x = nchw(x, "x")
    w = nchw(w, "w", "(C_in, C_out, kh, kw)")
    if w.shape[0] != x.shape[1]:
        raise ValueError(
            f"w must have shape ({x.shape[1]}, C_out, kh, kw) to match x's C_in = "
            f"{x.shape[1]} channels, got {w.shape}"
        )
    b = _bias(b, w.shape[1], "output channel (w.shape[1])")
    if isinstance(padding, str):
        raise TypeError(f"padding must be an int or a pair of ints, got {padding!r}")
    s = pair(stride, "stride", minimum=1)
    p = pair(padding, "padding", minimum=0)
    o = pair(output_padding, "output_padding", minimum=0)
    d = pair(dilation, "dilation", minimum=1)
    out = tuple(
        conv_transpose_output_size(n, k, stride=si, padding=pi, output_padding=oi, dilation=di)
        for n, k, si, pi, oi, di in zip(x.shape[2:], w.shape[2:], s, p, o, d, strict=True)
    )
    # The conv2d whose input gradient this is: input `out`, window positions x's (H, W).
    geom = _im2col.Geometry(tuple(w.shape[2:]), s, d, ((p[0], p[0]), (p[1], p[1])), out,
                            tuple(x.shape[2:]))
    dtype = float_dtype(x, w, b)
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
    dout = check_dout(dout, (x.shape[0], w.shape[1]) + geom.in_hw, x.dtype,
                      "conv_transpose2d(x, w, stride, padding, output_padding, dilation)")
    dx = _im2col.forward(dout, w, geom)
    dw = _im2col.grad_weight(x, dout, geom)
    return dx, dw, dout.sum(axis=(0, 2, 3))


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
