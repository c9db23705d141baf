"""lecturekit.rnn: gradchecks through time, Jacobians by finite differences, PyTorch if present."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit.gradcheck import assert_gradcheck, numerical_gradient
from lecturekit.rng import default_rng
from lecturekit.rnn import (
    MAX_DERIVATIVE,
    RNN_ACTIVATIONS,
    cell_state_update,
    hidden_state_jacobian_norms,
    lstm_backward,
    lstm_forward,
    lstm_init,
    lstm_step,
    lstm_step_backward,
    lstm_weights_from_pytorch,
    memory_retention,
    output_layer,
    recurrent_matrix,
    rnn_backward,
    rnn_forward,
    rnn_init,
    rnn_jacobian_norms,
    rnn_step,
    rnn_step_backward,
)

from .references import RECTIFY, rnn_jacobian_norms_written_out

SMALL = settings(max_examples=15, deadline=None)
SIZES = st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(1, 4),
                  st.integers(1, 3), st.integers(0, 2**16))  # T, N, D, H, K, seed


def _rnn_case(T, N, D, H, K, seed):
    rng = default_rng(seed)
    p = rnn_init(D, H, K, rng=rng, spectral_radius=0.9)
    p["b"] = 0.1 * rng.normal(size=H)
    p["c"] = 0.1 * rng.normal(size=K)
    return rng.normal(size=(T, N, D)), 0.5 * rng.normal(size=(N, H)), p, rng


def test_rnn_step_is_tanh_of_w_times_the_concatenation():
    rng = default_rng(0)
    x, h, w, b = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(4, 7)), \
        rng.normal(size=4)
    for n in range(2):
        expected = np.tanh(w @ np.concatenate([x[n], h[n]]) + b)  # the lecture's w (x_t || h_{t-1})
        np.testing.assert_allclose(rnn_step(x, h, w, b)[n], expected, rtol=1e-14)


def test_rnn_forward_is_the_step_repeated_and_outputs_are_softmax():
    xs, h0, p, _ = _rnn_case(5, 2, 3, 4, 3, 0)
    hs, ys = rnn_forward(xs, h0, **p)
    h = h0
    for t in range(5):
        h = rnn_step(xs[t], h, p["w"], p["b"])
        np.testing.assert_allclose(hs[t], h, rtol=1e-14)
        logits = h @ p["v"].T + p["c"]
        np.testing.assert_allclose(ys[t], np.exp(logits) / np.exp(logits).sum(1, keepdims=True),
                                   rtol=1e-13)




@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_rnn_step_with_another_rectify_is_that_function_of_w_times_the_concatenation(activation):
    rng = default_rng(10)
    x, h, w, b = rng.normal(size=(3, 2)), rng.normal(size=(3, 4)), rng.normal(size=(4, 6)), \
        rng.normal(size=4)
    expected = RECTIFY[activation](np.concatenate([x, h], axis=1) @ w.T + b)
    np.testing.assert_allclose(rnn_step(x, h, w, b, activation=activation), expected, rtol=1e-14)
    # b = 0 is the notes' formula, rectify(w (x_t || h_{t-1})), with no bias
    np.testing.assert_allclose(rnn_step(x, h, w, np.zeros(4), activation=activation),
                               RECTIFY[activation](np.concatenate([x, h], axis=1) @ w.T), rtol=1e-14)


def _away_from_the_kink(x, h, w, b):
    """ReLU is not differentiable at 0: finite differences need every |a| well above eps."""
    return np.abs(np.concatenate([x, h], axis=1) @ w.T + b).min() > 1e-3


@pytest.mark.parametrize("activation", RNN_ACTIVATIONS)
def test_rnn_step_backward_passes_gradcheck(activation):
    rng = default_rng(1)
    x, h, w, b = rng.normal(size=(3, 2)), rng.normal(size=(3, 4)), rng.normal(size=(4, 6)), \
        rng.normal(size=4)
    assert _away_from_the_kink(x, h, w, b)
    dh = rng.normal(size=(3, 4))
    grads = rnn_step_backward(dh, x, h, w, b, activation=activation)
    assert_gradcheck(lambda *a: np.sum(rnn_step(*a, activation=activation) * dh), [x, h, w, b],
                     list(grads), names=["x", "h_prev", "w", "b"])


@pytest.mark.parametrize("activation", ["sigmoid", "relu"])
def test_rnn_backward_through_time_with_another_rectify_passes_gradcheck(activation):
    xs, h0, p, rng = _rnn_case(5, 2, 3, 4, 3, 11)
    _, ys = rnn_forward(xs, h0, **p, activation=activation)
    dys = rng.normal(size=ys.shape)
    grads = rnn_backward(dys, xs, h0, **p, activation=activation)

    def f(xs, h0, w, b, v, c):
        return np.sum(rnn_forward(xs, h0, w, b, v, c, activation=activation)[1] * dys)

    assert_gradcheck(f, [xs, h0, p["w"], p["b"], p["v"], p["c"]], list(grads),
                     names=["xs", "h0", "w", "b", "v", "c"])


@SMALL
@given(SIZES)
def test_rnn_backward_through_time_passes_gradcheck(sizes):
    xs, h0, p, rng = _rnn_case(*sizes)
    _, ys = rnn_forward(xs, h0, **p)
    dys = rng.normal(size=ys.shape)
    grads = rnn_backward(dys, xs, h0, **p)

    def f(xs, h0, w, b, v, c):
        return np.sum(rnn_forward(xs, h0, w, b, v, c)[1] * dys)

    assert_gradcheck(f, [xs, h0, p["w"], p["b"], p["v"], p["c"]], list(grads),
                     names=["xs", "h0", "w", "b", "v", "c"])


def test_rnn_backward_with_a_cross_entropy_at_the_last_step_only():
    # a loss on y_T alone: the gradient must still reach x_1 through time
    xs, h0, p, _ = _rnn_case(6, 2, 2, 5, 3, 3)
    labels = np.array([0, 2])
    _, ys = rnn_forward(xs, h0, **p)
    dys = np.zeros_like(ys)
    dys[-1, [0, 1], labels] = -1 / ys[-1, [0, 1], labels] / 2  # d(-mean log y_T[label])/dy
    dxs, dh0, dw, *_ = rnn_backward(dys, xs, h0, **p)

    def loss(xs):
        y = rnn_forward(xs, h0, **p)[1][-1]
        return -np.mean(np.log(y[[0, 1], labels]))

    assert_gradcheck(loss, [xs], [dxs], names=["xs"])
    assert np.abs(dxs[0]).max() > 0


@pytest.mark.parametrize("activation", ["tanh", "relu"])  # nn.RNN's two nonlinearities
def test_rnn_matches_pytorch_where_available(activation):
    torch = pytest.importorskip("torch")
    xs, h0, p, _ = _rnn_case(5, 2, 3, 4, 2, 7)
    rnn = torch.nn.RNN(3, 4, nonlinearity=activation).double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(p["w"][:, :3]))
        rnn.weight_hh_l0.copy_(torch.from_numpy(p["w"][:, 3:]))
        rnn.bias_ih_l0.copy_(torch.from_numpy(p["b"]))
        rnn.bias_hh_l0.zero_()
        out, _ = rnn(torch.from_numpy(xs), torch.from_numpy(h0)[None])
    np.testing.assert_allclose(rnn_forward(xs, h0, **p, activation=activation)[0], out.numpy(),
                               rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- vanishing gradients


def test_recurrent_matrix_has_the_requested_spectral_radius_and_norm():
    W = recurrent_matrix(6, spectral_radius=0.7, rng=default_rng(2))
    assert np.max(np.abs(np.linalg.eigvals(W))) == pytest.approx(0.7)
    np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), 0.7, rtol=1e-12)


@pytest.mark.parametrize("activation", RNN_ACTIVATIONS)
def test_jacobian_norms_match_finite_difference_jacobians(activation):
    rng = default_rng(4)
    T, D, H = 5, 2, 3
    p = rnn_init(D, H, 1, rng=rng, spectral_radius=1.2)
    xs, h0 = rng.normal(size=(T, 1, D)), rng.normal(size=(1, H))
    norms = hidden_state_jacobian_norms(xs, h0, p["w"], p["b"], activation=activation)
    hs, _ = rnn_forward(xs, h0, **p, activation=activation)
    states = np.concatenate([h0[None], hs])[:, 0]  # (T + 1, H): states[t] = h_t, t = 0..T
    for k in range(T + 1):
        t = T - k

        def h_T(h_t, t=t):
            h = h_t[None]  # (1, H): one sequence
            for s in range(t, T):
                h = rnn_step(xs[s], h, p["w"], p["b"], activation=activation)
            return h[0]

        jac = np.stack([numerical_gradient(lambda h, j=j: h_T(h)[j], [states[t]])[0]
                        for j in range(H)])
        assert norms[k, 0] == pytest.approx(np.linalg.norm(jac, 2), rel=1e-7)


@pytest.mark.parametrize("radius", [0.5, 0.9, 1.0, 1.5])
def test_jacobian_norms_are_bounded_by_radius_to_the_distance(radius):
    rng = default_rng(5)
    p = rnn_init(3, 8, 1, rng=rng, spectral_radius=radius)
    xs = rng.normal(size=(30, 4, 3))
    norms = hidden_state_jacobian_norms(xs, np.zeros((4, 8)), p["w"], p["b"])
    bound = radius ** np.arange(31)[:, None]
    assert np.all(norms <= bound * (1 + 1e-10))


@pytest.mark.parametrize("activation", RNN_ACTIVATIONS)
@pytest.mark.parametrize("radius", [0.9, 1.5, 3.0])
def test_jacobian_norms_are_bounded_by_max_derivative_times_radius(activation, radius):
    # |g'| <= 1/4 for the sigmoid (at 0), <= 1 for tanh and ReLU: checked on a grid here,
    # not taken from the code
    a = np.linspace(-20, 20, 400001)
    s = 1 / (1 + np.exp(-a))
    g_max = {"tanh": np.max(1 - np.tanh(a) ** 2), "sigmoid": np.max(s * (1 - s)),
             "relu": 1.0}[activation]
    assert MAX_DERIVATIVE[activation] == pytest.approx(g_max, rel=1e-9)
    rng = default_rng(8)
    p = rnn_init(3, 8, 1, rng=rng, spectral_radius=radius)
    norms = hidden_state_jacobian_norms(rng.normal(size=(30, 4, 3)), np.zeros((4, 8)), p["w"],
                                        p["b"], activation=activation)
    assert np.all(norms <= (g_max * radius) ** np.arange(31)[:, None] * (1 + 1e-10))


def test_sigmoid_rnn_vanishes_even_where_tanh_does_not():
    # rho = 2: the tanh RNN's bound 2^k allows growth; the sigmoid's (2/4)^k forces decay
    p = rnn_init(1, 16, 1, spectral_radius=2.0, rng=default_rng(2))
    xs, h0 = np.zeros((20, 1, 1)), np.zeros((1, 16))
    tanh_norms = hidden_state_jacobian_norms(xs, h0, p["w"], p["b"])[:, 0]
    np.testing.assert_allclose(tanh_norms, 2.0 ** np.arange(21), rtol=1e-10)  # h stays 0
    sig_norms = hidden_state_jacobian_norms(xs, h0, p["w"], p["b"], activation="sigmoid")[:, 0]
    assert sig_norms[-1] <= 0.5**20


def test_relu_rnn_with_no_input_passes_no_gradient():
    # h stays 0, and ReLU'(0) = 0 (PyTorch's convention): dh_T/dh_t = 0 for every t < T
    p = rnn_init(1, 4, 1, spectral_radius=1.5, rng=default_rng(0))
    norms = hidden_state_jacobian_norms(np.zeros((5, 1, 1)), np.zeros((1, 4)), p["w"], p["b"],
                                        activation="relu")[:, 0]
    assert norms[0] == 1.0 and np.all(norms[1:] == 0.0)


def test_gradients_vanish_for_radius_below_one():
    rng = default_rng(6)
    p = rnn_init(3, 16, 1, rng=rng, spectral_radius=0.8)
    norms = hidden_state_jacobian_norms(rng.normal(size=(40, 2, 3)), np.zeros((2, 16)),
                                        p["w"], p["b"])
    assert norms[-1].max() < 0.8**40 * 1.0001
    assert norms[-1].max() < 1e-3



def _experiment_draws(radius, steps, seed, scale, h, d, n):
    """The RNN and inputs rnn_jacobian_norms documents: rnn_init(D, H, 1), then scale * N(0, I)."""
    rng = default_rng(seed)
    p = rnn_init(d, h, 1, spectral_radius=radius, rng=rng)
    return p, scale * rng.normal(size=(steps, n, d))  # (T, N, D)


@pytest.mark.parametrize("activation", RNN_ACTIVATIONS)
def test_rnn_jacobian_norms_are_the_product_of_the_step_jacobians_written_out(activation):
    # dh_T/dh_{T-k} = J_T ... J_{T-k+1}, J_s = diag(g'(a_s)) W_hh, a_s = W_xh x_s + W_hh h_{s-1},
    # with g and g' written out here, one sequence at a time.
    T, H, D, N = 12, 6, 3, 3
    norms = rnn_jacobian_norms(1.3, steps=T, rng=default_rng(9), input_scale=0.8,
                               activation=activation, hidden_size=H, input_size=D, batch_size=N)
    assert norms.shape == (T + 1, N)
    p, xs = _experiment_draws(1.3, T, 9, 0.8, H, D, N)
    np.testing.assert_allclose(norms, rnn_jacobian_norms_written_out(p["w"], xs, activation),
                               rtol=1e-10, atol=1e-300)


def test_rnn_jacobian_norms_match_finite_differences_through_rnn_forward():
    T, H, D, N = 6, 5, 3, 2
    norms = rnn_jacobian_norms(0.9, steps=T, rng=default_rng(3), input_scale=1.0,
                               hidden_size=H, input_size=D, batch_size=N)
    p, xs = _experiment_draws(0.9, T, 3, 1.0, H, D, N)
    for n in range(N):
        seq = xs[:, n:n + 1]  # (T, 1, D): one sequence
        hs, _ = rnn_forward(seq, np.zeros((1, H)), **p)
        states = np.concatenate([np.zeros((1, 1, H)), hs])[:, 0]  # (T + 1, H): h_0 .. h_T
        for k in range(1, T + 1):
            t = T - k

            def h_T(h_t, t=t, j=0, seq=seq):
                return rnn_forward(seq[t:], h_t[None], **p)[0][-1, 0, j]

            jac = np.stack([numerical_gradient(lambda h, j=j: h_T(h, j=j), [states[t]])[0]
                            for j in range(H)])  # (H, H): row j is dh_T[j]/dh_t
            assert norms[k, n] == pytest.approx(np.linalg.norm(jac, 2), rel=1e-7)


def test_rnn_jacobian_norms_without_input_are_rho_to_the_distance_and_obey_the_bound():
    # h stays 0, tanh'(0) = 1 and W_hh = rho Q with Q orthogonal: ||W_hh^k|| = rho^k exactly
    for rho in (0.5, 1.0, 1.5):
        norms = rnn_jacobian_norms(rho, steps=25, rng=default_rng(0), input_scale=0.0)
        assert norms.shape == (26, 4)  # the defaults: N = 4 sequences
        np.testing.assert_allclose(norms, rho ** np.arange(26)[:, None] * np.ones((1, 4)),
                                   rtol=1e-10)
    for activation in RNN_ACTIVATIONS:
        norms = rnn_jacobian_norms(1.5, steps=25, rng=default_rng(1), activation=activation)
        bound = (MAX_DERIVATIVE[activation] * 1.5) ** np.arange(26)[:, None]
        assert np.all(norms <= bound * (1 + 1e-10))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(spectral_radius=-0.5), ValueError, r"^spectral_radius must be in \[0, inf\], got -0.5"),
    (dict(steps=0), ValueError, r"^steps must be >= 1, got 0"),
    (dict(steps=2.5), TypeError, r"^steps must be an integer"),
    (dict(rng=0), TypeError, r"^rng must be a numpy.random.Generator"),
    (dict(input_scale=-1.0), ValueError, r"^input_scale must be in \[0, inf\]"),
    (dict(activation="ReLU"), ValueError, r"^activation must be one of 'tanh', 'sigmoid', 'relu'"),
    (dict(hidden_size=0), ValueError, r"^hidden_size must be >= 1, got 0"),
    (dict(input_size=True), TypeError, r"^input_size must be an integer"),
    (dict(batch_size=0), ValueError, r"^batch_size must be >= 1, got 0"),
])
def test_rnn_jacobian_norms_bad_arguments_raise_naming_the_argument(kwargs, error, match):
    args = dict(spectral_radius=0.9, steps=5, rng=default_rng(0)) | kwargs
    with pytest.raises(error, match=match):
        rnn_jacobian_norms(args.pop("spectral_radius"), **args)

# ---------------------------------------------------------------- LSTM


def _lstm_case(T, N, D, H, seed):
    rng = default_rng(seed)
    w, b = lstm_init(D, H, rng=rng)
    b = b + 0.1 * rng.normal(size=b.shape)
    return (rng.normal(size=(T, N, D)), 0.5 * rng.normal(size=(N, H)),
            0.5 * rng.normal(size=(N, H)), w, b, rng)


def _sig(a):
    return 1 / (1 + np.exp(-a))


def test_lstm_step_against_the_lecture_formulas_written_out():
    xs, h0, c0, w, b, _ = _lstm_case(1, 2, 3, 4, 0)
    h, c = lstm_step(xs[0], h0, c0, w, b)
    H = 4
    for n in range(2):
        a = w @ np.concatenate([xs[0, n], h0[n]]) + b
        i, f, dC, o = _sig(a[:H]), _sig(a[H:2 * H]), np.tanh(a[2 * H:3 * H]), _sig(a[3 * H:])
        C = f * c0[n] + i * dC
        np.testing.assert_allclose(c[n], C, rtol=1e-14)
        np.testing.assert_allclose(h[n], o * np.tanh(C), rtol=1e-14)


def test_lstm_step_backward_passes_gradcheck():
    xs, h0, c0, w, b, rng = _lstm_case(1, 3, 2, 3, 1)
    dh, dc = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    grads = lstm_step_backward(dh, dc, xs[0], h0, c0, w, b)

    def f(x, h, c, w, b):
        h1, c1 = lstm_step(x, h, c, w, b)
        return np.sum(h1 * dh) + np.sum(c1 * dc)

    assert_gradcheck(f, [xs[0], h0, c0, w, b], list(grads),
                     names=["x", "h_prev", "c_prev", "w", "b"])


@SMALL
@given(st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
                 st.integers(0, 2**16)))
def test_lstm_backward_through_time_passes_gradcheck(sizes):
    xs, h0, c0, w, b, rng = _lstm_case(*sizes)
    hs, _ = lstm_forward(xs, h0, c0, w, b)
    dhs = rng.normal(size=hs.shape)
    grads = lstm_backward(dhs, xs, h0, c0, w, b)
    assert_gradcheck(lambda *a: np.sum(lstm_forward(*a)[0] * dhs), [xs, h0, c0, w, b],
                     list(grads), names=["xs", "h0", "c0", "w", "b"])


def test_lstm_matches_pytorch_state_dict_where_available():
    torch = pytest.importorskip("torch")
    xs, h0, c0, _, _, _ = _lstm_case(6, 2, 3, 4, 9)
    lstm = torch.nn.LSTM(3, 4).double()
    sd = {k: v.detach().numpy() for k, v in lstm.state_dict().items()}
    w, b = lstm_weights_from_pytorch(sd["weight_ih_l0"], sd["weight_hh_l0"], sd["bias_ih_l0"],
                                     sd["bias_hh_l0"])
    with torch.no_grad():
        out, (h_T, c_T) = lstm(torch.from_numpy(xs), (torch.from_numpy(h0)[None],
                                                      torch.from_numpy(c0)[None]))
    hs, cs = lstm_forward(xs, h0, c0, w, b)
    np.testing.assert_allclose(hs, out.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cs[-1], c_T[0].numpy(), rtol=1e-12, atol=1e-14)


def test_lstm_output_layer_is_softmax_of_v_h():
    # Lecture 14: y_t = Rectify(w h_t) with a softmax, on top of the LSTM's h_t
    xs, h0, c0, w, b, rng = _lstm_case(3, 2, 2, 4, 5)
    v, c = rng.normal(size=(3, 4)), rng.normal(size=3)
    hs, _ = lstm_forward(xs, h0, c0, w, b)
    ys = output_layer(hs, v, c)
    for t in range(3):
        for n in range(2):
            e = np.exp(v @ hs[t, n] + c)
            np.testing.assert_allclose(ys[t, n], e / e.sum(), rtol=1e-13)


def test_cell_update_special_case_f_i_one_is_additive_with_identity_jacobian():
    rng = default_rng(2)
    c_prev, delta = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    one = np.ones((2, 3))
    np.testing.assert_array_equal(cell_state_update(c_prev, one, one, delta), c_prev + delta)
    (dc,) = numerical_gradient(lambda c: np.sum(cell_state_update(c, one, one, delta)), [c_prev])
    np.testing.assert_allclose(dc, 1.0, rtol=1e-9)


def test_memory_gradient_survives_with_saturated_forget_gate():
    # f -> 1 (large forget bias) and i -> 0: dL/dC_0 = prod f_t dL/dC_T stays near 1 over
    # 50 steps, while the vanilla RNN's dh_T/dh_0 at radius 0.9 has shrunk to <= 0.9^50.
    rng = default_rng(3)
    T, D, H = 50, 2, 3
    w, b = lstm_init(D, H, rng=rng, forget_bias=12.0)
    w[:, :] *= 0.1
    b[:H] = -12.0  # input gate closed
    xs = rng.normal(size=(T, 1, D))
    h0, c0 = np.zeros((1, H)), rng.normal(size=(1, H))
    # the loss is sum(C_T): as h_T enters nothing, we read C_T through c0's gradient path
    (dc0,) = numerical_gradient(lambda c: np.sum(lstm_forward(xs, h0, c[None], w, b)[1][-1]),
                                [c0[0]])
    assert np.all(dc0 > 0.99)


def test_memory_retention_is_sigmoid_of_bias_to_the_t_for_constant_gates():
    for bf in [-1.0, 0.0, 1.0, 3.0]:
        r = memory_retention(bf, steps=20, rng=default_rng(0), weight_std=0.0)
        np.testing.assert_allclose(r, _sig(bf) ** np.arange(21), rtol=1e-13)


def test_memory_retention_increases_with_the_forget_bias():
    r = [memory_retention(bf, steps=30, rng=default_rng(1))[-1] for bf in [-2, 0, 2, 4]]
    assert np.all(np.diff(r) > 0)
    assert r[0] < 1e-10 < r[-1]


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("shape", [(5, 3), (5,), (2, 5, 1, 3)])
def test_sequence_of_the_wrong_rank_raises_with_the_layout(shape):
    p = rnn_init(3, 2, 2, rng=default_rng(0))
    msg = rf"xs must be 3-D with layout \(T, N, D\).*got a {len(shape)}-D"
    with pytest.raises(ValueError, match=msg):
        rnn_forward(np.zeros(shape), np.zeros((1, 2)), **p)
    w, b = lstm_init(3, 2, rng=default_rng(0))
    with pytest.raises(ValueError, match=r"xs must be 3-D with layout \(T, N, D\)"):
        lstm_forward(np.zeros(shape), np.zeros((1, 2)), np.zeros((1, 2)), w, b)


def test_wrong_shapes_raise_naming_the_argument():
    p = rnn_init(3, 2, 2, rng=default_rng(0))
    before = {k: v.copy() for k, v in p.items()}
    xs = np.zeros((4, 1, 3))
    with pytest.raises(ValueError, match=r"h0 must have shape \(1, \*\), got \(2, 2\)"):
        rnn_forward(xs, np.zeros((2, 2)), **p)
    with pytest.raises(ValueError, match=r"w must have shape \(2, 5\), got \(2, 4\)"):
        rnn_forward(xs, np.zeros((1, 2)), np.zeros((2, 4)), p["b"], p["v"], p["c"])
    with pytest.raises(ValueError, match=r"w must have shape \(8, 5\)"):
        lstm_forward(xs, np.zeros((1, 2)), np.zeros((1, 2)), p["w"], np.zeros(8))
    with pytest.raises(ValueError, match=r"c0 must have shape \(1, 2\), got \(1, 3\)"):
        lstm_forward(xs, np.zeros((1, 2)), np.zeros((1, 3)), *lstm_init(3, 2, rng=default_rng(0)))
    with pytest.raises(ValueError, match=r"dys must have shape \(4, 1, 2\)"):
        rnn_backward(np.zeros((4, 1, 3)), xs, np.zeros((1, 2)), **p)
    with pytest.raises(ValueError, match=r"weight_ih must have 4H rows"):
        lstm_weights_from_pytorch(np.zeros((6, 2)), np.zeros((6, 1)), np.zeros(6), np.zeros(6))
    with pytest.raises(ValueError, match=r"activation must be one of 'tanh', 'sigmoid', 'relu'"):
        rnn_forward(xs, np.zeros((1, 2)), **p, activation="softmax")
    with pytest.raises(ValueError, match=r"activation must be one of"):
        hidden_state_jacobian_norms(xs, np.zeros((1, 2)), p["w"], p["b"], activation="ReLU")
    with pytest.raises(ValueError, match=r"spectral_radius must be in \[0, inf\]"):
        recurrent_matrix(3, spectral_radius=-1.0, rng=default_rng(0))
    for k, v in before.items():  # a refused call leaves its arguments as they were
        np.testing.assert_array_equal(p[k], v)


@pytest.mark.parametrize("call", ["lstm_step", "lstm_step_backward", "lstm_forward", "lstm_backward"])
def test_lstm_pre_activations_that_overflow_raise_a_clear_error_not_nan(call):
    # The gates are computed without the public sigmoid's checks; an overflow in
    # z @ w.T (w near 1e300 against inputs near 1e10) must still be an error naming it.
    import warnings

    from lecturekit import rnn

    w, b = rnn.lstm_init(2, 3, rng=default_rng(0))
    w = w * 1e300
    x, h, c = np.full((1, 2), 1e10), np.full((1, 3), 1e10), np.zeros((1, 3))
    args = {"lstm_step": (x, h, c, w, b),
            "lstm_step_backward": (np.ones((1, 3)), np.ones((1, 3)), x, h, c, w, b),
            "lstm_forward": (np.repeat(x[None], 3, axis=0), h, c, w, b),
            "lstm_backward": (np.ones((3, 1, 3)), np.repeat(x[None], 3, axis=0), h, c, w, b)}[call]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no RuntimeWarning on the way
        with pytest.raises(ValueError, match="overflows float64.*pre-activation"):
            getattr(rnn, call)(*args)
