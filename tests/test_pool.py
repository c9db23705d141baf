"""lecturekit.pool against loop references, reshaping, closed forms and finite differences."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit.conv import conv2d
from lecturekit.filters import box
from lecturekit.gradcheck import assert_gradcheck
from lecturekit.pool import (
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool2d_reference,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_reference,
)

FEW = settings(max_examples=25, deadline=None)


@st.composite
def pool_cases(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    H = draw(st.integers(max(1, k[0] - 2 * p[0]), 7))
    W = draw(st.integers(max(1, k[1] - 2 * p[1]), 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # distinct values at least 1e-3 apart: no ties, and a 1e-6 step never changes an arg-max
    x = rng.permutation(2 * 3 * H * W).reshape(2, 3, H, W) * 1e-2 - 1.0
    return x, dict(kernel_size=k, stride=stride, padding=p), rng


@FEW
@given(case=pool_cases())
def test_fast_pools_match_loop_references(case):
    x, kw, _ = case
    np.testing.assert_array_equal(max_pool2d(x, **kw), max_pool2d_reference(x, **kw))
    np.testing.assert_allclose(avg_pool2d(x, **kw), avg_pool2d_reference(x, **kw), atol=1e-12)


@FEW
@given(case=pool_cases())
def test_pool_backwards_pass_gradcheck(case):
    x, kw, rng = case
    dout = rng.normal(size=max_pool2d(x, **kw).shape)
    assert_gradcheck(lambda x: np.sum(max_pool2d(x, **kw) * dout), [x],
                     [max_pool2d_backward(dout, x, **kw)], names=["x"])
    assert_gradcheck(lambda x: np.sum(avg_pool2d(x, **kw) * dout), [x],
                     [avg_pool2d_backward(dout, x, **kw)], names=["x"])


def test_max_pool2d_matches_window_maximum():
    # non-overlapping 2x3 windows by reshaping: (N, C, H/2, 2, W/3, 3), max over the window axes
    x = np.random.default_rng(0).normal(size=(2, 3, 6, 9))
    blocks = x.reshape(2, 3, 3, 2, 3, 3)
    np.testing.assert_array_equal(max_pool2d(x, (2, 3)), blocks.max(axis=(3, 5)))
    np.testing.assert_allclose(avg_pool2d(x, (2, 3)), blocks.mean(axis=(3, 5)), atol=1e-15)
    # overlapping windows (stride 1): the maximum over each 2x2 neighbourhood
    y = max_pool2d(x, 2, stride=1)
    expected = np.maximum.reduce([x[:, :, :-1, :-1], x[:, :, 1:, :-1], x[:, :, :-1, 1:],
                                  x[:, :, 1:, 1:]])
    np.testing.assert_array_equal(y, expected)


def test_max_pool2d_invariant_to_small_shifts():
    # a bright pixel moved within its 2x2 window: same pooled map; across windows: different
    x = np.zeros((1, 1, 8, 8))
    x[0, 0, 2, 2] = 1.0
    moved = np.roll(x, 1, axis=3)  # (2, 3): same window
    assert np.array_equal(max_pool2d(x, 2), max_pool2d(moved, 2))
    across = np.roll(x, 2, axis=3)  # (2, 4): the next window
    assert not np.array_equal(max_pool2d(x, 2), max_pool2d(across, 2))
    # two poolings accumulate invariance: shifts up to 3 inside a 4x4 block change nothing
    twice = lambda z: max_pool2d(max_pool2d(z, 2), 2)  # noqa: E731
    x = np.zeros((1, 1, 8, 8))
    x[0, 0, 0, 0] = 1.0
    for di in range(4):
        for dj in range(4):
            assert np.array_equal(twice(x), twice(np.roll(x, (di, dj), axis=(2, 3))))


def test_max_pool2d_backward_ties_go_to_first_maximum_in_row_major_order():
    x = np.array([[[[1.0, 3.0, 3.0, 0.0],
                    [3.0, 2.0, 0.0, 0.0],
                    [5.0, 5.0, 7.0, 7.0],
                    [5.0, 5.0, 7.0, 7.0]]]])
    dx = max_pool2d_backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]), x, 2)
    expected = np.array([[[[0.0, 10.0, 20.0, 0.0],
                           [0.0, 0.0, 0.0, 0.0],
                           [30.0, 0.0, 40.0, 0.0],
                           [0.0, 0.0, 0.0, 0.0]]]])
    np.testing.assert_array_equal(dx, expected)


def test_overlapping_windows_add_their_gradients():
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 1.0  # the maximum of all four 2x2 windows at stride 1
    dx = max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, stride=1)
    assert dx[0, 0, 1, 1] == 4.0 and dx.sum() == 4.0
    dx = avg_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, stride=1)
    np.testing.assert_allclose(dx[0, 0], np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 4)


def test_max_pool2d_pads_with_minus_infinity_and_avg_counts_padding_zeros():
    x = -np.ones((1, 1, 2, 2))
    np.testing.assert_array_equal(max_pool2d(x, 2, stride=1, padding=1), -np.ones((1, 1, 3, 3)))
    # count_include_pad=True: a corner window holds 1 pixel and 3 padding zeros
    y = avg_pool2d(np.ones((1, 1, 2, 2)), 2, stride=1, padding=1)
    np.testing.assert_allclose(y[0, 0], np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 4)


def test_avg_pool2d_is_conv2d_with_a_box_filter():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 7, 6))
    per_channel = np.concatenate([conv2d(x[:, c:c + 1], box(3)[None, None], stride=2, padding=1)
                                  for c in range(3)], axis=1)
    np.testing.assert_allclose(avg_pool2d(x, 3, stride=2, padding=1), per_channel, atol=1e-12)


def test_pools_keep_float32_and_default_to_float64():
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    assert max_pool2d(x, 2).dtype == np.float32 and avg_pool2d(x, 2).dtype == np.float32
    assert max_pool2d_backward(np.ones((1, 1, 2, 2), np.float32), x, 2).dtype == np.float32
    assert max_pool2d(x.astype(int), 2).dtype == np.float64


@pytest.mark.parametrize("call, error, message", [
    (lambda: max_pool2d(np.ones((1, 1, 4, 4)), 3, padding=2), ValueError,
     r"padding must be at most half the kernel size \(kernel_size // 2 = 1\), got padding=2 "
     r"with kernel_size=3"),
    (lambda: avg_pool2d(np.ones((1, 1, 4, 4)), 2, stride=0), ValueError,
     r"stride must be >= 1, got 0"),
    (lambda: max_pool2d(np.ones((1, 1, 2, 5)), 3), ValueError,
     r"height of the kernel \(dilated size d\*\(F-1\)\+1 = 3\) is larger than the padded input "
     r"\(2 \+ padding 0 = 2\)"),
    (lambda: max_pool2d(np.ones((4, 4)), 2), ValueError,
     r"x must be 4-D \(N, C, H, W\), got a 2-D array of shape \(4, 4\)"),
    (lambda: avg_pool2d(np.ones((1, 1, 4, 4)), (2, 2, 2)), ValueError,
     r"kernel_size must be an int or a pair \(height, width\)"),
    (lambda: max_pool2d(np.ones((1, 1, 4, 4)), 2, padding=-1), ValueError,
     r"padding must be >= 0, got -1"),
    (lambda: max_pool2d_backward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 4, 4)), 2), ValueError,
     r"dout must have the output's shape \(1, 1, 2, 2\), got \(1, 1, 3, 3\)"),
    (lambda: avg_pool2d(np.ones((1, 1, 4, 4)), 1.5), TypeError,
     r"kernel_size must be an integer"),
])
def test_pool_bad_input_names_argument_and_sizes(call, error, message):
    with pytest.raises(error, match=message):
        call()
