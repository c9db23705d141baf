r"""Figure helpers several explorers share: the font size, axis limits, log axes, numbers.

Each helper keeps the rendering caches of :mod:`._render` warm: limits are set
only when they change (:func:`set_lims`), and log axes get their ticks from a
locator that follows the limits (:class:`DecadeLocator`), so that each y-range
in :data:`RANGES` is one cached background rather than a redraw per frame.
The gradient explorers (ResNet, RNN) draw norms that span a hundred decades on
:func:`gradient_axes`, narrowed to the first of :data:`RANGES` that holds them
(:func:`log_range`, :func:`show_log_range`).
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache, partial

import matplotlib
import numpy as np
from matplotlib.ticker import Locator, NullLocator

__all__ = ["FONT", "RANGES", "fmt", "set_lims", "training_axes", "DecadeLocator", "log_axis", "log_range",
           "gradient_axes", "range_states", "show_log_range", "TextLines", "TextRow",
           "unhinted", "text_width"]

FONT = 12
"""Font size (points) for labels and formulas: legible on a projector at dpi 100."""

RANGES = ((1e-4, 1e4), (1e-16, 1e8), (1e-40, 1e40), (1e-80, 1e40))
"""The y-ranges of the gradient axes: a few fixed ones, each with its own cached background
(a new range costs one full redraw, once)."""


def fmt(v):
    """``v`` to two significant digits, or "overflow" when it is not finite.

    Examples
    --------
    >>> fmt(0.012345), fmt(float("inf"))
    ('0.012', 'overflow')
    """
    return f"{v:.2g}" if np.isfinite(v) else "overflow"


def set_lims(ax, xlim=None, ylim=None):
    """Set axis limits only if they change: a change re-renders the cached ticks."""
    if xlim is not None and tuple(ax.get_xlim()) != tuple(map(float, xlim)):
        ax.set_xlim(xlim)
    if ylim is not None and tuple(ax.get_ylim()) != tuple(map(float, ylim)):
        ax.set_ylim(ylim)


class DecadeLocator(Locator):
    """Ticks at 10^(k·step), the step (1, 2, 4, 5, 10 or 20 decades) giving at most 6 ticks.

    A locator, not ``set_yticks``: new tick lists would count as a changed
    decoration and throw away every cached background; a locator follows the
    limits, and the background for each range is cached.
    """

    def __call__(self):
        lo, hi = np.log10(np.maximum(self.axis.get_view_interval(), 1e-300))
        step = next((s for s in (1, 2, 4, 5, 10) if (hi - lo) / s <= 6), 20)
        return [10.0**k for k in range(int(np.ceil(lo / step)) * step, int(hi) + 1, step)]


def log_axis(ax, y_range):
    """Make ``ax`` a log axis with decade ticks (:class:`DecadeLocator`) and the given y-range."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(DecadeLocator())
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_ylim(*y_range)


def log_range(*arrays):
    """The first of :data:`RANGES` that holds every positive finite value of ``arrays``.

    Examples
    --------
    >>> log_range([1e-3, 10.0]), log_range([1e-30, 0.0, float("nan")])
    ((0.0001, 10000.0), (1e-40, 1e+40))
    """
    values = np.concatenate([np.ravel(a) for a in arrays])
    values = values[np.isfinite(values) & (values > 0)]
    lo, hi = (values.min(), values.max()) if values.size else (1.0, 1.0)
    return next((r for r in RANGES if r[0] <= lo and hi <= r[1]), RANGES[-1])


def gradient_axes(fig, xmax, xlabel):
    """The log-scale axes both gradient explorers draw on: decade ticks, a grid, y = 1 dotted."""
    ax = fig.add_axes((0.08, 0.13, 0.55, 0.64))
    log_axis(ax, RANGES[0])
    ax.set_xlim(0, xmax)
    ax.set_xlabel(xlabel, fontsize=FONT)
    ax.tick_params(labelsize=FONT - 2)
    ax.grid(alpha=0.3)
    ax.axhline(1.0, color="0.5", lw=1, ls=":")
    return ax


def training_axes(fig, loss_rect, acc_rect, epochs_max, loss_range):
    """The two axes both training explorers draw on: loss (log scale) and accuracy (%) by epoch."""
    ax_loss, ax_acc = fig.add_axes(loss_rect), fig.add_axes(acc_rect)
    for ax in (ax_loss, ax_acc):
        ax.set_xlim(0, epochs_max)
        ax.set_xlabel("epoch", fontsize=FONT)
        ax.tick_params(labelsize=FONT - 2)
        ax.grid(alpha=0.3)
    ax_loss.set_yscale("log")
    ax_loss.set_ylim(*loss_range)
    ax_loss.set_title("cross-entropy loss", fontsize=FONT, loc="left")
    ax_acc.set_ylim(0, 100)
    ax_acc.set_title("accuracy (%)", fontsize=FONT, loc="left")
    return ax_loss, ax_acc


def range_states(ax):
    """For :meth:`Explorer.prerender`: put ``ax`` in each of :data:`RANGES` in turn, so that no
    slider move pays for the full redraw of a range it enters for the first time."""
    return [partial(set_lims, ax, ylim=y_range) for y_range in RANGES]


def show_log_range(ax, y_range):
    """Give ``ax`` the y-range if it changed; return a function that clips values into it.

    The function puts 0 (a dead ReLU stack) on the bottom edge and an overflow
    on the top one, so off-scale values run along the edge of the axes.
    """
    lo, hi = y_range
    set_lims(ax, ylim=y_range)
    return lambda v: np.clip(np.nan_to_num(v, nan=hi, posinf=hi), lo, hi)


class TextLines:
    """A block of monospace lines drawn as one text per line, top-aligned from ``(x, y)``.

    The renderer re-renders a text only when it changes, and a text of the same content
    only once (:mod:`._render`): a 9-line block where a move changes two lines costs two
    short lines, not the whole block (about 20 ms a move for the LSTM explorer's numbers).
    ``x, y`` are figure fractions; ``props`` go to each line's ``fig.text``.
    """

    def __init__(self, fig, x, y, n_lines, linespacing=1.2, **props):
        size = props.setdefault("fontsize", FONT)
        props.setdefault("family", "monospace")
        step = size * linespacing / 72 / fig.get_figheight()  # one line, as a figure fraction
        self.texts = [fig.text(x, y - i * step, "", va="top", **props) for i in range(n_lines)]

    def set_text(self, text):
        """Show ``text``, its lines one per text (at most ``n_lines``; the rest left empty)."""
        lines = text.split("\n")
        if len(lines) > len(self.texts):
            raise ValueError(f"text must have at most {len(self.texts)} lines, got {len(lines)}")
        for artist, line in zip(self.texts, lines + [""] * (len(self.texts) - len(lines)), strict=True):
            artist.set_text(line)


@contextmanager
def unhinted():
    """Draw and measure text unhinted, as :class:`._render.FrameRenderer` draws its frames.

    Unhinted glyphs render twice as fast and at 100 dpi look the same. The setting is set
    and put back by hand: ``rc_context`` copies every setting, twice (about 1 ms).
    """
    params = matplotlib.rcParams
    hinting = params["text.hinting"]
    params["text.hinting"] = "no_hinting"
    try:
        yield
    finally:
        params["text.hinting"] = hinting


@lru_cache(maxsize=None)
def _measurer(dpi):
    """An Agg renderer of one pixel at ``dpi``: only its text metrics are used."""
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(1, 1, dpi)


def text_width(line, fontproperties, dpi):
    """The width in pixels of one line of plain text at ``dpi``, unhinted (as frames are drawn)."""
    if not line:
        return 0.0
    with unhinted():
        return _measurer(dpi).get_text_width_height_descent(line, fontproperties, False)[0]


class TextRow:
    """One line of text in pieces, one text each, laid out left to right from ``(x, y)``.

    The renderer re-renders a text only when it changes, and a text of the same content only
    once (:mod:`._render`), at about 0.2 ms a glyph: a title whose two numbers change,
    written ``("running = (1 − ", "0.10", ")·running + ", "0.10", "·batch")``, renders two
    short numbers per move (none for values shown before) instead of 40 glyphs. Each piece
    starts where the one before ends (its width measured once, as the frames are drawn,
    unhinted), at a whole pixel; ``ha`` places the whole line. Pieces are plain text (no
    ``$...$``). ``x, y`` are figure fractions; ``props`` go to each piece's ``fig.text``.
    """

    WIDTHS = 4096
    """Piece widths kept (a dict, emptied when full)."""

    def __init__(self, fig, x, y, n_pieces, ha="left", **props):
        props.setdefault("fontsize", FONT)
        self.fig, self.x, self.ha = fig, x, ha
        self.texts = [fig.text(x, y, "", ha="left", **props) for _ in range(n_pieces)]
        self._widths = {}

    def _width(self, piece):
        width = self._widths.get(piece)
        if width is None:
            if len(self._widths) >= self.WIDTHS:
                self._widths.clear()
            width = text_width(piece, self.texts[0].get_fontproperties(), self.fig.dpi)
            self._widths[piece] = width
        return width

    def set_pieces(self, *pieces, color=None):
        """Show ``pieces`` side by side (at most ``n_pieces``; the rest left empty), in
        ``color`` if given."""
        if len(pieces) > len(self.texts):
            raise ValueError(f"at most {len(self.texts)} pieces, got {len(pieces)}")
        pieces = pieces + ("",) * (len(self.texts) - len(pieces))
        widths = [self._width(p) for p in pieces]
        offset = {"left": 0.0, "center": -sum(widths) / 2, "right": -sum(widths)}[self.ha]
        pixels = self.fig.bbox.width
        for text, piece, width in zip(self.texts, pieces, widths, strict=True):
            x = self.x + round(offset) / pixels
            if text.get_position()[0] != x:  # (set_x marks it changed even for the same x)
                text.set_x(x)
            if text.get_text() != piece:
                text.set_text(piece)
            if color is not None and text.get_color() != color:
                text.set_color(color)
            offset += width

    def get_text(self):
        """The line as one string."""
        return "".join(t.get_text() for t in self.texts)
