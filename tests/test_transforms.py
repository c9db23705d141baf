"""lecturekit.transforms.warp against scipy.ndimage and exact special cases."""

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st

from lecturekit.rng import default_rng
from lecturekit.transforms import warp


def scipy_warp(img, angle, scale):
    # Output pixel o reads the input at M o + offset: M = R(-angle) / scale about the centre.
    t = np.deg2rad(angle)
    m = np.array([[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]]) / scale
    c = (np.array(img.shape) - 1) / 2
    return ndi.affine_transform(img, m, offset=c - m @ c, order=1, mode="grid-constant", cval=0.0)


@settings(max_examples=60, deadline=None)
@given(h=st.integers(1, 16), w=st.integers(1, 16), angle=st.floats(-360, 360),
       scale=st.floats(0.2, 4.0), seed=st.integers(0, 10))
def test_warp_is_scipys_bilinear_affine_transform(h, w, angle, scale, seed):
    img = default_rng(seed).random((h, w))
    np.testing.assert_allclose(warp(img, angle, scale), scipy_warp(img, angle, scale), atol=1e-12)


def test_identity_and_right_angles_are_exact_permutations():
    img = default_rng(0).random((9, 9))
    np.testing.assert_array_equal(warp(img), img)
    for k in (1, 2, 3):
        np.testing.assert_allclose(warp(img, 90 * k), np.rot90(img, k), atol=1e-12)


def test_doubling_spreads_a_dot_bilinearly_and_pushes_the_border_off_the_canvas():
    img = np.zeros((7, 7))
    img[3, 3] = 1.0
    img[0, :] = 1.0  # the top row, 3 rows above the centre: doubled it would sit 6 above
    big = warp(img, scale=2.0)
    # output pixel c + d reads the input at c + d/2: the dot covers the 3x3 around the centre
    np.testing.assert_allclose(big[2:5, 2:5], [[0.25, 0.5, 0.25], [0.5, 1.0, 0.5], [0.25, 0.5, 0.25]])
    big[2:5, 2:5] = 0.0
    np.testing.assert_allclose(big, 0.0, atol=1e-15)


def test_extreme_angles_and_scales_stay_finite():
    img = default_rng(1).random((5, 5))
    for angle, scale in ((1e300, 1.0), (0.0, 1e-300), (0.0, 1e300)):
        assert np.all(np.isfinite(warp(img, angle, scale)))


@pytest.mark.parametrize("kwargs, error", [
    (dict(img=np.zeros(5)), "img must be 2-D"),
    (dict(img=np.zeros((3, 3)), scale=0.0), "scale"),
    (dict(img=np.zeros((3, 3)), scale=-1.0), "scale"),
    (dict(img=np.zeros((3, 3)), angle=np.nan), "angle"),
])
def test_bad_input_is_refused_by_name(kwargs, error):
    with pytest.raises(ValueError, match=error):
        warp(**kwargs)


def test_a_string_angle_is_a_type_error():
    with pytest.raises(TypeError, match="angle"):
        warp(np.zeros((3, 3)), angle="90")
