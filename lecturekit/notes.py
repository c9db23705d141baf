r"""Where the lecture notes are: ``shared/lectures/`` beside the repository, or ``$LECTUREKIT_NOTES``.

The five notes files (``000_778bfa8cbc5d38d6.txt`` ... ``004_16411a88f2dc5004.txt``)
are the course's material, not lecturekit's: they are never committed. They
live in ``../shared/lectures/`` seen from the repository's folder (the
notebooks link to ``../../shared/lectures/NAME.txt``, the same place seen from
``notebooks/``), or in any folder named by the environment variable
``LECTUREKIT_NOTES``, which wins when it is set.

``python -m lecturekit.notes`` prints where the notes are, or says plainly
where they should go.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ENV_VAR = "LECTUREKIT_NOTES"
# lecturekit/notes.py -> the repository's folder -> its parent, which holds shared/lectures/.
DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "lectures"
PATTERN = "*.txt"


def _where():
    """The folder to look in and how it was chosen."""
    value = os.environ.get(ENV_VAR)
    if value:
        return Path(value).expanduser().resolve(), f"${ENV_VAR} is {value!r}"
    return DEFAULT, (f"${ENV_VAR} is not set, so lecturekit looks in shared/lectures/ beside "
                     "the repository")


def notes_dir():
    r"""Return the folder that holds the lecture notes.

    The folder is ``$LECTUREKIT_NOTES`` when that environment variable is set,
    and otherwise ``../shared/lectures/`` relative to the repository (the
    folder ``shared/lectures`` next to the repository's folder). It must hold
    at least one notes file (``*.txt``).

    Returns
    -------
    pathlib.Path
        The absolute path of the folder.

    Raises
    ------
    FileNotFoundError
        If the folder does not exist or holds no ``*.txt`` file. The message
        says where lecturekit looked and where the notes go.

    See Also
    --------
    lecture_path : the path of one notes file.

    Examples
    --------
    Any folder with notes files can be named by ``$LECTUREKIT_NOTES``:

    >>> import os, tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "000_778bfa8cbc5d38d6.txt").write_text("## Lecture 4")
    >>> os.environ[ENV_VAR] = str(folder)
    >>> notes_dir() == folder.resolve()
    True
    >>> lecture_path("000_778bfa8cbc5d38d6.txt").read_text()
    '## Lecture 4'

    A folder without notes gives a message that says where they go:

    >>> (folder / "000_778bfa8cbc5d38d6.txt").unlink()
    >>> notes_dir()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    FileNotFoundError: The lecture notes are not in ...: it holds no notes file (*.txt). ...
    >>> del os.environ[ENV_VAR]
    """
    folder, how = _where()
    if not folder.is_dir():
        problem = "that folder does not exist"
    elif not any(folder.glob(PATTERN)):
        problem = f"it holds no notes file ({PATTERN})"
    else:
        return folder
    raise FileNotFoundError(
        f"The lecture notes are not in {folder}: {problem}. ({how}.) "
        f"Put the course's notes files (000_778bfa8cbc5d38d6.txt and the others) in "
        f"{DEFAULT}, that is ../shared/lectures/ seen from the repository's folder, "
        f"or set {ENV_VAR} to the folder that holds them."
    )


def lecture_path(name):
    r"""Return the path of the notes file ``name``, which must exist.

    Parameters
    ----------
    name : str
        The file's name, e.g. ``"004_16411a88f2dc5004.txt"`` (the "Lecture
        file" at the top of each notebook).

    Returns
    -------
    pathlib.Path
        ``notes_dir() / name``.

    Raises
    ------
    TypeError, ValueError
        If ``name`` is not a str, or is empty or a path rather than a file name.
    FileNotFoundError
        If the notes folder is missing (see :func:`notes_dir`) or has no file
        ``name``; the message lists the files it does have.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a notes file name (a str such as "
                        f"'004_16411a88f2dc5004.txt'), got {type(name).__name__}")
    if not name or Path(name).name != name:
        raise ValueError(f"name must be the bare name of a notes file, such as "
                         f"'004_16411a88f2dc5004.txt', got {name!r}")
    folder = notes_dir()
    path = folder / name
    if not path.is_file():
        present = ", ".join(sorted(p.name for p in folder.glob(PATTERN)))
        raise FileNotFoundError(f"There is no notes file name={name!r} in {folder} "
                                f"(it holds {present}).")
    return path


def main(argv=None):
    """``python -m lecturekit.notes``: print the notes folder and its files, or why they are missing."""
    try:
        folder = notes_dir()
    except FileNotFoundError as err:
        print(err, file=sys.stderr)
        return 1
    print(folder)
    for path in sorted(folder.glob(PATTERN)):
        print(f"  {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
