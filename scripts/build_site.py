"""Build the course website from the executed notebooks: ``python scripts/build_site.py``.

The site is Sphinx with myst-nb and sphinx-book-theme (what Jupyter Book 1 is
made of), configured in ``site/conf.py``. This script stages its pages in
``OUT/source`` and runs Sphinx, writing ``OUT/html`` (``OUT`` is ``site/_build``
unless ``--out`` says otherwise; git-ignored):

* ``site/index.md``, the home page, with the table of contents added here;
* every ``notebooks/*.ipynb`` as saved, outputs and explorers' snapshots
  included, never executed (``notebooks/src/*.md`` are their sources and not
  pages);
* ``exercises/**/*.ipynb`` when that folder exists (student versions: no
  ``src/`` or ``solutions/`` folder, no name with "solution");
* the formula catalog, generated from ``data/catalog.toml``
  (``lecturekit.catalog.catalog_markdown``);
* one page per lecture notes file when the notes are there
  (``lecturekit.notes.notes_dir()``: ``../shared/lectures/`` or
  ``$LECTUREKIT_NOTES``), included from where they are, never copied into the
  repository. The notebooks' links to a notes file then lead to its page;
  without the notes they become plain text.

MathJax 3 is served by the site itself: the npm package ``mathjax`` is fetched
once with ``npm pack`` into ``site/_vendor/`` (git-ignored) and copied into the
site's ``_static/mathjax/``; later builds need no network. ``$LECTUREKIT_MATHJAX``
may name a folder holding ``tex-mml-chtml.js`` instead.

    python scripts/build_site.py                 # site/_build/html/index.html
    python scripts/build_site.py --out /tmp/site # elsewhere
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
NOTEBOOKS = ROOT / "notebooks"
EXERCISES = ROOT / "exercises"
VENDOR = SITE / "_vendor"
MATHJAX_VERSION = "3.2.2"
# What tex-mml-chtml.js loads: TeX extensions on demand, the CHTML fonts, the menu,
# and the accessibility parts the menu can switch on. Nothing else of the 24 MB.
MATHJAX_PARTS = ("tex-mml-chtml.js", "input", "output/chtml", "ui", "a11y", "sre")
NOTES_LINK = re.compile(r"\[([^\]]*)\]\((?:\.\./)+shared/lectures/([^)\s]+)\)")
IGNORE_OUTPUT = "# NBVAL_IGNORE_OUTPUT"
EXERCISE_SKIP = re.compile(r"(^|/)(src|solutions?)/|solution", re.IGNORECASE)


class BuildError(RuntimeError):
    """A build step failed; the message says which and what to do."""


def mathjax_dir():
    """A folder with MathJax 3's ``tex-mml-chtml.js`` and what it loads, fetched once."""
    override = os.environ.get("LECTUREKIT_MATHJAX")
    if override:
        folder = Path(override)
        if not (folder / "tex-mml-chtml.js").is_file():
            raise BuildError(f"$LECTUREKIT_MATHJAX is {override!r}, which has no tex-mml-chtml.js")
        return folder
    folder = VENDOR / f"mathjax-{MATHJAX_VERSION}"
    if (folder / "tex-mml-chtml.js").is_file():
        return folder
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("MathJax is not vendored yet and npm is missing: install Node.js and npm "
                         "(Debian: apt-get install -y npm), or set LECTUREKIT_MATHJAX to a MathJax 3 "
                         "es5/ folder")
    print(f"site: fetching MathJax {MATHJAX_VERSION} from the npm registry (once) into "
          f"{folder.relative_to(ROOT)}")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([npm, "pack", f"mathjax@{MATHJAX_VERSION}", "--silent",
                               "--pack-destination", tmp], capture_output=True, text=True, cwd=tmp)
        tarballs = list(Path(tmp).glob("mathjax-*.tgz"))
        if proc.returncode != 0 or not tarballs:
            raise BuildError(f"npm pack mathjax@{MATHJAX_VERSION} failed:\n{proc.stderr[-2000:]}")
        staging = Path(tmp) / "mathjax"
        prefixes = tuple(f"package/es5/{part}" for part in MATHJAX_PARTS)
        with tarfile.open(tarballs[0]) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith(prefixes)]
            for member in members:
                member.name = member.name[len("package/es5/"):]
            try:
                tar.extractall(staging, members=members, filter="data")
            except TypeError:  # Python 3.10 before 3.10.12 has no extraction filters
                tar.extractall(staging, members=members)
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.move(str(staging), folder)
    return folder


def _notes():
    """``(folder, [files])`` of the lecture notes, or ``(None, [])`` with the reason printed."""
    from lecturekit.notes import PATTERN, notes_dir

    try:
        folder = notes_dir()
    except FileNotFoundError as err:
        print(f"site: no pages for the lecture notes. {err}")
        return None, []
    return folder, sorted(folder.glob(PATTERN))


def _heading(text, fallback):
    """The first Markdown heading of a notes file without its #s, else its first line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        match = re.match(r"#+\s+(.+)", line)
        if match:
            return match.group(1).strip()
    return lines[0] if lines else fallback


def _lecture_notebooks():
    """``{notes file name: (notebook stem, heading)}`` from each notebook's "Lecture file" line.

    The line reads ``Lecture file: [`NAME.txt`](...) (heading "HEADING")``.
    """
    found = {}
    for nb in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        first = "".join(cells[0]["source"]) if cells else ""
        line = next((line for line in first.splitlines() if line.startswith("Lecture file:")), "")
        name = re.search(r"`(\d{3}_[0-9a-f]+\.txt)`", line)
        heading = re.search(r'\(heading "([^"]+)"', line)
        if name:
            found[name.group(1)] = (nb.stem, heading.group(1) if heading else None)
    return found


def _prepare(nb_path, present, src):
    """Adapt a staged notebook copy to the site (the notebook itself is never touched).

    Links to ``../../shared/lectures/NAME`` lead to the notes' pages (plain text
    without the notes), and the tests' ``# NBVAL_IGNORE_OUTPUT`` marker lines go.
    ``src`` is the site's source folder, which holds ``lectures/``.
    """
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    up = Path(os.path.relpath(src, nb_path.parent)).as_posix()
    for cell in nb["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code":
            cell["source"] = "\n".join(line for line in text.split("\n")
                                       if line.strip() != IGNORE_OUTPUT)
            continue
        if cell["cell_type"] != "markdown":
            continue

        def repl(m):
            name = m.group(2)
            if name in present:
                return f"[{m.group(1)}]({up}/lectures/{Path(name).stem}.md)"
            return m.group(1)  # no notes here: the name, unlinked

        cell["source"] = NOTES_LINK.sub(repl, text)
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _toctree(caption, entries):
    lines = ["", "```{toctree}", f":caption: {caption}", ":maxdepth: 1", ""]
    return "\n".join(lines + list(entries) + ["```", ""])


def _assignments():
    """scripts/assignments.py, loaded by path (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("assignments", ROOT / "scripts" / "assignments.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stage(src):
    """Write the Sphinx source folder ``src``; return its page names (``"notebooks/01-mlp"``, ...)."""
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(SITE, src, ignore=shutil.ignore_patterns("_build", "_vendor", "__pycache__"))
    mathjax = mathjax_dir()
    shutil.copytree(mathjax, src / "_static" / "mathjax")
    pages = ["index"]

    notes_folder, notes_files = _notes()
    present = {p.name for p in notes_files}

    # The notebooks, as saved.
    (src / "notebooks").mkdir()
    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    for nb in notebooks:
        shutil.copy2(nb, src / "notebooks" / nb.name)
        _prepare(src / "notebooks" / nb.name, present, src)
    start = [f"notebooks/{nb.stem}" for nb in notebooks if nb.stem.startswith("00-")]
    lectures = [f"notebooks/{nb.stem}" for nb in notebooks if not nb.stem.startswith("00-")]
    pages += start + lectures

    # Exercises (student versions), once they exist.
    exercises = []
    if EXERCISES.is_dir():
        for nb in sorted(EXERCISES.rglob("*.ipynb")):
            rel = nb.relative_to(EXERCISES).as_posix()
            if EXERCISE_SKIP.search(rel) or ".ipynb_checkpoints" in rel:
                continue
            (src / "exercises" / rel).parent.mkdir(parents=True, exist_ok=True)
            # exercises/*.ipynb carry the solutions; the public site shows what a student gets.
            student = _assignments().student_version(json.loads(nb.read_text(encoding="utf-8")))
            (src / "exercises" / rel).write_text(json.dumps(student, ensure_ascii=False), encoding="utf-8")
            _prepare(src / "exercises" / rel, present, src)
            exercises.append(f"exercises/{rel[:-len('.ipynb')]}")
        for pic in EXERCISES.rglob("*"):
            if pic.suffix.lower() in {".png", ".jpg", ".jpeg", ".gif", ".svg"} \
                    and not EXERCISE_SKIP.search(pic.relative_to(EXERCISES).as_posix()):
                (src / "exercises" / pic.relative_to(EXERCISES)).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(pic, src / "exercises" / pic.relative_to(EXERCISES))
    pages += exercises

    # The formula catalog, generated.
    from lecturekit.catalog import catalog_markdown, load_catalog

    entries = load_catalog()
    by_notebook = _lecture_notebooks()
    parts = ["# Formula catalog", "",
             f"Every formula, definition and worked example of the notes: {len(entries)} entries of "
             "`data/catalog.toml`, each with the `lecturekit` function that computes it. An entry is "
             "*done* when its function, its test and a notebook cell showing it exist.", ""]
    for lecture in dict.fromkeys(e["lecture"] for e in entries):
        notebook = by_notebook.get(lecture, (None, None))[0]
        notes = (f"[{lecture}](lectures/{Path(lecture).stem}.md)" if lecture in present
                 else f"`{lecture}`")
        parts += [f"## {notebook or lecture}", ""]
        parts += [f"The entries of the lecture file {notes}"
                  + (f", shown in the notebook [{notebook}](notebooks/{notebook}.ipynb)." if notebook
                     else "."), ""]
        parts += [catalog_markdown(entries, lecture=lecture), ""]
    (src / "catalog.md").write_text("\n".join(parts), encoding="utf-8")
    pages.append("catalog")

    # The lecture notes, included from where they are.
    notes_pages = []
    if notes_files:
        (src / "lectures").mkdir()
        for path in notes_files:
            text = path.read_text(encoding="utf-8")
            notebook, heading = by_notebook.get(path.name, (None, None))
            heading = heading or _heading(text, path.stem)
            page = [f"# {heading}: the notes", "",
                    f"The lecture notes file `{path.name}`, as transcribed (formulas in LaTeX, some "
                    "of it garbled), read from the notes folder when the site was built."]
            if notebook:
                page += ["", f"Its notebook: [{notebook}](../notebooks/{notebook}.ipynb), which "
                         "computes each formula and corrects the notes where they are wrong."]
            # Sphinx reads a leading / as the source folder: the path is relative to the page.
            rel = os.path.relpath(path, src / "lectures")
            page += ["", f"```{{include}} {rel}", ":heading-offset: 1", "```", ""]
            (src / "lectures" / f"{path.stem}.md").write_text("\n".join(page), encoding="utf-8")
            notes_pages.append(f"lectures/{path.stem}")
        print(f"site: {len(notes_pages)} pages for the lecture notes in {notes_folder}")
    pages += notes_pages

    index = (src / "index.md").read_text(encoding="utf-8")
    index += _toctree("Notebooks", start + lectures)
    if exercises:
        index += _toctree("Exercises", exercises)
    index += _toctree("Reference", ["catalog"])
    if notes_pages:
        index += _toctree("Lecture notes", notes_pages)
    (src / "index.md").write_text(index, encoding="utf-8")
    return pages


def build(out, jobs="1", quiet=True):
    """Stage and build the site into ``out/html``; return ``(html folder, page names)``."""
    out = Path(out).resolve()
    src, html = out / "source", out / "html"
    pages = stage(src)
    shutil.rmtree(html, ignore_errors=True)
    argv = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(src), "-j", str(jobs),
            "-W", "--keep-going", "-d", str(out / "doctrees"), str(src), str(html)]
    if quiet:
        argv.append("-q")
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError(f"sphinx-build failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n"
                         f"{proc.stderr[-6000:]}")
    if proc.stderr.strip():
        print(proc.stderr, file=sys.stderr)
    return html, pages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SITE / "_build",
                        help="build folder (default: site/_build); the site is OUT/html")
    parser.add_argument("-j", "--jobs", default="1", help="Sphinx's parallel jobs (default 1)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show Sphinx's progress")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        html, pages = build(args.out, args.jobs, quiet=not args.verbose)
    except BuildError as err:
        print(f"site: {err}", file=sys.stderr)
        return 1
    print(f"site: {len(pages)} pages built in {time.perf_counter() - start:.1f} s: "
          f"{html / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
