r"""Optimiser trajectories on 2-D surfaces: GD, SGD, momentum, Nesterov and Adam.

Lecture 4, "2. Optimization": gradient descent :math:`w_{t+1} = w_t - \lambda g_t`,
momentum :math:`\mu_{t+1} = \gamma\mu_t - \lambda g_t`, :math:`w_{t+1} = w_t +
\mu_{t+1}` (optionally with :math:`\gamma` ramping from 0.5 to 0.9 over the
first :math:`T` steps, :math:`\gamma_t = 0.5 + 0.4\min(t, T)/T`: "γ change from
0.5 to 0.9 over iterations"; :math:`T` is the "ramp" control, default
:data:`RAMP`), Nesterov's look-ahead variant, and Adam. All five start from the same point of
one surface (an ill-conditioned quadratic, Rosenbrock's valley, Himmelblau's
four minima) and share the learning rate :math:`\lambda`; the "show" control
picks the pair drawn (or all five), so that a projected picture stays legible.

SGD needs a finite sum. Each surface :math:`f` is made one:
:math:`F(w) = \frac1N \sum_i (f(w) + \xi_i^T w)` with fixed offsets
:math:`\xi_i` of mean exactly zero, so :math:`F = f` and the minibatch
gradient is :math:`\nabla f(w) + \frac{1}{|I_k|}\sum_{i \in I_k} \xi_i`: the
full gradient plus noise that shrinks with the batch size and vanishes at
:math:`|I_k| = N` (then SGD is GD): :func:`lecturekit.objectives.noisy_finite_sum`.
The minibatches come from :func:`lecturekit.optim.minibatch_indices` with a fixed seed.

The methods run side by side (:func:`lecturekit.optim.run_side_by_side`). A
run that leaves a box ten times the size of the view (or stops being finite)
is stopped and flagged "diverged at step k"; its last point is clipped to that
box, so nothing non-finite is ever drawn.

The maths is in :mod:`lecturekit.optim` and :mod:`lecturekit.objectives`.
Adam's ε (default 1e-8, the notes' value) can be raised to 100: once it
dwarfs :math:`\sqrt{\hat V_t}`, Adam's step is :math:`-(\lambda/\epsilon)\hat m_t`,
gradient descent on the averaged gradient, and the per-coordinate scaling is gone.

Nesterov's path shows the look-ahead points :math:`w_t + \gamma\mu_t` that
:class:`lecturekit.optim.Nesterov` stores.

The quadratic is :math:`f(w) = \tfrac12(w_1^2 + \kappa w_2^2)` with the condition
number :math:`\kappa` on a slider (default :data:`KAPPA` = 20). The "right panel"
control (:data:`PANELS`) puts one of four pictures beside the paths, each with its
formula:

* *loss*: :math:`f(w_t)` per step and each method's final loss;
* *rate map*: the rate of momentum on the quadratic with the Hessian's
  eigenvalues :math:`h` (1 and :math:`\kappa`; on the other surfaces those of the
  Hessian at the minimum ★, by centred differences),
  :math:`\rho(\lambda, \gamma) = \max_h \rho(M(h))` with the iteration matrix
  :math:`M(h) = [[1 + \gamma - \lambda h, -\gamma], [1, 0]]`
  (:func:`lecturekit.optim.heavy_ball_rate`), over :math:`\lambda` (log scale,
  the λ slider's range) and :math:`\gamma`; grey where :math:`\rho > 1`, the edge
  :math:`\lambda h_{max} = 2(1 + \gamma)`, the critical-damping curves
  :math:`\gamma = (1 - \sqrt{\lambda h})^2` (:func:`lecturekit.optim.critical_momentum`),
  Polyak's best point ☆ (:func:`lecturekit.optim.heavy_ball_optimum`) and the
  current :math:`(\lambda, \gamma)` ● (under the ramp, the :math:`\gamma_t` of the last step);
* *weights*: :math:`\mu_{t+1} = -\lambda\sum_j \gamma^j g_{t-j}`, the bars
  :func:`lecturekit.optim.momentum_weights` for the γ slider, beside the notes'
  :math:`\gamma = 0.9` (:math:`\mu_2 = -\lambda(0.9 g_0 + g_1)`);
* *Adam*: :math:`m_t, \hat m_t` and :math:`\sqrt{V_t}, \sqrt{\hat V_t}` of
  Adam's run on the coordinate :math:`w_1` over its first :data:`ADAM_STEPS` steps
  (:func:`lecturekit.optim.adam_moments`), divided by the largest :math:`|g_t|`;
  Adam is run for it even when its path is not shown.

The γ slider acts on the rate map and the weights even when no momentum path is
shown, β1, β2 and ε on the Adam panel.

Speed: each method's run is cached under the hyperparameters it uses, so a
control recomputes only the methods it affects (β1, β2 and ε only Adam; T only the
momentum methods, and only while the ramp is on), fewer steps slice a longer
cached run, and the methods that do need a run step side by side with one
gradient call per step. The contour lines are computed once per
surface (contour sets cannot be updated in place; they are kept as the
segments of one ``LineCollection``), and every surface is rendered once at
construction so that its axes' background is cached before the first switch.
The contours and the rate map are cached per κ (about 2 ms each to compute), and
only the panel shown is computed. The panels share the axis limits (the renderer's
background cache key), so an empty axes' x-range encodes the panel: each panel
has its own cached background. The quadratic's formula names κ and its value is
a plain text beside it (a new mathtext string costs ~20 ms to parse).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache, partial

import matplotlib
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.ticker import LinearLocator

from .. import objectives, optim
from ..gradcheck import numerical_gradient
from ..rng import default_rng
from ..schedules import linear_ramp
from ._axes import FONT, set_lims
from ._controls import Choice, Slider, Toggle
from ._explorer import Explorer, register

STEPS_MAX = 100
"""Longest run: fixed, so the loss panel's axis never moves."""
RAMP = 50
"""Default ramp length T: steps over which γ goes from 0.5 to 0.9 (Lecture 4's values)."""
N_SAMPLES = 64
"""N, the number of terms of the finite sum behind SGD."""
METHODS = ("GD", "SGD", "momentum", "Nesterov", "Adam")
LOSS_LIM = (1e-8, 1e4)
"""The loss panel's range, the same for every surface (fixed axes keep their cached ticks)."""
# SGD in purple: grey (its colour before) vanished into the grey contour lines.
COLORS = dict(zip(METHODS, ("#1f77b4", "#9467bd", "#d62728", "#ff7f0e", "#2ca02c"), strict=True))
SHOW = {
    "GD vs momentum": ("GD", "momentum"),
    "momentum vs Nesterov": ("momentum", "Nesterov"),
    "GD vs SGD": ("GD", "SGD"),
    "GD vs Adam": ("GD", "Adam"),
    "all five": METHODS,
}
"""The methods run and drawn for each choice of the "show" control."""
_CACHE_SIZE = 256  # trajectories kept per explorer
KAPPA = 20
"""The quadratic's default condition number κ (its Hessian is diag(1, κ))."""
PANELS = ("loss", "rate map", "weights", "Adam")
"""What the right-hand panel shows: the loss per step (with the final losses), momentum's
(λ, γ) rate map, the weights γʲ of past gradients, or Adam's moments over the first steps."""
N_WEIGHTS = 20
"""Bars of the weights panel: γʲ for j = 0 ... N_WEIGHTS - 1."""
ADAM_STEPS = 25
"""Steps of the Adam panel: t = 1 ... ADAM_STEPS."""
RATE_LOG_LR = np.linspace(-4.0, 0.0, 161)
"""The rate map's columns: log10 λ over the λ slider's range."""
RATE_GAMMA = np.linspace(0.0, 0.99, 100)
"""The rate map's rows: γ over the γ slider's range."""


@dataclass(frozen=True)
class _Surface:
    """A 2-D objective with its view, start, minima and the scale of SGD's noise."""

    func: object  # w (..., 2) -> (value, grad)
    formula: str
    start: tuple
    xlim: tuple
    ylim: tuple
    minima: tuple
    levels: tuple  # (lowest, highest, count), log-spaced contour levels
    noise: float  # the spread of the offsets xi_i
    lr: float  # the default λ, set when the surface is chosen (a value of the λ slider's grid)


SURFACES = {
    "quadratic": _Surface(
        partial(objectives.quadratic, a=1.0, b=20.0),
        r"$f(w) = \frac{1}{2}(w_1^2 + 20\,w_2^2)$,  condition number κ = 20",
        (-4.5, 2.0), (-5.0, 5.0), (-3.0, 3.0), ((0.0, 0.0),), (0.02, 60.0, 12), 4.0,
        # The Hessian is diag(1, 20) everywhere: GD is stable for λ < 2/20 = 0.1. λ = 0.089
        # (10^-1.05) is just inside, so GD zig-zags across the valley while momentum converges.
        lr=0.0891251),
    "rosenbrock": _Surface(
        objectives.rosenbrock, r"$f(w) = (1 - w_1)^2 + 100\,(w_2 - w_1^2)^2$",
        (-1.2, 1.0), (-2.0, 2.0), (-1.0, 3.0), ((1.0, 1.0),), (0.02, 2000.0, 14), 20.0,
        # Largest Hessian eigenvalue 1002 at the minimum (1, 1): GD is stable there for
        # λ < 2/1002 = 0.0020, momentum for λ < 2(1 + γ)/1002. λ = 0.0020 (10^-2.7). At the
        # start the largest eigenvalue is 1506, but the first steps fall into the valley, where
        # it is smaller: no method diverges in 100 steps (at 0.0891 four of five did at once).
        lr=0.00199526),
    "himmelblau": _Surface(
        objectives.himmelblau, r"$f(w) = (w_1^2 + w_2 - 11)^2 + (w_1 + w_2^2 - 7)^2$",
        (-0.5, -0.5), (-6.0, 6.0), (-6.0, 6.0),
        ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848127)),
        (0.5, 800.0, 12), 10.0,
        # Largest Hessian eigenvalue at the four minima: 82, 81, 134, 105; λ = 0.01 (10^-2)
        # < 2/134 = 0.015 is stable at every one of them (the start is near the maximum, where
        # the Hessian is negative definite). GD reaches a minimum in 100 steps.
        lr=0.01),
}

_contours = {}  # (surface name, κ or None) -> contour segments: computed once per process


def _kappa(name, kappa):
    """κ where it matters (the quadratic), None for the other surfaces: part of a cache key."""
    return int(kappa) if name == "quadratic" else None


@lru_cache(maxsize=128)
def _surface(name, kappa=KAPPA):
    r"""The surface ``name``; the quadratic with condition number ``kappa``,
    :math:`f(w) = \tfrac12(w_1^2 + \kappa w_2^2)`."""
    s = SURFACES[name]
    if name != "quadratic":
        return s
    # The formula names κ, whose value is a plain text beside it: a new mathtext string
    # costs ~20 ms to parse, once per κ dragged through.
    return replace(s, func=s.func if kappa == KAPPA else
                   partial(objectives.quadratic, a=1.0, b=float(kappa)),
                   formula=r"$f(w) = \frac{1}{2}(w_1^2 + \kappa\,w_2^2)$,")


@lru_cache(maxsize=128)
def _curvatures(name, kappa=KAPPA):
    """The Hessian's eigenvalues (h_min, h_max): 1 and κ on the quadratic; elsewhere at the
    first minimum ★, by centred differences of the gradient (``lecturekit.gradcheck``)."""
    if name == "quadratic":
        return (1.0, float(kappa))
    s = SURFACES[name]
    w = np.array(s.minima[0])
    hess = np.stack([numerical_gradient(lambda v, i=i: float(s.func(v)[1][i]), [w.copy()])[0]
                     for i in range(2)])  # (2, 2): row i the gradient of df/dw_i
    h = np.linalg.eigvalsh((hess + hess.T) / 2)
    return (float(h[0]), float(h[1]))


@lru_cache(maxsize=128)
def _rate_map(curvatures):
    """Momentum's rate over the (log10 λ, γ) grid, shape (len(RATE_GAMMA), len(RATE_LOG_LR))."""
    lr, gamma = np.meshgrid(10.0 ** RATE_LOG_LR, RATE_GAMMA)  # (100, 161) each
    return optim.heavy_ball_rate(lr, gamma, np.array(curvatures))


def _contour_segments(name, kappa=KAPPA):
    """The contour lines of a surface at log-spaced levels, as LineCollection segments (cached)."""
    key = (name, _kappa(name, kappa))
    if key not in _contours:
        from contourpy import contour_generator  # a dependency of matplotlib

        s = _surface(name, _kappa(name, kappa) or KAPPA)
        x = np.linspace(*s.xlim, 161)
        y = np.linspace(*s.ylim, 161)
        X, Y = np.meshgrid(x, y)  # (161, 161) each
        Z = s.func(np.stack([X, Y], axis=-1))[0]
        gen = contour_generator(X, Y, Z)
        _contours[key] = [line for level in np.geomspace(*s.levels[:2], s.levels[2])
                          for line in gen.lines(level)]
    return _contours[key]


def _finite_sum(name, kappa=KAPPA):
    """The surface as SGD's finite sum: offsets xi_i of shape (N_SAMPLES, 2), mean zero."""
    s = _surface(name, kappa)
    return objectives.noisy_finite_sum(s.func, N_SAMPLES, noise=s.noise, rng=default_rng(7))


def _optimizer(method, *, lr, gamma, gamma_ramp, ramp, beta1, beta2, eps, batch):
    """A fresh lecturekit optimiser for ``method`` (SGD is GD on a noisy gradient)."""
    if method in ("GD", "SGD"):
        return optim.GD(lr)
    if method == "Adam":
        return optim.Adam(lr, beta1=beta1, beta2=beta2, eps=eps)
    g = linear_ramp(0.5, 0.9, steps=ramp) if gamma_ramp else gamma
    return (optim.Momentum if method == "momentum" else optim.Nesterov)(lr, gamma=g)


@register
class OptimizerExplorer(Explorer):
    """Optimisers from one start on one surface: paths over the contours, and loss per step."""

    controls = {
        "surface": Choice(tuple(SURFACES), "quadratic", "surface"),
        "compare": Choice(tuple(SHOW), "GD vs momentum", "show"),
        "panel": Choice(PANELS, "loss", "right panel",
                        help="the right-hand panel: the loss per step; momentum's rate map over "
                             "(λ, γ); the weights γʲ of past gradients; Adam's m_t, m̂_t, V_t, V̂_t"),
        "kappa": Slider(1, 100, 1, KAPPA, "κ (quadratic)",
                        help="condition number κ of the quadratic f = ½(w₁² + κ w₂²): "
                             "its Hessian's eigenvalues are 1 and κ"),
        "lr": Slider(1e-4, 1.0, 0.05, SURFACES["quadratic"].lr, "λ (learning rate)", log=True,
                     help="learning rate λ, shared by all five methods; choosing a surface sets "
                          "its own default (0.089, 0.0020, 0.01)"),
        "gamma": Slider(0.0, 0.99, 0.01, 0.5, "γ (momentum)"),
        "gamma_ramp": Toggle(False, "γ ramps 0.5 → 0.9",
                             help="γ ramps from 0.5 to 0.9 over the first T steps, "
                                  "γ_t = 0.5 + 0.4 min(t, T)/T (the γ slider is then ignored)"),
        "ramp": Slider(1, STEPS_MAX, 1, RAMP, "ramp length T",
                       help="ramp length T: the steps over which γ goes from 0.5 to 0.9"),
        "beta1": Slider(0.0, 0.99, 0.01, 0.9, "β1 (Adam)"),
        "beta2": Slider(0.9, 0.999, 0.001, 0.999, "β2 (Adam)"),
        "eps": Slider(1e-8, 100.0, 0.5, 1e-8, "ε (Adam)", log=True),
        "steps": Slider(1, STEPS_MAX, 1, 50, "steps", play=True),
        "batch": Slider(1, N_SAMPLES, 1, 8, "SGD batch |I_k|",
                        help=f"SGD's batch size |I_k| out of the N = {N_SAMPLES} terms of the sum "
                             f"(at {N_SAMPLES}, SGD is GD)"),
    }
    figsize = (9.3, 3.3)  # 330 px: with five rows of controls, within ~650 px at 1366×768

    def prerender(self):
        # Each surface has its own axis limits: switching then costs a frame. (The surfaces
        # are drawn, not computed: that would apply their λ and could not be undone.) Then
        # each right-hand panel on the default surface: 3 + 3 backgrounds (the renderer keeps up to 12).
        return ([partial(self._show_surface, name, KAPPA) for name in reversed(SURFACES)]
                + [partial(self._show_panel, p) for p in (*PANELS[1:], PANELS[0])])

    # -- each surface's own λ ----------------------------------------------------------
    def _surface_lr(self, params):
        """``params`` with the new surface's default λ if the surface changes and λ is not given."""
        surface = params.get("surface", self.params["surface"])
        # (a surface that is not one is left to update's check, which names the control)
        if isinstance(surface, str) and surface in SURFACES and \
                surface != self.params["surface"] and "lr" not in params:
            return {**params, "lr": SURFACES[surface].lr}
        return params

    def update(self, **params):
        """:meth:`Explorer.update`; choosing another surface without ``lr`` sets its default λ."""
        return super().update(**self._surface_lr(params))

    def peek(self, **params):
        """:meth:`Explorer.peek`; choosing another surface without ``lr`` uses its default λ."""
        return super().peek(**self._surface_lr(params))

    def inactive(self, params):
        shown = SHOW[params["compare"]]
        panel = params.get("panel", PANELS[0])
        notes = {}
        if not {"momentum", "Nesterov"} & set(shown) and panel not in PANELS[1:3]:
            notes.update(dict.fromkeys(("gamma", "gamma_ramp", "ramp"),
                                       "acts with momentum"))
        elif params["gamma_ramp"]:
            notes["gamma"] = "acts when the γ ramp is off"
        else:
            notes["ramp"] = "acts when the γ ramp is on"
        if "Adam" not in shown and panel != PANELS[3]:
            notes.update(dict.fromkeys(("beta1", "beta2", "eps"),
                                       "acts with Adam"))
        if "SGD" not in shown:
            notes["batch"] = "acts when SGD is shown"
        if params.get("surface", "quadratic") != "quadratic":
            notes["kappa"] = "acts on the quadratic"
        return notes

    def build(self, fig):
        self._runs = {}  # (method, surface, its hyperparameters) -> (path, diverged step)
        self._surface = None  # the surface whose contours are drawn
        self.ax = fig.add_axes((0.07, 0.14, 0.47, 0.63))
        self.ax.tick_params(labelsize=FONT - 3)
        for axis in (self.ax.xaxis, self.ax.yaxis):
            # Five ticks on every surface: a new tick would invalidate the cached backgrounds.
            axis.set_major_locator(LinearLocator(5))
        self.ax.set_xlabel("$w_1$", fontsize=FONT, labelpad=0)
        self.ax.set_ylabel("$w_2$", fontsize=FONT, labelpad=0)
        self.contours = LineCollection([], colors="0.6", linewidths=0.8)
        self.ax.add_collection(self.contours)
        (self.minima,) = self.ax.plot([], [], "*", color="black", ms=14, zorder=4)
        (self.start,) = self.ax.plot([], [], "s", color="black", ms=7, zorder=4)
        self.paths = {m: self.ax.plot([], [], "o-", color=c, lw=1.6, ms=3,
                                      zorder=2 if m == "SGD" else 3)[0]
                      for m, c in COLORS.items()}

        self.ax_loss = fig.add_axes((0.66, 0.52, 0.32, 0.25))
        self.ax_loss.set_yscale("log")
        self.ax_loss.set(xlim=(0, STEPS_MAX), ylim=LOSS_LIM)
        self.ax_loss.set_xlabel("step t", fontsize=FONT - 2, labelpad=0)
        self.ax_loss.set_ylabel("$f(w_t)$", fontsize=FONT - 1)
        self.ax_loss.tick_params(labelsize=FONT - 4)
        self.ax_loss.grid(alpha=0.3)
        self.losses = {m: self.ax_loss.plot([], [], color=c, lw=1.8)[0]
                       for m, c in COLORS.items()}
        # No legend: the table under the loss panel names each method shown, in its colour,
        # which leaves the top line to the hyperparameters.
        self.formula = fig.text(0.02, 0.925, "", fontsize=FONT + 2)
        self.formula_kappa = fig.text(0.224, 0.925, "", fontsize=FONT + 2)
        # One short text per number: a frame re-renders only the texts that changed, and
        # matplotlib renders text glyph by glyph.
        self.settings = [fig.text(x, 0.835, "", fontsize=FONT - 2)
                         for x in (0.02, 0.135, 0.22, 0.42, 0.51, 0.615)]
        self.header = fig.text(0.6, 0.40, "", fontsize=FONT - 1, va="top")
        self.rows = [fig.text(0.6, 0.335 - 0.065 * i, "", fontsize=FONT - 1, va="top",
                              family="monospace") for i in range(len(METHODS))]
        self._build_rate_map(fig)
        self._build_weights(fig)
        self._build_adam(fig)
        # The renderer caches a background per set of axis limits; the panels differ in which
        # axes are visible, not in limits. This empty axes' x-range is the panel's index, so
        # that each panel gets a background of its own.
        self._panel_key = fig.add_axes((0.0, 0.0, 0.001, 0.001))
        self._panel_key.set_axis_off()
        self._panel_key.patch.set_visible(False)
        self._panels = {  # panel -> (its axes, its figure texts)
            "loss": ([self.ax_loss], [self.header, *self.rows]),
            "rate map": ([self.ax_rate, self.ax_rate_bar], self.rate_texts),
            "weights": ([self.ax_w], self.weight_texts),
            "Adam": ([self.ax_m, self.ax_v], self.adam_texts),
        }
        self._panel = None
        self._rate_shown = None

    # -- the right-hand panels -------------------------------------------------------
    def _build_rate_map(self, fig):
        ax = self.ax_rate = fig.add_axes((0.672, 0.3, 0.255, 0.41))
        # The rate is the largest |z| over h, z an eigenvalue of [[1 + γ - λh, -γ], [1, 0]]
        ax.set_title(r"$\rho = \max_h |z|$:  $z^2 - (1 + \gamma - \lambda h)\,z + \gamma = 0$",
                     fontsize=FONT - 2, pad=4)
        ax.set(xlim=(RATE_LOG_LR[0], RATE_LOG_LR[-1]), ylim=(0, 1),
               xticks=[-4, -3, -2, -1, 0], yticks=[0, 0.5, 0.9])
        ax.set_xticklabels(["$10^{-4}$", "$10^{-3}$", "$10^{-2}$", "$10^{-1}$", "1"])
        ax.set_xlabel("λ", fontsize=FONT - 1, labelpad=0)
        ax.set_ylabel("γ", fontsize=FONT - 1, labelpad=3)
        ax.tick_params(labelsize=FONT - 4)
        cmap = matplotlib.colormaps["viridis"].with_extremes(over="0.88")
        step = (RATE_LOG_LR[1] - RATE_LOG_LR[0]) / 2, (RATE_GAMMA[1] - RATE_GAMMA[0]) / 2
        self.rate_image = ax.imshow(
            np.ones((2, 2)), cmap=cmap, vmin=0.0, vmax=1.0, origin="lower", aspect="auto",
            interpolation="nearest", extent=(RATE_LOG_LR[0] - step[0], RATE_LOG_LR[-1] + step[0],
                                             RATE_GAMMA[0] - step[1], RATE_GAMMA[-1] + step[1]))
        self.ax_rate_bar = fig.add_axes((0.94, 0.3, 0.012, 0.41))
        fig.colorbar(self.rate_image, cax=self.ax_rate_bar, extend="max")
        self.ax_rate_bar.tick_params(labelsize=FONT - 4)
        (self.rate_edge,) = ax.plot([], [], color="black", lw=1.2, label="ρ = 1")
        self.rate_critical = [ax.plot([], [], ls=ls, color="black", lw=1.2, label=label)[0]
                              for ls, label in ((":", r"$\gamma = (1 - \sqrt{\lambda h})^2$, "
                                                      r"$h_{min}$"), ("--", r"$h_{max}$"))]

        (self.rate_best,) = ax.plot([], [], "*", color="#ff7f0e", ms=12, mec="black", mew=0.6)
        (self.rate_marker,) = ax.plot([], [], "o", color="#d62728", ms=9, mec="white", mew=1.5)
        # (A legend would sit under the image: animated artists are drawn over the cached
        # background. The third text line is the legend.)
        self.rate_texts = [fig.text(0.585, 0.135 - 0.055 * i, "", fontsize=FONT - 4)
                           for i in range(3)]

    def _build_weights(self, fig):
        ax = self.ax_w = fig.add_axes((0.66, 0.25, 0.325, 0.46))
        ax.set_title(r"$\mu_{t+1} = -\lambda \sum_{j=0}^{t} \gamma^j g_{t-j}$", fontsize=FONT,
                     pad=4)
        ax.set(xlim=(-0.7, N_WEIGHTS - 0.3), ylim=(0, 1.08), xticks=[0, 1, 5, 10, 15])
        ax.set_xlabel("j: the gradient $g_{t-j}$ of j steps ago", fontsize=FONT - 2, labelpad=0)
        ax.set_ylabel("weight $\\gamma^j$", fontsize=FONT - 2, labelpad=1)
        ax.tick_params(labelsize=FONT - 4)
        ax.grid(axis="y", alpha=0.3)
        self.weight_bars = ax.bar(np.arange(N_WEIGHTS), np.zeros(N_WEIGHTS), width=0.75,
                                  color=["#d62728"] * 2 + ["#f4a582"] * (N_WEIGHTS - 2))
        example = optim.momentum_weights(0.9, N_WEIGHTS)  # the worked example's γ
        ax.plot(np.arange(N_WEIGHTS), example, "o", color="black", ms=4, mfc="none", mew=1,
                label="γ = 0.9, the notes' example")
        ax.legend(loc="upper right", fontsize=FONT - 4, frameon=False, handletextpad=0.2)
        self.weight_texts = [fig.text(0.585, 0.075 - 0.055 * i, "", fontsize=FONT - 3)
                             for i in range(2)]

    def _build_adam(self, fig):
        self.ax_m = fig.add_axes((0.655, 0.50, 0.33, 0.2))
        self.ax_v = fig.add_axes((0.655, 0.185, 0.33, 0.2))
        self.ax_m.set_title(r"$m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t$,  "
                            r"$\hat m_t = m_t / (1 - \beta_1^t)$", fontsize=FONT - 2, pad=3)
        self.ax_v.set_title(r"$V_t = \beta_2 V_{t-1} + (1-\beta_2) g_t^2$,  "
                            r"$\hat V_t = V_t / (1 - \beta_2^t)$", fontsize=FONT - 2, pad=3)
        self.ax_m.set(xlim=(0.3, ADAM_STEPS + 0.7), ylim=(-1.08, 1.08), xticklabels=[])
        self.ax_v.set(xlim=(0.3, ADAM_STEPS + 0.7), ylim=(0, 1.08))
        for ax in (self.ax_m, self.ax_v):
            ax.tick_params(labelsize=FONT - 4)
            ax.set_xticks([1, 5, 10, 15, 20, 25])
            ax.grid(alpha=0.3)
        self.ax_m.set_xticklabels([])
        style = dict(color="#2ca02c", lw=1.8)
        (self.adam_g,) = self.ax_m.plot([], [], ".", color="0.45", ms=5, label="$g_t$")
        (self.adam_m,) = self.ax_m.plot([], [], ls="--", label="$m_t$", **style)
        (self.adam_m_hat,) = self.ax_m.plot([], [], label=r"$\hat m_t$", **style)
        (self.adam_abs_g,) = self.ax_v.plot([], [], ".", color="0.45", ms=5, label="$|g_t|$")
        (self.adam_v,) = self.ax_v.plot([], [], ls="--", label=r"$\sqrt{V_t}$", **style)
        (self.adam_v_hat,) = self.ax_v.plot([], [], label=r"$\sqrt{\hat V_t}$", **style)
        # No legends (the curves fill the panels): the second text line names them.
        self.adam_texts = [fig.text(0.585, 0.075 - 0.055 * i, "", fontsize=FONT - 3)
                           for i in range(2)]

    def _show_panel(self, panel):
        """Show the right-hand panel ``panel`` (its axes and texts) and hide the others."""
        for name, (axes, texts) in self._panels.items():
            for artist in (*axes, *texts):
                if artist.get_visible() != (name == panel):
                    artist.set_visible(name == panel)
        index = PANELS.index(panel)
        self._panel_key.set_xlim(index, index + 1)
        self._panel = panel

    # -- numbers -------------------------------------------------------------------
    @staticmethod
    def _key(method, surface, hyper):
        # ``surface`` is (name, κ or None): κ only on the quadratic
        used = {"GD": ("lr",), "SGD": ("lr", "batch"), "Adam": ("lr", "beta1", "beta2", "eps")}
        if method in used:
            return (method, surface) + tuple(hyper[k] for k in used[method])
        # The ramp ignores γ; T matters only while the ramp is on.
        gamma = ("ramp", hyper["ramp"]) if hyper["gamma_ramp"] else hyper["gamma"]
        return (method, surface, hyper["lr"], gamma)

    def _run(self, where, methods, hyper, steps):
        """Run ``methods`` side by side (one gradient call per step for all); cache each path.

        ``where`` is (surface name, κ or None)."""
        surface, kappa = where
        s = _surface(surface, kappa or KAPPA)
        centre = np.array([np.mean(s.xlim), np.mean(s.ylim)])
        reach = 10 * np.array([np.ptp(s.xlim), np.ptp(s.ylim)]) / 2  # ten times the view
        noise = [None] * len(methods)
        if "SGD" in methods:  # GD on the noisy finite sum's minibatch gradient
            batches = optim.minibatch_indices(N_SAMPLES, hyper["batch"], rng=default_rng(0),
                                              epochs=None, drop_last=True)
            noise[methods.index("SGD")] = map(_finite_sum(surface, kappa or KAPPA)
                                              .minibatch_noise, batches)
        paths, diverged = optim.run_side_by_side(
            [_optimizer(m, **hyper) for m in methods], lambda w: s.func(w)[1], s.start,
            steps=steps, box=(centre - reach, centre + reach), noise=noise)  # (steps+1, k, 2)
        for j, m in enumerate(methods):
            if len(self._runs) >= _CACHE_SIZE:
                self._runs.pop(next(iter(self._runs)))  # the oldest
            self._runs[self._key(m, where, hyper)] = (paths[:, j].copy(), diverged[j])

    def compute(self, *, surface, compare, panel, kappa, lr, gamma, gamma_ramp, ramp, beta1,
                beta2, eps, steps, batch):
        hyper = dict(lr=lr, gamma=gamma, gamma_ramp=gamma_ramp, ramp=ramp, beta1=beta1,
                     beta2=beta2, eps=eps, batch=batch)
        shown = SHOW[compare]
        where = (surface, _kappa(surface, kappa))
        run = list(shown) + (["Adam"] if panel == "Adam" and "Adam" not in shown else [])
        for key in (self._key(m, where, hyper) for m in run):
            if key in self._runs:  # most recently used: _run evicts the oldest, not these
                self._runs[key] = self._runs.pop(key)
        missing = [m for m in run  # a cached run of at least `steps` steps is sliced
                   if len(self._runs.get(self._key(m, where, hyper), ((),))[0]) <= steps]
        if missing:
            self._run(where, missing, hyper, steps)
        s = _surface(surface, where[1] or KAPPA)
        paths, loss, final, diverged = {}, {}, {}, {}
        for m in shown:
            path, k = self._runs[self._key(m, where, hyper)]
            diverged[m] = k if k is not None and k <= steps else None
            paths[m] = path[:(diverged[m] or steps) + 1]
            loss[m] = s.func(paths[m])[0]  # (len(path),)
            final[m] = float(loss[m][-1])
        gamma_text = f"γ_t: 0.5 → 0.9, T = {ramp}" if gamma_ramp else f"γ = {gamma:g}"
        unused = self.inactive({"compare": compare, "gamma_ramp": gamma_ramp, "panel": panel})
        lines = {m: f"{m:<9}diverged at step {diverged[m]}" if diverged[m] else
                 f"{m:<9}f = {final[m]:.3g}" for m in shown}
        return {"surface": surface, "shown": shown, "steps": steps, "paths": paths,
                "loss": loss, "final": final, "diverged": diverged, "formula": s.formula,
                # only the hyperparameters of the methods shown: the others are inactive
                "settings": tuple("" if name in unused else text for name, text in (
                    ("lr", f"λ = {lr:.3g}"), ("batch", f"|I_k| = {batch}"),
                    ("ramp" if gamma_ramp else "gamma", gamma_text), ("beta1", f"β1 = {beta1:g}"),
                    ("beta2", f"β2 = {beta2:g}"), ("eps", f"ε = {eps:.3g}"))),
                "header": f"after {steps} step{'s' * (steps > 1)}:",
                "lines": lines, "summary": "\n".join(lines.values()), "kappa": kappa,
                "panel": panel, **self._panel_numbers(panel, where, hyper, steps)}

    def _panel_numbers(self, panel, where, hyper, steps):
        """The numbers of the right-hand panel shown (only that one is computed)."""
        lr = hyper["lr"]
        # Under the ramp, the γ_t of the last step shown: the map's point and the weights.
        gamma = (linear_ramp(0.5, 0.9, steps=hyper["ramp"])(steps) if hyper["gamma_ramp"]
                 else hyper["gamma"])
        near = "" if where[0] == "quadratic" else " at ★"
        if panel == "rate map":
            h = _curvatures(where[0], where[1] or KAPPA)
            h_min, h_max = h
            best = optim.heavy_ball_optimum(h_min, h_max)
            critical = []
            for hi in h:  # the curve γ = (1 - √(λh))², inside the map (γ ≤ 0.99)
                lam = np.geomspace(10.0 ** RATE_LOG_LR[0], min(1.0, 4.0 / hi), 200)
                g = optim.critical_momentum(lam, hi)
                keep = g <= RATE_GAMMA[-1]
                critical.append(np.stack([np.log10(lam[keep]), g[keep]], axis=1))
            edge = np.log10(np.minimum(2 * (1 + RATE_GAMMA) / h_max, 10.0))  # λ h_max = 2(1 + γ)
            rho = float(optim.heavy_ball_rate(lr, gamma, np.array(h)))
            rho_gd = float(optim.heavy_ball_rate(lr, 0.0, np.array(h)))
            return {"rate_map": _rate_map(h), "curvatures": h, "rate": rho, "rate_gd": rho_gd,
                    "critical": critical, "edge": np.stack([edge, RATE_GAMMA], axis=1),
                    "best": best, "point": (float(np.log10(lr)), float(gamma)),
                    "panel_text": (
                        f"λ = {lr:.3g}, γ = {gamma:.3g}: ρ = {rho:.4g};  GD (γ = 0): ρ = "
                        f"{rho_gd:.4g}",
                        f"h = {h_min:.3g}, {h_max:.3g}{near}:  best ☆ λ = {best[0]:.3g}, "
                        f"γ = {best[1]:.3g}: ρ = {best[2]:.3g}",
                        # constant: a text that changes costs ~4 ms to render
                        "—  ρ = 1;   ⋯, – –  γ = (1 − √(λh))² at h_min, h_max")}
        if panel == "weights":
            weights = optim.momentum_weights(gamma, N_WEIGHTS)
            total = "∞" if gamma >= 1 else f"{1 / (1 - gamma):.3g}"
            return {"weights": weights, "gamma_shown": gamma, "panel_text": (
                f"γ = {gamma:.3g}" + (" (γ_t at the last step)" if hyper["gamma_ramp"] else "")
                + f": Σ γʲ = 1/(1 − γ) = {total}",
                "Lecture 4, γ = 0.9: μ₂ = −λ(0.9 g₀ + g₁), the bars j = 0, 1")}
        if panel == "Adam":
            path, k = self._runs[self._key("Adam", where, hyper)]
            n = max(1, min(ADAM_STEPS, steps, k if k is not None else steps))
            s = _surface(where[0], where[1] or KAPPA)
            g = s.func(path[:n])[1][:, 0]  # (n,): g_1 ... g_n of the coordinate w_1
            m, m_hat, v, v_hat = optim.adam_moments(g, beta1=hyper["beta1"],
                                                    beta2=hyper["beta2"])
            scale = float(np.abs(g).max()) or 1.0
            return {"adam": {"g": g / scale, "m": m / scale, "m_hat": m_hat / scale,
                             "v": np.sqrt(v) / scale, "v_hat": np.sqrt(v_hat) / scale},
                    "adam_raw": {"g": g, "m": m, "m_hat": m_hat, "v": v, "v_hat": v_hat},
                    "panel_text": (f"Adam on w₁, ÷ max|g| = {scale:.3g}:  "
                                   f"m₁ = {1 - hyper['beta1']:.3g} g₁, m̂₁ = g₁",
                                   "dots g_t, |g_t|;  dashed m_t, √V_t;  solid m̂_t, √V̂_t")}
        return {"panel_text": ()}

    # -- picture -------------------------------------------------------------------
    def _show_surface(self, name, kappa):
        """Draw the surface ``name``: its contours, minima, start and axis limits."""
        s = SURFACES[name]
        self.contours.set_segments(_contour_segments(name, kappa))
        self.minima.set_data(*np.array(s.minima).T)
        self.start.set_data([s.start[0]], [s.start[1]])
        set_lims(self.ax, s.xlim, s.ylim)
        self._surface = (name, _kappa(name, kappa))

    def draw(self, r):
        if self._surface != (r["surface"], _kappa(r["surface"], r["kappa"])):
            self._show_surface(r["surface"], r["kappa"])  # contours: with the surface and κ
        if self._panel != r["panel"]:
            self._show_panel(r["panel"])
        getattr(self, "_draw_" + {"loss": "loss", "rate map": "rate", "weights": "weights",
                                  "Adam": "adam"}[r["panel"]])(r)
        low, high = LOSS_LIM
        for m in METHODS:
            shown = m in r["shown"]
            if self.paths[m].get_visible() != shown:  # set_visible marks the figure stale
                self.paths[m].set_visible(shown)
                self.losses[m].set_visible(shown)
            if shown:
                path = r["paths"][m]
                self.paths[m].set_data(path[:, 0], path[:, 1])
                # Clipped into the panel: a loss of exactly 0 has no logarithm.
                loss = np.clip(r["loss"][m], low / 10, high * 10)
                self.losses[m].set_data(np.arange(len(loss)), loss)
        self.formula.set_text(r["formula"])
        self.formula_kappa.set_text(f"condition number κ = {r['kappa']}"
                                    if r["surface"] == "quadratic" else "")
        for text, value in zip(self.settings, r["settings"], strict=True):
            text.set_text(value)

    def _draw_texts(self, texts, values):
        for text, value in zip(texts, values, strict=True):
            text.set_text(value)

    def _draw_rate(self, r):
        if self._rate_shown is not r["rate_map"]:  # cached per κ (per surface)
            self.rate_image.set_data(r["rate_map"])
            self._rate_shown = r["rate_map"]
        self.rate_edge.set_data(*r["edge"].T)
        for line, curve in zip(self.rate_critical, r["critical"], strict=True):
            line.set_data(*curve.T)
        self.rate_best.set_data([np.log10(r["best"][0])], [r["best"][1]])
        self.rate_marker.set_data([r["point"][0]], [r["point"][1]])
        self._draw_texts(self.rate_texts, r["panel_text"])

    def _draw_weights(self, r):
        for bar, height in zip(self.weight_bars, r["weights"], strict=True):
            bar.set_height(height)
        self._draw_texts(self.weight_texts, r["panel_text"])

    def _draw_adam(self, r):
        a = r["adam"]
        t = np.arange(1, len(a["g"]) + 1)
        self.adam_g.set_data(t, a["g"])
        self.adam_m.set_data(t, a["m"])
        self.adam_m_hat.set_data(t, a["m_hat"])
        self.adam_abs_g.set_data(t, np.abs(a["g"]))
        self.adam_v.set_data(t, a["v"])
        self.adam_v_hat.set_data(t, a["v_hat"])
        self._draw_texts(self.adam_texts, r["panel_text"])

    def _draw_loss(self, r):
        self.header.set_text(r["header"])
        for i, row in enumerate(self.rows):  # the shown methods, top down
            m = r["shown"][i] if i < len(r["shown"]) else None
            row.set_text(r["lines"][m] if m else "")
            if m and row.get_color() != COLORS[m]:  # set_color would always re-render
                row.set_color(COLORS[m])
