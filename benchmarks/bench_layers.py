"""The layers on the notebooks' shapes against torch's CPU float64, at 1 and at 2 threads.

Every row is a ratio measured in one run: lecturekit's time / torch's time for a
forward and a backward pass of the same layer on the same float64 data, with
numpy's BLAS (threadpoolctl) and torch (``torch.set_num_threads``) on the same
number of threads, rounds interleaved, the median of the per-round ratios (see
``benchmarks.common.interleaved``). Target: <= 1.0x at 1 thread.

The shapes: the digits LeNet of ``lecturekit.models.LeNet`` (batches of 32 8x8
images: conv 1 -> 16 channels 3x3 pad 1 on 8x8, conv 16 -> 32 3x3 pad 1 on 4x4,
2x2 max pooling of the 16 x 8x8 maps), LeNet-5's first layer (64 28x28 images,
6 5x5 filters), batch norm on the first conv's output, an LSTM with T = 50 and
H = 64.

Also, at 1 thread, conv2d's forward on the three large shapes of
``benchmarks.bench_conv`` divided by the time of its own im2col matrix product
(operands in place): target <= 1.3x. That row needs no torch.

Without torch the torch rows say "torch not installed"; torch is never a
dependency of lecturekit.
"""

from __future__ import annotations

import math

import numpy as np

from lecturekit.conv import conv2d, conv2d_backward
from lecturekit.norm import batch_norm, batch_norm_backward
from lecturekit.pool import max_pool2d, max_pool2d_backward
from lecturekit.rnn import lstm_backward, lstm_forward

from .common import ratio_row, threads, torch_missing_row, try_torch

CONV_SHAPES = (  # name, x shape, w shape, padding
    ("digits LeNet conv1 32x1x8x8, 16 3x3 pad 1", (32, 1, 8, 8), (16, 1, 3, 3), 1),
    ("digits LeNet conv2 32x16x4x4, 32 3x3 pad 1", (32, 16, 4, 4), (32, 16, 3, 3), 1),
    ("LeNet-5 conv1 64x1x28x28, 6 5x5", (64, 1, 28, 28), (6, 1, 5, 5), 0),
)
POOL_SHAPE = (32, 16, 8, 8)
NORM_SHAPE = (32, 16, 8, 8)
LSTM_T, LSTM_N, LSTM_D, LSTM_H = 50, 32, 32, 64
THREADS = (1, 2)


def _rng():
    return np.random.default_rng(0)


def _conv_pair(torch, xs, ws, pad):
    rng = _rng()
    x = rng.normal(size=xs)
    w = rng.normal(size=ws) / math.sqrt(np.prod(ws[1:]))
    b = rng.normal(size=ws[0])
    dout = rng.normal(size=conv2d(x, w, b, padding=pad).shape)

    def ours():
        conv2d(x, w, b, padding=pad)
        conv2d_backward(dout, x, w, padding=pad)

    F = torch.nn.functional
    tx, tw, tb = (torch.from_numpy(a).requires_grad_(True) for a in (x, w, b))
    td = torch.from_numpy(dout)

    def theirs():
        for t in (tx, tw, tb):
            t.grad = None
        F.conv2d(tx, tw, tb, padding=pad).backward(td)

    return ours, theirs


def _pool_pair(torch):
    rng = _rng()
    x = rng.normal(size=POOL_SHAPE)
    dout = rng.normal(size=max_pool2d(x, 2).shape)

    def ours():
        max_pool2d(x, 2)
        max_pool2d_backward(dout, x, 2)

    F = torch.nn.functional
    tx, td = torch.from_numpy(x).requires_grad_(True), torch.from_numpy(dout)

    def theirs():
        tx.grad = None
        F.max_pool2d(tx, 2).backward(td)

    return ours, theirs


def _norm_pair(torch):
    rng = _rng()
    x = rng.normal(size=NORM_SHAPE)
    C = NORM_SHAPE[1]
    gamma, beta = rng.normal(size=C), rng.normal(size=C)
    dout = rng.normal(size=NORM_SHAPE)

    def ours():
        batch_norm(x, gamma, beta)
        batch_norm_backward(dout, x, gamma)

    F = torch.nn.functional
    tx, tg, tb = (torch.from_numpy(a).requires_grad_(True) for a in (x, gamma, beta))
    td = torch.from_numpy(dout)

    def theirs():
        for t in (tx, tg, tb):
            t.grad = None
        F.batch_norm(tx, None, None, tg, tb, training=True, eps=1e-5).backward(td)

    return ours, theirs


def _lstm_pair(torch):
    rng = _rng()
    T, N, D, H = LSTM_T, LSTM_N, LSTM_D, LSTM_H
    xs = rng.normal(size=(T, N, D))
    h0, c0 = rng.normal(size=(N, H)) * 0.1, rng.normal(size=(N, H)) * 0.1
    w_ih = rng.uniform(-1, 1, size=(4 * H, D)) / math.sqrt(H)
    w_hh = rng.uniform(-1, 1, size=(4 * H, H)) / math.sqrt(H)
    b_ih, b_hh = rng.uniform(-1, 1, size=(2, 4 * H)) / math.sqrt(H)
    w, b = np.concatenate([w_ih, w_hh], axis=1), b_ih + b_hh
    dhs = rng.normal(size=(T, N, H))

    def ours():
        lstm_forward(xs, h0, c0, w, b)
        lstm_backward(dhs, xs, h0, c0, w, b)

    lstm = torch.nn.LSTM(D, H).double()
    with torch.no_grad():
        for p, a in zip((lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0),
                        (w_ih, w_hh, b_ih, b_hh), strict=True):
            p.copy_(torch.from_numpy(a))
    tx = torch.from_numpy(xs).requires_grad_(True)
    th, tc = (torch.from_numpy(a[None]).requires_grad_(True) for a in (h0, c0))
    td = torch.from_numpy(dhs)

    def theirs():
        lstm.zero_grad()
        for t in (tx, th, tc):
            t.grad = None
        out, _ = lstm(tx, (th, tc))
        out.backward(td)

    return ours, theirs


def layer_pairs(torch):
    """``(name, ours, theirs)`` for every layer row."""
    for name, xs, ws, pad in CONV_SHAPES:
        yield (f"conv2d fwd+bwd, {name}", *_conv_pair(torch, xs, ws, pad))
    yield ("max_pool2d 2x2 fwd+bwd, 32x16x8x8", *_pool_pair(torch))
    yield ("batch_norm NCHW fwd+bwd, 32x16x8x8", *_norm_pair(torch))
    yield (f"LSTM fwd+BPTT, T={LSTM_T} N={LSTM_N} D={LSTM_D} H={LSTM_H}", *_lstm_pair(torch))


def torch_rows():
    torch = try_torch()
    if torch is None:
        yield torch_missing_row("layers vs torch CPU float64")
        return
    pairs = list(layer_pairs(torch))
    for n in THREADS:
        with threads(n, torch):
            for name, ours, theirs in pairs:
                unit = "1 thread" if n == 1 else f"{n} threads"
                yield ratio_row(f"{name} / torch, {unit}", ours, theirs,
                                target=1.0 if n == 1 else None, single_thread=n == 1)


def gemm_floor_rows():
    from .bench_conv import SHAPES, _gemm_only, _problem

    with threads(1):
        for name, xs, ws, pad in SHAPES:
            x, w, b = _problem(xs, ws, np.float64)
            yield ratio_row(f"conv2d forward / its im2col product, {name}, 1 thread",
                            lambda x=x, w=w, b=b, pad=pad: conv2d(x, w, b, padding=pad),
                            _gemm_only(x, w, pad), target=1.3, rounds=7, budget=0.05,
                            labels=("conv2d", "product"), single_thread=True)


def rows():
    yield from torch_rows()
    yield from gemm_floor_rows()


if __name__ == "__main__":
    for row in rows():
        print(f"{row.name:<78} {row.value:8.3f} {row.unit}  {row.note}", flush=True)
