r"""Learning-rate (and momentum) schedules: a step size as a function of the step ``t``.

Conventions
-----------
* ``t`` counts optimiser steps from 0: the first update uses ``schedule(0)``.
  The optimisers of :mod:`lecturekit.optim` call ``lr(t)`` (and ``gamma(t)``)
  with exactly this ``t``.
* Each factory (``step_decay(0.1, factor=0.5, every=10)``) checks its arguments
  once and returns a :class:`Schedule`: a callable of ``t`` alone, which prints
  its name and hyperparameters, and is vectorised, so
  ``schedule(np.arange(100))`` gives the whole curve for a plot.
* A scalar ``t`` gives a Python float; an array of steps gives a float64 array
  of the same shape. Steps must be non-negative (they may be non-integer, for
  plots; the formulas' floor is part of ``step_decay`` itself).

Notation: the MLP lecture writes the SGD step size :math:`\alpha_k` at step
:math:`k`, Lecture 4 writes the learning rate :math:`\lambda`; here the step is
``t`` (the lecture's :math:`k`), the initial value is ``lr`` (:math:`\alpha_0`)
and the value at step ``t`` is :math:`\alpha_t`. The hyperparameters' letters
(:math:`\rho` ``factor``, :math:`P` ``every``, :math:`\kappa` ``k``, :math:`T`
``steps``, :math:`\alpha_{min}` ``floor``, :math:`W` ``warmup_steps``) are those
of the MLP notebook and its :class:`~lecturekit.explore.ScheduleExplorer`.

References
----------
MLP lecture (004_16411a88f2dc5004.txt), "SGD" and "Learning Rates Schedule";
Lecture 4 (000_778bfa8cbc5d38d6.txt), "Momentum": ":math:`\gamma` change from
0.5 to 0.9 over iterations" (:func:`linear_ramp`).
"""

from __future__ import annotations

import numbers

import numpy as np

from ._checks import as_array, call_schedule, check_callable, check_int, check_positive, check_real

__all__ = [
    "Schedule", "constant", "step_decay", "exponential_decay", "inverse_time_decay",
    "cosine_decay", "linear_warmup", "linear_ramp",
]


class Schedule:
    r"""A schedule: a named, vectorised function of the step ``t``.

    Parameters
    ----------
    name : str
        The factory's name, shown by ``repr``.
    formula : callable
        ``formula(t)`` for a float64 array ``t >= 0``; returns an array of ``t``'s shape.
    params : dict
        The hyperparameters, shown by ``repr`` and kept as ``schedule.params``.
    """

    def __init__(self, name, formula, params):
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name).__name__}")
        self.name = name
        if not isinstance(params, dict):
            raise TypeError(f"params must be a dict of the hyperparameters, got {type(params).__name__}")
        self.params = dict(params)
        self._formula = check_callable(formula, "formula", "formula(t) of an array of steps")

    def __call__(self, t):
        steps = as_array(t, "t")
        if steps.size and steps.min() < 0:
            raise ValueError(f"t must be >= 0 (steps count from 0), got {steps.min():g}")
        values = self._formula(steps)
        if not (isinstance(values, (numbers.Real, np.ndarray)) and np.asarray(values).dtype.kind in "iuf"
                and np.shape(values) in (steps.shape, ())):
            raise TypeError(f"formula must return numbers of t's shape {steps.shape}, got "
                            f"{type(values).__name__} of shape {np.shape(values)}")
        values = np.asarray(values, dtype=np.float64)
        if values.shape != steps.shape:  # a constant formula: one value for every step
            values = np.broadcast_to(values, steps.shape).copy()
        if not np.all(np.isfinite(values)):
            raise ValueError(f"the schedule {self.name} (its formula) is not finite at every t")
        return float(values) if values.ndim == 0 else values

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({args})"


def _check_schedule(schedule, name="schedule"):
    if not callable(schedule):
        raise TypeError(f"{name} must be a schedule (a callable of the step t), "
                        f"got {type(schedule).__name__}")
    return schedule


def constant(lr):
    r"""The constant schedule :math:`\alpha_t = \alpha_0`.

    Parameters
    ----------
    lr : float
        :math:`\alpha_0 > 0`.

    Returns
    -------
    Schedule

    Examples
    --------
    >>> constant(0.1)(5)
    0.1
    """
    lr = check_positive(lr, "lr")
    return Schedule("constant", lambda t: np.full_like(t, lr), {"lr": lr})


def step_decay(lr, *, factor=0.5, every=10):
    r"""Step decay: multiply the rate by ``factor`` every ``every`` steps.

    Parameters
    ----------
    lr : float
        :math:`\alpha_0 > 0`.
    factor : float, default 0.5
        The drop factor :math:`\rho \in (0, 1]`.
    every : int, default 10
        The number of steps :math:`P` between drops.

    Returns
    -------
    Schedule

    Notes
    -----
    .. math:: \alpha_t = \alpha_0\, \rho^{\lfloor t / P \rfloor}

    PyTorch's ``StepLR(step_size=P, gamma=rho)`` is the same schedule counted in
    epochs (it steps once per epoch unless told otherwise).

    Examples
    --------
    >>> step_decay(0.1, factor=0.5, every=10)(25)
    0.025
    """
    lr = check_positive(lr, "lr")
    factor = check_real(factor, "factor", low=0, high=1, low_open=True)
    every = check_int(every, "every", minimum=1)
    return Schedule("step_decay", lambda t: lr * factor ** np.floor(t / every),
                    {"lr": lr, "factor": factor, "every": every})


def exponential_decay(lr, *, k=0.01):
    r"""Exponential decay :math:`\alpha_t = \alpha_0 e^{-\kappa t}`.

    Parameters
    ----------
    lr : float
        :math:`\alpha_0 > 0`.
    k : float, default 0.01
        The decay rate :math:`\kappa \ge 0` per step.

    Returns
    -------
    Schedule

    Notes
    -----
    .. math:: \alpha_t = \alpha_0 e^{-\kappa t}

    TensorFlow writes the same curve as :math:`\alpha_0 r^{t/s}` and PyTorch's
    ``ExponentialLR`` as :math:`\alpha_0 \gamma^t`: :math:`\gamma = e^{-\kappa}`.

    Examples
    --------
    >>> round(exponential_decay(1.0, k=np.log(2))(3), 12)
    0.125
    """
    lr = check_positive(lr, "lr")
    k = check_real(k, "k", low=0)
    return Schedule("exponential_decay", lambda t: lr * np.exp(-k * t), {"lr": lr, "k": k})


def inverse_time_decay(lr, *, k=0.1):
    r"""Inverse-time decay :math:`\alpha_t = \alpha_0 / (1 + \kappa t)`.

    Parameters
    ----------
    lr : float
        :math:`\alpha_0 > 0`.
    k : float, default 0.1
        The decay rate :math:`\kappa \ge 0`.

    Returns
    -------
    Schedule

    Notes
    -----
    .. math:: \alpha_t = \frac{\alpha_0}{1 + \kappa t}

    :math:`\alpha_t \propto 1/t` satisfies the Robbins-Monro conditions
    :math:`\sum_t \alpha_t = \infty`, :math:`\sum_t \alpha_t^2 < \infty` under
    which SGD converges despite its gradient noise.

    Examples
    --------
    >>> inverse_time_decay(1.0, k=0.5)(2)
    0.5
    """
    lr = check_positive(lr, "lr")
    k = check_real(k, "k", low=0)
    return Schedule("inverse_time_decay", lambda t: lr / (1 + k * t), {"lr": lr, "k": k})


def cosine_decay(lr, *, steps, floor=0.0):
    r"""Cosine decay from ``lr`` to ``floor`` over ``steps`` steps, then constant.

    Parameters
    ----------
    lr : float
        :math:`\alpha_0 > 0`.
    steps : int
        :math:`T \ge 1`, the length of the decay.
    floor : float, default 0.0
        :math:`\alpha_{min}`, with :math:`0 \le \alpha_{min} \le \alpha_0`.

    Returns
    -------
    Schedule

    Notes
    -----
    .. math::
        \alpha_t = \alpha_{min} + \tfrac12 (\alpha_0 - \alpha_{min})
                   \bigl(1 + \cos(\pi \min(t, T) / T)\bigr)

    PyTorch's ``CosineAnnealingLR(T_max=T, eta_min=floor)`` without restarts
    (Loshchilov & Hutter 2017, "SGDR").

    Examples
    --------
    >>> cosine_decay(1.0, steps=10, floor=0.1)(5)
    0.55
    """
    lr = check_positive(lr, "lr")
    steps = check_int(steps, "steps", minimum=1)
    floor = check_real(floor, "floor", low=0)
    if floor > lr:
        raise ValueError(f"floor must be in [0, {lr:g}], got {floor:g}: at most lr")
    return Schedule(
        "cosine_decay",
        lambda t: floor + 0.5 * (lr - floor) * (1 + np.cos(np.pi * np.minimum(t, steps) / steps)),
        {"lr": lr, "steps": steps, "floor": floor},
    )


def linear_warmup(schedule, *, warmup_steps):
    r"""Ramp up linearly for ``warmup_steps`` steps, then follow ``schedule`` from its start.

    Parameters
    ----------
    schedule : callable
        Any schedule (a callable of ``t``, e.g. :func:`cosine_decay`).
    warmup_steps : int
        :math:`W \ge 1`.

    Returns
    -------
    Schedule

    Notes
    -----
    .. math::
        \alpha_t = \begin{cases} \alpha^{s}_0\, (t + 1) / W & t < W \\
                                 \alpha^{s}_{t - W} & t \ge W \end{cases}

    where :math:`\alpha^s` is the wrapped schedule. The ramp starts at
    :math:`\alpha^s_0 / W` rather than 0 (no wasted zero step) and ends at
    :math:`\alpha^s_0`; the wrapped schedule is shifted by :math:`W`, so a
    cosine over ``T`` steps still takes ``T`` steps after the warm-up. (Hugging
    Face's ``get_cosine_schedule_with_warmup`` instead starts at 0 and squeezes
    the cosine into the remaining steps.)

    Examples
    --------
    >>> s = linear_warmup(constant(1.0), warmup_steps=4)
    >>> [s(t) for t in range(6)]
    [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    """
    _check_schedule(schedule)
    warmup_steps = check_int(warmup_steps, "warmup_steps", minimum=1)
    start = call_schedule(schedule, 0, "schedule")

    def formula(t):
        ramp = start * (t + 1) / warmup_steps
        after = np.asarray(schedule(np.maximum(t - warmup_steps, 0)), dtype=np.float64)
        return np.where(t < warmup_steps, ramp, after)

    return Schedule("linear_warmup", formula, {"schedule": schedule, "warmup_steps": warmup_steps})


def linear_ramp(start, end, *, steps):
    r"""Move linearly from ``start`` to ``end`` over ``steps`` steps, then stay at ``end``.

    Used for the momentum coefficient: Lecture 4's ":math:`\gamma` change from
    0.5 to 0.9 over iterations" is ``linear_ramp(0.5, 0.9, steps=...)``.

    Parameters
    ----------
    start, end : float
        The values at ``t = 0`` and ``t >= steps`` (any finite reals).
    steps : int
        :math:`T \ge 1`.

    Returns
    -------
    Schedule

    Notes
    -----
    .. math:: \gamma_t = \gamma_0 + (\gamma_T - \gamma_0) \min(t, T) / T

    Examples
    --------
    >>> g = linear_ramp(0.5, 0.9, steps=4)
    >>> [round(g(t), 3) for t in (0, 2, 4, 10)]
    [0.5, 0.7, 0.9, 0.9]
    """
    start = check_real(start, "start")
    end = check_real(end, "end")
    steps = check_int(steps, "steps", minimum=1)
    return Schedule("linear_ramp",
                    lambda t: start + (end - start) * np.minimum(t, steps) / steps,
                    {"start": start, "end": end, "steps": steps})
