r"""Gradients through time: the vanilla RNN's vanishing Jacobians, the LSTM's memory (Lecture 14).

:class:`RNNGradientExplorer` draws :math:`\|\partial h_T/\partial h_t\|` against
the distance :math:`T - t` for an RNN :math:`h_t = g(W_{xh} x_t + W_{hh} h_{t-1})`
whose recurrent weight has spectral radius :math:`\rho`
(:func:`lecturekit.rnn.rnn_jacobian_norms`), with the bound
:math:`(\max|g'|\,\rho)^{T-t}`; :math:`g` is tanh, the sigmoid or ReLU (the
lecture's "Rectify: ReLU sigmoid"). What to look for: for tanh, below
:math:`\rho = 1` the norm falls geometrically; with no input it sits exactly on
the bound (tanh' = 1 at 0); inputs push the tanh into saturation and the
gradient vanishes faster, even for :math:`\rho > 1` — "suffer gradient
vanishing in back-prop through time". The sigmoid's :math:`\sigma' \le 1/4`
makes it vanish unless :math:`\rho > 4`; ReLU does not saturate (ReLU' is 0
or 1), so its gradient grows or shrinks with :math:`\rho` and the share of
active units.

:class:`LSTMMemoryExplorer` draws the share of the memory :math:`C_0` still in
:math:`C_t`, :math:`\prod_{s \le t} f_s` averaged over units and sequences
(:func:`lecturekit.rnn.memory_retention`), against :math:`t`, for a forget-gate
bias :math:`b_f`; beside it the constant-gate value :math:`\sigma(b_f)^t` and
the tanh RNN's :math:`\|\partial h_T/\partial h_{T-t}\|` (a loss at step T = 100). The same product is
the factor by which the memory path multiplies a gradient on its way back.
What to look for: raising :math:`b_f` opens the forget gate (:math:`f \to 1`,
the special case :math:`C_t = C_{t-1} + \Delta C_t`) and the memory lasts
tens to hundreds of steps, where the RNN's gradient is gone after a few.
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from ..activations import sigmoid
from ..rng import default_rng
from ..rnn import (
    MAX_DERIVATIVE,
    RNN_ACTIVATIONS,
    memory_retention,
    rnn_jacobian_norms,
)
from ._axes import (
    FONT,
    TextLines,
    fmt,
    gradient_axes,
    log_axis,
    log_range,
    range_states,
    show_log_range,
)
from ._controls import Choice, Slider
from ._explorer import Explorer, register

STEPS_MAX = 100
HIDDEN, INPUT, SEQUENCES = 16, 4, 4  # rnn_jacobian_norms's defaults: H, D and N
LSTM_SEQUENCES = 8  # memory_retention's default batch_size: the explorer shows what it returns
MEMORY_RANGE = (1e-10, 3.0)
_RNN, _LSTM = "#d62728", "#1f77b4"


def _jacobian_norms(radius, steps, input_scale, seed, activation="tanh"):
    """:func:`lecturekit.rnn.rnn_jacobian_norms` for the explorer's RNN, shape (T + 1, SEQUENCES)."""
    return rnn_jacobian_norms(radius, steps=steps, rng=default_rng(seed), input_scale=input_scale,
                              activation=activation, hidden_size=HIDDEN, input_size=INPUT,
                              batch_size=SEQUENCES)


def _geometric_mean(norms):
    with np.errstate(divide="ignore"):  # a norm of exactly 0 gives a mean of 0
        return np.exp(np.mean(np.log(norms), axis=1))


def _half_life(curve):
    """The first step at which ``curve`` has fallen to 1/2 or below, or None."""
    below = np.flatnonzero(curve <= 0.5)
    return int(below[0]) if below.size else None


@register
class RNNGradientExplorer(Explorer):
    """The vanilla RNN's gradient norm ||∂h_T/∂h_t|| against T − t, for a spectral radius."""

    controls = {
        "activation": Choice(RNN_ACTIVATIONS, "tanh", "rectify g"),
        "radius": Slider(0.5, 2.0, 0.05, 0.9, "spectral radius ρ of W_hh"),
        "input_scale": Slider(0.0, 2.0, 0.1, 0.5, "input scale"),
        "steps": Slider(10, STEPS_MAX, 10, 60, "sequence length T"),
        "seed": Slider(0, 20, 1, 0, "seed"),
    }
    figsize = (9.3, 4.4)

    def prerender(self):
        return range_states(self.ax)

    def build(self, fig):
        ax = self.ax = gradient_axes(fig, STEPS_MAX, "distance in time  T − t")
        self.sequences = [ax.plot([], [], color=_RNN, lw=1, alpha=0.35)[0]
                          for _ in range(SEQUENCES)]
        (self.mean,) = ax.plot([], [], color=_RNN, lw=3)
        (self.bound,) = ax.plot([], [], color="black", lw=1.5, ls="--")
        proxies = [Line2D([], [], color=_RNN, lw=3), Line2D([], [], color=_RNN, lw=1, alpha=0.5),
                   Line2D([], [], color="black", lw=1.5, ls="--")]
        ax.legend(proxies, ["geometric mean", "each sequence",
                            r"bound $(\max|g'|\,\rho)^{T-t}$"],
                  loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=FONT - 1, frameon=False)
        fig.text(0.08, 0.86, r"$\|\partial h_T / \partial h_t\|$,   "
                 r"$h_t = g(W_{xh} x_t + W_{hh} h_{t-1})$", fontsize=FONT + 2)
        self.numbers = TextLines(fig, 0.655, 0.55, 6, fontsize=FONT - 1)

    def compute(self, *, activation, radius, input_scale, steps, seed):
        norms = self.memo((activation, radius, input_scale, steps, seed),
                          lambda: _jacobian_norms(radius, steps, input_scale, seed, activation))
        lag = np.arange(steps + 1)
        mean = _geometric_mean(norms)
        g_max = MAX_DERIVATIVE[activation]
        bound = (g_max * radius) ** lag.astype(float)
        return {"lag": lag, "norms": norms, "mean": mean, "bound": bound,
                "range": log_range(norms),
                "activation": activation, "max_derivative": g_max,
                "radius": radius, "input_scale": input_scale, "steps": steps,
                "at_10": float(mean[min(10, steps)]), "at_T": float(mean[-1])}

    def draw(self, r):
        clip = show_log_range(self.ax, r["range"])
        for k, line in enumerate(self.sequences):
            line.set_data(r["lag"], clip(r["norms"][:, k]))
        self.mean.set_data(r["lag"], clip(r["mean"]))
        self.bound.set_data(r["lag"], clip(r["bound"]))
        steps = r["steps"]
        g_max = "1/4" if r["max_derivative"] == 0.25 else f"{r['max_derivative']:g}"
        self.numbers.set_text(f"g = {r['activation']}, max|g'| = {g_max}\n"
                              f"ρ = {r['radius']:.2f}, input scale {r['input_scale']:.1f}\n\n"
                              f"T − t   norm    bound\n"
                              f"{min(10, steps):5d}  {fmt(r['at_10']):>7s}  "
                              f"{fmt(r['bound'][min(10, steps)]):>7s}\n"
                              f"{steps:5d}  {fmt(r['at_T']):>7s}  {fmt(r['bound'][-1]):>7s}")


@register
class LSTMMemoryExplorer(Explorer):
    """How much of :math:`C_0` an LSTM keeps after t steps, against its forget-gate bias."""

    controls = {
        "forget_bias": Slider(-2.0, 6.0, 0.5, 3.0, "forget-gate bias b_f"),
        "steps": Slider(10, STEPS_MAX, 10, STEPS_MAX, "steps T"),
        "weight_std": Slider(0.0, 1.0, 0.1, 0.5, "LSTM weight std"),
        "radius": Slider(0.5, 1.5, 0.05, 1.0, "RNN: spectral radius ρ"),
        "seed": Slider(0, 20, 1, 0, "seed"),
    }
    figsize = (9.3, 4.4)

    def build(self, fig):
        ax = self.ax = fig.add_axes((0.08, 0.13, 0.55, 0.64))
        log_axis(ax, MEMORY_RANGE)
        ax.set_xlim(0, STEPS_MAX)
        ax.set_xlabel("steps t", fontsize=FONT)
        ax.tick_params(labelsize=FONT - 2)
        ax.grid(alpha=0.3)
        ax.axhline(0.5, color="0.5", lw=1, ls=":")
        (self.lstm,) = ax.plot([], [], color=_LSTM, lw=3,
                               label=r"LSTM: $\prod_{s \leq t} f_s$ (share of $C_0$ kept)")
        (self.constant,) = ax.plot([], [], color=_LSTM, lw=1.5, ls="--",
                                   label=r"constant gates: $\sigma(b_f)^t$")
        (self.rnn,) = ax.plot([], [], color=_RNN, lw=3,
                              label=r"tanh RNN: $\|\partial h_T / \partial h_{T-t}\|$")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=FONT - 2, frameon=False)
        fig.text(0.08, 0.86, r"$C_t = f_t \odot C_{t-1} + i_t \odot \Delta C_t$,   "
                 r"$f_t = \sigma(w_f [x_t; h_{t-1}] + b_f)$", fontsize=FONT + 2)
        self.numbers = TextLines(fig, 0.655, 0.52, 9, fontsize=FONT - 1)
        fig.text(0.99, 0.01, "values below the axis are not drawn", ha="right",
                 fontsize=FONT - 4, color="0.4")

    def compute(self, *, forget_bias, steps, weight_std, radius, seed):
        # Both over STEPS_MAX steps, cut at `steps`: moving T costs nothing. The cut is exact
        # for the LSTM (its first `steps` steps are a run of `steps` steps: the inputs are
        # drawn in order); the RNN curve is that of a loss at step STEPS_MAX.
        kept = self.memo(("lstm", forget_bias, weight_std, seed),
                         lambda: memory_retention(forget_bias, steps=STEPS_MAX,
                                                  rng=default_rng(seed), hidden_size=HIDDEN,
                                                  input_size=INPUT, batch_size=LSTM_SEQUENCES,
                                                  weight_std=weight_std))[:steps + 1]
        rnn = self.memo(("rnn", radius, seed),
                        lambda: _geometric_mean(_jacobian_norms(radius, STEPS_MAX, 1.0, seed))
                        )[:steps + 1]
        t = np.arange(steps + 1)
        f = float(sigmoid(np.array(forget_bias)))
        return {"t": t, "lstm": kept, "constant": f ** t.astype(float), "rnn": rnn,
                "sigma_bf": f, "forget_bias": forget_bias, "weight_std": weight_std,
                "radius": radius, "steps": steps,
                "half_life_lstm": _half_life(kept), "half_life_rnn": _half_life(rnn)}

    def draw(self, r):
        lo, hi = MEMORY_RANGE
        # Below the axis: not drawn (log scale of a clipped value would be a flat line).
        for line, y in ((self.lstm, r["lstm"]), (self.constant, r["constant"]),
                        (self.rnn, r["rnn"])):
            line.set_data(r["t"], np.minimum(np.nan_to_num(y, nan=hi, posinf=hi), hi))
        def half(v):
            return f"{v} step{'s' * (v != 1)}" if v is not None else f"> {r['steps']}"

        self.numbers.set_text(f"b_f = {r['forget_bias']:.1f}: σ(b_f) = {r['sigma_bf']:.3f}\n"
                              f"weight std {r['weight_std']:.1f}, RNN ρ = {r['radius']:.2f}\n\n"
                              f"half-life\n  LSTM  {half(r['half_life_lstm'])}\n"
                              f"  RNN   {half(r['half_life_rnn'])}\n"
                              f"after t = {r['steps']}\n  LSTM  {fmt(r['lstm'][-1])}\n"
                              f"  RNN   {fmt(r['rnn'][-1])}")
