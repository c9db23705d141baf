"""The randomness convention: explicit Generators, no global numpy random state."""

import ast
from pathlib import Path

import numpy as np
import pytest

from lecturekit.rng import DEFAULT_SEED, check_rng, default_rng

PACKAGE = Path(__file__).resolve().parents[1] / "lecturekit"
# np.random attributes that do not touch the global state.
ALLOWED = {"default_rng", "Generator", "PCG64", "SeedSequence", "BitGenerator"}


def test_default_rng_is_seeded_and_repeatable():
    a = default_rng().normal(size=5)
    b = np.random.default_rng(DEFAULT_SEED).normal(size=5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(default_rng(1).normal(size=5), a)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_default_rng_rejects_bad_seeds(seed):
    with pytest.raises(TypeError, match="seed must be a non-negative integer"):
        default_rng(seed)


@pytest.mark.parametrize("bad", [None, 0, np.random.RandomState(0)])
def test_check_rng_names_the_argument(bad):
    with pytest.raises(TypeError, match=r"^rng must be a numpy.random.Generator"):
        check_rng(bad)


def test_no_module_uses_numpy_global_random_state():
    # A static check over the package source: any np.random.<name> other than the
    # Generator constructors would draw from (or seed) the global state.
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "random"
                and node.attr not in ALLOWED
            ):
                offenders.append(f"{path.name}:{node.lineno} np.random.{node.attr}")
    assert offenders == []
