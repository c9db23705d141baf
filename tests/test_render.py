"""lecturekit.explore._render: renderers that sleep give the same pictures and let go of their pixels."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from lecturekit.explore import DropoutExplorer, OptimizerExplorer, ScheduleExplorer, _render


def _awake(frames):
    return frames._background is not None


def test_only_the_last_renderers_to_draw_keep_their_pixels():
    explorers = [ScheduleExplorer(), DropoutExplorer(), OptimizerExplorer(), ScheduleExplorer()]
    awake = [_awake(e._frames) for e in explorers]
    assert awake == [False] * (len(explorers) - _render.AWAKE) + [True] * _render.AWAKE
    explorers[0].update()  # a move wakes it, and the oldest awake one goes to sleep
    assert [_awake(e._frames) for e in explorers] == [True, False, False, True]


def test_sleep_lets_go_of_the_canvas_renderer_and_the_background():
    e = DropoutExplorer()
    renderer = weakref.ref(e.fig.canvas.get_renderer())
    e._frames.sleep()
    gc.collect()
    assert renderer() is None  # no text, canvas or cache still holds the Agg buffer
    assert e._frames._background is None and e._frames._backgrounds  # kept, compressed


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
