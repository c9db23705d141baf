r"""Training the LeNet-style CNN on the 8x8 digits: loss, accuracy and the first-layer filters.

The network is :class:`lecturekit.models.LeNet` ("Le Net (80s) MNIST",
Lecture 14; scaled down to 8x8 images), the data
:func:`lecturekit.datasets.load_digits` (1438 training and 359 test images),
the loop :func:`lecturekit.train.train` with the optimisers of
:mod:`lecturekit.optim`: plain SGD and Lecture 4's momentum (the defaults), or
Adam, with batch norm, dropout (keep probability q on both dense layers' inputs)
and the L2 penalty λ as controls. Three panels: the loss and the accuracy per epoch
(train and test; epoch 0 is the untrained network), and the sixteen 3x3
filters of the first convolution before and after training, each scaled to
its own largest weight (red positive, blue negative).

Training takes seconds, so it is not done on every slider move: the controls
only choose the settings, and the **Train** button (or ``explorer.train()``)
runs it, with a progress bar in the widget and the curves growing epoch by
epoch. Results are kept per setting (:data:`_RESULTS`, shared by every
explorer of the process), so moving back to a trained setting shows it again
at once, and ``update`` stays a cheap, pure function of the settings and of
what has been trained. The same settings (seed included) train the same
network: the seed draws the initial weights and the order of the minibatches.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._checks import as_array, check_int
from ..datasets import load_digits
from ..models import LeNet
from ..optim import SGD, Adam, Momentum
from ..rng import default_rng
from ..schedules import cosine_decay
from ..train import evaluate, train
from ._axes import FONT, training_axes
from ._controls import Choice, Slider, Toggle
from ._explorer import Explorer, memoised, new_cache, register

EPOCHS_MAX = 10
LOSS_RANGE = (0.01, 5.0)
MOMENTUM = 0.9
_RESULTS = new_cache()
"""Settings -> trained result, the most recent last (at most _CACHE_SIZE)."""
_CACHE_SIZE = 32
_OPTIMIZERS = {
    "sgd": ("SGD", lambda lr, wd: SGD(lr, weight_decay=wd)),
    "momentum": (f"momentum (γ = {MOMENTUM})",
                 lambda lr, wd: Momentum(lr, gamma=MOMENTUM, weight_decay=wd)),
    "adam": ("Adam", lambda lr, wd: Adam(lr, weight_decay=wd)),
}
_TRAIN, _TEST = "#1f77b4", "#d62728"


@lru_cache(maxsize=1)
def _digits():
    return load_digits()


def steps_per_epoch(batch_size):
    """Minibatches per epoch: ``ceil(N_train / batch_size)``, for ``batch_size >= 1``."""
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    return -(-len(_digits().y_train) // batch_size)


def _train_lenet(*, optimizer, lr, schedule, epochs, batch_size, seed, batch_norm=False,
                 keep_prob=1.0, weight_decay=0.0, progress=None):
    r"""Train a fresh LeNet on the digits; return its loss and accuracy curves and its filters.

    Parameters
    ----------
    optimizer : {'sgd', 'momentum', 'adam'}
    lr : float
        :math:`\alpha_0`.
    schedule : {'constant', 'cosine'}
        ``'cosine'``: :func:`lecturekit.schedules.cosine_decay` from ``lr`` to 0
        over all the steps.
    epochs, batch_size, seed : int
        ``default_rng(seed)`` draws the initial weights, then the minibatches
        (and the dropout masks).
    batch_norm, keep_prob : bool, float
        :class:`lecturekit.models.LeNet`'s BN and dropout.
    weight_decay : float
        :math:`\lambda` of the L2 penalty (coupled: :math:`g \leftarrow g + \lambda w`).
    progress : callable, optional
        Called after each epoch with the result so far.

    Returns
    -------
    dict
        ``epoch`` (E + 1,) from 0; ``train_loss`` (mean over each epoch's
        minibatches; at epoch 0 the loss of the untrained network),
        ``test_loss``, ``train_accuracy``, ``test_accuracy`` (fractions), all
        (E + 1,); ``step_loss`` (E * steps,) and ``steps_per_epoch``; ``before`` and ``after``, the
        first layer's weights ``(16, 1, 3, 3)``; ``diverged`` (a non-finite loss).
    """
    data = _digits()
    rng = default_rng(seed)
    model = LeNet(rng=rng, batch_norm=batch_norm, keep_prob=keep_prob)
    before = model.params["conv1_w"].copy()
    rate = cosine_decay(lr, steps=epochs * steps_per_epoch(batch_size)) \
        if schedule == "cosine" else lr
    start = [evaluate(model, data.x_train, data.y_train), evaluate(model, data.x_test, data.y_test)]

    def collect(history):
        result = {
            "epoch": np.arange(len(history.epoch) + 1),
            "train_loss": np.array([start[0][0], *history.train_loss]),
            "test_loss": np.array([start[1][0], *history.test_loss]),
            "train_accuracy": np.array([start[0][1], *history.train_accuracy]),
            "test_accuracy": np.array([start[1][1], *history.test_accuracy]),
            "step_loss": np.array(history.step_loss),
            "steps_per_epoch": steps_per_epoch(batch_size),
            "before": before, "after": model.params["conv1_w"].copy(),
        }
        result["diverged"] = history.diverged or not all(np.all(np.isfinite(result[k])) for k in
                                     ("train_loss", "test_loss", "after"))
        return result

    # A learning rate far too large overflows: that is a result to show, not an error.
    with np.errstate(all="ignore"):
        history = train(model, data, optimizer=_OPTIMIZERS[optimizer][1](rate, weight_decay),
                        epochs=epochs, batch_size=batch_size, rng=rng,
                        progress=(lambda h: progress(collect(h))) if progress else False,
                        stop_on_divergence=True)
    return collect(history)


def _key(params):
    return tuple(sorted(params.items()))


def _blank(shape):
    """A fully masked image; zeros underneath, as the colormap still scales masked data."""
    return np.ma.masked_array(np.zeros(shape), mask=True)


def filter_mosaic(w, rows=2):
    """Filters ``(K, 1, k, k)`` tiled ``rows`` high with one masked pixel between them,
    each divided by its largest absolute weight (so every filter spans [-1, 1])."""
    w = as_array(w, "w", ndim=4, finite=False)  # a diverged run's NaN filters are drawn blank
    rows = check_int(rows, "rows", minimum=1)
    if w.shape[1] != 1 or w.shape[2] != w.shape[3]:
        raise ValueError(f"w must be single-channel square filters (K, 1, k, k), got shape {w.shape}")
    k_out, _, k, _ = w.shape
    cols = -(-k_out // rows)
    scale = np.max(np.abs(w), axis=(1, 2, 3), keepdims=True)
    w = np.where(scale > 0, w / np.where(scale > 0, scale, 1.0), 0.0)
    mosaic = _blank((rows * (k + 1) - 1, cols * (k + 1) - 1))
    for i in range(k_out):
        r, c = divmod(i, cols)
        mosaic[r * (k + 1):r * (k + 1) + k, c * (k + 1):c * (k + 1) + k] = w[i, 0]
    return mosaic


@register
class TrainingExplorer(Explorer):
    """LeNet on the digits: choose the settings, press Train, watch loss, accuracy and filters."""

    controls = {
        "optimizer": Choice(tuple(_OPTIMIZERS), "momentum", "optimiser",
                            help="Lecture 4's SGD and momentum (γ = 0.9), or Adam"),
        "lr": Choice((0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2), 0.05,
                     "learning rate α"),
        "schedule": Choice(("constant", "cosine"), "constant", "schedule"),
        "epochs": Slider(1, EPOCHS_MAX, 1, 4, "epochs"),
        "batch_size": Choice((8, 16, 32, 64, 128), 32, "batch size"),
        "seed": Slider(0, 99, 1, 0, "seed"),
        "batch_norm": Toggle(False, "batch norm", help="BN after both convolutions and fc1"),
        "keep_prob": Slider(0.5, 1.0, 0.1, 1.0, "dropout keep q",
                            help="inverted dropout on both dense layers' inputs (1: none)"),
        "weight_decay": Choice((0.0, 0.0001, 0.001, 0.01), 0.0, "L2 λ",
                               help="the penalty λ/2 ||w||² (g ← g + λw)"),
    }
    figsize = (9.3, 4.2)

    def build(self, fig):
        self.button = self.progress = None
        bottom, height = 0.12, 0.56
        self.ax_loss, self.ax_acc = training_axes(fig, (0.075, bottom, 0.26, height),
                                                  (0.405, bottom, 0.26, height), EPOCHS_MAX,
                                                  LOSS_RANGE)
        self.ax_acc.axhline(97, color="0.5", lw=1, ls=":")
        (self.steps,) = self.ax_loss.plot([], [], color=_TRAIN, lw=0.8, alpha=0.3)
        self.lines = {}
        for name, color in (("train", _TRAIN), ("test", _TEST)):
            self.lines[f"{name}_loss"] = self.ax_loss.plot([], [], "o-", color=color, lw=2.5,
                                                           label=name)[0]
            self.lines[f"{name}_accuracy"] = self.ax_acc.plot([], [], "o-", color=color, lw=2.5,
                                                              label=name)[0]
        self.ax_loss.legend(loc="upper right", fontsize=FONT - 2, framealpha=0.9)
        self.ax_acc.legend(loc="lower right", fontsize=FONT - 2, framealpha=0.9)
        self.images = {}
        blank = _blank(filter_mosaic(LeNet(rng=default_rng(0)).params["conv1_w"]).shape)
        for name, top in (("before", 0.47), ("after", 0.1)):
            ax = fig.add_axes((0.71, top, 0.27, 0.24))
            ax.axis("off")
            ax.set_title(f"first-layer filters {name} training", fontsize=FONT - 2, loc="left")
            self.images[name] = ax.imshow(blank, cmap="RdBu_r", vmin=-1, vmax=1,
                                          interpolation="nearest")
        self.settings = fig.text(0.02, 0.98, "", fontsize=FONT, va="top")
        self.status = fig.text(0.02, 0.835, "", fontsize=FONT + 1, va="top")

    def compute(self, *, optimizer, lr, schedule, epochs, batch_size, seed, batch_norm, keep_prob,
                weight_decay):
        steps = epochs * steps_per_epoch(batch_size)
        rate = f"α = {lr:g}" + (f", cosine decay to 0 over {steps} steps"
                                if schedule == "cosine" else ", constant")
        extras = ", ".join(["BN"] * batch_norm + [f"dropout q = {keep_prob:g}"] * (keep_prob < 1)
                           + [f"L2 λ = {weight_decay:g}"] * (weight_decay > 0))
        settings = (f"{_OPTIMIZERS[optimizer][0]},  {rate}\nbatch {batch_size},  "
                    f"{epochs} epoch{'s' * (epochs > 1)},  seed {seed}"
                    + (f";  {extras}" if extras else ""))
        trained = _RESULTS.get(_key(dict(optimizer=optimizer, lr=lr, schedule=schedule,
                                         epochs=epochs, batch_size=batch_size, seed=seed,
                                         batch_norm=batch_norm, keep_prob=keep_prob,
                                         weight_decay=weight_decay)))
        if trained is not None:
            return {**trained, "trained": True, "settings": settings}
        before = LeNet(rng=default_rng(seed)).params["conv1_w"]  # the same draw _train_lenet makes
        return {"trained": False, "settings": settings, "steps": steps, "before": before}

    def draw(self, r):
        self.settings.set_text(r["settings"])
        self.images["before"].set_data(filter_mosaic(r["before"]))
        if not r["trained"]:
            for line in (self.steps, *self.lines.values()):
                line.set_data([], [])
            self.images["after"].set_data(_blank(self.images["before"].get_array().shape))
            self.status.set_text(f"not trained yet: press Train ({r['steps']} steps)")
            self.status.set_color("0.3")
            return
        epoch = r["epoch"]
        ok = {k: np.isfinite(r[k]) for k in self.lines}
        for name, line in self.lines.items():
            line.set_data(epoch[ok[name]], 100 * r[name][ok[name]] if "accuracy" in name
                          else np.clip(r[name][ok[name]], *LOSS_RANGE))
        steps = r["step_loss"]
        x = np.arange(1, len(steps) + 1) / r["steps_per_epoch"]  # step k ends at epoch k / steps
        finite = np.isfinite(steps)
        self.steps.set_data(x[finite], np.clip(steps[finite], *LOSS_RANGE))
        after = r["after"]
        self.images["after"].set_data(filter_mosaic(np.nan_to_num(after, nan=0.0, posinf=0.0,
                                                                  neginf=0.0)))
        done = len(epoch) - 1
        if r["diverged"]:
            self.status.set_text(f"diverged: the loss is not finite after {done} epochs "
                                 f"(learning rate too large)")
            self.status.set_color("#b22222")
        else:
            self.status.set_text(f"after {done} epoch{'s' * (done > 1)}:  test accuracy "
                                 f"{100 * r['test_accuracy'][-1]:.1f} %,  train "
                                 f"{100 * r['train_accuracy'][-1]:.1f} %")
            self.status.set_color("black")

    # -- training: a button in the widget, or a call -----------------------------------
    def train(self):
        """Train with the current settings (unless already trained); return :meth:`update`'s result.

        In the widget the progress bar counts the epochs and the curves are
        redrawn after each one.
        """
        def run():
            if self.progress is not None:
                self.progress.max = self.params["epochs"]
                self.progress.description = f"epoch 0/{self.progress.max}"
                self.progress.value = 0
                self.progress.bar_style = ""
                self.button.disabled = True
            try:
                return _train_lenet(**self.params, progress=self._show_epoch)
            finally:
                if self.button is not None:
                    self.button.disabled = False

        memoised(_RESULTS, _key(self.params), run, size=_CACHE_SIZE)
        return self.update()

    def update(self, **params):
        """:meth:`Explorer.update`, and the progress bar shows the new setting's state."""
        result = super().update(**params)
        self._sync_progress()
        return result

    def _sync_progress(self):
        """The progress bar for the current setting: "epoch E/E" full once it is trained (red if
        it diverged), "epoch 0/E" empty until then; never the count of another setting's run."""
        if self.progress is None or self.result is None or "trained" not in self.result:
            return
        epochs = self.params["epochs"]
        done = epochs if self.result["trained"] else 0
        self.progress.max = epochs
        self.progress.value = done
        self.progress.description = f"epoch {done}/{epochs}"
        self.progress.bar_style = ("" if not self.result["trained"] else
                                   "danger" if self.result["diverged"] else "success")

    def _show_epoch(self, partial):
        """Redraw the widget with the epochs trained so far (nothing to do without a widget)."""
        if self.image is None:
            return
        done = len(partial["epoch"]) - 1
        self.progress.description = f"epoch {done}/{self.progress.max}"
        self.progress.value = done
        self.draw({**partial, "trained": True, "settings": self.settings.get_text()})
        self.image.value = self.render_png()

    @property
    def widget(self):
        """The controls, a Train button with a progress bar, and the figure."""
        if self.button is None:
            import ipywidgets as w

            box = super().widget
            self.button = w.Button(description="Train", button_style="primary", icon="play")
            self.button.on_click(lambda _: self.train())
            # A description wide enough for "epoch 10/10" (the default width cuts it off).
            self.progress = w.IntProgress(value=0, min=0, max=self.params["epochs"],
                                          description="epoch", style={"description_width": "90px"})
            panel, image = box.children
            box.children = (panel, w.HBox([self.button, self.progress]), image)
            self._sync_progress()
        return super().widget

