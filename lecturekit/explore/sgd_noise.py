r"""SGD's gradient noise against the batch size, on the MLP lecture's 1-D least squares.

:math:`F(\omega) = \frac1N\sum_i (\omega x_i - y_i)^2`. At a fixed
:math:`\omega_k`, the minibatch gradient :math:`g_k = \frac{1}{|I_k|}\sum_{i\in
I_k}\nabla f_i(\omega_k)` scatters around the full gradient :math:`\hat g_k`
("g_k ~ N(ĝ_k, Σ̂_k), Σ̂_k → 0 if |I_k| → N"). Three panels:

* the histogram of the noise :math:`\varepsilon_k = g_k - \hat g_k` over many
  draws of :math:`I_k`, in units of :math:`\sigma` (the spread of the
  per-sample gradients, so the axis never moves), with the normal curve of the
  predicted variance;
* :math:`\operatorname{Var}(g_k)/\sigma^2` against :math:`|I_k|`: the formula
  with replacement (:math:`1/B`) and without (:math:`\frac1B\frac{N-B}{N-1}`,
  0 at B = N), and the measured value at this batch size;
* a few SGD runs :math:`\omega_{k+1} = \omega_k - \alpha g_k` with this batch
  size and step size against gradient descent: GD plus the noise
  :math:`\alpha\varepsilon_k`, whose spread scales with :math:`\alpha`.

The data are the first N = 100 of the MLP notebook's 1000 pairs
(``make_least_squares(1000, rng=default_rng(9))``), so that the batch-size slider
can reach N. The numbers come from :mod:`lecturekit.objectives` and
:mod:`lecturekit.optim`.
"""

from __future__ import annotations

import numpy as np

from ..objectives import (
    least_squares,
    least_squares_minimizer,
    least_squares_per_sample_grads,
    make_least_squares,
    minibatch_gradient_stats,
    minibatch_gradient_variance,
)
from ..optim import GD, SGD, minibatch_indices
from ..rng import default_rng
from ._axes import FONT, TextRow
from ._controls import Slider, Toggle
from ._explorer import Explorer, register

N = 100
"""The first N of the notebook's pairs: ``make_least_squares(N_DATA, rng=default_rng(SEED))``."""
N_DATA, SEED = 1000, 9
DRAWS = 3000
RUNS, STEPS = 4, 40
W0 = 0.0
_BLUE, _RED, _GREY = "#3182bd", "#d62728", "0.45"


@register
class SGDNoiseExplorer(Explorer):
    """The minibatch gradient's noise and variance at one ω, and SGD runs, for a batch size."""

    controls = {
        "batch": Slider(1, N, 1, 10, "batch size |I_k|", play=True),
        "omega": Slider(-1.0, 4.0, 0.1, 0.5, "ω_k"),
        "replace": Toggle(False, "draw I_k with replacement"),
        "lr": Slider(0.02, 0.4, 0.02, 0.1, "α (step size of the runs)"),
    }
    figsize = (9.3, 4.6)
    var_lim = (1e-4, 2.0)

    def build(self, fig):
        x, y = make_least_squares(N_DATA, rng=default_rng(SEED))
        self.x, self.y = x[:N], y[:N]
        self.w_star = least_squares_minimizer(self.x, self.y)
        self.edges = np.linspace(-4.0, 4.0, 81)  # the noise in units of σ
        top = 0.13, 0.56
        self.ax_h = fig.add_axes((0.02, top[0], 0.29, top[1]))
        self.ax_v = fig.add_axes((0.41, top[0], 0.24, top[1]))
        self.ax_t = fig.add_axes((0.745, top[0], 0.24, top[1]))

        ax = self.ax_h
        ax.set_xlim(self.edges[0], self.edges[-1])
        ax.set_ylim(0, 1.12)
        ax.set_yticks([])
        ax.set_xlabel(r"noise $(g_k - \hat g_k)\,/\,\sigma$", fontsize=FONT)
        ax.tick_params(labelsize=FONT - 3)
        self.hist = ax.stairs(np.zeros(len(self.edges) - 1), self.edges, fill=True, color=_BLUE,
                              alpha=0.7, label="over draws of $I_k$")
        (self.normal,) = ax.plot([], [], color="black", lw=1.5,
                                 label=r"$N(0, \hat\Sigma_k)$, formula")
        ax.axvline(0, color=_RED, lw=1.5, ymax=0.95, label=r"$g_k = \hat g_k$")
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), fontsize=FONT - 3, frameon=False,
                  ncol=2, columnspacing=0.8, handlelength=1.4, borderaxespad=0.2)

        ax = self.ax_v
        b = np.arange(1, N + 1)
        # Per-sample gradients ±1 have σ² = 1, so the formula gives Var(g_k)/σ² directly.
        unit = np.where(np.arange(N) % 2 == 0, 1.0, -1.0)
        with_repl = [minibatch_gradient_variance(unit, k, replace=True) for k in b]
        without = [minibatch_gradient_variance(unit, k, replace=False) for k in b]
        ax.plot(b, with_repl, color=_GREY, lw=2, ls="--", label="with replacement: 1/B")
        ax.plot(b, without, color="black", lw=2,
                label=r"without: $\frac{1}{B}\,\frac{N - B}{N - 1}$")
        (self.measured,) = ax.plot([], [], "o", color=_BLUE, ms=10, label="measured")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(0.8, N * 1.25)
        ax.set_ylim(*self.var_lim)
        ax.set_xlabel(r"batch size $B = |I_k|$", fontsize=FONT)
        ax.set_ylabel(r"Var$(g_k)\,/\,\sigma^2$", fontsize=FONT)
        ax.tick_params(labelsize=FONT - 3)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left", fontsize=FONT - 3, framealpha=0.9)

        ax = self.ax_t
        ax.set_xlim(0, STEPS)
        ax.set_ylim(W0 - 0.3, self.w_star + 1.2)
        ax.axhline(self.w_star, color="0.6", lw=1, ls=":")
        ax.set_xlabel("step k", fontsize=FONT)
        ax.set_ylabel(r"$\omega_k$", fontsize=FONT)
        ax.tick_params(labelsize=FONT - 3)
        ax.grid(alpha=0.3)
        self.runs = [ax.plot([], [], color=_BLUE, lw=1.3, alpha=0.8)[0] for _ in range(RUNS)]
        (self.gd,) = ax.plot([], [], color="black", lw=2.5)
        ax.legend([self.runs[0], self.gd], ["SGD", "GD (full batch)"],
                  loc="lower right", fontsize=FONT - 3, framealpha=0.9)
        self.run_title = ax.text(0.0, 1.03, "", transform=ax.transAxes, ha="left", va="bottom",
                                 fontsize=FONT - 2)

        # Short texts for the numbers (re-rendered on every move), the words around them static;
        # the runs' title changes only with α.
        # Lines in pieces (TextRow): a move re-renders the numbers it changes, not the line
        # (the second is 90 characters, ~10 ms a move as one text).
        self.title = TextRow(fig, 0.02, 0.93, 6, fontsize=FONT + 1)
        fig.text(0.98, 0.93, "σ²: variance of the per-sample gradients ∇f_i(ω_k)", ha="right",
                 fontsize=FONT - 1, color="0.3")
        self.numbers = TextRow(fig, 0.02, 0.865, 10, fontsize=FONT)

    def _runs(self, batch, replace, lr):
        """SGD from ω_0 = W0 with minibatches of ``batch``, RUNS times, and GD (memoised)."""
        return self.memo((batch, replace, lr), lambda: self._run(batch, replace, lr),
                        size=256)

    @staticmethod
    def _batches(batch, replace):
        """The minibatches I_k of each run, (RUNS, STEPS, batch), run ``r`` drawn by seed 100 + r."""
        out = np.empty((RUNS, STEPS, batch), dtype=np.intp)
        for run in range(RUNS):
            rng = default_rng(100 + run)
            if replace:  # a fresh I_k of independent uniform indices at every step
                for k in range(STEPS):
                    out[run, k] = rng.integers(0, N, size=batch)
            else:  # shuffled epochs: I_k without replacement (the usual data loader)
                batches = minibatch_indices(N, batch, rng=rng, epochs=None, drop_last=True)
                for k, idx in zip(range(STEPS), batches, strict=False):
                    out[run, k] = idx
        return out

    def _run(self, batch, replace, lr):
        """:meth:`_run_reference`'s paths, the runs side by side: the same arithmetic on each
        element (2 x (ω x − y), its mean over I_k, ω − α g), bit for bit, without the
        optimiser's per-step checks (the data are finite and α is a slider's value)."""
        idx = self._batches(batch, replace)
        paths = np.empty((RUNS, STEPS + 1))
        w = np.full(RUNS, W0)
        paths[:, 0] = w
        for k in range(STEPS):
            x, y = self.x[idx[:, k]], self.y[idx[:, k]]  # (RUNS, batch)
            g = (2 * x * (w[:, None] * x - y)).mean(axis=1)
            w = w - lr * g
            paths[:, k + 1] = w
        gd_path = np.empty(STEPS + 1)
        gd_path[0] = w0 = W0
        for k in range(STEPS):
            w0 = w0 - lr * float(np.mean(2 * self.x * (w0 * self.x - self.y)))
            gd_path[k + 1] = w0
        return paths, gd_path

    def _run_reference(self, batch, replace, lr):
        """The runs as the lecture writes them: lecturekit's SGD and GD, one step at a time,
        on the same minibatches."""
        paths = np.empty((RUNS, STEPS + 1))
        for run, batches in enumerate(self._batches(batch, replace)):
            w, opt = np.array([W0]), SGD(lr=lr)
            paths[run, 0] = W0
            for k, idx in enumerate(batches):
                g = least_squares_per_sample_grads(w[0], self.x[idx], self.y[idx]).mean()
                opt.step([w], [np.array([g])])
                paths[run, k + 1] = w[0]
        gd_path = np.empty(STEPS + 1)
        w, opt = np.array([W0]), GD(lr=lr)
        gd_path[0] = W0
        for k in range(STEPS):
            opt.step([w], [np.array([least_squares(w[0], self.x, self.y)[1]])])
            gd_path[k + 1] = w[0]
        return paths, gd_path

    def compute(self, *, batch, omega, replace, lr):
        grads = least_squares_per_sample_grads(omega, self.x, self.y)  # ∇f_i(ω_k), (N,)
        stats = minibatch_gradient_stats(grads, batch, rng=default_rng(batch), replace=replace,
                                         n_draws=DRAWS)
        sigma = float(np.sqrt(stats.sigma2))
        counts, _ = np.histogram((stats.draws - stats.full_grad) / sigma, self.edges)
        centres = 0.5 * (self.edges[1:] + self.edges[:-1])
        var, pred = float(stats.var), float(stats.predicted_var)
        if pred > 0:
            # The normal curve N(0, pred/σ²), scaled like the histogram: expected count
            # per bin, over the tallest bar.
            v = pred / sigma**2
            width = self.edges[1] - self.edges[0]
            density = np.exp(-0.5 * centres**2 / v) / np.sqrt(2 * np.pi * v)
            curve = density * width * DRAWS / counts.max()
        else:
            curve = np.zeros_like(centres)
        paths, gd_path = self._runs(batch, replace, lr)
        return {"hist": counts / counts.max(), "centres": centres, "curve": curve,
                "full_grad": float(stats.full_grad), "var": var, "predicted_var": pred,
                "sigma2": float(stats.sigma2), "batch": batch, "omega": omega,
                "replace": replace, "lr": lr, "step_noise": lr * np.sqrt(var),
                "paths": paths, "gd_path": gd_path}

    def draw(self, r):
        self.hist.set_data(r["hist"])
        show = r["curve"] > 1e-3
        self.normal.set_data(r["centres"][show], r["curve"][show])
        self.measured.set_data([r["batch"]], [np.clip(r["var"] / r["sigma2"], *self.var_lim)])
        k = np.arange(STEPS + 1)
        lo, hi = self.ax_t.get_ylim()
        for line, path in zip(self.runs, r["paths"], strict=True):
            line.set_data(k, np.clip(path, lo, hi))
        self.gd.set_data(k, np.clip(r["gd_path"], lo, hi))
        self.run_title.set_text(f"SGD and GD with α = {r['lr']:.2f}")
        how = "with" if r["replace"] else "without"
        self.title.set_pieces("ω_k = ", f"{r['omega']:.1f}", ":   ĝ_k = ", f"{r['full_grad']:.3f}",
                              ",   σ² = ", f"{r['sigma2']:.3g}")
        self.numbers.set_pieces("|I_k| = ", f"{r['batch']}", f" of {N}, ", how, " replacement:  Var(g_k) = ",
                                f"{r['var']:.3g}", " (formula ", f"{r['predicted_var']:.3g}",
                                ");  α·√Var(g_k) = ", f"{r['step_noise']:.3g}")
