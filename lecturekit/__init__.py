"""lecturekit: every formula of the lecture notes, in numpy, with notebooks to explore them.

Conventions, stated once (each module's docstring repeats the ones it uses):

* float64 by default; inputs are converted, never silently downcast.
* Images are NCHW: ``x: (N, C, H, W)``; conv weights are ``(K, C, kh, kw)``.
* Dropout's ``p`` is ambiguous across the notes, so lecturekit never says ``p``:
  ``drop_prob`` or ``keep_prob``, exactly one of them.
* Batch norm follows PyTorch where the notes are silent: momentum 0.1 weights
  the new batch, the running variance uses the unbiased estimate, eps = 1e-5.
* Every random function takes ``rng``, a ``numpy.random.Generator``
  (see :mod:`lecturekit.rng`); nothing uses numpy's global random state.
* Pure functions come in pairs ``name(x, ...)`` and ``name_backward(dout, ...)``.

Submodules are imported on first use (``lecturekit.conv``), so ``import
lecturekit`` stays fast and never imports matplotlib or ipywidgets; only
``lecturekit.explore`` does.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "activations", "catalog", "check", "conv", "conv_matrix", "conv_steps", "datasets",
    "display", "dropout", "experiments", "explore", "filters", "gradcheck", "init", "losses",
    "models", "norm", "notes", "objectives", "optim", "paths", "pool", "propagation",
    "regularization", "resnet", "rng", "rnn", "schedules", "train", "transforms",
)


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'lecturekit' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
