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
Agg buffer, the background in use (about 3.4 MB at 930×470) and their rendered
texts (0.5-4 MB). A notebook shows many explorers and a student moves one at a
time, so the others sleep (:meth:`FrameRenderer.sleep`): their background is
kept compressed, and their next frame (the same pixels) costs a new buffer, an
unpacked background and its texts rendered again, 5-30 ms once. In a kernel
where an explorer was shown, all of them sleep after each cell (:func:`after_cell`).

An animated image's resampling to the screen is kept while what it shows and
where are unchanged (:class:`_RememberedImage`). The texts' patches are blended onto
a frame all at once, only where they are not transparent
(:meth:`FrameRenderer._composite_texts`), and every Agg renderer here
(the canvas's too, so a redrawn background's tick labels and legends) remembers
glyph bitmaps, each string's layout and metrics, and each font's height metrics
(:class:`_GlyphCachingRenderer`).

A frame is encoded by :class:`_FrameEncoder`: the pixels of :func:`encode_png` (an
"up" filter in numpy and zlib at level 1: the pixels PIL's encoder gives, in half
its time), with only the bands of rows that changed since the last frame
compressed again. Frames are drawn and encoded on one BLAS thread
(``Explorer.update`` runs in :func:`lecturekit._threads.small_work`).

A message (an invalid combination of parameters) is drawn on a white cover
over the whole figure, in place of the data; neither is part of the cached
background, so showing one is cheap.
"""

from __future__ import annotations

import functools
import gc
import io
import math
import struct
import sys
import threading
import weakref
import zlib
from collections import OrderedDict

import matplotlib
import numpy as np
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.axis import Axis, Tick
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.colors import Normalize, to_rgba
from matplotlib.figure import Figure
from matplotlib.font_manager import fontManager as _fontManager
from matplotlib.font_manager import get_font
from matplotlib.ft2font import FT2Font
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from ._axes import FONT, text_width, unhinted

__all__ = ["FrameRenderer", "snapshot", "encode_png", "give_back_memory_after_each_cell",
           "BACKGROUNDS", "MESSAGE_COLOR"]

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
_awake_lock = threading.Lock()


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


def give_back_memory_after_each_cell():
    """In an IPython kernel, put every explorer to sleep and give the C heap's free pages
    back after each cell runs (:func:`after_cell`).

    Called when an explorer is first shown. Once per shell; nothing outside IPython.

    Examples
    --------
    >>> give_back_memory_after_each_cell()  # outside IPython: nothing happens
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None and after_cell not in shell.events.callbacks["post_execute"]:
        shell.events.register("post_execute", after_cell)


def after_cell():
    """What a kernel does after each cell once an explorer is shown: every renderer sleeps
    (:func:`sleep_all`), and the C heap's free pages go back to the system.

    A cell's explorers have drawn and sent their pictures by then, and a student who
    moves a slider next is in a comm message, not a cell: the explorer they move wakes on
    its first frame (5-30 ms once) and stays awake while they move it. The two renderers
    that would stay awake otherwise held 6-15 MiB of a kernel after Run All (notebook 01:
    166 -> 160 MiB, 02: 156 -> 142; with the math parser's garbage collected as it is
    made, :func:`_shared_math_parser`, 01 holds 150 MiB). A lecture's cells also make and
    drop arrays of tens of MB (Monte-Carlo estimates, batches of inputs); glibc keeps the
    freed pages mapped, and ``malloc_trim(0)`` gives them back (about a millisecond).
    """
    sleep_all()
    _give_back_free_memory()


def sleep_all():
    """Put every awake renderer to sleep, except one another thread is drawing with."""
    with _awake_lock:
        for key, ref in list(_awake.items()):
            frames = ref()
            if frames is None or frames.sleep(blocking=False):
                del _awake[key]


def _woken(frames):
    """Mark ``frames`` as the last to draw; put the renderers beyond :data:`AWAKE` to sleep
    (one that another thread is drawing with stays awake, the oldest)."""
    slept = False
    with _awake_lock:
        _awake.pop(id(frames), None)
        _awake[id(frames)] = weakref.ref(frames)
        busy = []
        while len(_awake) > 1 and len(_awake) + len(busy) > AWAKE:  # never `frames` itself
            key, ref = _awake.popitem(last=False)
            oldest = ref()
            if oldest is None:
                continue
            if oldest.sleep(blocking=False):
                slept = True
            else:
                busy.append((key, ref))
        for key, ref in reversed(busy):
            _awake[key] = ref
            _awake.move_to_end(key, last=False)
    if slept:
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

    Each parse runs with the collector paused and ends with a collection of the youngest
    generation, which then holds all of the parse's garbage: pyparsing raises and catches
    exceptions as it backtracks, and their tracebacks hold the frames of the draw that
    called it, with their locals (the Agg renderer, a frame's pixels). Left to the
    collector, those cycles reach its oldest generation, which a kernel collects rarely:
    notebook 01's kernel held 8 MiB of them after Run All. (1-2 ms more a formula.)
    """
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser({"vector": "path", "raster": "agg"}[output])
    cached = getattr(type(parser), "_parse_cached", None)
    if getattr(cached, "__wrapped__", None) is not None:
        parse = cached.__wrapped__

        def parse_then_collect(*args, **kwargs):
            enabled = gc.isenabled()
            gc.disable()  # the parse's garbage stays young: collect(0) below finds all of it
            try:
                return parse(*args, **kwargs)
            finally:
                if enabled:
                    gc.enable()
                gc.collect(0)

        wider = functools.lru_cache(MATHTEXT_CACHE)(parse_then_collect)
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

LAYOUTS = 4096
"""Laid-out strings kept, for every figure (:class:`_GlyphCachingRenderer`): each string's
glyphs and their places, and each string's width, height and descent."""

_layouts = OrderedDict()  # (font, size, dpi, string, flags, features, language) -> glyphs
_metrics = OrderedDict()  # (font, size, dpi, string, flags) -> (width, height, descent)
_heights = OrderedDict()  # (font, size, dpi) -> (ascent, descent, line gap)


_fonts = {}  # (font properties, the settings font lookup reads, thread) -> FT2Font
_FONT_LISTS = ("font.serif", "font.sans-serif", "font.cursive", "font.fantasy", "font.monospace")


def _font(prop):
    """``get_font(fontManager._find_fonts_by_props(prop))``, remembered (that lookup is ~0.1 ms,
    twice a text): keyed by a copy of ``prop`` and the settings the lookup reads."""
    params = matplotlib.rcParams
    key = (prop, tuple(tuple(params[name]) for name in _FONT_LISTS),
           params["text.kerning_factor"], params["font.enable_last_resort"], threading.get_ident())
    font = _fonts.get(key)
    if font is None:
        if len(_fonts) >= LAYOUTS:
            _fonts.clear()
        font = _fonts[(prop.copy(), *key[1:])] = get_font(_fontManager._find_fonts_by_props(prop))
    return font


def _remembered(cache, key, compute):
    """``cache[key]``, computed by ``compute()`` if missing, the cache kept to LAYOUTS."""
    value = cache.get(key)
    if value is None:
        value = cache[key] = compute()
        if len(cache) > LAYOUTS:
            cache.popitem(last=False)
    return value


def _let_go_of_pixels(renderer):
    """Shrink a dropped Agg ``renderer``'s pixel buffer to one pixel, in place (or nothing).

    A dropped renderer is freed only when nothing refers to it, and something may: a text
    outside the figure's tree that it drew (``Text.draw`` keeps its renderer), or garbage
    that holds the frames of a draw (see :func:`_shared_math_parser`), freed only by a full
    collection, which a kernel rarely runs. Until then its buffers (about 2 MB at 930×470)
    would stay; shrunk, it costs a few hundred bytes wherever it is held (notebook 01's
    kernel after Run All: 151.0 -> 149.6 MiB). One still drawn with (nothing here does)
    draws into a pixel, clipped.
    """
    agg = getattr(renderer, "_renderer", None)
    if agg is None or not hasattr(renderer, "_update_methods"):
        return
    renderer._renderer = type(agg)(1, 1, renderer.dpi)
    renderer._update_methods()


class _GlyphCachingRenderer(RendererAgg):
    """The Agg renderer of the offscreen texts, with each glyph's bitmap rendered once.

    Matplotlib 3.11 draws text glyph by glyph, each rendered by FreeType (about 0.1 ms):
    a 40-character title costs ~10 ms. A glyph's bitmap depends only on its font, size,
    the flags and where it falls within a pixel (a 26.6 fixed-point place, so 64 × 64
    sub-pixel offsets); moved by whole pixels it is the same bitmap, moved. So the same
    bitmaps reach ``draw_text_image`` as in :meth:`RendererAgg._draw_text_glyphs_and_boxes`,
    which this follows; rotated, slanted or stretched glyphs and boxes (mathtext's rules)
    are drawn as there.

    A string's layout (FreeType's ``_layout``: its glyphs and their offsets) and its
    metrics (``set_text``) cost about 25 µs a character each, every time a text is
    drawn; both depend only on the font object (matplotlib's cached ``FT2Font``, which
    holds the fallback fonts and kerning factor), size, dpi, hinting flags and the
    string (and, for the layout, the text's font features and language), so each is
    computed once per string (:data:`LAYOUTS`), as :class:`RendererAgg` computes it.

    ``drawn`` is where the glyphs drawn since it was last set to ``[]`` fell, as
    ``[top, left, bottom, right]`` pixels (rows downwards), or None if something was drawn
    that it does not follow (a rotated glyph, a box): :meth:`FrameRenderer._render_text`
    then looks at the whole buffer.
    """

    drawn = None

    def _get_font_height_metrics(self, prop):
        """``(ascent, descent, line gap)`` of ``prop``'s font, remembered: what
        :meth:`Text._get_layout` computes when the renderer has no such method (it reads
        two font tables, ~0.1 ms a text), the same way, at the renderer's dpi (the figure's)."""
        if hasattr(super(), "_get_font_height_metrics"):  # matplotlib's own, if it has one
            return super()._get_font_height_metrics(prop)
        font = _font(prop)
        size = prop.get_size_in_points()

        def compute():
            for table_name, linegap_key, ascent_key, descent_key in (
                    ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
                    ("hhea", "lineGap", "ascent", "descent")):
                table = font.get_sfnt_table(table_name)
                if table is None:
                    continue
                scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * size * self.dpi / 72
                return table[ascent_key] * scale, -table[descent_key] * scale, table[linegap_key] * scale
            return None, None, None

        return _remembered(_heights, (font, size, self.dpi), compute)

    def get_text_width_height_descent(self, s, prop, ismath):
        # Measured unhinted, as every frame draws (FrameRenderer.draw), whenever it is asked:
        # matplotlib keeps a renderer's metrics without the hinting they were measured with
        # (text._get_text_metrics_with_cache), so a text measured outside a frame (a text's
        # extent asked for by code) would lay the next frames' texts out a pixel off.
        with unhinted():
            if ismath:  # mathtext (parsed once by the shared parser) or TeX
                return super().get_text_width_height_descent(s, prop, ismath)
            font = _font(prop)
            key = (font, prop.get_size_in_points(), self.dpi, s, get_hinting_flag())
            return _remembered(
                _metrics, key, lambda: super(_GlyphCachingRenderer, self).get_text_width_height_descent(
                    s, prop, ismath))

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath:
            return super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        # As RendererAgg.draw_text, with the layout remembered.
        font = _font(prop)
        size = prop.get_size_in_points()
        flags = get_hinting_flag()
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        key = (font, size, self.dpi, s, flags,
               tuple(features) if features is not None else None, language)

        def layout():
            prepared = self._prepare_font(prop)  # as RendererAgg: cleared, at this size
            return tuple((item.ft_object, item.glyph_index, item.x, item.y) for item in
                         prepared._layout(s, flags=flags, features=features, language=language))

        self._draw_text_glyphs_and_boxes(
            gc, x, y, angle, ((f, size, index, 0, 1, dx, dy)
                              for f, index, dx, dy in _remembered(_layouts, key, layout)), [])

    def _draw_text_glyphs_and_boxes(self, gc, x, y, angle, glyphs, boxes):
        glyphs = list(glyphs)
        if angle % 360 != 0 or any(g[3] != 0 or g[4] != 1 for g in glyphs):
            self.drawn = None
            return super()._draw_text_glyphs_and_boxes(gc, x, y, angle, glyphs, boxes)
        load_flags = get_hinting_flag()
        antialiased = gc.get_antialiased()
        identity = np.array([[0x10000, 0], [0, 0x10000]])
        drawn = self.drawn
        height = int(self.height)
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
            col, row = left + (gx >> 6), height - (top + (gy >> 6))  # the bitmap's top left
            self._renderer.draw_text_image(buffer, col, row + buffer.shape[0], 0, gc)
            if drawn is not None:
                if drawn:
                    drawn[0], drawn[1] = min(drawn[0], row), min(drawn[1], col)
                    drawn[2] = max(drawn[2], row + buffer.shape[0])
                    drawn[3] = max(drawn[3], col + buffer.shape[1])
                else:
                    drawn[:] = row, col, row + buffer.shape[0], col + buffer.shape[1]
        if boxes:
            self.drawn = None
            super()._draw_text_glyphs_and_boxes(gc, x, y, angle, (), boxes)


@functools.lru_cache(maxsize=None)
def _glyph_renderer():
    """:class:`_GlyphCachingRenderer` where matplotlib draws text glyph by glyph with the
    private calls it follows (3.11), else matplotlib's own renderer (the same pixels, slower)."""
    try:
        from matplotlib.ft2font import RenderMode
    except ImportError:
        return RendererAgg
    if not (hasattr(RendererAgg, "_draw_text_glyphs_and_boxes")
            and hasattr(RendererAgg, "_prepare_font") and hasattr(FT2Font, "_layout")
            and hasattr(FT2Font, "_render_glyph") and hasattr(FT2Font, "_set_transform")
            and hasattr(_fontManager, "_find_fonts_by_props")):
        return RendererAgg
    _GlyphCachingRenderer.mode = {True: RenderMode.NORMAL, False: RenderMode.MONO}
    return _GlyphCachingRenderer


CACHE_IMAGES = True
"""Whether :meth:`FrameRenderer.animate_built_artists` gives each image a :class:`_RememberedImage`."""


class _RememberedImage:
    """An animated ``AxesImage``'s ``make_image``, its result kept while nothing it reads changed.

    Every frame draws the animated artists again, and an image's resampling to the screen
    (``make_image``) costs 1-20 ms though it rarely changed (an explorer sets the same data
    again). Its result depends on the data, the colours (norm and colormap), alpha,
    interpolation, resampling and origin, on where it is drawn (the transform, extent and
    clip box) and on the renderer's size and dpi: all are compared with the last call's
    (the data bit for bit). Kept only for a plain ``Normalize``, a scalar alpha, an affine
    transform and no clip path; else ``make_image`` runs as without this.
    """

    def __init__(self, image):
        self.image = image
        self.make = type(image).make_image.__get__(image)
        self.key = self.data = self.result = None

    def __call__(self, renderer, magnification=1.0, unsampled=False):
        image = self.image
        trans, norm, alpha = image.get_transform(), image.norm, image.get_alpha()
        if (not trans.is_affine or image.get_clip_path() is not None
                or type(norm) is not Normalize or not (alpha is None or np.isscalar(alpha))):
            return self.make(renderer, magnification, unsampled=unsampled)
        clip = ((image.get_clip_box() or image.axes.bbox) if image.get_clip_on()
                else image.figure.bbox)  # (an explorer's figure has no subfigures)
        key = (magnification, unsampled, renderer.width, renderer.height, renderer.dpi,
               trans.get_matrix().tobytes(), tuple(image.get_extent()), tuple(clip.bounds),
               norm.vmin, norm.vmax, norm.clip, image.get_cmap(), alpha,
               image.get_interpolation(), image.get_interpolation_stage(), image.get_resample(),
               image.get_filternorm(), image.get_filterrad(), image.origin)
        data = image.get_array()
        if self.result is None or key != self.key or not _same_data(data, self.data):
            self.result = self.make(renderer, magnification, unsampled=unsampled)
            # (a copy of the colormap: one changed in place is then a change)
            self.key = key[:11] + (key[11].copy(),) + key[12:]  # (its own lookup table)
            self.data = np.ma.copy(data)
        return self.result


def _same_data(a, b):
    """Whether arrays ``a`` and ``b`` (masked or not) hold the same values, bit for bit."""
    return (b is not None and a.shape == b.shape and a.dtype == b.dtype
            and np.ma.getdata(a).tobytes() == np.ma.getdata(b).tobytes()
            and np.array_equal(np.ma.getmaskarray(a), np.ma.getmaskarray(b)))


class _Canvas(FigureCanvasAgg):
    """An Agg canvas whose renderer is :func:`_glyph_renderer`'s: a background redrawn (new axis
    limits, a new title) draws its tick labels, legends and titles from the glyph, layout and
    metric caches too (about a third of a full draw is text)."""

    def get_renderer(self):
        # As FigureCanvasAgg.get_renderer: a new renderer when the size or dpi changes.
        w, h = self.figure.bbox.size
        key = w, h, self.figure.dpi
        if self._lastKey != key:
            self.renderer = _glyph_renderer()(w, h, self.figure.dpi)
            self._lastKey = key
        return self.renderer


def _children(artist):
    """``artist.get_children()``, but an ``Axis``'s ticks as it has them.

    ``Axis.get_children`` lays its ticks out again (its locators run, and the minor ticks are
    sifted against the major ones): 3-5 ms a frame for a figure of a few axes, twice a frame
    (:func:`_decoration_changed`, :func:`_static_artists`). The ticks it has are those the
    last draw laid out, and any more it would make are made by the next draw.
    """
    if isinstance(artist, Axis):
        return [artist.label, artist.offsetText, *artist.majorTicks, *artist.minorTicks]
    return artist.get_children()


def _static_artists(fig):
    """Every artist of the figure that is part of the cached background."""
    stack = [fig]
    while stack:
        artist = stack.pop()
        if not artist.get_animated():
            yield artist
            stack.extend(_children(artist))


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
        stack.extend(_children(artist))
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
        _Canvas(fig)
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
        self._text_patches = {}  # text -> (its anchor on screen, its rendered patch)
        self._rendered = OrderedDict()  # what a text draws -> its patch (_rendered_text)
        self._rendered_bytes = 0
        self._dirty = None  # the offscreen pixels the last rendered text drew
        self._encoder = None  # a _FrameEncoder, holding the last frame's pixels and bands
        self._blend_key = None  # the texts' patches and places that _blend is for
        self._blend_refs = []  # those patches, so that their ids stay theirs
        self._blend = None  # _blend_plan's (index, rgb·α, 1 − α), or None: blend one by one
        # held while drawing and while falling asleep: another thread's frame (a background
        # training run's redraw) may put this renderer to sleep, never in the middle of a frame
        self._lock = threading.RLock()

    def animate_built_artists(self):
        """Mark every artist now in the figure's axes, and its texts, as animated."""
        animated = []
        for ax in self.fig.axes:
            animated += [*ax.images, *ax.collections, *ax.patches, *ax.lines, *ax.texts,
                         *ax.artists]
        animated += self.fig.texts
        for artist in animated:
            artist.set_animated(True)
            if CACHE_IMAGES and type(artist) is AxesImage and "make_image" not in vars(artist):
                artist.make_image = _RememberedImage(artist)
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
        font = self._message.get_fontproperties()
        return max(text_width(line, font, self.fig.dpi) for line in text.split("\n")) \
            > self.fig.bbox.width

    def png(self):
        """Draw a frame; return it as PNG bytes (RGB, at the figure's dpi).

        The bytes are :class:`_FrameEncoder`'s: only the bands of rows that changed since
        the last frame are compressed again; they decode to :func:`encode_png`'s pixels.
        """
        with self._lock:
            pixels = self.draw()
            if self._encoder is None:
                self._encoder = _FrameEncoder()
            return self._encoder.encode(pixels)

    def draw(self):
        """Draw the figure into the canvas; return its pixels, (H, W, 4) uint8, row 0 on top."""
        with self._lock, unhinted():  # unhinted: twice as fast, and at 100 dpi the same look
            return self._draw_unhinted()

    def sleep(self, *, blocking=True):
        """Let go of the pixels kept between frames; the next frame is the same, 5-30 ms dearer.

        Returns whether it slept: with ``blocking=False`` a renderer that another thread is
        drawing with stays awake (it is in use).

        The background in use is kept compressed with the others; the encoder's last
        frame, the images' screen pixels, the rendered texts (float32 patches, four
        times the bytes of the pixels they cover) and the offscreen layer are dropped,
        and so is the canvas's Agg renderer (every text keeps a reference to the
        renderer it was last drawn with, so those go too). A figure that never drew has
        nothing to let go of.
        """
        if not self._lock.acquire(blocking):
            return False
        try:
            self._fall_asleep()
        finally:
            self._lock.release()
        return True

    def _fall_asleep(self):
        if self._background is None:
            return
        key = self._background_key
        if key is not None and key not in self._backgrounds:  # dropped by BACKGROUND_BYTES
            self._backgrounds[key] = zlib.compress(self._background, 1)
        self._background = None
        self._background_key = None
        self._encoder = None  # its copy of the last frame: the next one is compressed in full
        # The texts are rendered again on waking: 9 sleeping explorers' patches were 9 MB of a
        # notebook's kernel, for a few ms on the first frame after a student comes back.
        self._text_patches.clear()
        self._rendered.clear()
        self._rendered_bytes = 0
        self._blend_key, self._blend_refs, self._blend = None, [], None
        self._drop_offscreen()
        self._dirty = None
        for artist in self.animated:  # the images' screen pixels: made again when next drawn
            remembered = vars(artist).get("make_image")
            if isinstance(remembered, _RememberedImage):
                remembered.key = remembered.data = remembered.result = None
        self._asleep = True
        canvas = self.fig.canvas
        _let_go_of_pixels(getattr(canvas, "renderer", None))
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
            self._drop_offscreen()
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
        self._composite_texts(texts, pixels)
        self._drop_offscreen()  # made again (~0.3 ms) when a text changes: 1.8 MB less per figure
        return pixels

    def _drop_offscreen(self):
        _let_go_of_pixels(self._offscreen)
        self._offscreen = None

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
        (One text; a frame's texts go through :meth:`_composite_texts`, the same pixels.)
        """
        placed = self._placed_patch(text, pixels.shape)
        if placed is None:
            return
        top, left, premultiplied, transparency, _ = placed
        h, w = transparency.shape[:2]
        dst = pixels[top:top + h, left:left + w, :3]
        dst[...] = (premultiplied + dst * transparency + 0.5).astype(np.uint8)

    def _placed_patch(self, text, shape):
        """``(top, left, rgb·α, 1 − α, its pixels)`` of ``text`` (rendered if it changed, see
        :meth:`_composite_text`), clipped to a figure of ``shape``; None if it draws nothing
        there. Its pixels are ``(rows, cols, rgb·α, 1 − α)`` of those where α > 0 (the others
        leave the figure as it is), or None if the patch was clipped."""
        if not text.get_text():  # draws nothing (Text.draw returns at once), wherever it is
            self._text_patches[text] = (None, None)
            text.stale = False  # as a draw would leave it
            return None
        anchor = tuple(text.get_transform().transform(text.get_position()))
        cached = self._text_patches.get(text)
        if text.stale or cached is None or cached[0] != anchor:
            self._text_patches[text] = (anchor, self._rendered_text(text, anchor, shape))
            text.stale = False  # as a draw would leave it
        patch = self._text_patches[text][1]
        if patch is None:
            return None
        r0, c0, premultiplied, transparency, opaque = patch
        h, w = transparency.shape[:2]
        top, left = max(r0, 0), max(c0, 0)  # clipped to the figure
        bottom, right = min(r0 + h, shape[0]), min(c0 + w, shape[1])
        if top >= bottom or left >= right:
            return None
        if (top, left, bottom, right) != (r0, c0, r0 + h, c0 + w):
            rows, cols = slice(top - r0, bottom - r0), slice(left - c0, right - c0)
            premultiplied, transparency = premultiplied[rows, cols], transparency[rows, cols]
            opaque = None
        return top, left, premultiplied, transparency, opaque

    def _composite_texts(self, texts, pixels):
        """Blend ``texts`` onto ``pixels`` in order: :meth:`_composite_text` for each, the same
        pixels, in one pass.

        A text's blend is ``rgb·α + dst·(1 − α) + 0.5`` (float32, then truncated), which
        leaves a pixel where α = 0 as it is; so only the pixels where α > 0 are blended, all
        texts' at once: their places in the frame are gathered when the set of patches
        changes, and kept. Texts that overlap (one pixel under two) are blended one by one,
        in order, as a pixel then depends on which came first.
        """
        placed = [p for p in (self._placed_patch(text, pixels.shape) for text in texts)
                  if p is not None]
        key = [(id(p[2]), p[0], p[1]) for p in placed]
        if key != self._blend_key:
            self._blend_key, self._blend_refs = key, [p[2] for p in placed]  # (ids stay theirs)
            self._blend = _blend_plan(placed, pixels.shape)
        if self._blend is None:  # overlapping texts
            for top, left, premultiplied, transparency, _ in placed:
                h, w = transparency.shape[:2]
                dst = pixels[top:top + h, left:left + w, :3]
                dst[...] = (premultiplied + dst * transparency + 0.5).astype(np.uint8)
            return
        index, premultiplied, transparency = self._blend
        flat = pixels.reshape(-1)  # a view: the canvas's pixels are contiguous
        flat[index] = (premultiplied + flat[index] * transparency + 0.5).astype(np.uint8)

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
        dr, dc, premultiplied, transparency, opaque = entry
        return dr - base[1], dc + base[0], premultiplied, transparency, opaque

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
        # Where its glyphs fell, if the glyph renderer follows all it draws: only there can
        # a pixel have been drawn (the rest of the layer is clear), so only there is looked at.
        followed = isinstance(self._offscreen, _GlyphCachingRenderer) and not (
            text.get_bbox_patch() is not None or text.get_path_effects() or text.get_usetex()
            or text.get_agg_filter() is not None)
        self._offscreen.drawn = [] if followed else None
        text.draw(self._offscreen)  # straight RGBA on transparent white
        box, self._offscreen.drawn = self._offscreen.drawn, None
        top = left = 0
        window = layer
        if box is not None:
            if not box:
                self._dirty = None
                return None, False
            top, left = min(max(box[0], 0), shape[0]), min(max(box[1], 0), shape[1])
            window = layer[top:max(box[2], top), left:max(box[3], left)]
        drawn = window.view(np.uint32)[..., 0] >= 1 << 24  # alpha > 0 (little-endian RGBA)
        if sys.byteorder != "little":
            drawn = window[..., 3] > 0
        rows = np.flatnonzero(drawn.any(axis=1))
        if not rows.size:
            self._dirty = None
            return None, False
        cols = np.flatnonzero(drawn[rows[0]:rows[-1] + 1].any(axis=0))
        r0, r1, c0, c1 = rows[0] + top, rows[-1] + 1 + top, cols[0] + left, cols[-1] + 1 + left
        self._dirty = (slice(r0, r1), slice(c0, c1))
        rgba = layer[r0:r1, c0:c1].astype(np.float32)  # (h, w, 4)
        alpha = rgba[..., 3:] / 255.0
        cut = r0 == 0 or c0 == 0 or r1 == shape[0] or c1 == shape[1]
        premultiplied, transparency = rgba[..., :3] * alpha, 1.0 - alpha
        rows, cols = np.nonzero(rgba[..., 3] > 0)
        opaque = (rows, cols, premultiplied[rows, cols], transparency[rows, cols])
        return (int(r0) + base[1], int(c0) - base[0], premultiplied, transparency, opaque), cut


def _patch_bytes(entry):
    return 0 if entry is None else (entry[2].nbytes + entry[3].nbytes
                                    + sum(a.nbytes for a in entry[4]))


def _blend_plan(placed, shape):
    """``(index, rgb·α, 1 − α)`` over the flat frame of ``shape`` for every pixel where a
    placed patch (:meth:`FrameRenderer._placed_patch`) has α > 0, by channel; None if two
    patches share a pixel."""
    width = shape[1]
    pixels, premultiplied, transparency = [], [], []
    for top, left, patch_premultiplied, patch_transparency, opaque in placed:
        if opaque is None:  # clipped: its own pixels where α > 0
            rows, cols = np.nonzero(patch_transparency[..., 0] < 1)  # 1 − α < 1: α > 0
            opaque = (rows, cols, patch_premultiplied[rows, cols], patch_transparency[rows, cols])
        rows, cols, p, t = opaque
        pixels.append((rows + top) * width + (cols + left))
        premultiplied.append(p)
        transparency.append(t)
    if not pixels:
        return np.zeros(0, np.intp), np.zeros(0, np.float32), np.zeros(0, np.float32)
    pixels = np.concatenate(pixels)
    seen = np.zeros(shape[0] * shape[1], bool)  # (np.unique's sort or hash: ten times slower)
    seen[pixels] = True
    if np.count_nonzero(seen) != pixels.size:  # a pixel under two patches
        return None
    index = (pixels[:, None] * 4 + np.arange(3)).ravel()  # R, G, B of RGBA pixels
    transparency = np.concatenate(transparency)  # (n, 1)
    return (index, np.concatenate(premultiplied).ravel(),
            np.broadcast_to(transparency, (transparency.shape[0], 3)).ravel())


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
    rows = _up_filtered(np.ascontiguousarray(pixels), 0, h)
    return _png(w, h, zlib.compress(rows, level))


def _png(width, height, image_data):
    """A PNG file of 8-bit RGB, no interlace, with ``image_data`` (a zlib stream) as its IDAT."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join((b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", header),
                     _chunk(b"IDAT", image_data), _chunk(b"IEND", b"")))


BAND_ROWS = 16
"""Rows per band of :class:`_FrameEncoder` (a band is compressed again only if it changed)."""

_ADLER = 65521  # the largest prime below 2**16, adler32's modulus


def _adler32_combine(first, second, second_length):
    """The adler32 of ``a + b`` from ``adler32(a)``, ``adler32(b)`` and ``len(b)`` (zlib's
    ``adler32_combine``, which Python's zlib module does not expose)."""
    rem = second_length % _ADLER
    sum1 = (first & 0xFFFF) + (second & 0xFFFF) + _ADLER - 1
    sum2 = rem * (first & 0xFFFF) % _ADLER + (first >> 16) + (second >> 16) + _ADLER - rem
    return sum1 % _ADLER | (sum2 % _ADLER) << 16


class _FrameEncoder:
    """PNG bytes of one figure's successive frames: only the rows that changed are compressed.

    The PNG's image data is one zlib stream of "up"-filtered rows (as :func:`encode_png`).
    It is cut into bands of :data:`BAND_ROWS` rows, each compressed on its own
    (:func:`_deflated`: no back-reference into an earlier band, and the band ends on a
    byte boundary), so a band's bytes decode the same wherever they stand. A
    band whose filtered rows cannot have changed (its rows and the row above it, which
    the filter subtracts, are the last frame's) keeps its bytes and its adler32, and the
    stream's adler32 is combined from the bands'. A slider move changes a third to a half
    of the rows on average (about 1.5-3 ms a frame less than compressing all of them);
    the pixels decoded are :func:`encode_png`'s, bit for bit, and the same pixels are the
    same bytes whatever the frames before them.

    It keeps a copy of the last frame (4 bytes a pixel) and its compressed bands.
    """

    def __init__(self, level=1):
        self.level = level
        self._last = None  # (H, W) uint32: the last frame's RGBA pixels
        self._bands = []  # per band: (its deflate bytes, adler32 of its filtered rows, their length)

    def encode(self, pixels):
        """``pixels`` (H, W, 4) uint8 RGBA as PNG bytes (RGB), decoding to :func:`encode_png`'s."""
        h, w = pixels.shape[:2]
        pixels = np.ascontiguousarray(pixels)
        words = pixels.view(np.uint32).reshape(h, w)
        n = -(-h // BAND_ROWS)
        if self._last is None or self._last.shape != words.shape:
            changed = np.ones(h, bool)
            self._bands = [None] * n
        else:
            changed = (words != self._last).any(axis=1)
        self._last = words.copy()
        # A band is stale if one of its rows or the row above it changed.
        padded = np.zeros(n * BAND_ROWS + 1, bool)
        padded[1:h + 1] = changed
        padded[2:h + 1] |= changed[:-1]
        stale = padded[1:].reshape(n, BAND_ROWS).any(axis=1)
        stale |= np.array([band is None for band in self._bands])
        i = 0
        while i < n:  # each run of stale bands filtered at once, compressed band by band
            if not stale[i]:
                i += 1
                continue
            j = i
            while j < n and stale[j]:
                j += 1
            rows = _up_filtered(pixels, i * BAND_ROWS, min(j * BAND_ROWS, h))
            for k in range(i, j):
                band = rows[(k - i) * BAND_ROWS:(k + 1 - i) * BAND_ROWS]
                self._bands[k] = (_deflated(band, self.level), zlib.adler32(band), band.nbytes)
            i = j
        check = 1  # adler32 of nothing
        for _, adler, length in self._bands:
            check = _adler32_combine(check, adler, length)
        # zlib header (deflate, 32 kB window, no dictionary), the bands, a final empty block
        # (fixed Huffman codes: BFINAL, BTYPE 01, end-of-block), the adler32 of every row.
        stream = b"".join((b"\x78\x01", *(band[0] for band in self._bands), b"\x03\x00",
                           struct.pack(">I", check)))
        return _png(w, h, stream)


def _deflated(data, level):
    """``data`` as raw deflate blocks, not the last, ending on a byte boundary.

    A compressor of its own (about 15 µs), not one shared by the bands: the bytes are then
    a function of ``data`` alone, so the same frame is the same PNG bytes, whatever came
    before it.
    """
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)  # raw: no header, no adler32
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def _up_filtered(pixels, r0, r1):
    """Rows ``r0:r1`` of ``pixels`` (H, W, 4) as PNG rows: RGB, each "up"-filtered (type 2)."""
    h, w = pixels.shape[:2]
    top = max(r0 - 1, 0)  # the row above the band: the filter subtracts it
    # PIL drops the alpha bytes ~5x faster than a strided numpy copy does.
    block = PIL.Image.frombuffer("RGBA", (w, r1 - top), pixels[top:r1], "raw", "RGBA", 0, 1)
    rgb = np.frombuffer(block.convert("RGB").tobytes(), np.uint8).reshape(r1 - top, 3 * w)
    rows = np.empty((r1 - r0, 1 + 3 * w), np.uint8)
    rows[:, 0] = 2  # filter type "up"
    if r0 == 0:
        rows[0, 1:] = rgb[0]  # the first row: nothing above it
        np.subtract(rgb[1:], rgb[:-1], out=rows[1:, 1:])
    else:
        np.subtract(rgb[1:], rgb[:-1], out=rows[:, 1:])  # uint8 arithmetic wraps modulo 256
    return rows


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
