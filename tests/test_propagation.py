"""lecturekit.propagation: signal_propagation against a pass by hand, mean-field limits, and
expected_variances against the recursion integrated by scipy."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit.gradcheck import assert_gradcheck
from lecturekit.init import weight_variance
from lecturekit.propagation import expected_variances, signal_propagation
from lecturekit.rng import default_rng

from .references import second_moment  # E[g(z)^2], z ~ N(0, 1), by scipy.integrate.quad


def test_bad_arguments_raise_naming_the_argument():
    rng = default_rng(0)
    with pytest.raises(ValueError, match="init must be one of .* got 'orthogonal'"):
        signal_propagation(2, 3, init="orthogonal", rng=rng)
    with pytest.raises(ValueError, match="depth must be >= 1, got 0"):
        signal_propagation(0, 3, rng=rng)
    with pytest.raises(ValueError, match=r"gain must be in \[0, inf\], got -1"):
        signal_propagation(2, 3, gain=-1.0, rng=rng)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        signal_propagation(2, 3, rng=None)


# ---------------------------------------------------------------- signal propagation


def test_signal_propagation_matches_a_by_hand_forward_and_backward():
    # The documented draw order (input, weights layer by layer, upstream gradient),
    # replayed by hand; the hand-written backward is itself checked by finite differences.
    depth, width, batch, std = 3, 4, 5, 0.7
    rng = default_rng(7)
    x = rng.standard_normal((batch, width))
    ws = [rng.normal(0, std, size=(width, width)) for _ in range(depth)]
    upstream = rng.standard_normal((batch, width))

    def forward(x):
        acts, pre = [], []
        for w in ws:
            pre.append(x @ w.T)
            x = np.tanh(pre[-1])
            acts.append(x)
        return acts, pre

    acts, pre = forward(x)
    da, grads = upstream, [None] * depth
    for l in reversed(range(depth)):
        da = (da * (1 - np.tanh(pre[l]) ** 2)) @ ws[l]
        grads[l] = da
    assert_gradcheck(lambda x: np.sum(forward(x)[0][-1] * upstream), [x], [grads[0]], names=["x"])

    s = signal_propagation(depth, width, init="normal", std=std, activation="tanh",
                           batch_size=batch, rng=default_rng(7))
    np.testing.assert_allclose(s.forward_mean, [a.mean() for a in acts], rtol=1e-12)
    np.testing.assert_allclose(s.forward_var, [a.var() for a in acts], rtol=1e-12)
    np.testing.assert_allclose(s.preact_var, [z.var() for z in pre], rtol=1e-12)
    np.testing.assert_allclose(s.backward_mean, [g.mean() for g in grads], rtol=1e-12)
    np.testing.assert_allclose(s.backward_var, [g.var() for g in grads], rtol=1e-12)
    np.testing.assert_allclose(s.forward_unit_std, [a.std(axis=1).mean() for a in acts],
                               rtol=1e-12)


def test_zero_and_constant_init_make_every_unit_the_same():
    s = signal_propagation(10, 64, init="zeros", activation="sigmoid", batch_size=32,
                           rng=default_rng(0))
    np.testing.assert_array_equal(s.forward_mean, 0.5)  # sigmoid(0)
    np.testing.assert_array_equal(s.forward_var, 0)
    np.testing.assert_array_equal(s.backward_var, 0)  # zero weights pass no gradient back
    s = signal_propagation(10, 64, init="constant", value=1 / 64, activation="tanh",
                           batch_size=32, rng=default_rng(0))
    assert np.all(s.forward_var > 1e-4) and np.all(s.backward_var > 1e-4)
    # the spread across units is rounding, relative to the signal's own size
    assert np.all(s.forward_unit_std < 1e-12 * np.sqrt(s.forward_var))
    assert np.all(s.backward_unit_std < 1e-12 * np.sqrt(s.backward_var))
    # whereas random init gives every unit its own value
    s = signal_propagation(10, 64, init="xavier_normal", batch_size=32, rng=default_rng(0))
    assert np.all(s.forward_unit_std > 0.1 * np.sqrt(s.forward_var))


def _log_tolerance(layer, width):
    # Each layer multiplies the variance by a width-n average of squares, whose relative
    # fluctuation is at most sqrt(Var(u^2)/E[u^2]^2 / n) = sqrt(5/n) (u = relu(z), z normal;
    # tanh is lighter-tailed). In log-scale these add as a random walk: sd sqrt(5 l / n)
    # after l layers. We allow 5 of them.
    return 5 * math.sqrt(5 * layer / width)


def test_he_init_keeps_relu_variance_and_xavier_halves_it():
    depth, width = 20, 256
    he = signal_propagation(depth, width, init="kaiming_normal", activation="relu",
                            batch_size=64, rng=default_rng(1))
    xa = signal_propagation(depth, width, init="xavier_normal", activation="relu",
                            batch_size=64, rng=default_rng(1))
    layers = np.arange(1, depth + 1)
    # Mean field: Var z^l = n * (2/n) * E[relu(z^{l-1})^2] = Var z^{l-1} = 2 Var x = 2.
    tol = np.array([_log_tolerance(l, width) for l in layers])
    assert np.all(np.abs(np.log(he.preact_var / 2.0)) < tol)
    assert np.all(np.abs(np.log(he.backward_var)) < tol[::-1] + _log_tolerance(1, width))
    # Xavier (Var 1/n for a square layer) loses the ReLU's factor 1/2 at every layer.
    assert np.all(np.abs(np.log(xa.preact_var / 2.0 ** (1 - layers))) < tol)


def test_xavier_keeps_tanh_near_the_mean_field_curve_and_fixed_std_does_not():
    depth, width = 20, 256
    s = signal_propagation(depth, width, init="xavier_normal", activation="tanh",
                           batch_size=64, rng=default_rng(2))
    # Mean field (width -> infinity): q_1 = Var x = 1, Var a^l = E tanh(sqrt(q_l) xi)^2 = q_{l+1}.
    q, expected = 1.0, []
    for _ in range(depth):
        q = second_moment(lambda z, q=q: math.tanh(math.sqrt(q) * z))
        expected.append(q)
    tol = np.array([_log_tolerance(l, width) for l in range(1, depth + 1)])
    assert np.all(np.abs(np.log(s.forward_var / expected)) < tol)
    small = signal_propagation(depth, width, init="normal", std=0.01, activation="tanh",
                               batch_size=64, rng=default_rng(2))
    # too small: Var z^l ≈ n std^2 Var a^{l-1} = 0.0256 per layer, geometric vanishing
    assert small.forward_var[-1] < 0.0256 ** (depth - 1) * 100
    assert small.backward_var[0] < 1e-25
    big = signal_propagation(depth, width, init="normal", std=1.0, activation="tanh",
                             batch_size=64, rng=default_rng(2))
    # too big: tanh saturates, |a| ≈ 1
    assert np.all(big.preact_var > 100) and np.all(big.forward_var > 0.9)


def test_too_large_relu_init_explodes_and_overflow_is_reported_not_raised():
    s = signal_propagation(10, 64, init="normal", std=1.0, activation="relu", batch_size=32,
                           rng=default_rng(3))
    # n std^2 / 2 = 32 per layer
    assert s.forward_var[-1] / s.forward_var[0] > 32 ** 9 / 100
    s = signal_propagation(50, 256, init="normal", std=1000.0, activation="relu",
                           batch_size=8, rng=default_rng(3))
    assert np.isinf(s.forward_var[-1]) and np.all(np.isfinite(s.forward_var[:5]))
    assert np.all(np.isinf(s.backward_var)) and np.all(np.isnan(s.backward_mean))


def test_float32_gives_the_same_statistics_to_float32_precision():
    kw = dict(init="kaiming_normal", activation="leaky_relu", batch_size=16)
    a = signal_propagation(5, 32, rng=default_rng(4), **kw)
    b = signal_propagation(5, 32, rng=default_rng(4), dtype=np.float32, **kw)
    np.testing.assert_allclose(b.forward_var, a.forward_var, rtol=1e-4)
    np.testing.assert_allclose(b.backward_var, a.backward_var, rtol=1e-4)


def test_xavier_with_sigmoid_follows_the_second_moment_and_shrinks_the_gradient_geometrically():
    # The variance argument in general: for z = sum_j w_j x_j with E w = 0 and w independent of x,
    # Var(z) = n Var(w) E[x^2], which is n Var(w) Var(x) only for E x = 0. Sigmoid's outputs
    # have mean 1/2, so the next layer's Var(z) follows E[a^2], not Var(a).
    depth, width = 20, 256
    s = signal_propagation(depth, width, init="xavier_normal", activation="sigmoid",
                           batch_size=64, rng=default_rng(5))
    assert np.all(np.abs(s.forward_mean - 0.5) < 0.02)
    a_squared = s.forward_var + s.forward_mean**2  # E[(a^l)^2]; n Var(w) = 1 (square layers)
    assert abs(np.mean(s.preact_var[1:] / a_squared[:-1]) - 1) < 0.05
    assert np.all(s.preact_var[1:] / s.forward_var[:-1] > 5)  # Var(a) alone is far too small
    # Backward: each layer multiplies the gradient's variance by n Var(w) E[sigmoid'(z)^2]
    # <= 1/16, with z ~ N(0, Var z^l); the product, by quadrature, against the measured value.
    def sigmoid_slope(u):  # sigmoid'(u), even in u, written so that it never overflows
        return math.exp(-abs(u)) / (1 + math.exp(-abs(u))) ** 2

    def sigmoid_slope_squared(v):  # E[sigmoid'(z)^2], z ~ N(0, v) = sqrt(v) * N(0, 1)
        return second_moment(lambda u: sigmoid_slope(math.sqrt(v) * u))

    factors = np.array([sigmoid_slope_squared(v) for v in s.preact_var])
    assert np.all(factors < 1 / 16)
    assert abs(np.log(s.backward_var[0]) - np.sum(np.log(factors))) < 1.0  # over ~57 in log


# ---------------------------------------------------------------- layers of different widths


def test_signal_propagation_with_per_layer_widths_matches_a_by_hand_pass():
    widths, batch = [4, 3, 6, 2], 5
    rng = default_rng(11)
    x = rng.standard_normal((batch, widths[0]))
    # He fan_out for ReLU: std sqrt(2 / n_out), drawn in the documented order
    ws = [rng.normal(0, math.sqrt(2 / n_out), size=(n_out, n_in))
          for n_in, n_out in zip(widths[:-1], widths[1:], strict=True)]
    upstream = rng.standard_normal((batch, widths[-1]))
    acts, pre = [], []
    a = x
    for w in ws:
        pre.append(a @ w.T)
        a = np.maximum(pre[-1], 0)
        acts.append(a)
    da, grads = upstream, [None] * len(ws)
    for l in reversed(range(len(ws))):
        da = (da * (pre[l] > 0)) @ ws[l]
        grads[l] = da
    s = signal_propagation(3, widths, init="kaiming_normal", activation="relu", mode="fan_out",
                           batch_size=batch, rng=default_rng(11))
    np.testing.assert_allclose(s.forward_var, [a.var() for a in acts], rtol=1e-12)
    np.testing.assert_allclose(s.preact_var, [z.var() for z in pre], rtol=1e-12)
    np.testing.assert_allclose(s.backward_var, [g.var() for g in grads], rtol=1e-12)
    # an int width is the same network as a list of equal widths, draw for draw
    a, b = (signal_propagation(4, w, init="xavier_uniform", batch_size=8, rng=default_rng(2))
            for w in (16, [16] * 5))
    np.testing.assert_array_equal(a.forward_var, b.forward_var)
    np.testing.assert_array_equal(a.backward_var, b.backward_var)


def test_per_layer_widths_and_mode_are_checked():
    rng = default_rng(0)
    with pytest.raises(ValueError, match=r"width must list depth \+ 1 = 4 widths .* got 3"):
        signal_propagation(3, [4, 4, 4], rng=rng)
    with pytest.raises(ValueError, match=r"width\[1\] must be >= 1, got 0"):
        signal_propagation(2, [4, 0, 4], rng=rng)
    with pytest.raises(TypeError, match=r"width must be an int or a sequence .* got float"):
        signal_propagation(2, 4.0, rng=rng)
    with pytest.raises(ValueError, match="mode must be one of .* got 'fan_mean'"):
        signal_propagation(2, 4, init="kaiming_normal", mode="fan_mean", rng=rng)
    with pytest.raises(ValueError, match="weight_var must be finite variances >= 0"):
        expected_variances([4, 4], [-1.0])
    with pytest.raises(ValueError, match="with an int width, weight_var must list"):
        expected_variances(4, 0.25)


def test_expected_variances_is_the_recursion_of_the_notes():
    # Linear: Var z^l = n^{l-1} v_l * E[(a^{l-1})^2] and the backward factor n^l v_l, exactly.
    widths, v = [8, 4, 16, 2], [0.1, 0.3, 0.05]
    fwd, pre, bwd = expected_variances(widths, v, activation="linear")
    np.testing.assert_allclose(pre, np.cumprod([8 * 0.1, 4 * 0.3, 16 * 0.05]), rtol=1e-12)
    np.testing.assert_allclose(fwd, pre, rtol=1e-12)
    up = np.cumprod([2 * 0.05, 16 * 0.3, 4 * 0.1])  # from the top down
    np.testing.assert_allclose(bwd, up[::-1], rtol=1e-12)
    # ReLU: E relu(z)^2 = Var z / 2, Var relu(z) = (1/2 - 1/(2 pi)) Var z, E relu'(z)^2 = 1/2
    fwd, pre, bwd = expected_variances(widths, v, activation="relu")
    np.testing.assert_allclose(pre, 0.8 * np.cumprod([1, 1.2 / 2, 0.8 / 2]), rtol=1e-12)
    np.testing.assert_allclose(fwd, (0.5 - 0.5 / math.pi) * pre, rtol=1e-12)
    np.testing.assert_allclose(bwd, (up / 2 ** np.arange(1, 4))[::-1], rtol=1e-12)
    # tanh, against the same recursion integrated by scipy
    n, depth = 100, 6
    fwd, pre, bwd = expected_variances(n, [1.5 / n] * depth, activation="tanh")
    q, slope = 1.0, []
    for l in range(depth):
        z_var = 1.5 * q
        sd = math.sqrt(z_var)
        assert pre[l] == pytest.approx(z_var, rel=1e-10)
        q = second_moment(lambda z, sd=sd: math.tanh(sd * z))
        assert fwd[l] == pytest.approx(q, rel=1e-10)  # tanh is odd: E a = 0
        slope.append(1.5 * second_moment(lambda z, sd=sd: 1 - math.tanh(sd * z) ** 2))
    np.testing.assert_allclose(bwd, np.cumprod(slope[::-1])[::-1], rtol=1e-10)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
def test_wide_networks_follow_expected_variances(activation):
    widths = np.geomspace(512, 128, 9).round().astype(int)
    for init, mode in (("xavier_normal", "fan_in"), ("kaiming_normal", "fan_out")):
        v = [weight_variance(init, (m, n), activation=activation, mode=mode)
             for n, m in zip(widths[:-1], widths[1:], strict=True)]
        fwd, pre, bwd = expected_variances(widths, v, activation=activation)
        s = signal_propagation(8, widths, init=init, activation=activation, mode=mode,
                               batch_size=256, rng=default_rng(3))
        # the log-scale wander of a width >= 128 network over 8 layers, as in _log_tolerance
        tol = _log_tolerance(8, 128)
        for got, want in ((s.preact_var, pre), (s.forward_var, fwd), (s.backward_var, bwd)):
            assert np.all(np.abs(np.log(got / want)) < tol)


def test_with_changing_widths_fan_in_keeps_forward_fan_out_backward_xavier_splits():
    # The docstring's table: linear layers narrowing geometrically from 256 to 16 in 30 steps.
    widths = np.geomspace(256, 16, 31).round().astype(int)
    n_in, n_out = widths[:-1], widths[1:]
    shapes = list(zip(n_out, n_in, strict=True))

    def ends(init, mode="fan_in"):
        v = [weight_variance(init, s, activation="linear", mode=mode) for s in shapes]
        fwd, _, bwd = expected_variances(widths, v, activation="linear")
        return fwd[-1], bwd[0]

    # He's gain sqrt(2) is for ReLU; for linear layers compare LeCun-style fans (gain 1)
    assert ends("lecun_normal") == pytest.approx((1.0, 16 / 256), rel=1e-9)
    he_in, he_out = ends("kaiming_normal", "fan_in"), ends("kaiming_normal", "fan_out")
    assert he_in[1] / he_in[0] == pytest.approx(16 / 256, rel=1e-9)  # backward/forward: n_L/n_0
    assert he_out[1] / he_out[0] == pytest.approx(1.0 / 16, rel=1e-9)
    assert he_out[0] / 2.0**30 == pytest.approx(256 / 16, rel=1e-9)  # forward grows n_0/n_L
    fwd, bwd = ends("xavier_normal")
    assert fwd == pytest.approx(np.prod(2 * n_in / (n_in + n_out)), rel=1e-9)
    assert bwd == pytest.approx(np.prod(2 * n_out / (n_in + n_out)), rel=1e-9)
    assert (round(fwd, 1), round(bwd, 2)) == (3.9, 0.24)  # the figures in the docstring
    assert fwd * bwd == pytest.approx(np.prod(4 * n_in * n_out / (n_in + n_out) ** 2))


@pytest.mark.parametrize("activation", ["linear", "relu", "tanh", "sigmoid"])
def test_expected_variances_overflow_to_inf_not_nan(activation):
    fwd, pre, bwd = expected_variances(4, [1e200, 1e200, 1e200], activation=activation)
    for a in (fwd, pre, bwd):
        assert not np.any(np.isnan(a))
    if activation in ("linear", "relu"):  # unbounded: the variances overflow
        assert np.isinf(pre[-1]) and np.isinf(bwd[0])
    else:  # bounded: |a| <= 1 keeps the forward finite; each g'(z) is tiny, but
        # n Var(w) E[g'(z)^2] >> 1, so the gradient still grows towards the input
        assert np.all(fwd <= 1) and np.all(np.isfinite(pre))
        assert np.all(np.isfinite(bwd)) and bwd[0] > bwd[1] > bwd[2] > 1


def _normal_mean_by_quad(f):
    """E f(x) for x ~ N(0, 1), f even, by scipy.integrate.quad to a relative 1e-12: no absolute
    tolerance, so that an expectation of 1e-100 is as accurate as one of 1."""
    from scipy import integrate

    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    return 2 * integrate.quad(lambda x: f(x) * pdf(x), 0, np.inf, epsabs=0, epsrel=1e-12,
                              limit=200)[0]


def _recursion_by_quad(widths, v, activation):
    """The mean-field recursion of expected_variances, each expectation by quadrature."""
    second, fwd, pre, slope = 1.0, [], [], []
    for l in range(len(v)):
        q = widths[l] * v[l] * second
        sd = math.sqrt(q)
        if activation == "tanh":  # odd: Var tanh(z) = E tanh(z)^2
            var = _normal_mean_by_quad(lambda x, sd=sd: math.tanh(sd * x) ** 2)
            second = var
            s = _normal_mean_by_quad(lambda x, sd=sd: (1 - math.tanh(sd * x) ** 2) ** 2)
        else:  # sigmoid(z) - 1/2 = tanh(z/2)/2, written so (sigmoid(z) - 0.5 would round away)
            var = _normal_mean_by_quad(lambda x, sd=sd: (math.tanh(sd * x / 2) / 2) ** 2)
            second = 0.25 + var

            def s_prime_sq(x, sd=sd):
                sig = 1 / (1 + math.exp(-sd * x))
                return (sig * (1 - sig)) ** 2

            s = _normal_mean_by_quad(s_prime_sq)
        fwd.append(var)
        pre.append(q)
        slope.append(s)
    upstream, bwd = 1.0, []
    for l in reversed(range(len(v))):
        upstream *= widths[l + 1] * v[l] * slope[l]
        bwd.append(upstream)
    return np.array(fwd), np.array(pre), np.array(bwd[::-1])


@pytest.mark.parametrize("activation, std, taper", [
    ("tanh", 0.001, 1), ("tanh", 0.01, 0.25), ("tanh", 0.01, 2), ("tanh", 0.01, 8),
    ("sigmoid", 0.001, 1), ("sigmoid", 0.001, 8),
])
def test_expected_variances_are_exact_and_positive_for_tiny_preactivations(activation, std, taper):
    # The InitExplorer's settings that showed "math domain error": init "normal" with a small
    # std, 30 layers of the widest width 64, tapered (n_L / n_0 = taper) as the explorer does.
    # With tanh, Var z shrinks by about n std^2 per layer, to 1e-100 and below: 1 - E sech^2(z)
    # was rounding there, then negative, and the next sqrt failed. With the sigmoid,
    # Var a = E[sigmoid^2] - 1/4 kept only the first digits of a variance of 4e-6.
    first, last = (64, 64 * taper) if taper <= 1 else (64 / taper, 64)
    widths = np.maximum(1, np.geomspace(first, last, 31).round()).astype(int)
    v = [std**2] * 30
    fwd, pre, bwd = expected_variances(widths, v, activation=activation)
    ref_fwd, ref_pre, ref_bwd = _recursion_by_quad(widths, v, activation)
    assert np.all(fwd > 0) and np.all(pre > 0) and np.all(np.isfinite(bwd))
    if activation == "tanh":  # sigmoid's mean 1/2 keeps E a^2 >= 1/4: its Var z stays ~ n std^2 / 4
        assert pre[-1] < 1e-40  # the range where 1 - E sech^2 failed
    np.testing.assert_allclose(pre, ref_pre, rtol=1e-9)
    np.testing.assert_allclose(fwd, ref_fwd, rtol=1e-11)
    np.testing.assert_allclose(bwd, ref_bwd, rtol=1e-9)
    # Small Var z = q: Var tanh(z) = q - 2q^2 + O(q^3) (tanh^2 z = z^2 - 2z^4/3 + ..., E z^4 = 3q^2),
    # Var sigmoid(z) = q/16 - q^2/32 + O(q^3) (tanh^2(z/2)/4 = z^2/16 - z^4/96 + ...).
    q = pre[-1]
    series = q - 2 * q**2 if activation == "tanh" else q / 16 - q**2 / 32
    assert fwd[-1] == pytest.approx(series, rel=1e-9)  # the O(q^3) term: below q^2 < 1e-9


def _stats_of_one(a):
    """(mean, variance, mean unit std) of one (batch, width) array, as propagation first wrote it."""
    batch, width = a.shape
    row_mean = np.add.reduce(a, axis=1) / width
    centred = a - row_mean[:, None]
    row_var = np.einsum("ij,ij->i", centred, centred) / width
    mean = float(np.add.reduce(row_mean) / batch)
    var = float(np.add.reduce(row_var) / batch + np.add.reduce((row_mean - mean) ** 2) / batch)
    if not np.isfinite(var):
        return np.nan, np.inf, np.nan
    return mean, var, float(np.add.reduce(np.sqrt(row_var)) / batch)


def _signal_propagation_layer_by_layer(depth, widths, *, init, activation, batch_size, rng,
                                       dtype=np.float64, **kw):
    """signal_propagation's statistics as written before its fast path: each layer's weight
    from lecturekit.init.initialize, each statistic of one array at a time."""
    from lecturekit.activations import activation_kernels
    from lecturekit.init import initialize

    g, g_prime = activation_kernels(activation, kw.get("negative_slope", 0.01))
    a = rng.standard_normal((batch_size, widths[0])).astype(dtype, copy=False)
    forward, weights, preacts = [], [], []
    with np.errstate(over="ignore", invalid="ignore"):
        for l in range(depth):
            w = initialize(init, (widths[l + 1], widths[l]), rng=rng, activation=activation, **kw)
            w = w.astype(dtype, copy=False)
            z = a @ w.T
            a = g(z)
            weights.append(w)
            preacts.append(z)
            forward.append((*_stats_of_one(a), _stats_of_one(z)[1]))
        da = rng.standard_normal((batch_size, widths[-1])).astype(dtype, copy=False)
        backward = [(np.nan, np.inf, np.nan)] * depth
        if all(np.isfinite(row[1]) for row in forward):
            for l in reversed(range(depth)):
                da = (da * g_prime(preacts[l])) @ weights[l]
                backward[l] = _stats_of_one(da)
    # forward_mean, forward_var, forward_unit_std, preact_var, then the three backward ones
    return np.array([f + b for f, b in zip(forward, backward, strict=True)]).T


@settings(max_examples=60, deadline=None)
@given(init=st.sampled_from(["zeros", "constant", "normal", "lecun_normal", "lecun_uniform",
                             "xavier_normal", "xavier_uniform", "kaiming_normal", "kaiming_uniform"]),
       activation=st.sampled_from(["linear", "sigmoid", "tanh", "relu", "leaky_relu"]),
       widths=st.lists(st.integers(1, 9), min_size=2, max_size=6),
       batch_size=st.integers(1, 7), seed=st.integers(0, 2**32 - 1),
       mode=st.sampled_from(["fan_in", "fan_out", "fan_avg"]),
       std=st.sampled_from([0.01, 1.0, 1e3]), gain=st.sampled_from([1.0, 5 / 3]),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_signal_propagation_gives_the_bits_of_the_layer_by_layer_code(
        init, activation, widths, batch_size, seed, mode, std, gain, dtype):
    """The fast path (weights drawn with the checks done once, a layer's statistics in one
    stacked pass) draws the same weights and gives the same bits, forward and backward,
    overflow included."""
    depth = len(widths) - 1
    kw = dict(std=std, value=0.3, gain=gain, negative_slope=0.2, mode=mode)
    fast = signal_propagation(depth, widths, init=init, activation=activation, batch_size=batch_size,
                              rng=default_rng(seed), dtype=dtype, **kw)
    ref = _signal_propagation_layer_by_layer(depth, widths, init=init, activation=activation,
                                             batch_size=batch_size, rng=default_rng(seed), dtype=dtype,
                                             **kw)
    got = np.array([fast.forward_mean, fast.forward_var, fast.forward_unit_std, fast.preact_var,
                    fast.backward_mean, fast.backward_var, fast.backward_unit_std])
    np.testing.assert_array_equal(got, ref)
