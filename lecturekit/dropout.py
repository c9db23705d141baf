r"""Dropout, classic and inverted, with an explicit drop or keep probability.

Conventions
-----------
The lectures disagree on what :math:`p` means, so lecturekit never says ``p``:
every function takes exactly one of ``drop_prob`` or ``keep_prob``
(``keep_prob = 1 - drop_prob``).

===========================  ===========================================  ==============
source                       :math:`p` is                                 lecturekit
===========================  ===========================================  ==============
MLP lecture (004)            drop: :math:`y_i = 0` with probability p     ``drop_prob``
05/10/23 lecture (002)       keep: :math:`p(r_i = 1) = p`                 ``keep_prob``
PyTorch ``nn.Dropout(p)``    drop                                         ``drop_prob``
CS231n assignments           keep                                         ``keep_prob``
===========================  ===========================================  ==============

05/10/23 recommends keeping with :math:`p = 0.8` at the input layer, :math:`p =
0.5` in hidden layers and :math:`p = 1` (no dropout) at the output: that is
``keep_prob=0.8``, ``keep_prob=0.5``, ``keep_prob=1``, or PyTorch's
``Dropout(0.2)``, ``Dropout(0.5)`` and no dropout.

The mask :math:`y_i \sim \text{Bernoulli}(\text{keep\_prob})` (1 = kept) is
returned by :func:`dropout` so that :func:`dropout_backward` can reuse it: the
backward of a random layer must use the forward's draw.

Two ways to keep the expected activation the same at train and test time
(with :math:`q` = keep_prob = 1 − p, p = drop_prob):

=========  ==============================  ==============================
mode       train                           test
=========  ==============================  ==============================
classic    :math:`a_i y_i`                 :math:`q\, a_i = (1 - p)\, a_i`
inverted   :math:`a_i y_i / q`             :math:`a_i`
=========  ==============================  ==============================

**Erratum.** The MLP lecture writes classic dropout's test rule as
:math:`a_i^{DO} = a_i/(1-p)`. Its own line above gives :math:`\mathbb{E}\, a_i
y_i = (1-p)\, a_i` at train time, so the test-time output must be *multiplied*
by :math:`1 - p` to match: :math:`a_i^{DO} = (1-p)\, a_i`. Dividing by
:math:`1 - p` is what *inverted* dropout does, at train time.

References
----------
004_16411a88f2dc5004.txt ("MLP"), Drop Out, Classic DO, Inverted DO.
002_4e19a57a78109995.txt (05/10/23), Dropout: :math:`z_m = \sigma(\langle r
\odot x, \alpha_m\rangle)`, :math:`r_i \sim \text{bern}(p)`.
Srivastava et al., "Dropout: a simple way to prevent neural networks from
overfitting", JMLR 2014 (classic dropout, p = keep).
"""

from __future__ import annotations

import numpy as np

from ._checks import as_array, check_bool, check_choice, check_real, check_shape
from .rng import check_rng

MODES = ("inverted", "classic")


def _keep_prob(drop_prob, keep_prob):
    """Return the keep probability from exactly one of ``drop_prob`` and ``keep_prob``."""
    if drop_prob is None and keep_prob is None:
        raise TypeError("give exactly one of drop_prob and keep_prob "
                        "(drop_prob = 1 - keep_prob), got neither")
    if drop_prob is not None and keep_prob is not None:
        raise TypeError("give exactly one of drop_prob and keep_prob "
                        f"(drop_prob = 1 - keep_prob), got both: drop_prob={drop_prob!r}, "
                        f"keep_prob={keep_prob!r}")
    if drop_prob is not None:
        return 1.0 - check_real(drop_prob, "drop_prob", low=0, high=1, high_open=True)
    return check_real(keep_prob, "keep_prob", low=0, high=1, low_open=True)


def dropout(a, *, drop_prob=None, keep_prob=None, mode="inverted", training=True, rng=None):
    r"""Apply dropout to activations ``a``; return ``(out, mask)``.

    Parameters
    ----------
    a : array_like, any shape
        Activations :math:`a = g(z)` (or the inputs x, as in 05/10/23).
    drop_prob : float in [0, 1), keyword-only
        Probability p of zeroing a unit (MLP lecture's p, PyTorch's p).
    keep_prob : float in (0, 1], keyword-only
        Probability of keeping a unit (05/10/23's p). Give exactly one of the two.
    mode : {'inverted', 'classic'}, default 'inverted'
        Where the rescaling happens: inverted divides by keep_prob at train
        time, classic multiplies by keep_prob at test time.
    training : bool, default True
        Train (random mask) or test (deterministic scaling); True or False (a
        string such as ``'False'`` is refused, not read as true).
    rng : numpy.random.Generator
        Required when ``training``; not used otherwise (but, if given, checked).

    Returns
    -------
    out : ndarray, shape of a
    mask : ndarray of 0.0/1.0, shape of a, or None
        The Bernoulli(keep_prob) draw :math:`y` (1 = kept) at train time; None
        at test time, when nothing is drawn.

    Notes
    -----
    With :math:`q = 1 - p` the keep probability and :math:`y_i \sim
    \text{Bern}(q)`:

    * classic: train :math:`a_i y_i`, test :math:`q\, a_i`;
    * inverted: train :math:`a_i y_i / q`, test :math:`a_i`.

    Both make the test output equal to the expected train output:
    :math:`\mathbb{E}\, a_i y_i = q a_i` and :math:`\mathbb{E}\, a_i y_i / q = a_i`.
    The MLP lecture's classic test rule :math:`a_i/(1-p)` is an erratum (see the
    module docstring); the correct rule is :math:`(1-p)\, a_i`.

    References
    ----------
    004_16411a88f2dc5004.txt ("MLP"), Drop Out; 002_4e19a57a78109995.txt (05/10/23),
    Dropout; Srivastava et al. 2014.

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> out, mask = dropout(np.ones(4), drop_prob=0.5, rng=default_rng(0))
    >>> bool(np.all(out[mask == 1] == 2.0)), bool(np.all(out[mask == 0] == 0.0))  # kept: a / 0.5
    (True, True)
    >>> dropout(np.ones(2), keep_prob=0.8, mode="classic", training=False)[0].tolist()
    [0.8, 0.8]
    """
    q = _keep_prob(drop_prob, keep_prob)
    check_choice(mode, "mode", MODES)
    a = as_array(a, "a")
    if rng is not None:
        check_rng(rng)
    if not check_bool(training, "training"):
        return (q * a if mode == "classic" else a.copy()), None
    if rng is None:
        raise TypeError("rng is required when training=True: pass a numpy.random.Generator, "
                        "e.g. lecturekit.rng.default_rng(0)")
    check_rng(rng)
    mask = (rng.random(a.shape) < q).astype(np.float64)  # P(y_i = 1) = q
    return (a * mask if mode == "classic" else a * mask / q), mask


def dropout_backward(dout, mask, *, drop_prob=None, keep_prob=None, mode="inverted",
                     training=True):
    r"""Backward of :func:`dropout`: the same mask and scaling applied to ``dout``.

    Parameters
    ----------
    dout : array_like, any shape
        :math:`\partial L / \partial \text{out}`.
    mask : ndarray of 0/1, shape of dout, or None
        The mask :func:`dropout` returned (None when ``training`` is False).
    drop_prob, keep_prob : float, keyword-only
        Exactly one, as given to the forward.
    mode : {'inverted', 'classic'}, default 'inverted'
    training : bool, default True

    Returns
    -------
    da : ndarray, shape of dout
        Train: ``dout * mask`` (classic) or ``dout * mask / keep_prob``
        (inverted); test: ``keep_prob * dout`` (classic) or ``dout`` (inverted).

    Notes
    -----
    Dropout is linear in :math:`a` for a fixed mask, so its backward is the
    same linear map: dropped units get no gradient.
    """
    q = _keep_prob(drop_prob, keep_prob)
    check_choice(mode, "mode", MODES)
    dout = as_array(dout, "dout")
    if not check_bool(training, "training"):
        return q * dout if mode == "classic" else dout.copy()
    if mask is None:
        raise TypeError("mask is required when training=True: pass the mask dropout returned")
    mask = check_shape(as_array(mask, "mask"), "mask", dout.shape, of="dout")
    if not np.all((mask == 0) | (mask == 1)):
        raise ValueError("mask must contain only 0 and 1 (the Bernoulli draw dropout returned)")
    return dout * mask if mode == "classic" else dout * mask / q
