"""The sliders really move the figures, in a real browser (JupyterLab and Voilà).

nbval runs the notebooks in a kernel with no front end, so it cannot see a
JupyterLab/ipywidgets mismatch, a figure that never appears, or an explorer
that redraws nothing. These tests open each lecture notebook in JupyterLab in
headless Chromium, run all cells, move a slider of the first explorer and check
that its image changed with no error output; and do the same through Voilà.

They need Debian's chromium package; without it they are skipped, and pytest's
summary (-rs) says why. Run only the others with ``python -m pytest -m "not e2e"``.
Screenshots of each notebook's first explorer go to ``screenshots/`` (git-ignored).
"""

import json
import urllib.request
from pathlib import Path

import pytest

from . import browser

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "screenshots"
LECTURE_NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("0[1-9]-*.ipynb"))
VOILA_NOTEBOOK = "04-lecture-05-10-23.ipynb"

pytestmark = browser.E2E_MARKS


@pytest.fixture(scope="module")
def round_trips():
    times = {}
    yield times
    SHOTS.mkdir(exist_ok=True)
    (SHOTS / "round-trips.json").write_text(json.dumps(times, indent=1))


@pytest.mark.parametrize("notebook", LECTURE_NOTEBOOKS)
def test_notebook_runs_in_jupyterlab_and_its_slider_redraws(notebook, chromium, lab, round_trips):
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    try:
        state = browser.run_all_in_lab(page, lab, notebook)
        assert state["errors"] == [], f"{notebook} printed errors: {state['errors']}"
        assert state["cells"] > 0
        box = browser.first_explorer(page)
        SHOTS.mkdir(exist_ok=True)
        box.screenshot(path=str(SHOTS / f"{Path(notebook).stem}.png"))
        round_trips[notebook] = browser.move_slider(page, box, moves=6)
        after = page.evaluate(browser._RUN_STATE)
        assert after["errors"] == [], f"{notebook}: errors after moving the slider: {after['errors']}"
        assert page.get_by_text("Error displaying widget").count() == 0
        # The Predict-first answers are closed until the student opens one.
        answers, was_open, before, after_click = browser.open_an_answer(page)
        assert answers > 0 and was_open is False and before is False and after_click is True, (
            f"{notebook}: {answers} answers; the first was open {was_open}, its text visible "
            f"{before} before and {after_click} after clicking its summary")
        page.locator(browser.ANSWER).first.screenshot(path=str(SHOTS / f"{Path(notebook).stem}-answer.png"))
        # The Optional detours are collapsed on open: the cell after each such heading is hidden.
        shown = browser.optional_sections(page)
        assert shown, f"{notebook}: no Optional section on the page"
        assert [s for s in shown if not s["collapsed"]] == [], f"{notebook}: Optional sections open: {shown}"
    finally:
        page.close()
        browser.shutdown_kernels(lab)


def test_voila_serves_a_notebook_with_code_hidden_math_rendered_and_live_sliders(
        chromium, tmp_path):
    with browser.voila(tmp_path, VOILA_NOTEBOOK) as base:
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(base, timeout=180_000)
        box = browser.first_explorer(page)
        # Code hidden: no code editor, no code-cell input on the page.
        assert page.locator(".jp-CodeCell .jp-InputArea, .cm-editor").count() == 0
        # Formulas typeset by the bundled MathJax (no CDN): no raw $$ left in the text.
        assert page.locator("mjx-container, .MathJax").count() > 0
        assert "$$" not in page.inner_text("body")
        browser.move_slider(page, box, moves=2)
        SHOTS.mkdir(exist_ok=True)
        box.screenshot(path=str(SHOTS / "voila.png"))
        assert page.get_by_text("Error displaying widget").count() == 0
        answers, was_open, before, after_click = browser.open_an_answer(page)
        assert answers > 0 and (was_open, before, after_click) == (False, False, True), (
            answers, was_open, before, after_click)
        page.locator(browser.ANSWER).first.screenshot(path=str(SHOTS / "voila-answer.png"))
        page.close()


def test_nbconvert_html_export_shows_the_answers_collapsed_and_opens_them(chromium, tmp_path):
    # What an instructor gets from "File > Save and Export Notebook As > HTML" (nbconvert's lab
    # template): the answers stay closed, and a click opens them.
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(ROOT / "notebooks" / VOILA_NOTEBOOK, as_version=4)
    html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    page_file = tmp_path / "export.html"
    page_file.write_text(html, encoding="utf-8")
    page = chromium.new_page(viewport={"width": 1366, "height": 768})
    try:
        page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:")
                   else route.continue_())  # MathJax's CDN and the like: not on this machine
        page.goto(page_file.as_uri())
        closed = page.locator(browser.ANSWER).evaluate_all("ds => ds.map(d => d.open)")
        assert closed and not any(closed), closed
        answers, was_open, before, after_click = browser.open_an_answer(page)
        assert (was_open, before, after_click) == (False, False, True)
    finally:
        page.close()


# ------------------------------------------------------------------ set-up and offline (issue 22)

def _committed_state():
    """``git status`` of notebooks/ and exercises/, and each committed notebook's bytes."""
    import hashlib
    import subprocess

    status = subprocess.run(["git", "status", "--porcelain", "--", "notebooks", "exercises"],
                            cwd=ROOT, capture_output=True, text=True).stdout
    digests = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}
    return status, digests


def test_lab_opens_at_the_repository_root_with_start_here_and_no_notebook_dirty_on_open(
        chromium, tmp_path):
    # The README's command, in a copy of the repository: jupyter lab --ServerApp.root_dir=. notebooks/00-...
    repo = browser.copy_repository(tmp_path / "repo")
    start = "notebooks/00-start-here.ipynb"
    with browser.jupyter_lab_at(repo, start, tmp_path) as (base, url):
        assert url is not None and url.split("?")[0].endswith(f"/lab/tree/{start}"), url
        page = chromium.new_page(viewport={"width": 1366, "height": 768})
        requests = browser.record_requests(page)
        try:
            page.goto(url if "token=" in url else f"{url}?token={browser.TOKEN}")
            page.wait_for_function(browser._KERNEL_READY, arg=start, timeout=180_000)
            names = browser.lab_root_names(page)
            assert {"README.md", "notebooks", "data"} <= set(names), f"the file browser's root holds {names}"
            dirty = {start: browser.dirty_after_open(page)}
            browser.shutdown_kernels(base)
            for nb in LECTURE_NOTEBOOKS:
                browser.open_another(page, f"notebooks/{nb}")
                dirty[nb] = browser.dirty_after_open(page)
                browser.command(page, "application:close-all", wait=True)
                browser.shutdown_kernels(base)
        finally:
            page.close()
    marked = [nb for nb, d in dirty.items() if d]
    assert marked == [], (f"marked modified on open, before anything ran: {marked} (store them as "
                          "JupyterLab does: python scripts/execute_notebooks.py)")
    assert browser.non_loopback(requests) == [], "JupyterLab made requests beyond the machine"


def test_run_all_in_the_workspace_leaves_the_committed_notebooks_and_git_status_clean(
        chromium, tmp_path):
    import subprocess
    import sys

    assert subprocess.run(["git", "check-ignore", "-q", "workspace/x.ipynb"], cwd=ROOT).returncode == 0, \
        "workspace/ is not git-ignored"
    before = _committed_state()
    workspace = tmp_path / "workspace"
    made = subprocess.run([sys.executable, str(ROOT / "scripts" / "workspace.py"), "--dir", str(workspace),
                           "--no-lab"], capture_output=True, text=True, cwd=ROOT)
    assert made.returncode == 0, made.stderr
    start = "lecturekit/notebooks/00-start-here.ipynb"
    copy = workspace / start
    assert copy.is_file() and len(list(copy.parent.glob("*.ipynb"))) == len(before[1])
    original = copy.read_bytes()
    with browser.jupyter_lab_at(workspace, start, tmp_path) as (base, url):
        page = chromium.new_page(viewport={"width": 1366, "height": 768})
        requests = browser.record_requests(page)
        try:
            # A copy is opened without jupytext's pairing (no jupytext.toml there): the
            # notebook as stored must be what JupyterLab would store.
            browser.open_in_lab(page, base, start)
            assert not browser.dirty_after_open(page), (
                f"{start} is marked modified on open, before anything ran (store the notebooks as "
                "JupyterLab does: python scripts/execute_notebooks.py)")
            state = browser.run_all_in_lab(page, base, start)
            assert state["errors"] == [], f"{start} printed errors: {state['errors']}"
            browser.save_in_lab(page, copy)
            # The notebooks' links to the notes (../../shared/lectures/NAME) open in the workspace.
            notes = workspace / "shared" / "lectures"
            if notes.exists():
                name = sorted(p.name for p in notes.glob("*.txt"))[0]
                req = urllib.request.Request(f"{base}/api/contents/shared/lectures/{name}?content=0",
                                             headers={"Authorization": f"token {browser.TOKEN}"})
                with urllib.request.urlopen(req) as r:
                    assert r.status == 200
        finally:
            page.close()
            browser.shutdown_kernels(base)
    assert copy.read_bytes() != original, "Run All and save did not write the workspace copy"
    assert _committed_state() == before, "running a notebook changed the committed notebooks"
    assert browser.non_loopback(requests) == [], "JupyterLab made requests beyond the machine"


def test_voila_as_the_readme_runs_it_requests_nothing_beyond_the_machine(chromium, tmp_path):
    with browser.voila_offline(tmp_path, VOILA_NOTEBOOK) as base:
        page = chromium.new_page(viewport={"width": 1366, "height": 768})
        requests = browser.record_requests(page)
        errors = []
        page.on("console", lambda m: errors.append(m.text[:200]) if m.type == "error" else None)
        try:
            page.goto(base, timeout=180_000)
            box = browser.first_explorer(page)
            browser.move_slider(page, box, moves=1)
            assert page.locator("mjx-container").count() > 0
            # The Optional sections are collapsed here too (the lecturekit template's script),
            # and the answers, as everywhere.
            optional = page.locator("details.lk-optional")
            assert optional.count() > 0 and not any(optional.evaluate_all("ds => ds.map(d => d.open)"))
            optional.first.locator(":scope > summary").click()
            optional.first.locator(":scope > div[cell-index]").first.wait_for(state="visible", timeout=5000)
            optional.first.screenshot(path=str(SHOTS / "voila-optional-open.png"))
            assert browser.open_an_answer(page)[1:] == (False, False, True)
        finally:
            page.close()
    assert browser.non_loopback(requests) == [], "Voilà made requests beyond the machine"
    assert errors == [], f"console errors in Voilà: {errors}"
