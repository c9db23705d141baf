"""BLAS threads for small work.

The models, the training loops and the explorers multiply small matrices
(a digits LeNet's products are 32 × 144 by 144 × 16). On such shapes
OpenBLAS's worker threads cost more than they save: measured on a 2-core
machine, a LeNet epoch ran 4-5x slower with two BLAS threads than with one.
A kernel that JupyterLab starts has no ``OPENBLAS_NUM_THREADS`` setting, so
the library limits the threads itself, around the work that it knows is
small, and leaves the user's own large products alone.

``small_work()`` is a context manager (and a decorator) that runs its body with
one BLAS thread, through threadpoolctl. It nests, costs a few microseconds
when the limit is already in place, and does nothing when threadpoolctl is
missing or when ``LECTUREKIT_BLAS_THREADS`` names another number (``0`` means
leave BLAS alone).
"""

from __future__ import annotations

import functools
import os
import threading
from contextlib import contextmanager

__all__ = ["small_work", "small_work_threads"]

# The BLAS limit is process-wide (openblas_set_num_threads), so the nesting count
# is too: a background training run and an explorer's redraw may overlap, and the
# limit is lifted only when the last of them leaves.
_lock = threading.Lock()
_depth = 0
_limiter = None
_controller = None


def small_work_threads():
    """Number of BLAS threads that ``small_work`` sets (``None``: leave BLAS alone)."""
    value = os.environ.get("LECTUREKIT_BLAS_THREADS", "1").strip()
    try:
        n = int(value)
    except ValueError:
        return 1
    return n if n > 0 else None


def _get_controller():
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # threadpoolctl is a dependency; be safe without it
            _controller = False
        else:
            _controller = ThreadpoolController()
    return _controller


@contextmanager
def _limited():
    global _depth, _limiter
    with _lock:
        if _depth == 0:
            n = small_work_threads()
            controller = _get_controller() if n is not None else None
            _limiter = controller.limit(limits=n, user_api="blas") if controller else None
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _limiter is not None:
                _limiter.restore_original_limits()
                _limiter = None


def small_work(func=None):
    """Run a block (``with small_work():``) or a function (``@small_work``) on one BLAS thread."""
    if func is None:
        return _limited()

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _limited():
            return func(*args, **kwargs)

    return wrapper
