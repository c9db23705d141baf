"""Checks that tie a catalog entry to its code, its test and its notebook.

Shared by tests/test_catalog.py and the terminal summary in tests/conftest.py.
"""

from __future__ import annotations

import ast
import importlib
import json
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LECTURES = ROOT.parent / "shared" / "lectures"

# lecture file -> (id prefix, notebook), in the README's order.
LECTURE_MAP = {
    "004_16411a88f2dc5004.txt": ("mlp", "notebooks/01-mlp.ipynb"),
    "001_2691e6e736ad0c50.txt": ("l3", "notebooks/02-lecture-3.ipynb"),
    "000_778bfa8cbc5d38d6.txt": ("l4", "notebooks/03-lecture-4.ipynb"),
    "002_4e19a57a78109995.txt": ("l051023", "notebooks/04-lecture-05-10-23.ipynb"),
    "003_59d733786b3f0eb6.txt": ("l14", "notebooks/05-lecture-14.ipynb"),
}


def resolve(dotted):
    """Import ``a.b.c`` as the longest importable module prefix plus attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


@lru_cache(maxsize=None)
def _tree(test_file):
    """A test file's syntax tree, parsed once: the catalog's 130-odd entries cite a few files,
    and parsing test_robustness.py for each entry that cites it took most of test_catalog's time."""
    return ast.parse((ROOT / test_file).read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def _test_functions(test_file):
    """``{name: node}`` of the module-level functions (``func``) and test methods
    (``Class::method``) defined in a test file."""
    functions = {}
    for node in _tree(test_file).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            functions.update(
                (f"{node.name}::{item.name}", item) for item in node.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
            )
    return functions


def defined_test_names(test_file):
    """Names ``func`` and ``Class::method`` of the tests defined in a test file.

    (Not called ``test_names``: pytest would collect a ``test_*`` helper as a test.)
    """
    return set(_test_functions(test_file))


def _identifiers(node):
    """The names and attribute names a piece of code refers to."""
    return ({n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            | {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)})


def refers_to(test_file, test_name, function):
    """Whether the test refers to ``function``, directly or through a helper function of
    its own module that it refers to (one level deep).

    A function or class is referred to by its last dotted name; a module (an entry for a
    whole module, such as ``lecturekit.schedules``) by any name the test file imports from it.
    """
    if not (ROOT / test_file).is_file() or test_name not in defined_test_names(test_file):
        return False
    functions = _test_functions(test_file)
    used = _identifiers(functions[test_name])
    for helper in used & set(functions):
        used |= _identifiers(functions[helper])
    wanted = {function.rpartition(".")[2]}
    for node in _tree(test_file).body:
        if isinstance(node, ast.ImportFrom) and node.module == function:
            wanted |= {a.asname or a.name for a in node.names}
    return bool(wanted & used)


@lru_cache(maxsize=None)
def notebook_tags(notebook):
    """All cell tags of a notebook."""
    nb = json.loads((ROOT / notebook).read_text(encoding="utf-8"))
    return {t for cell in nb["cells"] for t in cell.get("metadata", {}).get("tags", [])}


def problems(entry):
    """Why a ``done`` entry is not done yet (empty list when it is)."""
    found = []
    try:
        resolve(entry["function"])
        imports = True
    except (ImportError, AttributeError) as exc:
        found.append(f"function {entry['function']} does not import ({exc})")
        imports = False
    test_file, _, test_name = entry["test"].partition("::")
    if not (ROOT / test_file).is_file():
        found.append(f"test file {test_file} does not exist")
    elif test_name not in defined_test_names(test_file):
        found.append(f"test {test_name} is not defined in {test_file}")
    elif imports and not refers_to(test_file, test_name, entry["function"]):
        # a test cited for a function must exercise it, not only the formula next to it
        found.append(f"test {entry['test']} never refers to {entry['function']}")
    if not (ROOT / entry["notebook"]).is_file():
        found.append(f"notebook {entry['notebook']} does not exist")
    elif entry["id"] not in notebook_tags(entry["notebook"]):
        found.append(f"no cell of {entry['notebook']} is tagged {entry['id']!r}")
    return found
