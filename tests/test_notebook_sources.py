"""Every notebook agrees with its text source, cell by cell.

``notebooks/src/NAME.md`` (MyST Markdown, paired by jupytext) is what authors
edit; ``notebooks/NAME.ipynb`` is what ``scripts/execute_notebooks.py`` built
from it, with outputs. nbval checks that the outputs match the notebook's
code; this checks that the code is the source's: an edited source that was not
rebuilt and re-executed fails here, naming the notebook and the first cell
that differs.
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
REBUILD = "python scripts/execute_notebooks.py"
IGNORE_OUTPUT = "# NBVAL_IGNORE_OUTPUT"
# Metadata that a front end writes and the source does not carry.
VOLATILE = {"execution", "collapsed", "scrolled", "jupyter", "editable", "deletable", "trusted"}

NAMES = sorted({p.stem for p in NOTEBOOKS.glob("*.ipynb")} | {p.stem for p in SOURCES.glob("*.md")})


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


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_built_from_its_source(name):
    source, notebook = SOURCES / f"{name}.md", NOTEBOOKS / f"{name}.ipynb"
    assert source.exists(), (f"notebooks/{name}.ipynb has no source notebooks/src/{name}.md: "
                             f"create it with `jupytext --to md:myst --output {source.relative_to(ROOT)} "
                             f"{notebook.relative_to(ROOT)}`")
    assert notebook.exists(), (f"notebooks/src/{name}.md has no notebook: run "
                               f"`{REBUILD} notebooks/src/{name}.md`")
    found = differences(jupytext.read(source), nbformat.read(notebook, as_version=4))
    assert not found, (
        f"notebooks/{name}.ipynb is out of date with its source notebooks/src/{name}.md "
        f"(rebuild and re-execute it: `{REBUILD} notebooks/src/{name}.md`):\n  "
        + "\n  ".join(found[:5]))


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
