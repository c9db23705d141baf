r"""The lectures' claims about learning, tried on the shipped digits: one run, many seeds, five experiments.

A *setting* is a set of keyword arguments of :func:`digits_run`: the model
(``"mlp"`` or ``"lenet"``), batch norm, the dropout keep probabilities, the
weight decay :math:`\lambda`, the initialisation, the optimiser (SGD, momentum
or Adam as Lecture 4 writes them), the learning rate and its schedule, the
training-set size, the epochs, the batch size and the seed. A run returns its
curves per epoch (epoch 0 is the untrained network), all measured in
evaluation mode (no dropout, BN's running statistics), so that the train and
test curves are comparable and their last difference is the *train–test gap*.

Runs are cached per setting (:func:`digits_run` computes each setting once per
process), so :func:`digits_runs` over seeds, the training-lab explorer and the
notebooks' experiments share them.

Conventions
-----------
* ``weight_decay`` is the MLP lecture's L2 penalty :math:`\frac{\lambda}{2}\|\theta\|^2`
  added to the loss, i.e. :math:`g \leftarrow g + \lambda\theta` in every optimiser
  (coupled decay, :mod:`lecturekit.optim`), on every parameter.
* Keep probabilities, not drop probabilities (05/10/23's :math:`p`); inverted dropout.
* The training subset of size ``n_train`` is the first ``n_train`` images of
  :func:`lecturekit.datasets.load_digits`'s (shuffled, stratified) training set,
  the same for every seed; the seed draws the weights, then the minibatches and masks.
* Accuracies are fractions; the gap is ``train_accuracy[-1] - test_accuracy[-1]``.

References
----------
MLP lecture (004_16411a88f2dc5004.txt): SGD, L2 regularisation, Drop Out, Batch
Normalization ("more stable computations", "better for optimization methods"),
Learning Rates Schedule. Lecture 3 (001_2691e6e736ad0c50.txt): BN, He and Xavier
initialisation. Lecture 4 (000_778bfa8cbc5d38d6.txt): momentum, Adam.
05/10/23 (002_4e19a57a78109995.txt): Dropout, keep probabilities 0.8 and 0.5.
Lecture 14 (003_59d733786b3f0eb6.txt): LeNet.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from functools import lru_cache

import numpy as np

from ._checks import (
    as_array,
    check_bool,
    check_callable,
    check_choice,
    check_finite,
    check_int,
    check_real,
)
from ._threads import small_work
from .datasets import load_digits
from .init import INITS
from .models import MLP, LeNet
from .objectives import least_squares_minimizer
from .optim import SGD, Adam, Momentum
from .rng import check_rng, default_rng
from .schedules import Schedule, constant, cosine_decay, inverse_time_decay, step_decay
from .train import train

__all__ = [
    "MODELS", "OPTIMIZERS", "SCHEDULES", "MOMENTUM", "digits", "make_optimizer", "digits_run",
    "digits_runs", "is_cached", "store_run", "train_in_process", "run_cache_size",
    "regularisation_gap", "keep_probabilities", "bn_learning_rates", "init_depth",
    "sgd_least_squares",
]

MODELS = ("mlp", "lenet")
OPTIMIZERS = ("sgd", "momentum", "adam")
SCHEDULES = ("constant", "step", "cosine", "inverse_time")
"""``step``: halve every 3 epochs; ``cosine``: to 0 over all the steps; ``inverse_time``:
:math:`\\alpha_0 / (1 + k/S)` with S the steps per epoch (the rate at epoch e is α₀/(1+e))."""
MOMENTUM = 0.9
"""Lecture 4's γ for ``optimizer="momentum"``."""
_CACHE_SIZE = 2048
_RUNS = OrderedDict()
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def digits():
    """:func:`lecturekit.datasets.load_digits` with its defaults, loaded once."""
    return load_digits()


def make_optimizer(name, lr, *, schedule="constant", steps_per_epoch=1, epochs=1,
                   weight_decay=0.0):
    r"""An optimiser of :mod:`lecturekit.optim` by name, with a schedule of the step.

    Parameters
    ----------
    name : {'sgd', 'momentum', 'adam'}
        :math:`w \leftarrow w - \alpha_k g_k`; Lecture 4's momentum
        :math:`\mu \leftarrow \gamma\mu - \alpha_k g_k,\ w \leftarrow w + \mu` with
        :math:`\gamma = 0.9`; Adam with :math:`\beta_1 = 0.9, \beta_2 = 0.999`.
    lr : float
        :math:`\alpha_0 > 0`.
    schedule : {'constant', 'step', 'cosine', 'inverse_time'}, default 'constant'
        See :data:`SCHEDULES`.
    steps_per_epoch, epochs : int
        The lengths the schedules are measured in.
    weight_decay : float, default 0.0
        :math:`\lambda \ge 0` of the L2 penalty.

    Returns
    -------
    lecturekit.optim.Optimizer

    Examples
    --------
    >>> make_optimizer("momentum", 0.1, schedule="step", steps_per_epoch=10).lr(30)
    0.05
    """
    check_choice(name, "name", OPTIMIZERS)
    check_choice(schedule, "schedule", SCHEDULES)
    lr = check_real(lr, "lr", low=0, low_open=True)
    s = check_int(steps_per_epoch, "steps_per_epoch", minimum=1)
    total = s * check_int(epochs, "epochs", minimum=1)
    rate = {"constant": lambda: constant(lr),
            "step": lambda: step_decay(lr, factor=0.5, every=3 * s),
            "cosine": lambda: cosine_decay(lr, steps=total),
            "inverse_time": lambda: inverse_time_decay(lr, k=1.0 / s)}[schedule]()
    if name == "sgd":
        return SGD(rate, weight_decay=weight_decay)
    if name == "momentum":
        return Momentum(rate, gamma=MOMENTUM, weight_decay=weight_decay)
    return Adam(rate, weight_decay=weight_decay)


_DEFAULTS = dict(model="mlp", hidden=64, depth=1, batch_norm=False, keep_prob=1.0,
                 input_keep_prob=1.0, weight_decay=0.0, init="kaiming_normal", optimizer="sgd",
                 lr=0.1, schedule="constant", n_train=1438, epochs=10, batch_size=32, seed=0)


def _setting(kwargs):
    unknown = sorted(set(kwargs) - set(_DEFAULTS))
    if unknown:
        raise TypeError(f"digits_run got unknown setting(s) {unknown}; it takes {sorted(_DEFAULTS)}")
    s = {**_DEFAULTS, **kwargs}
    check_choice(s["model"], "model", MODELS)
    check_choice(s["init"], "init", INITS)
    check_choice(s["optimizer"], "optimizer", OPTIMIZERS)
    check_choice(s["schedule"], "schedule", SCHEDULES)
    s["hidden"] = check_int(s["hidden"], "hidden", minimum=1)
    s["depth"] = check_int(s["depth"], "depth", minimum=1)
    s["batch_norm"] = check_bool(s["batch_norm"], "batch_norm")
    for k in ("keep_prob", "input_keep_prob"):
        s[k] = float(check_real(s[k], k, low=0, high=1, low_open=True))
    s["weight_decay"] = float(check_real(s["weight_decay"], "weight_decay", low=0))
    s["lr"] = float(check_real(s["lr"], "lr", low=0, low_open=True))
    s["n_train"] = check_int(s["n_train"], "n_train", minimum=2,
                             maximum=len(digits().y_train))
    for k in ("epochs", "batch_size", "seed"):
        s[k] = check_int(s[k], k, minimum=1 if k != "seed" else 0)
    if s["model"] == "lenet" and s["input_keep_prob"] != 1:
        raise ValueError(f"input_keep_prob must be 1 for model='lenet' (its dropout is on the "
                         f"dense layers' inputs), got {s['input_keep_prob']}")
    if s["batch_norm"] and s["n_train"] % min(s["batch_size"], s["n_train"]) == 1:
        raise ValueError(f"n_train = {s['n_train']} leaves a last minibatch of one sample with "
                         f"batch_size = {s['batch_size']}: batch norm needs two or more")
    return s


def _model(s, rng):
    if s["model"] == "lenet":
        return LeNet(rng=rng, init=s["init"], batch_norm=s["batch_norm"], keep_prob=s["keep_prob"])
    sizes = (64,) + (s["hidden"],) * s["depth"] + (10,)
    return MLP(sizes, rng=rng, init=s["init"], batch_norm=s["batch_norm"],
               keep_prob=s["keep_prob"], input_keep_prob=s["input_keep_prob"])


def _key(s):
    return tuple(sorted(s.items()))


def run_cache_size():
    """How many runs :func:`digits_run` holds in its cache."""
    return len(_RUNS)


@small_work
def _compute(s, progress):
    from .train import evaluate

    d = digits()
    n = s["n_train"]
    data = (d.x_train[:n], d.y_train[:n], d.x_test, d.y_test)
    rng = default_rng(s["seed"])
    model = _model(s, rng)
    steps = -(-n // min(s["batch_size"], n))
    opt = make_optimizer(s["optimizer"], s["lr"], schedule=s["schedule"], steps_per_epoch=steps,
                         epochs=s["epochs"], weight_decay=s["weight_decay"])
    start = [evaluate(model, data[0], data[1]), evaluate(model, data[2], data[3])]
    E = s["epochs"]

    def curve_of_steps(values):  # every step of the E epochs: NaN after a divergence
        out = np.full(E * steps, np.nan)
        out[:len(values)] = values
        return out

    def collect(h):
        def curve(first, values):
            out = np.full(E + 1, np.nan)
            out[0], out[1:len(values) + 1] = first, values
            return out

        return {"epoch": np.arange(E + 1),
                "train_loss": curve(start[0][0], h.train_eval_loss),
                "test_loss": curve(start[1][0], h.test_loss),
                "train_accuracy": curve(start[0][1], h.train_accuracy),
                "test_accuracy": curve(start[1][1], h.test_accuracy),
                "step_loss": curve_of_steps(h.step_loss), "done": len(h.epoch),
                "diverged": bool(h.diverged), "setting": dict(s)}

    callback = (lambda h: progress(collect(h))) if progress is not None else False
    h = train(model, data, optimizer=opt, epochs=E, batch_size=s["batch_size"], rng=rng,
              progress=callback, stop_on_divergence=True)
    out = collect(h)
    out["gap"] = float(out["train_accuracy"][-1] - out["test_accuracy"][-1])
    return out


def digits_run(*, progress=None, cached=True, **setting):
    r"""Train one setting on the digits (cached); return its curves per epoch.

    Parameters
    ----------
    model : {'mlp', 'lenet'}, default 'mlp'
        :class:`lecturekit.models.MLP` ``(64, hidden x depth, 10)`` or
        :class:`lecturekit.models.LeNet`.
    hidden, depth : int, default 64, 1
        The MLP's hidden width and number of hidden layers.
    batch_norm : bool, default False
    keep_prob, input_keep_prob : float in (0, 1], default 1.0
        Dropout's keep probabilities, hidden units and inputs (MLP only).
    weight_decay : float, default 0.0
        :math:`\lambda` of the L2 penalty :math:`\frac{\lambda}{2}\|\theta\|^2`.
    init : str, default 'kaiming_normal'
        One of :data:`lecturekit.init.INITS`.
    optimizer : {'sgd', 'momentum', 'adam'}, default 'sgd'
    lr : float, default 0.1
    schedule : {'constant', 'step', 'cosine', 'inverse_time'}, default 'constant'
    n_train : int, default 1438 (all)
        The first ``n_train`` training images.
    epochs, batch_size, seed : int, default 10, 32, 0
    progress : callable, optional
        Called after each epoch with the partial result (only when it is computed).
    cached : bool, default True
        Look the setting up in (and store it into) the process's cache.

    Returns
    -------
    dict
        ``epoch`` (E + 1,); ``train_loss``, ``test_loss``, ``train_accuracy``,
        ``test_accuracy`` (E + 1,), in evaluation mode, epoch 0 untrained, NaN
        after a divergence; ``step_loss`` (E * steps,), the minibatch losses of the
        completed epochs, NaN after them; ``done`` (epochs completed);
        ``diverged``; ``gap`` (final train minus test accuracy); ``setting``.
        Treat it as read-only: it is shared through the cache.

    Examples
    --------
    >>> r = digits_run(n_train=100, epochs=2, seed=0)
    >>> r["train_accuracy"].shape, bool(r["train_accuracy"][-1] > r["train_accuracy"][0])
    ((3,), True)
    """
    s = _setting(setting)
    cached = check_bool(cached, "cached")
    if progress is not None:
        check_callable(progress, "progress", "progress(partial_result) called after each epoch")
    key = _key(s)
    if cached:
        with _LOCK:
            if key in _RUNS:
                _RUNS.move_to_end(key)
                return _RUNS[key]
    result = _compute(s, progress)
    if cached:
        with _LOCK:
            _RUNS[key] = result
            if len(_RUNS) > _CACHE_SIZE:
                _RUNS.popitem(last=False)
    return result


_RESULT_KEYS = ("epoch", "train_loss", "test_loss", "train_accuracy", "test_accuracy",
                "step_loss", "done", "diverged", "gap", "setting")


def _check_result(result, name):
    """``result`` is a dict with every key :func:`digits_run` returns, of a valid setting."""
    if not isinstance(result, dict) or not isinstance(result.get("setting"), dict):
        raise TypeError(f"{name} must be a result of digits_run (a dict with the key 'setting', "
                        f"a dict of its keyword arguments), got {type(result).__name__}")
    missing = [k for k in _RESULT_KEYS if k not in result]
    if missing:
        raise ValueError(f"{name} must be a result of digits_run, with the keys "
                         f"{list(_RESULT_KEYS)}; it lacks {missing}")
    try:
        return _setting(result["setting"])
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name}['setting'] is not a setting of digits_run: {exc}") from None


def store_run(result):
    """Put a result of :func:`digits_run` computed elsewhere (another process) into the cache."""
    key = _key(_check_result(result, "result"))
    with _LOCK:
        _RUNS[key] = result
        if len(_RUNS) > _CACHE_SIZE:
            _RUNS.popitem(last=False)


def train_in_process(settings, queue):
    """Run :func:`digits_run` for each setting and report to ``queue`` (a multiprocessing queue).

    Messages: ``("epoch", i, done)`` after each epoch of run ``i``, ``("run", i, result)``
    when it ends, ``("error", text)`` if one fails, ``("end",)`` last. The training lab
    calls it in a child process, so that training never competes with the notebook's
    kernel for Python's global interpreter lock; at the lowest CPU priority (``os.nice``),
    so that it does not compete for the cores with the kernel, the server and the browser
    that redraw the other explorers meanwhile.

    ``queue`` must have a ``put`` method, else a ``TypeError``. ``settings``, a list
    of dicts of :func:`digits_run`'s keyword arguments, is checked before anything
    runs: a malformed one is reported (``("error", text)``, then ``("end",)``) and
    raised, as a ``TypeError`` or ``ValueError`` naming ``settings``.
    """
    if not callable(getattr(queue, "put", None)):
        raise TypeError(f"queue must be a queue (with a method put, e.g. a "
                        f"multiprocessing queue), got {type(queue).__name__}")
    try:
        settings = _check_settings(settings, "settings")
    except (TypeError, ValueError) as exc:  # the parent waits for the queue: tell it, then raise
        queue.put(("error", f"{type(exc).__name__}: {exc}"))
        queue.put(("end",))
        raise
    if hasattr(os, "nice"):
        try:
            os.nice(19)
        except OSError:  # not permitted here: train at the normal priority
            pass
    try:
        for i, s in enumerate(settings):
            r = digits_run(cached=False, progress=lambda part, i=i: queue.put(
                ("epoch", i, part["done"])), **s)
            queue.put(("run", i, r))
    except Exception as exc:  # reported to the parent, which shows it
        queue.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        queue.put(("end",))


def _check_settings(settings, name):
    """A list (or tuple) of dicts of :func:`digits_run`'s keyword arguments, each valid."""
    if not isinstance(settings, (list, tuple)):
        raise TypeError(f"{name} must be a list of dicts of digits_run's keyword arguments, "
                        f"got {type(settings).__name__}")
    for i, s in enumerate(settings):
        if not isinstance(s, dict):
            raise TypeError(f"{name}[{i}] must be a dict of digits_run's keyword arguments, "
                            f"got {type(s).__name__}")
        try:
            _setting(s)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{name}[{i}] is not a setting of digits_run: {exc}") from None
    return list(settings)


def is_cached(**setting):
    """Whether :func:`digits_run` has this setting in its cache."""
    key = _key(_setting(setting))
    with _LOCK:
        return key in _RUNS


def _check_seeds(seeds):
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, (tuple, list, range, np.ndarray)):
        raise TypeError(f"seeds must be a tuple or list of ints >= 0, got {type(seeds).__name__}")
    return tuple(check_int(s, f"seeds[{i}]", minimum=0) for i, s in enumerate(seeds))


def digits_runs(seeds=(0, 1, 2), **setting):
    r""":func:`digits_run` for each seed; the curves stacked ``(S, E + 1)``, with their mean.

    Returns
    -------
    dict
        The keys of :func:`digits_run`'s curves, each ``(S, E + 1)``; ``mean_<key>``
        (E + 1,) over the seeds; ``gap`` (S,); ``diverged`` (S,) bool; ``seeds``.
    """
    if "seed" in setting:
        raise TypeError(f"digits_runs takes its seeds as seeds=(...), not seed="
                        f"{setting['seed']!r} (which every seed would override)")
    seeds = _check_seeds(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed, got ()")
    runs = [digits_run(**{**setting, "seed": seed}) for seed in seeds]
    out = {"seeds": seeds, "gap": np.array([r["gap"] for r in runs]),
           "diverged": np.array([r["diverged"] for r in runs])}
    for k in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        out[k] = np.stack([r[k] for r in runs])
        out[f"mean_{k}"] = out[k].mean(axis=0)
    out["epoch"] = runs[0]["epoch"]
    return out


# ------------------------------------------------------------------ the five experiments

def regularisation_gap(seeds=(0, 1, 2), *, n_train=100, epochs=30, weight_decay=0.01,
                       keep_prob=0.5, lr=0.1):
    r"""01: L2 and dropout on a small training set: the train–test gap with and without.

    An MLP 64-64-10 trained by momentum on ``n_train`` digits; three settings:
    none, L2 (``weight_decay``), dropout on the hidden units (``keep_prob``).

    Returns
    -------
    dict
        For each of ``"none"``, ``"l2"``, ``"dropout"``: ``digits_runs``'s result.
    """
    base = dict(n_train=n_train, epochs=epochs, optimizer="momentum", lr=lr, hidden=64)
    settings = {"none": {}, "l2": {"weight_decay": weight_decay}, "dropout": {"keep_prob": keep_prob}}
    return {name: digits_runs(seeds, **base, **extra) for name, extra in settings.items()}


def keep_probabilities(seeds=(0, 1, 2), *, pairs=((1.0, 1.0), (0.8, 0.5), (0.5, 0.5), (1.0, 0.5)),
                       n_train=200, epochs=30, lr=0.1, hidden=128):
    r"""04: dropout's keep probabilities (input, hidden) on a small training set.

    The 05/10/23 lecture recommends keeping inputs with probability 0.8 and
    hidden units with 0.5. An MLP 64-128-10, momentum, ``n_train`` digits.

    Returns
    -------
    dict
        ``(input_keep, hidden_keep) -> digits_runs``'s result.
    """
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, (tuple, list)) or not pairs:
        raise TypeError(f"pairs must be a non-empty list of (input_keep, hidden_keep) pairs, "
                        f"got {pairs!r}" if isinstance(pairs, (tuple, list))
                        else f"pairs must be a non-empty list of (input_keep, hidden_keep) "
                             f"pairs, got {type(pairs).__name__}")
    for i, pair in enumerate(pairs):
        if isinstance(pair, (str, bytes)) or not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"pairs[{i}] must be a pair (input_keep, hidden_keep), got {pair!r}")
        for j, q in enumerate(pair):
            check_real(q, f"pairs[{i}][{j}]", low=0, high=1, low_open=True)
    base = dict(n_train=n_train, epochs=epochs, optimizer="momentum", lr=lr, hidden=hidden)
    return {(qi, qh): digits_runs(seeds, **base, input_keep_prob=qi, keep_prob=qh)
            for qi, qh in pairs}


def bn_learning_rates(seeds=(0, 1, 2), *, lrs=(0.01, 0.03, 0.1, 0.3, 1.0, 3.0), depth=4,
                      hidden=64, n_train=400, epochs=3):
    r"""02: BN's effect on optimisation: training loss after a few epochs of SGD per learning rate.

    An MLP with ``depth`` hidden layers, plain SGD, with and without batch norm.

    Returns
    -------
    dict
        ``"lrs"``; ``"bn"`` and ``"plain"``: the final training loss ``(S, len(lrs))``
        (inf where the run diverged); ``"runs"``: ``(bn, lr) -> digits_runs``'s result.
    """
    rates = as_array(lrs, "lrs", ndim=1)
    if rates.size == 0 or np.any(rates <= 0):
        raise ValueError(f"lrs must be a non-empty list of learning rates > 0, got {rates}")
    if len(np.unique(rates)) < rates.size:
        raise ValueError(f"lrs must hold distinct learning rates (the runs are keyed by them), "
                         f"got {rates}")
    out = {"lrs": rates, "runs": {}}
    for bn in (False, True):
        final = []
        for lr in rates.tolist():
            r = digits_runs(seeds, depth=depth, hidden=hidden, n_train=n_train, epochs=epochs,
                            batch_norm=bn, lr=lr)
            out["runs"][(bn, lr)] = r
            last = r["train_loss"][:, -1]
            final.append(np.where(np.isfinite(last), last, np.inf))
        out["bn" if bn else "plain"] = np.stack(final, axis=1)
    return out


def init_depth(seeds=(0, 1, 2), *, inits=("kaiming_normal", "xavier_normal", "lecun_normal",
                                          "normal", "zeros"),
               depth=8, hidden=32, n_train=400, epochs=8, lr=0.01):
    r"""02: initialisation schemes on a deep ReLU MLP: which ones train at all.

    ``depth`` hidden layers of ``hidden`` units, momentum; ``normal`` is
    :math:`N(0, 0.01^2)` (a fixed small scale), ``zeros`` all zero weights.

    Returns
    -------
    dict
        ``init -> digits_runs``'s result.
    """
    if isinstance(inits, (str, bytes)) or not isinstance(inits, (tuple, list)) or not inits:
        raise TypeError(f"inits must be a non-empty list of names of lecturekit.init.INITS, "
                        f"got {type(inits).__name__}"
                        + (" (a single name: put it in a list)" if isinstance(inits, str) else ""))
    for i, init in enumerate(inits):
        check_choice(init, f"inits[{i}]", INITS)
    return {init: digits_runs(seeds, depth=depth, hidden=hidden, n_train=n_train, epochs=epochs,
                              init=init, optimizer="momentum", lr=lr) for init in inits}


def sgd_least_squares(schedule, x, y, *, steps, rng, w0=0.0):
    r"""SGD with one sample per step on the MLP lecture's least squares; iterates and distance to ω*.

    Parameters
    ----------
    schedule : Schedule or float
        :math:`\alpha_k`, a :class:`lecturekit.schedules.Schedule` (or a constant
        :math:`\alpha > 0`). The iterates must stay within float64: a step too large for
        the data (:math:`|1 - 2\alpha_k x_i^2| > 1` for long) overflows, a ``ValueError``.
    x, y : ndarray, shape (N,)
        The data of :math:`F(\omega) = \frac1N \sum_i (\omega x_i - y_i)^2`.
    steps : int
        :math:`K`.
    rng : numpy.random.Generator
        Draws :math:`i_k` uniformly (with replacement).
    w0 : float, default 0.0
        :math:`\omega_0`.

    Returns
    -------
    w : ndarray, shape (K + 1,)
        :math:`\omega_0, \dots, \omega_K`, with
        :math:`\omega_{k+1} = \omega_k - \alpha_k \nabla f_{i_k}(\omega_k)`,
        :math:`\nabla f_i(\omega) = 2 x_i (\omega x_i - y_i)`.
    distance : ndarray, shape (K + 1,)
        :math:`|\omega_k - \omega^*|`.

    Notes
    -----
    With a constant step the iterates stop approaching :math:`\omega^*` and
    wander in a band whose width grows with :math:`\alpha` (the gradient noise
    does not vanish at :math:`\omega^*`); a step that decays like :math:`1/k`
    (Robbins–Monro: :math:`\sum \alpha_k = \infty`, :math:`\sum \alpha_k^2 < \infty`)
    lets them converge.

    References
    ----------
    MLP lecture (004_16411a88f2dc5004.txt), "SGD" and "Learning Rates Schedule".

    Examples
    --------
    >>> from lecturekit.schedules import constant
    >>> w, d = sgd_least_squares(constant(0.1), np.array([1.0]), np.array([2.0]), steps=100,
    ...                          rng=default_rng(0))
    >>> round(float(w[-1]), 6), bool(d[-1] < 1e-6)
    (2.0, True)
    """
    if not isinstance(schedule, Schedule):
        if callable(schedule):
            raise TypeError(f"schedule must be a lecturekit.schedules.Schedule or a number, got "
                            f"the callable {getattr(schedule, '__name__', type(schedule).__name__)}"
                            f" (wrap a formula in schedules.Schedule)")
        schedule = constant(check_real(schedule, "schedule", low=0, low_open=True))
    check_rng(rng)
    steps = check_int(steps, "steps", minimum=1)
    w0 = check_real(w0, "w0")
    w_star = least_squares_minimizer(x, y)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    idx = rng.integers(0, len(x), size=steps)
    alphas = schedule(np.arange(steps, dtype=float))
    w = np.empty(steps + 1)
    w[0] = w0
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps):
            i = idx[k]
            w[k + 1] = w[k] - alphas[k] * 2.0 * x[i] * (w[k] * x[i] - y[i])
        distance = np.abs(w - w_star)
    check_finite(w, "the SGD iterate w_k", "the step alpha_k x_i^2 of schedule is too large for x "
                 "(the iterates grow by |1 - 2 alpha_k x_i^2| per step), or x, y or w0 is too "
                 "large")
    check_finite(distance, "the distance |w_k - w*|", "x, y or w0 is too large")
    return w, distance
