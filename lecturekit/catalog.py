r"""The formula catalog: every formula, definition and worked example of the notes.

``data/catalog.toml`` holds one ``[[formula]]`` table per entry, tying it to
its lecture file and section, the formula as the lecture writes it, the
lecturekit function that implements it, the test that checks it and the
notebook that shows it. ``status`` is ``"planned"`` until all four exist, then
``"done"``; ``tests/test_catalog.py`` keeps the ``done`` entries honest.
"""

from __future__ import annotations

import sys

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


def load_catalog(path=None):
    """Return the catalog's entries, a list of dicts in the file's order.

    Raises ``ValueError`` naming the entry if a required field is missing or a
    ``kind``/``status`` is not one of the allowed values, or an id repeats.
    """
    path = data_path("catalog.toml") if path is None else path
    with open(path, "rb") as fh:
        entries = tomllib.load(fh).get("formula", [])
    seen = set()
    for i, entry in enumerate(entries):
        where = f"catalog entry {i} ({entry.get('id', 'no id')})"
        missing = [f for f in REQUIRED_FIELDS if f not in entry]
        if missing:
            raise ValueError(f"{where} lacks the field(s) {', '.join(missing)}")
        if entry["kind"] not in KINDS:
            raise ValueError(f"{where}: kind must be one of {KINDS}, got {entry['kind']!r}")
        if entry["status"] not in STATUSES:
            raise ValueError(f"{where}: status must be one of {STATUSES}, got {entry['status']!r}")
        if entry["id"] in seen:
            raise ValueError(f"{where}: the id {entry['id']!r} is used twice")
        seen.add(entry["id"])
    return entries


def catalog_markdown(entries=None, lecture=None):
    """Render the catalog (or one lecture's part of it) as a Markdown table."""
    entries = load_catalog() if entries is None else entries
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
