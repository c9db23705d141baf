r"""Convolution step by step: each window, its products and its sum; the receptive field measured.

The lectures work convolutions by hand, one window at a time: lay the kernel on
the input, multiply entry by entry (:math:`\odot`), add everything up, move on.
These functions return exactly those intermediate numbers, so that an explorer
(:mod:`lecturekit.explore.conv_steps`, :mod:`lecturekit.explore.multichannel`)
can show them and a test can check that their sums are the outputs of
:func:`lecturekit.conv.conv1d`, :func:`~lecturekit.conv.correlate1d` and
:func:`~lecturekit.conv.conv2d`.

Conventions
-----------
* The steps go in reading order: along a row, then down (row-major), with the
  window's top-left entry at ``starts[k]`` in the coordinates of the **padded**
  input (``P`` zeros on each side of every axis).
* ``flip=False`` is the cross-correlation :math:`\sum_u x[t + u]\, w[u]`
  (Lecture 3's :math:`Y(i,j) = \sum_{u,v} X(i+u, j+v) K(u, v)`, what a CNN layer
  computes); ``flip=True`` is the true convolution (Lecture 4's
  :math:`(X * W)(t) = \sum_a x[a]\, w[t - a]`), i.e. the cross-correlation with
  the kernel rotated by 180°. ``kernel`` is the kernel *as applied*.
* Multi-channel inputs are ``(C, H, W)``, weights ``(K, C, kh, kw)`` and biases
  ``(K,)``, as :func:`lecturekit.conv.conv2d` without its batch axis.

The receptive field is measured (:func:`receptive_field_gradient`) as the
non-zero pattern of :math:`\partial y / \partial x` for one output unit of a
stack of convolutions, back-propagated with :func:`lecturekit.conv.conv2d_backward`,
to set beside the closed form :func:`lecturekit.conv.receptive_field`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._checks import as_array, check_bool, check_int
from .conv import conv2d, conv2d_backward, conv_output_size, receptive_field

__all__ = ["ConvSteps", "conv_steps", "MultiChannelSteps", "multichannel_conv_steps",
           "ReceptiveFieldPattern", "receptive_field_gradient"]


def _geometry(shape, kshape, stride, padding):
    """Output size per axis (no flooring of a kernel that does not fit), or a ValueError."""
    out = []
    for axis, (n, k) in enumerate(zip(shape, kshape, strict=True)):
        if k > n + 2 * padding:
            raise ValueError(f"the kernel ({k} along axis {axis}) must fit the padded input x "
                             f"(W + 2P = {n} + 2·{padding} = {n + 2 * padding}), got w with "
                             f"kernel shape {tuple(kshape)}")
        out.append(conv_output_size(n, k, stride=stride, padding=padding))
    return tuple(out)


@dataclass(frozen=True)
class ConvSteps:
    r"""The window-by-window numbers of a 1-D or 2-D convolution (see :func:`conv_steps`).

    Attributes
    ----------
    padded : ndarray, shape (N + 2P,) or (H + 2P, W + 2P)
        The input with its zero padding.
    kernel : ndarray, shape (M,) or (kh, kw)
        The kernel as applied: rotated by 180° for a true convolution.
    starts : ndarray of int, shape (steps, ndim)
        Each window's first entry in ``padded``, in reading order.
    products : ndarray, shape (steps, M) or (steps, kh, kw)
        ``window ⊙ kernel`` at each step.
    sums : ndarray, shape (steps,)
        The sum of each step's products: the output, in reading order.
    output : ndarray, shape (m,) or (n, m)
        ``sums`` reshaped to the output's shape.
    flip : bool
        Whether the kernel was flipped (true convolution).
    """

    padded: np.ndarray
    kernel: np.ndarray
    starts: np.ndarray
    products: np.ndarray
    sums: np.ndarray
    output: np.ndarray
    flip: bool

    @property
    def steps(self):
        """The number of windows (output entries)."""
        return len(self.sums)

    def filled(self, step):
        """The output after ``step`` (0-based): the sums so far, ``nan`` where not yet computed."""
        step = check_int(step, "step", minimum=0, maximum=self.steps - 1)
        out = np.full(self.steps, np.nan)
        out[:step + 1] = self.sums[:step + 1]
        return out.reshape(self.output.shape)


def conv_steps(x, w, *, flip=False, stride=1, padding=0):
    r"""Every window of a 1-D or 2-D convolution: where it lies, its products and their sum.

    Parameters
    ----------
    x : array_like, shape (N,) or (H, W)
        The signal :math:`X` (Lecture 4's :math:`I`) or the image :math:`X` / :math:`I`.
    w : array_like, shape (M,) or (kh, kw)
        The kernel :math:`W` / :math:`K`, with as many axes as ``x``.
    flip : bool, default False
        False: cross-correlation (no flip, a CNN layer); True: true convolution
        (the kernel rotated by 180°).
    stride : int, default 1
        :math:`S`, the same along every axis.
    padding : int, default 0
        :math:`P` zeros on each side of every axis.

    Returns
    -------
    ConvSteps
        ``padded``, ``kernel`` (as applied), ``starts``, ``products``, ``sums``,
        ``output`` and ``flip``.

    Notes
    -----
    Step :math:`k` is the output entry :math:`t` (1-D) or :math:`(i, j)` (2-D)
    in reading order, with window start :math:`S t` (or :math:`(S i, S j)`) in
    the padded input :math:`\tilde x`:

    .. math::
        z_t = \sum_u \tilde x[S t + u]\, \kappa[u], \qquad
        \kappa = \begin{cases} w & \text{cross-correlation} \\
        w \text{ rotated by } 180° & \text{convolution} \end{cases}

    which is Lecture 4's :math:`(X_{i+1} \dots X_{i+m})\,(w_1 \dots w_m)^T = z_i`
    and Lecture 3's :math:`Y(i,j) = \sum_{u,v} X(i+u,j+v) K(u,v)` for
    ``flip=False``, and Lecture 4's :math:`(X * W)(t) = \sum_a x[a]\, w[t-a]`
    (``mode="valid"``) for ``flip=True``. The output has
    :math:`m = \lfloor (W - F + 2P)/S \rfloor + 1` entries per axis.

    References
    ----------
    000_778bfa8cbc5d38d6.txt (Lecture 4), "one-D convolution", "cross-correlation"
    and the worked examples; 001_2691e6e736ad0c50.txt (Lecture 3), "Convolution".

    Examples
    --------
    >>> s = conv_steps([1, 2, 3, 2, 1], [1, 0, -1])
    >>> s.starts.ravel(), s.sums                  # Lecture 4's [-2 0 2]
    (array([0, 1, 2]), array([-2.,  0.,  2.]))
    >>> s.products[0]                             # [1 2 3] ⊙ [1 0 -1]
    array([ 1.,  0., -3.])
    >>> conv_steps([1, 2, 3, 2, 1], [1, 0, -1], flip=True).sums
    array([ 2.,  0., -2.])
    """
    x = as_array(x, "x", ndim=(1, 2))
    w = as_array(w, "w", ndim=(1, 2))
    if w.ndim != x.ndim:
        raise ValueError(f"w must have as many axes as x ({x.ndim}), got shape {w.shape}")
    if x.size == 0 or w.size == 0:
        raise ValueError(f"x and w must not be empty, got shapes {x.shape} and {w.shape}")
    flip = check_bool(flip, "flip")
    stride = check_int(stride, "stride", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    out_shape = _geometry(x.shape, w.shape, stride, padding)
    kernel = w[(slice(None, None, -1),) * w.ndim] if flip else w.copy()
    padded = np.pad(x, padding)
    windows = sliding_window_view(padded, w.shape)[(slice(None, None, stride),) * w.ndim]
    windows = windows.reshape(-1, *w.shape)  # (steps, *kernel shape), reading order
    products = windows * kernel
    sums = products.reshape(len(products), -1).sum(axis=1)
    grid = np.indices(out_shape).reshape(len(out_shape), -1).T  # (steps, ndim)
    return ConvSteps(padded=padded, kernel=kernel, starts=grid * stride, products=products,
                     sums=sums, output=sums.reshape(out_shape), flip=flip)


@dataclass(frozen=True)
class MultiChannelSteps:
    r"""The window-by-window numbers of a multi-channel convolution layer
    (see :func:`multichannel_conv_steps`).

    Attributes
    ----------
    padded : ndarray, shape (C, H + 2P, W + 2P)
    starts : ndarray of int, shape (steps, 2)
        Each window's top-left entry in ``padded``, in reading order.
    products : ndarray, shape (steps, K, C, kh, kw)
        ``window_c ⊙ w[k, c]`` for each filter ``k`` and channel ``c``.
    channel_sums : ndarray, shape (steps, K, C)
        The sum of each channel's products.
    bias : ndarray, shape (K,)
    sums : ndarray, shape (steps, K)
        ``channel_sums.sum(-1) + bias``: each output channel, in reading order.
    output : ndarray, shape (K, n, m)
        The output maps, as :func:`lecturekit.conv.conv2d` returns them (without N).
    """

    padded: np.ndarray
    starts: np.ndarray
    products: np.ndarray
    channel_sums: np.ndarray
    bias: np.ndarray
    sums: np.ndarray
    output: np.ndarray

    @property
    def steps(self):
        """The number of windows (entries of each output map)."""
        return len(self.sums)


def multichannel_conv_steps(x, w, b=None, *, stride=1, padding=0):
    r"""Every window of a convolution of a :math:`C \times H \times W` tensor, channel by channel.

    Parameters
    ----------
    x : array_like, shape (C, H, W)
        One input image with :math:`C` channels.
    w : array_like, shape (K, C, kh, kw)
        :math:`K` filters, each :math:`C \times k_h \times k_w`.
    b : array_like, shape (K,), optional
        One bias per filter (default zeros).
    stride, padding : int
        :math:`S` and :math:`P`, the same along both axes.

    Returns
    -------
    MultiChannelSteps
        ``padded``, ``starts``, ``products``, ``channel_sums``, ``bias``, ``sums``, ``output``.

    Notes
    -----
    Lecture 3, "Convolution for 3D tensor": the kernel spans every input
    channel, and its :math:`C` slices are summed into one output map per filter,

    .. math::
        Y(k, i, j) = b_k + \sum_{c=1}^{C} \sum_{u,v} \tilde X(c, S i + u, S j + v)\, K(k, c, u, v),

    with :math:`\tilde X` the padded input. The inner double sum is
    ``channel_sums[step, k, c]``.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "Convolution for 3D tensor".

    Examples
    --------
    >>> x = np.ones((3, 2, 2)); w = np.ones((2, 3, 2, 2)); w[1] *= -1
    >>> s = multichannel_conv_steps(x, w, [1.0, 0.5])
    >>> s.channel_sums[0], s.sums[0]             # 4 per channel, then + b
    (array([[ 4.,  4.,  4.],
           [-4., -4., -4.]]), array([ 13. , -11.5]))
    """
    x = as_array(x, "x", ndim=3)
    w = as_array(w, "w", ndim=4)
    if w.shape[1] != x.shape[0]:
        raise ValueError(f"w must have shape (K, {x.shape[0]}, kh, kw) to match x's "
                         f"C = {x.shape[0]} channels, got {w.shape}")
    if x.size == 0 or w.size == 0:
        raise ValueError(f"x and w must not be empty, got shapes {x.shape} and {w.shape}")
    n_filters = w.shape[0]
    bias = np.zeros(n_filters) if b is None else as_array(b, "b", ndim=1)
    if bias.shape != (n_filters,):
        raise ValueError(f"b must have shape ({n_filters},), one per filter of w (its K = "
                         f"{n_filters}), got {bias.shape}")
    stride = check_int(stride, "stride", minimum=1)
    padding = check_int(padding, "padding", minimum=0)
    out_shape = _geometry(x.shape[1:], w.shape[2:], stride, padding)
    padded = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(padded, w.shape[2:], axis=(1, 2))[:, ::stride, ::stride]
    # (C, n, m, kh, kw) -> (steps, C, kh, kw), reading order
    windows = windows.transpose(1, 2, 0, 3, 4).reshape(-1, *windows.shape[:1], *w.shape[2:])
    products = windows[:, None] * w[None]  # (steps, K, C, kh, kw)
    channel_sums = products.sum(axis=(3, 4))  # (steps, K, C)
    sums = channel_sums.sum(axis=2) + bias  # (steps, K)
    grid = np.indices(out_shape).reshape(2, -1).T  # (steps, 2)
    return MultiChannelSteps(padded=padded, starts=grid * stride, products=products,
                             channel_sums=channel_sums, bias=bias, sums=sums,
                             output=sums.T.reshape(n_filters, *out_shape))


@dataclass(frozen=True)
class ReceptiveFieldPattern:
    r"""Which inputs one output unit of a stack of convolutions depends on
    (see :func:`receptive_field_gradient`).

    Attributes
    ----------
    grads : list of ndarray, L + 1 of them
        ``grads[l]``, shape ``(n_l, n_l)``: :math:`\partial y / \partial a^l` for the
        chosen output unit :math:`y` and the units :math:`a^l` of layer :math:`l`
        (``grads[0]`` the input :math:`x`, ``grads[L]`` one-hot). With all weights 1,
        each entry counts the paths from that unit to :math:`y`.
    sizes : list of int
        :math:`n_0, \dots, n_L`, each layer's side.
    rows, cols : (int, int)
        The bounding box of the non-zero entries of ``grads[0]``: ``[start, stop)``.
    side : int
        The box's side ``rows[1] - rows[0]`` (equal to the columns').
    count : int
        The number of non-zero entries of ``grads[0]``: ``side²`` unless a stride
        larger than the next kernel leaves holes.
    closed_form : int
        :func:`lecturekit.conv.receptive_field` for the same layers.
    """

    grads: list
    sizes: list
    rows: tuple
    cols: tuple
    side: int
    count: int
    closed_form: int


def receptive_field_gradient(kernel_sizes, *, strides=None, dilations=None, outputs=1,
                             position=(0, 0)):
    r"""Measure the receptive field of one output unit: the non-zero pattern of :math:`\partial y/\partial x`.

    Parameters
    ----------
    kernel_sizes : sequence of int, length L
        :math:`F_1, \dots, F_L` (square kernels), layer 1 first.
    strides, dilations : sequence of int, length L, optional
        :math:`S_l` and :math:`d_l`; default all 1.
    outputs : int, default 1
        The side of the last layer's output; the input is just large enough for
        it, without padding: :math:`n_{l-1} = S_l (n_l - 1) + d_l (F_l - 1) + 1`.
    position : (int, int), default (0, 0)
        The output unit :math:`y` (row, column) of the last layer.

    Returns
    -------
    ReceptiveFieldPattern
        ``grads`` (one per layer, input first), ``sizes``, ``rows``, ``cols``,
        ``side``, ``count`` and ``closed_form``.

    Notes
    -----
    A stack of single-channel convolutions with every weight 1 and an input of
    ones (its values do not enter :math:`\partial y / \partial x`) is run forward
    with :func:`lecturekit.conv.conv2d`; a one-hot upstream gradient at
    ``position`` is taken back through each layer with
    :func:`lecturekit.conv.conv2d_backward`. All weights being positive, no
    paths cancel: an entry of :math:`\partial y / \partial x` is non-zero exactly
    when :math:`y` depends on that input. Its bounding box has the side of the
    closed form :math:`r_L = 1 + \sum_l (F_l - 1)\, d_l \prod_{j<l} S_j`.

    References
    ----------
    000_778bfa8cbc5d38d6.txt (Lecture 4), "receptive field aka. filter size".

    Examples
    --------
    >>> p = receptive_field_gradient([3, 3])        # two 3x3 layers see 5x5
    >>> p.side, p.count, p.closed_form
    (5, 25, 5)
    >>> p.grads[0][2]                               # paths to y through each input
    array([3., 6., 9., 6., 3.])
    >>> receptive_field_gradient([1, 2], strides=[2, 1]).count   # a hole: 2 of 3x3
    4
    """
    closed = receptive_field(kernel_sizes, strides=strides, dilations=dilations)
    n_layers = len(kernel_sizes)
    ks = [int(k) for k in kernel_sizes]
    ss = [1] * n_layers if strides is None else [int(s) for s in strides]
    ds = [1] * n_layers if dilations is None else [int(d) for d in dilations]
    outputs = check_int(outputs, "outputs", minimum=1)
    if isinstance(position, (str, bytes)) or not hasattr(position, "__len__") or \
            len(position) != 2:
        raise TypeError(f"position must be a pair (row, column), got {position!r}")
    row, col = (check_int(p, f"position[{i}]", minimum=0, maximum=outputs - 1)
                for i, p in enumerate(position))
    sizes = [outputs]
    for k, s, d in zip(ks[::-1], ss[::-1], ds[::-1], strict=True):
        sizes.insert(0, s * (sizes[0] - 1) + d * (k - 1) + 1)
    acts = [np.ones((1, 1, sizes[0], sizes[0]))]  # (N, C, H, W) = (1, 1, n_0, n_0)
    weights = [np.ones((1, 1, k, k)) for k in ks]  # (K, C, kh, kw) = (1, 1, F, F)
    for w_l, s, d in zip(weights, ss, ds, strict=True):
        acts.append(conv2d(acts[-1], w_l, stride=s, dilation=d))
    g = np.zeros_like(acts[-1])
    g[0, 0, row, col] = 1.0
    grads = [g[0, 0]]
    for a_l, w_l, s, d in zip(acts[-2::-1], weights[::-1], ss[::-1], ds[::-1], strict=True):
        g = conv2d_backward(g, a_l, w_l, stride=s, dilation=d)[0]
        grads.insert(0, g[0, 0])
    rows, cols = np.nonzero(grads[0])
    box_r, box_c = (int(rows.min()), int(rows.max()) + 1), (int(cols.min()), int(cols.max()) + 1)
    return ReceptiveFieldPattern(grads=grads, sizes=sizes, rows=box_r, cols=box_c,
                                 side=box_r[1] - box_r[0], count=int(rows.size),
                                 closed_form=closed)
