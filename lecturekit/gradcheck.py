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

import numpy as np

DEFAULT_STEP = 1e-6
DEFAULT_TOLERANCE = 1e-7


def _as_input(x, name):
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be an array of numbers, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be an array of numbers, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite values (NaN or infinity)")
    return arr.astype(np.float64)  # a fresh float64 copy: perturbed in place, caller's array untouched


def _names(arrays, names):
    if names is None:
        return [f"arrays[{i}]" for i in range(len(arrays))]
    if len(names) != len(arrays):
        raise ValueError(f"names must have one name per array ({len(arrays)}), got {len(names)}")
    return list(names)


def _scalar(f, args):
    value = np.asarray(f(*args))
    if value.size != 1:
        raise ValueError(f"f must return a scalar, got an array of shape {value.shape}")
    value = float(value.reshape(()))
    if not np.isfinite(value):
        raise ValueError(f"f returned a non-finite value ({value}) at the given inputs")
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
    if callable(arrays) or not isinstance(arrays, (list, tuple)):
        raise TypeError("arrays must be a list or tuple of arrays, "
                        f"got {type(arrays).__name__}")
    names = _names(arrays, names)
    if not (isinstance(h, (int, float)) and np.isfinite(h) and h > 0):
        raise ValueError(f"h must be a positive finite number, got {h!r}")
    args = [_as_input(a, n) for a, n in zip(arrays, names, strict=True)]
    _scalar(f, args)  # fail early, and clearly, if f is not a finite scalar here
    grads = []
    for arr in args:
        grad = np.zeros_like(arr)
        flat, gflat = arr.reshape(-1), grad.reshape(-1)  # views: writes reach arr and grad
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + h
            plus = _scalar(f, args)
            flat[k] = old - h
            minus = _scalar(f, args)
            flat[k] = old
            gflat[k] = (plus - minus) / (2 * h)
        grads.append(grad)
    return grads


def rel_error(a, b):
    r"""Norm-wise relative error :math:`\|a - b\| / (\|a\| + \|b\|)`, 0 when both are 0.

    Norm-wise rather than element-wise: an entry that is zero in exact arithmetic
    is ~1e-10 in finite differences, and dividing by it would flag a correct
    backward.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def gradcheck(f, arrays, grads, *, h=DEFAULT_STEP, names=None):
    """Relative error of each analytic gradient in ``grads`` against finite differences.

    Returns
    -------
    list of float
        ``rel_error(grads[i], numerical_gradient(f, arrays)[i])`` for each ``i``.
    """
    if not isinstance(grads, (list, tuple)):
        raise TypeError(f"grads must be a list or tuple of arrays, got {type(grads).__name__}")
    names = _names(arrays, names)
    if len(grads) != len(arrays):
        raise ValueError(f"grads must have one gradient per array ({len(arrays)}), got {len(grads)}")
    for g, a, n in zip(grads, arrays, names, strict=True):
        g_arr = _as_input(g, f"the gradient of {n}")
        if g_arr.shape != np.shape(a):
            raise ValueError(
                f"the gradient of {n} must have the shape of {n}, {np.shape(a)}, got {g_arr.shape}"
            )
    numeric = numerical_gradient(f, arrays, h=h, names=names)
    return [rel_error(g, n) for g, n in zip(grads, numeric, strict=True)]


def assert_gradcheck(f, arrays, grads, *, h=DEFAULT_STEP, tol=DEFAULT_TOLERANCE, names=None):
    """Raise ``AssertionError`` unless every gradient's relative error is below ``tol``.

    The message lists each input's name and error, so a failing test says which
    gradient is wrong and by how much. Returns the list of errors.
    """
    errors = gradcheck(f, arrays, grads, h=h, names=names)
    names = _names(arrays, names)
    bad = [(n, e) for n, e in zip(names, errors, strict=True) if not e < tol]
    if bad:
        detail = ", ".join(f"{n}: {e:.3e}" for n, e in bad)
        raise AssertionError(f"gradient check failed (tolerance {tol:.0e}): {detail}")
    return errors
