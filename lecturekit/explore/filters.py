r"""Classic filters on a real photograph: the kernel, what it makes of the image, and the edges.

Lecture 3, "Sobel and other filters": a filter is a small kernel :math:`K`
slid over the image by Lecture 3's sum :math:`Y(i,j) = \sum_{u,v} X(i+u,
j+v)\,K(u,v)` (a cross-correlation, :func:`lecturekit.conv.correlate2d` with
``mode="same"``: zero padding keeps the size). Four panels: the input
(matplotlib's portrait of Grace Hopper, averaged over 4×4 blocks to 150×128
so that a redraw is quick), the kernel with its numbers, the output, and the
Sobel edge strength :math:`\sqrt{G_x^2 + G_y^2}` of the image after a
Gaussian blur of width σ (:func:`lecturekit.filters.gradient_magnitude`).

The *kernel* control is a 3×3 grid of number inputs with presets (the 3×3
kernels of :mod:`lecturekit.filters`, and a 3×3 Gaussian): ``update(kernel=K)``
takes a 3×3 kernel, row by row, which is applied when the filter is
``"custom"`` (its numbers are drawn pale under the kernel otherwise). The
kernels themselves come from :mod:`lecturekit.filters`.

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
import PIL.Image

from .. import filters
from ..conv import correlate2d
from ._axes import FONT, TextRow
from ._controls import Choice, KernelGrid, Slider
from ._explorer import Explorer, register

STEP = 4  # sample_image(4): 150x128 pixels
EDGE_SCALE = 1.5  # screen pixels per image pixel of the edge map
GAUSS_N = 5
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
    "custom": "Custom: the kernel typed into the 3×3 grid",
}
_KERNELS = {
    "sobel_x": filters.sobel_x, "sobel_y": filters.sobel_y, "prewitt_x": filters.prewitt_x,
    "prewitt_y": filters.prewitt_y, "laplacian": filters.laplacian, "box": filters.box,
    "sharpen": filters.sharpen, "identity": filters.identity,
}
_PRESETS = (("identity", filters.identity()), ("box", filters.box()),
            ("gaussian", filters.gaussian(3, 1.0)), ("sobel_x", filters.sobel_x()),
            ("sobel_y", filters.sobel_y()), ("prewitt_x", filters.prewitt_x()),
            ("prewitt_y", filters.prewitt_y()), ("laplacian", filters.laplacian()),
            ("sharpen", filters.sharpen()))
"""The kernel grid's presets: the 3×3 kernels of :mod:`lecturekit.filters` (Gaussian σ = 1)."""


@lru_cache(maxsize=1)
def _image():
    return filters.sample_image(step=STEP)


@lru_cache(maxsize=32)
def _edges(sigma):
    """Sobel gradient magnitude of the image blurred by a 5×5 Gaussian of width sigma."""
    blurred = correlate2d(_image(), filters.gaussian(GAUSS_N, sigma), "same")
    return filters.gradient_magnitude(blurred)


def _edge_shape(scale=1):
    """The edge map's size in device pixels, for an explorer rendered at ``scale``."""
    h, w = _image().shape
    return round(EDGE_SCALE * scale * h), round(EDGE_SCALE * scale * w)


@lru_cache(maxsize=32)
def _edges_shown(sigma, scale=1):
    """The edge map resampled to its panel's screen pixels (EDGE_SCALE per image pixel)."""
    e = _edges(sigma)
    image = PIL.Image.fromarray(e.astype(np.float32), mode="F")
    h, w = _edge_shape(scale)
    return np.asarray(image.resize((w, h), PIL.Image.Resampling.BICUBIC))  # (h, w)


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
        "kernel": KernelGrid(_PRESETS, description="kernel K (custom)",
                             help="the 3×3 kernel K applied when the filter is 'custom': type "
                                  "its numbers, or start from a preset"),
    }
    figsize = (9.3, 4.2)

    def build(self, fig):
        image = _image()
        h, w = image.shape
        fw, fh = (self.dpi * v for v in self.figsize)
        # In screen pixels: the input and the output at 2×2 pixels per image pixel (sharp, and
        # quick to encode as PNG), the kernel's column between them, the edges at 1.5× on the
        # right, all tops level. (At 2× the edges would not fit beside them in 930 pixels.)
        bottom, top = 48, 48 + 2 * h
        cols = {"input": (10, 2), "output": (436, 2), "edges": (706, EDGE_SCALE)}  # left, scale
        self.ax = {name: fig.add_axes((x / fw, (top - k * h) / fh, k * w / fw, k * h / fh))
                   for name, (x, k) in cols.items()}
        for ax in self.ax.values():
            ax.set_axis_off()
        # The input never changes: as a figure image it is part of the cached background,
        # not redrawn with every frame. (Figure images are placed in device pixels:
        # Explorer.scale of them per screen pixel.) The edges change with σ, and a change of
        # the background costs a full redraw (~50 ms): they are an image of their axes,
        # resampled once per σ to the panel's pixels and drawn 1:1 with each frame (~1 ms).
        k = self.scale
        fig.figimage(np.kron(image, np.ones((2 * k, 2 * k))), k * cols["input"][0], k * bottom,
                     cmap="gray", vmin=0, vmax=1, origin="upper")
        self.edges = self.ax["edges"].imshow(np.zeros(_edge_shape(k)), cmap="magma", vmin=0,
                                             vmax=1, interpolation="nearest", aspect="auto")
        self.out = self.ax["output"].imshow(np.zeros_like(image), cmap="gray",
                                            interpolation="nearest")
        titles = {"input": f"input I ({h}×{w})", "output": "output I ⋆ K",
                  "edges": "edges √(Gx² + Gy²)\nafter a Gaussian σ"}
        for name, title in titles.items():
            self.ax[name].set_title(title, fontsize=FONT, loc="left")
        self.out_note = self.ax["output"].text(0, -0.02, "", transform=self.ax["output"].transAxes,
                                               va="top", fontsize=FONT - 1)
        self.edge_note = self.ax["edges"].text(0, -0.03, "", transform=self.ax["edges"].transAxes,
                                               va="top", fontsize=FONT - 2)
        # The kernel column: the kernel applied (its picture and numbers), then the grid's.
        cx, side = 348 / fw, 112  # centred between input and output; a square of side px
        self.k_ax = fig.add_axes((cx - side / fw / 2, (top - 34 - side) / fh, side / fw, side / fh))
        self.k_ax.set(xlim=(0, 1), ylim=(1, 0), xticks=[], yticks=[])
        self.k_img = self.k_ax.imshow(np.zeros((3, 3)), cmap="RdBu_r", vmin=-1, vmax=1,
                                      extent=(0, 1, 1, 0))
        self.k_title = fig.text(cx, (top - 28) / fh, "", ha="center", fontsize=FONT - 1,
                                linespacing=1.2)
        mono = dict(ha="center", va="top", family="monospace", fontsize=FONT - 3)
        self.k_numbers = fig.text(cx, (top - 40 - side) / fh, "", **mono)
        self.e_title = fig.text(cx, 0.33, "", ha="center", va="top", fontsize=FONT - 2,
                                linespacing=1.2)
        self.e_numbers = fig.text(cx, 0.2, "", **mono)
        # In pieces (TextRow): a new σ re-renders " (σ = 1.4)", not the 70-character line.
        self.title = TextRow(fig, 0.01, 0.93, 2, fontsize=FONT + 2)

    def compute(self, *, filter, sigma, kernel):
        custom = np.array(kernel)  # (3, 3)
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
        self.k_title.set_text(f"kernel K ({n}×{n})\nsum {_fmt(round(s, 3))}")
        self.k_numbers.set_text(_matrix_text(kernel))
        custom_on = r["filter"] == "custom"
        self.e_title.set_text("the grid's kernel" + ("" if custom_on else "\n(pick 'custom')"))
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
        if r["sigma"] != getattr(self, "_edges_sigma", None):  # a new σ: new pixels
            self.edges.set_data(_edges_shown(r["sigma"], self.scale))  # the panel's pixels
            self.edges.set_clim(0, r["edges_p99"] or 1.0)
            self._edges_sigma = r["sigma"]
        self.edge_note.set_text(f"σ = {r['sigma']:.1f}, max {r['edges_max']:.2f}\n"
                                f"larger σ: fewer, wider edges")
        sigma = f" (σ = {r['sigma']:.1f})" if r["filter"] == "gaussian" else ""
        self.title.set_pieces(_DESCRIPTIONS[r["filter"]], sigma)
