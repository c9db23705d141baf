"""Explorer redraw time: update() = compute + draw + render to PNG (target p95 <= 40 ms CPU).

Each explorer is made and shown (its ``widget`` built, which draws the states its
``prerender`` lists, as displaying it in a notebook does), then makes 60 moves of a
seeded random walk, one control changing per move, as a class moving sliders does;
a few warm-up moves come first so that import and first-render costs are not
counted. That is done in ``ROUNDS`` rounds, each with a new explorer and its own
walk, and a row gives the median of the rounds' p95s (the note its range): on a
shared 2-core machine one round's p95 moved by 10 ms from run to run. Two rows per
explorer: the p95 of the CPU time of the process (``time.process_time``: what a
redraw costs, whatever else runs on the machine) and of the wall time (what a
student waits). Caches shared by every figure (glyphs, text layouts) are warm
after the first round, as they are after a notebook's first explorers.

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
ROUNDS = 3
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


def measure(moves=MOVES, warmup=WARMUP, rounds=ROUNDS):
    """``{class name: [(cpu ms samples, wall ms samples, construction ms), ...]}``, one tuple
    per round, in this process."""
    from lecturekit.explore import EXPLORERS

    out = {cls.__name__: [] for cls in EXPLORERS}
    for round_ in range(rounds):
        for cls in EXPLORERS:
            start = time.perf_counter()
            explorer = cls()
            built = 1e3 * (time.perf_counter() - start)
            assert explorer.widget is not None  # shown: the prerender states drawn, as in a notebook
            rng = np.random.default_rng(round_)
            for move in _walk(cls, rng, warmup):
                explorer.update(**move)
            cpu, wall = [], []
            for move in _walk(cls, rng, moves):
                c, w = time.process_time(), time.perf_counter()
                explorer.update(**move)
                cpu.append(1e3 * (time.process_time() - c))
                wall.append(1e3 * (time.perf_counter() - w))
            out[cls.__name__].append((cpu, wall, built))
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
    for name, runs in _in_a_kernel_like_process().items():
        cpu95 = [percentile(cpu, 95) for cpu, _, _ in runs]
        wall95 = [percentile(wall, 95) for _, wall, _ in runs]
        cpu50 = float(np.median([percentile(cpu, 50) for cpu, _, _ in runs]))
        built = float(np.median([b for _, _, b in runs]))
        yield Row(f"explore {name}.update CPU p95 ({MOVES} moves)", float(np.median(cpu95)), "ms",
                  f"rounds {min(cpu95):.1f}-{max(cpu95):.1f} ms, p50 {cpu50:.1f} ms; "
                  f"target <= {TARGET_CPU_MS} ms")
        yield Row(f"explore {name}.update wall p95", float(np.median(wall95)), "ms",
                  f"rounds {min(wall95):.1f}-{max(wall95):.1f} ms; built in {built:.0f} ms")
