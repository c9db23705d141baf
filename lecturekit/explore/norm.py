r"""Which elements batch, layer and instance norm average together (MLP lecture, Batch Norm).

A batch of B samples, each a C×H×W block drawn in oblique projection (channels
go back in depth). The groups are coloured by what they keep apart: by channel
for batch and instance norm (instance norm's groups are also one sample each,
and each sample is its own block), by sample for layer norm; a legend names the
colours, and the group of the chosen sample and channel is drawn strong orange
(no pale colour is near it). The groups come from
:func:`lecturekit.norm.norm_axes`, so the picture is the library's answer.

``notation`` (``"mlp"``, the default, ``"l051023"`` or ``"l14"``) takes that
lecture's letters for the statistics and the control labels, and quotes that
lecture's sentence on the chosen norm.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba
from matplotlib.patches import Rectangle

from ..norm import KINDS, norm_axes
from ._axes import FONT
from ._controls import Choice, Slider
from ._explorer import Explorer, register
from ._notation import letters, relabel

B, C, H, W = 3, 4, 4, 4
DEPTH = (0.55, 0.45)  # screen offset of one channel step back in depth
GAP = 1.6
# One pale colour per channel (or per sample, for layer norm): blue, green, purple, grey;
# none of them near the strong orange of the chosen group.
_PALE = [to_rgba(c) for c in ("#9ecae1", "#a1d99b", "#bcbddc", "#d4d4d4")]
_STRONG = to_rgba("#e6550d")
_LETTERS = {
    # The MLP lecture's own sentences, in its B×H×W×C notation.
    "mlp": dict(sample="sample n", channel="channel c", stats="one m and σ²",
                notes={"batch": "MLP lecture (B×H×W×C):  \"Batch Norm: for each C average B×H×W\"",
                       "layer": "MLP lecture (B×H×W×C):  \"Layer Norm: for each B average H×W×C\"",
                       "instance": "MLP lecture (B×H×W×C):  "
                                   "\"Instance Norm: for each B, C average H×W\""}),
    # 05/10/23: conv output J_m^k(w, h), sample m, channel k; mean M_BN^k, "BN applied
    # channel wise"; the lecture has no layer or instance norm.
    "l051023": dict(sample="sample m", channel="channel k", stats="one μ and σ²",
                    notes={"batch": "05/10/23:  \"BN applied channel wise\":  M_BN^k averages "
                                    "J_m^k(w, h) over m, w, h",
                           "layer": "(not in the 05/10/23 lecture)  for each sample m: average "
                                    "over k, w, h",
                           "instance": "(not in the 05/10/23 lecture)  for each m and k: average "
                                       "over w, h"}),
    # Lecture 14: batch mean x̄ and standard deviation σ over the m values of a batch.
    "l14": dict(sample="sample i", channel="channel c", stats="one x̄ and σ",
                notes={"batch": "Lecture 14, batch norm:  x̄ and σ over the batch "
                                "(for images: per channel, over samples and positions)",
                       "layer": "Lecture 14, layer norm:  \"normalize within the same layer "
                                "of the same example\"",
                       "instance": "(not in Lecture 14)  for each example and channel: "
                                   "average over the positions"}),
}
"""Each notation's control labels, its words for the statistics, and its sentence per norm."""
_AXIS_OF = {"NCHW": {"N": 0, "C": 1, "H": 2, "W": 3}, "NHWC": {"N": 0, "H": 1, "W": 2, "C": 3}}


def _faces():
    """Polygons of the visible faces of every block, and the (n, c, h, w) element each shows."""
    dx, dy = DEPTH

    def at(n, w, h, c):  # 3-D (w right, h down, c back) -> screen
        return (n * (W + C * dx + GAP) + w + c * dx, -h + c * dy)

    polys, elems = [], []
    for n in range(B):
        for h in range(H):  # front face: channel 0
            for w in range(W):
                polys.append([at(n, w, h, 0), at(n, w + 1, h, 0), at(n, w + 1, h + 1, 0),
                              at(n, w, h + 1, 0)])
                elems.append((n, 0, h, w))
        for c in range(C):  # top face: row 0
            for w in range(W):
                polys.append([at(n, w, 0, c), at(n, w + 1, 0, c), at(n, w + 1, 0, c + 1),
                              at(n, w, 0, c + 1)])
                elems.append((n, c, 0, w))
            for h in range(H):  # right face: column W - 1
                polys.append([at(n, W, h, c), at(n, W, h + 1, c), at(n, W, h + 1, c + 1),
                              at(n, W, h, c + 1)])
                elems.append((n, c, h, W - 1))
    return np.array(polys), np.array(elems)


@register
class NormAxesExplorer(Explorer):
    """The elements that share one mean and variance, for batch, layer and instance norm."""

    controls = {
        "kind": Choice(KINDS, "batch", "norm"),
        "layout": Choice(("NCHW", "NHWC"), "NCHW", "layout"),
        "sample": Slider(0, B - 1, 1, 0, "sample n"),
        "channel": Slider(0, C - 1, 1, 1, "channel c"),
    }
    figsize = (9.3, 4.4)

    notations = tuple(_LETTERS)
    """The lecture keys ``notation`` takes."""

    def __init__(self, notation="mlp", **params):
        self.notation = notation
        self.letters = letters(_LETTERS, notation, type(self).__name__)
        self.controls = relabel(type(self).controls,
                                {"sample": {"description": self.letters["sample"]},
                                 "channel": {"description": self.letters["channel"]}})
        super().__init__(**params)

    def inactive(self, params):
        # The chosen group is the one of sample n and channel c; batch norm's groups span every
        # sample, layer norm's every channel.
        return {"batch": {"sample": "acts for layer/instance norm"},
                "layer": {"channel": "acts for batch/instance norm"}}.get(params["kind"], {})

    def build(self, fig):
        polys, self.elems = _faces()
        ax = fig.add_axes((0.02, 0.11, 0.96, 0.6))
        ax.set_axis_off()
        self.cells = PolyCollection(polys, edgecolors="0.25", linewidths=0.8)
        ax.add_collection(self.cells)
        x0, y0 = polys.reshape(-1, 2).min(axis=0)
        x1, y1 = polys.reshape(-1, 2).max(axis=0)
        ax.set_xlim(x0 - 1.3, x1 + 0.3)
        ax.set_ylim(y0 - 1.0, y1 + 0.3)
        ax.set_aspect("equal")
        dx, dy = DEPTH
        for n in range(B):
            ax.text(n * (W + C * dx + GAP) + W / 2, -H - 0.35, f"sample {n}", ha="center",
                    va="top", fontsize=FONT)
        label = dict(fontsize=FONT - 1, color="0.3")
        self.w_label = ax.text(W / 2, 0.15 + C * dy + 0.1, "", ha="center", va="bottom", **label)
        self.h_label = ax.text(-0.15, -H / 2, "", ha="right", va="center", rotation=90, **label)
        self.c_label = ax.text(W + C * dx / 2 + 0.15, -H + C * dy / 2 - 0.1, "", ha="left",
                               va="top", **label)
        self.title = fig.text(0.02, 0.93, "", fontsize=FONT + 2)
        self.code = fig.text(0.02, 0.855, "", fontsize=FONT, family="monospace")
        self.note = fig.text(0.02, 0.785, "", fontsize=FONT)
        # The legend: one swatch per pale colour (a channel, or a sample under layer norm), then
        # the chosen group's. Drawn as artists of their own (in figure coordinates) so that a
        # change of norm recolours them instead of rebuilding a legend into the background.
        box = dict(width=0.022, height=0.045, transform=fig.transFigure, clip_on=False,
                   edgecolor="0.25", linewidth=0.8)
        self.swatches, self.swatch_labels = [], []
        self.legend_title = ax.text(0.02, 0.0575, "", transform=fig.transFigure, va="center",
                                    fontsize=FONT - 1)
        for i in range(max(B, C) + 1):
            x = 0.11 + 0.16 * i
            self.swatches.append(ax.add_patch(Rectangle((x, 0.035), **box)))
            self.swatch_labels.append(ax.text(x + 0.03, 0.0575, "", transform=fig.transFigure,
                                              va="center", fontsize=FONT - 1))

    def compute(self, *, kind, layout, sample, channel):
        axes = norm_axes(kind, layout)
        order = [_AXIS_OF[layout][d] for d in "NCHW"]  # where N, C, H, W sit in the layout
        shape = [0] * 4
        for d, size in zip(order, (B, C, H, W), strict=True):
            shape[d] = size
        # Elements share a group when they agree on every axis that is not averaged over.
        kept = [d for d in range(4) if d not in axes]
        idx = np.indices(shape)  # (4, *shape): each element's index along every axis
        group = np.ravel_multi_index(tuple(idx[d] for d in kept), [shape[d] for d in kept])
        group = np.transpose(group, order)  # layout order -> (N, C, H, W)
        chosen = group[sample, channel, 0, 0]
        stats_shape = tuple(1 if d in axes else shape[d] for d in range(4))
        # Colour by channel while channels are kept apart (batch, instance), else by sample.
        colour_by = "C" if _AXIS_OF[layout]["C"] not in axes else "N"
        return {"axes": axes, "shape": tuple(shape), "group": group, "chosen": int(chosen),
                "groups": int(group.max()) + 1, "size": int((group == chosen).sum()),
                "stats_shape": stats_shape, "kind": kind, "layout": layout,
                "colour_by": colour_by, "sample": sample, "channel": channel}

    def draw(self, r):
        L = self.letters
        g = r["group"][tuple(self.elems.T)]  # the group of the element on each face
        by_channel = r["colour_by"] == "C"
        colour = self.elems[:, 1] if by_channel else self.elems[:, 0]  # (faces,): c or n
        colors = np.array(_PALE)[colour]
        colors[g == r["chosen"]] = _STRONG
        self.cells.set_facecolor(colors)
        count, name = (C, L["channel"]) if by_channel else (B, L["sample"])
        word, letter = name.split()  # "channel", "c"
        self.legend_title.set_text(f"{word}:")
        entries = [(_PALE[i], f"{letter} = {i}") for i in range(count)]
        entries += [(None, "")] * (len(self.swatches) - 1 - count)
        n, c = (L[k].split()[-1] for k in ("sample", "channel"))  # the letters: n, c
        if r["groups"] == count:  # one group per colour (batch, layer): the chosen one is orange
            i = r["channel"] if by_channel else r["sample"]
            entries[i] = (_STRONG, f"{entries[i][1]} (chosen)")
            entries.append((None, ""))
        else:  # instance norm: one group per sample and channel
            entries.append((_STRONG, f"chosen: {n} = {r['sample']}, {c} = {r['channel']}"))
        for patch, text, (face, label) in zip(self.swatches, self.swatch_labels, entries,
                                              strict=True):
            if patch.get_visible() != (face is not None):  # set_visible marks the figure stale
                patch.set_visible(face is not None)
            if face is not None and tuple(patch.get_facecolor()) != tuple(face):
                patch.set_facecolor(face)
            text.set_text(label)
        axis = _AXIS_OF[r["layout"]]
        self.w_label.set_text(f"W (axis {axis['W']})")
        self.h_label.set_text(f"H (axis {axis['H']})")
        self.c_label.set_text(f"C (axis {axis['C']})")
        self.title.set_text(f"{r['kind']} norm, {r['layout']} x {r['shape']}:  "
                            f"{r['groups']} groups of {r['size']} values, {L['stats']} each")
        self.code.set_text(f"mu = x.mean(axis={r['axes']}, keepdims=True)"
                           f"   # shape {r['stats_shape']}")
        self.note.set_text(L["notes"][r["kind"]])
