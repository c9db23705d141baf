"""The shape of a lesson: what every lecture notebook must have, read from its executed .ipynb.

The notebooks are lessons, not reference documents (issue "Notebooks that teach").
This module reads an executed notebook and reports where it breaks the conventions
that ``tests/test_lessons.py`` enforces:

* **Opening.** At most ``OPENING_WORDS`` words of prose before the first ``##``
  section (the title line and collapsed ``<details>`` blocks, such as the letters
  table, not counted), and a line stating the core path's time,
  "core path: about N minutes", within ``ESTIMATE_SLACK`` of :func:`core_minutes`.
* **Predict first.** Every explorer (a code cell whose output is a widget) has,
  in the markdown just before it, a ``**Predict first.**`` prompt with 1-3
  numbered questions and a ``<details>`` block holding the answers; after it,
  before the next explorer or section, a ``**Try this.**`` markdown cell.
* **Optional detours.** A heading whose text starts with "Optional" is collapsed
  when the notebook opens (cell metadata ``jp-MarkdownHeadingCollapsed``, which
  JupyterLab and Notebook 7 honour); everything under it, to the next heading of
  the same or a higher level, is off the core path. Its own cell, which a collapsed
  heading leaves open, holds the heading and a teaser of at most ``TEASER_WORDS``.
* **Closing.** A ``## Summary`` section with 5-8 bullets, and, where the
  lecture has errata in the catalog, a ``## Corrections to the notes`` section
  naming each erratum's section of the notes.
* **No chains of checks.** At most ``MAX_CHECK_RUN`` code cells in a row within a
  section end their printed output in ``True``: such chains become one cell that
  checks them all and says what it checked.

Run it on one notebook to see its report (after executing the notebook):

    python scripts/lesson_structure.py notebooks/01-mlp.ipynb
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

OPENING_WORDS = 150
ESTIMATE_SLACK = 0.2  # the stated estimate within 20 % of the computed one
CORE_MINUTES_MAX = 80  # "about 60-75 minutes"
MAX_CHECK_RUN = 2
SUMMARY_BULLETS = (5, 8)
TEASER_WORDS = 40  # what a collapsed Optional heading shows under it, in its own cell
# The reading-time model: technical prose with formulas at 130 words a minute, three
# minutes per explorer (predict, move, read the answer), half a minute per code cell.
WORDS_PER_MINUTE = 130
MINUTES_PER_EXPLORER = 3
MINUTES_PER_CODE_CELL = 0.5

WIDGET = "application/vnd.jupyter.widget-view+json"
HEADING = re.compile(r"^(#{1,6})\s+(.*\S)\s*$", re.M)
DETAILS = re.compile(r"<details\b.*?</details>", re.S | re.I)
ESTIMATE = re.compile(r"core path[^.\n]*?about\s+(\d+)\s+minutes", re.I)
PREDICT = "**Predict first.**"
TRY = "**Try this.**"


def words(markdown):
    """Words of prose: math ($...$, $$...$$) one word each, tables' rules and HTML tags dropped."""
    text = re.sub(r"\$\$.*?\$\$", " x ", markdown, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", " x ", text)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"^\s*\|?\s*:?-{3,}.*$", " ", text, flags=re.M)
    return len([w for w in re.split(r"\s+", text) if re.search(r"\w", w)])


def prose(markdown):
    """The markdown less its collapsed ``<details>`` blocks (references, answers)."""
    return DETAILS.sub(" ", markdown)


def heading(cell):
    """``(level, text)`` of a markdown cell's first heading line, or None."""
    if cell.cell_type != "markdown":
        return None
    m = HEADING.search(cell.source)
    return (len(m.group(1)), m.group(2).strip()) if m else None


def is_explorer(cell):
    return cell.cell_type == "code" and any(WIDGET in out.get("data", {}) for out in cell.get("outputs", []))


def printed(cell):
    return "".join(out.get("text", "") for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream")


def ends_in_true(cell):
    lines = printed(cell).strip().splitlines()
    return cell.cell_type == "code" and bool(lines) and lines[-1].rstrip().endswith("True")


@dataclass
class Cell:
    index: int
    cell: object
    section: str  # the text of the enclosing "##" heading ("" before the first)
    optional: bool  # under a heading that starts with "Optional"


@dataclass
class Lesson:
    path: Path
    cells: list = field(default_factory=list)

    @classmethod
    def read(cls, path):
        nb = nbformat.read(path, as_version=4)
        lesson = cls(Path(path))
        section, optional_level = "", None
        for i, cell in enumerate(nb.cells):
            h = heading(cell)
            if h is not None:
                level, text = h
                if optional_level is not None and level <= optional_level:
                    optional_level = None
                if level == 2:
                    section = text
                if optional_level is None and text.lower().startswith("optional"):
                    optional_level = level
            lesson.cells.append(Cell(i, cell, section, optional_level is not None))
        return lesson

    # -- measures -------------------------------------------------------------------
    def opening(self):
        """The prose before the first ``##`` section, less the title line and ``<details>``."""
        parts = []
        for c in self.cells:
            h = heading(c.cell)
            if h is not None and h[0] == 2:
                break
            if c.cell.cell_type == "markdown":
                parts.append(re.sub(r"^#\s.*$", " ", prose(c.cell.source), count=1, flags=re.M))
        return "\n".join(parts)

    def core_minutes(self, optional=False):
        """Minutes of the core path (or, with ``optional=True``, of the Optional sections)."""
        cells = [c for c in self.cells if c.optional == optional]
        n_words = sum(words(prose(c.cell.source)) for c in cells if c.cell.cell_type == "markdown")
        explorers = sum(is_explorer(c.cell) for c in cells)
        code = sum(c.cell.cell_type == "code" for c in cells)
        return (n_words / WORDS_PER_MINUTE + MINUTES_PER_EXPLORER * explorers
                + MINUTES_PER_CODE_CELL * code)

    def stated_minutes(self):
        m = ESTIMATE.search(self.opening())
        return int(m.group(1)) if m else None

    def section_text(self, title):
        """The markdown of the ``##`` section whose heading starts with ``title`` ('' if none)."""
        return "\n".join(c.cell.source for c in self.cells
                         if c.cell.cell_type == "markdown" and c.section.lower().startswith(title.lower()))

    def explorers(self):
        return [c for c in self.cells if is_explorer(c.cell)]

    # -- checks ---------------------------------------------------------------------
    def problems(self, errata_sections=()):
        """Every way the notebook breaks the conventions, as sentences (empty when none)."""
        out = []
        name = self.path.stem
        n = words(self.opening())
        if n > OPENING_WORDS:
            out.append(f"{name}: the opening has {n} words of prose (at most {OPENING_WORDS})")
        stated, computed = self.stated_minutes(), self.core_minutes()
        if stated is None:
            out.append(f"{name}: the opening states no 'core path: about N minutes'")
        elif abs(stated - computed) > ESTIMATE_SLACK * computed:
            out.append(f"{name}: the opening says about {stated} minutes, the core path reads in "
                       f"{computed:.0f} (words/{WORDS_PER_MINUTE} + {MINUTES_PER_EXPLORER} per explorer"
                       f" + {MINUTES_PER_CODE_CELL} per code cell)")
        if computed > CORE_MINUTES_MAX:
            out.append(f"{name}: the core path reads in {computed:.0f} minutes (at most {CORE_MINUTES_MAX}); "
                       "mark detours Optional")
        out += self.explorer_problems()
        for k, c in enumerate(self.cells):
            h = heading(c.cell)
            if not (h and h[1].lower().startswith("optional")):
                continue
            if not c.cell.metadata.get("jp-MarkdownHeadingCollapsed"):
                out.append(f"{name}: the Optional section {h[1]!r} is not collapsed "
                           "(metadata jp-MarkdownHeadingCollapsed: true)")
            # A collapsed heading hides the cells under it, never its own cell: that holds
            # the heading and a teaser only, and the section's content follows it.
            teaser = words(HEADING.sub(" ", c.cell.source, count=1))
            if teaser > TEASER_WORDS:
                out.append(f"{name}: the Optional heading {h[1]!r} has {teaser} words in its own cell, "
                           f"which stays open (at most {TEASER_WORDS}): move them into cells under it")
            under = self.cells[k + 1] if k + 1 < len(self.cells) else None
            if under is None or not under.optional:
                out.append(f"{name}: the Optional section {h[1]!r} has no cell under its heading")
        summary = self.section_text("Summary")
        bullets = len(re.findall(r"^[*-]\s", summary, re.M))
        if not summary:
            out.append(f"{name}: no '## Summary' section")
        elif not SUMMARY_BULLETS[0] <= bullets <= SUMMARY_BULLETS[1]:
            lo, hi = SUMMARY_BULLETS
            out.append(f"{name}: the Summary has {bullets} bullets ({lo}-{hi})")
        if errata_sections:
            corrections = self.section_text("Corrections to the notes")
            if not corrections:
                out.append(f"{name}: the catalog has errata for this lecture but the notebook has no "
                           "'## Corrections to the notes' section")
            for section in sorted(errata_sections):
                if section.lower() not in corrections.lower():
                    out.append(f"{name}: the Corrections list does not name the notes' section "
                               f"{section!r}, where the catalog has an erratum")
        out += self._check_chains()
        return out

    def explorer_problems(self):
        """The explorers without a Predict-first prompt, its answer, or Try-this tasks after."""
        out = []
        name = self.path.stem
        cells = self.cells
        for k, c in enumerate(cells):
            if not is_explorer(c.cell):
                continue
            before = next((d for d in reversed(cells[:k]) if d.cell.cell_type == "markdown"), None)
            where = f"{name} cell {c.index} (an explorer)"
            if before is None or PREDICT not in before.cell.source:
                out.append(f"{where}: the markdown before it has no {PREDICT} prompt")
            else:
                after_prompt = before.cell.source.split(PREDICT, 1)[1]
                questions = re.findall(r"^\s*\d+\.\s", DETAILS.sub("", after_prompt), re.M)
                if not 1 <= len(questions) <= 3:
                    out.append(f"{where}: its prompt asks {len(questions)} numbered questions (1-3)")
                if not DETAILS.search(after_prompt):
                    out.append(f"{where}: its prompt has no collapsible <details> answer")
            tried = False
            for d in cells[k + 1:]:
                h = heading(d.cell)
                if is_explorer(d.cell) or (h is not None and h[0] <= 3 and TRY not in d.cell.source):
                    break
                if d.cell.cell_type == "markdown" and TRY in d.cell.source:
                    tried = True
                    break
            if not tried:
                out.append(f"{where}: no {TRY} tasks after it")
        return out

    def _check_chains(self):
        out, run = [], []
        for c in self.cells + [None]:
            if c is not None and c.cell.cell_type == "markdown":
                h = heading(c.cell)
                if h is None or h[0] > 2:
                    continue  # prose between checks of one section does not break a chain
            if c is not None and ends_in_true(c.cell):
                run.append(c)
                continue
            if len(run) > MAX_CHECK_RUN:
                out.append(f"{self.path.stem}: {len(run)} code cells in a row end in 'True' in the "
                           f"section {run[0].section!r} (cells {[r.index for r in run]}): "
                           "check them in one cell")
            run = []
        return out


def errata_sections(notebook, catalog_path=None):
    """The notes' sections where the catalog has an erratum shown in ``notebook`` (a path)."""
    import tomllib
    catalog_path = catalog_path or Path(__file__).resolve().parents[1] / "data" / "catalog.toml"
    with open(catalog_path, "rb") as f:
        entries = tomllib.load(f)["formula"]
    rel = f"notebooks/{Path(notebook).name}"
    return {e["section"] for e in entries if e.get("erratum") and e.get("notebook") == rel}


def report(path):
    lesson = Lesson.read(path)
    print(f"{lesson.path.name}: opening {words(lesson.opening())} words, core path "
          f"{lesson.core_minutes():.0f} min (stated {lesson.stated_minutes()}), optional "
          f"{lesson.core_minutes(optional=True):.0f} min, {len(lesson.explorers())} explorers")
    problems = lesson.problems(errata_sections(path))
    for p in problems:
        print("  -", p)
    return not problems


if __name__ == "__main__":
    ok = [report(p) for p in (sys.argv[1:] or sorted(Path("notebooks").glob("0[1-5]-*.ipynb")))]
    sys.exit(0 if all(ok) else 1)
