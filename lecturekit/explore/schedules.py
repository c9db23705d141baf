r"""Learning-rate schedules over the steps of training (MLP lecture, "Learning Rates Schedule").

The step index is the lecture's :math:`k` (the argument ``t`` of a
:class:`lecturekit.schedules.Schedule`). Letters and arguments: :math:`\alpha_0` ``lr``,
:math:`\rho` ``factor``, :math:`P` ``every`` (steps per drop), :math:`\kappa` ``k``
(decay rate), :math:`T` ``steps``, :math:`\alpha_{min}` ``floor``, :math:`W`
``warmup_steps``.

The right panel is what a schedule does to SGD: one sample per step on the
notes' least-squares problem :math:`F(\omega) = \frac1N\sum_i(\omega x_i - y_i)^2`
(the notebook's ``make_least_squares(1000, rng=default_rng(9))``, from
:math:`\omega_0 = 0`, the samples drawn by ``default_rng(15)``), the distance
:math:`|\omega_k - \omega^*|` under every schedule
(:func:`lecturekit.experiments.sgd_least_squares`): a constant α stalls in a band
around ω*, a decaying one keeps approaching it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from .. import schedules as S
from ..experiments import sgd_least_squares
from ..objectives import make_least_squares
from ..rng import default_rng
from ._axes import FONT, TextLines
from ._controls import Choice, Slider
from ._explorer import Explorer, register

HORIZON = 400
"""Steps plotted: fixed, so the axes (and their cached ticks) never move."""

# Display only: the formula as the lecture would write it, and which sliders it reads.
_FORMULAS = {
    "constant": (r"$\alpha_k = \alpha_0$", ()),
    "step_decay": (r"$\alpha_k = \alpha_0\,\rho^{\lfloor k/P \rfloor}$", ("factor", "every")),
    "exponential_decay": (r"$\alpha_k = \alpha_0\,e^{-\kappa k}$", ("k",)),
    "inverse_time_decay": (r"$\alpha_k = \alpha_0 / (1 + \kappa k)$", ("k",)),
    "cosine_decay": (r"$\alpha_k = \alpha_{min} + \frac{1}{2}(\alpha_0 - \alpha_{min})"
                     r"\,(1 + \cos(\pi \min(k, T)/T))$", ("floor", "steps")),
}
_COLORS = dict(zip(_FORMULAS, ("#636363", "#1f77b4", "#2ca02c", "#9467bd", "#d62728"),
                   strict=True))
_SYMBOLS = {"factor": "ρ", "every": "P", "k": "κ", "floor": "α_min", "steps": "T"}
DIST_RANGE = (1e-5, 1e2)
"""The distance axis; iterates beyond it (a diverging α) are drawn on its edge."""
DATA_SEED, SAMPLE_SEED, N_DATA = 9, 15, 1000


def _least_squares_data():
    return make_least_squares(N_DATA, rng=default_rng(DATA_SEED))


@register
class ScheduleExplorer(Explorer):
    """Every schedule of :mod:`lecturekit.schedules` with shared hyperparameters; one in bold."""

    controls = {
        "schedule": Choice(tuple(_FORMULAS), "step_decay", "schedule"),
        "lr": Slider(1e-3, 1.0, 0.25, 0.1, "α₀ (lr)", log=True),
        "factor": Slider(0.1, 1.0, 0.05, 0.5, "ρ: drop factor (factor)"),
        "every": Slider(1, 200, 1, 50, "P: steps per drop (every)"),
        "k": Slider(0.0, 0.05, 0.001, 0.01, "κ: decay rate (k)"),
        "floor": Slider(0.0, 0.05, 0.005, 0.0, "α_min: cosine floor (floor)"),
        "steps": Slider(10, HORIZON, 10, 300, "T: cosine length (steps)"),
        "warmup": Slider(0, 100, 1, 0, "W (warmup_steps)",
                         help="W: warm-up steps (warmup_steps): every schedule starts at α₀/W and "
                              "rises to α₀ over the first W steps (0: no warm-up)"),
    }
    figsize = (9.3, 4.3)

    def build(self, fig):
        self.xy = _least_squares_data()
        self.ax = fig.add_axes((0.07, 0.13, 0.36, 0.62))
        self.ax_sgd = fig.add_axes((0.5, 0.13, 0.3, 0.62))
        self.ax_sgd.set(xlim=(0, HORIZON), yscale="log", ylim=DIST_RANGE)
        self.ax_sgd.set_xlabel("step k", fontsize=FONT)
        self.ax_sgd.set_title(r"SGD, $|I_k| = 1$:  $|\omega_k - \omega^*|$", fontsize=FONT,
                              loc="left")
        self.ax_sgd.tick_params(labelsize=FONT - 2)
        self.ax_sgd.grid(alpha=0.3)
        self.sgd_lines = {name: self.ax_sgd.plot([], [], color=c, lw=1.2, alpha=0.45)[0]
                          for name, c in _COLORS.items()}
        self.lines = {name: self.ax.plot([], [], color=c, lw=1.5, alpha=0.45)[0]
                      for name, c in _COLORS.items()}
        self.ax.set(xlim=(0, HORIZON), ylim=(0, 1.05))
        self.ax.set_xlabel("step k", fontsize=FONT)
        # Relative to α₀, so that moving α₀ keeps the axis still.
        self.ax.set_ylabel(r"$\alpha_k / \alpha_0$", fontsize=FONT + 2)
        self.ax.tick_params(labelsize=FONT - 2)
        self.ax.grid(alpha=0.3)
        # Full-strength proxies: the legend is cached while the lines' alpha changes.
        proxies = [Line2D([], [], color=c, lw=2.5) for c in _COLORS.values()]
        self.ax_sgd.legend(proxies, [n.replace("_decay", "") for n in _COLORS], loc="upper left",
                           bbox_to_anchor=(1.02, 1.0), fontsize=FONT - 1, frameon=False)
        self.formula = fig.text(0.07, 0.91, "", fontsize=FONT + 3)
        self.values = fig.text(0.07, 0.83, "", fontsize=FONT)
        self.summary = TextLines(fig, 0.815, 0.42, 7, fontsize=FONT - 2)

    messages = {
        "floor_above_lr": "The cosine floor α_min = {floor:g} (floor) is above α₀ = {lr:g} (lr):\n"
                          "the cosine schedule would rise. Choose α_min ≤ α₀.",
    }

    def compute(self, *, schedule, lr, factor, every, k, floor, steps, warmup):
        if floor > lr:  # cosine_decay needs floor in [0, lr]
            raise self.invalid("floor_above_lr", floor=floor, lr=lr)
        made = {
            "constant": S.constant(lr),
            "step_decay": S.step_decay(lr, factor=factor, every=every),
            "exponential_decay": S.exponential_decay(lr, k=k),
            "inverse_time_decay": S.inverse_time_decay(lr, k=k),
            "cosine_decay": S.cosine_decay(lr, steps=steps, floor=floor),
        }
        if warmup:
            made = {name: S.linear_warmup(s, warmup_steps=warmup) for name, s in made.items()}
        t = np.arange(HORIZON + 1, dtype=np.float64)  # the steps k
        curves = {name: s(t) for name, s in made.items()}
        knobs = dict(factor=factor, every=every, k=k, floor=floor, steps=steps)
        values = [f"α₀ = {lr:g}"]
        values += [f"{_SYMBOLS[n]} = {knobs[n]:g}" for n in _FORMULAS[schedule][1]]
        if warmup:
            values.append(f"warm-up W = {warmup} (from α₀/W; the rest shifted by W)")
        distance = {name: self.memo(("sgd", repr(sch)), lambda sch=sch: sgd_least_squares(
            sch, *self.xy, steps=HORIZON, rng=default_rng(SAMPLE_SEED))[1])
            for name, sch in made.items()}
        tail = {name: float(np.sqrt(np.mean(d[-100:] ** 2))) for name, d in distance.items()}
        return {"t": t, "lr": lr, "curves": curves, "schedule": schedule,
                "formula": _FORMULAS[schedule][0], "values": ",   ".join(values),
                "final": float(curves[schedule][-1]), "total": float(curves[schedule].sum()),
                "distance": distance, "tail_rms": tail}

    def draw(self, result):
        for name, line in self.lines.items():
            line.set_data(result["t"], result["curves"][name] / result["lr"])
            bold = name == result["schedule"]
            line.set_linewidth(3.5 if bold else 1.5)
            line.set_alpha(1.0 if bold else 0.45)
            line.set_zorder(3 if bold else 2)
        self.formula.set_text(result["formula"])
        self.values.set_text(result["values"])
        for name, line in self.sgd_lines.items():
            d = np.nan_to_num(result["distance"][name], nan=DIST_RANGE[1], posinf=DIST_RANGE[1])
            line.set_data(result["t"], np.clip(d, *DIST_RANGE))
            bold = name == result["schedule"]
            line.set_linewidth(2.5 if bold else 1.0)
            line.set_alpha(1.0 if bold else 0.35)
            line.set_zorder(3 if bold else 2)
        rms = result["tail_rms"][result["schedule"]]
        self.summary.set_text(f"{result['schedule'].replace('_decay', '')}\n"
                              f"α at k = {HORIZON}:\n  {result['final']:.3g}\n"
                              f"Σ α_k: {result['total']:.3g}\n"
                              f"RMS |ω_k − ω*|,\nlast 100 steps:\n  "
                              + (f"{rms:.3g}" if np.isfinite(rms) else "diverged"))
