r"""Weight initialisation: the variance of the signal and of the gradient, layer by layer.

A batch of 32 inputs :math:`x \sim \mathcal{N}(0, 1)` goes through L dense n → n layers
(biases 0) and a unit-variance gradient comes back, as in
:func:`lecturekit.propagation.signal_propagation`, which computes every number drawn
here. Three panels against the layer l: the forward variance
:math:`\operatorname{Var}(a^l)` (and of the pre-activation :math:`z^l`), the
backward variance :math:`\operatorname{Var}(\partial L/\partial a^{l-1})`, and
the spread across the units of a layer, relative to their size: 0 when every
unit computes the same thing (zero or constant initialisation).

What to look for (MLP lecture, "Weight Initialization"): Kaiming with ReLU (or
leaky ReLU, slope :data:`SLOPE`) keeps :math:`\operatorname{Var}(z^l)` near 2, so
:math:`\mathbb{E}[(a^l)^2] \approx 1` and the plotted
:math:`\operatorname{Var}(a^l) \approx (1 - 1/\pi) \approx 0.68` for ReLU, and the
gradient's variance near 1; Xavier with tanh avoids the geometric collapse and
only decays slowly, like 1/(2l) (see :func:`~lecturekit.propagation.signal_propagation`);
Xavier with sigmoid shrinks the gradient by about 1/16 per layer; a fixed std
below :math:`1/\sqrt n` vanishes geometrically, one above explodes (ReLU, linear)
or saturates (tanh, sigmoid); zeros and constants leave every unit equal.

With the taper at 1 every layer is n → n, so :math:`n_\text{input} =
n_\text{output}`: LeCun and Xavier coincide and Kaiming's fan-in and fan-out modes
are the same. A taper :math:`n^L/n^0 \ne 1` makes the widths change geometrically
(from n down to taper × n, or up from n / taper to n: n is the widest layer).
Then He with ``fan_in`` keeps the forward variance and scales the gradient
reaching the input by :math:`n^L/n^0`, ``fan_out`` does the opposite, and Xavier
shares the change between the two passes.

Dotted lines: what the variance argument predicts
(:func:`lecturekit.propagation.expected_variances`, the recursion of the notes), the
mean over networks. One network of a few to 64 units wanders around it, and
narrow ReLU networks usually sit well below it: that is real, not an error.
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import Locator

from .._checks import check_int, check_positive
from ..init import weight_variance
from ..propagation import expected_variances, signal_propagation
from ..rng import default_rng
from ._axes import FONT, TextRow, fmt, set_lims
from ._controls import Choice, Slider, Toggle
from ._explorer import Explorer, register

DEPTH_MAX = 50
BATCH = 32
SEED = 0
FULL, ZOOM = (1e-30, 1e30), (1e-3, 1e3)
_TICKS = {FULL: [10.0**k for k in range(-30, 31, 10)], ZOOM: [10.0**k for k in range(-3, 4)]}
SPREAD = (1e-17, 10.0)


class _RangeTicks(Locator):
    """The ticks of :data:`_TICKS` for the axis's y-range (FULL or ZOOM).

    A locator, not ``set_yticks``: new tick lists would count as a changed decoration and
    throw away every cached background (a redraw, 0.1-0.6 s, on every click of *zoom*); a
    locator follows the limits, and each range keeps its own background.
    """

    def __call__(self):
        lo, hi = map(float, self.axis.get_view_interval())
        ticks = _TICKS.get((lo, hi))
        if ticks is None:  # not a range the explorer sets: the ticks of both inside it
            ticks = sorted(t for t in {*_TICKS[FULL], *_TICKS[ZOOM]} if lo <= t <= hi)
        return np.asarray(ticks)
SLOPE = 0.1
"""The negative slope a of ``leaky_relu`` (Kaiming then uses Var(w) = 2/((1 + a²) n))."""

# Each scheme as the lecture writes it (the std slider is also the constant c of 'constant').
_SCHEMES = {
    "zeros": "$w = 0$",
    "constant": "$w = c$",
    "normal": r"$w \sim \mathcal{N}(0, \mathrm{std}^2)$",
    "lecun_normal": r"LeCun: $\mathrm{Var}(w) = 1/n_{in}$",
    "xavier_normal": r"Xavier: $\mathrm{Var}(w) = 2/(n_{in} + n_{out})$",
    "kaiming_normal": r"He: $\mathrm{Var}(w) = 2/n_{in}$",
}
_KAIMING = {  # (mode, leaky)
    ("fan_in", False): _SCHEMES["kaiming_normal"],
    ("fan_out", False): r"He, fan-out: $\mathrm{Var}(w) = 2/n_{out}$",
    ("fan_in", True): r"He: $\mathrm{Var}(w) = 2/((1 + a^2)\,n_{in})$",
    ("fan_out", True): r"He, fan-out: $\mathrm{Var}(w) = 2/((1 + a^2)\,n_{out})$",
}
TAPERS = (0.125, 0.25, 0.5, 1, 2, 4, 8)


def layer_widths(width, taper, depth):
    """n^0, ..., n^L in geometric progression with n^L / n^0 = taper, the widest being ``width``
    (rounded, at least 1): a network that widens ends at ``width`` rather than beyond it, which
    keeps every redraw as cheap as the square network's."""
    width = check_int(width, "width", minimum=1)
    taper = check_positive(taper, "taper")
    depth = check_int(depth, "depth", minimum=1)
    first, last = (width, width * taper) if taper <= 1 else (width / taper, width)
    return np.maximum(1, np.geomspace(first, last, depth + 1).round()).astype(int)


@register
class InitExplorer(Explorer):
    """Per-layer variance of activations and gradients, and the spread across units."""

    controls = {
        "init": Choice(tuple(_SCHEMES), "normal", "init"),
        "activation": Choice(("tanh", "sigmoid", "relu", "leaky_relu", "linear"), "tanh", "g"),
        "std": Slider(1e-3, 1.0, 0.125, 0.01, "std or c", log=True,
                      help="std of the 'normal' init, or the value c of the 'constant' init"),
        "depth": Slider(2, DEPTH_MAX, 1, 30, "depth L", play=True),
        "width": Choice((16, 32, 64), 64, "width n",
                        help="width n of the widest layer (the others follow the taper)"),
        "taper": Choice(TAPERS, 1, "taper n_L / n_0"),
        "mode": Choice(("fan_in", "fan_out"), "fan_in", "He's fan"),
        "zoom": Toggle(False, "zoom", help="zoom: the y axes from 1e-3 to 1e3"),
    }
    figsize = (9.3, 4.2)

    def inactive(self, params):
        notes = {}
        if params["init"] != "kaiming_normal":
            notes["mode"] = "acts under Kaiming (He)"
        if params["init"] not in ("normal", "constant"):
            notes["std"] = "acts under normal and constant"
        return notes

    def prerender(self):
        # The other y-range: the first click on *zoom* then costs a frame, not 0.3 s.
        return [{"zoom": not self.params["zoom"]}]

    def build(self, fig):
        left, width, gap = 0.075, 0.25, 0.075
        titles = (r"forward: Var($a^l$); Var($z^l$) dashed",
                  r"backward: Var($\partial L / \partial a^{l-1}$)",
                  "units: spread / size")
        self.axes = [fig.add_axes((left + k * (width + gap), 0.15, width, 0.55)) for k in range(3)]
        for ax, title in zip(self.axes, titles, strict=True):
            ax.set_yscale("log")
            ax.set_xlim(0, DEPTH_MAX + 1)
            ax.set_xlabel("layer l", fontsize=FONT)
            ax.set_title(title, fontsize=FONT - 2, loc="left")
            ax.tick_params(labelsize=FONT - 3)
            ax.grid(alpha=0.3)
        for ax in self.axes[:2]:
            ax.set_ylim(*FULL)
            ax.yaxis.set_major_locator(_RangeTicks())
            ax.axhline(1.0, color="0.5", lw=1, ls=":")
        self.axes[2].set_ylim(*SPREAD)
        self.axes[2].set_yticks([1e-16, 1e-12, 1e-8, 1e-4, 1.0])
        (self.fwd,) = self.axes[0].plot([], [], "-", color="#1f77b4", lw=2.5)
        (self.pre,) = self.axes[0].plot([], [], "--", color="#1f77b4", lw=1.5)
        (self.bwd,) = self.axes[1].plot([], [], "-", color="#d62728", lw=2.5)
        (self.fwd_expected,) = self.axes[0].plot([], [], ":", color="#0b3d66", lw=1.8)
        (self.bwd_expected,) = self.axes[1].plot([], [], ":", color="#6b0f10", lw=1.8)
        (self.fwd_spread,) = self.axes[2].plot([], [], "-", color="#1f77b4", lw=2.5)
        (self.bwd_spread,) = self.axes[2].plot([], [], "-", color="#d62728", lw=2.5)
        proxies = [Line2D([], [], color="#1f77b4", lw=2.5), Line2D([], [], color="#d62728", lw=2.5)]
        self.axes[2].legend(proxies, ["forward", "backward"], loc="center right",
                            fontsize=FONT - 3, framealpha=0.9)
        self.bwd_note = self.axes[1].text(0.5, 0.5, "", transform=self.axes[1].transAxes,
                                          ha="center", va="center", fontsize=FONT - 1,
                                          color="#b22222")
        # The scheme's mathtext changes only with the init; the numbers beside it are plain
        # text (re-parsing mathtext on every frame would cost tens of ms).
        self.scheme = fig.text(0.02, 0.925, "", fontsize=FONT + 2)
        # Lines in pieces (TextRow): a move re-renders the numbers it changes, not the line.
        self.weights = TextRow(fig, 0.02, 0.86, 10, fontsize=FONT)
        self.numbers = TextRow(fig, 0.02, 0.8, 12, fontsize=FONT - 1)
        fig.text(0.99, 0.01, "dotted: the value the variance argument predicts (mean field);"
                 "  values beyond an axis are drawn on its edge", ha="right",
                 fontsize=FONT - 4, color="0.4")

    def _signal(self, init, activation, std, depth, width, taper, mode):
        """signal_propagation and its expected values, memoised: dragging back and forth
        costs one computation."""
        mode = mode if init == "kaiming_normal" else "fan_in"
        key = (init, activation, std if init in ("normal", "constant") else None, depth, width,
               taper, mode)

        def compute():
            widths = layer_widths(width, taper, depth)
            s = signal_propagation(depth, widths, init=init, activation=activation,
                                   batch_size=BATCH, rng=default_rng(SEED), std=std, value=std,
                                   negative_slope=SLOPE, mode=mode)
            var_w = [weight_variance(init, (n_out, n_in), std=std, activation=activation,
                                     negative_slope=SLOPE, mode=mode)
                     for n_in, n_out in zip(widths[:-1], widths[1:], strict=True)]
            # The argument needs zero-mean weights: constant ones have no prediction.
            expected = None if init in ("zeros", "constant") else expected_variances(
                widths, var_w, activation=activation, negative_slope=SLOPE)
            return widths, s, var_w, expected

        return self.memo(key, compute)

    def compute(self, *, init, activation, std, depth, width, taper, mode, zoom):
        widths, s, var_w, expected = self._signal(init, activation, std, depth, width, taper,
                                                  mode)
        # Relative spread: std across units over the RMS of the layer (0/0 -> 0: all zero).
        with np.errstate(invalid="ignore", divide="ignore"):
            fwd_rms = np.sqrt(s.forward_var + s.forward_mean**2)
            bwd_rms = np.sqrt(s.backward_var + s.backward_mean**2)
            fwd_spread = np.where(fwd_rms > 0, s.forward_unit_std / fwd_rms, 0.0)
            bwd_spread = np.where(bwd_rms > 0, s.backward_unit_std / bwd_rms, 0.0)
        if init == "kaiming_normal":
            scheme = _KAIMING[(mode, activation == "leaky_relu")]
        else:
            scheme = _SCHEMES[init]
        nothing = np.full(depth, np.nan)
        return {"layer": np.arange(1, depth + 1), "forward_var": s.forward_var,
                "preact_var": s.preact_var, "backward_var": s.backward_var,
                "forward_spread": fwd_spread, "backward_spread": bwd_spread,
                "expected_forward_var": nothing if expected is None else expected[0],
                "expected_backward_var": nothing if expected is None else expected[2],
                "backward_computed": bool(np.all(np.isfinite(s.forward_var))),
                "units_equal": bool(np.max(np.nan_to_num(fwd_spread, nan=1.0)) < 1e-6),
                "widths": widths, "var_w": var_w[0],
                "gain": widths[0] * var_w[0], "gain_out": widths[1] * var_w[0],
                "init": init, "std": std, "scheme": scheme, "activation": activation,
                "zoom": zoom, "depth": depth}

    def draw(self, r):
        lo, hi = ZOOM if r["zoom"] else FULL
        for ax in self.axes[:2]:
            set_lims(ax, ylim=(lo, hi))  # the ticks follow (_RangeTicks)

        def clip(v, bounds=(lo, hi)):  # off-scale values run along the edge of the axes
            return np.clip(np.nan_to_num(v, nan=bounds[0], posinf=bounds[1]), *bounds)

        layer = r["layer"]
        self.fwd.set_data(layer, clip(r["forward_var"]))
        if np.all(np.isnan(r["expected_forward_var"])):
            self.fwd_expected.set_data([], [])
            self.bwd_expected.set_data([], [])
        else:
            self.fwd_expected.set_data(layer, clip(r["expected_forward_var"]))
            self.bwd_expected.set_data(layer, clip(r["expected_backward_var"]))
        self.pre.set_data(layer, clip(r["preact_var"]))
        self.fwd_spread.set_data(layer, clip(r["forward_spread"], SPREAD))
        if r["backward_computed"]:
            self.bwd.set_data(layer, clip(r["backward_var"]))
            self.bwd_spread.set_data(layer, clip(r["backward_spread"], SPREAD))
            self.bwd_note.set_text("")
        else:
            self.bwd.set_data([], [])
            self.bwd_spread.set_data([], [])
            self.bwd_note.set_text("the forward pass overflowed:\nno backward pass")
        self.scheme.set_text(r["scheme"])
        weights = {"normal": ("std = ", f"{r['std']:.3g}", ",   "),
                   "constant": ("c = ", f"{r['std']:.3g}", ",   ")}.get(r["init"], ())
        if r["activation"] == "leaky_relu":
            weights = ("a = ", f"{SLOPE}", ",   ") + weights
        widths = r["widths"]
        if r["init"] in ("zeros", "constant"):
            weights += ("every unit of a layer is the same",)
        elif widths[0] == widths[-1]:
            weights += ("n · Var(w) = ", f"{r['gain']:.3g}")
        else:  # layer 1's factors; a geometric taper gives every layer about the same
            weights += ("layer 1: n_in·Var(w) = ", f"{r['gain']:.3g}", ", n_out·Var(w) = ",
                        f"{r['gain_out']:.3g}")
        self.weights.set_pieces(*weights)
        last = r["depth"] - 1
        back = fmt(r["backward_var"][0]) if r["backward_computed"] else "—"
        equal = "all units equal" if r["units_equal"] else "units differ"
        shape = (("widths ", f"{widths[0]} → {widths[-1]}") if widths[0] != widths[-1]
                 else ("width ", f"{widths[0]}"))
        self.numbers.set_pieces(*shape, ";  layer L = ", str(r["depth"]), ":  Var(a) = ",
                                fmt(r["forward_var"][last]), ",  Var(z) = ",
                                fmt(r["preact_var"][last]), ";  layer 1: Var(∂L/∂x) = ", back,
                                f";  {equal}")
