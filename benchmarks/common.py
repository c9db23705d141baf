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
