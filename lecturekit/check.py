r"""Checks for the exercises: run a student's function, compare it with lecturekit, name the mistake.

Each exercise notebook in ``exercises/`` asks for one formula of a lecture as a
function (``batch_norm_forward``, ``adam_step``, ...) and ends with a cell that
calls the check of the same name here::

    from lecturekit import check
    check.batch_norm_forward(batch_norm_forward)

A check calls the function on seeded random inputs and edge cases and compares
what it returns with lecturekit's reference (and, for backward functions, with
centred differences of the forward, :mod:`lecturekit.gradcheck`).

* **Right**: it prints one line saying what was checked,
  ``✓ batch_norm_forward: matches lecturekit.norm.batch_norm on ...``.
* **Wrong**: it raises :class:`CheckFailed` (an ``AssertionError``, so an
  nbgrader test cell fails and scores 0) whose message is one short diagnosis.
  When the answer equals a *classic mistake* (:data:`MISTAKES`) — computed here
  as the mistaken formula on the same inputs, never guessed from the code — the
  message names it and gives a hint. In Jupyter the error shows as that message
  alone, with no traceback (:meth:`CheckFailed._render_traceback_`).
* **The student's own exception**, a wrong shape or a wrong return type give a
  plain message naming the function, the inputs and (for an exception) the line
  of the student's code; never a traceback from inside lecturekit.
* **Not a function** (``check.rnn_step(rnn_step(x, h, w))``, a result passed
  instead of the function): a ``TypeError`` naming the argument ``fn``, before
  anything runs.

Conventions: float64; random inputs come from
``lecturekit.rng.default_rng(seed)`` with fixed seeds, so a check says the same
thing on every run. Values are compared norm-wise,
:math:`\|a - b\| / (\|a\| + \|b\|)`, to ``1e-9`` against an exact reference and
to ``1e-6`` against finite differences. Importing this module loads only numpy;
the references are imported when a check runs.

References
----------
The five lecture files (see ``exercises/``): 004_16411a88f2dc5004.txt (MLP),
001_2691e6e736ad0c50.txt (Lecture 3), 000_778bfa8cbc5d38d6.txt (Lecture 4),
002_4e19a57a78109995.txt (05/10/23), 003_59d733786b3f0eb6.txt (Lecture 14).
"""

from __future__ import annotations

import itertools
import numbers
import os
import traceback

import numpy as np

__all__ = [
    "CheckFailed", "MISTAKES", "EXERCISES",
    # 01-mlp
    "l2_penalty_grad", "dropout_classic", "dropout_inverted", "xavier_variance",
    # 02-lecture-3
    "he_normal", "batch_norm_forward", "conv_matrix_3x3", "max_pool_backward",
    # 03-lecture-4
    "momentum_step", "adam_step", "conv1d", "correlate2d", "conv_output_size",
    # 04-lecture-05-10-23
    "batch_norm_channels", "batch_norm_channels_backward", "dropout_keep",
    # 05-lecture-14
    "batch_norm_backward", "rnn_step", "bptt_two_steps", "lstm_step", "residual_block_backward",
]

EXACT = 1e-9  # against an exact reference
NUMERIC = 1e-6  # against centred differences (lecturekit.gradcheck, h = 1e-6)
MATCH = 1e-8  # an answer "is" a mistaken variant within this
STAT = 0.06  # a sample variance within 6 % of the formula's (samples of 10^4 - 10^5 values)

MISTAKES = {
    # key: (what the message calls it, the hint)
    "unbiased-variance": (
        "the unbiased variance",
        "batch norm divides by m, the number of values averaged (np.var's default, ddof=0), "
        "not by m - 1 (ddof=1)."),
    "wrong-axes": (
        "normalising over the wrong axes",
        "batch norm takes one mean and one variance per feature (per channel for images): "
        "average over the batch axis N (and H, W), not over the features."),
    "keep-vs-drop": (
        "keep probability confused with drop probability",
        "read which p the lecture means: the MLP lecture's p is the probability of DROPPING a "
        "unit, 05/10/23's p the probability of KEEPING it; keep = 1 - drop."),
    "missing-rescale": (
        "a missing 1/(1-p)",
        "inverted dropout divides the kept units by the keep probability 1 - p at training "
        "time, so that the expected output equals the input."),
    "scale-wrong-time": (
        "scaling at the wrong time",
        "classic dropout trains with a*y and multiplies by the keep probability at TEST time; "
        "inverted dropout divides by it at TRAINING time and leaves the test pass alone."),
    "conv-vs-corr": (
        "cross-correlation where convolution was asked",
        "convolution flips the kernel: sum_a x[a] w[t - a]; without the flip it is "
        "cross-correlation."),
    "corr-vs-conv": (
        "convolution where cross-correlation was asked",
        "cross-correlation slides the kernel as it is, sum_m sum_n I[i+m, j+n] K[m, n]; "
        "flipping it (K[::-1, ::-1]) makes it a convolution."),
    "off-by-one": (
        "an off-by-one in the output size",
        "count the positions: a window of F fits (W - F + 2P)/S + 1 times, the +1 is the "
        "first position."),
    "floor-wrong-place": (
        "flooring (or rounding) in the wrong place",
        "floor only the division, (W - F + 2P) // S, then add 1 (PyTorch floors the same "
        "way); padding P is added on both sides."),
    "missing-bias-correction": (
        "a missing bias correction",
        "divide the moments by 1 - beta1**t and 1 - beta2**t before the step: "
        "m_hat = m / (1 - beta1**t), V_hat = V / (1 - beta2**t)."),
    "t-from-zero": (
        "t starting at 0",
        "the bias correction counts steps from t = 1: the first step divides by 1 - beta1**1, "
        "never by 1 - beta1**0 = 0."),
    "fan-in-vs-fan-out": (
        "fan_in confused with fan_out",
        "for a weight of shape (n_out, n_in, *kernel) fan_in = n_in * prod(kernel) (inputs "
        "each unit sums over) and fan_out = n_out * prod(kernel); He uses fan_in."),
    "eps-inside-sqrt": (
        "epsilon inside the square root",
        "Adam adds epsilon AFTER the square root: m_hat / (sqrt(V_hat) + eps) (batch norm is "
        "the one with eps under the root)."),
    "eps-outside-sqrt": (
        "epsilon outside the square root",
        "batch norm adds epsilon UNDER the square root: (x - mu) / sqrt(var + eps) (Adam is "
        "the one with eps after the root)."),
    "gate-order": (
        "the gates in the wrong order",
        "lecturekit (like PyTorch) stacks the four row blocks of w and b as "
        "(i, f, g, o): input gate, forget gate, candidate Delta C, output gate."),
    "momentum-sign": (
        "the wrong sign in the momentum update",
        "Lecture 4 writes mu_{t+1} = gamma mu_t - lambda g_t and then w_{t+1} = w_t + mu_{t+1}: "
        "the velocity points downhill, and it is added to w."),
    # mistakes of single exercises
    "std-vs-var": (
        "the standard deviation where the variance was asked (or the reverse)",
        "N(0, s^2) has variance s^2: rng.normal's scale is the standard deviation, "
        "sqrt(variance)."),
    "receptive-field": (
        "a fan without the receptive field",
        "for a convolution weight (K, C, kh, kw) each output sums over C * kh * kw inputs: "
        "fan_in = C * kh * kw, fan_out = K * kh * kw."),
    "lecun-vs-other": (
        "another initialisation's variance",
        "Xavier (Glorot) is 2 / (fan_in + fan_out); 1 / fan_in is LeCun's (Lecture 3's "
        "'Xavier'), 2 / fan_in is He's."),
    "l2-factor": (
        "a wrong factor in the penalty's gradient",
        "the derivative of (lambda/2) ||theta||^2 is lambda * theta: the 2 of the square "
        "cancels the 1/2."),
    "sign": (
        "the wrong sign",
        "the gradient of a penalty that grows with ||theta|| points away from 0: +lambda theta."),
    "stats-constant": (
        "the batch statistics treated as constants",
        "mu and sigma^2 depend on every x_i: dx has the two extra terms, "
        "dx = gamma / (m sqrt(var + eps)) (m dout - sum(dout) - x_hat sum(dout x_hat))."),
    "dgamma-dbeta-swapped": (
        "dgamma and dbeta swapped",
        "dbeta = sum(dout), dgamma = sum(dout * x_hat), each over the batch (and H, W)."),
    "max-pool-average": (
        "the gradient spread over the window",
        "max pooling passes each window's gradient to its maximum only; spreading it evenly "
        "is the backward of AVERAGE pooling."),
    "max-pool-all": (
        "the gradient copied to every position of the window",
        "only the arg-max of each window gets dout; the other three entries get 0."),
    "conv-matrix-flip": (
        "the flipped kernel (convolution) in K",
        "Lecture 3's y = Kx is the cross-correlation: row 1 of K is (k1 k2 0 k3 k4 0 0 0 0)."),
    "conv-matrix-order": (
        "the entries numbered column by column",
        "number x, y and k row by row (x.ravel(), numpy's default order): x1 x2 x3 is the top "
        "row."),
    "velocity-old": (
        "the step taken with the old velocity",
        "first update the velocity, mu_{t+1} = gamma mu_t - lambda g_t, then step with the NEW "
        "one: w_{t+1} = w_t + mu_{t+1}."),
    "velocity-pytorch": (
        "PyTorch's velocity instead of the lecture's",
        "the lecture's mu already carries the learning rate and the minus sign: "
        "mu_{t+1} = gamma mu_t - lambda g_t, w_{t+1} = w_t + mu_{t+1}."),
    "betas-swapped": (
        "beta1 and beta2 swapped",
        "beta1 (0.9) decays the first moment m, beta2 (0.999) the second moment V."),
    "corrected-moments-stored": (
        "the bias-corrected moments stored as the state",
        "return the raw moments m_t and V_t; m_hat and V_hat are only used for the step."),
    "concat-order": (
        "the concatenation in the wrong order",
        "Lecture 14 concatenates x_t || h_{t-1}: x first, so that w[:, :D] acts on x_t."),
    "activation": (
        "the wrong nonlinearity",
        "the vanilla RNN's h_t uses tanh; in the LSTM the gates use the sigmoid and the "
        "candidate Delta C and the output tanh."),
    "bptt-truncated": (
        "the gradient through h_1 left out",
        "w is used at both steps: dL/dw sums delta_2 [x_2; h_1]^T and delta_1 [x_1; h_0]^T, "
        "with delta_1 = (delta_2 w_hh) * (1 - h_1^2)."),
    "bptt-no-derivative": (
        "tanh' missing at the first step",
        "going back through h_1 = tanh(a_1) multiplies by 1 - h_1^2, as at the second step."),
    "lstm-no-tanh": (
        "h = o * C without the tanh",
        "Lecture 14's output is h_t = o_t * tanh(C_t)."),
    "residual-no-skip": (
        "the skip connection's gradient left out",
        "x_{l+1} = x_l + f(x_l), so dx = dout + (the gradient through f): the identity's 1 in "
        "I + df/dx."),
    "residual-skip-only": (
        "only the skip connection's gradient",
        "add the gradient through f: ((dout w2) * relu'(w1 x + b1)) w1."),
    "relu-derivative": (
        "ReLU's derivative left out",
        "relu'(z) is 1 where z = w1 x + b1 > 0 and 0 elsewhere: mask dout w2 with it."),
}

EXERCISES = {
    "01-mlp": ("l2_penalty_grad", "dropout_classic", "dropout_inverted", "xavier_variance"),
    "02-lecture-3": ("he_normal", "batch_norm_forward", "conv_matrix_3x3", "max_pool_backward"),
    "03-lecture-4": ("momentum_step", "adam_step", "conv1d", "correlate2d", "conv_output_size"),
    "04-lecture-05-10-23": ("batch_norm_channels", "batch_norm_channels_backward", "dropout_keep"),
    "05-lecture-14": ("batch_norm_backward", "rnn_step", "bptt_two_steps", "lstm_step",
                      "residual_block_backward"),
}
"""The exercise notebooks and, in order, the functions each asks for (one check each)."""


# ---------------------------------------------------------------- the failure


class CheckFailed(AssertionError):
    """A check found a mistake; ``str(error)`` is the diagnosis (and the hint, if any).

    Attributes
    ----------
    exercise : str
        The function checked, e.g. ``"batch_norm_forward"``.
    mistake : str or None
        The key in :data:`MISTAKES` of the classic mistake recognised, else None.
    """

    def __init__(self, exercise, message, *, mistake=None, hint=None):
        self.exercise = exercise
        self.mistake = mistake
        self.hint = hint
        text = f"{exercise}: {message}" + (f"\nHint: {hint}" if hint else "")
        super().__init__(text)
        self.__suppress_context__ = True

    def _render_traceback_(self):
        """What IPython shows instead of a traceback: the diagnosis, in red, and nothing else."""
        first, *rest = str(self).splitlines()
        return [f"\x1b[0;31m✗ {first}\x1b[0m", *rest]


def _fail(exercise, message, **kwargs):
    __tracebackhide__ = True  # noqa: F841  (pytest and IPython hide frames that set it)
    raise CheckFailed(exercise, message, **kwargs)


def _mistake(exercise, key, where, detail=""):
    __tracebackhide__ = True  # noqa: F841
    title, hint = MISTAKES[key]
    raise CheckFailed(exercise, f"classic mistake: {title}{detail} ({where}).", mistake=key,
                      hint=hint)


# ---------------------------------------------------------------- calling the student's code


def _rng(seed):
    from .rng import default_rng

    return default_rng(seed)


def _student_line(exc):
    """`` at line N: `code` `` of the innermost frame of the student's code, or ''."""
    here = os.path.abspath(__file__)
    numpy_dir = os.path.dirname(np.__file__)
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(f.filename) != here and not f.filename.startswith(numpy_dir)]
    if not frames:
        return ""
    f = frames[-1]
    return f" at line {f.lineno}: `{(f.line or '').strip()}`" if f.line else f" at line {f.lineno}"


def _copy(value):
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


def _call(fn, exercise, args, about):
    """``fn(*args)``; the student's exception becomes one plain sentence."""
    __tracebackhide__ = True  # noqa: F841
    try:
        with np.errstate(all="ignore"):
            return fn(*[_copy(a) for a in args])
    except NotImplementedError:
        _fail(exercise, "not written yet: replace `raise NotImplementedError()` with your code, "
              "then run its cell and this one again.")
    except Exception as exc:  # the student's own error: say what and where, no traceback
        text = str(exc).splitlines()[0] if str(exc) else ""
        _fail(exercise, f"your function raised {type(exc).__name__}"
              f"{': ' + text if text else ''}{_student_line(exc)} (called with {about}).")


def _callable(fn, exercise):
    """A TypeError naming ``fn`` unless it is callable: the check itself was called wrongly."""
    __tracebackhide__ = True  # noqa: F841
    if not callable(fn):
        raise TypeError(f"fn must be your function: pass the function itself, "
                        f"check.{exercise}({exercise}), not its result; got {type(fn).__name__}")


def _shape_text(shape):
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _as_array(value, exercise, label, about):
    """The student's output ``label`` as a float64 array, or a plain message about its type."""
    __tracebackhide__ = True  # noqa: F841
    if value is None:
        _fail(exercise, f"{label} is None: did the function end without `return`? "
              f"(called with {about})")
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (np.ndarray, list, tuple, numbers.Real, np.generic)):
        _fail(exercise, f"{label} must be a numpy array of numbers, got {type(value).__name__} "
              f"(called with {about}).")
    try:
        arr = np.asarray(value)
    except Exception:
        arr = np.asarray([], dtype=object)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        _fail(exercise, f"{label} must be a numpy array of real numbers, got "
              f"{type(value).__name__} of dtype {arr.dtype} (called with {about}).")
    return arr.astype(np.float64)


def _outputs(value, exercise, names, about):
    """The student's return value as a list of arrays, one per name in ``names``."""
    __tracebackhide__ = True  # noqa: F841
    if len(names) == 1:
        return [_as_array(value, exercise, "the result", about)]
    want = f"{len(names)} arrays ({', '.join(names)})"
    if not isinstance(value, (tuple, list)) or (
            isinstance(value, list) and not all(isinstance(v, np.ndarray) for v in value)):
        _fail(exercise, f"must return a tuple of {want}, got {type(value).__name__} "
              f"(called with {about}).")
    if len(value) != len(names):
        _fail(exercise, f"must return {want}, got a tuple of {len(value)} (called with {about}).")
    return [_as_array(v, exercise, n, about) for v, n in zip(value, names, strict=True)]


def _close(got, want, tol):
    """Norm-wise relative error below ``tol``; NaN and infinity only match themselves."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        return False
    bad_g, bad_w = ~np.isfinite(got), ~np.isfinite(want)
    if bad_g.any() or bad_w.any():
        if not (np.array_equal(bad_g, bad_w) and np.array_equal(got[bad_g], want[bad_w],
                                                                 equal_nan=True)):
            return False
        got, want = got[~bad_g], want[~bad_w]
    denom = np.linalg.norm(got) + np.linalg.norm(want)
    return bool(denom == 0 or np.linalg.norm(got - want) / denom < tol)


def _rel(got, want):
    denom = np.linalg.norm(got) + np.linalg.norm(want)
    return 0.0 if denom == 0 else float(np.linalg.norm(got - want) / denom)


def _fmt(v):
    return f"{v:.6g}"


class _Case:
    """One call of the student's function: inputs, the expected outputs, the mistaken ones.

    ``mistakes`` is a list of ``(key, outputs)`` or ``(key, outputs, detail)``: a key
    of :data:`MISTAKES`, the outputs that mistake gives (a list like ``expected``,
    ``None`` for an output the mistake leaves right) and words added to its name.
    """

    def __init__(self, args, about, expected, *, mistakes=(), tol=EXACT):
        self.args = args
        self.about = about
        self.expected = expected if isinstance(expected, list) else [expected]
        self.mistakes = [(m[0], m[1] if isinstance(m[1], list) else [m[1]], *m[2:])
                         for m in mistakes]
        self.tol = tol


def _run(fn, exercise, cases, names=("the result",), *, done):
    """Run every case; pass silently, name a mistake, or say what is wrong. Print ``done``."""
    __tracebackhide__ = True  # noqa: F841
    _callable(fn, exercise)
    for case in cases:
        got = _outputs(_call(fn, exercise, case.args, case.about), exercise, names, case.about)
        if all(_close(g, e, case.tol) for g, e in zip(got, case.expected, strict=True)):
            continue
        for key, variant, *detail in case.mistakes:
            with np.errstate(all="ignore"):
                differs = any(v is not None and not _close(v, e, case.tol)
                              for v, e in zip(variant, case.expected, strict=True))
            if differs and all(v is None or _close(g, v, MATCH)
                               for g, v in zip(got, variant, strict=True)):
                _mistake(exercise, key, f"on {case.about}", *detail)
        for g, e, name in zip(got, case.expected, names, strict=True):
            if g.shape != e.shape:
                _fail(exercise, f"{name} has shape {_shape_text(g.shape)}, expected "
                      f"{_shape_text(e.shape)} (called with {case.about}).")
        for g, e, name in zip(got, case.expected, names, strict=True):
            if not np.all(np.isfinite(g)):
                _fail(exercise, f"{name} contains NaN or infinity (called with {case.about}).")
            if not _close(g, e, case.tol):
                k = np.unravel_index(np.argmax(np.abs(g - e)), e.shape) if e.ndim else ()
                at = f" at index {tuple(int(i) for i in k)}" if e.ndim else ""
                _fail(exercise, f"wrong values in {name} on {case.about}: relative error "
                      f"{_rel(g, e):.1e}; e.g.{at} got {_fmt(g[k])}, expected {_fmt(e[k])}.")
    print(f"✓ {exercise}: {done}")


def _numeric_grads(f, arrays):
    """Centred differences of the scalar ``f(*arrays)`` (lecturekit.gradcheck)."""
    from .gradcheck import numerical_gradient

    return numerical_gradient(f, arrays)


# ---------------------------------------------------------------- 01-mlp


def l2_penalty_grad(fn):
    r"""Check ``l2_penalty_grad(theta, lam)`` :math:`= \lambda\theta`, the gradient of :math:`\frac{\lambda}{2}\|\theta\|^2`.

    Parameters
    ----------
    fn : callable
        The student's function.

    Raises
    ------
    CheckFailed
        With the classic mistake named where it is one.

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), the penalty formulation.

    Examples
    --------
    >>> l2_penalty_grad(lambda theta, lam: lam * theta)   # doctest: +ELLIPSIS
    ✓ l2_penalty_grad: matches lecturekit.regularization.l2_penalty_backward ...
    """  # noqa: E501 (the summary line, with its formula)
    from .regularization import l2_penalty, l2_penalty_backward

    cases = []
    for seed, shape, lam in ((0, (5,), 0.1), (1, (3, 4), 2.5), (2, (2, 3, 2), 1e-3)):
        theta = _rng(seed).normal(size=shape)
        ref = l2_penalty_backward(1.0, theta, lam)
        cases.append(_Case((theta, lam), f"theta of shape {_shape_text(shape)}, lam = {lam}", ref,
                           mistakes=[("l2-factor", 2 * ref, " (2 lam theta)"),
                                     ("l2-factor", 0.5 * ref, " (lam theta / 2)"),
                                     ("sign", -ref)]))
    theta = _rng(3).normal(size=4)
    cases.append(_Case((theta, 0.0), "lam = 0 (no penalty)", np.zeros(4)))
    # and against centred differences of the penalty itself
    num = _numeric_grads(lambda t: l2_penalty(t, 0.7), [theta])[0]
    cases.append(_Case((theta, 0.7), "theta of shape (4,), lam = 0.7 (finite differences)", num,
                       tol=NUMERIC))
    _run(fn, "l2_penalty_grad", cases,
         done="matches lecturekit.regularization.l2_penalty_backward on 3 random theta "
              "(1-D to 3-D), lam = 0, and centred differences of (lam/2) ||theta||^2.")


def _mask(seed, shape, keep):
    return (_rng(seed).random(shape) < keep).astype(np.float64)


def dropout_classic(fn):
    r"""Check ``dropout_classic(a, y, p, training)``: train :math:`a y`, test :math:`(1-p)a` (p = drop).

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), Classic DO (with the erratum: test is (1 - p) a).

    Examples
    --------
    >>> def mine(a, y, p, training):
    ...     return a * y if training else (1 - p) * a
    >>> dropout_classic(mine)   # doctest: +ELLIPSIS
    ✓ dropout_classic: ...
    """
    cases = []
    for seed, shape, p in ((0, (4, 5), 0.3), (1, (6,), 0.75)):
        a = _rng(seed + 10).normal(size=shape)
        y = _mask(seed, shape, 1 - p)
        q = 1 - p
        cases.append(_Case((a, y, p, True), f"training=True, p = {p} (drop), a of shape "
                           f"{_shape_text(shape)}", a * y,
                           mistakes=[("scale-wrong-time", a * y / q),
                                     ("keep-vs-drop", a * y * q)]))
        cases.append(_Case((a, None, p, False), f"training=False, p = {p} (drop)", q * a,
                           mistakes=[("keep-vs-drop", p * a), ("scale-wrong-time", a / q),
                                     ("scale-wrong-time", a.copy(), " (the test pass left unscaled)")]))
    a = _rng(5).normal(size=3)
    cases.append(_Case((a, np.ones(3), 0.0, True), "p = 0 (nothing dropped)", a))
    _run(fn, "dropout_classic", cases,
         done="training (a*y) and test ((1-p)*a) on random activations, p = 0.3, 0.75 and 0.")


def dropout_inverted(fn):
    r"""Check ``dropout_inverted(a, y, p, training)``: train :math:`a y/(1-p)`, test :math:`a`.

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), Inverted DO.

    Examples
    --------
    >>> def mine(a, y, p, training):
    ...     return a * y / (1 - p) if training else a
    >>> dropout_inverted(mine)   # doctest: +ELLIPSIS
    ✓ dropout_inverted: ...
    """
    cases = []
    for seed, shape, p in ((0, (4, 5), 0.3), (1, (6,), 0.75)):
        a = _rng(seed + 10).normal(size=shape)
        y = _mask(seed, shape, 1 - p)
        q = 1 - p
        cases.append(_Case((a, y, p, True), f"training=True, p = {p} (drop), a of shape "
                           f"{_shape_text(shape)}", a * y / q,
                           mistakes=[("keep-vs-drop", a * y / p), ("missing-rescale", a * y),
                                     ("scale-wrong-time", a * y * q)]))
        cases.append(_Case((a, None, p, False), f"training=False, p = {p} (drop)", a.copy(),
                           mistakes=[("scale-wrong-time", q * a), ("keep-vs-drop", p * a),
                                     ("scale-wrong-time", a / q)]))
    a = _rng(5).normal(size=3)
    cases.append(_Case((a, np.ones(3), 0.0, True), "p = 0 (nothing dropped)", a))
    _run(fn, "dropout_inverted", cases,
         done="training (a*y/(1-p)) and test (a) on random activations, p = 0.3, 0.75 and 0.")


_INIT_SHAPES = ((256, 64), (64, 256), (32, 16, 3, 3), (10, 3, 5, 1))


def _fans(shape):
    from .init import calculate_fans

    return calculate_fans(shape)


def xavier_variance(fn):
    r"""Check ``xavier_variance(shape)`` :math:`= 2/(n_\text{in} + n_\text{out})`, fans from the shape.

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), Xavier (Glorot) init.

    Examples
    --------
    >>> import math
    >>> def mine(shape):
    ...     r = math.prod(shape[2:])
    ...     return 2 / (shape[1] * r + shape[0] * r)
    >>> xavier_variance(mine)   # doctest: +ELLIPSIS
    ✓ xavier_variance: ...
    """
    from .init import weight_variance

    cases = []
    for shape in _INIT_SHAPES:
        fan_in, fan_out = _fans(shape)
        ref = weight_variance("xavier_normal", shape)
        dense_in, dense_out = shape[1], shape[0]
        cases.append(_Case((shape,), f"shape = {shape}", np.float64(ref), mistakes=[
            ("std-vs-var", np.sqrt(ref)),
            ("receptive-field", 2 / (dense_in + dense_out)),
            ("lecun-vs-other", 1 / fan_in, " (LeCun's 1/fan_in)"),
            ("lecun-vs-other", 2 / fan_in, " (He's 2/fan_in)"),
            ("fan-in-vs-fan-out", 1 / fan_out, " (1/fan_out)"),
        ]))
    _run(fn, "xavier_variance", cases,
         done="equals lecturekit.init.weight_variance('xavier_normal', shape) for dense "
              "(256, 64), (64, 256) and conv (32, 16, 3, 3), (10, 3, 5, 1) weights.")


# ---------------------------------------------------------------- 02-lecture-3


def he_normal(fn):
    r"""Check ``he_normal(shape, rng)``: samples of :math:`\mathcal N(0, 2/n^{l-1})`, n the fan-in.

    The samples are random, so the check measures them: shape, mean ≈ 0, sample
    variance within 6 % of :math:`2/\text{fan\_in}`, and the same samples from two
    generators with the same seed (``rng`` is used, not numpy's global state).

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), He initialisation.

    Examples
    --------
    >>> def mine(shape, rng):
    ...     return rng.normal(0.0, np.sqrt(2 / (shape[1] * int(np.prod(shape[2:])))), size=shape)
    >>> he_normal(mine)   # doctest: +ELLIPSIS
    ✓ he_normal: ...
    """
    __tracebackhide__ = True  # noqa: F841
    name = "he_normal"
    _callable(fn, name)
    for shape in ((512, 256), (256, 512), (64, 32, 3, 3)):
        about = f"shape = {shape}, rng = default_rng(0)"
        w = _as_array(_call(fn, name, (shape, _rng(0)), about), name, "the result", about)
        if w.shape != shape:
            _fail(name, f"the result has shape {_shape_text(w.shape)}, expected {shape} "
                  f"(called with {about}).")
        again = _as_array(_call(fn, name, (shape, _rng(0)), about), name, "the result", about)
        if not np.array_equal(w, again):
            _fail(name, "two generators with the same seed gave different weights: draw the "
                  "samples from rng (rng.normal(...)), not from np.random.", hint=None)
        fan_in, fan_out = _fans(shape)
        var = float(np.var(w))
        if abs(float(np.mean(w))) > 5 * np.sqrt(2 / fan_in / w.size) + 1e-12:
            _fail(name, f"the mean of the weights is {np.mean(w):.3g}, expected about 0 "
                  f"(called with {about}).")
        want = 2 / fan_in
        if abs(var / want - 1) < STAT:
            continue
        dense_in = shape[1]
        for key, alt in (("fan-in-vs-fan-out", 2 / fan_out), ("std-vs-var", want**2),
                         ("std-vs-var", np.sqrt(want)), ("lecun-vs-other", 1 / fan_in),
                         ("lecun-vs-other", 2 / (fan_in + fan_out)),
                         ("receptive-field", 2 / dense_in)):
            if abs(alt / want - 1) > 2 * STAT and abs(var / alt - 1) < STAT:
                _mistake(name, key, f"on {about}: sample variance {var:.4g}, "
                         f"expected 2/fan_in = {want:.4g}")
        _fail(name, f"the sample variance is {var:.4g}, expected 2/fan_in = 2/{fan_in} = "
              f"{want:.4g} (called with {about}).")
    print(f"✓ {name}: shapes (512, 256), (256, 512), (64, 32, 3, 3); mean about 0; sample "
          "variance within 6 % of 2/fan_in; the same weights from the same seed.")


def _bn_forward_cases(layout):
    from .norm import batch_norm

    cases = []
    shapes = ((8, 3), (5, 4), (2, 6)) if layout == "ND" else ((4, 3, 2, 5), (2, 2, 3, 3))
    axes = (0,) if layout == "ND" else (0, 2, 3)
    wrong = [(1,)] if layout == "ND" else [(2, 3), (1, 2, 3), (0,)]
    for seed, shape in enumerate(shapes):
        rng = _rng(seed)
        x = rng.normal(2.0, 3.0, size=shape)
        c = shape[1]
        gamma, beta = rng.normal(size=c), rng.normal(size=c)
        eps = 1e-5 if seed else 0.1
        g = gamma.reshape((1, c) + (1,) * (len(shape) - 2))
        b = beta.reshape(g.shape)

        def variant(ax, ddof=0, inside=True, x=x, g=g, b=b, eps=eps):
            mu = x.mean(axis=ax, keepdims=True)
            var = x.var(axis=ax, keepdims=True, ddof=ddof)
            den = np.sqrt(var + eps) if inside else np.sqrt(var) + eps
            return g * (x - mu) / den + b

        mistakes = [("unbiased-variance", variant(axes, ddof=1)),
                    ("eps-outside-sqrt", variant(axes, inside=False))]
        mistakes += [("wrong-axes", variant(ax), f" (averaged over axes {ax})") for ax in wrong]
        ref = batch_norm(x, gamma, beta, eps=eps)
        cases.append(_Case((x, gamma, beta, eps), f"x of shape {_shape_text(shape)}, eps = {eps}",
                           ref, mistakes=mistakes))
    # edge case: a constant feature (variance 0: the output is beta there)
    x = _rng(9).normal(size=shapes[0])
    x[:, 0] = 4.0
    c = x.shape[1]
    gamma, beta = np.full(c, 2.0), np.arange(c, dtype=float)
    cases.append(_Case((x, gamma, beta, 1e-5), "a constant feature (variance 0)",
                       batch_norm(x, gamma, beta, eps=1e-5)))
    return cases


def batch_norm_forward(fn):
    r"""Check ``batch_norm_forward(x, gamma, beta, eps)`` on (N, D): per-feature μ_j, σ_j², then γ, δ.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), Batch normalization.

    Examples
    --------
    >>> def mine(x, gamma, beta, eps=1e-5):
    ...     return gamma * (x - x.mean(0)) / np.sqrt(x.var(0) + eps) + beta
    >>> batch_norm_forward(mine)   # doctest: +ELLIPSIS
    ✓ batch_norm_forward: ...
    """
    _run(fn, "batch_norm_forward", _bn_forward_cases("ND"),
         done="matches lecturekit.norm.batch_norm on 3 random (N, D) batches (N = 8, 5, 2; "
              "eps = 0.1 and 1e-5) and a constant feature.")


def batch_norm_channels(fn):
    r"""Check ``batch_norm_channels(x, gamma, beta, eps)`` on NCHW: one μ_k, σ_k² per channel over N, H, W.

    References
    ----------
    002_4e19a57a78109995.txt (05/10/23), BN in conv layers.

    Examples
    --------
    >>> def mine(x, gamma, beta, eps=1e-5):
    ...     mu = x.mean((0, 2, 3), keepdims=True); var = x.var((0, 2, 3), keepdims=True)
    ...     return gamma[:, None, None] * (x - mu) / np.sqrt(var + eps) + beta[:, None, None]
    >>> batch_norm_channels(mine)   # doctest: +ELLIPSIS
    ✓ batch_norm_channels: ...
    """
    _run(fn, "batch_norm_channels", _bn_forward_cases("NCHW"),
         done="matches lecturekit.norm.batch_norm on random (N, C, H, W) batches (4, 3, 2, 5) and "
              "(2, 2, 3, 3), eps = 0.1 and 1e-5, and a constant channel.")


def _bn_backward_cases(layout):
    from .norm import batch_norm, batch_norm_backward

    shapes = ((4, 3), (6, 5)) if layout == "ND" else ((2, 3, 2, 2), (3, 2, 3, 4))
    axes = (0,) if layout == "ND" else (0, 2, 3)
    cases = []
    for seed, shape in enumerate(shapes):
        rng = _rng(20 + seed)
        x = rng.normal(1.0, 2.0, size=shape)
        c = shape[1]
        gamma = rng.normal(size=c)
        dout = rng.normal(size=shape)
        eps = 1e-5
        about = f"x of shape {_shape_text(shape)}, random gamma and dout"
        if seed == 0:  # against centred differences of the forward
            expected = _numeric_grads(
                lambda x, g, b: float(np.sum(batch_norm(x, g, b, eps=eps) * dout)),
                [x, gamma, np.zeros(c)])
            tol = NUMERIC
            about += " (finite differences)"
        else:
            expected = list(batch_norm_backward(dout, x, gamma, eps=eps))
            tol = EXACT
        g = gamma.reshape((1, c) + (1,) * (len(shape) - 2))
        m = x.size // c
        mu = x.mean(axis=axes, keepdims=True)

        def closed(var, count=m):
            x_hat = (x - mu) / np.sqrt(var + eps)
            s1 = dout.sum(axis=axes, keepdims=True)
            s2 = (dout * x_hat).sum(axis=axes, keepdims=True)
            return g / (count * np.sqrt(var + eps)) * (count * dout - s1 - x_hat * s2), x_hat

        var = x.var(axis=axes, keepdims=True)
        dx, x_hat = closed(var)
        dgamma = (dout * x_hat).sum(axis=axes)
        dbeta = dout.sum(axis=axes)
        dx_unb, x_hat_unb = closed(x.var(axis=axes, keepdims=True, ddof=1))
        mistakes = [
            ("stats-constant", [dout * g / np.sqrt(var + eps), None, None]),
            ("unbiased-variance", [dx_unb, (dout * x_hat_unb).sum(axis=axes), None]),
            ("dgamma-dbeta-swapped", [None, dbeta, dgamma]),
        ]
        if layout != "ND":
            mistakes += [("wrong-axes", [closed(var, x.shape[0])[0], None, None],
                          " (dx with m = N instead of N*H*W)"),
                         ("wrong-axes", [None, (dout * x_hat).sum(axis=0), dout.sum(axis=0)],
                          " (dgamma, dbeta summed over N only)")]
        cases.append(_Case((dout, x, gamma, eps), about, expected, mistakes=mistakes, tol=tol))
    return cases


_BN_GRADS = ("dx", "dgamma", "dbeta")


def batch_norm_backward(fn):
    r"""Check ``batch_norm_backward(dout, x, gamma, eps)`` on (N, D): ``(dx, dgamma, dbeta)``.

    References
    ----------
    003_59d733786b3f0eb6.txt (Lecture 14), back-prop of BN.

    Examples
    --------
    >>> from lecturekit.norm import batch_norm_backward as reference
    >>> batch_norm_backward(lambda dout, x, gamma, eps=1e-5: reference(dout, x, gamma, eps=eps))
    ... # doctest: +ELLIPSIS
    ✓ batch_norm_backward: ...
    """
    _run(fn, "batch_norm_backward", _bn_backward_cases("ND"), _BN_GRADS,
         done="dx, dgamma, dbeta agree with centred differences of lecturekit.norm.batch_norm "
              "(lecturekit.gradcheck) on a (4, 3) batch and with "
              "lecturekit.norm.batch_norm_backward on a (6, 5) batch.")


def batch_norm_channels_backward(fn):
    r"""Check ``batch_norm_channels_backward(dout, x, gamma, eps)`` on NCHW: ``(dx, dgamma, dbeta)``.

    References
    ----------
    002_4e19a57a78109995.txt (05/10/23), BN in conv layers; 003_59d733786b3f0eb6.txt
    (Lecture 14), back-prop of BN.

    Examples
    --------
    >>> from lecturekit.norm import batch_norm_backward as reference
    >>> batch_norm_channels_backward(lambda dout, x, gamma, eps=1e-5: reference(dout, x, gamma, eps=eps))
    ... # doctest: +ELLIPSIS
    ✓ batch_norm_channels_backward: ...
    """
    _run(fn, "batch_norm_channels_backward", _bn_backward_cases("NCHW"), _BN_GRADS,
         done="dx, dgamma, dbeta agree with centred differences of lecturekit.norm.batch_norm "
              "(lecturekit.gradcheck) on a (2, 3, 2, 2) batch and with "
              "lecturekit.norm.batch_norm_backward on a (3, 2, 3, 4) batch.")


def _matrix_of(linear, n_in):
    """The matrix of a linear map of R^n_in: its columns are the images of the unit vectors."""
    return np.stack([linear(e) for e in np.eye(n_in)], axis=1)


def conv_matrix_3x3(fn):
    r"""Check ``conv_matrix_3x3(k)``: the 4×9 matrix K with ``y.ravel() = K @ x.ravel()`` (Lecture 3).

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "y = Kx".

    Examples
    --------
    >>> from lecturekit.conv_matrix import conv_matrix
    >>> conv_matrix_3x3(lambda k: conv_matrix((3, 3), k))   # doctest: +ELLIPSIS
    ✓ conv_matrix_3x3: ...
    """
    from .conv import correlate2d as corr
    from .conv_matrix import conv_matrix

    cases = []
    for seed in (0, 1):
        k = _rng(seed).normal(size=(2, 2)).round(2)
        ref = conv_matrix((3, 3), k)

        def colmajor(x_flat, k=k):
            x = x_flat.reshape(3, 3, order="F")
            return corr(x, k, "valid").ravel(order="F")

        cases.append(_Case((k,), f"k = {k.tolist()}", ref, mistakes=[
            ("conv-matrix-flip", conv_matrix((3, 3), k[::-1, ::-1])),
            ("conv-matrix-order", _matrix_of(colmajor, 9)),
        ]))
    k = np.array([[1.0, 2.0], [3.0, 4.0]])
    cases.insert(0, _Case((k,), "k = [[1, 2], [3, 4]] (k1..k4)", conv_matrix((3, 3), k),
                          mistakes=[("conv-matrix-flip", conv_matrix((3, 3), k[::-1, ::-1]))]))
    _run(fn, "conv_matrix_3x3", cases,
         done="equals lecturekit.conv_matrix.conv_matrix((3, 3), k), shape (4, 9), for "
              "k = [[1, 2], [3, 4]] and two random kernels.")


def max_pool_backward(fn):
    r"""Check ``max_pool_backward(dout, x)``: 2×2 windows, stride 2, on an (H, W) map.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), "What is pooling?".

    Examples
    --------
    >>> from lecturekit.pool import max_pool2d_backward
    >>> max_pool_backward(lambda dout, x: max_pool2d_backward(dout[None, None], x[None, None], 2)[0, 0])
    ... # doctest: +ELLIPSIS
    ✓ max_pool_backward: ...
    """
    from .pool import max_pool2d, max_pool2d_backward

    cases = []
    for seed, (h, w) in enumerate(((4, 4), (2, 6), (6, 4))):
        rng = _rng(30 + seed)
        x = rng.normal(size=(h, w))
        dout = rng.normal(size=(h // 2, w // 2))
        about = f"x of shape ({h}, {w})"
        if seed == 0:
            expected = _numeric_grads(
                lambda x: float(np.sum(max_pool2d(x[None, None], 2) * dout[None, None])), [x])[0]
            tol, about = NUMERIC, about + " (finite differences)"
        else:
            expected, tol = max_pool2d_backward(dout[None, None], x[None, None], 2)[0, 0], EXACT
        up = np.kron(dout, np.ones((2, 2)))  # (H, W): each window's dout on its 4 entries
        cases.append(_Case((dout, x), about, expected, tol=tol, mistakes=[
            ("max-pool-average", up / 4), ("max-pool-all", up)]))
    _run(fn, "max_pool_backward", cases,
         done="agrees with centred differences of lecturekit.pool.max_pool2d on a 4x4 map and "
              "with lecturekit.pool.max_pool2d_backward on 2x6 and 6x4 maps.")


# ---------------------------------------------------------------- 03-lecture-4


def momentum_step(fn):
    r"""Check ``momentum_step(w, mu, g, lr, gamma)`` → ``(w, mu)``: :math:`\mu \leftarrow \gamma\mu - \lambda g`, :math:`w \leftarrow w + \mu`.

    References
    ----------
    000_778bfa8cbc5d38d6.txt (Lecture 4), "Momentum".

    Examples
    --------
    >>> def mine(w, mu, g, lr, gamma):
    ...     mu = gamma * mu - lr * g
    ...     return w + mu, mu
    >>> momentum_step(mine)   # doctest: +ELLIPSIS
    ✓ momentum_step: ...
    """  # noqa: E501 (the summary line, with its formula)
    from .optim import Momentum

    cases = []
    for seed, shape, lr, gamma in ((0, (3,), 0.1, 0.9), (1, (2, 3), 0.5, 0.5), (2, (4,), 1.0, 0.0)):
        rng = _rng(40 + seed)
        w, mu, g = rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=shape)
        opt = Momentum(lr=lr, gamma=gamma)
        w_ref = w.copy()
        opt.step([w_ref], [np.zeros(shape)])  # creates the state; moves nothing (mu = 0, g = 0)
        opt.mu[0] = mu.copy()  # then one step from the given velocity
        opt.step([w_ref], [g.copy()])
        mu_ref = opt.mu[0]
        mistakes = [
            ("momentum-sign", [w - (gamma * mu + lr * g), gamma * mu + lr * g]),
            ("momentum-sign", [w - mu_ref, mu_ref], " (w - mu)"),
            ("momentum-sign", [w + gamma * mu + lr * g, gamma * mu + lr * g], " (mu + lambda g)"),
            ("velocity-old", [w + mu, mu_ref]),
            ("velocity-pytorch", [w - lr * (gamma * mu + g), gamma * mu + g]),
        ]
        cases.append(_Case((w, mu, g, lr, gamma), f"w, mu, g of shape {_shape_text(shape)}, "
                           f"lr = {lr}, gamma = {gamma}", [w_ref, mu_ref], mistakes=mistakes))
    _run(fn, "momentum_step", cases, ("w", "mu"),
         done="w and mu after one step of Lecture 4's momentum (lecturekit.optim.Momentum) from "
              "random w, mu, g, for (lr, gamma) = (0.1, 0.9), (0.5, 0.5) and (1, 0).")


def adam_step(fn):
    r"""Check ``adam_step(w, m, v, g, t, lr, beta1, beta2, eps)`` → ``(w, m, v)``, t = 1 at the first step.

    References
    ----------
    000_778bfa8cbc5d38d6.txt (Lecture 4), "Adam".

    Examples
    --------
    >>> def mine(w, m, v, g, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    ...     m = beta1 * m + (1 - beta1) * g
    ...     v = beta2 * v + (1 - beta2) * g**2
    ...     m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    ...     return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    >>> adam_step(mine)   # doctest: +ELLIPSIS
    ✓ adam_step: ...
    """
    from .optim import Adam

    cases = []
    settings = ((0, 1, 1e-3, 1e-8, 1.0), (1, 2, 0.1, 1e-8, 1.0), (2, 5, 0.01, 0.1, 0.01),
                (3, 1, 0.05, 1e-3, 0.01))
    for seed, t, lr, eps, scale in settings:
        rng = _rng(50 + seed)
        shape = (4,) if seed % 2 else (2, 3)
        w, g = rng.normal(size=shape), scale * rng.normal(size=shape)
        if t == 1:
            m, v = np.zeros(shape), np.zeros(shape)
        else:
            m, v = 0.1 * scale * rng.normal(size=shape), 0.01 * (scale * rng.normal(size=shape))**2
        b1, b2 = 0.9, 0.999
        opt = Adam(lr=lr, beta1=b1, beta2=b2, eps=eps)
        w_ref = w.copy()
        opt.step([w_ref], [np.zeros(shape)])  # creates the state; moves nothing (g = 0)
        opt.m[0], opt.v[0], opt.t = m.copy(), v.copy(), t - 1  # then step t from the given moments
        opt.step([w_ref], [g.copy()])
        m_ref, v_ref = opt.m[0], opt.v[0]

        def step(tc=t, inside=False, correct=True, betas=(b1, b2), w=w, m=m, v=v, g=g, lr=lr,
                 eps=eps):
            with np.errstate(all="ignore"):
                m1 = betas[0] * m + (1 - betas[0]) * g
                v1 = betas[1] * v + (1 - betas[1]) * g**2
                mh = m1 / (1 - betas[0]**tc) if correct else m1
                vh = v1 / (1 - betas[1]**tc) if correct else v1
                den = np.sqrt(vh + eps) if inside else np.sqrt(vh) + eps
                return w - lr * mh / den, m1, v1, mh, vh

        right = step()
        mistakes = [
            ("missing-bias-correction", list(step(correct=False)[:3])),
            ("t-from-zero", list(step(tc=t - 1)[:3])),
            ("t-from-zero", list(step(tc=t + 1)[:3]), " (or counted one step ahead)"),
            ("eps-inside-sqrt", list(step(inside=True)[:3])),
            ("betas-swapped", list(step(betas=(b2, b1))[:3])),
            ("corrected-moments-stored", [right[0], right[3], right[4]]),
        ]
        about = f"t = {t}, lr = {lr}, eps = {eps}, w of shape {_shape_text(shape)}"
        cases.append(_Case((w, m, v, g, t, lr, b1, b2, eps), about, [w_ref, m_ref, v_ref],
                           mistakes=mistakes))
    _run(fn, "adam_step", cases, ("w", "m", "v"),
         done="w, m and v after one step of lecturekit.optim.Adam from given moments, at "
              "t = 1, 2 and 5, with eps = 1e-8, 1e-3 and 0.1.")


def conv1d(fn):
    r"""Check ``conv1d(x, w)``: the full 1-D convolution :math:`\sum_a x[a]\,w[t-a]`, length N + M - 1.

    References
    ----------
    000_778bfa8cbc5d38d6.txt (Lecture 4), "one-D convolution".

    Examples
    --------
    >>> conv1d(lambda x, w: np.convolve(x, w))   # doctest: +ELLIPSIS
    ✓ conv1d: ...
    """
    from .conv import conv1d as ref
    from .conv import correlate1d

    cases = []
    for seed, (n, m) in enumerate(((7, 3), (5, 4), (4, 1), (3, 3))):
        rng = _rng(60 + seed)
        x, w = rng.normal(size=n), rng.normal(size=m)
        cases.append(_Case((x, w), f"x of length {n}, w of length {m}", ref(x, w), mistakes=[
            ("conv-vs-corr", correlate1d(x, w)),
            ("off-by-one", ref(x, w, "valid"), " (the 'valid' length N - M + 1, not N + M - 1)")]))
    _run(fn, "conv1d", cases,
         done="equals lecturekit.conv.conv1d (full, length N + M - 1) for (N, M) = (7, 3), "
              "(5, 4), (4, 1), (3, 3).")


def correlate2d(fn):
    r"""Check ``correlate2d(I, K)``: the valid 2-D cross-correlation :math:`\sum_m\sum_n I[i+m, j+n]K[m, n]`.

    References
    ----------
    000_778bfa8cbc5d38d6.txt (Lecture 4), "Two-D conv" and "cross-correlation".

    Examples
    --------
    >>> from lecturekit.conv import correlate2d as reference
    >>> correlate2d(lambda I, K: reference(I, K, "valid"))   # doctest: +ELLIPSIS
    ✓ correlate2d: ...
    """
    from .conv import convolve2d
    from .conv import correlate2d as ref

    cases = []
    for seed, (ih, iw, kh, kw) in enumerate(((5, 5, 3, 3), (4, 6, 2, 3), (3, 3, 3, 3),
                                             (4, 4, 1, 2))):
        rng = _rng(70 + seed)
        I, K = rng.normal(size=(ih, iw)), rng.normal(size=(kh, kw))
        cases.append(_Case((I, K), f"I of shape ({ih}, {iw}), K of shape ({kh}, {kw})",
                           ref(I, K, "valid"),
                           mistakes=[("corr-vs-conv", convolve2d(I, K, "valid")),
                                     ("off-by-one", ref(I, K, "full"),
                                      " (the 'full' size, not the valid H - kh + 1)")]))
    _run(fn, "correlate2d", cases,
         done="equals lecturekit.conv.correlate2d(I, K, 'valid') for images 5x5, 4x6, 3x3, 4x4 "
              "and kernels 3x3, 2x3, 3x3, 1x2.")


def conv_output_size(fn):
    r"""Check ``conv_output_size(W, F, P, S)`` :math:`= \lfloor (W - F + 2P)/S \rfloor + 1`, an int.

    References
    ----------
    000_778bfa8cbc5d38d6.txt (Lecture 4), "size of output after conv".

    Examples
    --------
    >>> conv_output_size(lambda W, F, P, S: (W - F + 2 * P) // S + 1)   # doctest: +ELLIPSIS
    ✓ conv_output_size: ...
    """
    __tracebackhide__ = True  # noqa: F841
    from .conv import conv_output_size as ref

    name = "conv_output_size"
    _callable(fn, name)
    for W, F, P, S in ((6, 3, 0, 2), (32, 5, 0, 1), (7, 3, 1, 2), (224, 7, 3, 2), (5, 5, 0, 1),
                       (10, 4, 1, 3)):
        about = f"W = {W}, F = {F}, P = {P}, S = {S}"
        got = _call(fn, name, (W, F, P, S), about)
        want = ref(W, F, stride=S, padding=P)
        num = W - F + 2 * P
        if isinstance(got, (float, np.floating)) and not float(got).is_integer() \
                and abs(got - (num / S + 1)) < 1e-9:
            _mistake(name, "floor-wrong-place", f"on {about}: got {got}, expected the int {want}")
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (numbers.Integral, float,
                                                                     np.floating)):
            _fail(name, f"must return an int, got {type(got).__name__} (called with {about}).")
        if got == want:
            if not isinstance(got, numbers.Integral):
                _fail(name, f"returned {got!r}, a float: return an int (// floors and stays "
                      f"an int) (called with {about}).")
            continue
        variants = {
            "off-by-one": [num // S, num // S + 2, (num + 1) // S + 1],
            "floor-wrong-place": [-(-num // S) + 1, int(round(num / S)) + 1,
                                  (W - F + P) // S + 1, (W - F) // S + 2 * P // S + 1],
        }
        for key, values in variants.items():
            if got in values:
                _mistake(name, key, f"on {about}: got {got}, expected {want}")
        _fail(name, f"got {got}, expected {want} on {about}.")
    print(f"✓ {name}: an int equal to lecturekit.conv.conv_output_size for 6 settings, among "
          "them strides that do not divide W - F + 2P (floored) and F = W.")


# ---------------------------------------------------------------- 04-lecture-05-10-23


def dropout_keep(fn):
    r"""Check ``dropout_keep(x, p, rng, training)`` → ``(out, r)``, p the KEEP probability (05/10/23).

    Training: :math:`r_i \sim \text{Bern}(p)`, ``out = r * x``; test: ``out = p * x``
    and ``r`` is None (classic dropout as in Srivastava et al., with p = keep). The
    mask is random, so the check measures it: 0/1 values, a fraction of ones within
    0.01 of p over 10^5 units, the same mask from the same seed.

    References
    ----------
    002_4e19a57a78109995.txt (05/10/23), Dropout: :math:`r_i \sim \text{bern}(p)`.

    Examples
    --------
    >>> def mine(x, p, rng, training=True):
    ...     if not training:
    ...         return p * x, None
    ...     r = (rng.random(x.shape) < p).astype(float)
    ...     return r * x, r
    >>> dropout_keep(mine)   # doctest: +ELLIPSIS
    ✓ dropout_keep: ...
    """
    __tracebackhide__ = True  # noqa: F841
    name = "dropout_keep"
    _callable(fn, name)
    for p in (0.8, 0.3):
        x = _rng(80).normal(size=(200, 500))
        about = f"x of shape (200, 500), p = {p} (keep), training=True"
        result = _call(fn, name, (x, p, _rng(1), True), about)
        out, r = _outputs(result, name, ("out", "r"), about)
        for arr, label in ((out, "out"), (r, "r")):
            if arr.shape != x.shape:
                _fail(name, f"{label} has shape {_shape_text(arr.shape)}, expected (200, 500) "
                      f"(called with {about}).")
        if not np.all((r == 0) | (r == 1)):
            _fail(name, f"the mask r must hold only 0 and 1, got values such as "
                  f"{r[(r != 0) & (r != 1)][0]:.4g} (called with {about}).")
        again = _outputs(_call(fn, name, (x, p, _rng(1), True), about), name, ("out", "r"),
                         about)[1]
        if not np.array_equal(r, again):
            _fail(name, "two generators with the same seed gave different masks: draw r from "
                  "rng (rng.random(x.shape) < p), not from np.random.")
        kept = float(r.mean())
        if abs(kept - p) > 0.01:
            if abs(kept - (1 - p)) < 0.01:
                _mistake(name, "keep-vs-drop", f"on {about}: {kept:.3f} of the units kept, "
                         f"expected p = {p}")
            _fail(name, f"{kept:.3f} of the units are kept, expected about p = {p} "
                  f"(called with {about}).")
        if not _close(out, r * x, EXACT):
            for key, alt in (("scale-wrong-time", r * x / p), ("keep-vs-drop", r * x / (1 - p)),
                             ("keep-vs-drop", (1 - r) * x)):
                if _close(out, alt, MATCH):
                    _mistake(name, key, f"on {about}")
            _fail(name, f"out is not r * x (relative error {_rel(out, r * x):.1e}, called with "
                  f"{about}).")
        about = f"x of shape (200, 500), p = {p} (keep), training=False"
        result = _call(fn, name, (x, p, _rng(1), False), about)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            _fail(name, f"must return a pair (out, r), got {type(result).__name__} "
                  f"(called with {about}).")
        out = _as_array(result[0], name, "out", about)
        if not _close(out, p * x, EXACT):
            for key, alt in (("keep-vs-drop", (1 - p) * x), ("scale-wrong-time", x),
                             ("scale-wrong-time", x / p)):
                if _close(out, alt, MATCH):
                    _mistake(name, key, f"on {about}")
            _fail(name, f"at test time out must be p * x (relative error {_rel(out, p * x):.1e}, "
                  f"called with {about}).")
    print(f"✓ {name}: a 0/1 mask with a fraction p of ones (p = 0.8, 0.3 over 10^5 units) drawn "
          "from rng; out = r * x in training and p * x at test time.")


# ---------------------------------------------------------------- 05-lecture-14


def rnn_step(fn):
    r"""Check ``rnn_step(x, h_prev, w)`` :math:`= \tanh([x_t ; h_{t-1}]\, w^\top)`, no bias (Lecture 14).

    References
    ----------
    003_59d733786b3f0eb6.txt (Lecture 14), "vanilla RNN".

    Examples
    --------
    >>> rnn_step(lambda x, h, w: np.tanh(np.concatenate([x, h], 1) @ w.T))   # doctest: +ELLIPSIS
    ✓ rnn_step: ...
    """
    from .activations import sigmoid
    from .rnn import rnn_step as ref

    cases = []
    for seed, (n, d, h) in enumerate(((2, 3, 4), (1, 5, 2), (3, 2, 2))):
        rng = _rng(90 + seed)
        x, hp, w = rng.normal(size=(n, d)), rng.normal(size=(n, h)), rng.normal(size=(h, d + h))
        swapped = np.concatenate([hp, x], axis=1) @ w.T
        z = np.concatenate([x, hp], axis=1) @ w.T
        cases.append(_Case((x, hp, w), f"x of shape ({n}, {d}), h_prev ({n}, {h}), w ({h}, {d + h})",
                           ref(x, hp, w, np.zeros(h)), mistakes=[
                               ("concat-order", np.tanh(swapped)),
                               ("activation", sigmoid(z), " (sigmoid)"),
                               ("activation", np.maximum(z, 0), " (ReLU)")]))
    _run(fn, "rnn_step", cases,
         done="equals lecturekit.rnn.rnn_step (b = 0) for (N, D, H) = (2, 3, 4), (1, 5, 2), "
              "(3, 2, 2).")


def bptt_two_steps(fn):
    r"""Check ``bptt_two_steps(dh2, x1, x2, h0, w)`` → dw, for :math:`L = \langle dh_2, h_2\rangle`.

    References
    ----------
    003_59d733786b3f0eb6.txt (Lecture 14), back-propagation through time.

    Examples
    --------
    >>> from lecturekit.rnn import rnn_step_backward
    >>> def mine(dh2, x1, x2, h0, w):
    ...     b = np.zeros(w.shape[0])
    ...     h1 = np.tanh(np.concatenate([x1, h0], 1) @ w.T)
    ...     _, dh1, dw2, _ = rnn_step_backward(dh2, x2, h1, w, b)
    ...     return dw2 + rnn_step_backward(dh1, x1, h0, w, b)[2]
    >>> bptt_two_steps(mine)   # doctest: +ELLIPSIS
    ✓ bptt_two_steps: ...
    """
    from .rnn import rnn_step as step

    cases = []
    for seed, (n, d, h) in enumerate(((2, 3, 4), (1, 2, 3))):
        rng = _rng(100 + seed)
        x1, x2 = rng.normal(size=(n, d)), rng.normal(size=(n, d))
        h0, w = rng.normal(size=(n, h)), 0.7 * rng.normal(size=(h, d + h))
        dh2 = rng.normal(size=(n, h))
        b = np.zeros(h)

        def loss(w, x1=x1, x2=x2, h0=h0, dh2=dh2, b=b):
            return float(np.sum(step(x2, step(x1, h0, w, b), w, b) * dh2))

        expected = _numeric_grads(loss, [w])[0]
        z1 = np.concatenate([x1, h0], axis=1)
        h1 = np.tanh(z1 @ w.T)
        z2 = np.concatenate([x2, h1], axis=1)
        h2 = np.tanh(z2 @ w.T)
        d2 = dh2 * (1 - h2**2)
        back = d2 @ w[:, d:]
        d1 = back * (1 - h1**2)
        cases.append(_Case((dh2, x1, x2, h0, w), f"(N, D, H) = ({n}, {d}, {h}) (finite differences)",
                           expected, tol=NUMERIC, mistakes=[
                               ("bptt-truncated", d2.T @ z2),
                               ("bptt-no-derivative", d2.T @ z2 + back.T @ z1),
                               ("bptt-truncated", d1.T @ z1, " (only the first step's term)")]))
    _run(fn, "bptt_two_steps", cases,
         done="dw agrees with centred differences (lecturekit.gradcheck) of two steps of "
              "lecturekit.rnn.rnn_step, for (N, D, H) = (2, 3, 4) and (1, 2, 3).")


def lstm_step(fn):
    r"""Check ``lstm_step(x, h_prev, c_prev, w, b)`` → ``(h, c)``, gate blocks (i, f, g, o).

    References
    ----------
    003_59d733786b3f0eb6.txt (Lecture 14), LSTM.

    Examples
    --------
    >>> from lecturekit.rnn import lstm_step as reference
    >>> lstm_step(reference)   # doctest: +ELLIPSIS
    ✓ lstm_step: ...
    """
    from .activations import sigmoid
    from .rnn import lstm_step as ref

    names = "ifgo"
    cases = []
    for seed, (n, d, h) in enumerate(((2, 3, 4), (1, 2, 3))):
        rng = _rng(110 + seed)
        x, hp, cp = rng.normal(size=(n, d)), rng.normal(size=(n, h)), rng.normal(size=(n, h))
        w, b = rng.normal(size=(4 * h, d + h)), rng.normal(size=4 * h)
        a = np.concatenate([x, hp], axis=1) @ w.T + b  # (N, 4H)
        blocks = np.split(a, 4, axis=1)

        def cell(order, out_tanh=True, cand=np.tanh, blocks=blocks, cp=cp):
            pre = dict(zip(order, blocks, strict=True))
            i, f, o = sigmoid(pre["i"]), sigmoid(pre["f"]), sigmoid(pre["o"])
            c = f * cp + i * cand(pre["g"])
            return [o * np.tanh(c) if out_tanh else o * c, c]

        mistakes = [("gate-order", cell(order),
                     f": your row blocks read as ({', '.join(order)}), expected (i, f, g, o)")
                    for order in itertools.permutations(names) if order != tuple(names)]
        mistakes += [("lstm-no-tanh", cell(names, out_tanh=False)),
                     ("activation", cell(names, cand=sigmoid), " (a sigmoid for Delta C)")]
        cases.append(_Case((x, hp, cp, w, b), f"(N, D, H) = ({n}, {d}, {h})",
                           list(ref(x, hp, cp, w, b)), mistakes=mistakes))
    _run(fn, "lstm_step", cases, ("h", "c"),
         done="h and c equal lecturekit.rnn.lstm_step for (N, D, H) = (2, 3, 4) and (1, 2, 3), "
              "gate blocks in the order (i, f, g, o).")


def residual_block_backward(fn):
    r"""Check ``residual_block_backward(dout, x, w1, b1, w2, b2)`` → dx of :math:`x + w_2\,\mathrm{relu}(w_1 x + b_1) + b_2`.

    References
    ----------
    003_59d733786b3f0eb6.txt (Lecture 14), "Res Net".

    Examples
    --------
    >>> from lecturekit.resnet import residual_block_backward as reference
    >>> residual_block_backward(lambda *args: reference(*args)[0])   # doctest: +ELLIPSIS
    ✓ residual_block_backward: ...
    """  # noqa: E501 (the summary line, with its formula)
    from .resnet import residual_block
    from .resnet import residual_block_backward as ref

    cases = []
    for seed, (n, d, m) in enumerate(((3, 4, 5), (2, 3, 2))):
        rng = _rng(120 + seed)
        x = rng.normal(size=(n, d))
        w1, b1 = rng.normal(size=(m, d)), rng.normal(size=m)
        w2, b2 = rng.normal(size=(d, m)), rng.normal(size=d)
        dout = rng.normal(size=(n, d))
        about = f"x of shape ({n}, {d}), {m} hidden units"
        if seed == 0:
            expected = _numeric_grads(
                lambda x: float(np.sum(residual_block(x, w1, b1, w2, b2) * dout)), [x])[0]
            tol, about = NUMERIC, about + " (finite differences)"
        else:
            expected, tol = ref(dout, x, w1, b1, w2, b2)[0], EXACT
        z = x @ w1.T + b1
        through = ((dout @ w2) * (z > 0)) @ w1
        cases.append(_Case((dout, x, w1, b1, w2, b2), about, expected, tol=tol, mistakes=[
            ("residual-no-skip", through), ("residual-skip-only", dout.copy()),
            ("relu-derivative", dout + (dout @ w2) @ w1)]))
    _run(fn, "residual_block_backward", cases,
         done="dx agrees with centred differences of lecturekit.resnet.residual_block "
              "(lecturekit.gradcheck) and with lecturekit.resnet.residual_block_backward.")
