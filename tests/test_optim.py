"""lecturekit.optim: each update against the lecture's hand-unrolled formulas."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit.objectives import (
    least_squares,
    least_squares_per_sample_grads,
    make_least_squares,
    noisy_finite_sum,
    quadratic,
    rosenbrock,
)
from lecturekit.optim import (
    GD,
    SGD,
    Adam,
    AdamW,
    Momentum,
    MomentumPyTorch,
    Nesterov,
    minibatch_indices,
    run_side_by_side,
    trajectory,
)
from lecturekit.rng import default_rng
from lecturekit.schedules import linear_ramp, step_decay

SMALL = settings(max_examples=20, deadline=None)


def test_gd_is_w_minus_lr_g_for_every_parameter():
    rng = default_rng(0)
    ws = [rng.normal(size=(3, 2)), rng.normal(size=4)]
    gs = [rng.normal(size=(3, 2)), rng.normal(size=4)]
    expected = [w - 0.1 * g for w, g in zip(ws, gs, strict=True)]
    GD(lr=0.1).step(ws, gs)
    for w, e in zip(ws, expected, strict=True):
        np.testing.assert_allclose(w, e, rtol=1e-15)


def test_sgd_step_is_w_minus_lr_times_the_minibatch_mean_of_per_sample_gradients():
    # MLP lecture: g_k = (1/|I_k|) sum_{i in I_k} grad f_i(omega_k), omega_{k+1} = omega_k - alpha g_k.
    # The per-sample gradients come from centred differences of f_i(omega) = (omega x_i - y_i)^2,
    # written out here, not from lecturekit.objectives.
    x, y = make_least_squares(40, rng=default_rng(5))
    alpha, w0, h = 0.05, 1.7, 1e-6

    def f_i(w, i):
        return (w * x[i] - y[i]) ** 2

    batches = minibatch_indices(40, 8, rng=default_rng(6), epochs=1)
    idx = next(batches)
    g_batch = np.mean([(f_i(w0 + h, i) - f_i(w0 - h, i)) / (2 * h) for i in idx])
    w_sgd = np.array(w0)
    SGD(lr=alpha).step([w_sgd], [least_squares_per_sample_grads(w0, x, y)[idx].mean()])
    assert float(w_sgd) == pytest.approx(w0 - alpha * g_batch, rel=1e-9)
    # ... and is not the full-batch step: a minibatch of 8 of 40 samples sees another gradient
    g_full = np.mean([(f_i(w0 + h, i) - f_i(w0 - h, i)) / (2 * h) for i in range(40)])
    assert abs(g_batch - g_full) > 1e-3
    assert float(w_sgd) != pytest.approx(w0 - alpha * g_full, rel=1e-6)


def test_sgd_with_full_batch_equals_gd():
    # Lecture 4: m = full data set (GD) or m = batch size (SGD); with |I_k| = N they coincide.
    # (SGD is GD by construction: the class adds a docstring.) The reference is the GD loop
    # written out, w <- w - alpha (2/N) sum_i x_i (w x_i - y_i).
    x, y = make_least_squares(20, rng=default_rng(0))
    w_sgd, w_ref = np.array(3.0), 3.0
    sgd = SGD(lr=0.1)
    for idx in minibatch_indices(20, 20, rng=default_rng(1), epochs=10):
        assert sorted(idx) == list(range(20))
        sgd.step([w_sgd], [least_squares_per_sample_grads(float(w_sgd), x, y)[idx].mean()])
        w_ref -= 0.1 * 2 / 20 * sum(x[i] * (w_ref * x[i] - y[i]) for i in range(20))
        assert float(w_sgd) == pytest.approx(w_ref, rel=1e-12)


def test_sgd_step_is_gd_step_plus_zero_mean_noise():
    # omega_{k+1} = omega_k - alpha (g_hat + eps_k), eps_k = g_k - g_hat has mean 0
    x, y = make_least_squares(30, rng=default_rng(2))
    g = least_squares_per_sample_grads(0.5, x, y)
    g_hat = least_squares(0.5, x, y)[1]
    rng, steps = default_rng(3), []
    for _ in range(4000):
        w = np.array(0.5)
        SGD(lr=0.1).step([w], [g[next(minibatch_indices(30, 5, rng=rng))].mean()])
        steps.append(float(w) - 0.5)
    eps = -np.array(steps) / 0.1 - g_hat
    assert abs(eps.mean()) < 5 * eps.std() / np.sqrt(len(eps))
    # the noise of a mean of B = 5 of N = 30 drawn without replacement:
    # Var = sigma^2 / B * (N - B) / (N - 1), sigma^2 the population variance of the g_i
    predicted = g.var() / 5 * (30 - 5) / (30 - 1)
    assert eps.var(ddof=1) == pytest.approx(predicted, rel=0.15)


def test_gd_step_is_a_residual_update():
    # Lecture 14: x_{t+1} = x_t + f_t(x_t), "e.g. gradient descent", with f(w) = -lam grad L(w)
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    w = np.array([1.0, -1.0])
    x = w.copy()
    opt = GD(lr=0.2)
    for _ in range(5):
        opt.step([w], [A @ w])
        x = x + (-0.2 * A @ x)
        np.testing.assert_allclose(w, x, rtol=1e-15)


def test_dict_params_are_updated_by_key():
    params = {"w": np.ones(2), "b": np.zeros(1)}
    GD(lr=1.0).step(params, {"b": np.array([2.0]), "w": np.array([1.0, -1.0])})
    np.testing.assert_array_equal(params["w"], [0.0, 2.0])
    np.testing.assert_array_equal(params["b"], [-2.0])


def test_momentum_reproduces_lecture_4_example_exactly():
    # Lecture 4: gamma = 0.9, mu_0 = 0: mu_1 = -lam g0, w1 = w0 - lam g0,
    # mu_2 = -lam (0.9 g0 + g1), w2 = w1 - lam (0.9 g0 + g1).
    lam = 0.25
    w0 = np.array([1.0, -2.0, 0.5])
    g0 = np.array([0.5, 1.0, -4.0])
    g1 = np.array([2.0, -1.0, 0.25])
    w = w0.copy()
    opt = Momentum(lr=lam, gamma=0.9)
    opt.step([w], [g0])
    np.testing.assert_array_equal(opt.mu[0], -lam * g0)
    np.testing.assert_array_equal(w, w0 - lam * g0)
    w1 = w.copy()
    opt.step([w], [g1])
    np.testing.assert_allclose(opt.mu[0], -lam * (0.9 * g0 + g1), rtol=1e-15)
    np.testing.assert_allclose(w, w1 - lam * (0.9 * g0 + g1), rtol=1e-15)
    assert opt.t == 2


def test_momentum_gamma_schedule_from_half_to_nine_tenths():
    # gamma_t follows the schedule: mu_{t+1} = gamma_t mu_t - lam g_t
    gamma = linear_ramp(0.5, 0.9, steps=4)
    gs = [np.array([1.0]), np.array([-2.0]), np.array([0.5]), np.array([3.0]), np.array([1.0])]
    w = np.array([0.0])
    opt = Momentum(lr=0.1, gamma=gamma)
    mu, w_ref = 0.0, 0.0
    for t, g in enumerate(gs):
        gamma_t = [0.5, 0.6, 0.7, 0.8, 0.9][t]
        mu = gamma_t * mu - 0.1 * g[0]
        w_ref += mu
        opt.step([w], [g])
        assert w[0] == pytest.approx(w_ref, rel=1e-14)


def _quadratic_grad(A):
    return lambda w: A @ w


def test_notes_momentum_equals_pytorch_momentum_under_a_constant_learning_rate():
    rng = default_rng(1)
    A = np.diag([1.0, 10.0])
    w_notes, w_torch = np.array([1.0, 1.0]), np.array([1.0, 1.0])
    notes, torch_form = Momentum(lr=0.05, gamma=0.9), MomentumPyTorch(lr=0.05, momentum=0.9)
    for _ in range(30):
        noise = rng.normal(size=2)
        notes.step([w_notes], [A @ w_notes + noise])
        torch_form.step([w_torch], [A @ w_torch + noise])
        np.testing.assert_allclose(w_notes, w_torch, rtol=1e-12, atol=1e-14)
        # mu_notes = -lr * v_torch
        np.testing.assert_allclose(notes.mu[0], -0.05 * torch_form.v[0], rtol=1e-12, atol=1e-14)


def test_notes_momentum_differs_from_pytorch_momentum_after_a_learning_rate_drop():
    # After the drop at t = 2 the notes' velocity still carries the old, larger
    # steps; PyTorch's velocity is rescaled by the new rate at once.
    lr = step_decay(1.0, factor=0.1, every=2)
    g = [np.array([1.0])] * 3
    w_notes, w_torch = np.array([0.0]), np.array([0.0])
    notes, torch_form = Momentum(lr=lr, gamma=0.5), MomentumPyTorch(lr=lr, momentum=0.5)
    for gt in g:
        notes.step([w_notes], [gt])
        torch_form.step([w_torch], [gt])
    # by hand: notes mu = -1, -1.5, -(0.75 + 0.1) ; torch v = 1, 1.5, 1.75 -> steps -1, -1.5, -0.175
    assert w_notes[0] == pytest.approx(-1 - 1.5 - 0.85)
    assert w_torch[0] == pytest.approx(-1 - 1.5 - 0.175)


@pytest.mark.parametrize("gamma", [0.9, linear_ramp(0.5, 0.9, steps=5)], ids=["const", "ramp"])
def test_nesterov_matches_the_explicit_look_ahead_form(gamma):
    # Sutskever et al.: mu_{t+1} = g_t mu_t - lr grad(w_t + g_t mu_t); w_{t+1} = w_t + mu_{t+1}.
    # The optimiser keeps the look-ahead point w_t + gamma_t mu_t.
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    grad = _quadratic_grad(A)
    gam = gamma if callable(gamma) else (lambda t: gamma)
    w, mu = np.array([1.0, -1.0]), np.zeros(2)
    w_look = w.copy()
    opt = Nesterov(lr=0.1, gamma=gamma)
    for t in range(12):
        mu = gam(t) * mu - 0.1 * grad(w + gam(t) * mu)
        w = w + mu
        opt.step([w_look], [grad(w_look)])
        np.testing.assert_allclose(w_look, w + gam(t + 1) * mu, rtol=1e-12, atol=1e-15)


def test_one_adam_step_equals_the_hand_computed_formula():
    w0 = np.array([1.0, -2.0, 3.0])
    g = np.array([0.1, -3.0, 0.0])
    w = w0.copy()
    opt = Adam(lr=0.01)
    opt.step([w], [g])
    m = 0.1 * g  # (1 - beta1) g
    v = 0.001 * g**2  # (1 - beta2) g^2
    m_hat, v_hat = m / (1 - 0.9), v / (1 - 0.999)
    np.testing.assert_allclose(w, w0 - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8), rtol=1e-15)
    np.testing.assert_allclose(opt.m[0], m, rtol=1e-15)
    np.testing.assert_allclose(opt.v[0], v, rtol=1e-15)
    # the first step moves each coordinate with a non-zero gradient by ~lr: bias correction
    np.testing.assert_allclose(np.abs(w - w0)[:2], 0.01, rtol=1e-6)


def test_two_adam_steps_match_the_formula_with_t_in_the_bias_correction():
    g1, g2 = np.array([1.0, -2.0]), np.array([0.5, 4.0])
    w = np.zeros(2)
    opt = Adam(lr=0.1, beta1=0.8, beta2=0.99, eps=1e-3)
    opt.step([w], [g1])
    w1 = w.copy()
    opt.step([w], [g2])
    m = 0.8 * (0.2 * g1) + 0.2 * g2
    v = 0.99 * (0.01 * g1**2) + 0.01 * g2**2
    update = -0.1 * (m / (1 - 0.8**2)) / (np.sqrt(v / (1 - 0.99**2)) + 1e-3)
    np.testing.assert_allclose(w, w1 + update, rtol=1e-14)


def test_adam_default_hyperparameters():
    # Lecture 4: beta1 = 0.9, beta2 = 0.999, eps = 1e-8 (also Kingma & Ba's and PyTorch's)
    opt = Adam()
    assert (opt.beta1, opt.beta2, opt.eps) == (0.9, 0.999, 1e-8)


def test_eps_is_outside_the_square_root():
    # with a zero gradient history V_hat = 0: outside gives -lr m_hat / eps, inside would
    # give -lr m_hat / sqrt(eps). A tiny gradient separates the two.
    w = np.array([0.0])
    Adam(lr=1.0, eps=1e-4).step([w], [np.array([1e-6])])
    assert w[0] == pytest.approx(-1e-6 / (1e-6 + 1e-4), rel=1e-12)


@given(st.floats(1e4, 1e12), st.floats(0.0, 0.99))
@settings(max_examples=25, deadline=None)
def test_adam_with_a_large_eps_is_averaged_momentum_with_rate_lr_over_eps(eps, beta1):
    # U_t = -lr m_hat / (sqrt(V_hat) + eps) -> -(lr / eps) m_hat when eps >> |g|: the 1/sqrt(V)
    # normalisation is gone and Adam is gradient descent on the bias-corrected running mean
    # of the gradients, at the rate c = lr / eps. The gap is of order |g| / eps.
    c, curvature = 1e-3, np.array([1.0, 20.0])
    w = np.array([-4.5, 2.0])
    ref, m = w.copy(), np.zeros(2)
    opt = Adam(lr=c * eps, beta1=beta1, eps=eps)
    for t in range(1, 31):
        opt.step([w], [curvature * w])
        m = beta1 * m + (1 - beta1) * curvature * ref
        ref = ref - c * m / (1 - beta1**t)
    np.testing.assert_allclose(w, ref, rtol=0, atol=1e3 / eps)


def test_coupled_weight_decay_adds_wd_times_w_to_the_gradient():
    w = np.array([2.0, -1.0])
    g = np.array([0.5, 0.5])
    GD(lr=0.1, weight_decay=0.01).step([w], [g])
    np.testing.assert_allclose(w, [2.0, -1.0] - 0.1 * (g + 0.01 * np.array([2.0, -1.0])))
    w2, w3 = np.array([2.0, -1.0]), np.array([2.0, -1.0])
    Adam(lr=0.1, weight_decay=0.5).step([w2], [g])
    Adam(lr=0.1).step([w3], [g + 0.5 * np.array([2.0, -1.0])])
    np.testing.assert_array_equal(w2, w3)


def test_adamw_decays_the_weights_outside_the_moments():
    w0 = np.array([2.0, -1.0])
    g = np.array([0.5, -0.25])
    w = w0.copy()
    opt = AdamW(lr=0.1, weight_decay=0.1)
    opt.step([w], [g])
    adam_step = -0.1 * g / (np.abs(g) + 1e-8)  # the first Adam step, m_hat = g, V_hat = g^2
    np.testing.assert_allclose(w, w0 - 0.1 * 0.1 * w0 + adam_step, rtol=1e-14)
    np.testing.assert_allclose(opt.m[0], 0.1 * g)  # the moments never saw the decay


def test_adamw_with_zero_decay_is_adam():
    # Reference: Adam's recursion written out (m, v, bias correction, eps outside the root).
    rng = default_rng(3)
    w1 = rng.normal(size=5)
    w2, w_ref = w1.copy(), w1.copy()
    a, b = Adam(lr=0.01), AdamW(lr=0.01, weight_decay=0.0)
    m, v = np.zeros(5), np.zeros(5)
    for t in range(1, 6):
        g = rng.normal(size=5)
        a.step([w1], [g])
        b.step([w2], [g])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g**2
        w_ref -= 0.01 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(w1, w_ref, rtol=1e-13)
    np.testing.assert_allclose(w2, w_ref, rtol=1e-13)


def test_learning_rate_schedule_is_called_with_the_step_count():
    seen = []

    def lr(t):
        seen.append(t)
        return 0.1

    w = np.zeros(1)
    opt = GD(lr=lr)
    for _ in range(3):
        opt.step([w], [np.ones(1)])
    assert seen == [0, 1, 2]


def test_trajectory_of_gd_on_a_quadratic_is_geometric():
    # w_{k+1} = (1 - lr a) w_k on f = a w^2 / 2
    path = trajectory(GD(lr=0.1), lambda w: 4.0 * w, [1.0], steps=5)
    np.testing.assert_allclose(path[:, 0], 0.6 ** np.arange(6), rtol=1e-14)


def test_reset_forgets_the_state():
    opt = Momentum(lr=0.1)
    opt.step([np.zeros(2)], [np.ones(2)])
    opt.reset()
    assert opt.t == 0 and opt.mu is None
    opt.step([np.zeros(3)], [np.ones(3)])  # new shapes are fine after a reset
    assert "Momentum(lr=0.1" in repr(opt)


@SMALL
@given(n=st.integers(1, 40), data=st.data())
def test_minibatch_indices_cover_each_index_once_per_epoch(n, data):
    batch = data.draw(st.integers(1, n))
    epochs = data.draw(st.integers(1, 3))
    batches = list(minibatch_indices(n, batch, rng=default_rng(n), epochs=epochs))
    per_epoch = -(-n // batch)  # ceil
    assert len(batches) == epochs * per_epoch
    for e in range(epochs):
        chunk = batches[e * per_epoch:(e + 1) * per_epoch]
        assert all(len(b) == batch for b in chunk[:-1])
        assert sorted(np.concatenate(chunk).tolist()) == list(range(n))


def test_minibatch_indices_drop_last_and_forever():
    batches = list(minibatch_indices(10, 3, rng=default_rng(0), drop_last=True))
    assert [len(b) for b in batches] == [3, 3, 3]
    forever = minibatch_indices(4, 4, rng=default_rng(0), epochs=None)
    assert all(sorted(next(forever).tolist()) == [0, 1, 2, 3] for _ in range(50))


def test_minibatch_indices_first_batch_is_uniform():
    # each index lands in the first batch with probability B/N = 0.3
    counts = np.zeros(10)
    rng = default_rng(5)
    draws = 4000
    for _ in range(draws):
        counts[next(minibatch_indices(10, 3, rng=rng))] += 1
    se = np.sqrt(draws * 0.3 * 0.7)
    assert np.all(np.abs(counts - draws * 0.3) < 5 * se)


def test_minibatch_indices_is_deterministic_for_a_seed():
    a = list(minibatch_indices(9, 4, rng=default_rng(7), epochs=2))
    b = list(minibatch_indices(9, 4, rng=default_rng(7), epochs=2))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


# ---------------------------------------------------------------- bad input


def test_mismatched_shapes_raise_naming_the_index_and_shapes():
    msg = r"grads\[1\] must have the shape of params\[1\], \(2, 3\), got \(3, 2\)"
    with pytest.raises(ValueError, match=msg):
        GD(lr=0.1).step([np.zeros(2), np.zeros((2, 3))], [np.zeros(2), np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"grads\['b'\] must have the shape of params\['b'\]"):
        Adam().step({"b": np.zeros(2)}, {"b": np.zeros(3)})


def test_mismatched_structures_raise():
    with pytest.raises(ValueError, match=r"one gradient per parameter \(2 in params\), got 1"):
        GD(lr=0.1).step([np.zeros(2), np.zeros(2)], [np.zeros(2)])
    with pytest.raises(ValueError, match=r"grads must have the keys of params"):
        GD(lr=0.1).step({"w": np.zeros(2)}, {"v": np.zeros(2)})
    with pytest.raises(TypeError, match=r"params\[0\] must be a float numpy array"):
        GD(lr=0.1).step([[1.0, 2.0]], [[1.0, 1.0]])
    with pytest.raises(TypeError, match=r"dtype int64"):
        GD(lr=0.1).step([np.zeros(2, dtype=np.int64)], [np.ones(2)])


def test_parameters_changing_shape_between_steps_raise():
    opt = Adam()
    opt.step([np.zeros(2)], [np.ones(2)])
    with pytest.raises(ValueError, match=r"params changed shape since the previous step"):
        opt.step([np.zeros(3)], [np.ones(3)])


@pytest.mark.parametrize("make", [GD, SGD, Momentum, Nesterov, MomentumPyTorch, Adam, AdamW])
@pytest.mark.parametrize("lr", [0.0, -0.1])
def test_non_positive_learning_rate_raises_naming_lr(make, lr):
    with pytest.raises(ValueError, match=rf"^lr must be in \(0, inf\], got {lr:g}"):
        make(lr=lr)


@pytest.mark.parametrize(
    "make, name",
    [(lambda b: Adam(beta1=b), "beta1"), (lambda b: Adam(beta2=b), "beta2"),
     (lambda b: AdamW(beta1=b), "beta1"), (lambda b: Momentum(0.1, gamma=b), "gamma"),
     (lambda b: MomentumPyTorch(0.1, momentum=b), "momentum")],
)
@pytest.mark.parametrize("beta", [1.0, -0.1, 1.5])
def test_coefficients_outside_zero_one_raise_naming_the_argument(make, name, beta):
    with pytest.raises(ValueError, match=rf"^{name} must be in \[0, 1\), got {beta:g}"):
        make(beta)


def test_a_schedule_giving_a_bad_value_raises_at_that_step():
    opt = Momentum(lr=0.1, gamma=linear_ramp(0.5, 1.2, steps=2))
    w = np.zeros(1)
    opt.step([w], [np.ones(1)])
    opt.step([w], [np.ones(1)])
    with pytest.raises(ValueError, match=r"schedule gamma must give a number \[0, 1\) at step 2"):
        opt.step([w], [np.ones(1)])


def test_minibatch_indices_bad_arguments():
    with pytest.raises(ValueError, match=r"batch_size must be <= n \(5\), got 6"):
        minibatch_indices(5, 6, rng=default_rng(0))
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator"):
        minibatch_indices(5, 2, rng=0)
    with pytest.raises(ValueError, match=r"grads\[0\] must contain only finite values"):
        GD(lr=0.1).step([np.zeros(1)], [np.array([np.nan])])


# ---------------------------------------------------------------- optimisers side by side


def _ill_conditioned_grad(b=10.0):
    """grad f for f(w) = (w_1^2 + b w_2^2) / 2, at a stack of points (k, 2)."""
    return lambda w: quadratic(w, a=1.0, b=b)[1]


def _five():
    """Fresh optimisers of every kind, small enough steps for Rosenbrock's valley."""
    return [GD(lr=1e-3), Momentum(lr=1e-3, gamma=0.9), Nesterov(lr=1e-3, gamma=0.9),
            Adam(lr=0.05), Momentum(lr=1e-3, gamma=linear_ramp(0.5, 0.9, steps=10))]


def test_run_side_by_side_each_path_is_the_optimiser_run_alone():
    w0 = np.array([-1.2, 1.0])
    optimizers = _five()
    optimizers[3].step([np.zeros(2)], [np.ones(2)])  # state from elsewhere: reset first
    paths, diverged = run_side_by_side(optimizers, lambda w: rosenbrock(w)[1], w0, steps=60)
    assert paths.shape == (61, 5, 2) and diverged == [None] * 5
    for j, alone in enumerate(_five()):
        np.testing.assert_array_equal(paths[:, j], trajectory(alone, lambda w: rosenbrock(w)[1], w0,
                                                              steps=60))


def test_run_side_by_side_adds_each_runs_noise_to_its_gradient_only():
    # SGD on F = 1/N sum_i (f + xi_i^T w): trajectory with the minibatch gradient, batch by batch
    F = noisy_finite_sum(quadratic, 16, noise=2.0, rng=default_rng(3))
    batches = minibatch_indices(16, 4, rng=default_rng(0), epochs=None)
    w0 = np.array([-4.5, 2.0])
    paths, _ = run_side_by_side([GD(lr=0.05), GD(lr=0.05)], lambda w: quadratic(w)[1], w0,
                                steps=30, noise=[None, map(F.minibatch_noise, batches)])
    again = minibatch_indices(16, 4, rng=default_rng(0), epochs=None)  # the same batches
    sgd = trajectory(GD(lr=0.05), lambda w: F.grad(w, next(again)), w0, steps=30)
    np.testing.assert_array_equal(paths[:, 1], sgd)
    np.testing.assert_array_equal(paths[:, 0], trajectory(GD(lr=0.05), lambda w: quadratic(w)[1],
                                                          w0, steps=30))
    assert np.abs(paths[:, 0] - paths[:, 1]).max() > 0.01  # the noise moved the SGD run


def test_run_side_by_side_stops_a_run_that_leaves_the_box_at_that_step():
    # GD on (w_1^2 + 20 w_2^2)/2 multiplies w_1 by 1 - 0.12 = 0.88 and w_2 by 1 - 0.12*20 = -1.4:
    # |w_2| = 1.4^t first exceeds 10 at t = 7 (1.4^6 = 7.5, 1.4^7 = 10.5).
    paths, diverged = run_side_by_side([GD(lr=0.12), GD(lr=0.05)], _ill_conditioned_grad(20.0), [1.0, 1.0],
                                       steps=20,
                                       box=(-10.0, 10.0))
    assert diverged == [7, None]
    t = np.arange(7)[:, None]
    np.testing.assert_allclose(paths[:7, 0], (1 - 0.12 * np.array([1.0, 20.0])) ** t, rtol=1e-12)
    np.testing.assert_allclose(paths[7:, 0], [[0.88**7, -10.0]] * 14, rtol=1e-12)  # clipped, kept
    np.testing.assert_allclose(paths[:, 1], (1 - 0.05 * np.array([1.0, 20.0])) ** np.arange(21)[:, None],
                               rtol=1e-12)


def test_run_side_by_side_without_a_box_stops_at_overflow_and_stays_finite():
    # lr = 1/4 on (w_1^2 + 12 w_2^2)/2: w_2 <- (1 - 3) w_2 = -2 w_2, exactly. The gradient 12 w_2
    # overflows at |w_2| = 2^1021 (t = 1021), so the run stops at step 1022 and stays there.
    paths, diverged = run_side_by_side([GD(lr=0.25)], _ill_conditioned_grad(12.0), [1.0, 1.0], steps=1100)
    assert diverged == [1022] and np.all(np.isfinite(paths))
    assert paths[1021, 0, 1] == (-2.0) ** 1021 and np.all(paths[1021:, 0] == paths[1021, 0])


def test_run_side_by_side_bad_arguments_raise_naming_them():
    grad = _ill_conditioned_grad()
    with pytest.raises(TypeError, match=r"^optimizers must be a list or tuple"):
        run_side_by_side(GD(lr=0.1), grad, [0.0, 0.0], steps=1)
    with pytest.raises(ValueError, match=r"^optimizers must hold at least one optimiser"):
        run_side_by_side([], grad, [0.0, 0.0], steps=1)
    with pytest.raises(TypeError, match=r"^optimizers\[1\] must be a lecturekit.optim optimiser"):
        run_side_by_side([GD(lr=0.1), "adam"], grad, [0.0, 0.0], steps=1)
    with pytest.raises(ValueError, match=r"^grad\(w\) must return the shape of w, \(1, 2\), got \(2,\)"):
        run_side_by_side([GD(lr=0.1)], lambda w: np.zeros(2), [0.0, 0.0], steps=1)
    with pytest.raises(ValueError, match=r"^noise must have one entry per optimiser \(1\), got 2"):
        run_side_by_side([GD(lr=0.1)], grad, [0.0, 0.0], steps=1, noise=[None, None])
    with pytest.raises(TypeError, match=r"^noise\[0\] must be an iterator"):
        run_side_by_side([GD(lr=0.1)], grad, [0.0, 0.0], steps=1, noise=[[np.ones(2)]])
    with pytest.raises(ValueError, match=r"^w0 = \[5. 0.\] must lie inside box"):
        run_side_by_side([GD(lr=0.1)], grad, [5.0, 0.0], steps=1, box=(-1.0, 1.0))
    with pytest.raises(ValueError, match=r"^box must have lo < hi in every coordinate"):
        run_side_by_side([GD(lr=0.1)], grad, [0.0, 0.0], steps=1, box=(1.0, 1.0))
    with pytest.raises(ValueError, match=r"^box\[1\] must be a number or of shape \(2,\)"):
        run_side_by_side([GD(lr=0.1)], grad, [0.0, 0.0], steps=1, box=(-1.0, np.ones(3)))
    with pytest.raises(ValueError, match=r"^w0 must be 1-D"):
        run_side_by_side([GD(lr=0.1)], grad, np.zeros((1, 2)), steps=1)


# -- the mechanisms: momentum's rate map, its weights, Adam's bias correction ----------------

from lecturekit.optim import (  # noqa: E402
    adam_moments,
    critical_momentum,
    heavy_ball_optimum,
    heavy_ball_rate,
    momentum_weights,
)


def _spectral_radius_direct(lr, gamma, h):
    """max over h of the spectral radius of [[1 + gamma - lr h, -gamma], [1, 0]], by eigvals."""
    return max(np.abs(np.linalg.eigvals(np.array([[1 + gamma - lr * hi, -gamma], [1.0, 0.0]]))).max()
               for hi in h)


@SMALL
@given(st.lists(st.floats(0.01, 50.0), min_size=1, max_size=4),
       st.integers(2, 5), st.integers(2, 5))
def test_heavy_ball_rate_is_the_spectral_radius_of_the_iteration_matrix(h, n_lr, n_gamma):
    lr = np.geomspace(1e-3, 4.0 / max(h), n_lr)
    gamma = np.linspace(0.0, 0.99, n_gamma)
    L, G = np.meshgrid(lr, gamma)  # (n_gamma, n_lr) each: the grid is vectorised
    rho = heavy_ball_rate(L, G, h)
    assert rho.shape == L.shape
    expected = np.vectorize(lambda a, b: _spectral_radius_direct(a, b, h))(L, G)
    np.testing.assert_allclose(rho, expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("lr, gamma", [(0.05, 0.5), (0.02, 0.9), (0.0891251, 0.3), (0.09, 0.0)])
def test_heavy_ball_rate_is_the_observed_contraction_of_momentum_on_the_quadratic(lr, gamma):
    h = np.array([1.0, 20.0])
    path = trajectory(Momentum(lr=lr, gamma=gamma), lambda w: quadratic(w, a=1.0, b=20.0)[1],
                      [-4.5, 2.0], steps=400)
    # The state (w_t, w_{t-1}) contracts by rho per step asymptotically: the t-th root of
    # the error ratio between steps 200 and 400 (beyond round-off) is rho.
    err = np.linalg.norm(np.concatenate([path[1:], path[:-1]], axis=1), axis=1)
    observed = (err[399] / err[199]) ** (1 / 200)
    assert observed == pytest.approx(float(heavy_ball_rate(lr, gamma, h)), rel=0.02)


def test_heavy_ball_rate_marks_divergence_beyond_the_stability_limit():
    # momentum is stable iff lr h < 2 (1 + gamma): just inside and just outside
    for gamma in (0.0, 0.5, 0.9):
        edge = 2 * (1 + gamma) / 20.0
        assert heavy_ball_rate(edge * 0.99, gamma, [1.0, 20.0]) < 1
        assert heavy_ball_rate(edge * 1.01, gamma, [1.0, 20.0]) > 1


def test_heavy_ball_rate_refuses_bad_arguments():
    with pytest.raises(ValueError, match="lr must be >= 0"):
        heavy_ball_rate(-0.1, 0.5, [1.0])
    with pytest.raises(ValueError, match="gamma must be >= 0"):
        heavy_ball_rate(0.1, -0.5, [1.0])
    with pytest.raises(ValueError, match="eigenvalues must be a non-empty"):
        heavy_ball_rate(0.1, 0.5, [])
    with pytest.raises(ValueError, match="eigenvalues must be 1-D"):
        heavy_ball_rate(0.1, 0.5, [[1.0]])


@SMALL
@given(st.floats(0.0, 4.0), st.floats(0.1, 100.0))
def test_critical_momentum_is_where_the_discriminant_vanishes(lh, h):
    lr = lh / h
    gamma = float(critical_momentum(lr, h))
    b = 1 + gamma - lr * h
    assert b * b - 4 * gamma == pytest.approx(0.0, abs=1e-9)
    assert 0 <= gamma <= 1
    # below the curve the roots are real, above it complex (modulus sqrt(gamma))
    if 0.05 < lh < 3.8 and abs(lh - 1) > 0.05:
        for g in (gamma * 0.9, min(gamma * 1.1 + 1e-3, 0.999)):
            b = 1 + g - lr * h
            roots = np.roots([1.0, -b, g])
            assert (np.all(np.isreal(roots)) == (g < gamma)), (lh, g, gamma, roots)


def test_critical_momentum_refuses_lr_h_above_4():
    with pytest.raises(ValueError, match=r"lr \* h must lie in \[0, 4\]"):
        critical_momentum(0.5, 10.0)


@pytest.mark.parametrize("kappa", [1.0, 4.0, 20.0, 100.0])
def test_heavy_ball_optimum_is_the_minimum_of_the_rate_map(kappa):
    h = [1.0, kappa]
    lr, gamma, rate = heavy_ball_optimum(1.0, kappa)
    assert float(heavy_ball_rate(lr, gamma, h)) == pytest.approx(rate, abs=1e-6)
    assert rate == pytest.approx(np.sqrt(gamma))
    L, G = np.meshgrid(np.linspace(1e-3, 4 / kappa, 301), np.linspace(0, 0.999, 301))
    assert heavy_ball_rate(L, G, h).min() >= rate - 1e-3
    assert rate <= (kappa - 1) / (kappa + 1) + 1e-12  # never worse than GD's best


@SMALL
@given(st.floats(0.0, 1.0), st.integers(1, 12))
def test_momentum_weights_unroll_the_lectures_recursion(gamma, k):
    # g_s = e_s, the s-th unit vector: mu_k = -lr sum_s gamma^(k-1-s) e_s, read off mu directly
    gamma = min(gamma, 0.999)  # Momentum takes gamma in [0, 1)
    lr = 0.3
    opt = Momentum(lr=lr, gamma=gamma)
    w = np.zeros(k)
    for s in range(k):
        opt.step([w], [np.eye(k)[s]])
    weights = momentum_weights(gamma, k)
    np.testing.assert_allclose(-opt.mu[0][::-1] / lr, weights, rtol=1e-12, atol=1e-15)


def test_momentum_weights_give_the_lectures_worked_example():
    # mu_2 = -lambda (0.9 g_0 + g_1): g_1 (j = 0) counts 1, g_0 (j = 1) counts 0.9
    np.testing.assert_allclose(momentum_weights(0.9, 2), [1.0, 0.9])
    assert momentum_weights(0.5, 60).sum() == pytest.approx(1 / (1 - 0.5))
    with pytest.raises(ValueError, match="gamma"):
        momentum_weights(1.5, 3)
    with pytest.raises(ValueError, match="k"):
        momentum_weights(0.9, 0)


@SMALL
@given(st.integers(1, 15), st.floats(0.0, 0.99), st.floats(0.0, 0.999), st.integers(0, 100))
def test_adam_moments_are_the_state_of_adam(steps, beta1, beta2, seed):
    grads = default_rng(seed).normal(size=(steps, 3))
    m, m_hat, v, v_hat = adam_moments(grads, beta1=beta1, beta2=beta2)
    opt = Adam(lr=0.01, beta1=beta1, beta2=beta2)
    w = np.zeros(3)
    for t in range(steps):
        w_before = w.copy()
        opt.step([w], [grads[t]])
        np.testing.assert_allclose(opt.m[0], m[t], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(opt.v[0], v[t], rtol=1e-12, atol=1e-15)
        # the step Adam took is the one of the corrected moments
        np.testing.assert_allclose(w - w_before, -0.01 * m_hat[t] / (np.sqrt(v_hat[t]) + 1e-8),
                                   rtol=1e-10, atol=1e-15)
    t = np.arange(1, steps + 1)[:, None]
    np.testing.assert_allclose(m_hat, m / (1 - beta1**t))
    np.testing.assert_allclose(v_hat, v / (1 - beta2**t))


def test_adam_bias_correction_removes_the_zero_start_for_a_constant_gradient():
    g = np.full((30, 2), [3.0, -0.5])
    m, m_hat, v, v_hat = adam_moments(g)
    np.testing.assert_allclose(m_hat, g, rtol=1e-12)
    np.testing.assert_allclose(v_hat, g**2, rtol=1e-12)
    np.testing.assert_allclose(m[0], 0.1 * g[0])  # m_1 = (1 - beta1) g_1: biased towards 0
    with pytest.raises(ValueError, match="grads must have shape"):
        adam_moments(np.zeros((0, 2)))
