"""lecturekit.train: the loop is SGD written out, it is deterministic, LeNet learns the digits."""

import io
import sys

import numpy as np
import pytest

from lecturekit.datasets import load_digits
from lecturekit.losses import softmax_cross_entropy, softmax_cross_entropy_backward
from lecturekit.models import MLP, LeNet
from lecturekit.optim import GD, SGD, AdamW, minibatch_indices
from lecturekit.rng import default_rng
from lecturekit.schedules import cosine_decay
from lecturekit.train import History, evaluate, train


def _toy(n=60, seed=0):
    rng = default_rng(seed)
    x = rng.normal(size=(n, 5))
    return x, (x[:, 0] + x[:, 1] > 0).astype(np.int64)


def test_train_equals_the_sgd_loop_written_out():
    x, y = _toy()
    model = MLP((5, 6, 2), rng=default_rng(1))
    ref = MLP((5, 6, 2), rng=default_rng(1))
    train(model, (x, y), optimizer=SGD(lr=0.1), epochs=2, batch_size=16, rng=default_rng(2),
          progress=False)
    # the same steps by hand: I_k from minibatch_indices, g_k the minibatch mean gradient
    for idx in minibatch_indices(60, 16, rng=default_rng(2), epochs=2):
        logits, cache = ref.forward(x[idx])
        grads = ref.backward(softmax_cross_entropy_backward(1.0, logits, y[idx]), cache)
        for k in ref.params:
            ref.params[k] -= 0.1 * grads[k]
    for k in model.params:
        np.testing.assert_allclose(model.params[k], ref.params[k], rtol=1e-13, atol=1e-15)


def test_history_records_every_epoch_and_step():
    x, y = _toy()
    h = train(MLP((5, 8, 2), rng=default_rng(0)), (x[:40], y[:40], x[40:], y[40:]),
              optimizer=AdamW(lr=0.02), epochs=3, batch_size=16, rng=default_rng(0),
              progress=False)
    assert isinstance(h, History)
    assert h.epoch == [1, 2, 3] and len(h.step_loss) == 3 * 3
    assert len(h.test_accuracy) == len(h.test_loss) == len(h.seconds) == 3
    assert h.train_loss[0] == pytest.approx(np.mean(h.step_loss[:3]))
    assert all(0 <= a <= 1 for a in h.train_accuracy + h.test_accuracy)


def test_evaluate_matches_the_loss_and_accuracy_computed_directly():
    x, y = _toy(50)
    model = MLP((5, 4, 2), rng=default_rng(3))
    logits, _ = model.forward(x)
    loss, acc = evaluate(model, x, y, batch_size=7)  # chunking must not change the result
    assert loss == pytest.approx(softmax_cross_entropy(logits, y), rel=1e-12)
    assert acc == np.mean(np.argmax(logits, axis=1) == y)


def test_training_is_deterministic_for_a_seed():
    d = load_digits()
    data = (d.x_train[:200], d.y_train[:200])

    def run():
        rng = default_rng(11)
        model = LeNet(rng=rng, channels=(4, 8), hidden=16)
        train(model, data, optimizer=AdamW(lr=0.01), epochs=1, batch_size=32, rng=rng,
              progress=False)
        return model.params

    a, b = run(), run()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_progress_line_and_callback(monkeypatch):
    x, y = _toy()
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    train(MLP((5, 2), rng=default_rng(0)), (x, y), optimizer=GD(lr=0.1), epochs=2,
          batch_size=20, rng=default_rng(0))
    text = out.getvalue()
    assert "epoch 2/2 [####################] 3/3 loss" in text
    assert "epoch 2: train loss" in text and text.endswith("\n")
    seen = []
    train(MLP((5, 2), rng=default_rng(0)), (x, y), optimizer=GD(lr=0.1), epochs=2,
          batch_size=20, rng=default_rng(0), progress=lambda h: seen.append(h.epoch[-1]))
    assert seen == [1, 2]


@pytest.mark.slow
def test_lenet_reaches_97_percent_on_the_digits():
    d = load_digits()
    rng = default_rng(0)
    model = LeNet(rng=rng)
    epochs, batch_size = 8, 32
    steps = epochs * -(-len(d.y_train) // batch_size)
    h = train(model, d, optimizer=AdamW(lr=cosine_decay(0.01, steps=steps), weight_decay=0.05),
              epochs=epochs, batch_size=batch_size, rng=rng, progress=False)
    assert h.test_accuracy[-1] >= 0.97
    assert h.train_loss[-1] < h.train_loss[0] / 10


def test_bad_training_arguments_raise():
    x, y = _toy()
    model = MLP((5, 2), rng=default_rng(0))
    kw = dict(epochs=1, batch_size=8, rng=default_rng(0), progress=False)
    with pytest.raises(ValueError, match=r"data must be \(x_train, y_train\)"):
        train(model, (x,), optimizer=GD(lr=0.1), **kw)
    with pytest.raises(ValueError, match=r"y_train must have shape \(60,\)"):
        train(model, (x, y[:10]), optimizer=GD(lr=0.1), **kw)
    with pytest.raises(TypeError, match=r"y_train must be integer class labels"):
        train(model, (x, y.astype(float)), optimizer=GD(lr=0.1), **kw)
    with pytest.raises(TypeError, match=r"optimizer must be a lecturekit.optim optimiser"):
        train(model, (x, y), optimizer="adam", **kw)
