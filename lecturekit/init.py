r"""Weight initialisation: the variance argument and the classic schemes.

The derivation (MLP lecture). For one layer :math:`z = Wx` with independent,
zero-mean :math:`w_{ij}` and :math:`x_j`,

.. math::
    \operatorname{Var}(z_i) = \sum_{j=1}^{n_\text{in}} \operatorname{Var}(w_{ij})
    \operatorname{Var}(x_j) = n_\text{in} \operatorname{Var}(w) \operatorname{Var}(x),

so the forward signal keeps its variance if :math:`n_\text{in}\operatorname{Var}(w)
= 1`. Zero-mean weights alone give :math:`\operatorname{Var}(w_{ij} x_j) =
\operatorname{Var}(w)\,\mathbb{E}[x_j^2]`, so in general :math:`\operatorname{Var}(z_i)
= n_\text{in}\operatorname{Var}(w)\,\mathbb{E}[x^2]`, which is the formula above only
for :math:`\mathbb{E} x = 0`; inputs from a ReLU or a sigmoid have a positive mean,
and He's argument below uses this general form. Backwards,
:math:`\nabla_x f = W^T \nabla_z f` sums :math:`n_\text{out}` terms, so the gradient
keeps its variance if :math:`n_\text{out} \operatorname{Var}(w) = 1`. (The notes' line
":math:`\partial f/\partial x_j =
\sum_i w_{ij}^T\, \partial f/\partial z_i = n_\text{input}\operatorname{Var}(w) =
1`" is garbled: it should read :math:`\operatorname{Var}(\partial f/\partial x_j)
= n_\text{output}\operatorname{Var}(w)\operatorname{Var}(\partial f/\partial z_i)`,
hence :math:`n_\text{output}\operatorname{Var}(w) = 1`, as its margin note says.)

===============  ====================================  ===========================================
scheme           :math:`\operatorname{Var}(w)`         uniform :math:`U(-b, b)`, :math:`b`
===============  ====================================  ===========================================
LeCun            :math:`1/n_\text{in}`                 :math:`\sqrt{3/n_\text{in}}`
Xavier / Glorot  :math:`2/(n_\text{in}+n_\text{out})`  :math:`\sqrt{6/(n_\text{in}+n_\text{out})}`
Kaiming / He     :math:`2/n_\text{in}`                 :math:`\sqrt{6/n_\text{in}}`
===============  ====================================  ===========================================

The uniform bound follows from :math:`\operatorname{Var}\,U(-b, b) = b^2/3`.
Xavier compromises between the forward and backward conditions (their harmonic
mean); He doubles LeCun's variance because a ReLU zeroes half of its inputs, so
:math:`\mathbb{E}[\mathrm{relu}(z)^2] = \operatorname{Var}(z)/2`. Every scheme
takes a ``gain`` (PyTorch's name) that multiplies the standard deviation, so
:math:`\operatorname{Var}(w) = \text{gain}^2 \times` the table's value
(:func:`calculate_gain`).

Conventions
-----------
* Weight shapes follow PyTorch: dense ``(n_out, n_in)``, convolution
  ``(out_channels, in_channels, *kernel)``; fans by :func:`calculate_fans`.
* Biases are initialised to 0 (Lecture 3: :math:`b^l = 0`).
* Every random function takes a required keyword ``rng``.
* A scheme can also be named by a string (:data:`INITS`): :func:`initialize`
  draws a weight by name, and :func:`weight_variance` says with which variance.

What the schemes do to a deep network, measured layer by layer and predicted by
the mean-field recursion, is in :mod:`lecturekit.propagation`.

**Lecture 3's names.** Under "Xavier and He initialization" Lecture 3 writes
:math:`W^l \sim \mathcal{N}(0, 1/n^{l-1})` and :math:`\mathcal{N}(0,
2/n^{l-1})`. The second is He; the first is LeCun's :math:`1/n_\text{in}` (the
forward condition only), which is Xavier only when :math:`n_\text{in} =
n_\text{out}` (Caffe's "xavier" filler also uses it). Glorot & Bengio's Xavier
is :math:`2/(n_\text{in} + n_\text{out})`, as in the MLP lecture.

References
----------
004_16411a88f2dc5004.txt ("MLP"), Weight Initialization.
001_2691e6e736ad0c50.txt (Lecture 3), Weight Initialization.
LeCun et al., "Efficient BackProp", 1998. Glorot & Bengio, "Understanding the
difficulty of training deep feedforward neural networks", AISTATS 2010. He et
al., "Delving Deep into Rectifiers", ICCV 2015.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._checks import check_choice, check_real
from .activations import ACTIVATIONS
from .rng import check_rng

__all__ = [
    "calculate_fans", "calculate_gain", "NONLINEARITIES",
    "zeros", "constant", "normal", "uniform",
    "lecun_normal", "lecun_uniform", "xavier_normal", "xavier_uniform",
    "kaiming_normal", "kaiming_uniform", "FAN_MODES",
    "INITS", "weight_variance", "initialize",
]

# ---------------------------------------------------------------- shapes, fans, gains


def _shape(shape):
    if type(shape) is tuple and all(type(s) is int and s >= 0 for s in shape):
        return shape  # already what the checks below return (they run per layer, per draw)
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or any(
        isinstance(s, bool) or not isinstance(s, numbers.Integral) for s in shape
    ):
        raise TypeError(f"shape must be an integer or a tuple of integers, got {shape!r}")
    if any(s < 0 for s in shape):
        raise ValueError(f"shape must not have negative sizes, got {tuple(shape)}")
    return tuple(int(s) for s in shape)


def calculate_fans(shape):
    r"""``(fan_in, fan_out)`` of a weight of this shape, by PyTorch's rule.

    Parameters
    ----------
    shape : tuple of int
        ``(n_out, n_in)`` for a dense layer, ``(out_channels, in_channels,
        *kernel_size)`` for a convolution.

    Returns
    -------
    fan_in, fan_out : int
        Dense: ``n_in``, ``n_out``. Convolution with receptive field
        :math:`r = \prod \text{kernel\_size}`: ``in_channels * r`` and
        ``out_channels * r``.

    Notes
    -----
    :math:`n_\text{in}` is the number of inputs each output sums over
    (:math:`z_i = \sum_{j=1}^{n_\text{in}} w_{ij} x_j`); for a convolution each
    output sums over every input channel of a :math:`k_h \times k_w` window.

    Examples
    --------
    >>> calculate_fans((64, 3, 3, 3))     # conv3-64 on an RGB image
    (27, 576)
    """
    shape = _shape(shape)
    if len(shape) < 2:
        raise ValueError(
            "shape must have at least 2 dimensions (n_out, n_in, ...): Fan in and fan out can "
            f"not be computed for tensor with fewer than 2 dimensions, got shape {shape}"
        )
    if 0 in shape:
        raise ValueError(f"shape must not contain 0: fans of an empty weight are 0, got {shape}")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


_GAIN_ONE = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
             "conv_transpose2d", "conv_transpose3d", "sigmoid")
NONLINEARITIES = _GAIN_ONE + ("tanh", "relu", "leaky_relu", "selu")


def calculate_gain(nonlinearity, param=None):
    r"""PyTorch's recommended gain for a nonlinearity: the factor on the weights' std.

    Parameters
    ----------
    nonlinearity : str
        One of ``linear``, ``identity``, ``conv1d/2d/3d``, ``conv_transpose1d/2d/3d``,
        ``sigmoid``, ``tanh``, ``relu``, ``leaky_relu``, ``selu``.
    param : float, optional
        The negative slope, for ``leaky_relu`` only (default 0.01).

    Returns
    -------
    float
        1 for linear, convolutions and sigmoid; 5/3 for tanh; :math:`\sqrt 2` for
        ReLU; :math:`\sqrt{2/(1 + \text{slope}^2)}` for leaky ReLU; 3/4 for SELU.

    Notes
    -----
    The ReLU gain follows from :math:`\mathbb{E}[\mathrm{relu}(z)^2] =
    \operatorname{Var}(z)/2`; leaky ReLU keeps :math:`\text{slope}^2` of the
    negative half, :math:`\mathbb{E}[g(z)^2] = (1 + \text{slope}^2)\operatorname{Var}(z)/2`.
    Tanh's 5/3 and sigmoid's 1 are heuristics, not derived.

    Examples
    --------
    >>> round(calculate_gain("relu") ** 2, 12)
    2.0
    """
    check_choice(nonlinearity, "nonlinearity", NONLINEARITIES)
    if param is not None and nonlinearity != "leaky_relu":
        raise ValueError(f"param (the negative slope) is used only with 'leaky_relu', "
                         f"got param={param!r} with nonlinearity={nonlinearity!r}")
    if nonlinearity in _GAIN_ONE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4.0
    slope = 0.01 if param is None else check_real(param, "param")
    if abs(slope) < 1e150:
        return math.sqrt(2.0 / (1.0 + slope**2))
    return math.sqrt(2.0) / abs(slope)  # slope**2 would overflow; 1 + slope**2 is slope**2 there


# ---------------------------------------------------------------- plain schemes


def zeros(shape):
    r"""All-zero weights. Every unit of a layer then computes the same thing.

    Parameters
    ----------
    shape : int or tuple of int

    Returns
    -------
    ndarray, shape ``shape``

    Notes
    -----
    Lecture 3, "Zero initialization or constant initialization": with equal
    weights every unit of a layer has the same output and the same gradient,
    so gradient descent keeps them equal forever (the symmetry is never
    broken). With zeros and no bias the gradients of all but the last layer
    are exactly 0. See :func:`lecturekit.propagation.signal_propagation`.

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), Weight Initialization.
    """
    return np.zeros(_shape(shape))


def constant(shape, value):
    r"""Weights all equal to ``value`` (breaks nothing: the symmetry of :func:`zeros` remains).

    Parameters
    ----------
    shape : int or tuple of int
    value : float

    Returns
    -------
    ndarray, shape ``shape``
    """
    return np.full(_shape(shape), check_real(value, "value"))


def normal(shape, std, *, rng, mean=0.0):
    r"""Weights :math:`w \sim \mathcal{N}(\text{mean}, \text{std}^2)`.

    Parameters
    ----------
    shape : int or tuple of int
    std : float
        Standard deviation (not variance), >= 0.
    rng : numpy.random.Generator
    mean : float, default 0

    Returns
    -------
    ndarray, shape ``shape``

    Notes
    -----
    Lecture 3's "too big and too low values": with a fixed std the variance of
    :math:`z` is :math:`n_\text{in}\,\text{std}^2\operatorname{Var}(x)`, which
    explodes or vanishes geometrically with depth unless :math:`\text{std}^2
    \approx 1/n_\text{in}`.
    """
    shape = _shape(shape)
    std = check_real(std, "std", low=0)
    return check_rng(rng).normal(check_real(mean, "mean"), std, size=shape)


def uniform(shape, a, b, *, rng):
    r"""Weights :math:`w \sim U(a, b)`, variance :math:`(b - a)^2/12`.

    Parameters
    ----------
    shape : int or tuple of int
    a, b : float
        Bounds, ``a < b``.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape ``shape``
    """
    shape = _shape(shape)
    a = check_real(a, "a")
    b = check_real(b, "b")
    if not a < b:
        raise ValueError(f"a must be less than b, got a={a:g}, b={b:g}")
    return check_rng(rng).uniform(a, b, size=shape)


# ---------------------------------------------------------------- variance-scaling schemes


def _gain(gain):
    return check_real(gain, "gain", low=0)


def _finite_variance(compute, culprit):
    """``compute()``, a variance as a Python float, or ValueError if it overflows float64."""
    try:
        var = compute()
    except OverflowError:
        var = math.inf
    if not math.isfinite(var):
        raise ValueError(f"the weight variance overflows float64 (it exceeds 1.8e308): "
                         f"{culprit} is too large")
    return var


def _normal_with_var(shape, var, rng):
    return normal(shape, math.sqrt(var), rng=rng)


def _uniform_with_var(shape, var, rng):
    bound = math.sqrt(3.0 * var)  # Var U(-b, b) = b^2 / 3
    return check_rng(rng).uniform(-bound, bound, size=shape)


def _lecun_var(shape):
    return 1.0 / calculate_fans(shape)[0]


def _xavier_var(shape, gain):
    fan_in, fan_out = calculate_fans(shape)
    gain = _gain(gain)
    return _finite_variance(lambda: gain**2 * 2.0 / (fan_in + fan_out), f"gain = {gain:g}")


def lecun_normal(shape, *, rng):
    r"""LeCun normal: :math:`w \sim \mathcal{N}(0, 1/n_\text{in})`.

    Parameters
    ----------
    shape : tuple of int
        At least 2-D, see :func:`calculate_fans`.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape ``shape``

    Notes
    -----
    The forward condition :math:`n_\text{in}\operatorname{Var}(w) = 1` alone.
    Lecture 3's :math:`W^l \sim \mathcal{N}(0, 1/n^{l-1})`, which it files under
    "Xavier".

    References
    ----------
    001_2691e6e736ad0c50.txt (Lecture 3), Xavier and He initialization.
    """
    return _normal_with_var(_shape(shape), _lecun_var(shape), rng)


def lecun_uniform(shape, *, rng):
    r"""LeCun uniform: :math:`U(-b, b)`, :math:`b = \sqrt{3/n_\text{in}}` (variance 1/fan_in).

    Parameters
    ----------
    shape : tuple of int
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape ``shape``
    """
    return _uniform_with_var(_shape(shape), _lecun_var(shape), rng)


def xavier_normal(shape, *, gain=1.0, rng):
    r"""Xavier (Glorot) normal: :math:`\mathcal{N}(0, g^2 \cdot 2/(n_\text{in}+n_\text{out}))`.

    Parameters
    ----------
    shape : tuple of int
    gain : float, default 1
        Multiplies the std (:func:`calculate_gain`); the lecture uses 1.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape ``shape``

    Notes
    -----
    :math:`\operatorname{Var}(w) = 2/(n_\text{input} + n_\text{output})`: the
    compromise between the forward (:math:`n_\text{in}\operatorname{Var}(w) = 1`)
    and backward (:math:`n_\text{out}\operatorname{Var}(w) = 1`) conditions. For
    sigmoid and tanh, which are linear near 0 (the MLP lecture's "Activations:
    sigmoid, tanh").

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), Xavier (Glorot) init.; Glorot & Bengio 2010, eq. 12.

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> xavier_normal((256, 128), rng=default_rng(0)).shape
    (256, 128)
    """
    return _normal_with_var(_shape(shape), _xavier_var(shape, gain), rng)


def xavier_uniform(shape, *, gain=1.0, rng):
    r"""Xavier (Glorot) uniform: :math:`U(-b, b)`, :math:`b = g\sqrt{6/(n_\text{in}+n_\text{out})}`.

    Parameters
    ----------
    shape : tuple of int
    gain : float, default 1
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape ``shape``

    Notes
    -----
    :math:`\operatorname{Var} = b^2/3 = \text{gain}^2\cdot 2/(n_\text{in} +
    n_\text{out})`, the same as :func:`xavier_normal`. The MLP lecture's
    :math:`\mathcal{R}(-\sqrt{6/(n_\text{input}+n_\text{output})})` lost its
    upper bound :math:`+\sqrt{6/(n_\text{input}+n_\text{output})}` in transcription.

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), Xavier (Glorot) init.; Glorot & Bengio 2010, eq. 16.
    """
    return _uniform_with_var(_shape(shape), _xavier_var(shape, gain), rng)


FAN_MODES = ("fan_in", "fan_out", "fan_avg")
"""The fans a Kaiming scheme can scale by (``mode``)."""


def _kaiming_var(shape, a, mode, nonlinearity):
    check_choice(mode, "mode", FAN_MODES)
    a = check_real(a, "a")
    check_choice(nonlinearity, "nonlinearity", NONLINEARITIES)
    if nonlinearity != "leaky_relu" and a != 0:
        raise ValueError(f"a (the negative slope) is used only with nonlinearity='leaky_relu', "
                         f"got a={a:g} with nonlinearity={nonlinearity!r}")
    gain = calculate_gain(nonlinearity, a if nonlinearity == "leaky_relu" else None)
    fan_in, fan_out = calculate_fans(shape)
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    return gain**2 / fan


def kaiming_normal(shape, *, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng):
    r"""Kaiming (He) normal: :math:`\mathcal{N}(0, g^2/\text{fan})`; for ReLU :math:`2/n_\text{in}`.

    Parameters
    ----------
    shape : tuple of int
    a : float, default 0
        Negative slope of the leaky ReLU that follows (0: plain ReLU).
    mode : {'fan_in', 'fan_out', 'fan_avg'}, default 'fan_in'
        ``fan_in`` preserves the forward variance, ``fan_out`` the backward
        one, ``fan_avg`` uses :math:`(n_\text{in} + n_\text{out})/2` (Keras's
        ``VarianceScaling`` mode).
    nonlinearity : str, default 'leaky_relu'
        As :func:`calculate_gain`. The default with ``a = 0`` is the ReLU gain
        :math:`\sqrt 2` (PyTorch's default too).
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape ``shape``

    Notes
    -----
    :math:`\operatorname{Var}(w) = 2/n_\text{input}` (MLP lecture; Lecture 3's
    :math:`\mathcal{N}(0, 2/n^{l-1})`), :math:`2/((1 + a^2) n_\text{in})` for a
    leaky ReLU of slope a. For ReLU and leaky ReLU ("Activations: ReLU, Leaky ReLU").

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), Kaiming (He) init.; 001_2691e6e736ad0c50.txt
    (Lecture 3); He et al. 2015, eq. 10.
    """
    return _normal_with_var(_shape(shape), _kaiming_var(shape, a, mode, nonlinearity), rng)


def kaiming_uniform(shape, *, a=0.0, mode="fan_in", nonlinearity="leaky_relu", rng):
    r"""Kaiming (He) uniform: :math:`U(-b, b)`, :math:`b = \text{gain}\sqrt{3/\text{fan}}`.

    Parameters and returns as :func:`kaiming_normal`.

    Notes
    -----
    The MLP lecture's :math:`\mathcal{R}(-\sqrt{6/n_\text{input}},
    \sqrt{6/n_\text{input}})`, variance :math:`b^2/3 = 2/n_\text{input}`.
    (PyTorch's ``nn.Linear`` default is this with ``a = sqrt(5)``, variance
    :math:`1/(3 n_\text{in})`, not He.)

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), Kaiming (He) init.
    """
    return _uniform_with_var(_shape(shape), _kaiming_var(shape, a, mode, nonlinearity), rng)


# ---------------------------------------------------------------- schemes by name

INITS = ("zeros", "constant", "normal", "lecun_normal", "lecun_uniform", "xavier_normal",
         "xavier_uniform", "kaiming_normal", "kaiming_uniform")
"""The schemes by name, as :func:`initialize` and :func:`weight_variance` take them."""


def weight_variance(init, shape, *, std=0.01, gain=1.0, activation="tanh", negative_slope=0.01,
                    mode="fan_in"):
    r"""The variance :math:`\operatorname{Var}(w)` that ``init`` draws a weight of ``shape`` with.

    The same schemes and keywords as :func:`initialize` (which draws the weights
    this describes, for :func:`lecturekit.propagation.signal_propagation`):
    ``lecun_*`` :math:`1/n_\text{in}`, ``xavier_*``
    :math:`\text{gain}^2\, 2/(n_\text{in} + n_\text{out})`, ``kaiming_*``
    :math:`2/((1 + a^2)\,\text{fan})` with a the slope when ``activation`` is
    ``'leaky_relu'`` (else 0) and the fan chosen by ``mode``, ``normal``
    :math:`\text{std}^2`, ``zeros`` and ``constant`` 0.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the variance exceeds float64 (``std`` or ``gain`` beyond about 1e154),
        naming the argument.

    Examples
    --------
    >>> weight_variance("xavier_normal", (250, 400))  # 2 / (400 + 250)
    0.003076923076923077
    >>> round(weight_variance("kaiming_normal", (250, 400), mode="fan_out"), 12)  # 2 / 250
    0.008
    """
    check_choice(init, "init", INITS)
    check_choice(activation, "activation", ACTIVATIONS)
    check_choice(mode, "mode", FAN_MODES)
    calculate_fans(shape)  # checks the shape for every scheme
    if init in ("zeros", "constant"):
        return 0.0
    if init == "normal":
        std = check_real(std, "std", low=0)
        return _finite_variance(lambda: std**2, f"std = {std:g}")
    if init.startswith("lecun"):
        return _lecun_var(shape)
    if init.startswith("xavier"):
        return _xavier_var(shape, gain)
    # Match the activation's slope, so that leaky ReLU gets its own gain.
    a = check_real(negative_slope, "negative_slope") if activation == "leaky_relu" else 0.0
    return _kaiming_var(shape, a, mode, "leaky_relu")


def initialize(init, shape, *, rng, std=0.01, value=0.1, gain=1.0, activation="tanh",
               negative_slope=0.01, mode="fan_in"):
    r"""A weight of ``shape`` drawn by the scheme named ``init``, with variance :func:`weight_variance`.

    Parameters
    ----------
    init : str
        One of :data:`INITS`: ``zeros``, ``constant`` (all weights ``value``),
        ``normal`` (std ``std``), ``lecun_normal``, ``lecun_uniform``,
        ``xavier_normal``, ``xavier_uniform`` (with ``gain``),
        ``kaiming_normal``, ``kaiming_uniform`` (fan by ``mode``; the slope
        ``negative_slope`` when ``activation`` is ``'leaky_relu'``, plain He
        otherwise).
    shape : tuple of int
        At least 2-D, see :func:`calculate_fans`.
    rng : numpy.random.Generator
    std, value, gain, activation, negative_slope, mode
        As for :func:`weight_variance`.

    Returns
    -------
    ndarray, shape ``shape``

    Notes
    -----
    The draw of the named function (``lecun_normal(shape, rng=rng)``,
    ``xavier_uniform(shape, gain=gain, rng=rng)``, ``kaiming_normal(shape, a=a,
    mode=mode, rng=rng)``, ...), draw for draw, made with the variance that
    :func:`weight_variance` reports: a curve measured with these weights and
    its prediction from that variance cannot drift apart.

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> w = initialize("kaiming_normal", (256, 512), activation="relu", rng=default_rng(0))
    >>> w.shape, round(weight_variance("kaiming_normal", (256, 512), activation="relu"), 12)
    ((256, 512), 0.00390625)
    """
    check_choice(init, "init", INITS)
    check_choice(activation, "activation", ACTIVATIONS)
    check_rng(rng)
    if init == "zeros":
        return zeros(shape)
    if init == "constant":
        return constant(shape, value)
    if init == "normal":
        return normal(shape, std, rng=rng)
    var = weight_variance(init, shape, gain=gain, activation=activation,
                          negative_slope=negative_slope, mode=mode)
    draw = _uniform_with_var if init.endswith("uniform") else _normal_with_var
    return draw(_shape(shape), var, rng)
