r"""The explorer's lifecycle: build once, then ``update(**params)`` = compute, draw, render.

An explorer is a set of named controls (:mod:`._controls`) plus one persistent
matplotlib figure. ``update(**params)`` recomputes the numbers (``compute``),
moves the existing artists (``draw``) and renders the figure to PNG bytes
(:class:`._render.FrameRenderer`), which an ``ipywidgets.Image`` shows. Nothing
here needs ipympl or pyplot, so the same code runs in JupyterLab, the classic
notebook, Voilà and headless tests. :func:`register` adds an explorer class to
:data:`EXPLORERS`, which the generic tests and the benchmarks sweep.

Three kinds of bad input, three answers:

* a value outside its control (out of range, off an integer slider's grid, of
  the wrong type, not an option): ``update`` and ``peek`` raise the control's
  ``ValueError`` or ``TypeError`` (:mod:`._controls`) before anything changes;
* values each inside its control but impossible together (a kernel larger
  than the padded input): ``compute`` raises ``self.invalid(key, **numbers)``, an
  :class:`InvalidSetting` made from the explorer's declared ``messages[key]``,
  and the figure shows that message;
* any other exception from ``compute`` is a bug: it propagates (and the
  explorer keeps its previous parameters).

A control without effect in the current state (the sample index under batch
norm) is disabled in the widget, with a note saying when it acts
(:meth:`Explorer.inactive`).
"""

from __future__ import annotations

import base64
import math
import weakref
import zlib
from collections import OrderedDict, deque

from matplotlib.figure import Figure

from .._threads import small_work
from ._controls import STYLE, ControlView
from ._render import FrameRenderer, give_back_memory_after_each_cell, snapshot

__all__ = ["EXPLORERS", "register", "memoised", "new_cache", "Explorer", "InvalidSetting"]

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

    Examples
    --------
    >>> cache = new_cache()
    >>> memoised(cache, "a", lambda: 1), memoised(cache, "a", lambda: 2)
    (1, 1)
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


WIDGET_MOVES = 8
"""How many of its last widget moves an explorer keeps for :meth:`Explorer.describe`."""


def _same_value(a, b):
    """Whether a widget's value ``a`` is the parameter ``b``, up to float round-off."""
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-15)  # a log slider keeps 6 digits
    return a == b


class InvalidSetting(Exception):
    """Values inside their controls' ranges that cannot be shown together: one declared message.

    Made by :meth:`Explorer.invalid` (never directly), so that every message a
    figure can show is one of the explorer's ``messages``, filled in with numbers.
    It is not a ``ValueError``: a ``ValueError`` from the maths is a bug, and
    propagates as one.

    Attributes
    ----------
    key : str
        The key in the explorer's ``messages``.
    values : dict
        The fields the message was formatted with.
    """

    def __init__(self, key, text, values):
        super().__init__(text)
        self.key = key
        self.values = values


class Explorer:
    """Base class: controls + one persistent figure + a pure ``update(**params)``.

    Subclasses set ``controls`` (name -> :class:`Slider` / :class:`Choice` /
    :class:`Toggle`, or any control of the protocol in :mod:`._controls`) and
    implement three methods:

    ``build(fig)``
        Create the axes and every artist once; keep references on ``self``.
    ``compute(**params) -> dict``
        Pure numbers from the parameters (seeded randomness only). For values
        that are each valid but impossible together, ``raise self.invalid(key,
        **numbers)`` with a key of ``messages``.
    ``draw(result)``
        Move the artists built by ``build`` to show ``result`` (``set_data``,
        ``set_text``, ``set_verts`` ...); never clear axes or add new ones.

    Optionally:

    ``messages = {key: template}``
        Every message the figure can show, as ``str.format`` templates with
        named fields: ``{"kernel_too_big": "The kernel ({k}) is larger than the
        padded input ({n})"}``. Nothing else is ever drawn in its place.
    ``inactive(params) -> {name: note}``
        The controls that have no effect at ``params``, each with a short note
        saying when it acts ("acts under Kaiming"); the widget disables them.
    ``limits(params) -> {name: (lo, hi)}``
        Narrows a slider's range from the others' values (an output position
        that cannot exceed the output size); ``update`` clamps to it and the
        widget follows.

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
        The figure as the last ``update`` left it, as PNG bytes. Once the widget is
        built (the explorer is shown), ``update`` renders it at once, for the image;
        before that it is rendered when first read, so code that only wants the
        numbers of a few updates (and an explorer made, then set) renders nothing
        it never looks at.
    widget : ipywidgets.VBox
        The controls above an ``ipywidgets.Image`` of ``png`` (built on first use).
    inputs : dict or None
        Control name -> its ipywidget, once ``widget`` has been built.
    image : ipywidgets.Image or None
        The image widget, once ``widget`` has been built.
    """

    controls: dict = {}
    messages: dict = {}
    _displayed = []  # weak references to every explorer displayed, in order (see shown())
    figsize = (10.0, 4.8)
    dpi = 100
    scale = 1
    """Pixels per figure pixel of the PNG (an int): 2 renders for high-DPI screens, shown at the
    same size (``Explorer.scale = 2`` before making explorers). It costs about 2-4 times as
    much per frame (``python -m benchmarks --only explore``), more than the 150 ms budget
    of a slider move for several explorers, so 1 is the default."""

    def __init__(self, **params):
        if not isinstance(self.scale, int) or self.scale < 1:
            raise ValueError(f"{type(self).__name__}.scale must be a positive int, "
                             f"got {self.scale!r}")
        self.fig = Figure(figsize=self.figsize, dpi=self.dpi * self.scale)
        self._frames = FrameRenderer(self.fig)  # on an Agg canvas; caches what it can
        self.params = {name: spec.initial for name, spec in self.controls.items()}
        self._checked(params, "")  # a bad value fails before anything is built
        self._png = b""  # None: the frame the last update left is owed (rendered when read)
        self.result = None
        self.inputs = None  # name -> ipywidget, created on first use of .widget
        self.views = None  # name -> ControlView (label, input, Play button)
        self.image = None
        self._box = None
        self._syncing = False
        self._in_widget = 0  # > 0 while a widget's change is being applied
        self._declared = None  # the last message drawn from ``messages``
        self._widget_moves = deque(maxlen=WIDGET_MOVES)  # what the last widget moves did
        self._cache = new_cache()  # for memo()
        self._prerendered = False  # done on first display (widget), not for code that computes
        with small_work():
            self.build(self.fig)
            self._frames.animate_built_artists()  # drawn over the cached background each frame
            self.update(**params)
        self._code_params = dict(self.params)

    # -- to override ---------------------------------------------------------------
    def build(self, fig):
        raise NotImplementedError

    def compute(self, **params):
        raise NotImplementedError

    def draw(self, result):
        raise NotImplementedError

    def limits(self, params):
        return {}

    def inactive(self, params):
        """``{name: note}``: the controls without effect at ``params``, and when each acts.

        The widget disables them and shows the note ("acts when the ramp is on")
        beside the label and in the tooltip. Default: none.
        """
        return {}

    def invalid(self, key, **values):
        """The :class:`InvalidSetting` to raise from ``compute``: ``messages[key]`` with ``values``.

        ``raise self.invalid("kernel_too_big", k=5, n=4)``. A key that ``messages``
        does not declare is a bug (``KeyError``), as is a missing field.
        """
        try:
            template = self.messages[key]
        except KeyError:
            raise KeyError(f"{type(self).__name__}.messages declares no {key!r}; it declares "
                           f"{sorted(self.messages)}") from None
        return InvalidSetting(key, template.format(**values), values)

    def memo(self, key, compute, size=64):
        """:func:`memoised` on this explorer's own cache: ``compute()`` once per ``key``."""
        return memoised(self._cache, key, compute, size)

    def prerender(self):
        """States to render once, when the widget is first built (the explorer is shown), so
        that entering one later costs a frame, not a full redraw (about 0.1-0.3 s): each a
        dict of parameters or a callable that changes the figure (e.g. sets an axis range).
        An explorer only used from code (``update``, ``peek``) never renders them.
        Default: none."""
        return ()

    def _prerender(self):
        if self._prerendered:
            return
        self._prerendered = True
        states = list(self.prerender())
        if not states:
            return
        current = dict(self.params)
        for state in states:
            if callable(state):
                state()
            else:
                self._apply(state)
            self._frames.draw()  # caches this state's background; no PNG needed
        # Back to the parameters the first frame was drawn for: the same picture (it depends on
        # the parameters alone), so its PNG stands and only the artists need moving back.
        self._apply(current)

    # -- the pure update -----------------------------------------------------------
    def update(self, **params):
        """Recompute, redraw and re-render; return the computed numbers.

        Re-render: at once when the widget is built (its image shows the new frame),
        otherwise when :attr:`png` is next read.

        Parameters not given keep their current values, so ``update(stride=2)``
        changes one thing; with every parameter given the figure depends on the
        parameters alone. Each value is checked against its control first: a
        value it does not allow raises the control's ``ValueError`` or
        ``TypeError`` and leaves the explorer (parameters, widgets, figure) as
        it was. Values impossible together are drawn as one of the explorer's
        ``messages`` and returned as ``{"error": message}``.
        """
        with small_work():  # small products: one BLAS thread, even in a kernel without the setting
            result = self._apply(params)
            if not self._in_widget:
                self._code_params = dict(self.params)  # set by code, not by a widget
            self._sync_widgets()
            self._png = None  # owed: rendered now if the image shows it, else when png is read
        if self.image is not None:
            self.image.value = self.png
        return result

    @property
    def png(self):
        """The figure as the last update left it, as PNG bytes (see the class's attributes)."""
        if self._png is None:
            with small_work():
                self._png = self.render_png()  # (if it raises, still owed: the next read tries)
        return self._png

    def _apply(self, params):
        """Check the parameters, compute and draw (not render), then keep them; return the result."""
        merged = self._merged(params, "update")
        try:
            result = self.compute(**merged)
        except InvalidSetting as exc:
            result = {"error": str(exc)}
            self._declared = str(exc)
            self.show_message(str(exc))
        else:
            self.show_message(None)
            self.draw(result)
        self.params = merged
        self.result = result
        return result

    def peek(self, **params):
        """The numbers ``update(**params)`` would return, leaving the figure and controls alone.

        For a notebook cell that prints what a few settings give: after "Run
        All" the widget above it still shows the settings its prose describes,
        not the last ones printed. Values are checked as by :meth:`update`.
        """
        merged = self._merged(params, "peek")
        try:
            return self.compute(**merged)
        except InvalidSetting as exc:
            return {"error": str(exc)}

    def _checked(self, params, caller):
        """``params`` checked by their controls' ``validate`` (normalised); the errors say
        where: ``Class.update()``, ``Class.peek()`` or, for ``caller=""``, ``Class()``."""
        where = f"{type(self).__name__}{'.' + caller if caller else ''}()"
        unknown = sorted(set(params) - set(self.controls))
        if unknown:
            raise TypeError(f"{where} got unknown parameter(s) {unknown}; "
                            f"its controls are {sorted(self.controls)}")
        checked = {}
        for name, value in params.items():
            try:
                checked[name] = self.controls[name].validate(name, value)
            except (TypeError, ValueError) as exc:
                raise type(exc)(f"{where}: {exc}") from None
        return checked

    def _merged(self, params, caller):
        """The current parameters updated with ``params``, each checked by its control's
        ``validate``, then clamped to :meth:`limits`. Changes nothing."""
        merged = {**self.params, **self._checked(params, caller)}
        for name, (lo, hi) in self.limits(merged).items():
            merged[name] = min(max(merged[name], lo), hi)
        return merged

    # -- the picture ---------------------------------------------------------------
    @property
    def message(self):
        """The message shown in place of the figure, or None."""
        return self._frames.message

    def show_message(self, text):
        """Show ``text`` in place of the data (a blank figure), or clear it (``None``)."""
        self._frames.show_message(text)

    def render_png(self):
        """The figure as PNG bytes (RGB, at the explorer's fixed dpi times :attr:`scale`).

        Only what changed is redrawn: see :class:`._render.FrameRenderer` for the
        caches (background per set of axis limits, texts composited while unchanged).
        """
        return self._frames.png()

    def snapshot_png(self):
        """The current frame as a small PNG: 128 colours, optimised (about a third of :attr:`png`).

        Saved in the notebook next to the live widget, it is what a reader sees where
        no kernel runs the widget: GitHub, nbviewer, nbconvert's HTML, or JupyterLab
        before the notebook is trusted (the widget renderer is not "safe", a PNG is).
        At the figure's own size, whatever the :attr:`scale`.
        """
        return snapshot(self.png, scale=self.scale)

    @property
    def width_px(self):
        """The figure's width on screen, in CSS pixels (the PNG has ``scale`` times as many)."""
        return round(self.fig.bbox.width / self.scale)

    # -- widgets -------------------------------------------------------------------
    @property
    def widget(self):
        """The controls above the rendered figure, as one ipywidgets box.

        Each control is a :class:`._controls.ControlView` (label above the input,
        a Play button beside a slider with ``play``); they wrap in rows. The image
        is shown at the figure's own size (:attr:`width_px`), never enlarged, and
        shrinks only where the output area is narrower.
        """
        if self._box is None:
            import ipywidgets as w

            with small_work():
                self._prerender()
            give_back_memory_after_each_cell()
            self.views = {name: ControlView(spec, name, self.params[name])
                          for name, spec in self.controls.items()}
            self.inputs = {name: view.input for name, view in self.views.items()}
            for control in self.inputs.values():
                control.observe(self._widget_changed, names="value")
            self._sync_widgets()
            style = w.HTML(STYLE, layout=w.Layout(display="none"))
            panel = w.Box([style, *(view.box for view in self.views.values())],
                          layout=w.Layout(flex_flow="row wrap", align_items="flex-end"))
            self.image = w.Image(value=self.png, format="png", layout=w.Layout(
                width="100%", max_width=f"{self.width_px}px", height="auto"))
            self._box = w.VBox([panel, self.image])
            self._box.add_class("lk-explorer")  # what the style sheet and browser tests find
        return self._box

    def _repr_mimebundle_(self, include=None, exclude=None):
        """How a notebook shows an explorer: the live widget, and a picture for static views.

        Front ends pick the richest type they can render: JupyterLab, Voilà and
        VS Code the widget view; a static renderer the PNG snapshot, else the text.
        """
        bundle = self.widget._repr_mimebundle_()
        Explorer._displayed = [r for r in Explorer._displayed if r() is not None]
        Explorer._displayed.append(weakref.ref(self))  # for shown()
        bundle["image/png"] = base64.b64encode(self.snapshot_png()).decode("ascii")
        bundle["text/plain"] = f"{type(self).__name__}: run the notebook to move its sliders"
        return bundle

    def _widget_changed(self, change):
        """A widget's new value: apply it (:meth:`_on_control`), marked as not set by code."""
        if self._syncing:
            return
        self._in_widget += 1
        try:
            self._on_control(change)
        finally:
            self._in_widget -= 1

    def _on_control(self, change):
        if self._syncing:
            return
        # Only what the widgets really changed: a browser hands a value back through its own
        # representation (a log slider's 10**-1.05 = 0.08912509381337459 for 0.0891251, a float
        # slider's 0.9 -> 0.9000000000000001), and that must not move the explorer's state.
        moved = {name: control.value for name, control in self.inputs.items()
                 if not _same_value(control.value, self.params[name])}
        if not moved:
            return
        # Kept for describe(): a browser test that sees a move leave the picture unchanged
        # can then tell a failed update from an unchanged PNG from an image never shown.
        record = {"moved": dict(moved), "png_before": zlib.crc32(self.png)}
        self._widget_moves.append(record)
        try:
            self.update(**moved)
        except Exception as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
            raise
        record["png_after"] = zlib.crc32(self.png)
        record["image"] = self._image_crc()

    def _image_crc(self):
        """CRC-32 of the PNG the image widget holds (None before the widget is built)."""
        return None if self.image is None else zlib.crc32(self.image.value)

    @classmethod
    def shown(cls):
        """Every explorer the notebook displayed (and still alive), in display order.

        For tests that compare the page with the kernel (:meth:`describe`).
        """
        alive = (ref() for ref in Explorer._displayed)
        return [e for e in alive if e is not None and isinstance(e, cls)]

    def describe(self):
        """The explorer's state as plain data, to compare with what a browser shows.

        Returns
        -------
        dict
            ``class``; ``params``; ``code_params``, the parameters last set by code
            (the constructor or ``update``), not by a widget; ``widget_values``;
            ``message`` (None for a picture) and ``message_declared`` (it came from
            ``messages``); ``labels``, control name -> the label as the page shows it
            (with the note of an inactive control); ``inactive``, the names of the
            inactive controls, and ``notes``, their notes; ``png`` and ``image``, CRC-32s
            of :attr:`png` and of the bytes the image widget holds (None before it is
            built), and ``widget_moves``, the last few moves made by a widget: what moved,
            the PNG's CRC-32 before and after, the image's after, or the error raised.
        """
        notes = self.inactive(self.params)
        views = self.views or {}
        labels = {name: views[name].shown_label if name in views else
                  (spec.description or name) + (f" · {notes[name]}" if name in notes else "")
                  for name, spec in self.controls.items()}
        return {"class": type(self).__name__, "params": dict(self.params),
                "code_params": dict(self._code_params),
                "widget_values": {n: c.value for n, c in (self.inputs or {}).items()},
                "message": self.message,
                "message_declared": self.message is None or self.message == self._declared,
                "labels": labels, "inactive": sorted(notes), "notes": notes,
                "png": zlib.crc32(self.png), "image": self._image_crc(),
                "widget_moves": [dict(m) for m in self._widget_moves]}

    def _sync_widgets(self):
        """Make the widgets show ``self.params``, ``limits`` and ``inactive`` without
        re-triggering update."""
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
            notes = self.inactive(self.params)
            for name, view in self.views.items():
                view.set_inactive(notes.get(name))
        finally:
            self._syncing = False
