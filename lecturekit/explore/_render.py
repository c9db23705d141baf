r"""Rendering an explorer's figure to PNG bytes fast enough to drag a slider.

:class:`FrameRenderer` puts one figure on an Agg canvas (no pyplot, no
backend) and draws it frame after frame. Three caches keep a frame cheap; none
changes what is drawn:

* the background: axes decorations (ticks, labels, legends, titles) are
  rendered once. Changing anything that is not an animated artist (an axis
  limit, a title) marks the figure stale, and the background is rebuilt:
  matplotlib's ``stale`` flag ignores animated artists, so it says exactly
  when. If only axis limits changed, a background rendered earlier for the
  same limits is reused (up to :data:`BACKGROUNDS` of them).
* the animated artists (those an explorer's ``build`` made: lines, images,
  collections, patches) are drawn over the background on every frame, by
  axes then zorder;
* their texts are drawn last, on top: each is rendered once to an offscreen
  buffer and alpha-composited while it is unchanged (same properties, same
  place on screen), because matplotlib's per-glyph text rendering costs
  milliseconds per string.

A message (an invalid combination of parameters) is drawn on a white cover
over the whole figure, in place of the data; neither is part of the cached
background, so showing one is cheap.
"""

from __future__ import annotations

import io

import matplotlib
import numpy as np
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.axis import Axis, Tick
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from ._axes import FONT

__all__ = ["FrameRenderer", "snapshot", "BACKGROUNDS", "MESSAGE_COLOR"]

MESSAGE_COLOR = "#b22222"

BACKGROUNDS = 6
"""Rendered backgrounds kept per figure, one per set of axis limits (~2 MB each)."""


def _static_artists(fig):
    """Every artist of the figure that is part of the cached background."""
    stack = [fig]
    while stack:
        artist = stack.pop()
        if not artist.get_animated():
            yield artist
            stack.extend(artist.get_children())


def _decoration_changed(fig):
    """Whether a static artist is stale for a reason other than new axis limits.

    New limits leave the figure, its axes and their axes' ``Axis`` objects stale,
    and can add ``Tick`` artists (an axis lays out as many as its range needs):
    those are redrawn from the limits, so a background cached for the same limits
    is still right. Anything else stale (a title, a label) makes every cached one
    out of date.
    """
    stack = [fig]
    while stack:
        artist = stack.pop()
        if artist.get_animated() or isinstance(artist, Tick):
            continue
        if artist.stale and not isinstance(artist, (Figure, Axes, Axis)):
            return True
        stack.extend(artist.get_children())
    return False


class FrameRenderer:
    r"""One figure drawn to pixels and PNG bytes, redrawing only what changed since last time.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; it is put on a ``FigureCanvasAgg`` here.

    Attributes
    ----------
    fig : matplotlib.figure.Figure
    message : str or None
        The message drawn in place of the data, if any (:meth:`show_message`).
    animated : list of matplotlib.artist.Artist
        The artists drawn over the cached background on every frame
        (:meth:`animate_built_artists`).

    Examples
    --------
    >>> fig = Figure(figsize=(2, 1), dpi=50)
    >>> frames = FrameRenderer(fig)
    >>> (line,) = fig.add_subplot().plot([0, 1], [0, 1])
    >>> frames.animate_built_artists()
    >>> frames.draw().shape                     # (H, W, RGBA)
    (50, 100, 4)
    >>> frames.png()[1:4]                       # the PNG signature
    b'PNG'
    """

    def __init__(self, fig):
        self.fig = fig
        FigureCanvasAgg(fig)
        self._message = Text(0.5, 0.5, "", ha="center", va="center", fontsize=FONT + 2,
                             color=MESSAGE_COLOR, wrap=True, transform=fig.transFigure,
                             figure=fig, animated=True)
        self._cover = Rectangle((0, 0), 1, 1, transform=fig.transFigure, figure=fig,
                                facecolor="white", edgecolor="none", animated=True)
        self.message = None
        self.animated = []
        self._background = None
        self._backgrounds = {}  # axis limits -> rendered background
        self._offscreen = None
        self._text_patches = {}  # text -> (its anchor on screen, its rendered patch)

    def animate_built_artists(self):
        """Mark every artist now in the figure's axes, and its texts, as animated."""
        animated = []
        for ax in self.fig.axes:
            animated += [*ax.images, *ax.collections, *ax.patches, *ax.lines, *ax.texts,
                         *ax.artists]
        animated += self.fig.texts
        for artist in animated:
            artist.set_animated(True)
        self.animated = animated

    def show_message(self, text):
        """Draw ``text`` in place of the data (a blank figure) from now on, or stop (``None``)."""
        self.message = text
        self._message.set_text(text or "")

    def png(self):
        """Draw a frame; return it as PNG bytes (RGB, at the figure's dpi)."""
        pixels = self.draw()
        image = PIL.Image.frombuffer("RGBA", (pixels.shape[1], pixels.shape[0]), pixels,
                                     "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        # RGB at compression level 1: about twice as fast to encode as matplotlib's
        # default PNG, and only ~20% larger.
        image.convert("RGB").save(buf, format="png", compress_level=1)
        return buf.getvalue()

    def draw(self):
        """Draw the figure into the canvas; return its pixels, (H, W, 4) uint8, row 0 on top."""
        # Unhinted glyphs render twice as fast, and at 100 dpi look the same.
        with matplotlib.rc_context({"text.hinting": "no_hinting"}):
            return self._draw_unhinted()

    def _draw_unhinted(self):
        canvas = self.fig.canvas
        if self._background is None or self.fig.stale:
            self._background = self._fresh_background()
        canvas.restore_region(self._background)
        renderer = canvas.get_renderer()
        axes_order = {id(ax): i for i, ax in enumerate(self.fig.axes)}
        if self.message is not None:
            self._cover.draw(renderer)
            pixels = np.asarray(canvas.buffer_rgba())
            self._composite_text(self._message, pixels)
            return pixels
        texts = []
        # By axes, then zorder at draw time (draw() may raise one line above the others).
        for artist in sorted(self.animated, key=lambda a: (
                axes_order.get(id(a.axes), len(axes_order)), a.get_zorder())):
            if not artist.get_visible() or (artist.axes and not artist.axes.get_visible()):
                continue
            if isinstance(artist, Text):
                texts.append(artist)
            else:
                artist.draw(renderer)
        for ax in self.fig.axes:  # spines go over the data, as in a full draw; they are cheap
            if ax.get_visible() and ax.axison:
                for spine in ax.spines.values():
                    spine.draw(renderer)
        pixels = np.asarray(canvas.buffer_rgba())  # a writable view of the canvas
        for text in texts:
            self._composite_text(text, pixels)
        return pixels

    def _fresh_background(self):
        """The background for the current state: from the cache if only axis limits changed."""
        key = tuple((ax.get_xlim(), ax.get_ylim()) for ax in self.fig.axes)
        if self._background is None or _decoration_changed(self.fig):
            self._backgrounds.clear()  # a title or label changed: every cached one is out of date
        elif key in self._backgrounds:
            for a in _static_artists(self.fig):  # as a draw would have done
                a.stale = False
            return self._backgrounds[key]
        self.fig.canvas.draw()  # everything except the animated artists
        for a in _static_artists(self.fig):
            # A draw leaves some stale (empty texts, frameless legends' frames); clear
            # them, so that a stale artist next time is one that really changed.
            a.stale = False
        if len(self._backgrounds) >= BACKGROUNDS:
            self._backgrounds.pop(next(iter(self._backgrounds)))  # the oldest
        self._backgrounds[key] = self.fig.canvas.copy_from_bbox(self.fig.bbox)
        return self._backgrounds[key]

    def _composite_text(self, text, pixels):
        """Blend ``text`` onto ``pixels``, re-rendering it only if it changed since last time.

        Changed means a property changed (matplotlib marks the text stale) or its
        anchor moved on screen (new axis limits under a text placed in data units).
        """
        anchor = tuple(text.get_transform().transform(text.get_position()))
        cached = self._text_patches.get(text)
        if text.stale or cached is None or cached[0] != anchor:
            if self._offscreen is None:
                self._offscreen = RendererAgg(pixels.shape[1], pixels.shape[0], self.fig.dpi)
            self._offscreen.clear()
            text.draw(self._offscreen)  # straight RGBA on transparent black; clears .stale
            layer = np.asarray(self._offscreen.buffer_rgba())
            rows = np.flatnonzero(layer[..., 3].any(axis=1))
            cols = np.flatnonzero(layer[..., 3].any(axis=0))
            patch = None
            if rows.size:
                r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
                rgba = layer[r0:r1, c0:c1].astype(np.float32)  # (h, w, 4)
                patch = (r0, c0, rgba[..., :3], rgba[..., 3:] / 255.0)
            self._text_patches[text] = (anchor, patch)
        patch = self._text_patches[text][1]
        if patch is not None:
            r0, c0, rgb, alpha = patch
            dst = pixels[r0:r0 + rgb.shape[0], c0:c0 + rgb.shape[1], :3]
            dst[...] = (rgb * alpha + dst * (1.0 - alpha) + 0.5).astype(np.uint8)


def snapshot(png, scale=1):
    """``png`` as a small PNG: 128 colours, optimised (about a third of the size).

    Saved in a notebook next to the live widget, it is what a reader sees where
    no kernel runs the widget: GitHub, nbviewer, nbconvert's HTML, or JupyterLab
    before the notebook is trusted (the widget renderer is not "safe", a PNG is).
    A frame rendered at ``scale`` times the figure's pixels (for high-DPI
    screens) is reduced to the figure's size first: a static view shows a PNG at
    its pixel size.
    """
    image = PIL.Image.open(io.BytesIO(png)).convert("RGB")
    if scale != 1:
        image = image.resize((round(image.width / scale), round(image.height / scale)),
                             PIL.Image.Resampling.LANCZOS)
    # Agg's anti-aliasing makes thousands of shades; 128 look the same at this size.
    small = image.quantize(colors=128, method=PIL.Image.Quantize.MEDIANCUT,
                           dither=PIL.Image.Dither.NONE)
    buf = io.BytesIO()
    small.save(buf, format="png", optimize=True)
    return buf.getvalue()
