"""lecturekit.schedules: each schedule against its formula, written out here independently."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit.schedules import (
    constant,
    cosine_decay,
    exponential_decay,
    inverse_time_decay,
    linear_ramp,
    linear_warmup,
    step_decay,
)

STEPS = st.integers(min_value=0, max_value=500)


@settings(max_examples=25, deadline=None)
@given(t=STEPS)
def test_constant_is_constant(t):
    assert constant(0.3)(t) == 0.3


@settings(max_examples=25, deadline=None)
@given(t=STEPS, every=st.integers(1, 50), factor=st.floats(0.05, 1.0))
def test_step_decay_matches_formula(t, every, factor):
    # the drop count, by repeated subtraction rather than floor division
    drops, rest = 0, t
    while rest >= every:
        rest -= every
        drops += 1
    assert step_decay(0.1, factor=factor, every=every)(t) == pytest.approx(0.1 * factor**drops)


@settings(max_examples=25, deadline=None)
@given(t=STEPS, k=st.floats(0, 0.1))
def test_exponential_decay_matches_formula(t, k):
    assert exponential_decay(0.5, k=k)(t) == pytest.approx(0.5 * math.exp(-k * t))


@settings(max_examples=25, deadline=None)
@given(t=STEPS, k=st.floats(0, 2))
def test_inverse_time_decay_matches_formula(t, k):
    assert inverse_time_decay(0.5, k=k)(t) == pytest.approx(0.5 / (1 + k * t))


@settings(max_examples=25, deadline=None)
@given(t=STEPS, steps=st.integers(1, 300), floor=st.floats(0, 0.09))
def test_cosine_decay_matches_formula(t, steps, floor):
    expected = floor + (0.1 - floor) * (1 + math.cos(math.pi * min(t, steps) / steps)) / 2
    assert cosine_decay(0.1, steps=steps, floor=floor)(t) == pytest.approx(expected)


def test_cosine_decay_endpoints_and_midpoint():
    s = cosine_decay(1.0, steps=100, floor=0.2)
    assert s(0) == pytest.approx(1.0)
    assert s(50) == pytest.approx(0.6)  # halfway between lr and floor
    assert s(100) == pytest.approx(0.2)
    assert s(1000) == pytest.approx(0.2)


@settings(max_examples=25, deadline=None)
@given(t=STEPS, warmup=st.integers(1, 40))
def test_linear_warmup_ramps_then_follows_the_shifted_schedule(t, warmup):
    base = cosine_decay(0.1, steps=200, floor=0.001)
    s = linear_warmup(base, warmup_steps=warmup)
    if t < warmup:
        expected = 0.1 * (t + 1) / warmup
    else:
        expected = 0.001 + 0.0495 * (1 + math.cos(math.pi * min(t - warmup, 200) / 200))
    assert s(t) == pytest.approx(expected)


def test_linear_warmup_combines_with_step_decay():
    s = linear_warmup(step_decay(1.0, factor=0.1, every=2), warmup_steps=2)
    # by hand: t < 2 ramps 1.0 (t + 1) / 2 = 0.5, 1.0; then t >= 2 follows the step decay
    # from its start, 1.0 * 0.1 ** floor((t - 2) / 2): 1.0, 1.0, 0.1, 0.1 for t = 2..5
    assert [s(t) for t in range(6)] == pytest.approx([0.5, 1.0, 1.0, 1.0, 0.1, 0.1])


@settings(max_examples=25, deadline=None)
@given(t=STEPS, steps=st.integers(1, 300))
def test_linear_ramp_moves_gamma_from_half_to_nine_tenths(t, steps):
    # Lecture 4: "gamma change from 0.5 to 0.9 over iterations"
    expected = 0.5 + 0.4 * t / steps if t < steps else 0.9
    assert linear_ramp(0.5, 0.9, steps=steps)(t) == pytest.approx(expected)


@pytest.mark.parametrize(
    "schedule",
    [constant(0.1), step_decay(0.1), exponential_decay(0.1), inverse_time_decay(0.1),
     cosine_decay(0.1, steps=30), linear_warmup(cosine_decay(0.1, steps=30), warmup_steps=5),
     linear_ramp(0.5, 0.9, steps=20)],
    ids=repr,
)
def test_vectorised_call_equals_elementwise_calls(schedule):
    t = np.arange(60)
    curve = schedule(t)
    assert isinstance(curve, np.ndarray) and curve.shape == (60,)
    np.testing.assert_allclose(curve, [schedule(int(k)) for k in t], rtol=0, atol=0)
    assert isinstance(schedule(3), float)


@pytest.mark.parametrize(
    "schedule",
    [step_decay(0.1, factor=0.5, every=7), exponential_decay(0.1, k=0.05),
     inverse_time_decay(0.1, k=0.3), cosine_decay(0.1, steps=40, floor=0.01)],
    ids=repr,
)
def test_schedules_start_at_base_rate_and_decay(schedule):
    curve = schedule(np.arange(100))
    assert curve[0] == pytest.approx(0.1)
    assert np.all(np.diff(curve) <= 0) and curve[-1] < curve[0]
    assert np.all(curve > 0)


def test_repr_names_the_schedule_and_its_hyperparameters():
    assert repr(step_decay(0.1, factor=0.5, every=10)) == \
        "step_decay(lr=0.1, factor=0.5, every=10)"


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: constant(0.0), r"lr must be in \(0, inf\], got 0"),
        (lambda: step_decay(0.1, factor=1.5), r"factor must be in \(0, 1\], got 1.5"),
        (lambda: step_decay(0.1, every=0), r"every must be >= 1, got 0"),
        (lambda: exponential_decay(0.1, k=-1), r"k must be in \[0, inf\], got -1"),
        (lambda: cosine_decay(0.1, steps=10, floor=0.2), r"floor must be in \[0, 0.1\], got 0.2"),
        (lambda: linear_warmup(constant(0.1), warmup_steps=0), r"warmup_steps must be >= 1"),
    ],
)
def test_bad_hyperparameters_raise_naming_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_negative_step_and_non_schedule_raise():
    with pytest.raises(ValueError, match=r"t must be >= 0"):
        constant(0.1)(-1)
    with pytest.raises(TypeError, match=r"schedule must be a schedule"):
        linear_warmup(0.1, warmup_steps=3)
    with pytest.raises(TypeError, match=r"every must be an integer"):
        step_decay(0.1, every=2.5)


def test_schedule_explorer_sgd_panel_is_sgd_least_squares_under_each_schedule():
    from lecturekit.experiments import sgd_least_squares
    from lecturekit.explore import ScheduleExplorer
    from lecturekit.objectives import make_least_squares
    from lecturekit.rng import default_rng

    e = ScheduleExplorer()
    r = e.update(schedule="inverse_time_decay", lr=0.05, k=0.01)
    x, y = make_least_squares(1000, rng=default_rng(9))
    _, d = sgd_least_squares(inverse_time_decay(0.05, k=0.01), x, y, steps=400,
                             rng=default_rng(15))
    np.testing.assert_array_equal(r["distance"]["inverse_time_decay"], d)
    assert r["tail_rms"]["inverse_time_decay"] == pytest.approx(np.sqrt(np.mean(d[-100:] ** 2)))
    # the constant step's band is wider than inverse-time decay's at the same alpha_0
    assert r["tail_rms"]["constant"] > r["tail_rms"]["inverse_time_decay"]
