"""The exercises as an nbgrader assignment, through the real nbgrader CLI (scripts/assignments.py).

In a temporary course directory: generate the student versions; submit the
solution notebooks as one student (full marks), the untouched student versions
as another (0 points, and the autograde itself succeeds), and a notebook with a
classic mistake planted in three exercises as a third, whose feedback page must
show each mistake's hint. The student versions must hold no solution code.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
from pathlib import Path

import pytest

from lecturekit.check import MISTAKES

pytest.importorskip("nbgrader")

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
pytestmark = pytest.mark.slow
# The real nbgrader CLI on a course directory: end to end, like the browser tests.
E2E = pytest.mark.e2e

# grade_id of a solution cell: (line of the solution, the same line with a classic mistake, its key)
PLANTED = {
    "momentum-step-solution": ("mu_new = gamma * mu - lr * g", "mu_new = gamma * mu + lr * g",
                               "momentum-sign"),
    "adam-step-solution": ("m_hat = m / (1 - beta1**t)\n    v_hat = v / (1 - beta2**t)",
                           "m_hat = m\n    v_hat = v", "missing-bias-correction"),
    "conv-output-size-solution": ("return (W - F + 2 * P) // S + 1", "return (W - F + 2 * P) // S",
                                  "off-by-one"),
}
PLANTED_NOTEBOOK = "03-lecture-4.ipynb"


def _assignments():
    spec = importlib.util.spec_from_file_location("assignments", ROOT / "scripts" / "assignments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _by_grade_id(nb):
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in nb["cells"]
            if "nbgrader" in c.get("metadata", {})}


def _submit(course, student, notebooks):
    folder = course / "submitted" / student / "exercises"
    folder.mkdir(parents=True)
    for name, nb in notebooks.items():
        (folder / name).write_text(json.dumps(nb), encoding="utf-8")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course directory after generate, three submissions, autograde and generate_feedback."""
    assignments = _assignments()
    course = tmp_path_factory.mktemp("course")
    release = assignments.generate(course)
    solutions = {p.name: _read(p) for p in sorted(EXERCISES.glob("*.ipynb"))}
    _submit(course, "solved", solutions)
    _submit(course, "untouched", {p.name: _read(p) for p in sorted(release.glob("*.ipynb"))})
    mistaken = json.loads(json.dumps(solutions[PLANTED_NOTEBOOK]))
    cells = _by_grade_id(mistaken)
    for gid, (right, wrong, _) in PLANTED.items():
        assert right in _source(cells[gid]), gid
        cells[gid]["source"] = _source(cells[gid]).replace(right, wrong)
    _submit(course, "mistaken", {PLANTED_NOTEBOOK: mistaken})
    logs = assignments.nbgrader(course, "autograde", "exercises", "--force")
    assignments.nbgrader(course, "generate_feedback", "exercises", "--force")
    return {"dir": course, "release": release, "scores": assignments.scores(course),
            "log": logs.stdout + logs.stderr, "solutions": solutions, "module": assignments}


@E2E
def test_generate_makes_one_student_version_per_exercise_notebook(course):
    names = sorted(p.name for p in course["release"].glob("*.ipynb"))
    assert names == sorted(course["solutions"]) and len(names) >= 5
    assert (course["dir"] / "nbgrader_config.py").is_file()


@E2E
def test_the_student_versions_hold_no_solution_code(course):
    for name, solution in course["solutions"].items():
        student = _read(course["release"] / name)
        text = json.dumps(student)
        assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
        released = _by_grade_id(student)
        for gid, cell in _by_grade_id(solution).items():
            if not cell["metadata"]["nbgrader"].get("solution"):
                continue
            src = _source(cell)
            region = src[src.index("### BEGIN SOLUTION"):src.index("### END SOLUTION")]
            answer = {line.strip() for line in region.splitlines()[1:] if line.strip()}
            kept = {line.strip() for line in _source(released[gid]).splitlines()}
            assert answer and not answer & kept, (name, gid, answer & kept)
            assert "raise NotImplementedError()" in _source(released[gid])
            assert released[gid]["outputs"] == []
        # the check cells are there, locked, unchanged
        for gid, cell in _by_grade_id(solution).items():
            if cell["metadata"]["nbgrader"].get("grade"):
                assert _source(released[gid]) == _source(cell)
                assert released[gid]["metadata"]["nbgrader"]["locked"] is True


@E2E
def test_student_version_without_nbgrader_matches_generate_assignment(course):
    # scripts/assignments.student_version (for a website) strips exactly what nbgrader strips.
    for name, solution in course["solutions"].items():
        ours = _by_grade_id(course["module"].student_version(solution))
        theirs = _by_grade_id(_read(course["release"] / name))
        assert {g: _source(c) for g, c in ours.items()} == {g: _source(c) for g, c in theirs.items()}


@E2E
def test_the_solutions_get_full_marks_and_the_untouched_versions_zero(course):
    scores = course["scores"]
    score, top = scores["solved"]
    assert top > 0 and score == top, scores
    assert scores["untouched"] == (0.0, top), scores
    assert "[AutogradeApp | ERROR]" not in course["log"], course["log"][-3000:]


@E2E
def test_three_planted_classic_mistakes_are_named_with_their_hints_in_the_feedback(course):
    score, top = course["scores"]["mistaken"]
    nb = course["solutions"][PLANTED_NOTEBOOK]
    points = {g: c["metadata"]["nbgrader"].get("points", 0) for g, c in _by_grade_id(nb).items()}
    lost = sum(points[g.replace("-solution", "-check")] for g in PLANTED)
    assert score == sum(points.values()) - lost and lost > 0
    page = course["dir"] / "feedback" / "mistaken" / "exercises" / PLANTED_NOTEBOOK.replace(
        ".ipynb", ".html")
    text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
    for _, _, key in PLANTED.values():
        title, hint = MISTAKES[key]
        assert f"classic mistake: {title}" in text and f"Hint: {hint}" in text, key
    assert "check.py" not in text and "Traceback (most recent call last)" not in text  # no frames
    # and the untouched notebooks' feedback says plainly what to do
    blank = (course["dir"] / "feedback" / "untouched" / "exercises" / "01-mlp.html").read_text(
        encoding="utf-8")
    assert "not written yet: replace `raise NotImplementedError()` with your code" in blank


def test_generate_and_autograde_refuse_plainly(tmp_path):
    assignments = _assignments()
    with pytest.raises(SystemExit, match="is not a course directory"):
        assignments.autograde(tmp_path)
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    with pytest.raises(SystemExit, match="no submissions"):
        assignments.autograde(tmp_path)
