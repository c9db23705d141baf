r"""L2 regularisation: the penalty, its gradient, the norm ball, and ridge regression in both forms.

The MLP lecture writes L2 regularisation two ways:

.. math::
    \text{penalty:}\quad \frac{1}{N}\sum_{i=1}^N \mathcal{L}(y_i, f(x_i, \theta))
    + \frac{\lambda}{2}\|\theta\|_2^2 \to \min_\theta
    \qquad
    \text{constraint:}\quad \frac{1}{N}\sum_{i=1}^N \mathcal{L}(y_i, f(x_i, \theta))
    \to \min_\theta \ \text{ s.t. } \|\theta\|_2^2 \le \eta.

For every λ > 0 the penalty solution :math:`\theta(\lambda)` also solves the
constraint form with :math:`\eta = \|\theta(\lambda)\|^2` (λ is the KKT
multiplier of the constraint); conversely every η below the squared norm of
the unconstrained minimiser has a λ > 0, and larger η leave the constraint
inactive (λ = 0). With the squared loss :math:`\mathcal{L} = (x_i^T\theta -
y_i)^2` (ridge regression) both are solved exactly here, and the
correspondence is computed both ways.

Conventions
-----------
* :math:`\lambda/2` in front of :math:`\|\theta\|^2`, so the gradient is
  :math:`\lambda\theta` (the weight decay of SGD: :math:`\theta \leftarrow
  \theta - \alpha\lambda\theta - \ldots`). PyTorch's ``weight_decay`` is this λ.
* η bounds the *squared* norm, as the notes write it: the ball has radius
  :math:`\sqrt\eta`.
* The data term is a *mean* over the N samples: with it, the ridge solution is
  :math:`\theta = (\tfrac{2}{N}X^TX + \lambda I)^{-1}\tfrac{2}{N}X^Ty`, not the
  textbook :math:`(X^TX + \lambda I)^{-1}X^Ty` (which belongs to :math:`\|X\theta -
  y\|^2 + \lambda\|\theta\|^2`; the two agree when the textbook's λ is
  :math:`N\lambda/2`).
* ``theta`` may be one array or a list of arrays (all layers' weights); the
  norm is then taken over all of them together.
* The notes penalise every parameter; in practice biases (and batch-norm γ, β)
  are often left out.

References
----------
004_16411a88f2dc5004.txt ("MLP"), the two formulations at the top.
001_2691e6e736ad0c50.txt (Lecture 3), Recap: weight decay.
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, check_finite, check_real

# ---------------------------------------------------------------- penalty and ball


def _thetas(theta):
    """Return (list of float64 arrays, was_a_list).

    A list or tuple whose items are all ndarrays is a list of parameter arrays;
    anything else (a nested list of numbers included) is one array.
    """
    if isinstance(theta, (list, tuple)) and theta and all(isinstance(t, np.ndarray) for t in theta):
        return [as_array(t, f"theta[{i}]") for i, t in enumerate(theta)], True
    return [as_array(theta, "theta")], False


def _lam(lam):
    return check_real(lam, "lam", low=0)


def _sum_of_squares(thetas):
    r"""``(sq, top)`` with :math:`\|\theta\|^2 = \text{top}^2 \cdot \text{sq}`.

    ``top`` is 1 unless the plain sum of squares overflows (an entry beyond about
    1e154); then it is the largest magnitude, and ``sq`` the sum of squares in its
    units, at most the number of entries.
    """
    with np.errstate(over="ignore"):
        sq = float(sum(np.sum(t**2) for t in thetas))
    if np.isfinite(sq):
        return sq, 1.0
    top = max(float(np.max(np.abs(t))) for t in thetas if t.size)
    return float(sum(np.sum((t / top) ** 2) for t in thetas)), top


def l2_penalty(theta, lam):
    r"""The L2 penalty :math:`\frac{\lambda}{2}\|\theta\|_2^2`.

    Parameters
    ----------
    theta : array_like, or list of ndarray
        The parameters; for a list, :math:`\|\theta\|^2` sums over all arrays.
    lam : float
        λ >= 0.

    Returns
    -------
    float

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), the penalty formulation.

    Examples
    --------
    >>> l2_penalty([np.array([3.0]), np.array([4.0])], lam=0.1)   # 0.1/2 * 25
    1.25
    """
    thetas, _ = _thetas(theta)
    lam = _lam(lam)
    sq, top = _sum_of_squares(thetas)
    if top == 1.0:
        return 0.5 * lam * sq
    with np.errstate(over="ignore"):
        penalty = 0.5 * lam * top * top * sq
    return check_finite(penalty, "the penalty lam/2 ||theta||^2", "theta is too large")


def l2_penalty_backward(dout, theta, lam):
    r"""Gradient of :func:`l2_penalty`: :math:`\text{dout}\cdot\lambda\theta`.

    Parameters
    ----------
    dout : float
        Upstream gradient of the penalty (1.0 if it is added to the objective).
    theta : array_like, or list of ndarray
    lam : float

    Returns
    -------
    dtheta : ndarray, or list of ndarray
        Same structure as ``theta``.
    """
    dout = check_real(dout, "dout")
    thetas, was_list = _thetas(theta)
    lam = _lam(lam)
    grads = [dout * lam * t for t in thetas]
    return grads if was_list else grads[0]


def project_l2_ball(theta, eta):
    r"""Euclidean projection onto :math:`\{\theta: \|\theta\|_2^2 \le \eta\}`.

    Parameters
    ----------
    theta : array_like, or list of ndarray
    eta : float
        η >= 0, the bound on the *squared* norm (radius :math:`\sqrt\eta`).

    Returns
    -------
    ndarray, or list of ndarray
        ``theta`` unchanged if inside, else :math:`\theta\sqrt\eta/\|\theta\|`
        (the nearest point of the ball, on the same ray). A new array either way.

    Notes
    -----
    Projected gradient descent for the constraint form alternates a gradient
    step on the data term with this projection.

    Examples
    --------
    >>> project_l2_ball(np.array([3.0, 4.0]), eta=1.0).round(12).tolist()
    [0.6, 0.8]
    """
    thetas, was_list = _thetas(theta)
    eta = check_real(eta, "eta", low=0)
    sq, top = _sum_of_squares(thetas)
    if top == 1.0:
        scale = 1.0 if sq <= eta else np.sqrt(eta / sq)
    else:  # ||theta||^2 = top^2 sq overflows, so it exceeds eta: theta sqrt(eta) / ||theta||
        scale = np.sqrt(eta) / np.sqrt(sq) / top
    out = [t * scale for t in thetas]
    return out if was_list else out[0]


# ---------------------------------------------------------------- ridge regression


def _xy(X, y):
    X = as_array(X, "X", ndim=2)
    y = as_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one entry per row of X ({X.shape[0]}), got {y.shape[0]}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    return X, y


def ridge_penalized(X, y, lam):
    r"""Ridge regression, penalty form: the minimiser of the mean squared error plus λ/2 ‖θ‖².

    :math:`\arg\min_\theta \frac{1}{N}\sum_i (x_i^T\theta - y_i)^2 + \frac{\lambda}{2}\|\theta\|^2`.

    Parameters
    ----------
    X : array_like, shape (N, d)
        One sample :math:`x_i^T` per row.
    y : array_like, shape (N,)
    lam : float
        λ >= 0. With λ = 0 the minimum-norm least-squares solution is returned
        (the limit λ → 0⁺), so a rank-deficient X is fine.

    Returns
    -------
    theta : ndarray, shape (d,)

    Notes
    -----
    Setting the gradient :math:`\frac{2}{N}X^T(X\theta - y) + \lambda\theta` to 0:

    .. math::
        \theta(\lambda) = \Big(\frac{2}{N}X^TX + \lambda I\Big)^{-1}\frac{2}{N}X^Ty.

    The factor 2/N comes from the mean of squares; the matrix is positive
    definite for any λ > 0.

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), the penalty formulation.

    Examples
    --------
    >>> ridge_penalized(np.eye(2), np.array([1.0, 2.0]), lam=1.0).tolist()  # (I + I)^-1 I y
    [0.5, 1.0]
    """
    X, y = _xy(X, y)
    lam = _lam(lam)
    n, d = X.shape
    if lam == 0:
        theta = np.linalg.lstsq(X, y, rcond=None)[0]
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            A, v = 2.0 / n * X.T @ X, 2.0 / n * X.T @ y
        if np.all(np.isfinite(A)) and np.all(np.isfinite(v)):
            theta = np.linalg.solve(A + lam * np.eye(d), v)
        else:  # X^T X overflowed: with X = s X', y = t y' (s, t powers of two, exact),
            # theta = (t/s) (2/N X'^T X' + lam/s^2 I)^{-1} 2/N X'^T y'
            s, t = (np.ldexp(1.0, np.frexp(max(np.max(np.abs(a)), 1e-300))[1]) for a in (X, y))
            Xs, ys = X / s, y / t
            theta = np.linalg.solve(2.0 / n * Xs.T @ Xs + lam / s / s * np.eye(d),
                                    2.0 / n * Xs.T @ ys)
            with np.errstate(over="ignore"):
                theta = theta * (t / s)
    return check_finite(theta, "the ridge solution theta", "y is too large for X and lam")


def _svd_norm_sq(X, y):
    r"""From one SVD of X: ``f(lam) = ||theta(lam)||^2``, ``||theta_LS||^2``, ``c s`` and ``b``.

    With :math:`X = U S V^T`, :math:`b = U^T y` and :math:`c = 2/N`,
    :math:`\theta(\lambda) = V \operatorname{diag}(c s_k/(c s_k^2 + \lambda)) b`, so
    :math:`\|\theta(\lambda)\|^2 = \sum_k (c s_k b_k/(c s_k^2 + \lambda))^2`,
    strictly decreasing in λ (when not identically 0).
    """
    n = X.shape[0]
    U, s, _ = np.linalg.svd(X, full_matrices=False)
    b = U.T @ y
    keep = s > s.max(initial=0.0) * max(X.shape) * np.finfo(float).eps  # the range of X
    s, b, c = s[keep], b[keep], 2.0 / n

    # A norm beyond 1.8e308 is inf: still larger than any eta, which is all the bisection asks.
    def norm_sq(lam):
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.sum((c * s * b / (c * s**2 + lam)) ** 2))

    with np.errstate(over="ignore", invalid="ignore"):
        return norm_sq, float(np.sum((b / s) ** 2)), c * s, b


def ridge_eta_for_lambda(X, y, lam):
    r"""The η for which the constraint form has the same solution as the penalty form with λ.

    Parameters
    ----------
    X : array_like, shape (N, d)
    y : array_like, shape (N,)
    lam : float
        λ >= 0.

    Returns
    -------
    eta : float
        :math:`\eta(\lambda) = \|\theta(\lambda)\|_2^2` with :math:`\theta(\lambda)`
        from :func:`ridge_penalized`; decreasing in λ, the squared norm of the
        (minimum-norm) least-squares solution at λ = 0.
    """
    with np.errstate(over="ignore"):
        eta = float(np.sum(ridge_penalized(X, y, lam) ** 2))
    return check_finite(eta, "eta = ||theta(lam)||^2", "y is too large for X and lam")


def ridge_lambda_for_eta(X, y, eta):
    r"""The λ whose penalty solution solves the constraint form with η: the KKT multiplier.

    Parameters
    ----------
    X : array_like, shape (N, d)
    y : array_like, shape (N,)
    eta : float
        η >= 0, the bound on :math:`\|\theta\|^2`.

    Returns
    -------
    lam : float
        0 if the least-squares solution already satisfies :math:`\|\theta\|^2 \le
        \eta` (the constraint is inactive); otherwise the unique λ > 0 with
        :math:`\|\theta(\lambda)\|^2 = \eta`; ``inf`` for η = 0 (only θ = 0 fits,
        the limit λ → ∞) unless the least-squares solution is itself 0.

    Notes
    -----
    Solved by bisection on the secular equation :math:`\sum_k (c s_k b_k/(c
    s_k^2 + \lambda))^2 = \eta` (SVD :math:`X = U S V^T`, :math:`b = U^T y`,
    :math:`c = 2/N`), whose left side decreases strictly from
    :math:`\|\theta_\text{LS}\|^2` at λ = 0 to 0. The root is bracketed by
    :math:`[0, \|c\,X^Ty\|/\sqrt\eta]`, since :math:`\|\theta(\lambda)\| \le
    \|c\,X^Ty\|/\lambda`; bisection halves the bracket until
    it is a few units in the last place of λ wide.
    """
    X, y = _xy(X, y)
    eta = check_real(eta, "eta", low=0)
    norm_sq, ls_norm_sq, cs, b = _svd_norm_sq(X, y)
    if ls_norm_sq <= eta:
        return 0.0
    if eta == 0:
        return np.inf
    with np.errstate(over="ignore"):
        hi = float(np.sqrt(np.sum((cs * b) ** 2)) / np.sqrt(eta))  # ||c X^T y|| / sqrt(eta)
    if not np.isfinite(hi):  # the same norm in units of its largest term
        top = float(np.max(np.abs(cs * b)))
        with np.errstate(over="ignore"):
            hi = float(top * np.sqrt(np.sum((cs * b / top) ** 2)) / np.sqrt(eta))
        check_finite(hi, "the bracket ||c X^T y|| / sqrt(eta) of the multiplier",
                     "y is too large for X and eta")
    lo = 0.0
    while hi - lo > 4 * np.finfo(float).eps * hi:  # relative precision of the root
        mid = 0.5 * (lo + hi)
        if norm_sq(mid) > eta:
            lo = mid
        else:
            hi = mid
    return hi


def ridge_constrained(X, y, eta):
    r"""Ridge regression, constraint form: the least-squares fit inside the ball ‖θ‖² ≤ η.

    :math:`\arg\min_\theta \frac{1}{N}\sum_i (x_i^T\theta - y_i)^2` subject to
    :math:`\|\theta\|^2 \le \eta`.

    Parameters
    ----------
    X : array_like, shape (N, d)
    y : array_like, shape (N,)
    eta : float
        η >= 0.

    Returns
    -------
    theta : ndarray, shape (d,)

    Notes
    -----
    If the (minimum-norm) least-squares solution lies in the ball it is the
    answer. Otherwise the constraint is active, :math:`\|\theta\|^2 = \eta`,
    and the KKT conditions :math:`\frac{2}{N}X^T(X\theta - y) + \lambda\theta = 0`,
    λ > 0 (the factor 1/2 of the penalty absorbed into λ) say that θ is the
    penalty solution for the λ of :func:`ridge_lambda_for_eta`.

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), the constraint formulation.

    Examples
    --------
    >>> ridge_constrained(np.eye(2), np.array([3.0, 4.0]), eta=1.0).round(12).tolist()
    [0.6, 0.8]
    """
    lam = ridge_lambda_for_eta(X, y, eta)
    if np.isinf(lam):
        return np.zeros(np.shape(X)[1])
    return ridge_penalized(X, y, lam)
