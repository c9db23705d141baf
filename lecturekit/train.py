r"""A training loop small enough to read: minibatches, softmax cross-entropy, an optimiser step.

Conventions
-----------
* A model is anything with ``params`` (a dict of arrays), ``forward(x) ->
  (logits, cache)`` and ``backward(dlogits, cache) -> grads`` (a dict with the
  keys of ``params``): :class:`lecturekit.models.MLP`, :class:`lecturekit.models.LeNet`.
* ``data`` is ``(x_train, y_train)`` or ``(x_train, y_train, x_test, y_test)``;
  :func:`lecturekit.datasets.load_digits` returns the latter.
* All randomness (the order of the minibatches) comes from ``rng``; with the
  model's own ``rng`` for its initial weights, two runs with the same seeds give
  identical weights.
* The loss is the mean softmax cross-entropy of :mod:`lecturekit.losses`.
* A model whose ``forward`` takes ``training`` and ``rng`` (the models of
  :mod:`lecturekit.models`) is run in training mode during the steps (dropout
  masks drawn from ``rng``, after the minibatch order of each epoch; batch norm
  with the batch's statistics) and in evaluation mode by :func:`evaluate`.
* Training and evaluation run with one BLAS thread
  (:func:`lecturekit._threads.small_work`): on the models' small products a
  second OpenBLAS thread made an epoch 4-10 times slower on a 2-core machine.

References
----------
MLP lecture (004_16411a88f2dc5004.txt), "SGD": :math:`I_k`, :math:`g_k`,
:math:`\omega_{k+1} = \omega_k - \alpha_k g_k`, and "loss on trainset".
"""

from __future__ import annotations

import inspect
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from ._checks import as_array, as_int_array, check_bool, check_int
from ._threads import small_work
from .losses import softmax_cross_entropy, softmax_cross_entropy_backward
from .optim import Optimizer, minibatch_indices
from .rng import check_rng

__all__ = ["History", "evaluate", "train"]


@dataclass
class History:
    r"""What :func:`train` measured, one entry per epoch (``step_loss``: per step).

    ``test_loss`` and ``test_accuracy`` stay empty without test data; accuracies
    are fractions in [0, 1]; ``seconds`` is the wall time of each epoch's training.
    ``train_eval_loss`` is the training set's loss measured after each epoch in
    evaluation mode (no dropout, BN's running statistics), the loss to set
    against ``test_loss`` (``train_loss`` averages the steps, in training mode).
    ``diverged`` is True if ``train(..., stop_on_divergence=True)`` stopped at a
    non-finite loss or parameter (the epochs recorded are the finished ones).
    """

    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    test_accuracy: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    step_loss: list = field(default_factory=list)
    train_eval_loss: list = field(default_factory=list)
    diverged: bool = False


def _labels(y, n, name, xname):
    y = as_int_array(y, name, what="integer class labels")
    if y.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) (one label per sample of {xname}), "
                         f"got {y.shape}")
    if np.any(y < 0):
        raise ValueError(f"{name} must hold class labels >= 0, got {y.min()}")
    return y


def _samples(x, name):
    x = as_array(x, name)
    if x.ndim == 0 or len(x) == 0:
        raise ValueError(f"{name} must hold at least one sample, got shape {x.shape}")
    return x


def _split(data):
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 4):
        raise ValueError("data must be (x_train, y_train) or (x_train, y_train, x_test, y_test), "
                         f"got {type(data).__name__}"
                         + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else ""))
    names = [f"data[{i}] ({n})" for i, n in enumerate(("x_train", "y_train", "x_test", "y_test"))]
    out = []
    for i in range(0, len(data), 2):
        x = _samples(data[i], names[i])
        out += [x, _labels(data[i + 1], len(x), names[i + 1], names[i])]
    return out


def _check_model(model, *, trained):
    needed = ("forward", "backward") if trained else ("forward",)
    if not all(callable(getattr(model, m, None)) for m in needed) or (
            trained and not isinstance(getattr(model, "params", None), dict)):
        raise TypeError(f"model must be a model with {' and '.join(needed)}"
                        + (" and a params dict" if trained else "")
                        + f" (e.g. lecturekit.models.MLP), got {type(model).__name__}")


def _takes_training(model):
    """Whether ``model.forward`` has a training mode (``training`` and ``rng`` keywords)."""
    try:
        names = inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False
    return "training" in names and "rng" in names


def _logits(model, x, y, xname, yname, **mode):
    """``model.forward(x)``: its logits, checked against the labels ``y``; and the cache."""
    try:
        logits, cache = model.forward(x, **mode)
    except (ValueError, TypeError) as exc:  # the model's own check, said about our argument
        raise type(exc)(f"{xname} does not fit the model: {exc}") from exc
    k = np.shape(logits)[-1] if np.ndim(logits) == 2 else None
    if k is not None and y.size and y.max() >= k:
        raise ValueError(f"{yname} must hold class labels in [0, {k}) for a model with {k} "
                         f"outputs, got {y.max()}")
    return logits, cache


def evaluate(model, x, y, *, batch_size=500):
    r"""The mean softmax cross-entropy and the accuracy of ``model`` on ``(x, y)``.

    Parameters
    ----------
    model
        A model (``forward(x) -> (logits, cache)``).
    x : ndarray, shape (N, ...)
    y : ndarray of int, shape (N,)
    batch_size : int, default 500
        Evaluated in chunks of this size (memory only; the result does not depend on it).

    Returns
    -------
    loss : float
    accuracy : float
        The fraction of samples whose arg-max logit is the label.
    """
    _check_model(model, trained=False)
    with small_work():
        return _evaluate(model, x, y, batch_size)


def _evaluate(model, x, y, batch_size):
    x = _samples(x, "x")
    y = _labels(y, len(x), "y", "x")
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    total, correct = 0.0, 0
    for start in range(0, len(x), batch_size):
        labels = y[start:start + batch_size]
        logits, _ = _logits(model, x[start:start + batch_size], labels, "x", "y")
        total += softmax_cross_entropy(logits, labels) * len(labels)
        correct += int(np.sum(np.argmax(logits, axis=1) == labels))
    return total / len(x), correct / len(x)


class _ProgressLine:
    """A one-line text progress display, rewritten in place with a carriage return."""

    def __init__(self, stream, width=20, every=0.1):
        self.stream, self.width, self.every = stream, width, every
        self._last = -np.inf

    def batch(self, epoch, epochs, k, n_batches, loss):
        now = time.perf_counter()
        if now - self._last < self.every and k < n_batches:
            return  # redrawing on every step would cost more than a small model's step
        self._last = now
        done = int(self.width * k / n_batches)
        bar = "#" * done + "." * (self.width - done)
        self.stream.write(f"\repoch {epoch}/{epochs} [{bar}] {k}/{n_batches} loss {loss:.4f}")
        self.stream.flush()

    def epoch(self, history):
        line = (f"\repoch {history.epoch[-1]}: train loss {history.train_loss[-1]:.4f}, "
                f"accuracy {100 * history.train_accuracy[-1]:.1f}%")
        if history.test_accuracy:
            line += (f" | test loss {history.test_loss[-1]:.4f}, "
                     f"accuracy {100 * history.test_accuracy[-1]:.1f}%")
        line += f" ({history.seconds[-1]:.2f} s)"
        self.stream.write(line.ljust(self.width + 40) + "\n")
        self.stream.flush()


def train(model, data, *, optimizer, epochs, batch_size, rng, progress=True,
          stop_on_divergence=False):
    r"""Train ``model`` by minibatch gradient steps; return the loss and accuracy history.

    Parameters
    ----------
    model
        A model with ``params``, ``forward`` and ``backward`` (see the module docstring).
    data : tuple
        ``(x_train, y_train)`` or ``(x_train, y_train, x_test, y_test)``.
    optimizer : lecturekit.optim.Optimizer
        E.g. ``Adam(lr=1e-2)``; it updates ``model.params`` in place.
    epochs : int
        Passes over the training set.
    batch_size : int
        :math:`|I_k|`; the last batch of an epoch may be smaller.
    rng : numpy.random.Generator
        Shuffles the training set each epoch (:func:`lecturekit.optim.minibatch_indices`).
    progress : bool or callable, default True
        ``True``: a text progress line on standard output (a carriage return
        redraws it, in a terminal and in Jupyter alike), one summary line per
        epoch. ``False``: silent. A callable is called as ``progress(history)``
        after each epoch (e.g. to redraw a plot).
    stop_on_divergence : bool, default False
        Stop (``history.diverged = True``) when a step's loss or the parameters
        stop being finite, instead of raising: a learning rate too large is then
        a result to show.

    Returns
    -------
    History
        Per epoch: mean training loss over the epoch's steps, training accuracy
        (measured after the epoch), test loss and accuracy if test data were
        given, seconds; and the loss of every step.

    Notes
    -----
    Each step is the MLP lecture's SGD step, with the optimiser's update rule:

    .. math::
        I_k \subset \{1..N\}, \quad g_k = \frac{1}{|I_k|} \sum_{i \in I_k} \nabla f_i(\omega_k),
        \quad \omega_{k+1} = \omega_k + \text{update}(g_k)

    where :math:`f_i` is the cross-entropy of sample :math:`i`.

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> from lecturekit.models import MLP
    >>> from lecturekit.optim import Adam
    >>> rng = default_rng(0)
    >>> x, y = rng.normal(size=(40, 4)), np.arange(40) % 2
    >>> h = train(MLP((4, 8, 2), rng=rng), (x, y), optimizer=Adam(lr=0.01), epochs=2,
    ...           batch_size=10, rng=rng, progress=False)
    >>> len(h.train_loss), len(h.step_loss)
    (2, 8)
    """
    _check_model(model, trained=True)
    x_train, y_train, *test = _split(data)
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a lecturekit.optim optimiser (e.g. Adam(lr=1e-2)), "
                        f"got {type(optimizer).__name__}")
    epochs = check_int(epochs, "epochs", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_rng(rng)
    if not callable(progress):
        try:
            progress = check_bool(progress, "progress")
        except TypeError:
            raise TypeError(f"progress must be True, False or a callable, got {progress!r}") from None
    stop = check_bool(stop_on_divergence, "stop_on_divergence")
    line = _ProgressLine(sys.stdout) if progress is True else None
    mode = {"training": True, "rng": rng} if _takes_training(model) else {}
    with small_work():
        return _train(model, x_train, y_train, test, optimizer, epochs, batch_size, rng, progress,
                      line, mode, stop)


def _finite_params(model):
    return all(np.all(np.isfinite(w)) for w in model.params.values())


def _step(model, optimizer, x, y, mode):
    """One step: forward, loss, backward, update; return the loss."""
    logits, cache = _logits(model, x, y, "data[0] (x_train)", "data[1] (y_train)", **mode)
    loss = softmax_cross_entropy(logits, y)
    grads = model.backward(softmax_cross_entropy_backward(1.0, logits, y), cache)
    optimizer.step(model.params, grads)
    return loss


def _guarded_step(model, optimizer, x, y, mode):
    """:func:`_step`, or None where the loss or the parameters stopped being finite.

    Non-finite parameters need no check of their own: the next forward's logits are then
    not finite, and the loss's own check raises.
    """
    try:
        with np.errstate(all="ignore"):
            loss = _step(model, optimizer, x, y, mode)
    except ValueError:
        if _finite_params(model) and all(np.all(np.isfinite(a)) for a in (x,)):
            # the parameters are finite: an overflow inside the forward, or a real error
            with np.errstate(all="ignore"):
                logits = model.forward(x)[0]
            if np.all(np.isfinite(logits)):
                raise
        return None
    return loss if np.isfinite(loss) else None


def _train(model, x_train, y_train, test, optimizer, epochs, batch_size, rng, progress, line, mode,
           stop):
    n = len(x_train)
    n_batches = -(-n // min(batch_size, n))  # ceil: the last batch may be smaller
    history = History()
    batches = minibatch_indices(n, min(batch_size, n), rng=rng, epochs=epochs)
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        losses = []
        for k in range(1, n_batches + 1):
            idx = next(batches)
            if stop:
                loss = _guarded_step(model, optimizer, x_train[idx], y_train[idx], mode)
                if loss is None:
                    history.diverged = True
                    return history
            else:
                loss = _step(model, optimizer, x_train[idx], y_train[idx], mode)
            losses.append(loss)
            if line:
                line.batch(epoch, epochs, k, n_batches, loss)
        seconds = time.perf_counter() - start
        try:
            with np.errstate(**({"all": "ignore"} if stop else {})):
                train_eval = _evaluate(model, x_train, y_train, 500)
                tested = _evaluate(model, *test, 500) if test else None
        except ValueError:
            if not stop:
                raise
            history.diverged = True  # finite parameters whose logits overflow
            return history
        history.seconds.append(seconds)
        history.epoch.append(epoch)
        history.step_loss.extend(losses)
        history.train_loss.append(float(np.mean(losses)))
        history.train_eval_loss.append(train_eval[0])
        history.train_accuracy.append(train_eval[1])
        if test:
            history.test_loss.append(tested[0])
            history.test_accuracy.append(tested[1])
        if line:
            line.epoch(history)
        elif callable(progress):
            progress(history)
    return history
