"""lecturekit.conv against numpy/scipy, literal loops of the notes' sums, and finite differences."""

import numpy as np
import pytest
import scipy.signal
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lecturekit import _im2col
from lecturekit._geometry import correlation_geometry
from lecturekit.conv import (
    conv1d,
    conv2d,
    conv2d_backward,
    conv2d_reference,
    conv_output_size,
    conv_transpose2d,
    conv_transpose2d_backward,
    conv_transpose_output_size,
    convolve2d,
    correlate1d,
    correlate2d,
    lecture3_example_image,
    lecture4_example_1d,
    lecture4_example_2d,
    receptive_field,
)
from lecturekit.gradcheck import assert_gradcheck, numerical_gradient
from lecturekit.models import count_parameters

from .references import dilate
from .strategies import conv_geometry

FEW = settings(max_examples=25, deadline=None)
MODES = ("full", "same", "valid")


def scipy_conv2d(x, w, stride, padding, dilation):
    """conv2d from scipy.signal.correlate2d, one channel pair at a time."""
    xp = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    wd = dilate(w, dilation)
    return np.array([[
        sum(scipy.signal.correlate2d(xp[n, c], wd[k, c], "valid") for c in range(x.shape[1]))
        [:: stride[0], :: stride[1]]
        for k in range(w.shape[0])] for n in range(x.shape[0])])


@st.composite
def conv_cases(draw, max_n=2, max_c=2, max_k=2):
    """Small conv2d problems: shapes, stride, padding, dilation (the input always fits)."""
    (kh, kw), geometry, (H, W) = draw(conv_geometry())
    N, C, K = draw(st.integers(1, max_n)), draw(st.integers(1, max_c)), draw(st.integers(1, max_k))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return dict(x=rng.normal(size=(N, C, H, W)), w=rng.normal(size=(K, C, kh, kw)),
                b=rng.normal(size=K), rng=rng, **geometry)


# ------------------------------------------------------------ 1-D and 2-D sums

@FEW
@given(n=st.integers(1, 8), m=st.integers(1, 8), mode=st.sampled_from(MODES),
       seed=st.integers(0, 1000))
def test_conv1d_matches_numpy_convolve(n, m, mode, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=n), rng.normal(size=m)
    if mode == "valid" and m > n:
        with pytest.raises(ValueError, match="mode='valid' needs the kernel to fit"):
            conv1d(x, w, mode)
        return
    # (X * W)(t) = sum_a x[a] w[t - a], literally
    full = np.array([sum(x[a] * w[t - a] for a in range(n) if 0 <= t - a < m)
                     for t in range(n + m - 1)])
    np.testing.assert_allclose(conv1d(x, w, "full"), full, atol=1e-12)
    np.testing.assert_allclose(conv1d(x, w, mode), scipy.signal.convolve(x, w, mode), atol=1e-12)
    if mode != "same" or n >= m:  # numpy's 'same' has length max(n, m)
        np.testing.assert_allclose(conv1d(x, w, mode), np.convolve(x, w, mode), atol=1e-12)


@FEW
@given(n=st.integers(1, 8), m=st.integers(1, 8), mode=st.sampled_from(MODES),
       seed=st.integers(0, 1000))
def test_correlate1d_matches_numpy_correlate(n, m, mode, seed):
    rng = np.random.default_rng(seed)
    x, w = rng.normal(size=n), rng.normal(size=m)
    assume(mode != "valid" or m <= n)  # the kernel must fit (the error is tested above)
    np.testing.assert_allclose(correlate1d(x, w, mode), scipy.signal.correlate(x, w, mode),
                               atol=1e-12)
    if n >= m:
        np.testing.assert_allclose(correlate1d(x, w, mode), np.correlate(x, w, mode), atol=1e-12)
    np.testing.assert_allclose(conv1d(x, w, mode), correlate1d(x, w[::-1], mode), atol=1e-12)


def test_correlate1d_output_is_window_dot_weights():
    # Lecture 4: z_i = (X_{i+1} ... X_{i+m}) (w_1 ... w_m)^T
    rng = np.random.default_rng(0)
    X, w = rng.normal(size=9), rng.normal(size=4)
    z = correlate1d(X, w, "valid")
    assert z.shape == (9 - 4 + 1,)
    for i in range(z.size):
        assert z[i] == pytest.approx(X[i:i + 4] @ w, abs=1e-12)


def test_correlate1d_weight_jacobian_is_shifted_input():
    # Lecture 4: dz_i / dw_j = X_{i+j}, by finite differences
    rng = np.random.default_rng(1)
    X, w = rng.normal(size=7), rng.normal(size=3)
    for i in range(5):
        (grad,) = numerical_gradient(lambda w, i=i: correlate1d(X, w, "valid")[i], [w])
        np.testing.assert_allclose(grad, X[i:i + 3], atol=1e-8)


@FEW
@given(shape=st.tuples(st.integers(1, 6), st.integers(1, 6)),
       kshape=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       mode=st.sampled_from(MODES), seed=st.integers(0, 1000))
def test_convolve2d_and_correlate2d_match_scipy(shape, kshape, mode, seed):
    rng = np.random.default_rng(seed)
    I, K = rng.normal(size=shape), rng.normal(size=kshape)
    if mode == "valid" and (kshape[0] > shape[0] or kshape[1] > shape[1]):
        with pytest.raises(ValueError, match="K has shape"):
            correlate2d(I, K, mode)
        return
    np.testing.assert_allclose(convolve2d(I, K, mode), scipy.signal.convolve2d(I, K, mode),
                               atol=1e-12)
    np.testing.assert_allclose(correlate2d(I, K, mode), scipy.signal.correlate2d(I, K, mode),
                               atol=1e-12)


def test_correlate2d_matches_definition():
    # (I * K)(i, j) = sum_m sum_n I[i+m, j+n] K[m, n]  (Lecture 4's cross-correlation,
    # Lecture 3's Y(i,j) = sum_{u,v} X(i+u, j+v) K(u,v)), as literal loops
    rng = np.random.default_rng(2)
    I, K = rng.normal(size=(5, 6)), rng.normal(size=(2, 3))
    expected = np.array([[sum(I[i + m, j + n] * K[m, n] for m in range(2) for n in range(3))
                          for j in range(4)] for i in range(4)])
    np.testing.assert_allclose(correlate2d(I, K, "valid"), expected, atol=1e-12)


def test_convolve2d_is_commutative_and_flips_kernel():
    rng = np.random.default_rng(3)
    I, K = rng.normal(size=(5, 4)), rng.normal(size=(3, 2))
    # sum_m sum_n I[m, n] K[i-m, j-n] = sum_m sum_n I[i-m, j-n] K[m, n]: I * K = K * I (full)
    np.testing.assert_allclose(convolve2d(I, K), convolve2d(K, I), atol=1e-12)
    expected = np.array([[sum(I[m, n] * K[i - m, j - n] for m in range(5) for n in range(4)
                              if 0 <= i - m < 3 and 0 <= j - n < 2)
                          for j in range(5)] for i in range(7)])
    np.testing.assert_allclose(convolve2d(I, K), expected, atol=1e-12)


def test_correlate2d_equals_convolve2d_with_flipped_kernel():
    rng = np.random.default_rng(4)
    I, K = rng.normal(size=(6, 5)), rng.normal(size=(3, 3))
    for mode in ("full", "valid"):
        np.testing.assert_allclose(correlate2d(I, K, mode), convolve2d(I, K[::-1, ::-1], mode),
                                   atol=1e-12)
    # and they differ for a kernel that is not point-symmetric
    assert not np.allclose(correlate2d(I, K, "valid"), convolve2d(I, K, "valid"))


def test_same_mode_alignment_of_even_kernels():
    # numpy/scipy.signal.correlate and scipy.signal.correlate2d disagree for even
    # kernels in 'same' mode; each function follows its namesake, as documented.
    x, w = np.arange(1.0, 8.0), np.array([1.0, 10.0, 100.0, 1000.0])
    np.testing.assert_allclose(correlate1d(x, w, "same"), np.correlate(x, w, "same"))
    np.testing.assert_allclose(correlate2d(x[None], w[None], "same"),
                               scipy.signal.correlate2d(x[None], w[None], "same"))
    assert not np.allclose(correlate1d(x, w, "same"), correlate2d(x[None], w[None], "same")[0])
    # correlate2d 'same' is PyTorch's padding='same': (k-1)//2 before, the rest after
    np.testing.assert_allclose(correlate2d(x[None], w[None], "same")[0],
                               correlate1d(np.pad(x, (1, 2)), w, "valid"))


def test_single_channel_functions_reject_bad_input():
    with pytest.raises(ValueError, match=r"mode='valid' needs the kernel to fit .* w has shape "
                                         r"\(4,\), x has shape \(3,\)"):
        conv1d([1, 2, 3], [1, 2, 3, 4], "valid")
    with pytest.raises(ValueError, match="mode must be one of"):
        correlate2d(np.ones((3, 3)), np.ones((2, 2)), "circular")
    with pytest.raises(ValueError, match=r"I must be 2-D, got a 1-D array"):
        convolve2d([1.0, 2.0], np.ones((2, 2)))
    with pytest.raises(ValueError, match="w must not be empty"):
        correlate1d([1.0], [])


# ------------------------------------------------------------------ output size

@FEW
@given(n=st.integers(1, 40), k=st.integers(1, 7), s=st.integers(1, 4), p=st.integers(0, 3),
       d=st.integers(1, 3))
def test_conv_output_size_formula(n, k, s, p, d):
    eff = d * (k - 1) + 1
    if eff > n + 2 * p:
        with pytest.raises(ValueError, match=f"dilated size d\\*\\(F-1\\)\\+1 = {eff}"):
            conv_output_size(n, k, stride=s, padding=p, dilation=d)
        return
    # count the window positions i*s whose window still fits in the padded input
    positions = sum(1 for start in range(0, n + 2 * p, s) if start + eff <= n + 2 * p)
    assert conv_output_size(n, k, stride=s, padding=p, dilation=d) == positions
    # Lecture 4's m = (W - F + 2P)/S + 1 whenever S divides W - F + 2P
    if (n - eff + 2 * p) % s == 0:
        assert positions == (n - eff + 2 * p) / s + 1
        assert conv_output_size(n, k, stride=s, padding=p, dilation=d, exact=True) == positions
    else:
        with pytest.raises(ValueError, match="is not an integer"):
            conv_output_size(n, k, stride=s, padding=p, dilation=d, exact=True)


def test_conv_output_size_examples():
    assert conv_output_size(32, 5) == 28
    assert conv_output_size(224, 3, padding=1) == 224
    assert conv_output_size(32, 3, stride=2) == 15  # (32 - 3)/2 + 1 = 15.5, floored
    with pytest.raises(ValueError, match=r"\(32 - 3 \+ 0\)/2 = 29/2 is not an integer"):
        conv_output_size(32, 3, stride=2, exact=True)


def test_conv_output_size_types_of_convolution():
    # Lecture 3's animations (Dumoulin & Visin): sizes, and the layers agree with them
    assert conv_output_size(4, 3) == 2  # no padding, no strides
    assert conv_output_size(5, 3, padding=1) == 5  # padding 1
    assert conv_output_size(5, 3, stride=2) == 2  # stride 2
    assert conv_output_size(7, 3, dilation=2) == 3  # dilation 2
    assert conv_transpose_output_size(2, 3, stride=2) == 5  # transposed, stride 2
    w = np.ones((1, 1, 3, 3))
    assert conv2d(np.ones((1, 1, 7, 7)), w, dilation=2).shape == (1, 1, 3, 3)
    assert conv_transpose2d(np.ones((1, 1, 2, 2)), w, stride=2).shape == (1, 1, 5, 5)


def test_conv_output_size_same_padding():
    # Lecture 4: a 3x3 filter with padding 1 on each side keeps the size; P = (F-1)/2 for odd F
    for F in (1, 3, 5, 7):
        for n in (7, 28, 224):
            assert conv_output_size(n, F, padding=(F - 1) // 2) == n
    x = np.random.default_rng(5).normal(size=(1, 1, 6, 7))
    for k in (1, 2, 3, 4):
        for d in (1, 2):
            assert conv2d(x, np.ones((1, 1, k, k)), padding="same", dilation=d).shape == x.shape


def test_conv3_64_same_padding_output_shape():
    # 05/10/23: a 224x224x3 image through conv3-64 with "same" padding is 224x224x64
    assert conv_output_size(224, 3, padding=1) == 224  # (224 - 3 + 2)/1 + 1
    x, w, b = np.zeros((1, 3, 224, 224)), np.zeros((64, 3, 3, 3)), np.zeros(64)
    assert conv2d(x, w, b, padding=1).shape == conv2d(x, w, b, padding="same").shape == \
        (1, 64, 224, 224)
    assert count_parameters({"w": w, "b": b}) == 64 * (3 * 3 * 3) + 64 == 1792


@FEW
@given(n=st.integers(1, 10), k=st.integers(1, 4), s=st.integers(1, 3), p=st.integers(0, 2),
       d=st.integers(1, 2), o=st.integers(0, 2))
def test_conv_transpose_output_size_is_an_input_size_of_the_conv(n, k, s, p, d, o):
    if o >= max(s, d):
        with pytest.raises(ValueError, match="output_padding must be smaller than stride"):
            conv_transpose_output_size(n, k, stride=s, padding=p, output_padding=o, dilation=d)
        return
    size = (n - 1) * s - 2 * p + d * (k - 1) + o + 1
    if size < 1:
        with pytest.raises(ValueError, match="is not positive"):
            conv_transpose_output_size(n, k, stride=s, padding=p, output_padding=o, dilation=d)
        return
    assert conv_transpose_output_size(n, k, stride=s, padding=p, output_padding=o,
                                      dilation=d) == size
    if o < s:
        assert conv_output_size(size, k, stride=s, padding=p, dilation=d) == n


def test_conv_output_size_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"\(dilated size d\*\(F-1\)\+1 = 5\) is larger than the "
                                         r"padded input \(3 \+ padding 0 = 3\)"):
        conv_output_size(3, 3, dilation=2)
    with pytest.raises(ValueError, match="stride must be >= 1, got 0"):
        conv_output_size(5, 3, stride=0)
    with pytest.raises(ValueError, match="padding must be >= 0, got -1"):
        conv_output_size(5, 3, padding=-1)
    with pytest.raises(TypeError, match="kernel must be an integer"):
        conv_output_size(5, 2.5)


# ------------------------------------------------------------------ receptive field

def gradient_box(kernels, strides, dilations, paddings, n, rng):
    """Side lengths (rows, cols) of the box of input pixels on which the centre output pixel
    of a stack of conv2d layers depends: the non-zero entries of d y_centre / dx, by
    back-propagating a one-hot gradient with conv2d_backward (random weights)."""
    kw = [dict(stride=s, dilation=d, padding=p) for s, d, p in zip(strides, dilations, paddings,
                                                                  strict=True)]
    ws = [rng.normal(size=(1, 1) + k) for k in kernels]
    xs = [rng.normal(size=(1, 1, n, n))]
    for w, k in zip(ws, kw, strict=True):
        xs.append(conv2d(xs[-1], w, **k))
    g = np.zeros_like(xs[-1])
    g[0, 0, g.shape[2] // 2, g.shape[3] // 2] = 1.0  # d y_centre / d y
    for x, w, k in zip(xs[-2::-1], ws[::-1], kw[::-1], strict=True):
        g = conv2d_backward(g, x, w, **k)[0]
    rows, cols = np.nonzero(g[0, 0])
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


@settings(max_examples=60, deadline=None)
@given(layers=st.lists(st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3),
                                 st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
                                 st.integers(0, 1)), min_size=1, max_size=3),
       seed=st.integers(0, 2**32 - 1))
def test_receptive_field_is_the_box_that_the_gradient_of_one_output_pixel_fills(layers, seed):
    # Each layer: kernel (kh, kw), stride (sh, sw), dilation (dh, dw), padding. Heights and
    # widths differ, so each axis is checked on its own. 256 pixels hold the largest field
    # (1 + 3*3*(1 + 3 + 9) = 118) twice over, so the centre pixel's field is never cut off.
    kh, kw, sh, sw, dh, dw, p = (list(v) for v in zip(*layers, strict=True))
    rows, cols = gradient_box(list(zip(kh, kw, strict=True)), list(zip(sh, sw, strict=True)),
                              list(zip(dh, dw, strict=True)), p, 256, np.random.default_rng(seed))
    assert receptive_field(kh, strides=sh, dilations=dh) == rows
    assert receptive_field(kw, strides=sw, dilations=dw) == cols


def test_receptive_field_of_stacked_same_layers_is_the_notes_filter_size_only_for_one_layer():
    # L stride-1 F x F layers: L(F - 1) + 1; "receptive field aka. filter size" for L = 1 only
    for F in (3, 5, 7):
        assert receptive_field([F]) == F
        for L in range(1, 6):
            assert receptive_field([F] * L) == L * (F - 1) + 1
    assert receptive_field([3, 3]) == 5 == receptive_field([5])  # 18 weights see what 25 see
    # one dilated layer spans the dilated kernel size that conv_output_size subtracts
    for k, d in ((3, 2), (5, 3), (1, 4)):
        assert conv_output_size(40, k, dilation=d) == 40 - receptive_field([k], dilations=[d]) + 1
    # a stride multiplies the contribution of every later layer
    assert receptive_field([7, 3, 3], strides=[2, 1, 1]) == 1 + 6 + 2 * 2 + 2 * 2
    # ... and the last layer's stride none: it spaces the outputs, not what one output sees
    assert receptive_field([3, 3, 3], strides=[2, 2, 5]) == 1 + 2 + 2 * 2 + 2 * 4


@pytest.mark.parametrize("call, error, message", [
    (lambda: receptive_field([]), ValueError, r"kernel_sizes must list at least one layer"),
    (lambda: receptive_field(3), TypeError, r"kernel_sizes must be a sequence of ints"),
    (lambda: receptive_field("33"), TypeError, r"kernel_sizes must be a sequence of ints"),
    (lambda: receptive_field([3, 0]), ValueError, r"kernel_sizes\[1\] must be >= 1, got 0"),
    (lambda: receptive_field([3.0]), TypeError, r"kernel_sizes\[0\] must be an integer"),
    (lambda: receptive_field([3, 3], strides=[2]), ValueError,
     r"strides must have one entry per layer, len\(kernel_sizes\) = 2, got 1"),
    (lambda: receptive_field([3], dilations=[0]), ValueError, r"dilations\[0\] must be >= 1, got 0"),
    (lambda: receptive_field([3], strides=2), TypeError, r"strides must be a sequence of ints"),
])
def test_receptive_field_bad_arguments_name_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----------------------------------------------------------------------- conv2d

@FEW
@given(case=conv_cases())
def test_conv2d_fast_matches_reference_and_scipy(case):
    x, w, b = case["x"], case["w"], case["b"]
    kw = dict(stride=case["stride"], padding=case["padding"], dilation=case["dilation"])
    fast = conv2d(x, w, b, **kw)
    np.testing.assert_allclose(fast, conv2d_reference(x, w, b, **kw), rtol=0, atol=1e-12)
    np.testing.assert_allclose(fast - b[:, None, None], scipy_conv2d(x, w, **kw), atol=1e-12)


def test_conv2d_stride_and_padding_match_reference():
    rng = np.random.default_rng(6)
    x, w = rng.normal(size=(2, 3, 9, 8)), rng.normal(size=(4, 3, 3, 2))
    y1 = conv2d(x, w)
    # stride S keeps every S-th window position; padding P is conv of the zero-padded input
    np.testing.assert_allclose(conv2d(x, w, stride=(2, 3)), y1[:, :, ::2, ::3], atol=1e-12)
    xp = np.pad(x, ((0, 0), (0, 0), (2, 2), (1, 1)))
    np.testing.assert_allclose(conv2d(x, w, padding=(2, 1)), conv2d(xp, w), atol=1e-12)
    np.testing.assert_allclose(conv2d(x, w, stride=2, padding=1),
                               conv2d_reference(x, w, stride=2, padding=1), atol=1e-12)


def test_conv2d_sums_over_input_channels():
    # a kernel spans all C input channels: the output is the sum of per-channel correlations
    rng = np.random.default_rng(7)
    x, w, b = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    per_channel = sum(conv2d(x[:, c:c + 1], w[:, c:c + 1]) for c in range(3))
    np.testing.assert_allclose(conv2d(x, w, b), per_channel + b[:, None, None], atol=1e-12)
    for n in range(2):
        for k in range(4):
            expected = sum(correlate2d(x[n, c], w[k, c], "valid") for c in range(3)) + b[k]
            np.testing.assert_allclose(conv2d(x, w, b)[n, k], expected, atol=1e-12)


def test_conv2d_dilation_matches_dilated_kernel():
    rng = np.random.default_rng(8)
    x, w = rng.normal(size=(1, 2, 7, 7)), rng.normal(size=(3, 2, 3, 3))
    y = conv2d(x, w, dilation=2)
    assert y.shape == (1, 3, 3, 3)  # 7x7 input, 3x3 kernel dilated to 5x5
    np.testing.assert_allclose(y, conv2d(x, dilate(w, (2, 2))), atol=1e-12)
    np.testing.assert_allclose(conv2d(x, w, dilation=(1, 2)), conv2d(x, dilate(w, (1, 2))),
                               atol=1e-12)


def test_conv2d_output_depends_only_on_receptive_field():
    # Lecture 4: each output sees only its F x F window (the receptive field)
    rng = np.random.default_rng(9)
    x, w = rng.normal(size=(1, 1, 8, 8)), rng.normal(size=(1, 1, 3, 3))
    y = conv2d(x, w, stride=2)
    i, j = 1, 2  # window rows 2..4, columns 4..6
    outside = x.copy()
    outside[0, 0, 5:, :] += 1.0
    outside[0, 0, :, :4] += 1.0
    assert conv2d(outside, w, stride=2)[0, 0, i, j] == pytest.approx(y[0, 0, i, j], abs=1e-12)
    inside = x.copy()
    inside[0, 0, 3, 5] += 1.0
    assert conv2d(inside, w, stride=2)[0, 0, i, j] == pytest.approx(y[0, 0, i, j] + w[0, 0, 1, 1])


def test_conv2d_unit_is_rectified_window_sum_plus_bias():
    # Lecture 14's conv unit: y_ij = rectify(sum_{u,v} w_uv x_{i+u, j+v} + b)
    rng = np.random.default_rng(10)
    x, w, b = rng.normal(size=(1, 1, 5, 5)), rng.normal(size=(1, 1, 3, 3)), np.array([0.3])
    y = np.maximum(conv2d(x, w, b), 0.0)
    for i in range(3):
        for j in range(3):
            assert y[0, 0, i, j] == pytest.approx(max(np.sum(x[0, 0, i:i + 3, j:j + 3]
                                                             * w[0, 0]) + 0.3, 0.0), abs=1e-12)


def test_conv2d_same_padding_puts_the_extra_zero_bottom_right():
    rng = np.random.default_rng(11)
    x, w = rng.normal(size=(1, 2, 5, 6)), rng.normal(size=(3, 2, 2, 4))
    # effective kernel 2 x 4: 1 zero in total on rows (0 top, 1 bottom), 3 on columns (1, 2)
    xp = np.pad(x, ((0, 0), (0, 0), (0, 1), (1, 2)))
    np.testing.assert_allclose(conv2d(x, w, padding="same"), conv2d(xp, w), atol=1e-12)
    y = conv2d(x[:, :1], np.ones((1, 1, 2, 2)), padding="same")[0, 0]
    np.testing.assert_allclose(y, correlate2d(x[0, 0], np.ones((2, 2)), "same"), atol=1e-12)


def test_conv2d_keeps_float32_and_defaults_to_float64():
    rng = np.random.default_rng(12)
    x = rng.normal(size=(2, 2, 5, 5))
    w = rng.normal(size=(3, 2, 3, 3))
    y32 = conv2d(x.astype(np.float32), w.astype(np.float32), np.zeros(3, np.float32))
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32, conv2d(x, w), rtol=1e-4, atol=1e-4)
    assert all(g.dtype == np.float32 for g in conv2d_backward(
        y32, x.astype(np.float32), w.astype(np.float32)))
    assert conv2d(x.astype(np.float32), w).dtype == np.float64
    assert conv2d(np.ones((1, 1, 3, 3), dtype=int), np.ones((1, 1, 2, 2), dtype=int)).dtype == \
        np.float64


def test_conv2d_chunks_of_samples_give_the_same_result(monkeypatch):
    # one sample per chunk versus the whole batch in one chunk
    rng = np.random.default_rng(13)
    x, w = rng.normal(size=(5, 2, 6, 6)), rng.normal(size=(3, 2, 3, 3))
    y = conv2d(x, w, padding=1)
    dout = rng.normal(size=y.shape)
    grads = conv2d_backward(dout, x, w, padding=1)
    monkeypatch.setattr(_im2col, "CHUNK_BYTES", 1)
    monkeypatch.setattr(_im2col, "SMALL_ELEMENTS", 0)  # the chunked path, not the small one
    np.testing.assert_allclose(conv2d(x, w, padding=1), y, atol=1e-12)
    for a, b in zip(conv2d_backward(dout, x, w, padding=1), grads, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)


@pytest.mark.parametrize("blocks", [1, 2, 3, 4])  # output rows per im2col column, forced
@pytest.mark.parametrize("kw", [
    dict(),
    dict(padding=1),
    dict(stride=2, padding=2),
    dict(stride=(3, 1), padding=(0, 1)),
    dict(dilation=(1, 2), padding="same"),
    dict(dilation=2),  # vertical dilation: never row-blocked
    dict(stride=2),  # no padding, no junk columns: the windows read x itself
])
def test_conv2d_row_blocks_match_reference(monkeypatch, blocks, kw):
    # Output heights that are and are not multiples of the block, so the last block of rows
    # is sometimes partly empty; kernels of 3 and of 5 rows.
    monkeypatch.setattr(_im2col, "row_block", lambda K, geom: blocks)
    monkeypatch.setattr(_im2col, "SMALL_ELEMENTS", 0)  # row blocks are the chunked path's
    rng = np.random.default_rng(16)
    for shape, kh in [((3, 2, 7, 6), 3), ((2, 3, 8, 9), 3), ((1, 1, 5, 5), 3), ((2, 1, 13, 9), 5)]:
        x = rng.normal(size=shape)
        w, b = rng.normal(size=(4, shape[1], kh, 2)), rng.normal(size=4)
        np.testing.assert_allclose(conv2d(x, w, b, **kw), conv2d_reference(x, w, b, **kw),
                                   rtol=0, atol=1e-12)


def test_conv2d_row_block_choice():
    """Few filters are row-blocked: by 4 with kernels of 5 rows or more (LeNet-5's first
    layer), by 2 otherwise; many filters, vertical dilation and one output row are not."""
    from lecturekit._geometry import correlation_geometry

    def block(K, kernel, in_hw=(28, 28), dilation=1):
        return _im2col.row_block(K, correlation_geometry(in_hw, kernel, 1, 0, dilation))

    assert block(6, (5, 5)) == 4
    assert block(6, (3, 3)) == 2
    assert block(8, (5, 5)) == 2
    assert block(64, (3, 3)) == 1
    assert block(4, (5, 5), dilation=2) == 1
    assert block(4, (5, 5), in_hw=(5, 9)) == 1


@pytest.mark.parametrize("small", [None, 0])  # the small path (these shapes), the chunked one
def test_conv2d_scratch_buffers_carry_nothing_between_calls(monkeypatch, small):
    if small is not None:
        monkeypatch.setattr(_im2col, "SMALL_ELEMENTS", small)
    # A large padded call leaves non-zero data in the reused buffers; a smaller call with a
    # different padding must still see zeros in its own border, and so must the first again.
    rng = np.random.default_rng(17)
    calls = [(rng.normal(size=(4, 3, 11, 9)), rng.normal(size=(5, 3, 3, 3)), dict(padding=3)),
             (rng.normal(size=(2, 3, 5, 6)), rng.normal(size=(2, 3, 2, 2)), dict(padding=1)),
             (rng.normal(size=(3, 2, 4, 4)), rng.normal(size=(12, 2, 3, 3)), dict())]
    for x, w, kw in calls + calls[::-1]:
        y = conv2d(x, w, **kw)
        np.testing.assert_allclose(y, conv2d_reference(x, w, **kw), atol=1e-12)
        # conv2d is linear in x and in w, so the gradients are its adjoints:
        # <conv2d(x', w), g> = <x', dx> and <conv2d(x, w'), g> = <w', dw> for any x', w'
        g, x2, w2 = rng.normal(size=y.shape), rng.normal(size=x.shape), rng.normal(size=w.shape)
        dx, dw, _ = conv2d_backward(g, x, w, **kw)
        assert np.vdot(conv2d_reference(x2, w, **kw), g) == pytest.approx(np.vdot(x2, dx))
        assert np.vdot(conv2d_reference(x, w2, **kw), g) == pytest.approx(np.vdot(w2, dw))


def _im2col_geometry(x, w, *, stride=1, padding=0, dilation=1):
    return correlation_geometry(x.shape[2:], w.shape[2:], stride, padding, dilation)


def _backward_reference(g, x, w, **kw):
    """conv2d_backward with no kept im2col matrix (each call gathers its own)."""
    _im2col._kept_cols.entries.clear()
    return conv2d_backward(g, x, w, **kw)


def test_the_backward_reuses_the_forwards_im2col_matrix_only_for_the_same_bytes(monkeypatch):
    rng = np.random.default_rng(23)
    x, w = rng.normal(size=(4, 2, 6, 6)), rng.normal(size=(3, 2, 3, 3))
    x[0, 0, :2] = 0.0
    g = rng.normal(size=(4, 3, 6, 6))
    assert _im2col.is_small(4, 2, _im2col_geometry(x, w, padding=1))
    gathers = []
    real_take = np.take
    monkeypatch.setattr(_im2col.np, "take", lambda *a, **k: gathers.append(1) or real_take(*a, **k))
    conv2d(x, w, padding=1)
    grads = conv2d_backward(g, x, w, padding=1)
    assert len(gathers) == 1  # the forward's gather, read again by the backward
    expected = _backward_reference(g, x, w, padding=1)
    assert all(np.array_equal(a, b) for a, b in zip(grads, expected, strict=True))
    # the input changed in place between the forward and the backward: gathered again
    conv2d(x, w, padding=1)
    x[1, 1, 2, 3] += 1.0
    gathers.clear()
    grads = conv2d_backward(g, x, w, padding=1)
    assert len(gathers) == 1
    assert all(np.array_equal(a, b) for a, b in zip(grads, _backward_reference(g, x, w, padding=1),
                                                     strict=True))
    # -0.0 equals 0.0 but is another input: its bytes differ, so it is gathered again
    conv2d(x, w, padding=1)
    x[0, 0, :2] = -0.0
    gathers.clear()
    conv2d_backward(g, x, w, padding=1)
    assert len(gathers) == 1


def test_the_kept_im2col_matrices_are_read_only_and_bounded():
    rng = np.random.default_rng(24)
    x = rng.normal(size=(2, 1, 5, 5))
    geom = _im2col_geometry(x, np.zeros((1, 1, 3, 3)), padding=1)
    cols = _im2col._small_cols(x, geom, ones_row=True)
    assert not cols.flags.writeable
    for n in range(1, _im2col.SMALL_COLS_KEPT + 3):  # more shapes than it keeps
        _im2col._small_cols(rng.normal(size=(n, 1, 5, 5)), geom)
    assert len(_im2col._kept_cols.entries) == _im2col.SMALL_COLS_KEPT


def test_conv2d_does_not_keep_scratch_buffers_above_the_limit(monkeypatch):
    monkeypatch.setattr(_im2col, "KEEP_BYTES", 12_000)  # the padded chunk (10 kB) but not cols
    monkeypatch.setattr(_im2col, "_scratch", _im2col._Scratch())
    monkeypatch.setattr(_im2col, "SMALL_ELEMENTS", 0)
    rng = np.random.default_rng(19)
    x, w = rng.normal(size=(2, 3, 12, 12)), rng.normal(size=(4, 3, 3, 3))
    np.testing.assert_allclose(conv2d(x, w, padding=1), conv2d_reference(x, w, padding=1),
                               atol=1e-12)
    kept = _im2col._scratch.buffers
    assert "xp" in kept and "cols" not in kept
    assert all(buf.nbytes <= 12_000 for buf in kept.values())


def test_conv2d_is_safe_to_call_from_several_threads():
    # the scratch buffers are per thread; shared ones would mix the two batches
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(18)
    jobs = [(rng.normal(size=(6, 2, 9, 9)), rng.normal(size=(3, 2, 3, 3))) for _ in range(8)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda job: [conv2d(*job, padding=1) for _ in range(20)], jobs))
    for (x, w), ys in zip(jobs, results, strict=True):
        expected = conv2d_reference(x, w, padding=1)
        for y in ys:
            np.testing.assert_allclose(y, expected, atol=1e-12)


def check_conv2d_backward(x, w, b, **kw):
    rng = np.random.default_rng(14)
    dout = rng.normal(size=conv2d(x, w, b, **kw).shape)
    dx, dw, db = conv2d_backward(dout, x, w, **kw)
    assert_gradcheck(lambda x, w, b: np.sum(conv2d(x, w, b, **kw) * dout), [x, w, b],
                     [dx, dw, db], names=["x", "w", "b"])


@pytest.mark.parametrize("kw", [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(1, 2), padding=(2, 0), dilation=(2, 1)),
    dict(padding="same", dilation=2),
    dict(stride=3, dilation=2, padding=2),
])
def test_conv2d_backward_passes_gradcheck(kw):
    rng = np.random.default_rng(15)
    check_conv2d_backward(rng.normal(size=(2, 2, 6, 5)), rng.normal(size=(3, 2, 3, 2)),
                          rng.normal(size=3), **kw)


@settings(max_examples=10, deadline=None)
@given(case=conv_cases(max_n=2, max_c=2, max_k=2))
def test_conv2d_backward_passes_gradcheck_on_random_geometries(case):
    check_conv2d_backward(case["x"], case["w"], case["b"], stride=case["stride"],
                          padding=case["padding"], dilation=case["dilation"])


@pytest.mark.parametrize("call, message", [
    (lambda: conv2d(np.ones((2, 3, 5, 5)), np.ones((4, 2, 3, 3))),
     r"w must have shape \(K, 3, kh, kw\) to match x's C = 3 channels, got \(4, 2, 3, 3\)"),
    (lambda: conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 5, 5))),
     r"height of the kernel \(dilated size d\*\(F-1\)\+1 = 5\) is larger than the padded input "
     r"\(4 \+ padding 0 = 4\)"),
    (lambda: conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), dilation=(1, 2)),
     r"width of the kernel \(dilated size d\*\(F-1\)\+1 = 5\) is larger than the padded input "
     r"\(4 \+ padding 0 = 4\)"),
    (lambda: conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), stride=0),
     r"stride must be >= 1, got 0"),
    (lambda: conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), dilation=(1, 0)),
     r"dilation must be >= 1, got 0"),
    (lambda: conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), padding=-1),
     r"padding must be >= 0, got -1"),
    (lambda: conv2d(np.ones((1, 4, 4)), np.ones((1, 1, 3, 3))),
     r"x must be 4-D \(N, C, H, W\), got a 3-D array of shape \(1, 4, 4\)"),
    (lambda: conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 3, 3))),
     r"w must be 4-D \(K, C, kh, kw\), got a 3-D array of shape \(1, 3, 3\)"),
    (lambda: conv2d(np.ones((1, 1, 4, 4)), np.ones((2, 1, 3, 3)), np.ones(3)),
     r"b must have shape \(2,\), one per filter \(w.shape\[0\]\), got \(3,\)"),
    (lambda: conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), stride=2, padding="same"),
     r"padding='same' needs stride 1 \(as in PyTorch\), got stride=\(2, 2\)"),
    (lambda: conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), stride=(1, 2, 3)),
     r"stride must be an int or a pair \(height, width\), got \(1, 2, 3\)"),
    (lambda: conv2d_backward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3))),
     r"dout must have the output's shape \(1, 1, 2, 2\), got \(1, 1, 3, 3\)"),
])
def test_conv2d_bad_input_names_argument_and_sizes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_conv2d_rejects_non_numbers():
    with pytest.raises(TypeError, match="stride must be an integer"):
        conv2d(np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3)), stride=1.5)
    with pytest.raises(ValueError, match="x must contain only finite values"):
        conv2d(np.full((1, 1, 4, 4), np.nan), np.ones((1, 1, 3, 3)))


# ------------------------------------------------------------- transposed conv

def transpose_cases():
    return st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 2),  # N, C_in, C_out
                     st.integers(1, 3), st.integers(1, 3),  # kh, kw
                     st.integers(1, 3), st.integers(0, 2), st.integers(1, 2),  # s, p, d
                     st.integers(1, 5), st.integers(1, 5), st.integers(0, 1000))


def transpose_problem(case):
    N, ci, co, kh, kw, s, p, d, H, W, seed = case
    rng = np.random.default_rng(seed)
    o = int(rng.integers(max(s, d)))  # an allowed output_padding
    try:
        size = [conv_transpose_output_size(n, k, stride=s, padding=p, output_padding=o,
                                           dilation=d) for n, k in ((H, kh), (W, kw))]
    except ValueError:
        return None
    kw_ = dict(stride=s, padding=p, dilation=d)
    return rng, (N, ci, H, W), (ci, co, kh, kw), size, o, kw_


@FEW
@given(case=transpose_cases())
def test_conv_transpose2d_is_adjoint_of_conv2d(case):
    problem = transpose_problem(case)
    assume(problem is not None)  # sizes that are not positive raise; tested elsewhere
    rng, xshape, wshape, size, o, kw = problem
    y = rng.normal(size=xshape)  # lives in conv2d's output space
    w = rng.normal(size=wshape)
    z = conv_transpose2d(y, w, output_padding=o, **kw)
    x = rng.normal(size=z.shape)  # conv2d's input space
    assume(o < kw["stride"])  # (o >= S only with dilation > stride) conv2d(x) has more than H rows
    # <conv2d(x, w), y> = <x, conv_transpose2d(y, w)>
    assert np.sum(conv2d(x, w, **kw) * y) == pytest.approx(np.sum(x * z), abs=1e-10)
    # conv_transpose2d is conv2d's input gradient
    np.testing.assert_allclose(conv2d_backward(y, x, w, **kw)[0], z, atol=1e-12)


@FEW
@given(case=transpose_cases())
def test_conv_transpose2d_matches_scatter_loop(case):
    problem = transpose_problem(case)
    assume(problem is not None)  # sizes that are not positive raise; tested elsewhere
    rng, xshape, wshape, size, o, kw = problem
    x, w, b = rng.normal(size=xshape), rng.normal(size=wshape), rng.normal(size=wshape[1])
    s, p, d = kw["stride"], kw["padding"], kw["dilation"]
    expected = np.zeros((xshape[0], wshape[1], *size))
    for n, c, i, j, o_, u, v in np.ndindex(xshape[0], wshape[0], xshape[2], xshape[3],
                                           wshape[1], wshape[2], wshape[3]):
        r, q = i * s + u * d - p, j * s + v * d - p
        if 0 <= r < size[0] and 0 <= q < size[1]:
            expected[n, o_, r, q] += x[n, c, i, j] * w[c, o_, u, v]
    y = conv_transpose2d(x, w, b, output_padding=o, **kw)
    np.testing.assert_allclose(y, expected + b[:, None, None], atol=1e-12)


@pytest.mark.parametrize("kw", [
    dict(),
    dict(stride=2),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(1, 2), padding=(0, 1), dilation=(2, 1)),
    dict(stride=1, dilation=3, output_padding=2),  # output_padding >= stride: allowed by dilation
])
def test_conv_transpose2d_backward_passes_gradcheck(kw):
    rng = np.random.default_rng(16)
    x, w, b = rng.normal(size=(2, 2, 3, 4)), rng.normal(size=(2, 3, 3, 2)), rng.normal(size=3)
    dout = rng.normal(size=conv_transpose2d(x, w, b, **kw).shape)
    dx, dw, db = conv_transpose2d_backward(dout, x, w, **kw)
    assert_gradcheck(lambda x, w, b: np.sum(conv_transpose2d(x, w, b, **kw) * dout), [x, w, b],
                     [dx, dw, db], names=["x", "w", "b"])


@pytest.mark.parametrize("call, message", [
    (lambda: conv_transpose2d(np.ones((1, 2, 3, 3)), np.ones((3, 1, 2, 2))),
     r"w must have shape \(2, C_out, kh, kw\) to match x's C_in = 2 channels, got \(3, 1, 2, 2\)"),
    (lambda: conv_transpose2d(np.ones((1, 1, 3, 3)), np.ones((1, 2, 2, 2)), np.ones(1)),
     r"b must have shape \(2,\), one per output channel"),
    (lambda: conv_transpose2d(np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)), stride=2,
                              output_padding=2),
     r"output_padding must be smaller than stride \(2\) or dilation \(1\), got 2"),
    (lambda: conv_transpose2d(np.ones((1, 1, 1, 1)), np.ones((1, 1, 2, 2)), padding=1),
     r"output size .* = 0 is not positive"),
    (lambda: conv_transpose2d_backward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)),
                                       np.ones((1, 1, 2, 2))),
     r"dout must have the output's shape \(1, 1, 4, 4\), got \(1, 1, 3, 3\)"),
])
def test_conv_transpose2d_bad_input_names_argument_and_sizes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ------------------------------------- conv2d_backward and Lecture 3's gradient formulas

def test_lecture3_kernel_grad_first_entry():
    # (grad_k L)_1 = (grad_y L)_1 x_1 + (grad_y L)_2 x_2 + (grad_y L)_3 x_4 + (grad_y L)_4 x_5
    rng = np.random.default_rng(21)
    x, k, g = rng.normal(size=(3, 3)), rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    _, dw, _ = conv2d_backward(g[None, None], x[None, None], k[None, None])
    g1, g2, g3, g4 = g.ravel()
    x1, x2, _, x4, x5 = x.ravel()[:5]
    assert dw[0, 0, 0, 0] == pytest.approx(g1 * x1 + g2 * x2 + g3 * x4 + g4 * x5)


def test_kernel_grad_is_input_correlated_with_output_grad():
    # grad_k L = X x grad_y L: the valid cross-correlation of the input with the output gradient
    rng = np.random.default_rng(22)
    x, k = rng.normal(size=(6, 5)), rng.normal(size=(3, 2))
    g = rng.normal(size=(4, 4))
    _, dw, _ = conv2d_backward(g[None, None], x[None, None], k[None, None])
    np.testing.assert_allclose(dw[0, 0], scipy.signal.correlate2d(x, g, "valid"), atol=1e-12)


def test_input_gradient_is_full_convolution_with_kernel():
    # grad_x L = [zero-padded grad_y L] x [[k4, k3], [k2, k1]] = full convolution of grad_y L with k
    rng = np.random.default_rng(23)
    x, k, g = rng.normal(size=(3, 3)), rng.normal(size=(2, 2)), rng.normal(size=(2, 2))
    dx, _, _ = conv2d_backward(g[None, None], x[None, None], k[None, None])
    padded = np.pad(g, 1)  # the notes' 4x4 matrix
    np.testing.assert_allclose(dx[0, 0], scipy.signal.correlate2d(padded, k[::-1, ::-1], "valid"),
                               atol=1e-12)
    np.testing.assert_allclose(dx[0, 0], scipy.signal.convolve2d(g, k, "full"), atol=1e-12)


# ------------------------------------------------------------- worked examples

def test_lecture4_1d_example():
    ex = lecture4_example_1d()
    I, K = ex["I"], ex["K"]
    # with the printed kernel, both operations give [4 4 4] (K is symmetric) ...
    np.testing.assert_allclose(conv1d(I, K, "valid"), np.convolve(I, K, "valid"))
    np.testing.assert_allclose(conv1d(I, K, "valid"), [4.0, 4.0, 4.0])
    np.testing.assert_allclose(correlate1d(I, K, "valid"), [4.0, 4.0, 4.0])
    assert not np.allclose(conv1d(I, K, "valid"), ex["claimed"])
    # ... and the notes' [-2 0 2] is the difference kernel's
    np.testing.assert_allclose(conv1d(I, [-1.0, 0.0, 1.0], "valid"), ex["claimed"])
    np.testing.assert_allclose(correlate1d(I, [1.0, 0.0, -1.0], "valid"), ex["claimed"])
    np.testing.assert_allclose(correlate1d(I, [-1.0, 0.0, 1.0], "valid"), -ex["claimed"])


def test_lecture4_2d_example():
    ex = lecture4_example_2d()
    I, K, Km = ex["I"], ex["K"], ex["K_minus"]
    known = I[:, :5]  # the complete columns
    # printed K: the first window sums to 6, not the notes' 0
    first = I[:3, :3]
    assert np.sum(first * K) == 6 != ex["claimed_sums"][0]
    np.testing.assert_allclose(correlate2d(known, K, "valid"), [[6, 6, 7], [8, 4, 5]])
    np.testing.assert_allclose(correlate2d(known, K, "valid"),
                               scipy.signal.convolve2d(known, K, "valid"))  # K is symmetric
    # the kernel with -1 printed in the third step gives the notes' 0, 6 and 2
    assert np.sum(first * Km) == ex["claimed_sums"][0] == ex["claimed"][0, 0] == 0
    assert correlate2d(known, Km, "valid")[1, 0] == ex["claimed"][1, 0] == 6
    assert np.sum(ex["window_3"] * Km) == ex["claimed_sums"][2] == 2
    # the notes' third window is the image's columns 4-6 only if row 3 reads [3 2 1 1 0 1]
    assert not np.array_equal(I[:3, 3:6][2, :2], ex["window_3"][2, :2])
    # the reconstruction inserts one "1" into the printed row 3 and changes nothing else
    rec = ex["I_reconstructed"]
    np.testing.assert_array_equal(rec[2], np.insert(I[2, :5], 3, 1.0))
    np.testing.assert_array_equal(rec[[0, 1]], I[[0, 1]])
    np.testing.assert_array_equal(rec[3, :5], I[3, :5])
    for b in (0.0, 1.0):  # b: the lost last entry of row 4
        rec = np.nan_to_num(ex["I_reconstructed"], nan=b)
        np.testing.assert_array_equal(rec[:3, 3:6], ex["window_3"])
        np.testing.assert_allclose(correlate2d(rec, Km, "valid"),
                                   scipy.signal.correlate2d(rec, Km, "valid"))
        np.testing.assert_allclose(correlate2d(rec, Km, "valid"), [[0, 3, 4, 2], [6, 2, 2, 2 + b]])
        np.testing.assert_allclose(correlate2d(rec, K, "valid"), [[6, 7, 6, 4], [8, 4, 6, 4 + b]])


def test_lecture3_image_example_with_sobel():
    ex = lecture3_example_image()
    X = ex["X"]
    sobel_x = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_allclose(correlate2d(X, sobel_x, "valid"),
                               scipy.signal.correlate2d(X, sobel_x, "valid"))
    np.testing.assert_allclose(correlate2d(X, sobel_x, "valid"),
                               [[12, 11, -1], [2, 17, 0], [-1, 9, -3]])
    # the reconstructed kernel of the missing figure reproduces its feature map
    Y = correlate2d(X, ex["K_reconstructed"], "valid")
    np.testing.assert_allclose(Y, scipy.signal.correlate2d(X, ex["K_reconstructed"], "valid"))
    np.testing.assert_allclose(Y, ex["Y_reconstructed"])
    y = conv2d(X[None, None], ex["K_reconstructed"][None, None])
    np.testing.assert_allclose(y[0, 0], ex["Y_reconstructed"], atol=1e-12)
