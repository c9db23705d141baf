"""lecturekit.display.show: rounded, never '-0.', as many decimals as asked."""

import numpy as np
import pytest

from lecturekit.display import show


def test_negative_zero_prints_as_zero():
    assert show(np.array([-1e-17, 1e-17])) == "[0. 0.]"
    assert str(show(-1e-17)) == "0.0"


def test_decimals_beyond_the_print_precision_are_kept():
    with np.printoptions(precision=2):
        assert show(np.array([0.123456789]), 6) == "[0.123457]"
    assert show(np.array([1.23456]), 0) == "[1.]"


def test_scalars_come_back_as_floats_rounded_half_to_even():
    assert show(2.5, 0) == 2.0 and isinstance(show(np.float64(0.5)), float)
    assert show(np.array(1 / 3)) == 0.3333


def test_small_values_are_not_in_scientific_notation():
    assert "e" not in show(np.array([1e-6, 1.0]))


def test_non_finite_values_print_as_they_are():
    assert show(np.array([np.inf, np.nan])) == "[inf nan]"


@pytest.mark.parametrize("decimals", [-1, 1.5, "2"])
def test_bad_decimals_are_refused(decimals):
    with pytest.raises((ValueError, TypeError), match="decimals"):
        show(np.zeros(2), decimals)
