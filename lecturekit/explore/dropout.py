r"""Dropout, classic and inverted: one mask, and train vs test in expectation (MLP lecture).

*p is the* chooses what the slider's p means: the MLP lecture's (and PyTorch's)
**drop** probability, or the 05/10/23 lecture's **keep** probability.
``notation="mlp"`` (the default) or ``"l051023"`` writes the figure in that
lecture's letters (the MLP lecture drops units :math:`a_i` with a mask :math:`y_i`;
05/10/23 drops inputs :math:`x_i` with a mask :math:`r_i`, :math:`p(r_i = 1) = p`) and
sets *p is the* to that lecture's meaning; the numbers do not depend on it. The slider
runs from 0 to 1 so that both conventions reach every valid value: a drop
probability in [0, 1) (p = 0: no dropout) and a keep probability in (0, 1]
(p = 1: no dropout, the lecture's recommendation for the output layer). Each
convention's one invalid end, a drop probability of 1 or a keep probability of
0 (no unit gets through), shows a message saying so in place of the figure.
"""

from __future__ import annotations

import numpy as np

from ..dropout import MODES, dropout
from ..rng import default_rng
from ._axes import FONT, set_lims
from ._controls import Choice, Slider
from ._explorer import Explorer, register
from ._notation import letters, relabel

UNITS = 12
_LETTERS = {
    # The MLP lecture: units a_i, mask y_i, p the DROP probability (the keep probability is q).
    "mlp": dict(
        p_means="drop", x="a", mask="y_i", what="units",
        rules={"inverted": r"inverted dropout:   train $a_i^{DO} = a_i y_i / @$,     "
                           r"test $a_i^{DO} = a_i$",
               "classic": r"classic dropout:   train $a_i^{DO} = a_i y_i$,     "
                          r"test $a_i^{DO} = @\,a_i$   (the notes' $a_i / (1 - p)$ is an erratum)"},
        keep="keep q = 1 − p", mask_law="y_i ~ Bernoulli(q)"),
    # 05/10/23: inputs x_i, mask r_i, p(r_i = 1) = p the KEEP probability; no rescaling
    # (classic dropout) in its formula z_m = σ(<r ⊙ x, α_m>).
    "l051023": dict(
        p_means="keep", x="x", mask="r_i", what="inputs",
        rules={"inverted": r"inverted dropout:   train $r_i x_i / @$,     test $x_i$",
               "classic": r"classic dropout (the lecture's $r \odot x$):   train $r_i x_i$,"
                          r"     test $@\,x_i$"},
        keep="p(r_i = 1) = p", mask_law=""),
}
"""Each notation's letters; in ``rules`` "@" stands for the keep probability's letter."""


def _nice_top(value):
    """A round upper limit >= value (1, 1.5, 2, 3, 5 x 10^k), so the axis moves rarely."""
    scale = 10.0 ** np.floor(np.log10(value))
    return scale * next(m for m in (1, 1.5, 2, 3, 5, 10) if m * scale >= value)


@register
class DropoutExplorer(Explorer):
    """A layer's activations, one dropout mask, and the Monte-Carlo mean vs the test output."""

    controls = {
        "mode": Choice(MODES, "inverted", "dropout"),
        "p_means": Choice(("drop", "keep"), "drop", "p is the"),
        "p": Slider(0.0, 1.0, 0.05, 0.5, "p"),
        "seed": Slider(0, 50, 1, 0, "mask seed", play=True),
        "samples": Slider(10, 2000, 10, 200, "masks averaged"),
    }
    figsize = (9.3, 4.4)
    messages = {
        "no_unit_through": "p = {p:g} as the {p_means} probability lets no unit through:\n"
                           "the {p_means} probability ({arg}) must be in {interval}.",
    }

    def inactive(self, params):
        # No unit dropped (drop p = 0, keep p = 1): every mask is all ones, whatever the seed.
        if params["p"] == (0.0 if params["p_means"] == "drop" else 1.0):
            return {"seed": "acts when some units are dropped"}
        return {}

    notations = tuple(_LETTERS)
    """The lecture keys ``notation`` takes."""

    def __init__(self, notation="mlp", **params):
        self.notation = notation
        self.letters = letters(_LETTERS, notation, type(self).__name__)
        self.controls = relabel(type(self).controls,
                                {"p_means": {"default": self.letters["p_means"]}})
        super().__init__(**params)

    def build(self, fig):
        L = self.letters
        # One fixed layer of activations: only the masks change with the seed.
        self.a = default_rng(1).uniform(0.3, 1.6, UNITS)
        x = np.arange(UNITS)
        self.ax1 = fig.add_axes((0.06, 0.14, 0.42, 0.56))
        self.ax2 = fig.add_axes((0.56, 0.14, 0.42, 0.56))
        self.bars_a = self.ax1.bar(x, self.a, width=0.8, fill=False, edgecolor="0.45", lw=1.5,
                                   ls="--", label=f"{L['x']}  (before dropout)")
        self.bars_out = self.ax1.bar(x, self.a, width=0.55, color="#3182bd",
                                     label="train output, this mask")
        (self.dropped,) = self.ax1.plot([], [], "x", color="#d62728", ms=11, mew=3, clip_on=False,
                                        label=f"dropped: {L['mask']} = 0"
                                              + f",  {L['mask_law']}" * bool(L["mask_law"]))
        self.bars_test = self.ax2.bar(x, self.a, width=0.7, color="#74c476",
                                      label="test output")
        (self.mc,) = self.ax2.plot(x, self.a, "D", color="black", ms=7,
                                   label="train output, mean over masks")
        for ax in (self.ax1, self.ax2):
            ax.set_xticks([])  # unit numbers would only add text to render
            ax.tick_params(labelsize=FONT - 2)
            ax.set_xlim(-0.6, UNITS - 0.4)
            # Above the axes, so that no bar is ever drawn over it.
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1.01), ncol=2, fontsize=FONT - 2,
                      frameon=False, handlelength=1.5, columnspacing=1.0)
        self.rule = fig.text(0.06, 0.93, "", fontsize=FONT + 2)
        self.probs = fig.text(0.06, 0.865, "", fontsize=FONT)
        self.kept = self.ax1.text(0.5, -0.06, "", transform=self.ax1.transAxes, ha="center",
                                  va="top", fontsize=FONT)
        self.error = self.ax2.text(0.5, -0.06, "", transform=self.ax2.transAxes, ha="center",
                                   va="top", fontsize=FONT)

    def compute(self, *, mode, p_means, p, seed, samples):
        prob = {"drop_prob": p} if p_means == "drop" else {"keep_prob": p}
        if p == (1.0 if p_means == "drop" else 0.0):  # every unit dropped: dropout() refuses
            arg, interval = ("drop_prob", "[0, 1)") if p_means == "drop" else ("keep_prob", "(0, 1]")
            raise self.invalid("no_unit_through", p=p, p_means=p_means, arg=arg,
                               interval=interval)
        rng = default_rng(seed)
        out, mask = dropout(self.a, mode=mode, rng=rng, **prob)
        # (samples, UNITS): one fresh mask per row, from the same generator.
        many, _ = dropout(np.broadcast_to(self.a, (samples, UNITS)), mode=mode, rng=rng, **prob)
        test, _ = dropout(self.a, mode=mode, training=False, **prob)
        q = p if p_means == "keep" else 1 - p
        return {"out": out, "mask": mask, "mc_mean": many.mean(axis=0), "test": test,
                "mode": mode, "p_means": p_means, "q": q, "p": 1 - q, "samples": samples,
                "max_gap": float(np.max(np.abs(many.mean(axis=0) - test)))}

    def draw(self, r):
        x = np.arange(UNITS)
        for bar, h in zip(self.bars_out, r["out"], strict=True):
            bar.set_height(h)
        for bar, h in zip(self.bars_test, r["test"], strict=True):
            bar.set_height(h)
        self.dropped.set_data(x[r["mask"] == 0], np.zeros(int((r["mask"] == 0).sum())))
        self.mc.set_data(x, r["mc_mean"])
        # The largest possible output, not this mask's, so the seed never moves the axis.
        top = self.a.max() / r["q"] if r["mode"] == "inverted" else self.a.max()
        set_lims(self.ax1, ylim=(0, 1.25 * _nice_top(top)))
        set_lims(self.ax2, ylim=(0, 1.25 * _nice_top(max(r["mc_mean"].max(), self.a.max()))))
        L = self.letters
        # The keep probability's letter: p where p means "keep" in this lecture's notation.
        keep = "p" if r["p_means"] == "keep" and self.notation == "l051023" else "q"
        self.rule.set_text(L["rules"][r["mode"]].replace("@", keep))
        if r["p_means"] == "drop":
            probs = (f"p = {r['p']:.2f} is the drop probability (MLP lecture, PyTorch):   "
                     f"keep q = 1 − p = {r['q']:.2f}")
        elif keep == "p":
            probs = (f"p = {r['q']:.2f} is the keep probability, {L['keep']}:   "
                     f"drop 1 − p = {r['p']:.2f}")
        else:
            probs = (f"p = {r['q']:.2f} is the keep probability q (05/10/23 lecture):   "
                     f"drop 1 − q = {r['p']:.2f}")
        self.probs.set_text(probs)
        self.kept.set_text(f"one training pass: kept {int(r['mask'].sum())} of {UNITS} "
                           f"{L['what']}")
        self.error.set_text(f"mean over {r['samples']} masks vs test:  "
                            f"max gap {r['max_gap']:.3f}")
