r"""Explorers: the pictures students and instructors move in class.

An explorer is a handful of named controls plus ONE persistent matplotlib
figure. Moving a control calls ``update(**params)``, which recomputes the
numbers and moves the figure's existing artists; nothing is ever cleared or
rebuilt. This is the only part of lecturekit that imports matplotlib and
ipywidgets; ``import lecturekit`` stays free of both.

Use
---
>>> from lecturekit.explore import ConvArithmeticExplorer
>>> ex = ConvArithmeticExplorer(padding=1)      # in a notebook cell: ex, or display(ex)
>>> result = ex.update(stride=2)                # the numbers behind the picture
>>> result["m"]
3
>>> png_bytes = ex.png                          # the rendered figure

Design
------
* **Rendering without ipympl.** The figure is a ``matplotlib.figure.Figure``
  on a ``FigureCanvasAgg`` (never pyplot, so no figure leaks and no backend
  matters). Each update renders it to PNG bytes that an ``ipywidgets.Image``
  shows, so JupyterLab, the classic notebook, Voilà and headless tests all see
  the same thing. ``ex.widget`` is the controls above the image. Until the
  widget is built, ``ex.png`` is rendered when read: an explorer only used for
  its numbers never renders.
* **A picture where no kernel runs.** Displaying an explorer publishes the
  widget view together with a small PNG snapshot of its figure
  (``snapshot_png``): JupyterLab, Voilà and VS Code show the live widget, while
  GitHub, nbviewer, nbconvert and a not-yet-trusted notebook in JupyterLab show
  the picture, so a saved notebook reads well before anything is run.
* **Pure updates.** ``update(**params)`` depends on the parameters alone: same
  parameters, same pixels (the tests compare PNG bytes with a fresh explorer).
  Randomness comes from a ``Generator`` seeded from a constant or a ``seed``
  control. Parameters not passed keep their current values.
* **Every value is checked against its control.** ``update`` and ``peek``
  raise ``ValueError`` or ``TypeError`` for a value its control does not
  allow (out of range, off an integer slider's grid, a wrong type, not an
  option), naming the control by its label and name, what it allows and the
  value given, and leave the explorer exactly as it was: parameters,
  widgets and figure.
* **Invalid combinations are pictures, not exceptions.** Values inside their
  ranges that are impossible together (a kernel larger than the padded input)
  are shown as a message in place of the figure and returned as ``{"error":
  message}``. Each explorer declares its messages (``messages = {key:
  template}``, with the numbers as named fields) and ``compute`` raises one with
  ``raise self.invalid(key, **numbers)``; no exception text from inside the
  code ever reaches a figure. Any other exception in ``compute`` is a bug and
  propagates.
* **Inactive controls are disabled.** ``inactive(params)`` returns the controls
  that have no effect in a state, each with a note saying when it acts; the
  widget disables them and shows the note beside the label and in the tooltip.
* **Laid out for a projector.** Each control's label sits above its input in a
  box 292 px wide (``help=`` gives the full text of its tooltip, so labels can
  be short), the boxes wrap in rows, and every slider keeps a track of 120 px
  or more. The image is shown at the figure's own size (never enlarged;
  ``figsize × dpi`` CSS pixels), so figure text has its intended size on
  screen; ``Explorer.scale = 2`` renders twice the pixels for high-DPI screens
  (2-4 times the cost of a frame). Every figure is at most 930 px wide, with
  text of 8 pt (11 px) or more, and leaves its controls room in the ~620 px of
  JupyterLab at 1366×768 (``tests/test_explore_specifics.py``).
* **Fast enough to drag.** A redraw must stay well under 100 ms (target:
  ``update()`` p95 <= 40 ms of CPU time; ``python -m benchmarks --only explore``).
  The states listed by ``prerender()`` are drawn when the widget is first
  displayed, not at construction. The renderer caches
  the axes decorations (ticks, legends, titles) and redraws only the artists
  made in ``build``; it re-renders a text only when it changed. So: set axis
  limits in ``build`` or with :func:`set_lims` (which skips unchanged limits),
  prefer fixed axes (plot α_t/α₀ rather than α_t when α₀ is a slider), avoid
  per-frame changes to ticks or titles, and keep legends outside the data
  (they sit under the moving artists). Matplotlib renders text glyph by glyph:
  a long string that changes every frame costs several milliseconds.

Adding an explorer
------------------
One module per topic in this package, one class of some 40-80 lines::

    from ..optim import Momentum                     # the maths lives in the package
    from ._axes import FONT, set_lims                # figure helpers the explorers share
    from ._controls import Choice, Slider, Toggle
    from ._explorer import Explorer, register

    @register                                       # the generic tests now sweep it
    class MomentumExplorer(Explorer):
        controls = {                                # name -> control; names are update()'s
            "lr": Slider(1e-3, 1.0, 0.25, 0.1, "α", log=True),   # min, max, step, default
            "gamma": Slider(0.0, 0.99, 0.01, 0.9, "γ"),
            "steps": Slider(1, 100, 1, 30, "steps", play=True),  # with a Play button
            "method": Choice(("sgd", "momentum"), "momentum"),
            "show_contours": Toggle(True, "contours", help="draw the loss's level sets"),
        }
        messages = {                                # every message the figure can show
            "diverged": "α = {lr:g} is too large: the loss overflows at step {k}.",
        }

        def inactive(self, params):                 # controls without effect, and when they act
            return {} if params["method"] == "momentum" else {"gamma": "acts under momentum"}

        def build(self, fig):                       # once: axes and every artist
            self.ax = fig.add_axes((0.08, 0.12, 0.6, 0.75))
            (self.path,) = self.ax.plot([], [], "o-")
            self.label = fig.text(0.08, 0.92, "", fontsize=FONT + 2)

        def compute(self, *, lr, gamma, steps, method, show_contours):
            ...                                     # pure numbers
            if overflow_step is not None:           # valid values, impossible together
                raise self.invalid("diverged", lr=lr, k=overflow_step)
            return {"w": w_path, "loss": loss}

        def draw(self, result):                     # move artists, nothing else
            self.path.set_data(result["w"][:, 0], result["w"][:, 1])
            self.label.set_text(f"loss {result['loss'][-1]:.3g}")

then import the class below and add its name to ``__all__`` (the registry
test fails until an explorer is registered, imported and exported).
``limits(params)`` may narrow a slider's range from the other values (the conv
explorer's output cell cannot exceed m²); the widget follows it.

The shared machinery, one private module per idea: ``_controls`` (the control
specs :class:`Slider`, :class:`Choice`, :class:`Toggle`, the protocol any other
control follows, the layout of one control, and ``KernelGrid``, a 3×3 grid of
number inputs with presets), ``_notation`` (each lecture's letters, for the
explorers shown in several notebooks: ``notation="mlp" | "l3" | "l4" | "l051023" |
"l14"``, the lecture keys of ``data/catalog.toml``), ``_explorer`` (the
:class:`Explorer` lifecycle: update, peek, validation, messages, the widget;
:func:`register` and :data:`EXPLORERS`), ``_render`` (``FrameRenderer``: the cached background, the
composited texts, PNG encoding and the notebook snapshot) and ``_axes`` (the
font size, :func:`set_lims`, log axes with decade ticks and the gradient
explorers' ranges).

The explorers, by lecture: MLP — ``InitExplorer``, ``BatchNormNoiseExplorer``,
``BatchNormRunningExplorer``, ``NormAxesExplorer``, ``DropoutExplorer``,
``L2Explorer``, ``SGDNoiseExplorer``, ``ScheduleExplorer``, ``TrainingLab`` (trains on
request, in a child process, with a progress bar); Lecture 3 —
``FiltersExplorer``, ``ConvMatrixExplorer``, ``ConvArithmeticExplorer``,
``PoolingShiftExplorer``, ``ConvStepExplorer`` (also in Lecture 4, on its 1-D
and 4×6 examples), ``MultiChannelConvExplorer``; Lecture 4 — ``OptimizerExplorer``,
``ReceptiveFieldExplorer``; Lecture 14 —
``ResNetExplorer``, ``RNNGradientExplorer``, ``LSTMMemoryExplorer``,
``TrainingExplorer`` (trains only when its button is pressed).

Testing
-------
``tests/test_explore.py`` runs over :data:`EXPLORERS`: it sweeps every control
over its minimum, maximum and interior values and 20 random combinations and
checks that every drawn number is finite (or a message is shown, one of the
declared ``messages``), that no axes or artists are added, that equal
parameters give equal PNGs, that in each of several states every enabled
control changes the picture and no disabled one does, that a value one step
past either end of a control or of a wrong type is rejected and changes
nothing, that Play buttons start at their slider's value, and that moving a
widget redraws the image. Add a test of the explorer's own numbers against an independent
reference (a closed form, the lecture's sentence).
"""

from ._axes import FONT, set_lims
from ._controls import Choice, Slider, Toggle
from ._explorer import EXPLORERS, Explorer, InvalidSetting, register
from .batchnorm import BatchNormNoiseExplorer, BatchNormRunningExplorer
from .conv import ConvArithmeticExplorer
from .conv_matrix import ConvMatrixExplorer
from .conv_steps import ConvStepExplorer
from .dropout import DropoutExplorer
from .filters import FiltersExplorer
from .init import InitExplorer
from .l2 import L2Explorer
from .lab import TrainingLab
from .multichannel import MultiChannelConvExplorer
from .norm import NormAxesExplorer
from .optim import OptimizerExplorer
from .pooling import PoolingShiftExplorer
from .receptive_field import ReceptiveFieldExplorer
from .resnet import ResNetExplorer
from .rnn import LSTMMemoryExplorer, RNNGradientExplorer
from .schedules import ScheduleExplorer
from .sgd_noise import SGDNoiseExplorer
from .training import TrainingExplorer

__all__ = [
    "EXPLORERS", "FONT", "Choice", "Explorer", "InvalidSetting", "Slider", "Toggle", "register",
    "set_lims",
    "ConvArithmeticExplorer", "DropoutExplorer", "NormAxesExplorer", "ScheduleExplorer",
    "InitExplorer", "BatchNormNoiseExplorer", "BatchNormRunningExplorer", "L2Explorer",
    "SGDNoiseExplorer", "FiltersExplorer", "ConvMatrixExplorer", "PoolingShiftExplorer",
    "OptimizerExplorer", "ResNetExplorer", "RNNGradientExplorer", "LSTMMemoryExplorer",
    "TrainingExplorer",
    "ConvStepExplorer", "MultiChannelConvExplorer", "ReceptiveFieldExplorer",
    "TrainingLab",
]
