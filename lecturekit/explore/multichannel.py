r"""Convolution of a 3-channel input with two filters, step by step, with numbers.

Lecture 3, "Convolution for 3D tensor": an input of :math:`C = 3` channels
(a colour image), two filters of shape :math:`(3, k, k)`, each spanning all
three channels. At each step the window of every channel is multiplied entry by
entry with that filter's slice for the channel, each channel's products are
summed, and the three channel sums plus the filter's bias give one entry of
that filter's output map:

.. math::
    Y(o, i, j) = b_o + \sum_{c=1}^{3} \sum_{u,v} X(c, S i + u, S j + v)\, K(o, c, u, v).

The numbers come from :func:`lecturekit.conv_steps.multichannel_conv_steps`
(tested against :func:`lecturekit.conv.conv2d`); the data are small integers
drawn with the ``seed`` (inputs 0..3, weights −1..1, biases −2..2), so that
every product can be read.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgb

from ..conv_steps import multichannel_conv_steps
from ..rng import default_rng
from ._axes import FONT
from ._controls import Slider
from ._explorer import Explorer, register
from .conv_steps import number, put, squares

__all__ = ["MultiChannelConvExplorer", "multichannel_data"]

SIDE, CHANNELS, FILTERS, MAX_PAD = 5, 3, 2, 1
_CELL, _OUT_CELL = 2.2, 2.6  # figure units of 10 px
_TOP, _COL = 7.2, 19.5  # top of the inputs; width of one channel's column
_OUT_X = (59.0, 77.0)
_ROWS = (26.0, 36.0)  # top of each filter's row of kernels
_INPUT, _PAD, _WINDOW = to_rgb("#c6dbef"), to_rgb("#eeeeee"), to_rgb("#6baed6")
_KERNEL, _PRODUCT = to_rgb("#fdd0a2"), to_rgb("#fee6ce")
_TODO, _DONE = to_rgb("#f4f4f4"), to_rgb("#c7e9c0")
_CHANNEL_COLOURS = ("#cb181d", "#238b45", "#2171b5")  # R, G, B


@lru_cache(maxsize=16)
def multichannel_data(seed, k):
    """The explorer's data for ``seed``: ``x`` (3, 5, 5) in 0..3, ``w`` (2, 3, k, k) in −1..1
    and ``b`` (2,) in −2..2, small integers as float64.

    Examples
    --------
    >>> x, w, b = multichannel_data(0, 3)
    >>> x.shape, w.shape, b.shape
    ((3, 5, 5), (2, 3, 3, 3), (2,))
    """
    rng = default_rng(seed)
    x = rng.integers(0, 4, size=(CHANNELS, SIDE, SIDE)).astype(float)  # (C, H, W)
    w = rng.integers(-1, 2, size=(FILTERS, CHANNELS, 3, 3)).astype(float)[..., :k, :k]
    b = rng.integers(-2, 3, size=FILTERS).astype(float)  # (K,)
    return x, w, b


@register
class MultiChannelConvExplorer(Explorer):
    """Three input channels, two (3, k, k) filters: per-channel products, their sums, + b."""

    controls = {
        "kernel": Slider(2, 3, 1, 3, "kernel k"),
        "padding": Slider(0, MAX_PAD, 1, 0, "padding P"),
        "stride": Slider(1, 2, 1, 1, "stride S"),
        "seed": Slider(0, 9, 1, 0, "data seed"),
        "step": Slider(0, 35, 1, 0, "step", play=True,
                       help="the output entry computed last, in reading order"),
    }
    figsize = (9.3, 4.35)

    def _steps(self, kernel, padding, stride, seed):
        x, w, b = multichannel_data(seed, kernel)
        return self.memo((kernel, padding, stride, seed),
                         lambda: multichannel_conv_steps(x, w, b, stride=stride, padding=padding))

    def limits(self, params):
        s = self._steps(params["kernel"], params["padding"], params["stride"], params["seed"])
        return {"step": (0, s.steps - 1)}

    def inactive(self, params):
        if self.limits(params)["step"][1] == 0:
            return {"step": "acts when the output has more entries"}
        return {}

    def build(self, fig):
        h = self.figsize[1] * 10
        ax = self.ax = fig.add_axes((0, 0, 1, 1))
        ax.set(xlim=(0, 93), ylim=(h, 0))
        ax.set_axis_off()
        self.cells = PolyCollection([], edgecolors="white", linewidths=0.8)
        ax.add_collection(self.cells)
        self.outline = PolyCollection([], facecolors="none", edgecolors="#08306b",
                                      linewidths=2.0, clip_on=False)
        ax.add_collection(self.outline)
        # The limits never change: a frozen transform is cheaper to apply to ~300 texts a frame.
        small = dict(ha="center", va="center", fontsize=FONT - 3, transform=ax.transData.frozen())
        n_pad = SIDE + 2 * MAX_PAD
        self.in_texts = [[ax.text(0, 0, "", **small) for _ in range(n_pad * n_pad)]
                         for _ in range(CHANNELS)]
        self.k_texts = [[[ax.text(0, 0, "", **small) for _ in range(9)] for _ in range(CHANNELS)]
                        for _ in range(FILTERS)]
        # one text per product: the renderer renders each number once, whatever the cell
        self.p_texts = [[[ax.text(0, 0, "", **small) for _ in range(9)] for _ in range(CHANNELS)]
                        for _ in range(FILTERS)]
        self.s_texts = [[ax.text(0, 0, "", ha="left", va="center", fontsize=FONT - 2)
                         for _ in range(CHANNELS)] for _ in range(FILTERS)]
        self.out_texts = [[ax.text(0, 0, "", **small) for _ in range(36)]
                          for _ in range(FILTERS)]
        head = dict(ha="left", va="bottom", fontsize=FONT - 1)
        for c in range(CHANNELS):
            ax.text(1.0 + c * _COL, _TOP - 0.4, f"X, channel c = {c + 1}", color=_CHANNEL_COLOURS[c],
                    **head)
        for o in range(FILTERS):
            ax.text(_OUT_X[o], _TOP - 0.4, f"output map o = {o + 1}", **head)
            ax.text(1.0, _ROWS[o] - 0.4, f"filter o = {o + 1}:  K(o, c)  ·  the window of "
                    f"channel c ⊙ K(o, c)  ·  their sum", **head)
        for o in range(FILTERS):  # what each sum line adds up
            ax.text(_OUT_X[0] + 1.5, _ROWS[o] + 2.2, f"Σ over the channels c, + b{'₁₂'[o]}:",
                    ha="left", va="center", fontsize=FONT - 2, color="0.3")
        self.sum_lines = [ax.text(_OUT_X[0] + 1.5, _ROWS[o] + 4.4, "", ha="left", va="center",
                                  fontsize=FONT - 1) for o in range(FILTERS)]
        self.formula = ax.text(1.0, 0.3, r"$Y(o, i, j) = b_o + \sum_{c=1}^{3} \sum_{u,v} "
                               r"X(c, Si+u, Sj+v)\,K(o, c, u, v)$", ha="left", va="top",
                               fontsize=FONT - 1)
        self.shapes = ax.text(92.0, 0.6, "", ha="right", va="top", fontsize=FONT - 1,
                              color="0.3")

    def compute(self, *, kernel, padding, stride, seed, step):
        s = self._steps(kernel, padding, stride, seed)
        step = min(step, s.steps - 1)
        return {"steps": s, "step": step, "kernel": kernel, "padding": padding,
                "stride": stride, "w": multichannel_data(seed, kernel)[1],
                "output": s.output, "sums": s.sums[step], "channel_sums": s.channel_sums[step]}

    def draw(self, r):
        s, step, k, padding = r["steps"], r["step"], r["kernel"], r["padding"]
        n = SIDE + 2 * padding
        ii, jj = np.divmod(np.arange(n * n), n)
        inside = (ii >= padding) & (ii < n - padding) & (jj >= padding) & (jj < n - padding)
        r0, c0 = s.starts[step]
        under = (ii >= r0) & (ii < r0 + k) & (jj >= c0) & (jj < c0 + k)
        colours = np.where(inside[:, None], _INPUT, _PAD)
        colours[under] = _WINDOW
        m_r, m_c = s.output.shape[1:]
        oi, oj = np.divmod(np.arange(m_r * m_c), m_c)
        done = np.arange(m_r * m_c) <= step
        ki, kj = np.divmod(np.arange(k * k), k)
        verts, faces, outline = [], [], []
        centre = _CELL / 2
        for c in range(CHANNELS):
            origin = (1.0 + c * _COL + (MAX_PAD - padding) * _CELL,
                      _TOP + (MAX_PAD - padding) * _CELL)
            verts.append(squares(origin, ii, jj, _CELL))
            faces.append(colours)
            x0, y0 = origin[0] + _CELL * c0, origin[1] + _CELL * r0
            outline.append([(x0, y0), (x0 + k * _CELL, y0), (x0 + k * _CELL, y0 + k * _CELL),
                            (x0, y0 + k * _CELL)])
            for t, text in enumerate(self.in_texts[c]):
                if t < n * n:
                    put(text, number(s.padded[c, ii[t], jj[t]]),
                        (origin[0] + _CELL * jj[t] + centre, origin[1] + _CELL * ii[t] + centre),
                        "black" if inside[t] else "0.55")
                else:
                    put(text, "")
        for o in range(FILTERS):
            for c in range(CHANNELS):
                origin = (1.0 + c * _COL, _ROWS[o])
                verts.append(squares(origin, ki, kj, _CELL))
                faces.append(np.tile(_KERNEL, (k * k, 1)))
                for t, text in enumerate(self.k_texts[o][c]):
                    if t < k * k:
                        put(text, number(r["w"][o, c, ki[t], kj[t]]),
                            (origin[0] + _CELL * kj[t] + centre, origin[1] + _CELL * ki[t] + centre))
                    else:
                        put(text, "")
                p_origin = (origin[0] + k * _CELL + 0.8, _ROWS[o])
                verts.append(squares(p_origin, ki, kj, _CELL))
                faces.append(np.tile(_PRODUCT, (k * k, 1)))
                products = s.products[step, o, c]
                for t, text in enumerate(self.p_texts[o][c]):
                    if t < k * k:
                        put(text, number(products[ki[t], kj[t]]),
                            (p_origin[0] + _CELL * kj[t] + centre,
                             p_origin[1] + _CELL * ki[t] + centre))
                    else:
                        put(text, "")
                put(self.s_texts[o][c], f"Σ = {number(r['channel_sums'][o, c])}",
                    (p_origin[0] + k * _CELL + 0.5, _ROWS[o] + k * _CELL / 2))
            out_origin = (_OUT_X[o], _TOP)
            verts.append(squares(out_origin, oi, oj, _OUT_CELL))
            faces.append(np.where(done[:, None], _DONE, _TODO))
            outline.append(squares(out_origin, [oi[step]], [oj[step]], _OUT_CELL)[0])
            flat = s.output[o].reshape(-1)
            for t, text in enumerate(self.out_texts[o]):
                if t < m_r * m_c and t <= step:
                    put(text, number(flat[t]), (out_origin[0] + _OUT_CELL * (oj[t] + 0.5),
                                                out_origin[1] + _OUT_CELL * (oi[t] + 0.5)))
                else:
                    put(text, "")
            # the channel sums with their signs, then the bias (in brackets if negative)
            terms = " + ".join(number(v) for v in r["channel_sums"][o]).replace("+ −", "− ")
            bias = f"({number(s.bias[o])})" if s.bias[o] < 0 else number(s.bias[o])
            put(self.sum_lines[o], f"Y({o + 1}, {oi[step] + 1}, {oj[step] + 1}) = {terms} + {bias} = "
                f"{number(r['sums'][o])}")
        self.cells.set_verts(np.concatenate(verts))
        self.cells.set_facecolors(np.concatenate(faces))
        self.outline.set_verts(outline)
        put(self.shapes, f"X: 3×{SIDE}×{SIDE}, P = {padding}  ·  K: 2×3×{k}×{k}  ·  "
            f"S = {r['stride']}  ·  Y: 2×{m_r}×{m_c}")
