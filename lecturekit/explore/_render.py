r"""Rendering an explorer's figure to PNG bytes fast enough to drag a slider.

:class:`FrameRenderer` puts one figure on an Agg canvas (no pyplot, no
backend) and draws it frame after frame. Three caches keep a frame cheap; none
changes what is drawn:

* the background: axes decorations (ticks, labels, legends, titles) are
  rendered once. Changing anything that is not an animated artist (an axis
  limit, a title) marks the figure stale, and the background is rebuilt:
  matplotlib's ``stale`` flag ignores animated artists, so it says exactly
  when. If only axis limits changed, a background rendered earlier for the
  same limits is reused (up to :data:`BACKGROUNDS` of them, zlib-compressed
  but for the one in use, within :data:`BACKGROUND_BYTES`).
* the animated artists (those an explorer's ``build`` made: lines, images,
  collections, patches) are drawn over the background on every frame, by
  axes then zorder;
* their texts are drawn last, on top: each is rendered once to an offscreen
  buffer and alpha-composited while it is unchanged (same properties, same
  place on screen), because matplotlib's per-glyph text rendering costs
  milliseconds per string. A changed text whose content (string, font,
  colour, alignment) was rendered before, at the same sub-pixel place, reuses
  those pixels, moved (a grid of numbers renders each number once; a cache
  of :data:`TEXT_CACHE_BYTES`), and every renderer shares one math parser
  whose cache holds :data:`MATHTEXT_CACHE` formulas.

Only the :data:`AWAKE` renderers that drew last keep their pixels: the canvas's
Agg buffer and the background in use (about 3.4 MB at 930×470). A notebook
shows many explorers and a student moves one at a time, so the others sleep
(:meth:`FrameRenderer.sleep`): their background is kept compressed, their
rendered texts stay, and their next frame (the same pixels) costs a new buffer
and an unpacked background, about 2 ms.

A frame is encoded by :func:`encode_png` (an "up" filter in numpy and zlib at
level 1: the pixels PIL's encoder gives, in half its time). Frames are drawn
and encoded on one BLAS thread (``Explorer.update`` runs in
:func:`lecturekit._threads.small_work`).

A message (an invalid combination of parameters) is drawn on a white cover
over the whole figure, in place of the data; neither is part of the cached
background, so showing one is cheap.
"""

from __future__ import annotations

import functools
import io
import math
import struct
import sys
import weakref
import zlib
from collections import OrderedDict

import matplotlib
import numpy as np
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.axis import Axis, Tick
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from ._axes import FONT

__all__ = ["FrameRenderer", "snapshot", "encode_png", "BACKGROUNDS", "MESSAGE_COLOR"]

MESSAGE_COLOR = "#b22222"

BACKGROUNDS = 12
"""Rendered backgrounds kept per figure, one per set of axis limits: the one in use as pixels
(~1.8 MB at 930×480; unpacking it on every frame would cost ~1.5 ms), the others
zlib-compressed (~0.01-0.2 MB each; ~1.5 ms to unpack when entered)."""

BACKGROUND_BYTES = 4 * 2**20
"""At most this many bytes of compressed backgrounds per figure (the oldest go first)."""

AWAKE = 2
"""Renderers, over all figures, that keep their pixels between frames (the ones that drew
last); the others sleep (:meth:`FrameRenderer.sleep`). Two: the explorer a student moves and
the one they came from."""

_awake = OrderedDict()  # id(renderer) -> weak reference, the last to draw at the end


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    """glibc's ``malloc_trim``, or None (another C library, or no ctypes)."""
    try:
        import ctypes
        import ctypes.util

        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (ImportError, OSError, AttributeError):
        return None


def _give_back_free_memory():
    """Return the C heap's free pages to the system (glibc; elsewhere nothing).

    numpy's large arrays, once freed, leave free pages in the C heap that glibc keeps
    mapped: after a notebook's Monte-Carlo cells, tens of MB that the kernel no longer
    uses but still holds. ``malloc_trim(0)`` gives them back (about a millisecond).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _woken(frames):
    """Mark ``frames`` as the last to draw; put the renderer beyond :data:`AWAKE` to sleep."""
    _awake.pop(id(frames), None)
    _awake[id(frames)] = weakref.ref(frames)
    while len(_awake) > AWAKE:
        oldest = _awake.popitem(last=False)[1]()
        if oldest is not None:
            oldest.sleep()
            _give_back_free_memory()


MATHTEXT_CACHE = 512
"""Parsed math strings kept, for every figure (:func:`_shared_math_parser`)."""


@functools.lru_cache(maxsize=None)
def _shared_math_parser(output):
    """One matplotlib math parser (of ``output`` type) for every renderer here, with a cache
    of MATHTEXT_CACHE.

    Each Agg renderer makes its own parser, whose cache (of 50) is keyed by the parser:
    every new figure, and the offscreen renderer of the texts, parsed each formula again
    (~10 ms each). Sharing one, with room for the formulas of a whole notebook, parses
    each once.
    """
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser({"vector": "path", "raster": "agg"}[output])
    cached = getattr(type(parser), "_parse_cached", None)
    if getattr(cached, "__wrapped__", None) is not None:
        wider = functools.lru_cache(MATHTEXT_CACHE)(cached.__wrapped__)
        parser._parse_cached = functools.partial(wider, parser)
    return parser


def _share_math_parser(renderer):
    output = getattr(getattr(renderer, "mathtext_parser", None), "_output_type", None)
    if output in ("vector", "raster"):
        renderer.mathtext_parser = _shared_math_parser(output)
    return renderer


TEXT_CACHE_BYTES = 4 * 2**20
"""Bytes of rendered texts kept per figure for reuse (:meth:`FrameRenderer._rendered_text`)."""


GLYPHS = 8192
"""Glyph bitmaps kept, for every figure (:class:`_GlyphCachingRenderer`): a few hundred
glyphs at a few sizes, each at up to 64 x 64 sub-pixel offsets in use, about 0.5 kB each."""

_glyphs = OrderedDict()  # (font, size, dpi, glyph, flags, antialiased, sub-pixel x, y) -> bitmap


class _GlyphCachingRenderer(RendererAgg):
    """The Agg renderer of the offscreen texts, with each glyph's bitmap rendered once.

    Matplotlib 3.11 draws text glyph by glyph, each rendered by FreeType (about 0.1 ms):
    a 40-character title costs ~10 ms. A glyph's bitmap depends only on its font, size,
    the flags and where it falls within a pixel (a 26.6 fixed-point place, so 64 × 64
    sub-pixel offsets); moved by whole pixels it is the same bitmap, moved. So the same
    bitmaps reach ``draw_text_image`` as in :meth:`RendererAgg._draw_text_glyphs_and_boxes`,
    which this follows; rotated, slanted or stretched glyphs and boxes (mathtext's rules)
    are drawn as there.
    """

    def _draw_text_glyphs_and_boxes(self, gc, x, y, angle, glyphs, boxes):
        glyphs = list(glyphs)
        if angle % 360 != 0 or any(g[3] != 0 or g[4] != 1 for g in glyphs):
            return super()._draw_text_glyphs_and_boxes(gc, x, y, angle, glyphs, boxes)
        load_flags = get_hinting_flag()
        antialiased = gc.get_antialiased()
        identity = np.array([[0x10000, 0], [0, 0x10000]])
        for font, size, glyph_index, _, _, dx, dy in glyphs:  # dy is upwards
            gx, gy = round(0x40 * (x + dx)), round(0x40 * (self.height - y + dy))
            key = (font.fname, font.face_index, size, self.dpi, glyph_index, load_flags,
                   antialiased, gx & 63, gy & 63)
            cached = _glyphs.get(key)
            if cached is None:
                font.set_size(size, self.dpi)
                font._set_transform(identity, [gx & 63, gy & 63])  # the sub-pixel offset only
                bitmap = font._render_glyph(glyph_index, load_flags, self.mode[bool(antialiased)])
                buffer = np.array(bitmap.buffer)
                if not antialiased:
                    buffer *= 0xff
                cached = _glyphs[key] = (buffer, bitmap.left, bitmap.top)
                if len(_glyphs) > GLYPHS:
                    _glyphs.popitem(last=False)
            buffer, left, top = cached
            # draw_text_image's y is downwards & the bitmap bottom side.
            self._renderer.draw_text_image(
                buffer, left + (gx >> 6), int(self.height) - (top + (gy >> 6)) + buffer.shape[0],
                0, gc)
        if boxes:
            super()._draw_text_glyphs_and_boxes(gc, x, y, angle, (), boxes)


def _glyph_renderer():
    """:class:`_GlyphCachingRenderer` where matplotlib draws text glyph by glyph with the
    private calls it follows (3.11), else matplotlib's own renderer (the same pixels, slower)."""
    try:
        from matplotlib.ft2font import RenderMode
    except ImportError:
        return RendererAgg
    if not (hasattr(RendererAgg, "_draw_text_glyphs_and_boxes")
            and hasattr(FT2Font, "_render_glyph") and hasattr(FT2Font, "_set_transform")):
        return RendererAgg
    _GlyphCachingRenderer.mode = {True: RenderMode.NORMAL, False: RenderMode.MONO}
    return _GlyphCachingRenderer


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
        self._background = None  # the pixels of the background in use, (H, W, 4) uint8
        self._background_key = None
        self._shape = None  # (H, W, 4) of the canvas's pixels, once drawn
        self._asleep = False  # True after sleep(), until the next frame
        self._backgrounds = OrderedDict()  # axis limits -> compressed background, oldest first
        self._offscreen = None
        self._measurer = None  # a one-pixel renderer, for the message's line widths
        self._text_patches = {}  # text -> (its anchor on screen, its rendered patch)
        self._rendered = OrderedDict()  # what a text draws -> its patch (_rendered_text)
        self._rendered_bytes = 0
        self._dirty = None  # the offscreen pixels the last rendered text drew

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
        # Wrapped only if a line is wider than the figure: matplotlib's wrapping measures
        # each line once per word (~20 ms for a three-line message), and an unwrapped text
        # is rendered once per content (_text_key).
        self._message.set_wrap(bool(text) and self._too_wide(text))

    def _too_wide(self, text):
        """Whether a line of ``text``, in the message's font, is wider than the figure."""
        if "$" in text:
            return True  # mathtext: left to matplotlib's wrapping
        if self._measurer is None:
            self._measurer = RendererAgg(1, 1, self.fig.dpi)  # only its text metrics are used
        font = self._message.get_fontproperties()
        with matplotlib.rc_context({"text.hinting": "no_hinting"}):  # as the frames are drawn
            widths = [self._measurer.get_text_width_height_descent(line, font, False)[0]
                      for line in text.split("\n")]
        return max(widths) > self.fig.bbox.width

    def png(self):
        """Draw a frame; return it as PNG bytes (RGB, at the figure's dpi)."""
        return encode_png(self.draw())

    def draw(self):
        """Draw the figure into the canvas; return its pixels, (H, W, 4) uint8, row 0 on top."""
        # Unhinted glyphs render twice as fast, and at 100 dpi look the same.
        with matplotlib.rc_context({"text.hinting": "no_hinting"}):
            return self._draw_unhinted()

    def sleep(self):
        """Let go of the pixels kept between frames; the next frame is the same, ~2 ms dearer.

        The background in use is kept compressed with the others, and the canvas's
        Agg renderer is dropped (every text keeps a reference to the renderer it was
        last drawn with, so those go too); the rendered texts stay. A figure that
        never drew has nothing to let go of.
        """
        if self._background is None:
            return
        key = self._background_key
        if key is not None and key not in self._backgrounds:  # dropped by BACKGROUND_BYTES
            self._backgrounds[key] = zlib.compress(self._background, 1)
        self._background = None
        self._background_key = None
        self._asleep = True
        canvas = self.fig.canvas
        canvas.renderer = None
        canvas._lastKey = None  # what FigureCanvasAgg.get_renderer checks to make a new one
        for text in self.fig.findobj(Text):
            text._renderer = None  # Text.draw keeps it; get_window_extent makes one if needed

    def _draw_unhinted(self):
        canvas = self.fig.canvas
        _woken(self)
        if self._background is None or self.fig.stale:
            self._background = self._fresh_background()
            self._asleep = False
        renderer = _share_math_parser(canvas.get_renderer())
        np.copyto(np.asarray(renderer.buffer_rgba()), self._background)
        axes_order = {id(ax): i for i, ax in enumerate(self.fig.axes)}
        if self.message is not None:
            self._cover.draw(renderer)
            pixels = np.asarray(canvas.buffer_rgba())
            self._composite_text(self._message, pixels)
            self._offscreen = None
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
        self._offscreen = None  # made again (~0.3 ms) when a text changes: 1.8 MB less per figure
        return pixels

    def _fresh_background(self):
        """The background for the current state: from the cache if only axis limits changed."""
        key = tuple((ax.get_xlim(), ax.get_ylim()) for ax in self.fig.axes)
        if (self._background is None and not self._asleep) or _decoration_changed(self.fig):
            self._backgrounds.clear()  # a title or label changed: every cached one is out of date
        elif key in self._backgrounds:
            for a in _static_artists(self.fig):  # as a draw would have done
                a.stale = False
            self._backgrounds.move_to_end(key)
            if self._background_key == key:
                return self._background
            self._background_key = key
            return np.frombuffer(zlib.decompress(self._backgrounds[key]), np.uint8).reshape(
                self._shape)
        _share_math_parser(self.fig.canvas.get_renderer())  # the one draw() uses
        self.fig.canvas.draw()  # everything except the animated artists
        for a in _static_artists(self.fig):
            # A draw leaves some stale (empty texts, frameless legends' frames); clear
            # them, so that a stale artist next time is one that really changed.
            a.stale = False
        pixels = np.array(self.fig.canvas.get_renderer().buffer_rgba())  # a copy
        self._shape = pixels.shape
        self._backgrounds[key] = zlib.compress(pixels, 1)
        while len(self._backgrounds) > 1 and (
                len(self._backgrounds) > BACKGROUNDS
                or sum(map(len, self._backgrounds.values())) > BACKGROUND_BYTES):
            self._backgrounds.popitem(last=False)  # the oldest
        self._background_key = key
        return pixels

    def _composite_text(self, text, pixels):
        """Blend ``text`` onto ``pixels``, re-rendering it only if it changed since last time.

        Changed means a property changed (matplotlib marks the text stale) or its
        anchor moved on screen (new axis limits under a text placed in data units).
        Even then a text is rendered only if no text of the same content was rendered
        before (:meth:`_rendered_text`): a grid of numbers renders each number once.
        """
        anchor = tuple(text.get_transform().transform(text.get_position()))
        cached = self._text_patches.get(text)
        if text.stale or cached is None or cached[0] != anchor:
            self._text_patches[text] = (anchor, self._rendered_text(text, anchor, pixels.shape))
            text.stale = False  # as a draw would leave it
        patch = self._text_patches[text][1]
        if patch is None:
            return
        r0, c0, premultiplied, transparency = patch
        h, w = transparency.shape[:2]
        top, left = max(r0, 0), max(c0, 0)  # clipped to the figure
        bottom, right = min(r0 + h, pixels.shape[0]), min(c0 + w, pixels.shape[1])
        if top >= bottom or left >= right:
            return
        if (top, left, bottom, right) != (r0, c0, r0 + h, c0 + w):
            rows, cols = slice(top - r0, bottom - r0), slice(left - c0, right - c0)
            premultiplied, transparency = premultiplied[rows, cols], transparency[rows, cols]
        dst = pixels[top:bottom, left:right, :3]
        dst[...] = (premultiplied + dst * transparency + 0.5).astype(np.uint8)

    def _rendered_text(self, text, anchor, shape):
        """``(row, col, rgb * alpha, 1 - alpha)`` of ``text`` drawn at ``anchor`` on a figure of
        ``shape``, or None if it draws nothing.

        Agg places a text's bitmap at whole pixels (``round`` of the anchor plus the
        layout's offsets), so the same text anchored an even number of pixels away
        draws the same pixels, moved: one rendering per content and sub-pixel place
        (:func:`_text_key`) serves every such text, from a cache bounded in bytes
        (:data:`TEXT_CACHE_BYTES`). (Even: Python rounds halves to even.) A text
        that wraps, is rotated, clipped or boxed is rendered for its own place only.
        """
        key = _text_key(text)
        if key is None:  # rendered for its place only
            return self._render_text(text, shape, (0, 0))[0]
        base = (2 * math.floor(anchor[0] / 2), 2 * math.floor(anchor[1] / 2))
        key = (key, anchor[0] - base[0], anchor[1] - base[1])
        entry = self._rendered.get(key)
        if entry is None:
            entry, cut = self._render_text(text, shape, base)
            if not cut:  # (one cut by the figure's edge is right for its own place only)
                self._rendered[key] = entry
                self._rendered_bytes += _patch_bytes(entry)
                while self._rendered_bytes > TEXT_CACHE_BYTES and len(self._rendered) > 1:
                    self._rendered_bytes -= _patch_bytes(self._rendered.popitem(last=False)[1])
        else:
            self._rendered.move_to_end(key)
        if entry is None:
            return None
        dr, dc, premultiplied, transparency = entry
        return dr - base[1], dc + base[0], premultiplied, transparency

    def _render_text(self, text, shape, base):
        """Draw ``text`` offscreen: ``((row + base y, col - base x, rgb·α, 1 − α), cut)``.

        The patch is None if it draws nothing; ``cut``: it reaches the figure's edge,
        so it holds only what is inside (right for this place only).
        """
        if self._offscreen is None:
            self._offscreen = _share_math_parser(
                _glyph_renderer()(shape[1], shape[0], self.fig.dpi))
            self._dirty = None
        layer = np.asarray(self._offscreen.buffer_rgba())
        if self._dirty is not None:  # clear what the last text drew (a full clear is slower)
            layer[self._dirty] = (255, 255, 255, 0)  # as RendererAgg.clear() leaves it
        text.draw(self._offscreen)  # straight RGBA on transparent white
        drawn = layer.view(np.uint32)[..., 0] >= 1 << 24  # alpha > 0 (little-endian RGBA)
        if sys.byteorder != "little":
            drawn = layer[..., 3] > 0
        rows = np.flatnonzero(drawn.any(axis=1))
        if not rows.size:
            self._dirty = None
            return None, False
        cols = np.flatnonzero(drawn[rows[0]:rows[-1] + 1].any(axis=0))
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        self._dirty = (slice(r0, r1), slice(c0, c1))
        rgba = layer[r0:r1, c0:c1].astype(np.float32)  # (h, w, 4)
        alpha = rgba[..., 3:] / 255.0
        cut = r0 == 0 or c0 == 0 or r1 == shape[0] or c1 == shape[1]
        return (int(r0) + base[1], int(c0) - base[0], rgba[..., :3] * alpha, 1.0 - alpha), cut


def _patch_bytes(entry):
    return 0 if entry is None else entry[2].nbytes + entry[3].nbytes


def _text_key(text):
    """What a text's pixels depend on, besides its place: None if they depend on its place too.

    A wrapped text wraps at the figure's edge, a clipped one is cut by its clip box;
    rotated or boxed texts and path effects are left out to be safe.
    """
    if (text.get_wrap() or text.get_rotation() % 360 != 0 or text.get_bbox_patch() is not None
            or text.get_path_effects() or text.get_agg_filter() is not None
            or text.get_sketch_params() is not None
            or (text.get_clip_on() and (text.get_clip_box() is not None
                                        or text.get_clip_path() is not None))):
        return None
    fp = text.get_fontproperties()
    return (text.get_text(), tuple(fp.get_family()), fp.get_style(), fp.get_variant(),
            fp.get_weight(), fp.get_stretch(), fp.get_size_in_points(), fp.get_math_fontfamily(),
            to_rgba(text.get_color(), text.get_alpha()), text.get_horizontalalignment(),
            text.get_verticalalignment(), getattr(text, "_multialignment", None),
            text.get_linespacing(), text.get_usetex(), getattr(text, "_parse_math", True),
            getattr(text, "_antialiased", None), text.get_rotation_mode(),
            matplotlib.rcParams["text.hinting"], matplotlib.rcParams["text.hinting_factor"])


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(pixels, level=1):
    """``pixels`` (H, W, 4) uint8 RGBA as PNG bytes: RGB (alpha dropped), every row "up"-filtered.

    The same pixels as PIL's ``Image.convert("RGB").save(..., "png")`` decode to, in
    about a third of its time: the filter (each byte minus the one above it, modulo
    256) is one numpy subtraction, and the compressor is zlib at ``level`` 1. On
    an explorer's frame (large flat areas, rows that repeat) the "up" filter turns
    most bytes into 0 and the file is about as small as PIL's at the same level.

    Examples
    --------
    >>> rgba = np.zeros((2, 3, 4), np.uint8); rgba[0, 1] = (255, 0, 0, 255)
    >>> png = encode_png(rgba)
    >>> np.asarray(PIL.Image.open(io.BytesIO(png)))[0, 1].tolist()
    [255, 0, 0]
    """
    h, w = pixels.shape[:2]
    # PIL drops the alpha bytes ~5x faster than a strided numpy copy does.
    rgb = PIL.Image.frombuffer("RGBA", (w, h), np.ascontiguousarray(pixels), "raw", "RGBA", 0, 1)
    rgb = np.frombuffer(rgb.convert("RGB").tobytes(), np.uint8).reshape(h, 3 * w)
    rows = np.empty((h, 1 + 3 * w), np.uint8)
    rows[:, 0] = 2  # filter type "up"
    rows[0, 1:] = rgb[0]
    np.subtract(rgb[1:], rgb[:-1], out=rows[1:, 1:])  # uint8 arithmetic wraps modulo 256
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"".join((b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", header),
                     _chunk(b"IDAT", zlib.compress(rows, level)), _chunk(b"IEND", b"")))


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
