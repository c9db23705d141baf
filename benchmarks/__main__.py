"""Print the benchmarks table: ``python -m benchmarks [--only SUBSTRING]``."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", default="", help="run only modules whose name contains this")
    args = parser.parse_args(argv)
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    print(f"{'figure':<68} {'value':>12}  note")
    print("-" * 100)
    for name in names:
        if args.only not in name:
            continue
        module = importlib.import_module(f"benchmarks.{name}")
        for row in module.rows():
            value = f"{row.value:.4g} {row.unit}"
            print(f"{row.name:<68} {value:>12}  {row.note}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
