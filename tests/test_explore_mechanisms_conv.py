"""Convolution step by step, multi-channel convolution and the receptive field (issue 18).

The step-through's sums against conv1d / correlate1d / conv2d for every step, padding and
stride; the flip toggle's kernel as applied; the multi-channel output against conv2d; the
receptive field measured from the gradient against the closed form and against a literal
walk over the layers' index sets.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit.conv import (
    conv1d,
    conv2d,
    convolve2d,
    correlate1d,
    correlate2d,
    lecture3_example_image,
    lecture4_example_1d,
    lecture4_example_2d,
    receptive_field,
)
from lecturekit.conv_steps import conv_steps, multichannel_conv_steps, receptive_field_gradient
from lecturekit.explore import ConvStepExplorer, MultiChannelConvExplorer, ReceptiveFieldExplorer
from lecturekit.explore.conv_steps import EXAMPLES, number
from lecturekit.explore.multichannel import multichannel_data

small_ints = st.integers(-3, 3).map(float)


@st.composite
def signal_and_kernel(draw, ndim):
    """An integer input, a kernel that fits it once padded, a padding and a stride."""
    padding = draw(st.integers(0, 2))
    stride = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 6)) for _ in range(ndim))
    kshape = tuple(draw(st.integers(1, n + 2 * padding)) for n in shape)
    x = np.array(draw(st.lists(small_ints, min_size=int(np.prod(shape)),
                               max_size=int(np.prod(shape))))).reshape(shape)
    w = np.array(draw(st.lists(small_ints, min_size=int(np.prod(kshape)),
                               max_size=int(np.prod(kshape))))).reshape(kshape)
    return x, w, padding, stride


# ---------------------------------------------------------------------- the maths


@settings(max_examples=60, deadline=None)
@given(signal_and_kernel(1), st.booleans())
def test_1d_steps_sum_to_conv1d_and_correlate1d_at_every_step(case, flip):
    x, w, padding, stride = case
    s = conv_steps(x, w, flip=flip, padding=padding, stride=stride)
    xp = np.pad(x, padding)
    reference = (conv1d if flip else correlate1d)(xp, w, mode="valid")[::stride]
    np.testing.assert_array_equal(s.sums, reference)
    np.testing.assert_array_equal(s.output, reference)
    np.testing.assert_array_equal(s.kernel, w[::-1] if flip else w)  # the kernel as applied
    for k, (t,) in enumerate(s.starts):  # a literal window at each step
        assert t == k * stride
        np.testing.assert_array_equal(s.products[k], xp[t:t + len(w)] * s.kernel)
        np.testing.assert_array_equal(s.filled(k)[:k + 1], reference[:k + 1])
        assert np.isnan(s.filled(k)[k + 1:]).all()


@settings(max_examples=60, deadline=None)
@given(signal_and_kernel(2), st.booleans())
def test_2d_steps_sum_to_conv2d_and_convolve2d_at_every_step(case, flip):
    x, w, padding, stride = case
    s = conv_steps(x, w, flip=flip, padding=padding, stride=stride)
    if flip:
        reference = convolve2d(np.pad(x, padding), w, mode="valid")[::stride, ::stride]
    else:
        reference = conv2d(x[None, None], w[None, None], stride=stride, padding=padding)[0, 0]
    np.testing.assert_array_equal(s.output, reference)
    np.testing.assert_array_equal(s.sums, reference.ravel())  # reading order
    np.testing.assert_array_equal(s.kernel, w[::-1, ::-1] if flip else w)
    kh, kw = w.shape
    for k, (i, j) in enumerate(s.starts):
        np.testing.assert_array_equal(s.products[k], s.padded[i:i + kh, j:j + kw] * s.kernel)
        assert divmod(k, reference.shape[1]) == (i // stride, j // stride)


def test_steps_refuse_a_kernel_larger_than_the_padded_input_and_bad_arguments():
    with pytest.raises(ValueError, match=r"kernel \(4 along axis 0\) must fit the padded input"):
        conv_steps([1, 2], [1, 2, 3, 4], padding=0)
    with pytest.raises(ValueError, match="w must have as many axes as x"):
        conv_steps([[1, 2]], [1, 2])
    with pytest.raises(TypeError, match="flip must be True or False"):
        conv_steps([1, 2], [1], flip="yes")
    with pytest.raises(ValueError, match="stride must be >= 1"):
        conv_steps([1, 2], [1], stride=0)
    with pytest.raises(ValueError, match=r"step must be <= 1"):
        conv_steps([1, 2], [1]).filled(2)
    with pytest.raises(ValueError, match=r"w must have shape \(K, 3, kh, kw\)"):
        multichannel_conv_steps(np.ones((3, 4, 4)), np.ones((2, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"b must have shape \(2,\)"):
        multichannel_conv_steps(np.ones((3, 4, 4)), np.ones((2, 3, 3, 3)), [1.0])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2),
       st.integers(1, 2), st.integers(0, 2**31 - 1))
def test_multichannel_steps_are_conv2d_and_sums_of_per_channel_correlations(
        channels, filters, k, padding, stride, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(channels, 5, 4)).astype(float)
    w = rng.integers(-2, 3, size=(filters, channels, k, k)).astype(float)
    b = rng.integers(-2, 3, size=filters).astype(float)
    s = multichannel_conv_steps(x, w, b, stride=stride, padding=padding)
    np.testing.assert_array_equal(s.output, conv2d(x[None], w, b, stride=stride,
                                                   padding=padding)[0])
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    for o in range(filters):
        for c in range(channels):  # each channel's sums: a single-channel correlation
            per_channel = correlate2d(xp[c], w[o, c], mode="valid")[::stride, ::stride]
            np.testing.assert_array_equal(s.channel_sums[:, o, c], per_channel.ravel())
    np.testing.assert_array_equal(s.sums, s.channel_sums.sum(axis=2) + b)
    i, j = s.starts[-1]
    np.testing.assert_array_equal(s.products[-1], xp[None, :, i:i + k, j:j + k] * w)


def _dependence_sets(kernel_sizes, strides, dilations, sizes, unit):
    """Literal reference: the input indices (one axis) that output ``unit`` reads, walked down
    layer by layer with unit i of layer l reading i*S_l + d_l*u, u = 0..F_l - 1."""
    units = {unit}
    for k, s, d in zip(kernel_sizes[::-1], strides[::-1], dilations[::-1], strict=True):
        units = {i * s + d * u for i in units for u in range(k)}
    return units


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 4).flatmap(lambda L: st.tuples(
    st.lists(st.integers(1, 4), min_size=L, max_size=L),
    st.lists(st.integers(1, 3), min_size=L, max_size=L),
    st.lists(st.integers(1, 3), min_size=L, max_size=L))), st.integers(1, 2), st.data())
def test_receptive_field_from_the_gradient_is_the_closed_form_box(layers, outputs, data):
    ks, ss, ds = layers
    row, col = data.draw(st.integers(0, outputs - 1)), data.draw(st.integers(0, outputs - 1))
    p = receptive_field_gradient(ks, strides=ss, dilations=ds, outputs=outputs,
                                 position=(row, col))
    closed = receptive_field(ks, strides=ss, dilations=ds)
    assert p.side == p.closed_form == closed
    assert p.cols[1] - p.cols[0] == closed
    rows = _dependence_sets(ks, ss, ds, p.sizes, row)
    cols = _dependence_sets(ks, ss, ds, p.sizes, col)
    expected = np.zeros((p.sizes[0], p.sizes[0]), dtype=bool)
    expected[np.ix_(sorted(rows), sorted(cols))] = True
    np.testing.assert_array_equal(p.grads[0] != 0, expected)
    assert p.count == len(rows) * len(cols) <= closed**2
    assert p.grads[-1][row, col] == 1 and p.grads[-1].sum() == 1


def test_receptive_field_of_two_and_three_3x3_layers_is_5_and_7():
    assert receptive_field_gradient([3, 3]).side == 5
    assert receptive_field_gradient([3, 3, 3]).side == 7
    holes = receptive_field_gradient([1, 2], strides=[2, 1])  # sees inputs 0 and 2 of 3
    assert (holes.side, holes.count) == (3, 4)


# ---------------------------------------------------------------------- the explorers


def _notes_input(example):
    if example == "1-D":
        return lecture4_example_1d()["I"]
    if example == "4×6":
        return np.nan_to_num(lecture4_example_2d()["I_reconstructed"], nan=0.0)
    return lecture3_example_image()["X"]


def _kernel(example, kernel):
    if example == "1-D":
        return np.array([1.0, 0, 1]) if kernel == "as printed" else np.array([1.0, 0, -1])
    if example == "4×6":
        ex = lecture4_example_2d()
        return ex["K"] if kernel == "as printed" else ex["K_minus"]
    return lecture3_example_image()["K_reconstructed"]


@pytest.mark.parametrize("example", EXAMPLES)
def test_step_explorer_sums_are_the_library_convolution_at_every_step(example):
    e = ConvStepExplorer()
    x = _notes_input(example)
    for kernel in ("as printed", "reconstructed"):
        w = _kernel(example, kernel)
        for flip in (False, True):
            for padding in range(3):
                for stride in range(1, 4):
                    params = dict(example=example, kernel=kernel, flip=flip, padding=padding,
                                  stride=stride)
                    first = e.peek(**params, step=0)["steps"]
                    if x.ndim == 1:
                        reference = (conv1d if flip else correlate1d)(
                            np.pad(x, padding), w, mode="valid")[::stride]
                    else:
                        kernel_used = w[::-1, ::-1] if flip else w
                        reference = conv2d(x[None, None], kernel_used[None, None],
                                           stride=stride, padding=padding)[0, 0]
                    for step in range(first.steps):
                        r = e.peek(**params, step=step)
                        assert r["step"] == step
                        shown = r["filled"].ravel()
                        np.testing.assert_array_equal(shown[:step + 1],
                                                      reference.ravel()[:step + 1])
                        assert np.isnan(shown[step + 1:]).all()
                        assert r["steps"].sums[step] == reference.ravel()[step]


def test_step_explorer_flip_shows_the_kernel_rotated_by_180_degrees():
    e = ConvStepExplorer(example="5×5 X", step=0)
    K = lecture3_example_image()["K_reconstructed"]
    for flip, applied in ((False, K), (True, K[::-1, ::-1])):
        e.update(flip=flip)
        np.testing.assert_array_equal(e.result["steps"].kernel, applied)
        shown = [t.get_text() for t in e.k_texts]
        assert shown == [number(v) for v in applied.ravel()]
    e.update(example="1-D", kernel="reconstructed", flip=True)
    assert [t.get_text() for t in e.k_texts[:3]] == ["−1", "0", "1"]
    assert all(t.get_text() == "" for t in e.k_texts[3:])


def test_step_explorer_sets_the_notes_values_beside_the_computed_ones():
    e = ConvStepExplorer()
    # 1-D as printed: the notes' [-2 0 2] against the computed [4 4 4], flagged at each step
    r = e.peek(example="1-D", kernel="as printed", padding=0, stride=1)
    assert list(r["verdicts"]) == [-1, -1, -1]
    # with the lost minus restored, cross-correlation gives the notes' numbers; convolution
    # gives them in reverse order, so only the middle 0 agrees
    assert list(e.peek(example="1-D", kernel="reconstructed", flip=False)["verdicts"]) == [1] * 3
    assert list(e.peek(example="1-D", kernel="reconstructed", flip=True)["verdicts"]) == [-1, 1, -1]
    # 4×6: K' on the reconstructed image reproduces all four printed values, K none of them
    v = e.peek(example="4×6", kernel="reconstructed")["verdicts"].reshape(2, 4)
    assert v.tolist() == [[1, 0, 1, 1], [1, 0, 0, 0]]
    v = e.peek(example="4×6", kernel="as printed")["verdicts"].reshape(2, 4)
    assert v.tolist() == [[-1, 0, -1, -1], [-1, 0, 0, 0]]
    # 5×5 X: the illustration's feature map, all nine
    assert (e.peek(example="5×5 X")["verdicts"] == 1).all()
    # with padding, the same windows keep their values: the notes' entries move inward
    v = e.peek(example="5×5 X", padding=1)["verdicts"].reshape(5, 5)
    assert (v[1:4, 1:4] == 1).all() and (v[0] == 0).all()
    e.update(example="1-D", kernel="as printed", step=0)
    assert e.claim_line.get_text().startswith("the notes: −2") and "differs" in \
        e.claim_line.get_text()


def test_multichannel_explorer_output_is_conv2d_with_the_bias():
    e = MultiChannelConvExplorer()
    for kernel in (2, 3):
        for padding in (0, 1):
            for stride in (1, 2):
                for seed in (0, 7):
                    x, w, b = multichannel_data(seed, kernel)
                    r = e.peek(kernel=kernel, padding=padding, stride=stride, seed=seed, step=0)
                    np.testing.assert_array_equal(
                        r["output"], conv2d(x[None], w, b, stride=stride, padding=padding)[0])
    x, w, b = multichannel_data(0, 3)
    assert x.min() >= 0 and x.max() <= 3 and set(np.unique(w)) <= {-1.0, 0.0, 1.0}
    e.update(kernel=3, padding=0, stride=1, seed=0, step=4)  # output (2, 2) of each map
    y = conv2d(x[None], w, b)[0]
    assert e.sum_lines[0].get_text().endswith(f"= {number(y[0, 1, 1])}")
    assert e.sum_lines[1].get_text().endswith(f"= {number(y[1, 1, 1])}")


def test_receptive_field_explorer_measures_the_closed_form():
    e = ReceptiveFieldExplorer()
    for layers, kernel, stride, dilation in ((1, 3, 1, 1), (2, 3, 1, 1), (3, 3, 1, 1),
                                             (3, 5, 2, 2), (2, 1, 2, 1), (4, 2, 2, 1)):
        r = e.update(layers=layers, kernel=kernel, stride=stride, dilation=dilation)
        closed = receptive_field([kernel] * layers, strides=[stride] * layers,
                                 dilations=[dilation] * layers)
        assert r["pattern"].side == closed
        assert f"= {closed}" in e.closed.get_text()
        assert f"box {closed} × {closed}" in e.measured.get_text()
        assert r["seen"][-1].sum() == 1 and r["seen"][0].sum() <= closed


def test_step_explorer_takes_each_lectures_letters_and_gives_the_same_numbers():
    l3, l4 = ConvStepExplorer(notation="l3", example="5×5 X"), ConvStepExplorer(example="5×5 X")
    assert l3.sum_line.get_text().startswith("Y(1, 1) = ")
    assert l4.sum_line.get_text().startswith("(I ∗ K)(1, 1) = ")
    assert len(l3.fig.findobj(lambda a: hasattr(a, "get_text"))) == \
        len(l4.fig.findobj(lambda a: hasattr(a, "get_text")))
    for params in (dict(step=4), dict(flip=True, padding=1, step=7), dict(stride=2, step=3)):
        a, b = l3.peek(**params), l4.peek(**params)
        np.testing.assert_array_equal(a["steps"].output, b["steps"].output)
        np.testing.assert_array_equal(a["verdicts"], b["verdicts"])
    with pytest.raises(ValueError, match="the notations are 'l4'"):
        ConvStepExplorer(notation="mlp")
