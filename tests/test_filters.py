"""lecturekit.filters against scipy.ndimage, closed forms on polynomial images, and properties."""

import numpy as np
import pytest
import scipy.ndimage as ndimage
import scipy.signal

from lecturekit.conv import conv2d, convolve2d, correlate2d
from lecturekit.filters import (
    box,
    gaussian,
    gradient_magnitude,
    identity,
    laplacian,
    prewitt_x,
    prewitt_y,
    sample_image,
    sharpen,
    sobel_x,
    sobel_y,
)


@pytest.fixture(scope="module")
def image():
    return sample_image(step=8)


def test_sobel_filters_detect_edges():
    # a vertical step edge (dark left, bright right): G_x > 0 along it, G_y = 0 everywhere
    step = np.zeros((6, 8))
    step[:, 4:] = 1.0
    gx, gy = correlate2d(step, sobel_x(), "valid"), correlate2d(step, sobel_y(), "valid")
    np.testing.assert_array_equal(gx[:, 2:4], 4.0)  # windows straddling the edge: 1 + 2 + 1
    np.testing.assert_array_equal(gx[:, [0, 1, 4, 5]], 0.0)  # flat regions
    np.testing.assert_array_equal(gy, 0.0)
    # the same with conv2d, the layer a CNN would use
    np.testing.assert_array_equal(conv2d(step[None, None], sobel_x()[None, None])[0, 0], gx)
    # sobel_y is positive where the image gets brighter downwards
    assert np.all(correlate2d(step.T, sobel_y(), "valid")[2:4] == 4.0)


def test_sobel_and_prewitt_match_scipy_ndimage(image):
    # scipy.ndimage.sobel(axis=1) is the derivative along columns (x), by correlation
    for fx, fy, ref in ((sobel_x, sobel_y, ndimage.sobel), (prewitt_x, prewitt_y, ndimage.prewitt)):
        np.testing.assert_allclose(correlate2d(image, fx(), "same"),
                                   ref(image, axis=1, mode="constant"), atol=1e-12)
        np.testing.assert_allclose(correlate2d(image, fy(), "same"),
                                   ref(image, axis=0, mode="constant"), atol=1e-12)
        # true convolution rotates the kernel by 180 degrees: the sign flips
        np.testing.assert_allclose(convolve2d(image, fx(), "same"),
                                   -ref(image, axis=1, mode="constant"), atol=1e-12)


def test_gradient_magnitude_matches_scipy(image):
    for kind, ref in (("sobel", ndimage.sobel), ("prewitt", ndimage.prewitt)):
        expected = ndimage.generic_gradient_magnitude(image, ref, mode="constant")
        np.testing.assert_allclose(gradient_magnitude(image, kind), expected, atol=1e-12)
        np.testing.assert_allclose(gradient_magnitude(image, kind, mode="valid"),
                                   expected[1:-1, 1:-1], atol=1e-12)


def test_laplacians_are_exact_on_a_quadratic_image():
    # f = x^2 + y^2: the 4-neighbour stencil gives 2 + 2 = 4, the 8-neighbour one
    # sum over neighbours of (a^2 + b^2) = 4*1 + 4*2 = 12, at every interior pixel
    y, x = np.mgrid[0:6, 0:7].astype(float)
    f = x**2 + y**2
    np.testing.assert_allclose(correlate2d(f, laplacian(4), "valid"), 4.0)
    np.testing.assert_allclose(correlate2d(f, laplacian(8), "valid"), 12.0)


def test_laplacian_matches_scipy_ndimage(image):
    np.testing.assert_allclose(correlate2d(image, laplacian(), "same"),
                               ndimage.laplace(image, mode="constant"), atol=1e-12)


def test_blur_filters_sum_to_one_and_gaussian_matches_scipy():
    for k in (box(1), box(4), gaussian(5, 1.0), gaussian(4, 0.7)):
        assert k.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(box(3), np.ones((3, 3)) / 9)
    g1 = scipy.signal.windows.gaussian(7, 1.5)
    np.testing.assert_allclose(gaussian(7, 1.5), np.outer(g1, g1) / np.outer(g1, g1).sum())
    np.testing.assert_allclose(gaussian(5, 0.8), gaussian(5, 0.8).T)


def test_identity_returns_the_image_and_sharpen_is_identity_minus_laplacian(image):
    np.testing.assert_allclose(correlate2d(image, identity(), "same"), image)
    np.testing.assert_allclose(correlate2d(image, identity(5), "same"), image)
    # identity - 4-neighbour Laplacian, entry by entry: the centre 1 - (-4) = 5, the four
    # neighbours 0 - 1 = -1, the corners 0 - 0 = 0
    np.testing.assert_allclose(sharpen(), [[0, -1, 0], [-1, 5, -1], [0, -1, 0]])
    # so sharpening is the image minus its Laplacian, which scipy computes independently
    np.testing.assert_allclose(correlate2d(image, sharpen(), "same"),
                               image - ndimage.laplace(image, mode="constant"), atol=1e-12)
    # a flat image is left unchanged in the interior
    flat = np.full((5, 5), 0.3)
    np.testing.assert_allclose(correlate2d(flat, sharpen(), "valid"), 0.3)


def test_filters_return_fresh_arrays():
    for make in (sobel_x, sobel_y, prewitt_x, prewitt_y, laplacian, sharpen, identity, box,
                 gaussian):
        k = make()
        assert k.dtype == np.float64
        before = k.copy()
        k[...] = 99.0
        np.testing.assert_array_equal(make(), before)


def test_sample_image_is_grayscale_in_unit_interval():
    full = sample_image()
    assert full.shape == (600, 512) and full.dtype == np.float64
    assert 0.0 <= full.min() < 0.1 and 0.9 < full.max() <= 1.0
    small = sample_image(step=7)  # 600 // 7 = 85, 512 // 7 = 73 blocks
    assert small.shape == (85, 73)
    np.testing.assert_allclose(small[3, 5], full[21:28, 35:42].mean())


@pytest.mark.parametrize("call, error, message", [
    (lambda: laplacian(6), ValueError, r"neighbours must be one of 4, 8, got 6"),
    (lambda: identity(4), ValueError, r"n must be odd so that the filter has a centre, got 4"),
    (lambda: gaussian(5, 0.0), ValueError, r"sigma must be in \(0, inf\], got 0"),
    (lambda: box(0), ValueError, r"n must be >= 1, got 0"),
    (lambda: gradient_magnitude(np.ones((4, 4)), "canny"), ValueError, r"kind must be one of"),
    (lambda: gradient_magnitude(np.ones((1, 4, 4))), ValueError, r"image must be 2-D"),
    (lambda: sample_image(step=0), ValueError, r"step must be >= 1, got 0"),
])
def test_filters_bad_input_names_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()
