"""Each notebook's Run All in a fresh kernel: its time and the kernel's memory afterwards.

Targets (issue 16): Run All <= 10 s, the kernel's resident memory (RSS) after it
<= 150 MiB. The notebooks are executed with nbclient in a subprocess whose
environment has no ``OPENBLAS_NUM_THREADS`` (nor ``OMP_NUM_THREADS``), as in a
kernel that JupyterLab starts; the kernel's RSS is read with psutil from
outside, on the kernel's own process, once every cell has run. The time is
that of the cells (from the first cell sent to the last reply), not of the
kernel's start, which the note gives with the three slowest cells.

``LECTUREKIT_BENCH_NOTEBOOKS=01,03`` runs only the notebooks whose names start
with one of those prefixes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from .common import Row

ROOT = Path(__file__).resolve().parents[1]


def _notebooks():
    """The notebooks of the tree whose ``lecturekit`` is imported: under ``benchmarks.compare``
    this benchmark runs from a copy, and "before" is another tree, with its own notebooks."""
    import lecturekit

    return Path(lecturekit.__file__).resolve().parents[1] / "notebooks"
TARGET_S = 10.0
TARGET_MIB = 150.0


def run_all(path):
    """Execute the notebook at ``path`` in a fresh kernel of this environment.

    Returns ``{"start": s, "cells": [(index, seconds, first line)], "rss_mib": m,
    "errors": n}``. Run in a process without the thread settings (see the module).
    """
    import nbformat
    import psutil
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=True,
                            resources={"metadata": {"path": str(Path(path).parent)}})
    cells, errors = [], 0
    start = time.perf_counter()
    with client.setup_kernel():
        started = time.perf_counter() - start
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t = time.perf_counter()
            client.execute_cell(cell, index)
            first = (cell.source.strip().splitlines() or [""])[0][:50]
            cells.append((index, time.perf_counter() - t, first))
            errors += any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        pid = client.km.provisioner.process.pid
        rss = psutil.Process(pid).memory_info().rss / 2**20
    return {"start": started, "cells": cells, "rss_mib": rss, "errors": errors}


def _in_a_kernel_like_process(path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    code = ("import json, sys; from benchmarks.bench_notebooks import run_all; "
            "print(json.dumps(run_all(sys.argv[1])))")
    done = subprocess.run([sys.executable, "-c", code, str(path)], env=env, cwd=ROOT,
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def rows():
    try:
        import nbclient  # noqa: F401
        import psutil  # noqa: F401
    except ImportError as exc:
        yield Row("notebooks Run All (skipped)", float("nan"), "", f"{exc.name} not installed")
        return
    only = [p for p in os.environ.get("LECTUREKIT_BENCH_NOTEBOOKS", "").split(",") if p]
    for path in sorted(_notebooks().glob("*.ipynb")):
        if only and not any(path.name.startswith(p) for p in only):
            continue
        r = _in_a_kernel_like_process(path)
        total = sum(s for _, s, _ in r["cells"])
        slow = sorted(r["cells"], key=lambda c: -c[1])[:3]
        where = "; ".join(f"cell {i} {s:.1f} s ({line})" for i, s, line in slow)
        errors = f"; {r['errors']} cells raised" if r["errors"] else ""
        yield Row(f"notebook {path.stem} Run All, fresh kernel", total, "s",
                  f"target <= {TARGET_S:g} s; kernel start {r['start']:.1f} s; {where}{errors}")
        yield Row(f"notebook {path.stem} kernel RSS after Run All", r["rss_mib"], "MiB",
                  f"target <= {TARGET_MIB:g} MiB")
