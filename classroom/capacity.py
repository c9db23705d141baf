"""How many students one machine holds: a memory bound and a CPU (latency) bound.

Memory bound
    Every student's server and kernel stay resident for the whole lesson, so
    ``N_mem = floor((RAM - reserve - hub - proxy) / (server + kernel after Run All))``.

CPU bound
    A slider move is a job of ``s`` CPU seconds (the kernel recomputes and renders,
    the student's server relays the PNG) on a machine of ``c`` cores. With ``N``
    students each moving a slider ``r`` times a second, the moves arrive at
    ``lambda = N r``; modelled as an M/M/c queue (Poisson arrivals, exponential
    work, ``c`` servers), the time from a move to its new image is the M/M/c
    sojourn time plus a fixed part ``o`` that no core's load changes (the browser,
    the websocket, decoding the PNG). ``N_cpu`` is the largest ``N`` whose p95 stays
    within the budget (150 ms).

Exponential work is the pessimistic case (a move's p95 is three times its mean);
an explorer's redraw costs about the same every time, so the figure is taken from
M/D/c (the same queue with constant work ``s``), whose p95 has no closed form and is
computed by simulating the queue (seeded, the same arrivals for every class size).

The sojourn time ``T = W + S`` of M/M/c: with probability ``1 - C`` (Erlang's C, the
chance that a move has to wait) no wait, otherwise an exponential wait of rate
``theta = c mu - lambda``; the work ``S`` is exponential of rate ``mu = 1/s``. So
``P(T > t) = (1 - C) exp(-mu t) + C (theta exp(-mu t) - mu exp(-theta t)) / (theta - mu)``.
"""

from __future__ import annotations

import math


def erlang_c(c, a):
    """The probability that an arrival waits in M/M/c with offered load ``a = lambda/mu`` (``a < c``)."""
    if a >= c:
        return 1.0
    top = a**c / math.factorial(c) / (1 - a / c)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def sojourn_survival(t, c, lam, mu):
    """P(T > t) for the M/M/c sojourn time (wait + work)."""
    a = lam / mu
    if a >= c:
        return 1.0
    wait = erlang_c(c, a)
    theta = c * mu - lam
    if abs(theta - mu) < 1e-12 * mu:  # wait and work of the same rate: Erlang-2 tail
        both = (1 + mu * t) * math.exp(-mu * t)
    else:
        both = (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)
    return (1 - wait) * math.exp(-mu * t) + wait * both


def sojourn_quantile(q, c, lam, mu):
    """The ``q`` quantile (0 < q < 1) of the M/M/c sojourn time, by bisection; inf when overloaded."""
    if lam / mu >= c:
        return math.inf
    lo, hi = 0.0, 1.0 / mu
    while sojourn_survival(hi, c, lam, mu) > 1 - q:
        hi *= 2
    for _ in range(100):
        mid = (lo + hi) / 2
        if sojourn_survival(mid, c, lam, mu) > 1 - q:
            lo = mid
        else:
            hi = mid
    return hi


def p95_latency(n, cores, rate, work, fixed):
    """Model p95 (s) of slider -> image with ``n`` students moving ``rate`` times a second."""
    return fixed + sojourn_quantile(0.95, cores, n * rate, 1.0 / work)


def cpu_bound(cores, rate, work, fixed, budget=0.150, limit=100_000):
    """The largest number of students whose model p95 stays within ``budget`` seconds (0 if none)."""
    n = 0
    while n < limit and p95_latency(n + 1, cores, rate, work, fixed) <= budget:
        n += 1
    return n


def simulated_sojourns(cores, lam, work, moves=100_000, seed=0, exponential=False):
    """Sojourn times (s) of ``moves`` jobs in a FIFO queue with ``cores`` servers, Poisson arrivals
    of rate ``lam`` and constant work ``work`` (or exponential work of that mean), simulated.

    The arrivals are the same exponential draws scaled by ``1/lam`` for every ``lam``,
    so a larger class never comes out faster by chance. The first tenth (the queue
    warming up from empty) is left out.
    """
    import heapq

    import numpy as np

    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0, moves)) / lam
    works = rng.exponential(work, moves) if exponential else np.full(moves, work)
    free = [0.0] * cores
    sojourn = np.empty(moves)
    for i in range(moves):
        start = max(heapq.heappop(free), arrivals[i])
        end = start + works[i]
        heapq.heappush(free, end)
        sojourn[i] = end - arrivals[i]
    return sojourn[moves // 10:]


def simulated_sojourn_p95(cores, lam, work, moves=100_000, seed=0, exponential=False):
    """p95 (s) of :func:`simulated_sojourns`."""
    import numpy as np

    if lam <= 0:
        return math.log(20) * work if exponential else work
    return float(np.quantile(simulated_sojourns(cores, lam, work, moves, seed, exponential), 0.95))


def cpu_bound_constant_work(cores, rate, work, fixed, budget=0.150, moves=100_000):
    """The largest class whose p95 (``fixed`` + M/D/c sojourn) stays within ``budget``; bisection."""
    def ok(n):
        return fixed + simulated_sojourn_p95(cores, n * rate, work, moves) <= budget

    if not ok(1):
        return 0
    lo, hi = 1, max(2, int(cores / (rate * work)))  # hi: the cores are saturated
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


def memory_bound(ram, per_student, overhead, reserve):
    """The number of students whose servers and kernels fit in ``ram`` bytes."""
    return max(0, int((ram - reserve - overhead) // per_student))
