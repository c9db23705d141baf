"""The quick test run, ``python -m pytest -m "not e2e"``: its wall time, start to end.

Target (issue 16): <= 60 s on this 2-core machine. It runs the unit tests, doctests and
notebooks of the tree whose ``lecturekit`` is imported (under ``benchmarks.compare``
"before" is another tree, with its own tests and its own choice of workers), as a
developer types it, from the tree's root.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from .common import Row

TARGET_S = 60.0
COMMAND = ("-m", "pytest", "-m", "not e2e", "-q")


def _tree():
    import lecturekit

    return Path(lecturekit.__file__).resolve().parents[1]


def quick_run(tree):
    """``(seconds, pytest's last line, return code)`` of the quick run in ``tree``."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *COMMAND], cwd=tree, capture_output=True,
                          text=True, timeout=1800)
    seconds = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return seconds, (lines[-1] if lines else done.stderr[-200:]).strip("= "), done.returncode


def rows():
    seconds, summary, code = quick_run(_tree())
    note = f"{summary}; target <= {TARGET_S:g} s" + ("" if code == 0 else f"; exit status {code}")
    yield Row('python -m pytest -m "not e2e" (the quick run), wall time', seconds, "s", note)
