r"""The training lab: the MLP or LeNet on the digits, with BN, dropout, L2, init, optimiser and schedule.

Each setting is a call of :func:`lecturekit.experiments.digits_run` (cached per
setting and seed, shared with the notebooks' experiments). Two panels: the loss
(log scale) and the accuracy per epoch, train (blue) and test (red), measured in
evaluation mode; with 3 seeds the lines are the mean and the band the range over
the seeds. A reference run, dashed, is the same setting without the regularisers
(dropout and L2) or without BN, so the effect shows at a glance; the status line
gives the final train–test gap of both.

Training takes from a tenth of a second (the MLP on 100 digits) to several
seconds (LeNet on all of them), so it is not done on a slider move: ``update``
only shows a setting (its curves if it was trained, else what it would train),
and stays a pure, synchronous function of the settings and of what has been
trained. ``lab.run()`` trains the current setting in the foreground (a notebook
cell at Run All); the **Train** button trains it in the background (a child
process watched by a thread of the kernel), with a progress bar, so that the
notebook's other explorers stay responsive meanwhile, and the figure shows the
result when the run ends.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from .. import experiments as X
from ._axes import FONT, training_axes
from ._controls import Choice, Slider, Toggle
from ._explorer import Explorer, register

EPOCHS_MAX = 30
LOSS_RANGE = (1e-3, 10.0)
INITS = ("kaiming_normal", "xavier_normal", "lecun_normal", "normal", "zeros")
REFERENCES = ("no regularisers", "no BN", "none")
SEED_SETS = {"0": (0,), "1": (1,), "2": (2,), "3": (3,), "4": (4,), "0-2": (0, 1, 2),
             "3-5": (3, 4, 5)}
"""The seeds control: one seed, or three (their mean drawn, their range as a band)."""
_TRAIN, _TEST = "#1f77b4", "#d62728"
_CURVES = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")


def lab_settings(*, model, batch_norm, keep_prob, weight_decay, init, optimizer, lr, schedule,
                 n_train, epochs, seeds="0", reference="no regularisers"):
    """The :func:`lecturekit.experiments.digits_run` settings of a lab state: the main runs
    (one per seed) and the reference runs (``[]`` without a reference)."""
    base = dict(model=model, batch_norm=batch_norm, keep_prob=keep_prob, weight_decay=weight_decay,
                init=init, optimizer=optimizer, lr=lr, schedule=schedule, n_train=n_train,
                epochs=epochs)
    main = [{**base, "seed": seed} for seed in SEED_SETS[seeds]]
    if reference == "none" or not has_reference(base, reference):
        return main, []
    change = ({"keep_prob": 1.0, "weight_decay": 0.0} if reference == "no regularisers"
              else {"batch_norm": False})
    return main, [{**s, **change} for s in main]


def has_reference(params, reference):
    """Whether ``reference`` removes something from ``params`` (dropout, L2 or BN)."""
    if reference == "no regularisers":
        return params["keep_prob"] < 1 or params["weight_decay"] > 0
    if reference == "no BN":
        return bool(params["batch_norm"])
    return False


def _summary(runs):
    """Mean, low and high over the seeds' runs, per curve."""
    out = {}
    for k in _CURVES:
        stack = np.stack([r[k] for r in runs])
        out[k] = (stack.mean(axis=0), stack.min(axis=0), stack.max(axis=0))  # NaN once diverged
    out["gap"] = np.array([r["gap"] for r in runs])
    out["diverged"] = sum(r["diverged"] for r in runs)
    out["epochs"] = len(runs[0]["epoch"]) - 1
    return out


@register
class TrainingLab(Explorer):
    """BN, dropout, L2, init, optimiser and schedule on the digits: train, test and a reference run."""

    controls = {
        "model": Choice(X.MODELS, "mlp", "model", help="an MLP 64-64-10 or the digits LeNet"),
        "batch_norm": Toggle(False, "batch norm", help="BN before every hidden ReLU"),
        "keep_prob": Slider(0.5, 1.0, 0.1, 1.0, "dropout keep q",
                            help="inverted dropout's keep probability on the hidden units "
                                 "(1: no dropout)"),
        "weight_decay": Choice((0.0, 0.001, 0.003, 0.01, 0.03, 0.1), 0.01, "L2 λ",
                               help="the penalty λ/2 ||θ||² (g ← g + λθ)"),
        "init": Choice(INITS, "kaiming_normal", "init",
                       help="the weights' scheme; 'normal' is N(0, 0.01²)"),
        "optimizer": Choice(X.OPTIMIZERS, "momentum", "optimiser",
                            help="Lecture 4's SGD, momentum (γ = 0.9) or Adam"),
        "lr": Choice((0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0), 0.1, "learning rate α₀"),
        "schedule": Choice(X.SCHEDULES, "constant", "schedule",
                           help="step: halve every 3 epochs; cosine: to 0 at the end; "
                                "inverse_time: α₀/(1 + epoch)"),
        "n_train": Choice((100, 200, 400, 800, 1438), 100, "training images"),
        "epochs": Slider(1, EPOCHS_MAX, 1, 30, "epochs"),
        "seeds": Choice(tuple(SEED_SETS), "0", "seed(s)",
                        help="one run, or three averaged (the band is their range); a seed draws "
                             "the weights, the minibatches and the dropout masks"),
        "reference": Choice(REFERENCES, "no regularisers", "reference run",
                            help="the dashed run: the same setting without dropout and L2, "
                                 "or without BN"),
    }
    figsize = (9.3, 3.3)

    def inactive(self, params):
        if not (has_reference(params, "no regularisers") or has_reference(params, "no BN")):
            return {"reference": "acts with dropout, L2 or BN on"}
        return {}

    def build(self, fig):
        self.button = self.progress = None
        self._lock = threading.RLock()
        self._thread = None
        self._running = False
        # In pixels of the 330 px figure: four text lines in the top 100, the titles below them.
        self.ax_loss, self.ax_acc = training_axes(fig, (0.07, 0.14, 0.35, 0.49),
                                                  (0.49, 0.14, 0.35, 0.49), EPOCHS_MAX, LOSS_RANGE)
        self.lines, self.bands = {}, {}
        for key in _CURVES:
            ax = self.ax_loss if "loss" in key else self.ax_acc
            color = _TRAIN if key.startswith("train") else _TEST
            name = key.split("_")[0]
            self.bands[key] = ax.fill_between([0, 1], [1, 1], [1, 1], color=color, alpha=0.18,
                                              lw=0)
            self.bands[key].set_visible(False)
            self.lines[key] = ax.plot([], [], "-", color=color, lw=2.2, label=name)[0]
            self.lines["ref_" + key] = ax.plot([], [], "--", color=color, lw=1.4, alpha=0.8,
                                               label=f"{name}, ref.")[0]
        self.ax_acc.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=FONT - 2,
                           frameon=False)
        self.settings = fig.text(0.02, 0.98, "", fontsize=FONT - 1, va="top")
        self.status = fig.text(0.02, 0.845, "", fontsize=FONT - 1, va="top")

    # -- the pure picture ----------------------------------------------------------------
    def compute(self, **params):
        main, ref = lab_settings(**params)
        shown_ref = ref and params["reference"] != "none"
        desc = (f"{params['model'].upper()} on {params['n_train']} images, {params['optimizer']} "
                f"α₀ = {params['lr']:g} ({params['schedule']}), init {params['init']}\n"
                f"BN {'on' if params['batch_norm'] else 'off'}, keep q = {params['keep_prob']:g}, "
                f"λ = {params['weight_decay']:g};  {params['epochs']} epochs, "
                + f"seed{'s' * (len(main) > 1)} {params['seeds']}"
                + (f"; reference: {params['reference']}" if shown_ref else ""))
        todo = [s for s in main + ref if not X.is_cached(**s)]
        result = {"settings": desc, "todo": len(todo), "runs": len(main + ref),
                  "epochs": params["epochs"], "reference": params["reference"] if shown_ref else None}
        if todo:
            result["trained"] = False
            return result
        result["trained"] = True
        result["main"] = _summary([X.digits_run(**s) for s in main])
        result["ref"] = _summary([X.digits_run(**s) for s in ref]) if ref else None
        return result

    def draw(self, r):
        self.settings.set_text(r["settings"])
        if not r["trained"]:
            for line in self.lines.values():
                line.set_data([], [])
            for band in self.bands.values():
                band.set_visible(False)
            self.status.set_text(f"not trained yet: press Train ({r['todo']} of {r['runs']} "
                                 f"runs to train)")
            self.status.set_color("0.3")
            return
        for which in ("main", "ref"):
            s = r[which]
            for key in _CURVES:
                line = self.lines[key if which == "main" else "ref_" + key]
                if s is None:
                    line.set_data([], [])
                    continue
                mean, lo, hi = s[key]
                scale = 100.0 if "accuracy" in key else 1.0
                ok = np.isfinite(mean)
                epoch = np.arange(len(mean))
                clip = (lambda v: np.clip(v, *LOSS_RANGE)) if "loss" in key else (lambda v: v)
                line.set_data(epoch[ok], clip(scale * mean[ok]))
                if which == "main":
                    band = self.bands[key]
                    both = ok & np.isfinite(lo) & np.isfinite(hi)
                    band.set_visible(bool(both.sum() > 1) and len(r["main"]["gap"]) > 1)
                    if band.get_visible():
                        x = epoch[both]
                        top, bottom = clip(scale * hi[both]), clip(scale * lo[both])
                        verts = np.concatenate([np.column_stack([x, top]),
                                                np.column_stack([x[::-1], bottom[::-1]])])
                        band.set_verts([verts])
        main = r["main"]
        text = self._gap_text("this setting", main)
        if r["ref"] is not None:
            text += "\n" + self._gap_text(f"reference ({r['reference']})", r["ref"])
        if main["diverged"]:
            text = f"diverged in {main['diverged']} of {len(main['gap'])} runs (α₀ too large)"
        self.status.set_text(text)
        self.status.set_color("#b22222" if main["diverged"] else "black")

    @staticmethod
    def _gap_text(name, s):
        gap = 100 * s["gap"]
        if not np.all(np.isfinite(gap)):
            return f"{name}: diverged"
        test = 100 * s["test_accuracy"][0][-1]
        spread = f" (range {gap.min():.1f} to {gap.max():.1f})" if len(gap) > 1 else ""
        return (f"{name}: train − test accuracy {gap.mean():.1f} points{spread},  "
                f"test {test:.1f} %, test loss {s['test_loss'][0][-1]:.2f}")

    def update(self, **params):
        """:meth:`Explorer.update` under the lab's lock (a background run redraws through it too)."""
        with self._lock:
            result = super().update(**params)
            self._sync_progress()
            return result

    # -- training ------------------------------------------------------------------------
    def pending(self, params=None):
        """The settings of ``params`` (default: the current ones) not trained yet."""
        main, ref = lab_settings(**(params or self.params))
        return [s for s in main + ref if not X.is_cached(**s)]

    def run(self, background=False):
        """Train the current setting's runs that are missing; return :meth:`update`'s result.

        ``background=True`` (what the Train button does) trains in a child process,
        watched by a daemon thread of the kernel that moves the progress bar and redraws
        the figure when the runs end; it returns that thread. A child process, not a
        thread, so that training never holds the kernel's global interpreter lock: the
        other explorers redraw at their usual speed meanwhile. ``background="thread"``
        trains in the thread itself (where child processes are not possible). One job
        at a time: while one is going, a call returns its thread.
        """
        params = dict(self.params)
        todo = self.pending(params)
        if not background:
            for s in todo:
                X.digits_run(**s)
            return self.update()
        if self._running:
            return self._thread
        total = len(todo) * params["epochs"]
        self._set_progress(0, total, "")
        epochs = params["epochs"]

        def in_thread():
            for i, s in enumerate(todo):
                X.digits_run(**s, progress=lambda part, i=i: self._set_progress(
                    i * epochs + part["done"], total, ""))

        def in_process():
            import multiprocessing

            ctx = multiprocessing.get_context("spawn")
            queue = ctx.Queue()
            proc = ctx.Process(target=X.train_in_process, args=(todo, queue), daemon=True)
            proc.start()
            # Lowest CPU priority from the start: the child's own os.nice comes after its
            # interpreter has started and imported numpy and lecturekit (0.3 s of CPU), which
            # would otherwise compete with the redraws of the explorers the student moves.
            if hasattr(os, "setpriority"):
                try:
                    os.setpriority(os.PRIO_PROCESS, proc.pid, 19)
                except OSError:  # not permitted, or already gone: the child nices itself
                    pass
            try:
                while True:
                    message = queue.get()
                    if message[0] == "epoch":
                        self._set_progress(message[1] * epochs + message[2], total, "")
                    elif message[0] == "run":
                        X.store_run(message[2])
                    elif message[0] == "error":
                        raise RuntimeError(f"the training process failed: {message[1]}")
                    else:
                        break
            finally:
                proc.join(timeout=10)

        def work():
            try:
                (in_thread if background == "thread" else in_process)()
            except Exception:  # a bug: show it in the bar, keep the kernel alive
                self._set_progress(0, max(total, 1), "danger")
                raise
            finally:
                self._running = False
                if self.button is not None:
                    self.button.disabled = False
            self.update()  # the current setting: the trained one, unless the controls moved

        self._thread = threading.Thread(target=work, name="TrainingLab.run", daemon=True)
        if self.button is not None:
            self.button.disabled = True
        self._running = True
        self._thread.start()
        return self._thread

    def _set_progress(self, value, total, style):
        if self.progress is None:
            return
        self.progress.max = max(total, 1)
        self.progress.value = value
        self.progress.description = f"epoch {value}/{total}"
        self.progress.bar_style = style

    def _sync_progress(self):
        """The bar for the current setting: full once it is trained, empty until then."""
        if self.progress is None or self.result is None or "trained" not in self.result:
            return
        if self._running:
            return  # the running job owns the bar
        total = self.result["runs"] * self.params["epochs"]
        done = total - self.result["todo"] * self.params["epochs"]
        self._set_progress(done, total, "success" if self.result["trained"] else "")

    @property
    def widget(self):
        """The controls, a Train button with a progress bar, and the figure."""
        if self.button is None:
            import ipywidgets as w

            box = super().widget
            self.button = w.Button(description="Train", button_style="primary", icon="play")
            self.button.on_click(lambda _: self.run(background=True))
            self.progress = w.IntProgress(value=0, min=0, max=1, description="epoch",
                                          style={"description_width": "110px"})
            panel, image = box.children
            box.children = (panel, w.HBox([self.button, self.progress]), image)
            self._sync_progress()
        return super().widget
