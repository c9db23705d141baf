"""Rebuild notebooks from their text sources and execute each in a fresh kernel.

Every notebook ``notebooks/NAME.ipynb`` has a source ``notebooks/src/NAME.md``
(MyST Markdown, paired by jupytext; see ``jupytext.toml``). The source is what
authors edit; this script turns it into the notebook, runs it top to bottom in
a fresh kernel and writes the notebook with its outputs, which is what is
committed and what ``python -m pytest`` compares with a fresh run (nbval,
strict). Run it after any change to a source or to lecturekit:

    python scripts/execute_notebooks.py                          # every notebook
    python scripts/execute_notebooks.py notebooks/src/01-mlp.md  # one (source or .ipynb path)
    python scripts/execute_notebooks.py exercises/src/01-mlp.md  # one exercise notebook
    python scripts/execute_notebooks.py --exercises              # every exercise notebook

The exercise notebooks ``exercises/NAME.ipynb`` are built the same way from
``exercises/src/NAME.md``; they are the solution versions (nbgrader's solution
regions and graded check cells, whose metadata the source carries), and
``scripts/assignments.py`` makes the student versions from them.

Cell ids are kept from the previous notebook where a cell's source is unchanged,
and otherwise derived from the cell's content, so that a rebuild changes the ids
of the cells that changed and no others.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import jupytext
import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOURCES = NOTEBOOKS / "src"
EXERCISES = ROOT / "exercises"
EXERCISE_SOURCES = EXERCISES / "src"
# The kernels inherit this: one BLAS thread, as under pytest (see conftest.py).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def pair(path):
    """``(source, notebook)`` paths for a source ``src/NAME.md`` or a notebook ``NAME.ipynb``.

    A path inside ``exercises/`` pairs ``exercises/src/NAME.md`` with
    ``exercises/NAME.ipynb``; any other, ``notebooks/src/NAME.md`` with ``notebooks/NAME.ipynb``.
    """
    path = Path(path).resolve()
    name = path.stem
    if path.is_relative_to(EXERCISES):
        return EXERCISE_SOURCES / f"{name}.md", EXERCISES / f"{name}.ipynb"
    return SOURCES / f"{name}.md", NOTEBOOKS / f"{name}.ipynb"


def _merge_streams(cell):
    """Join consecutive stdout (or stderr) chunks: how the kernel splits them varies by run."""
    merged = []
    for out in cell.get("outputs", []):
        if (out.get("output_type") == "stream" and merged
                and merged[-1].get("output_type") == "stream" and merged[-1]["name"] == out["name"]):
            merged[-1]["text"] += out["text"]
        else:
            merged.append(out)
    cell["outputs"] = merged


def _assign_ids(nb, previous):
    """Give each cell the id it had in ``previous`` if its source is unchanged, else a content id."""
    old = defaultdict(list)  # (type, source) -> ids, in order
    if previous is not None:
        for cell in previous.cells:
            old[(cell.cell_type, cell.source)].append(cell.get("id"))
    used = set()
    for cell in nb.cells:
        ids = old.get((cell.cell_type, cell.source))
        cid = ids.pop(0) if ids else None
        if cid is None or cid in used:
            digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()
            k = 0
            cid = digest[:8]
            while cid in used:  # two identical new cells
                k += 1
                cid = hashlib.sha1(f"{digest}{k}".encode()).hexdigest()[:8]
        cell["id"] = cid
        used.add(cid)


def _kernelspec(name):
    """The ``kernelspec`` metadata JupyterLab writes for the kernel ``name`` of this environment."""
    spec = KernelSpecManager().get_kernel_spec(name)
    return {"display_name": spec.display_name, "language": spec.language, "name": name}


def build(source, notebook):
    """The notebook of ``source``, before execution: cells and tags from the source."""
    nb = jupytext.read(source)
    nb.metadata.pop("jupytext", None)  # the pairing lives in jupytext.toml
    previous = nbformat.read(notebook, as_version=4) if notebook.exists() else None
    _assign_ids(nb, previous)
    return nb


def execute(source, notebook, timeout=600):
    nb = build(source, notebook)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
        store_widget_state=False,  # widget state would only bloat the file; nbval ignores it
        record_timing=False,  # per-cell timestamps would change every diff
    )
    client.execute()
    nb.metadata.pop("widgets", None)
    # JupyterLab writes the running kernel's spec into the notebook when it opens it
    # (its language_info comes from the kernel already): store that spec, or every
    # notebook is marked modified on open, before anything runs.
    nb.metadata["kernelspec"] = _kernelspec(client.kernel_name)
    for cell in nb.cells:
        if cell.cell_type == "code":
            _merge_streams(cell)
    errors = [
        (i, out.get("ename"))
        for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
        for out in cell.get("outputs", []) if out.get("output_type") == "error"
    ]
    if errors:
        raise RuntimeError(f"{source.name}: error output in cells {errors}")
    nbformat.validate(nb)
    nbformat.write(nb, notebook)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path,
                        help="sources (notebooks/src/NAME.md, exercises/src/NAME.md) or notebooks "
                             "(notebooks/NAME.ipynb, exercises/NAME.ipynb)")
    parser.add_argument("--exercises", action="store_true",
                        help="every exercise notebook (exercises/src/*.md) instead of the lectures'")
    args = parser.parse_args(argv)
    if args.exercises and args.paths:
        parser.error("give paths or --exercises, not both")
    default = EXERCISE_SOURCES if args.exercises else SOURCES
    sources = [pair(p)[0] for p in args.paths] or sorted(default.glob("*.md"))
    for source in sources:
        if not source.exists():
            folder = source.parent.parent.name
            parser.error(f"no source {source.relative_to(ROOT)}: every notebook is built from "
                         f"{folder}/src/NAME.md")
        start = time.perf_counter()
        source, notebook = pair(source)
        execute(source, notebook)
        label = notebook.name if notebook.parent == NOTEBOOKS else notebook.relative_to(ROOT)
        print(f"{label}: built from src/{source.name} and executed in "
              f"{time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
