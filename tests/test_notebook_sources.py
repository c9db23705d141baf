"""Every notebook agrees with its text source, cell by cell.

``notebooks/src/NAME.md`` (MyST Markdown, paired by jupytext) is what authors
edit; ``notebooks/NAME.ipynb`` is what ``scripts/execute_notebooks.py`` built
from it, with outputs. nbval checks that the outputs match the notebook's
code; this checks that the code is the source's: an edited source that was not
rebuilt and re-executed fails here, naming the notebook and the first cell
that differs.

The exercise notebooks ``exercises/NAME.ipynb`` are held to the same rule
against ``exercises/src/NAME.md``, and their nbgrader cell metadata (solution
regions, graded check cells with points) must survive the MyST round trip.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOURCES = NOTEBOOKS / "src"
EXERCISES = ROOT / "exercises"
EXERCISE_SOURCES = EXERCISES / "src"
REBUILD = "python scripts/execute_notebooks.py"
IGNORE_OUTPUT = "# NBVAL_IGNORE_OUTPUT"
# Metadata that a front end writes and the source does not carry.
VOLATILE = {"execution", "collapsed", "scrolled", "jupyter", "editable", "deletable", "trusted"}

NAMES = sorted({p.stem for p in NOTEBOOKS.glob("*.ipynb")} | {p.stem for p in SOURCES.glob("*.md")})
EXERCISE_NAMES = sorted({p.stem for p in EXERCISES.glob("*.ipynb")}
                        | {p.stem for p in EXERCISE_SOURCES.glob("*.md")})
PAIRS = [("notebooks", n) for n in NAMES] + [("exercises", n) for n in EXERCISE_NAMES]


def test_there_are_notebooks_and_sources():
    assert len(list(NOTEBOOKS.glob("*.ipynb"))) >= 6
    assert len(list(SOURCES.glob("*.md"))) >= 6


def _cells(nb):
    """(type, source, tags, ignores output, other metadata) of each cell."""
    out = []
    for cell in nb.cells:
        meta = {k: v for k, v in cell.metadata.items() if k not in VOLATILE | {"tags"}}
        source = cell.source.rstrip("\n")  # a text format cannot keep trailing blank lines
        out.append((cell.cell_type, source, list(cell.metadata.get("tags", [])),
                    cell.cell_type == "code" and IGNORE_OUTPUT in source, meta))
    return out


def differences(source_nb, notebook_nb):
    """Sentences saying where ``notebook_nb`` differs from ``source_nb``; empty if it does not."""
    src, nb = _cells(source_nb), _cells(notebook_nb)
    if len(src) != len(nb):
        return [f"the source has {len(src)} cells, the notebook {len(nb)}"]
    found = []
    for i, (a, b) in enumerate(zip(src, nb, strict=True)):
        where = f"cell {i} ({a[0]}, starting {a[1].splitlines()[0][:60]!r})" if a[1] else f"cell {i}"
        if a[0] != b[0]:
            found.append(f"{where}: a {a[0]} cell in the source, a {b[0]} cell in the notebook")
        elif a[1] != b[1]:
            diff = [line for line in difflib.unified_diff(b[1].splitlines(), a[1].splitlines(),
                                                          "notebook", "source", lineterm="", n=0)
                    if line[:1] in "+-" and line[:3] not in ("+++", "---")]
            found.append(f"{where}: the code differs:\n    " + "\n    ".join(diff[:6]))
        if a[2] != b[2]:
            found.append(f"{where}: tags {a[2]} in the source, {b[2]} in the notebook")
        if a[3] != b[3]:
            found.append(f"{where}: {IGNORE_OUTPUT} is {'in' if a[3] else 'not in'} the source "
                         f"but {'in' if b[3] else 'not in'} the notebook")
        if a[4] != b[4]:
            found.append(f"{where}: cell metadata {a[4]} in the source, {b[4]} in the notebook")
    return found


@pytest.mark.parametrize("folder, name", PAIRS)
def test_notebook_is_built_from_its_source(folder, name):
    source, notebook = ROOT / folder / "src" / f"{name}.md", ROOT / folder / f"{name}.ipynb"
    assert source.exists(), (f"{folder}/{name}.ipynb has no source {folder}/src/{name}.md: "
                             f"create it with `jupytext --to md:myst --output {source.relative_to(ROOT)} "
                             f"{notebook.relative_to(ROOT)}`")
    assert notebook.exists(), (f"{folder}/src/{name}.md has no notebook: run "
                               f"`{REBUILD} {folder}/src/{name}.md`")
    found = differences(jupytext.read(source), nbformat.read(notebook, as_version=4))
    assert not found, (
        f"{folder}/{name}.ipynb is out of date with its source {folder}/src/{name}.md "
        f"(rebuild and re-execute it: `{REBUILD} {folder}/src/{name}.md`):\n  "
        + "\n  ".join(found[:5]))


def _nbgrader_cells(nb):
    return [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]


def test_there_are_exercise_notebooks_with_solution_and_graded_cells():
    assert len(EXERCISE_NAMES) >= 5
    solutions = checks = 0
    for name in EXERCISE_NAMES:
        cells = _nbgrader_cells(jupytext.read(EXERCISE_SOURCES / f"{name}.md"))
        ids = [c["grade_id"] for c in cells]
        assert len(ids) == len(set(ids)), f"{name}: grade_id repeated"
        for meta in cells:
            assert meta["schema_version"] == 3 and {"grade", "solution", "locked"} <= set(meta)
            if meta["solution"]:
                assert meta["grade"] is False and meta["locked"] is False
            else:
                assert meta["grade"] is True and meta["locked"] is True and meta["points"] > 0
        solutions += sum(bool(c["solution"]) for c in cells)
        checks += sum(bool(c["grade"]) for c in cells)
        assert sum(bool(c["solution"]) for c in cells) >= 3, name
    assert solutions == checks >= 18


@pytest.mark.parametrize("name", EXERCISE_NAMES)
def test_the_nbgrader_metadata_survives_the_myst_round_trip(name):
    # notebook -> MyST text -> notebook keeps every cell's nbgrader metadata, and the
    # committed notebook's metadata is its source's.
    notebook = nbformat.read(EXERCISES / f"{name}.ipynb", as_version=4)
    again = jupytext.reads(jupytext.writes(notebook, fmt="md:myst"), fmt="md:myst")
    assert _nbgrader_cells(again) == _nbgrader_cells(notebook) != []
    assert _nbgrader_cells(jupytext.read(EXERCISE_SOURCES / f"{name}.md")) == _nbgrader_cells(notebook)


def test_a_changed_source_line_is_reported_with_the_notebook(tmp_path):
    # The check itself: change one line of a real source and it must be found and named.
    name = NAMES[1]
    text = (SOURCES / f"{name}.md").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    k = next(i for i, line in enumerate(lines) if line.startswith("import numpy as np"))
    lines[k] = "import numpy as np  # edited\n"
    edited = tmp_path / f"{name}.md"
    edited.write_text("".join(lines), encoding="utf-8")
    found = differences(jupytext.read(edited), nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4))
    assert len(found) == 1 and "the code differs" in found[0] and "# edited" in found[0]


def test_a_changed_tag_or_ignore_marker_is_reported():
    name = NAMES[1]
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    src = jupytext.read(SOURCES / f"{name}.md")
    tagged = next(i for i, c in enumerate(src.cells) if c.metadata.get("tags"))
    src.cells[tagged].metadata["tags"] = [*src.cells[tagged].metadata["tags"], "extra"]
    code = next(i for i, c in enumerate(src.cells) if c.cell_type == "code" and IGNORE_OUTPUT not in c.source)
    src.cells[code].source = f"{IGNORE_OUTPUT}\n{src.cells[code].source}"
    found = differences(src, nb)
    assert any("tags" in f and "extra" in f for f in found)
    assert any(IGNORE_OUTPUT in f and "is in the source but not in the notebook" in f for f in found)


def test_a_changed_nbgrader_field_is_reported():
    name = EXERCISE_NAMES[0]
    src = jupytext.read(EXERCISE_SOURCES / f"{name}.md")
    graded = next(c for c in src.cells if c.metadata.get("nbgrader", {}).get("grade"))
    graded.metadata["nbgrader"]["points"] += 1
    found = differences(src, nbformat.read(EXERCISES / f"{name}.ipynb", as_version=4))
    assert len(found) == 1 and "cell metadata" in found[0] and "'points'" in found[0]
