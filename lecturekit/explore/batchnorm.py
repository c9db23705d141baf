r"""Batch norm's statistics: how noisy a minibatch's m_j and σ_j² are, and the running averages.

Two explorers for the MLP lecture's "Batch Normalization":

* :class:`BatchNormNoiseExplorer`: the sampling distribution of the batch mean
  :math:`m_j` and (biased) variance :math:`\sigma_j^2` of one feature over many
  minibatches of size :math:`N_\text{batch}`, beside the trainset's values.
  Both concentrate as the batch grows; :math:`\sigma_j^2` is low on average by
  the factor :math:`(N_\text{batch} - 1)/N_\text{batch}` (which is why the running
  variance uses the unbiased estimate).
* :class:`BatchNormRunningExplorer`: "Test: use saved :math:`m_j, \sigma_j` for
  trainset". The running mean and variance of :class:`lecturekit.norm.BatchNorm`
  over training steps, for a momentum (PyTorch's: the weight of the new batch),
  against the trainset's mean and variance; and one held-out batch normalised in
  test mode (running statistics) and in train mode (its own statistics), each
  against the reference the notes ask for: the batch normalised with the whole
  trainset's mean and variance.

One feature j throughout; its trainset is a fixed sample of 10 000 values with
mean 3 and variance 4, so the running statistics (which start at 0 and 1) have
somewhere to go.
"""

from __future__ import annotations

import numpy as np

from ..norm import BatchNorm, batch_norm, batch_stats
from ..rng import default_rng
from ._axes import FONT, TextRow
from ._controls import Choice, Slider
from ._explorer import Explorer, register
from ._notation import letters, relabel

N_TRAIN = 10_000
MEAN, VAR = 3.0, 4.0
DRAWS = 4000
STEPS_MAX = 100
_BLUE, _ORANGE = "#3182bd", "#e6550d"
_LETTERS = {  # each notebook's letters (its letters table): batch mean, batch variance, size
    "mlp": dict(mean="m_j", var=r"\sigma_j^2", mean_t="mⱼ", var_t="σⱼ²", n="N_batch",
                feature="feature j", pop="σ²"),
    "l3": dict(mean=r"\mu_j", var=r"\sigma_j^2", mean_t="μⱼ", var_t="σⱼ²", n="N_batch",
               feature="feature j", pop="σ²"),
    # Lecture 4's σ is the batch VARIANCE and m the batch size; the trainset's variance is "Var".
    "l4": dict(mean=r"\mu", var=r"\sigma", mean_t="μ", var_t="σ", n="m", feature="one feature",
               pop="Var"),
    "l051023": dict(mean=r"\mu_k", var=r"\sigma_k^2", mean_t="μₖ", var_t="σₖ²", n="n",
                    feature="feature k", pop="σ²"),
    # Lecture 14's σ is the batch standard deviation, x̄ the batch mean, m the batch size.
    "l14": dict(mean=r"\bar x", var=r"\sigma^2", mean_t="x̄", var_t="σ²", n="m",
                feature="one feature", pop="Var"),
}
"""BatchNormNoiseExplorer's words per lecture: ``mean``/``var`` mathtext, ``mean_t``/``var_t``
the same in plain text (for texts redrawn per frame), ``n`` the batch size, ``pop`` the
trainset's variance: σ², or Var where the lecture's σ is the batch's variance (Lecture 4) or
standard deviation (Lecture 14)."""


def _trainset(kind):
    """The feature's values over the trainset: mean 3 and variance 4 (up to sampling)."""
    rng = default_rng(7)
    if kind == "normal":
        return MEAN + np.sqrt(VAR) * rng.standard_normal(N_TRAIN)
    return MEAN - np.sqrt(VAR) + np.sqrt(VAR) * rng.exponential(size=N_TRAIN)  # skewed


def _minibatches(x, batch, count, seed):
    """``count`` minibatches of one feature, as the columns of a (batch, count) array."""
    return x[default_rng(seed).integers(0, len(x), size=(batch, count))]  # (N_batch, count)


@register
class BatchNormNoiseExplorer(Explorer):
    """Histograms of m_j and σ_j² over 4000 minibatches, with the trainset's values.

    ``notation`` (``"mlp"``, ``"l3"``, ``"l4"``, ``"l051023"`` or ``"l14"``) writes the
    labels in that lecture's letters (:data:`_LETTERS`); the numbers do not depend on it.
    """

    controls = {
        "batch": Slider(2, 128, 1, 8, "batch size N_batch", play=True),
        "trainset": Choice(("normal", "skewed"), "normal", "feature values"),
    }
    figsize = (9.3, 4.2)
    edges_m = np.linspace(MEAN - 4.5, MEAN + 4.5, 73)
    edges_v = np.linspace(0.0, 16.0, 65)

    notations = tuple(_LETTERS)
    """The lecture keys ``notation`` takes."""

    def __init__(self, notation="mlp", **params):
        self.notation = notation
        self.letters = letters(_LETTERS, notation, type(self).__name__)
        self.controls = relabel(type(self).controls,
                                {"batch": {"description": f"batch size {self.letters['n']}"}})
        super().__init__(**params)

    def build(self, fig):
        L = self.letters
        self.populations = {kind: _trainset(kind) for kind in self.controls["trainset"].options}
        self.ax_m = fig.add_axes((0.05, 0.15, 0.42, 0.63))
        self.ax_v = fig.add_axes((0.55, 0.15, 0.42, 0.63))
        for ax, edges, xlabel in ((self.ax_m, self.edges_m, f"batch mean ${L['mean']}$"),
                                  (self.ax_v, self.edges_v, f"batch variance ${L['var']}$")):
            ax.set_xlim(edges[0], edges[-1])
            ax.set_ylim(0, 1.5)  # the top third holds the numbers
            ax.set_yticks([])
            ax.set_xlabel(xlabel, fontsize=FONT)
            ax.tick_params(labelsize=FONT - 2)
        self.hist_m = self.ax_m.stairs(np.zeros(len(self.edges_m) - 1), self.edges_m, fill=True,
                                       color=_BLUE, alpha=0.75)
        self.hist_v = self.ax_v.stairs(np.zeros(len(self.edges_v) - 1), self.edges_v, fill=True,
                                       color=_BLUE, alpha=0.75)
        line = dict(lw=2.5, ymin=0, ymax=0.68)
        self.true_m = self.ax_m.axvline(MEAN, color="black", **line)
        self.true_v = self.ax_v.axvline(VAR, color="black", **line)
        self.avg_m = self.ax_m.axvline(MEAN, color=_ORANGE, ls="--", **line)
        self.avg_v = self.ax_v.axvline(VAR, color=_ORANGE, ls="--", **line)
        for ax, what in ((self.ax_m, L["mean"]), (self.ax_v, L["var"])):
            ax.legend([self.true_m, self.avg_m],
                      ["trainset value", f"average of ${what}$ over the batches"],
                      loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, fontsize=FONT - 3,
                      frameon=False, handlelength=1.6, columnspacing=1.0)
        self.title = fig.text(0.05, 0.92, "", fontsize=FONT + 1)
        # Labels once, numbers beside them: only the short numbers are re-rendered per move.
        # (Plain text: mathtext that changes every frame would cost tens of ms to parse.)
        text = dict(va="top", fontsize=FONT - 1, linespacing=1.4)
        n, pop = L["n"], L["pop"]
        spread = f"σ / √{n}" if pop == "σ²" else f"√({pop} / {n})"
        self.ax_m.text(0.80, 0.96, f"spread (std) of {L['mean_t']}:\n{spread}:", ha="right",
                       transform=self.ax_m.transAxes, **text)
        self.ax_v.text(0.80, 0.96, f"average of {L['var_t']}:\n({n} − 1)/{n} · {pop}:\n"
                       "beyond the axis:", ha="right", transform=self.ax_v.transAxes, **text)
        self.text_m = self.ax_m.text(0.82, 0.96, "", transform=self.ax_m.transAxes, ha="left",
                                     **text)
        self.text_v = self.ax_v.text(0.82, 0.96, "", transform=self.ax_v.transAxes, ha="left",
                                     **text)

    def compute(self, *, batch, trainset):
        x = self.populations[trainset]
        # Each column is one minibatch of the feature: batch_stats gives its m_j and σ_j².
        m, var = batch_stats(_minibatches(x, batch, DRAWS, seed=batch), layout="ND")
        count_m, _ = np.histogram(m, self.edges_m)
        count_v, _ = np.histogram(var, self.edges_v)
        return {"m": m, "var": var, "hist_m": count_m / count_m.max(),
                "hist_v": count_v / count_v.max(), "batch": batch,
                "pop_mean": float(x.mean()), "pop_var": float(x.var()),
                "std_m": float(m.std()), "mean_var": float(var.mean()),
                "outside_v": float(np.mean(var > self.edges_v[-1]))}

    def draw(self, r):
        self.hist_m.set_data(r["hist_m"])
        self.hist_v.set_data(r["hist_v"])
        self.true_m.set_xdata([r["pop_mean"]] * 2)
        self.true_v.set_xdata([r["pop_var"]] * 2)
        self.avg_m.set_xdata([float(np.mean(r["m"]))] * 2)
        self.avg_v.set_xdata([min(r["mean_var"], self.edges_v[-1])] * 2)
        n = r["batch"]
        self.title.set_text(f"{DRAWS} minibatches of {self.letters['feature']}, from a trainset "
                            f"with mean {r['pop_mean']:.2f} and variance {self.letters['pop']} "
                            f"= {r['pop_var']:.2f}")
        self.text_m.set_text(f"{r['std_m']:.3f}\n{np.sqrt(r['pop_var'] / n):.3f}")
        self.text_v.set_text(f"{r['mean_var']:.2f}\n{(n - 1) / n * r['pop_var']:.2f}\n"
                             f"{100 * r['outside_v']:.1f}%")


def _running_stats(batches, momentum):
    """Running mean and variance of :class:`BatchNorm` (starting at 0 and 1) after each of the
    training minibatches, the columns of ``batches`` (N_batch, steps): two arrays (steps + 1,).

    Each batch's mean and biased variance as :func:`lecturekit.norm.batch_stats` computes
    them for one (N_batch, 1) batch: a mean over N_batch contiguous values (so the same
    pairwise summation); then the updates of ``BatchNorm.forward`` in the same order.
    """
    rows = np.ascontiguousarray(batches.T)  # (steps, N_batch): one batch per row
    mu = rows.mean(axis=1)
    var = ((rows - mu[:, None]) ** 2).mean(axis=1)
    n = rows.shape[1]
    unbiased = var * n / (n - 1)
    mean, variance = [np.float64(0.0)], [np.float64(1.0)]
    for m, v in zip(mu, unbiased, strict=True):
        mean.append((1 - momentum) * mean[-1] + momentum * m)
        variance.append((1 - momentum) * variance[-1] + momentum * v)
    return np.array(mean), np.array(variance)


@register
class BatchNormRunningExplorer(Explorer):
    r"""Running mean and variance over training steps; test and train mode against the trainset's.

    The reference for one held-out batch :math:`x_i` is what the notes' test rule
    asks for, the trainset's own statistics: :math:`(x_i - m)/\sqrt{\sigma^2 +
    \epsilon}` with :math:`m, \sigma^2` the mean and (biased) variance of all
    10 000 training values. Test mode uses the running statistics instead, train
    mode the batch's own :math:`m_j, \sigma_j^2`; ``max_error`` and
    ``train_error`` are their largest distances from the reference.
    """

    controls = {
        "momentum": Slider(0.0, 1.0, 0.01, 0.1, "momentum"),
        "steps": Slider(1, STEPS_MAX, 1, 30, "training steps", play=True),
        "batch": Slider(2, 64, 1, 16, "batch size N_batch"),
    }
    figsize = (9.3, 4.3)
    ylim_stats = (-0.5, 8.0)
    lim_ref, lim_out = (-3.5, 3.5), (-4.0, 10.0)

    def build(self, fig):
        self.x = _trainset("normal")
        self.pop_mean, self.pop_var = float(self.x.mean()), float(self.x.var())
        self.ax_run = fig.add_axes((0.06, 0.13, 0.5, 0.6))
        self.ax_out = fig.add_axes((0.66, 0.13, 0.31, 0.6))
        ax = self.ax_run
        ax.set_xlim(0, STEPS_MAX)
        ax.set_ylim(*self.ylim_stats)
        ax.set_xlabel("training step", fontsize=FONT)
        ax.tick_params(labelsize=FONT - 2)
        ax.grid(alpha=0.3)
        (self.run_mean,) = ax.plot([], [], color=_BLUE, lw=2.5, label="running mean")
        (self.run_var,) = ax.plot([], [], color=_ORANGE, lw=2.5, label="running variance")
        # Named in the legend, not beside the lines: the running curves run into them.
        ax.axhline(self.pop_mean, color=_BLUE, ls=":", lw=1.5, label="trainset mean")
        ax.axhline(self.pop_var, color=_ORANGE, ls=":", lw=1.5, label="trainset variance")
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, fontsize=FONT - 2,
                  frameon=False, columnspacing=1.2)
        ax = self.ax_out
        ax.set_xlim(*self.lim_ref)
        ax.set_ylim(*self.lim_out)
        ax.plot(self.lim_ref, self.lim_ref, color="0.5", lw=1, ls="--")
        ax.set_xlabel("normalised with the trainset's $m, \\sigma^2$", fontsize=FONT - 1)
        ax.set_ylabel("output of the layer", fontsize=FONT - 1)
        ax.set_title("one held-out batch", fontsize=FONT - 1)
        ax.tick_params(labelsize=FONT - 3)
        ax.grid(alpha=0.3)
        (self.train_points,) = ax.plot([], [], "x", color="0.45", ms=6, mew=1.5,
                                       label="train mode (own $m_j, \\sigma_j^2$)")
        (self.points,) = ax.plot([], [], "o", color="#31a354", ms=6,
                                 label="test mode (running)")
        ax.legend(loc="lower right", fontsize=FONT - 4, framealpha=0.9, handletextpad=0.3)
        # The rule changes only with the momentum; the short numbers with every step. Each
        # number is a text of its own (TextRow): the words around it are rendered once.
        self.title = TextRow(fig, 0.06, 0.92, 5, fontsize=FONT + 1)
        self.after = TextRow(fig, 0.55, 0.92, 6, fontsize=FONT + 1)
        # The distances' block in the top left corner of the axes, one line per text.
        x0, y0, width, height = ax.get_position().bounds
        x, y = x0 + 0.03 * width, y0 + 0.97 * height
        step = (FONT - 2) * 1.2 / 72 / fig.get_figheight()  # one line, as a figure fraction
        fig.text(x, y, "max distance from the diagonal", va="top", fontsize=FONT - 2)
        self.gap = [TextRow(fig, x, y - i * step, 2, va="top", fontsize=FONT - 2)
                    for i in (1, 2)]

    def _history(self, momentum, batch, steps):
        """Running mean and variance after training steps 0..steps (memoised).

        A shorter run is a prefix of a longer one (the same batches in the same order),
        so the whole run of :data:`STEPS_MAX` steps is computed once per momentum and
        batch size: every batch's statistics at once, then the two running averages, as
        :meth:`lecturekit.norm.BatchNorm.forward` updates them (the same operations in
        the same order, so the same bits as :meth:`_history_reference`).
        """
        mean, var = self.memo((momentum, batch), lambda: _running_stats(
            _minibatches(self.x, batch, STEPS_MAX, seed=batch), momentum), size=32)
        return mean[:steps + 1].copy(), var[:steps + 1].copy()

    def _history_reference(self, momentum, batch, steps):
        """Running mean and variance after training steps 0..steps: :class:`BatchNorm`, one step
        at a time (memoised): the readable code that :meth:`_history` is checked against.

        A shorter run is a prefix of a longer one (the same batches in the same
        order), so a run is only ever extended: moving the steps slider back and
        forth trains each step once.
        """
        def start():
            bn = BatchNorm(1, momentum=momentum)
            # (STEPS_MAX, N_batch, 1): one training minibatch per step.
            batches = _minibatches(self.x, batch, STEPS_MAX, seed=batch).T[..., None]
            return bn, batches, [bn.running_mean[0]], [bn.running_var[0]]

        bn, batches, mean, var = self.memo(("reference", momentum, batch), start, size=32)
        while len(mean) <= steps:
            bn.forward(batches[len(mean) - 1])  # training mode: updates the running statistics
            mean.append(bn.running_mean[0])
            var.append(bn.running_var[0])
        return np.array(mean[:steps + 1]), np.array(var[:steps + 1])

    def compute(self, *, momentum, steps, batch):
        mean, var = self._history(momentum, batch, steps)
        test_batch = _minibatches(self.x, batch, 1, seed=1000 + batch)  # (N_batch, 1)
        one, zero = np.ones(1), np.zeros(1)
        train_out = batch_norm(test_batch, one, zero)  # the batch's own m_j, σ_j²
        test_out = batch_norm(test_batch, one, zero, running_mean=mean[steps:steps + 1],
                              running_var=var[steps:steps + 1])
        # The reference: "use saved m_j, σ_j for trainset", with the whole trainset's values.
        ref_out = batch_norm(test_batch, one, zero, running_mean=np.array([self.pop_mean]),
                             running_var=np.array([self.pop_var]))
        return {"step": np.arange(steps + 1), "running_mean": mean,
                "running_var": var, "train_out": train_out[:, 0],
                "test_out": test_out[:, 0], "ref_out": ref_out[:, 0],
                "pop_mean": self.pop_mean, "pop_var": self.pop_var,
                "momentum": momentum, "steps": steps, "batch": batch,
                "max_error": float(np.max(np.abs(test_out - ref_out))),
                "train_error": float(np.max(np.abs(train_out - ref_out)))}

    def draw(self, r):
        self.run_mean.set_data(r["step"], np.clip(r["running_mean"], *self.ylim_stats))
        self.run_var.set_data(r["step"], np.clip(r["running_var"], *self.ylim_stats))
        ref = np.clip(r["ref_out"], *self.lim_ref)
        self.points.set_data(ref, np.clip(r["test_out"], *self.lim_out))
        self.train_points.set_data(ref, np.clip(r["train_out"], *self.lim_out))
        momentum = f"{r['momentum']:.2f}"
        self.title.set_pieces("running = (1 − ", momentum, ")·running + ", momentum, "·batch")
        self.after.set_pieces("after ", str(r["steps"]), " steps: mean ",
                              f"{r['running_mean'][-1]:.2f}", ", variance ",
                              f"{r['running_var'][-1]:.2f}")
        self.gap[0].set_pieces("test mode: ", f"{r['max_error']:.2f}")
        self.gap[1].set_pieces("train mode: ", f"{r['train_error']:.2f}")
