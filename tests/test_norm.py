"""lecturekit.norm: statistics over the right axes, gradients, running averages, bad input."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lecturekit.gradcheck import assert_gradcheck, rel_error
from lecturekit.norm import (
    BatchNorm,
    batch_norm,
    batch_norm_backward,
    batch_norm_backward_graph,
    batch_stats,
    instance_norm,
    instance_norm_backward,
    layer_norm,
    layer_norm_backward,
    norm_axes,
    normalize,
    normalize_backward,
)

SMALL = settings(max_examples=25, deadline=None)
TINY_EPS = 1e-300  # var + TINY_EPS == var in float64: x_hat has variance exactly 1 up to rounding


def _offset_data(shape, seed=0):
    """Random data whose every sample and every channel has its own mean and scale.

    Then a statistic that is 0 over the wrong axes would be a coincidence, so the
    tests below can check that each norm does *not* normalise the other axes.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    for axis in range(x.ndim):
        bshape = [1] * x.ndim
        bshape[axis] = shape[axis]
        x = x * rng.uniform(0.5, 2.0, size=bshape) + rng.normal(0, 3, size=bshape)
    return x


def _channel(layout):
    return layout.index("C") if layout != "ND" else 1


# ---------------------------------------------------------------- axes


def test_norm_axes_follow_the_mlp_lecture_statement():
    # "Batch Norm: for each C average B×H×W; Layer Norm: for each B average H×W×C;
    #  Instance Norm: for each B, C average H×W" - read off the layout string.
    averaged = {"batch": "NHW", "layer": "HWC", "instance": "HW"}
    for layout in ("NCHW", "NHWC"):
        for kind, letters in averaged.items():
            assert norm_axes(kind, layout) == tuple(sorted(layout.index(c) for c in letters))
    assert norm_axes("batch", "ND") == (0,)
    assert norm_axes("layer", "ND") == (1,)
    with pytest.raises(ValueError, match="instance norm .* needs layout 'NCHW' or 'NHWC', "
                                         "got layout='ND'"):
        norm_axes("instance", "ND")


@pytest.mark.parametrize("layout,shape", [("ND", (6, 3)), ("NCHW", (3, 4, 2, 5)),
                                          ("NHWC", (3, 2, 5, 4))])
def test_batch_norm_has_mean_0_var_1_per_channel_and_not_per_sample(layout, shape):
    x = _offset_data(shape)
    c = _channel(layout)
    out = batch_norm(x, np.ones(shape[c]), np.zeros(shape[c]), eps=TINY_EPS,
                     layout=None if layout == "ND" else layout)
    axes = tuple(a for a in range(x.ndim) if a != c)
    np.testing.assert_allclose(out.mean(axis=axes), 0, atol=1e-10)
    np.testing.assert_allclose(out.var(axis=axes), 1, atol=1e-10)
    # ... but not per sample: the samples keep their own offsets
    per_sample = out.mean(axis=tuple(range(1, x.ndim)))
    assert np.max(np.abs(per_sample)) > 0.1


@pytest.mark.parametrize("layout,shape", [("ND", (3, 6)), ("NCHW", (3, 4, 2, 5)),
                                          ("NHWC", (3, 2, 5, 4))])
def test_layer_norm_has_mean_0_var_1_per_sample_and_not_per_channel(layout, shape):
    x = _offset_data(shape, seed=1)
    out = layer_norm(x, np.ones(shape[1:]), np.zeros(shape[1:]), eps=TINY_EPS)
    axes = tuple(range(1, x.ndim))
    np.testing.assert_allclose(out.mean(axis=axes), 0, atol=1e-10)
    np.testing.assert_allclose(out.var(axis=axes), 1, atol=1e-10)
    c = _channel(layout)
    per_channel = out.mean(axis=tuple(a for a in range(x.ndim) if a != c))
    assert np.max(np.abs(per_channel)) > 0.1


@pytest.mark.parametrize("layout,shape", [("NCHW", (3, 4, 2, 5)), ("NHWC", (3, 2, 5, 4))])
def test_instance_norm_has_mean_0_var_1_per_sample_and_channel(layout, shape):
    x = _offset_data(shape, seed=2)
    c = _channel(layout)
    out = instance_norm(x, np.ones(shape[c]), np.zeros(shape[c]), eps=TINY_EPS, layout=layout)
    hw = tuple(layout.index(s) for s in "HW")
    np.testing.assert_allclose(out.mean(axis=hw), 0, atol=1e-10)
    np.testing.assert_allclose(out.var(axis=hw), 1, atol=1e-10)
    # not over H or W alone: each row still has its own mean
    assert np.max(np.abs(out.mean(axis=layout.index("W")))) > 0.1


def test_with_default_eps_the_variance_is_sigma2_over_sigma2_plus_eps():
    x = _offset_data((5, 3), seed=3)
    var = x.var(axis=0)
    out = batch_norm(x, np.ones(3), np.zeros(3))  # eps = 1e-5
    np.testing.assert_allclose(out.var(axis=0), var / (var + 1e-5), rtol=1e-12)


def test_batch_norm_matches_the_notes_loops_on_the_conv3_64_layout():
    # 05/10/23: BN in conv layers is per channel, the mean over the batch and all of
    # H×W (conv3-64 gives 64 channels; 4 keep the test small).
    assert norm_axes("batch", "NCHW") == (0, 2, 3)  # m (axis 0) and H×W (axes 2, 3)
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 4, 3, 3))
    gamma, beta, eps = rng.normal(size=4), rng.normal(size=4), 1e-5
    expected = np.empty_like(x)
    for k in range(4):
        values = [x[m, k, h, w] for m in range(2) for h in range(3) for w in range(3)]
        mu = sum(values) / len(values)
        var = sum((v - mu) ** 2 for v in values) / len(values)
        expected[:, k] = gamma[k] * (x[:, k] - mu) / np.sqrt(var + eps) + beta[k]
    np.testing.assert_allclose(batch_norm(x, gamma, beta), expected, rtol=1e-13, atol=1e-14)
    mu, var = batch_stats(x)
    np.testing.assert_allclose(mu, x.mean(axis=(0, 2, 3)), rtol=1e-14)
    np.testing.assert_allclose(var, x.var(axis=(0, 2, 3)), rtol=1e-13)


def test_every_lectures_notation_gives_the_same_batch_norm():
    # Each lecture's formula written out in its own letters, feature by feature.
    rng = np.random.default_rng(15)
    n, d, eps = 6, 3, 1e-5
    x = rng.normal(size=(n, d)) * 3 + 1
    scale, shift = rng.normal(size=d), rng.normal(size=d)
    expected = batch_norm(x, scale, shift, eps=eps)
    batch_mean, batch_var = batch_stats(x)
    for j in range(d):
        col = [x[i, j] for i in range(n)]
        # MLP lecture / Lecture 3: m_j, sigma_j^2 (biased), z_ij, gamma_j z_ij + delta_j
        m_j = sum(col) / n
        sigma2_j = sum((v - m_j) ** 2 for v in col) / n
        assert batch_mean[j] == pytest.approx(m_j, rel=1e-13, abs=1e-15)
        assert batch_var[j] == pytest.approx(sigma2_j, rel=1e-13)  # biased: divided by n
        gamma_j, delta_j = scale[j], shift[j]
        mlp = [gamma_j * (v - m_j) / np.sqrt(sigma2_j + eps) + delta_j for v in col]
        # Lecture 4: z~ = z - mu, sigma = (1/m) sum z~^2 is the VARIANCE, z~ / sqrt(sigma + eps)
        mu = sum(col) / n
        z_tilde = [v - mu for v in col]
        sigma = sum(t * t for t in z_tilde) / n
        l4 = [scale[j] * t / np.sqrt(sigma + eps) + shift[j] for t in z_tilde]
        # 05/10/23: y = gamma_k (x - mu_k) / sqrt(sigma_k^2 + eps) + alpha_k
        alpha_k = shift[j]
        l051023 = [scale[j] * (v - mu) / np.sqrt(sigma2_j + eps) + alpha_k for v in col]
        # Lecture 14: sigma is the STANDARD DEVIATION; y = beta x_hat + r, beta the SCALE
        x_bar = sum(col) / n
        sd = np.sqrt(sum((v - x_bar) ** 2 for v in col) / n)
        beta, r = scale[j], shift[j]
        l14 = [beta * (v - x_bar) / np.sqrt(sd**2 + eps) + r for v in col]
        for by_hand in (mlp, l4, l051023, l14):
            np.testing.assert_allclose(expected[:, j], by_hand, rtol=1e-13, atol=1e-14)


def test_batch_norm_cancels_a_constant_bias():
    # Lecture 4 writes z = ax + b = w [x; 1]: under batch norm the bias b is redundant,
    # because subtracting the batch mean removes any constant shift of a feature.
    rng = np.random.default_rng(16)
    x = rng.normal(size=(8, 2))
    a, b = np.array([2.0, -0.5]), np.array([10.0, -3.0])
    gamma, beta = np.array([1.5, 0.7]), np.array([0.1, 0.2])
    np.testing.assert_allclose(batch_norm(a * x + b, gamma, beta),
                               batch_norm(a * x, gamma, beta), rtol=1e-12, atol=1e-13)


def test_layouts_agree_after_transposing():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 3, 4, 5))  # NCHW
    x_nhwc = x.transpose(0, 2, 3, 1)  # (N, H, W, C)
    g, b = rng.normal(size=3), rng.normal(size=3)
    np.testing.assert_allclose(batch_norm(x_nhwc, g, b, layout="NHWC"),
                               batch_norm(x, g, b).transpose(0, 2, 3, 1), rtol=1e-13)
    np.testing.assert_allclose(instance_norm(x_nhwc, g, b, layout="NHWC"),
                               instance_norm(x, g, b).transpose(0, 2, 3, 1), rtol=1e-13)


def test_layer_norm_of_features_is_batch_norm_of_the_transpose():
    x = _offset_data((4, 6), seed=6)
    np.testing.assert_allclose(layer_norm(x, np.ones(6), np.zeros(6)),
                               batch_norm(x.T, np.ones(4), np.zeros(4)).T, rtol=1e-13)


# ---------------------------------------------------------------- gradients

SHAPES = [("ND", (5, 3)), ("NCHW", (2, 3, 2, 2)), ("NHWC", (2, 2, 3, 3))]


def _bn_case(layout, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape) * 2 + 1
    c = shape[_channel(layout)]
    return x, rng.normal(size=c), rng.normal(size=c), rng.normal(size=shape)


@pytest.mark.parametrize("layout,shape", SHAPES)
def test_batch_norm_backward_gradcheck_and_graph_form_agree(layout, shape):
    x, gamma, beta, dout = _bn_case(layout, shape, seed=7)
    grads = batch_norm_backward(dout, x, gamma, layout=layout)
    assert_gradcheck(lambda x, g, b: np.sum(batch_norm(x, g, b, layout=layout) * dout),
                     [x, gamma, beta], list(grads), names=["x", "gamma", "beta"])
    graph = batch_norm_backward_graph(dout, x, gamma, layout=layout)
    for compact, staged in zip(grads, graph, strict=True):
        assert rel_error(compact, staged) < 1e-13


@st.composite
def bn_cases(draw):
    layout = draw(st.sampled_from(["ND", "NCHW", "NHWC"]))
    # At least m = 3 values per channel: with m = 2, x_hat = ±1 whatever x is (up to
    # eps), a true gradient of order eps that finite differences cannot resolve.
    if layout == "ND":
        shape = (draw(st.integers(3, 5)), draw(st.integers(1, 3)))
    else:
        n, c, h, w = (draw(st.integers(1, 2)), draw(st.integers(1, 3)),
                      draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        assume(n * h * w >= 3)
        shape = (n, c, h, w) if layout == "NCHW" else (n, h, w, c)
    return layout, shape, draw(st.integers(0, 2**16))


@SMALL
@given(case=bn_cases())
def test_batch_norm_backward_gradcheck_hypothesis(case):
    layout, shape, seed = case
    x, gamma, beta, dout = _bn_case(layout, shape, seed)
    grads = batch_norm_backward(dout, x, gamma, layout=layout)
    assert_gradcheck(lambda x, g, b: np.sum(batch_norm(x, g, b, layout=layout) * dout),
                     [x, gamma, beta], list(grads), names=["x", "gamma", "beta"])
    graph = batch_norm_backward_graph(dout, x, gamma, layout=layout)
    assert all(rel_error(a, b) < 1e-12 for a, b in zip(grads, graph, strict=True))


@pytest.mark.parametrize("layout,shape", SHAPES)
def test_batch_norm_eval_mode_backward_gradcheck(layout, shape):
    x, gamma, beta, dout = _bn_case(layout, shape, seed=8)
    c = gamma.size
    rm, rv = np.linspace(-1, 1, c), np.linspace(0.5, 2, c)

    def f(x, g, b):
        return np.sum(batch_norm(x, g, b, layout=layout, running_mean=rm, running_var=rv) * dout)

    grads = batch_norm_backward(dout, x, gamma, layout=layout, running_mean=rm, running_var=rv)
    assert_gradcheck(f, [x, gamma, beta], list(grads), names=["x", "gamma", "beta"])


@pytest.mark.parametrize("shape,axes", [((4, 5), None), ((2, 3, 2, 2), None),
                                        ((2, 3, 4), (-1,)), ((2, 2, 3, 2), (2, 3))])
def test_layer_norm_backward_gradcheck(shape, axes):
    rng = np.random.default_rng(9)
    x = rng.normal(size=shape)
    pshape = shape[1:] if axes is None else tuple(shape[a] for a in axes)
    gamma, beta, dout = rng.normal(size=pshape), rng.normal(size=pshape), rng.normal(size=shape)
    grads = layer_norm_backward(dout, x, gamma, axes=axes)
    assert_gradcheck(lambda x, g, b: np.sum(layer_norm(x, g, b, axes=axes) * dout),
                     [x, gamma, beta], list(grads), names=["x", "gamma", "beta"])


@pytest.mark.parametrize("layout,shape", [("NCHW", (2, 3, 2, 3)), ("NHWC", (2, 3, 2, 3))])
def test_instance_norm_backward_gradcheck(layout, shape):
    rng = np.random.default_rng(10)
    x = rng.normal(size=shape)
    c = shape[_channel(layout)]
    gamma, beta, dout = rng.normal(size=c), rng.normal(size=c), rng.normal(size=shape)
    grads = instance_norm_backward(dout, x, gamma, layout=layout)
    assert_gradcheck(lambda x, g, b: np.sum(instance_norm(x, g, b, layout=layout) * dout),
                     [x, gamma, beta], list(grads), names=["x", "gamma", "beta"])


@SMALL
@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(2, 3), w=st.integers(2, 3),
       seed=st.integers(0, 2**16))
def test_layer_and_instance_norm_backward_gradcheck_hypothesis(n, c, h, w, seed):
    rng = np.random.default_rng(seed)
    x, dout = rng.normal(size=(n, c, h, w)), rng.normal(size=(n, c, h, w))
    g, b = rng.normal(size=(c, h, w)), rng.normal(size=(c, h, w))
    assert_gradcheck(lambda x, g, b: np.sum(layer_norm(x, g, b) * dout), [x, g, b],
                     list(layer_norm_backward(dout, x, g)), names=["x", "gamma", "beta"])
    g, b = g[:, 0, 0].copy(), b[:, 0, 0].copy()
    assert_gradcheck(lambda x, g, b: np.sum(instance_norm(x, g, b) * dout), [x, g, b],
                     list(instance_norm_backward(dout, x, g)), names=["x", "gamma", "beta"])


@SMALL
@given(shape=st.lists(st.integers(2, 3), min_size=1, max_size=3), data=st.data(),
       seed=st.integers(0, 2**16))
def test_normalize_backward_gradcheck_over_any_axes(shape, data, seed):
    axes = tuple(data.draw(st.sets(st.integers(0, len(shape) - 1), min_size=1)))
    if np.prod([shape[a] for a in axes]) < 3:  # m >= 3, see bn_cases
        shape[axes[0]] = 3
    rng = np.random.default_rng(seed)
    x, dout = rng.normal(size=shape), rng.normal(size=shape)
    assert_gradcheck(lambda x: np.sum(normalize(x, axes) * dout), [x],
                     [normalize_backward(dout, x, axes)], names=["x"])


def test_constant_batch_gives_finite_output_and_gradients():
    x = np.full((4, 3), 7.0)
    gamma, beta = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 0.0])
    out = batch_norm(x, gamma, beta)
    np.testing.assert_array_equal(out, np.tile(beta, (4, 1)))  # x_hat = 0 / sqrt(eps) = 0
    dout = np.random.default_rng(11).normal(size=(4, 3))
    for grads in (batch_norm_backward(dout, x, gamma), batch_norm_backward_graph(dout, x, gamma),
                  layer_norm_backward(dout, x, gamma)):
        assert all(np.all(np.isfinite(g)) for g in grads)
    assert np.all(np.isfinite(instance_norm(np.ones((1, 2, 2, 2)), np.ones(2), np.zeros(2))))


# ---------------------------------------------------------------- the stateful class


def test_running_statistics_follow_pytorch_unbiased_update():
    rng = np.random.default_rng(12)
    bn = BatchNorm(3, momentum=0.1)
    np.testing.assert_array_equal(bn.running_mean, np.zeros(3))
    np.testing.assert_array_equal(bn.running_var, np.ones(3))
    rm, rv = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = rng.normal(2.0, 3.0, size=(2, 3, 4, 5))  # NCHW, m = 2 * 4 * 5 = 40 per channel
        bn.forward(x)
        values = x.transpose(1, 0, 2, 3).reshape(3, -1)  # (C, N*H*W)
        rm = 0.9 * rm + 0.1 * values.mean(axis=1)
        rv = 0.9 * rv + 0.1 * values.var(axis=1, ddof=1)  # unbiased: divide by m - 1 = 39
    np.testing.assert_allclose(bn.running_mean, rm, rtol=1e-13)
    np.testing.assert_allclose(bn.running_var, rv, rtol=1e-13)


def test_eval_mode_uses_running_statistics_and_ignores_the_rest_of_the_batch():
    rng = np.random.default_rng(13)
    bn = BatchNorm(2)
    bn.gamma, bn.beta = np.array([2.0, 0.5]), np.array([1.0, -1.0])
    bn.forward(rng.normal(5.0, 2.0, size=(8, 2)))
    rm, rv = bn.running_mean.copy(), bn.running_var.copy()
    bn.eval()
    assert not bn.training
    x = rng.normal(size=(4, 2))
    out = bn.forward(x)
    np.testing.assert_allclose(out, bn.gamma * (x - rm) / np.sqrt(rv + 1e-5) + bn.beta,
                               rtol=1e-14)
    x2 = x.copy()
    x2[1:] += 100.0
    np.testing.assert_array_equal(bn.forward(x2)[0], out[0])
    np.testing.assert_array_equal(bn.running_mean, rm)  # nothing updated in eval mode
    assert bn.forward(x[:1]).shape == (1, 2)  # a batch of one is fine at test time
    assert bn.train().training


def _class_gradcheck(bn, x, dout):
    """bn.backward after bn.forward(x) against finite differences of bn.forward itself."""
    bn.forward(x)
    grads = bn.backward(dout)
    gamma, beta = bn.gamma, bn.beta

    def f(x, g, b):
        bn.gamma, bn.beta = g, b
        try:  # in training mode this also moves the running statistics, which f never reads
            return np.sum(bn.forward(x) * dout)
        finally:
            bn.gamma, bn.beta = gamma, beta

    assert_gradcheck(f, [x, gamma, beta], list(grads), names=["x", "gamma", "beta"])
    return grads


def test_class_backward_passes_gradcheck_and_matches_the_functions_in_both_modes():
    # Independent reference: finite differences of the class's own forward, in each mode
    # (in eval mode the output uses the running statistics, so a backward that used the
    # batch's statistics would fail). Then, as wiring, the functions' results exactly.
    rng = np.random.default_rng(14)
    x, dout = rng.normal(size=(3, 2, 2, 2)), rng.normal(size=(3, 2, 2, 2))
    bn = BatchNorm(2)
    bn.gamma, bn.beta = np.array([1.5, -0.5]), np.array([0.3, -0.2])
    grads = _class_gradcheck(bn, x, dout)
    bn.forward(x)
    for a, b in zip(bn.backward(dout), batch_norm_backward(dout, x, bn.gamma), strict=True):
        np.testing.assert_array_equal(a, b)
    bn.eval()
    eval_grads = _class_gradcheck(bn, x, dout)
    assert rel_error(eval_grads[0], grads[0]) > 1e-3  # the two modes' dx really differ
    bn.forward(x)
    expected = batch_norm_backward(dout, x, bn.gamma, running_mean=bn.running_mean,
                                   running_var=bn.running_var)
    for a, b in zip(bn.backward(dout), expected, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_batch_of_one_in_training_raises_like_pytorch():
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, "
                                         r"got x of shape \(1, 3\)"):
        BatchNorm(3).forward(np.ones((1, 3)))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        batch_norm(np.ones((1, 2, 1, 1)), np.ones(2), np.zeros(2))
    with pytest.raises(ValueError, match="Expected more than 1 spatial element"):
        instance_norm(np.ones((2, 2, 1, 1)), np.ones(2), np.zeros(2))


# ---------------------------------------------------------------- bad input


def test_bad_input_raises_naming_the_argument_expected_and_received():
    x = np.ones((4, 3))
    with pytest.raises(ValueError, match=r"gamma must have shape \(3,?\), got \(4,\)"):
        batch_norm(x, np.ones(4), np.zeros(3))
    with pytest.raises(ValueError, match=r"beta must have shape \(3,?\), got \(2,\)"):
        batch_norm(x, np.ones(3), np.zeros(2))
    with pytest.raises(ValueError, match=r"x must be 2-D \(N, D\) or 4-D \(N, C, H, W\), "
                                         r"got a 3-D array of shape \(2, 3, 4\)"):
        batch_norm(np.ones((2, 3, 4)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"x must be 4-D \(N, H, W, C\) for layout='NHWC', "
                                         r"got a 2-D array"):
        batch_norm(x, np.ones(3), np.zeros(3), layout="NHWC")
    with pytest.raises(ValueError, match=r"eps must be in \(0, inf\], got 0"):
        batch_norm(x, np.ones(3), np.zeros(3), eps=0.0)
    with pytest.raises(ValueError, match=r"eps must be in \(0, inf\], got -1e-05"):
        layer_norm(x, np.ones(3), np.zeros(3), eps=-1e-5)
    with pytest.raises(ValueError, match="layout must be one of 'ND', 'NCHW', 'NHWC', got 'CHW'"):
        batch_norm(x, np.ones(3), np.zeros(3), layout="CHW")
    with pytest.raises(TypeError, match="pass both running_mean and running_var"):
        batch_norm(x, np.ones(3), np.zeros(3), running_mean=np.zeros(3))
    with pytest.raises(ValueError, match=r"gamma must have shape \(3, 2, 2\), got \(3,\)"):
        layer_norm(np.ones((2, 3, 2, 2)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"axes must not include the batch axis 0"):
        layer_norm(x, np.ones(4), np.zeros(4), axes=0)
    with pytest.raises(ValueError, match=r"x must be at least 2-D \(N, ...\)"):
        layer_norm(np.ones(3), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"x must be 4-D \(N, C, H, W\) or \(N, H, W, C\), "
                                         r"got a 2-D array"):
        instance_norm(x, np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match="x must have num_features = 3 channels on axis 1 "
                                         r"\(layout 'NCHW'\), got 2"):
        BatchNorm(3).forward(np.ones((2, 2, 2, 2)))
    with pytest.raises(ValueError, match=r"dout must have shape \(4, 3\), got \(3, 4\)"):
        batch_norm_backward(np.ones((3, 4)), x, np.ones(3))
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\], got 1.5"):
        BatchNorm(3, momentum=1.5)
