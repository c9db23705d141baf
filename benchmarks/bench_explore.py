"""Explorer redraw time: update() = compute + draw + render to PNG (target p95 <= 60 ms).

Each explorer makes 30 moves of a seeded random walk, one control changing per
move, as a class moving sliders does; a few warm-up moves come first so that
import and first-render costs are not counted.
"""

from __future__ import annotations

import time

import numpy as np

from .common import Row, percentile

MOVES = 30
WARMUP = 5


def _walk(cls, rng, n):
    """``n`` parameter changes: one control each, to a different value from its range."""
    names = list(cls.controls)
    moves = []
    while len(moves) < n:
        name = names[int(rng.integers(len(names)))]
        values = cls.controls[name].sweep_values(interior=8)
        moves.append({name: values[int(rng.integers(len(values)))]})
    return moves


def rows():
    from lecturekit.explore import EXPLORERS

    for cls in EXPLORERS:
        explorer = cls()
        rng = np.random.default_rng(0)
        for move in _walk(cls, rng, WARMUP):
            explorer.update(**move)
        samples = []
        for move in _walk(cls, rng, MOVES):
            start = time.perf_counter()
            explorer.update(**move)
            samples.append(time.perf_counter() - start)
        ms = [1e3 * s for s in samples]
        note = f"p50 {percentile(ms, 50):.1f} ms, max {max(ms):.1f} ms; target p95 <= 60 ms"
        yield Row(f"explore {cls.__name__}.update, p95 of {MOVES} moves", percentile(ms, 95),
                  "ms", note)
