r"""The formula catalog: every formula, definition and worked example of the notes.

``data/catalog.toml`` holds one ``[[formula]]`` table per entry, tying it to
its lecture file and section, the formula as the lecture writes it, the
lecturekit function that implements it, the test that checks it and the
notebook that shows it. ``status`` is ``"planned"`` until all four exist, then
``"done"``; ``tests/test_catalog.py`` keeps the ``done`` entries honest.
"""

from __future__ import annotations

import sys

from ._files import check_file  # not _checks: this module imports no numpy
from .paths import data_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

REQUIRED_FIELDS = (
    "id", "lecture", "section", "kind", "title", "latex",
    "function", "test", "notebook", "status",
)
KINDS = ("formula", "definition", "example")
STATUSES = ("planned", "done")


def _check_entries(entries, name):
    """Raise ``ValueError`` naming ``name`` and the entry unless every entry is well formed."""
    if not isinstance(entries, (list, tuple)):
        raise TypeError(f"{name} must be a list of catalog entries (dicts), "
                        f"got {type(entries).__name__}")
    seen = set()
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise TypeError(f"{name}[{i}] must be a catalog entry (a dict), got {type(entry).__name__}")
        where = f"{name}: catalog entry {i} ({entry.get('id', 'no id')})"
        missing = [f for f in REQUIRED_FIELDS if f not in entry]
        if missing:
            raise ValueError(f"{where} lacks the field(s) {', '.join(missing)}")
        wrong = [f for f in REQUIRED_FIELDS if not isinstance(entry[f], str)]
        if wrong:
            raise ValueError(f"{where}: the field(s) {', '.join(wrong)} must be strings")
        if entry["kind"] not in KINDS:
            raise ValueError(f"{where}: kind must be one of {KINDS}, got {entry['kind']!r}")
        if entry["status"] not in STATUSES:
            raise ValueError(f"{where}: status must be one of {STATUSES}, got {entry['status']!r}")
        if entry["id"] in seen:
            raise ValueError(f"{where}: the id {entry['id']!r} is used twice")
        seen.add(entry["id"])
    return entries


def load_catalog(path=None):
    """Return the catalog's entries, a list of dicts in the file's order.

    Raises ``ValueError`` naming the entry if a required field is missing or is not
    a string, a ``kind``/``status`` is not one of the allowed values, or an id
    repeats; ``FileNotFoundError`` if there is no file at ``path``.
    """
    path = data_path("catalog.toml") if path is None else check_file(path, "path")
    with open(path, "rb") as fh:
        try:
            entries = tomllib.load(fh).get("formula", [])
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"path: {str(path)!r} is not a TOML file: {exc}") from None
    return _check_entries(entries, f"the catalog {path.name}")


def catalog_markdown(entries=None, lecture=None):
    """Render the catalog (or one lecture's part of it) as a Markdown table.

    ``entries`` are :func:`load_catalog`'s (the default), ``lecture`` one of their
    lecture files, or None for all of them.
    """
    entries = load_catalog() if entries is None else _check_entries(entries, "entries")
    if lecture is not None and not (isinstance(lecture, str)
                                    and any(lecture == e["lecture"] for e in entries)):
        lectures = sorted({e["lecture"] for e in entries})
        raise ValueError(f"lecture must be one of the entries' lectures {lectures} or None, "
                         f"got {lecture!r}")
    rows = ["| id | kind | formula | lecturekit | status |", "|---|---|---|---|---|"]
    for e in entries:
        if lecture is not None and e["lecture"] != lecture:
            continue
        # A bare | would end the table cell: the norm \| becomes \Vert, a | becomes \vert.
        formula = e["latex"].replace(r"\|", r"\Vert ").replace("|", r"\vert ").replace("\n", " ")
        title = e["title"].replace("|", r"\|")
        mark = "done" if e["status"] == "done" else "planned"
        if e.get("erratum"):
            mark += " (erratum)"
        rows.append(
            f"| `{e['id']}` | {e['kind']} | {title}: ${formula}$ | `{e['function']}` | {mark} |"
        )
    return "\n".join(rows)
