"""Explorers: every control over its range, pure redraws, widgets, and each picture's numbers.

The generic tests run over every class in ``lecturekit.explore.EXPLORERS``, so
a new explorer is tested as soon as it is registered; the registry test walks
``lecturekit/explore/`` and fails if an explorer class is not registered, not
imported by the package or not in its ``__all__``.
"""

import importlib
import numbers
import pkgutil
import re
import string
import subprocess
import sys
import zlib

import numpy as np
import pytest
from matplotlib.collections import Collection, PolyCollection
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from scipy.optimize import minimize

from lecturekit import explore
from lecturekit.explore import EXPLORERS, Choice, InvalidSetting, Slider, Toggle
from lecturekit.explore.batchnorm import _minibatches
from lecturekit.models import LeNet
from lecturekit.optim import SGD
from lecturekit.resnet import gradient_norms_by_depth
from lecturekit.rng import default_rng
from lecturekit.train import train

from . import helper
from .references import dilate, rnn_jacobian_norms_written_out
from .strategies import new_explorer, shared_explorer

N_RANDOM = 20


def _artists(explorer):
    for ax in explorer.fig.axes:
        yield from ax.get_children()
    yield from explorer.fig.texts


def _visible(artist):
    return artist.get_visible() and (artist.axes is None or artist.axes.get_visible())


def non_finite_data(explorer):
    """Descriptions of every visible artist that would draw a NaN or an infinity."""
    bad = []
    for artist in _artists(explorer):
        if not _visible(artist):
            continue
        arrays = []
        if isinstance(artist, Line2D):
            arrays.append(artist.get_xydata())
        elif isinstance(artist, AxesImage):
            arrays.append(artist.get_array())
        elif isinstance(artist, Collection):
            arrays.append(artist.get_offsets())
            if isinstance(artist, PolyCollection):
                arrays += [path.vertices for path in artist.get_paths()]
        elif isinstance(artist, Patch) and artist is not getattr(artist.axes, "patch", None):
            arrays.append(artist.get_verts())
        elif isinstance(artist, Text) and artist.get_text():
            if re.search(r"\b(nan|inf)\b", artist.get_text(), flags=re.IGNORECASE):
                bad.append(f"text {artist.get_text()!r}")
            arrays.append(np.asarray(artist.get_position(), dtype=float))
        if not all(map(_finite_where_drawn, arrays)):
            bad.append(f"{type(artist).__name__} {artist.get_label()!r}")
    return bad


def _finite_where_drawn(a):
    """Whether every entry of ``a`` that is drawn (not masked) is finite. A plain array is
    checked as it is: a masked array made for each of the sweep's thousands of artists took
    a sixth of its time."""
    if np.ma.isMaskedArray(a):
        a = np.ma.filled(a.astype(float), 0.0)  # a masked entry is not drawn
    return bool(np.isfinite(np.asarray(a, dtype=float)).all())


def _defaults(cls):
    return {name: spec.initial for name, spec in cls.controls.items()}


def sweep(cls, seed=0):
    """Parameter sets: each control over its range with the others at their defaults,
    every control at its minimum, at its maximum, and N_RANDOM random combinations."""
    base = _defaults(cls)
    combos = []
    for name, spec in cls.controls.items():
        combos += [{**base, name: v} for v in spec.sweep_values(interior=2)]
    combos.append({n: s.sweep_values()[0] for n, s in cls.controls.items()})
    combos.append({n: s.sweep_values()[-1] for n, s in cls.controls.items()})
    rng = np.random.default_rng(seed)
    combos += [{n: s.sample(rng) for n, s in cls.controls.items()} for _ in range(N_RANDOM)]
    return combos


def _template_regex(template):
    """A regex that matches ``template`` formatted with any values: its text, any fields."""
    return "".join(re.escape(text) + (".+?" if field is not None else "")
                   for text, field, _, _ in string.Formatter().parse(template))


def declared(explorer, message):
    """Whether ``message`` is one of the explorer's declared ``messages``, formatted."""
    return any(re.fullmatch(_template_regex(t), message, flags=re.DOTALL)
               for t in explorer.messages.values())


def _structure(explorer):
    """How many axes and artists the figure holds."""
    return len(explorer.fig.axes), [len(ax.get_children()) for ax in explorer.fig.axes], \
        len(explorer.fig.texts)


@pytest.fixture(scope="module", params=EXPLORERS, ids=lambda c: c.__name__)
def explorer(request):
    """The process's shared explorer of each class (each test sets every control it needs)."""
    return shared_explorer(request.param)


SWEEP_DPI = 40
"""The sweep checks numbers and messages, not pixels: it renders at 40 dpi (a sixth of the
pixels of 100 dpi: cheaper glyphs, backgrounds and PNGs), in an unregistered subclass."""


def _small(cls):
    """``cls`` at SWEEP_DPI, as an unregistered subclass."""
    return type(cls.__name__, (cls,), {"dpi": SWEEP_DPI, "__module__": __name__})


def check_sweep(explorer):
    """Every control over its range, min, max and random combinations: finite data or a
    declared message, a PNG, and no new artists."""
    cls = type(explorer)
    structure = _structure(explorer)
    # the defaults are a picture, not a message (else the sweep below could check nothing)
    assert "error" not in explorer.update(**{n: s.initial for n, s in cls.controls.items()})
    assert explorer.message is None and non_finite_data(explorer) == []
    for params in sweep(cls):
        result = explorer.update(**params)
        assert isinstance(result, dict)
        if "error" in result:
            assert explorer.message == result["error"] and result["error"]
            # From the declared list: no exception text from inside the code in a figure.
            assert declared(explorer, explorer.message), (params, explorer.message)
        else:
            assert explorer.message is None
            assert non_finite_data(explorer) == [], params
        assert explorer.png.startswith(b"\x89PNG")
    # Redraws move artists: no new axes, artists or figure texts.
    assert _structure(explorer) == structure


def check_same_picture(explorer):
    """Equal parameters give equal PNGs: after other parameters, and in a fresh explorer."""
    cls = type(explorer)
    rng = np.random.default_rng(1)
    other = None
    for _ in range(2):
        p1 = {n: s.sample(rng) for n, s in cls.controls.items()}
        p2 = {n: s.sample(rng) for n, s in cls.controls.items()}
        first = explorer.update(**p1)
        png = explorer.png
        explorer.update(**p2)
        again = explorer.update(**p1)
        assert explorer.png == png
        # The picture depends on the parameters alone: first in a fresh explorer made with
        # them, then in that explorer moved to the next ones (another history than
        # ``explorer``'s). One new explorer per class: making one costs 0.1-0.3 s.
        if other is None:
            other = cls(**p1)
        else:
            other.update(**p1)
        assert other.png == png
        assert first.keys() == again.keys()


def helper_sweep(name):
    """check_sweep on a new ``name`` explorer at SWEEP_DPI (the helper's job, tests/helper.py)."""
    check_sweep(_small(helper.explorer_class(name))())


def helper_same_picture(name):
    """check_same_picture on the process's ``name`` explorer (the helper's job: the explorer it
    then walks on the reference path, test_explore_speed, its caches warm)."""
    check_same_picture(shared_explorer(helper.explorer_class(name)))


_PYPLOT_CODE = ("import sys; from lecturekit import explore\n"
                "for cls in explore.EXPLORERS: e = cls(); e.update(); assert e.png\n"
                "print('matplotlib.pyplot' in sys.modules)")
"""Every explorer made, updated and rendered in a fresh interpreter: does it import pyplot?"""
_PYPLOT_CHECK = None if helper.in_a_helper_or_worker() else helper.Subprocess(_PYPLOT_CODE)
"""Started when this module loads, to run on the other core while the tests run."""


# ------------------------------------------------------------------ every explorer


def _explorer_classes_defined_in_the_package():
    """Every Explorer subclass defined in a module of lecturekit.explore, found by walking it."""
    found = []
    for info in pkgutil.iter_modules(explore.__path__, prefix=f"{explore.__name__}."):
        module = importlib.import_module(info.name)
        found += [obj for obj in vars(module).values()
                  if isinstance(obj, type) and issubclass(obj, explore.Explorer)
                  and obj is not explore.Explorer and obj.__module__ == module.__name__]
    return found


def test_registry_holds_every_explorer_class_and_the_package_exports_each():
    # Walked, not listed: a missing @register or a missing import line in explore/__init__.py
    # would otherwise drop an explorer from every generic test below without a failure.
    defined = {cls.__name__: cls for cls in _explorer_classes_defined_in_the_package()}
    assert defined, "no Explorer subclass found under lecturekit/explore/"
    registered = sorted(cls.__name__ for cls in EXPLORERS)
    assert registered == sorted(defined), (  # each registered once, and nothing else
        f"without @register: {sorted(set(defined) - set(registered))}; "
        f"registered but not an explorer of lecturekit/explore/: {sorted(set(registered) - set(defined))}")
    assert set(EXPLORERS) == set(defined.values())  # the classes themselves, not namesakes
    not_exported = [name for name, cls in defined.items()
                    if name not in explore.__all__ or getattr(explore, name, None) is not cls]
    assert not_exported == [], "import each in explore/__init__.py and list it in __all__"
    assert all(cls.controls for cls in EXPLORERS)


def _grid_of(spec):
    """Every value of a control in order (its whole sweep: all values, for the few we have)."""
    return spec.sweep_values(interior=10**6)


def _moves(spec, value, limit=None):
    """Where a student could move a control from ``value``: the grid neighbours and both ends
    (a Choice, Toggle or other control: every other value), inside ``limit`` if narrowed."""
    grid = _grid_of(spec)
    if isinstance(spec, Slider):
        i = int(np.argmin([abs(v - value) for v in grid]))
        grid = [grid[j] for j in sorted({i - 1, i + 1, 0, len(grid) - 1}) if 0 <= j < len(grid)]
    return [v for v in grid if not _same(v, value)
            and (limit is None or limit[0] <= v <= limit[1])]


def _enabled_and_disabled_act_as_declared(explorer, state, names=None):
    """In ``state`` (no message), move each control (or those of ``names``): an enabled one
    must change the picture, a disabled one (in ``inactive``) must not. Returns the enabled."""
    cls = type(explorer)
    explorer.update(**state)
    assert explorer.message is None, state
    base, before = dict(explorer.params), explorer.png
    notes = explorer.inactive(base)
    assert set(notes) <= set(explorer.controls), notes
    assert all(isinstance(n, str) and n for n in notes.values()), notes
    limits = explorer.limits(base)
    for name in names or explorer.controls:
        changed = []
        for value in _moves(explorer.controls[name], base[name], limits.get(name)):
            explorer.update(**{**base, name: value})
            if explorer.png != before:
                changed.append(value)
                if name not in notes:
                    break
        if name in notes:
            assert not changed, (f"{cls.__name__}: {name!r} is disabled ({notes[name]!r}) at "
                                 f"{base}, but moving it to {changed} changed the picture")
        elif _moves(explorer.controls[name], base[name], limits.get(name)):
            assert changed, (f"{cls.__name__}: {name!r} is enabled at {base}, but no move "
                             f"changed the picture: disable it in inactive(), with a note")
    explorer.update(**base)
    return {n for n in (names or explorer.controls) if n not in notes}


def test_enabled_controls_change_the_picture_and_disabled_ones_do_not(explorer):
    # Per state: the defaults and two random states without a message. Then each control
    # that was disabled in all of them is tried in a random state where it is enabled, so
    # every control changes the picture somewhere.
    cls = type(explorer)
    rng = np.random.default_rng(2)

    def valid_state(want=None):
        for _ in range(300):
            state = {n: s.sample(rng) for n, s in cls.controls.items()}
            merged = explorer._merged(state, "peek")  # as update clamps them
            if want is not None and want in explorer.inactive(merged):
                continue
            if "error" not in explorer.peek(**state):
                return state
        raise AssertionError(f"{cls.__name__}: no valid state found" +
                             (f" with {want!r} enabled" if want else ""))

    enabled = set()
    for state in (_defaults(cls), valid_state(), valid_state()):
        enabled |= _enabled_and_disabled_act_as_declared(explorer, state)
    for name in set(cls.controls) - enabled:
        _enabled_and_disabled_act_as_declared(explorer, valid_state(want=name), [name])
    # and the widget shows it: disabled inputs (and Play buttons), the note in the tooltip
    assert explorer.widget is not None  # built
    for state in (_defaults(cls), valid_state()):
        explorer.update(**state)
        notes = explorer.inactive(explorer.params)
        for name, view in explorer.views.items():
            assert view.input.disabled == (name in notes), name
            if view.play is not None:
                assert view.play.disabled == (name in notes)
            if name in notes:
                shown = view.input.description if view.label is None else view.label.value
                assert notes[name] in view.input.tooltip and notes[name] in shown


def test_widget_callbacks_redraw_the_image(explorer):
    cls = type(explorer)
    explorer.update(**_defaults(cls))
    box = explorer.widget
    assert explorer.widget is box  # built once
    image = explorer.image
    assert image.value == explorer.png
    moved = 0
    for name, spec in cls.controls.items():
        control = explorer.inputs[name]
        # Within the range that limits() may have narrowed (the widget's range too).
        limits = explorer.limits(explorer.params)
        new = next((v for v in spec.sweep_values() if v != control.value and
                    (name not in limits or limits[name][0] <= v <= limits[name][1])), None)
        if new is None:  # a range narrowed to one value
            continue
        before = image.value
        control.value = new
        assert _same(explorer.params[name], new) or explorer.params[name] == pytest.approx(new)
        assert image.value == explorer.png
        moved += image.value != before
    assert moved >= 1


def _same(a, b):
    """Equal results: dicts of numbers, arrays, strings and lists of those."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    return a == b or (a != a and b != b)  # NaN equals NaN here


def test_peek_returns_what_update_would_and_moves_nothing(explorer):
    cls = type(explorer)
    rng = np.random.default_rng(3)
    explorer.update(**_defaults(cls))
    box = explorer.widget
    params, png = dict(explorer.params), explorer.png
    widget_values = {name: control.value for name, control in explorer.inputs.items()}
    other = {n: s.sample(rng) for n, s in cls.controls.items()}
    peeked = explorer.peek(**other)
    assert explorer.params == params and explorer.png == png
    assert explorer.image.value == png and explorer.widget is box
    assert {name: c.value for name, c in explorer.inputs.items()} == widget_values
    assert _same(peeked, explorer.update(**other))
    with pytest.raises(TypeError, match=r"peek\(\) got unknown parameter"):
        explorer.peek(not_a_control=1)


def test_unknown_parameter_is_a_type_error(explorer):
    with pytest.raises(TypeError, match="unknown parameter"):
        explorer.update(not_a_control=1)


def _rejected_values(spec):
    """(value, exception type) pairs a control must refuse: one step past each end (or an
    option it does not have) and values of a wrong type."""
    if isinstance(spec, Slider):
        if spec.log:
            ends = [spec.min / 10**spec.step, spec.max * 10**spec.step]
        else:
            ends = [spec.min - spec.step, spec.max + spec.step]
        wrong = [str(spec.initial), None, True]
        if spec.integer:
            wrong.append(spec.min + 0.5)  # between two integers
            ends.append(spec.min + spec.step + 1) if spec.step > 1 else None  # off the grid
        return [(v, ValueError) for v in ends] + [(v, TypeError) for v in wrong]
    if isinstance(spec, Choice):
        first = spec.options[0]
        outside = ([f"not {first}"] if isinstance(first, str) else
                   [max(spec.options) + 1, min(spec.options) - 1])
        return [(v, ValueError) for v in outside] + [(v, TypeError) for v in ([first], None)]
    if isinstance(spec, Toggle):
        return [(v, TypeError) for v in (1, "yes", None)]
    # another control of the protocol: its first and last values, one step further
    ends = [(np.asarray(spec.sweep_values()[0]) - spec.step).tolist(),
            (np.asarray(spec.sweep_values()[-1]) + spec.step).tolist()]
    return [(v, ValueError) for v in ends] + [(v, TypeError) for v in ("text", None)]


def _widget_values(explorer):
    return {name: control.value for name, control in explorer.inputs.items()}


def test_a_rejected_value_names_its_control_and_leaves_the_explorer_exactly_as_it_was(explorer):
    # The "one rejected update breaks an explorer for good": every control, one step
    # past each end and a wrong type, by update() and by peek().
    cls = type(explorer)
    explorer.update(**_defaults(cls))
    assert explorer.widget is not None  # built
    params, png, widgets = dict(explorer.params), explorer.png, _widget_values(explorer)
    for name, spec in explorer.controls.items():
        label = spec.description or name
        for value, error in _rejected_values(spec):
            for call in (explorer.update, explorer.peek):
                with pytest.raises(error) as info:
                    call(**{name: value})
                text = str(info.value)
                assert repr(label) in text and name in text, text  # the label and the name
                if isinstance(spec, Slider):  # what it allows
                    assert f"{spec.min:g}" in text and f"{spec.max:g}" in text, text
                if isinstance(spec, Choice):
                    assert all(repr(o) in text for o in spec.options), text
                if isinstance(value, (str, numbers.Number)):  # the value given
                    assert repr(value) in text or f"got {value}" in text, text
                assert explorer.params == params, (name, value)
                assert explorer.png == png and explorer.image.value == png, (name, value)
                assert _widget_values(explorer) == widgets, (name, value)
    # the figure itself was not touched (a render now is the same picture), and it still moves
    assert explorer.render_png() == png
    other = {n: s.sample(np.random.default_rng(4)) for n, s in cls.controls.items()}
    explorer.update(**other)
    assert explorer.update(**params) is not None and explorer.png == png


@pytest.mark.parametrize("cls, params, label", [
    # the crashes of issue 14, one step past a slider's end: now the control's own error
    ("BatchNormRunningExplorer", dict(steps=101), "'training steps' (steps)"),
    ("PoolingShiftExplorer", dict(digit=10), "'digit'"),
    ("ConvArithmeticExplorer", dict(stride=0), "(stride)"),
    ("DropoutExplorer", dict(samples=0), "(samples)"),
    ("LSTMMemoryExplorer", dict(steps=110), "(steps)"),
    ("ConvArithmeticExplorer", dict(size=2.5), "(size)"),      # was "n must be an integer"
    ("ResNetExplorer", dict(seed=-1), "'seed' must be"),       # was "seed must be ..."
])
def test_values_outside_a_control_raise_its_error_not_one_from_inside(cls, params, label):
    cls = getattr(explore, cls)
    with pytest.raises((ValueError, TypeError), match=re.escape(label)) as info:
        cls(**params)
    assert str(info.value).startswith(f"{cls.__name__}(): ")  # where, then the control


def test_play_buttons_start_at_their_controls_value_and_follow_it():
    # A Play button made without the value (and linked onto the slider) opened every such
    # explorer at its slider's minimum.
    played = 0
    for cls in EXPLORERS:
        for name, spec in cls.controls.items():
            if not getattr(spec, "play", False):
                continue
            grid = _grid_of(spec)
            value, other = grid[len(grid) // 2], grid[1]
            e = new_explorer(cls, **{name: value})  # the widget built from a new one
            value = e.params[name]  # clamped to limits() (the conv explorer's output cells)
            assert value != spec.min
            assert e.widget is not None  # built
            play, control = e.views[name].play, e.inputs[name]
            assert control.value == value and play.value == value, cls.__name__
            assert (play.min, play.max, play.step) == (control.min, control.max, control.step)
            # In the browser the links copy from the slider onto the Play button, never back.
            assert e.views[name].links and all(link.source[0] is control
                                               for link in e.views[name].links)
            e.update(**{name: other})
            assert play.value == control.value == other
            played += 1
    assert played >= 8


def test_play_button_follows_a_narrowed_range():
    e = new_explorer(explore.ConvArithmeticExplorer, size=5, kernel=3, position=8)
    assert e.widget is not None  # built, from a new explorer
    play = e.views["position"].play
    assert play.value == 8 and play.max == 8
    e.inputs["stride"].value = 2  # four output cells
    assert (play.value, play.max) == (3, 3) == (e.inputs["position"].value, e.inputs["position"].max)


class _Messages(explore.Explorer):
    """Not registered: declared messages, an undeclared key, and a bug, to test the mechanism."""

    controls = {"case": Choice(("fine", "message", "undeclared", "bug")), "x": Slider(0, 3)}
    messages = {"too_big": "x = {x} is too big for {case}."}
    figsize = (2.0, 1.0)

    def build(self, fig):
        self.text = fig.text(0.1, 0.5, "")

    def compute(self, *, case, x):
        if case == "message":
            raise self.invalid("too_big", x=x, case=case)
        if case == "undeclared":
            raise self.invalid("not_declared", x=x)
        if case == "bug":
            raise ValueError("an internal error text")
        return {"x": x}

    def draw(self, r):
        self.text.set_text(str(r["x"]))


def test_messages_come_from_the_declared_list_and_other_exceptions_propagate():
    e = _Messages(x=1)
    assert _Messages not in EXPLORERS
    r = e.update(case="message", x=2)
    assert r == {"error": "x = 2 is too big for message."} and e.message == r["error"]
    assert declared(e, e.message) and not declared(e, "an internal error text")
    assert e.peek(case="message", x=3) == {"error": "x = 3 is too big for message."}
    png, params = e.png, dict(e.params)
    for case, error in (("bug", ValueError), ("undeclared", KeyError)):
        with pytest.raises(error):  # a bug: raised, never drawn
            e.update(case=case)
        with pytest.raises(error):
            e.peek(case=case)
        assert e.params == params and e.png == png and e.message == r["error"]
    assert "error" not in e.update(case="fine") and e.message is None
    assert isinstance(e.invalid("too_big", x=1, case="c"), InvalidSetting)
    assert not issubclass(InvalidSetting, ValueError)  # a ValueError of the maths is a bug


def test_sweep_check_rejects_a_message_that_is_not_declared():
    e = shared_explorer(explore.ConvArithmeticExplorer)
    text = e.update(size=2, kernel=4, padding=0, dilation=1, stride=1, transposed=False)["error"]
    assert declared(e, text)
    assert not declared(e, "the kernel (dilated size d*(F-1)+1 = 4) is larger than the padded "
                           "input (2 + padding 0 = 2)")  # the library's own text, as drawn before


def test_sweep_check_finds_a_nan_or_an_infinity_that_would_be_drawn_and_not_a_masked_one():
    e = new_explorer(explore.ScheduleExplorer)
    assert non_finite_data(e) == []
    line = next(a for ax in e.fig.axes for a in ax.get_lines() if a.get_visible())
    xy = line.get_xydata().copy()
    line.set_data(xy[:, 0], np.where(np.arange(len(xy)) == 1, np.inf, xy[:, 1]))
    assert non_finite_data(e) == [f"Line2D {line.get_label()!r}"]
    line.set_data(xy[:, 0], xy[:, 1])
    line.axes.imshow(np.array([[0.0, np.nan]]))  # matplotlib masks the NaN: not drawn
    assert non_finite_data(e) == []
    dots = line.axes.scatter([0.0, 1.0], [np.nan, 0.0])  # masked too
    assert non_finite_data(e) == []
    dots.set_offsets(np.array([[0.0, np.inf], [1.0, 0.0]]))  # not masked: drawn
    assert non_finite_data(e) == [f"PathCollection {dots.get_label()!r}"]


def test_control_specs_validate_and_normalise():
    s = Slider(1, 9, 2, 3, "odd n")
    assert s.validate("n", np.int64(5)) == 5 and type(s.validate("n", np.int64(5))) is int
    for bad in (4, 11, -1):
        with pytest.raises(ValueError, match=r"'odd n' \(n\) must be an integer from 1 to 9 in "
                                             r"steps of 2, got"):
            s.validate("n", bad)
    for bad in (3.0, "3", True, None):
        with pytest.raises(TypeError, match=r"'odd n' \(n\)"):
            s.validate("n", bad)
    f = Slider(0.0, 1.0, 0.1, 0.5, "p")
    assert f.validate("p", 1) == 1.0 and type(f.validate("p", 1)) is float
    assert f.validate("p", 0.33) == 0.33  # off the grid: a notebook may pass it
    for bad in (-0.1, 1.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="from 0 to 1"):
            f.validate("p", bad)
    log = Slider(1e-3, 1.0, 0.25, 0.1, "lr", log=True)
    assert log.validate("lr", 10 ** np.log10(1e-3)) == pytest.approx(1e-3)
    with pytest.raises(ValueError):
        log.validate("lr", 1.5)
    c = Choice((16, 32, 64), 64, "width")
    assert c.validate("width", np.int64(32)) == 32 and c.validate("width", 32.0) == 32
    with pytest.raises(TypeError):
        c.validate("width", True)  # True == 1, but not an option
    with pytest.raises(TypeError, match="one of 16, 32, 64"):
        c.validate("width", "32")
    t = Choice(("a", "b"))
    assert t.validate("t", np.str_("b")) == "b"
    with pytest.raises(ValueError, match=r"'t' must be one of 'a', 'b', got 'c'"):
        t.validate("t", "c")
    assert Toggle().validate("on", np.bool_(True)) is True
    with pytest.raises(TypeError):
        Toggle().validate("on", 1)
    assert Slider(0, 1, help="the whole text").help == "the whole text"


def test_controls_are_laid_out_label_above_with_room_for_the_track():
    from lecturekit.explore._controls import _PLAY_WIDTH, CONTROL_WIDTH, MIN_TRACK, STYLE

    e = shared_explorer(explore.OptimizerExplorer)
    assert e.widget is not None  # built
    assert "lk-explorer" in e.widget._dom_classes and STYLE in [
        c.value for c in e.widget.children[0].children if hasattr(c, "value")]
    for name, view in e.views.items():
        assert view.box.layout.width == f"{CONTROL_WIDTH}px"
        if isinstance(view.spec, (Slider, Choice)):  # the label a line of its own, above
            assert view.input.style.description_width == "100%"
            assert view.input.layout.flex_flow == "row wrap"
        assert view.text == (view.spec.description or name) and view.text in \
            view.input.description
    notes = e.inactive(e.params)
    assert notes and all(e.views[n].shown_label == f"{e.views[n].text} · {note}"
                         for n, note in notes.items())
    # with a Play button and a readout (at most ~56 px), the track keeps MIN_TRACK or more
    assert CONTROL_WIDTH - _PLAY_WIDTH - 72 - 20 >= MIN_TRACK  # readout 72 px, margins 20 px
    assert 3 * (CONTROL_WIDTH + 10) <= 934  # three per row in JupyterLab's output at 1366x768
    # the image is shown at the figure's size, never enlarged
    assert e.image.layout.max_width == f"{e.width_px}px" == f"{round(e.figsize[0] * e.dpi)}px"


def test_describe_and_shown_say_what_the_page_should_show():
    e = shared_explorer(explore.NormAxesExplorer, kind="batch")
    bundle = e._repr_mimebundle_()
    assert bundle and explore.Explorer.shown()[-1] is e
    d = e.describe()
    assert d["class"] == "NormAxesExplorer" and d["params"] == d["code_params"] == e.params
    assert d["widget_values"] == e.params and d["inactive"] == ["sample"]
    assert d["labels"]["sample"] == e.views["sample"].shown_label and " · " in d["labels"]["sample"]
    assert d["message"] is None and d["message_declared"]
    before = e.png
    e.inputs["kind"].value = "instance"  # a widget's move is not the code's
    d = e.describe()
    assert d["params"]["kind"] == "instance" and d["code_params"]["kind"] == "batch"
    assert d["inactive"] == [] and d["widget_values"] == d["params"]
    # the move's record: what moved, the PNG before and after, what the image widget got
    assert e.png != before and d["png"] == zlib.crc32(e.png) == d["image"]
    assert d["widget_moves"][-1] == {"moved": {"kind": "instance"},
                                     "png_before": zlib.crc32(before),
                                     "png_after": d["png"], "image": d["image"]}
    c = shared_explorer(explore.ConvArithmeticExplorer)
    c.update(size=2, kernel=4)
    assert c.describe()["message"] and c.describe()["message_declared"]
    c.show_message("drawn by hand")
    assert not c.describe()["message_declared"]


def test_a_widget_move_that_raises_is_recorded_for_describe_and_raised(monkeypatch):
    e = new_explorer(explore.NormAxesExplorer, kind="batch")
    assert e.widget.children  # built: its inputs exist
    png = e.png

    def broken(**params):
        raise RuntimeError("drawn from a broken compute")

    monkeypatch.setattr(e, "compute", broken)
    with pytest.raises(RuntimeError, match="broken compute"):
        e.inputs["kind"].value = "layer"
    move = e.describe()["widget_moves"][-1]
    assert move == {"moved": {"kind": "layer"}, "png_before": zlib.crc32(png),
                    "error": "RuntimeError: drawn from a broken compute"}
    assert e.png == png  # the picture was not replaced
    assert len(e.describe()["widget_moves"]) <= explore._explorer.WIDGET_MOVES


def test_scale_2_renders_twice_the_pixels_and_the_snapshot_at_the_figures_size():
    import io

    import PIL.Image

    class Sharp(explore.ConvArithmeticExplorer):
        scale = 2

    e, plain = Sharp(), explore.ConvArithmeticExplorer()
    assert Sharp not in EXPLORERS
    big, small = (PIL.Image.open(io.BytesIO(x.png)) for x in (e, plain))
    assert big.size == (2 * small.size[0], 2 * small.size[1])
    assert PIL.Image.open(io.BytesIO(e.snapshot_png())).size == small.size
    assert e.widget is not None  # built
    assert e.image.layout.max_width == f"{small.size[0]}px"  # shown at the figure's size
    assert e.result["m"] == plain.result["m"]
    # The same picture at twice the pixels, also where an explorer places figure images in
    # device pixels (the filters' photograph and edge map).
    for cls in (explore.ConvArithmeticExplorer, explore.FiltersExplorer):
        sharp = type("Sharp", (cls,), {"scale": 2})()
        big = PIL.Image.open(io.BytesIO(sharp.png)).convert("RGB")
        small = PIL.Image.open(io.BytesIO(cls().png)).convert("RGB")
        diff = np.abs(np.asarray(big.resize(small.size, PIL.Image.Resampling.BOX), float)
                      - np.asarray(small, float))
        assert diff.mean() < 3, cls.__name__


def test_explore_uses_neither_pyplot_nor_a_backend():
    # every explorer made, updated and rendered in a fresh interpreter (started as the module
    # loaded)
    done = None if _PYPLOT_CHECK is None else _PYPLOT_CHECK.output()
    if done is None and "matplotlib.pyplot" not in sys.modules:
        # In a helper process, or an xdist worker, that has not imported pyplot: every explorer
        # made (or made before, in this process), updated and rendered here says as much,
        # without a new interpreter (3 s of a worker's time).
        for cls in EXPLORERS:
            explorer = shared_explorer(cls)
            explorer.update()
            assert explorer.png
        assert "matplotlib.pyplot" not in sys.modules
        return
    if done is None:  # pyplot is imported here already: in a fresh interpreter, then
        run = subprocess.run([sys.executable, "-c", _PYPLOT_CODE], capture_output=True, text=True)
        done = (run.returncode, run.stdout, run.stderr)
    assert done[0] == 0, done[2]
    assert done[1].strip() == "False"


# ------------------------------------------------------------------ control specs


def test_slider_sweep_covers_both_ends_and_stays_on_the_grid():
    s = Slider(0, 100, 5, 20)
    values = s.sweep_values()
    assert values[0] == 0 and values[-1] == 100 and len(values) == 5
    assert all(v % 5 == 0 for v in values)
    f = Slider(0.0, 0.95, 0.05, 0.5)
    assert f.sweep_values()[-1] == pytest.approx(0.95)
    assert all(abs(v / 0.05 - round(v / 0.05)) < 1e-9 for v in f.sweep_values())
    log = Slider(1e-3, 1.0, 0.25, 0.1, log=True)
    assert log.sweep_values()[0] == pytest.approx(1e-3) and log.sweep_values()[-1] == 1.0
    rng = np.random.default_rng(0)
    assert all(1e-3 <= log.sample(rng) <= 1.0 for _ in range(50))
    assert Slider(1, 3).sweep_values() == [1, 2, 3]


def test_slider_readout_shows_every_decimal_of_its_step():
    # The readout is what a student copies into a cell: 0.999 must not read "1.00".
    for spec, value, text in ((Slider(0.9, 0.999, 0.001, 0.999), 0.999, "0.999"),
                              (Slider(0.0, 1.0, 0.1, 0.5), 0.5, "0.50"),
                              (Slider(0.0, 1.0, 0.125, 0.25), 0.25, "0.250")):
        widget = spec.make_widget("x", value)
        assert format(widget.value, widget.readout_format) == text


def test_choice_and_toggle_sweep_every_option():
    assert Choice(("a", "b", "c")).sweep_values() == ["a", "b", "c"]
    assert Toggle().sweep_values() == [False, True]
    assert Choice(("a", "b")).initial == "a" and Toggle(True).initial is True


# ------------------------------------------------------------------ the explorers' numbers


def test_norm_groups_match_the_lecture_sentences():
    # "Batch Norm: for each C average B×H×W; Layer Norm: for each B average H×W×C;
    # Instance Norm: for each B, C average H×W" (MLP lecture).
    from lecturekit.explore.norm import B, C, H, W

    e = shared_explorer(explore.NormAxesExplorer)
    n_idx, c_idx = np.indices((B, C, H, W))[:2]
    for layout in ("NCHW", "NHWC"):
        for kind, groups, same in (
            ("batch", C, lambda n, c: c_idx == c),
            ("layer", B, lambda n, c: n_idx == n),
            ("instance", B * C, lambda n, c: (n_idx == n) & (c_idx == c)),
        ):
            r = e.update(kind=kind, layout=layout, sample=2, channel=1)
            assert r["groups"] == groups and r["size"] == B * C * H * W // groups
            np.testing.assert_array_equal(r["group"] == r["chosen"], same(2, 1))
    e.update(kind="batch", layout="NHWC")
    assert e.result["axes"] == (0, 1, 2) and e.result["stats_shape"] == (1, 1, 1, C)


def test_dropout_mean_over_masks_matches_the_test_output():
    e = shared_explorer(explore.DropoutExplorer)
    a = e.a
    for mode, p_means, p in (("inverted", "drop", 0.3), ("classic", "keep", 0.8),
                             ("classic", "drop", 0.5)):
        r = e.update(mode=mode, p_means=p_means, p=p, samples=2000, seed=4)
        q = p if p_means == "keep" else 1 - p
        np.testing.assert_allclose(r["test"], q * a if mode == "classic" else a)
        kept = r["mask"] == 1
        scale = 1.0 if mode == "classic" else 1 / q
        np.testing.assert_allclose(r["out"][kept], scale * a[kept])
        assert np.all(r["out"][~kept] == 0)
        # Each unit's train output is scale * a * Bernoulli(q): std of the mean over T masks.
        se = scale * a * np.sqrt(q * (1 - q) / 2000)
        assert np.all(np.abs(r["mc_mean"] - r["test"]) <= 5 * se + 1e-12)


def test_dropout_keep_probability_zero_is_a_message_not_an_exception():
    e = shared_explorer(explore.DropoutExplorer)
    ok = e.png
    r = e.update(p_means="keep", p=0.0)
    assert "keep_prob" in r["error"] and e.message == r["error"]
    assert e.png != ok
    assert "error" not in e.update(p=0.5)


def test_schedule_curves_follow_the_closed_forms():
    from lecturekit.explore.schedules import HORIZON

    e = shared_explorer(explore.ScheduleExplorer)
    r = e.update(lr=0.1, factor=0.5, every=30, k=0.02, steps=100, floor=0.0, warmup=0)
    t = np.arange(HORIZON + 1)
    c = r["curves"]
    np.testing.assert_allclose(c["step_decay"], 0.1 * 0.5 ** (t // 30))
    np.testing.assert_allclose(c["exponential_decay"], 0.1 * np.exp(-0.02 * t))
    np.testing.assert_allclose(c["inverse_time_decay"], 0.1 / (1 + 0.02 * t))
    np.testing.assert_allclose(c["cosine_decay"][[0, 50, 100, 300]], [0.1, 0.05, 0.0, 0.0],
                               atol=1e-15)
    w = e.update(warmup=10)["curves"]["constant"]
    np.testing.assert_allclose(w[:11], 0.1 * np.minimum(np.arange(1, 12) / 10, 1.0))
    r = e.update(schedule="cosine_decay", lr=0.001, floor=0.005)
    assert "floor" in r["error"]


@pytest.mark.parametrize("params, m", [
    # Lecture 3's "Different types of convolution", the conv_arithmetic animations
    # (Dumoulin & Visin 2016): input, kernel and settings as drawn there.
    (dict(size=4, kernel=3), 2),                            # no padding, no strides
    (dict(size=5, kernel=3, padding=1), 5),                 # padding 1 ("same")
    (dict(size=5, kernel=3, stride=2), 2),                  # no padding, stride 2
    (dict(size=7, kernel=3, dilation=2), 3),                # dilation 2
    (dict(size=2, kernel=3, stride=2, transposed=True), 5),  # transposed, stride 2
])
def test_conv_arithmetic_reproduces_the_lecture_pictures(params, m):
    e = shared_explorer(explore.ConvArithmeticExplorer)
    full = {**_defaults(type(e)), **params}
    r = e.update(**full)
    assert r["m"] == m and r["numbers"].endswith(f"= {m}")
    cells = r["cells"]
    assert np.sum(cells == 0) == full["size"] ** 2  # every input cell is drawn once
    if full["transposed"]:
        # S - 1 zeros between input cells, d(F - 1) - P cells of padding around them.
        s, pad = full["stride"], full["dilation"] * (full["kernel"] - 1) - full["padding"]
        assert len(cells) == (full["size"] - 1) * s + 1 + 2 * pad
    else:
        assert len(cells) == full["size"] + 2 * full["padding"]


def test_conv_footprint_walks_the_output_in_row_major_order():
    e = shared_explorer(explore.ConvArithmeticExplorer)
    d, k, s = 2, 3, 2
    for position in range(9):
        r = e.update(size=7, kernel=k, padding=2, stride=s, dilation=d, transposed=False,
                     position=position)
        # (7 - 5 + 4)/2 + 1 = 4: position p is output cell divmod(p, 4).
        assert r["m"] == 4 and (r["row"], r["col"]) == divmod(position, 4)
        top, left = s * r["row"], s * r["col"]
        assert sorted(r["taps"]) == [(top + d * a, left + d * b)
                                     for a in range(k) for b in range(k)]


def test_conv_floors_a_stride_that_does_not_divide_and_says_so():
    r = shared_explorer(explore.ConvArithmeticExplorer, size=6, kernel=3, stride=2).result
    assert r["m"] == 2 and "⌊" in r["numbers"]  # (6 - 3)/2 + 1 = 2.5 -> 2


def test_conv_kernel_larger_than_padded_input_is_a_message_with_the_numbers():
    e = shared_explorer(explore.ConvArithmeticExplorer)
    r = e.update(size=2, kernel=4, padding=0, dilation=1, stride=1, transposed=False)
    assert "larger than the padded input" in r["error"]
    assert "(2 − 4 + 2·0)/1 + 1" in r["error"]
    assert e.message == r["error"]
    r = e.update(size=2, kernel=1, padding=3, stride=1, transposed=True)
    assert "not positive" in r["error"]


def test_conv_position_is_clamped_to_the_output_and_the_slider_follows():
    e = shared_explorer(explore.ConvArithmeticExplorer, size=5, kernel=3, position=8)
    assert e.params["position"] == 8
    assert e.widget is not None and e.inputs["position"].max == 8
    slider = e.inputs["position"]
    e.inputs["stride"].value = 2  # (5 - 3)/2 + 1 = 2: four output cells
    assert e.params["position"] == 3 and (e.result["row"], e.result["col"]) == (1, 1)
    assert slider.max == 3 and slider.value == 3
    e.update(stride=1)
    assert slider.max == 8


class _Probe(explore.Explorer):
    """Not registered: changes axis limits, a (cached) title and a text, to test the caches."""

    controls = {"top": Slider(1, 3, 1, 1), "title": Choice(("a", "b")), "label": Toggle()}
    figsize = (3.0, 2.0)

    def build(self, fig):
        self.ax = fig.add_subplot()
        (self.line,) = self.ax.plot([0, 1], [0, 1])
        self.text = self.ax.text(0.5, 0.5, "")  # in data units: moves with the limits

    def compute(self, *, top, title, label):
        return {"top": top, "title": title, "label": "on" if label else "off"}

    def draw(self, r):
        explore.set_lims(self.ax, ylim=(0, r["top"]))
        self.ax.set_title(r["title"])  # not made in build: part of the cached background
        self.text.set_text(r["label"])


def test_cached_backgrounds_and_texts_never_show_a_stale_picture():
    probe = _Probe()
    assert _Probe not in EXPLORERS
    rng = np.random.default_rng(3)
    for _ in range(15):
        params = {n: s.sample(rng) for n, s in _Probe.controls.items()}
        assert probe.update(**params) and probe.png == _Probe(**params).png, params


def test_optimizer_explorer_paths_match_closed_form():
    # On f = (w1^2 + 20 w2^2)/2, GD from w0 contracts each coordinate by (1 - lr*h_i)
    # per step: a closed form independent of lecturekit.optim.
    lr = 0.0891251
    r = shared_explorer(explore.OptimizerExplorer, surface="quadratic", compare="all five", lr=lr,
                        gamma=0.5, gamma_ramp=False, batch=64, steps=50).result
    t = np.arange(51)[:, None]
    expected = np.array([-4.5, 2.0]) * (1 - lr * np.array([1.0, 20.0])) ** t
    np.testing.assert_allclose(r["paths"]["GD"], expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r["paths"]["SGD"], r["paths"]["GD"], atol=1e-12)  # |I_k| = N is GD
    # Nesterov is stable only for lr*L < 2(1+g)/(1+2g) = 1.5 at g = 0.5; momentum for lr*L < 2(1+g) = 3.
    assert lr * 20 > 1.5 and lr * 20 < 3
    assert r["diverged"]["Nesterov"] is not None and r["diverged"]["momentum"] is None
    # a minibatch of 8 of N = 64 adds noise: SGD leaves GD's path from the first step
    r8 = shared_explorer(explore.OptimizerExplorer).peek(surface="quadratic", compare="GD vs SGD", lr=lr,
                                                         batch=8, steps=50)
    np.testing.assert_allclose(r8["paths"]["GD"], expected, rtol=1e-10, atol=1e-12)
    assert np.all(np.abs(r8["paths"]["SGD"][1:] - r8["paths"]["GD"][1:]).max(axis=1) > 1e-6)



def test_init_explorer_he_relu_keeps_variance_and_symmetric_inits_keep_units_equal():
    e = shared_explorer(explore.InitExplorer)
    r = e.update(init="kaiming_normal", activation="relu", depth=30, width=64)
    # Mean-field value of Var(z) under He + ReLU is 2 at every layer (finite width wanders).
    assert np.all((r["preact_var"] > 0.5) & (r["preact_var"] < 8))
    for init in ("zeros", "constant"):
        assert e.update(init=init, activation="tanh", std=0.1)["units_equal"]
    assert not e.update(init="normal", std=0.1)["units_equal"]
    # Linear network with std: Var(a^l) = (n std^2)^l exactly in expectation.
    r = e.update(init="normal", activation="linear", std=0.1, depth=10, width=64)
    slope = np.polyfit(np.arange(1, 11), np.log(r["forward_var"]), 1)[0]
    assert abs(slope - np.log(64 * 0.01)) < 0.15


def test_batchnorm_noise_matches_the_sampling_formulas():
    e = shared_explorer(explore.BatchNormNoiseExplorer)
    for n in (2, 8, 64):
        r = e.update(batch=n, trainset="normal")
        pop = e.populations["normal"]
        assert abs(r["std_m"] / (pop.std() / np.sqrt(n)) - 1) < 0.06
        # E[biased batch variance] = (N-1)/N sigma^2.
        assert abs(r["mean_var"] / ((n - 1) / n * pop.var()) - 1) < 0.06


def test_batchnorm_running_statistics_are_the_exponential_average_of_the_batches():
    e = shared_explorer(explore.BatchNormRunningExplorer)
    m, n, k = 0.2, 16, 25
    r = e.update(momentum=m, batch=n, steps=k)
    batches = _minibatches(e.x, n, 100, seed=n).T[:k]  # (k, n): the same batches, in order
    mean, var = 0.0, 1.0
    for b in batches:
        mean = (1 - m) * mean + m * b.mean()
        var = (1 - m) * var + m * b.var(ddof=1)
    np.testing.assert_allclose([r["running_mean"][-1], r["running_var"][-1]], [mean, var],
                               rtol=1e-12)
    test_batch = _minibatches(e.x, n, 1, seed=1000 + n)[:, 0]
    np.testing.assert_allclose(r["test_out"], (test_batch - mean) / np.sqrt(var + 1e-5),
                               rtol=1e-10)


def test_l2_explorer_penalty_and_constraint_solutions_match_scipy():
    e = shared_explorer(explore.L2Explorer)
    X, y = e.X, e.y
    for lam in (0.01, 1.0, 30.0):
        r = e.update(lam=lam)

        def penalised(t, lam=lam):
            return np.mean((X @ t - y) ** 2) + lam / 2 * t @ t

        ref = minimize(penalised, np.zeros(2), tol=1e-12).x
        np.testing.assert_allclose(r["theta"], ref, atol=1e-6)
        cons = {"type": "ineq", "fun": lambda t, eta=r["eta"]: eta - t @ t}
        ref_c = minimize(lambda t: np.mean((X @ t - y) ** 2), np.zeros(2), method="SLSQP",
                         constraints=[cons], tol=1e-12).x
        np.testing.assert_allclose(r["theta_c"], ref_c, atol=1e-5)
        assert r["gap"] < 1e-10 and abs(r["eta"] - r["theta"] @ r["theta"]) < 1e-12


def test_sgd_noise_variance_follows_the_sampling_formulas_and_vanishes_at_full_batch():
    e = shared_explorer(explore.SGDNoiseExplorer)
    g = 2 * e.x * (0.5 * e.x - e.y)  # per-sample gradients at omega = 0.5, written out
    s2 = g.var()
    N = len(g)
    for b, replace in ((10, False), (50, False), (10, True)):
        r = e.update(batch=b, omega=0.5, replace=replace)
        formula = s2 / b if replace else s2 / b * (N - b) / (N - 1)
        assert abs(r["predicted_var"] / formula - 1) < 1e-12
        assert abs(r["var"] / formula - 1) < 0.1
    r = e.update(batch=N, replace=False)
    assert r["var"] < 1e-20
    np.testing.assert_allclose(r["paths"], np.broadcast_to(r["gd_path"], r["paths"].shape),
                               atol=1e-12)


def test_conv_matrix_explorer_places_k1_where_the_notes_say_and_agrees_with_conv2d():
    r = shared_explorer(explore.ConvMatrixExplorer, size=3, kernel=2, stride=1, padding=0).result
    # Lecture 3: (grad_k L)_1 = (grad_K L)_11 + _22 + _34 + _45 (1-based (row, col) of K).
    assert r["k1_positions"] == [(1, 1), (2, 2), (3, 4), (4, 5)]
    assert r["pattern"].shape == (4, 9)
    for params in ({}, {"size": 6, "kernel": 3, "stride": 2, "padding": 1}):
        r = shared_explorer(explore.ConvMatrixExplorer, **params).result
        assert max(r["diff_y"], r["diff_dx"], r["diff_dk"]) < 1e-12


def test_pooling_explorer_shift_by_the_stride_rolls_the_pooled_map():
    from lecturekit.pool import max_pool2d

    e = shared_explorer(explore.PoolingShiftExplorer)
    r0 = e.update(shift=0, kernel=2, stride=2, poolings=1)
    assert r0["fraction"] == 1.0
    np.testing.assert_array_equal(r0["pooled"], max_pool2d(r0["before"][None, None], 2)[0, 0])
    r = e.update(shift=2, axis="horizontal", kernel=2, stride=2, poolings=1)
    # A shift by exactly one stride moves every pooling window by one cell.
    np.testing.assert_array_equal(r["pooled_after"][:, 1:], r["pooled"][:, :-1])


def test_filters_explorer_output_is_the_cross_correlation_of_scipy():
    from scipy.ndimage import correlate

    from lecturekit.explore.filters import STEP
    from lecturekit.filters import sample_image

    image = sample_image(step=STEP)
    e = shared_explorer(explore.FiltersExplorer)
    for name in ("sobel_x", "laplacian", "custom"):
        r = e.update(filter=name, kernel=((1.0, 0.0, 0.0), (0.0, -2.0, 0.0), (0.0, 0.0, 0.5)))
        ref = correlate(image, r["kernel"], mode="constant")
        np.testing.assert_allclose(r["output"], ref, atol=1e-12)


def test_resnet_explorer_draws_both_stacks_of_the_depth_experiment():
    from lecturekit.explore.resnet import BATCH

    e = shared_explorer(explore.ResNetExplorer)
    r = e.update(depth=40, width=16, activation="sigmoid", init="xavier_normal",
                 quantity="input", seed=3)
    for residual, key in ((False, "plain"), (True, "residual")):
        ref = gradient_norms_by_depth(40, 16, residual=residual, rng=default_rng(3),
                                      activation="sigmoid", init="xavier_normal",
                                      batch_size=BATCH)
        np.testing.assert_array_equal(r[key], ref.input_grad)
    assert r["plain"][0] < 1e-15 * r["plain"][-1] and r["residual"][0] > r["residual"][-1] / 10
    lo, hi = r["range"]
    assert lo <= min(r["plain"].min(), r["residual"].min()) and max(r["residual"]) <= hi
    w = e.update(quantity="weight")
    np.testing.assert_array_equal(w["plain"], gradient_norms_by_depth(
        40, 16, residual=False, rng=default_rng(3), batch_size=BATCH).weight_grad)


def test_rnn_gradient_without_input_is_exactly_rho_to_the_distance():
    # h stays at 0, tanh'(0) = 1 and W_hh is rho times an orthogonal matrix: ||W_hh^k|| = rho^k.
    e = shared_explorer(explore.RNNGradientExplorer)
    for rho in (0.5, 1.0, 1.5):
        r = e.update(radius=rho, input_scale=0.0, steps=30)
        np.testing.assert_allclose(r["norms"], rho ** np.arange(31)[:, None] * np.ones((1, 4)),
                                   rtol=1e-10)
    r = e.update(radius=0.9, input_scale=1.0, steps=30)
    assert np.all(r["norms"] <= 0.9 ** np.arange(31)[:, None] * (1 + 1e-10))


def test_lstm_memory_with_constant_gates_is_sigmoid_of_the_bias_to_the_t():
    e = shared_explorer(explore.LSTMMemoryExplorer)
    for b_f in (-1.0, 0.0, 3.0):
        r = e.update(forget_bias=b_f, weight_std=0.0, steps=40)
        f = 1 / (1 + np.exp(-b_f))
        np.testing.assert_allclose(r["lstm"], f ** np.arange(41), rtol=1e-12)
        expected_half = int(np.ceil(np.log(0.5) / np.log(f) - 1e-12))
        assert r["half_life_lstm"] == (expected_half if expected_half <= 40 else None)
    r = e.update(radius=0.8, steps=40)
    assert np.all(r["rnn"] <= 0.8 ** np.arange(41) * (1 + 1e-10))  # |tanh'| <= 1


def test_training_explorer_trains_only_on_request_and_matches_train():
    from lecturekit.explore.training import _digits, filter_mosaic

    settings = dict(optimizer="sgd", lr=0.1, schedule="constant", epochs=1, batch_size=128,
                    seed=7)
    e = shared_explorer(explore.TrainingExplorer, **settings)
    pending = e.result
    assert not pending["trained"] and "press Train" in e.status.get_text()
    np.testing.assert_array_equal(pending["before"],
                                  LeNet(rng=default_rng(7)).params["conv1_w"])
    r = e.train()
    # the same run written out: the seed draws the weights, then the minibatches
    rng = default_rng(7)
    model = LeNet(rng=rng)
    h = train(model, _digits(), optimizer=SGD(0.1), epochs=1, batch_size=128, rng=rng,
              progress=False)
    assert r["trained"] and r["test_accuracy"][1:].tolist() == h.test_accuracy
    np.testing.assert_array_equal(r["after"], model.params["conv1_w"])
    assert explore.TrainingExplorer(**settings).png == e.png  # a trained setting is shown again
    mosaic = filter_mosaic(r["after"])
    assert mosaic.count() == r["after"].size
    filters = r["after"][:, 0]  # (16, 3, 3), laid out 2 rows of 8, one pixel apart
    assert filters.shape == (16, 3, 3)
    for i, f in enumerate(filters):
        r_, c_ = divmod(i, 8)
        np.testing.assert_allclose(mosaic[4 * r_:4 * r_ + 3, 4 * c_:4 * c_ + 3],
                                   f / np.abs(f).max(), rtol=1e-12)


def test_optimizer_explorer_ramp_length_follows_the_heavy_ball_recurrence():
    # Lecture 4's momentum mu_{t+1} = gamma_t mu_t - lr g_t, w_{t+1} = w_t + mu_{t+1}, with
    # gamma_t = 0.5 + 0.4 min(t, T)/T, written out here on f = (w1^2 + 20 w2^2)/2.
    lr, steps = 0.05, 40
    e = shared_explorer(explore.OptimizerExplorer)
    for T in (1, 4, 30):
        r = e.update(surface="quadratic", compare="GD vs momentum", lr=lr, gamma_ramp=True,
                     ramp=T, steps=steps)
        w, mu, path = np.array([-4.5, 2.0]), np.zeros(2), [np.array([-4.5, 2.0])]
        for t in range(steps):
            mu = (0.5 + 0.4 * min(t, T) / T) * mu - lr * w * np.array([1.0, 20.0])
            w = w + mu
            path.append(w)
        np.testing.assert_allclose(r["paths"]["momentum"], path, rtol=1e-12, atol=1e-12)
    # With the ramp off, T is ignored and gamma is used.
    off = [e.update(gamma_ramp=False, gamma=0.7, ramp=T)["paths"]["momentum"] for T in (2, 50)]
    np.testing.assert_array_equal(off[0], off[1])


def test_batchnorm_running_explorer_measures_test_mode_against_the_trainset_statistics():
    # The notes' test rule: normalise with the trainset's m_j, sigma_j^2. The reference, test and
    # train outputs, and their largest distances, written out with numpy.
    e = shared_explorer(explore.BatchNormRunningExplorer)
    for m, n, k in ((0.1, 16, 60), (1.0, 16, 60), (0.01, 8, 5)):
        r = e.update(momentum=m, batch=n, steps=k)
        b = _minibatches(e.x, n, 1, seed=1000 + n)[:, 0]
        ref = (b - e.x.mean()) / np.sqrt(e.x.var() + 1e-5)
        test = (b - r["running_mean"][-1]) / np.sqrt(r["running_var"][-1] + 1e-5)
        train = (b - b.mean()) / np.sqrt(b.var() + 1e-5)
        np.testing.assert_allclose(r["ref_out"], ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(r["test_out"], test, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(r["train_out"], train, rtol=1e-12, atol=1e-12)
        assert r["max_error"] == pytest.approx(np.abs(test - ref).max(), rel=1e-12)
        assert r["train_error"] == pytest.approx(np.abs(train - ref).max(), rel=1e-12)
        assert r["pop_mean"] == pytest.approx(e.x.mean()) and r["pop_var"] == pytest.approx(e.x.var())


def test_sgd_noise_explorer_gd_path_is_the_closed_form_for_every_step_size():
    # Data: the first 100 of the notebook's make_least_squares(1000, rng=default_rng(9)).
    from lecturekit.objectives import make_least_squares

    x, y = make_least_squares(1000, rng=default_rng(9))
    e = shared_explorer(explore.SGDNoiseExplorer)
    np.testing.assert_array_equal(e.x, x[:100])
    np.testing.assert_array_equal(e.y, y[:100])
    x, y = x[:100], y[:100]
    w_star = np.sum(x * y) / np.sum(x * x)
    k = np.arange(41)
    for lr in (0.02, 0.1, 0.4):
        r = e.update(batch=10, omega=0.5, replace=False, lr=lr)
        # F(w) = mean (w x - y)^2: w_{k+1} - w* = (1 - 2 lr mean(x^2)) (w_k - w*), w_0 = 0.
        gd = w_star + (1 - 2 * lr * np.mean(x * x)) ** k * (0.0 - w_star)
        np.testing.assert_allclose(r["gd_path"], gd, rtol=1e-10, atol=1e-12)
        assert r["step_noise"] == pytest.approx(lr * np.sqrt(r["var"]), rel=1e-12)
        full = e.update(batch=100, replace=False, lr=lr)  # without replacement, B = N is GD
        np.testing.assert_allclose(full["paths"], np.broadcast_to(gd, full["paths"].shape),
                                   rtol=1e-10, atol=1e-12)


def test_schedule_explorer_sliders_have_distinct_letters_and_name_their_argument():
    cls = explore.ScheduleExplorer
    sliders = {n: s for n, s in cls.controls.items() if isinstance(s, Slider)}
    letters = [s.description.split(" ")[0].rstrip(":") for s in sliders.values()]
    assert len(set(letters)) == len(letters) and "k" not in letters  # k is the step
    for name, s in sliders.items():
        if name != "lr":
            assert f"({name})" in s.description or name == "warmup"
    assert "(warmup_steps)" in cls.controls["warmup"].description


def test_init_explorer_he_with_leaky_relu_keeps_the_preactivation_and_sigmoid_decays():
    from lecturekit.explore.init import SLOPE

    e = shared_explorer(explore.InitExplorer)
    r = e.update(init="kaiming_normal", activation="leaky_relu", depth=30, width=64)
    assert r["var_w"] == pytest.approx(2 / ((1 + SLOPE**2) * 64), rel=1e-12)
    # Mean field: Var z^{l+1} = n Var(w) E[g(z)^2] = (2/(1+a^2)) (1+a^2)/2 Var z^l = Var z^l = 2.
    assert np.all((r["preact_var"] > 0.5) & (r["preact_var"] < 8))
    # Xavier + sigmoid: E[sigmoid'(z)^2] < 1/16 per layer (n Var(w) = 1 for square layers).
    r = e.update(init="xavier_normal", activation="sigmoid", depth=30, width=64)
    assert r["backward_var"][0] < 16.0 ** -29


# ------------------------------------------------------------ dropout keep p = 1, RNN rectify g,
# ------------------------------------------------------------ explorers on the library's defaults


def test_dropout_keep_probability_one_is_reachable_and_drop_one_is_a_message():
    e = shared_explorer(explore.DropoutExplorer)
    spec = e.controls["p"]
    assert spec.min == 0.0 and spec.max == 1.0  # keep (0, 1] and drop [0, 1) both on the slider
    for mode in ("classic", "inverted"):
        r = e.update(mode=mode, p_means="keep", p=1.0)  # the lecture's output layer
        assert "error" not in r and np.all(r["mask"] == 1)
        np.testing.assert_allclose(r["out"], e.a)
        np.testing.assert_allclose(r["test"], e.a)
    r = e.update(p_means="drop", p=1.0)  # drop everything: invalid, shown as a message
    assert "drop_prob" in r["error"] and e.message == r["error"]
    r = e.update(p_means="drop", p=0.0)  # no dropout
    assert "error" not in r and np.all(r["mask"] == 1)


def _rnn_jacobian_norms_by_hand(activation, radius, input_scale, steps, seed):
    """||dh_T/dh_{T-k}|| for the explorer's RNN (its sizes, its draws), by literal loops."""
    from lecturekit.explore.rnn import HIDDEN, INPUT, SEQUENCES
    from lecturekit.rnn import rnn_init

    rng = default_rng(seed)
    p = rnn_init(INPUT, HIDDEN, 1, spectral_radius=radius, rng=rng)
    xs = input_scale * rng.normal(size=(steps, SEQUENCES, INPUT))
    return rnn_jacobian_norms_written_out(p["w"], xs, activation)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_rnn_gradient_explorer_for_each_rectify_matches_the_jacobians_written_out(activation):
    e = shared_explorer(explore.RNNGradientExplorer)
    r = e.update(activation=activation, radius=1.3, input_scale=0.7, steps=20, seed=2)
    ref = _rnn_jacobian_norms_by_hand(activation, 1.3, 0.7, 20, 2)
    np.testing.assert_allclose(r["norms"], ref, rtol=1e-9, atol=1e-300)
    g_max = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0}[activation]
    np.testing.assert_allclose(r["bound"], (g_max * 1.3) ** np.arange(21), rtol=1e-12)
    assert np.all(r["norms"] <= r["bound"][:, None] * (1 + 1e-10))


def test_rnn_gradient_explorer_relu_ignores_the_input_scale_and_passes_nothing_without_input():
    e = shared_explorer(explore.RNNGradientExplorer)
    a = e.update(activation="relu", radius=1.5, input_scale=0.5, steps=40)
    b = e.update(activation="relu", radius=1.5, input_scale=2.0, steps=40)
    np.testing.assert_allclose(a["norms"], b["norms"], rtol=1e-10)  # ReLU is positively homogeneous
    z = e.update(activation="relu", radius=1.5, input_scale=0.0, steps=40)
    assert np.all(z["norms"][0] == 1.0) and np.all(z["norms"][1:] == 0.0)  # h = 0, ReLU'(0) = 0
    assert e.message is None and non_finite_data(e) == []


def test_lstm_and_resnet_explorers_show_what_the_library_defaults_return():
    from lecturekit.rnn import memory_retention

    e = shared_explorer(explore.LSTMMemoryExplorer)
    r = e.update(forget_bias=5.0, weight_std=0.5, steps=100, seed=0)
    np.testing.assert_array_equal(r["lstm"], memory_retention(5.0, steps=100, rng=default_rng(0)))
    e = shared_explorer(explore.ResNetExplorer)
    r = e.update(depth=30, width=16, activation="tanh", init="xavier_normal", quantity="input",
                 seed=1)
    np.testing.assert_array_equal(
        r["residual"], gradient_norms_by_depth(30, 16, residual=True, rng=default_rng(1),
                                               activation="tanh").input_grad)



def test_rnn_explorers_show_what_rnn_jacobian_norms_returns_with_its_defaults():
    from lecturekit.rnn import rnn_jacobian_norms

    r = shared_explorer(explore.RNNGradientExplorer).peek(activation="sigmoid", radius=1.4, input_scale=0.7,
                                           steps=30, seed=5)
    np.testing.assert_array_equal(r["norms"], rnn_jacobian_norms(
        1.4, steps=30, rng=default_rng(5), input_scale=0.7, activation="sigmoid"))
    r = shared_explorer(explore.LSTMMemoryExplorer).peek(radius=1.2, seed=2, steps=50)
    norms = rnn_jacobian_norms(1.2, steps=100, rng=default_rng(2))  # a loss at step T = 100
    np.testing.assert_allclose(r["rnn"], np.exp(np.log(norms).mean(axis=1))[:51], rtol=1e-12)

# ------------------------------------------------------------------ Lecture 3: output_padding, dilation


@pytest.mark.parametrize("size, kernel, padding, stride, dilation, o", [
    (2, 3, 0, 2, 1, 1),   # the lecture's picture with o = 1: 2x2 -> 6x6
    (3, 3, 1, 3, 1, 2),
    (3, 2, 0, 1, 2, 1),   # o < max(S, d) allows o = 1 with stride 1 and dilation 2
    (4, 3, 2, 2, 2, 1),
])
def test_conv_arithmetic_output_padding_grid_is_the_adjoint_of_the_strided_convolution(
        size, kernel, padding, stride, dilation, o):
    from lecturekit.conv import conv2d

    e = shared_explorer(explore.ConvArithmeticExplorer)
    r = e.update(size=size, kernel=kernel, padding=padding, stride=stride, dilation=dilation,
                 transposed=True, output_padding=o, position=0)
    m = r["m"]
    assert e.params["output_padding"] == o and r["numbers"].endswith(f"+ {o} + 1 = {m}")
    assert m == (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + o + 1  # PyTorch's
    # The drawn grid: the input spread out, padded, o more cells at the bottom and the right.
    cells = r["cells"]
    assert np.sum(cells == 0) == size ** 2 and len(cells) == m + dilation * (kernel - 1)
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(size, size)), rng.normal(size=(kernel, kernel))
    grid = np.zeros(cells.shape)
    grid[cells == 0] = x.ravel()  # row-major, as drawn
    flipped = w[::-1, ::-1]
    y = np.array([[sum(grid[i + dilation * a, j + dilation * b] * flipped[a, b]
                       for a in range(kernel) for b in range(kernel))
                   for j in range(m)] for i in range(m)])
    # The stride-1 convolution over the grid is K^T x for the convolution K of an m x m input,
    # cut to size x size (PyTorch's o < max(S, d) lets o >= S when d > S, and then K of an
    # m x m input has more outputs): <K u, x> = <u, K^T x> for every u (here: 3 random ones).
    for _ in range(3):
        u = rng.normal(size=(m, m))
        Ku = conv2d(u[None, None], w[None, None], stride=stride, padding=padding,
                    dilation=dilation)[0, 0]
        assert Ku.shape == (size + o // stride,) * 2
        Ku = Ku[:size, :size]
        assert np.sum(Ku * x) == pytest.approx(np.sum(u * y), rel=1e-12, abs=1e-12)


def test_conv_arithmetic_output_padding_is_pinned_below_max_stride_dilation_and_off_when_direct():
    e = shared_explorer(explore.ConvArithmeticExplorer, size=2, kernel=3, stride=2, transposed=True,
                                       output_padding=1)
    assert e.params["output_padding"] == 1 and e.result["m"] == 6
    assert e.widget is not None and e.inputs["output_padding"].max == 1
    e.inputs["stride"].value = 3
    assert e.inputs["output_padding"].max == 2 and e.params["output_padding"] == 1
    e.inputs["stride"].value = 1  # o < max(S, d) = 1: o = 0
    assert e.params["output_padding"] == 0 and e.inputs["output_padding"].max == 0
    r = e.update(size=5, stride=2, output_padding=1, transposed=False)  # a direct one has no o
    assert e.params["output_padding"] == 0 and r["m"] == 2
    assert r["numbers"] == "m = (5 − 3 + 2·0)/2 + 1 = 2"
    # The calls of the notebooks, without output_padding, are unchanged.
    assert e.peek(size=5, kernel=3, padding=1, stride=2, dilation=1)["m"] == 3


@pytest.mark.parametrize("size, kernel, stride, padding, dilation", [
    (5, 2, 1, 0, 2), (6, 3, 1, 1, 2), (6, 2, 2, 0, 3), (4, 2, 1, 1, 3),
])
def test_conv_matrix_explorer_dilation_is_the_matrix_of_the_spread_out_kernel(
        size, kernel, stride, padding, dilation):
    from scipy.signal import correlate2d

    r = shared_explorer(explore.ConvMatrixExplorer, size=size, kernel=kernel, stride=stride,
                        padding=padding, dilation=dilation).result
    assert "error" not in r and max(r["diff_y"], r["diff_dx"], r["diff_dk"]) < 1e-12
    span = dilation * (kernel - 1) + 1
    m = (size - span + 2 * padding) // stride + 1
    pattern = r["pattern"]
    assert r["m"] == m and pattern.shape == (m * m, size * size)
    rng = np.random.default_rng(1)
    k, x = rng.normal(size=(kernel, kernel)), rng.normal(size=(size, size))
    K = np.where(pattern >= 0, k.ravel()[np.maximum(pattern, 0)], 0.0)  # the drawn matrix
    spread = dilate(k, (dilation, dilation))  # zeros between the kernel's entries
    assert spread.shape == (span, span)
    ref = correlate2d(np.pad(x, padding), spread, mode="valid")[::stride, ::stride]
    np.testing.assert_allclose(K @ x.ravel(), ref.ravel(), rtol=1e-12, atol=1e-12)
    assert r["k1_positions"] == [(int(a) + 1, int(b) + 1) for a, b in np.argwhere(pattern == 0)]


def test_conv_matrix_explorer_dilated_kernel_too_large_is_a_message_with_f_prime():
    e = shared_explorer(explore.ConvMatrixExplorer)
    r = e.update(size=3, kernel=3, stride=1, padding=0, dilation=3)
    assert "F' = 3·(3 − 1) + 1 = 7" in r["error"] and e.message == r["error"]


def test_notebook_display_is_the_live_widget_plus_a_snapshot_for_static_views():
    import base64
    import io

    import PIL.Image

    e = shared_explorer(explore.ConvArithmeticExplorer)
    bundle = e._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == e.widget.model_id
    assert "ConvArithmeticExplorer" in bundle["text/plain"]
    snap = PIL.Image.open(io.BytesIO(base64.b64decode(bundle["image/png"])))
    full = PIL.Image.open(io.BytesIO(e.png))
    assert snap.size == full.size and len(snap.getcolors(256)) <= 128
    # the snapshot is the current frame: quantising keeps every pixel close to the original
    diff = np.abs(np.asarray(snap.convert("RGB"), float) - np.asarray(full.convert("RGB"), float))
    assert diff.mean() < 2 and np.percentile(diff, 99) < 40
    e.update(stride=2)  # a different picture gives a different snapshot
    assert e._repr_mimebundle_()["image/png"] != bundle["image/png"]


def test_init_explorer_taper_fan_in_keeps_forward_fan_out_backward():
    from lecturekit.explore.init import layer_widths

    e = shared_explorer(explore.InitExplorer)
    widths = layer_widths(64, 0.125, 30)
    assert (widths[0], widths[-1], len(widths)) == (64, 8, 31)
    assert np.all(np.diff(widths) <= 0)
    he_in = e.update(init="kaiming_normal", activation="relu", depth=30, taper=0.125,
                     mode="fan_in")
    he_out = e.update(mode="fan_out")
    # The same draws scaled: layer l's weights by sqrt(n_in / n_out). ReLU is positively
    # homogeneous, so the variances scale by the product of those ratios, exactly.
    ratio_in_out = widths[:-1] / widths[1:]  # Var_out / Var_in per layer
    np.testing.assert_allclose(he_out["forward_var"] / he_in["forward_var"],
                               np.cumprod(ratio_in_out), rtol=1e-9)
    np.testing.assert_allclose(he_out["backward_var"] / he_in["backward_var"],
                               np.cumprod(ratio_in_out[::-1])[::-1], rtol=1e-9)
    # The dotted predictions: fan-in keeps Var(z) = 2 (a's 0.68) and scales the gradient
    # reaching the input by n_L / n_0; fan-out the other way round.
    np.testing.assert_allclose(he_in["expected_forward_var"], 1 - 1 / np.pi, rtol=1e-12)
    assert he_in["expected_backward_var"][0] == pytest.approx(8 / 64, rel=1e-12)
    assert he_out["expected_backward_var"][0] == pytest.approx(1.0, rel=1e-12)
    assert he_out["expected_forward_var"][-1] == pytest.approx((1 - 1 / np.pi) * 64 / 8)
    # Square layers: the two modes are the same network.
    a = e.update(taper=1, mode="fan_in")
    b = e.update(taper=1, mode="fan_out")
    np.testing.assert_array_equal(a["forward_var"], b["forward_var"])
    # zeros and constants have no prediction (the argument needs zero-mean weights)
    assert np.all(np.isnan(e.update(init="constant")["expected_forward_var"]))


def test_init_explorer_widening_networks_end_at_the_chosen_width():
    from lecturekit.explore.init import layer_widths

    w = layer_widths(64, 4, 30)
    assert (w[0], w[-1]) == (16, 64) and np.all(np.diff(w) >= 0)
    r = shared_explorer(explore.InitExplorer, init="kaiming_normal", activation="relu", taper=4,
                        mode="fan_in", width=32).result
    assert (r["widths"][0], r["widths"][-1]) == (8, 32)
    assert r["expected_backward_var"][0] == pytest.approx(4.0, rel=1e-12)  # n_L / n_0


def test_optimizer_explorer_eps_moves_adam_from_normalised_steps_to_plain_gradient_steps():
    e = shared_explorer(explore.OptimizerExplorer)
    lr = 0.0891251
    common = dict(surface="quadratic", compare="GD vs Adam", lr=lr, steps=5)
    g1 = np.array([1.0, 20.0]) * np.array([-4.5, 2.0])  # the gradient at the start
    for eps in (1e-8, 1.0, 100.0):
        r = e.update(eps=eps, **common)
        first = np.diff(r["paths"]["Adam"][:2], axis=0)[0]
        # t = 1: m_hat = g, V_hat = g^2, so U_1 = -lr g / (|g| + eps), coordinate by coordinate
        np.testing.assert_allclose(first, -lr * g1 / (np.abs(g1) + eps), rtol=1e-12)
        assert r["paths"]["GD"][1] == pytest.approx(np.array([-4.5, 2.0]) - lr * g1)
    assert "ε = 100" in e.update(eps=100.0)["settings"]


# ------------------------------------------------------------------ the sweep (in the helper)


@helper.helper_check("sweep")
@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
def test_sweep_every_control_draws_finite_data_or_a_message(cls):
    # Every check of check_sweep, at SWEEP_DPI, run by the helper process (tests/helper.py) on
    # the other core while the run goes on; here if no helper ran it (an xdist worker).
    assert _small(cls) not in EXPLORERS and _small(cls).dpi == SWEEP_DPI
    helper.outcome_or_run("sweep", cls.__name__, lambda: helper_sweep(cls.__name__))


@helper.helper_check("same_picture")
@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
def test_same_parameters_give_the_same_picture(cls):
    # check_same_picture, in the helper process (or here, as above)
    helper.outcome_or_run("same_picture", cls.__name__, lambda: helper_same_picture(cls.__name__))
