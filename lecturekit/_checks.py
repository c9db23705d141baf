"""Input checks shared by every topic module.

Each check raises ``ValueError`` or ``TypeError`` at the public function, naming
the argument, what was expected and what came, so that a student never sees an
error from deep inside numpy. Explicit ``raise`` rather than ``assert``: asserts
vanish under ``python -O``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._files import check_file  # noqa: F401  (numpy-free, for lecturekit.catalog; re-exported)


def _asarray(x, name, what):
    """``np.asarray(x)``, or a TypeError naming ``name`` for a string, None, a callable or a ragged list."""
    if isinstance(x, (str, bytes)) or x is None or callable(x):
        raise TypeError(f"{name} must be an array of {what}, got {type(x).__name__}")
    try:
        return np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be an array of {what} (a ragged list is not one), "
                        f"got {type(x).__name__}") from exc


FINITE_DOT_SIZE = 4096
"""From this many entries :func:`all_finite` tries the dot product first (below it, the
``errstate`` it needs costs as much as it saves)."""


def all_finite(x):
    """Whether every entry of the float array ``x`` is finite.

    On a large contiguous array, ``x . x`` first: BLAS reads ``x`` once, with no boolean
    temporary (2x faster than ``np.isfinite(x).all()``, 30-60 % on the cache-cold layer
    inputs of a training step). A NaN or an infinity makes it NaN or infinite; so can an
    overflow of finite values (above 1e154), which then takes the exact check.
    """
    if x.size >= FINITE_DOT_SIZE and x.flags.c_contiguous:
        flat = x.reshape(-1)
        with np.errstate(all="ignore"):
            if math.isfinite(np.dot(flat, flat)):
                return True
    return bool(np.isfinite(x).all())


def as_array(x, name, *, ndim=None, dtype=np.float64, finite=True):
    """Return ``x`` as a numpy array of ``dtype`` (float64 by default).

    ``ndim`` may be an int or a tuple of allowed ranks. Integer and boolean
    inputs are converted to float64, so every formula is computed in float64
    unless the caller passes float32 deliberately (``dtype=None`` keeps it).
    """
    if type(x) is np.ndarray and x.dtype.kind == "f" and (dtype is None or x.dtype == dtype):
        # A real float array already of the dtype asked for (most calls, from the library's
        # own code and every layer on every training step): what the checks below would let
        # through unchanged, without their dtype tests. A call took 4.4-5.4 µs, now 1.6-2.4
        # (the quick run makes 450 000 of them).
        arr = x
    else:
        arr = _asarray(x, name, "numbers")
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
    if finite and arr.size and not all_finite(arr):
        raise ValueError(f"{name} must contain only finite values, got NaN or infinity")
    return arr


def as_int_array(x, name, *, what="integers", hint=""):
    """Return ``x`` as a numpy array of an integer dtype (kept), or a TypeError naming ``name``.

    For class labels and sample indices: a float array is refused, not truncated.
    """
    arr = _asarray(x, name, what)
    if arr.size == 0 and arr.dtype == np.float64:  # [] is an empty list of indices
        arr = arr.astype(np.intp)
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must be {what}, got dtype {arr.dtype}{hint}")
    return arr


def check_shape(arr, name, expected, *, of=None):
    """Raise unless ``arr.shape == expected``; ``None`` in ``expected`` matches any size.

    ``of`` names what the expected shape comes from (``"x"``, ``"the output"``), so
    that the message names both arguments of a mismatch.
    """
    shape = np.shape(arr)
    if len(shape) != len(expected) or any(
        e is not None and s != e for s, e in zip(shape, expected, strict=True)
    ):
        sizes = ["*" if e is None else str(e) for e in expected]
        want = "(" + ", ".join(sizes) + ("," if len(sizes) == 1 else "") + ")"
        source = f"; it must match {of}" if of else ""
        raise ValueError(f"{name} must have shape {want}, got {shape}{source}")
    return arr


def check_int(value, name, *, minimum=None, maximum=None):
    """Raise unless ``value`` is an integer (not a bool) in ``[minimum, maximum]``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return int(value)


def check_bool(value, name):
    """Raise unless ``value`` is True or False (a numpy bool too); return a Python bool.

    A flag is never read for its truth value: ``training='False'`` is a non-empty
    string, true, and would train.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


def check_real(value, name, *, low=None, high=None, low_open=False, high_open=False):
    """Raise unless ``value`` is a finite real number in the given interval.

    ``low``/``high`` are the bounds; ``*_open`` excludes the bound itself, so
    ``check_real(p, "drop_prob", low=0, high=1, high_open=True)`` asks for [0, 1).
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
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


def _same(value, choice):
    """``value == choice`` for a value of the choice's kind (a str, or an int that is not a bool)."""
    if isinstance(choice, str):
        return isinstance(value, str) and value == choice
    if isinstance(choice, numbers.Integral):
        return (isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
                and value == choice)
    return value is choice


def check_choice(value, name, choices):
    """Raise unless ``value`` is one of ``choices`` (strs or ints; numpy scalars of them count)."""
    if type(value) is str and value in choices:  # the common case, as _same decides it: a str
        return value                              # equals only a str
    if not any(_same(value, c) for c in choices):
        options = ", ".join(repr(c) for c in choices)
        got = repr(value) if isinstance(value, (str, numbers.Number)) else type(value).__name__
        raise ValueError(f"{name} must be one of {options}, got {got}")
    return value


def check_callable(value, name, what):
    """Raise unless ``value`` is callable; ``what`` says what it should be (``"grad(w)"``)."""
    if not callable(value):
        raise TypeError(f"{name} must be a callable {what}, got {type(value).__name__}")
    return value


def call_schedule(schedule, t, name, *, low=0.0, high=None):
    """``schedule(t)``, checked to be a finite real number in ``[low, high)``.

    A schedule is a callable of the step ``t`` (a learning rate, a momentum
    coefficient); a clear error naming ``name`` if it is not one, or gives
    something else at ``t``.
    """
    try:
        out = schedule(t)
    except TypeError as exc:  # not a function of the step alone
        raise TypeError(f"{name} must be a number or a schedule {name}(t) of the step t; "
                        f"{name}({t}) raised TypeError: {exc}") from exc
    if isinstance(out, np.ndarray) and out.ndim == 0:
        out = out[()]
    bound = f"[{low:g}, {high:g})" if high is not None else f">= {low:g}"
    if isinstance(out, (bool, np.bool_)) or not isinstance(out, numbers.Real) or not (
            np.isfinite(out) and out >= low and (high is None or out < high)):
        raise ValueError(f"the schedule {name} must give a number {bound} at step {t}, "
                         f"got {out!r}")
    return float(out)


def check_finite(value, what, culprits):
    """Raise ``ValueError`` unless ``value`` (a result) is finite: it overflowed float64.

    Call it on a result computed under ``np.errstate(over="ignore", invalid="ignore")``
    whose exact value lies beyond the largest float64 (about 1.8e308); ``culprits``
    says which arguments' size caused it (``"x is too large"``).
    """
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{what} overflows float64 (its magnitude would exceed 1.8e308): "
                         f"{culprits}")
    return value
