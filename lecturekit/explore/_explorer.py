r"""The explorer's lifecycle: build once, then ``update(**params)`` = compute, draw, render.

An explorer is a set of named controls (:mod:`._controls`) plus one persistent
matplotlib figure. ``update(**params)`` recomputes the numbers (``compute``),
moves the existing artists (``draw``) and renders the figure to PNG bytes
(:class:`._render.FrameRenderer`), which an ``ipywidgets.Image`` shows. Nothing
here needs ipympl or pyplot, so the same code runs in JupyterLab, the classic
notebook, Voilà and headless tests. :func:`register` adds an explorer class to
:data:`EXPLORERS`, which the generic tests and the benchmarks sweep.
"""

from __future__ import annotations

import base64
from collections import OrderedDict

from matplotlib.figure import Figure

from ._render import FrameRenderer, snapshot

__all__ = ["EXPLORERS", "register", "memoised", "new_cache", "Explorer"]

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
        self._frames = FrameRenderer(self.fig)  # on an Agg canvas; caches what it can
        self.params = {name: spec.initial for name, spec in self.controls.items()}
        self.png = b""
        self.result = None
        self.inputs = None  # name -> ipywidget, created on first use of .widget
        self.image = None
        self._box = None
        self._syncing = False
        self._cache = new_cache()  # for memo()
        self.build(self.fig)
        self._frames.animate_built_artists()  # drawn over the cached background each frame
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
            self._frames.draw()  # caches this state's background; no PNG needed
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

    # -- the picture ---------------------------------------------------------------
    @property
    def message(self):
        """The message shown in place of the figure, or None."""
        return self._frames.message

    def show_message(self, text):
        """Show ``text`` in place of the data (a blank figure), or clear it (``None``)."""
        self._frames.show_message(text)

    def render_png(self):
        """The figure as PNG bytes (RGB, at the explorer's fixed dpi).

        Only what changed is redrawn: see :class:`._render.FrameRenderer` for the
        caches (background per set of axis limits, texts composited while unchanged).
        """
        return self._frames.png()

    def snapshot_png(self):
        """The current frame as a small PNG: 128 colours, optimised (about a third of :attr:`png`).

        Saved in the notebook next to the live widget, it is what a reader sees where
        no kernel runs the widget: GitHub, nbviewer, nbconvert's HTML, or JupyterLab
        before the notebook is trusted (the widget renderer is not "safe", a PNG is).
        """
        return snapshot(self.png)

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
