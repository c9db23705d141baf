"""Input checks shared by every topic module.

Each check raises ``ValueError`` or ``TypeError`` at the public function, naming
the argument, what was expected and what came, so that a student never sees an
error from deep inside numpy. Explicit ``raise`` rather than ``assert``: asserts
vanish under ``python -O``.
"""

from __future__ import annotations

import numbers

import numpy as np


def as_array(x, name, *, ndim=None, dtype=np.float64, finite=True):
    """Return ``x`` as a numpy array of ``dtype`` (float64 by default).

    ``ndim`` may be an int or a tuple of allowed ranks. Integer and boolean
    inputs are converted to float64, so every formula is computed in float64
    unless the caller passes float32 deliberately (``dtype=None`` keeps it).
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be an array of numbers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    elif not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}, got a {arr.ndim}-D array of shape {arr.shape}")
    if finite and arr.size and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values, got NaN or infinity")
    return arr


def check_shape(arr, name, expected):
    """Raise unless ``arr.shape == expected``; ``None`` in ``expected`` matches any size."""
    shape = np.shape(arr)
    if len(shape) != len(expected) or any(
        e is not None and s != e for s, e in zip(shape, expected, strict=True)
    ):
        sizes = ["*" if e is None else str(e) for e in expected]
        want = "(" + ", ".join(sizes) + ("," if len(sizes) == 1 else "") + ")"
        raise ValueError(f"{name} must have shape {want}, got {shape}")
    return arr


def check_int(value, name, *, minimum=None):
    """Raise unless ``value`` is an integer (not a bool) that is ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_real(value, name, *, low=None, high=None, low_open=False, high_open=False):
    """Raise unless ``value`` is a finite real number in the given interval.

    ``low``/``high`` are the bounds; ``*_open`` excludes the bound itself, so
    ``check_real(p, "drop_prob", low=0, high=1, high_open=True)`` asks for [0, 1).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name} must be in {left}{lo}, {hi}{right}, got {value:g}")
    return value


def check_positive(value, name):
    """Raise unless ``value`` is a finite real number > 0 (learning rates, eps, ...)."""
    return check_real(value, name, low=0, low_open=True)


def check_choice(value, name, choices):
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value
