r"""Classic filters on a real photograph: the kernel, what it makes of the image, and the edges.

Lecture 3, "Sobel and other filters": a filter is a small kernel :math:`K`
slid over the image by Lecture 3's sum :math:`Y(i,j) = \sum_{u,v} X(i+u,
j+v)\,K(u,v)` (a cross-correlation, :func:`lecturekit.conv.correlate2d` with
``mode="same"``: zero padding keeps the size). Four panels: the input
(matplotlib's portrait of Grace Hopper, averaged over 4×4 blocks to 150×128
so that a redraw is quick), the kernel with its numbers, the output, and the
Sobel edge strength :math:`\sqrt{G_x^2 + G_y^2}` of the image after a
Gaussian blur of width σ (:func:`lecturekit.filters.gradient_magnitude`).

Below the kernel sits a 3×3 kernel editor: nine sliders ``k00``..``k22``
(row, column) whose kernel is applied when the filter is ``"custom"`` (it is
drawn pale otherwise). The kernels themselves come from
:mod:`lecturekit.filters`.

What to look for: kernels that sum to 0 (Sobel, Prewitt, Laplacian) give 0 on
flat regions, so their output is drawn in a diverging map (red positive, blue
negative) and shows only edges, Sobel x the vertical ones, Sobel y the
horizontal ones; kernels that sum to 1 (box, Gaussian, sharpen, identity) keep
the brightness and are drawn in grey. Moving σ blurs the Gaussian's output and
thins out the edge map: small-scale texture disappears first.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import filters
from ..conv import correlate2d
from ._axes import FONT
from ._controls import Choice, Slider
from ._explorer import Explorer, register

STEP = 4  # sample_image(4): 150x128 pixels
GAUSS_N = 5
_EDITOR = tuple(f"k{r}{c}" for r in range(3) for c in range(3))
_DESCRIPTIONS = {
    "sobel_x": "Sobel x: ∂I/∂x (to the right), smoothed across rows: vertical edges",
    "sobel_y": "Sobel y: ∂I/∂y (downwards), smoothed across columns: horizontal edges",
    "prewitt_x": "Prewitt x: like Sobel x with equal weights [1, 1, 1] across rows",
    "prewitt_y": "Prewitt y: like Sobel y with equal weights [1, 1, 1] across columns",
    "laplacian": "Laplacian ∂²I/∂x² + ∂²I/∂y²: edges of both directions, on both sides",
    "box": "Box 3×3: the mean of the window, a blur",
    "gaussian": "Gaussian 5×5: a weighted mean, a blur of width σ",
    "sharpen": "Sharpen = identity − Laplacian: adds each pixel's difference from its neighbours",
    "identity": "Identity: 1 in the centre, returns the image",
    "custom": "Custom: the kernel of the nine sliders k00..k22",
}
_KERNELS = {
    "sobel_x": filters.sobel_x, "sobel_y": filters.sobel_y, "prewitt_x": filters.prewitt_x,
    "prewitt_y": filters.prewitt_y, "laplacian": filters.laplacian, "box": filters.box,
    "sharpen": filters.sharpen, "identity": filters.identity,
}


@lru_cache(maxsize=1)
def _image():
    return filters.sample_image(step=STEP)


@lru_cache(maxsize=32)
def _edges(sigma):
    """Sobel gradient magnitude of the image blurred by a 5×5 Gaussian of width sigma."""
    blurred = correlate2d(_image(), filters.gaussian(GAUSS_N, sigma), "same")
    return filters.gradient_magnitude(blurred)


def _fmt(v):
    """A kernel entry in at most five characters: integers as integers, else .3f without 0."""
    if abs(v - round(v)) < 1e-12:
        return f"{round(v):d}"
    return f"{v:.3f}".replace("0.", ".", 1)


def _matrix_text(k):
    """The kernel as rows of right-aligned numbers, for a monospace text under its picture.

    One text for the whole kernel: matplotlib renders text glyph by glyph, and 25
    separate numbers would cost a redraw tens of milliseconds.
    """
    return "\n".join(" ".join(f"{_fmt(v):>5}" for v in row) for row in k)


@register
class FiltersExplorer(Explorer):
    """Input, kernel, output and edge strength for a chosen filter or a hand-made 3×3 kernel."""

    controls = {
        "filter": Choice(tuple(_DESCRIPTIONS), "sobel_x", "filter"),
        "sigma": Slider(0.3, 2.0, 0.1, 1.0, "σ (Gaussian)"),
        **{name: Slider(-8.0, 8.0, 0.5, 1.0 if name == "k11" else 0.0, name)
           for name in _EDITOR},
    }
    figsize = (11.5, 4.9)

    def build(self, fig):
        image = _image()
        h, w = image.shape
        # Each image pixel is exactly 2×2 screen pixels: sharp, and quick to encode as PNG.
        fw, fh = (self.dpi * v for v in self.figsize)
        panels = {"input": 0.01, "output": 0.475, "edges": 0.72}
        self.ax = {name: fig.add_axes((x, 0.12, 2 * w / fw, 2 * h / fh))
                   for name, x in panels.items()}
        for ax in self.ax.values():
            ax.set_axis_off()
        # The input never changes and the edges change only with σ: as figure images
        # (2×2 screen pixels per pixel) they are part of the cached background, not
        # redrawn with every frame.
        fig.figimage(np.kron(image, np.ones((2, 2))), round(0.01 * fw), round(0.12 * fh),
                     cmap="gray", vmin=0, vmax=1, origin="upper")
        self.edges = fig.figimage(np.zeros((2 * h, 2 * w)), round(0.72 * fw), round(0.12 * fh),
                                  cmap="magma", vmin=0, vmax=1, origin="upper")
        self.out = self.ax["output"].imshow(np.zeros_like(image), cmap="gray",
                                            interpolation="nearest")
        titles = {"input": f"input I ({h}×{w})", "output": "output I ⋆ K",
                  "edges": "edges √(Gx² + Gy²) of the\nimage blurred by a Gaussian σ"}
        for name, title in titles.items():
            self.ax[name].set_title(title, fontsize=FONT, loc="left")
        self.out_note = self.ax["output"].text(0, -0.03, "", transform=self.ax["output"].transAxes,
                                               va="top", fontsize=FONT - 1)
        self.edge_note = self.ax["edges"].text(0, -0.03, "", transform=self.ax["edges"].transAxes,
                                               va="top", fontsize=FONT - 1)
        # The kernel column: the kernel applied (its picture and numbers), then the editor.
        side, cx = 0.3, 0.354  # a square picture, centred between input and output
        self.k_ax = fig.add_axes((cx - side * fh / fw / 2, 0.47, side * fh / fw, side))
        self.k_ax.set(xlim=(0, 1), ylim=(1, 0), xticks=[], yticks=[])
        self.k_img = self.k_ax.imshow(np.zeros((3, 3)), cmap="RdBu_r", vmin=-1, vmax=1,
                                      extent=(0, 1, 1, 0))
        self.k_title = fig.text(cx, 0.8, "", ha="center", fontsize=FONT)
        mono = dict(ha="center", va="top", family="monospace", fontsize=FONT - 3)
        self.k_numbers = fig.text(cx, 0.45, "", **mono)
        self.e_title = fig.text(cx, 0.2, "", ha="center", fontsize=FONT - 2)
        self.e_numbers = fig.text(cx, 0.17, "", **mono)
        self.title = fig.text(0.01, 0.92, "", fontsize=FONT + 2)

    def compute(self, *, filter, sigma, **k):
        custom = np.array([k[name] for name in _EDITOR]).reshape(3, 3)
        if filter == "custom":
            kernel = custom
        elif filter == "gaussian":
            kernel = filters.gaussian(GAUSS_N, sigma)
        else:
            kernel = _KERNELS[filter]()
        image = _image()
        out = correlate2d(image, kernel, "same")
        edges = _edges(sigma)
        # Colour scales end at the 99th percentile: a few extreme pixels would wash out the rest.
        return {"filter": filter, "sigma": sigma, "kernel": kernel, "custom": custom,
                "out_p99": float(np.percentile(np.abs(out), 99)),
                "edges_p99": float(np.percentile(edges, 99)),
                "kernel_sum": float(kernel.sum()), "output": out, "edges": edges,
                "out_min": float(out.min()), "out_max": float(out.max()),
                "edges_max": float(edges.max())}

    def draw(self, r):
        kernel, s = r["kernel"], r["kernel_sum"]
        n = kernel.shape[0]
        kmax = float(np.abs(kernel).max()) or 1.0
        self.k_img.set_data(kernel)
        self.k_img.set_clim(-kmax, kmax)
        self.k_title.set_text(f"kernel K ({n}×{n}), sum {_fmt(round(s, 3))}")
        self.k_numbers.set_text(_matrix_text(kernel))
        custom_on = r["filter"] == "custom"
        self.e_title.set_text("editor k00..k22" + ("" if custom_on else " (pick 'custom')"))
        self.e_numbers.set_text(_matrix_text(r["custom"]))
        self.e_numbers.set_color("black" if custom_on else "0.6")
        # Kernels summing to 0 see only changes: a diverging map centred on 0 shows the sign.
        self.out.set_data(r["output"])
        if abs(s) < 1e-9:
            vmax = r["out_p99"] or 1.0
            self.out.set_cmap("RdBu_r")
            self.out.set_clim(-vmax, vmax)
            scale = f"red > 0 > blue (±{vmax:.2f})"
        else:
            # Grey from black to the value a white flat region would get (the kernel's sum).
            self.out.set_cmap("gray")
            self.out.set_clim(min(0.0, s), max(0.0, s))
            scale = f"grey from {_fmt(round(min(0.0, s), 3))} to {_fmt(round(max(0.0, s), 3))}"
        self.out_note.set_text(f"range [{r['out_min']:.2f}, {r['out_max']:.2f}]\n{scale}")
        edges = np.kron(r["edges"], np.ones((2, 2)))  # (2h, 2w): the figure image's pixels
        if not np.array_equal(edges, self.edges.get_array()):  # else keep the background
            self.edges.set_data(edges)
            self.edges.set_clim(0, r["edges_p99"] or 1.0)
        self.edge_note.set_text(f"σ = {r['sigma']:.1f}, max {r['edges_max']:.2f}\n"
                                f"(larger σ: fewer, wider edges)")
        text = _DESCRIPTIONS[r["filter"]]
        if r["filter"] == "gaussian":
            text += f" (σ = {r['sigma']:.1f})"
        self.title.set_text(text)
