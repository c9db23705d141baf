r"""Vanilla RNN and LSTM, forward and back-propagation through time, and why gradients vanish.

Conventions
-----------
* Sequences are time-major: ``xs`` has shape ``(T, N, D)`` (time steps, batch,
  input features), like PyTorch's ``nn.RNN``/``nn.LSTM`` with the default
  ``batch_first=False``. One sequence is ``xs[:, None, :]``.
* ``hs[t]`` is the hidden state *after* reading ``xs[t]``: in the lecture's
  1-based time, ``hs[t - 1]`` is :math:`h_t` and ``xs[t - 1]`` is :math:`x_t`;
  ``h0`` is :math:`h_0`.
* Lecture 14's concatenated form: one weight ``w`` acts on :math:`[x_t ; h_{t-1}]`,
  so ``w[:, :D]`` is the input-to-hidden and ``w[:, D:]`` the hidden-to-hidden
  (recurrent) part; rows are outputs, as in PyTorch (``(out, in)``).
* Backward functions take the forward's inputs and recompute what they need;
  they return gradients in the order of the forward's arguments.

Lecture 14 writes "rectify" for the nonlinearity and names ReLU and the sigmoid
("Rectify: ReLU sigmoid") next to the formula of tanh. The vanilla RNN takes
``activation="tanh"`` (the default, as PyTorch's ``nn.RNN``), ``"sigmoid"`` or
``"relu"``: :math:`h_t = g(w [x_t ; h_{t-1}] + b)`. The LSTM's gates use the
sigmoid :math:`\sigma`, its candidate and output tanh.

The notes' vanilla RNN has no bias; lecturekit's has one, ``b`` of shape (H,)
(PyTorch's ``bias_ih_l0 + bias_hh_l0``): ``b = 0`` is the notes' formula.
Its letters map as: :math:`w` (concatenated) = ``w``, the output weight
("another w") = ``v`` with bias ``c``, :math:`C_t` = ``cs[t - 1]``,
:math:`\Delta C_t` = the candidate ``g``, :math:`f_t, i_t, o_t` = the gates.

LSTM weight layout (PyTorch's, so that a ``state_dict`` maps directly)
----------------------------------------------------------------------
``w`` has shape ``(4H, D + H)`` and ``b`` shape ``(4H,)``; the row blocks are, in
order, the input gate :math:`i`, the forget gate :math:`f`, the candidate
:math:`g = \Delta C` and the output gate :math:`o` (PyTorch's ``(i, f, g, o)``)::

    w = concat([weight_ih_l0, weight_hh_l0], axis=1)    # (4H, D) | (4H, H)
    b = bias_ih_l0 + bias_hh_l0                          # (4H,)

See :func:`lstm_weights_from_pytorch`.

References
----------
Lecture 14 (003_59d733786b3f0eb6.txt), "Recurrent Neural Network (RNN)": the
vanilla RNN, back-propagation through time and vanishing gradients, the LSTM
cell :math:`C_t = f_t \odot C_{t-1} + i_t \odot \Delta C_t`,
:math:`h_t = o_t \odot \tanh(C_t)`. Hochreiter & Schmidhuber (1997); Gers,
Schmidhuber & Cummins (2000) for the forget gate; Pascanu, Mikolov & Bengio
(2013), "On the difficulty of training recurrent neural networks".
"""

from __future__ import annotations

import threading

import numpy as np

from ._checks import as_array, check_choice, check_finite, check_int, check_real, check_shape
from .activations import activation_kernels, softmax, softmax_backward
from .rng import check_rng

__all__ = [
    "RNN_ACTIVATIONS", "MAX_DERIVATIVE",
    "rnn_step", "rnn_step_backward", "rnn_forward", "rnn_backward", "rnn_init", "output_layer",
    "recurrent_matrix", "hidden_state_jacobian_norms", "rnn_jacobian_norms",
    "cell_state_update", "lstm_step", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "lstm_init", "lstm_weights_from_pytorch", "memory_retention",
]


# ---------------------------------------------------------------- checks


def _sequence(xs):
    xs = as_array(xs, "xs")
    if xs.ndim != 3:
        raise ValueError(
            f"xs must be 3-D with layout (T, N, D) (time, batch, features), got a {xs.ndim}-D "
            f"array of shape {xs.shape}; for one sequence of shape (T, D) pass xs[:, None, :]"
        )
    if xs.shape[0] == 0 or xs.shape[1] == 0:
        raise ValueError(f"xs must have at least one time step and one sequence, got {xs.shape}")
    return xs


def _state(h, name, n, of):
    h = as_array(h, name, ndim=2)
    check_shape(h, name, (n, None), of=of)
    return h


def _cell(w, b, d, h, gates, x="x", state="h_prev"):
    """Check the concatenated weight (gates*H, D+H) and bias (gates*H,)."""
    of = f"the features D = {d} of {x} and H = {h} of {state}"
    w = check_shape(as_array(w, "w", ndim=2), "w", (gates * h, d + h), of=of)
    b = check_shape(as_array(b, "b", ndim=1), "b", (gates * h,), of=f"H = {h} of {state}")
    return w, b


def _output(v, c, h, state):
    v = as_array(v, "v", ndim=2)
    check_shape(v, "v", (None, h), of=f"H = {h} of {state}")
    c = check_shape(as_array(c, "c", ndim=1), "c", (v.shape[0],), of="the rows of v")
    return v, c


def _finite_states(hs, what):
    """Raise ValueError if the hidden states overflowed float64 (a ReLU RNN that explodes)."""
    return check_finite(hs, what, "w (its recurrent part) makes the states grow too fast over "
                        "the steps of xs, or xs, h0 or b are too large")


_LSTM_TOO_LARGE = "w, b or the inputs are too large: a gate's pre-activation overflows float64"


def _finite_lstm(run):
    """``run`` (h and C first), or ValueError if the states are not finite: a pre-activation
    overflowed (the gates are computed unchecked, see :func:`_lstm_gates`)."""
    check_finite(run[0], "the LSTM's hidden state", _LSTM_TOO_LARGE)
    check_finite(run[1], "the LSTM's cell state", _LSTM_TOO_LARGE)
    return run


def _step_inputs(x, h_prev, w, b, gates):
    x = as_array(x, "x", ndim=2)
    h_prev = _state(h_prev, "h_prev", x.shape[0], "the batch of x")
    w, b = _cell(w, b, x.shape[1], h_prev.shape[1], gates)
    return x, h_prev, w, b


# ---------------------------------------------------------------- vanilla RNN

RNN_ACTIVATIONS = ("tanh", "sigmoid", "relu")
"""The vanilla RNN's choices of "rectify" :math:`g` (``activation=``)."""

MAX_DERIVATIVE = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0}
r""":math:`\max_a |g'(a)|` for each activation: tanh' ≤ 1 (= 1 at 0), σ' = σ(1 − σ) ≤ 1/4
(at 0), ReLU' ∈ {0, 1}. The bound :math:`\|\partial h_T/\partial h_t\| \le
(\max|g'|\,\|W_{hh}\|)^{T-t}` uses it."""

_G = {name: activation_kernels(name)[0] for name in RNN_ACTIVATIONS}
_SIGMOID = activation_kernels("sigmoid")[0]
# g' written in terms of the output h = g(a), which BPTT keeps (the pre-activation a it does
# not): tanh' = 1 - h^2, sigma' = h (1 - h), relu' = [a > 0] = [h > 0] (0 at a = 0, as PyTorch).
_G_PRIME = {"tanh": lambda h: 1 - h**2, "sigmoid": lambda h: h * (1 - h),
            "relu": lambda h: (h > 0).astype(np.float64)}


def _activation(activation):
    return check_choice(activation, "activation", RNN_ACTIVATIONS)


def _rnn_step(x, h_prev, w, b, activation="tanh"):
    z = np.concatenate([x, h_prev], axis=1)  # (N, D + H): the lecture's x_t || h_{t-1}
    return _G[activation](z @ w.T + b)


def _rnn_step_backward(dh, x, h_prev, h, w, activation="tanh"):
    da = dh * _G_PRIME[activation](h)  # g'(a), from h = g(a)
    z = np.concatenate([x, h_prev], axis=1)  # (N, D + H)
    dz = da @ w  # (N, D + H)
    d = x.shape[1]
    return dz[:, :d], dz[:, d:], da.T @ z, da.sum(axis=0)


def rnn_step(x, h_prev, w, b, *, activation="tanh"):
    r"""One step of the vanilla RNN, :math:`h_t = g(w [x_t ; h_{t-1}] + b)`, g = tanh by default.

    Parameters
    ----------
    x : ndarray, shape (N, D)
        :math:`x_t`.
    h_prev : ndarray, shape (N, H)
        :math:`h_{t-1}`.
    w : ndarray, shape (H, D + H)
        The concatenated weight; ``w[:, :D]`` acts on :math:`x_t`, ``w[:, D:]`` on
        :math:`h_{t-1}`.
    b : ndarray, shape (H,)
        The bias (not in the notes' formula: ``b = 0`` gives it exactly).
    activation : {'tanh', 'sigmoid', 'relu'}, default 'tanh'
        The lecture's "rectify" :math:`g`.

    Returns
    -------
    h : ndarray, shape (N, H)
        :math:`h_t`.

    Raises
    ------
    ValueError
        If ``activation`` is not one of :data:`RNN_ACTIVATIONS`, or a shape does not fit.

    Notes
    -----
    Lecture 14: :math:`h_t = \mathrm{rectify}(w(x_t \| h_{t-1}))`, "weight
    concatenate". With the bias, and splitting :math:`w = [W_{xh}\ W_{hh}]` by
    columns: :math:`h_t = g(W_{xh} x_t + W_{hh} h_{t-1} + b)`, PyTorch's ``nn.RNN``
    (``nonlinearity="tanh"`` or ``"relu"``) with ``weight_ih_l0 = w[:, :D]``,
    ``weight_hh_l0 = w[:, D:]`` and ``bias_ih_l0 + bias_hh_l0 = b``.

    References
    ----------
    Lecture 14 (003_59d733786b3f0eb6.txt), "vanilla RNN".

    Examples
    --------
    >>> rnn_step(np.zeros((1, 2)), np.zeros((1, 3)), np.ones((3, 5)), np.zeros(3))
    array([[0., 0., 0.]])
    """
    return _rnn_step(*_step_inputs(x, h_prev, w, b, 1), _activation(activation))


def rnn_step_backward(dh, x, h_prev, w, b, *, activation="tanh"):
    r"""Gradients of :func:`rnn_step`: ``(dx, dh_prev, dw, db)``.

    Parameters
    ----------
    dh : ndarray, shape (N, H)
        :math:`\partial L / \partial h_t`.
    x, h_prev, w, b, activation
        The forward's inputs.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dh_prev : ndarray, shape (N, H)
    dw : ndarray, shape (H, D + H)
    db : ndarray, shape (H,)

    Notes
    -----
    With :math:`a = w[x; h_{t-1}] + b` and :math:`\delta = \partial L/\partial a
    = \text{dh} \odot g'(a)`, where from :math:`h_t = g(a)`: :math:`\tanh' = 1 - h_t^2`,
    :math:`\sigma' = h_t(1 - h_t)`, :math:`\mathrm{ReLU}' = [h_t > 0]`;
    :math:`\partial L/\partial w = \delta^\top [x; h_{t-1}]`,
    :math:`\partial L/\partial b = \sum_n \delta`,
    :math:`\partial L/\partial [x; h_{t-1}] = \delta\, w`.
    """
    activation = _activation(activation)
    x, h_prev, w, b = _step_inputs(x, h_prev, w, b, 1)
    dh = check_shape(as_array(dh, "dh"), "dh", h_prev.shape, of="h_prev")
    h = _rnn_step(x, h_prev, w, b, activation)
    return _rnn_step_backward(dh, x, h_prev, h, w, activation)


def _rnn_inputs(xs, h0, w, b, v, c):
    xs = _sequence(xs)
    h0 = _state(h0, "h0", xs.shape[1], "the batch of xs")
    w, b = _cell(w, b, xs.shape[2], h0.shape[1], 1, "xs", "h0")
    v, c = _output(v, c, h0.shape[1], "h0")
    return xs, h0, w, b, v, c


def _rnn_states(xs, h0, w, b, activation="tanh"):
    hs = np.empty(xs.shape[:2] + (h0.shape[1],))  # (T, N, H)
    h = h0
    with np.errstate(over="ignore", invalid="ignore"):  # checked once, after the loop
        for t in range(xs.shape[0]):
            h = hs[t] = _rnn_step(xs[t], h, w, b, activation)
    return _finite_states(hs, "the hidden states")


def output_layer(hs, v, c):
    r"""The output of a recurrent network, :math:`y_t = \mathrm{softmax}(v h_t + c)` at every step.

    Parameters
    ----------
    hs : ndarray, shape (T, N, H)
        Hidden states, from :func:`rnn_forward` or :func:`lstm_forward`.
    v : ndarray, shape (K, H)
        The output weight (Lecture 14's "another w").
    c : ndarray, shape (K,)

    Returns
    -------
    ys : ndarray, shape (T, N, K)
        Each row sums to 1.

    Notes
    -----
    Lecture 14 writes :math:`y_t = \mathrm{Rectify}(w h_t)` for both the
    vanilla RNN ("softmax, another w") and the LSTM.

    Examples
    --------
    >>> output_layer(np.zeros((2, 1, 3)), np.ones((4, 3)), np.zeros(4))[0]
    array([[0.25, 0.25, 0.25, 0.25]])
    """
    hs = as_array(hs, "hs", ndim=3)
    v, c = _output(v, c, hs.shape[2], "hs")
    with np.errstate(over="ignore", invalid="ignore"):
        logits = hs @ v.T + c  # (T, N, H) @ (H, K) -> (T, N, K)
    return softmax(check_finite(logits, "the logits v h_t + c", "hs, v or c are too large"))


def rnn_forward(xs, h0, w, b, v, c, *, activation="tanh"):
    r"""Run the vanilla RNN over a sequence: hidden states and softmax outputs.

    Parameters
    ----------
    xs : ndarray, shape (T, N, D)
        The inputs, time-major; ``xs[t - 1]`` is :math:`x_t`.
    h0 : ndarray, shape (N, H)
        :math:`h_0` (often zeros).
    w : ndarray, shape (H, D + H)
        The concatenated recurrent weight.
    b : ndarray, shape (H,)
    v : ndarray, shape (K, H)
        The output weight (Lecture 14's "another w").
    c : ndarray, shape (K,)
        The output bias.
    activation : {'tanh', 'sigmoid', 'relu'}, default 'tanh'
        :math:`g`, the lecture's "rectify".

    Returns
    -------
    hs : ndarray, shape (T, N, H)
        ``hs[t - 1]`` is :math:`h_t`.
    ys : ndarray, shape (T, N, K)
        :math:`y_t = \mathrm{softmax}(v h_t + c)` (:func:`output_layer`).

    Raises
    ------
    ValueError
        If ``xs`` is not 3-D (the message gives the layout), or a shape does not fit.

    Notes
    -----
    .. math::
        h_t = g(w [x_t ; h_{t-1}] + b), \qquad
        y_t = \mathrm{softmax}(v h_t + c), \qquad t = 1, \dots, T

    The same :math:`w, b, v, c` at every step: the network is a deep network of
    depth :math:`T` with tied weights.

    References
    ----------
    Lecture 14 (003_59d733786b3f0eb6.txt), "vanilla RNN".

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> p = rnn_init(3, 4, 2, rng=default_rng(0))
    >>> hs, ys = rnn_forward(np.zeros((5, 1, 3)), np.zeros((1, 4)), **p)
    >>> hs.shape, ys.shape, float(ys[0].sum())
    ((5, 1, 4), (5, 1, 2), 1.0)
    """
    activation = _activation(activation)
    xs, h0, w, b, v, c = _rnn_inputs(xs, h0, w, b, v, c)
    hs = _rnn_states(xs, h0, w, b, activation)
    return hs, output_layer(hs, v, c)


def rnn_backward(dys, xs, h0, w, b, v, c, *, activation="tanh"):
    r"""Back-propagation through time for :func:`rnn_forward`.

    Parameters
    ----------
    dys : ndarray, shape (T, N, K)
        :math:`\partial L / \partial y_t` for every step (zeros where a step has
        no loss).
    xs, h0, w, b, v, c, activation
        The forward's inputs.

    Returns
    -------
    dxs : ndarray, shape (T, N, D)
    dh0 : ndarray, shape (N, H)
    dw : ndarray, shape (H, D + H)
    db : ndarray, shape (H,)
    dv : ndarray, shape (K, H)
    dc : ndarray, shape (K,)

    Notes
    -----
    Going backwards in time, the gradient reaching :math:`h_t` is its own
    output's plus what flows back from :math:`h_{t+1}`:

    .. math::
        \frac{\partial L}{\partial h_t} = v^\top \frac{\partial L}{\partial (v h_t + c)}
        + \Bigl(\frac{\partial h_{t+1}}{\partial h_t}\Bigr)^{\!\top}
        \frac{\partial L}{\partial h_{t+1}},
        \qquad
        \frac{\partial h_{t+1}}{\partial h_t} = \mathrm{diag}(g'_{t+1})\, W_{hh},

    (:math:`g'_{t+1} = 1 - h_{t+1}^2` for tanh) and the shared weights' gradients
    are sums over the steps. A loss at step :math:`T` reaches :math:`h_t` through
    the product :math:`\mathrm{diag}(g'_T) W_{hh} \cdots \mathrm{diag}(g'_{t+1}) W_{hh}`,
    which shrinks geometrically when :math:`\max|g'|\,\|W_{hh}\| < 1` (or the
    activation saturates): the vanishing gradient (:func:`hidden_state_jacobian_norms`).

    References
    ----------
    Lecture 14 (003_59d733786b3f0eb6.txt), "suffer gradient vanishing in
    back-prop through time"; Werbos (1990), "Backpropagation through time".
    """
    activation = _activation(activation)
    xs, h0, w, b, v, c = _rnn_inputs(xs, h0, w, b, v, c)
    hs = _rnn_states(xs, h0, w, b, activation)
    with np.errstate(over="ignore", invalid="ignore"):
        logits = hs @ v.T + c  # (T, N, K)
    check_finite(logits, "the logits v h_t + c", "h0, w, v or c are too large")
    dys = check_shape(as_array(dys, "dys"), "dys", logits.shape,
                      of="the steps and batch of xs and the rows of v")
    dlogits = softmax_backward(dys, logits)
    dv = np.einsum("tnk,tnh->kh", dlogits, hs)
    dc = dlogits.sum(axis=(0, 1))
    dhs = dlogits @ v  # (T, N, K) @ (K, H) -> (T, N, H)
    dxs = np.empty_like(xs)
    dw, db = np.zeros_like(w), np.zeros_like(b)
    dh_next = np.zeros_like(h0)  # nothing flows back into h_T from the future
    with np.errstate(over="ignore", invalid="ignore"):  # checked once, after the loop
        for t in reversed(range(xs.shape[0])):
            h_prev = hs[t - 1] if t > 0 else h0
            dxs[t], dh_next, dw_t, db_t = _rnn_step_backward(dhs[t] + dh_next, xs[t], h_prev,
                                                             hs[t], w, activation)
            dw += dw_t
            db += db_t
    grads = dxs, dh_next, dw, db, dv, dc
    for g in grads:
        check_finite(g, "the gradients through time", "w (its recurrent part) makes the gradient "
                     "grow too fast over the steps of xs, or dys, v or xs are too large")
    return grads


def recurrent_matrix(hidden_size, *, spectral_radius=1.0, rng):
    r"""A random recurrent weight :math:`W_{hh}` with every singular value ``spectral_radius``.

    Parameters
    ----------
    hidden_size : int
        :math:`H`.
    spectral_radius : float, default 1.0
        :math:`\rho \ge 0`.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (H, H)
        :math:`\rho Q` with :math:`Q` a uniformly random orthogonal matrix.

    Notes
    -----
    A scaled orthogonal matrix has spectral radius *and* norm :math:`\rho`, so
    :math:`\|W_{hh}^k\| = \rho^k` exactly: the linear RNN's gradient shrinks
    (:math:`\rho < 1`) or grows (:math:`\rho > 1`) geometrically with the
    distance in time, and since :math:`|\tanh'| \le 1`,
    :math:`\|\partial h_T / \partial h_t\| \le \rho^{T - t}` for the tanh RNN.
    Saxe et al. (2014) and Le et al. (2015) start RNNs near :math:`\rho = 1`.

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> W = recurrent_matrix(4, spectral_radius=0.5, rng=default_rng(0))
    >>> np.allclose(W @ W.T, 0.25 * np.eye(4))
    True
    """
    hidden_size = check_int(hidden_size, "hidden_size", minimum=1)
    spectral_radius = check_real(spectral_radius, "spectral_radius", low=0)
    check_rng(rng)
    q, r = np.linalg.qr(rng.normal(size=(hidden_size, hidden_size)))
    q = q * np.sign(np.diag(r))  # the sign fix makes Q Haar-distributed (Mezzadri 2007)
    return spectral_radius * q


def rnn_init(input_size, hidden_size, output_size, *, rng, spectral_radius=1.0, input_std=None):
    r"""Initial parameters for :func:`rnn_forward`: ``dict(w=..., b=..., v=..., c=...)``.

    Parameters
    ----------
    input_size, hidden_size, output_size : int
        :math:`D, H, K`.
    rng : numpy.random.Generator
    spectral_radius : float, default 1.0
        Of the recurrent part ``w[:, D:]`` (:func:`recurrent_matrix`).
    input_std : float, optional
        Standard deviation of ``w[:, :D]`` and ``v``; default
        :math:`1/\sqrt{D}` and :math:`1/\sqrt{H}` (Xavier-like, fan-in).

    Returns
    -------
    dict of ndarray
        ``w`` (H, D + H), ``b`` (H,) zeros, ``v`` (K, H), ``c`` (K,) zeros.
    """
    d = check_int(input_size, "input_size", minimum=1)
    h = check_int(hidden_size, "hidden_size", minimum=1)
    k = check_int(output_size, "output_size", minimum=1)
    check_rng(rng)
    std_in = 1 / np.sqrt(d) if input_std is None else check_real(input_std, "input_std", low=0)
    std_out = 1 / np.sqrt(h) if input_std is None else std_in
    w_hh = recurrent_matrix(h, spectral_radius=spectral_radius, rng=rng)
    w = np.concatenate([std_in * rng.normal(size=(h, d)), w_hh], axis=1)  # (H, D + H)
    return {"w": w, "b": np.zeros(h), "v": std_out * rng.normal(size=(k, h)), "c": np.zeros(k)}


def hidden_state_jacobian_norms(xs, h0, w, b, *, activation="tanh"):
    r"""The norms :math:`\|\partial h_T / \partial h_t\|_2` against the distance :math:`T - t`.

    Parameters
    ----------
    xs : ndarray, shape (T, N, D)
    h0 : ndarray, shape (N, H)
    w : ndarray, shape (H, D + H)
    b : ndarray, shape (H,)
    activation : {'tanh', 'sigmoid', 'relu'}, default 'tanh'
        :math:`g` of :func:`rnn_step`.

    Returns
    -------
    ndarray, shape (T + 1, N)
        Row ``k`` is :math:`\|\partial h_T / \partial h_{T-k}\|_2` for each sequence
        (row 0 is 1: the identity).

    Raises
    ------
    ValueError
        If a norm exceeds float64 (about 1.8e308; radius 2 over more than 1023
        steps, say), naming the distance ``k`` it overflows at.

    Notes
    -----
    With :math:`J_s = \partial h_s/\partial h_{s-1} = \mathrm{diag}(g'_s)\, W_{hh}`
    (:math:`g'_s = g'(a_s)`, e.g. :math:`1 - h_s^2` for tanh), the chain rule
    multiplies the steps' Jacobians with the latest on the left:

    .. math::
        \frac{\partial h_T}{\partial h_t} = J_T J_{T-1} \cdots J_{t+1}, \qquad
        \Bigl\|\frac{\partial h_T}{\partial h_t}\Bigr\| \le
        \bigl(\max|g'|\, \|W_{hh}\|\bigr)^{T - t}

    with :math:`\max|g'|` = 1 for tanh and ReLU, 1/4 for the sigmoid
    (:data:`MAX_DERIVATIVE`).

    A gradient from a loss at step :math:`T` reaches step :math:`t` multiplied
    by this Jacobian (transposed): with :math:`\|W_{hh}\| < 1` it vanishes
    geometrically, so the RNN cannot learn long-range dependencies (Lecture
    14); with large weights it can also explode.

    References
    ----------
    Lecture 14 (003_59d733786b3f0eb6.txt), back-prop through time; Pascanu,
    Mikolov & Bengio (2013), section 2.

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> p = rnn_init(1, 3, 1, spectral_radius=0.5, rng=default_rng(0))
    >>> norms = hidden_state_jacobian_norms(np.zeros((4, 1, 1)), np.zeros((1, 3)), p["w"], p["b"])
    >>> np.round(norms[:, 0], 4)  # h stays 0, so tanh' = 1 and the norm is 0.5^k
    array([1.    , 0.5   , 0.25  , 0.125 , 0.0625])
    """
    activation = _activation(activation)
    xs = _sequence(xs)
    h0 = _state(h0, "h0", xs.shape[1], "the batch of xs")
    d, h = xs.shape[2], h0.shape[1]
    w, b = _cell(w, b, d, h, 1, "xs", "h0")
    hs = _rnn_states(xs, h0, w, b, activation)
    g_prime = _G_PRIME[activation]
    w_hh = w[:, d:]
    n_steps, n = xs.shape[:2]
    jac = np.broadcast_to(np.eye(h), (n, h, h)).copy()  # (N, H, H): dh_T/dh_T
    norms = np.empty((n_steps + 1, n))
    norms[0] = 1.0
    for k in range(1, n_steps + 1):
        # dh_{s}/dh_{s-1} with s = T - k + 1, whose state is hs[T - k]
        step = g_prime(hs[n_steps - k])[:, :, None] * w_hh  # (N, H, H): diag(g'_s) W_hh
        with np.errstate(over="ignore", invalid="ignore"):
            jac = jac @ step
        if not np.all(np.isfinite(jac)):  # the norm exceeds 1.8e308: LAPACK cannot take it
            raise ValueError(
                f"||dh_T/dh_(T-k)|| overflows float64 (exceeds 1.8e308) at the distance k = {k} "
                f"of xs's T = {n_steps} steps: the recurrent part of w (spectral norm "
                f"{np.linalg.norm(w_hh, 2):.3g}) makes the gradient grow too fast; use fewer "
                f"steps or a smaller w"
            )
        norms[k] = np.linalg.norm(jac, ord=2, axis=(1, 2))
    return norms



def rnn_jacobian_norms(spectral_radius, *, steps, rng, input_scale=1.0, activation="tanh",
                       hidden_size=16, input_size=4, batch_size=4):
    r"""The vanishing-gradient experiment: :math:`\|\partial h_T / \partial h_{T-k}\|` for a random RNN.

    Draws the parameters of an RNN with :math:`W_{hh}` of spectral radius
    :math:`\rho` (:func:`rnn_init`, bias 0) and ``batch_size`` input sequences
    :math:`x_t = s\,\varepsilon_t`, :math:`\varepsilon_t \sim N(0, I)`, runs it
    from :math:`h_0 = 0` and returns :func:`hidden_state_jacobian_norms`.

    Parameters
    ----------
    spectral_radius : float
        :math:`\rho \ge 0`, every singular value of :math:`W_{hh}` (:func:`recurrent_matrix`).
    steps : int
        :math:`T \ge 1`, the sequence length.
    rng : numpy.random.Generator
        Draws the parameters first (:func:`rnn_init` with one output), then the inputs.
    input_scale : float, default 1.0
        :math:`s \ge 0`; 0 keeps :math:`h_t = 0`, where :math:`g' = \max|g'|` for tanh.
    activation : {'tanh', 'sigmoid', 'relu'}, default 'tanh'
        :math:`g` of :func:`rnn_step`.
    hidden_size, input_size, batch_size : int, default 16, 4, 4
        :math:`H`, :math:`D` and :math:`N`, the number of sequences.

    Returns
    -------
    ndarray, shape (T + 1, N)
        Row ``k`` is :math:`\|\partial h_T / \partial h_{T-k}\|_2` for each sequence;
        row 0 is 1.

    Notes
    -----
    .. math::
        \frac{\partial h_T}{\partial h_{T-k}} = \prod_{s=T}^{T-k+1}
        \mathrm{diag}\bigl(g'(a_s)\bigr)\, W_{hh}, \qquad
        \Bigl\|\frac{\partial h_T}{\partial h_{T-k}}\Bigr\| \le (\max|g'|\,\rho)^k

    with :math:`a_s = W_{xh} x_s + W_{hh} h_{s-1}` and the latest step on the
    left. These are the numbers of
    :class:`lecturekit.explore.RNNGradientExplorer` for ``rng=default_rng(seed)``.

    References
    ----------
    Lecture 14 (003_59d733786b3f0eb6.txt), back-prop through time and vanishing
    gradients; Pascanu, Mikolov & Bengio (2013), section 2.

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> norms = rnn_jacobian_norms(0.5, steps=3, rng=default_rng(0), input_scale=0.0)
    >>> norms.shape                   # (T + 1, N)
    (4, 4)
    >>> norms[:, 0]                   # h stays 0, tanh'(0) = 1: exactly rho^k
    array([1.   , 0.5  , 0.25 , 0.125])
    """
    spectral_radius = check_real(spectral_radius, "spectral_radius", low=0)
    steps = check_int(steps, "steps", minimum=1)
    check_rng(rng)
    input_scale = check_real(input_scale, "input_scale", low=0)
    activation = _activation(activation)
    h = check_int(hidden_size, "hidden_size", minimum=1)
    d = check_int(input_size, "input_size", minimum=1)
    n = check_int(batch_size, "batch_size", minimum=1)
    p = rnn_init(d, h, 1, spectral_radius=spectral_radius, rng=rng)  # its v and c are unused
    xs = input_scale * rng.normal(size=(steps, n, d))  # (T, N, D)
    try:
        return hidden_state_jacobian_norms(xs, np.zeros((n, h)), p["w"], p["b"],
                                           activation=activation)
    except ValueError as exc:  # say it with this function's arguments
        raise ValueError(f"{exc} (here: spectral_radius = {spectral_radius:g}, steps = "
                         f"{steps}, input_scale = {input_scale:g})") from None

# ---------------------------------------------------------------- LSTM


def cell_state_update(c_prev, f, i, delta_c):
    r"""The LSTM's memory update :math:`C_t = f_t \odot C_{t-1} + i_t \odot \Delta C_t`.

    Parameters
    ----------
    c_prev : ndarray, shape (N, H)
        :math:`C_{t-1}`.
    f, i : ndarray, shape (N, H)
        The forget and input gates, in [0, 1].
    delta_c : ndarray, shape (N, H)
        The candidate :math:`\Delta C_t` (PyTorch's :math:`g_t`).

    Returns
    -------
    ndarray, shape (N, H)
        :math:`C_t`.

    Notes
    -----
    In the special case :math:`f_t = i_t = 1` of Lecture 14 the update is
    additive, :math:`C_t = C_{t-1} + \Delta C_t`, so
    :math:`\partial C_t / \partial C_{t-1} = I`: like a residual connection
    (:math:`\partial x_{t+1}/\partial x_t = 1 + \partial f/\partial x_t`), the
    gradient passes through the memory undiminished however long the sequence.
    In general :math:`\partial C_t / \partial C_{t-1} = \mathrm{diag}(f_t)` along
    this path: the network learns how much to keep.

    References
    ----------
    Lecture 14 (003_59d733786b3f0eb6.txt), LSTM.

    Examples
    --------
    >>> one = np.ones((1, 2))
    >>> cell_state_update(np.array([[1.0, 2.0]]), one, one, np.array([[0.5, -0.5]]))
    array([[1.5, 1.5]])
    """
    c_prev = as_array(c_prev, "c_prev")
    shape = c_prev.shape
    f = check_shape(as_array(f, "f"), "f", shape, of="c_prev")
    i = check_shape(as_array(i, "i"), "i", shape, of="c_prev")
    delta_c = check_shape(as_array(delta_c, "delta_c"), "delta_c", shape, of="c_prev")
    return f * c_prev + i * delta_c


def _lstm_gates(x, h_prev, w, b):
    z = np.concatenate([x, h_prev], axis=1)  # (N, D + H)
    a = z @ w.T + b  # (N, 4H): pre-activations of i, f, g, o in PyTorch's order
    ai, af, ag, ao = np.split(a, 4, axis=1)  # each (N, H)
    # The unchecked sigmoid (activation_kernels): the public one's values, without its
    # conversion and finiteness pass, three times a step (the public functions check their
    # inputs once; an overflow inside is caught where the states are returned).
    return z, _SIGMOID(ai), _SIGMOID(af), np.tanh(ag), _SIGMOID(ao)


def _lstm_cell(x, h_prev, c_prev, w, b):
    """The step's h and C, and the gates (z, i, f, g, o) for the backward."""
    gates = _lstm_gates(x, h_prev, w, b)
    _, i, f, g, o = gates
    c = f * c_prev + i * g
    return o * np.tanh(c), c, gates


def _lstm_step(x, h_prev, c_prev, w, b):
    return _lstm_cell(x, h_prev, c_prev, w, b)[:2]


def _lstm_step_backward(dh, dc, x, h_prev, c_prev, w, b):
    _, c, (z, i, f, g, o) = _lstm_cell(x, h_prev, c_prev, w, b)
    tc = np.tanh(c)
    dc = dc + dh * o * (1 - tc**2)  # h = o tanh(C): C reaches the loss directly and via h
    do = dh * tc
    di, df, dg = dc * g, dc * c_prev, dc * i
    dc_prev = dc * f
    # back through the gate nonlinearities: sigma' = s(1 - s), tanh' = 1 - t^2
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2), do * o * (1 - o)],
                        axis=1)  # (N, 4H)
    dz = da @ w  # (N, D + H)
    d = x.shape[1]
    return dz[:, :d], dz[:, d:], dc_prev, da.T @ z, da.sum(axis=0)


def _lstm_step_inputs(x, h_prev, c_prev, w, b):
    x, h_prev, w, b = _step_inputs(x, h_prev, w, b, 4)
    c_prev = check_shape(as_array(c_prev, "c_prev"), "c_prev", h_prev.shape, of="h_prev")
    return x, h_prev, c_prev, w, b


def lstm_step(x, h_prev, c_prev, w, b):
    r"""One LSTM step: gates, memory update and output.

    Parameters
    ----------
    x : ndarray, shape (N, D)
        :math:`x_t`.
    h_prev, c_prev : ndarray, shape (N, H)
        :math:`h_{t-1}` and :math:`C_{t-1}`.
    w : ndarray, shape (4H, D + H)
        Row blocks ``i, f, g, o`` (PyTorch's order), acting on :math:`[x_t ; h_{t-1}]`.
    b : ndarray, shape (4H,)

    Returns
    -------
    h : ndarray, shape (N, H)
        :math:`h_t`.
    c : ndarray, shape (N, H)
        :math:`C_t`.

    Notes
    -----
    .. math::
        i_t = \sigma(w_i [x_t; h_{t-1}] + b_i), \quad
        f_t = \sigma(w_f [x_t; h_{t-1}] + b_f), \quad
        o_t = \sigma(w_o [x_t; h_{t-1}] + b_o),

        \Delta C_t = \tanh(w_g [x_t; h_{t-1}] + b_g), \quad
        C_t = f_t \odot C_{t-1} + i_t \odot \Delta C_t, \quad
        h_t = o_t \odot \tanh(C_t)

    Lecture 14 writes "Rectify" for the tanh of :math:`h_t`. This is exactly
    PyTorch's ``nn.LSTMCell`` (see the module docstring for the weight mapping).

    References
    ----------
    Lecture 14 (003_59d733786b3f0eb6.txt), LSTM.

    Examples
    --------
    >>> h, c = lstm_step(np.zeros((1, 2)), np.zeros((1, 3)), np.ones((1, 3)),
    ...                  np.zeros((12, 5)), np.zeros(12))
    >>> c  # f = i = sigma(0) = 1/2, Delta C = 0: half the memory is kept
    array([[0.5, 0.5, 0.5]])
    """
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is raised just below
        return _finite_lstm(_lstm_step(*_lstm_step_inputs(x, h_prev, c_prev, w, b)))


def lstm_step_backward(dh, dc, x, h_prev, c_prev, w, b):
    r"""Gradients of :func:`lstm_step`: ``(dx, dh_prev, dc_prev, dw, db)``.

    Parameters
    ----------
    dh, dc : ndarray, shape (N, H)
        :math:`\partial L/\partial h_t` and :math:`\partial L/\partial C_t` (the
        latter from the next step; zeros at the last).
    x, h_prev, c_prev, w, b
        The forward's inputs.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dh_prev, dc_prev : ndarray, shape (N, H)
    dw : ndarray, shape (4H, D + H)
    db : ndarray, shape (4H,)

    Notes
    -----
    :math:`\partial L/\partial C_t = \text{dc} + \text{dh} \odot o_t \odot (1 - \tanh^2 C_t)`,
    then :math:`\partial L/\partial C_{t-1} = \partial L/\partial C_t \odot f_t`:
    the memory path multiplies by the forget gate only, not by a weight matrix.
    """
    x, h_prev, c_prev, w, b = _lstm_step_inputs(x, h_prev, c_prev, w, b)
    dh = check_shape(as_array(dh, "dh"), "dh", h_prev.shape, of="h_prev")
    dc = check_shape(as_array(dc, "dc"), "dc", h_prev.shape, of="h_prev")
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is raised just below
        grads = _lstm_step_backward(dh, dc, x, h_prev, c_prev, w, b)
    for grad in grads:
        check_finite(grad, "the LSTM step's gradient", _LSTM_TOO_LARGE)
    return grads


def _lstm_inputs(xs, h0, c0, w, b):
    xs = _sequence(xs)
    h0 = _state(h0, "h0", xs.shape[1], "the batch of xs")
    c0 = check_shape(as_array(c0, "c0"), "c0", h0.shape, of="h0")
    w, b = _cell(w, b, xs.shape[2], h0.shape[1], 4, "xs", "h0")
    return xs, h0, c0, w, b


def _lstm_states(xs, h0, c0, w, b):
    hs = np.empty(xs.shape[:2] + (h0.shape[1],))  # (T, N, H)
    cs = np.empty_like(hs)
    h, c = h0, c0
    for t in range(xs.shape[0]):
        h, c = _lstm_step(xs[t], h, c, w, b)
        hs[t], cs[t] = h, c
    return hs, cs


# The fast path of lstm_forward and lstm_backward. The readable code above runs one
# checked-size step at a time: the input projection of each step is its own small
# product, the backward re-runs the forward (in _lstm_states, and again inside every
# _lstm_step_backward) and adds T small weight-gradient products. Here the input
# projection of all T steps is one product, the forward keeps its gates and tanh(C_t)
# for the backward, and dx and dW are single products over all steps. The same
# numbers up to rounding (tests: within 1e-12 of the readable code).

def _lstm_run(xs, h0, c0, w, b):
    """``hs, cs`` (T, N, H) and what the backward needs: the gates (T, N, 4H) and tanh(C_t)."""
    T, N, D = xs.shape
    H = h0.shape[1]
    # sigma(a) = (1 + tanh(a/2))/2: with the rows of the i, f, o gates halved (exact, a
    # power of two) one tanh of the (N, 4H) pre-activations gives all four gates
    sig = np.r_[0:2 * H, 3 * H:4 * H]
    w, b = w.copy(), b.copy()
    w[sig] *= 0.5
    b[sig] *= 0.5
    wx, wh_t = w[:, :D], np.ascontiguousarray(w[:, D:].T)
    # the input projection of every step at once, the bias on it: (T, N, 4H)
    gates = (xs.reshape(T * N, D) @ wx.T + b).reshape(T, N, 4 * H)
    hs = np.empty((T, N, H))
    cs = np.empty_like(hs)
    tcs = np.empty_like(hs)
    h, c = h0, c0
    for t in range(T):
        a = gates[t]
        a += h @ wh_t  # (N, 4H): pre-activations of i, f, g, o (i, f, o halved)
        np.tanh(a, out=a)
        a[:, :2 * H] *= 0.5
        a[:, :2 * H] += 0.5
        a[:, 3 * H:] *= 0.5
        a[:, 3 * H:] += 0.5
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        c = cs[t] = f * c + i * g
        tc = tcs[t] = np.tanh(c)
        h = hs[t] = o * tc
    return hs, cs, gates, tcs


LSTM_KEEP_BYTES = 8 * 2**20
"""lstm_forward keeps its gates for the next lstm_backward of the same inputs when they
take at most this many bytes (T = 50, N = 32, D = 32, H = 64: 6.3 MB); a larger run is
not kept, and its backward runs the forward again."""


class _LastForward(threading.local):
    """The last lstm_forward of this thread: copies of its inputs and its kept arrays."""

    inputs = None
    run = None


_last_forward = _LastForward()


def _kept_run(xs, h0, c0, w, b):
    """The kept forward of exactly these inputs (compared by value, so bit for bit the
    same as running it again), or None."""
    inputs = _last_forward.inputs
    if inputs is None or not all(a.shape == k.shape and np.array_equal(a, k)
                                 for a, k in zip((xs, h0, c0, w, b), inputs, strict=True)):
        return None
    return _last_forward.run


def _keep_run(inputs, run):
    if sum(a.nbytes for a in run) + sum(a.nbytes for a in inputs) > LSTM_KEEP_BYTES:
        _last_forward.inputs = _last_forward.run = None
        return
    _last_forward.inputs = tuple(a.copy() for a in inputs)
    _last_forward.run = run


def _lstm_bptt(dhs, xs, h0, c0, w, hs, cs, gates, tcs):
    T, N, D = xs.shape
    H = h0.shape[1]
    wh = w[:, D:]
    das = np.empty_like(gates)  # (T, N, 4H): gradients of the pre-activations
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(T)):
        a = gates[t]
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        c_prev = cs[t - 1] if t > 0 else c0
        tc = tcs[t]
        dh = dhs[t] + dh_next
        dc = dc_next + dh * o * (1 - tc**2)  # h = o tanh(C): C reaches the loss directly and via h
        da = das[t]
        da[:, :H] = dc * g * i * (1 - i)
        da[:, H:2 * H] = dc * c_prev * f * (1 - f)
        da[:, 2 * H:3 * H] = dc * i * (1 - g**2)
        da[:, 3 * H:] = dh * tc * o * (1 - o)
        dc_next = dc * f
        dh_next = da @ wh
    da2 = das.reshape(T * N, 4 * H)
    dxs = (da2 @ w[:, :D]).reshape(T, N, D)
    h_prev = np.concatenate([h0[None], hs[:-1]]).reshape(T * N, H)
    dw = np.concatenate([da2.T @ xs.reshape(T * N, D), da2.T @ h_prev], axis=1)
    return dxs, dh_next, dc_next, dw, da2.sum(axis=0)


def _lstm_backward_readable(dhs, xs, h0, c0, w, b):
    """The step-by-step BPTT that :func:`lstm_backward` computes (the reference of its tests)."""
    hs, cs = _lstm_states(xs, h0, c0, w, b)
    dxs = np.empty_like(xs)
    dw, db = np.zeros_like(w), np.zeros_like(b)
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(xs.shape[0])):
        h_prev, c_prev = (hs[t - 1], cs[t - 1]) if t > 0 else (h0, c0)
        dxs[t], dh_next, dc_next, dw_t, db_t = _lstm_step_backward(
            dhs[t] + dh_next, dc_next, xs[t], h_prev, c_prev, w, b)
        dw += dw_t
        db += db_t
    return dxs, dh_next, dc_next, dw, db


def lstm_forward(xs, h0, c0, w, b):
    r"""Run an LSTM over a sequence.

    Parameters
    ----------
    xs : ndarray, shape (T, N, D)
        Time-major inputs.
    h0, c0 : ndarray, shape (N, H)
        :math:`h_0, C_0`.
    w : ndarray, shape (4H, D + H)
        Row blocks ``i, f, g, o``.
    b : ndarray, shape (4H,)

    Returns
    -------
    hs : ndarray, shape (T, N, H)
        ``hs[t - 1]`` is :math:`h_t` (PyTorch's ``nn.LSTM`` output).
    cs : ndarray, shape (T, N, H)
        ``cs[t - 1]`` is :math:`C_t`.

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> w, b = lstm_init(2, 3, rng=default_rng(0))
    >>> hs, cs = lstm_forward(np.ones((4, 1, 2)), np.zeros((1, 3)), np.zeros((1, 3)), w, b)
    >>> hs.shape
    (4, 1, 3)
    """
    inputs = _lstm_inputs(xs, h0, c0, w, b)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is raised just below
        run = _finite_lstm(_lstm_run(*inputs))
    _keep_run(inputs, run)
    return run[0].copy(), run[1].copy()  # copies: the kept ones must not change


def lstm_backward(dhs, xs, h0, c0, w, b):
    r"""Back-propagation through time for :func:`lstm_forward`.

    Parameters
    ----------
    dhs : ndarray, shape (T, N, H)
        :math:`\partial L / \partial h_t` for every step.
    xs, h0, c0, w, b
        The forward's inputs.

    Returns
    -------
    dxs : ndarray, shape (T, N, D)
    dh0, dc0 : ndarray, shape (N, H)
    dw : ndarray, shape (4H, D + H)
    db : ndarray, shape (4H,)

    Notes
    -----
    Two paths carry the gradient back in time: through :math:`h` (a weight
    matrix and squashing derivatives at every step, as in the vanilla RNN) and
    through the memory, :math:`\partial L/\partial C_{t-1} \mathrel{+}=
    f_t \odot \partial L/\partial C_t`, which only multiplies by the forget
    gate: with :math:`f_t \approx 1` it does not vanish.

    The forward's gates are needed here. When :func:`lstm_forward` was just called
    with the same inputs (compared by value), the gates it kept are used instead of
    running the forward again; otherwise the forward runs once, inside this call.

    References
    ----------
    Lecture 14 (003_59d733786b3f0eb6.txt), LSTM as the "solution" to vanishing
    gradients in back-prop through time.
    """
    xs, h0, c0, w, b = _lstm_inputs(xs, h0, c0, w, b)
    dhs = check_shape(as_array(dhs, "dhs"), "dhs", xs.shape[:2] + h0.shape[1:],
                      of="the steps and batch of xs and H of h0")
    run = _kept_run(xs, h0, c0, w, b)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is raised just below
        grads = _lstm_bptt(dhs, xs, h0, c0, w, *(run or _finite_lstm(_lstm_run(xs, h0, c0, w, b))))
    for grad in grads:
        check_finite(grad, "the LSTM's gradient through time", _LSTM_TOO_LARGE)
    return grads


def lstm_init(input_size, hidden_size, *, rng, forget_bias=1.0):
    r"""Initial LSTM parameters ``(w, b)``: PyTorch's uniform init, with a forget-gate bias.

    Parameters
    ----------
    input_size, hidden_size : int
        :math:`D, H`.
    rng : numpy.random.Generator
    forget_bias : float, default 1.0
        Added to the forget gate's block of ``b``: :math:`f_t = \sigma(\cdot + b_f)`
        starts near :math:`\sigma(1) \approx 0.73`, so the memory is kept by
        default (Gers et al. 2000; Jozefowicz, Zaremba & Sutskever 2015).
        PyTorch's own default is 0 (:math:`f \approx 0.5`).

    Returns
    -------
    w : ndarray, shape (4H, D + H)
        :math:`U(-1/\sqrt H, 1/\sqrt H)` entries, as ``nn.LSTM`` initialises.
    b : ndarray, shape (4H,)
        Zeros except ``forget_bias`` in rows ``H:2H``.
    """
    d = check_int(input_size, "input_size", minimum=1)
    h = check_int(hidden_size, "hidden_size", minimum=1)
    forget_bias = check_real(forget_bias, "forget_bias")
    check_rng(rng)
    bound = 1 / np.sqrt(h)
    w = rng.uniform(-bound, bound, size=(4 * h, d + h))
    b = np.zeros(4 * h)
    b[h:2 * h] = forget_bias  # the f block of (i, f, g, o)
    return w, b


def lstm_weights_from_pytorch(weight_ih, weight_hh, bias_ih, bias_hh):
    r"""Convert a PyTorch ``nn.LSTM`` layer's parameters to lecturekit's ``(w, b)``.

    Parameters
    ----------
    weight_ih : ndarray, shape (4H, D)
        ``weight_ih_l0``.
    weight_hh : ndarray, shape (4H, H)
        ``weight_hh_l0``.
    bias_ih, bias_hh : ndarray, shape (4H,)
        ``bias_ih_l0``, ``bias_hh_l0``.

    Returns
    -------
    w : ndarray, shape (4H, D + H)
        ``concat([weight_ih, weight_hh], axis=1)``; both use the gate order
        ``(i, f, g, o)``, so no rows move.
    b : ndarray, shape (4H,)
        ``bias_ih + bias_hh`` (PyTorch keeps two biases where one suffices).
    """
    weight_ih = as_array(weight_ih, "weight_ih", ndim=2)
    rows = weight_ih.shape[0]
    if rows % 4 or rows == 0:
        raise ValueError(f"weight_ih must have 4H rows, H >= 1 (the i, f, g, o blocks), got {rows}")
    h = rows // 4
    weight_hh = check_shape(as_array(weight_hh, "weight_hh"), "weight_hh", (rows, h),
                            of="the 4H rows of weight_ih")
    bias_ih = check_shape(as_array(bias_ih, "bias_ih"), "bias_ih", (rows,),
                          of="the 4H rows of weight_ih")
    bias_hh = check_shape(as_array(bias_hh, "bias_hh"), "bias_hh", (rows,),
                          of="the 4H rows of weight_ih")
    return np.concatenate([weight_ih, weight_hh], axis=1), bias_ih + bias_hh


def memory_retention(forget_bias, *, steps, rng, hidden_size=16, input_size=4, batch_size=8,
                     weight_std=0.5):
    r"""How much of :math:`C_0` is still in :math:`C_t`: :math:`\prod_{s \le t} f_s`, averaged.

    Parameters
    ----------
    forget_bias : float
        :math:`b_f`, the forget gate's bias.
    steps : int
        :math:`T`.
    rng : numpy.random.Generator
        Draws the weights (normal, std ``weight_std``) and the inputs (standard normal).
    hidden_size, input_size, batch_size : int, default 16, 4, 8
    weight_std : float, default 0.5
        Standard deviation of the random weights (0: the gates are constant).

    Returns
    -------
    ndarray, shape (T + 1,)
        Entry ``t`` is the mean over units and sequences of
        :math:`\prod_{s=1}^{t} f_s`; entry 0 is 1.

    Notes
    -----
    Unrolling :math:`C_t = f_t \odot C_{t-1} + i_t \odot \Delta C_t` gives
    :math:`C_T = \bigl(\prod_{s=1}^T f_s\bigr) \odot C_0 + \dots`: the product of
    forget gates is the share of :math:`C_0` carried to step :math:`T` (and the
    factor the memory path multiplies a gradient by on its way back). With
    constant gates (``weight_std=0``) it is :math:`\sigma(b_f)^T`: half-life
    :math:`\ln 2 / -\ln\sigma(b_f)` steps, 1 step at :math:`b_f = 0`, about
    2 at :math:`b_f = 1`, 14 at :math:`b_f = 3`.

    Examples
    --------
    >>> from lecturekit.rng import default_rng
    >>> r = memory_retention(0.0, steps=3, rng=default_rng(0), weight_std=0.0)
    >>> r.tolist()
    [1.0, 0.5, 0.25, 0.125]
    """
    forget_bias = check_real(forget_bias, "forget_bias")
    steps = check_int(steps, "steps", minimum=0)
    h = check_int(hidden_size, "hidden_size", minimum=1)
    d = check_int(input_size, "input_size", minimum=1)
    n = check_int(batch_size, "batch_size", minimum=1)
    weight_std = check_real(weight_std, "weight_std", low=0)
    check_rng(rng)
    w = weight_std * rng.normal(size=(4 * h, d + h))
    b = np.zeros(4 * h)
    b[h:2 * h] = forget_bias
    xs = rng.normal(size=(steps, n, d))
    hidden, c = np.zeros((n, h)), np.zeros((n, h))
    kept = np.ones((n, h))
    out = np.empty(steps + 1)
    out[0] = 1.0
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is raised just below
        for t in range(steps):
            hidden, c, (_, _, f, _, _) = _lstm_cell(xs[t], hidden, c, w, b)
            kept = kept * f
            out[t + 1] = kept.mean()
    check_finite(out, "the kept fraction", "weight_std or forget_bias is too large")
    return out
