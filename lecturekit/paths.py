"""Where lecturekit finds its data files (the formula catalog, the digits set).

The files live in the repository's top-level ``data/`` folder. A built wheel
carries that folder inside the package as ``lecturekit/_data`` (see
``[tool.hatch.build.targets.wheel.force-include]`` in ``pyproject.toml``); an
editable install or a plain checkout reads ``../data`` beside the package.
``data_dir()`` looks in that order, so both work, and ``tests/test_paths.py``
builds a wheel to check the first case.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CANDIDATES = (_PACKAGE / "_data", _PACKAGE.parent / "data")
_MARKER = "catalog.toml"


def data_dir():
    """Return the folder that holds lecturekit's data files.

    Raises
    ------
    FileNotFoundError
        If neither ``lecturekit/_data`` nor ``../data`` holds ``catalog.toml``.
    """
    for folder in _CANDIDATES:
        if (folder / _MARKER).is_file():
            return folder
    tried = ", ".join(str(p) for p in _CANDIDATES)
    raise FileNotFoundError(f"lecturekit's data folder was not found (looked in {tried})")


def data_path(name):
    """Return the path of the data file ``name`` (e.g. ``"catalog.toml"``), which must exist."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be the name of a data file (a non-empty str, e.g. "
                        f"'catalog.toml'), got {name!r}")
    path = data_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"name = {name!r}: no such data file in {data_dir()}")
    return path
