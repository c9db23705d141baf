"""The file check shared by the modules that read data files, without numpy.

:mod:`lecturekit.catalog` imports no numpy (a wheel's catalog loads with the standard
library alone, ``tests/test_paths.py``), so this helper lives apart from
:mod:`lecturekit._checks`, which re-exports it for everyone else.
"""

from __future__ import annotations

import os
from pathlib import Path


def check_file(path, name):
    """``path`` (a str or os.PathLike) as a Path to an existing file, else a clear error."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{name}: no such file {str(path)!r}")
    return path
