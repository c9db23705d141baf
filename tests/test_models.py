"""lecturekit.models: the layers against written-out formulas, whole-model gradchecks."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lecturekit.gradcheck import assert_gradcheck
from lecturekit.losses import softmax_cross_entropy, softmax_cross_entropy_backward
from lecturekit.models import (
    MLP,
    LeNet,
    count_parameters,
    dense,
    dense_backward,
    mlp_parameter_shapes,
    vgg_parameter_count,
)
from lecturekit.norm import BatchNorm
from lecturekit.rng import default_rng


def _model_gradcheck(model, x, labels):
    """Check model.backward against finite differences of the cross-entropy in every parameter."""
    names = list(model.params)
    logits, cache = model.forward(x)
    grads = model.backward(softmax_cross_entropy_backward(1.0, logits, labels), cache)
    assert list(grads) == names
    original = {k: v.copy() for k, v in model.params.items()}

    def loss(*arrays):
        model.params = dict(zip(names, arrays, strict=True))
        try:
            return softmax_cross_entropy(model.forward(x)[0], labels)
        finally:
            model.params = original

    # h = 1e-5: deep chains of narrow layers give some parameters gradients ~1e-4, where
    # h = 1e-6's rounding noise (~1e-16 |L| / h) alone is ~1e-6 relative; the truncation
    # error (~h^2 times the third derivative) stays ~1e-10 for these smooth losses.
    assert_gradcheck(loss, [original[k] for k in names], [grads[k] for k in names], names=names,
                     h=1e-5)


def test_dense_is_wx_plus_b_per_row_and_its_backward_passes_gradcheck():
    rng = default_rng(0)
    x, w, b = rng.normal(size=(3, 4)), rng.normal(size=(2, 4)), rng.normal(size=2)
    for n in range(3):
        np.testing.assert_allclose(dense(x, w, b)[n], w @ x[n] + b, rtol=1e-14)
    dout = rng.normal(size=(3, 2))
    assert_gradcheck(lambda *a: np.sum(dense(*a) * dout), [x, w, b],
                     list(dense_backward(dout, x, w, b)), names=["x", "w", "b"])


def test_mlp_layer_is_affine_then_activation():
    # Lecture 3's recursion a^l = g(W^l a^{l-1} + b^l), logits = W^L a^{L-1} + b^L
    rng = default_rng(1)
    model = MLP((4, 5, 3), rng=rng, activation="tanh")
    model.params["b1"] = rng.normal(size=5)
    x = rng.normal(size=(2, 4))
    p = model.params
    expected = np.tanh(x @ p["w1"].T + p["b1"]) @ p["w2"].T + p["b2"]
    np.testing.assert_allclose(model.forward(x)[0], expected, rtol=1e-14)


@settings(max_examples=15, deadline=None)
@given(sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4),
       activation=st.sampled_from(["relu", "tanh", "sigmoid"]), n=st.integers(1, 4),
       seed=st.integers(0, 2**16))
@example(sizes=[1, 1, 1, 3], activation="tanh", n=1, seed=9403)  # w1's gradient ~1e-4: see h above
def test_mlp_backward_passes_gradcheck(sizes, activation, n, seed):
    sizes = sizes[:-1] + [max(sizes[-1], 2)]  # at least two classes
    rng = default_rng(seed)
    model = MLP(sizes, rng=rng, activation=activation)
    for k in model.params:
        if k[0] == "b":
            model.params[k] = 0.1 * rng.normal(size=model.params[k].shape)
    _model_gradcheck(model, rng.normal(size=(n, sizes[0])), rng.integers(0, sizes[-1], size=n))


def test_mlp_flattens_images_row_major():
    rng = default_rng(2)
    model = MLP((12, 3), rng=rng)
    x = rng.normal(size=(2, 3, 2, 2))
    np.testing.assert_array_equal(model.forward(x)[0], model.forward(x.reshape(2, 12))[0])


@pytest.mark.parametrize("pool", ["max", "avg"])
def test_lenet_backward_passes_gradcheck_on_a_tiny_batch(pool):
    rng = default_rng(3)
    model = LeNet(rng=rng, channels=(2, 3), hidden=4, classes=3, pool=pool)
    for k in model.params:
        if k.endswith("_b"):
            model.params[k] = 0.1 * rng.normal(size=model.params[k].shape)
    _model_gradcheck(model, rng.normal(size=(2, 1, 8, 8)), np.array([0, 2]))


def test_lenet_forward_against_its_layers_written_out():
    # conv as an explicit cross-correlation sum, 2x2 max pooling as reshape-and-max
    rng = default_rng(4)
    model = LeNet(rng=rng, channels=(2, 3), hidden=5, classes=4)
    x = rng.normal(size=(2, 1, 8, 8))
    p = model.params

    def conv_same(x, w, b):
        xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        out = np.empty((x.shape[0], w.shape[0]) + x.shape[2:])
        for i in range(x.shape[2]):
            for j in range(x.shape[3]):
                out[:, :, i, j] = np.einsum("ncuv,kcuv->nk", xp[:, :, i:i + 3, j:j + 3], w) + b
        return out

    def pool(a):
        n, c, h, w = a.shape
        return a.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))

    a = pool(np.maximum(conv_same(x, p["conv1_w"], p["conv1_b"]), 0))
    a = pool(np.maximum(conv_same(a, p["conv2_w"], p["conv2_b"]), 0))
    h = np.maximum(a.reshape(2, -1) @ p["fc1_w"].T + p["fc1_b"], 0)
    np.testing.assert_allclose(model.forward(x)[0], h @ p["fc2_w"].T + p["fc2_b"], rtol=1e-12)


def test_count_parameters_of_the_models_by_formula():
    rng = default_rng(5)
    assert MLP((64, 32, 10), rng=rng).count_parameters() == (64 + 1) * 32 + (32 + 1) * 10
    c1, c2, hid, k = 16, 32, 64, 3
    expected = ((1 * k * k + 1) * c1 + (c1 * k * k + 1) * c2
                + (c2 * 2 * 2 + 1) * hid + (hid + 1) * 10)
    assert LeNet(rng=rng).count_parameters() == expected
    assert count_parameters({"w": np.zeros((3, 4)), "b": np.zeros(3)}) == 15


def test_count_parameters_dense_layer_on_image():
    # Lecture 3, "Why we can't use MLP for images?": a 224x224x3 image into 1000 units
    assert count_parameters(mlp_parameter_shapes((224 * 224 * 3, 1000))) == 150_529_000
    # against one 3x3 convolution from 3 to 64 channels, whatever the image size
    assert count_parameters({"w": (64, 3, 3, 3), "b": (64,)}) == 1_792


def test_models_are_deterministic_for_a_seed():
    a, b = LeNet(rng=default_rng(7)), LeNet(rng=default_rng(7))
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    # the weights are drawn from the generator (equal only because the seed is): another
    # seed gives other weights
    c = LeNet(rng=default_rng(8))
    assert all(not np.array_equal(a.params[k], c.params[k]) for k in a.params if "_w" in k)
    assert "LeNet(in_channels=1" in repr(a) and repr(MLP((4, 2), rng=default_rng(0))) == \
        "MLP(sizes=(4, 2), activation='relu')"


def test_bad_model_input_raises_naming_the_argument():
    rng = default_rng(0)
    with pytest.raises(ValueError, match=r"x must have shape \(N, 64\)"):
        MLP((64, 10), rng=rng).forward(np.zeros((2, 63)))
    with pytest.raises(ValueError, match=r"x must have shape \(\*, 1, 8, 8\), got \(2, 1, 6, 6\)"):
        LeNet(rng=rng).forward(np.zeros((2, 1, 6, 6)))
    with pytest.raises(ValueError, match=r"image_size must be divisible by 4"):
        LeNet(rng=rng, image_size=10)
    with pytest.raises(ValueError, match=r"kernel_size must be odd"):
        LeNet(rng=rng, kernel_size=4)
    with pytest.raises(ValueError, match=r"sizes must be a list of at least two"):
        MLP((10,), rng=rng)
    with pytest.raises(ValueError, match=r"w must have shape \(\*, 4\), got \(2, 3\)"):
        dense(np.zeros((1, 4)), np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator"):
        MLP((4, 2), rng=None)


def test_vgg_parameter_counts():
    # torchvision's published counts (vgg11 ... vgg19, vgg16_bn), an independent reference
    assert vgg_parameter_count(11) == 132_863_336
    assert vgg_parameter_count(13) == 133_047_848
    assert vgg_parameter_count(16) == 138_357_544
    assert vgg_parameter_count(19) == 143_667_240
    assert vgg_parameter_count(16, batch_norm=True) == 138_365_992
    # Lecture 14 says "64 million": VGG-16 has more than twice that, mostly in its first FC layer
    assert vgg_parameter_count(16) > 2 * 64_000_000
    assert (512 * 7 * 7 + 1) * 4096 / vgg_parameter_count(16) > 0.74
    with pytest.raises(ValueError, match=r"depth must be one of 11, 13, 16, 19, got 17"):
        vgg_parameter_count(17)


def test_batch_norm_adds_two_parameters_per_channel():
    # 05/10/23: Theta_BN = Theta plus gamma_k, alpha_k for each of the K nodes with BN
    rng = default_rng(0)
    model = MLP((20, 30, 10), rng=rng)
    bn = BatchNorm(30)
    with_bn = {**model.params, "gamma": bn.gamma, "beta": bn.beta}
    assert count_parameters(with_bn) - count_parameters(model) == 2 * 30


def test_conv3_64_with_batch_norm_parameter_count():
    # conv3-64 on an RGB image: (3*3*3 + 1) * 64 = 1792 weights and biases, BN adds 2 * 64
    bn = BatchNorm(64)
    conv = {"w": (64, 3, 3, 3), "b": (64,)}
    assert count_parameters(conv) == 1_792
    assert count_parameters({**conv, "gamma": bn.gamma, "beta": bn.beta}) == 1_792 + 128


# ------------------------------------------------------------ BN, dropout and init options

def _before_bn(model):
    """The biases that feed a batch norm: BN removes them, so their gradient is 0 (up to
    round-off, where a relative error means nothing) in training mode."""
    if not model.batch_norm:
        return set()
    if isinstance(model, MLP):
        return {f"b{l}" for l in range(1, model.n_layers)}
    return {"conv1_b", "conv2_b", "fc1_b"}


def _stochastic_gradcheck(model, x, labels, seed):
    """Gradcheck of a training-mode forward: the same masks each call (a fresh rng of ``seed``);
    the running statistics are put back after every call (they do not enter the loss)."""
    zero = _before_bn(model)
    names = [k for k in model.params if k not in zero]
    running = {k: v.copy() for k, v in model.running.items()}
    logits, cache = model.forward(x, training=True, rng=default_rng(seed))
    grads = model.backward(softmax_cross_entropy_backward(1.0, logits, labels), cache)
    for k in zero:
        assert np.max(np.abs(grads[k])) < 1e-12, k
    original = {k: v.copy() for k, v in model.params.items()}

    def loss(*arrays):
        model.params = {**original, **dict(zip(names, arrays, strict=True))}
        try:
            return softmax_cross_entropy(
                model.forward(x, training=True, rng=default_rng(seed))[0], labels)
        finally:
            model.params = original
            model.running = {k: v.copy() for k, v in running.items()}

    assert_gradcheck(loss, [original[k] for k in names], [grads[k] for k in names], names=names,
                     h=1e-5)


@settings(max_examples=10, deadline=None)
@given(bn=st.booleans(), keep=st.sampled_from([1.0, 0.5, 0.8]),
       input_keep=st.sampled_from([1.0, 0.8]), seed=st.integers(0, 2**16))
def test_mlp_with_bn_and_dropout_passes_gradcheck_in_training_and_evaluation(bn, keep, input_keep,
                                                                          seed):
    rng = default_rng(seed)
    model = MLP((4, 5, 6, 3), rng=rng, activation="tanh", batch_norm=bn, keep_prob=keep,
                input_keep_prob=input_keep)
    for k in model.params:
        model.params[k] = model.params[k] + 0.1 * rng.normal(size=model.params[k].shape)
    x, labels = rng.normal(size=(6, 4)), rng.integers(0, 3, size=6)
    _stochastic_gradcheck(model, x, labels, seed)
    if bn:  # evaluation mode: BN with the running statistics, moved off their start
        model.running = {k: v + 0.3 * rng.random(v.shape) for k, v in model.running.items()}
    _model_gradcheck(model, x, labels)


@pytest.mark.parametrize("bn, keep", [(True, 1.0), (False, 0.5), (True, 0.5)])
def test_lenet_with_bn_and_dropout_passes_gradcheck(bn, keep):
    rng = default_rng(5)
    model = LeNet(rng=rng, channels=(2, 3), hidden=4, classes=3, batch_norm=bn, keep_prob=keep)
    for k in model.params:
        model.params[k] = model.params[k] + 0.1 * rng.normal(size=model.params[k].shape)
    _stochastic_gradcheck(model, rng.normal(size=(3, 1, 8, 8)), np.array([0, 2, 1]), seed=3)


def test_dropout_and_bn_forward_against_the_layers_written_out():
    # training: inverted dropout with the rng's own mask draw, BN over the batch;
    # evaluation: no mask, BN with the running statistics
    rng = default_rng(6)
    model = MLP((4, 5, 3), rng=rng, batch_norm=True, keep_prob=0.5, input_keep_prob=0.8)
    p = model.params
    x = rng.normal(size=(7, 4))
    draws = default_rng(11)
    m0 = (draws.random((7, 4)) < 0.8) / 0.8
    u = (x * m0) @ p["w1"].T + p["b1"]
    z = (u - u.mean(0)) / np.sqrt(u.var(0) + 1e-5)  # gamma 1, beta 0 at the start
    m1 = (draws.random((7, 5)) < 0.5) / 0.5
    expected = (np.maximum(z, 0) * m1) @ p["w2"].T + p["b2"]
    np.testing.assert_allclose(model.forward(x, training=True, rng=default_rng(11))[0], expected,
                               rtol=1e-12)
    # the running statistics moved as BatchNorm's do, 0.9 old + 0.1 batch (unbiased variance)
    bn = BatchNorm(5)
    bn.forward(u)
    np.testing.assert_allclose(model.running["bn1_mean"], bn.running_mean, rtol=1e-12)
    np.testing.assert_allclose(model.running["bn1_var"], bn.running_var, rtol=1e-12)
    u_eval = x @ p["w1"].T + p["b1"]  # no mask at test time
    expected_eval = np.maximum((u_eval - bn.running_mean) / np.sqrt(bn.running_var + 1e-5), 0) \
        @ p["w2"].T + p["b2"]
    np.testing.assert_allclose(model.forward(x)[0], expected_eval, rtol=1e-12)


def test_options_off_give_the_models_of_before_bit_for_bit():
    # training=True without BN or dropout is the plain network, and draws nothing from rng
    rng = default_rng(7)
    x = rng.normal(size=(3, 1, 8, 8))
    for model in (MLP((64, 8, 10), rng=default_rng(1)), LeNet(rng=default_rng(1))):
        r = default_rng(0)
        a, cache_a = model.forward(x, training=True, rng=r)
        b, cache_b = model.forward(x)
        np.testing.assert_array_equal(a, b)
        assert r.random() == default_rng(0).random()
        assert len(cache_a) == len(cache_b) and not model.stochastic


@pytest.mark.parametrize("init, var", [("xavier_normal", lambda i, o: 2 / (i + o)),
                                       ("lecun_normal", lambda i, o: 1 / i),
                                       ("kaiming_normal", lambda i, o: 2 / i)])
def test_init_option_draws_every_weight_with_the_schemes_variance(init, var):
    model = MLP((400, 300, 200), rng=default_rng(0), init=init)
    for l, (n_in, n_out) in enumerate(((400, 300), (300, 200)), start=1):
        w = model.params[f"w{l}"]
        # 60,000+ draws: the sample variance is within 2 % of the scheme's (about 5 sigma)
        assert w.var() == pytest.approx(var(n_in, n_out), rel=0.02)
    assert not np.any(MLP((4, 3), rng=default_rng(0), init="zeros").params["w1"])
    assert repr(MLP((4, 2), rng=default_rng(0), init="zeros", batch_norm=True, keep_prob=0.5)) == \
        "MLP(sizes=(4, 2), activation='relu', init='zeros', batch_norm=True, keep_prob=0.5)"


def test_bn_and_dropout_model_errors_name_the_argument():
    rng = default_rng(0)
    with pytest.raises(TypeError, match="rng is required for a training forward with dropout"):
        MLP((4, 3, 2), rng=rng, keep_prob=0.5).forward(np.zeros((2, 4)), training=True)
    with pytest.raises(ValueError, match="keep_prob"):
        LeNet(rng=rng, keep_prob=0.0)
    model = MLP((4, 3, 2), rng=rng, batch_norm=True)
    _, cache = model.forward(np.ones((2, 4)) * np.arange(4), training=True)
    with pytest.raises(TypeError, match="mode marker"):
        model.backward(np.zeros((2, 2)), cache[:-1])
    with pytest.raises(ValueError, match="init"):
        MLP((4, 2), rng=rng, init="he")
