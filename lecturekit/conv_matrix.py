r"""Convolution as a matrix, Lecture 3's :math:`y = Kx`: where each kernel entry sits; gradients.

Conventions, stated once
------------------------
* Single channel, one sample: an input ``x`` of shape ``(H, W)`` and a kernel
  ``k`` of shape ``(kh, kw)``; the convolution is the cross-correlation of
  :func:`lecturekit.conv.conv2d` (no flip), with its ``stride``, ``padding``
  and ``dilation`` (an int or a pair).
* Input and output are flattened row by row, ``x.ravel()`` and ``y.ravel()``,
  so that ``conv2d(x[None, None], k[None, None]).ravel() == K @ x.ravel()``
  with ``K`` of shape ``(Ho*Wo, H*W)``.
* The kernel entries are numbered row by row as in the notes, :math:`k_1,
  k_2, \dots` is ``k.ravel()``; 0-based in the code (entry ``q = u*kw + v`` is
  the notes' :math:`k_{q+1}`).
* Quadratic in the image size: for teaching and checking, not for speed (the
  layers use :mod:`lecturekit._im2col`).

Letters of the lectures and names of the code
---------------------------------------------
========================================  ============================================
notes (Lecture 3)                          code
========================================  ============================================
:math:`x_1..x_9`, :math:`y_1..y_4`         ``x.ravel()``, ``y.ravel()``
:math:`k_1..k_4`                           ``k.ravel()``
:math:`K` in :math:`y = Kx`                :func:`conv_matrix`; :func:`conv_matrix_pattern`
:math:`\nabla_K L = \nabla_y L\, x^T`      ``np.outer(dy, x.ravel())``
:math:`\nabla_k L`                         :func:`conv_matrix_kernel_grad`
========================================  ============================================

Lecture 3 uses :math:`K` for both the kernel and the convolution matrix; the
code calls the matrix ``conv_matrix(...)`` and the kernel ``k``.

References
----------
001_2691e6e736ad0c50.txt (Lecture 3), "y = Kx" and the gradients after it.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, check_int
from ._geometry import correlation_geometry

__all__ = [
    "conv_matrix", "conv_matrix_pattern", "conv_matrix_kernel_grad",
    "lecture3_example_conv_matrix",
]


def _shape2(value, name):
    """A pair of ints >= 1, ``(height, width)``: an input or a kernel shape."""
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
        As for :func:`lecturekit.conv.conv2d`.

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
    return _pattern(H, W, kh, kw, stride, padding, dilation,
                    "input_shape, kernel_shape, padding and dilation")


def _pattern(H, W, kh, kw, stride, padding, dilation, names):
    geom = correlation_geometry((H, W), (kh, kw), stride, padding, dilation, names)
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
        As for :func:`lecturekit.conv.conv2d`.

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
    if k.size == 0:
        raise ValueError(f"kernel must not be empty, got shape {k.shape}")
    H, W = _shape2(input_shape, "input_shape")
    pattern = _pattern(H, W, *k.shape, stride, padding, dilation,
                       "input_shape, kernel, padding and dilation")
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
    (\nabla_y L)_4 x_5`. Matches :func:`lecturekit.conv.conv2d_backward`'s ``dw``.

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
        raise ValueError(f"dK must have the shape of K, {pattern.shape}, got {dK.shape}; it must "
                         f"match conv_matrix(input_shape, kernel_shape, stride, padding, dilation)")
    on = pattern >= 0
    # sum dK over the positions of each kernel entry q = u*kw + v
    return np.bincount(pattern[on], weights=dK[on], minlength=kh * kw).reshape(kh, kw)



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
