r"""The fast machinery behind :mod:`lecturekit.conv`: im2col and one matrix product.

Every public function of ``conv`` that is not a reference loop ends up in three
cores, all written for the cross-correlation of deep-learning libraries

.. math::
    y[n, k, i, j] = \sum_{c, u, v} w[k, c, u, v]\,
                    x_p[n, c, i s_h + u d_h, j s_w + v d_w]

where :math:`x_p` is the zero-padded input:

* :func:`forward` computes :math:`y` (conv2d; the input gradient of conv_transpose2d);
* :func:`grad_weight` computes :math:`\partial L/\partial w` from
  :math:`g = \partial L/\partial y` (both layers' weight gradients);
* :func:`grad_input` computes :math:`\partial L/\partial x` by scattering
  :math:`w^T g` back onto the windows (conv2d's input gradient; conv_transpose2d).

How it is fast
--------------
* **Windows without copying.** A chunk of samples is copied into a zeroed buffer
  with the padding and one spare row at the bottom. A strided view of that
  buffer lists every window (``as_strided`` on a buffer this module allocated,
  with strides computed from its own shape, so every address is inside it).
  Copying the view gives the im2col matrices, and one batched matrix product with
  the reshaped weights gives the outputs of the chunk.
* **One product per sample.** The im2col matrices are sample-major, ``(n, rows,
  positions)``: ``np.matmul`` runs one BLAS product per sample, whose output is that
  sample's ``(K, Ho*Wc)`` block of ``y`` (written in place when there are no junk
  columns), and the gradients' products need no transposed copy of ``g``. A single
  product over all the chunk's positions reads its im2col matrix from the outer cache,
  and for the weight gradient its inner dimension is every position of the chunk:
  OpenBLAS ran that 2.7x slower than the per-sample products (LeNet-5's first layer,
  one thread, AVX-512); forward+backward there took 0.86x the time of one product per
  chunk, interleaved.
* **Junk columns.** When the horizontal stride is 1 the view runs over the full
  padded width, ``Wc = Wp`` instead of ``Wo``: the ``Wp - Wo`` extra "columns" of
  each output row are junk (they read across the row end into the next row, or
  into the spare row) and are dropped afterwards. In exchange each window row of
  the im2col matrix is one long contiguous run in memory, so the copy runs at
  memcpy speed instead of one short run per output row.
* **Blocks of output rows** (:func:`forward` only, few filters). A product
  ``(K, C*kh*kw) @ (C*kh*kw, positions)`` with K = 6 (LeNet) keeps the machine's
  multiply units a quarter busy. With ``B`` output rows per im2col column the
  weights become a ``(B*K, C*R*kw)`` matrix, ``R = (B-1)*sh + kh`` input rows per
  block, whose row ``t*K + k`` holds filter ``k`` shifted down by ``t*sh`` rows
  (zeros elsewhere). It does ``R/kh`` times the multiply-adds of ``B = 1``
  (1.2 for B = 2 and 5x5 kernels) but the product is larger and the im2col
  matrix ``R/(B*kh)`` times the size (0.6). On the LeNet shape the product took
  0.63 ms instead of 0.93 ms (float64, one thread).
* **The bias** is one more column of the weights against a row of ones in the
  im2col matrix, so it costs no pass over the output.
* **Small images take another path** (:func:`small_forward`, :func:`small_backward`:
  the digits LeNet's layers, at most ``SMALL_SAMPLE`` im2col entries per sample). On 8x8
  and 4x4 images the junk columns would be a third or more of every product, and the
  per-chunk work costs more than the arithmetic. There a chunk of samples (a batch of
  32 in one) is padded once, the im2col matrix is one ``np.take`` with a cached flat
  index (no junk columns) and is kept for the backward, which reads it again when its
  input has the forward's bytes (:func:`_small_cols`); the backward rearranges the
  upstream gradient once for both products and the bias gradient, and the input
  gradient is one ``np.bincount`` of the column gradients onto the padded pixels
  instead of ``kh*kw`` strided additions.
* **Scratch buffers are reused.** The padded chunk, the im2col matrix and the
  product are kept per thread between calls (about ``CHUNK_BYTES`` each, grown
  on demand, never shrunk; one larger than ``KEEP_BYTES`` is not kept). Fresh
  multi-megabyte arrays are fresh pages, and on a virtual machine the page
  faults of zeroing them cost more than the arithmetic: 7 ms instead of 1.3 ms
  per LeNet-shaped forward, depending on how the C allocator happened to be
  tuned by earlier calls.
"""

from __future__ import annotations

import collections
import functools
import math
import threading
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

CHUNK_BYTES = 4 * 2**20
"""Target size of one chunk's im2col matrix, 4 MiB: chosen by timing 256 KiB to 16 MiB on the
shapes of benchmarks/bench_conv.py; smaller chunks stay in cache but give BLAS smaller products
to spread over its threads."""

FEW_FILTERS = 8
"""forward() blocks two or four output rows per im2col column when K <= FEW_FILTERS (and the
vertical dilation is 1; see :func:`row_block`): products with 6 rows ran at 6.9 GMAC/s, with
12 at 12.2, with 24 at 21 (float64, one thread)."""


class Geometry(NamedTuple):
    """Sizes of one 2-D (cross-)correlation, resolved and checked by ``conv``."""

    kernel: tuple  # (kh, kw)
    stride: tuple  # (sh, sw)
    dilation: tuple  # (dh, dw)
    pad: tuple  # ((top, bottom), (left, right))
    in_hw: tuple  # (H, W) of the unpadded input
    out_hw: tuple  # (Ho, Wo) window positions

    @property
    def padded_hw(self):
        (pt, pb), (pl, pr) = self.pad
        return self.in_hw[0] + pt + pb, self.in_hw[1] + pl + pr

    @property
    def cols_width(self):
        # Wc: with horizontal stride 1 the windows run over the whole padded width.
        return self.padded_hw[1] if self.stride[1] == 1 else self.out_hw[1]


KEEP_BYTES = 16 * 2**20
"""Scratch buffers up to this size are kept between calls; a larger one (a single huge
sample) is allocated for the call only, so that it does not stay in memory afterwards.
A kernel keeps these for its lifetime (one per student on a class server), so the bound
is small: at 64 MiB one 224 x 224 convolution left 37 MiB behind in notebook 04."""


class _Scratch(threading.local):
    """Per-thread buffers reused between calls; ``take`` returns a fresh-shaped view."""

    def __init__(self):
        self.buffers = {}
        self.layouts = {}  # name -> what its owner last left in it (see _padded_batch)

    def take(self, name, shape, dtype):
        dtype = np.dtype(dtype)
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > KEEP_BYTES:
            self.layouts.pop(name, None)  # not kept: whatever it held is gone
            return np.empty(shape, dtype)
        buf = self.buffers.get(name)
        if buf is None or buf.nbytes < nbytes:
            buf = self.buffers[name] = np.empty(nbytes, np.uint8)
            self.layouts.pop(name, None)  # a new buffer holds nothing yet
        return buf[:nbytes].view(dtype).reshape(shape)


_scratch = _Scratch()


def scratch(name, shape, dtype):
    """A per-thread buffer called ``name``, reused between calls, as an array of ``shape``
    and ``dtype`` (its contents undefined); one of more than KEEP_BYTES is fresh."""
    return _scratch.take(name, shape, dtype)


class _Blocks(NamedTuple):
    """``B`` output rows per im2col column, reading ``R`` input rows ``row_step`` apart."""

    B: int
    R: int
    row_step: int
    n_blocks: int  # ceil(Ho / B)
    rows: int  # rows of the padded buffer: every row a block reads, plus the spare row
    width: int  # columns per block row: the junk-column width Wc for B = 1, else Wo
    last_row: int  # the last padded row a block reads


def _blocks(geom, B=1):
    kh, dh, sh = geom.kernel[0], geom.dilation[0], geom.stride[0]
    Ho = geom.out_hw[0]
    n_blocks = -(-Ho // B)
    if B == 1:  # the kh kernel rows, dh apart
        R, row_step = kh, dh
    else:  # every input row the B shifted kernels touch (the weights hold zeros between taps)
        R, row_step = (B - 1) * sh + (kh - 1) * dh + 1, 1
    last_row = (n_blocks - 1) * B * sh + (R - 1) * row_step
    # Junk columns let one block's positions run on into the next row, so that with B = 1
    # the copy into the im2col matrix has runs of Ho*Wc entries; with B > 1 the runs are a
    # row long either way, and the junk would only add to the product and the copies.
    width = geom.cols_width if B == 1 else geom.out_hw[1]
    return _Blocks(B, R, row_step, n_blocks, max(geom.padded_hw[0], last_row + 1) + 1, width,
                   last_row)


def _padded_chunk(x, n0, n1, geom, blocks):
    """Samples ``n0:n1`` of ``x``, zero-padded, in a scratch buffer ``(n, C, rows, Wp)``."""
    C, H, W = x.shape[1:]
    (pt, _), (pl, _) = geom.pad
    Wp = geom.padded_hw[1]
    xp = _scratch.take("xp", (n1 - n0, C, blocks.rows, Wp), x.dtype)
    # the border is zeroed on every call: the buffer may have held another geometry
    xp[:, :, :pt] = 0
    xp[:, :, pt + H:] = 0
    xp[:, :, pt:pt + H, :pl] = 0
    xp[:, :, pt:pt + H, pl + W:] = 0
    xp[:, :, pt:pt + H, pl:pl + W] = x[n0:n1]
    return xp


def _window_source(x, n0, n1, geom, blocks):
    """What :func:`window_view` reads for samples ``n0:n1``: ``x`` itself when nothing needs
    padding (no padding, no junk columns, every block inside the image, C-contiguous),
    else :func:`_padded_chunk`."""
    if (blocks.width == geom.out_hw[1] and geom.pad == ((0, 0), (0, 0))
            and blocks.last_row < geom.in_hw[0] and x.flags.c_contiguous):
        return x[n0:n1]
    return _padded_chunk(x, n0, n1, geom, blocks)


def window_view(xp, geom, blocks, *, writeable=False):
    """Strided view ``(n, C, R, kw, n_blocks, blocks.width)`` of a padded buffer.

    Element ``[n, c, r, v, I, j]`` is ``xp[n, c, I*B*sh + r*row_step, j*sw + v*dw]``,
    read through the flattened image so that junk columns ``j >= Wo`` (with ``B = 1``,
    width ``Wc``) wrap into the next row. With ``B = 1`` that is ``x_p[n, c, I*sh + r*dh,
    j*sw + v*dw]``: window entry ``(r, v)`` of output position ``(I, j)``. For fixed
    ``(r, v)`` all addresses are distinct, which is what lets :func:`grad_input`
    add into the view one kernel position at a time.
    """
    kw = geom.kernel[1]
    sh, sw = geom.stride
    dw = geom.dilation[1]
    Wp = xp.shape[3]
    e = xp.itemsize
    return as_strided(
        xp,
        shape=(xp.shape[0], xp.shape[1], blocks.R, kw, blocks.n_blocks, blocks.width),
        strides=(xp.strides[0], xp.strides[1], blocks.row_step * Wp * e, dw * e,
                 blocks.B * sh * Wp * e, sw * e),
        writeable=writeable,
    )


def _chunks(N, per_sample_bytes):
    step = max(1, min(N, CHUNK_BYTES // max(1, per_sample_bytes)))
    for n0 in range(0, N, step):
        yield n0, min(N, n0 + step)


def _cols(view, ones_row=False):
    """The im2col matrices of a chunk: ``(n, C*R*kw [+ 1], n_blocks*Wc)`` in a scratch buffer.

    ``view`` is ``(n, C, R, kw, n_blocks, Wc)``; per sample, rows are window entries and
    columns positions. With ``ones_row`` a last row of ones multiplies the bias.
    """
    n, C, R, kw, nb, Wc = view.shape
    rows = C * R * kw
    cols = _scratch.take("cols", (n, rows + ones_row, nb * Wc), view.dtype)
    np.copyto(cols[:, :rows].reshape(n, C, R, kw, nb, Wc), view)
    if ones_row:
        cols[:, rows] = 1
    return cols


def _blocked_weights(w, b, blocks, geom):
    """``(B*K, C*R*kw [+ 1])``: row ``t*K + k`` is filter ``k`` moved down ``t*sh`` rows; bias last."""
    K, C, kh, kw = w.shape
    B, R = blocks.B, blocks.R
    wb = np.zeros((B, K, C * R * kw + (b is not None)), dtype=w.dtype)
    if B == 1:  # R = kh: the rows are the kernel's own
        wb[0, :, :C * R * kw] = w.reshape(K, -1)
    else:  # filter k's row u lands on block row t*sh + u*dh
        sh, dh = geom.stride[0], geom.dilation[0]
        shifted = wb[:, :, :C * R * kw].reshape(B, K, C, R, kw)
        for t in range(B):
            shifted[t, :, :, t * sh:t * sh + (kh - 1) * dh + 1:dh] = w
    if b is not None:
        wb[:, :, -1] = b
    return wb.reshape(B * K, -1)


def row_block(K, geom):
    """How many output rows :func:`forward` computes per im2col column (``B``).

    Few filters make a product with few rows, which BLAS runs slowly; blocking ``B``
    output rows multiplies the rows by ``B`` and divides the columns by ``B``, for a
    ``(B - 1 + kh) / kh`` times larger product. Measured on one thread (conv2d / its
    plain im2col product): LeNet-5's first layer (6 5x5 filters on 28x28) 1.53 with
    ``B = 2``, 1.19 with 4; 2 7x7 filters on 3 x 64x64 channels 1.21 and 0.60. With
    3x3 kernels the larger product costs more than it saves: 4 blocks stay for
    kernels of 5 rows or more. (On an AVX-512 machine, with one product per sample,
    LeNet-5's first layer measured 1.37 with ``B = 1`` and 1.43-1.47 with 2 and 4,
    interleaved over 25 rounds: within the machine's noise, so the choice stays.)
    """
    kh = geom.kernel[0]
    if K > FEW_FILTERS or geom.dilation[0] != 1 or geom.out_hw[0] <= 1:
        return 1
    if 4 * K <= 3 * FEW_FILTERS and kh >= 5 and geom.out_hw[0] >= 8:
        return 4
    return 2


def forward(x, w, geom, b=None):
    """``y[n, k, i, j] = b[k] + sum_{c,u,v} w[k, c, u, v] x_p[n, c, i*sh + u*dh, j*sw + v*dw]``."""
    N = x.shape[0]
    K = w.shape[0]
    Ho, Wo = geom.out_hw
    blocks = _blocks(geom, row_block(K, geom))
    B = blocks.B
    wb = _blocked_weights(w, b, blocks, geom)
    Wc = blocks.width
    y = np.empty((N, K, Ho, Wo), dtype=np.result_type(x, w))
    per_sample = max(wb.shape) * blocks.n_blocks * Wc * x.itemsize
    for n0, n1 in _chunks(N, per_sample):
        n = n1 - n0
        cols = _cols(window_view(_window_source(x, n0, n1, geom, blocks), geom, blocks),
                     ones_row=b is not None)
        if B == 1 and Wc == Wo:  # each sample's product is its output: write it in place
            np.matmul(wb, cols, out=y[n0:n1].reshape(n, K, Ho * Wo))
            continue
        out = _scratch.take("out", (n, B * K, cols.shape[2]), y.dtype)
        np.matmul(wb, cols, out=out)
        out = out.reshape(n, B, K, blocks.n_blocks, Wc)
        for t in range(B):  # output rows t, t+B, t+2B, ...: block row t of every block
            y[n0:n1, :, t::B] = out[:, t, :, :len(range(t, Ho, B)), :Wo]
    return y


def _g_cols(g, n0, n1, Wc):
    """Upstream gradient of samples ``n0:n1`` as ``(n, K, Ho*Wc)``, zero in the junk columns
    (a view of ``g`` when there are none)."""
    K, (Ho, Wo) = g.shape[1], g.shape[2:]
    if Wc == Wo:
        return g[n0:n1].reshape(n1 - n0, K, Ho * Wo)
    out = _scratch.take("g_cols", (n1 - n0, K, Ho, Wc), g.dtype)
    out[..., Wo:] = 0
    out[..., :Wo] = g[n0:n1]
    return out.reshape(n1 - n0, K, Ho * Wc)


def grad_weight(g, x, geom):
    """``dw[k, c, u, v] = sum_{n,i,j} g[n, k, i, j] x_p[n, c, i*sh + u*dh, j*sw + v*dw]``."""
    N, C = x.shape[:2]
    K = g.shape[1]
    kh, kw = geom.kernel
    blocks = _blocks(geom)
    Wc = geom.cols_width
    dw2 = np.zeros((K, C * kh * kw), dtype=np.result_type(g, x))
    per_sample = max(C * kh * kw, K) * geom.out_hw[0] * Wc * x.itemsize
    for n0, n1 in _chunks(N, per_sample):
        cols = _cols(window_view(_padded_chunk(x, n0, n1, geom, blocks), geom, blocks))
        # one product per sample, then their sum: see backward()
        dw2 += np.matmul(_g_cols(g, n0, n1, Wc), cols.transpose(0, 2, 1)).sum(axis=0)
    return dw2.reshape(K, C, kh, kw)


def grad_input(g, w, geom):
    """``dx[n, c, r, s] = sum over windows covering (r, s) of g[n, k, i, j] w[k, c, u, v]``.

    ``g`` has shape ``(N, K, Ho, Wo)``; the result has shape ``(N, C) + geom.in_hw``.
    """
    N, K = g.shape[:2]
    C, (kh, kw) = w.shape[1], geom.kernel
    H, W = geom.in_hw
    (pt, _), (pl, _) = geom.pad
    Wp = geom.padded_hw[1]
    blocks = _blocks(geom)
    dtype = np.result_type(g, w)
    dx = np.empty((N, C, H, W), dtype=dtype)
    Ho, Wc = geom.out_hw[0], geom.cols_width
    w2t = w.reshape(K, -1).T  # (C*kh*kw, K)
    per_sample = max(C * kh * kw, K) * Ho * Wc * g.itemsize
    for n0, n1 in _chunks(N, per_sample):
        n = n1 - n0
        dxp = _scratch.take("dxp", (n, C, blocks.rows, Wp), dtype)
        dxp[...] = 0
        view = window_view(dxp, geom, blocks, writeable=True)
        dcols = _scratch.take("dcols", (n, C * kh * kw, Ho * Wc), dtype)
        np.matmul(w2t, _g_cols(g, n0, n1, Wc), out=dcols)
        dcols = dcols.reshape(n, C, kh, kw, Ho, Wc)
        # Windows overlap, so add one kernel position at a time: within one (u, v)
        # the view's addresses are distinct. Junk columns carry zeros.
        for u in range(kh):
            for v in range(kw):
                view[:, :, u, v] += dcols[:, :, u, v]
        dx[n0:n1] = dxp[:, :, pt:pt + H, pl:pl + W]
    return dx


# ------------------------------------------------------------------ small problems

SMALL_ELEMENTS = 2**17
"""The small path works on chunks of samples whose im2col matrix has at most this many
entries (the digits LeNet's batches of 32: 18 432 and 73 728, one chunk each); its cached
gather index is that size. 0 turns the small path off."""

SMALL_SAMPLE = 4096
"""A sample whose im2col matrix has at most this many entries (``C*kh*kw*Ho*Wo``) is a
small image: 8x8 (576 with one 3x3 channel), 4x4 with 16 channels (2304). LeNet-5's
28x28 input (14 400) and the larger shapes keep the junk-column path."""


def is_small(n, c, geom):
    """Whether a batch of ``n`` samples with ``c`` channels takes the small path."""
    kh, kw = geom.kernel
    return SMALL_ELEMENTS > 0 and c * kh * kw * geom.out_hw[0] * geom.out_hw[1] <= SMALL_SAMPLE


def _small_chunks(N, c, geom):
    kh, kw = geom.kernel
    step = max(1, SMALL_ELEMENTS // (c * kh * kw * geom.out_hw[0] * geom.out_hw[1]))
    for n0 in range(0, N, step):
        yield n0, min(N, n0 + step)


@functools.lru_cache(maxsize=8)
def _gather_index(n, c, geom):
    """``(C*kh*kw, n*Ho*Wo)``: flat index into a padded chunk ``(n, C, Hp, Wp)`` of every
    im2col entry; read-only, cached (the models repeat the same shapes on every step)."""
    kh, kw = geom.kernel
    (sh, sw), (dh, dw) = geom.stride, geom.dilation
    Hp, Wp = geom.padded_hw
    Ho, Wo = geom.out_hw
    ar = functools.partial(np.arange, dtype=np.intp)
    index = (ar(c)[:, None, None, None, None, None] * (Hp * Wp)
             + ar(kh)[:, None, None, None, None] * (dh * Wp)
             + ar(kw)[:, None, None, None] * dw
             + ar(n)[:, None, None] * (c * Hp * Wp)
             + ar(Ho)[:, None] * (sh * Wp) + ar(Wo) * sw)
    index = index.reshape(c * kh * kw, n * Ho * Wo)
    index.flags.writeable = False
    return index


def _padded_batch(x, geom):
    """``x`` zero-padded, C-contiguous ``(n, C, Hp, Wp)`` (``x`` itself if it is already)."""
    (pt, pb), (pl, pr) = geom.pad
    if pt == pb == pl == pr == 0 and x.flags.c_contiguous:
        return x
    N, C, H, W = x.shape
    Hp, Wp = geom.padded_hw
    xp = _scratch.take("xp_small", (N, C, Hp, Wp), x.dtype)
    # Only this function writes into its buffer, and only the interior: the zero border
    # of the last layout stays in place, and is written again only when the layout changes
    # (on these small images the five border writes cost more than the copy).
    layout = (xp.shape, xp.dtype, geom.pad)
    if _scratch.layouts.get("xp_small") != layout:
        xp[...] = 0
        _scratch.layouts["xp_small"] = layout
    xp[:, :, pt:pt + H, pl:pl + W] = x
    return xp


SMALL_COLS_KEPT = 8
"""How many small-path im2col matrices :func:`_small_cols` keeps (per thread), each with the
input it came from: a model's small layers, each in its forward and then its backward. At most
about ``SMALL_ELEMENTS`` entries each (1 MiB); the digits LeNet's two take 0.75 MiB."""


class _KeptCols(threading.local):
    """Per thread: ``key -> [input bits, im2col matrix with its row of ones, valid]``, oldest first."""

    def __init__(self):
        self.entries = collections.OrderedDict()


_kept_cols = _KeptCols()


def _small_cols(x, geom, ones_row=False, *, reuse=False):
    """The im2col matrix ``(C*kh*kw [+ 1], n*Ho*Wo)`` of a chunk, by one gather (no junk
    columns: on images this small they would be a third or more of the product). With
    ``ones_row`` a last row of ones multiplies the bias. Read-only.

    A layer's backward needs the im2col matrix of the input its forward had. So every
    matrix is kept, with a copy of its input's bytes, and a call with ``reuse`` (the
    backward's) whose input has the same bytes, shape and geometry reads the kept one
    instead of gathering again: on the digits LeNet's two layers the gather takes 17 and
    60 us, the comparison 2-3 us. The bytes, not the values: ``-0.0`` and ``0.0`` compare
    equal but are not the same input. The forward always gathers (a training step's
    forward has a new input). A new input is gathered into the same buffers (fresh arrays
    of this size cost page faults on every call), so a kept matrix is valid only until the
    next call.
    """
    index = _gather_index(x.shape[0], x.shape[1], geom)
    rows, n = index.shape
    key = (x.shape, x.dtype.str, geom)
    entry = _kept_cols.entries.get(key)
    if entry is None:
        entry = _kept_cols.entries[key] = [np.empty(x.shape, f"u{x.itemsize}"),
                                           np.empty((rows + 1, n), x.dtype), False]
        if len(_kept_cols.entries) > SMALL_COLS_KEPT:
            _kept_cols.entries.popitem(last=False)
    else:
        _kept_cols.entries.move_to_end(key)
    bits = x.view(entry[0].dtype) if x.flags.c_contiguous else None
    saved, cols, valid = entry
    if not (reuse and valid and bits is not None and np.array_equal(saved, bits)):
        entry[2] = False  # until the gather below is complete
        # mode="clip": every index is in range, and it lets take write into `cols` unbuffered
        np.take(_padded_batch(x, geom).reshape(-1), index, out=cols[:rows], mode="clip")
        cols[rows] = 1
        if bits is not None:
            np.copyto(saved, bits)
            entry[2] = True
    view = cols if ones_row else cols[:rows]
    view = view.view()
    view.flags.writeable = False
    return view


def small_forward(x, w, geom, b=None):
    """:func:`forward` for small images (:func:`is_small`): per chunk one gather, one product."""
    N, C = x.shape[:2]
    K = w.shape[0]
    Ho, Wo = geom.out_hw
    w2 = w.reshape(K, -1)
    if b is not None:  # the bias as one more column of weights, against the row of ones
        w2 = np.concatenate([w2, b[:, None].astype(w2.dtype, copy=False)], axis=1)
    y = np.empty((N, K, Ho, Wo), dtype=np.result_type(x, w))
    for n0, n1 in _small_chunks(N, C, geom):
        n = n1 - n0
        cols = _small_cols(x[n0:n1], geom, ones_row=b is not None)
        out = _scratch.take("out", (K, cols.shape[1]), y.dtype)
        np.matmul(w2, cols, out=out)
        np.copyto(y[n0:n1].reshape(n, K, Ho * Wo), out.reshape(K, n, Ho * Wo).transpose(1, 0, 2))
    return y


def small_backward(g, x, w, geom, *, need_dx=True):
    """``(dx, dw, db)`` for small images: :func:`grad_input`, :func:`grad_weight` and the
    bias gradient, sharing per chunk the gather index and the rearranged ``g``; ``dx`` is
    None without ``need_dx`` (a first layer's input gradient)."""
    N, C, H, W = x.shape
    K, _, kh, kw = w.shape
    Ho, Wo = geom.out_hw
    Hp, Wp = geom.padded_hw
    (pt, _), (pl, _) = geom.pad
    dtype = np.result_type(g, x, w)
    w2t = w.reshape(K, -1).T
    # dw and db in one product: db is the weight of the im2col matrix's row of ones
    dwb = np.zeros((K, C * kh * kw + 1), dtype=dtype)
    dx = np.empty((N, C, H, W), dtype=dtype) if need_dx else None
    for n0, n1 in _small_chunks(N, C, geom):
        n = n1 - n0
        gk = _scratch.take("g_cols", (K, n, Ho * Wo), dtype)
        np.copyto(gk, g[n0:n1].reshape(n, K, Ho * Wo).transpose(1, 0, 2))
        gk = gk.reshape(K, -1)
        dwb += gk @ _small_cols(x[n0:n1], geom, ones_row=True, reuse=True).T
        if not need_dx:
            continue
        dcols = _scratch.take("dcols", (C * kh * kw, gk.shape[1]), dtype)
        np.matmul(w2t, gk, out=dcols)
        # col2im: add every entry onto its padded pixel, all at once
        dxp = np.bincount(_gather_index(n, C, geom).reshape(-1), weights=dcols.reshape(-1),
                          minlength=n * C * Hp * Wp).reshape(n, C, Hp, Wp)
        dx[n0:n1] = dxp[:, :, pt:pt + H, pl:pl + W]
    return dx, np.ascontiguousarray(dwb[:, :-1]).reshape(w.shape), dwb[:, -1].copy()


def backward(g, x, w, geom):
    """``(dx, dw, db)``: :func:`grad_input`, :func:`grad_weight` and the bias gradient in one
    pass over the chunks, which rearranges each chunk's ``g`` once for both products.

    The weight and bias gradients come from one product per sample, ``g_cols @ cols.T``
    with the im2col matrix's row of ones (junk columns of ``g_cols`` are zero, so that
    row sums ``g``), then a sum over the samples. One product over all the positions of a
    chunk is the same sum, but its inner dimension is every position of the chunk (20 160
    on LeNet-5's first layer) while its result is only 6 x 26: OpenBLAS ran that 2.7x
    slower than the per-sample products and their sum (0.43 vs 0.16 ms per chunk of 30
    LeNet-5 samples, one thread, AVX-512). ``g.sum(axis=(0, 2, 3))`` for the bias alone
    took 0.1-0.16 ms of a 3 ms backward there."""
    N, C, H, W = x.shape
    K = g.shape[1]
    kh, kw = geom.kernel
    (pt, _), (pl, _) = geom.pad
    Wp = geom.padded_hw[1]
    blocks = _blocks(geom)
    dtype = np.result_type(g, x, w)
    Ho, Wc = geom.out_hw[0], geom.cols_width
    dx = np.empty((N, C, H, W), dtype=dtype)
    dwb = np.zeros((K, C * kh * kw + 1), dtype=dtype)  # db is the last column
    w2t = w.reshape(K, -1).T  # (C*kh*kw, K)
    per_sample = max(C * kh * kw + 1, K) * Ho * Wc * x.itemsize
    for n0, n1 in _chunks(N, per_sample):
        n = n1 - n0
        g_cols = _g_cols(g, n0, n1, Wc)
        cols = _cols(window_view(_padded_chunk(x, n0, n1, geom, blocks), geom, blocks),
                     ones_row=True)
        dwb += np.matmul(g_cols, cols.transpose(0, 2, 1)).sum(axis=0)
        dxp = _scratch.take("dxp", (n, C, blocks.rows, Wp), dtype)
        dxp[...] = 0
        view = window_view(dxp, geom, blocks, writeable=True)
        dcols = _scratch.take("dcols", (n, C * kh * kw, Ho * Wc), dtype)
        np.matmul(w2t, g_cols, out=dcols)
        dcols = dcols.reshape(n, C, kh, kw, Ho, Wc)
        for u in range(kh):  # one kernel position at a time: see grad_input
            for v in range(kw):
                view[:, :, u, v] += dcols[:, :, u, v]
        dx[n0:n1] = dxp[:, :, pt:pt + H, pl:pl + W]
    return dx, np.ascontiguousarray(dwb[:, :-1]).reshape(K, C, kh, kw), dwb[:, -1].copy()
