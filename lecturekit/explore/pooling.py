r"""Max and average pooling and small shifts: how much of the pooled output survives a shift.

Lecture 3, "What is pooling?": the usual motivation is invariance to small
shifts, several max-poolings accumulate invariance to stronger shifts, and
there is no invariance to scaling, rotation or colour (exact covariances with
90° rotations and increasing intensity maps are checked in the notebook, not
here). Here a handwritten digit
(:func:`lecturekit.datasets.load_digits`, 8×8, placed in the middle of a
14×14 canvas so that shifts of up to 3 pixels lose nothing) is shifted by
:math:`k` pixels and pooled before and after the shift, once or twice, by max
pooling (:func:`lecturekit.pool.max_pool2d`, the window's maximum) or average
pooling (:func:`lecturekit.pool.avg_pool2d`, the window's mean
:math:`\frac{1}{F^2}\sum_{u,v} x[iS + u, jS + v]`); the "pooling" control picks
the one drawn, and the curves show both.

"Unchanged" counts the pooled cells whose value is the same before and after
the shift, among the cells that are not 0 in both (the blank background would
count as unchanged for free; equal up to 1e-12, for the averages' round-off). The
upper right panel shows that fraction for every shift from −3 to 3, for max and
average pooling and for the pixels themselves, without pooling. The lower one
shows how much the output changes, whether or not a cell stays exactly equal: the
relative change :math:`\|P(T_k x) - P(x)\|_2 / \|P(x)\|_2` of the pooled map
:math:`P(x)` under the shift :math:`T_k` (for the pixels, :math:`\|T_k x - x\|_2/\|x\|_2`).

What to look for: a shift of 0 keeps everything; with 2×2 windows and stride
2, a one-pixel shift keeps part of the pooled cells (a maximum that stays in
its window) where it keeps almost none of the pixels; a shift by the stride
moves the whole pooled map by one cell (equivariance, not invariance); two
poolings keep more than one. Average pooling keeps almost no cell exactly (a
shift moves pixels between windows and changes every mean it touches); its
relative change is close to max pooling's, and below the pixels' (notebook 02
measures both over the ten digits).
"""

from __future__ import annotations

from functools import lru_cache, partial

import numpy as np
from matplotlib.collections import LineCollection, PolyCollection

from ..conv import conv_output_size
from ..datasets import load_digits
from ..pool import avg_pool2d, max_pool2d
from ._axes import FONT, TextRow
from ._controls import Choice, Slider
from ._explorer import Explorer, register

MARGIN = 3
SIDE = 8 + 2 * MARGIN  # the canvas: an 8×8 digit with a 3-pixel border
SHIFTS = np.arange(-3, 4)
POOLS = {"max": max_pool2d, "average": avg_pool2d}
COLORS = {"max": "#e6550d", "average": "#3182bd", "pixels": "0.5"}


@lru_cache(maxsize=1)
def _digits():
    """The first training image of each class 0..9, shape (10, 8, 8); synthetic if missing."""
    try:
        d = load_digits()
    except (FileNotFoundError, ValueError):  # no (or a corrupted) data file: simple shapes
        images = np.zeros((10, 8, 8))
        for c in range(10):
            images[c, 1 + c % 3:7, 1:7 - c // 4] = 1.0
            images[c, 3:5, 2 + c % 4:4 + c % 4] = 0.0
        return images
    return np.stack([d.x_train[np.flatnonzero(d.y_train == c)[0], 0] for c in range(10)])


def _canvas(digit, shift, axis):
    canvas = np.zeros((SIDE, SIDE))
    canvas[MARGIN:MARGIN + 8, MARGIN:MARGIN + 8] = _digits()[digit]
    # The border is at least as wide as the shift, so roll never wraps the digit around.
    return np.roll(canvas, shift, axis=1 if axis == "horizontal" else 0)


def _pool(x, kernel, stride, times, pool="max"):
    for _ in range(times):
        x = POOLS[pool](x[None, None], kernel, stride=stride)[0, 0]
    return x


def _same(a, b):
    """Entries equal up to round-off (an average summed in another order)."""
    return np.abs(a - b) <= 1e-12


def _unchanged(a, b):
    """Fraction of the cells not 0 in both where a and b agree (1 if there are none)."""
    active = (a != 0) | (b != 0)
    return float(np.mean(_same(a[active], b[active]))) if active.any() else 1.0


def _change(a, b):
    """The relative change ||b - a|| / ||a|| (0 for a blank a and b)."""
    norm = np.linalg.norm(a)
    return float(np.linalg.norm(b - a) / norm) if norm else 0.0


def _experiment(digit, axis, kernel, stride, poolings):
    """For max and average pooling and the pixels: the unchanged fraction and the relative
    change under every shift of SHIFTS, two dicts of arrays of shape (len(SHIFTS),)."""
    before = _canvas(digit, 0, axis)
    shifted = [_canvas(digit, k, axis) for k in SHIFTS]
    unchanged, change = {}, {}
    for name in POOLS:
        ref = _pool(before, kernel, stride, poolings, name)
        maps = [_pool(x, kernel, stride, poolings, name) for x in shifted]
        unchanged[name] = np.array([_unchanged(ref, m) for m in maps])
        change[name] = np.array([_change(ref, m) for m in maps])
    unchanged["pixels"] = np.array([_unchanged(before, x) for x in shifted])
    change["pixels"] = np.array([_change(before, x) for x in shifted])
    return unchanged, change


def _cells(index, n):
    """Corners of some cells of an n×n grid of the unit square.

    ``index`` holds flat (row-major) cell indices; the result has shape (len(index), 4, 2).
    """
    i, j = np.divmod(index, n)
    x, y, h = j / n, i / n, 1 / n
    return np.stack([np.stack([x, y], -1), np.stack([x + h, y], -1),
                     np.stack([x + h, y + h], -1), np.stack([x, y + h], -1)], axis=1)


def _grid(n, every=1):
    """Lines every ``every`` cells of an n×n grid of the unit square."""
    k = np.arange(0, n + 1, every) / n
    return [[(0, t), (1, t)] for t in k] + [[(t, 0), (t, 1)] for t in k]


@register
class PoolingShiftExplorer(Explorer):
    """A digit and its shifted copy, both max- or average-pooled; what the shift left unchanged."""

    controls = {
        "digit": Slider(0, 9, 1, 3, "digit"),
        "shift": Slider(-3, 3, 1, 1, "shift k (pixels)"),
        "axis": Choice(("horizontal", "vertical"), "horizontal", "axis"),
        "kernel": Slider(2, 4, 1, 2, "pool F"),
        "stride": Slider(1, 4, 1, 2, "stride S"),
        "poolings": Slider(1, 2, 1, 1, "poolings"),
        "pool": Choice(tuple(POOLS), "max", "pooling",
                       help="the pooling drawn: max (the window's maximum) or average (its "
                            "mean); the curves on the right show both"),
    }
    figsize = (9.3, 3.5)

    def build(self, fig):
        width, y0 = 0.183, 0.16
        height = width * self.figsize[0] / self.figsize[1]  # square panels
        xs = (0.009, 0.198, 0.398, 0.587)
        self.axes = [fig.add_axes((x, y0, width, height)) for x in xs]
        titles = ("image", "shifted by k", "pooled", "shifted, pooled")
        self.images, self.grids = [], []
        for ax, title in zip(self.axes, titles, strict=True):
            ax.set(xlim=(0, 1), ylim=(1, 0), xticks=[], yticks=[])
            ax.set_title(title, fontsize=FONT)
            self.images.append(ax.imshow(np.zeros((2, 2)), cmap="gray_r", vmin=0, vmax=1,
                                         extent=(0, 1, 1, 0), interpolation="nearest"))
            grid = LineCollection([], colors="#9ecae1", linewidths=0.6)
            ax.add_collection(grid)
            self.grids.append(grid)
        self.changed = PolyCollection([], facecolors="none", edgecolors="#e6550d", linewidths=2.5)
        self.axes[3].add_collection(self.changed)
        # Two panels of the shift experiment, for both poolings and the pixels: the fraction
        # of cells exactly unchanged, and the relative change of the whole map.
        self.curve_ax = fig.add_axes((0.83, 0.55, 0.16, 0.26))
        self.change_ax = fig.add_axes((0.83, 0.16, 0.16, 0.26))
        self.curves, self.changes = {}, {}
        for ax, title, lines in ((self.curve_ax, "unchanged fraction", self.curves),
                                 (self.change_ax, r"change $\|\Delta P\| / \|P\|$",
                                  self.changes)):
            ax.set(xlim=(-3.4, 3.4), xticks=SHIFTS[::3])  # -3, 0, 3
            ax.set_title(title, fontsize=FONT - 2, pad=3)
            ax.tick_params(labelsize=FONT - 4)
            ax.grid(alpha=0.3)
            for name, color in COLORS.items():
                style = "s--" if name == "pixels" else "o-"
                lines[name] = ax.plot([], [], style, color=color, ms=4, label=name,
                                      lw=1.5 if name == "pixels" else 2)[0]
        self.curve_ax.set(ylim=(-0.03, 1.03), xticklabels=[])
        self.change_ax.set_ylim(-0.04, 1.45)  # a shifted digit changes by at most sqrt(2)
        self.change_ax.set_xlabel("shift k", fontsize=FONT - 2, labelpad=0)
        (self.marker,) = self.curve_ax.plot([], [], "o", color="black", ms=10, mfc="none", mew=2)
        (self.change_marker,) = self.change_ax.plot([], [], "o", color="black", ms=10,
                                                     mfc="none", mew=2)
        self.curve_ax.legend(loc="lower center", bbox_to_anchor=(0.42, 1.18), ncol=3,
                             fontsize=FONT - 4, frameon=False, handlelength=1.2,
                             columnspacing=0.6, handletextpad=0.3)  # above: the curves fill it
        # Lines in pieces (TextRow): a move re-renders the few words and numbers it changes.
        self.title = TextRow(fig, 0.01, 0.91, 10, fontsize=FONT + 1)
        self.numbers = TextRow(fig, 0.009, 0.025, 8, fontsize=FONT)

    messages = {
        "window_too_big": "Pooling F = {k}, S = {s} twice: {side}×{side} → {first}×{first} "
                          "after the first pooling,\nwhere a {k}×{k} window does not fit.",
    }

    def compute(self, *, digit, shift, axis, kernel, stride, poolings, pool):
        first = conv_output_size(SIDE, kernel, stride=stride)  # a window always fits SIDE
        if poolings == 2 and kernel > first:
            raise self.invalid("window_too_big", k=kernel, s=stride, side=SIDE, first=first)
        before, after = _canvas(digit, 0, axis), _canvas(digit, shift, axis)
        # The shift experiment, for both poolings: the same for every shift drawn and pooling.
        unchanged, change = self.memo((digit, axis, kernel, stride, poolings), partial(
            _experiment, digit, axis, kernel, stride, poolings))
        pooled = _pool(before, kernel, stride, poolings, pool)
        pooled_after = _pool(after, kernel, stride, poolings, pool)
        active = (pooled != 0) | (pooled_after != 0)
        same = active & _same(pooled, pooled_after)
        return {"before": before, "after": after, "pooled": pooled, "pooled_after": pooled_after,
                "changed": active & ~same, "active": int(active.sum()), "same": int(same.sum()),
                "fraction": _unchanged(pooled, pooled_after), "curve": unchanged[pool],
                "pixel_curve": unchanged["pixels"], "unchanged": unchanged, "change": change,
                "relative_change": _change(pooled, pooled_after), "shift": shift, "axis": axis,
                "kernel": kernel, "stride": stride, "poolings": poolings, "pool": pool}

    def draw(self, r):
        arrays = (r["before"], r["after"], r["pooled"], r["pooled_after"])
        for panel, (image, grid, a) in enumerate(zip(self.images, self.grids, arrays,
                                                     strict=True)):
            image.set_data(a)
            # Image panels: where the first pooling's windows start; pooled panels: cells.
            grid.set_segments(_grid(len(a), r["stride"] if panel < 2 else 1))
        m = len(r["pooled"])
        self.changed.set_verts(_cells(np.flatnonzero(r["changed"]), m))
        for name in COLORS:
            self.curves[name].set_data(SHIFTS, r["unchanged"][name])
            self.changes[name].set_data(SHIFTS, r["change"][name])
        self.marker.set_data([r["shift"]], [r["fraction"]])
        self.change_marker.set_data([r["shift"]], [r["relative_change"]])
        direction = {"horizontal": "to the right", "vertical": "down"}[r["axis"]]
        if r["shift"] < 0:
            direction = {"horizontal": "to the left", "vertical": "up"}[r["axis"]]
        times = "twice" if r["poolings"] == 2 else "once"
        pixels = "pixel" if abs(r["shift"]) == 1 else "pixels"
        f = r["kernel"]
        self.title.set_pieces("shift k = ", str(r["shift"]), ": ",
                              f"{abs(r['shift'])} {pixels} {direction};  ", f"{r['pool']} pool ",
                              f"{f}×{f}", ", stride ", str(r["stride"]),
                              f", {times}:  {SIDE}×{SIDE} → ", f"{m}×{m}")
        self.numbers.set_pieces(f"{r['pool']} pool: ", str(r["same"]), " of ", str(r["active"]),
                                " non-zero cells unchanged (", f"{100 * r['fraction']:.0f}",
                                " %, changed ones outlined); change ",
                                f"{r['relative_change']:.2f}")
