r"""Optimisers, one step at a time, with their state in plain attributes.

Conventions
-----------
* ``opt.step(params, grads)`` updates ``params`` **in place** and returns
  ``None``. ``params`` is a list (or tuple) of float arrays, or a dict of them;
  ``grads`` has the same structure (the same length, or the same keys) and each
  gradient the shape of its parameter. In-place is what lets a model's own
  parameter arrays be trained directly.
* The state a student may want to print is in plain attributes: ``opt.t`` (the
  number of steps taken), ``opt.mu`` (momentum's velocity), ``opt.m`` and
  ``opt.v`` (Adam's moments), each a list aligned with ``params``. It is created
  at the first step; ``opt.reset()`` forgets it.
* ``lr`` (and momentum's ``gamma``) is a number or a schedule, a callable of the
  step ``t = 0, 1, 2, ...`` (see :mod:`lecturekit.schedules`); step ``t`` uses
  ``lr(t)``.
* ``weight_decay`` on every optimiser but :class:`AdamW` is *coupled* L2 decay:
  :math:`g \leftarrow g + \lambda_{wd} w`, the gradient of
  :math:`\tfrac{\lambda_{wd}}{2}\|w\|^2` (the MLP lecture's penalty). AdamW
  decouples it (see :class:`AdamW`).

Notation: Lecture 4 writes the learning rate :math:`\lambda`, the gradient
:math:`g_t`, the velocity :math:`\mu_t` and momentum coefficient
:math:`\gamma`; the MLP lecture writes the step :math:`\alpha_k`, the
minibatch :math:`I_k` and the minibatch gradient :math:`g_k`. Code: ``lr``,
``grads``, ``mu``, ``gamma``, ``minibatch_indices``.

PyTorch's ``torch.optim.SGD(momentum=...)`` uses a different velocity
(:class:`MomentumPyTorch`): the same iterates under a constant learning rate,
different ones under a schedule.

References
----------
Lecture 4 (000_778bfa8cbc5d38d6.txt), "2. Optimization": gradient descent,
momentum and its worked example, Adam. MLP lecture (004_16411a88f2dc5004.txt),
"SGD". Kingma & Ba (2015), "Adam"; Loshchilov & Hutter (2019), "Decoupled
weight decay regularization"; Sutskever et al. (2013), "On the importance of
initialization and momentum in deep learning".
"""

from __future__ import annotations

import types

import numpy as np

from ._checks import (
    as_array,
    call_schedule,
    check_bool,
    check_callable,
    check_finite,
    check_int,
    check_positive,
    check_real,
)
from .rng import check_rng

__all__ = [
    "Optimizer", "GD", "SGD", "Momentum", "Nesterov", "MomentumPyTorch", "Adam", "AdamW",
    "minibatch_indices", "trajectory", "run_side_by_side",
    "heavy_ball_rate", "critical_momentum", "heavy_ball_optimum", "momentum_weights",
    "adam_moments",
]


def _check_schedule(value, name):
    """A schedule (a callable of the step); refuses a schedule factory passed uncalled."""
    from . import schedules  # the factories, to recognise one passed uncalled

    if isinstance(value, types.FunctionType) and value.__module__ == schedules.__name__ \
            and value.__name__ in schedules.__all__:
        raise TypeError(f"{name} must be a number or a schedule, got the factory "
                        f"schedules.{value.__name__} itself: call it, e.g. "
                        f"{name}={value.__name__}(0.1, ...)")
    return value  # its values are checked at each step (_value_at), where it is called


def _check_rate(value, name):
    """A positive number, or a schedule (a callable of the step)."""
    if callable(value):
        return _check_schedule(value, name)
    return check_positive(value, name)


def _check_coefficient(value, name):
    """A number in [0, 1) (beta, gamma), or a schedule."""
    if callable(value):
        return _check_schedule(value, name)
    return check_real(value, name, low=0, high=1, high_open=True)


def _value_at(value, t, name, *, low, high=None):
    """``value(t)`` if it is a schedule, checked to lie in [low, high); else ``value``."""
    if not callable(value):
        return value
    return call_schedule(value, t, name, low=low, high=high)


class Optimizer:
    r"""The shared machinery: argument checks, the step counter and the in-place update.

    Subclasses define ``_init_state(params)`` and ``_update(i, w, g, lr)``, which
    returns the change :math:`\Delta w` added to parameter ``i``.

    Parameters
    ----------
    lr : float or callable
        The learning rate :math:`\lambda > 0`, or a schedule ``lr(t)``.
    weight_decay : float, default 0.0
        Coupled L2 decay :math:`\lambda_{wd} \ge 0`: :math:`g \leftarrow g + \lambda_{wd} w`.
    """

    _state_names: tuple = ()
    _coupled_decay = True  # AdamW turns it off and decays the weights itself

    def __init__(self, lr, *, weight_decay=0.0):
        if type(self) is Optimizer:
            raise TypeError("Optimizer is the abstract base class of the optimisers: use GD, SGD, "
                            "Momentum, Nesterov, MomentumPyTorch, Adam or AdamW")
        self.lr = _check_rate(lr, "lr")
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0)
        self.reset()

    def reset(self):
        """Forget the step count and the state (moments, velocities)."""
        self.t = 0
        self._shapes = None
        for name in self._state_names:
            setattr(self, name, None)

    def __repr__(self):
        state = ", ".join(f"{n}=<{len(getattr(self, n) or [])} arrays>" for n in self._state_names)
        hyper = ", ".join(f"{k}={v!r}" for k, v in self._hyper().items())
        return f"{type(self).__name__}({hyper}; t={self.t}{', ' + state if state else ''})"

    def _hyper(self):
        return {"lr": self.lr, "weight_decay": self.weight_decay}

    def current_lr(self):
        """The learning rate the next step will use, ``lr(t)`` for a schedule."""
        return _value_at(self.lr, self.t, "lr", low=0)

    def step(self, params, grads):
        r"""Take one step: update every parameter in ``params`` in place.

        Parameters
        ----------
        params : list of ndarray or dict of ndarray
            The parameters :math:`w_t`; float arrays, updated in place.
        grads : list of array_like or dict of array_like
            The gradients :math:`g_t`, matching ``params`` in length (or keys)
            and in each shape.

        Raises
        ------
        ValueError
            If the structures or a parameter's and its gradient's shapes differ
            (the message names the index or key and both shapes), if a parameter
            or gradient is not finite, or if the parameters' shapes changed since
            the previous step; a schedule's value is checked at the step that uses it.
        """
        names, ws, gs = _pair_up(params, grads)
        shapes = [w.shape for w in ws]
        if self._shapes is None:
            self._init_state(ws)
            self._shapes = shapes
        elif shapes != self._shapes:
            raise ValueError(
                "params changed shape since the previous step "
                f"(was {self._shapes}, now {shapes}); call reset() for new parameters"
            )
        lr = self.current_lr()
        for i, (w, g) in enumerate(zip(ws, gs, strict=True)):
            if self.weight_decay and self._coupled_decay:
                g = g + self.weight_decay * w
            w += self._update(i, w, g, lr)
        self.t += 1

    def _init_state(self, params):
        pass

    def _update(self, i, w, g, lr):
        raise NotImplementedError(f"{type(self).__name__} must define _update(i, w, g, lr), the "
                                  "change of parameter i")


def _pair_up(params, grads):
    """Check that ``params`` and ``grads`` match; return names, parameter and gradient lists."""
    if isinstance(params, dict):
        if not isinstance(grads, dict):
            raise TypeError(f"grads must be a dict like params, got {type(grads).__name__}")
        if set(params) != set(grads):
            raise ValueError(f"grads must have the keys of params, {sorted(params)}, "
                             f"got {sorted(grads)}")
        names = list(params)
        ws = [params[k] for k in names]
        gs = [grads[k] for k in names]
        labels = [f"[{k!r}]" for k in names]
    elif isinstance(params, (list, tuple)):
        if not isinstance(grads, (list, tuple)):
            raise TypeError(f"grads must be a list like params, got {type(grads).__name__}")
        if len(grads) != len(params):
            raise ValueError(f"grads must have one gradient per parameter ({len(params)} in "
                             f"params), got {len(grads)}")
        names = list(range(len(params)))
        ws, gs = list(params), list(grads)
        labels = [f"[{i}]" for i in names]
    else:
        raise TypeError(f"params must be a list or dict of arrays, got {type(params).__name__}")
    out = []
    for w, g, label in zip(ws, gs, labels, strict=True):
        if not (isinstance(w, np.ndarray) and np.issubdtype(w.dtype, np.floating)):
            raise TypeError(f"params{label} must be a float numpy array (it is updated in place), "
                            f"got {type(w).__name__}"
                            + (f" of dtype {w.dtype}" if isinstance(w, np.ndarray) else ""))
        if not np.all(np.isfinite(w)):
            raise ValueError(f"params{label} must contain only finite values, got NaN or infinity")
        g = as_array(g, f"grads{label}")
        if g.shape != w.shape:
            raise ValueError(f"grads{label} must have the shape of params{label}, "
                             f"{w.shape}, got {g.shape}")
        out.append(g)
    return names, ws, out


class GD(Optimizer):
    r"""Gradient descent :math:`w_{t+1} = w_t - \lambda g_t`.

    Parameters
    ----------
    lr : float or callable
        The learning rate :math:`\lambda > 0`, or a schedule of the step.
    weight_decay : float, default 0.0
        Coupled L2 decay :math:`\lambda_{wd}`.

    Notes
    -----
    Lecture 4: :math:`w_{t+1} = w_t - \lambda \frac{\partial L}{\partial w_t}`
    with :math:`L = \sum_{i=1}^m L_i` over the full data set.

    References
    ----------
    Lecture 4 (000_778bfa8cbc5d38d6.txt), "2. Optimization".

    Examples
    --------
    >>> w = np.array([1.0, 2.0])
    >>> GD(lr=0.1).step([w], [np.array([10.0, -10.0])])
    >>> w
    array([0., 3.])
    """

    def _update(self, i, w, g, lr):
        return -lr * g


class SGD(GD):
    r"""Stochastic gradient descent: the update of :class:`GD` on a minibatch gradient.

    The update is the same; what makes it stochastic is the gradient, averaged
    over a random minibatch :math:`I_k` from :func:`minibatch_indices`.

    Notes
    -----
    MLP lecture:

    .. math::
        I_k \subset \mathrm{Unif}(1, \dots, N), \quad
        g_k = \frac{1}{|I_k|} \sum_{i \in I_k} \nabla f_i(\omega_k), \quad
        \omega_{k+1} = \omega_k - \alpha_k g_k

    References
    ----------
    MLP lecture (004_16411a88f2dc5004.txt), "SGD".
    """


class Momentum(Optimizer):
    r"""Lecture 4's momentum: :math:`\mu_{t+1} = \gamma\mu_t - \lambda g_t`, :math:`w += \mu_{t+1}`.

    Parameters
    ----------
    lr : float or callable
        :math:`\lambda > 0`, or a schedule.
    gamma : float or callable, default 0.9
        :math:`\gamma \in [0, 1)`, or a schedule of the step, e.g.
        ``schedules.linear_ramp(0.5, 0.9, steps=100)`` ("γ change from 0.5 to
        0.9 over iterations").
    weight_decay : float, default 0.0
        Coupled L2 decay.

    Attributes
    ----------
    mu : list of ndarray
        The velocities :math:`\mu_t`, one per parameter (zeros before the first step).

    Notes
    -----
    Unrolled (Lecture 4's example, :math:`\gamma = 0.9`, :math:`\mu_0 = 0`):
    :math:`\mu_1 = -\lambda g_0`, :math:`w_1 = w_0 - \lambda g_0`,
    :math:`\mu_2 = -\lambda(0.9 g_0 + g_1)`,
    :math:`w_2 = w_1 - \lambda(0.9 g_0 + g_1)`: the step is a decaying sum of all
    past gradients, each scaled by the learning rate *of its own step*. That is
    where it differs from PyTorch's velocity (:class:`MomentumPyTorch`), which
    scales the whole sum by the *current* rate.

    References
    ----------
    Lecture 4 (000_778bfa8cbc5d38d6.txt), "Momentum".

    Examples
    --------
    >>> w = np.array([0.0]); opt = Momentum(lr=1.0, gamma=0.9)
    >>> opt.step([w], [np.array([1.0])]); opt.step([w], [np.array([1.0])])
    >>> opt.mu[0], w
    (array([-1.9]), array([-2.9]))
    """

    _state_names = ("mu",)

    def __init__(self, lr, *, gamma=0.9, weight_decay=0.0):
        self.gamma = _check_coefficient(gamma, "gamma")
        super().__init__(lr, weight_decay=weight_decay)

    def _hyper(self):
        return {**super()._hyper(), "gamma": self.gamma}

    def _init_state(self, params):
        self.mu = [np.zeros_like(w) for w in params]

    def _gamma(self, t):
        return _value_at(self.gamma, t, "gamma", low=0, high=1)

    def _update(self, i, w, g, lr):
        self.mu[i] = self._gamma(self.t) * self.mu[i] - lr * g
        return self.mu[i]


class Nesterov(Momentum):
    r"""Nesterov momentum: the gradient is taken at the look-ahead point :math:`w_t + \gamma\mu_t`.

    Parameters
    ----------
    lr, gamma, weight_decay
        As for :class:`Momentum`.

    Notes
    -----
    Sutskever et al. (2013), in Lecture 4's letters:

    .. math::
        \mu_{t+1} = \gamma_t \mu_t - \lambda g(w_t + \gamma_t \mu_t), \quad
        w_{t+1} = w_t + \mu_{t+1}

    ``step`` only sees the gradient at the parameters it is given, so the
    parameters it stores are the look-ahead points
    :math:`\tilde w_t = w_t + \gamma_t \mu_t`; in those,

    .. math:: \tilde w_{t+1} = \tilde w_t + \gamma_{t+1} \mu_{t+1} - \lambda g(\tilde w_t),

    the same iterates shifted by :math:`\gamma\mu` (PyTorch's
    ``SGD(nesterov=True)`` does the same, with its own velocity sign and scale).
    At convergence :math:`\mu \to 0` and the two coincide.

    References
    ----------
    Sutskever, Martens, Dahl & Hinton (2013); Bengio, Boulanger-Lewandowski &
    Pascanu (2013), "Advances in optimizing recurrent networks".
    """

    def _update(self, i, w, g, lr):
        self.mu[i] = self._gamma(self.t) * self.mu[i] - lr * g
        return self._gamma(self.t + 1) * self.mu[i] - lr * g


class MomentumPyTorch(Optimizer):
    r"""PyTorch's momentum :math:`v_{t+1} = m v_t + g_t`, :math:`w_{t+1} = w_t - \lambda_t v_{t+1}`.

    ``torch.optim.SGD(params, lr, momentum=m)`` (with ``dampening=0``,
    ``nesterov=False``); here to compare with Lecture 4's :class:`Momentum`.

    Parameters
    ----------
    lr : float or callable
        :math:`\lambda > 0`, or a schedule.
    momentum : float, default 0.9
        :math:`m \in [0, 1)`.
    weight_decay : float, default 0.0
        Coupled L2 decay (PyTorch's ``weight_decay``).

    Attributes
    ----------
    v : list of ndarray
        PyTorch's ``momentum_buffer``: a sum of gradients, without the learning rate.

    Notes
    -----
    With a constant :math:`\lambda` and :math:`m = \gamma`, the lecture's velocity
    is :math:`\mu_t = -\lambda v_t` and the iterates are identical. Under a
    schedule they differ: unrolled,

    .. math::
        \mu_{t+1} = -\sum_{s \le t} \gamma^{t-s} \lambda_s g_s, \qquad
        -\lambda_t v_{t+1} = -\lambda_t \sum_{s \le t} \gamma^{t-s} g_s,

    so after a learning-rate drop the lecture's form still carries the old,
    larger steps in :math:`\mu` while PyTorch's shrinks at once.

    References
    ----------
    PyTorch documentation, ``torch.optim.SGD`` (the note on its momentum
    differing from Sutskever et al.).
    """

    _state_names = ("v",)

    def __init__(self, lr, *, momentum=0.9, weight_decay=0.0):
        self.momentum = check_real(momentum, "momentum", low=0, high=1, high_open=True)
        super().__init__(lr, weight_decay=weight_decay)

    def _hyper(self):
        return {**super()._hyper(), "momentum": self.momentum}

    def _init_state(self, params):
        self.v = [np.zeros_like(w) for w in params]

    def _update(self, i, w, g, lr):
        self.v[i] = self.momentum * self.v[i] + g
        return -lr * self.v[i]


class Adam(Optimizer):
    r"""Adam with bias correction, :math:`\epsilon` outside the square root.

    Parameters
    ----------
    lr : float or callable, default 1e-3
        :math:`\lambda > 0`, or a schedule.
    beta1 : float, default 0.9
        :math:`\beta_1 \in [0, 1)`, the decay of the first moment.
    beta2 : float, default 0.999
        :math:`\beta_2 \in [0, 1)`, the decay of the second moment.
    eps : float, default 1e-8
        :math:`\epsilon > 0`.
    weight_decay : float, default 0.0
        Coupled L2 decay, added to the gradient *before* the moments (PyTorch's
        ``Adam(weight_decay=...)``); see :class:`AdamW` for the decoupled form.

    Attributes
    ----------
    m, v : list of ndarray
        The moment estimates :math:`m_t` and :math:`V_t`.

    Notes
    -----
    Lecture 4, with :math:`t = 1, 2, \dots` (``opt.t`` after the step):

    .. math::
        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad
        V_t = \beta_2 V_{t-1} + (1 - \beta_2) g_t^2,

        \hat m_t = \frac{m_t}{1 - \beta_1^t}, \quad
        \hat V_t = \frac{V_t}{1 - \beta_2^t}, \quad
        U_t = -\lambda \frac{\hat m_t}{\sqrt{\hat V_t} + \epsilon}, \quad
        W_{t+1} = W_t + U_t

    with :math:`\beta_1 = 0.9`, :math:`\beta_2 = 0.999`,
    :math:`\epsilon = 10^{-8}` (the paper's and PyTorch's defaults). Counting
    from :math:`t = 1`, the start is :math:`W_1` with gradient :math:`g_1`, and
    the first step gives :math:`W_2 = W_1 + U_1`; since :math:`\hat m_1 = g_1` and
    :math:`\hat V_1 = g_1^2`, it moves every coordinate by almost exactly
    :math:`\lambda`. Here :math:`\epsilon` is added *after* the square root;
    batch norm (:func:`lecturekit.norm.normalize`) puts its :math:`\epsilon`
    under it, :math:`\sqrt{\sigma^2 + \epsilon}`. A large :math:`\epsilon \gg
    \sqrt{\hat V_t}` turns Adam into :math:`U_t \approx -(\lambda/\epsilon)\hat m_t`:
    gradient descent on the running mean of the gradients, at the rate
    :math:`\lambda/\epsilon`, without the per-coordinate scaling.

    A gradient too large to square in float64 (:math:`|g| > 1.3 \cdot 10^{154}`)
    still moves its coordinate by about :math:`\lambda`: from then on that
    parameter's moments are stored in units of a power of two per coordinate (the
    true moments are ``m[i] * c`` and ``v[i] * c**2`` with ``c = opt._scale[i]``,
    at least :math:`|g|/2^{500}`, and 1 where no gradient was that large).

    References
    ----------
    Lecture 4 (000_778bfa8cbc5d38d6.txt), "Adam"; Kingma & Ba (2015), Algorithm 1.
    """

    _state_names = ("m", "v")

    def __init__(self, lr=1e-3, *, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
        self.beta1 = check_real(beta1, "beta1", low=0, high=1, high_open=True)
        self.beta2 = check_real(beta2, "beta2", low=0, high=1, high_open=True)
        self.eps = check_positive(eps, "eps")
        super().__init__(lr, weight_decay=weight_decay)

    def _hyper(self):
        return {**super()._hyper(), "beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def _init_state(self, params):
        self.m = [np.zeros_like(w) for w in params]
        self.v = [np.zeros_like(w) for w in params]
        self._scale = [None] * len(params)  # see _scaled_update

    def _update(self, i, w, g, lr):
        t = self.t + 1  # the formula counts steps from 1
        with np.errstate(over="ignore"):
            g2 = g**2
        if self._scale[i] is not None or not np.all(np.isfinite(g2)):
            return self._scaled_update(i, g, lr, t)
        self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
        self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g2
        m_hat = self.m[i] / (1 - self.beta1**t)
        v_hat = self.v[i] / (1 - self.beta2**t)
        return -lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def _scaled_update(self, i, g, lr, t):
        r"""The same step with the moments kept in units ``c`` (powers of two, per coordinate).

        Once a gradient exceeds :math:`2^{500}`, :math:`g^2` overflows; from then on
        this parameter's state is :math:`m = c\,m'`, :math:`V = c^2 V'` with ``c`` =
        ``self._scale[i]`` (1 for the coordinates never that large, which therefore
        step exactly as before), and since :math:`c \hat m'/(c\sqrt{\hat V'} +
        \epsilon) = \hat m'/(\sqrt{\hat V'} + \epsilon/c)` the update is unchanged.
        """
        c = np.ones_like(g) if self._scale[i] is None else self._scale[i]
        top = np.ldexp(1.0, np.frexp(np.abs(g))[1] - 500)  # a power of two >= |g| / 2^500
        c_new = np.maximum(c, top)
        ratio = c / c_new  # powers of two: the rescaling is exact
        g_c = g / c_new
        self.m[i] = self.beta1 * (self.m[i] * ratio) + (1 - self.beta1) * g_c
        self.v[i] = self.beta2 * (self.v[i] * ratio * ratio) + (1 - self.beta2) * g_c**2
        self._scale[i] = c_new
        m_hat = self.m[i] / (1 - self.beta1**t)
        v_hat = self.v[i] / (1 - self.beta2**t)
        return -lr * m_hat / (np.sqrt(v_hat) + self.eps / c_new)


class AdamW(Adam):
    r"""Adam with decoupled weight decay: :math:`W_{t+1} = W_t - \lambda\lambda_{wd} W_t + U_t`.

    Parameters
    ----------
    lr, beta1, beta2, eps
        As for :class:`Adam`.
    weight_decay : float, default 0.01
        :math:`\lambda_{wd} \ge 0` (PyTorch's ``AdamW`` default).

    Notes
    -----
    The decay is applied to the weights directly, scaled by the learning rate,
    and never enters the moments :math:`m_t, V_t`. With coupled L2 decay
    (``Adam(weight_decay=...)``) the decay term is divided by
    :math:`\sqrt{\hat V_t}` like the gradient, so weights with large gradients
    are decayed less; Loshchilov & Hutter show the decoupled form regularises
    as intended.

    References
    ----------
    Loshchilov & Hutter (2019), "Decoupled weight decay regularization", Algorithm 2.
    """

    def __init__(self, lr=1e-3, *, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
        super().__init__(lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay)

    _coupled_decay = False

    def _update(self, i, w, g, lr):
        return super()._update(i, w, g, lr) - lr * self.weight_decay * w


def minibatch_indices(n, batch_size, *, rng, epochs=1, drop_last=False):
    r"""Yield minibatches :math:`I_k`: index arrays drawn without replacement within an epoch.

    Each epoch shuffles ``0, ..., n-1`` and cuts the permutation into batches of
    ``batch_size``; every index appears exactly once per epoch.

    Parameters
    ----------
    n : int
        :math:`N`, the number of samples.
    batch_size : int
        :math:`|I_k|`, with ``1 <= batch_size <= n``.
    rng : numpy.random.Generator
        The source of the shuffles.
    epochs : int or None, default 1
        The number of passes; ``None`` yields batches for ever.
    drop_last : bool, default False
        Drop each epoch's last batch if it is smaller than ``batch_size``
        (otherwise it is yielded, smaller).

    Yields
    ------
    ndarray of int, shape (batch_size,)
        The indices :math:`I_k` (the last batch of an epoch may be shorter).

    Notes
    -----
    The MLP lecture writes :math:`I_k \subset \mathrm{Unif}(1, \dots, N)`. Within
    an epoch each :math:`I_k` is a uniformly random subset of the indices not
    yet used; the first batch of an epoch is a uniformly random subset of all
    :math:`N`. (Sampling with replacement, :math:`I_k` drawn afresh each step, is
    analysed in :func:`lecturekit.objectives.minibatch_gradient_stats`.)

    References
    ----------
    MLP lecture (004_16411a88f2dc5004.txt), "SGD".

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> batches = list(minibatch_indices(5, 2, rng=default_rng(0)))
    >>> [len(b) for b in batches], sorted(np.concatenate(batches).tolist())
    ([2, 2, 1], [0, 1, 2, 3, 4])
    """
    n = check_int(n, "n", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if batch_size > n:
        raise ValueError(f"batch_size must be <= n ({n}), got {batch_size}")
    if epochs is not None:
        epochs = check_int(epochs, "epochs", minimum=0)
    check_rng(rng)
    return _minibatches(n, batch_size, rng, epochs, check_bool(drop_last, "drop_last"))


def _minibatches(n, batch_size, rng, epochs, drop_last):
    epoch = 0
    while epochs is None or epoch < epochs:
        order = rng.permutation(n)
        stop = n - n % batch_size if drop_last else n
        for start in range(0, stop, batch_size):
            yield order[start:start + batch_size]
        epoch += 1


def trajectory(optimizer, grad, w0, *, steps):
    r"""Run ``optimizer`` from ``w0`` for ``steps`` steps; return every iterate.

    For contour plots of the 2-D objectives in :mod:`lecturekit.objectives`.

    Parameters
    ----------
    optimizer : Optimizer
        A fresh (or reset) optimiser; it is reset first.
    grad : callable
        ``grad(w) -> g``, the gradient at ``w`` (same shape as ``w``).
    w0 : array_like
        The starting point :math:`w_0` (copied).
    steps : int
        The number of steps.

    Returns
    -------
    ndarray, shape (steps + 1, *w0.shape)
        :math:`w_0, w_1, \dots, w_{steps}`.

    Examples
    --------
    >>> trajectory(GD(lr=0.5), lambda w: 2 * w, [1.0], steps=2)[:, 0]
    array([1., 0., 0.])
    """
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a lecturekit.optim optimiser, "
                        f"got {type(optimizer).__name__}")
    check_callable(grad, "grad", "grad(w)")
    steps = check_int(steps, "steps", minimum=0)
    w = as_array(w0, "w0").copy()
    optimizer.reset()
    out = np.empty((steps + 1,) + w.shape)
    out[0] = w
    for k in range(steps):
        g = as_array(grad(w), f"grad(w) at step {k}")
        if g.shape != w.shape:
            raise ValueError(f"grad(w) must return the shape of w0, {w.shape}, got {g.shape}")
        optimizer.step([w], [g])
        if not np.all(np.isfinite(w)):
            raise ValueError(f"the iterate overflowed float64 at step {k + 1}: the optimizer's "
                             f"step from w0 along grad is too large")
        out[k + 1] = w
    return out


def run_side_by_side(optimizers, grad, w0, *, steps, box=None, noise=None):
    r"""Run several optimisers from one start in lock step, with one gradient call per step.

    For comparing methods on one surface: every step evaluates ``grad`` once at
    all the current iterates, adds each run's noise (SGD's minibatch noise) and
    steps each optimiser that is still running. A run that leaves ``box`` (or
    whose iterate or gradient stops being finite) is stopped there: it keeps
    its last point, made finite and clipped into the box, so the paths hold no
    NaN or infinity.

    Parameters
    ----------
    optimizers : sequence of Optimizer, length k
        The optimisers (reset first).
    grad : callable
        ``grad(w) -> g`` for a stack of points: ``w`` and ``g`` of shape (k, d),
        row ``j`` the iterate of run ``j`` and the gradient there (the 2-D
        objectives of :mod:`lecturekit.objectives` take ``w`` of shape (..., 2)).
        A stopped run's row is evaluated and not used.
    w0 : array_like, shape (d,)
        The start :math:`w_0` of every run (copied).
    steps : int
        The number of steps.
    box : (lo, hi), optional
        Bounds, each a float or of shape (d,), with ``lo < hi`` and :math:`w_0`
        inside. Default: the finite floats (a run stops only when it overflows).
    noise : sequence of (iterator or None), length k, optional
        For run ``j``, an iterator of vectors of shape (d,) added to its gradient,
        one per step (e.g. ``map(F.minibatch_noise, minibatch_indices(...))`` for
        :class:`lecturekit.objectives.NoisyFiniteSum` ``F``), or None for the exact
        gradient. Default: every gradient exact.

    Returns
    -------
    paths : ndarray, shape (steps + 1, k, d)
        ``paths[t, j]`` is run ``j``'s :math:`w_t`; after a run stops it stays put.
    diverged : list of int or None, length k
        The step at which each run was stopped, None if it ran to the end.

    Notes
    -----
    Each run is :func:`trajectory` of its optimiser alone (with its noise added
    to the gradient), up to the step at which it is stopped: running side by
    side only shares the gradient calls.

    References
    ----------
    Lecture 4 (000_778bfa8cbc5d38d6.txt), "2. Optimization": gradient descent,
    momentum, Adam, compared on one surface.

    Examples
    --------
    >>> paths, diverged = run_side_by_side([GD(lr=0.5), GD(lr=1.5)], lambda w: 2 * w, [1.0],
    ...                                    steps=3, box=(-3.0, 3.0))
    >>> paths[:, :, 0]               # w <- (1 - 2 lr) w: times 0, times -2
    array([[ 1.,  1.],
           [ 0., -2.],
           [ 0.,  3.],
           [ 0.,  3.]])
    >>> diverged                     # 4 is outside the box: clipped to 3 and stopped
    [None, 2]
    """
    if not isinstance(optimizers, (list, tuple)):
        raise TypeError(f"optimizers must be a list or tuple of lecturekit.optim optimisers, "
                        f"got {type(optimizers).__name__}")
    if not optimizers:
        raise ValueError("optimizers must hold at least one optimiser, got an empty sequence")
    for j, opt in enumerate(optimizers):
        if not isinstance(opt, Optimizer):
            raise TypeError(f"optimizers[{j}] must be a lecturekit.optim optimiser, "
                            f"got {type(opt).__name__}")
    if not callable(grad):
        raise TypeError(f"grad must be a callable grad(w), got {type(grad).__name__}")
    k = len(optimizers)
    w = as_array(w0, "w0", ndim=1)
    d = w.shape[0]
    steps = check_int(steps, "steps", minimum=0)
    lo, hi = _box(box, w)
    noise = [None] * k if noise is None else list(noise)
    if len(noise) != k:
        raise ValueError(f"noise must have one entry per optimiser ({k}), got {len(noise)}")
    for j, source in enumerate(noise):
        if source is not None and not hasattr(source, "__next__"):
            raise TypeError(f"noise[{j}] must be an iterator of vectors or None, "
                            f"got {type(source).__name__}")
    noisy = [j for j in range(k) if noise[j] is not None]
    for opt in optimizers:
        opt.reset()
    w = np.tile(w, (k, 1))  # (k, d): one row per run
    paths = np.empty((steps + 1, k, d))
    paths[0] = w
    alive = np.ones(k, dtype=bool)
    diverged = [None] * k
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            # a copy: the noise is added in place; NaN and infinity stop the run, below
            g = np.array(as_array(grad(w), "grad(w)", finite=False), copy=True)
            if g.shape != (k, d):
                raise ValueError(f"grad(w) must return the shape of w, {(k, d)}, got {g.shape}")
            for j in noisy:
                g[j] += next(noise[j])  # one draw per step, stopped or not
            stuck = alive & ~np.all(np.isfinite(g), axis=1)
            for j in np.flatnonzero(alive & ~stuck):
                optimizers[j].step([w[j]], [g[j]])  # w[j] is a view: updated in place
            out = stuck | ~np.all((lo <= w) & (w <= hi), axis=1)  # NaN counts as out
            for j in np.flatnonzero(alive & out):
                alive[j] = False
                diverged[j] = t + 1
                w[j] = np.clip(np.nan_to_num(w[j]), lo, hi)
            paths[t + 1] = w
    return paths, diverged


def _box(box, w0):
    """``box`` as two arrays of shape (d,) with lo < hi and w0 inside; no box: the finite floats."""
    d = w0.shape[0]
    if box is None:
        biggest = np.finfo(np.float64).max
        return np.full(d, -biggest), np.full(d, biggest)
    if not (isinstance(box, (list, tuple)) and len(box) == 2):
        raise TypeError(f"box must be a pair (lo, hi), got {box!r}")
    lo, hi = (as_array(b, f"box[{i}]") for i, b in enumerate(box))
    for i, b in enumerate((lo, hi)):
        if b.shape not in ((), (d,)):
            raise ValueError(f"box[{i}] must be a number or of shape ({d},) like w0, got {b.shape}")
    lo, hi = np.broadcast_to(lo, (d,)), np.broadcast_to(hi, (d,))
    if not np.all(lo < hi):
        raise ValueError(f"box must have lo < hi in every coordinate, got lo={lo}, hi={hi}")
    if not np.all((lo <= w0) & (w0 <= hi)):
        raise ValueError(f"w0 = {w0} must lie inside box [{lo}, {hi}]")
    return lo, hi



# -- the mechanisms: momentum's rate on a quadratic, its weights, Adam's bias correction -----

def _number_or_array(value, name):
    """A real number or an array of them, as a float array; a bool is not a number here."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number or an array of them, got {value!r} (bool)")
    return as_array(value, name)


def _broadcast(a, a_name, b, b_name):
    """``np.broadcast_arrays(a, b)``, or a ValueError naming both."""
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{a_name} and {b_name} must broadcast together, got shapes "
                         f"{a.shape} and {b.shape}") from None
    return np.broadcast_to(a, shape), np.broadcast_to(b, shape)


def heavy_ball_rate(lr, gamma, eigenvalues):
    r"""The convergence rate of momentum on a quadratic: the largest spectral radius over its curvatures.

    On :math:`f(w) = \tfrac12 w^T H w` the notes' momentum, :math:`\mu_{t+1} =
    \gamma\mu_t - \lambda g_t`, :math:`w_{t+1} = w_t + \mu_{t+1}`, acts on each
    eigen-direction of :math:`H` (curvature :math:`h`) separately, through
    :math:`(w_{t+1}, w_t) = M (w_t, w_{t-1})` with the iteration matrix

    .. math::
        M(h) = \begin{pmatrix} 1 + \gamma - \lambda h & -\gamma \\ 1 & 0 \end{pmatrix}.

    The error shrinks per step by the rate
    :math:`\rho = \max_h \rho(M(h))`, the spectral radius maximised over the
    curvatures: the iteration converges iff :math:`\rho < 1`.

    Parameters
    ----------
    lr : float or array_like
        :math:`\lambda \ge 0`; broadcast against ``gamma`` (e.g. a grid).
    gamma : float or array_like
        :math:`\gamma \ge 0` (0 is gradient descent).
    eigenvalues : array_like, shape (n,)
        The curvatures :math:`h \ge 0` (eigenvalues of the Hessian :math:`H`).

    Returns
    -------
    ndarray, shape ``broadcast(lr, gamma).shape``
        :math:`\rho(\lambda, \gamma)`; a 0-d array for scalars. Computed without squaring
        :math:`1 + \gamma - \lambda h`, so it stays finite for steps as large as 1e300; a
        ``ValueError`` if :math:`\rho` itself exceeds float64.

    Notes
    -----
    The eigenvalues of :math:`M(h)` are the roots of
    :math:`z^2 - (1 + \gamma - \lambda h) z + \gamma = 0`. If the discriminant
    :math:`(1 + \gamma - \lambda h)^2 - 4\gamma` is negative they are complex,
    of modulus :math:`\sqrt\gamma` (the damped oscillation of momentum); it is
    zero on the critical-damping curve (:func:`critical_momentum`). The stable
    region is :math:`0 < \lambda h < 2(1 + \gamma)` for every :math:`h`, with
    :math:`\gamma < 1`.

    References
    ----------
    Lecture 4 (000_778bfa8cbc5d38d6.txt), "Momentum"; Polyak (1964); Goh (2017),
    "Why momentum really works", Distill.

    Examples
    --------
    >>> float(heavy_ball_rate(0.1, 0.0, [1.0, 20.0]))    # GD: max(|1 - 0.1|, |1 - 2|)
    1.0
    >>> round(float(heavy_ball_rate(1.0, 0.25, [1.0])), 12)   # complex roots: sqrt(gamma)
    0.5
    """
    lr = _number_or_array(lr, "lr")
    gamma = _number_or_array(gamma, "gamma")
    h = as_array(eigenvalues, "eigenvalues", ndim=1)
    if np.any(lr < 0):
        raise ValueError(f"lr must be >= 0, got a minimum of {lr.min()}")
    if np.any(gamma < 0):
        raise ValueError(f"gamma must be >= 0, got a minimum of {gamma.min()}")
    if h.size == 0 or np.any(h < 0):
        raise ValueError(f"eigenvalues must be a non-empty array of numbers >= 0, got {h}")
    lr, gamma = _broadcast(lr, "lr", gamma, "gamma")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        b = 1 + gamma[..., None] - lr[..., None] * h  # (..., n): the trace of M(h)
        c = 2 * np.sqrt(gamma[..., None])  # |b| >= c: real roots, else complex of modulus c / 2
        # the roots of z^2 - b z + gamma, scaled by s = max(|b|, c) so that b^2 cannot overflow:
        # rho = (|b| + sqrt(b^2 - c^2)) / 2 for real roots, sqrt(gamma) = c / 2 for complex ones
        scale = np.maximum(np.abs(b), c)
        u, v = np.abs(b) / scale, c / scale
        disc = u * u - v * v
        rho = np.where(scale == 0, 0.0,
                       scale / 2 * np.where(disc >= 0, u + np.sqrt(np.maximum(disc, 0)), v))
    check_finite(rho, "the rate", "lr * eigenvalues (or gamma) is too large")
    return rho.max(axis=-1)


def critical_momentum(lr, h):
    r"""The critical-damping curve :math:`\gamma = (1 - \sqrt{\lambda h})^2` of momentum.

    Where the discriminant :math:`(1 + \gamma - \lambda h)^2 - 4\gamma` of
    :func:`heavy_ball_rate`'s iteration matrix is zero: below this
    :math:`\gamma` the direction of curvature :math:`h` converges without
    oscillating (real roots), above it the error oscillates with modulus
    :math:`\sqrt\gamma`.

    Parameters
    ----------
    lr : float or array_like
        :math:`\lambda`, with :math:`0 \le \lambda h \le 4` (where the curve has
        :math:`\gamma \le 1`).
    h : float
        The curvature :math:`h > 0`.

    Returns
    -------
    ndarray, shape of ``lr``
        :math:`\gamma_c(\lambda)`. For :math:`\lambda h \le 1` it is the
        branch :math:`1 + \gamma - \lambda h = 2\sqrt\gamma`; for
        :math:`1 < \lambda h \le 4` the branch :math:`= -2\sqrt\gamma`.

    References
    ----------
    Lecture 4 (000_778bfa8cbc5d38d6.txt), "Momentum"; Goh (2017), Distill.

    Examples
    --------
    >>> float(critical_momentum(0.25, 1.0))
    0.25
    """
    lr = _number_or_array(lr, "lr")
    h = check_positive(h, "h")
    with np.errstate(over="ignore"):  # lr * h = inf is above 4 as well
        lh = lr * h
    if np.any(lr < 0) or np.any(lh > 4):
        raise ValueError(f"lr * h must lie in [0, 4] (where the curve has gamma <= 1), "
                         f"got lr * h from {lh.min():g} to {lh.max():g}")
    return (1 - np.sqrt(lh)) ** 2


def heavy_ball_optimum(h_min, h_max):
    r"""The best momentum on a quadratic with curvatures in :math:`[h_{min}, h_{max}]`.

    Returns
    -------
    lr, gamma, rate : float
        :math:`\lambda^* = \big(2/(\sqrt{h_{max}} + \sqrt{h_{min}})\big)^2`,
        :math:`\gamma^* = \big((\sqrt\kappa - 1)/(\sqrt\kappa + 1)\big)^2` and the
        rate :math:`\rho^* = \sqrt{\gamma^*} = (\sqrt\kappa - 1)/(\sqrt\kappa + 1)`,
        with :math:`\kappa = h_{max}/h_{min}` (gradient descent's best is
        :math:`(\kappa - 1)/(\kappa + 1)`).

    Notes
    -----
    At the optimum both extreme curvatures sit on the critical-damping curve
    (:func:`critical_momentum`), one on each branch.

    References
    ----------
    Polyak (1964); Goh (2017), "Why momentum really works", Distill.

    Examples
    --------
    >>> lr, gamma, rate = heavy_ball_optimum(1.0, 9.0)
    >>> lr, gamma, rate
    (0.25, 0.25, 0.5)
    """
    h_min = check_positive(h_min, "h_min")
    h_max = check_positive(h_max, "h_max")
    if h_max < h_min:
        raise ValueError(f"h_max must be >= h_min ({h_min}), got {h_max}")
    root = np.sqrt(h_max) / np.sqrt(h_min)  # sqrt(kappa); h_max / h_min may overflow
    return (float((2 / (np.sqrt(h_max) + np.sqrt(h_min))) ** 2),
            float(((root - 1) / (root + 1)) ** 2), float((root - 1) / (root + 1)))


def momentum_weights(gamma, k):
    r"""The weights :math:`\gamma^j`, :math:`j = 0, \dots, k-1`, that momentum gives past gradients.

    Unrolling :math:`\mu_{t+1} = \gamma\mu_t - \lambda g_t` from :math:`\mu_0 = 0`
    with a constant :math:`\lambda` and :math:`\gamma`:

    .. math:: \mu_{t+1} = -\lambda \sum_{j=0}^{t} \gamma^j g_{t-j},

    so the gradient of :math:`j` steps ago counts :math:`\gamma^j` times; in
    total at most :math:`\sum_j \gamma^j = 1/(1 - \gamma)`. Lecture 4's worked
    example is :math:`t = 1`, :math:`\gamma = 0.9`:
    :math:`\mu_2 = -\lambda(0.9 g_0 + g_1)`, the weights ``(1, 0.9)`` of
    :math:`g_1, g_0`.

    Parameters
    ----------
    gamma : float
        :math:`\gamma \in [0, 1]`.
    k : int
        The number of weights, :math:`k \ge 1`.

    Returns
    -------
    ndarray, shape (k,)
        ``[1, gamma, gamma**2, ...]``: entry ``j`` multiplies :math:`g_{t-j}`.

    References
    ----------
    Lecture 4 (000_778bfa8cbc5d38d6.txt), "Momentum", the worked example.

    Examples
    --------
    >>> momentum_weights(0.9, 3)
    array([1.  , 0.9 , 0.81])
    """
    gamma = check_real(gamma, "gamma", low=0, high=1)
    k = check_int(k, "k", minimum=1)
    return gamma ** np.arange(k, dtype=np.float64)


def adam_moments(grads, *, beta1=0.9, beta2=0.999):
    r"""Adam's moments and their bias corrections over a run: :math:`m_t, \hat m_t, V_t, \hat V_t`.

    Parameters
    ----------
    grads : array_like, shape (T, ...)
        The gradients :math:`g_1, \dots, g_T` (row ``t - 1`` is :math:`g_t`).
    beta1, beta2 : float, default 0.9 and 0.999
        :math:`\beta_1, \beta_2 \in [0, 1)`.

    Returns
    -------
    m, m_hat, v, v_hat : ndarray, shape (T, ...)
        Row ``t - 1`` holds :math:`m_t, \hat m_t, V_t, \hat V_t` (from :math:`m_0 = V_0 = 0`).
        A ``ValueError`` if a moment exceeds float64 (:math:`g_t^2` does for
        :math:`|g_t|` above about 1.3e154).

    Notes
    -----
    Lecture 4, counted from :math:`t = 1`:

    .. math::
        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad
        \hat m_t = \frac{m_t}{1 - \beta_1^t}, \quad
        V_t = \beta_2 V_{t-1} + (1 - \beta_2) g_t^2, \quad
        \hat V_t = \frac{V_t}{1 - \beta_2^t}.

    :math:`m_t = (1 - \beta_1)\sum_{s=1}^t \beta_1^{t-s} g_s` has total weight
    :math:`1 - \beta_1^t`: the zero start biases it towards 0, and the
    correction divides that out (a constant gradient gives :math:`\hat m_t = g`
    at every :math:`t`). These are the moments :class:`Adam` keeps (``opt.m``,
    ``opt.v``).

    References
    ----------
    Lecture 4 (000_778bfa8cbc5d38d6.txt), "Adam"; Kingma & Ba (2015), section 3.

    Examples
    --------
    >>> m, m_hat, v, v_hat = adam_moments([2.0, 2.0])
    >>> m, m_hat
    (array([0.2 , 0.38]), array([2., 2.]))
    """
    g = as_array(grads, "grads")
    if g.ndim == 0 or len(g) == 0:
        raise ValueError(f"grads must have shape (T, ...) with T >= 1, got shape {g.shape}")
    beta1 = check_real(beta1, "beta1", low=0, high=1, high_open=True)
    beta2 = check_real(beta2, "beta2", low=0, high=1, high_open=True)
    m, v = np.empty_like(g), np.empty_like(g)
    m_prev, v_prev = np.zeros_like(g[0]), np.zeros_like(g[0])
    with np.errstate(over="ignore", invalid="ignore"):  # g^2 beyond float64: checked below
        for t in range(len(g)):
            m[t] = m_prev = beta1 * m_prev + (1 - beta1) * g[t]
            v[t] = v_prev = beta2 * v_prev + (1 - beta2) * g[t] ** 2
        t = np.arange(1, len(g) + 1).reshape((-1,) + (1,) * (g.ndim - 1))  # (T, 1, ...)
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    for value, what in ((m, "m_t"), (m_hat, "m_hat_t"), (v, "V_t"), (v_hat, "V_hat_t")):
        check_finite(value, f"the moment {what}",
                     "grads is too large (V_t averages g_t^2, which exceeds 1.8e308 "
                     "for |g_t| above about 1.3e154)")
    return m, m_hat, v, v_hat
