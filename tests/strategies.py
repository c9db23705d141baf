"""Hypothesis strategies shared by several test modules."""

from hypothesis import strategies as st


@st.composite
def conv_geometry(draw, max_size=7):
    """A kernel size, stride, padding and dilation, and an input size (H, W) that the
    dilated kernel fits once padded: ``(kh, kw), dict(stride, padding, dilation), (H, W)``."""
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    H = draw(st.integers(max(1, d[0] * (kh - 1) + 1 - 2 * p[0]), max_size))
    W = draw(st.integers(max(1, d[1] * (kw - 1) + 1 - 2 * p[1]), max_size))
    return (kh, kw), dict(stride=s, padding=p, dilation=d), (H, W)
