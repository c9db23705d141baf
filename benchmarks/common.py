"""Timing helpers shared by the benchmark modules."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass


@dataclass
class Row:
    name: str
    value: float
    unit: str
    note: str = ""


def repeat_time(fn, repeat=7, number=1):
    """Seconds per call of ``fn``, one sample per repeat (each the mean of ``number`` calls)."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return samples


def median(samples):
    return statistics.median(samples)


def percentile(samples, q):
    """The q-th percentile (0-100) by linear interpolation between sorted samples."""
    s = sorted(samples)
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


# ---------------------------------------------------------------- fair comparisons
#
# Two sides (lecturekit and torch, or two implementations) are compared fairly when
#   * they use the same number of threads: numpy's BLAS through threadpoolctl, torch's
#     intra-op pool through torch.set_num_threads;
#   * their rounds are interleaved, A, B, A, B, ..., so that a burst of load from other
#     processes on a shared machine hits both sides alike;
#   * each side's figure is the median of its rounds (each round the mean of a block of
#     calls), and the ratio is the median of the per-round ratios.

PAUSE = 0.05
"""Seconds of rest before each block: OpenBLAS and OpenMP workers spin for a while after
a call and would steal the other side's cores."""


def try_torch():
    """``torch`` if it can be imported, else None (torch is never a lecturekit dependency)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def torch_missing_row(name):
    return Row(f"{name}: torch not installed", float("nan"), "", "pip install torch to measure")


class threads:
    """``with threads(n):`` numpy's BLAS (threadpoolctl) and torch (if given) on ``n`` threads."""

    def __init__(self, n, torch=None):
        self.n, self.torch = n, torch

    def __enter__(self):
        from threadpoolctl import threadpool_limits

        self._limits = threadpool_limits(limits=self.n, user_api="blas")
        if self.torch is not None:
            self._torch_before = self.torch.get_num_threads()
            self.torch.set_num_threads(self.n)
        return self

    def __exit__(self, *exc):
        self._limits.restore_original_limits()
        if self.torch is not None:
            self.torch.set_num_threads(self._torch_before)


def blas_threads():
    """The number of threads numpy's BLAS uses now (threadpoolctl), 1 if it cannot tell."""
    from threadpoolctl import threadpool_info

    counts = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    return max(counts) if counts else 1


def calibrate(fn, budget=0.02):
    """Calls per block so that a block lasts about ``budget`` seconds (at least 1)."""
    fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    return max(1, int(budget / once))


def _block(fn, number):
    """``(wall, cpu)`` seconds per call over a block of ``number`` calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(number):
        fn()
    return ((time.perf_counter() - wall) / number, (time.process_time() - cpu) / number)


def interleaved(fns, rounds=9, budget=0.02, clock="wall"):
    """Median seconds per call of each function in ``fns`` (a dict), rounds interleaved.

    Returns ``(medians, ratios)``: ``medians[name]`` the median over rounds of the mean
    time per call in a block; ``ratios[name]`` the median over rounds of that round's
    time divided by the first function's time in the same round. ``clock`` is
    ``"wall"`` (perf_counter) or ``"cpu"`` (the process's CPU time: on a loaded machine
    a single-threaded block's CPU time is less disturbed by the other processes than
    its wall time; it is no measure for several threads, whose spinning it counts).
    """
    names = list(fns)
    numbers = {name: calibrate(fns[name], budget) for name in names}
    per_round = {name: {"wall": [], "cpu": []} for name in names}
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]  # A, B | B, A | A, B ...
        for name in order:
            time.sleep(PAUSE)
            wall, cpu = _block(fns[name], numbers[name])
            per_round[name]["wall"].append(wall)
            per_round[name]["cpu"].append(cpu)
    medians, ratios = {}, {}
    for c in ("wall", "cpu"):
        first = per_round[names[0]][c]
        medians[c] = {name: median(per_round[name][c]) for name in names}
        ratios[c] = {name: median([t / f if f > 0 else float("nan")
                                   for t, f in zip(per_round[name][c], first, strict=True)])
                     for name in names}
    return medians[clock], ratios[clock], (medians, ratios)


def ratio_row(name, ours, theirs, *, target=None, rounds=9, budget=0.02, labels=("ours", "torch"),
              single_thread=False):
    """A row: time of ``ours`` / time of ``theirs``, interleaved (see :func:`interleaved`).

    The value is the median of the per-round wall-time ratios; with ``single_thread`` the
    note adds the CPU-time ratio too.
    """
    _, _, (medians, ratios) = interleaved({labels[0]: ours, labels[1]: theirs}, rounds, budget)
    a, b = medians["wall"][labels[0]], medians["wall"][labels[1]]
    note = f"{a * 1e3:.3f} vs {b * 1e3:.3f} ms"
    if single_thread:
        note += f"; CPU-time ratio {1 / ratios['cpu'][labels[1]]:.3f}x"
    if target is not None:
        note += f"; target <= {target:g}x"
    return Row(name, 1 / ratios["wall"][labels[1]], "x", note)
