"""The exercises as nbgrader assignments: student versions, autograding, feedback.

    python scripts/assignments.py student            # students: your copies, solutions removed
    python scripts/assignments.py generate COURSE    # a course folder; the student versions in it
    python scripts/assignments.py autograde COURSE   # grade COURSE/submitted/*/exercises/, feedback

``student`` (no nbgrader needed) writes the student version of each exercise
notebook that is missing into ``workspace/lecturekit/exercises/`` (git-ignored,
beside the copies of ``scripts/workspace.py``; ``--out DIR`` elsewhere), never
overwriting a copy you already have.

``generate`` sets up an nbgrader course directory at COURSE (created if needed):
an ``nbgrader_config.py``, the solution notebooks ``exercises/*.ipynb`` copied
as the source assignment ``COURSE/source/exercises/``, then runs the real
``nbgrader generate_assignment exercises``. The student versions are then in
``COURSE/release/exercises/``: each solution region (``### BEGIN SOLUTION`` ...
``### END SOLUTION``) replaced by ``raise NotImplementedError()``, outputs
cleared, the check cells locked. Hand those out (or ``nbgrader release_assignment``
with an exchange, or a shared folder).

``autograde`` expects each student's notebooks in
``COURSE/submitted/STUDENT/exercises/`` (where ``nbgrader collect`` or
``nbgrader zip_collect`` put them, or copy them there), runs ``nbgrader
autograde exercises`` (every check cell is a graded test cell: it scores its
points when the check passes, 0 when it raises), then ``nbgrader
generate_feedback exercises`` (one HTML page per student and notebook in
``COURSE/feedback/STUDENT/exercises/``, showing each check's message and hint),
and prints each student's score. Run it in the environment that has lecturekit
(the checks import it) and nbgrader: ``python -m pip install -e ".[teach]"``.

:func:`student_version` does what ``generate_assignment`` does to the solution
regions, without nbgrader, for tools that only need to show the exercises
(a website).
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
ASSIGNMENT = "exercises"
STUDENT_COPIES = ROOT / "workspace" / "lecturekit" / "exercises"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
_REGION = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*(\n|$)",
                     re.MULTILINE | re.DOTALL)

CONFIG = '''\
# nbgrader configuration of a lecturekit course (written by scripts/assignments.py).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "lecturekit"
c.CourseDirectory.root = {root!r}
# The solution notebooks' regions become this stub in the student versions.
c.ClearSolutions.code_stub = {{"python": {stub!r}}}
# Each exercise notebook runs its checks in a few seconds; a stuck loop should not hang grading.
c.Execute.timeout = 120
'''


def nbgrader_command():
    """The ``nbgrader`` command of this environment, or a SystemExit saying how to install it."""
    beside = Path(sys.executable).with_name("nbgrader")
    found = str(beside) if beside.exists() else shutil.which("nbgrader")
    if found is None:
        raise SystemExit("nbgrader is not installed in this environment: "
                         'python -m pip install -e ".[teach]"')
    return found


def nbgrader(course, *args):
    """Run ``nbgrader ARGS`` in the course directory; raise SystemExit if it fails."""
    cmd = [nbgrader_command(), *args]
    done = subprocess.run(cmd, cwd=course, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"`nbgrader {' '.join(args)}` failed (exit {done.returncode}) in "
                         f"{course}:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
    return done


def solution_notebooks():
    notebooks = sorted(EXERCISES.glob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"no exercise notebooks in {EXERCISES}: build them with "
                         "`python scripts/execute_notebooks.py --exercises`")
    return notebooks


def generate(course, *, force=True):
    """Set up ``course`` and run ``nbgrader generate_assignment``; return the release folder."""
    course = Path(course).resolve()
    course.mkdir(parents=True, exist_ok=True)
    config = course / "nbgrader_config.py"
    if not config.exists():
        config.write_text(CONFIG.format(root=str(course), stub=STUB), encoding="utf-8")
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True, exist_ok=True)
    for nb in solution_notebooks():
        shutil.copy2(nb, source / nb.name)
    nbgrader(course, "generate_assignment", ASSIGNMENT, *(["--force"] if force else []))
    return course / "release" / ASSIGNMENT


def scores(course):
    """``{student: (score, max_score)}`` of the assignment, from the course's gradebook."""
    from nbgrader.api import Gradebook

    course = Path(course).resolve()
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        out = {}
        for student in gb.students:
            try:
                sub = gb.find_submission(ASSIGNMENT, student.id)
            except Exception:  # MissingEntry: this student submitted nothing
                continue
            out[student.id] = (float(sub.score), float(sub.max_score))
    return out


def autograde(course, *, feedback=True):
    """``nbgrader autograde`` (and ``generate_feedback``) for every submission; return the scores."""
    course = Path(course).resolve()
    if not (course / "nbgrader_config.py").exists():
        raise SystemExit(f"{course} is not a course directory: run "
                         f"`python scripts/assignments.py generate {course}` first")
    if not any((course / "submitted").glob(f"*/{ASSIGNMENT}/*.ipynb")):
        raise SystemExit(f"no submissions: put each student's notebooks in "
                         f"{course}/submitted/STUDENT/{ASSIGNMENT}/")
    nbgrader(course, "autograde", ASSIGNMENT, "--force")
    if feedback:
        nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    return scores(course)


def student_version(nb):
    """A copy of notebook ``nb`` as a student gets it, without nbgrader.

    Each solution region becomes the stub (indented like the region), and the
    outputs of solution and graded cells are cleared, as ``nbgrader
    generate_assignment`` does; other cells are kept with their outputs.
    """
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or not (meta.get("solution") or meta.get("grade")):
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        cell["source"] = _REGION.sub(
            lambda m: "\n".join(m.group(1) + line for line in STUB.splitlines()) + m.group(2),
            source)
        cell["outputs"] = []
        cell["execution_count"] = None
    return nb


def write_student_versions(out):
    """Write the student version of each exercise notebook missing from ``out``; return (written, kept)."""
    import nbformat

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written, kept = [], []
    for path in solution_notebooks():
        dest = out / path.name
        if dest.exists():
            kept.append(dest)
            continue
        nb = student_version(nbformat.read(path, as_version=4))
        nbformat.write(nbformat.from_dict(nb), dest)
        written.append(dest)
    return written, kept


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    mine = sub.add_parser("student", help="write the student versions (solutions removed)")
    mine.add_argument("--out", type=Path, default=STUDENT_COPIES,
                      help=f"folder (default {STUDENT_COPIES.relative_to(ROOT)})")
    gen = sub.add_parser("generate", help="set up COURSE and make the student versions")
    gen.add_argument("course", type=Path, help="the course directory (created if needed)")
    grade = sub.add_parser("autograde", help="grade COURSE/submitted/*/exercises/ and write feedback")
    grade.add_argument("course", type=Path)
    grade.add_argument("--no-feedback", action="store_true", help="skip generate_feedback")
    args = parser.parse_args(argv)
    if args.command == "student":
        written, kept = write_student_versions(args.out)
        for path in written:
            print(f"wrote {path}")
        if kept:
            print(f"kept {len(kept)} copies you already have in {args.out} (delete one for a fresh "
                  "copy)")
    elif args.command == "generate":
        release = generate(args.course)
        print(f"student versions: {release} ({len(list(release.glob('*.ipynb')))} notebooks)")
        print(f"grade later with: python scripts/assignments.py autograde {args.course}")
    else:
        results = autograde(args.course, feedback=not args.no_feedback)
        for student, (score, top) in sorted(results.items()):
            print(f"{student}: {score:g} / {top:g}")
        if not args.no_feedback:
            print(f"feedback: {Path(args.course).resolve() / 'feedback'}/STUDENT/{ASSIGNMENT}/*.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
