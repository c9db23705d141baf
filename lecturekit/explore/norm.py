r"""Which elements batch, layer and instance norm average together (MLP lecture, Batch Norm).

A batch of B samples, each a C×H×W block drawn in oblique projection (channels
go back in depth). Every normalisation group gets a pale colour; the group of
the chosen sample and channel is drawn strong. The groups come from
:func:`lecturekit.norm.norm_axes`, so the picture is the library's answer.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgba

from ..norm import KINDS, norm_axes
from ._axes import FONT
from ._controls import Choice, Slider
from ._explorer import Explorer, register

B, C, H, W = 3, 4, 4, 4
DEPTH = (0.55, 0.45)  # screen offset of one channel step back in depth
GAP = 1.6
_PALE = [to_rgba(c) for c in ("#c6dbef", "#c7e9c0", "#dadaeb", "#fdd0a2", "#d9d9d9", "#fcbba1")]
_STRONG = to_rgba("#e6550d")
_NOTES = {  # the MLP lecture's own sentences, in its B×H×W×C notation
    "batch": "Batch Norm: for each C average B×H×W",
    "layer": "Layer Norm: for each B average H×W×C",
    "instance": "Instance Norm: for each B, C average H×W",
}
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

    def build(self, fig):
        polys, self.elems = _faces()
        ax = fig.add_axes((0.02, 0.02, 0.96, 0.70))
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
        return {"axes": axes, "shape": tuple(shape), "group": group, "chosen": int(chosen),
                "groups": int(group.max()) + 1, "size": int((group == chosen).sum()),
                "stats_shape": stats_shape, "kind": kind, "layout": layout}

    def draw(self, r):
        g = r["group"][tuple(self.elems.T)]  # the group of the element on each face
        colors = np.array([_PALE[k % len(_PALE)] for k in g])
        colors[g == r["chosen"]] = _STRONG
        self.cells.set_facecolor(colors)
        axis = _AXIS_OF[r["layout"]]
        self.w_label.set_text(f"W (axis {axis['W']})")
        self.h_label.set_text(f"H (axis {axis['H']})")
        self.c_label.set_text(f"C (axis {axis['C']})")
        self.title.set_text(f"{r['kind']} norm, {r['layout']} x of shape {r['shape']}:  "
                            f"{r['groups']} groups of {r['size']} values, one μ and σ² each")
        self.code.set_text(f"mu = x.mean(axis={r['axes']}, keepdims=True)"
                           f"   # shape {r['stats_shape']}")
        self.note.set_text(f"MLP lecture (B×H×W×C):  \"{_NOTES[r['kind']]}\"")
