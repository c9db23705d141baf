r"""Plain against residual stacks: each layer's gradient norm at initialisation (Lecture 14).

Two stacks of L dense n → n layers with the same weights, the same input and
the same upstream gradient: plain, :math:`x_{l+1} = g(W_l x_l)`, and residual,
:math:`x_{l+1} = x_l + g(W_l x_l)`. The curves are
:math:`\|\partial L/\partial x_l\|` (or :math:`\|\partial L/\partial W_l\|_F`)
against the layer :math:`l`, from :func:`lecturekit.resnet.gradient_norms_by_depth`.

What to look for: with the sigmoid the plain stack's gradient falls by about
4 per layer, below 1e-60 at depth 100, while the residual one stays near its top
value (:math:`\partial x_{l+1}/\partial x_l = I + \partial f_l/\partial x_l`:
the identity keeps each factor near 1). The residual sum is not a cure-all:
with tanh, ReLU or no activation each block adds variance and the residual
gradient *grows* with depth, which is why real ResNets put batch norm inside
:math:`f_l` and scale its last layer. The *branch scale* control does the
latter: :math:`x_{l+1} = x_l + s\,g(W_l x_l)` with :math:`s = 1/\sqrt L` (or a
fixed 0.5, 0.2) keeps every factor near the identity, and the explosion stops.

The settings (batch of :data:`BATCH`) are
:func:`~lecturekit.resnet.gradient_norms_by_depth`'s defaults, so a call with
the same depth, width, activation, init and ``rng=default_rng(seed)`` gives the
explorer's numbers.
"""

from __future__ import annotations

import numpy as np

from ..resnet import gradient_norms_by_depth
from ..rng import default_rng
from ._axes import FONT, TextLines, fmt, gradient_axes, log_range, range_states, show_log_range
from ._controls import Choice, Slider
from ._explorer import Explorer, register

DEPTH_MAX = 100
BATCH = 32  # gradient_norms_by_depth's default batch_size
BRANCH_SCALES = {"1": lambda depth: 1.0, "0.5": lambda depth: 0.5, "0.2": lambda depth: 0.2,
                 "1/√L": lambda depth: 1.0 / np.sqrt(depth)}
"""The residual branch's scale s by name, as a function of the depth L."""
_PLAIN, _RESIDUAL = "#d62728", "#1f77b4"
_QUANTITY = {"input": (r"$\|\partial L / \partial x_l\|$", "input_grad"),
             "weight": (r"$\|\partial L / \partial W_l\|_F$", "weight_grad")}


@register
class ResNetExplorer(Explorer):
    """Gradient norm per layer at initialisation, plain against residual, for a depth."""

    controls = {
        "depth": Slider(1, DEPTH_MAX, 1, 50, "depth L", play=True),
        "width": Slider(8, 64, 8, 32, "width n"),
        "activation": Choice(("sigmoid", "tanh", "relu", "linear"), "sigmoid", "g"),
        "init": Choice(("xavier_normal", "kaiming_normal"), "xavier_normal", "init"),
        "quantity": Choice(tuple(_QUANTITY), "input", "gradient of"),
        "seed": Slider(0, 20, 1, 0, "seed"),
        "branch_scale": Choice(tuple(BRANCH_SCALES), "1", "branch scale s",
                               help="the residual stack is x_{l+1} = x_l + s g(W_l x_l): s = 1 is "
                                    "the plain sum, 1/√L keeps each block near the identity"),
    }
    figsize = (9.3, 4.4)

    def prerender(self):
        return range_states(self.ax)

    def build(self, fig):
        ax = self.ax = gradient_axes(fig, DEPTH_MAX, "layer l  (0 = input, L = output)")
        (self.plain,) = ax.plot([], [], color=_PLAIN, lw=2.5, label="plain: $x_{l+1} = g(W_l x_l)$")
        (self.residual,) = ax.plot([], [], color=_RESIDUAL, lw=2.5,
                                   label="residual: $x_{l+1} = x_l + s\\,g(W_l x_l)$")
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=FONT - 1, frameon=False)
        self.ylabel = fig.text(0.08, 0.86, "", fontsize=FONT + 2)
        self.numbers = TextLines(fig, 0.655, 0.6, 7, fontsize=FONT - 1)
        fig.text(0.99, 0.01, "values beyond the axis are drawn on its edge", ha="right",
                 fontsize=FONT - 4, color="0.4")

    def _norms(self, depth, width, activation, init, seed, scale):
        """Both stacks' gradient norms, memoised: dragging back and forth computes once."""
        # The same seed for both: identical input, weights and upstream gradient.
        return self.memo((depth, width, activation, init, seed, scale), lambda: tuple(
            gradient_norms_by_depth(depth, width, residual=residual, rng=default_rng(seed),
                                    activation=activation, init=init, batch_size=BATCH,
                                    branch_scale=scale)
            for residual in (False, True)))

    def compute(self, *, depth, width, activation, init, quantity, seed, branch_scale):
        scale = BRANCH_SCALES[branch_scale](depth)
        plain, residual = self._norms(depth, width, activation, init, seed, scale)
        field = _QUANTITY[quantity][1]
        p, r = getattr(plain, field), getattr(residual, field)
        return {"layer": np.arange(len(p)), "plain": p, "residual": r, "quantity": quantity,
                "depth": depth, "activation": activation, "init": init, "range": log_range(p, r),
                "scale": scale, "branch_scale": branch_scale,
                "first": (float(p[0]), float(r[0])), "last": (float(p[-1]), float(r[-1]))}

    def draw(self, r):
        clip = show_log_range(self.ax, r["range"])
        self.plain.set_data(r["layer"], clip(r["plain"]))
        self.residual.set_data(r["layer"], clip(r["residual"]))
        self.ylabel.set_text(_QUANTITY[r["quantity"]][0] + "  at initialisation")
        first, last = ("x_0", "x_L") if r["quantity"] == "input" else ("W_0", "W_L-1")
        s = r["branch_scale"] + (f" = {r['scale']:.3g}" if "L" in r["branch_scale"] else "")
        lines = [f"L = {r['depth']}, g = {r['activation']},",
                 f"{r['init'].replace('_normal', '')} weights, s = {s}", "",
                 "norm at", f"{'':9s}{first:>8s}{last:>8s}"]
        for k, name in enumerate(("plain", "residual")):
            lines.append(f"{name:9s}{fmt(r['first'][k]):>8s}{fmt(r['last'][k]):>8s}")
        self.numbers.set_text("\n".join(lines))
