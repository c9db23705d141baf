r"""The geometry that convolution and pooling share: pairs, window positions, NCHW checks.

A private module: :mod:`lecturekit.conv`, :mod:`lecturekit.conv_matrix` and
:mod:`lecturekit.pool` import these helpers, and their error messages are the
ones a student sees from those modules' public functions. One place, so that a
convolution and a pooling layer count their window positions, and complain
about sizes, in the same words.

* :func:`pair` -- an int or a pair of ints as ``(height, width)``.
* :func:`positions` -- window positions along one axis, Lecture 4's
  :math:`\lfloor (W - F + 2P)/S \rfloor + 1` with its checks.
* :func:`correlation_geometry` -- stride, padding (int, pair, ``"same"``,
  ``"valid"``) and dilation of one 2-D cross-correlation, resolved into an
  :class:`lecturekit._im2col.Geometry`.
* :func:`nchw`, :func:`check_dout`, :func:`float_dtype` -- the array checks of
  the layer functions.
"""

from __future__ import annotations

import functools

import numpy as np

from . import _im2col
from ._checks import as_array, check_choice, check_int

AXES = ("height", "width")
"""Names of the two spatial axes, in the order of every pair, for error messages."""


def pair(value, name, *, minimum):
    """An int or a pair of ints, as the pair ``(height, width)``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (height, width), got {value!r}")
        return tuple(check_int(v, name, minimum=minimum) for v in value)
    v = check_int(value, name, minimum=minimum)
    return v, v


def positions(n, eff, stride, pad_total, what, *, exact=False, names):
    """Number of window positions along one axis; the checks behind conv_output_size.

    ``n`` input size, ``eff`` the (dilated) window size, ``pad_total`` the zeros
    added on both sides together, ``what`` the words before "kernel" in the
    messages (``"height of the "``), ``names`` the caller's arguments these sizes
    come from (``"x, w, padding and dilation"``), for the messages.
    """
    span = n + pad_total - eff
    if span < 0:
        raise ValueError(
            f"the {what}kernel (dilated size d*(F-1)+1 = {eff}) is larger than the padded "
            f"input ({n} + padding {pad_total} = {n + pad_total}), from {names}"
        )
    if exact and span % stride:
        raise ValueError(
            f"(W - F + 2P)/S = ({n} - {eff} + {pad_total})/{stride} = {span}/{stride} is not "
            f"an integer: the last {span % stride} row(s) of the padded input are never used "
            f"(PyTorch floors to {span // stride + 1}), from {names} with exact=True"
        )
    return span // stride + 1


def _plain(*values):
    """Whether every value is None, a str, a plain int or a tuple of plain ints: hashable
    and compared exactly, so a cache keyed on them cannot mistake ``2.0`` or ``True`` (which
    hash as ``2`` and ``1``) for a valid size that it has already checked."""
    return all(v is None or type(v) in (int, str)
               or (type(v) is tuple and all(type(e) is int for e in v)) for v in values)


def cached_for_plain_sizes(func):
    """``func`` (the checks of a layer's sizes) cached when every argument is plain
    (:func:`_plain`), run uncached otherwise: a model calls its layers with the same sizes
    on every step, and the checks cost as much as a small layer's work."""
    cached = functools.lru_cache(maxsize=64)(func)

    @functools.wraps(func)
    def wrapper(*args):
        return cached(*args) if _plain(*args) else func(*args)

    return wrapper


def correlation_geometry(in_hw, kernel, stride, padding, dilation,
                         names="x, w, padding and dilation"):
    """Resolve stride/padding/dilation for a correlation of ``in_hw`` with ``kernel``."""
    return _correlation_geometry(tuple(in_hw), tuple(kernel), stride, padding, dilation, names)


@cached_for_plain_sizes
def _correlation_geometry(in_hw, kernel, stride, padding, dilation, names):
    stride = pair(stride, "stride", minimum=1)
    dilation = pair(dilation, "dilation", minimum=1)
    eff = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel, strict=True))
    if isinstance(padding, str):
        check_choice(padding, "padding", ("same", "valid"))
        if padding == "same" and stride != (1, 1):
            raise ValueError(f"padding='same' needs stride 1 (as in PyTorch), got stride={stride}")
        # 'same': total e-1 zeros, the odd one at the bottom/right (as PyTorch does)
        pad = tuple(((e - 1) // 2, e - 1 - (e - 1) // 2) if padding == "same" else (0, 0)
                    for e in eff)
    else:
        p = pair(padding, "padding", minimum=0)
        pad = ((p[0], p[0]), (p[1], p[1]))
    out = tuple(
        positions(n, e, s, lo + hi, f"{axis} of the ", names=names)
        for n, e, s, (lo, hi), axis in zip(in_hw, eff, stride, pad, AXES, strict=True)
    )
    return _im2col.Geometry(tuple(kernel), stride, dilation, pad, tuple(in_hw), out)


def checked_array(x, name, *, keep_float32=False):
    """``as_array(x, name)``, keeping float32 (``dtype=None``) with ``keep_float32``.

    The layers are called on every training step with arrays that are already float64:
    :func:`lecturekit._checks.as_array` then only checks their finiteness.
    """
    return as_array(x, name, dtype=None if keep_float32 else np.float64)


def float_dtype(*arrays):
    """float32 when every given array is float32, else float64."""
    dtypes = {a.dtype for a in arrays if a is not None}
    return np.dtype(np.float32) if dtypes == {np.dtype(np.float32)} else np.dtype(np.float64)


def nchw(x, name, layout="(N, C, H, W)"):
    """``x`` as a non-empty 4-D array (its float dtype kept), or a ValueError naming ``layout``."""
    x = checked_array(x, name, keep_float32=True)
    if x.ndim != 4:
        raise ValueError(f"{name} must be 4-D {layout}, got a {x.ndim}-D array of shape {x.shape}")
    if x.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    return x


def check_dout(dout, expected, dtype, source):
    """The upstream gradient, checked to have the forward output's shape ``expected``.

    ``source`` is the forward call whose output that is (``"conv2d(x, w, stride,
    padding, dilation)"``), so that the message names the arguments the shape comes from.
    """
    dout = checked_array(dout, "dout", keep_float32=True)
    if dout.shape != expected:
        raise ValueError(f"dout must have the output's shape {expected}, got {dout.shape}; "
                         f"it must match {source}")
    return dout.astype(np.result_type(dout.dtype, dtype), copy=False)
