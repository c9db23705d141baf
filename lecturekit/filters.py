r"""Classic image filters (Sobel, Prewitt, Laplacian, box, Gaussian, ...) and a sample image.

Conventions, stated once
------------------------
* Every filter is a function returning a fresh float64 array, so a student who
  edits one cannot change it for everyone else.
* Filters are meant to be applied by **cross-correlation**, as a CNN layer
  applies its kernels: ``lecturekit.conv.correlate2d(image, sobel_x(), "same")``
  or ``conv2d``. Applied by true convolution (``convolve2d``) the kernel is
  rotated by 180°, which flips the sign of the antisymmetric ones (Sobel,
  Prewitt) and changes nothing for the symmetric ones.
* Axes follow the image: ``x`` runs along columns (to the right), ``y`` along
  rows (downwards). :func:`sobel_x` is positive where the intensity increases to
  the right, :func:`sobel_y` where it increases downwards. This is
  ``scipy.ndimage.sobel(image, axis=1)`` and ``axis=0`` respectively.
* Images are 2-D float64 arrays, ``(H, W)``, values in [0, 1] for
  :func:`sample_image`.

References: Lecture 3 (001_2691e6e736ad0c50.txt), "Sobel and other filters",
which shows the filters as pictures only.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, check_choice, check_int, check_positive
from .conv import correlate2d

__all__ = [
    "sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "laplacian", "box", "gaussian",
    "sharpen", "identity", "gradient_magnitude", "sample_image",
]


def sobel_x():
    r"""Sobel filter for the horizontal derivative :math:`\partial I/\partial x`.

    Returns
    -------
    ndarray, shape (3, 3)
        :math:`\begin{pmatrix} -1 & 0 & 1 \\ -2 & 0 & 2 \\ -1 & 0 & 1 \end{pmatrix}`:
        the central difference :math:`[-1, 0, 1]` along the row, smoothed by
        :math:`[1, 2, 1]` across rows.

    Notes
    -----
    Applied by cross-correlation it equals ``scipy.ndimage.sobel(image, axis=1)``
    (same sign; with ``mode="constant"`` for zero padding).

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "Sobel and other filters".

    Examples
    --------
    >>> sobel_x()
    array([[-1.,  0.,  1.],
           [-2.,  0.,  2.],
           [-1.,  0.,  1.]])
    """
    return np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0])


def sobel_y():
    r"""Sobel filter for the vertical derivative :math:`\partial I/\partial y` (downwards).

    Returns
    -------
    ndarray, shape (3, 3)
        ``sobel_x().T``: :math:`\begin{pmatrix} -1 & -2 & -1 \\ 0 & 0 & 0 \\ 1 & 2 & 1
        \end{pmatrix}`; ``scipy.ndimage.sobel(image, axis=0)``.

    Examples
    --------
    >>> sobel_y()[0]
    array([-1., -2., -1.])
    """
    return np.outer([-1.0, 0.0, 1.0], [1.0, 2.0, 1.0])


def prewitt_x():
    r"""Prewitt filter for :math:`\partial I/\partial x`: like Sobel, smoothing :math:`[1, 1, 1]`.

    Returns
    -------
    ndarray, shape (3, 3)
        ``scipy.ndimage.prewitt(image, axis=1)`` by cross-correlation.

    Examples
    --------
    >>> prewitt_x()[1]
    array([-1.,  0.,  1.])
    """
    return np.outer([1.0, 1.0, 1.0], [-1.0, 0.0, 1.0])


def prewitt_y():
    r"""Prewitt filter for :math:`\partial I/\partial y` (downwards): ``prewitt_x().T``.

    Examples
    --------
    >>> prewitt_y()[:, 0]
    array([-1.,  0.,  1.])
    """
    return np.outer([-1.0, 0.0, 1.0], [1.0, 1.0, 1.0])


def laplacian(neighbours=4):
    r"""Discrete Laplacian :math:`\partial^2 I/\partial x^2 + \partial^2 I/\partial y^2`.

    Parameters
    ----------
    neighbours : {4, 8}, default 4
        4: :math:`\begin{pmatrix} 0 & 1 & 0 \\ 1 & -4 & 1 \\ 0 & 1 & 0 \end{pmatrix}`
        (``scipy.ndimage.laplace``); 8: all eight neighbours,
        :math:`\begin{pmatrix} 1 & 1 & 1 \\ 1 & -8 & 1 \\ 1 & 1 & 1 \end{pmatrix}`.

    Returns
    -------
    ndarray, shape (3, 3)
        Sums to 0: a flat image gives 0.

    Examples
    --------
    >>> laplacian()
    array([[ 0.,  1.,  0.],
           [ 1., -4.,  1.],
           [ 0.,  1.,  0.]])
    """
    check_choice(neighbours, "neighbours", (4, 8))
    if neighbours == 4:
        return np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
    k = np.ones((3, 3))
    k[1, 1] = -8.0
    return k


def box(n=3):
    r"""Box (mean) filter: :math:`n \times n` entries :math:`1/n^2`.

    Parameters
    ----------
    n : int, default 3

    Returns
    -------
    ndarray, shape (n, n)
        Sums to 1: blurs without changing the mean brightness.

    Examples
    --------
    >>> box(2)
    array([[0.25, 0.25],
           [0.25, 0.25]])
    """
    n = check_int(n, "n", minimum=1)
    return np.full((n, n), 1.0 / n**2)


def gaussian(n=5, sigma=1.0):
    r"""Gaussian blur filter, :math:`\propto \exp(-(u^2 + v^2)/2\sigma^2)`, normalised to sum 1.

    Parameters
    ----------
    n : int, default 5
        Size; :math:`u, v` run over :math:`-(n-1)/2, \dots, (n-1)/2`.
    sigma : float, default 1.0
        Standard deviation in pixels.

    Returns
    -------
    ndarray, shape (n, n)
        The outer product of a 1-D Gaussian with itself (the filter is separable).

    Examples
    --------
    >>> g = gaussian(5, 1.0)
    >>> round(float(g.sum()), 12), bool(g[2, 2] == g.max())
    (1.0, True)
    """
    n = check_int(n, "n", minimum=1)
    sigma = check_positive(sigma, "sigma")
    t = np.arange(n) - (n - 1) / 2
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        g = np.exp(-(t**2) / (2 * np.float64(sigma) ** 2))
    if not (np.all(np.isfinite(g)) and g.sum() > 0):
        # sigma**2 underflowed (or every weight did: an even n with a tiny sigma). The same
        # Gaussian up to a constant factor, exp(-(t**2 - t0**2) / 2 sigma**2) with t0 the
        # smallest |t|, in factors that cannot overflow: the central weights are exactly 1.
        a, t0 = np.abs(t), np.min(np.abs(t))
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            d = 0.5 * ((a - t0) / sigma) * ((a + t0) / sigma)
        g = np.where(a == t0, 1.0, np.exp(-d))
    g /= g.sum()
    return np.outer(g, g)


def sharpen():
    r"""Sharpening filter ``identity() - laplacian(4)``.

    Returns
    -------
    ndarray, shape (3, 3)
        :math:`\begin{pmatrix} 0 & -1 & 0 \\ -1 & 5 & -1 \\ 0 & -1 & 0 \end{pmatrix}`:
        adds to each pixel its difference from its neighbours.

    Examples
    --------
    >>> sharpen()[1]
    array([-1.,  5., -1.])
    """
    return identity(3) - laplacian(4)


def identity(n=3):
    r"""Identity filter: 1 in the centre, 0 elsewhere; correlating with it returns the image.

    Parameters
    ----------
    n : int, default 3
        Odd size, so that there is a centre.

    Examples
    --------
    >>> identity()
    array([[0., 0., 0.],
           [0., 1., 0.],
           [0., 0., 0.]])
    """
    n = check_int(n, "n", minimum=1)
    if n % 2 == 0:
        raise ValueError(f"n must be odd so that the filter has a centre, got {n}")
    k = np.zeros((n, n))
    k[n // 2, n // 2] = 1.0
    return k


_GRADIENTS = {"sobel": (sobel_x, sobel_y), "prewitt": (prewitt_x, prewitt_y)}


def gradient_magnitude(image, kind="sobel", mode="same"):
    r"""Edge strength :math:`\sqrt{G_x^2 + G_y^2}` from a pair of derivative filters.

    Parameters
    ----------
    image : array_like, shape (H, W)
    kind : {"sobel", "prewitt"}, default "sobel"
    mode : {"same", "valid"}, default "same"
        ``"same"`` zero-pads the border (so the image's edge itself shows as an
        edge); ``"valid"`` drops the border, shape ``(H-2, W-2)``.

    Returns
    -------
    ndarray
        :math:`G = \sqrt{G_x^2 + G_y^2}` with :math:`G_x = I \star S_x`,
        :math:`G_y = I \star S_y` (cross-correlation).

    Notes
    -----
    Equal to ``numpy.hypot(scipy.ndimage.sobel(image, 0, mode="constant"),
    scipy.ndimage.sobel(image, 1, mode="constant"))`` in ``"same"`` mode; the
    magnitude does not depend on the sign conventions.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "Sobel and other filters".

    Examples
    --------
    >>> step = np.repeat([[0.0, 0.0, 1.0, 1.0]], 3, axis=0)
    >>> gradient_magnitude(step, mode="valid")
    array([[4., 4.]])
    """
    image = as_array(image, "image", ndim=2)
    if image.size == 0:
        raise ValueError(f"image must not be empty, got shape {image.shape}")
    check_choice(kind, "kind", tuple(_GRADIENTS))
    check_choice(mode, "mode", ("same", "valid"))
    fx, fy = _GRADIENTS[kind]
    return np.hypot(correlate2d(image, fx(), mode), correlate2d(image, fy(), mode))


def sample_image(step=1):
    r"""A real grayscale photograph: matplotlib's bundled portrait of Grace Hopper.

    Parameters
    ----------
    step : int, default 1
        Downsampling factor: each ``step × step`` block is averaged (the
        full image is 600×512; ``step=4`` gives 150×128, fast for loops).

    Returns
    -------
    ndarray, shape (600 // step, 512 // step)
        float64 luminance in [0, 1]: :math:`0.299 R + 0.587 G + 0.114 B`
        (ITU-R BT.601), divided by 255.

    Notes
    -----
    Read with ``matplotlib.image.imread`` from ``matplotlib.cbook.get_sample_data``
    (shipped with matplotlib, no network). matplotlib is imported here, on
    call, so that ``import lecturekit.filters`` stays light.

    Examples
    --------
    >>> img = sample_image(step=4)
    >>> img.shape, img.dtype
    ((150, 128), dtype('float64'))
    """
    step = check_int(step, "step", minimum=1)
    from matplotlib import cbook, image  # lazily: numeric modules never import matplotlib

    rgb = image.imread(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    gray = (rgb[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])) / 255.0
    if step > min(gray.shape):
        raise ValueError(f"step must be at most {min(gray.shape)} (the image is {gray.shape[0]}x"
                         f"{gray.shape[1]}; a larger step leaves no pixel), got {step}")
    H, W = (gray.shape[0] // step) * step, (gray.shape[1] // step) * step
    # (H, W) -> (H/step, step, W/step, step): average each block
    return gray[:H, :W].reshape(H // step, step, W // step, step).mean(axis=(1, 3))
