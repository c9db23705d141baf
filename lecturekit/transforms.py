r"""Geometric transforms of an image: rotation and scaling about its centre.

Lecture 3 asks which transforms max pooling is invariant to ("small shifts,
rotations, scaling"). Shifts are ``np.roll`` and 90° turns ``np.rot90``; any
other angle or a scale moves pixels to places between the grid points, and
:func:`warp` interpolates there.

Conventions
-----------
* Images are 2-D float64 arrays ``(H, W)``; row ``i`` runs downwards, column
  ``j`` to the right, and the centre is ``((H - 1) / 2, (W - 1) / 2)``.
* Bilinear interpolation between the four nearest pixels, with zeros outside
  the image (``scipy.ndimage.affine_transform(..., order=1, mode="grid-constant")``).

References: Lecture 3 (001_2691e6e736ad0c50.txt), "Pooling".
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, check_real

__all__ = ["warp"]


def warp(img, angle=0.0, scale=1.0):
    r"""``img`` rotated by ``angle`` degrees and scaled by ``scale`` about its centre.

    Parameters
    ----------
    img : array_like, shape (H, W)
        The image.
    angle : float, default 0
        Counter-clockwise rotation in degrees, as the image is shown (row 0 on top).
    scale : float, default 1
        Magnification, > 0: 2 doubles the digit's size on the same canvas.

    Returns
    -------
    ndarray, shape (H, W)
        Output pixel :math:`p` holds the input at
        :math:`c + R(-\theta)(p - c)/s`, interpolated bilinearly (0 outside).

    Notes
    -----
    With :math:`(i, j)` the offsets of the output pixel from the centre
    :math:`c`, the source point is

    .. math::
        i_s = c_i + (\cos\theta\, i + \sin\theta\, j)/s, \qquad
        j_s = c_j + (-\sin\theta\, i + \cos\theta\, j)/s,

    and with :math:`i_0 = \lfloor i_s \rfloor`, :math:`f_i = i_s - i_0` (likewise
    for :math:`j`) the value is
    :math:`(1-f_i)(1-f_j) x_{i_0 j_0} + (1-f_i) f_j x_{i_0, j_0+1} + f_i (1-f_j) x_{i_0+1, j_0}
    + f_i f_j x_{i_0+1, j_0+1}`. A turn by 90° reproduces ``np.rot90`` (up to
    rounding of :math:`\cos 90°`).

    References
    ----------
    Lecture 3 (001_2691e6e736ad0c50.txt), "Pooling": invariance to small rotations and scaling.

    Examples
    --------
    >>> img = np.arange(9.0).reshape(3, 3)
    >>> np.allclose(warp(img, 90), np.rot90(img))
    True
    >>> warp(img, scale=2.0)[1]   # the middle row, stretched about the centre
    array([3.5, 4. , 4.5])
    """
    img = as_array(img, "img", ndim=2)
    angle = check_real(angle, "angle")
    scale = check_real(scale, "scale", low=0.0, low_open=True)
    h, w = img.shape
    ci, cj = (h - 1) / 2, (w - 1) / 2
    t = np.deg2rad(angle)
    i, j = np.mgrid[0:h, 0:w].astype(np.float64)
    i, j = i - ci, j - cj                                  # offsets from the centre
    si = ci + (np.cos(t) * i + np.sin(t) * j) / scale      # where output pixel (i, j) reads
    sj = cj + (-np.sin(t) * i + np.cos(t) * j) / scale
    # Far outside the image every neighbour is 0; clip before the cast so it cannot overflow.
    si, sj = np.clip(si, -2.0, h + 1.0), np.clip(sj, -2.0, w + 1.0)
    i0, j0 = np.floor(si).astype(int), np.floor(sj).astype(int)
    fi, fj = si - i0, sj - j0
    padded = np.pad(img, 1)                                # a ring of zeros: index + 1

    def at(a, b):
        return padded[np.clip(a + 1, 0, h + 1), np.clip(b + 1, 0, w + 1)]

    return ((1 - fi) * (1 - fj) * at(i0, j0) + (1 - fi) * fj * at(i0, j0 + 1)
            + fi * (1 - fj) * at(i0 + 1, j0) + fi * fj * at(i0 + 1, j0 + 1))
