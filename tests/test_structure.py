"""No lecturekit module imports a private name from another public module.

A module is public when no component of its dotted path starts with ``_``
(``lecturekit.conv``, ``lecturekit.explore.init``); its ``_names`` are its own
business. Helpers that several modules share live in a private module
(``lecturekit._checks``, ``lecturekit._geometry``, ``lecturekit.explore._axes``),
from which anything may be imported. Dunder names (``__version__``) are public.

The checker reads every ``lecturekit/**/*.py`` with :mod:`ast`, resolves relative
imports, and flags both ``from .conv import _pair`` and ``from . import conv``
followed by ``conv._pair`` (attribute access on an imported lecturekit module).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lecturekit"


def module_name(path, root=PACKAGE):
    """Dotted name of a file of the package, and whether it is a package (``__init__.py``)."""
    parts = ("lecturekit",) + path.relative_to(root).with_suffix("").parts
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def package_modules(root=PACKAGE):
    """``{dotted name: (path, is_package)}`` of every module of the package."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        name, is_package = module_name(path, root)
        out[name] = (path, is_package)
    return out


def is_public(module):
    return not any(part.startswith("_") for part in module.split("."))


def is_private_name(name):
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _resolve(node, module, is_package):
    """Absolute module that ``from ... import`` node ``node`` in ``module`` imports from."""
    if node.level == 0:
        return node.module
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if node.level > 1:
        parts = parts[: len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def private_imports(source, module, is_package, modules):
    """``(line, message)`` for each private name ``source`` takes from a public lecturekit module.

    ``module`` is the dotted name of the code in ``source``; ``modules`` the set of
    dotted names of lecturekit's modules (to tell a submodule from a name in a module).
    """
    tree = ast.parse(source)
    found = []
    bound = {}  # local name -> lecturekit module it refers to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = _resolve(node, module, is_package)
            if base is None or not (base == "lecturekit" or base.startswith("lecturekit.")):
                continue
            for alias in node.names:
                if alias.name == "*":
                    continue
                target = f"{base}.{alias.name}"
                if target in modules:  # a submodule, imported as a module
                    bound[alias.asname or alias.name] = target
                elif is_private_name(alias.name) and is_public(base):
                    found.append((node.lineno, f"imports {alias.name} from {base}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "lecturekit" or alias.name.startswith("lecturekit."):
                    if alias.asname:
                        bound[alias.asname] = alias.name
                    else:  # `import lecturekit.conv` binds `lecturekit`
                        bound["lecturekit"] = "lecturekit"
    for node in ast.walk(tree):
        # the outermost Attribute of a chain a.b.c: walk it from its root Name
        if not isinstance(node, ast.Attribute):
            continue
        chain, root = [], node
        while isinstance(root, ast.Attribute):
            chain.append(root.attr)
            root = root.value
        if not isinstance(root, ast.Name) or root.id not in bound:
            continue
        current = bound[root.id]
        for attr in reversed(chain):
            if f"{current}.{attr}" in modules:
                current = f"{current}.{attr}"
                continue
            if is_private_name(attr) and is_public(current):
                found.append((node.lineno, f"accesses {attr} of {current}"))
            break
    return sorted(set(found))


MODULES = package_modules()


def test_the_walk_sees_the_package():
    assert {"lecturekit", "lecturekit.conv", "lecturekit.pool", "lecturekit._checks",
            "lecturekit.explore", "lecturekit.explore.init"} <= set(MODULES)
    assert is_public("lecturekit.explore.init") and not is_public("lecturekit.explore._axes")
    assert not is_public("lecturekit._geometry")


def test_no_module_imports_a_private_name_from_a_public_module():
    problems = []
    for name, (path, is_package) in MODULES.items():
        for line, message in private_imports(path.read_text(encoding="utf-8"), name, is_package,
                                             set(MODULES)):
            problems.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {message}")
    assert problems == [], "\n".join(problems)


# ------------------------------------------------------------ the checker itself

KNOWN = {"lecturekit", "lecturekit.conv", "lecturekit.pool", "lecturekit._checks",
         "lecturekit._geometry", "lecturekit._im2col", "lecturekit.explore",
         "lecturekit.explore._axes", "lecturekit.explore.conv"}


def check(source, module="lecturekit.pool", is_package=False):
    return private_imports(source, module, is_package, KNOWN)


def test_checker_catches_pools_old_import_from_conv():
    # what lecturekit/pool.py did before the shared helpers moved to lecturekit._geometry
    old = "from .conv import _AXES, _check_dout, _float_dtype, _nchw, _pair, _positions\n"
    assert [m for _, m in check(old)] == [
        f"imports {n} from lecturekit.conv"
        for n in ("_AXES", "_check_dout", "_float_dtype", "_nchw", "_pair", "_positions")]
    assert check(old)[0][0] == 1


@pytest.mark.parametrize("source, module, expected", [
    # relative and absolute imports of a private name from a public module
    ("x = 1\nfrom ..conv import _pair\n", "lecturekit.explore.conv",
     [(2, "imports _pair from lecturekit.conv")]),
    ("from lecturekit.conv import _pair as p\n", "lecturekit.pool",
     [(1, "imports _pair from lecturekit.conv")]),
    ("from . import _SUBMODULES\n", "lecturekit.pool", [(1, "imports _SUBMODULES from lecturekit")]),
    ("from .. import _x\n", "lecturekit.explore", [(1, "imports _x from lecturekit")]),  # package
    # attribute access on an imported module
    ("from . import conv\n\ny = conv._pair(3)\n", "lecturekit.pool",
     [(3, "accesses _pair of lecturekit.conv")]),
    ("import lecturekit.conv as C\nC._positions\n", "lecturekit.pool",
     [(2, "accesses _positions of lecturekit.conv")]),
    ("import lecturekit.conv\nlecturekit.conv._nchw(x)\n", "lecturekit.pool",
     [(2, "accesses _nchw of lecturekit.conv")]),
    ("def f():\n    from .. import conv as c\n    return c._pair\n", "lecturekit.explore.conv",
     [(3, "accesses _pair of lecturekit.conv")]),
    # fine: private modules, public names, dunders, non-lecturekit modules
    ("from ._geometry import pair, _internal\nfrom . import _im2col\n_im2col._copy\n",
     "lecturekit.pool", []),
    ("from .explore._axes import _helper\nfrom ._checks import check_int\n", "lecturekit.conv", []),
    ("from .conv import conv2d, MODES\nfrom . import conv\nconv.conv2d\n", "lecturekit.pool", []),
    ("import lecturekit\nlecturekit.__version__\nfrom . import __version__\n", "lecturekit.pool", []),
    ("import numpy as np\nnp._NoValue\nfrom numpy.lib import _x\n", "lecturekit.pool", []),
    ("from .. import _checks\n_checks._private\n", "lecturekit.explore.conv", []),
])
def test_checker_on_small_sources(source, module, expected):
    assert check(source, module, is_package=module == "lecturekit.explore") == expected
