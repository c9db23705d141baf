"""Independent references shared by several test modules (written without lecturekit)."""

import numpy as np

RECTIFY = {"tanh": np.tanh, "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
           "relu": lambda a: np.where(a > 0, a, 0.0)}
"""The lectures' "rectify" g, written out independently of lecturekit.activations."""


def dilate(k, d):
    """Kernel with d-1 zeros between entries on the last two axes (an independent dilation)."""
    kh, kw = k.shape[-2:]
    out = np.zeros(k.shape[:-2] + (d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1))
    out[..., :: d[0], :: d[1]] = k
    return out
