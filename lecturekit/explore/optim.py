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

Speed: each method's run is cached under the hyperparameters it uses, so a
control recomputes only the methods it affects (β1, β2 and ε only Adam; T only the
momentum methods, and only while the ramp is on), fewer steps slice a longer
cached run, and the methods that do need a run step side by side with one
gradient call per step. The contour lines are computed once per
surface (contour sets cannot be updated in place; they are kept as the
segments of one ``LineCollection``), and every surface is rendered once at
construction so that its axes' background is cached before the first switch.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.ticker import LinearLocator

from .. import objectives, optim
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

_contours = {}  # surface name -> contour segments: computed once per process


def _contour_segments(name):
    """The contour lines of a surface at log-spaced levels, as LineCollection segments (cached)."""
    if name not in _contours:
        from contourpy import contour_generator  # a dependency of matplotlib

        s = SURFACES[name]
        x = np.linspace(*s.xlim, 161)
        y = np.linspace(*s.ylim, 161)
        X, Y = np.meshgrid(x, y)  # (161, 161) each
        Z = s.func(np.stack([X, Y], axis=-1))[0]
        gen = contour_generator(X, Y, Z)
        _contours[name] = [line for level in np.geomspace(*s.levels[:2], s.levels[2])
                           for line in gen.lines(level)]
    return _contours[name]


def _finite_sum(name):
    """The surface as SGD's finite sum: offsets xi_i of shape (N_SAMPLES, 2), mean zero."""
    s = SURFACES[name]
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
    figsize = (9.3, 3.8)

    def prerender(self):
        # Each surface has its own axis limits: switching then costs a frame. (The surfaces
        # are drawn, not computed: that would apply their λ and could not be undone.)
        return [partial(self._show_surface, name) for name in SURFACES]

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
        notes = {}
        if not {"momentum", "Nesterov"} & set(shown):
            notes.update(dict.fromkeys(("gamma", "gamma_ramp", "ramp"),
                                       "acts when momentum or Nesterov is shown"))
        elif params["gamma_ramp"]:
            notes["gamma"] = "acts when the γ ramp is off"
        else:
            notes["ramp"] = "acts when the γ ramp is on"
        if "Adam" not in shown:
            notes.update(dict.fromkeys(("beta1", "beta2", "eps"), "acts when Adam is shown"))
        if "SGD" not in shown:
            notes["batch"] = "acts when SGD is shown"
        return notes

    def build(self, fig):
        self._runs = {}  # (method, surface, its hyperparameters) -> (path, diverged step)
        self._surface = None  # the surface whose contours are drawn
        self.ax = fig.add_axes((0.07, 0.12, 0.47, 0.68))
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

        self.ax_loss = fig.add_axes((0.66, 0.5, 0.32, 0.3))
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
        self.formula = fig.text(0.02, 0.935, "", fontsize=FONT + 2)
        # One short text per number: a frame re-renders only the texts that changed, and
        # matplotlib renders text glyph by glyph.
        self.settings = [fig.text(x, 0.855, "", fontsize=FONT - 2)
                         for x in (0.02, 0.135, 0.22, 0.42, 0.51, 0.615)]
        self.header = fig.text(0.6, 0.36, "", fontsize=FONT - 1, va="top")
        self.rows = [fig.text(0.6, 0.29 - 0.06 * i, "", fontsize=FONT - 1, va="top",
                              family="monospace") for i in range(len(METHODS))]

    # -- numbers -------------------------------------------------------------------
    @staticmethod
    def _key(method, surface, hyper):
        used = {"GD": ("lr",), "SGD": ("lr", "batch"), "Adam": ("lr", "beta1", "beta2", "eps")}
        if method in used:
            return (method, surface) + tuple(hyper[k] for k in used[method])
        # The ramp ignores γ; T matters only while the ramp is on.
        gamma = ("ramp", hyper["ramp"]) if hyper["gamma_ramp"] else hyper["gamma"]
        return (method, surface, hyper["lr"], gamma)

    def _run(self, surface, methods, hyper, steps):
        """Run ``methods`` side by side (one gradient call per step for all); cache each path."""
        s = SURFACES[surface]
        centre = np.array([np.mean(s.xlim), np.mean(s.ylim)])
        reach = 10 * np.array([np.ptp(s.xlim), np.ptp(s.ylim)]) / 2  # ten times the view
        noise = [None] * len(methods)
        if "SGD" in methods:  # GD on the noisy finite sum's minibatch gradient
            batches = optim.minibatch_indices(N_SAMPLES, hyper["batch"], rng=default_rng(0),
                                              epochs=None, drop_last=True)
            noise[methods.index("SGD")] = map(_finite_sum(surface).minibatch_noise, batches)
        paths, diverged = optim.run_side_by_side(
            [_optimizer(m, **hyper) for m in methods], lambda w: s.func(w)[1], s.start,
            steps=steps, box=(centre - reach, centre + reach), noise=noise)  # (steps+1, k, 2)
        for j, m in enumerate(methods):
            if len(self._runs) >= _CACHE_SIZE:
                self._runs.pop(next(iter(self._runs)))  # the oldest
            self._runs[self._key(m, surface, hyper)] = (paths[:, j].copy(), diverged[j])

    def compute(self, *, surface, compare, lr, gamma, gamma_ramp, ramp, beta1, beta2, eps,
                steps, batch):
        hyper = dict(lr=lr, gamma=gamma, gamma_ramp=gamma_ramp, ramp=ramp, beta1=beta1,
                     beta2=beta2, eps=eps, batch=batch)
        shown = SHOW[compare]
        missing = [m for m in shown  # a cached run of at least `steps` steps is sliced
                   if len(self._runs.get(self._key(m, surface, hyper), ((),))[0]) <= steps]
        if missing:
            self._run(surface, missing, hyper, steps)
        s = SURFACES[surface]
        paths, loss, final, diverged = {}, {}, {}, {}
        for m in shown:
            path, k = self._runs[self._key(m, surface, hyper)]
            diverged[m] = k if k is not None and k <= steps else None
            paths[m] = path[:(diverged[m] or steps) + 1]
            loss[m] = s.func(paths[m])[0]  # (len(path),)
            final[m] = float(loss[m][-1])
        gamma_text = f"γ_t: 0.5 → 0.9, T = {ramp}" if gamma_ramp else f"γ = {gamma:g}"
        unused = self.inactive({"compare": compare, "gamma_ramp": gamma_ramp})
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
                "lines": lines, "summary": "\n".join(lines.values())}

    # -- picture -------------------------------------------------------------------
    def _show_surface(self, name):
        """Draw the surface ``name``: its contours, minima, start and axis limits."""
        s = SURFACES[name]
        self.contours.set_segments(_contour_segments(name))
        self.minima.set_data(*np.array(s.minima).T)
        self.start.set_data([s.start[0]], [s.start[1]])
        set_lims(self.ax, s.xlim, s.ylim)
        self._surface = name

    def draw(self, r):
        if self._surface != r["surface"]:  # the contours change only with the surface
            self._show_surface(r["surface"])
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
        for text, value in zip(self.settings, r["settings"], strict=True):
            text.set_text(value)
        self.header.set_text(r["header"])
        for i, row in enumerate(self.rows):  # the shown methods, top down
            m = r["shown"][i] if i < len(r["shown"]) else None
            row.set_text(r["lines"][m] if m else "")
            if m and row.get_color() != COLORS[m]:  # set_color would always re-render
                row.set_color(COLORS[m])
