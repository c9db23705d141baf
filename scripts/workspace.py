"""Work in your own copies: copy the notebooks (and exercises) into workspace/, open JupyterLab there.

    python scripts/workspace.py              # copy what is missing, open JupyterLab on the copies
    python scripts/workspace.py --no-lab     # only copy
    python scripts/workspace.py --notebook   # open Notebook 7 instead of JupyterLab
    python scripts/workspace.py -- --port 8899 --no-browser   # after --: JupyterLab's own options

Running a notebook changes it (outputs, widget ids), and autosave writes that to
disk. In your copies that is what you want, and the committed notebooks stay as
they are, so ``git status`` stays clean and ``git pull`` never conflicts.
``workspace/`` is git-ignored. It mirrors the repository's place beside the
notes, so the notebooks' links to ``../../shared/lectures/`` work there too:

    workspace/
      lecturekit/notebooks/*.ipynb    copies of notebooks/
      lecturekit/exercises/...        copies of exercises/ (student versions), once it exists
      shared/lectures -> the notes    a link to lecturekit.notes.notes_dir(), when the notes are there

A file already in the workspace is never overwritten: it is your work. To start
a notebook afresh, delete your copy and run the command again.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "workspace"
START = "00-start-here.ipynb"


def _copy_missing(src_dir, dest_dir, pattern, skip=None):
    """Copy the files ``pattern`` of ``src_dir`` that ``dest_dir`` lacks; return (copied, kept)."""
    copied, kept = [], []
    for src in sorted(src_dir.glob(pattern)):
        rel = src.relative_to(src_dir)
        if not src.is_file() or (skip is not None and skip.search(rel.as_posix())):
            continue
        dest = dest_dir / rel
        if dest.exists():
            kept.append(rel)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)
        copied.append(rel)
    return copied, kept


def _link_notes(workspace):
    """``workspace/shared/lectures`` -> the notes folder; a message saying what happened."""
    sys.path.insert(0, str(ROOT))
    from lecturekit.notes import notes_dir

    try:
        notes = notes_dir()
    except FileNotFoundError as err:
        return f"no link to the lecture notes: {err}"
    link = workspace / "shared" / "lectures"
    if link.is_symlink() or link.exists():
        return f"the notes: {link} (kept)"
    link.parent.mkdir(parents=True, exist_ok=True)
    try:
        link.symlink_to(notes, target_is_directory=True)
    except OSError:  # Windows without the right to make links: a copy of the notes
        shutil.copytree(notes, link)
    return f"the notes: {link} -> {notes}"


def _assignments():
    """scripts/assignments.py, loaded by path (scripts/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("assignments", ROOT / "scripts" / "assignments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make(workspace=DEFAULT):
    """Fill ``workspace`` with copies of what it lacks; print what was done; return the notebook to open."""
    workspace = Path(workspace).resolve()
    course = workspace / "lecturekit"
    copied, kept = _copy_missing(ROOT / "notebooks", course / "notebooks", "*.ipynb")
    if (ROOT / "exercises").is_dir():
        # Student versions only: exercises/*.ipynb and their sources carry the solutions.
        more, kept_more = _assignments().write_student_versions(course / "exercises")
        copied += [p.relative_to(course) for p in more]
        kept += [p.relative_to(course) for p in kept_more]
    print(f"workspace {workspace}: copied {len(copied)} file(s), kept {len(kept)} of yours"
          + (f" ({', '.join(str(p) for p in kept[:4])}{', ...' if len(kept) > 4 else ''})" if kept else ""))
    print(_link_notes(workspace))
    return course / "notebooks" / START


def lab_argv(workspace, notebook, app="lab"):
    """The command that opens ``notebook`` in JupyterLab (or Notebook 7) with ``workspace`` as its root."""
    return [sys.executable, "-m", "jupyter", app, f"--ServerApp.root_dir={workspace}", str(notebook)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT, help="the workspace (default: workspace/)")
    parser.add_argument("--no-lab", action="store_true", help="only copy; open nothing")
    parser.add_argument("--notebook", action="store_true", help="open Notebook 7 instead of JupyterLab")
    parser.add_argument("jupyter_args", nargs="*", help="after --: options for JupyterLab itself")
    args = parser.parse_args(argv)
    workspace = args.dir.resolve()
    notebook = make(workspace)
    if args.no_lab:
        return 0
    command = lab_argv(workspace, notebook, "notebook" if args.notebook else "lab") + args.jupyter_args
    print("opening:", " ".join(command[2:]))
    return subprocess.call(command, cwd=workspace, env=dict(os.environ))


if __name__ == "__main__":
    sys.exit(main())
