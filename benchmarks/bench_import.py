"""Import time of lecturekit in a fresh interpreter (budget: 0.15 s)."""

from __future__ import annotations

import subprocess
import sys

from .common import Row, median

NUMERIC = "activations conv dropout gradcheck init losses norm optim pool regularization rng"


def _import_seconds(statement, repeat=7):
    code = (
        "import time; t = time.perf_counter(); "
        f"{statement}; print(time.perf_counter() - t)"
    )
    out = []
    for _ in range(repeat):
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        out.append(float(res.stdout.strip()))
    return median(out)


def rows():
    base = _import_seconds("import numpy")
    pkg = _import_seconds("import lecturekit")
    import importlib.util

    mods = [m for m in NUMERIC.split() if importlib.util.find_spec(f"lecturekit.{m}")]
    full = _import_seconds("; ".join(f"import lecturekit.{m}" for m in mods))
    yield Row("import lecturekit (fresh interpreter, median of 7)", pkg, "s", "budget 0.15 s")
    yield Row("import numpy (baseline, same run)", base, "s")
    yield Row(f"import every numeric module ({len(mods)})", full, "s",
              f"{full / base:.2f}x numpy alone; budget 0.15 s")
