"""Explorer redraw time: update() = compute + draw + render to PNG (target p95 <= 40 ms CPU).

Each explorer makes 60 moves of a seeded random walk, one control changing per
move, as a class moving sliders does; a few warm-up moves come first so that
import and first-render costs are not counted. Two rows per explorer: the p95
of the CPU time of the process (``time.process_time``: what a redraw costs,
whatever else runs on the machine) and of the wall time (what a student waits).

The walk runs in a subprocess started WITHOUT ``OPENBLAS_NUM_THREADS`` (as a
kernel that JupyterLab starts), so that the rows include what the library does
about BLAS threads itself (``lecturekit._threads.small_work``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

from .common import Row, percentile

MOVES = 60
WARMUP = 5
TARGET_CPU_MS = 40


def _walk(cls, rng, n):
    """``n`` parameter changes: one control each, to a different value from its range."""
    names = list(cls.controls)
    moves = []
    while len(moves) < n:
        name = names[int(rng.integers(len(names)))]
        values = cls.controls[name].sweep_values(interior=8)
        moves.append({name: values[int(rng.integers(len(values)))]})
    return moves


def measure(moves=MOVES, warmup=WARMUP):
    """``{class name: (cpu ms samples, wall ms samples, construction ms)}`` in this process."""
    from lecturekit.explore import EXPLORERS

    out = {}
    for cls in EXPLORERS:
        start = time.perf_counter()
        explorer = cls()
        built = 1e3 * (time.perf_counter() - start)
        rng = np.random.default_rng(0)
        for move in _walk(cls, rng, warmup):
            explorer.update(**move)
        cpu, wall = [], []
        for move in _walk(cls, rng, moves):
            c, w = time.process_time(), time.perf_counter()
            explorer.update(**move)
            cpu.append(1e3 * (time.process_time() - c))
            wall.append(1e3 * (time.perf_counter() - w))
        out[cls.__name__] = (cpu, wall, built)
        del explorer
    return out


def _in_a_kernel_like_process():
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    code = ("import json; from benchmarks.bench_explore import measure; "
            "print(json.dumps(measure()))")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def rows():
    for name, (cpu, wall, built) in _in_a_kernel_like_process().items():
        yield Row(f"explore {name}.update CPU p95 ({MOVES} moves)", percentile(cpu, 95), "ms",
                  f"p50 {percentile(cpu, 50):.1f} ms, max {max(cpu):.1f} ms; "
                  f"target <= {TARGET_CPU_MS} ms")
        yield Row(f"explore {name}.update wall p95", percentile(wall, 95), "ms",
                  f"p50 {percentile(wall, 50):.1f} ms; built in {built:.0f} ms")
