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
def test_names(test_file):
    """Names ``func`` and ``Class::method`` of the tests defined in a test file."""
    tree = ast.parse((ROOT / test_file).read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.update(
                f"{node.name}::{item.name}" for item in node.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
            )
    return names


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
    except (ImportError, AttributeError) as exc:
        found.append(f"function {entry['function']} does not import ({exc})")
    test_file, _, test_name = entry["test"].partition("::")
    if not (ROOT / test_file).is_file():
        found.append(f"test file {test_file} does not exist")
    elif test_name not in test_names(test_file):
        found.append(f"test {test_name} is not defined in {test_file}")
    if not (ROOT / entry["notebook"]).is_file():
        found.append(f"notebook {entry['notebook']} does not exist")
    elif entry["id"] not in notebook_tags(entry["notebook"]):
        found.append(f"no cell of {entry['notebook']} is tagged {entry['id']!r}")
    return found
