"""Training the LeNet-style CNN on the 8x8 digits: time to 97 % test accuracy, and against PyTorch.

The recipe is the one of ``tests/test_train.py::test_lenet_reaches_97_percent_on_the_digits``
(AdamW, cosine decay from 0.01 over 8 epochs, weight decay 0.05, batches of 32,
seed 0). Where ``torch`` happens to be importable, the same network, with the
same initial weights, the same minibatches and the same optimiser, is trained in
float64 with PyTorch and the per-epoch times are compared; torch is never a
dependency of lecturekit. Also the depth experiment behind the ResNet explorer
(budget 50 ms per slider move).

Small matrix products suffer when OpenBLAS's threads compete with other
processes for the cores; ``OPENBLAS_NUM_THREADS=1`` often makes this benchmark
several times faster on a busy machine.

The epoch rows compare one epoch of the digits LeNet (batches of 32, AdamW), lecturekit's
``train`` (its own loop, as it is: ``History.seconds``, the training time of the epoch
without the evaluation after it) against the same network in torch, float64, with the
same initial weights and the same minibatches: at 1 and at 2 threads (numpy's BLAS by
threadpoolctl, torch by ``torch.set_num_threads``), epochs interleaved (lecturekit,
torch, torch, lecturekit, ...), the median of the per-round ratios. Targets: <= 1.0x
at 1 thread, <= 1.2x at 2.
"""

from __future__ import annotations

import os
import time

import numpy as np

from lecturekit.datasets import load_digits
from lecturekit.models import LeNet
from lecturekit.optim import AdamW, minibatch_indices
from lecturekit.resnet import gradient_norms_by_depth
from lecturekit.rng import default_rng
from lecturekit.schedules import cosine_decay
from lecturekit.train import train

from .common import PAUSE, Row, blas_threads, median, repeat_time, threads, try_torch

EPOCHS, BATCH, LR, WD, SEED = 8, 32, 0.01, 0.05, 0


def _lenet_numpy(data):
    rng = default_rng(SEED)
    model = LeNet(rng=rng)
    init = {k: v.copy() for k, v in model.params.items()}
    steps = EPOCHS * -(-len(data.y_train) // BATCH)
    history = train(model, data, optimizer=AdamW(lr=cosine_decay(LR, steps=steps), weight_decay=WD),
                    epochs=EPOCHS, batch_size=BATCH, rng=rng, progress=False)
    return init, history


def _torch_lenet(torch, init):
    """The digits LeNet of lecturekit.models.LeNet in torch, float64, with weights ``init``."""
    nn = torch.nn
    torch.manual_seed(SEED)
    net = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10),
    ).double()
    names = ["conv1_w", "conv1_b", "conv2_w", "conv2_b", "fc1_w", "fc1_b", "fc2_w", "fc2_b"]
    with torch.no_grad():
        for p, name in zip(net.parameters(), names, strict=True):
            p.copy_(torch.from_numpy(init[name]))
    return net


def _lenet_torch(torch, data, init):
    nn = torch.nn
    net = _torch_lenet(torch, init)
    opt = torch.optim.AdamW(net.parameters(), lr=LR, weight_decay=WD)
    steps = EPOCHS * -(-len(data.y_train) // BATCH)
    schedule = cosine_decay(LR, steps=steps)
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    # the same minibatch order as lecturekit.train: the model's rng after drawing its weights
    rng = default_rng(SEED)
    LeNet(rng=rng)
    batches = minibatch_indices(len(y), BATCH, rng=rng, epochs=EPOCHS)
    seconds, t = [], 0
    for _ in range(EPOCHS):
        start = time.perf_counter()
        for _ in range(-(-len(y) // BATCH)):
            idx = torch.from_numpy(next(batches))
            for group in opt.param_groups:
                group["lr"] = schedule(t)
            opt.zero_grad()
            nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
            t += 1
        seconds.append(time.perf_counter() - start)
    with torch.no_grad():
        pred = net(torch.from_numpy(data.x_test)).argmax(1).numpy()
    return seconds, float(np.mean(pred == data.y_test))


def _epoch_pair(torch, data):
    """Two callables, each training one more epoch and returning its seconds."""
    from lecturekit.optim import AdamW as LkAdamW

    rng = default_rng(SEED)
    model = LeNet(rng=rng)
    init = {k: v.copy() for k, v in model.params.items()}
    optimizer = LkAdamW(lr=LR / 10, weight_decay=WD)
    train_data = (data.x_train, data.y_train)

    def ours():
        h = train(model, train_data, optimizer=optimizer, epochs=1, batch_size=BATCH, rng=rng,
                  progress=False)
        return h.seconds[0]

    net = _torch_lenet(torch, init)
    opt = torch.optim.AdamW(net.parameters(), lr=LR / 10, weight_decay=WD)
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    batch_rng = default_rng(SEED)
    LeNet(rng=batch_rng)
    batches = minibatch_indices(len(y), BATCH, rng=batch_rng, epochs=10**6)
    F = torch.nn.functional

    def theirs():
        start = time.perf_counter()
        for _ in range(-(-len(y) // BATCH)):
            idx = torch.from_numpy(next(batches))
            opt.zero_grad()
            F.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
        return time.perf_counter() - start

    return ours, theirs


def epoch_rows(rounds=(5, 3)):
    torch = try_torch()
    if torch is None:
        yield Row("LeNet epoch vs torch: torch not installed", float("nan"), "",
                  "pip install torch to measure")
        return
    data = load_digits()
    for n, target, n_rounds in ((1, 1.0, rounds[0]), (2, 1.2, rounds[1])):
        with threads(n, torch):
            ours, theirs = _epoch_pair(torch, data)
            ours(), theirs()  # warm-up
            a, b = [], []
            for r in range(n_rounds):
                for side in ((ours, theirs) if r % 2 == 0 else (theirs, ours)):
                    time.sleep(PAUSE)
                    (a if side is ours else b).append(side())
            ratio = median([p / q for p, q in zip(a, b, strict=True)])
            unit = "1 thread" if n == 1 else f"{n} threads"
            yield Row(f"LeNet digits epoch, lecturekit train / torch, {unit}", ratio, "x",
                      f"{median(a) * 1e3:.0f} vs {median(b) * 1e3:.0f} ms per epoch, "
                      f"{n_rounds} interleaved rounds; target <= {target:g}x")


def rows():
    yield from epoch_rows()
    data = load_digits()
    init, h = _lenet_numpy(data)
    reached = [e for e, a in zip(h.epoch, h.test_accuracy, strict=True) if a >= 0.97]
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    if reached:
        first = reached[0]
        yield Row(f"LeNet (numpy) on digits: training time to >= 97 % test acc ({first} epochs)",
                  sum(h.seconds[:first]), "s",
                  f"final test acc {100 * h.test_accuracy[-1]:.1f} %; "
                  f"OPENBLAS_NUM_THREADS={threads}")
    else:
        yield Row("LeNet (numpy) on digits: best test accuracy (97 % not reached)",
                  100 * max(h.test_accuracy), "%")
    numpy_epoch = median(h.seconds)
    yield Row("LeNet (numpy) on digits: seconds per epoch (median)", numpy_epoch, "s",
              f"{-(-len(data.y_train) // BATCH)} steps of {BATCH}")
    torch = try_torch()
    if torch is None:
        yield Row("LeNet in torch: torch not installed", float("nan"), "")
    else:
        torch.set_num_threads(blas_threads())  # as many threads as numpy's BLAS
        seconds, acc = _lenet_torch(torch, data, init)
        torch_epoch = median(seconds)
        yield Row("LeNet (torch, float64, same init and batches): seconds per epoch", torch_epoch,
                  "s", f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
                  f"final test acc {100 * acc:.1f} %")
        yield Row("LeNet epoch time ratio numpy / torch (8 epochs one after the other)",
                  numpy_epoch / torch_epoch, "x", "not interleaved: see the epoch rows above")
    rng = default_rng(0)
    samples = repeat_time(lambda: gradient_norms_by_depth(100, 64, residual=True, rng=rng), 7)
    yield Row("gradient_norms_by_depth(100, 64): one explorer update (median of 7)",
              1e3 * median(samples), "ms", "budget 50 ms")
