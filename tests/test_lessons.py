"""Every lecture notebook is a lesson: an opening with its time, predict-first prompts,
Optional detours collapsed, a Summary and the Corrections list (scripts/lesson_structure.py).

The checks read the committed, executed notebooks (an explorer is a code cell whose
output is a widget). The checker itself is tested on small notebooks built here, so
that each rule is seen to fail when it should.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

from lecturekit.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import lesson_structure as ls  # noqa: E402

LECTURES = sorted((ROOT / "notebooks").glob("0[1-5]-*.ipynb"))


def test_there_are_five_lecture_notebooks():
    assert [p.stem[:2] for p in LECTURES] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_lecture_notebook_is_a_lesson(path):
    lesson = ls.Lesson.read(path)
    problems = lesson.problems(ls.errata_sections(path))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_every_explorer_is_on_the_core_path(path):
    # A collapsed Optional heading hides its cells in JupyterLab: an explorer there would
    # be missed by a student on the core path and by the browser tests.
    lesson = ls.Lesson.read(path)
    assert lesson.explorers(), f"{path.stem} shows no explorer"
    hidden = [c.index for c in lesson.explorers() if c.optional]
    assert not hidden, f"{path.stem}: explorers in Optional sections, cells {hidden}"


def test_start_here_gives_each_notebooks_time_and_collapses_the_catalog():
    nb = nbformat.read(ROOT / "notebooks" / "00-start-here.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for path in LECTURES:
        stated = ls.Lesson.read(path).stated_minutes()
        row = next((line for line in text.splitlines() if f"({path.stem}.ipynb)" in line and "|" in line), "")
        assert f"{stated} min" in row, f"00's table gives no 'about {stated} min' for {path.stem}: {row!r}"
    # the full catalog is a Markdown output inside a closed <details> block
    shown = [out["data"]["text/markdown"] for c in nb.cells if c.cell_type == "code"
             for out in c.get("outputs", []) if "text/markdown" in out.get("data", {})]
    catalog = [m for m in shown if "formula catalog" in m.lower()]
    assert len(catalog) == 1, "00 shows no catalog as Markdown"
    assert catalog[0].startswith("<details>\n<summary>") and catalog[0].rstrip().endswith("</details>")
    assert catalog[0].count("\n| `") == len(load_catalog())  # every entry, one row each
    # and its one explorer is introduced like every other
    lesson = ls.Lesson.read(ROOT / "notebooks" / "00-start-here.ipynb")
    assert len(lesson.explorers()) == 1
    assert lesson.explorer_problems() == []


# -- the checker on small notebooks ------------------------------------------------------

def _notebook(tmp_path, cells):
    nb = nbformat.v4.new_notebook()
    for kind, source, *rest in cells:
        if kind == "md":
            cell = nbformat.v4.new_markdown_cell(source)
            if rest:
                cell.metadata.update(rest[0])
        else:
            cell = nbformat.v4.new_code_cell(source)
            out = rest[0] if rest else None
            if out == "widget":
                cell.outputs = [nbformat.v4.new_output(
                    "display_data", data={ls.WIDGET: {"model_id": "x"}, "text/plain": "Explorer"})]
            elif out is not None:
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=out)]
        nb.cells.append(cell)
    path = tmp_path / "09-small.ipynb"
    nbformat.write(nb, path)
    return ls.Lesson.read(path)


PROMPT = ("**Predict first.**\n\n1. Will it grow?\n\n<details>\n<summary>Answers</summary>\n\n"
          "It shrinks.\n\n</details>")
GOOD = [
    ("md", "# Title\n\nA short opening. **Core path: about 4 minutes**; "
           "the Optional sections add about 1 more.\n\n"
           "<details>\n<summary>Letters</summary>\n\n" + "word " * 400 + "\n\n</details>"),
    ("md", "## Part one\n\nPlain words."),
    ("md", PROMPT),
    ("code", "explorer", "widget"),
    ("md", "**Try this.** 1. Set S = 2."),
    ("md", "### Optional: an aside\n\nWhat it holds.", {"jp-MarkdownHeadingCollapsed": True}),
    ("code", "print(1)", "1\n"),
    ("md", "## Summary\n\n* a\n* b\n* c\n* d\n* e"),
    ("md", "## Corrections to the notes\n\n* A sign (Dropout)"),
]


def test_checker_passes_a_small_good_lesson(tmp_path):
    lesson = _notebook(tmp_path, GOOD)
    assert lesson.problems({"Dropout"}) == []
    assert lesson.stated_minutes() == 4
    assert [c.optional for c in lesson.cells] == [False] * 5 + [True, True, False, False]
    # 3 minutes for the explorer, 1/2 for each code cell, the prose at 130 words a minute
    assert 3.5 < lesson.core_minutes() < 4.0
    # half a minute for the code cell, "Optional: an aside What it holds." at 130 words a minute
    assert lesson.core_minutes(optional=True) == pytest.approx(0.5 + 6 / 130)


@pytest.mark.parametrize("change, expected", [
    (lambda c: c.__setitem__(0, ("md", "# T\n\n" + "word " * 151 + "core path: about 4 minutes")),
     "the opening has 156 words"),
    (lambda c: c.__setitem__(0, ("md", "# T\n\nNo time here.")), "states no 'core path"),
    (lambda c: c.__setitem__(0, ("md", "# T\n\n**Core path: about 40 minutes**")), "says about 40 minutes"),
    (lambda c: c.__setitem__(2, ("md", "What to look for: it shrinks.")), "no **Predict first.** prompt"),
    (lambda c: c.__setitem__(2, ("md", "**Predict first.**\n\n1. a?\n2. b?\n3. c?\n4. d?\n\n"
                                       "<details>x</details>")),
     "asks 4 numbered questions"),
    (lambda c: c.__setitem__(2, ("md", "**Predict first.**\n\n1. Will it grow? It shrinks.")),
     "no collapsible <details> answer"),
    (lambda c: c.__setitem__(4, ("md", "Nothing to do.")), "no **Try this.** tasks"),
    (lambda c: c.__setitem__(5, ("md", "### Optional: an aside")), "is not collapsed"),
    (lambda c: c.__setitem__(5, ("md", "### Optional: an aside\n\n" + "word " * 41,
                                 {"jp-MarkdownHeadingCollapsed": True})), "has 41 words in its own cell"),
    (lambda c: c.__delitem__(6), "has no cell under its heading"),
    (lambda c: c.__setitem__(7, ("md", "## Summary\n\n* a\n* b")), "the Summary has 2 bullets"),
    (lambda c: c.__delitem__(7), "no '## Summary' section"),
    (lambda c: c.__setitem__(8, ("md", "## Corrections to the notes\n\n* A sign")),
     "does not name the notes' section 'Dropout'"),
    (lambda c: c.__setitem__(slice(6, 7), [("code", "a", "x: True\n")] * 3),
     "3 code cells in a row end in 'True'"),
])
def test_checker_names_each_broken_rule(tmp_path, change, expected):
    cells = list(GOOD)
    change(cells)
    problems = _notebook(tmp_path, cells).problems({"Dropout"})
    assert any(expected in p for p in problems), problems


def test_checker_allows_two_checks_in_a_row_and_a_section_ends_a_chain(tmp_path):
    checks = [("code", "a", "x: True\n")] * 2
    cells = GOOD[:7] + checks + GOOD[7:]
    assert not any("in a row" in p for p in _notebook(tmp_path, cells).problems({"Dropout"}))
    cells = GOOD[:7] + checks + [("md", "## Next part")] + checks + GOOD[7:]
    assert not any("in a row" in p for p in _notebook(tmp_path, cells).problems({"Dropout"}))
    # prose and sub-headings inside one section do not break it
    cells = GOOD[:7] + checks + [("md", "#### a note"), ("code", "a", "y: True\n")] + GOOD[7:]
    assert any("3 code cells in a row" in p for p in _notebook(tmp_path, cells).problems({"Dropout"}))


def test_words_count_math_as_one_word_and_drop_tags_and_table_rules():
    assert ls.words("the mean $\\mu = \\frac1m \\sum_i z_i$ of a batch") == 6
    assert ls.words("| a | b |\n| --- | --- |\n| c | d |") == 4
    assert ls.words("<details><summary>Answers</summary></details>") == 1
