"""lecturekit.datasets: the shipped digits file, its hash check and the deterministic split."""

import gzip
import hashlib
import shutil

import numpy as np
import pytest

from lecturekit.datasets import DIGITS_SHA256, check_sha256, load_digits, sha256
from lecturekit.paths import data_path


def test_shipped_file_has_the_documented_hash():
    path = data_path("digits/digits.csv.gz")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == DIGITS_SHA256 == sha256(path)
    readme = (path.parent / "README.md").read_text(encoding="utf-8")
    assert DIGITS_SHA256 in readme and "CC BY 4.0" in readme and "BSD-3" in readme


def test_digits_shapes_ranges_and_labels():
    d = load_digits()
    assert d.x_train.shape[1:] == d.x_test.shape[1:] == (1, 8, 8)
    assert len(d.x_train) + len(d.x_test) == 1797
    assert d.x_train.dtype == np.float64 and d.y_train.dtype == np.int64
    for x in (d.x_train, d.x_test):
        assert x.min() == 0.0 and x.max() == 1.0
        # pixels are counts 0..16 divided by 16
        np.testing.assert_array_equal(x * 16, np.round(x * 16))
    assert set(np.unique(d.y_train)) == set(np.unique(d.y_test)) == set(range(10))


def test_images_are_the_file_rows_in_row_major_order():
    # read the file independently with the gzip module: the first row is a 0
    with gzip.open(data_path("digits/digits.csv.gz"), "rt") as fh:
        rows = [list(map(int, line.split(","))) for line in fh]
    table = np.array(rows)
    assert table.shape == (1797, 65)
    d = load_digits(test_fraction=0.5)
    images = np.concatenate([d.x_train, d.x_test]).reshape(-1, 64) * 16
    labels = np.concatenate([d.y_train, d.y_test])
    # the split is a permutation of the file's rows: same multiset of (pixels, label)
    as_rows = sorted(map(tuple, np.column_stack([images.astype(int), labels])))
    assert as_rows == sorted(map(tuple, table))
    assert table[0, 64] == 0


def test_split_is_stratified_and_deterministic():
    a, b = load_digits(), load_digits()
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    counts_test = np.bincount(a.y_test)
    counts_all = counts_test + np.bincount(a.y_train)
    np.testing.assert_array_equal(counts_test, np.round(0.2 * counts_all).astype(int))
    c = load_digits(split_seed=1)
    assert not np.array_equal(a.y_train, c.y_train)


def test_tampered_copy_raises_naming_the_file_and_both_hashes(tmp_path):
    original = data_path("digits/digits.csv.gz")
    tampered = tmp_path / "digits.csv.gz"
    shutil.copy(original, tampered)
    data = bytearray(tampered.read_bytes())
    data[-5] ^= 0xFF
    tampered.write_bytes(bytes(data))
    actual = hashlib.sha256(bytes(data)).hexdigest()
    with pytest.raises(ValueError) as info:
        load_digits(path=tampered)
    message = str(info.value)
    assert str(tampered) in message and DIGITS_SHA256 in message and actual in message
    # an untouched copy loads fine
    good = tmp_path / "good.csv.gz"
    shutil.copy(original, good)
    assert check_sha256(good, DIGITS_SHA256) == good


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\), got 1"):
        load_digits(test_fraction=1.0)
    with pytest.raises(FileNotFoundError, match=r"path: no such file"):
        load_digits(path="/nonexistent/digits.csv.gz")
