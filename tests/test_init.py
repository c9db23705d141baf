"""lecturekit.init: fans and gains by PyTorch's rules, sampled variances, signal propagation."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from lecturekit.gradcheck import assert_gradcheck
from lecturekit.init import (
    calculate_fans,
    calculate_gain,
    constant,
    expected_variances,
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    lecun_uniform,
    normal,
    signal_propagation,
    uniform,
    weight_variance,
    xavier_normal,
    xavier_uniform,
    zeros,
)
from lecturekit.rng import default_rng

SMALL = settings(max_examples=25, deadline=None)


def _fans_by_pytorch_rule(shape):
    # torch.nn.init._calculate_fan_in_and_fan_out, written out: the receptive field is
    # the product of the kernel sizes; fan_in = in * field, fan_out = out * field.
    field = 1
    for k in shape[2:]:
        field *= k
    return shape[1] * field, shape[0] * field


@pytest.mark.parametrize("shape,expected", [((10, 3), (3, 10)), ((64, 3, 3, 3), (27, 576)),
                                            ((8, 4, 5), (20, 40)), ((2, 3, 4, 5, 6), (360, 240))])
def test_fans_on_dense_and_conv_shapes(shape, expected):
    assert calculate_fans(shape) == expected == _fans_by_pytorch_rule(shape)


@SMALL
@given(shape=st.lists(st.integers(1, 6), min_size=2, max_size=5))
def test_fans_match_pytorch_rule_hypothesis(shape):
    assert calculate_fans(tuple(shape)) == _fans_by_pytorch_rule(shape)


def test_fans_of_a_1d_shape_raise_naming_the_argument():
    with pytest.raises(ValueError, match=r"shape must have at least 2 dimensions .* Fan in and "
                                         r"fan out can not be computed for tensor with fewer "
                                         r"than 2 dimensions, got shape \(5,\)"):
        calculate_fans((5,))
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed"):
        xavier_normal(5, rng=default_rng(0))


def _second_moment(g):
    """E[g(z)^2] for z ~ N(0, 1), by numerical integration (scipy.integrate.quad)."""
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    return integrate.quad(lambda z: g(z) ** 2 * pdf(z), -np.inf, np.inf)[0]


def test_gains_match_pytorch_values_and_relu_gain_preserves_the_second_moment():
    for name in ("linear", "identity", "conv1d", "conv2d", "conv3d", "sigmoid"):
        assert calculate_gain(name) == 1.0
    assert calculate_gain("tanh") == pytest.approx(5 / 3, rel=1e-15)
    assert calculate_gain("selu") == pytest.approx(0.75, rel=1e-15)
    # gain^2 * E[g(z)^2] = 1 for z ~ N(0, 1): the gain undoes what the activation removes.
    assert calculate_gain("relu") ** 2 * _second_moment(lambda z: max(z, 0.0)) == pytest.approx(1)
    for slope in (None, 0.2, 1.0):
        s = 0.01 if slope is None else slope
        g2 = calculate_gain("leaky_relu", slope) ** 2
        assert g2 == pytest.approx(2 / (1 + s * s), rel=1e-15)
        assert g2 * _second_moment(lambda z, s=s: z if z > 0 else s * z) == pytest.approx(1)


def _check_variance(w, var, uniform_bound=None):
    # The sample variance of n iid draws has standard error sqrt((mu4 - sigma^4) / n):
    # sqrt(2/n) sigma^2 for a normal (mu4 = 3 sigma^4), sqrt(0.8/n) sigma^2 for a uniform
    # (mu4 = b^4/5 = 9 sigma^4 / 5). With n = 1e6 that is 0.14% and 0.09%; we allow 5 SE.
    n = w.size
    rel_se = math.sqrt((0.8 if uniform_bound else 2.0) / n)
    assert abs(np.var(w) / var - 1) < 5 * rel_se
    assert abs(np.mean(w)) < 5 * math.sqrt(var / n)
    if uniform_bound is not None:
        assert np.max(np.abs(w)) <= uniform_bound
        assert np.max(np.abs(w)) > 0.999 * uniform_bound  # the bound is reached, not just met


DENSE = (2000, 500)  # fan_out 2000, fan_in 500: 10^6 draws
CONV = (250, 40, 10, 10)  # fan_in 4000, fan_out 25000: 10^6 draws


@pytest.mark.parametrize("shape", [DENSE, CONV])
def test_sampled_variances_match_their_formulas_on_a_million_draws(shape):
    rng = default_rng(1)
    n_in, n_out = _fans_by_pytorch_rule(shape)
    _check_variance(lecun_normal(shape, rng=rng), 1 / n_in)
    _check_variance(lecun_uniform(shape, rng=rng), 1 / n_in, math.sqrt(3 / n_in))
    # MLP lecture: Xavier Var(w) = 2 / (n_in + n_out), R(-sqrt(6/(n_in+n_out)), +...)
    _check_variance(xavier_normal(shape, rng=rng), 2 / (n_in + n_out))
    _check_variance(xavier_uniform(shape, rng=rng), 2 / (n_in + n_out),
                    math.sqrt(6 / (n_in + n_out)))
    _check_variance(xavier_normal(shape, gain=5 / 3, rng=rng), 25 / 9 * 2 / (n_in + n_out))
    # MLP lecture: He Var(w) = 2 / n_in, R(-sqrt(6/n_in), sqrt(6/n_in))
    _check_variance(kaiming_normal(shape, rng=rng), 2 / n_in)
    _check_variance(kaiming_uniform(shape, rng=rng), 2 / n_in, math.sqrt(6 / n_in))
    _check_variance(kaiming_normal(shape, mode="fan_out", rng=rng), 2 / n_out)
    _check_variance(kaiming_normal(shape, mode="fan_avg", nonlinearity="relu", rng=rng),
                    4 / (n_in + n_out))
    _check_variance(kaiming_uniform(shape, a=0.2, rng=rng), 2 / (1.04 * n_in),
                    math.sqrt(6 / (1.04 * n_in)))
    _check_variance(kaiming_normal(shape, nonlinearity="tanh", rng=rng), 25 / 9 / n_in)


def test_variance_of_z_is_n_in_var_w_and_of_the_gradient_n_out_var_w():
    # MLP lecture: z_i = sum_j w_ij x_j has E z_i = 0 and Var z_i = n_in Var(w) Var(x);
    # the input gradient W^T g sums n_out terms: Var = n_out Var(w) Var(g). So fan_in
    # scaling preserves the forward variance and fan_out scaling the backward one.
    n_in, n_out, batch = 400, 100, 2000
    rng = default_rng(5)
    x = rng.standard_normal((n_in, batch))  # x_j ~ N(0, 1), one column per sample
    g = rng.standard_normal((n_out, batch))  # a unit-variance upstream gradient
    for w, var_w in [(lecun_normal((n_out, n_in), rng=rng), 1 / n_in),
                     (kaiming_normal((n_out, n_in), mode="fan_out", nonlinearity="linear",
                                     rng=rng), 1 / n_out)]:
        z, dx = w @ x, w.T @ g  # z = W x; grad_x f = W^T grad_z f
        # The sample variance of these (correlated) entries fluctuates by far less than
        # sqrt(2/n + 2/batch) relative, a conservative bound; we allow 5 of it.
        assert abs(z.var() / (n_in * var_w) - 1) < 5 * math.sqrt(2 / n_out + 2 / batch)
        assert abs(dx.var() / (n_out * var_w) - 1) < 5 * math.sqrt(2 / n_in + 2 / batch)
        # mean(z) = (mean row of W) . (mean column of x): variance n_in var_w / (n_out batch)
        assert abs(z.mean()) < 5 * math.sqrt(n_in * var_w / (n_out * batch))


def test_plain_initialisers():
    np.testing.assert_array_equal(zeros((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(constant(4, 0.5), np.full(4, 0.5))
    _check_variance(normal((1000, 1000), 0.3, rng=default_rng(2)), 0.09)
    w = uniform((1000, 1000), -0.5, 1.5, rng=default_rng(3))
    assert abs(np.var(w) / (2.0**2 / 12) - 1) < 5 * math.sqrt(0.8 / w.size)
    assert w.min() >= -0.5 and w.max() < 1.5


def test_bad_input_raises_naming_the_argument():
    rng = default_rng(0)
    with pytest.raises(ValueError, match="mode must be one of 'fan_in', 'fan_out', 'fan_avg', "
                                         "got 'fan_sum'"):
        kaiming_normal((3, 4), mode="fan_sum", rng=rng)
    with pytest.raises(ValueError, match=r"a \(the negative slope\) is used only with "
                                         r"nonlinearity='leaky_relu', got a=0.1"):
        kaiming_normal((3, 4), a=0.1, nonlinearity="relu", rng=rng)
    with pytest.raises(ValueError, match="nonlinearity must be one of .* got 'gelu'"):
        calculate_gain("gelu")
    with pytest.raises(ValueError, match="param .* is used only with 'leaky_relu'"):
        calculate_gain("relu", 0.1)
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        xavier_normal((3, 4), rng=None)
    with pytest.raises(ValueError, match=r"std must be in \[0, inf\], got -1"):
        normal((3,), -1.0, rng=rng)
    with pytest.raises(ValueError, match="a must be less than b, got a=1, b=0"):
        uniform((3,), 1.0, 0.0, rng=rng)
    with pytest.raises(TypeError, match="shape must be an integer or a tuple of integers"):
        zeros((2.5, 3))
    with pytest.raises(ValueError, match="init must be one of .* got 'orthogonal'"):
        signal_propagation(2, 3, init="orthogonal", rng=rng)
    with pytest.raises(ValueError, match="depth must be >= 1, got 0"):
        signal_propagation(0, 3, rng=rng)


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
        q = _second_moment(lambda z, q=q: math.tanh(math.sqrt(q) * z))
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
    second_moment = s.forward_var + s.forward_mean**2  # E[(a^l)^2]; n Var(w) = 1 (square layers)
    assert abs(np.mean(s.preact_var[1:] / second_moment[:-1]) - 1) < 0.05
    assert np.all(s.preact_var[1:] / s.forward_var[:-1] > 5)  # Var(a) alone is far too small
    # Backward: each layer multiplies the gradient's variance by n Var(w) E[sigmoid'(z)^2]
    # <= 1/16, with z ~ N(0, Var z^l); the product, by quadrature, against the measured value.
    def sigmoid_slope(u):  # sigmoid'(u), even in u, written so that it never overflows
        return math.exp(-abs(u)) / (1 + math.exp(-abs(u))) ** 2

    def sigmoid_slope_squared(v):  # E[sigmoid'(z)^2], z ~ N(0, v) = sqrt(v) * N(0, 1)
        return _second_moment(lambda u: sigmoid_slope(math.sqrt(v) * u))

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


def test_weight_variance_is_the_variance_each_scheme_draws():
    shape, kw = (300, 500), dict(activation="leaky_relu", negative_slope=0.2)
    draws = {"lecun_normal": lecun_normal(shape, rng=default_rng(0)),
             "xavier_uniform": xavier_uniform(shape, gain=5 / 3, rng=default_rng(0)),
             "kaiming_normal": kaiming_normal(shape, a=0.2, mode="fan_out", rng=default_rng(0))}
    closed = {"lecun_normal": 1 / 500, "xavier_uniform": (5 / 3) ** 2 * 2 / 800,
              "kaiming_normal": 2 / (1.04 * 300)}
    for init, w in draws.items():
        v = weight_variance(init, shape, gain=5 / 3, mode="fan_out", **kw)
        assert v == pytest.approx(closed[init], rel=1e-12)
        assert w.var() == pytest.approx(v, rel=0.02)  # 150 000 draws
    assert weight_variance("normal", shape, std=0.3) == pytest.approx(0.09)
    assert weight_variance("zeros", shape) == weight_variance("constant", shape) == 0.0


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
        q = _second_moment(lambda z, sd=sd: math.tanh(sd * z))
        assert fwd[l] == pytest.approx(q, rel=1e-10)  # tanh is odd: E a = 0
        slope.append(1.5 * _second_moment(lambda z, sd=sd: 1 - math.tanh(sd * z) ** 2))
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
