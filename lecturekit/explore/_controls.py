r"""The controls of an explorer: :class:`Slider`, :class:`Choice` and :class:`Toggle`.

A control is a frozen dataclass that says what values a parameter of
``update(**params)`` may take. The same spec serves three readers: the
explorer (``initial`` and ``validate``), the generic tests and benchmarks
(``sweep_values`` and ``sample``, values on the widget's own grid) and the
notebook (``make_widget``, the ipywidget; ipywidgets is imported only there).

The control protocol
--------------------
Any class with these members can be a control (the explorer, its widget
and the generic tests use nothing else):

``description`` : str
    The short label shown above the widget ("" : the parameter's name).
``help`` : str
    The full text, shown as the widget's tooltip ("" : the label); so that a
    label can stay short (:data:`CONTROL_WIDTH` leaves room for about 35 characters).
``initial``
    The value the explorer starts with.
``validate(name, value)``
    The value as the explorer should use it, normalised (a numpy integer to an
    ``int``, an int to a ``float`` for a float slider, the option itself for a
    Choice); or ``TypeError`` (a value of the wrong type) or ``ValueError`` (out
    of range, off the grid, not an option) whose message names the control by
    its label and ``name``, says what it allows and repeats the value given
    (:func:`describe` writes the first part). ``update`` and ``peek`` call it
    for every value passed, before anything changes, so a rejected value
    leaves the explorer as it was.
``make_widget(name, value)``
    The input ipywidget, showing ``value``. Its ``value`` trait is observed
    (every valid value must round-trip through it: ``validate(name,
    widget.value)`` returns it); the explorer sets its ``disabled`` and
    ``tooltip`` traits when the control is inactive (:meth:`Explorer.inactive`)
    and, for a slider, its ``min`` and ``max`` (:meth:`Explorer.limits`). A
    widget with a ``description`` gets the label as its description (on a line
    above the input, :class:`ControlView`); any other gets a label above it.
``sweep_values(interior=3)``
    Valid values for the generic tests: both ends (the first and the last),
    ``interior`` in between, or all of them if there are few.
``sample(rng)``
    One valid value drawn with the numpy ``Generator`` ``rng``.

Optional: ``play`` (True: a Play button steps the control; it needs an integer
slider's ``min``, ``max`` and ``step``) and ``width`` (the control's width in
pixels, for a control wider than :data:`CONTROL_WIDTH`, e.g. a grid of inputs).

Layout
------
:class:`ControlView` lays one control out :data:`CONTROL_WIDTH` pixels wide:
the label on a line above the input (cut with an ellipsis if it is too long,
the whole of it and the ``help`` in the tooltip), so that the slider's track
keeps the rest of the width (at least :data:`MIN_TRACK` pixels, beside a Play
button and the readout). The controls of an explorer wrap in rows; three fit
in JupyterLab's output area at 1366×768 with the file browser open (934
pixels). Measured in JupyterLab 4 (Chromium): tracks 200 px, 124 px beside a
Play button.
"""

from __future__ import annotations

import html
import math
import numbers
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Slider", "Choice", "Toggle", "ControlView", "describe", "CONTROL_WIDTH",
           "MIN_TRACK", "STYLE"]

CONTROL_WIDTH = 292
"""Width of one control's box, in CSS pixels: three side by side fit in 934 pixels."""
MIN_TRACK = 120
"""The narrowest slider track (CSS pixels) the layout leaves, with a Play button and readout."""
_PLAY_WIDTH = 72  # the play and stop buttons (pause replaces play while playing); no repeat
_NOTE_COLOR = "#8a6d3b"


def describe(spec, name):
    """How an error names a control: its label and its parameter, ``'label' (name)``.

    Examples
    --------
    >>> describe(Slider(1, 5, 1, 2, "stride S"), "stride")
    "'stride S' (stride)"
    """
    label = spec.description or name
    return f"{label!r} ({name})" if label != name else f"{name!r}"


def _shown(value):
    """A value as an error message repeats it: numpy scalars as plain Python numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_bool(value):
    return isinstance(value, (bool, np.bool_))


def _is_number(value):
    return isinstance(value, numbers.Real) and not _is_bool(value)


@dataclass(frozen=True)
class Slider:
    """A numeric control: an int slider if min, max and step are all ints, else a float one.

    ``log=True`` gives a ``FloatLogSlider`` (base 10) between ``min`` and ``max``;
    ``step`` is then the step of the exponent. ``play=True`` adds a Play button
    that steps the slider like an animation. ``help`` is the full text of the
    tooltip, for a label kept short.

    An integer slider takes integers on its grid ``min + k * step``; a float
    slider any number in ``[min, max]`` (the widget's own values lie on its grid,
    a notebook may pass others).

    Examples
    --------
    >>> s = Slider(0.0, 1.0, 0.25, 0.5, "p")          # min, max, step, default, label
    >>> s.initial, s.sweep_values(interior=1)        # the tests' values: on the grid
    (0.5, [0.0, 0.5, 1.0])
    >>> Slider(1e-3, 1.0, 1.0, log=True).sweep_values()   # exponents -3, -2, -1, 0
    [0.001, 0.01, 0.1, 1.0]
    >>> Slider(0, 10, 2, 4, "width n").validate("width", np.int64(6))
    6
    >>> Slider(0, 10, 2, 4, "width n").validate("width", 11)
    Traceback (most recent call last):
    ...
    ValueError: 'width n' (width) must be an integer from 0 to 10 in steps of 2, got 11
    """

    min: float
    max: float
    step: float = 1
    default: float | None = None
    description: str = ""
    log: bool = False
    play: bool = False
    help: str = field(default="", kw_only=True)

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

    def _allowed(self):
        if self.integer:
            steps = f" in steps of {self.step}" if self.step != 1 else ""
            return f"an integer from {self.min} to {self.max}{steps}"
        return f"a number from {self.min:g} to {self.max:g}"

    def validate(self, name, value):
        """``value`` as an int (integer slider) or a float, or a TypeError/ValueError naming it."""
        if not _is_number(value):
            raise TypeError(f"{describe(self, name)} must be {self._allowed()}, got "
                            f"{_shown(value)} of type {type(value).__name__}")
        if self.integer:
            if not isinstance(value, numbers.Integral):  # 2.0 too: the widget holds ints
                raise TypeError(f"{describe(self, name)} must be {self._allowed()}, got "
                                f"{_shown(value)} of type {type(value).__name__}")
            value = int(value)
            if not self.min <= value <= self.max or (value - self.min) % self.step:
                raise ValueError(f"{describe(self, name)} must be {self._allowed()}, "
                                 f"got {value}")
            return value
        value = float(value)
        # A widget's value may differ from the bound in the last bits (10 ** exponent).
        if self.log:
            lo, hi = self.min * (1 - 1e-9), self.max * (1 + 1e-9)
        else:
            lo, hi = self.min - 1e-9 * self.step, self.max + 1e-9 * self.step
        if not lo <= value <= hi:  # False for NaN
            raise ValueError(f"{describe(self, name)} must be {self._allowed()}, "
                             f"got {_shown(value)}")
        return min(max(value, float(self.min)), float(self.max))

    def make_widget(self, name, value):
        import ipywidgets as w

        common = dict(description=self.description or name, continuous_update=True,
                      tooltip=self.help or None, style={"description_width": "initial"},
                      layout=w.Layout(width="auto", flex="1 1 auto", min_width="0"))
        if self.log:
            return w.FloatLogSlider(value=value, base=10, min=math.log10(self.min),
                                    max=math.log10(self.max), step=self.step, **common)
        if self.integer:
            return w.IntSlider(value=value, min=self.min, max=self.max, step=self.step, **common)
        # as many decimals as the step has (at least ipywidgets' two): 0.999 must not read "1.00"
        decimals = max(2, len(f"{self.step:.6g}".partition(".")[2]))
        return w.FloatSlider(value=value, min=self.min, max=self.max, step=self.step,
                             readout_format=f".{decimals}f", **common)


def _kind(value):
    """'bool', 'number' or the type's name: values of different kinds are never equal options."""
    if _is_bool(value):
        return "bool"
    if _is_number(value):
        return "number"
    return "str" if isinstance(value, str) else type(value).__name__


@dataclass(frozen=True)
class Choice:
    """A choice among a few options: toggle buttons for a few short ones, else a dropdown.

    Examples
    --------
    >>> c = Choice((16, 32, 64), 64, "width n")
    >>> c.validate("width", np.int64(32)), c.validate("width", 32.0)   # the option itself
    (32, 32)
    >>> c.validate("width", 48)
    Traceback (most recent call last):
    ...
    ValueError: 'width n' (width) must be one of 16, 32, 64, got 48
    """

    options: tuple
    default: object = None
    description: str = ""
    help: str = field(default="", kw_only=True)

    @property
    def initial(self):
        return self.options[0] if self.default is None else self.default

    def sweep_values(self, interior=3):
        return list(self.options)

    def sample(self, rng):
        return self.options[int(rng.integers(len(self.options)))]

    def validate(self, name, value):
        """The option equal to ``value`` (of the same kind: 1 is not True), or an error."""
        allowed = ", ".join(_shown(o) for o in self.options)
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        kind = _kind(value)
        if isinstance(value, (np.ndarray, list, tuple, dict, set)) or \
                kind not in {_kind(o) for o in self.options}:
            raise TypeError(f"{describe(self, name)} must be one of {allowed}, got "
                            f"{_shown(value)} of type {type(value).__name__}")
        for option in self.options:
            if _kind(option) == kind and option == value:
                return option
        raise ValueError(f"{describe(self, name)} must be one of {allowed}, got {_shown(value)}")

    @property
    def _as_buttons(self):
        # Toggle buttons while they fit one control's width on one line (about 40 characters,
        # each button's padding counted as 3), else a list: "constant step cosine
        # inverse_time" (30 characters) wrapped onto a second line in JupyterLab.
        return (len(self.options) <= 4
                and sum(len(str(o)) + 3 for o in self.options) <= 40)

    def make_widget(self, name, value):
        import ipywidgets as w

        layout = w.Layout(width="auto", max_width="100%")
        if self._as_buttons:
            return w.ToggleButtons(options=list(self.options), value=value,
                                   description=self.description or name,
                                   tooltip=self.help or None, layout=layout,
                                   style={"button_width": "auto",
                                          "description_width": "initial"})
        return w.Dropdown(options=list(self.options), value=value,
                          description=self.description or name, tooltip=self.help or None,
                          layout=layout, style={"description_width": "initial"})


@dataclass(frozen=True)
class Toggle:
    """An on/off control (a checkbox, its label beside it).

    Examples
    --------
    >>> Toggle(True, "zoom").validate("zoom", np.True_)
    True
    """

    default: bool = False
    description: str = ""
    help: str = field(default="", kw_only=True)

    @property
    def initial(self):
        return self.default

    def sweep_values(self, interior=3):
        return [False, True]

    def sample(self, rng):
        return bool(rng.integers(2))

    def validate(self, name, value):
        if not _is_bool(value):
            raise TypeError(f"{describe(self, name)} must be True or False, got "
                            f"{_shown(value)} of type {type(value).__name__}")
        return bool(value)

    def make_widget(self, name, value):
        import ipywidgets as w

        return w.Checkbox(value=value, description=self.description or name, indent=False,
                          tooltip=self.help or None, layout=w.Layout(width="auto"))


class ControlView:
    """One control on screen: its label on a line above the input, and a Play button.

    For an ipywidget with a description (slider, toggle buttons, dropdown) the
    label is that description, as HTML, made as wide as the control so that the
    input wraps onto the line below it (the explorer's style sheet,
    :data:`STYLE`, aligns it left); a checkbox keeps its label beside it; any
    other widget gets an HTML label above it. An inactive control
    (:meth:`set_inactive`) is disabled, and its note ("acts when …") follows the
    label in another colour and is added to the tooltip, which also holds the
    control's ``help``.

    Attributes
    ----------
    box : ipywidgets.Widget
        What the explorer lays out: the input (with its label), or a box of it
        and its Play button or label.
    input : ipywidgets.Widget
        The widget of ``spec.make_widget``; its ``value`` is the parameter's.
    play : ipywidgets.Play or None
        For ``spec.play``: starts at the input's value and follows it (``jslink``
        from the input in the browser, a traitlets link in the kernel), so it never
        moves the input when it is displayed.
    links : list of ipywidgets.Link
        The browser-side links of the Play button: each has the input as its source.
    text : str
        The label.
    note : str or None
        Why the control is inactive, if it is.
    """

    def __init__(self, spec, name, value):
        import ipywidgets as w
        import traitlets

        self.spec, self.name, self.note = spec, name, None
        self.input = spec.make_widget(name, value)
        self.text = spec.description or name
        self.help = getattr(spec, "help", "") or self.text
        self.play, self.links, self.label = None, [], None
        width = getattr(spec, "width", None) or CONTROL_WIDTH
        if getattr(spec, "play", False):
            slider = self.input
            self.play = w.Play(value=slider.value, min=slider.min, max=slider.max,
                               step=slider.step, interval=400, show_repeat=False,
                               tooltip=f"play: step {self.text} from here to its end",
                               layout=w.Layout(width=f"{_PLAY_WIDTH}px", flex="0 0 auto"))
            # In the browser: the input is the source, so displaying copies its value onto
            # the Play button and never the other way round; playing moves both.
            for trait in ("value", "min", "max"):
                self.links.append(w.jslink((slider, trait), (self.play, trait)))
                traitlets.dlink((slider, trait), (self.play, trait))  # and in the kernel
        self._own_label = isinstance(self.input, w.Checkbox)  # its label beside the box
        self._described = self._own_label or (
            "description_allow_html" in self.input.trait_names()
            and "description_width" in getattr(self.input.style, "keys", ()))
        if self._described:
            self.input.description_allow_html = True
            self.input.add_class("lk-control")
            if not self._own_label:  # the label a line of its own, the input below it
                self.input.style.description_width = "100%"
            input_width = width - (_PLAY_WIDTH if self.play is not None else 0)
            self.input.layout = w.Layout(width=f"{input_width}px", height="auto",
                                         flex_flow="row wrap", margin="0px")
            self.box = self.input
        else:
            self.label = w.HTML(layout=w.Layout(width="100%", margin="0px", overflow="hidden"))
            self.box = w.VBox([self.label, self.input], layout=w.Layout(width=f"{width}px"))
        if self.play is not None:
            self.box = w.HBox([self.play, self.input], layout=w.Layout(
                width=f"{width}px", align_items="flex-end"))
        self.box.layout.margin = "2px 10px 4px 0px"
        self._show()

    @property
    def shown_label(self):
        """The label as the page shows it: the text, and the note of an inactive control."""
        return self.text + (f" · {self.note}" if self.note is not None else "")

    def set_inactive(self, note):
        """Disable the control with ``note`` (when it acts) shown beside its label, or enable it."""
        if note == self.note:
            return
        self.note = note
        self._show()

    def _show(self):
        note = self.note
        self.input.disabled = note is not None
        if self.play is not None:
            self.play.disabled = note is not None
        tip = self.help if note is None else f"{self.help}\n(inactive: {note})"
        self.input.tooltip = tip
        text = html.escape(self.text)
        if note is not None:
            text += f'<span style="color:{_NOTE_COLOR}"> · {html.escape(note)}</span>'
        if self._described:
            self.input.description = text
        else:
            style = "white-space:nowrap;overflow:hidden;text-overflow:ellipsis;line-height:20px"
            self.label.value = f'<div title="{html.escape(tip)}" style="{style}">{text}</div>'


STYLE = """<style>
.lk-explorer .lk-control > .widget-label,
.lk-explorer .lk-control > .jupyter-widget-label { text-align: left; line-height: 20px; height: 20px; }
.lk-explorer .lk-control > .slider-container { flex: 1 1 0px; min-width: 0px; }
</style>"""
"""The explorer's style sheet (in a hidden HTML widget of its box): labels above their
inputs start on the left (ipywidgets aligns a description to the right, against its input)
on a line 20 px high, and a slider's track shares the line below with its readout however
narrow the control (it would wrap the readout onto a third line beside a Play button)."""


# -- the kernel editor ---------------------------------------------------------------------

KERNEL_CELL = 52
"""Width of one number input of :class:`KernelGrid`'s grid, in CSS pixels (plus its margins)."""


def _kernel(value, spec=None, name="kernel"):
    """``value`` as a 3×3 tuple of floats (rows), or the TypeError/ValueError of the protocol."""
    what = describe(spec, name) if spec is not None else repr(name)
    allowed = "a 3×3 kernel (3 rows of 3 numbers)"
    if spec is not None:
        allowed += f" from {spec.min:g} to {spec.max:g}"
    if isinstance(value, (str, bytes, dict, set)) or not hasattr(value, "__len__"):
        raise TypeError(f"{what} must be {allowed}, got {_shown(value)} of type "
                        f"{type(value).__name__}")
    try:
        rows = [list(row) for row in value]
    except TypeError:
        raise TypeError(f"{what} must be {allowed}, got {_shown(value)}") from None
    entries = [v.item() if isinstance(v, np.generic) else v for row in rows for v in row]
    if not all(_is_number(v) for v in entries):
        raise TypeError(f"{what} must be {allowed}, got {_shown(value)}")
    shape = (len(rows), *{len(row) for row in rows})
    if shape != (3, 3):
        raise ValueError(f"{what} must be {allowed}, got rows of lengths "
                         f"{[len(row) for row in rows]}")
    k = np.array(entries, dtype=float).reshape(3, 3)  # (3, 3)
    bad = ~np.isfinite(k)
    if spec is not None:
        bad |= (k < spec.min) | (k > spec.max)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ValueError(f"{what} must be {allowed}, got {k[r, c]:g} in row {r}, column {c}")
    return tuple(tuple(float(v) for v in row) for row in k)


@dataclass(frozen=True)
class KernelGrid:
    r"""A 3×3 kernel typed into a grid of number inputs, with a list of preset kernels.

    Its value is a 3×3 tuple of floats, row by row (``value[r][c]`` is the
    kernel's :math:`K(r, c)`); any numbers in ``[min, max]`` are allowed, and
    ``step`` is the step of the inputs' arrows (and of :meth:`sample`'s grid).
    The widget is a ``GridBox`` of nine ``BoundedFloatText`` and a preset
    ``Dropdown``: choosing a preset types its numbers into the grid; the list
    shows the preset the grid holds, or "custom".

    Examples
    --------
    >>> g = KernelGrid((("identity", [[0, 0, 0], [0, 1, 0], [0, 0, 0]]),
    ...                 ("box", np.full((3, 3), 1 / 9))), description="kernel K")
    >>> g.initial                                # the first preset
    ((0.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 0.0))
    >>> g.preset_of(np.full((3, 3), 1 / 9))
    'box'
    >>> g.validate("kernel", [[0, 0], [0, 1]])
    Traceback (most recent call last):
    ...
    ValueError: 'kernel K' (kernel) must be a 3×3 kernel (3 rows of 3 numbers) from -8 to 8,
    got rows of lengths [2, 2]
    """

    presets: tuple  # ((name, kernel), ...): normalised to 3×3 tuples of floats
    default: tuple | None = None
    description: str = ""
    min: float = -8.0
    max: float = 8.0
    step: float = 0.5
    help: str = field(default="", kw_only=True)

    def __post_init__(self):
        presets = tuple((str(n), _kernel(k, name=n)) for n, k in self.presets)
        if not presets:
            raise ValueError("KernelGrid needs at least one preset")
        object.__setattr__(self, "presets", presets)
        if self.default is not None:
            object.__setattr__(self, "default", _kernel(self.default, self, "default"))
        for n, k in presets:
            _kernel(k, self, f"preset {n}")  # inside [min, max]

    @property
    def initial(self):
        return self.presets[0][1] if self.default is None else self.default

    def preset_of(self, value):
        """The name of the preset equal to ``value`` (any 3×3 array-like), or None."""
        value = _kernel(value)
        return next((n for n, k in self.presets if k == value), None)

    def validate(self, name, value):
        """``value`` as a 3×3 tuple of floats, or a TypeError/ValueError naming the control."""
        return _kernel(value, self, name)

    def _constant(self, v):
        return ((float(v),) * 3,) * 3

    def sweep_values(self, interior=3):
        """All-``min``, then ``interior`` of the presets (all if few), then all-``max``."""
        kernels = [k for _, k in self.presets]
        if len(kernels) > interior:
            kernels = [kernels[i] for i in np.linspace(0, len(kernels) - 1, interior).round()
                       .astype(int)] if interior else []
        return [self._constant(self.min), *kernels, self._constant(self.max)]

    def sample(self, rng):
        """A preset, or (as often) nine entries drawn from the grid ``min + k * step``."""
        if rng.integers(2):
            return self.presets[int(rng.integers(len(self.presets)))][1]
        n = round((self.max - self.min) / self.step)
        k = rng.integers(0, n + 1, size=(3, 3))  # (3, 3)
        return tuple(tuple(round(self.min + self.step * int(v), 10) for v in row) for row in k)

    def make_widget(self, name, value):
        return _kernel_editor()(self, value)


_KERNEL_EDITOR = []  # the widget class, made on first use (ipywidgets is imported only then)


def _kernel_editor():
    """The ipywidget of :class:`KernelGrid`: nine number inputs in a grid, and the presets."""
    if _KERNEL_EDITOR:
        return _KERNEL_EDITOR[0]
    import ipywidgets as w
    import traitlets

    class KernelEditor(w.HBox):
        """``value``: the kernel, a 3×3 tuple of floats; ``disabled`` disables every input;
        ``tooltip`` goes to every input (a box's own tooltip breaks its view in the browser)."""

        value = traitlets.Tuple()
        disabled = traitlets.Bool(False)
        tooltip = traitlets.Unicode(None, allow_none=True)  # not synced: see above

        def __init__(self, spec, value):
            self.spec = spec
            self._busy = False  # True while the inputs are set to show a new value
            self.cells = [w.BoundedFloatText(value=v, min=spec.min, max=spec.max,
                                             step=spec.step,
                                             layout=w.Layout(width=f"{KERNEL_CELL}px"))
                          for row in value for v in row]
            grid = w.GridBox(self.cells, layout=w.Layout(
                grid_template_columns=f"repeat(3, {KERNEL_CELL + 6}px)", grid_gap="2px 2px",
                width="auto"))
            self.preset = w.Dropdown(options=["custom", *(n for n, _ in spec.presets)],
                                     value=spec.preset_of(value) or "custom",
                                     layout=w.Layout(width="100px"))
            side = w.VBox([w.HTML("preset", layout=w.Layout(margin="0px")), self.preset],
                          layout=w.Layout(margin="0px 0px 0px 6px"))
            super().__init__([grid, side], value=value, layout=w.Layout(align_items="flex-start"))
            for cell in self.cells:
                cell.observe(self._typed, names="value")
            self.preset.observe(self._picked, names="value")
            self.observe(self._show, names="value")
            self.observe(self._disable, names="disabled")
            self.observe(self._tip, names="tooltip")

        def _typed(self, change):
            if not self._busy:
                v = [c.value for c in self.cells]
                self.value = tuple(tuple(v[3 * r:3 * r + 3]) for r in range(3))

        def _picked(self, change):
            if not self._busy and change["new"] != "custom":
                self.value = dict(self.spec.presets)[change["new"]]

        def _show(self, change):
            self._busy = True
            try:
                for cell, v in zip(self.cells, (v for row in change["new"] for v in row),
                                   strict=True):
                    cell.value = v
                self.preset.value = self.spec.preset_of(change["new"]) or "custom"
            finally:
                self._busy = False

        def _disable(self, change):
            for child in (*self.cells, self.preset):
                child.disabled = change["new"]

        def _tip(self, change):
            for child in (*self.cells, self.preset):
                child.tooltip = change["new"]

    _KERNEL_EDITOR.append(KernelEditor)
    return KernelEditor
