"""The explorers' own layout, letters and defaults: what issue 14 asked of each one.

* every figure fits JupyterLab at 1366×768 with the file browser open (934 px of
  output width, about 620 px of height for controls and figure together), shown
  at its own size, with no text under 8 pt (11 px) and none cut off at an edge;
* the explorers shown in several lectures take each lecture's letters
  (``notation=``) and give the same numbers whatever the letters;
* the norm-axes legend names every group, and its colours are far apart;
* the optimiser's surfaces each have a stable default λ, applied on switching;
* the training explorer's progress bar always describes the setting shown;
* the 3×3 kernel editor (:class:`lecturekit.explore._controls.KernelGrid`).
"""

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.text import Text

from lecturekit import filters
from lecturekit.conv import correlate2d
from lecturekit.explore import (
    EXPLORERS,
    BatchNormNoiseExplorer,
    ConvArithmeticExplorer,
    DropoutExplorer,
    FiltersExplorer,
    NormAxesExplorer,
    OptimizerExplorer,
    TrainingExplorer,
)
from lecturekit.explore._controls import KernelGrid
from lecturekit.explore.norm import _PALE, _STRONG
from lecturekit.explore.optim import COLORS, SURFACES

from . import helper
from .strategies import new_explorer, shared_explorer

# Measured in JupyterLab 4 (headless Chromium, 1366×768, file browser open): the output
# area is 934 px wide and the notebook panel 647 px tall; a row of controls (label line
# and input) takes 56 px, the kernel editor's row 126 px, the training explorer's Train
# button and progress bar 32 px. Controls and figure must fit in FIT_HEIGHT.
OUTPUT_WIDTH, FIT_HEIGHT = 934, 620
ROW, KERNEL_ROW, TRAIN_ROW, PER_ROW = 56, 126, 32, 3
MIN_POINTS = 8.0  # 11 px at 100 dpi

VARIANTS = [(cls, {}) for cls in EXPLORERS] + [
    (BatchNormNoiseExplorer, {"notation": n}) for n in ("l3", "l4", "l051023", "l14")] + [
    (DropoutExplorer, {"notation": "l051023"}), (ConvArithmeticExplorer, {"notation": "l3"}),
    (NormAxesExplorer, {"notation": "l051023"}), (NormAxesExplorer, {"notation": "l14"})]


def _id(variant):
    cls, kw = variant
    return cls.__name__ + "".join(f"-{v}" for v in kw.values())


def controls_height(cls):
    """The height of an explorer's controls at 1366×768: rows of three, as measured."""
    specs = list(cls.controls.values())
    rows = [specs[i:i + PER_ROW] for i in range(0, len(specs), PER_ROW)]
    height = sum(KERNEL_ROW if any(isinstance(s, KernelGrid) for s in row) else ROW
                 for row in rows)
    return height + (TRAIN_ROW if cls is TrainingExplorer else 0)


def _size_px(explorer):
    """The figure's size on screen, in CSS pixels (whatever the render scale)."""
    scale = getattr(explorer, "scale", 1)
    return (round(explorer.fig.bbox.width / scale), round(explorer.fig.bbox.height / scale))


def _drawn_texts(explorer):
    """Every text the last frame drew: figure and axes texts, legends, the visible tick labels.

    The texts :func:`_drawn_texts_reference` finds, found in one walk of the figure's artists
    that does not go into an invisible axes or into the ticks of an axes' x and y axis (their
    labels: only those of the ticks inside the view, as a draw lays them out). Without
    ``findobj`` (a list per artist, and every axis's tick locators run twice more), it costs a
    fifth as much; the legibility test checks that the two agree.
    """
    fig = explorer.fig
    tick_axes = {id(axis) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)}
    hidden = {id(ax) for ax in fig.axes if not ax.get_visible()}
    texts, stack = [], [fig]
    while stack:
        artist = stack.pop()
        if id(artist) in hidden:
            continue
        if isinstance(artist, Text):
            texts.append(artist)
        if id(artist) in tick_axes:  # an Axis's children are these two texts and its ticks
            stack += [artist.label, artist.offsetText]
        else:
            stack += artist.get_children()
    return _with_tick_labels_shown(fig, texts)


def _drawn_texts_reference(explorer):
    """:func:`_drawn_texts` as first written: every Text of the figure but the tick labels
    and an invisible axes' texts, then the labels of the ticks inside the view."""
    fig = explorer.fig
    ticks = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            ticks |= {id(t.label1) for t in axis.get_major_ticks() + axis.get_minor_ticks()}
            ticks |= {id(t.label2) for t in axis.get_major_ticks() + axis.get_minor_ticks()}
    # An invisible axes draws none of its texts; its axis labels have no .axes to say so.
    hidden = {id(t) for ax in fig.axes if not ax.get_visible() for t in ax.findobj(Text)}
    texts = [t for t in fig.findobj(Text) if id(t) not in ticks | hidden]
    return _with_tick_labels_shown(fig, texts)


def _with_tick_labels_shown(fig, texts):
    """``texts`` and the visible labels of the ticks inside each visible axes' view (the ones a
    draw puts on screen), keeping only those that draw something."""
    texts = list(texts)
    for ax in fig.axes:
        if ax.get_visible() and ax.axison:
            for axis in (ax.xaxis, ax.yaxis):
                texts += [label for tick in axis._update_ticks()
                          for label in (tick.label1, tick.label2) if label.get_visible()]
    return [t for t in texts if t.get_text() and t.get_visible()
            and (t.axes is None or t.axes.get_visible())]


def _states(cls, n_random=6):
    """The defaults, each control's ends, and a few random settings."""
    rng = np.random.default_rng(5)
    states = [{}]
    for name, spec in cls.controls.items():
        values = spec.sweep_values(interior=0)
        states += [{name: values[0]}, {name: values[-1]}]
    states += [{n: s.sample(rng) for n, s in cls.controls.items()} for _ in range(n_random)]
    return states


@pytest.fixture(params=VARIANTS, ids=_id)
def variant(request):
    """``(cls, kwargs, explorer)``: the shared ``cls(**kwargs)`` at its defaults."""
    cls, kw = request.param
    return cls, kw, shared_explorer(cls, **kw)


def test_explorer_fits_1366x768_at_its_own_size(variant):
    cls, kw, explorer = variant
    width, height = _size_px(explorer)
    assert width <= OUTPUT_WIDTH - 4, f"{cls.__name__}: {width:.0f} px wide"
    assert height + controls_height(cls) <= FIT_HEIGHT, (
        f"{cls.__name__}: figure {height:.0f} px + controls {controls_height(cls)} px")


def check_legible(explorer):
    """In the defaults, each control's ends and a few random settings: no text under
    MIN_POINTS, none cut off at the figure's edge."""
    cls = type(explorer)
    renderer = explorer.fig.canvas.get_renderer()
    width, height = explorer.fig.bbox.width, explorer.fig.bbox.height
    states = _states(cls)
    for i, params in enumerate(states):
        explorer.update(**params)
        assert explorer.png  # drawn: some texts are placed by the draw (a title over its axes)
        texts = _drawn_texts(explorer)
        if i in (0, len(states) - 1):  # the fast walk finds what the readable selection does
            assert sorted(map(id, texts)) == sorted(map(id, _drawn_texts_reference(explorer)))
        for text in texts:
            label = f"{cls.__name__} {explorer.params}: {text.get_text()[:40]!r}"
            assert text.get_fontsize() >= MIN_POINTS, label
            box = text.get_window_extent(renderer)
            assert box.x0 >= -1 and box.y0 >= -1, label
            assert box.x1 <= width + 1 and box.y1 <= height + 1, label


def helper_legible(name):
    """check_legible on the process's explorer of the variant ``_id`` calls ``name`` (the
    helper's job, tests/helper.py)."""
    cls, kw = next(v for v in VARIANTS if _id(v) == name)
    check_legible(shared_explorer(cls, **kw))


@helper.helper_check("legible")
@pytest.mark.parametrize("case", VARIANTS, ids=_id)
def test_figure_text_is_legible_and_never_cut_off(case):
    # check_legible, run by the helper process on the other core (tests/helper.py); here if
    # no helper ran it (an xdist worker)
    helper.outcome_or_run("legible", _id(case), lambda: helper_legible(_id(case)))


def test_explorers_keep_their_number_of_texts_and_artists_across_notations():
    # The letters change what a text says, never which artists exist.
    for cls in (BatchNormNoiseExplorer, NormAxesExplorer, DropoutExplorer,
                ConvArithmeticExplorer):
        # new explorers: a used one may hold more tick labels (made as its ranges grew)
        counts = {len(new_explorer(cls, notation=n).fig.findobj(Text)) for n in cls.notations}
        assert len(counts) == 1, cls.__name__


# ------------------------------------------------------------------------ letters


def _numbers(result):
    """A result without its words: what must not depend on the notation."""
    return {k: v for k, v in result.items() if not isinstance(v, str)}


def _same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return np.array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("cls", [BatchNormNoiseExplorer, NormAxesExplorer, DropoutExplorer,
                                 ConvArithmeticExplorer], ids=lambda c: c.__name__)
def test_every_notation_gives_the_same_numbers(cls):
    rng = np.random.default_rng(0)
    settings = [{n: s.sample(rng) for n, s in cls.controls.items()} for _ in range(4)]
    default = shared_explorer(cls)
    for notation in cls.notations:
        other = shared_explorer(cls, notation=notation)
        for p in settings:
            assert _same(_numbers(other.peek(**p)), _numbers(default.peek(**p))), (notation, p)


def test_unknown_notation_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"DropoutExplorer\(notation='l3'\).*'mlp'.*'l051023'"):
        DropoutExplorer(notation="l3")
    with pytest.raises(ValueError, match=r"ConvArithmeticExplorer\(notation='mlp'\)"):
        ConvArithmeticExplorer(notation="mlp")


def test_batch_norm_noise_labels_use_each_lectures_letters():
    expected = {"mlp": ("$m_j$", "N_batch"), "l3": (r"$\mu_j$", "N_batch"),
                "l4": (r"$\mu$", "batch size m"), "l051023": (r"$\mu_k$", "batch size n"),
                "l14": (r"$\bar x$", "batch size m")}
    for notation, (mean, size) in expected.items():
        e = shared_explorer(BatchNormNoiseExplorer, notation=notation)
        assert e.ax_m.get_xlabel() == f"batch mean {mean}"
        assert size in e.controls["batch"].description
        # the class's own controls keep the MLP lecture's label (the generic tests sweep them)
    assert BatchNormNoiseExplorer.controls["batch"].description == "batch size N_batch"
    # Lecture 4's σ is the variance itself: its histogram is of σ, not σ².
    l4 = shared_explorer(BatchNormNoiseExplorer, notation="l4")
    assert l4.ax_v.get_xlabel() == r"batch variance $\sigma$"


def test_dropout_takes_the_05_10_23_keep_probability_and_no_mlp_erratum():
    e = shared_explorer(DropoutExplorer, notation="l051023", p=0.8, mode="classic")
    assert e.params["p_means"] == "keep"  # the lecture's p(r_i = 1) = p
    assert "erratum" not in e.rule.get_text()
    assert "r_i x_i" in e.rule.get_text() and "p\\,x_i" in e.rule.get_text()
    assert "keep probability" in e.probs.get_text() and "inputs" in e.kept.get_text()
    mlp = shared_explorer(DropoutExplorer, p=0.3, mode="classic")
    assert mlp.params["p_means"] == "drop" and "erratum" in mlp.rule.get_text()
    # Same slider meaning, same numbers: keep 0.8 in 05/10/23 is drop 0.2 in the MLP lecture.
    a, b = e.peek(), mlp.peek(p_means="keep", p=0.8)
    assert _same(_numbers(a), _numbers(b))


def test_norm_axes_quotes_each_lecture_and_names_its_letters():
    assert "Batch Norm: for each C average B×H×W" in shared_explorer(NormAxesExplorer).note.get_text()
    e = shared_explorer(NormAxesExplorer, notation="l051023", kind="batch")
    assert "channel wise" in e.note.get_text() and "μ and σ²" in e.title.get_text()
    assert e.controls["channel"].description == "channel k"
    e = shared_explorer(NormAxesExplorer, notation="l14", kind="layer")
    assert "same layer of the same example" in e.note.get_text()
    assert "x̄ and σ" in e.title.get_text()


def test_conv_arithmetic_captions_the_setting_in_lecture_3s_words():
    e = shared_explorer(ConvArithmeticExplorer, notation="l3", size=5, kernel=3)
    captions = {(0, 1, 1, False): "No padding, no strides", (1, 1, 1, False): "Padding 1, no strides",
                (0, 2, 1, False): "No padding, stride = 2",
                (0, 1, 2, False): "No padding, no stride, dilation = 2",
                (0, 2, 1, True): "Transposed convolution stride = 2"}
    for (p, s, d, t), caption in captions.items():  # the captions of Lecture 3's pictures
        e.update(padding=p, stride=s, dilation=d, transposed=t)
        assert e.caption.get_text() == f"Lecture 3: “{caption}”"
    assert shared_explorer(ConvArithmeticExplorer).caption.get_text() == ""


# ------------------------------------------------------------------------ norm axes


def _lab(color):
    """CIE L*a*b* (D65) of an sRGB colour."""
    rgb = np.array(to_rgb(color))
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ lin / np.array([0.9505, 1.0, 1.089])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _delta_e(a, b):
    return float(np.linalg.norm(_lab(a) - _lab(b)))


def _hue_gap(a, b):
    """The angle between two colours' hues in the a*b* plane, in degrees."""
    (_, a1, b1), (_, a2, b2) = _lab(a), _lab(b)
    gap = abs(np.degrees(np.arctan2(b1, a1) - np.arctan2(b2, a2))) % 360
    return min(gap, 360 - gap)


def _apart_from_the_orange(color):
    """Grey (no hue), or a hue far from the chosen group's orange."""
    _, a, b = _lab(color)
    return np.hypot(a, b) < 5 or _hue_gap(color, _STRONG[:3]) > 60


def test_norm_axes_colours_are_far_from_the_chosen_orange_and_from_each_other():
    # The old palette's peach (#fdd0a2, 22° from the orange's hue) and salmon (#fcbba1, the
    # same hue) read as a paler part of the chosen group: lighter, but the same colour.
    assert not _apart_from_the_orange("#fdd0a2") and not _apart_from_the_orange("#fcbba1")
    for pale in _PALE:
        assert _apart_from_the_orange(pale[:3]), pale
    for i, a in enumerate(_PALE):
        for b in _PALE[i + 1:]:
            assert _delta_e(a[:3], b[:3]) > 15


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
@pytest.mark.parametrize("kind", ["batch", "layer", "instance"])
def test_norm_axes_legend_names_every_group_and_faces_of_a_group_share_a_colour(kind, layout):
    e = shared_explorer(NormAxesExplorer, kind=kind, layout=layout, sample=1, channel=2)
    r = e.result
    faces = e.cells.get_facecolor()
    groups = r["group"][tuple(e.elems.T)]
    # one colour per group within a sample's block, and different groups, different colours
    for n in range(r["shape"][0]):
        here = e.elems[:, 0] == n
        by_group = {g: {tuple(c) for c in faces[here & (groups == g)]} for g in set(groups[here])}
        assert all(len(colours) == 1 for colours in by_group.values())
        assert len({next(iter(c)) for c in by_group.values()}) == len(by_group)
    labels = [t.get_text() for t in e.swatch_labels if t.get_text()]
    word = e.legend_title.get_text()
    if kind == "layer":
        assert word == "sample:" and labels == ["n = 0", "n = 1 (chosen)", "n = 2"]
    elif kind == "batch":
        assert word == "channel:" and labels == ["c = 0", "c = 1", "c = 2 (chosen)", "c = 3"]
    else:  # one group per sample and channel: the channel's colour, and the chosen one
        assert labels == ["c = 0", "c = 1", "c = 2", "c = 3", "chosen: n = 1, c = 2"]
    chosen = [p for p in e.swatches if p.get_visible() and
              np.allclose(p.get_facecolor(), _STRONG)]
    assert len(chosen) == 1


# ------------------------------------------------------------------------ optimiser


def _hessian_max_eig(func, w, h=1e-5):
    w = np.asarray(w, dtype=float)
    H = np.array([(func(w + h * e)[1] - func(w - h * e)[1]) / (2 * h) for e in np.eye(2)])
    return float(np.linalg.eigvalsh((H + H.T) / 2).max())


def test_each_surfaces_default_lr_is_on_the_slider_and_stable_at_its_minima():
    grid = OptimizerExplorer.controls["lr"]._grid()
    for name, s in SURFACES.items():
        assert s.lr in grid, name
        for minimum in s.minima:  # gradient descent is stable where lr < 2 / lambda_max
            assert s.lr < 2 / _hessian_max_eig(s.func, minimum), (name, minimum)


@pytest.mark.parametrize("surface", list(SURFACES))
def test_the_default_comparison_converges_on_every_surface_at_its_lr(surface):
    e = shared_explorer(OptimizerExplorer, surface=surface)
    assert e.params["lr"] == SURFACES[surface].lr
    start = float(SURFACES[surface].func(np.array(SURFACES[surface].start))[0])
    for steps in (50, 100):
        r = e.peek(steps=steps)  # GD vs momentum
        assert all(d is None for d in r["diverged"].values()), r["summary"]
        assert all(f < start / 4 for f in r["final"].values()), r["summary"]
    # Every method stays in the picture at the surface's default, except Nesterov on the
    # quadratic: at γ = 0.5 it is stable only for λ < 2(1 + γ)/((1 + 2γ) 20) = 0.075, and
    # notebook 03 shows it diverge at 0.089.
    r = e.peek(compare="all five", steps=100)
    diverged = {m for m, d in r["diverged"].items() if d is not None}
    assert diverged == ({"Nesterov"} if surface == "quadratic" else set()), r["summary"]


def test_switching_surface_applies_its_lr_unless_lr_is_given():
    e = shared_explorer(OptimizerExplorer)
    assert e.params["lr"] == SURFACES["quadratic"].lr
    assert e.peek(surface="rosenbrock")["settings"][0] == "λ = 0.002"
    e.update(surface="rosenbrock")
    assert e.params["lr"] == SURFACES["rosenbrock"].lr
    e.update(lr=0.001)  # the same surface: λ stays where it was put
    assert e.params["lr"] == 0.001
    e.update(surface="himmelblau", lr=0.02)  # an explicit λ wins
    assert e.params["lr"] == 0.02
    box = e.widget
    assert box is not None
    e.inputs["surface"].value = "quadratic"  # the toggle buttons, as a click does
    assert e.params["lr"] == SURFACES["quadratic"].lr
    assert e.inputs["lr"].value == pytest.approx(SURFACES["quadratic"].lr)


def test_notebook_03s_printed_numbers_are_unchanged():
    # notebooks/src/03-lecture-4.md passes lr= explicitly to every peek, and quotes these.
    e = shared_explorer(OptimizerExplorer)
    quad = dict(surface="quadratic", compare="GD vs momentum", lr=0.0891251, gamma=0.5,
                gamma_ramp=False, ramp=50, beta1=0.9, beta2=0.999, batch=8, steps=50)
    r = e.peek(**quad)
    assert f"{r['final']['GD']:.3g}" == "0.000894" and f"{r['final']['momentum']:.3g}" == "4.54e-14"
    r = e.peek(**{**quad, "compare": "all five", "surface": "rosenbrock", "lr": 0.00112202,
                  "gamma": 0.9, "steps": 100})
    quoted = {"GD": "3.76", "SGD": "3.85", "momentum": "0.0982", "Nesterov": "0.184",
              "Adam": "6.36"}
    assert {m: f"{f:.3g}" for m, f in r["final"].items()} == quoted


def test_sgd_stands_out_from_the_grey_contours():
    r, g, b = to_rgb(COLORS["SGD"])
    assert max(r, g, b) - min(r, g, b) > 0.3  # saturated, not a grey
    assert min(_delta_e(COLORS["SGD"], c) for m, c in COLORS.items() if m != "SGD") > 30


# ------------------------------------------------------------------------ training


def test_training_progress_always_describes_the_setting_shown():
    e = TrainingExplorer(optimizer="sgd", lr=0.1, schedule="constant", epochs=2, batch_size=128,
                         seed=11)
    box = e.widget
    assert box is not None
    bar = e.progress
    assert (bar.description, bar.value, bar.max) == ("epoch 0/2", 0, 2)
    e.train()
    assert (bar.description, bar.value, bar.max, bar.bar_style) == ("epoch 2/2", 2, 2, "success")
    e.inputs["epochs"].value = 10  # an untrained setting: cleared, not "epoch 2/2"
    assert (bar.description, bar.value, bar.max, bar.bar_style) == ("epoch 0/10", 0, 10, "")
    e.update(epochs=2)  # back to the trained one
    assert (bar.description, bar.value, bar.max) == ("epoch 2/2", 2, 2)
    # wide enough for "epoch 10/10": the default description width cut it to "epoch 10/…"
    assert int(bar.style.description_width.rstrip("px")) >= 90


def test_training_default_setting_is_lecture_4s_momentum_and_bn_reaches_96_percent():
    # The notebook trains it during Run All so that the saved picture is a real run.
    defaults = {n: s.initial for n, s in TrainingExplorer.controls.items()}
    assert defaults == dict(optimizer="momentum", lr=0.05, schedule="constant", epochs=4,
                            batch_size=32, seed=0, batch_norm=False, keep_prob=1.0,
                            weight_decay=0.0)
    e = TrainingExplorer()
    r = e.train()
    assert r["trained"] and r["test_accuracy"][-1] > 0.93
    assert "not trained" not in e.status.get_text()
    assert TrainingExplorer().result["trained"]  # shown again at once by a new explorer
    assert e.update(batch_norm=True) and e.train()["test_accuracy"][-1] > 0.96


# ------------------------------------------------------------------------ kernel editor

PRESETS = (("identity", filters.identity()), ("sobel_x", filters.sobel_x()),
           ("box", filters.box()))


def test_kernel_grid_validates_to_a_3x3_tuple_of_floats():
    g = KernelGrid(PRESETS, description="kernel K")
    assert g.initial == tuple(map(tuple, filters.identity()))
    value = g.validate("kernel", np.arange(9).reshape(3, 3) - 4)
    assert value == ((-4.0, -3.0, -2.0), (-1.0, 0.0, 1.0), (2.0, 3.0, 4.0))
    assert all(type(v) is float for row in value for v in row)
    assert g.validate("kernel", [[0, 0, 0], [0, np.float32(0.5), 0], [0, 0, 0]])[1][1] == 0.5
    with pytest.raises(ValueError, match=r"'kernel K' \(kernel\).*rows of lengths \[2, 2\]"):
        g.validate("kernel", [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match=r"got 9 in row 2, column 1"):
        g.validate("kernel", [[0] * 3, [0] * 3, [0, 9, 0]])
    with pytest.raises(ValueError, match=r"got nan"):
        g.validate("kernel", np.full((3, 3), np.nan))
    for bad in ("abc", 3.0, [[0, 0, "x"]] * 3, [[True] * 3] * 3, None):
        with pytest.raises(TypeError, match="'kernel K' \\(kernel\\) must be a 3×3 kernel"):
            g.validate("kernel", bad)


def test_kernel_grid_sweeps_and_samples_valid_kernels():
    g = KernelGrid(PRESETS)
    values = g.sweep_values(interior=2)
    assert values[0] == ((-8.0,) * 3,) * 3 and values[-1] == ((8.0,) * 3,) * 3
    assert len(values) == 4 and values[1:3] == [tuple(map(tuple, PRESETS[i][1])) for i in (0, 2)]
    rng = np.random.default_rng(0)
    for _ in range(20):
        k = g.sample(rng)
        assert g.validate("kernel", k) == k
    assert g.preset_of(filters.box()) == "box" and g.preset_of(np.zeros((3, 3))) is None


def test_kernel_editor_widget_presets_typing_and_disabling():
    g = KernelGrid(PRESETS, help="the kernel")
    editor = g.make_widget("kernel", g.initial)
    seen = []
    editor.observe(lambda change: seen.append(change["new"]), names="value")
    assert [c.value for c in editor.cells] == [0, 0, 0, 0, 1, 0, 0, 0, 0]
    assert editor.preset.value == "identity"
    editor.preset.value = "sobel_x"  # one change of value, all nine inputs typed
    assert seen == [tuple(map(tuple, filters.sobel_x()))]
    assert [c.value for c in editor.cells] == filters.sobel_x().ravel().tolist()
    editor.cells[4].value = 2.5  # typing one number
    assert seen[-1][1] == (-2.0, 2.5, 2.0) and editor.preset.value == "custom"
    editor.value = tuple(map(tuple, filters.box()))  # set from outside: the list follows
    assert editor.preset.value == "box"
    editor.disabled = True
    assert all(c.disabled for c in editor.cells) and editor.preset.disabled
    editor.tooltip = "inactive: pick 'custom'"
    assert editor.cells[0].tooltip == "inactive: pick 'custom'"
    assert "tooltip" not in editor.keys  # a box's own tooltip breaks its view in the browser
    assert g.validate("kernel", editor.value) == editor.value  # round-trips


def test_filters_explorer_applies_the_typed_kernel():
    k = filters.sobel_x()[::-1, ::-1]  # rotated by 180°: custom is the convolution with Sobel x
    e = shared_explorer(FiltersExplorer, filter="custom", kernel=k)
    assert e.params["kernel"] == tuple(map(tuple, k))
    r = e.result
    image = filters.sample_image(step=4)
    np.testing.assert_array_equal(r["output"], correlate2d(image, k, "same"))
    np.testing.assert_array_equal(r["output"], -e.peek(filter="sobel_x")["output"])
    names = [n for n, _ in FiltersExplorer.controls["kernel"].presets]
    assert names[:2] == ["identity", "box"] and {"sobel_x", "sobel_y", "laplacian",
                                                   "sharpen"} <= set(names)
    for name, kernel in FiltersExplorer.controls["kernel"].presets:
        if name != "gaussian":
            assert kernel == tuple(map(tuple, getattr(filters, name)()))
    box = e.widget
    assert box is not None
    editor = e.inputs["kernel"]
    before = e.png
    editor.preset.value = "laplacian"
    assert e.params["kernel"] == tuple(map(tuple, filters.laplacian())) and e.png != before
    with pytest.raises(ValueError, match=r"3×3 kernel"):
        e.update(kernel=np.ones((5, 5)))
    assert e.params["kernel"] == tuple(map(tuple, filters.laplacian()))


def test_the_grid_of_a_layout_row_is_narrower_than_a_control_box():
    from lecturekit.explore._controls import CONTROL_WIDTH, KERNEL_CELL

    # three inputs, their margins, the gaps, and the preset list beside them
    assert 3 * (KERNEL_CELL + 6) + 2 * 2 + 6 + 100 <= CONTROL_WIDTH


@pytest.mark.parametrize("call, name", [
    (lambda: __import__("lecturekit.explore.init", fromlist=["x"]).layer_widths(64.5, 1, 30), "width"),
    (lambda: __import__("lecturekit.explore.init", fromlist=["x"]).layer_widths(64, 0, 30), "taper"),
    (lambda: __import__("lecturekit.explore.init", fromlist=["x"]).layer_widths(64, 1, 0), "depth"),
    (lambda: __import__("lecturekit.explore.training", fromlist=["x"]).steps_per_epoch(0), "batch_size"),
    (lambda: __import__("lecturekit.explore.training", fromlist=["x"]).filter_mosaic(np.zeros((2, 2))),
     "w"),
    (lambda: __import__("lecturekit.explore.training", fromlist=["x"]).filter_mosaic(
        np.zeros((3, 2, 5, 5))), "w"),
])
def test_the_explorers_public_helpers_refuse_bad_input_by_name(call, name):
    # issue 15: the helpers the notebooks use (layer_widths) or the tests (filter_mosaic) are
    # checked like the rest of the API; the others are private (_train_lenet, _Surface)
    with pytest.raises((ValueError, TypeError), match=name):
        call()


def test_layer_widths_are_a_geometric_taper_ending_at_the_widest():
    from lecturekit.explore.init import layer_widths

    w = layer_widths(64, 0.125, 3)  # 64 * 0.125 ** (l / 3): 64, 32, 16, 8
    np.testing.assert_array_equal(w, [64, 32, 16, 8])
    np.testing.assert_array_equal(layer_widths(64, 8, 3), [8, 16, 32, 64])


# ------------------------------------------------------------------ the renderer (issue 16)


def _rgba_frames():
    """RGBA buffers to encode: random pixels and alpha, flat areas, one row, one column."""
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
              for h, w in ((1, 1), (1, 7), (9, 1), (13, 17), (64, 3))]
    flat = np.full((40, 50, 4), 255, np.uint8)
    flat[10:20, 5:45] = (200, 30, 30, 255)  # a block, as an explorer's frame has
    frames.append(flat)
    frames.append(np.ascontiguousarray(rng.integers(0, 256, (30, 20, 4), dtype=np.uint8)[:, ::-1]))
    return frames


@pytest.mark.parametrize("index", range(7))
def test_png_encoder_decodes_to_what_pils_encoder_does(index):
    import io

    import PIL.Image

    from lecturekit.explore._render import encode_png

    rgba = _rgba_frames()[index]
    ours = encode_png(rgba)
    image = PIL.Image.frombuffer("RGBA", rgba.shape[1::-1], np.ascontiguousarray(rgba),
                                 "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="png")
    decoded, reference = (PIL.Image.open(io.BytesIO(png)) for png in (ours, buf.getvalue()))
    decoded.load()  # a valid PNG: PIL checks the chunks' CRCs and the zlib stream
    assert decoded.format == "PNG" and decoded.mode == "RGB"
    assert decoded.size == (rgba.shape[1], rgba.shape[0])
    assert np.array_equal(np.asarray(decoded), np.asarray(reference))
    assert np.array_equal(np.asarray(decoded), rgba[..., :3])  # alpha dropped, as PIL does


def test_an_explorers_png_is_its_frame_encoded_losslessly():
    import io

    import PIL.Image

    e = shared_explorer(DropoutExplorer)
    pixels = np.asarray(PIL.Image.open(io.BytesIO(e.png)))
    assert np.array_equal(pixels, e._frames.draw()[..., :3])


def test_texts_of_the_same_content_drawn_once_give_the_pixels_of_each_drawn_alone():
    # The renderer draws a text's content once and moves its pixels to every text of the
    # same content (an even number of pixels away, same sub-pixel place). A text clipped to
    # the whole figure is drawn for its own place (its clip could cut it), with the same
    # pixels: the reference.
    from matplotlib.figure import Figure

    from lecturekit.explore._render import FrameRenderer

    def frame(clipped):
        fig = Figure(figsize=(3, 2), dpi=100)
        frames = FrameRenderer(fig)
        rng = np.random.default_rng(5)
        texts = [fig.text(x, y, label, ha=ha, va=va, fontsize=9, color=color)
                 for x, y, label, ha, va, color in zip(
                     rng.uniform(-0.05, 1.0, 60), rng.uniform(-0.05, 1.0, 60),
                     rng.choice(["0", "1.5", "x", "$\\alpha$", "0\n1"], 60),
                     rng.choice(["left", "center", "right"], 60),
                     rng.choice(["top", "center", "baseline"], 60),
                     rng.choice(["black", "0.6", "tab:red"], 60), strict=True)]
        texts += [fig.text(0.5 + k / 300, 0.5, "7") for k in range(-6, 7)]  # whole and half px
        if clipped:
            for t in texts:
                t.set_clip_box(fig.bbox)
        frames.animate_built_artists()
        first = frames.draw().copy()
        for t in texts[::3]:  # move some by whole pixels and redraw
            t.set_position(np.add(t.get_position(), (4 / 300, -2 / 200)))
        return first, frames.draw().copy()

    shared, alone = frame(clipped=False), frame(clipped=True)
    for a, b in zip(shared, alone, strict=True):
        assert (a[..., :3] != 255).any()  # texts were drawn
        assert np.array_equal(a, b)


def test_update_runs_on_one_blas_thread_in_a_process_without_the_setting():
    # The tests set OPENBLAS_NUM_THREADS=1; a kernel JupyterLab starts does not: update()
    # limits BLAS itself (lecturekit._threads.small_work).
    import os
    import subprocess
    import sys

    pytest.importorskip("threadpoolctl")
    code = (
        "from threadpoolctl import threadpool_info\n"
        "from lecturekit.explore import DropoutExplorer\n"
        "seen = []\n"
        "class Probe(DropoutExplorer):\n"
        "    def compute(self, **p):\n"
        "        seen.append(max([i['num_threads'] for i in threadpool_info()\n"
        "                         if i['user_api'] == 'blas'] or [1]))\n"
        "        return super().compute(**p)\n"
        "e = Probe(); e.update(seed=3)\n"
        "print(max(seen))\n"
    )
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env["LECTUREKIT_BLAS_THREADS"] = "1"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "1"
