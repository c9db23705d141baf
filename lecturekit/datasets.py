r"""Data sets shipped with lecturekit: the 8x8 handwritten digits.

Conventions
-----------
* Images are float64 NCHW, ``(N, 1, 8, 8)``, scaled to [0, 1]; labels are int64
  class indices ``0..9``.
* Every file is checked against its SHA-256 before it is read; a mismatch
  raises ``ValueError`` naming the file and both hashes.
* Splits are deterministic: the same ``split_seed`` gives the same split on
  every machine (a fixed data set is part of a lecture's reproducibility, so
  the split has a seed of its own, separate from the ``rng`` of training).

The digits are the UCI "Optical Recognition of Handwritten Digits" test set
(1797 images; Alpaydin & Kaynak 1998), as packaged by scikit-learn; see
``data/digits/README.md`` for the source, licence and hash.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ._checks import check_file, check_int, check_real
from .paths import data_path
from .rng import default_rng

__all__ = ["DIGITS_FILE", "DIGITS_SHA256", "Digits", "sha256", "check_sha256", "load_digits"]

DIGITS_FILE = "digits/digits.csv.gz"
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"


class Digits(NamedTuple):
    """A train/test split of the digits: images ``(N, 1, 8, 8)`` in [0, 1], int labels ``(N,)``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def sha256(path):
    """The SHA-256 hex digest of the file at ``path``."""
    path = check_file(path, "path")
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def check_sha256(path, expected):
    """Raise ``ValueError`` naming the file, the expected and the actual hash unless they match."""
    if not (isinstance(expected, str) and len(expected) == 64
            and all(c in "0123456789abcdef" for c in expected)):
        raise ValueError(f"expected must be a SHA-256 hex digest (64 lowercase hex digits), "
                         f"got {expected!r}")
    actual = sha256(path)
    if actual != expected:
        raise ValueError(
            f"the data file {path} does not have the expected SHA-256 (expected {expected}, "
            f"got {actual}); it is corrupted or not the file lecturekit ships (path = {str(path)!r})"
        )
    return path


def load_digits(*, test_fraction=0.2, split_seed=0, path=None):
    r"""Load the 8x8 handwritten digits and split them into train and test sets.

    Parameters
    ----------
    test_fraction : float, default 0.2
        The share of each class put in the test set, in (0, 1).
    split_seed : int, default 0
        Seeds the shuffle that makes the split (a ``default_rng(split_seed)``).
    path : str or Path, optional
        The ``digits.csv.gz`` file; default lecturekit's own copy
        (``lecturekit.paths.data_path("digits/digits.csv.gz")``). It must have
        the SHA-256 :data:`DIGITS_SHA256`.

    Returns
    -------
    Digits
        ``x_train (N_train, 1, 8, 8)``, ``y_train (N_train,)``,
        ``x_test (N_test, 1, 8, 8)``, ``y_test (N_test,)``; 1797 images in all.

    Raises
    ------
    ValueError
        If the file's SHA-256 does not match (the message names the file and
        both hashes), or ``test_fraction`` is not in (0, 1).

    Notes
    -----
    Each pixel counts the "on" pixels of a 4x4 block of a 32x32 bitmap, an
    integer in 0..16; we divide by 16. The split is stratified: each class
    contributes :math:`\mathrm{round}(\text{test\_fraction} \cdot n_c)` test images,
    so both sets have the class balance of the whole.

    References
    ----------
    Alpaydin & Kaynak (1998), UCI Machine Learning Repository, "Optical
    Recognition of Handwritten Digits" (CC BY 4.0). LeCun et al. (1998) for
    LeNet on the larger MNIST digits (Lecture 3 and Lecture 14, "LeNet").

    Examples
    --------
    >>> d = load_digits()
    >>> d.x_train.shape, d.x_test.shape, d.y_train.dtype
    ((1438, 1, 8, 8), (359, 1, 8, 8), dtype('int64'))
    """
    test_fraction = check_real(test_fraction, "test_fraction", low=0, high=1, low_open=True,
                               high_open=True)
    split_seed = check_int(split_seed, "split_seed", minimum=0)
    file = Path(data_path(DIGITS_FILE)) if path is None else check_file(path, "path")
    check_sha256(file, DIGITS_SHA256)
    table = np.loadtxt(file, delimiter=",", dtype=np.int64)  # (1797, 65): 64 pixels, label
    images = table[:, :64].reshape(-1, 1, 8, 8).astype(np.float64) / 16.0  # (N, 1, 8, 8)
    labels = table[:, 64]
    rng = default_rng(split_seed)
    test = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        test[members[:int(round(test_fraction * len(members)))]] = True
    if test.all() or not test.any():
        raise ValueError(f"test_fraction = {test_fraction:g} leaves the "
                         f"{'training' if test.all() else 'test'} set empty (each class has about "
                         f"{len(labels) // 10} images)")
    return Digits(images[~test], labels[~test], images[test], labels[test])
