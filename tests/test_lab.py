"""The training lab: its runs are the training loop written out, in the foreground or not."""

import numpy as np
import pytest

from lecturekit import experiments as X
from lecturekit.explore import TrainingLab
from lecturekit.explore.lab import has_reference, lab_settings
from lecturekit.losses import softmax_cross_entropy, softmax_cross_entropy_backward
from lecturekit.models import MLP
from lecturekit.optim import minibatch_indices
from lecturekit.rng import default_rng
from lecturekit.schedules import step_decay

SMALL = dict(model="mlp", batch_norm=False, keep_prob=0.5, weight_decay=0.01,
             init="kaiming_normal", optimizer="momentum", lr=0.1, schedule="step", n_train=100,
             epochs=4, seeds="3", reference="no regularisers")


def _written_out(*, keep_prob, weight_decay, lr, n, epochs, seed, batch=32):
    """MLP 64-64-10, Lecture 4's momentum with the L2 gradient λw added, step decay, by hand."""
    d = X.digits()
    x, y = d.x_train[:n], d.y_train[:n]
    rng = default_rng(seed)
    model = MLP((64, 64, 10), rng=rng, keep_prob=keep_prob)
    steps = -(-n // batch)
    rate = step_decay(lr, factor=0.5, every=3 * steps)
    mu = {k: np.zeros_like(v) for k, v in model.params.items()}
    t = 0
    curves = {k: [] for k in ("train_loss", "test_loss", "train_accuracy", "test_accuracy")}

    def measure():
        for name, (xs, ys) in (("train", (x, y)), ("test", (d.x_test, d.y_test))):
            logits = model.forward(xs)[0]  # evaluation mode: no mask
            curves[f"{name}_loss"].append(softmax_cross_entropy(logits, ys))
            curves[f"{name}_accuracy"].append(np.mean(np.argmax(logits, axis=1) == ys))

    measure()
    for idx in minibatch_indices(n, batch, rng=rng, epochs=epochs):
        logits, cache = model.forward(x[idx], training=True, rng=rng)
        grads = model.backward(softmax_cross_entropy_backward(1.0, logits, y[idx]), cache)
        alpha = rate(t)
        for k, w in model.params.items():
            g = grads[k] + weight_decay * w  # the gradient of (λ/2)||w||²
            mu[k] = 0.9 * mu[k] - alpha * g
            w += mu[k]
        t += 1
        if t % steps == 0:
            measure()
    return {k: np.array(v) for k, v in curves.items()}


def test_a_lab_run_equals_the_training_loop_written_out():
    lab = TrainingLab(**SMALL)
    assert not lab.result["trained"] and "press Train" in lab.status.get_text()
    r = lab.run()
    assert r["trained"]
    ref = _written_out(keep_prob=0.5, weight_decay=0.01, lr=0.1, n=100, epochs=4, seed=3)
    main = r["main"]
    for k, v in ref.items():
        np.testing.assert_allclose(main[k][0], v, rtol=1e-10, err_msg=k)
    # the reference run: the same without dropout and L2
    plain = _written_out(keep_prob=1.0, weight_decay=0.0, lr=0.1, n=100, epochs=4, seed=3)
    np.testing.assert_allclose(r["ref"]["test_loss"][0], plain["test_loss"], rtol=1e-10)
    gap = 100 * (ref["train_accuracy"][-1] - ref["test_accuracy"][-1])
    assert f"train − test accuracy {gap:.1f} points" in lab.status.get_text()


@pytest.mark.parametrize("background", [True, "thread"])
def test_the_background_run_delivers_the_foreground_numbers(background):
    # a child process (the Train button's way) or a thread of this process
    setting = {**SMALL, "epochs": 3, "seeds": "3-5" if background is True else "0-2"}
    lab = TrainingLab(**setting)
    box = lab.widget
    assert box is not None and lab.progress.value == 0
    thread = lab.run(background=background)
    thread.join()
    assert lab.result["trained"]
    assert (lab.progress.value, lab.progress.max, lab.progress.bar_style) == (18, 18, "success")
    main, ref = lab_settings(**setting)
    assert len(main) == len(ref) == 3
    foreground = [X.digits_run(cached=False, **s) for s in main]
    stack = np.stack([f["test_accuracy"] for f in foreground])
    np.testing.assert_array_equal(lab.result["main"]["test_accuracy"][0], stack.mean(axis=0))
    np.testing.assert_array_equal(lab.result["main"]["test_accuracy"][1], stack.min(axis=0))
    for f, s in zip(foreground, main, strict=True):
        cached = X.digits_run(**s)  # what the background thread stored
        for k in ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "step_loss"):
            np.testing.assert_array_equal(cached[k], f[k])


def test_the_train_button_trains_in_the_background_and_the_figure_shows_it():
    lab = TrainingLab(**{**SMALL, "seeds": "4", "epochs": 2})
    assert lab.widget is not None
    before = lab.image.value
    lab.button.click()
    lab._thread.join()
    assert lab.result["trained"] and lab.image.value == lab.png != before
    assert not lab.button.disabled


def test_reference_is_inactive_without_a_regulariser_or_bn_and_runs_are_cached_per_seed():
    plain = {**SMALL, "keep_prob": 1.0, "weight_decay": 0.0}
    lab = TrainingLab(**plain)
    assert "reference" in lab.inactive(lab.params)
    assert lab_settings(**plain)[1] == []
    assert has_reference({**plain, "batch_norm": True}, "no BN")
    main, ref = lab_settings(**{**SMALL, "seeds": "3-5"})
    assert [s["seed"] for s in main] == [3, 4, 5] and all(s["keep_prob"] == 1 for s in ref)
    X.digits_run(**main[0])
    assert X.is_cached(**main[0])
    assert lab.pending({**SMALL, "seeds": "3-5"}) == [s for s in main + ref if not X.is_cached(**s)]


def test_a_diverging_learning_rate_is_shown_not_raised():
    lab = TrainingLab(**{**SMALL, "optimizer": "sgd", "lr": 3.0, "keep_prob": 1.0,
                         "weight_decay": 0.0, "init": "normal", "epochs": 2})
    r = lab.run()
    assert r["trained"]
    assert lab.message is None


@pytest.mark.parametrize("model", ["mlp", "lenet"])
def test_digits_run_validates_its_settings(model):
    with pytest.raises(TypeError, match="unknown setting"):
        X.digits_run(model=model, colour="red")
    with pytest.raises(ValueError, match="keep_prob"):
        X.digits_run(model=model, keep_prob=0.0)
