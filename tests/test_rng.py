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


def _global_state_uses(source):
    """Every place in ``source`` that could draw from (or seed) a global random state."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (  # np.random.<name> (or numpy.random.<name>) other than the Generator constructors
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "random"
            and node.attr not in ALLOWED
        ):
            found.append(f"{node.lineno} np.random.{node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module in ("numpy.random", "random"):
            # from numpy.random import rand / from random import random
            found += [f"{node.lineno} from {node.module} import {a.name}" for a in node.names
                      if node.module == "random" or a.name not in ALLOWED]
        elif isinstance(node, ast.ImportFrom) and node.module == "numpy":
            # from numpy import random: its attributes would escape the first rule
            found += [f"{node.lineno} from numpy import random" for a in node.names
                      if a.name == "random"]
        elif isinstance(node, ast.Import):
            # the standard library's random module, or numpy.random under another name
            found += [f"{node.lineno} import {a.name}" for a in node.names
                      if a.name == "random" or (a.name == "numpy.random" and a.asname)]
    return found


@pytest.mark.parametrize("source", [
    "import numpy as np\nnp.random.seed(0)",
    "import numpy\nx = numpy.random.rand(3)",
    "from numpy.random import normal",
    "from numpy import random",
    "import numpy.random as npr",
    "import random",
    "from random import shuffle",
])
def test_the_static_check_flags_every_way_to_the_global_state(source):
    assert len(_global_state_uses(source)) == 1, source


def test_the_static_check_passes_generators():
    clean = ("import numpy as np\nfrom numpy.random import Generator, default_rng\n"
             "rng = np.random.default_rng(0)\nrng.random(3)\nnp.random.Generator\n")
    assert _global_state_uses(clean) == []


def test_no_module_uses_numpy_global_random_state():
    # A static check over the package source (the check itself is tested above): any
    # np.random.<name> other than the Generator constructors, and any import of the
    # standard library's random, would draw from (or seed) a global state.
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        offenders += [f"{path.name}:{use}"
                      for use in _global_state_uses(path.read_text(encoding="utf-8"))]
    assert len(list(PACKAGE.rglob("*.py"))) > 20  # the whole package was read
    assert offenders == []
