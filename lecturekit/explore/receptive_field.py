r"""The receptive field of one output unit: the closed form beside what the gradient says.

Lecture 4, "receptive field aka. filter size". A stack of :math:`L` convolutions
with kernel :math:`F`, stride :math:`S` and dilation :math:`d` (the same in
every layer); its output is 3×3 units and the input just large enough for it.
For the chosen output unit :math:`y`, the left panel shows
:math:`\partial y / \partial x` (back-propagated with
:func:`lecturekit.conv.conv2d_backward`, every weight 1, so each entry counts
the paths from that input to :math:`y`, see
:func:`lecturekit.conv_steps.receptive_field_gradient`): its non-zero entries
are the receptive field. The right panel shows the same along one row, layer by
layer, as a pyramid: which units of each layer :math:`y` depends on. The closed
form :math:`r_L = 1 + \sum_{l=1}^{L} (F - 1)\, d\, S^{l-1}`
(:func:`lecturekit.conv.receptive_field`) is the side of the box around them.

What to look for: with stride 1 the field grows by :math:`d(F-1)` per layer
(two 3×3 layers see 5×5, three 7×7); a stride multiplies the growth of every
later layer; a stride larger than the next kernel's reach (:math:`F = 1`,
:math:`S = 2`) leaves holes: the box keeps the closed form's side but not every
input in it is seen.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgb

from ..conv_steps import receptive_field_gradient
from ._axes import FONT, TextRow
from ._controls import Slider
from ._explorer import Explorer, register
from .conv_steps import put

__all__ = ["ReceptiveFieldExplorer", "OUTPUTS"]

OUTPUTS = 3
"""The side of the last layer's output: 3×3 units to choose from."""
MAX_LAYERS = 4
_SEEN, _UNSEEN, _CHOSEN = "#08519c", "#d9d9d9", "#e6550d"
_FIELD = to_rgb("#c6dbef")


def _closed_form_terms(layers, kernel, stride, dilation):
    """The closed form's sum written out: '1 + 2·1·1 + 2·1·2 = 7' (F − 1, d, S^(l−1))."""
    return "".join(_closed_form_pieces(layers, kernel, stride, dilation))


def _closed_form_pieces(layers, kernel, stride, dilation):
    """:func:`_closed_form_terms` in pieces, one per term: ('1', ' + 2·1·1', ' + 2·1·2', ' = 7')."""
    terms = [f" + {kernel - 1}·{dilation}·{stride ** l}" for l in range(layers)]
    total = 1 + sum((kernel - 1) * dilation * stride ** l for l in range(layers))
    return ("1", *terms, f" = {total}")


@register
class ReceptiveFieldExplorer(Explorer):
    """∂y/∂x of one output unit of L stacked convolutions, its box, and the closed form."""

    controls = {
        "layers": Slider(1, MAX_LAYERS, 1, 2, "layers L"),
        "kernel": Slider(1, 5, 1, 3, "kernel F"),
        "stride": Slider(1, 2, 1, 1, "stride S"),
        "dilation": Slider(1, 2, 1, 1, "dilation d"),
        "position": Slider(0, OUTPUTS * OUTPUTS - 1, 1, 4, "output unit", play=True,
                           help="which of the 3×3 output units y is (row by row)"),
    }
    figsize = (9.3, 4.0)

    def build(self, fig):
        height = 0.70
        width = height * self.figsize[1] / self.figsize[0]  # a square panel
        self.ax_map = fig.add_axes((0.01, 0.04, width, height))
        self.ax_pyr = fig.add_axes((0.40, 0.04, 0.59, height))
        for ax in (self.ax_map, self.ax_pyr):
            ax.set_axis_off()
        self.ax_map.set(xlim=(0, 1), ylim=(1, 0), aspect="equal")
        self.ax_pyr.set(xlim=(-0.13, 1.0), ylim=(-0.4, MAX_LAYERS + 0.5))
        self.paths = self.ax_map.imshow(np.ones((1, 1, 3)), interpolation="nearest",
                                        extent=(0, 1, 1, 0))
        self.grid = LineCollection([], colors="white", linewidths=0.5)
        self.ax_map.add_collection(self.grid)
        self.box = PolyCollection([], facecolors="none", edgecolors=_CHOSEN, linewidths=2.0,
                                  clip_on=False)
        self.ax_map.add_collection(self.box)
        self.frame = PolyCollection([[(0, 0), (1, 0), (1, 1), (0, 1)]], facecolors="none",
                                    edgecolors="0.5", linewidths=1.0)
        self.ax_map.add_collection(self.frame)
        self.cone = PolyCollection([], facecolors=[_FIELD], edgecolors="none")
        self.ax_pyr.add_collection(self.cone)
        self.units = self.ax_pyr.scatter([], [], s=20, zorder=3)
        self.layer_labels = [self.ax_pyr.text(-0.01, 0, "", ha="right", va="center",
                                              fontsize=FONT - 2) for _ in range(MAX_LAYERS + 1)]
        # Lines in pieces (TextRow): a move re-renders only the numbers it changes.
        self.closed = TextRow(fig, 0.01, 0.955, MAX_LAYERS + 3, va="top", fontsize=FONT)
        self.measured = TextRow(fig, 0.01, 0.87, 7, va="top", fontsize=FONT)
        self.map_title = TextRow(fig, 0.01, 0.765, 2, va="bottom", fontsize=FONT - 1)
        self.pyr_title = TextRow(fig, 0.40, 0.765, 8, va="bottom", fontsize=FONT - 1)

    def compute(self, *, layers, kernel, stride, dilation, position):
        row, col = divmod(position, OUTPUTS)
        p = self.memo((layers, kernel, stride, dilation, position),
                      lambda: receptive_field_gradient([kernel] * layers, strides=[stride] * layers,
                                                       dilations=[dilation] * layers,
                                                       outputs=OUTPUTS, position=(row, col)))
        # along one row: which units of each layer y depends on (the columns of the gradient)
        seen = [g.any(axis=0) for g in p.grads]
        return {"pattern": p, "seen": seen, "row": row, "col": col, "layers": layers,
                "kernel": kernel, "stride": stride, "dilation": dilation,
                "terms": _closed_form_terms(layers, kernel, stride, dilation),
                "term_pieces": _closed_form_pieces(layers, kernel, stride, dilation)}

    def draw(self, r):
        p, layers = r["pattern"], r["layers"]
        g = p.grads[0]
        n = len(g)
        # ∂y/∂x: white where 0, blue by the number of paths, on a square root scale
        level = np.sqrt(g / g.max())
        rgb = 1 - level[..., None] * (1 - np.array(to_rgb(_SEEN)))  # (n, n, 3)
        rgb[g == 0] = 1.0
        self.paths.set_data(rgb)
        k = np.arange(n + 1) / n
        self.grid.set_segments([[(0, t), (1, t)] for t in k] + [[(t, 0), (t, 1)] for t in k]
                               if n <= 40 else [])
        (r0, r1), (c0, c1) = p.rows, p.cols
        self.box.set_verts([[(c0 / n, r0 / n), (c1 / n, r0 / n), (c1 / n, r1 / n),
                             (c0 / n, r1 / n)]])
        # the pyramid: unit i of layer l sits at the centre of its own field in the input
        strides = [r["stride"]] * layers
        xs, ys, colours, cone = [], [], [], []
        jump, field = 1, 1
        spans = []
        for l, seen in enumerate(r["seen"]):
            if l > 0:
                field += (r["kernel"] - 1) * r["dilation"] * jump
                jump *= strides[l - 1]
            centres = (np.arange(len(seen)) * jump + (field - 1) / 2 + 0.5) / n
            y = l * MAX_LAYERS / layers
            xs.append(centres)
            ys.append(np.full(len(seen), y))
            c = np.where(seen[:, None], np.array(to_rgb(_SEEN)), np.array(to_rgb(_UNSEEN)))
            if l == layers:
                c[r["col"]] = to_rgb(_CHOSEN)
            colours.append(c)
            on = np.flatnonzero(seen)
            spans.append((centres[on[0]], centres[on[-1]], y))
            put(self.layer_labels[l], "x" if l == 0 else ("y" if l == layers else f"layer {l}"),
                (-0.01, y))
        for label in self.layer_labels[layers + 1:]:
            put(label, "")
        for (a0, a1, ya), (b0, b1, yb) in zip(spans[:-1], spans[1:], strict=True):
            cone.append([(a0, ya), (a1, ya), (b1, yb), (b0, yb)])
        self.cone.set_verts(cone)
        self.units.set_offsets(np.column_stack([np.concatenate(xs), np.concatenate(ys)]))
        self.units.set_facecolors(np.concatenate(colours))
        self.units.set_sizes([min(40.0, max(2.0, (380.0 / n) ** 2 * 0.35))])
        self.closed.set_pieces("closed form:  r_L = 1 + Σ_l (F − 1)·d·S^(l−1) = ",
                               *r["term_pieces"])
        holes = p.count < p.side * p.side
        agree = "✓ equal" if p.side == p.closed_form else "✗ differ"
        self.measured.set_pieces(
            "from ∂y/∂x ≠ 0 (conv2d_backward):  box ", f"{p.side} × {p.side}", ", ", str(p.count),
            " inputs seen", f" — holes: {p.side * p.side - p.count} unseen" if holes else "",
            f"   {agree}", color="#006d2c" if p.side == p.closed_form else "#b22222")
        self.map_title.set_pieces("∂y/∂x over the input, ", f"{n}×{n}")
        self.pyr_title.set_pieces("along one row, layer by layer: L = ", str(layers), ", F = ",
                                  str(r["kernel"]), ", S = ", str(r["stride"]), ", d = ",
                                  str(r["dilation"]))
