r"""Small models built from lecturekit's own layers: a dense layer, an MLP and a LeNet-style CNN.

Conventions
-----------
* A model is a small class holding its parameters in ``model.params``, a dict
  of float64 arrays a student can print (``{"w1": ..., "b1": ...}``); the
  optimisers of :mod:`lecturekit.optim` update that dict in place.
* ``logits, cache = model.forward(x)``; ``grads = model.backward(dlogits, cache)``
  returns a dict with the keys of ``params``. ``cache`` holds what the backward
  needs (each layer's input); it is a plain list.
* Dense weights are ``(out, in)`` as in PyTorch's ``nn.Linear``: a layer is
  ``x @ w.T + b``, the lectures' :math:`z = Wx + b` applied to each row of ``x``.
* Images are NCHW; the MLP flattens them row-major, ``x.reshape(N, -1)``.
* Models output logits; the loss (softmax cross-entropy, in
  :mod:`lecturekit.losses`) is applied by :func:`lecturekit.train.train`.

References
----------
MLP lecture (004_16411a88f2dc5004.txt): :math:`z = Wx + b`, :math:`a = g(z)`.
Lecture 3 (001_2691e6e736ad0c50.txt): the layer recursion, "Why we can't use
MLP for images?", LeNet and pooling. Lecture 14 (003_59d733786b3f0eb6.txt):
"Le Net (80s) MNIST". LeCun, Bottou, Bengio & Haffner (1998), "Gradient-based
learning applied to document recognition".
"""

from __future__ import annotations

import numbers

import numpy as np

from ._checks import as_array, check_bool, check_choice, check_int, check_real, check_shape
from .activations import ACTIVATIONS, activation_kernels
from .conv import conv2d, conv2d_backward
from .dropout import dropout, dropout_backward
from .init import INITS, initialize, kaiming_normal
from .norm import batch_norm, batch_norm_backward
from .pool import avg_pool2d, avg_pool2d_backward, max_pool2d, max_pool2d_backward
from .rng import check_rng

__all__ = [
    "dense", "dense_backward", "count_parameters", "mlp_parameter_shapes", "vgg_parameter_count",
    "MLP", "LeNet", "BN_MOMENTUM",
]

BN_MOMENTUM = 0.1
"""Weight of the new batch in the models' running BN statistics (PyTorch's ``momentum``,
as :class:`lecturekit.norm.BatchNorm`): ``running = 0.9 running + 0.1 batch``."""


def dense(x, w, b):
    r"""A dense (fully connected) layer :math:`z = x w^\top + b`.

    Parameters
    ----------
    x : ndarray, shape (N, D)
    w : ndarray, shape (M, D)
        ``(out, in)``, as ``nn.Linear.weight``.
    b : ndarray, shape (M,)

    Returns
    -------
    ndarray, shape (N, M)

    Notes
    -----
    The MLP lecture's :math:`z = Wx + b` for a column :math:`x`; for a batch of
    rows it is :math:`Z = X W^\top + b`.

    Examples
    --------
    >>> dense(np.array([[1.0, 2.0]]), np.array([[1.0, 1.0], [0.0, 1.0]]), np.array([0.0, 1.0]))
    array([[3., 3.]])
    """
    x, w, b = _dense_args(x, w, b)
    return x @ w.T + b


def _dense_args(x, w, b):
    x = as_array(x, "x", ndim=2)
    w = check_shape(as_array(w, "w", ndim=2), "w", (None, x.shape[1]), of="the features of x")
    b = check_shape(as_array(b, "b"), "b", (w.shape[0],), of="the rows of w")
    return x, w, b


def dense_backward(dout, x, w, b):
    r"""Gradients of :func:`dense`: ``(dx, dw, db)`` = ``(dout w, doutᵀ x, Σ dout)``.

    Parameters
    ----------
    dout : ndarray, shape (N, M)
    x, w, b
        The forward's inputs.

    Returns
    -------
    dx : ndarray, shape (N, D)
        :math:`\nabla_x = \nabla_z W` (the MLP lecture's :math:`\nabla_x f = W^\top \nabla_z f`
        for a column).
    dw : ndarray, shape (M, D)
    db : ndarray, shape (M,)
    """
    x, w, _ = _dense_args(x, w, b)
    dout = check_shape(as_array(dout, "dout"), "dout", (x.shape[0], w.shape[0]),
                       of="the rows of x and of w")
    return dout @ w, dout.T @ x, dout.sum(axis=0)


def count_parameters(model):
    r"""The number of learnable numbers: of a model, a dict of arrays, or a dict of shapes.

    Parameters
    ----------
    model : MLP, LeNet, dict of ndarray or dict of tuple
        Anything with a ``params`` dict, or the dict itself; values may be
        arrays or shapes (so a model too large to allocate can be counted from
        :func:`mlp_parameter_shapes`).

    Returns
    -------
    int

    Notes
    -----
    Lecture 3, "Why we can't use MLP for images?": one dense layer from a
    224x224x3 image to 1000 units has :math:`(224 \cdot 224 \cdot 3 + 1) \cdot 1000
    = 150{,}529{,}000` parameters; a 3x3 convolution from 3 to 64 channels has
    :math:`(3 \cdot 3 \cdot 3 + 1) \cdot 64 = 1{,}792`, whatever the image size.

    Examples
    --------
    >>> count_parameters(mlp_parameter_shapes((224 * 224 * 3, 1000)))
    150529000
    """
    params = getattr(model, "params", model)
    if not isinstance(params, dict):
        raise TypeError(f"model must be a model or a dict of parameters, "
                        f"got {type(model).__name__}")
    total = 0
    for key, value in params.items():
        if isinstance(value, tuple):  # a shape
            if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 0
                       for s in value):
                raise ValueError(f"model[{key!r}] must be an array or a shape (a tuple of ints "
                                 f">= 0), got {value!r}")
            shape = value
        else:
            shape = as_array(value, f"model[{key!r}]", dtype=None, finite=False).shape
        total += int(np.prod(shape, dtype=np.int64))
    return total


VGG_CONFIGS = {
    11: (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    13: (64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    16: (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    19: (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
         512, 512, 512, 512, "M"),
}
"""Simonyan & Zisserman's configurations A, B, D, E: 3x3 conv widths, ``"M"`` a 2x2 max pool."""


def vgg_parameter_count(depth=16, *, classes=1000, image_size=224, batch_norm=False):
    r"""The number of parameters of VGG-11, -13, -16 or -19, counted from the architecture.

    Parameters
    ----------
    depth : {11, 13, 16, 19}, default 16
        Weight layers: ``depth - 3`` 3x3 convolutions and three dense layers.
    classes : int, default 1000
    image_size : int, default 224
        Input height = width; five 2x2 poolings leave ``image_size // 32``.
    batch_norm : bool, default False
        Add a γ and a β per channel after every convolution (``vgg16_bn``).

    Returns
    -------
    int

    Notes
    -----
    A 3x3 convolution from :math:`C` to :math:`K` channels has :math:`(9C + 1)K`
    parameters; the dense layers map :math:`512 \cdot 7 \cdot 7 \to 4096 \to 4096
    \to 1000`. Most of VGG-16's 138 million parameters (123.6 million) are in
    the dense layers, the first one alone 102.8 million; the 13 convolutions
    hold 14.7 million. Lecture 14's "64 million parameters" is not VGG's count
    (AlexNet has about 61 million).

    References
    ----------
    Lecture 14 (003_59d733786b3f0eb6.txt), "VGG"; Simonyan & Zisserman (2015),
    "Very deep convolutional networks for large-scale image recognition", Table 2.

    Examples
    --------
    >>> vgg_parameter_count(16)
    138357544
    """
    check_choice(depth, "depth", tuple(VGG_CONFIGS))
    classes = check_int(classes, "classes", minimum=1)
    image_size = check_int(image_size, "image_size", minimum=32)
    batch_norm = check_bool(batch_norm, "batch_norm")
    shapes, c, k = {}, 3, 0
    for width in VGG_CONFIGS[depth]:
        if width == "M":
            continue
        k += 1
        shapes[f"conv{k}_w"], shapes[f"conv{k}_b"] = (width, c, 3, 3), (width,)
        if batch_norm:
            shapes[f"bn{k}_gamma"], shapes[f"bn{k}_beta"] = (width,), (width,)
        c = width
    side = image_size // 32
    dense_sizes = (c * side * side, 4096, 4096, classes)
    return count_parameters(shapes) + count_parameters(mlp_parameter_shapes(dense_sizes))


def _sizes(sizes):
    if not isinstance(sizes, (tuple, list)) or len(sizes) < 2:
        raise ValueError(f"sizes must be a list of at least two layer sizes (input, ..., output), "
                         f"got {sizes!r}")
    return tuple(check_int(s, f"sizes[{i}]", minimum=1) for i, s in enumerate(sizes))


def mlp_parameter_shapes(sizes):
    r"""The shapes of an MLP's parameters: ``{"w1": (n1, n0), "b1": (n1,), ...}``.

    Parameters
    ----------
    sizes : sequence of int
        :math:`n_0` (inputs), :math:`n_1, \dots, n_L` (the last is the output).

    Returns
    -------
    dict of tuple
    """
    sizes = _sizes(sizes)
    shapes = {}
    for l in range(1, len(sizes)):
        shapes[f"w{l}"] = (sizes[l], sizes[l - 1])
        shapes[f"b{l}"] = (sizes[l],)
    return shapes


def _check_cache(cache, shapes, model):
    """Check that ``cache`` is what ``model.forward`` returned; return the batch size N.

    ``shapes`` lists the shapes of its arrays in order (a layer's tuple of arrays
    flattened), ``None`` for the batch axis, which must be the same everywhere.
    """
    arrays = None
    if isinstance(cache, list):
        arrays = [a for item in cache for a in (item if isinstance(item, tuple) else (item,))]
    if arrays is None or len(arrays) != len(shapes):
        raise TypeError(f"cache must be the list {model}.forward returned as its second value, "
                        f"got {type(cache).__name__}"
                        + (f" of length {len(cache)}" if isinstance(cache, (list, tuple)) else ""))
    n = None
    for i, (a, shape) in enumerate(zip(arrays, shapes, strict=True)):
        if not (isinstance(a, np.ndarray) and a.ndim == len(shape)
                and (n is None or a.ndim == 0 or a.shape[0] == n)
                and all(e is None or e == d for e, d in zip(shape, a.shape, strict=True))):
            want = "(" + ", ".join("N" if e is None else str(e) for e in shape) + ")"
            raise ValueError(f"cache must be the list this {model}'s forward returned: its array {i} "
                             f"has shape {getattr(a, 'shape', type(a).__name__)}, expected {want}"
                             + (f" with N = {n}" if n is not None else ""))
        if a.ndim:  # the 0-d entry is the mode marker of a model with BN or dropout
            n = a.shape[0]
    return n


def _weight(init, shape, rng, activation):
    """One weight array drawn by ``init``; Kaiming normal draws exactly as before the option."""
    if init == "kaiming_normal":
        return kaiming_normal(shape, rng=rng)  # He: Var = 2 / fan_in
    return initialize(init, shape, rng=rng, activation=activation)


def _keep(value, name):
    return check_real(value, name, low=0, high=1, low_open=True)


class _Regularised:
    """What MLP and LeNet share: the train/eval mode of BN and dropout, running statistics.

    ``forward(x, training=True, rng=rng)`` draws dropout masks from ``rng`` and
    normalises with the batch's statistics (updating ``running``); the default,
    ``training=False``, is the test-time network (no mask, the running statistics).
    A model with BN or dropout ends its cache with a 0-d array, 1.0 for a training
    forward and 0.0 for an evaluation one, so that ``backward`` differentiates the
    network that was run.
    """

    batch_norm = False
    _keep_probs = ()

    @property
    def stochastic(self):
        """Whether training mode differs from evaluation mode (BN or a keep probability < 1)."""
        return self.batch_norm or any(q < 1 for q in self._keep_probs)

    def _mode(self, training, rng):
        training = check_bool(training, "training")
        if rng is not None:
            check_rng(rng)
        if training and rng is None and any(q < 1 for q in self._keep_probs):
            raise TypeError("rng is required for a training forward with dropout: pass a "
                            "numpy.random.Generator, e.g. lecturekit.rng.default_rng(0)")
        return training

    def _drop(self, a, q, training, rng, extra):
        """Inverted dropout with keep probability ``q`` in training (the mask appended to ``extra``)."""
        if not training or q == 1:
            return a
        a, mask = dropout(a, keep_prob=q, rng=rng)
        extra.append(mask)
        return a

    def _bn(self, u, name, training):
        """Batch norm of ``u`` with ``params[name_gamma]``, ``params[name_beta]``; in training the
        running statistics move by :data:`BN_MOMENTUM` (the variance's unbiased estimate)."""
        p, r = self.params, self.running
        if not training:
            return batch_norm(u, p[f"{name}_gamma"], p[f"{name}_beta"],
                              running_mean=r[f"{name}_mean"], running_var=r[f"{name}_var"])
        axes = (0,) if u.ndim == 2 else (0, 2, 3)
        m = u.size // u.shape[1]
        out = batch_norm(u, p[f"{name}_gamma"], p[f"{name}_beta"])
        r[f"{name}_mean"] = (1 - BN_MOMENTUM) * r[f"{name}_mean"] + BN_MOMENTUM * u.mean(axis=axes)
        r[f"{name}_var"] = ((1 - BN_MOMENTUM) * r[f"{name}_var"]
                            + BN_MOMENTUM * u.var(axis=axes) * (m / (m - 1)))
        return out

    def _bn_backward(self, dout, u, name, training, grads):
        p, r = self.params, self.running
        stats = {} if training else {"running_mean": r[f"{name}_mean"],
                                     "running_var": r[f"{name}_var"]}
        du, grads[f"{name}_gamma"], grads[f"{name}_beta"] = batch_norm_backward(
            dout, u, p[f"{name}_gamma"], **stats)
        return du

    def _add_bn(self, name, channels):
        self.params[f"{name}_gamma"] = np.ones(channels)
        self.params[f"{name}_beta"] = np.zeros(channels)
        self.running[f"{name}_mean"] = np.zeros(channels)
        self.running[f"{name}_var"] = np.ones(channels)

    def _cache_mode(self, cache, model):
        """The mode marker at the end of a stochastic model's cache: True for a training forward."""
        if not self.stochastic:
            return False
        marker = cache[-1] if isinstance(cache, list) and cache else None
        if not (isinstance(marker, np.ndarray) and marker.ndim == 0):
            raise TypeError(f"cache must be the list {model}.forward returned as its second "
                            f"value (ending with its mode marker), got {type(cache).__name__}")
        return bool(marker)

    def _options_repr(self):
        out = ""
        if self.init != "kaiming_normal":
            out += f", init={self.init!r}"
        if self.batch_norm:
            out += ", batch_norm=True"
        return out

    def predict(self, x):
        """The predicted class of each sample, ``argmax`` of the (evaluation-mode) logits."""
        return np.argmax(self.forward(x)[0], axis=1)

    def count_parameters(self):
        """The number of learnable numbers (:func:`count_parameters`)."""
        return count_parameters(self)


class MLP(_Regularised):
    r"""A multilayer perceptron: dense layers with an activation between them, logits out.

    Parameters
    ----------
    sizes : sequence of int, default (64, 64, 10)
        Layer widths :math:`n_0, \dots, n_L`; :math:`n_0` is the flattened
        input size (64 for the 8x8 digits), :math:`n_L` the number of classes.
    rng : numpy.random.Generator
        Draws the weights (by ``init``; biases 0).
    activation : {'relu', 'tanh', 'sigmoid', 'leaky_relu', 'linear'}, default 'relu'
    init : str, default 'kaiming_normal'
        A scheme of :data:`lecturekit.init.INITS` for every weight matrix:
        ``kaiming_normal`` (He, :math:`\mathrm{Var} = 2/n_{in}`), ``xavier_normal``
        (:math:`2/(n_{in} + n_{out})`), ``lecun_normal`` (:math:`1/n_{in}`),
        ``normal`` (std 0.01), ``zeros``, ...
    batch_norm : bool, default False
        Batch norm after every hidden dense layer, before the activation
        (:math:`a^l = g(\mathrm{BN}(W^l a^{l-1} + b^l))`), with ``bn<l>_gamma`` and
        ``bn<l>_beta`` in ``params`` and the running statistics in ``running``.
    keep_prob : float in (0, 1], default 1.0
        Inverted dropout on every hidden layer's activations (1: none).
    input_keep_prob : float in (0, 1], default 1.0
        Inverted dropout on the inputs (the 05/10/23 lecture recommends 0.8 for
        the input and 0.5 for hidden units).

    Attributes
    ----------
    params : dict of ndarray
        ``w1, b1, ..., wL, bL``; ``wl`` has shape ``(n_l, n_{l-1})``; with BN also
        ``bn1_gamma, bn1_beta, ..., bn<L-1>_beta``, each ``(n_l,)``.
    running : dict of ndarray
        With BN, ``bn<l>_mean`` and ``bn<l>_var`` (init 0 and 1), updated by every
        training forward: :math:`r \leftarrow 0.9\,r + 0.1\,\text{batch}`.

    Notes
    -----
    The layer recursion (Lecture 3; the MLP lecture's :math:`z = Wx + b`, :math:`a = g(z)`):

    .. math::
        a^0 = x, \quad z^l = W^l a^{l-1} + b^l, \quad a^l = g(z^l) \ (l < L),
        \quad \text{logits} = z^L

    With dropout, in training :math:`a^{l-1}` is replaced by :math:`a^{l-1} \odot
    y / q` with :math:`y_i \sim \mathrm{Bern}(q)` (inverted dropout, so the test
    network uses :math:`a^{l-1}` itself); with BN, :math:`z^l` by
    :math:`\gamma \hat z^l + \beta` (MLP lecture: "Train: compute :math:`m_j,
    \sigma_j` on mini-batch [...] Test: use saved :math:`m_j, \sigma_j`").

    References
    ----------
    MLP lecture (004_16411a88f2dc5004.txt): the layer, Drop Out, Batch Normalization;
    05/10/23 (002_4e19a57a78109995.txt), Dropout.

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> model = MLP((64, 32, 10), rng=default_rng(0))
    >>> model.count_parameters()
    2410
    >>> logits, cache = model.forward(np.zeros((5, 1, 8, 8)))
    >>> logits.shape
    (5, 10)
    >>> MLP((64, 32, 10), rng=default_rng(0), batch_norm=True).count_parameters()  # + γ, β
    2474
    """

    def __init__(self, sizes=(64, 64, 10), *, rng, activation="relu", init="kaiming_normal",
                 batch_norm=False, keep_prob=1.0, input_keep_prob=1.0):
        check_rng(rng)
        self.activation = check_choice(activation, "activation", ACTIVATIONS)
        self.init = check_choice(init, "init", INITS)
        self._g, self._g_prime = activation_kernels(activation)
        self.sizes = _sizes(sizes)
        self.batch_norm = check_bool(batch_norm, "batch_norm")
        self.keep_prob = _keep(keep_prob, "keep_prob")
        self.input_keep_prob = _keep(input_keep_prob, "input_keep_prob")
        # the keep probability of each layer's input: the data, then hidden activations
        self._keep_probs = (self.input_keep_prob,) + (self.keep_prob,) * (self.n_layers - 1)
        self.params, self.running = {}, {}
        for name, shape in mlp_parameter_shapes(self.sizes).items():
            self.params[name] = (_weight(self.init, shape, rng, self.activation) if name[0] == "w"
                                 else np.zeros(shape))
        if self.batch_norm:
            for l in range(1, self.n_layers):
                self._add_bn(f"bn{l}", self.sizes[l])

    def __repr__(self):
        drop = "".join(f", {k}={getattr(self, k)!r}" for k in ("keep_prob", "input_keep_prob")
                       if getattr(self, k) != 1)
        return (f"MLP(sizes={self.sizes}, activation={self.activation!r}"
                f"{self._options_repr()}{drop})")

    @property
    def n_layers(self):
        return len(self.sizes) - 1

    def forward(self, x, *, training=False, rng=None):
        r"""Logits for a batch, and the cache for :meth:`backward`.

        Parameters
        ----------
        x : ndarray, shape (N, n_0) or (N, C, H, W) with C*H*W = n_0
        training : bool, default False
            Training mode: dropout masks drawn from ``rng``, BN with the batch's
            statistics (and the running ones updated). No effect without BN and dropout.
        rng : numpy.random.Generator, optional
            Required for a training forward with dropout.

        Returns
        -------
        logits : ndarray, shape (N, n_L)
        cache : list
            ``[(a^{l-1}, z^l) for each layer]`` (with BN also the dense output
            before BN, with dropout in training also the mask; a 0-d mode marker last).
        """
        x = as_array(x, "x")
        if x.ndim < 2 or int(np.prod(x.shape[1:])) != self.sizes[0]:
            raise ValueError(f"x must have shape (N, {self.sizes[0]}) or (N, ...) with "
                             f"{self.sizes[0]} values per sample, got {x.shape}")
        if len(x) == 0:
            raise ValueError(f"x must hold at least one sample, got shape {x.shape}")
        training = self._mode(training, rng)
        p, last = self.params, self.n_layers
        a = x.reshape(len(x), self.sizes[0])  # (N, n_0): images flattened row-major
        cache = []
        for l in range(1, last + 1):
            extra = []
            a = self._drop(a, self._keep_probs[l - 1], training, rng, extra)
            u = a @ p[f"w{l}"].T + p[f"b{l}"]  # (N, n_l): the dense layer, x w^T + b
            z = u
            if self.batch_norm and l < last:
                z = self._bn(u, f"bn{l}", training)
                extra.insert(0, u)
            cache.append((a, z, *extra))
            a = self._g(z) if l < last else z
        if self.stochastic:
            cache.append(np.array(float(training)))
        return a, cache

    def _cache_shapes(self, training):
        shapes = []
        for l in range(1, self.n_layers + 1):
            n_in, n_out = self.sizes[l - 1], self.sizes[l]
            shapes += [(None, n_in), (None, n_out)]
            if self.batch_norm and l < self.n_layers:
                shapes.append((None, n_out))
            if training and self._keep_probs[l - 1] < 1:
                shapes.append((None, n_in))
        return shapes + [()] * self.stochastic

    def backward(self, dlogits, cache):
        r"""Gradients of the loss with respect to every parameter.

        Parameters
        ----------
        dlogits : ndarray, shape (N, n_L)
            :math:`\partial L / \partial \text{logits}`.
        cache : list
            From :meth:`forward` (training or evaluation mode: the network that was run;
            an evaluation-mode BN uses the running statistics as they are now).

        Returns
        -------
        dict of ndarray
            The keys and shapes of ``params``.
        """
        training = self._cache_mode(cache, "MLP")
        n = _check_cache(cache, self._cache_shapes(training), "MLP")
        dz = check_shape(as_array(dlogits, "dlogits"), "dlogits", (n, self.sizes[-1]),
                         of="the batch of cache and the model's outputs")
        p, grads, last = self.params, {}, self.n_layers
        for l in range(last, 0, -1):  # dz: the gradient of layer l's dense output
            a_prev, _, *extra = cache[l - 1]
            mask = extra[-1] if training and self._keep_probs[l - 1] < 1 else None
            grads[f"w{l}"], grads[f"b{l}"] = dz.T @ a_prev, dz.sum(axis=0)
            if l == 1:
                break
            da = dz @ p[f"w{l}"]  # (N, n_{l-1})
            if mask is not None:
                da = dropout_backward(da, mask, keep_prob=self._keep_probs[l - 1])
            _, z_prev, *extra_prev = cache[l - 2]
            dz = da * self._g_prime(z_prev)  # back through a = g(z)
            if self.batch_norm:
                dz = self._bn_backward(dz, extra_prev[0], f"bn{l - 1}", training, grads)
        return {name: grads[name] for name in self.params}


class LeNet(_Regularised):
    r"""A LeNet-style CNN: two conv-ReLU-pool stages, then two dense layers.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the weights (by ``init``; biases 0).
    in_channels : int, default 1
    image_size : int, default 8
        Height = width of the input, divisible by 4 (two 2x2 poolings).
    channels : (int, int), default (16, 32)
        Filters of the two convolutions (LeNet-5 had 6 and 16; on the 8x8
        digits twice as many reach 97 % test accuracy more reliably).
    hidden : int, default 64
        Units of the hidden dense layer.
    classes : int, default 10
    kernel_size : int, default 3
        Odd; the convolutions pad by ``kernel_size // 2`` ("same").
    pool : {'max', 'avg'}, default 'max'
        LeNet-5 used average ("subsampling") layers; max pooling is today's default.
    init : str, default 'kaiming_normal'
        A scheme of :data:`lecturekit.init.INITS` for every weight (see :class:`MLP`).
    batch_norm : bool, default False
        Batch norm after both convolutions (per channel, over N, H, W) and after
        the hidden dense layer, each before its ReLU (d2l's BN-LeNet).
    keep_prob : float in (0, 1], default 1.0
        Inverted dropout on the inputs of both dense layers (the flattened
        features and the hidden units).

    Attributes
    ----------
    params : dict of ndarray
        ``conv1_w (c1, in, k, k)``, ``conv1_b``, ``conv2_w (c2, c1, k, k)``,
        ``conv2_b``, ``fc1_w (hidden, c2 * (S/4)^2)``, ``fc1_b``,
        ``fc2_w (classes, hidden)``, ``fc2_b``; with BN also ``bn1_gamma``,
        ``bn1_beta`` (c1,), ``bn2_*`` (c2,), ``bn3_*`` (hidden,).
    running : dict of ndarray
        With BN, ``bn1_mean``, ``bn1_var``, ... (see :class:`MLP`).

    Notes
    -----
    For the 8x8 digits::

        x (N, 1, 8, 8) -conv 3x3, pad 1-> (N, 16, 8, 8) -relu-> -pool 2-> (N, 16, 4, 4)
          -conv 3x3, pad 1-> (N, 32, 4, 4) -relu-> -pool 2-> (N, 32, 2, 2)
          -flatten-> (N, 128) -dense-> (N, 64) -relu-> -dense-> (N, 10) logits

    LeNet-5 (LeCun et al. 1998) on 32x32 MNIST: conv 5x5 (6) - subsample -
    conv 5x5 (16) - subsample - dense 120 - 84 - 10, with tanh-like squashing.
    This is the same pattern, scaled down to 8x8 images, with ReLU.

    References
    ----------
    Lecture 3 (001_2691e6e736ad0c50.txt), "LeNet", "What is pooling?";
    Lecture 14 (003_59d733786b3f0eb6.txt), "Le Net (80s) MNIST"; MLP lecture
    (004_16411a88f2dc5004.txt), Drop Out and Batch Normalization.

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> model = LeNet(rng=default_rng(0))
    >>> model.count_parameters()
    13706
    """

    def __init__(self, *, rng, in_channels=1, image_size=8, channels=(16, 32), hidden=64,
                 classes=10, kernel_size=3, pool="max", init="kaiming_normal", batch_norm=False,
                 keep_prob=1.0):
        check_rng(rng)
        self.in_channels = check_int(in_channels, "in_channels", minimum=1)
        self.image_size = check_int(image_size, "image_size", minimum=4)
        if self.image_size % 4:
            raise ValueError(f"image_size must be divisible by 4 (two 2x2 poolings), "
                             f"got {image_size}")
        if not (isinstance(channels, (tuple, list)) and len(channels) == 2):
            raise ValueError(f"channels must be a pair (c1, c2), got {channels!r}")
        c1, c2 = (check_int(c, "channels", minimum=1) for c in channels)
        self.hidden = check_int(hidden, "hidden", minimum=1)
        self.classes = check_int(classes, "classes", minimum=2)
        k = self.kernel_size = check_int(kernel_size, "kernel_size", minimum=1)
        if k % 2 == 0:
            raise ValueError(f"kernel_size must be odd (for 'same' padding), got {k}")
        self.pool = check_choice(pool, "pool", ("max", "avg"))
        self.init = check_choice(init, "init", INITS)
        self.batch_norm = check_bool(batch_norm, "batch_norm")
        self.keep_prob = _keep(keep_prob, "keep_prob")
        self._keep_probs = (self.keep_prob, self.keep_prob)  # fc1's input, fc2's input
        self._pool, self._pool_backward = ((max_pool2d, max_pool2d_backward) if pool == "max"
                                           else (avg_pool2d, avg_pool2d_backward))
        self._relu, self._relu_prime = activation_kernels("relu")  # unchecked: inside the model
        flat = c2 * (self.image_size // 4) ** 2
        shapes = {"conv1_w": (c1, self.in_channels, k, k), "conv1_b": (c1,),
                  "conv2_w": (c2, c1, k, k), "conv2_b": (c2,),
                  "fc1_w": (self.hidden, flat), "fc1_b": (self.hidden,),
                  "fc2_w": (self.classes, self.hidden), "fc2_b": (self.classes,)}
        self.params = {name: _weight(self.init, shape, rng, "relu") if name.endswith("_w")
                       else np.zeros(shape) for name, shape in shapes.items()}
        self.running = {}
        if self.batch_norm:
            for name, width in (("bn1", c1), ("bn2", c2), ("bn3", self.hidden)):
                self._add_bn(name, width)

    def __repr__(self):
        c1, c2 = self.params["conv1_w"].shape[0], self.params["conv2_w"].shape[0]
        drop = f", keep_prob={self.keep_prob!r}" if self.keep_prob != 1 else ""
        return (f"LeNet(in_channels={self.in_channels}, image_size={self.image_size}, "
                f"channels=({c1}, {c2}), hidden={self.hidden}, classes={self.classes}, "
                f"kernel_size={self.kernel_size}, pool={self.pool!r}"
                f"{self._options_repr()}{drop})")

    def forward(self, x, *, training=False, rng=None):
        r"""Logits for a batch of images, and the cache for :meth:`backward`.

        Parameters
        ----------
        x : ndarray, shape (N, in_channels, image_size, image_size)
        training : bool, default False
            Training mode (dropout masks from ``rng``, BN with batch statistics).
        rng : numpy.random.Generator, optional
            Required for a training forward with dropout.

        Returns
        -------
        logits : ndarray, shape (N, classes)
        cache : list
            The input of every layer, in order (then, with BN, the outputs before
            BN; in training with dropout, the two masks; a 0-d mode marker last).
        """
        s = self.image_size
        x = check_shape(as_array(x, "x", ndim=4), "x", (None, self.in_channels, s, s))
        training = self._mode(training, rng)
        p, pad, bn = self.params, self.kernel_size // 2, self.batch_norm
        pre, masks = [], []
        z1 = conv2d(x, p["conv1_w"], p["conv1_b"], padding=pad)  # (N, c1, S, S)
        if bn:
            pre.append(z1)
            z1 = self._bn(z1, "bn1", training)
        a1 = self._relu(z1)
        m1 = self._pool(a1, 2)  # (N, c1, S/2, S/2)
        z2 = conv2d(m1, p["conv2_w"], p["conv2_b"], padding=pad)  # (N, c2, S/2, S/2)
        if bn:
            pre.append(z2)
            z2 = self._bn(z2, "bn2", training)
        a2 = self._relu(z2)
        m2 = self._pool(a2, 2)  # (N, c2, S/4, S/4)
        f = m2.reshape(len(x), -1)  # (N, c2 * (S/4)^2): flattened row-major
        f = self._drop(f, self.keep_prob, training, rng, masks)
        z3 = f @ p["fc1_w"].T + p["fc1_b"]  # (N, hidden)
        if bn:
            pre.append(z3)
            z3 = self._bn(z3, "bn3", training)
        a3 = self._drop(self._relu(z3), self.keep_prob, training, rng, masks)
        logits = a3 @ p["fc2_w"].T + p["fc2_b"]  # (N, classes)
        cache = [x, z1, a1, m1, z2, a2, m2, f, z3, a3, *pre, *masks]
        if self.stochastic:
            cache.append(np.array(float(training)))
        return logits, cache

    def backward(self, dlogits, cache):
        r"""Gradients of the loss with respect to every parameter (a dict like ``params``).

        Parameters
        ----------
        dlogits : ndarray, shape (N, classes)
        cache : list
            From :meth:`forward`.
        """
        p, pad = self.params, self.kernel_size // 2
        s, (c1, c2) = self.image_size, (p["conv1_w"].shape[0], p["conv2_w"].shape[0])
        training = self._cache_mode(cache, "LeNet")
        flat = c2 * (s // 4) ** 2
        shapes = [(None, self.in_channels, s, s), (None, c1, s, s), (None, c1, s, s),
                  (None, c1, s // 2, s // 2), (None, c2, s // 2, s // 2),
                  (None, c2, s // 2, s // 2), (None, c2, s // 4, s // 4),
                  (None, flat), (None, self.hidden), (None, self.hidden)]
        if self.batch_norm:
            shapes += [(None, c1, s, s), (None, c2, s // 2, s // 2), (None, self.hidden)]
        dropped = training and self.keep_prob < 1
        if dropped:
            shapes += [(None, flat), (None, self.hidden)]
        n = _check_cache(cache, shapes + [()] * self.stochastic, "LeNet")
        x, z1, a1, m1, z2, a2, m2, f, z3, a3 = cache[:10]
        pre = cache[10:13] if self.batch_norm else None
        masks = cache[10 + 3 * self.batch_norm:][:2] if dropped else None
        dlogits = check_shape(as_array(dlogits, "dlogits"), "dlogits", (n, self.classes),
                              of="the batch of cache and the model's classes")
        g, q = {}, self.keep_prob
        # dense: (dx, dw, db) = (dout w, dout^T x, sum dout), as dense_backward
        da3, g["fc2_w"], g["fc2_b"] = dlogits @ p["fc2_w"], dlogits.T @ a3, dlogits.sum(axis=0)
        if dropped:
            da3 = dropout_backward(da3, masks[1], keep_prob=q)
        dz3 = da3 * self._relu_prime(z3)
        if pre:
            dz3 = self._bn_backward(dz3, pre[2], "bn3", training, g)
        df, g["fc1_w"], g["fc1_b"] = dz3 @ p["fc1_w"], dz3.T @ f, dz3.sum(axis=0)
        if dropped:
            df = dropout_backward(df, masks[0], keep_prob=q)
        dm2 = df.reshape(m2.shape)  # (N, c2, S/4, S/4)
        dz2 = self._pool_backward(dm2, a2, 2) * self._relu_prime(z2)
        if pre:
            dz2 = self._bn_backward(dz2, pre[1], "bn2", training, g)
        dm1, g["conv2_w"], g["conv2_b"] = conv2d_backward(dz2, m1, p["conv2_w"], padding=pad)
        dz1 = self._pool_backward(dm1, a1, 2) * self._relu_prime(z1)
        if pre:
            dz1 = self._bn_backward(dz1, pre[0], "bn1", training, g)
        _, g["conv1_w"], g["conv1_b"] = conv2d_backward(dz1, x, p["conv1_w"], padding=pad)
        return {name: g[name] for name in p}
