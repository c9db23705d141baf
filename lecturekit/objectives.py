r"""Objectives with gradients for the optimisation demonstrations, and SGD's gradient noise.

Conventions
-----------
* Every objective returns ``(value, grad)``.
* The 1-D finite-sum problem of the MLP lecture takes a scalar ``w`` (or an
  array of candidate ``w``, for plotting :math:`F` against :math:`\omega`) and
  data ``x, y`` of shape ``(N,)``.
* The 2-D surfaces take points ``w`` of shape ``(..., 2)`` (the last axis holds
  the two coordinates) and return values of shape ``(...)`` and gradients of
  shape ``(..., 2)``; a grid ``np.stack(np.meshgrid(a, b), axis=-1)`` gives a
  contour plot in one call. Far out, where a value or gradient exceeds the
  float64 range (about 1.8e308), it is ``inf``, without a warning: that is how
  :func:`lecturekit.optim.run_side_by_side` sees a run diverge and stops it. The
  1-D finite sum, whose numbers a student reads, raises ``ValueError`` instead.

Notation: the MLP lecture's :math:`\omega` is ``w``, its :math:`x_i, y_i` are
``x[i], y[i]``, its minibatch :math:`I_k` has size ``batch_size``
(:math:`B = |I_k|`), :math:`\hat g_k` is the full gradient and :math:`g_k` the
minibatch gradient.

References
----------
MLP lecture (004_16411a88f2dc5004.txt), the finite-sum objective, SGD, the
gradient noise :math:`g_k \sim N(\hat g_k, \hat\Sigma_k)` and the
reparameterisation :math:`x = \mu + \sigma\varepsilon`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import as_array, as_int_array, check_bool, check_finite, check_int, check_real
from .rng import check_rng

__all__ = [
    "least_squares", "least_squares_per_sample_grads", "least_squares_smoothness",
    "least_squares_minimizer", "make_least_squares", "quadratic", "rosenbrock", "himmelblau",
    "NoisyFiniteSum", "noisy_finite_sum",
    "MinibatchGradientStats", "minibatch_gradient_variance", "minibatch_gradient_stats",
    "reparameterize", "reparameterize_backward",
]


def _finite(value, grad, what, culprits):
    """Raise ValueError if an objective's value or gradient overflowed float64."""
    check_finite(value, what, culprits)
    check_finite(grad, f"the gradient of {what}", culprits)


def _data(x, y):
    x = as_array(x, "x", ndim=1)
    y = as_array(y, "y", ndim=1)
    if x.shape != y.shape:
        raise ValueError(f"y must have the shape of x, {x.shape}, got {y.shape}")
    if x.size == 0:
        raise ValueError("x must hold at least one sample, got an empty array")
    return x, y


def least_squares(w, x, y):
    r"""The MLP lecture's :math:`F(\omega) = \frac1N \sum_i (\omega x_i - y_i)^2` and its gradient.

    Parameters
    ----------
    w : float or ndarray, shape (...)
        :math:`\omega`; an array gives :math:`F` at each entry (for plots).
    x, y : ndarray, shape (N,)
        The data :math:`x_i, y_i \in \mathbb{R}`.

    Returns
    -------
    value : float or ndarray, shape (...)
        :math:`F(\omega)`.
    grad : float or ndarray, shape (...)
        :math:`\nabla F(\omega) = \frac2N \sum_i x_i(\omega x_i - y_i)`.

    Notes
    -----
    .. math::
        F(\omega) = \frac1N \sum_{i=1}^N \underbrace{(\omega x_i - y_i)^2}_{f_i(\omega)},
        \qquad \nabla F(\omega) = \frac1N \sum_{i=1}^N \nabla f_i(\omega)

    References
    ----------
    MLP lecture (004_16411a88f2dc5004.txt), the finite-sum objective.

    Examples
    --------
    >>> least_squares(2.0, np.array([1.0, 2.0]), np.array([2.0, 4.0]))
    (0.0, 0.0)
    """
    x, y = _data(x, y)
    w = as_array(w, "w")
    with np.errstate(over="ignore", invalid="ignore"):
        r = w[..., None] * x - y  # (..., N): the residuals w x_i - y_i
        value = np.mean(r**2, axis=-1)
        grad = np.mean(2 * x * r, axis=-1)
    _finite(value, grad, "F(w) = mean((w x - y)**2)", "w, x or y is too large")
    if w.ndim == 0:
        return float(value), float(grad)
    return value, grad


def least_squares_per_sample_grads(w, x, y):
    r"""The per-sample gradients :math:`\nabla f_i(\omega) = 2 x_i (\omega x_i - y_i)`.

    Parameters
    ----------
    w : float
        :math:`\omega`.
    x, y : ndarray, shape (N,)
        The data.

    Returns
    -------
    ndarray, shape (N,)
        :math:`\nabla f_i(\omega)`; their mean is :math:`\nabla F(\omega)`.

    Examples
    --------
    >>> least_squares_per_sample_grads(1.0, np.array([1.0, 2.0]), np.array([0.0, 0.0]))
    array([2., 8.])
    """
    x, y = _data(x, y)
    w = check_real(w, "w")
    with np.errstate(over="ignore", invalid="ignore"):
        grads = 2 * x * (w * x - y)
    return check_finite(grads, "the per-sample gradients 2 x (w x - y)", "w, x or y is too large")


def least_squares_smoothness(x):
    r"""The smoothness constant :math:`L = \frac2N \sum_i x_i^2` of :func:`least_squares`.

    Parameters
    ----------
    x : ndarray, shape (N,)
        The inputs :math:`x_i`.

    Returns
    -------
    float
        :math:`L = F''(\omega)`, constant because :math:`F` is quadratic.

    Notes
    -----
    For a quadratic, gradient descent :math:`\omega_{k+1} = \omega_k - \alpha
    \nabla F(\omega_k)` gives :math:`\omega_{k+1} - \omega^* = (1 - \alpha L)
    (\omega_k - \omega^*)`: it converges iff :math:`|1 - \alpha L| < 1`, that is
    :math:`0 < \alpha < 2/L`, fastest at :math:`\alpha = 1/L` (one step), and
    diverges for :math:`\alpha > 2/L`.

    Examples
    --------
    >>> least_squares_smoothness(np.array([1.0, 3.0]))
    10.0
    """
    x = as_array(x, "x", ndim=1)
    if x.size == 0:
        raise ValueError("x must hold at least one sample, got an empty array")
    with np.errstate(over="ignore"):
        smoothness = 2 * np.mean(x**2)
    return float(check_finite(smoothness, "L = 2 mean(x**2)", "x is too large"))


def least_squares_minimizer(x, y):
    r"""The minimiser :math:`\omega^* = \sum_i x_i y_i / \sum_i x_i^2` of :func:`least_squares`.

    Examples
    --------
    >>> least_squares_minimizer(np.array([1.0, 2.0]), np.array([3.0, 6.0]))
    3.0
    """
    x, y = _data(x, y)
    if not np.any(x):
        raise ValueError("x must not be all zeros (then every w minimises F)")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        w = np.dot(x, y) / np.dot(x, x)
        if not np.isfinite(w):  # a sum of products overflowed or underflowed: in units of max |x|, max |y|
            sx, sy = np.max(np.abs(x)), max(np.max(np.abs(y)), np.finfo(float).tiny)
            w = (np.dot(x / sx, y / sy) / np.dot(x / sx, x / sx)) * (sy / sx)
    return float(check_finite(w, "the minimiser sum(x y) / sum(x**2)", "y is too large for x"))


def make_least_squares(n, *, rng, w_true=2.0, noise=0.5):
    r"""Draw 1-D data :math:`x_i \sim N(0, 1)`, :math:`y_i = w_{true} x_i + \text{noise}\,\xi_i`.

    Parameters
    ----------
    n : int
        :math:`N \ge 1`.
    rng : numpy.random.Generator
    w_true : float, default 2.0
        The slope the data are drawn from.
    noise : float, default 0.5
        The standard deviation of the additive noise :math:`\xi_i \sim N(0, 1)`.

    Returns
    -------
    x, y : ndarray, shape (N,)
    """
    n = check_int(n, "n", minimum=1)
    check_rng(rng)
    w_true = check_real(w_true, "w_true")
    noise = check_real(noise, "noise", low=0)
    x = rng.normal(size=n)
    y = w_true * x + noise * rng.normal(size=n)
    return x, y


def _points(w):
    w = as_array(w, "w")
    if w.ndim == 0 or w.shape[-1] != 2:
        raise ValueError(f"w must have shape (..., 2) (points in the plane), got {w.shape}")
    return w[..., 0], w[..., 1]


def _value(v):
    """A float for a single point, the array for a grid."""
    return float(v) if np.ndim(v) == 0 else v


def quadratic(w, *, a=1.0, b=10.0):
    r"""An ill-conditioned quadratic :math:`f(w) = \tfrac12 (a w_1^2 + b w_2^2)` and its gradient.

    Parameters
    ----------
    w : ndarray, shape (..., 2)
        Points :math:`(w_1, w_2)`.
    a, b : float, default 1.0 and 10.0
        The curvatures (Hessian eigenvalues), both > 0; the condition number is
        :math:`\kappa = \max(a, b) / \min(a, b)`.

    Returns
    -------
    value : float or ndarray, shape (...)
        A float for a single point.
    grad : ndarray, shape (..., 2)
        :math:`(a w_1, b w_2)`.

    Notes
    -----
    Gradient descent converges iff :math:`\lambda < 2/\max(a, b)`, and then
    along the flat direction only at the rate :math:`1 - \lambda \min(a, b)`:
    the zig-zag that momentum damps.

    Examples
    --------
    >>> quadratic(np.array([1.0, 1.0]))
    (5.5, array([ 1., 10.]))
    """
    a = check_real(a, "a", low=0, low_open=True)
    b = check_real(b, "b", low=0, low_open=True)
    w1, w2 = _points(w)
    with np.errstate(over="ignore", invalid="ignore"):  # beyond float64: inf (module docstring)
        value = 0.5 * (a * w1**2 + b * w2**2)
        grad = np.stack([a * w1, b * w2], axis=-1)
    return _value(value), grad


def rosenbrock(w, *, a=1.0, b=100.0):
    r"""Rosenbrock's banana :math:`f = (a - w_1)^2 + b (w_2 - w_1^2)^2` and its gradient.

    Parameters
    ----------
    w : ndarray, shape (..., 2)
    a, b : float, default 1.0 and 100.0

    Returns
    -------
    value : float or ndarray, shape (...)
        A float for a single point.
    grad : ndarray, shape (..., 2)
        :math:`(-2(a - w_1) - 4 b w_1 (w_2 - w_1^2),\; 2 b (w_2 - w_1^2))`.

    Notes
    -----
    The minimum is :math:`(a, a^2)` with value 0, at the end of a long curved
    valley: easy to find, slow to follow.

    Examples
    --------
    >>> value, grad = rosenbrock(np.array([1.0, 1.0]))
    >>> value, np.abs(grad)
    (0.0, array([0., 0.]))
    """
    a = check_real(a, "a")
    b = check_real(b, "b", low=0, low_open=True)
    w1, w2 = _points(w)
    with np.errstate(over="ignore", invalid="ignore"):  # beyond float64: inf (module docstring)
        valley = w2 - w1**2
        value = (a - w1) ** 2 + b * valley**2
        grad = np.stack([-2 * (a - w1) - 4 * b * w1 * valley, 2 * b * valley], axis=-1)
    return _value(value), grad


def himmelblau(w):
    r"""Himmelblau's function :math:`f = (w_1^2 + w_2 - 11)^2 + (w_1 + w_2^2 - 7)^2`: four minima.

    Parameters
    ----------
    w : ndarray, shape (..., 2)

    Returns
    -------
    value : float or ndarray, shape (...)
        A float for a single point.
    grad : ndarray, shape (..., 2)
        :math:`(4 w_1 p + 2 q,\; 2 p + 4 w_2 q)` with
        :math:`p = w_1^2 + w_2 - 11`, :math:`q = w_1 + w_2^2 - 7`.

    Notes
    -----
    Non-convex: four global minima of value 0 (one at :math:`(3, 2)`), a local
    maximum and four saddles, so where an optimiser ends depends on where it
    starts.

    Examples
    --------
    >>> himmelblau(np.array([3.0, 2.0]))
    (0.0, array([0., 0.]))
    """
    w1, w2 = _points(w)
    with np.errstate(over="ignore", invalid="ignore"):  # beyond float64: inf (module docstring)
        p = w1**2 + w2 - 11
        q = w1 + w2**2 - 7
        value, grad = p**2 + q**2, np.stack([4 * w1 * p + 2 * q, 2 * p + 4 * w2 * q], axis=-1)
    return _value(value), grad



class NoisyFiniteSum:
    r"""An objective :math:`f` made a finite sum: :math:`F(w) = \frac1N \sum_i (f(w) + \xi_i^T w)`.

    Each term :math:`f_i(w) = f(w) + \xi_i^T w` tilts :math:`f` by a fixed
    offset :math:`\xi_i`; the offsets have mean zero, so :math:`F = f` and the
    full gradient is :math:`\nabla f`, while a minibatch :math:`I_k` sees

    .. math::
        g_k = \frac{1}{|I_k|} \sum_{i \in I_k} \nabla f_i(w)
            = \nabla f(w) + \underbrace{\frac{1}{|I_k|} \sum_{i \in I_k} \xi_i}_{\varepsilon_k},

    the full gradient plus noise :math:`\varepsilon_k` that shrinks with the
    batch size and vanishes at :math:`|I_k| = N` (then SGD is GD). Made by
    :func:`noisy_finite_sum`.

    Parameters
    ----------
    func : callable
        :math:`f`, ``func(w) -> (value, grad)`` for points ``w`` of shape (..., d),
        like :func:`quadratic`.
    offsets : ndarray, shape (N, d)
        :math:`\xi_i`, one row per term; they should have mean zero.

    Attributes
    ----------
    func : callable
    offsets : ndarray, shape (N, d)
    n_samples : int
        :math:`N`.

    References
    ----------
    MLP lecture (004_16411a88f2dc5004.txt), the finite-sum objective and SGD's
    :math:`\omega_{k+1} = \omega_k - \alpha_k(\hat g_k + \varepsilon_k)`.

    Examples
    --------
    >>> F = NoisyFiniteSum(quadratic, np.array([[1.0, 0.0], [-1.0, 0.0]]))
    >>> F.grad(np.zeros(2)), F.grad(np.zeros(2), [0])     # full batch, then I_k = {0}
    (array([0., 0.]), array([1., 0.]))
    """

    def __init__(self, func, offsets):
        if not callable(func):
            raise TypeError(f"func must be a callable func(w) -> (value, grad), "
                            f"got {type(func).__name__}")
        self.func = func
        self.offsets = as_array(offsets, "offsets", ndim=2)
        if self.offsets.shape[0] == 0:
            raise ValueError("offsets must hold at least one row (one per term), got shape "
                             f"{self.offsets.shape}")

    @property
    def n_samples(self):
        return self.offsets.shape[0]

    def __repr__(self):
        name = getattr(self.func, "__name__", type(self.func).__name__)
        return f"NoisyFiniteSum({name}, N={self.n_samples}, d={self.offsets.shape[1]})"

    def __call__(self, w):
        """:math:`F(w) = f(w)` and the full gradient :math:`\nabla f(w)`: ``func(w)``."""
        return self.func(w)

    def minibatch_noise(self, idx):
        r"""The minibatch's noise :math:`\varepsilon_k = \frac{1}{|I_k|}\sum_{i \in I_k} \xi_i`, shape (d,).

        Parameters
        ----------
        idx : array_like of int, shape (B,)
            The minibatch :math:`I_k` (e.g. from :func:`lecturekit.optim.minibatch_indices`).
        """
        idx = as_int_array(idx, "idx", what="sample indices")
        if idx.ndim != 1 or idx.size == 0:
            raise ValueError(f"idx must be a non-empty 1-D array of sample indices, got "
                             f"shape {idx.shape}")
        n = self.n_samples
        if np.any((idx < 0) | (idx >= n)):
            raise ValueError(f"idx must hold sample indices in [0, {n}) (N = {n} terms), got "
                             f"{idx[(idx < 0) | (idx >= n)][0]}")
        return self.offsets[idx].mean(axis=0)

    def grad(self, w, idx=None):
        r"""The minibatch gradient :math:`g_k = \nabla f(w) + \varepsilon_k`, shape of ``w``.

        Parameters
        ----------
        w : ndarray, shape (..., d)
            The point(s).
        idx : array_like of int, shape (B,), optional
            The minibatch :math:`I_k`; ``None`` gives the full gradient :math:`\nabla F = \nabla f`.
        """
        w = as_array(w, "w")
        out = self.func(w)
        if not (isinstance(out, tuple) and len(out) == 2):
            raise TypeError(f"func must return (value, grad), got {type(out).__name__}")
        g = as_array(out[1], "the gradient func(w)[1]", finite=False)  # inf: a diverged run
        if g.shape != w.shape or (w.ndim and w.shape[-1] != self.offsets.shape[1]):
            raise ValueError(f"func must return a gradient of the shape of w, {w.shape} (with "
                             f"d = {self.offsets.shape[1]} as the offsets), got {g.shape}")
        return g if idx is None else g + self.minibatch_noise(idx)


def noisy_finite_sum(func, n_samples, *, noise, rng, dim=2):
    r"""Make :math:`f` a finite sum of :math:`N` terms :math:`f(w) + \xi_i^T w` (:class:`NoisyFiniteSum`).

    The offsets are :math:`\xi_i = \sigma z_i - \sigma\bar z`, :math:`z_i \sim N(0, I_d)`:
    centred, so they have mean zero (up to rounding) and :math:`F = f`.

    Parameters
    ----------
    func : callable
        :math:`f`, ``func(w) -> (value, grad)`` for ``w`` of shape (..., ``dim``).
    n_samples : int
        :math:`N \ge 1`.
    noise : float
        :math:`\sigma \ge 0`, the spread of the offsets (0: every term is :math:`f`).
    rng : numpy.random.Generator
    dim : int, default 2
        :math:`d`, the dimension of ``w`` (2 for the surfaces of this module).

    Returns
    -------
    NoisyFiniteSum
        With ``offsets`` of shape (N, d).

    References
    ----------
    MLP lecture (004_16411a88f2dc5004.txt), the finite-sum objective and SGD.

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> F = noisy_finite_sum(rosenbrock, 64, noise=20.0, rng=default_rng(7))
    >>> F.offsets.shape, bool(np.all(np.abs(F.offsets.mean(axis=0)) < 1e-12))
    ((64, 2), True)
    >>> w = np.array([-1.2, 1.0])
    >>> bool(np.allclose(F.grad(w, np.arange(64)), rosenbrock(w)[1]))   # |I_k| = N: the full gradient
    True
    """
    if not callable(func):
        raise TypeError(f"func must be a callable func(w) -> (value, grad), got {type(func).__name__}")
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    noise = check_real(noise, "noise", low=0)
    check_rng(rng)
    dim = check_int(dim, "dim", minimum=1)
    xi = noise * rng.standard_normal((n_samples, dim))  # (N, d)
    return NoisyFiniteSum(func, xi - xi.mean(axis=0))

class MinibatchGradientStats(NamedTuple):
    """What :func:`minibatch_gradient_stats` measured, beside what the formula predicts."""

    mean: np.ndarray  #: empirical mean of the minibatch gradients g_k
    var: np.ndarray  #: empirical variance of g_k (ddof=1)
    full_grad: np.ndarray  #: the full gradient \hat g_k, the mean of the per-sample gradients
    predicted_var: np.ndarray  #: the formula, minibatch_gradient_variance(...)
    sigma2: np.ndarray  #: population variance of the per-sample gradients
    draws: np.ndarray  #: the n_draws minibatch gradients, shape (n_draws, *D)


def _per_sample(per_sample_grads, batch_size, replace):
    g = as_array(per_sample_grads, "per_sample_grads", ndim=(1, 2))
    n = g.shape[0]
    if g.size == 0:
        raise ValueError(f"per_sample_grads must hold at least one sample's gradient, "
                         f"got shape {g.shape}")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    replace = check_bool(replace, "replace")
    if not replace and batch_size > n:
        raise ValueError(f"batch_size must be <= N ({n}) when sampling without replacement, "
                         f"got {batch_size} (N = len(per_sample_grads))")
    return g, n, batch_size


def _variance(g):
    """The population variance of the per-sample gradients, or ValueError if it overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        sigma2 = np.var(g, axis=0)
    return check_finite(sigma2, "the variance of per_sample_grads", "their spread is too large")


def minibatch_gradient_variance(per_sample_grads, batch_size, *, replace=False):
    r"""The variance of the minibatch gradient :math:`g_k` predicted from the per-sample gradients.

    Parameters
    ----------
    per_sample_grads : ndarray, shape (N,) or (N, D)
        :math:`\nabla f_i(\omega_k)` for every sample.
    batch_size : int
        :math:`B = |I_k|`.
    replace : bool, default False
        Whether :math:`I_k` is drawn with replacement.

    Returns
    -------
    ndarray, shape () or (D,)
        :math:`\mathrm{Var}(g_k)` per coordinate.

    Notes
    -----
    With :math:`\sigma^2 = \frac1N \sum_i (\nabla f_i - \hat g_k)^2` the
    population variance of the per-sample gradients,

    .. math::
        \mathrm{Var}(g_k) = \frac{\sigma^2}{B} \text{ (with replacement)}, \qquad
        \mathrm{Var}(g_k) = \frac{\sigma^2}{B} \frac{N - B}{N - 1} \text{ (without)}.

    The second factor, the finite-population correction, makes the noise vanish
    at :math:`B = N` ("\hat\Sigma_k \to 0 if |I_k| \to N" in the MLP lecture);
    with replacement it only falls like :math:`1/B`.

    Examples
    --------
    >>> float(minibatch_gradient_variance(np.array([0.0, 2.0]), 2))
    0.0
    """
    g, n, batch_size = _per_sample(per_sample_grads, batch_size, replace)
    sigma2 = _variance(g)
    if replace:
        return sigma2 / batch_size
    if n == 1:
        return np.zeros_like(sigma2)
    return sigma2 / batch_size * (n - batch_size) / (n - 1)


def minibatch_gradient_stats(per_sample_grads, batch_size, *, rng, replace=False,
                             n_draws=10_000):
    r"""Draw many minibatch gradients :math:`g_k` and compare their spread with the formula.

    Parameters
    ----------
    per_sample_grads : ndarray, shape (N,) or (N, D)
        :math:`\nabla f_i(\omega_k)`, e.g. from :func:`least_squares_per_sample_grads`.
    batch_size : int
        :math:`B = |I_k|`.
    rng : numpy.random.Generator
    replace : bool, default False
        Draw each :math:`I_k` with replacement.
    n_draws : int, default 10000
        The number of minibatches drawn.

    Returns
    -------
    MinibatchGradientStats
        ``mean`` and ``var`` (empirical, over the draws), ``full_grad``
        (:math:`\hat g_k`), ``predicted_var`` (:func:`minibatch_gradient_variance`),
        ``sigma2`` and the ``draws`` themselves.

    Notes
    -----
    :math:`g_k = \frac{1}{|I_k|} \sum_{i \in I_k} \nabla f_i(\omega_k)` is unbiased,
    :math:`\mathbb{E} g_k = \hat g_k`, so SGD is gradient descent plus noise
    :math:`\varepsilon_k = g_k - \hat g_k` whose variance shrinks with the batch
    size (MLP lecture: :math:`\omega_{k+1} = \omega_k - \alpha_k(\hat g_k + \varepsilon_k)`).

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> s = minibatch_gradient_stats(np.arange(10.0), 10, rng=default_rng(0), n_draws=5)
    >>> float(s.predicted_var), bool(s.var < 1e-25)  # B = N: every draw is the full mean
    (0.0, True)
    """
    g, n, batch_size = _per_sample(per_sample_grads, batch_size, replace)
    sigma2 = _variance(g)
    check_rng(rng)
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    if replace:
        idx = rng.integers(0, n, size=(n_draws, batch_size))
    else:
        # (n_draws, N): each row a random permutation; its first B entries are one I_k
        idx = rng.permuted(np.broadcast_to(np.arange(n), (n_draws, n)), axis=1)[:, :batch_size]
    draws = g[idx].mean(axis=1)  # (n_draws, B, *D) -> (n_draws, *D)
    full = g.mean(axis=0)
    return MinibatchGradientStats(
        mean=draws.mean(axis=0), var=draws.var(axis=0, ddof=1), full_grad=full,
        predicted_var=minibatch_gradient_variance(g, batch_size, replace=replace),
        sigma2=sigma2, draws=draws,
    )


def reparameterize(mu, sigma, *, rng):
    r"""Reparameterisation: :math:`x = \mu + \sigma\varepsilon`, :math:`\varepsilon \sim N(0, 1)`.

    Parameters
    ----------
    mu : ndarray, shape (...)
        :math:`\mu`.
    sigma : ndarray, shape (...)
        :math:`\sigma \ge 0`, broadcastable with ``mu``.
    rng : numpy.random.Generator

    Returns
    -------
    x : ndarray, shape broadcast(mu, sigma)
        The sample.
    eps : ndarray, same shape
        The noise :math:`\varepsilon` that was drawn; keep it for the backward.

    Notes
    -----
    .. math:: x = \mu + \sigma\varepsilon, \qquad
              \frac{\partial x}{\partial \mu} = 1, \qquad
              \frac{\partial x}{\partial \sigma} = \varepsilon

    The randomness sits in :math:`\varepsilon`, which does not depend on the
    parameters, so :math:`\nabla_{\mu,\sigma} \mathbb{E}[h(x)] =
    \mathbb{E}[\nabla_{\mu,\sigma} h(\mu + \sigma\varepsilon)]` and one sample
    gives an unbiased gradient (Kingma & Welling 2014, the VAE's
    "reparameterisation trick").

    References
    ----------
    MLP lecture (004_16411a88f2dc5004.txt), the last formulas before the
    learning-rate schedules.

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> x, eps = reparameterize(np.zeros(3), np.ones(3), rng=default_rng(0))
    >>> bool(np.allclose(x, eps))
    True
    """
    mu = as_array(mu, "mu")
    sigma = as_array(sigma, "sigma")
    check_rng(rng)
    if np.any(sigma < 0):
        raise ValueError(f"sigma must be >= 0 (a standard deviation), got {sigma.min():g}")
    try:
        shape = np.broadcast_shapes(mu.shape, sigma.shape)
    except ValueError:
        raise ValueError(f"mu and sigma must broadcast together, got shapes {mu.shape} "
                         f"and {sigma.shape}") from None
    eps = rng.standard_normal(size=shape)
    return mu + sigma * eps, eps


def _sum_to_shape(g, shape):
    """Sum a broadcast gradient back to ``shape`` (the backward of broadcasting)."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


def reparameterize_backward(dout, mu, sigma, eps):
    r"""Gradients of :func:`reparameterize`: ``dmu = dout``, ``dsigma = dout * eps``.

    Parameters
    ----------
    dout : ndarray, shape of x
        :math:`\partial L / \partial x`.
    mu, sigma : ndarray
        The forward's inputs.
    eps : ndarray, shape of x
        The noise the forward returned.

    Returns
    -------
    dmu : ndarray, shape of mu
    dsigma : ndarray, shape of sigma
        Summed over the axes along which ``mu`` or ``sigma`` was broadcast.
    """
    mu = as_array(mu, "mu")
    sigma = as_array(sigma, "sigma")
    eps = as_array(eps, "eps")
    dout = as_array(dout, "dout")
    try:
        shape = np.broadcast_shapes(mu.shape, sigma.shape, eps.shape)
    except ValueError:
        shape = None
    if shape != eps.shape:  # else a gradient could not be summed back to mu's or sigma's shape
        raise ValueError(f"mu and sigma must broadcast to the shape of eps, {eps.shape} (the "
                         f"forward's noise), got shapes {mu.shape} and {sigma.shape}")
    if dout.shape != eps.shape:
        raise ValueError(f"dout must have the shape of eps, {eps.shape}, got {dout.shape}")
    return _sum_to_shape(dout, mu.shape), _sum_to_shape(dout * eps, sigma.shape)
