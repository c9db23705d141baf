r"""Numerical gradient checking: the one check every backward function passes.

A backward function claims to return :math:`\partial L / \partial x` for each
input :math:`x`. We check the claim against centred finite differences

.. math::
    \frac{\partial L}{\partial x_k} \approx
    \frac{L(x + h e_k) - L(x - h e_k)}{2h},

whose error is :math:`O(h^2)` from truncation plus :math:`O(\epsilon_{mach} |L| / h)`
from rounding; with float64 and ``h = 1e-6`` both are near 1e-10 relative.

The usual pattern turns a layer into a scalar by a random upstream gradient::

    out = conv2d(x, w)
    dout = rng.normal(size=out.shape)
    dx, dw = conv2d_backward(dout, x, w)
    assert_gradcheck(lambda x, w: np.sum(conv2d(x, w) * dout), [x, w], [dx, dw],
                     names=["x", "w"])

because :math:`\partial \langle \text{out}, \text{dout} \rangle / \partial x` is
exactly what ``backward(dout, ...)`` returns.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._checks import as_array, check_callable, check_positive

DEFAULT_STEP = 1e-6
DEFAULT_TOLERANCE = 1e-7


def _as_input(x, name):
    # a fresh float64 copy: perturbed in place, the caller's array untouched
    return np.array(as_array(x, name), dtype=np.float64, copy=True)


def _arrays(arrays, what="arrays"):
    if callable(arrays) or not isinstance(arrays, (list, tuple)):
        raise TypeError(f"{what} must be a list or tuple of arrays, got {type(arrays).__name__}")
    return arrays


def _names(arrays, names):
    """Labels for the messages: ``arrays[i]``, with the caller's name for it if given."""
    if names is None:
        return [f"arrays[{i}]" for i in range(len(arrays))]
    if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"names must be a list of str, one per array, got {names!r}")
    if len(names) != len(arrays):
        raise ValueError(f"names must have one name per array in arrays ({len(arrays)}), "
                         f"got {len(names)}")
    return [f"arrays[{i}] ({n})" for i, n in enumerate(names)]


def _short(label):
    """``x`` from ``arrays[0] (x)``: the name a student gave."""
    return label.split(" (")[-1].rstrip(")") if " (" in label else label


def _scalar(f, args, where=""):
    value = f(*args)
    if isinstance(value, (bool, np.bool_)) or not (
            isinstance(value, numbers.Real) or (isinstance(value, np.ndarray)
                                                and value.dtype.kind in "iuf")):
        raise TypeError(f"f must return a real number, got {type(value).__name__}"
                        + (f" of dtype {value.dtype}" if isinstance(value, np.ndarray) else ""))
    if np.size(value) != 1:
        raise ValueError(f"f must return a scalar, got an array of shape {np.shape(value)}")
    value = float(np.reshape(value, ()))
    if not np.isfinite(value):
        if where:
            raise ValueError(f"f returned a non-finite value ({value}) at {where}: the step "
                             f"h may be too large for f")
        raise ValueError(f"f returned a non-finite value ({value}) at the given arrays")
    return value


def numerical_gradient(f, arrays, *, h=DEFAULT_STEP, names=None):
    r"""Centred-difference gradient of a scalar function of one or more arrays.

    Parameters
    ----------
    f : callable
        ``f(*arrays) -> float``, a scalar function.
    arrays : sequence of array_like
        The point at which to differentiate; each array may have any shape.
    h : float, default 1e-6
        The step :math:`h` of :math:`(f(x + h e_k) - f(x - h e_k)) / 2h`.
    names : sequence of str, optional
        Names used in error messages (default ``arrays[0]``, ``arrays[1]``, ...).

    Returns
    -------
    list of ndarray
        One float64 array per input, of the input's shape.
    """
    check_callable(f, "f", "f(*arrays) -> float")
    names = _names(_arrays(arrays), names)
    h = check_positive(h, "h")
    args = [_as_input(a, n) for a, n in zip(arrays, names, strict=True)]
    _scalar(f, args)  # fail early, and clearly, if f is not a finite scalar here
    grads = []
    for arr, name in zip(args, names, strict=True):
        grad = np.zeros_like(arr)
        flat, gflat = arr.reshape(-1), grad.reshape(-1)  # views: writes reach arr and grad
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + h
            plus = _scalar(f, args, f"{name} + h e_{k}")
            flat[k] = old - h
            minus = _scalar(f, args, f"{name} - h e_{k}")
            flat[k] = old
            with np.errstate(over="ignore"):
                gflat[k] = (plus - minus) / (2 * h)
            if not np.isfinite(gflat[k]):
                raise ValueError(f"the difference quotient of f at {name}[{k}] overflows: the "
                                 f"step h = {h:g} is too small for f's values")
        grads.append(grad)
    return grads


def rel_error(a, b):
    r"""Norm-wise relative error :math:`\|a - b\| / (\|a\| + \|b\|)`, 0 when both are 0.

    Norm-wise rather than element-wise: an entry that is zero in exact arithmetic
    is ~1e-10 in finite differences, and dividing by it would flag a correct
    backward.
    """
    a = as_array(a, "a")
    b = as_array(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        denom = np.linalg.norm(a) + np.linalg.norm(b)
        if denom == 0:
            return 0.0
        error = np.linalg.norm(a - b) / denom
    if not np.isfinite(error):  # a norm overflowed: the same ratio in units of the largest entry
        top = max(np.max(np.abs(a)), np.max(np.abs(b)))
        a, b = a / top, b / top
        error = np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))
    return float(error)


def gradcheck(f, arrays, grads, *, h=DEFAULT_STEP, names=None):
    """Relative error of each analytic gradient in ``grads`` against finite differences.

    Returns
    -------
    list of float
        ``rel_error(grads[i], numerical_gradient(f, arrays)[i])`` for each ``i``.
    """
    check_callable(f, "f", "f(*arrays) -> float")
    labels = _names(_arrays(arrays), names)
    _arrays(grads, "grads")
    if len(grads) != len(arrays):
        raise ValueError(f"grads must have one gradient per array in arrays ({len(arrays)}), "
                         f"got {len(grads)}")
    checked = []
    for i, (g, a, label) in enumerate(zip(grads, arrays, labels, strict=True)):
        a = as_array(a, label)
        g_arr = as_array(g, f"grads[{i}] (the gradient of {_short(label)})")
        if g_arr.shape != a.shape:
            raise ValueError(
                f"grads[{i}] (the gradient of {_short(label)}) must have the shape of {label}, "
                f"{a.shape}, got {g_arr.shape}"
            )
        checked.append(g_arr)
    numeric = numerical_gradient(f, arrays, h=h, names=names)
    return [rel_error(g, n) for g, n in zip(checked, numeric, strict=True)]


def assert_gradcheck(f, arrays, grads, *, h=DEFAULT_STEP, tol=DEFAULT_TOLERANCE, names=None):
    """Raise ``AssertionError`` unless every gradient's relative error is below ``tol``.

    The message lists each input's name and error, so a failing test says which
    gradient is wrong and by how much. Returns the list of errors.
    """
    tol = check_positive(tol, "tol")
    errors = gradcheck(f, arrays, grads, h=h, names=names)
    names = [_short(label) for label in _names(arrays, names)]
    bad = [(n, e) for n, e in zip(names, errors, strict=True) if not e < tol]
    if bad:
        detail = ", ".join(f"{n}: {e:.3e}" for n, e in bad)
        raise AssertionError(f"gradient check failed (tolerance {tol:.0e}): {detail} (the relative "
                             f"error of grads against centred differences of f, step h = {h:g})")
    return errors
