"""Print the benchmarks table: ``python -m benchmarks [--only SUBSTRING] [--json]``.

``--json`` prints one JSON list of rows instead (for ``python -m benchmarks.compare``);
a module that fails then gives one row saying so, and the others still run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
import traceback
from pathlib import Path

from .common import Row


def module_names(only=""):
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    return [name for name in names if only in name]


def module_rows(name, *, catch=False):
    """The rows of ``benchmarks.<name>``; with ``catch`` a failure is one row, not an exception."""
    try:
        module = importlib.import_module(f"benchmarks.{name}")
        yield from module.rows()
    except Exception as exc:  # noqa: BLE001 -- reported as a row, the next module still runs
        if not catch:
            raise
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        yield Row(f"{name}: failed", float("nan"), "", last[:200])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", default="", help="run only modules whose name contains this")
    parser.add_argument("--json", action="store_true", help="print the rows as one JSON list")
    args = parser.parse_args(argv)
    if args.json:
        rows = [vars(row) for name in module_names(args.only)
                for row in module_rows(name, catch=True)]
        print(json.dumps(rows))
        return 0
    print(f"{'figure':<68} {'value':>12}  note")
    print("-" * 100)
    for name in module_names(args.only):
        for row in module_rows(name):
            value = f"{row.value:.4g} {row.unit}"
            print(f"{row.name:<68} {value:>12}  {row.note}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
