r"""Convolution arithmetic: padding, stride, dilation and transposed convolution, cell by cell.

Lecture 3's "Different types of convolution" pictures (after Dumoulin & Visin's
conv_arithmetic animations) and Lecture 4's output size
:math:`m = (W - F + 2P)/S + 1`. Sizes come from :mod:`lecturekit.conv`.

A transposed convolution is drawn the way conv_arithmetic draws it: as a
direct, stride-1 convolution over the input with :math:`S - 1` zeros inserted
between its cells and :math:`d(F - 1) - P` cells of zero padding around it
(negative padding crops), plus ``output_padding`` :math:`o` more cells at the
bottom and on the right: :math:`m = (W - 1)S - 2P + d(F - 1) + o + 1`, as
PyTorch's ``ConvTranspose2d``. A convolution with stride :math:`S` maps up to
:math:`S` input sizes to the same output size (5 and 6 both give 2 for
:math:`F = 3, S = 2`); :math:`o` picks which of them the transposed
convolution returns. PyTorch requires :math:`o < \max(S, d)`: the control
is pinned to that range when "transposed" is on, and to 0 when it is off.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.patches import Patch

from ..conv import conv_output_size, conv_transpose_output_size
from ._axes import FONT
from ._controls import Slider, Toggle
from ._explorer import Explorer, register
from ._notation import letters

_INPUT, _ZERO, _PAD = (to_rgb(c) for c in ("#6baed6", "#fdd0a2", "#e5e5e5"))
_DARKEN = 0.7  # cells under the kernel: their own colour, darker
_EDGE = "#08306b"
_OUT, _CURRENT = to_rgb("#c7e9c0"), to_rgb("#31a354")
# Lecture 4 names the sizes (W, F, P, S and the output m), and 05/10/23 uses its rule; Lecture 3
# draws the same pictures without letters, captioned in words: "Padding 1, no strides".
_CAPTIONED = {"l3": True, "l4": False, "l051023": False}


def _caption(*, padding, stride, dilation, transposed, **_):
    """The setting in Lecture 3's words ("No padding, stride = 2", "Transposed convolution
    stride = 2")."""
    if transposed:
        return f"Transposed convolution stride = {stride}" + f", padding {padding}" * (padding > 0)
    words = ["No padding" if padding == 0 else f"Padding {padding}",
             "no strides" if stride == 1 else f"stride = {stride}"]
    if dilation > 1:
        words[1] = "no stride" if stride == 1 else words[1]
        words.append(f"dilation = {dilation}")
    return ", ".join(words)


def _grid_lines(m, h, o):
    """Segments of an m×m grid of cells of side h with its top-left corner at (o, o)."""
    k = o + h * np.arange(m + 1)
    return [[(o, y), (k[-1], y)] for y in k] + [[(x, o), (x, k[-1])] for x in k]


def _square(i, j, h, o):
    """Cell (row i, column j) of that grid."""
    x, y = o + h * j, o + h * i
    return [(x, y), (x + h, y), (x + h, y + h), (x, y + h)]


@register
class ConvArithmeticExplorer(Explorer):
    """The input grid with its padding, the kernel's footprint, and the output grid.

    ``notation``: ``"l4"`` (the default) and ``"l051023"`` write Lecture 4's letters;
    ``"l3"`` adds Lecture 3's caption of the picture in words ("Padding 1, no strides").
    """

    controls = {
        "size": Slider(2, 7, 1, 5, "input W"),
        "kernel": Slider(1, 4, 1, 3, "kernel F"),
        "padding": Slider(0, 3, 1, 0, "padding P"),
        "stride": Slider(1, 3, 1, 1, "stride S"),
        "dilation": Slider(1, 3, 1, 1, "dilation d"),
        "transposed": Toggle(False, "transposed"),
        "output_padding": Slider(0, 2, 1, 0, "output padding o",
                                 help="output padding o of a transposed convolution: o more rows "
                                      "and columns at the bottom and right, 0 ≤ o < max(S, d)"),
        "position": Slider(0, 28 * 28 - 1, 1, 0, "output cell", play=True),
    }
    figsize = (9.3, 4.3)

    notations = tuple(_CAPTIONED)
    """The lecture keys ``notation`` takes."""

    def __init__(self, notation="l4", **params):
        self.notation = notation
        self.captioned = letters(_CAPTIONED, notation, type(self).__name__)
        super().__init__(**params)

    messages = {
        "kernel_too_big": "{numbers}\n\nThe kernel, F' = {span} cells wide, is larger than the "
                          "padded input, W + 2P = {padded} cells:\nthere is no output cell.",
        "output_not_positive": "{numbers} = {m}\n\nThe output size is not positive: the padding "
                               "takes 2P = {two_p} cells\nof the {room} that the transposed "
                               "convolution makes.",
    }

    def limits(self, params):
        # output_padding o < max(S, d) (PyTorch's rule), and only for a transposed convolution.
        o_max = max(params["stride"], params["dilation"]) - 1 if params["transposed"] else 0
        ranges = {"output_padding": (0, o_max)}
        clamped = {**params, "output_padding": min(params["output_padding"], o_max)}
        if self._no_output(**clamped) is None:
            m = self._output_size(**clamped)
            ranges["position"] = (0, max(m * m - 1, 0))
        return ranges

    def inactive(self, params):
        notes = {}
        if not params["transposed"]:
            notes["output_padding"] = "acts when transposed"
        elif max(params["stride"], params["dilation"]) == 1:
            notes["output_padding"] = "acts when S or d > 1 (o < max(S, d))"
        position = self.limits(params).get("position")
        if position is not None and position[1] == 0:
            notes["position"] = "acts when the output has more cells"
        return notes

    @staticmethod
    def _no_output(*, size, kernel, padding, stride, dilation, transposed, output_padding, **_):
        """Why there is no output cell (a key of ``messages``), or None: the cases in which
        :func:`~lecturekit.conv.conv_output_size` and its transposed twin raise."""
        if transposed:
            room = (size - 1) * stride + dilation * (kernel - 1) + output_padding + 1
            return "output_not_positive" if room - 2 * padding < 1 else None
        return "kernel_too_big" if dilation * (kernel - 1) + 1 > size + 2 * padding else None

    @staticmethod
    def _output_size(*, size, kernel, padding, stride, dilation, transposed, output_padding,
                     **_):
        if transposed:
            return conv_transpose_output_size(size, kernel, stride=stride, padding=padding,
                                              output_padding=output_padding, dilation=dilation)
        return conv_output_size(size, kernel, stride=stride, padding=padding, dilation=dilation)

    def build(self, fig):
        # Lecture 3's caption takes a line of its own above the formula.
        top = 0.06 if self.captioned else 0.0
        self.ax_in = fig.add_axes((0.03, 0.10, 0.45, 0.66 - top), anchor="W")
        self.ax_out = fig.add_axes((0.52, 0.10, 0.45, 0.66 - top))
        for ax in (self.ax_in, self.ax_out):
            # Fixed unit square: draw() scales the cells instead of moving the limits,
            # which would re-render the background on every change of size.
            ax.set(xlim=(0, 1), ylim=(1, 0), aspect="equal")
            ax.set_axis_off()
        self.img_in = self.ax_in.imshow(np.ones((1, 1, 3)), interpolation="none")
        self.img_out = self.ax_out.imshow(np.ones((1, 1, 3)), interpolation="none")
        self.lines_in = LineCollection([], colors="white", linewidths=1.5)
        self.lines_out = LineCollection([], colors="white", linewidths=1.5)
        self.ax_in.add_collection(self.lines_in)
        self.ax_out.add_collection(self.lines_out)
        # Not clipped: its thick outline on the grid's edge would lose its outer half.
        self.footprint = PolyCollection([], facecolors="none", edgecolors=_EDGE, linewidths=3,
                                        clip_on=False)
        self.ax_in.add_collection(self.footprint)
        self.title_in = self.ax_in.text(0.0, 1.02, "", transform=self.ax_in.transAxes,
                                        ha="left", va="bottom", fontsize=FONT)
        self.title_out = self.ax_out.text(0.5, 1.02, "", transform=self.ax_out.transAxes,
                                          ha="center", va="bottom", fontsize=FONT)
        self.caption = fig.text(0.03, 0.93, "", fontsize=FONT + 1)
        self.formula = fig.text(0.03, 0.93 - top, "", fontsize=FONT + 3)
        self.numbers = fig.text(0.03, 0.865 - top, "", fontsize=FONT + 1)
        handles = [Patch(color=c, label=t) for c, t in (
            (_INPUT, "input"), (_PAD, "zero padding"), (_ZERO, "inserted zeros (transposed)"),
            (tuple(_DARKEN * np.array(_INPUT)), "kernel footprint"), (_CURRENT, "output cell"))]
        fig.legend(handles=handles, loc="lower center", ncol=5, fontsize=FONT - 2,
                   frameon=False, bbox_to_anchor=(0.5, 0.0))

    def compute(self, *, size, kernel, padding, stride, dilation, transposed, output_padding,
                position):
        span = dilation * (kernel - 1) + 1  # the dilated kernel's extent F'
        dilated = f"F' = {dilation}·({kernel} − 1) + 1 = {span},   " if dilation > 1 else ""
        if transposed:
            text = (f"m = ({size} − 1)·{stride} − 2·{padding} + {dilation}·({kernel} − 1) "
                    f"+ {output_padding} + 1")
            pad = dilation * (kernel - 1) - padding  # of the equivalent direct convolution
            step, gap = 1, stride
            formula = r"$m = (W - 1)\,S - 2P + d\,(F - 1) + o + 1$   (transposed)"
        else:
            frac = f"({size} − {span} + 2·{padding})/{stride}"
            text = f"m = {frac} + 1" if (size - span + 2 * padding) % stride == 0 else \
                f"m = ⌊{frac}⌋ + 1"
            pad, step, gap = padding, stride, 1
            formula = r"$m = (W - F' + 2P)/S + 1,\quad F' = d\,(F - 1) + 1$"
        geometry = dict(size=size, kernel=kernel, padding=padding, stride=stride,
                        dilation=dilation, transposed=transposed, output_padding=output_padding)
        problem = self._no_output(**geometry)
        if problem == "kernel_too_big":
            raise self.invalid(problem, numbers=dilated + text, span=span,
                               padded=size + 2 * padding)
        if problem == "output_not_positive":
            room = (size - 1) * stride + dilation * (kernel - 1) + output_padding + 1
            raise self.invalid(problem, numbers=dilated + text, m=room - 2 * padding,
                               two_p=2 * padding, room=room)
        m = self._output_size(**geometry)
        # The grid the kernel slides over: input cells (spread out by `gap`), zeros, padding,
        # and output_padding more cells at the end (bottom, right); limits() keeps it 0 unless
        # transposed.
        u = np.arange((size - 1) * gap + 1 + 2 * pad + output_padding) - pad  # index into the spread input
        inside = (u >= 0) & (u <= (size - 1) * gap)
        real = inside & (u % gap == 0)
        kind = np.where(real, 0, np.where(inside, 1, 2))  # 0 input, 1 inserted zero, 2 padding
        cells = np.maximum.outer(kind, kind)  # (n, n): padding wins, then zeros, then input
        r, c = divmod(min(position, m * m - 1), m)
        taps = [(r * step + dilation * a, c * step + dilation * b)
                for a in range(kernel) for b in range(kernel)]
        return {"m": m, "cells": cells, "row": r, "col": c, "taps": taps, "pad": pad, "gap": gap,
                "formula": formula, "numbers": dilated + f"{text} = {m}", "transposed": transposed,
                "output_padding": output_padding, "size": size,
                "caption": _caption(padding=padding, stride=stride, dilation=dilation,
                                    transposed=transposed)}

    def draw(self, res):
        n, m = len(res["cells"]), res["m"]
        colours = np.array([_INPUT, _ZERO, _PAD])[res["cells"]]  # (n, n, 3)
        rows, cols = np.array(res["taps"]).T
        colours[rows, cols] *= _DARKEN
        # Both panels show cells at the same scale: the larger grid fills its panel.
        h = 1 / (max(n, m) + 0.4)
        o_in, o_out = (1 - n * h) / 2, (1 - m * h) / 2  # centred
        self.img_in.set_data(colours)
        self.img_in.set_extent((o_in, o_in + n * h, o_in + n * h, o_in))
        out = np.tile(np.array(_OUT), (m, m, 1))  # (m, m, 3)
        out[res["row"], res["col"]] = _CURRENT
        self.img_out.set_data(out)
        self.img_out.set_extent((o_out, o_out + m * h, o_out + m * h, o_out))
        self.lines_in.set_segments(_grid_lines(n, h, o_in))
        self.lines_out.set_segments(_grid_lines(m, h, o_out))
        self.footprint.set_verts([_square(i, j, h, o_in) for i, j in res["taps"]])
        # Lines thin out as cells shrink, so that a 37×37 grid is still cells, not lines.
        cell = 12 / max(n, m)
        self.lines_in.set_linewidth(min(1.5, cell))
        self.lines_out.set_linewidth(min(1.5, cell))
        self.footprint.set_linewidth(min(3.0, 2 * cell))
        w = res["size"]
        if res["transposed"]:
            zeros = res["gap"] - 1
            # o more cells of padding at the bottom and on the right
            extra = f", o = {res['output_padding']}" if res["output_padding"] else ""
            self.title_in.set_text(f"input {w}×{w} → {n}×{n}: {zeros} zero{'s' * (zeros != 1)} "
                                   f"between, padding {res['pad']}{extra}")
        else:
            self.title_in.set_text(f"input {w}×{w} → {n}×{n} with padding {res['pad']}")
        self.title_out.set_text(f"output {m}×{m}: cell ({res['row']}, {res['col']})")
        self.formula.set_text(res["formula"])
        self.numbers.set_text(res["numbers"])
        if self.captioned:
            self.caption.set_text(f"Lecture 3: “{res['caption']}”")
