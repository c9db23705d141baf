"""lecturekit.check: each check passes a right answer, names a classic mistake, and says what is wrong.

For every exercise the table below gives three implementations written as a
student would: a correct one (the check prints its one-line success), a wrong
one (a plain "wrong values" diagnosis, no mistake named) and one with a classic
mistake (the diagnosis names it, with its hint). Then the student's own
exception, a wrong shape and a wrong return type, each a plain message.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pytest

from lecturekit import check
from lecturekit.check import MISTAKES, CheckFailed

# ---------------------------------------------------------------- implementations, as a student writes them


def _cat(x, h):
    return np.concatenate([x, h], axis=1)


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _fans(shape):
    r = math.prod(shape[2:])
    return shape[1] * r, shape[0] * r


def bn_forward(axes=(0,), ddof=0, inside=True, c_axis=1):
    def f(x, gamma, beta, eps=1e-5):
        shape = [1] * x.ndim
        shape[c_axis] = -1
        g, b = np.reshape(gamma, shape), np.reshape(beta, shape)
        mu = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True, ddof=ddof)
        den = np.sqrt(var + eps) if inside else np.sqrt(var) + eps
        return g * (x - mu) / den + b
    return f


def bn_backward(axes=(0,), constant_stats=False, ddof=0, scale=1.0):
    def f(dout, x, gamma, eps=1e-5):
        shape = [1] * x.ndim
        shape[1] = -1
        g = np.reshape(gamma, shape)
        m = x.size // x.shape[1]
        mu = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True, ddof=ddof)
        x_hat = (x - mu) / np.sqrt(var + eps)
        if constant_stats:
            dx = dout * g / np.sqrt(var + eps)
        else:
            dx = g / (m * np.sqrt(var + eps)) * (m * dout - dout.sum(axis=axes, keepdims=True)
                                                 - x_hat * (dout * x_hat).sum(axis=axes, keepdims=True))
        return scale * dx, (dout * x_hat).sum(axis=axes), dout.sum(axis=axes)
    return f


def momentum(sign=1.0, old=False, scale=1.0):
    def f(w, mu, g, lr, gamma):
        new = gamma * mu - sign * lr * g
        return (w + (mu if old else new)) * scale, new
    return f


def adam(correct=True, t_shift=0, inside=False, scale=1.0):
    def f(w, m, v, g, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        tt = t + t_shift
        m_hat = m / (1 - beta1**tt) if correct else m
        v_hat = v / (1 - beta2**tt) if correct else v
        den = np.sqrt(v_hat + eps) if inside else np.sqrt(v_hat) + eps
        return w - scale * lr * m_hat / den, m, v
    return f


def conv1d_loop(flip=True, scale=1.0):
    def f(x, w):
        n, m = len(x), len(w)
        k = w[::-1] if flip else w
        y = np.zeros(n + m - 1)
        for t in range(n + m - 1):  # y[t] = sum_a x[a] w[t - a]
            for j in range(m):
                a = t - (m - 1) + j
                if 0 <= a < n:
                    y[t] += x[a] * k[j]
        return scale * y
    return f


def corr2d_loop(flip=False, scale=1.0):
    def f(I, K):
        kh, kw = K.shape
        K = K[::-1, ::-1] if flip else K
        out = np.zeros((I.shape[0] - kh + 1, I.shape[1] - kw + 1))
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[i, j] = np.sum(I[i:i + kh, j:j + kw] * K)
        return scale * out
    return f


def conv_matrix_loop(flip=False, transpose=False):
    def f(k):
        k = k[::-1, ::-1] if flip else k
        K = np.zeros((4, 9))
        for i in range(2):
            for j in range(2):
                for u in range(2):
                    for v in range(2):
                        K[2 * i + j, 3 * (i + u) + (j + v)] = k[u, v]
        return K.T if transpose else K
    return f


def maxpool_backward(spread=False):
    def f(dout, x):
        dx = np.zeros_like(x)
        for i in range(dout.shape[0]):
            for j in range(dout.shape[1]):
                win = x[2 * i:2 * i + 2, 2 * j:2 * j + 2]
                if spread:
                    dx[2 * i:2 * i + 2, 2 * j:2 * j + 2] += dout[i, j] / 4
                else:
                    u, v = np.unravel_index(np.argmax(win), win.shape)
                    dx[2 * i + u, 2 * j + v] += dout[i, j]
        return dx
    return f


def lstm(order="ifgo", out_tanh=True):
    def f(x, h_prev, c_prev, w, b):
        a = _cat(x, h_prev) @ w.T + b
        blocks = dict(zip(order, np.split(a, 4, axis=1), strict=True))
        i, f_, o = _sig(blocks["i"]), _sig(blocks["f"]), _sig(blocks["o"])
        c = f_ * c_prev + i * np.tanh(blocks["g"])
        return (o * np.tanh(c) if out_tanh else o * c), c
    return f


def bptt(truncated=False, scale=1.0):
    def f(dh2, x1, x2, h0, w):
        d = x1.shape[1]
        h1 = np.tanh(_cat(x1, h0) @ w.T)
        h2 = np.tanh(_cat(x2, h1) @ w.T)
        d2 = dh2 * (1 - h2**2)
        dw = d2.T @ _cat(x2, h1)
        if not truncated:
            d1 = (d2 @ w[:, d:]) * (1 - h1**2)
            dw = dw + d1.T @ _cat(x1, h0)
        return scale * dw
    return f


def residual(skip=True, scale=1.0):
    def f(dout, x, w1, b1, w2, b2):
        z = x @ w1.T + b1
        through = scale * ((dout @ w2) * (z > 0)) @ w1
        return dout + through if skip else through
    return f


def dropout_keep(flip=False, test_scale=None):
    def f(x, p, rng, training=True):
        q = 1 - p if flip else p
        if not training:
            return (p if test_scale is None else test_scale(p)) * x, None
        r = (rng.random(x.shape) < q).astype(float)
        return r * x, r
    return f


def he(var_of=lambda fi, fo: 2 / fi, scale=1.0):
    def f(shape, rng):
        fi, fo = _fans(shape)
        return rng.normal(0.0, scale * np.sqrt(var_of(fi, fo)), size=shape)
    return f


# name: (correct, wrong, (classic mistake, its key, words the message must contain))
CASES = {
    "l2_penalty_grad": (lambda theta, lam: lam * theta,
                        lambda theta, lam: lam * theta + 0.01,
                        (lambda theta, lam: 2 * lam * theta, "l2-factor", "2 lam theta")),
    "dropout_classic": (lambda a, y, p, training: a * y if training else (1 - p) * a,
                        lambda a, y, p, training: a * y if training else 0.5 * a,
                        (lambda a, y, p, training: a * y if training else a / (1 - p),
                         "scale-wrong-time", "training=False")),
    "dropout_inverted": (lambda a, y, p, training: a * y / (1 - p) if training else a,
                         lambda a, y, p, training: a * y / (1 - p) if training else a + 1,
                         (lambda a, y, p, training: a * y / p if training else a,
                          "keep-vs-drop", "p = 0.3")),
    "xavier_variance": (lambda shape: 2 / sum(_fans(shape)),
                        lambda shape: 3 / sum(_fans(shape)),
                        (lambda shape: 2 / (shape[0] + shape[1]), "receptive-field",
                         "(32, 16, 3, 3)")),
    "he_normal": (he(), he(scale=1.5),
                  (he(var_of=lambda fi, fo: 2 / fo), "fan-in-vs-fan-out", "sample variance")),
    "batch_norm_forward": (bn_forward(), bn_forward(ddof=0.5),
                           (bn_forward(ddof=1), "unbiased-variance", "(8, 3)")),
    "conv_matrix_3x3": (conv_matrix_loop(), lambda k: conv_matrix_loop()(k) + 0.5,
                        (conv_matrix_loop(flip=True), "conv-matrix-flip", "k1..k4")),
    "max_pool_backward": (maxpool_backward(), lambda dout, x: 2 * maxpool_backward()(dout, x),
                          (maxpool_backward(spread=True), "max-pool-average", "finite differences")),
    "momentum_step": (momentum(), momentum(scale=1.1),
                      (momentum(sign=-1.0), "momentum-sign", "lr = 0.1")),
    "adam_step": (adam(), adam(scale=0.5),
                  (adam(correct=False), "missing-bias-correction", "t = 1")),
    "conv1d": (conv1d_loop(), conv1d_loop(scale=1.01),
               (conv1d_loop(flip=False), "conv-vs-corr", "length 7")),
    "correlate2d": (corr2d_loop(), corr2d_loop(scale=-1.0),
                    (corr2d_loop(flip=True), "corr-vs-conv", "(5, 5)")),
    "conv_output_size": (lambda W, F, P, S: (W - F + 2 * P) // S + 1,
                         lambda W, F, P, S: (W - F + 2 * P) // S + 1 + 5 * (W > 100),
                         (lambda W, F, P, S: (W - F + 2 * P) // S, "off-by-one", "W = 6")),
    "batch_norm_channels": (bn_forward(axes=(0, 2, 3)), bn_forward(axes=(0, 2, 3), ddof=0.5),
                            (bn_forward(axes=(2, 3)), "wrong-axes", "axes (2, 3)")),
    "batch_norm_channels_backward": (bn_backward(axes=(0, 2, 3)), bn_backward(axes=(0, 2, 3), scale=2),
                                     (bn_backward(axes=(0, 2, 3), constant_stats=True),
                                      "stats-constant", "(2, 3, 2, 2)")),
    "dropout_keep": (dropout_keep(), dropout_keep(test_scale=lambda p: 0.5),
                     (dropout_keep(flip=True), "keep-vs-drop", "of the units kept")),
    "batch_norm_backward": (bn_backward(), bn_backward(scale=1.5),
                            (bn_backward(ddof=1), "unbiased-variance", "(4, 3)")),
    "rnn_step": (lambda x, h, w: np.tanh(_cat(x, h) @ w.T),
                 lambda x, h, w: np.tanh(0.9 * _cat(x, h) @ w.T),
                 (lambda x, h, w: np.tanh(_cat(h, x) @ w.T), "concat-order", "h_prev")),
    "bptt_two_steps": (bptt(), bptt(scale=0.9),
                       (bptt(truncated=True), "bptt-truncated", "(2, 3, 4)")),
    "lstm_step": (lstm(), lambda *args: tuple(1.01 * v for v in lstm()(*args)),
                  (lstm(order="ifog"), "gate-order", "(i, f, o, g)")),
    "residual_block_backward": (residual(), residual(scale=0.5),
                                (residual(skip=False), "residual-no-skip", "hidden units")),
}


def test_every_exercise_has_a_check_and_a_row_here():
    exercises = [name for names in check.EXERCISES.values() for name in names]
    assert len(exercises) >= 18 and len(set(exercises)) == len(exercises)
    assert sorted(exercises) == sorted(CASES)
    assert all(len(names) >= 3 for names in check.EXERCISES.values())
    assert all(callable(getattr(check, name)) for name in exercises)


def test_each_exercise_notebook_asks_for_its_functions_and_calls_their_checks():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "exercises" / "src"
    assert sorted(p.stem for p in folder.glob("*.md")) == sorted(check.EXERCISES)
    for notebook, names in check.EXERCISES.items():
        text = (folder / f"{notebook}.md").read_text(encoding="utf-8")
        assert re.findall(r"^check\.(\w+)\((\w+)\)$", text, re.MULTILINE) == [(n, n) for n in names]
        assert re.findall(r"^def (\w+)\(", text, re.MULTILINE) == list(names)


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_correct_answer_prints_what_was_checked(name, capsys):
    getattr(check, name)(CASES[name][0])
    out = capsys.readouterr().out
    assert out.startswith(f"✓ {name}: ") and out.count("\n") == 1, out


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_wrong_answer_gets_a_plain_diagnosis(name, capsys):
    with pytest.raises(CheckFailed) as info:
        getattr(check, name)(CASES[name][1])
    err = info.value
    assert err.mistake is None and err.hint is None and err.exercise == name
    assert str(err).startswith(f"{name}: ") and "classic mistake" not in str(err)
    assert len(str(err).splitlines()) == 1 and len(str(err)) < 300, str(err)
    assert capsys.readouterr().out == ""  # no success line before the failure


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_classic_mistake_is_named_with_its_hint(name):
    impl, key, words = CASES[name][2]
    with pytest.raises(CheckFailed) as info:
        getattr(check, name)(impl)
    err = info.value
    title, hint = MISTAKES[key]
    assert err.mistake == key, str(err)
    assert f"classic mistake: {title}" in str(err) and words in str(err), str(err)
    assert str(err).endswith(f"\nHint: {hint}") and err.hint == hint
    assert isinstance(err, AssertionError)  # an nbgrader test cell fails with it


def test_the_listed_classic_mistakes_are_each_recognised_somewhere():
    keys = {CASES[name][2][1] for name in CASES}
    more = {  # mistakes of the issue's list not in the table above: a check recognises each
        "wrong-axes": ("batch_norm_forward", bn_forward(axes=(1,))),
        "missing-rescale": ("dropout_inverted", lambda a, y, p, training: a * y if training else a),
        "eps-outside-sqrt": ("batch_norm_forward", bn_forward(inside=False)),
        "eps-inside-sqrt": ("adam_step", adam(inside=True)),
        "t-from-zero": ("adam_step", adam(t_shift=-1)),
        "floor-wrong-place": ("conv_output_size", lambda W, F, P, S: (W - F + 2 * P) / S + 1),
        "keep-vs-drop": ("dropout_classic", lambda a, y, p, training: a * y if training else p * a),
    }
    for key, (name, impl) in more.items():
        with pytest.raises(CheckFailed) as info:
            getattr(check, name)(impl)
        assert info.value.mistake == key, (key, str(info.value))
    issue = {"unbiased-variance", "wrong-axes", "keep-vs-drop", "missing-rescale",
             "scale-wrong-time", "conv-vs-corr", "corr-vs-conv", "off-by-one", "floor-wrong-place",
             "missing-bias-correction", "t-from-zero", "fan-in-vs-fan-out", "eps-inside-sqrt",
             "gate-order", "momentum-sign"}
    assert issue <= keys | set(more)


def test_the_gate_order_message_names_the_order_used():
    with pytest.raises(CheckFailed, match=r"read as \(f, i, g, o\), expected \(i, f, g, o\)"):
        check.lstm_step(lstm(order="figo"))


def test_the_student_s_own_exception_is_one_plain_sentence_with_their_line():
    def batch_norm_forward(x, gamma, beta, eps=1e-5):
        mu = x.mean(axis=2)  # AxisError on (N, D)
        return x - mu

    with pytest.raises(CheckFailed) as info:
        check.batch_norm_forward(batch_norm_forward)
    msg = str(info.value)
    assert re.match(r"batch_norm_forward: your function raised AxisError: .*axis 2.* at line \d+: "
                    r"`mu = x.mean\(axis=2\)  # AxisError on \(N, D\)` \(called with x of shape "
                    r"\(8, 3\), eps = 0.1\)\.$", msg), msg
    assert info.value.__suppress_context__ and info.value.mistake is None


def test_the_untouched_stub_says_not_written_yet():
    def stub(*args):
        raise NotImplementedError()

    for name in CASES:
        with pytest.raises(CheckFailed, match="not written yet: replace `raise NotImplementedError"):
            getattr(check, name)(stub)


@pytest.mark.parametrize("returned, words", [
    (None, "the result is None: did the function end without `return`?"),
    ("0.5", "the result must be a numpy array of numbers, got str"),
    ({"x": 1}, "the result must be a numpy array of numbers, got dict"),
    (np.zeros((3, 8)), "the result has shape (3, 8), expected (8, 3)"),
    (np.array([["a"]]), "must be a numpy array of real numbers, got ndarray of dtype <U1"),
])
def test_a_wrong_return_type_or_shape_is_a_plain_message(returned, words):
    with pytest.raises(CheckFailed) as info:
        check.batch_norm_forward(lambda x, gamma, beta, eps=1e-5: returned)
    assert words in str(info.value) and info.value.mistake is None


def test_a_tuple_of_the_wrong_length_or_a_single_array_for_a_tuple():
    with pytest.raises(CheckFailed, match=r"must return 3 arrays \(dx, dgamma, dbeta\), got a tuple of 2"):
        check.batch_norm_backward(lambda dout, x, gamma, eps=1e-5: (dout, dout))
    with pytest.raises(CheckFailed, match=r"must return a tuple of 2 arrays \(w, mu\), got ndarray"):
        check.momentum_step(lambda w, mu, g, lr, gamma: w)
    with pytest.raises(CheckFailed, match=r"returned 2.0, a float: return an int"):
        check.conv_output_size(lambda W, F, P, S: float((W - F + 2 * P) // S + 1))


@pytest.mark.parametrize("name", sorted(n for names in check.EXERCISES.values() for n in names))
@pytest.mark.parametrize("fn", [np.zeros(3), None, "rnn_step", 1.0])
def test_a_check_called_without_a_function_is_a_type_error_naming_fn(name, fn):
    # a result (or nothing) passed instead of the function: the check is called wrongly, a
    # TypeError before anything runs, not a CheckFailed diagnosis of the student's answer
    with pytest.raises(TypeError, match=rf"^fn must be your function: pass the function itself, "
                                        rf"check\.{name}\({name}\), not its result; "
                                        rf"got {type(fn).__name__}$") as info:
        getattr(check, name)(fn)
    assert not isinstance(info.value, CheckFailed)


def test_random_exercises_must_use_the_generator_they_are_given():
    with pytest.raises(CheckFailed, match="same seed gave different weights"):
        check.he_normal(lambda shape, rng: np.random.default_rng().normal(0, 0.1, size=shape))
    with pytest.raises(CheckFailed, match="same seed gave different masks"):
        check.dropout_keep(lambda x, p, rng, training=True: (
            (r := (np.random.default_rng().random(x.shape) < p) * 1.0) * x, r))


def test_the_inputs_are_copies_a_student_may_change_in_place():
    def momentum_step(w, mu, g, lr, gamma):
        mu *= gamma
        mu -= lr * g
        w += mu
        return w, mu

    check.momentum_step(momentum_step)  # in place on copies: right, and nothing of ours changed
    check.momentum_step(momentum())


def test_in_ipython_a_failure_shows_as_its_message_alone():
    err = CheckFailed("conv1d", "classic mistake: x (on y).", mistake="conv-vs-corr",
                      hint=MISTAKES["conv-vs-corr"][1])
    lines = err._render_traceback_()
    assert lines[0] == "\x1b[0;31m✗ conv1d: classic mistake: x (on y).\x1b[0m"
    assert lines[1:] == [f"Hint: {MISTAKES['conv-vs-corr'][1]}"]


def test_importing_lecturekit_check_loads_only_numpy():
    code = ("import sys, lecturekit.check; print(sorted(m for m in sys.modules "
            "if m.startswith('lecturekit.')), 'scipy' in sys.modules, 'matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["['lecturekit.check']", "False", "False"]
