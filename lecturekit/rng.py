r"""The randomness convention of lecturekit.

Every function that draws random numbers takes a keyword argument ``rng``, a
:class:`numpy.random.Generator`, and draws only from it. Nothing in lecturekit
touches numpy's global random state (``np.random.seed``, ``np.random.rand``), so
a notebook that creates one generator at the top gives identical output on
every run, and two explorers never disturb each other's draws.

``rng`` is required rather than defaulted: a hidden default generator would
hand out the same dropout mask on every call, which is silently wrong.

Examples
--------
>>> from lecturekit.rng import default_rng
>>> rng = default_rng()          # seeded with DEFAULT_SEED = 0
>>> rng2 = default_rng(42)       # or any seed you choose
"""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 0
"""The seed the notebooks use unless they say otherwise."""


def default_rng(seed=DEFAULT_SEED):
    """Return a new ``numpy.random.Generator`` (PCG64) seeded with ``seed``.

    Parameters
    ----------
    seed : int, default ``DEFAULT_SEED`` (0)
        The seed. Pass a different integer for a different, still repeatable,
        stream.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be a non-negative integer, got {seed!r}")
    return np.random.default_rng(int(seed))


def check_rng(rng, name="rng"):
    """Raise ``TypeError`` unless ``rng`` is a ``numpy.random.Generator``; return it.

    ``name`` is the argument's name in the message (a str).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be the argument's name (a str), got {name!r}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator (e.g. lecturekit.rng.default_rng(0)), "
            f"got {type(rng).__name__}"
        )
    return rng
