"""Re-execute notebooks in place, top to bottom, each in a fresh kernel.

Run this after any change to lecturekit or a notebook, then commit the
notebooks with their new outputs: ``python -m pytest`` compares the stored
outputs with a fresh run (nbval, strict), so stale outputs fail the tests.

    python scripts/execute_notebooks.py                 # every notebook
    python scripts/execute_notebooks.py notebooks/01-mlp.ipynb
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
# The kernels inherit this: one BLAS thread, as under pytest (see conftest.py).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


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


def execute(path, timeout=600):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,  # widget state would only bloat the file; nbval ignores it
        record_timing=False,  # per-cell timestamps would change every diff
    )
    client.execute()
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            _merge_streams(cell)
    errors = [
        (i, out.get("ename"))
        for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
        for out in cell.get("outputs", []) if out.get("output_type") == "error"
    ]
    if errors:
        raise RuntimeError(f"{path.name}: error output in cells {errors}")
    nbformat.write(nb, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        start = time.perf_counter()
        execute(path.resolve())
        print(f"{path.name}: executed in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
