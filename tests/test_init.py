"""lecturekit.init: fans and gains by PyTorch's rules, sampled variances, schemes by name."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit.init import (
    calculate_fans,
    calculate_gain,
    constant,
    initialize,
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    lecun_uniform,
    normal,
    uniform,
    weight_variance,
    xavier_normal,
    xavier_uniform,
    zeros,
)
from lecturekit.rng import default_rng

from .references import second_moment  # E[g(z)^2], z ~ N(0, 1), by scipy.integrate.quad

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


def test_gains_match_pytorch_values_and_relu_gain_preserves_thesecond_moment():
    for name in ("linear", "identity", "conv1d", "conv2d", "conv3d", "sigmoid"):
        assert calculate_gain(name) == 1.0
    assert calculate_gain("tanh") == pytest.approx(5 / 3, rel=1e-15)
    assert calculate_gain("selu") == pytest.approx(0.75, rel=1e-15)
    # gain^2 * E[g(z)^2] = 1 for z ~ N(0, 1): the gain undoes what the activation removes.
    assert calculate_gain("relu") ** 2 * second_moment(lambda z: max(z, 0.0)) == pytest.approx(1)
    for slope in (None, 0.2, 1.0):
        s = 0.01 if slope is None else slope
        g2 = calculate_gain("leaky_relu", slope) ** 2
        assert g2 == pytest.approx(2 / (1 + s * s), rel=1e-15)
        assert g2 * second_moment(lambda z, s=s: z if z > 0 else s * z) == pytest.approx(1)


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
        initialize("orthogonal", (3, 4), rng=rng)


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


def test_initialize_draws_as_the_named_scheme_with_the_variance_weight_variance_reports():
    shape = (30, 50)

    def same(init, named, **kw):
        w = initialize(init, shape, rng=default_rng(4), **kw)
        np.testing.assert_array_equal(w, named(default_rng(4)))  # draw for draw
        return w

    same("lecun_normal", lambda r: lecun_normal(shape, rng=r))
    same("lecun_uniform", lambda r: lecun_uniform(shape, rng=r))
    same("xavier_normal", lambda r: xavier_normal(shape, gain=5 / 3, rng=r), gain=5 / 3)
    same("xavier_uniform", lambda r: xavier_uniform(shape, rng=r))
    same("kaiming_normal", lambda r: kaiming_normal(shape, rng=r), activation="relu")
    same("kaiming_uniform", lambda r: kaiming_uniform(shape, a=0.2, mode="fan_out", rng=r),
         activation="leaky_relu", negative_slope=0.2, mode="fan_out")
    same("normal", lambda r: normal(shape, 0.3, rng=r), std=0.3)
    np.testing.assert_array_equal(initialize("zeros", shape, rng=default_rng(0)), zeros(shape))
    np.testing.assert_array_equal(initialize("constant", shape, value=0.5, rng=default_rng(0)),
                                  constant(shape, 0.5))
    # a uniform scheme reaches its bound sqrt(3 Var(w)), which is weight_variance's
    big = (1000, 1000)
    w = initialize("kaiming_uniform", big, activation="relu", rng=default_rng(5))
    var = weight_variance("kaiming_uniform", big, activation="relu")
    assert var == pytest.approx(2 / 1000, rel=1e-12)
    _check_variance(w, var, math.sqrt(3 * var))
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        initialize("zeros", shape, rng=None)
