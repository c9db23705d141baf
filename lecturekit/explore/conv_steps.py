r"""A convolution step by step, with numbers: the notes' own worked examples, window by window.

Lecture 4's 1-D example :math:`I = [1\,2\,3\,2\,1]`, :math:`K = [1\,0\,1]`, its
4×6 image, and Lecture 3's 5×5 image :math:`X` with the reconstructed kernel
(:func:`lecturekit.conv.lecture4_example_1d`, ``lecture4_example_2d``,
``lecture3_example_image``). Each step lays the kernel *as applied* (rotated by
180° for a true convolution, as is for the cross-correlation) on one window of
the padded input, shows the products :math:`\odot` and their sum, and fills in
one more output entry. The numbers come from :func:`lecturekit.conv_steps.conv_steps`.

Where the notes print a value for a window, it is shown beside the computed one
and the output cell is coloured green when they agree, red when they do not
(the notes' errata: the 1-D kernel lost a minus sign, the 4×6 example is
garbled; see ``data/catalog.toml``). The 4×6 image is used with row 3 read as
:math:`[3\,2\,1\,1\,0\,1]` and the unknown last entry :math:`b` of row 4 set to
0 (the notes' third step needs that row; only the last output depends on b).
The notes' row :math:`[0\ 4\ 2]` is read as the windows at columns 1, 3 and 4
(it skips the 3 at column 2), and its 6 as the first window of row 2. For
:math:`X` the notes print neither kernel nor feature map (a lost picture): the
values shown are those of the illustration the image comes from.

Indices in the figure count from 1, as the notes do.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_rgb

from ..conv import lecture3_example_image, lecture4_example_1d, lecture4_example_2d
from ..conv_steps import conv_steps
from ._axes import FONT
from ._controls import Choice, Slider, Toggle
from ._explorer import Explorer, register
from ._notation import letters

__all__ = ["ConvStepExplorer", "EXAMPLES", "squares", "put"]

EXAMPLES = ("1-D", "4×6", "5×5 X")
"""The worked examples: Lecture 4's signal, Lecture 4's image, Lecture 3's image."""

CELL = 3.0  # side of a cell, in figure units of 10 px
_INPUT, _PAD, _WINDOW = to_rgb("#c6dbef"), to_rgb("#eeeeee"), to_rgb("#6baed6")
_KERNEL, _PRODUCT = to_rgb("#fdd0a2"), to_rgb("#fee6ce")
_TODO, _DONE = to_rgb("#f4f4f4"), to_rgb("#deebf7")  # not yet computed; computed, no claim
_AGREE, _DIFFER = to_rgb("#a1d99b"), to_rgb("#fc9272")  # computed, and the notes agree / not
_GOOD_TEXT, _BAD_TEXT = "#006d2c", "#b22222"
MAX_PAD = 2


def squares(origin, rows, cols, cell=CELL):
    """Corners of the cells of a grid, row-major: shape (rows * cols, 4, 2).

    ``origin`` is the top-left corner of cell (0, 0), ``rows``/``cols`` the cell
    indices (arrays of the same length, any integers, negative too).

    Examples
    --------
    >>> squares((0, 0), [0], [1], cell=2.0)[0].tolist()
    [[2.0, 0.0], [4.0, 0.0], [4.0, 2.0], [2.0, 2.0]]
    """
    x = origin[0] + cell * np.asarray(cols, dtype=float)
    y = origin[1] + cell * np.asarray(rows, dtype=float)
    return np.stack([np.stack([x, y], -1), np.stack([x + cell, y], -1),
                     np.stack([x + cell, y + cell], -1), np.stack([x, y + cell], -1)], axis=1)


def put(text, string, xy=None, color=None):
    """Set a text's string (and position, colour) only where they change: a changed text
    is re-rendered, an unchanged one composited from its cache; an empty one is hidden,
    so that the renderer skips it."""
    if text.get_visible() != bool(string):
        text.set_visible(bool(string))
    if text.get_text() != string:
        text.set_text(string)
    if xy is not None and tuple(text.get_position()) != tuple(xy):
        text.set_position(xy)
    if color is not None and text.get_color() != color:
        text.set_color(color)


def number(v):
    """A cell's number: an integer without a decimal point, a minus sign (not a hyphen).

    Examples
    --------
    >>> number(-3.0), number(2.5), number(0.0)
    ('−3', '2.5', '0')
    """
    v = float(v) + 0.0  # no "-0"
    s = f"{v:.0f}" if v == round(v) else f"{v:.3g}"
    return s.replace("-", "−")


@lru_cache(maxsize=1)
def _examples():
    """Per example: the input, its kernels (printed, reconstructed), and the notes' values
    as {valid window start: value}, with the name of their source."""
    ex1, ex2, ex3 = lecture4_example_1d(), lecture4_example_2d(), lecture3_example_image()
    claims1 = {(t,): v for t, v in enumerate(ex1["claimed"])}
    image = np.nan_to_num(ex2["I_reconstructed"], nan=0.0)  # b = 0
    # the notes' [0 4 2; 6]: windows at columns 1, 3, 4 of row 1 (the 3 skipped), row 2 col 1
    claims2 = {(0, 0): 0.0, (0, 2): 4.0, (0, 3): 2.0, (1, 0): 6.0}
    y3 = ex3["Y_reconstructed"]
    claims3 = {(i, j): y3[i, j] for i in range(3) for j in range(3)}
    return {
        "1-D": dict(x=ex1["I"], kernels=(ex1["K"], np.array([1.0, 0.0, -1.0])),
                    kernel_names=("K = [1 0 1] as printed", "K = [1 0 −1]: the lost minus"),
                    claims=claims1, source="the notes", printed="the notes: I ∗ K = [−2 0 2]"),
        "4×6": dict(x=image, kernels=(ex2["K"], ex2["K_minus"]),
                    kernel_names=("K as printed", "K′ of the notes' third step"),
                    claims=claims2, source="the notes",
                    printed="the notes: [0 4 2; 6 …] (row 3 read 3 2 1 1 0 1, b = 0)"),
        "5×5 X": dict(x=ex3["X"], kernels=(ex3["K_reconstructed"],) * 2,
                      kernel_names=("K reconstructed (picture lost)",) * 2,
                      claims=claims3, source="the illustration",
                      printed="the notes' kernel and map are lost: the illustration's"),
    }


# Lecture 4 writes I, K and I ∗ K (the 1-D example too); Lecture 3 X, K and Y.
_LETTERS = {
    "l4": dict(x="I", k="K", y="I ∗ K", corr=r"$(I * K)(i, j) = \sum_m \sum_n I[i+m, j+n]\,K[m, n]$",
               conv=r"$(I * K)(i, j) = \sum_m \sum_n I[i-m, j-n]\,K[m, n]$",
               corr1=r"$z_i = (I_{i+1} \dots I_{i+m})\,(K_1 \dots K_m)^T$",
               conv1=r"$(I * K)(t) = \sum_a I[a]\,K[t-a]$"),
    "l3": dict(x="X", k="K", y="Y", corr=r"$Y(i, j) = \sum_{u,v} X(i+u, j+v)\,K(u, v)$",
               conv=r"$Y(i, j) = \sum_{u,v} X(i-u, j-v)\,K(u, v)$",
               corr1=r"$Y(i) = \sum_u X(i+u)\,K(u)$", conv1=r"$Y(i) = \sum_u X(i-u)\,K(u)$"),
}

# figure layout, in units of 10 px: panels' top-left corners
_TOP = 7.0
_IN_X = 1.0 + MAX_PAD * CELL  # the input's cell (0, 0), whatever the padding
_K_X, _P_X, _OUT_X = 35.0, 47.5, 61.0
_MAX_IN, _MAX_OUT = (5 + 2 * MAX_PAD) * (5 + 2 * MAX_PAD), 49


@register
class ConvStepExplorer(Explorer):
    """The kernel's window over the input, the products with numbers, the output so far.

    ``notation``: ``"l4"`` (the default: :math:`I`, :math:`K`, :math:`I * K`) or
    ``"l3"`` (:math:`X`, :math:`K`, :math:`Y`).
    """

    controls = {
        "example": Choice(EXAMPLES, "1-D", "example",
                          help="Lecture 4's 1-D signal, Lecture 4's 4×6 image, Lecture 3's 5×5 X"),
        "kernel": Choice(("as printed", "reconstructed"), "as printed", "kernel",
                         help="the kernel as the notes print it, or as their numbers need it "
                              "(1-D: [1 0 −1]; 4×6: the third step's K′)"),
        "flip": Toggle(False, "flip K (true convolution)",
                       help="rotate the kernel by 180° (convolution) or not (cross-correlation, "
                            "a CNN layer)"),
        "padding": Slider(0, MAX_PAD, 1, 0, "padding P"),
        "stride": Slider(1, 3, 1, 1, "stride S"),
        "step": Slider(0, _MAX_OUT - 1, 1, 0, "step", play=True,
                       help="the output entry computed last, in reading order"),
    }
    messages = {}
    figsize = (9.3, 4.0)
    notations = tuple(_LETTERS)

    def __init__(self, notation="l4", **params):
        self.notation = notation
        self.words = letters(_LETTERS, notation, type(self).__name__)
        super().__init__(**params)

    def _steps(self, example, kernel, flip, padding, stride):
        ex = _examples()[example]
        w = ex["kernels"][kernel == "reconstructed"]
        return self.memo((example, kernel, flip, padding, stride),
                         lambda: conv_steps(ex["x"], w, flip=flip, stride=stride,
                                            padding=padding))

    def limits(self, params):
        s = self._steps(params["example"], params["kernel"], params["flip"], params["padding"],
                        params["stride"])
        return {"step": (0, s.steps - 1)}

    def inactive(self, params):
        notes = {}
        if params["example"] == "5×5 X":
            notes["kernel"] = "the notes print no kernel for X"
        if self.limits(params)["step"][1] == 0:
            notes["step"] = "acts when the output has more entries"
        return notes

    def build(self, fig):
        h = self.figsize[1] * 10
        ax = self.ax = fig.add_axes((0, 0, 1, 1))
        ax.set(xlim=(0, 93), ylim=(h, 0))
        ax.set_axis_off()
        self.cells = PolyCollection([], edgecolors="white", linewidths=1.0)
        ax.add_collection(self.cells)
        self.window = PolyCollection([], facecolors="none", edgecolors="#08306b", linewidths=2.5,
                                     clip_on=False)  # the window on the input, the output cell
        ax.add_collection(self.window)
        # The limits never change: a frozen transform is cheaper to apply to ~150 texts a frame.
        small = dict(ha="center", va="center", fontsize=FONT - 2, transform=ax.transData.frozen())
        self.in_texts = [ax.text(0, 0, "", **small) for _ in range(_MAX_IN)]
        self.k_texts = [ax.text(0, 0, "", **small) for _ in range(9)]
        self.p_texts = [ax.text(0, 0, "", **small) for _ in range(9)]
        self.out_texts = [ax.text(0, 0, "", **small) for _ in range(_MAX_OUT)]
        title = dict(ha="left", va="bottom", fontsize=FONT - 1)
        self.t_in = ax.text(1.0, _TOP - 0.6, "", **title)
        self.t_k = ax.text(_K_X, _TOP - 0.6, "", **title)
        self.t_p = ax.text(_P_X, _TOP - 0.6, "", **title)
        self.t_out = ax.text(_OUT_X, _TOP - 0.6, "", **title)
        self.formula = ax.text(1.0, 0.6, "", ha="left", va="top", fontsize=FONT + 1)
        self.printed = ax.text(1.0, h - 3.7, "", ha="left", va="bottom", fontsize=FONT - 2,
                               color="0.3")
        self.sum_line = ax.text(1.0, h - 1.2, "", ha="left", va="bottom", fontsize=FONT)
        self.claim_line = ax.text(92.0, h - 1.2, "", ha="right", va="bottom", fontsize=FONT)

    def compute(self, *, example, kernel, flip, padding, stride, step):
        ex = _examples()[example]
        s = self._steps(example, kernel, flip, padding, stride)
        step = min(step, s.steps - 1)
        start = s.starts[step]
        valid = tuple(int(v) for v in start - padding)  # the window's start in the input
        # the notes' value for this window, if they print one (a window inside the input)
        claims = ex["claims"]
        verdicts = np.zeros(s.steps, dtype=int)  # 0 no claim, 1 agrees, -1 differs
        for k in range(s.steps):
            key = tuple(int(v) for v in s.starts[k] - padding)
            if key in claims:
                verdicts[k] = 1 if np.isclose(claims[key], s.sums[k]) else -1
        return {"steps": s, "step": step, "start": start, "claim": claims.get(valid),
                "verdicts": verdicts, "example": example, "kernel": kernel, "flip": flip,
                "padding": padding, "stride": stride, "source": ex["source"],
                "printed": ex["printed"], "kernel_name": ex["kernel_names"][kernel != "as printed"],
                "filled": s.filled(step)}

    def draw(self, r):
        s, step, padding = r["steps"], r["step"], r["padding"]
        one_d = s.padded.ndim == 1
        padded = s.padded.reshape(1, -1) if one_d else s.padded
        kern = s.kernel.reshape(1, -1) if one_d else s.kernel
        filled = r["filled"].reshape(1, -1) if one_d else r["filled"]
        pad_r = 0 if one_d else padding
        # the input: its own cells stay put whatever the padding; padding cells around them
        n_r, n_c = padded.shape
        ii, jj = np.divmod(np.arange(n_r * n_c), n_c)
        origin_in = (_IN_X - padding * CELL, _TOP + (MAX_PAD - pad_r) * CELL * (not one_d))
        inside = ((ii >= pad_r) & (ii < n_r - pad_r) & (jj >= padding) & (jj < n_c - padding))
        k_r, k_c = kern.shape
        start = r["start"] if not one_d else np.array([0, r["start"][0]])
        under = ((ii >= start[0]) & (ii < start[0] + k_r) & (jj >= start[1])
                 & (jj < start[1] + k_c))
        in_colours = np.where(inside[:, None], _INPUT, _PAD)
        in_colours[under] = _WINDOW
        ki, kj = np.divmod(np.arange(k_r * k_c), k_c)
        m_r, m_c = filled.shape
        oi, oj = np.divmod(np.arange(m_r * m_c), m_c)
        done = np.arange(m_r * m_c) <= step
        verdict = r["verdicts"]
        out_colours = np.array([_DIFFER, _TODO, _AGREE])[verdict + 1]  # (cells, 3)
        out_colours[(verdict == 0) & done] = _DONE
        out_colours[~done] = _TODO
        origin_out = (_OUT_X, _TOP)
        verts = np.concatenate([squares(origin_in, ii, jj), squares((_K_X, _TOP), ki, kj),
                                squares((_P_X, _TOP), ki, kj), squares(origin_out, oi, oj)])
        colours = np.concatenate([in_colours, np.tile(_KERNEL, (k_r * k_c, 1)),
                                  np.tile(_PRODUCT, (k_r * k_c, 1)), out_colours])
        self.cells.set_verts(verts)
        self.cells.set_facecolors(colours)
        x0, y0 = origin_in[0] + CELL * start[1], origin_in[1] + CELL * start[0]
        x1, y1 = x0 + CELL * k_c, y0 + CELL * k_r
        self.window.set_verts([[(x0, y0), (x1, y0), (x1, y1), (x0, y1)],
                               squares(origin_out, [oi[step]], [oj[step]])[0]])
        centre = CELL / 2
        for t, text in enumerate(self.in_texts):
            if t < n_r * n_c:
                xy = (origin_in[0] + CELL * jj[t] + centre, origin_in[1] + CELL * ii[t] + centre)
                put(text, number(padded[ii[t], jj[t]]), xy, "black" if inside[t] else "0.55")
            else:
                put(text, "")
        products = s.products[step].reshape(-1)
        for t, (text, ptext) in enumerate(zip(self.k_texts, self.p_texts, strict=True)):
            if t < k_r * k_c:
                xy = (_K_X + CELL * kj[t] + centre, _TOP + CELL * ki[t] + centre)
                put(text, number(kern[ki[t], kj[t]]), xy)
                put(ptext, number(products[t]), (xy[0] + _P_X - _K_X, xy[1]))
            else:
                put(text, "")
                put(ptext, "")
        flat = filled.reshape(-1)
        for t, text in enumerate(self.out_texts):
            if t < m_r * m_c and t <= step:
                put(text, number(flat[t]), (_OUT_X + CELL * oj[t] + centre,
                                            _TOP + CELL * oi[t] + centre))
            else:
                put(text, "")
        w = self.words
        what = "convolution: K rotated 180°" if r["flip"] else "cross-correlation: no flip"
        formula = (w["conv1"] if r["flip"] else w["corr1"]) if one_d else \
            (w["conv"] if r["flip"] else w["corr"])
        put(self.formula, f"{formula}   ({what})")
        put(self.printed, r["printed"])
        put(self.t_in, f"{w['x']}, padding P = {padding}, stride S = {r['stride']}")
        put(self.t_k, f"{w['k']} as applied")
        put(self.t_p, "products ⊙")
        put(self.t_out, f"{w['y']}: {m_r}×{m_c}" if not one_d else f"{w['y']}: {m_c} entries")
        i, j = oi[step] + 1, oj[step] + 1
        where = f"({j})" if one_d else f"({i}, {j})"
        terms = " + ".join(number(p) for p in products).replace("+ −", "− ")
        put(self.sum_line, f"{w['y']}{where} = {terms} = {number(s.sums[step])}"
            if w["y"] != "I ∗ K" else f"({w['y']}){where} = {terms} = {number(s.sums[step])}")
        claim = r["claim"]
        if claim is None:
            put(self.claim_line, f"{r['source']}: no value for this window", color="0.35")
        else:
            agree = np.isclose(claim, s.sums[step])
            put(self.claim_line, f"{r['source']}: {number(claim)}  " +
                ("✓ agrees" if agree else "✗ differs"),
                color=_GOOD_TEXT if agree else _BAD_TEXT)
