r"""Convolution as a matrix, :math:`y = Kx`: where each kernel entry sits, and the gradients.

Lecture 3 flattens a single-channel input :math:`x` and the output :math:`y`
row by row and writes the convolution as :math:`y = Kx`, with :math:`K` built
from the kernel entries :math:`k_1, k_2, \dots` (numbered row by row). Each
entry gets a colour; the matrix is drawn cell by cell (white: 0), from
:func:`lecturekit.conv_matrix.conv_matrix_pattern`. Row :math:`r` is output
:math:`y_r`, column :math:`c` input :math:`x_c`; padding zeros have no column
(their :math:`x` is 0), a stride skips rows of windows, and a dilation
:math:`d` spreads each row's kernel entries apart (:math:`k_2` sits
:math:`d` columns after :math:`k_1`, :math:`k_3` :math:`d` image rows, i.e.
:math:`dW` columns, after it): the matrix of the kernel with zeros inserted.

The panel on the left checks the lecture's gradients numerically on a seeded
random :math:`x`, :math:`k` and :math:`\nabla_y L`, against
:func:`lecturekit.conv.conv2d` and :func:`lecturekit.conv.conv2d_backward`:
:math:`y = Kx`, :math:`\nabla_x L = K^T \nabla_y L`, and :math:`\nabla_k L`
obtained by summing :math:`\nabla_K L = \nabla_y L\, x^T` over the positions
of each :math:`k_q` (:func:`lecturekit.conv_matrix.conv_matrix_kernel_grad`).

What to look for: every row holds each :math:`k_q` once (fewer with padding,
where an entry meets a padding zero); the band structure (a "doubly blocked
Toeplitz" matrix); the positions of :math:`k_1`, which are the four terms of
the lecture's :math:`(\nabla_k L)_1` for a 3×3 input and a 2×2 kernel.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb

from ..conv import conv2d, conv2d_backward, conv_output_size
from ..conv_matrix import conv_matrix, conv_matrix_kernel_grad, conv_matrix_pattern
from ..rng import default_rng
from ._axes import FONT
from ._controls import Slider
from ._explorer import Explorer, register

SEED = 0
_COLORS = np.array([to_rgb(c) for c in (
    "#8dd3c7", "#fdb462", "#bebada", "#fb8072", "#80b1d3", "#b3de69", "#fccde5", "#bc80bd",
    "#ffed6f")])
_WHITE = np.ones(3)
_AX_K = (0.29, 0.04, 0.69, 0.73)  # figure fractions of the matrix panel
FIGSIZE = (9.3, 4.5)
# Data limits of the matrix panel in the panel's own pixel proportions: square cells.
_KW, _KH = 1.0, _AX_K[3] * FIGSIZE[1] / (_AX_K[2] * FIGSIZE[0])


def _fmt_diff(v):
    """A bound 10^k >= v: the text changes only with the order of magnitude (cheap to redraw)."""
    return "0" if v == 0 else f"< 1e{int(np.floor(np.log10(v))) + 1}"


def _grid(rows, cols, h, x0, y0, block_rows=0, block_cols=0):
    """The lines of a rows×cols grid of square cells, and a line width for each line.

    Cells have side h, the top-left corner is at (x0, y0); a line is thick every
    ``block_rows`` rows and every ``block_cols`` columns (0: never).
    """
    xs, ys = x0 + h * np.arange(cols + 1), y0 + h * np.arange(rows + 1)
    segments = [[(x0, y), (xs[-1], y)] for y in ys] + [[(x, y0), (x, ys[-1])] for x in xs]
    thick = [block_rows and i % block_rows == 0 for i in range(rows + 1)] + \
        [block_cols and j % block_cols == 0 for j in range(cols + 1)]
    return segments, np.where(thick, 2.0, 0.6)


@register
class ConvMatrixExplorer(Explorer):
    """The matrix K of y = Kx, coloured by kernel entry, with the gradient checks."""

    controls = {
        "size": Slider(3, 6, 1, 3, "input H = W"),
        "kernel": Slider(2, 3, 1, 2, "kernel kh = kw"),
        "stride": Slider(1, 3, 1, 1, "stride S"),
        "padding": Slider(0, 2, 1, 0, "padding P"),
        "dilation": Slider(1, 3, 1, 1, "dilation d"),
    }
    figsize = FIGSIZE
    messages = {
        "kernel_too_big": "F' = {d}·({k} − 1) + 1 = {span},   m = ({n} − {span} + 2·{p})/{s} + 1"
                          "\n\nThe dilated kernel, F' = {span} cells wide, is larger than the "
                          "padded input,\nH + 2P = {padded} cells: K would have no rows.",
    }

    def build(self, fig):
        self.ax = fig.add_axes(_AX_K)
        self.ax.set(xlim=(0, _KW), ylim=(_KH, 0))
        self.ax.set_axis_off()
        self.img = self.ax.imshow(np.ones((1, 1, 3)), interpolation="none")
        self.lines = LineCollection([], colors="0.55")
        self.ax.add_collection(self.lines)
        side = 0.23  # of the figure height; the kernel panel is square
        self.k_ax = fig.add_axes((0.05, 0.5, side * FIGSIZE[1] / FIGSIZE[0], side))
        self.k_ax.set(xlim=(0, 1), ylim=(1, 0))
        self.k_ax.set_axis_off()
        self.k_img = self.k_ax.imshow(np.ones((2, 2, 3)), extent=(0, 1, 1, 0),
                                      interpolation="none")
        self.k_lines = LineCollection([], colors="0.3", linewidths=1.2)
        self.k_ax.add_collection(self.k_lines)
        # Labels for both kernel sizes, fixed in place: a move only shows or hides them
        # (re-rendering a text costs milliseconds).
        self.k_labels = {k: [self.k_ax.text((q % k + 0.5) / k, (q // k + 0.5) / k, f"k{q + 1}",
                                            ha="center", va="center", fontsize=FONT)
                             for q in range(k * k)] for k in (2, 3)}
        self.k_title = fig.text(0.03, 0.76, "", fontsize=FONT)
        self.title = fig.text(0.03, 0.93, "", fontsize=FONT + 1)
        fig.text(0.03, 0.865, "rows: outputs y_r · columns: inputs x_c (row by row) · white: 0 · "
                 "thick: next image row", fontsize=FONT - 1)
        fig.text(0.03, 0.45, "checks (random x, k, ∇y L),\nmax |difference| is", fontsize=FONT - 1,
                 va="top")
        self.checks = fig.text(0.03, 0.34, "", fontsize=FONT - 2, va="top", family="monospace")
        fig.text(0.03, 0.17, "k1 sits in K at (row, column)", fontsize=FONT - 2, va="bottom")
        self.positions = fig.text(0.03, 0.11, "", fontsize=FONT - 2, va="bottom")
        fig.text(0.03, 0.05, "(∇k L)_1 sums ∇K L there", fontsize=FONT - 2, va="bottom")

    def compute(self, *, size, kernel, stride, padding, dilation):
        n, k = size, kernel
        span = dilation * (k - 1) + 1  # the dilated kernel's extent F'
        if span > n + 2 * padding:  # conv_output_size would raise: no output position
            raise self.invalid("kernel_too_big", d=dilation, k=k, span=span, n=n, p=padding,
                               s=stride, padded=n + 2 * padding)
        m = conv_output_size(n, k, stride=stride, padding=padding, dilation=dilation)
        geometry = dict(stride=stride, padding=padding, dilation=dilation)
        pattern = conv_matrix_pattern((n, n), (k, k), **geometry)  # (m*m, n*n)
        rng = default_rng(SEED)
        x, w, dy = rng.normal(size=(n, n)), rng.normal(size=(k, k)), rng.normal(size=(m, m))
        K = conv_matrix((n, n), w, **geometry)
        y = conv2d(x[None, None], w[None, None], **geometry)[0, 0]
        dx, dw, _ = conv2d_backward(dy[None, None], x[None, None], w[None, None], **geometry)
        dk = conv_matrix_kernel_grad(np.outer(dy.ravel(), x.ravel()), (n, n), (k, k), **geometry)
        return {
            "pattern": pattern, "m": m, "size": n, "kernel": k, "stride": stride,
            "padding": padding, "dilation": dilation, "span": span,
            "exact": (n - span + 2 * padding) % stride == 0,
            "diff_y": float(np.max(np.abs(K @ x.ravel() - y.ravel()))),
            "diff_dx": float(np.max(np.abs(K.T @ dy.ravel() - dx[0, 0].ravel()))),
            "diff_dk": float(np.max(np.abs(dk - dw[0, 0]))),
            # 1-based (row, column) of k_1 in K: the terms of the lecture's (grad_k L)_1
            "k1_positions": [(int(r) + 1, int(c) + 1) for r, c in np.argwhere(pattern == 0)],
        }

    def draw(self, r):
        pattern, n, k, m = r["pattern"], r["size"], r["kernel"], r["m"]
        rows, cols = pattern.shape
        h = min(_KW / cols, _KH / rows)  # square cells as large as fit
        colours = np.where((pattern >= 0)[..., None], _COLORS[np.maximum(pattern, 0)], _WHITE)
        self.img.set_data(colours)  # (rows, cols, 3)
        self.img.set_extent((0, cols * h, rows * h, 0))
        # Thick lines where the output moves to its next row (every m rows of K) and the
        # input to its next row (every n columns): the blocks of a doubly blocked Toeplitz K.
        segments, widths = _grid(rows, cols, h, 0, 0, m, n)
        self.lines.set_segments(segments)
        self.lines.set_linewidths(widths * (1.0 if max(rows, cols) <= 40 else 0.6))
        self.k_img.set_data(_COLORS[np.arange(k * k).reshape(k, k)])
        self.k_lines.set_segments(_grid(k, k, 1 / k, 0, 0)[0])
        for size, labels in self.k_labels.items():
            for text in labels:
                if text.get_visible() != (size == k):
                    text.set_visible(size == k)
        floor = "" if r["exact"] else " (floored)"
        span = r["span"]  # F' = d(F - 1) + 1, the kernel's extent; F itself when d = 1
        self.title.set_text(f"y = Kx:  K is (m·m) × (H·W) = {rows} × {cols},  "
                            f"m = ({n} − {span} + 2·{r['padding']})/{r['stride']} + 1 = {m}{floor}")
        self.k_title.set_text("kernel k (row by row)" if r["dilation"] == 1 else
                              f"kernel k, dilation {r['dilation']}: F' = {span}")
        self.checks.set_text(f"y = Kx vs conv2d  {_fmt_diff(r['diff_y'])}\n"
                             f"Kᵀ∇y L vs dx      {_fmt_diff(r['diff_dx'])}\n"
                             f"Σ ∇K L vs dk      {_fmt_diff(r['diff_dk'])}")
        where = ", ".join(f"({a},{b})" for a, b in r["k1_positions"][:4])
        more = ", …" if len(r["k1_positions"]) > 4 else ""
        self.positions.set_text(where + more)
