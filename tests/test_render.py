"""lecturekit.explore._render: renderers that sleep give the same pictures and let go of their pixels."""

from __future__ import annotations

import atexit
import gc
import threading
import weakref
from unittest import mock

import numpy as np
import pytest

from lecturekit.explore import DropoutExplorer, OptimizerExplorer, ScheduleExplorer, _render


def _awake(frames):
    return frames._background is not None


def test_png_is_rendered_when_read_until_the_widget_shows_it_then_by_each_update():
    e = DropoutExplorer()
    with mock.patch.object(e._frames, "png", wraps=e._frames.png) as render:
        e.update(p=0.3)
        e.update(p=0.4)
        assert render.call_count == 0  # made and moved from code: nothing looked at, nothing drawn
        png = e.png
        assert render.call_count == 1 and e.png is png and render.call_count == 1
        assert png == DropoutExplorer(p=0.4).png  # the picture of the state the updates left
        assert e.widget is not None  # shown: the image holds the current frame
        assert e.image.value == png
        render.reset_mock()
        e.update(p=0.5)  # now each update renders, for the image
        assert render.call_count == 1 and e.image.value == e.png and render.call_count == 1
        render.side_effect = RuntimeError("a draw that fails")
        e.image = None  # (as before the widget: drawn when read)
        e.update(p=0.6)
        with pytest.raises(RuntimeError, match="a draw that fails"):
            e.png  # noqa: B018 (reading it renders)
        render.side_effect = None
        assert e.png == DropoutExplorer(p=0.6).png  # still owed, and drawn on the next read


def test_only_the_last_renderers_to_draw_keep_their_pixels():
    explorers = [ScheduleExplorer(), DropoutExplorer(), OptimizerExplorer(), ScheduleExplorer()]
    assert not any(_awake(e._frames) for e in explorers)  # made, never drawn (png not read)
    for e in explorers:
        assert e.png  # drawn, in this order
    awake = [_awake(e._frames) for e in explorers]
    assert awake == [False] * (len(explorers) - _render.AWAKE) + [True] * _render.AWAKE
    explorers[0].update()
    assert explorers[0].png  # a frame wakes it, and the oldest awake one goes to sleep
    assert [_awake(e._frames) for e in explorers] == [True, False, False, True]


def test_sleep_lets_go_of_the_canvas_renderer_and_the_background():
    e = DropoutExplorer()
    assert e.png  # drawn
    renderer = weakref.ref(e.fig.canvas.get_renderer())
    e._frames.sleep()
    gc.collect()
    assert renderer() is None  # no text, canvas or cache still holds the Agg buffer
    assert e._frames._background is None and e._frames._backgrounds  # kept, compressed
    # the rendered texts go too (rendered again on waking: the next test's same pixels)
    assert not e._frames._rendered and not e._frames._text_patches
    assert e._frames._rendered_bytes == 0 and e._frames._blend is None


def test_a_formula_parsed_while_drawing_leaves_no_cycle_that_holds_the_renderer():
    # mathtext's parser raises and catches exceptions as it backtracks; their tracebacks
    # hold the frames of the draw, and those the Agg renderer: 8 MiB of notebook 01's
    # kernel until a full collection, which a kernel rarely runs. With the collector off,
    # only reference counts free anything: the renderer must go when the explorer sleeps.
    e = DropoutExplorer()
    e.fig.axes[0].set_title(r"$\sum_{k=1}^{7} w_k^{\mathrm{asleep}} \,/\, \sqrt{\beta_k}$")
    enabled = gc.isenabled()
    gc.disable()
    try:
        misses = _render._shared_math_parser("vector")._parse_cached.func.cache_info().misses
        e.render_png()  # the new title is parsed in the background's draw
        assert _render._shared_math_parser("vector")._parse_cached.func.cache_info().misses > misses
        canvas_renderer = weakref.ref(e.fig.canvas.get_renderer())
        e._frames.sleep()
        assert canvas_renderer() is None
    finally:
        if enabled:
            gc.enable()


def test_a_dropped_renderer_held_elsewhere_keeps_a_single_pixel():
    e = DropoutExplorer()
    png = e.render_png()
    held = e.fig.canvas.get_renderer()  # as an exception's frames may hold it
    e._frames.sleep()
    assert np.asarray(held.buffer_rgba()).shape == (1, 1, 4)
    assert e.fig.canvas.get_renderer() is not held
    assert e.render_png() == png  # a new renderer, the same picture


@pytest.fixture
def new_shell(monkeypatch, tmp_path):
    """Makes the process's IPython shell (``InteractiveShell.instance()``) and clears it after
    the test: without a history, its profile in ``tmp_path`` (nothing written to the user's
    ~/.ipython) and with no exit handler left (it would reset the shell's namespace at exit,
    a full garbage collection of the whole run's objects: 0.2-0.35 s)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))
    config = Config()
    config.HistoryManager.enabled = False
    made = []

    def make():
        made.append(InteractiveShell.instance(config=config))
        return made[-1]

    yield make
    for shell in made:
        InteractiveShell.clear_instance()
        atexit.unregister(shell.atexit_operations)


def test_a_shown_explorer_puts_explorers_to_sleep_and_gives_back_memory_after_each_cell(
        monkeypatch, new_shell):
    trims = []
    monkeypatch.setattr(_render, "_malloc_trim", lambda: trims.append)  # trim(0) recorded
    shell = new_shell()
    try:
        shell.run_cell("from lecturekit.explore import ScheduleExplorer\n"
                       "e = ScheduleExplorer(); e.widget; f = ScheduleExplorer(); f.widget")
        callbacks = shell.events.callbacks["post_execute"]
        assert callbacks.count(_render.after_cell) == 1  # two shown: registered once
        e, f = shell.user_ns["e"], shell.user_ns["f"]
        assert e._frames._asleep and f._frames._asleep  # after the cell that showed them
        before = len(trims)
        e.update(lr=0.5)  # a slider moved: in a comm message, not a cell
        assert not e._frames._asleep and e._frames._background is not None
        shell.run_cell("x = 1")
        assert trims[before:] == [0]  # one trim after the cell
        assert e._frames._asleep and e._frames._background is None
    finally:
        shell.events.unregister("post_execute", _render.after_cell)


def test_a_renderer_that_another_thread_draws_with_is_not_put_to_sleep():
    a, b, c = DropoutExplorer(), DropoutExplorer(), DropoutExplorer()
    a.update(p=0.3)
    assert a.png  # the last to draw: awake
    held, release = threading.Event(), threading.Event()

    def draw_in_another_thread():  # holds a's lock as a frame in progress would
        with a._frames._lock:
            held.set()
            release.wait(10)

    other = threading.Thread(target=draw_in_another_thread)
    other.start()
    try:
        held.wait(10)
        assert a._frames.sleep(blocking=False) is False and not a._frames._asleep
        assert a._frames._background is not None  # still there: a is in use
        for e in (b, c, b, c):  # two others draw: a is the oldest, but stays awake
            e.update(p=0.4 if e is b else 0.6)
            assert e.png
        assert not a._frames._asleep and a._frames._background is not None
        _render.sleep_all()
        assert b._frames._asleep and c._frames._asleep and not a._frames._asleep
    finally:
        release.set()
        other.join(10)
    _render.sleep_all()
    assert a._frames._asleep


def test_outside_ipython_nothing_is_registered(new_shell):
    from IPython import get_ipython

    assert get_ipython() is None
    assert ScheduleExplorer().widget is not None  # shown with no shell: nothing registered, no error
    shell = new_shell()  # a shell started later has no trim until one is shown
    assert _render.after_cell not in shell.events.callbacks["post_execute"]


@pytest.mark.parametrize("cls", [DropoutExplorer, OptimizerExplorer, ScheduleExplorer])
def test_a_frame_after_sleep_is_the_frame_before_it(cls):
    e = cls()
    before = e.png
    e._frames.sleep()
    assert e.render_png() == before  # the same state: the same pixels
    rng = np.random.default_rng(0)
    for _ in range(3):  # a new state entered asleep is the one a fresh explorer draws
        params = {n: s.sample(rng) for n, s in cls.controls.items()}
        e._frames.sleep()
        e.update(**params)
        assert e.png == cls(**params).png, params


def test_sleeping_twice_or_before_the_first_frame_is_harmless():
    e = ScheduleExplorer()
    png = e.png
    e._frames.sleep()
    e._frames.sleep()
    assert e.render_png() == png
    from matplotlib.figure import Figure

    frames = _render.FrameRenderer(Figure(figsize=(1, 1), dpi=20))
    frames.sleep()  # nothing drawn yet: nothing to let go of
    assert frames.draw().shape == (20, 20, 4)


def _pixels(png):
    import io

    import PIL.Image

    return np.asarray(PIL.Image.open(io.BytesIO(png)))


@pytest.mark.parametrize("name", ["ConvArithmeticExplorer", "BatchNormRunningExplorer",
                                  "PoolingShiftExplorer", "InitExplorer", "OptimizerExplorer"])
def test_glyphs_drawn_from_the_cache_are_the_glyphs_matplotlib_renders(name, monkeypatch):
    from matplotlib.backends.backend_agg import RendererAgg

    from lecturekit import explore

    cls = getattr(explore, name)
    rng = np.random.default_rng(1)
    states = [{n: s.sample(rng) for n, s in cls.controls.items()} for _ in range(2)]
    states += states[:1]  # every glyph of this one now from the cache

    def frames():
        e = cls()
        pictures = [e.png]
        for params in states:
            e.update(**params)
            pictures.append(e.png)
        return pictures

    cached = frames()
    monkeypatch.setattr(_render, "_glyph_renderer", lambda: RendererAgg)
    for params, a, b in zip([{}] + states, cached, frames(), strict=True):
        assert np.array_equal(_pixels(a), _pixels(b)), params


def test_a_message_is_wrapped_only_when_a_line_is_wider_than_the_figure():
    e = ScheduleExplorer()
    e._frames.show_message("a short message")
    assert not e._frames._message.get_wrap()
    e._frames.show_message("too long " * 60)
    assert e._frames._message.get_wrap()
    frame = e._frames.draw()
    assert frame.shape[:2] == (round(e.fig.bbox.height), round(e.fig.bbox.width))
    e._frames.show_message(None)
    assert not e._frames._message.get_wrap()
