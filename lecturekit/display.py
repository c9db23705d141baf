r"""Printing numbers the way the notes write them: rounded, with no ``-0.``.

The notebooks print many small arrays next to the lecture's hand-computed
values. :func:`show` is the one helper they use for it.

References: every lecture; see ``../shared/lectures/README.md``.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, check_int

__all__ = ["show"]


def show(a, decimals=4):
    r"""``a`` rounded to ``decimals`` places, ready to print.

    Parameters
    ----------
    a : float or array_like
        Any real numbers; NaN and infinity print as they are.
    decimals : int, default 4
        Places after the decimal point, at least 0.

    Returns
    -------
    float or str
        A scalar comes back as a Python ``float``; an array as the text numpy
        prints for it with ``decimals`` places (and small values not in
        scientific notation), whatever ``np.set_printoptions`` says about
        precision.

    Notes
    -----
    Rounding can leave ``-0.0`` (a rounding error of ``-1e-17`` rounds to
    it), which numpy prints as ``-0.``; adding ``0.0`` turns it into ``0.0``,
    since ``-0.0 + 0.0 = 0.0`` in IEEE arithmetic.

    Examples
    --------
    >>> show(np.array([1 / 3, -1e-17, 2.0]))
    '[0.3333 0.     2.    ]'
    >>> show(np.pi, 2)
    3.14
    >>> show(np.array([0.1234567, 0.5]), 6)
    '[0.123457 0.5     ]'
    """
    decimals = check_int(decimals, "decimals", minimum=0)
    arr = as_array(a, "a", finite=False)
    rounded = np.round(arr, decimals) + 0.0
    if rounded.ndim == 0:
        return float(rounded)
    return np.array2string(rounded, precision=decimals, suppress_small=True)
