"""Before and after, in one command: ``python -m benchmarks.compare REV [--only SUBSTRING]``.

Runs the benchmark rows (``python -m benchmarks --only SUBSTRING``) twice: against the
lecturekit of git revision ``REV`` ("before") and against the working tree ("after"),
and prints the two columns side by side. Both runs use *this* tree's benchmark code,
so the rows are the same; only ``lecturekit`` differs.

"Before" is a ``git worktree`` of ``REV`` in a fresh directory under /tmp (``git
worktree add --detach``: the main tree's checkout, index and branches are untouched),
removed again at the end. Each side runs in its own interpreter with
``PYTHONPATH`` pointing at its tree, which puts that ``lecturekit`` ahead of the
editable install; the command checks that it did.

``--rounds R`` alternates the sides R times (before, after, after, before, ...) and
prints the median of each row, so that a slow spell of a shared machine does not
land on one side only. Rows that are ratios measured within one run (against torch,
against the product floor) are fair on their own; times in different runs are only
as comparable as the machine's load allows.

Example: ``python -m benchmarks.compare bc18475 --only layers``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _git(*args, cwd=ROOT):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


def _env(tree):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree) + (os.pathsep + env["PYTHONPATH"]
                                     if env.get("PYTHONPATH") else "")
    return env


def _check_import(bench_dir, tree):
    where = subprocess.run([sys.executable, "-c", "import lecturekit; print(lecturekit.__file__)"],
                           cwd=bench_dir, env=_env(tree), check=True, capture_output=True,
                           text=True).stdout.strip()
    if not Path(where).resolve().is_relative_to(Path(tree).resolve()):
        raise RuntimeError(f"lecturekit came from {where}, not from {tree}")


def run_rows(bench_dir, tree, only):
    """The rows of ``python -m benchmarks --json`` with ``lecturekit`` from ``tree``."""
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--json", "--only", only],
                          cwd=bench_dir, env=_env(tree), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"the benchmarks failed on {tree}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _merge(runs):
    """Rows by name (in first-seen order): (median value, unit, last note)."""
    merged = {}
    for rows in runs:
        for row in rows:
            merged.setdefault(row["name"], []).append(row)
    out = {}
    for name, rows in merged.items():
        values = [r["value"] for r in rows if not math.isnan(r["value"])]
        out[name] = (statistics.median(values) if values else math.nan, rows[-1]["unit"],
                     rows[-1]["note"])
    return out


def _cell(value, unit):
    return "-" if value is None or math.isnan(value) else f"{value:.4g} {unit}".strip()


def table(before, after, rev):
    names = list(dict.fromkeys(list(after) + list(before)))
    width = max([len(n) for n in names] + [20])
    lines = [f"{'figure':<{width}} {'before ' + rev:>16} {'after':>14}  note (after)",
             "-" * (width + 50)]
    for name in names:
        b = before.get(name, (None, "", ""))
        a = after.get(name, (None, "", ""))
        lines.append(f"{name:<{width}} {_cell(b[0], b[1]):>16} {_cell(a[0], a[1]):>14}  "
                     f"{a[2] or b[2]}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rev", help='the "before" revision, e.g. bc18475')
    parser.add_argument("--only", default="", help="benchmark modules whose name contains this")
    parser.add_argument("--rounds", type=int, default=1, help="alternate the two sides this often")
    args = parser.parse_args(argv)
    sha = _git("rev-parse", "--verify", f"{args.rev}^{{commit}}")
    tmp = Path(tempfile.mkdtemp(prefix="lecturekit-compare-", dir="/tmp"))
    tree = tmp / "before"
    try:
        _git("worktree", "add", "--detach", str(tree), sha)
        bench_dir = tmp / "bench"
        shutil.copytree(ROOT / "benchmarks", bench_dir / "benchmarks",
                        ignore=shutil.ignore_patterns("__pycache__"))
        _check_import(bench_dir, tree)
        _check_import(bench_dir, ROOT)
        runs = {"before": [], "after": []}
        for r in range(args.rounds):
            for side in (("before", "after") if r % 2 == 0 else ("after", "before")):
                print(f"round {r + 1}/{args.rounds}: {side} ...", file=sys.stderr, flush=True)
                runs[side].append(run_rows(bench_dir, tree if side == "before" else ROOT,
                                           args.only))
        print(table(_merge(runs["before"]), _merge(runs["after"]), args.rev))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                       capture_output=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
