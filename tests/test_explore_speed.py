"""The explorers' fast redraw (issue 16) against the readable paths it replaced: the same pixels.

Each shortcut keeps its reference next to it: PNG bytes from ``encode_png`` (one zlib
stream) against ``_FrameEncoder`` (only changed bands compressed again); matplotlib's
own ``RendererAgg`` text drawing against ``_GlyphCachingRenderer`` (glyph bitmaps,
layouts and metrics remembered, only the glyphs' box scanned); the texts blended one
by one (``_composite_text``) against all at once (``_composite_texts``).
"""

from __future__ import annotations

import contextlib
import io
import zlib
from unittest import mock

import numpy as np
import PIL.Image
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.text import Text

from benchmarks.bench_explore import _walk
from lecturekit.explore import EXPLORERS, RNNGradientExplorer, _render

from . import helper
from .strategies import new_explorer, shared_explorer

FEW = settings(max_examples=40, deadline=None)


def decoded(png):
    """The PNG's pixels; PIL checks its chunks' CRCs and its zlib stream (adler32) as it reads."""
    image = PIL.Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG" and image.mode == "RGB"
    return np.asarray(image)


# ------------------------------------------------------------------ the PNG encoder

@st.composite
def frame_sequences(draw):
    """Frames of one size, each the last with a few random blocks painted over it."""
    h, w = draw(st.integers(1, 3 * _render.BAND_ROWS + 5)), draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    frame = np.full((h, w, 4), 255, np.uint8)
    frames = [frame.copy()]
    for _ in range(draw(st.integers(1, 5))):
        for _ in range(draw(st.integers(0, 3))):
            r, c = rng.integers(h), rng.integers(w)
            frame[r:r + rng.integers(1, 8), c:c + rng.integers(1, 8)] = rng.integers(
                0, 256, 4, dtype=np.uint8)
        frames.append(frame.copy())
    return frames


@FEW
@given(frames=frame_sequences())
def test_frame_encoder_gives_the_pixels_of_encode_png_and_the_bytes_of_a_fresh_encoder(frames):
    encoder = _render._FrameEncoder()
    for frame in frames:
        png = encoder.encode(frame)
        reference = decoded(_render.encode_png(frame))
        assert np.array_equal(decoded(png), reference)
        assert np.array_equal(reference, frame[..., :3])
        # the bytes depend on the pixels alone, not on the frames before them
        assert png == _render._FrameEncoder().encode(frame)


def test_frame_encoder_compresses_only_the_bands_that_changed():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (5 * _render.BAND_ROWS, 30, 4), dtype=np.uint8)
    encoder = _render._FrameEncoder()
    encoder.encode(frame)
    before = list(encoder._bands)
    frame[2 * _render.BAND_ROWS + 3, 7] += 1  # one pixel, inside the third band
    with mock.patch.object(_render, "_deflated", wraps=_render._deflated) as deflated:
        png = encoder.encode(frame)
    assert deflated.call_count == 1
    assert [a is b for a, b in zip(before, encoder._bands, strict=True)] == [
        True, True, False, True, True]
    assert np.array_equal(decoded(png), frame[..., :3])
    frame[3 * _render.BAND_ROWS - 1, 0] += 1  # the last row of a band: the next band's filter too
    with mock.patch.object(_render, "_deflated", wraps=_render._deflated) as deflated:
        png = encoder.encode(frame)
    assert deflated.call_count == 2
    assert np.array_equal(decoded(png), frame[..., :3])


def test_adler32_combines_as_zlibs():
    rng = np.random.default_rng(1)
    for a_len, b_len in ((0, 0), (0, 5), (7, 0), (1, 70000), (100000, 3), (65521, 65521)):
        a, b = rng.bytes(a_len), rng.bytes(b_len)
        assert _render._adler32_combine(zlib.adler32(a), zlib.adler32(b), b_len) == zlib.adler32(a + b)


# ------------------------------------------------------------------ whole explorers

@contextlib.contextmanager
def reference_path():
    """Frames drawn the readable way: matplotlib's own text renderer (every layout and metric
    computed, every glyph rendered, the whole layer scanned), texts blended one by one, every
    image resampled on every frame (for explorers made inside), PNG bytes from
    ``encode_png``."""
    def composite_one_by_one(self, texts, pixels):
        for text in texts:
            self._composite_text(text, pixels)

    with mock.patch.object(_render, "_glyph_renderer", lambda: RendererAgg), \
            mock.patch.object(_render, "CACHE_IMAGES", False), \
            mock.patch.object(_render.FrameRenderer, "_composite_texts", composite_one_by_one), \
            mock.patch.object(_render.FrameRenderer, "png",
                              lambda self: _render.encode_png(self.draw())):
        yield


def helper_reference_path(name):
    """Six random moves of the ``name`` explorer, each drawn by the shared explorer (used by
    other tests: its caches warm) and by one on the reference path: the same pixels; and the
    PNG is the frame's, encoded in full. The helper's job (tests/helper.py)."""
    cls = helper.explorer_class(name)
    with reference_path():
        slow = cls()
    fast = shared_explorer(cls)  # the same pictures
    assert np.array_equal(decoded(fast.png), decoded(slow.png))
    rng = np.random.default_rng(7)
    for move in _walk(cls, rng, 6):
        fast.update(**move)
        with reference_path():
            slow.update(**move)
        assert np.array_equal(decoded(fast.png), decoded(slow.png)), move
        assert fast.png == _render._FrameEncoder().encode(fast._frames.draw())


@helper.helper_check("reference_path")
@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda cls: cls.__name__)
def test_every_move_draws_the_pixels_of_the_reference_path(cls):
    # run by the helper process on the other core, after the other helper checks warmed its
    # shared explorer (tests/helper.py); here if no helper ran it (an xdist worker)
    helper.outcome_or_run("reference_path", cls.__name__, lambda: helper_reference_path(cls.__name__))


def _reference_frame(fig):
    """``fig`` drawn by a new renderer on the reference path (its texts animated too; its
    images' ``make_image`` matplotlib's own while it draws)."""
    kept = {image: vars(image).pop("make_image") for image in fig.findobj(AxesImage)
            if "make_image" in vars(image)}
    try:
        with reference_path():
            frames = _render.FrameRenderer(fig)
            frames.animate_built_artists()
            return frames.draw().copy()
    finally:
        for image, remembered in kept.items():
            image.make_image = remembered


def test_overlapping_texts_are_blended_in_their_order():
    fig = Figure(figsize=(2, 1), dpi=60)
    frames = _render.FrameRenderer(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.text(0.3, 0.4, "MMM", color="red", fontsize=14)
    ax.text(0.32, 0.42, "MMM", color="blue", alpha=0.6, fontsize=14)  # over the first
    ax.text(0.05, 0.05, "x", color="green")  # alone
    frames.animate_built_artists()
    fast = frames.draw().copy()
    assert frames._blend is None  # one by one: they overlap
    slow = _reference_frame(fig)
    assert np.array_equal(fast, slow)
    ax.texts[1].set_position((0.6, 0.6))  # apart now: one pass
    fast = frames.draw().copy()
    assert frames._blend is not None
    slow = _reference_frame(fig)
    assert np.array_equal(fast, slow)


def test_texts_cut_by_the_figures_edge_are_blended_as_one_by_one():
    fig = Figure(figsize=(2, 1), dpi=60)
    frames = _render.FrameRenderer(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.text(-0.05, 0.5, "edge", clip_on=False, fontsize=14)
    ax.text(0.9, 0.9, "corner", clip_on=False, fontsize=14)
    frames.animate_built_artists()
    fast = frames.draw().copy()
    slow = _reference_frame(fig)
    assert np.array_equal(fast, slow)
    assert (fast[..., :3] != 255).any()


# ------------------------------------------------------------------ per explorer

@pytest.mark.parametrize("zoom", [False, True])
def test_init_ticks_follow_the_zoom_as_set_yticks_placed_them(zoom):
    from lecturekit.explore import InitExplorer
    from lecturekit.explore.init import _TICKS

    new = InitExplorer(zoom=zoom)
    old = InitExplorer(zoom=zoom)
    for ax in old.axes[:2]:  # what draw() did before the locator
        ax.set_yticks(_TICKS[tuple(ax.get_ylim())])
    assert [list(ax.get_yticks()) for ax in new.axes[:2]] == [
        list(ax.get_yticks()) for ax in old.axes[:2]]
    assert np.array_equal(decoded(new.png), decoded(old.render_png()))


def test_init_zoom_back_and_forth_redraws_the_background_once_per_range():
    from lecturekit.explore import InitExplorer

    e = InitExplorer()
    e.update(zoom=True)
    with mock.patch.object(type(e.fig.canvas), "draw", autospec=True,
                           side_effect=type(e.fig.canvas).draw) as full_draw:
        for zoom in (False, True, False):
            e.update(zoom=zoom)
    assert full_draw.call_count == 0  # both ranges' backgrounds cached


def test_sgd_noise_lines_in_pieces_read_as_the_one_line_they_replace_and_sit_where_it_put_them():
    # The two lines became TextRows (only the changed numbers re-rendered): the same words, and
    # each piece starts within a pixel of where the whole line put its first character.
    from lecturekit.explore import SGDNoiseExplorer
    from lecturekit.explore.sgd_noise import N

    e = SGDNoiseExplorer()
    for params in ({}, {"batch": 89, "replace": True, "lr": 0.36}, {"omega": 3.4, "batch": 100}):
        r = e.update(**params)
        how = "with" if r["replace"] else "without"
        assert e.title.get_text() == (f"ω_k = {r['omega']:.1f}:   ĝ_k = {r['full_grad']:.3f},   "
                                      f"σ² = {r['sigma2']:.3g}")
        assert e.numbers.get_text() == (
            f"|I_k| = {r['batch']} of {N}, {how} replacement:  "
            f"Var(g_k) = {r['var']:.3g} (formula {r['predicted_var']:.3g});  "
            f"α·√Var(g_k) = {r['step_noise']:.3g}")
        for row in (e.title, e.numbers):
            assert_pieces_sit_where_the_line_put_them(row)


def assert_pieces_sit_where_the_line_put_them(row):
    """Each piece of a TextRow starts within a pixel of where the whole line, one text, put its
    first character (the difference a line in pieces makes: no kerning across pieces, each
    piece at a whole pixel)."""
    import matplotlib

    from lecturekit.explore._axes import _measurer

    font = row.texts[0].get_fontproperties()
    for i, text in enumerate(row.texts):
        prefix = "".join(t.get_text() for t in row.texts[:i])
        with matplotlib.rc_context({"text.hinting": "no_hinting"}):  # as frames are drawn
            width = _measurer(row.fig.dpi).get_text_width_height_descent(prefix, font, False)[0]
        assert abs((text.get_position()[0] - row.x) * row.fig.bbox.width - width) <= 1.0, prefix


@pytest.mark.parametrize("params", [{}, {"filter": "gaussian", "sigma": 1.4},
                                    {"filter": "gaussian", "sigma": 0.3}, {"filter": "custom"}])
def test_filters_title_in_pieces_reads_as_the_line_it_replaces(params):
    from lecturekit.explore import FiltersExplorer
    from lecturekit.explore.filters import _DESCRIPTIONS

    e = FiltersExplorer(**params)
    r = e.result
    text = _DESCRIPTIONS[r["filter"]]
    if r["filter"] == "gaussian":
        text += f" (σ = {r['sigma']:.1f})"
    assert e.title.get_text() == text
    assert_pieces_sit_where_the_line_put_them(e.title)


def test_a_remembered_image_is_made_again_whenever_what_it_shows_changes():
    fig = Figure(figsize=(2, 1), dpi=50)
    frames = _render.FrameRenderer(fig)
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    data = np.arange(12.0).reshape(3, 4)
    image = ax.imshow(data, cmap="viridis")
    frames.animate_built_artists()
    remembered = vars(image)["make_image"]
    assert isinstance(remembered, _render._RememberedImage)
    changes = [lambda: None,  # nothing: the kept result
               lambda: image.set_data(data * 2),
               lambda: image.get_array().__setitem__((0, 0), 50.0),  # in place
               lambda: image.set_clim(0, 10),
               lambda: image.set_cmap("gray"),
               lambda: image.set_cmap(image.get_cmap().with_extremes(under="red")),
               lambda: image.set_data(data - 5),  # now under the colour range: red
               lambda: image.set_interpolation("bilinear"),
               lambda: image.set_alpha(0.5),
               lambda: image.set_extent((0, 8, 0, 2)),
               lambda: ax.set_xlim(-1, 3)]
    for change in changes:
        change()
        fast = frames.draw().copy()
        assert np.array_equal(fast, _reference_frame(fig)), change


def test_texts_measured_outside_a_frame_leave_the_next_frames_as_the_reference_draws_them():
    # Matplotlib keeps a renderer's text metrics (text._get_text_metrics_with_cache) without
    # the hinting setting they were measured with. Texts measured with the canvas's renderer
    # outside a frame (user code asking for a text's extent, hinted as matplotlib's default)
    # must not lay out later frames' texts, drawn unhinted, a pixel off.
    explorer = new_explorer(RNNGradientExplorer)
    explorer._frames.sleep()  # its next frame: a new renderer, whose metrics are not cached yet
    renderer = explorer.fig.canvas.get_renderer()
    for text in explorer.fig.findobj(Text):
        text.get_window_extent(renderer)
    explorer._frames._backgrounds.clear()  # the next frame draws its background afresh
    explorer.update(input_scale=1.6)
    assert np.array_equal(decoded(explorer.png), _reference_frame(explorer.fig)[..., :3])
