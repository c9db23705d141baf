"""conv2d: the im2col fast path against the reference loops, and against torch's CPU conv2d.

Ratios are measured in one run. Each figure is a block of repeated calls (median
per call); numpy and torch blocks alternate (a, b | b, a | ...) for a few rounds,
so that a burst of load from other processes on a shared machine hurts neither side
more than the other, and each figure is the median of its rounds. A short pause
precedes every block: OpenBLAS and OpenMP keep their worker threads spinning for a while after
a call, and those spinning threads would otherwise steal the cores of the next
block's library. torch runs with as many threads as numpy's BLAS (threadpoolctl).

Each forward row is followed by the time of the plain im2col product
``(K, C*kh*kw) @ (C*kh*kw, N*Ho*Wo)`` alone (numpy's BLAS on operands already in
place). Where the forward does that product (more than ``FEW_FILTERS`` filters:
the two 3x3 shapes) it is a floor: when it is already above the target, no numpy
rearrangement of the copies meets it. On LeNet's 6 filters the forward does a
larger, faster blocked product instead (see ``lecturekit._im2col``), so there the
row is only a reference.

When that is more than one thread, the forward rows are measured a second time
in a subprocess with ``OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=MKL_NUM_THREADS=1``
(numpy's BLAS reads its thread count once, at import), so that both sides are
also compared on one core each. On two cores the two comparisons differ in
kind: torch splits the batch between its threads, while the only parallel part
of the numpy path is inside the matrix product (the im2col copy runs on one
core), and on products as small as LeNet's the second thread does not pay.

torch is optional: when it cannot be imported the torch rows are replaced by
one row saying so. It is never a dependency of lecturekit.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from lecturekit.conv import conv2d, conv2d_backward, conv2d_reference

from .common import Row, blas_threads, median, repeat_time, torch_missing_row, try_torch

SHAPES = (  # name, x shape, w shape, padding
    ("LeNet N=64 C=1 28x28, 6 5x5", (64, 1, 28, 28), (6, 1, 5, 5), 0),
    ("N=32 C=16 32x32, 32 3x3 pad 1", (32, 16, 32, 32), (32, 16, 3, 3), 1),
    ("N=8 C=64 32x32, 64 3x3 pad 1", (8, 64, 32, 32), (64, 64, 3, 3), 1),
)
PAUSE = 0.3  # seconds before each timed block
ROUNDS = 3
REPEAT = 7


def _block(fn, repeat=REPEAT):
    time.sleep(PAUSE)
    fn()  # warm-up
    return median(repeat_time(fn, repeat))


def _compare(fn_a, fn_b, rounds=ROUNDS):
    """Medians over rounds of the block medians of two functions, alternating a, b | b, a | ..."""
    a, b = [], []
    for r in range(rounds):
        if r % 2 == 0:
            a.append(_block(fn_a))
            b.append(_block(fn_b))
        else:
            b.append(_block(fn_b))
            a.append(_block(fn_a))
    return median(a), median(b)


def numpy_threads():
    """Threads numpy's BLAS uses now, as threadpoolctl reports them."""
    return blas_threads()


def _problem(xs, ws, dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=xs).astype(dtype)
    w = (rng.normal(size=ws) / math.sqrt(np.prod(ws[1:]))).astype(dtype)
    b = rng.normal(size=ws[0]).astype(dtype)
    return x, w, b


def reference_rows():
    name, xs, ws, pad = SHAPES[0]
    x, w, b = _problem(xs, ws, np.float64)
    n_ref = 2  # the loops take ~0.1 s per sample: time 2 samples and scale per sample
    ref = _block(lambda: conv2d_reference(x[:n_ref], w, b, padding=pad), repeat=3) / n_ref
    fast = _block(lambda: conv2d(x, w, b, padding=pad)) / xs[0]
    yield Row(f"conv2d fast / reference loops speed-up, {name}, float64", ref / fast, "x",
              f"per sample: loops {ref * 1e3:.1f} ms (timed on {n_ref} samples), "
              f"fast {fast * 1e6:.1f} us (on {xs[0]}); target >= 50x")


def _gemm_only(x, w, pad):
    """The plain im2col product W (K, C*kh*kw) @ cols (C*kh*kw, N*Ho*Wo), as a closure."""
    N, C, H, W = x.shape
    K, _, kh, kw = w.shape
    positions = N * (H + 2 * pad - kh + 1) * (W + 2 * pad - kw + 1)
    rng = np.random.default_rng(2)
    w2 = np.ascontiguousarray(w.reshape(K, -1))
    cols = rng.normal(size=(C * kh * kw, positions)).astype(x.dtype)
    out = np.empty((K, positions), x.dtype)
    return lambda: np.matmul(w2, cols, out=out)


def _torch_shape_rows(torch, name, xs, ws, pad, dtype, target, threads, forward_only=False):
    F = torch.nn.functional
    x, w, b = _problem(xs, ws, dtype)
    dout = np.random.default_rng(1).normal(size=conv2d(x, w, b, padding=pad).shape).astype(dtype)
    tx, tw, tb, tdout = (torch.from_numpy(a) for a in (x, w, b, dout))
    txg, twg, tbg = (t.clone().requires_grad_(True) for t in (tx, tw, tb))

    def torch_forward():
        with torch.no_grad():
            F.conv2d(tx, tw, tb, padding=pad)

    def torch_both():
        for t in (txg, twg, tbg):
            t.grad = None
        F.conv2d(txg, twg, tbg, padding=pad).backward(tdout)

    def numpy_both():
        conv2d(x, w, b, padding=pad)
        conv2d_backward(dout, x, w, padding=pad)

    label = f"{name}, {np.dtype(dtype).name}"
    unit = "1 thread" if threads == 1 else f"{threads} threads"
    ours, theirs = _compare(lambda: conv2d(x, w, b, padding=pad), torch_forward)
    yield Row(f"conv2d forward time / torch, {label}, {unit}", ours / theirs, "x",
              f"{ours * 1e3:.2f} vs {theirs * 1e3:.2f} ms; target <= {target:g}x")
    # The plain im2col product alone, by numpy's BLAS, on operands already in place
    # (no padding, no copy, no output transpose): see the module docstring.
    gemm, theirs = _compare(_gemm_only(x, w, pad), torch_forward)
    yield Row(f"  plain im2col product alone / torch, {label}, {unit}", gemm / theirs, "x",
              f"{gemm * 1e3:.2f} vs {theirs * 1e3:.2f} ms: (K, C*kh*kw) @ (C*kh*kw, N*Ho*Wo)")
    if forward_only:
        return
    ours, theirs = _compare(numpy_both, torch_both)
    yield Row(f"conv2d forward+backward time / torch, {label}, {unit}", ours / theirs, "x",
              f"{ours * 1e3:.2f} vs {theirs * 1e3:.2f} ms")


def torch_rows(forward_only=False):
    torch = try_torch()
    if torch is None:
        yield torch_missing_row("conv2d vs torch")
        return
    threads = numpy_threads()
    torch.set_num_threads(threads)
    for dtype, target in ((np.float64, 1.0), (np.float32, 2.0)):
        for name, xs, ws, pad in SHAPES:
            yield from _torch_shape_rows(torch, name, xs, ws, pad, dtype, target, threads,
                                         forward_only)


def one_thread_rows():
    """The forward rows again in a subprocess whose libraries all use one thread."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    code = ("import json; from benchmarks.bench_conv import torch_rows; "
            "print(json.dumps([vars(r) for r in torch_rows(forward_only=True)]))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, check=True)
    for row in json.loads(done.stdout.strip().splitlines()[-1]):
        yield Row(**row)


def rows():
    yield from reference_rows()
    yield from torch_rows()
    if numpy_threads() > 1 and importlib.util.find_spec("torch") is not None:
        yield from one_thread_rows()
