r"""The explorer base class and the declarative control specs.

An explorer is a set of named controls plus one persistent matplotlib figure.
``update(**params)`` recomputes the numbers (``compute``), moves the existing
artists (``draw``) and renders the figure to PNG bytes (``render_png``), which
an ``ipywidgets.Image`` shows. Nothing here needs ipympl or pyplot, so the same
code runs in JupyterLab, the classic notebook, Voilà and headless tests.
"""

from __future__ import annotations

import base64
import io
import math
from collections import OrderedDict
from dataclasses import dataclass

import matplotlib
import numpy as np
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.axis import Axis, Tick
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

FONT = 13
"""Font size (points) for labels and formulas: legible on a projector at dpi 100."""

MESSAGE_COLOR = "#b22222"

BACKGROUNDS = 6
"""Rendered backgrounds kept per explorer, one per set of axis limits (~2 MB each)."""

EXPLORERS = []
"""Every registered explorer class, in registration order (the tests sweep them all)."""


def register(cls):
    """Class decorator: add an explorer class to :data:`EXPLORERS` and return it."""
    if cls not in EXPLORERS:
        EXPLORERS.append(cls)
    return cls


def memoised(cache, key, compute, size=64):
    """``cache[key]``, computed by ``compute()`` if missing, in an LRU ``OrderedDict``.

    An explorer's slider dragged back and forth computes each setting once; the
    ``size`` most recently used results are kept.
    """
    if key not in cache:
        cache[key] = compute()
        if len(cache) > size:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return cache[key]


def new_cache():
    """An empty cache for :func:`memoised`."""
    return OrderedDict()


def fmt(v):
    """``v`` to two significant digits, or "overflow" when it is not finite."""
    return f"{v:.2g}" if np.isfinite(v) else "overflow"


def set_lims(ax, xlim=None, ylim=None):
    """Set axis limits only if they change: a change re-renders the cached ticks."""
    if xlim is not None and tuple(ax.get_xlim()) != tuple(map(float, xlim)):
        ax.set_xlim(xlim)
    if ylim is not None and tuple(ax.get_ylim()) != tuple(map(float, ylim)):
        ax.set_ylim(ylim)


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


# ----------------------------------------------------------------------------- controls


@dataclass(frozen=True)
class Slider:
    """A numeric control: an int slider if min, max and step are all ints, else a float one.

    ``log=True`` gives a ``FloatLogSlider`` (base 10) between ``min`` and ``max``;
    ``step`` is then the step of the exponent. ``play=True`` adds a Play button
    that steps the slider like an animation.
    """

    min: float
    max: float
    step: float = 1
    default: float | None = None
    description: str = ""
    log: bool = False
    play: bool = False

    def __post_init__(self):
        if not self.min < self.max or self.step <= 0:
            raise ValueError(f"Slider needs min < max and step > 0, got min={self.min}, "
                             f"max={self.max}, step={self.step}")
        if self.default is not None and not self.min <= self.default <= self.max:
            raise ValueError(f"Slider default {self.default} is outside [{self.min}, {self.max}]")
        if self.play and not self.integer:
            raise ValueError("play=True needs an integer slider (ipywidgets.Play counts in ints)")

    @property
    def integer(self):
        return not self.log and all(
            isinstance(v, int) and not isinstance(v, bool) for v in (self.min, self.max, self.step)
        )

    @property
    def initial(self):
        return self.min if self.default is None else self.default

    def _grid(self):
        """Every value the slider can take (exponents are stepped for a log slider)."""
        if self.log:
            lo, hi = math.log10(self.min), math.log10(self.max)
            n = round((hi - lo) / self.step)
            return [float(f"{10 ** (lo + k * self.step):.6g}") for k in range(n + 1)]
        n = round((self.max - self.min) / self.step)
        if self.integer:
            return [self.min + k * self.step for k in range(n + 1)]
        # Rounded so that 0.1 + 2 * 0.1 is 0.3, as the slider itself shows it.
        return [round(self.min + k * self.step, 10) for k in range(n + 1)]

    def sweep_values(self, interior=3):
        """Minimum, maximum and ``interior`` evenly spaced values in between (all, if few)."""
        grid = self._grid()
        if len(grid) <= interior + 2:
            return grid
        idx = np.linspace(0, len(grid) - 1, interior + 2).round().astype(int)
        return [grid[i] for i in idx]

    def sample(self, rng):
        grid = self._grid()
        return grid[int(rng.integers(len(grid)))]

    def make_widget(self, name, value):
        import ipywidgets as w

        common = dict(description=self.description or name, continuous_update=True,
                      style={"description_width": "initial"})
        if self.log:
            return w.FloatLogSlider(value=value, base=10, min=math.log10(self.min),
                                    max=math.log10(self.max), step=self.step, **common)
        if self.integer:
            return w.IntSlider(value=value, min=self.min, max=self.max, step=self.step, **common)
        # as many decimals as the step has (at least ipywidgets' two): 0.999 must not read "1.00"
        decimals = max(2, len(f"{self.step:.6g}".partition(".")[2]))
        return w.FloatSlider(value=value, min=self.min, max=self.max, step=self.step,
                             readout_format=f".{decimals}f", **common)


@dataclass(frozen=True)
class Choice:
    """A choice among a few options: toggle buttons for up to four, else a dropdown."""

    options: tuple
    default: object = None
    description: str = ""

    @property
    def initial(self):
        return self.options[0] if self.default is None else self.default

    def sweep_values(self, interior=3):
        return list(self.options)

    def sample(self, rng):
        return self.options[int(rng.integers(len(self.options)))]

    def make_widget(self, name, value):
        import ipywidgets as w

        cls = w.ToggleButtons if len(self.options) <= 4 else w.Dropdown
        extra = {"style": {"button_width": "auto", "description_width": "initial"}}
        if cls is w.Dropdown:
            extra = {"style": {"description_width": "initial"}}
        return cls(options=list(self.options), value=value,
                   description=self.description or name, **extra)


@dataclass(frozen=True)
class Toggle:
    """An on/off control (a checkbox)."""

    default: bool = False
    description: str = ""

    @property
    def initial(self):
        return self.default

    def sweep_values(self, interior=3):
        return [False, True]

    def sample(self, rng):
        return bool(rng.integers(2))

    def make_widget(self, name, value):
        import ipywidgets as w

        # width auto: the default 300 px cuts a long description off with an ellipsis
        return w.Checkbox(value=value, description=self.description or name, indent=False,
                          layout=w.Layout(width="auto"))


# ----------------------------------------------------------------------------- explorer


class Explorer:
    """Base class: controls + one persistent figure + a pure ``update(**params)``.

    Subclasses set ``controls`` (name -> :class:`Slider` / :class:`Choice` /
    :class:`Toggle`) and implement three methods:

    ``build(fig)``
        Create the axes and every artist once; keep references on ``self``.
    ``compute(**params) -> dict``
        Pure numbers from the parameters (seeded randomness only). Raise
        ``ValueError`` with a readable message for an invalid combination.
    ``draw(result)``
        Move the artists built by ``build`` to show ``result`` (``set_data``,
        ``set_text``, ``set_verts`` ...); never clear axes or add new ones.

    Optionally ``limits(params) -> {name: (lo, hi)}`` narrows a slider's range
    from the others' values (an output position that cannot exceed the output
    size); ``update`` clamps to it and the widget follows.

    Attributes
    ----------
    fig : matplotlib.figure.Figure
        The one figure, on an Agg canvas (no pyplot).
    params : dict
        The current value of every control.
    result : dict
        What the last ``compute`` returned, or ``{"error": message}``.
    message : str or None
        The message shown in place of the figure, if any.
    png : bytes
        The last rendered frame.
    widget : ipywidgets.VBox
        The controls above an ``ipywidgets.Image`` of ``png`` (built on first use).
    inputs : dict or None
        Control name -> its ipywidget, once ``widget`` has been built.
    image : ipywidgets.Image or None
        The image widget, once ``widget`` has been built.
    """

    controls: dict = {}
    figsize = (10.0, 4.8)
    dpi = 100

    def __init__(self, **params):
        self.fig = Figure(figsize=self.figsize, dpi=self.dpi)
        FigureCanvasAgg(self.fig)
        # The message and a white cover over the whole figure are drawn in place of
        # the data; neither is part of the cached background, so showing one is cheap.
        self._message = Text(0.5, 0.5, "", ha="center", va="center", fontsize=FONT + 2,
                             color=MESSAGE_COLOR, wrap=True, transform=self.fig.transFigure,
                             figure=self.fig, animated=True)
        self._cover = Rectangle((0, 0), 1, 1, transform=self.fig.transFigure, figure=self.fig,
                                facecolor="white", edgecolor="none", animated=True)
        self.message = None
        self.params = {name: spec.initial for name, spec in self.controls.items()}
        self.png = b""
        self.result = None
        self.inputs = None  # name -> ipywidget, created on first use of .widget
        self.image = None
        self._box = None
        self._syncing = False
        self._background = None
        self._backgrounds = {}  # axis limits -> rendered background
        self._offscreen = None
        self._text_patches = {}
        self._cache = new_cache()  # for memo()
        self.build(self.fig)
        self._animate_built_artists()
        self.update(**params)
        self._prerender()

    # -- to override ---------------------------------------------------------------
    def build(self, fig):
        raise NotImplementedError

    def compute(self, **params):
        raise NotImplementedError

    def draw(self, result):
        raise NotImplementedError

    def limits(self, params):
        return {}

    def memo(self, key, compute, size=64):
        """:func:`memoised` on this explorer's own cache: ``compute()`` once per ``key``."""
        return memoised(self._cache, key, compute, size)

    def prerender(self):
        """States to render once at construction, so that entering one later costs a
        frame, not a full redraw (about 0.1-0.3 s): each a dict of parameters or a
        callable that changes the figure (e.g. sets an axis range). Default: none."""
        return ()

    def _prerender(self):
        states = list(self.prerender())
        if not states:
            return
        current = dict(self.params)
        for state in states:
            if callable(state):
                state()
            else:
                self._apply(state)
            self._draw_frame()  # caches this state's background; no PNG needed
        self.update(**current)

    # -- the pure update -----------------------------------------------------------
    def update(self, **params):
        """Recompute, redraw and re-render; return the computed numbers.

        Parameters not given keep their current values, so ``update(stride=2)``
        changes one thing; with every parameter given the figure depends on the
        parameters alone. An invalid combination (a ``ValueError`` from the
        maths) is drawn as a message in the figure and returned as
        ``{"error": message}``; it never raises.
        """
        result = self._apply(params)
        self._sync_widgets()
        self.png = self.render_png()
        if self.image is not None:
            self.image.value = self.png
        return result

    def _apply(self, params):
        """Set the parameters, compute and draw (not render); return the result."""
        self.params = self._merged(params, "update")
        try:
            result = self.compute(**self.params)
        except ValueError as exc:
            result = {"error": str(exc)}
            self.show_message(str(exc))
        else:
            self.show_message(None)
            self.draw(result)
        self.result = result
        return result

    def peek(self, **params):
        """The numbers ``update(**params)`` would return, leaving the figure and controls alone.

        For a notebook cell that prints what a few settings give: after "Run
        All" the widget above it still shows the settings its prose describes,
        not the last ones printed.
        """
        try:
            return self.compute(**self._merged(params, "peek"))
        except ValueError as exc:
            return {"error": str(exc)}

    def _merged(self, params, caller):
        """The current parameters updated with ``params``, clamped to :meth:`limits`."""
        unknown = sorted(set(params) - set(self.controls))
        if unknown:
            raise TypeError(
                f"{type(self).__name__}.{caller}() got unknown parameter(s) {unknown}; "
                f"its controls are {sorted(self.controls)}"
            )
        merged = {**self.params, **params}
        for name, (lo, hi) in self.limits(merged).items():
            merged[name] = min(max(merged[name], lo), hi)
        return merged

    def show_message(self, text):
        """Show ``text`` in place of the data (a blank figure), or clear it (``None``)."""
        self.message = text
        self._message.set_text(text or "")

    def render_png(self):
        """The figure as PNG bytes (RGB, at the explorer's fixed dpi).

        Three caches keep a frame cheap; none changes what is drawn:

        * the background: axes decorations (ticks, labels, legends, titles) are
          rendered once. Changing anything that is not an artist made in
          ``build`` (an axis limit, a title) marks the figure stale, and the
          background is rebuilt: matplotlib's ``stale`` flag ignores animated
          artists, so it says exactly when. If only axis limits changed, a
          background rendered earlier for the same limits is reused.
        * the artists made in ``build`` (lines, images, collections, patches)
          are drawn over the background on every frame, by axes then zorder;
        * their texts are drawn last, on top: each is rendered once to an
          offscreen buffer and alpha-composited while it is unchanged (same
          properties, same place on screen), because matplotlib's per-glyph
          text rendering costs milliseconds per string.
        """
        pixels = self._draw_frame()
        image = PIL.Image.frombuffer("RGBA", (pixels.shape[1], pixels.shape[0]), pixels,
                                     "raw", "RGBA", 0, 1)
        buf = io.BytesIO()
        # RGB at compression level 1: about twice as fast to encode as matplotlib's
        # default PNG, and only ~20% larger.
        image.convert("RGB").save(buf, format="png", compress_level=1)
        return buf.getvalue()

    def _draw_frame(self):
        """Draw the figure into the canvas; return its pixels, (H, W, 4) uint8, row 0 on top."""
        # Unhinted glyphs render twice as fast, and at 100 dpi look the same.
        with matplotlib.rc_context({"text.hinting": "no_hinting"}):
            return self._draw_frame_unhinted()

    def _draw_frame_unhinted(self):
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
        for artist in sorted(self._animated, key=lambda a: (
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

    def _animate_built_artists(self):
        """Mark every artist made in ``build`` as animated: drawn on top of the cache."""
        animated = []
        for ax in self.fig.axes:
            animated += [*ax.images, *ax.collections, *ax.patches, *ax.lines, *ax.texts,
                         *ax.artists]
        animated += self.fig.texts
        for artist in animated:
            artist.set_animated(True)
        self._animated = animated

    # -- widgets -------------------------------------------------------------------
    @property
    def widget(self):
        """The controls above the rendered figure, as one ipywidgets box."""
        if self._box is None:
            import ipywidgets as w

            self.inputs = {}
            rows = []
            for name, spec in self.controls.items():
                control = spec.make_widget(name, self.params[name])
                control.observe(self._on_control, names="value")
                self.inputs[name] = control
                if getattr(spec, "play", False):
                    play = w.Play(min=control.min, max=control.max, step=1, interval=400)
                    w.jslink((play, "value"), (control, "value"))
                    w.jslink((control, "max"), (play, "max"))
                    rows.append(w.HBox([play, control]))
                else:
                    rows.append(control)
            self._sync_widgets()
            for row in rows:
                row.layout.margin = "2px 24px 2px 0px"
            panel = w.Box(rows, layout=w.Layout(flex_flow="row wrap"))
            self.image = w.Image(value=self.png, format="png",
                                  layout=w.Layout(max_width="100%", height="auto"))
            self._box = w.VBox([panel, self.image])
        return self._box

    def snapshot_png(self):
        """The current frame as a small PNG: 128 colours, optimised (about a third of :attr:`png`).

        Saved in the notebook next to the live widget, it is what a reader sees where
        no kernel runs the widget: GitHub, nbviewer, nbconvert's HTML, or JupyterLab
        before the notebook is trusted (the widget renderer is not "safe", a PNG is).
        """
        image = PIL.Image.open(io.BytesIO(self.png)).convert("RGB")
        # Agg's anti-aliasing makes thousands of shades; 128 look the same at this size.
        small = image.quantize(colors=128, method=PIL.Image.Quantize.MEDIANCUT,
                               dither=PIL.Image.Dither.NONE)
        buf = io.BytesIO()
        small.save(buf, format="png", optimize=True)
        return buf.getvalue()

    def _repr_mimebundle_(self, include=None, exclude=None):
        """How a notebook shows an explorer: the live widget, and a picture for static views.

        Front ends pick the richest type they can render: JupyterLab, Voilà and
        VS Code the widget view; a static renderer the PNG snapshot, else the text.
        """
        bundle = self.widget._repr_mimebundle_()
        bundle["image/png"] = base64.b64encode(self.snapshot_png()).decode("ascii")
        bundle["text/plain"] = f"{type(self).__name__}: run the notebook to move its sliders"
        return bundle

    def _on_control(self, change):
        if self._syncing:
            return
        self.update(**{name: control.value for name, control in self.inputs.items()})

    def _sync_widgets(self):
        """Make the widgets show ``self.params`` and ``limits`` without re-triggering update."""
        if not self.inputs:
            return
        self._syncing = True
        try:
            ranges = self.limits(self.params)
            for name, control in self.inputs.items():
                if name in ranges:
                    lo, hi = ranges[name]
                    # Widen first, then narrow, so min <= max holds at every step.
                    control.max = max(control.max, hi)
                    control.min = lo
                    control.max = hi
                if control.value != self.params[name]:
                    control.value = self.params[name]
        finally:
            self._syncing = False
