"""The notebooks' learning experiments: each claim their prose makes, over at least 3 seeds.

The margins are the ones the seeds support (the notebooks print the per-seed
numbers); where the prose says an effect is small or absent, the test asserts that.
"""

import numpy as np
import pytest

from lecturekit import experiments as X
from lecturekit import schedules as S
from lecturekit.objectives import least_squares_minimizer, make_least_squares
from lecturekit.resnet import gradient_norms_by_depth
from lecturekit.rng import default_rng

SEEDS = (0, 1, 2)


def _final(r, key):
    return r[key][:, -1]


# ------------------------------------------------------------------ 01: L2 and dropout

@pytest.fixture(scope="module")
def gap():
    return X.regularisation_gap(SEEDS)


def test_l2_lowers_the_test_loss_in_every_seed_but_not_the_accuracy_gap(gap):
    none, l2 = gap["none"], gap["l2"]
    # 100 images: without a penalty the training loss goes to ~0 and the test loss stays high
    assert np.all(_final(none, "train_loss") < 0.01)
    assert np.max(_final(l2, "test_loss")) < np.min(_final(none, "test_loss")) - 0.1
    assert np.all(_final(l2, "train_loss") > 5 * _final(none, "train_loss"))
    # ... while the accuracy gap hardly moves: both about 20-25 points
    assert abs(l2["gap"].mean() - none["gap"].mean()) < 0.05
    assert np.all((0.15 < none["gap"]) & (none["gap"] < 0.3))


def test_dropout_does_not_help_on_100_images(gap):
    none, drop = gap["none"], gap["dropout"]
    # the seeds' final test losses overlap; the mean accuracy gap is not smaller (a few
    # points larger, by less than 10)
    lo, hi = _final(drop, "test_loss").min(), _final(drop, "test_loss").max()
    assert lo <= _final(none, "test_loss").max() and hi >= _final(none, "test_loss").min()
    assert 0 <= drop["gap"].mean() - none["gap"].mean() < 0.1


# ------------------------------------------------------------------ 01: schedules and SGD

def test_a_constant_step_stalls_and_a_decaying_one_keeps_approaching_omega_star():
    x, y = make_least_squares(1000, rng=default_rng(9))
    w_star = least_squares_minimizer(x, y)
    for seed in (15, 16, 17):
        tail = {}
        for name, sched in (("constant", S.constant(0.05)),
                            ("inverse_time", S.inverse_time_decay(0.05, k=0.01))):
            w, d = X.sgd_least_squares(sched, x, y, steps=400, rng=default_rng(seed))
            np.testing.assert_array_equal(d, np.abs(w - w_star))
            tail[name] = np.sqrt(np.mean(d[-100:] ** 2))
        assert tail["inverse_time"] < 0.7 * tail["constant"], (seed, tail)


def test_sgd_least_squares_is_the_update_written_out():
    x, y = np.array([1.0, -2.0, 0.5]), np.array([2.0, -3.0, 1.0])
    w, _ = X.sgd_least_squares(S.step_decay(0.1, factor=0.5, every=2), x, y, steps=6,
                               rng=default_rng(0))
    idx = default_rng(0).integers(0, 3, size=6)
    v = 0.0
    for k, i in enumerate(idx):
        v -= 0.1 * 0.5 ** (k // 2) * 2 * x[i] * (v * x[i] - y[i])
        assert w[k + 1] == pytest.approx(v, rel=1e-15)


# ------------------------------------------------------------------ 02: BN and learning rates

@pytest.fixture(scope="module")
def bn():
    return X.bn_learning_rates(SEEDS)


def test_bn_trains_faster_and_over_a_wider_range_of_learning_rates(bn):
    lrs = list(bn["lrs"])
    # at α = 0.1 and 0.3 BN's training loss after 3 epochs is below the plain one, every seed
    for lr in (0.1, 0.3):
        i = lrs.index(lr)
        assert np.all(bn["bn"][:, i] < bn["plain"][:, i]), lr
    # at α = 1 the plain network is stuck at chance (log 10 = 2.30); with BN it trains
    i = lrs.index(1.0)
    assert np.all(bn["plain"][:, i] > 2.2) and np.all(bn["bn"][:, i] < 1.0)
    # the best loss with BN is lower than the best without
    assert bn["bn"].min(axis=1).max() < bn["plain"].min(axis=1).min()


# ------------------------------------------------------------------ 02: init on a deep MLP

@pytest.fixture(scope="module")
def inits():
    return X.init_depth(SEEDS)


def test_on_a_deep_relu_mlp_only_he_trains_well_and_small_or_zero_weights_not_at_all(inits):
    acc = {k: _final(v, "train_accuracy") for k, v in inits.items()}
    assert acc["kaiming_normal"].min() > 0.5
    assert acc["kaiming_normal"].min() > max(acc["xavier_normal"].max(), acc["lecun_normal"].max())
    for name in ("normal", "zeros"):  # stuck: every image gets the same class
        assert np.all(acc[name] < 0.15), name
        assert np.all(np.abs(inits[name]["train_loss"][:, -1] - np.log(10)) < 0.01)


# ------------------------------------------------------------------ 04: keep probabilities

@pytest.fixture(scope="module")
def keeps():
    return X.keep_probabilities(SEEDS)


def test_the_recommended_keep_probabilities_do_not_help_on_200_images(keeps):
    test = {k: _final(v, "test_accuracy") for k, v in keeps.items()}
    # 0.8 input / 0.5 hidden: no better than no dropout on average (here about 2 points worse)
    assert test[(0.8, 0.5)].mean() <= test[(1.0, 1.0)].mean() + 0.01
    # hidden-only 0.5 is as good as none, within 2 points on average
    assert abs(test[(1.0, 0.5)].mean() - test[(1.0, 1.0)].mean()) < 0.02
    # keeping only half the inputs hurts, in every seed
    assert np.all(test[(0.5, 0.5)] < test[(1.0, 1.0)] - 0.1)


# ------------------------------------------------------------------ 05: BN in LeNet

def test_bn_lenet_beats_the_plain_lenet_after_4_epochs_of_momentum():
    from lecturekit.explore.training import _train_lenet

    for seed in SEEDS:
        kw = dict(optimizer="momentum", lr=0.05, schedule="constant", epochs=4, batch_size=32,
                  seed=seed)
        plain, with_bn = _train_lenet(**kw), _train_lenet(**kw, batch_norm=True)
        assert with_bn["test_accuracy"][-1] > plain["test_accuracy"][-1] + 0.005, seed
        # the notebook's "about 94-96 %" without BN and "about 97 %" with it
        assert 0.935 <= plain["test_accuracy"][-1] <= 0.965, seed
        assert with_bn["test_accuracy"][-1] >= 0.96, seed


# ------------------------------------------------------------------ 05: ResNet branch scale

def test_scaling_the_residual_branch_stops_the_relu_explosion():
    for seed in SEEDS:
        kw = dict(residual=True, activation="relu", init="kaiming_normal")
        sum_ = gradient_norms_by_depth(50, 32, rng=default_rng(seed), **kw).input_grad
        scaled = gradient_norms_by_depth(50, 32, rng=default_rng(seed), **kw,
                                         branch_scale=1 / np.sqrt(50)).input_grad
        assert sum_[0] / sum_[-1] > 1e8
        assert scaled[0] / scaled[-1] < 10


# ------------------------------------------------------------------ the inputs: checked at the call

SMALL = dict(n_train=20, epochs=1, hidden=4, batch_size=10)


def test_digits_run_checks_its_flag_its_callback_and_every_choice():
    with pytest.raises(TypeError, match=r"^cached must be True or False, got 'False'"):
        X.digits_run(**SMALL, cached="False")
    with pytest.raises(TypeError, match=r"^progress must be a callable progress\(partial_result\)"):
        X.digits_run(**SMALL, progress="print")
    for key in ("optimizer", "schedule"):
        with pytest.raises(ValueError, match=rf"^{key} must be one of "):
            X.digits_run(**SMALL, **{key: "bogus"})
        with pytest.raises(ValueError, match=rf"^{key} must be one of "):
            X.is_cached(**SMALL, **{key: ["sgd"]})  # not an unhashable-type error from the cache
    # a callback's return value is ignored: it is called for the epochs, once each
    calls = []
    X.digits_run(**SMALL, cached=False, progress=lambda part: calls.append(part["done"]) or "x")
    assert calls == [1]


def test_a_divergence_leaves_nan_in_every_curve_and_step_loss_its_length():
    r = X.digits_run(**{**SMALL, "epochs": 2}, weight_decay=1e300)
    assert r["diverged"] and r["done"] == 0
    assert r["step_loss"].shape == (4,) and np.all(np.isnan(r["step_loss"]))  # 2 epochs x 2 steps
    assert np.isnan(r["train_loss"][1:]).all() and np.isfinite(r["train_loss"][0])
    ok = X.digits_run(**{**SMALL, "epochs": 2})
    assert ok["step_loss"].shape == (4,) and np.all(np.isfinite(ok["step_loss"]))


def test_store_run_refuses_what_is_not_a_result_and_keeps_the_cache_clean():
    before = X.run_cache_size()
    for bad, error, words in (
            (None, TypeError, r"^result must be a result of digits_run \(a dict with the key "
                              r"'setting'"),
            ({"setting": [1]}, TypeError, r"^result must be a result of digits_run"),
            ({"setting": dict(SMALL)}, ValueError, r"^result must be a result of digits_run, "
                                                   r"with the keys .* it lacks \['epoch'"),
            ({**X.digits_run(**SMALL), "setting": {"bogus": 1}}, TypeError,
             r"^result\['setting'\] is not a setting of digits_run: digits_run got unknown"),
            ({**X.digits_run(**SMALL), "setting": {**SMALL, "n_train": 0}}, ValueError,
             r"^result\['setting'\] is not a setting of digits_run: n_train must be >= 2")):
        before = X.run_cache_size()
        with pytest.raises(error, match=words):
            X.store_run(bad)
        assert X.run_cache_size() == before


class _Queue:
    def __init__(self):
        self.messages = []

    def put(self, message):
        self.messages.append(message)


def test_train_in_process_checks_its_arguments_and_still_tells_the_parent(monkeypatch):
    monkeypatch.setattr(X.os, "nice", lambda increment: 0)  # this process keeps its priority
    with pytest.raises(TypeError, match=r"^queue must be a queue \(with a method put"):
        X.train_in_process([dict(SMALL)], [])
    for settings, error, words in (
            (None, TypeError, r"^settings must be a list of dicts"),
            (dict(SMALL), TypeError, r"^settings must be a list of dicts"),
            ([dict(SMALL), "abc"], TypeError, r"^settings\[1\] must be a dict"),
            ([{**SMALL, "n_train": 1}], ValueError,
             r"^settings\[0\] is not a setting of digits_run: n_train must be >= 2")):
        queue = _Queue()
        with pytest.raises(error, match=words):
            X.train_in_process(settings, queue)
        # the parent waits on the queue: it hears the error, then the end, before anything ran
        assert [m[0] for m in queue.messages] == ["error", "end"]
        assert queue.messages[0][1].startswith(f"{error.__name__}: settings")
    queue = _Queue()
    X.train_in_process([dict(SMALL)], queue)
    assert [m[0] for m in queue.messages] == ["epoch", "run", "end"]
    assert queue.messages[1][2]["setting"]["n_train"] == 20


def test_digits_runs_takes_a_list_of_seeds_and_no_single_seed():
    with pytest.raises(TypeError, match=r"^seeds must be a tuple or list of ints >= 0, got NoneType"):
        X.digits_runs(None, **SMALL)
    with pytest.raises(TypeError, match=r"^seeds must be a tuple or list of ints >= 0, got str"):
        X.digits_runs("012", **SMALL)
    with pytest.raises(ValueError, match=r"^seeds\[1\] must be >= 0, got -1"):
        X.digits_runs((0, -1), **SMALL)
    with pytest.raises(TypeError, match=r"^digits_runs takes its seeds as seeds=\(\.\.\.\), not seed=3"):
        X.digits_runs((0, 1), **SMALL, seed=3)
    r = X.digits_runs([0, 1], **SMALL)
    assert r["seeds"] == (0, 1) and r["train_loss"].shape == (2, 2)


def test_the_experiments_check_their_lists():
    small = dict(seeds=(0,), n_train=20, epochs=1)
    with pytest.raises(TypeError, match=r"^pairs must be a non-empty list of \(input_keep, "
                                        r"hidden_keep\) pairs, got NoneType"):
        X.keep_probabilities(**small, pairs=None)
    with pytest.raises(TypeError, match=r"^pairs\[0\] must be a pair \(input_keep, hidden_keep\), "
                                        r"got \(1.0,\)"):
        X.keep_probabilities(**small, pairs=((1.0,),))
    with pytest.raises(ValueError, match=r"^pairs\[1\]\[1\] must be in \(0, 1\], got 1.5"):
        X.keep_probabilities(**small, pairs=((1.0, 1.0), (0.8, 1.5)))
    with pytest.raises(ValueError, match=r"^lrs must be a non-empty list of learning rates > 0"):
        X.bn_learning_rates(**small, lrs=(0.1, 0.0))
    with pytest.raises(ValueError, match=r"^lrs must hold distinct learning rates"):
        X.bn_learning_rates(**small, lrs=(0.1, 0.1))
    with pytest.raises(TypeError, match=r"^lrs must be an array of numbers"):
        X.bn_learning_rates(**small, lrs=None)
    with pytest.raises(TypeError, match=r"^inits must be a non-empty list of names .* got str "
                                        r"\(a single name: put it in a list\)"):
        X.init_depth(**small, inits="zeros")
    with pytest.raises(ValueError, match=r"^inits\[1\] must be one of "):
        X.init_depth(**small, inits=("zeros", "bogus"))
    # the runs are keyed by the rates as Python floats
    r = X.bn_learning_rates(**small, lrs=[0.1, 1.0], depth=1, hidden=4)
    assert set(r["runs"]) == {(False, 0.1), (False, 1.0), (True, 0.1), (True, 1.0)}
    assert r["bn"].shape == r["plain"].shape == (1, 2)


def test_sgd_least_squares_checks_the_schedule_and_w0_and_refuses_an_overflow():
    x, y = np.array([1.0, -2.0, 0.5]), np.array([2.0, -3.0, 1.0])
    with pytest.raises(TypeError, match=r"^schedule must be a lecturekit.schedules.Schedule or a "
                                        r"number, got the callable <lambda>"):
        X.sgd_least_squares(lambda t: 0.1, x, y, steps=3, rng=default_rng(0))
    with pytest.raises(ValueError, match=r"^schedule must be in \(0, inf\], got 0"):
        X.sgd_least_squares(0.0, x, y, steps=3, rng=default_rng(0))
    with pytest.raises(TypeError, match=r"^w0 must be a real number, got '1.0'"):
        X.sgd_least_squares(0.1, x, y, steps=3, rng=default_rng(0), w0="1.0")
    with pytest.raises(ValueError, match=r"^the SGD iterate w_k overflows float64 .*schedule is too "
                                         r"large"):
        X.sgd_least_squares(1e100, x, y, steps=20, rng=default_rng(0))
    # a number is the constant schedule
    w, d = X.sgd_least_squares(0.1, x, y, steps=6, rng=default_rng(0))
    w2, d2 = X.sgd_least_squares(S.constant(0.1), x, y, steps=6, rng=default_rng(0))
    np.testing.assert_array_equal(w, w2)
    np.testing.assert_array_equal(d, d2)
