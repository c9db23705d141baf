"""The fast layer code against the readable code it replaced (issue 16).

Each layer kept its earlier, readable implementation next to the fast one; here
they are compared on hypothesis-drawn shapes and parameters: max and average
pooling bit for bit (ties and signed zeros included), conv2d's small path,
batch norm and the LSTM within 1e-12.
"""

import functools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit import _im2col, norm, pool, rnn
from lecturekit.conv import conv2d, conv2d_backward, conv2d_reference
from lecturekit.norm import batch_norm, batch_norm_backward
from lecturekit.rnn import lstm_backward, lstm_forward

FEW = settings(max_examples=40, deadline=None)


def same_bits(a, b):
    """Equal shapes, dtypes and bytes: -0.0 and +0.0 differ, as do any two NaNs' payloads."""
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


# ------------------------------------------------------------------ pooling

@st.composite
def pool_problems(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 4), st.integers(1, 4))))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    H = draw(st.integers(max(1, k[0] - 2 * p[0]), 9))
    W = draw(st.integers(max(1, k[1] - 2 * p[1]), 9))
    N, C = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # few distinct values: many ties inside a window, and signed zeros
    x = rng.integers(-2, 3, size=(N, C, H, W)).astype(float)
    x[rng.random(x.shape) < 0.2] = -0.0
    if draw(st.booleans()):
        x = x.astype(np.float32)
    kw = dict(kernel_size=k, stride=stride, padding=p)
    _, kk, ss, pp, out = pool._pool_args(x, **kw)
    g = rng.integers(-2, 3, size=(N, C) + out).astype(x.dtype)
    g[rng.random(g.shape) < 0.3] = -0.0
    return x, g, kw, (kk, ss, pp, out)


@FEW
@given(problem=pool_problems())
def test_fast_max_pool_is_bit_identical_to_the_readable_code_ties_included(problem):
    x, g, kw, geo = problem
    assert same_bits(pool.max_pool2d(x, **kw), pool._max_pool_readable(x, *geo))
    assert same_bits(pool.max_pool2d_backward(g, x, **kw),
                     pool._max_pool_backward_readable(g, x, *geo))


@FEW
@given(problem=pool_problems())
def test_fast_avg_pool_is_bit_identical_to_the_readable_code(problem):
    x, g, kw, geo = problem
    assert same_bits(pool.avg_pool2d(x, **kw), pool._avg_pool_readable(x, *geo))
    assert same_bits(pool.avg_pool2d_backward(g, x, **kw),
                     pool._avg_pool_backward_readable(g, x, *geo))


def test_max_pool_backward_gives_a_tied_window_gradient_to_its_first_maximum():
    x = np.zeros((1, 1, 2, 4))
    x[0, 0, 1, 2:] = 1.0  # the second window: a tie between (1, 0) and (1, 1)
    dx = pool.max_pool2d_backward(np.array([[[[2.0, 3.0]]]]), x, 2)
    np.testing.assert_array_equal(dx[0, 0], [[2.0, 0, 0, 0], [0, 0, 3.0, 0]])
    assert not np.signbit(dx).any()  # no -0.0 where nothing arrived


# ------------------------------------------------------------------ conv2d


@st.composite
def conv_problems(draw):
    N, C, K = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 10))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = draw(st.one_of(st.tuples(st.integers(0, 2), st.integers(0, 2)),
                             st.just("same") if stride == (1, 1) else st.just(0)))
    H = draw(st.integers(dilation[0] * (kh - 1) + 1, 9))
    W = draw(st.integers(dilation[1] * (kw - 1) + 1, 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x, w = rng.normal(size=(N, C, H, W)), rng.normal(size=(K, C, kh, kw))
    b = rng.normal(size=K) if draw(st.booleans()) else None
    return x, w, b, dict(stride=stride, padding=padding, dilation=dilation), rng


def _conv_with(settings, x, w, b, dout, kw):
    """conv2d and conv2d_backward with ``_im2col``'s thresholds set to ``settings``."""
    saved = {name: getattr(_im2col, name) for name in settings}
    try:
        for name, value in settings.items():
            setattr(_im2col, name, value)
        assert _im2col.is_small(x.shape[0], x.shape[1], _geometry(x, w, kw)) == (
            settings["SMALL_ELEMENTS"] > 0)
        return conv2d(x, w, b, **kw), *conv2d_backward(dout, x, w, **kw)
    finally:
        for name, value in saved.items():
            setattr(_im2col, name, value)


@FEW
@given(problem=conv_problems())
def test_conv2d_small_path_matches_the_chunked_path_and_the_loops(problem):
    x, w, b, kw, rng = problem
    dout = rng.normal(size=conv2d_reference(x, w, b, **kw).shape)
    big = 10**9
    whole = _conv_with(dict(SMALL_SAMPLE=big, SMALL_ELEMENTS=big), x, w, b, dout, kw)
    one_by_one = _conv_with(dict(SMALL_SAMPLE=big, SMALL_ELEMENTS=1), x, w, b, dout, kw)
    chunked = _conv_with(dict(SMALL_SAMPLE=big, SMALL_ELEMENTS=0), x, w, b, dout, kw)
    for a, c, d in zip(whole, one_by_one, chunked, strict=True):
        np.testing.assert_allclose(a, c, rtol=0, atol=1e-12)
        np.testing.assert_allclose(a, d, rtol=0, atol=1e-12)
    np.testing.assert_allclose(whole[0], conv2d_reference(x, w, b, **kw), rtol=0, atol=1e-12)


def _geometry(x, w, kw):
    from lecturekit._geometry import correlation_geometry

    return correlation_geometry(x.shape[2:], w.shape[2:], kw["stride"], kw["padding"],
                                kw["dilation"])


def test_the_digits_lenet_layers_take_the_small_path_and_lenet5_does_not():
    for xs, ws, small in [((32, 1, 8, 8), (16, 1, 3, 3), True), ((500, 16, 4, 4), (32, 16, 3, 3), True),
                          ((64, 1, 28, 28), (6, 1, 5, 5), False)]:
        geom = _geometry(np.zeros(xs), np.zeros(ws), dict(stride=1, padding=ws[2] // 2, dilation=1))
        assert _im2col.is_small(xs[0], xs[1], geom) == small


def test_the_small_paths_padded_buffer_is_right_whatever_layout_came_before():
    """The small path writes a padded chunk's zero border only when the layout changes:
    a sequence of layouts sharing a padded size (8x8 pad 1 and 6x6 pad 2 are both 10x10),
    a dtype change and an unpadded non-contiguous input must each see zeros there."""
    rng = np.random.default_rng(5)
    w3, w5 = rng.normal(size=(4, 2, 3, 3)), rng.normal(size=(4, 2, 5, 5))
    cases = [((3, 2, 8, 8), w3, 1), ((3, 2, 6, 6), w5, 2), ((3, 2, 8, 8), w3, 1),
             ((3, 2, 10, 10), w3, 0), ((3, 2, 8, 8), w3.astype(np.float32), 1), ((3, 2, 8, 8), w3, 1)]
    for shape, w, pad in cases * 2:
        x = rng.normal(size=shape) + 10.0  # nothing near zero: a stale border would show
        if pad == 0:
            x = np.asfortranarray(x)  # non-contiguous: copied into the buffer too
        if w.dtype == np.float32:
            x = x.astype(np.float32)
        assert _im2col.is_small(shape[0], shape[1], _geometry(x, w, dict(stride=1, padding=pad,
                                                                         dilation=1)))
        tol = 1e-4 if w.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(conv2d(x, w, padding=pad), conv2d_reference(x, w, padding=pad),
                                   rtol=tol, atol=tol)


def test_cached_geometry_still_refuses_a_float_or_a_bool_that_hashes_like_a_valid_size():
    x, w = np.ones((1, 1, 6, 6)), np.ones((1, 1, 3, 3))
    conv2d(x, w, stride=2, padding=1)  # 2 and 1 are now cached
    pool.max_pool2d(x, 2, stride=1)
    for call in (lambda: conv2d(x, w, stride=2.0, padding=1),
                 lambda: conv2d(x, w, stride=2, padding=True),
                 lambda: pool.max_pool2d(x, 2.0, stride=1),
                 lambda: pool.max_pool2d(x, (2, 2), stride=True)):
        with pytest.raises(TypeError, match="must be an integer"):
            call()


def test_conv2d_small_path_keeps_float32():
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(2, 3, 5, 5)).astype(np.float32), rng.normal(size=(4, 3, 3, 3))
    w = w.astype(np.float32)
    y = conv2d(x, w, padding=1)
    dx, dw, db = conv2d_backward(np.ones_like(y), x, w, padding=1)
    assert y.dtype == dx.dtype == dw.dtype == db.dtype == np.float32


# ------------------------------------------------------------------ batch norm

@st.composite
def norm_problems(draw):
    layout = draw(st.sampled_from(["ND", "NCHW", "NHWC"]))
    N = draw(st.integers(2, 6))
    C = draw(st.integers(1, 5))
    shape = (N, C) if layout == "ND" else (
        (N, C, draw(st.integers(1, 4)), draw(st.integers(1, 4))) if layout == "NCHW"
        else (N, draw(st.integers(1, 4)), draw(st.integers(1, 4)), C))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    offset = draw(st.sampled_from([0.0, 3.0, 1e3]))
    x = rng.normal(size=shape) * draw(st.sampled_from([1e-3, 1.0, 10.0])) + offset
    return x, rng.normal(size=C), rng.normal(size=C), rng.normal(size=shape), layout


def _close(a, b):
    scale = max(1.0, float(np.max(np.abs(b))))
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-12 * scale)


@FEW
@given(problem=norm_problems())
def test_batch_norm_fast_path_matches_the_readable_code(problem):
    x, gamma, beta, dout, layout = problem
    axes = norm.norm_axes("batch", layout)
    param_axes = (norm._CHANNEL_AXIS[layout],)
    g = norm._param(gamma, "gamma", x, param_axes)
    b = norm._param(beta, "beta", x, param_axes)
    _close(batch_norm(x, gamma, beta, layout=layout), norm._forward_readable(x, g, b, axes, 1e-5))
    fast = batch_norm_backward(dout, x, gamma, layout=layout)
    for a, r in zip(fast, norm._backward_readable(dout, x, g, axes, param_axes, 1e-5),
                    strict=True):
        _close(a, r)


@FEW
@given(seed=st.integers(0, 2**32 - 1), shape=st.sampled_from([(8, 3, 4, 4), (32, 16, 8, 8)]),
       sigmas=st.floats(0.0, 6.0), scale=st.sampled_from([1e-3, 1.0, 1e3]))
def test_batch_norm_on_either_side_of_the_one_pass_bound_matches_the_readable_code(
        seed, shape, sigmas, scale):
    # Each channel's mean sits `sigmas` standard deviations from zero: within 4 (ONE_PASS),
    # the variance comes from the sums of x and x²; beyond, from x - mu.
    rng = np.random.default_rng(seed)
    C = shape[1]
    x = (rng.standard_normal(shape) + sigmas * rng.choice([-1.0, 1.0], C)[:, None, None]) * scale
    gamma, beta, dout = rng.normal(size=C), rng.normal(size=C), rng.normal(size=shape)
    x2 = x.reshape(shape[0], -1)
    one_pass = norm._moments(x2, shape[2] * shape[3], np.empty_like(x2)) is not None
    mu, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    assert one_pass == bool(np.all(mu * mu <= norm.ONE_PASS * var))
    out, grads = _readable_batch_norm(x, gamma, beta, dout, "NCHW")
    _close(batch_norm(x, gamma, beta), out)
    for a, r in zip(batch_norm_backward(dout, x, gamma), grads, strict=True):
        _close(a, r)


def test_batch_norm_values_too_far_apart_still_take_the_rescaled_path():
    x = np.array([[1e200], [-1e200]])
    out = batch_norm(x, [1.0], [0.0])
    np.testing.assert_allclose(out.ravel(), [1.0, -1.0])
    dx, dgamma, dbeta = batch_norm_backward(np.ones_like(x), x, [1.0])
    assert np.isfinite(dx).all() and np.isfinite(dgamma).all()


@st.composite
def ill_conditioned_norm_problems(draw):
    """Batches whose channel means are up to 1e7 standard deviations: the rounding of the
    mean is amplified by |mu| / sigma, so only numpy's own mean matches the readable code."""
    layout = draw(st.sampled_from(["ND", "NCHW", "NHWC"]))
    N, C = draw(st.integers(2, 40)), draw(st.integers(1, 6))
    H, W = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    shape = {"ND": (N, C), "NCHW": (N, C, H, W), "NHWC": (N, H, W, C)}[layout]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    offset = draw(st.sampled_from([-1e4, -2.0, 0.0, 0.5, 1e3, 1e4]))
    x = rng.normal(size=shape) * draw(st.sampled_from([1e-3, 0.1, 1.0, 100.0])) + offset
    return x, rng.normal(size=C), rng.normal(size=C), rng.normal(size=shape), layout


def _readable_batch_norm(x, gamma, beta, dout, layout):
    axes = norm.norm_axes("batch", layout)
    param_axes = (norm._CHANNEL_AXIS[layout],)
    g = norm._param(gamma, "gamma", x, param_axes)
    b = norm._param(beta, "beta", x, param_axes)
    grads = norm._backward_readable(dout, x, g, axes, param_axes, 1e-5)
    return norm._forward_readable(x, g, b, axes, 1e-5), grads


@FEW
@given(problem=ill_conditioned_norm_problems())
def test_batch_norm_fast_path_matches_the_readable_code_far_from_zero_mean(problem):
    x, gamma, beta, dout, layout = problem
    out, grads = _readable_batch_norm(x, gamma, beta, dout, layout)
    _close(batch_norm(x, gamma, beta, layout=layout), out)
    for a, r in zip(batch_norm_backward(dout, x, gamma, layout=layout), grads, strict=True):
        _close(a, r)


def test_batch_norm_fast_path_on_the_notebook_shape_matches_the_readable_code():
    rng = np.random.default_rng(7)
    for scale, offset in [(1.0, 0.0), (2.0, 3.0), (1e-3, 1e3)]:
        x = rng.normal(size=(32, 16, 8, 8)) * scale + offset
        gamma, beta, dout = rng.normal(size=16), rng.normal(size=16), rng.normal(size=x.shape)
        out, grads = _readable_batch_norm(x, gamma, beta, dout, "NCHW")
        _close(batch_norm(x, gamma, beta), out)
        for a, r in zip(batch_norm_backward(dout, x, gamma), grads, strict=True):
            _close(a, r)


def test_batch_norm_fast_and_checked_entries_give_the_same_bits():
    """Lists and float32 take the checked path (conversion, np.isfinite); float64 arrays
    the fast entry, which skips those passes: the same kernel, so the same bits."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=(4, 3, 2, 5))
    gamma, beta, dout = rng.normal(size=3), rng.normal(size=3), rng.normal(size=x.shape)
    fast = batch_norm(x, gamma, beta), *batch_norm_backward(dout, x, gamma)
    checked = (batch_norm(x.tolist(), gamma.tolist(), beta.tolist()),
               *batch_norm_backward(dout.tolist(), x.tolist(), gamma.tolist()))
    for a, c in zip(fast, checked, strict=True):
        assert same_bits(a, c)


@pytest.mark.parametrize("case", ["nan x, bad gamma", "inf x, bad layout", "nan dout",
                                  "inf gamma", "nan beta", "one value per channel", "bad eps"])
def test_batch_norm_fast_entry_raises_the_checked_paths_errors_in_its_order(case):
    rng = np.random.default_rng(9)
    x, dout = rng.normal(size=(3, 2, 2, 2)), rng.normal(size=(3, 2, 2, 2))
    gamma, beta, eps, layout = np.ones(2), np.zeros(2), 1e-5, None
    if case == "nan x, bad gamma":  # x is checked first
        x[1, 0, 0, 1], gamma, match = np.nan, np.ones(5), "x must contain only finite values"
    elif case == "inf x, bad layout":
        x[0, 1, 1, 0], layout, match = np.inf, "NHCW", "x must contain only finite values"
    elif case == "nan dout":
        dout[2, 1, 0, 0], match = np.nan, "dout must contain only finite values"
    elif case == "inf gamma":
        gamma[1], match = np.inf, "gamma must contain only finite values"
    elif case == "nan beta":
        beta[0], match = np.nan, "beta must contain only finite values"
    elif case == "one value per channel":
        x, dout, match = x[:1, :, :1, :1], dout[:1, :, :1, :1], "more than 1 value per channel"
    else:
        eps, match = -1.0, "eps must be in"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no RuntimeWarning on the way
        with pytest.raises(ValueError, match=match):
            if case in ("nan dout",):
                batch_norm_backward(dout, x, gamma, eps=eps, layout=layout)
            else:
                batch_norm(x, gamma, beta, eps=eps, layout=layout)
        if case != "nan beta":
            with pytest.raises(ValueError, match=match):
                batch_norm_backward(dout, x, gamma, eps=eps, layout=layout)


def test_batch_norm_leaves_numpys_ufunc_buffer_size_as_it_was():
    rng = np.random.default_rng(10)
    x = rng.normal(size=(4, 16, 8, 8))  # rows of 1024 values: the fast path sets the size
    before = np.getbufsize()
    batch_norm(x, np.ones(16), np.zeros(16))
    batch_norm_backward(np.ones_like(x), x, np.ones(16))
    assert norm._row_bufsize(16 * 8 * 8) is not None and np.getbufsize() == before


# ------------------------------------------------------------------ LSTM

@st.composite
def lstm_problems(draw):
    T, N, D, H = (draw(st.integers(1, 6)), draw(st.integers(1, 3)), draw(st.integers(1, 4)),
                  draw(st.integers(1, 5)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([0.1, 1.0, 3.0]))
    return (rng.normal(size=(T, N, H)), rng.normal(size=(T, N, D)), rng.normal(size=(N, H)),
            rng.normal(size=(N, H)), scale * rng.normal(size=(4 * H, D + H)),
            rng.normal(size=4 * H))


@FEW
@given(problem=lstm_problems())
def test_lstm_forward_and_bptt_match_the_step_by_step_code(problem):
    dhs, xs, h0, c0, w, b = problem
    for fast, ref in zip(lstm_forward(xs, h0, c0, w, b), rnn._lstm_states(xs, h0, c0, w, b),
                         strict=True):
        _close(fast, ref)
    ref = rnn._lstm_backward_readable(dhs, xs, h0, c0, w, b)
    for fast, r in zip(lstm_backward(dhs, xs, h0, c0, w, b), ref, strict=True):
        _close(fast, r)


def test_lstm_backward_uses_the_kept_forward_only_for_the_same_inputs():
    rng = np.random.default_rng(5)
    T, N, D, H = 4, 2, 3, 5
    xs, h0, c0 = rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    w, b, dhs = rng.normal(size=(4 * H, D + H)), rng.normal(size=4 * H), rng.normal(size=(T, N, H))
    hs, cs = lstm_forward(xs, h0, c0, w, b)
    hs += 1.0  # changing the returned states must not change the kept ones
    kept = lstm_backward(dhs, xs, h0, c0, w, b)
    fresh = rnn._lstm_bptt(dhs, xs, h0, c0, w, *rnn._lstm_run(xs, h0, c0, w, b))
    for a, r in zip(kept, fresh, strict=True):
        assert same_bits(a, r)
    xs[0, 0, 0] += 1.0  # the same array, changed in place: the kept forward is stale
    for a, r in zip(lstm_backward(dhs, xs, h0, c0, w, b),
                    rnn._lstm_backward_readable(dhs, xs, h0, c0, w, b), strict=True):
        _close(a, r)


@pytest.mark.parametrize("keep", [0, 2**30])
def test_lstm_backward_is_the_same_with_and_without_keeping(monkeypatch, keep):
    monkeypatch.setattr(rnn, "LSTM_KEEP_BYTES", keep)
    rng = np.random.default_rng(6)
    xs, h0, c0 = rng.normal(size=(3, 2, 2)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    w, b, dhs = rng.normal(size=(16, 6)), rng.normal(size=16), rng.normal(size=(3, 2, 4))
    lstm_forward(xs, h0, c0, w, b)
    for a, r in zip(lstm_backward(dhs, xs, h0, c0, w, b),
                    rnn._lstm_backward_readable(dhs, xs, h0, c0, w, b), strict=True):
        _close(a, r)


# ------------------------------------------------------------------ activations

@FEW
@given(seed=st.integers(0, 2**32 - 1), shape=st.lists(st.integers(1, 5), min_size=1, max_size=4))
def test_relu_backward_in_one_pass_is_bit_identical(seed, shape):
    from lecturekit.activations import relu_backward

    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, size=shape).astype(float)
    x[rng.random(x.shape) < 0.2] = -0.0
    dout = rng.normal(size=shape)
    dout[rng.random(dout.shape) < 0.2] = -0.0
    assert same_bits(relu_backward(dout, x), dout * (x > 0).astype(np.float64))


# ------------------------------------------------------------------ explorers' simulations

@FEW
@given(batch=st.sampled_from([1, 2, 5, 10, 25, 50, 100]), replace=st.booleans(),
       lr=st.sampled_from([0.02, 0.1, 0.26, 0.4]))
def test_sgd_noise_runs_side_by_side_are_bit_identical_to_the_optimiser_loop(batch, replace, lr):
    explorer = _sgd_noise_explorer()
    fast, fast_gd = explorer._run(batch, replace, lr)
    slow, slow_gd = explorer._run_reference(batch, replace, lr)
    assert same_bits(fast, slow) and same_bits(fast_gd, slow_gd)


@functools.cache
def _sgd_noise_explorer():
    """One explorer (its figure) for every example."""
    from lecturekit.explore import SGDNoiseExplorer

    return SGDNoiseExplorer()


@FEW
@given(momentum=st.floats(0.0, 1.0, allow_nan=False), batch=st.integers(2, 64),
       steps=st.integers(1, 100))
def test_batch_norm_running_history_is_bit_identical_to_the_batch_norm_layer_loop(
        momentum, batch, steps):
    explorer = _batch_norm_running_explorer()
    fast = explorer._history(momentum, batch, steps)
    slow = explorer._history_reference(momentum, batch, steps)
    assert len(fast[0]) == steps + 1
    assert same_bits(fast[0], slow[0]) and same_bits(fast[1], slow[1])


@functools.cache
def _batch_norm_running_explorer():
    """One explorer (its figure) for every example."""
    from lecturekit.explore import BatchNormRunningExplorer

    return BatchNormRunningExplorer()


def test_text_row_pieces_sit_where_the_whole_line_would_put_them():
    import matplotlib
    from matplotlib.figure import Figure

    from lecturekit.explore._axes import TextRow, _measurer

    fig = Figure(figsize=(9.3, 4.0), dpi=100)
    row = TextRow(fig, 0.1, 0.5, 5, fontsize=13)
    pieces = ("running = (1 − ", "0.25", ")·running + ", "0.25", "·batch")
    row.set_pieces(*pieces)
    assert row.get_text() == "".join(pieces)
    font = row.texts[0].get_fontproperties()
    for i, text in enumerate(row.texts):
        prefix = "".join(pieces[:i])
        with matplotlib.rc_context({"text.hinting": "no_hinting"}):  # as frames are drawn
            width = _measurer(fig.dpi).get_text_width_height_descent(prefix, font, False)[0]
        # each piece starts where the line's prefix ends, to the pixel (no kerning across pieces)
        assert abs((text.get_position()[0] - 0.1) * fig.bbox.width - width) <= 1.0, prefix
    centred = TextRow(fig, 0.5, 0.5, 2, ha="center")
    centred.set_pieces("ab", "cd")
    left, right = centred.texts[0].get_position()[0], centred.texts[1].get_position()[0]
    assert left < 0.5 < right
    with pytest.raises(ValueError, match="at most 2 pieces"):
        centred.set_pieces("a", "b", "c")


@FEW
@given(size=st.integers(1, 9000), special=st.sampled_from([None, np.nan, np.inf, -np.inf, 1e200, 1e-320]),
       where=st.floats(0, 1, exclude_max=True), float32=st.booleans(), strided=st.booleans())
def test_the_finite_check_by_dot_product_agrees_with_isfinite(size, special, where, float32, strided):
    from lecturekit._checks import all_finite

    x = np.random.default_rng(size).normal(size=2 * size)
    if special is not None:
        x[int(where * size) * (2 if strided else 1)] = special
    if float32:
        with np.errstate(over="ignore"):  # 1e200 becomes inf in float32
            x = x.astype(np.float32)
    x = x[::2] if strided else x[:size]
    assert all_finite(x) == bool(np.isfinite(x).all())
