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
    assert all(s >= 0 for s in h.seconds)


def _cross_entropy(logits, labels):
    """-mean log softmax(logits)[label], written out (not lecturekit.losses)."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(len(labels)), labels])


def test_history_values_equal_the_sgd_loop_written_out():
    # The recorded numbers, not just their count: replay the run by hand (the loop of
    # test_train_equals_the_sgd_loop_written_out) and measure each quantity directly.
    x, y = _toy()
    x_tr, y_tr, x_te, y_te = x[:40], y[:40], x[40:], y[40:]
    h = train(MLP((5, 8, 2), rng=default_rng(0)), (x_tr, y_tr, x_te, y_te),
              optimizer=SGD(lr=0.2), epochs=3, batch_size=16, rng=default_rng(4), progress=False)
    ref = MLP((5, 8, 2), rng=default_rng(0))
    batches = minibatch_indices(40, 16, rng=default_rng(4), epochs=3)
    step_loss, train_loss, train_acc, test_loss, test_acc = [], [], [], [], []
    for _ in range(3):
        losses = []
        for _ in range(3):  # ceil(40 / 16) steps per epoch
            idx = next(batches)
            logits, cache = ref.forward(x_tr[idx])
            losses.append(_cross_entropy(logits, y_tr[idx]))  # the step's loss, before the update
            grads = ref.backward(softmax_cross_entropy_backward(1.0, logits, y_tr[idx]), cache)
            for k in ref.params:
                ref.params[k] -= 0.2 * grads[k]
        step_loss += losses
        train_loss.append(np.mean(losses))
        train_acc.append(np.mean(np.argmax(ref.forward(x_tr)[0], axis=1) == y_tr))
        logits = ref.forward(x_te)[0]
        test_loss.append(_cross_entropy(logits, y_te))
        test_acc.append(np.mean(np.argmax(logits, axis=1) == y_te))
    np.testing.assert_allclose(h.step_loss, step_loss, rtol=1e-12)
    np.testing.assert_allclose(h.train_loss, train_loss, rtol=1e-12)
    np.testing.assert_allclose(h.test_loss, test_loss, rtol=1e-12)
    assert h.train_accuracy == train_acc and h.test_accuracy == test_acc
    assert h.step_loss[-1] < h.step_loss[0]  # and the replayed run does learn something


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
    # ... and not because nothing happened: training moved every parameter from its init
    init = LeNet(rng=default_rng(11), channels=(4, 8), hidden=16).params
    assert all(not np.array_equal(a[k], init[k]) for k in a)


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
    with pytest.raises(ValueError, match=r"data\[1\] \(y_train\) must have shape \(60,\)"):
        train(model, (x, y[:10]), optimizer=GD(lr=0.1), **kw)
    with pytest.raises(TypeError, match=r"data\[1\] \(y_train\) must be integer class labels"):
        train(model, (x, y.astype(float)), optimizer=GD(lr=0.1), **kw)
    with pytest.raises(TypeError, match=r"optimizer must be a lecturekit.optim optimiser"):
        train(model, (x, y), optimizer="adam", **kw)


def test_train_runs_dropout_and_bn_models_in_training_mode_as_the_loop_written_out():
    # the masks come from the training rng, after each epoch's shuffle; evaluation mode after
    x, y = _toy(64)
    kw = dict(batch_norm=True, keep_prob=0.5, input_keep_prob=0.8)
    model, ref = MLP((5, 6, 2), rng=default_rng(1), **kw), MLP((5, 6, 2), rng=default_rng(1), **kw)
    h = train(model, (x, y), optimizer=SGD(lr=0.1), epochs=2, batch_size=16, rng=default_rng(2),
              progress=False)
    rng = default_rng(2)
    for idx in minibatch_indices(64, 16, rng=rng, epochs=2):
        logits, cache = ref.forward(x[idx], training=True, rng=rng)
        grads = ref.backward(softmax_cross_entropy_backward(1.0, logits, y[idx]), cache)
        for k in ref.params:
            ref.params[k] -= 0.1 * grads[k]
    for k in model.params:
        np.testing.assert_allclose(model.params[k], ref.params[k], rtol=1e-13, atol=1e-15)
    for k in model.running:
        np.testing.assert_allclose(model.running[k], ref.running[k], rtol=1e-13)
    loss, acc = evaluate(ref, x, y)
    assert h.train_eval_loss[-1] == pytest.approx(loss, rel=1e-13) and h.train_accuracy[-1] == acc
    assert loss == pytest.approx(softmax_cross_entropy(ref.forward(x)[0], y), rel=1e-13)


def test_stop_on_divergence_ends_a_run_whose_loss_overflows():
    x, y = _toy()
    h = train(MLP((5, 16, 2), rng=default_rng(0)), (x, y), optimizer=SGD(lr=1e6), epochs=5,
              batch_size=8, rng=default_rng(0), progress=False, stop_on_divergence=True)
    assert h.diverged and len(h.epoch) < 5
    ok = train(MLP((5, 16, 2), rng=default_rng(0)), (x, y), optimizer=SGD(lr=0.1), epochs=2,
               batch_size=8, rng=default_rng(0), progress=False, stop_on_divergence=True)
    assert not ok.diverged and len(ok.epoch) == 2


def test_training_runs_with_one_blas_thread():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    seen = []

    def record(history):
        seen.extend(i["num_threads"] for i in threadpoolctl.threadpool_info()
                    if i["user_api"] == "blas")

    x, y = _toy()
    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        train(MLP((5, 4, 2), rng=default_rng(0)), (x, y), optimizer=SGD(lr=0.1), epochs=1,
              batch_size=8, rng=default_rng(0), progress=record)
        after = [i["num_threads"] for i in threadpoolctl.threadpool_info()
                 if i["user_api"] == "blas"]
    assert seen and set(seen) == {1}
    assert after and max(after) <= 2  # the caller's limit is back afterwards
