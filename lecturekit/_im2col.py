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

How it is fast. The padded input is copied once into a zeroed buffer with one
spare row at the bottom. A strided view of that buffer, shape
``(N, C, kh, kw, Ho, Wc)``, lists every window without copying (``as_strided``
on a buffer this module allocated, with strides computed from its own shape, so
every address is inside it). Copying the view, one chunk of samples at a time,
gives the im2col matrix of shape ``(C*kh*kw, n*Ho*Wc)``, and one matrix product
with ``w.reshape(K, C*kh*kw)`` gives the outputs of the chunk.

When the horizontal stride is 1 the view runs over the full padded width,
``Wc = Wp`` instead of ``Wo``: the ``Wp - Wo`` extra "columns" of each output row
are junk (they read across the row end into the next row, or into the spare
row) and are dropped afterwards. The reward is that each window row of the
im2col matrix is then one contiguous run of ``Ho*Wp`` numbers in memory, so the
copy runs at memcpy speed instead of one short run per output row. Chunking
keeps the im2col matrix of a chunk in cache (about ``CHUNK_BYTES``) and bounds
the memory a large batch needs. Nothing is cached between calls.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

CHUNK_BYTES = 4 * 2**20
"""Target size of one chunk's im2col matrix, 4 MiB: chosen by timing 256 KiB to 16 MiB on the
shapes of benchmarks/bench_conv.py; smaller chunks stay in cache but give BLAS smaller products
to spread over its threads."""


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


def padded_buffer(x, geom):
    """Zeroed ``(N, C, Hp + 1, Wp)`` buffer holding ``x``; the spare row absorbs junk reads."""
    N, C, H, W = x.shape
    (pt, _), (pl, _) = geom.pad
    Hp, Wp = geom.padded_hw
    xp = np.zeros((N, C, Hp + 1, Wp), dtype=x.dtype)
    xp[:, :, pt:pt + H, pl:pl + W] = x
    return xp


def window_view(xp, geom, *, writeable=False):
    """Strided view ``(N, C, kh, kw, Ho, Wc)`` of a buffer from :func:`padded_buffer`.

    Element ``[n, c, u, v, i, j]`` is ``xp[n, c, i*sh + u*dh, j*sw + v*dw]``, read
    through the flattened image so that junk columns ``j >= Wo`` wrap into the
    next row. For fixed ``(u, v)`` all addresses are distinct, which is what lets
    :func:`grad_input` add into the view one kernel position at a time.
    """
    kh, kw = geom.kernel
    sh, sw = geom.stride
    dh, dw = geom.dilation
    Ho, _ = geom.out_hw
    Wp = xp.shape[3]
    e = xp.itemsize
    return as_strided(
        xp,
        shape=(xp.shape[0], xp.shape[1], kh, kw, Ho, geom.cols_width),
        strides=(xp.strides[0], xp.strides[1], dh * Wp * e, dw * e, sh * Wp * e, sw * e),
        writeable=writeable,
    )


def _chunks(N, per_sample_bytes):
    step = max(1, min(N, CHUNK_BYTES // max(1, per_sample_bytes)))
    for n0 in range(0, N, step):
        yield n0, min(N, n0 + step)


def _cols(view, n0, n1):
    """The im2col matrix of samples ``n0:n1``: a contiguous copy, shape ``(C*kh*kw, n*Ho*Wc)``."""
    C, kh, kw = view.shape[1:4]
    # (n, C, kh, kw, Ho, Wc) -> (C, kh, kw, n, Ho, Wc): rows are window entries, columns positions
    return np.ascontiguousarray(view[n0:n1].transpose(1, 2, 3, 0, 4, 5)).reshape(C * kh * kw, -1)


def _g_cols(g, n0, n1, Wc):
    """Upstream gradient of samples ``n0:n1`` as ``(K, n*Ho*Wc)``, zero in the junk columns."""
    K, (Ho, Wo) = g.shape[1], g.shape[2:]
    out = np.zeros((K, n1 - n0, Ho, Wc), dtype=g.dtype)
    out[..., :Wo] = g[n0:n1].transpose(1, 0, 2, 3)  # (n, K, Ho, Wo) -> (K, n, Ho, Wo)
    return out.reshape(K, -1)


def forward(x, w, geom):
    """``y[n, k, i, j] = sum_{c,u,v} w[k, c, u, v] x_p[n, c, i*sh + u*dh, j*sw + v*dw]``."""
    N = x.shape[0]
    K = w.shape[0]
    Ho, Wo = geom.out_hw
    view = window_view(padded_buffer(x, geom), geom)
    Wc = view.shape[5]
    w2 = w.reshape(K, -1)  # (K, C*kh*kw)
    y = np.empty((N, K, Ho, Wo), dtype=np.result_type(x, w))
    per_sample = w2.shape[1] * Ho * Wc * x.itemsize
    for n0, n1 in _chunks(N, per_sample):
        out = (w2 @ _cols(view, n0, n1)).reshape(K, n1 - n0, Ho, Wc)
        y[n0:n1] = out[..., :Wo].transpose(1, 0, 2, 3)  # (K, n, Ho, Wo) -> (n, K, Ho, Wo)
    return y


def grad_weight(g, x, geom):
    """``dw[k, c, u, v] = sum_{n,i,j} g[n, k, i, j] x_p[n, c, i*sh + u*dh, j*sw + v*dw]``."""
    N, C = x.shape[:2]
    K = g.shape[1]
    kh, kw = geom.kernel
    view = window_view(padded_buffer(x, geom), geom)
    Wc = view.shape[5]
    dw2 = np.zeros((K, C * kh * kw), dtype=np.result_type(g, x))
    per_sample = C * kh * kw * geom.out_hw[0] * Wc * x.itemsize
    for n0, n1 in _chunks(N, per_sample):
        dw2 += _g_cols(g, n0, n1, Wc) @ _cols(view, n0, n1).T
    return dw2.reshape(K, C, kh, kw)


def grad_input(g, w, geom):
    """``dx[n, c, r, s] = sum over windows covering (r, s) of g[n, k, i, j] w[k, c, u, v]``.

    ``g`` has shape ``(N, K, Ho, Wo)``; the result has shape ``(N, C) + geom.in_hw``.
    """
    N, K = g.shape[:2]
    C, (kh, kw) = w.shape[1], geom.kernel
    H, W = geom.in_hw
    (pt, _), (pl, _) = geom.pad
    Hp, Wp = geom.padded_hw
    dtype = np.result_type(g, w)
    dxp = np.zeros((N, C, Hp + 1, Wp), dtype=dtype)
    view = window_view(dxp, geom, writeable=True)
    Ho, Wc = geom.out_hw[0], view.shape[5]
    w2t = w.reshape(K, -1).T  # (C*kh*kw, K)
    per_sample = C * kh * kw * Ho * Wc * g.itemsize
    for n0, n1 in _chunks(N, per_sample):
        dcols = (w2t @ _g_cols(g, n0, n1, Wc)).reshape(C, kh, kw, n1 - n0, Ho, Wc)
        # Windows overlap, so add one kernel position at a time: within one (u, v)
        # the view's addresses are distinct. Junk columns carry zeros.
        for u in range(kh):
            for v in range(kw):
                view[n0:n1, :, u, v] += dcols[:, u, v].transpose(1, 0, 2, 3)  # (C,n,..)->(n,C,..)
    return dxp[:, :, pt:pt + H, pl:pl + W].copy()
