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
from pathlib import Path

import pytest

from . import browser

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "screenshots"
LECTURE_NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("0[1-9]-*.ipynb"))
VOILA_NOTEBOOK = "04-lecture-05-10-23.ipynb"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(browser.missing() is not None,
                       reason=f"browser tests skipped: {browser.missing()}"),
]


@pytest.fixture(scope="module")
def chromium():
    with browser.chromium() as b:
        yield b


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with browser.jupyter_lab(tmp_path_factory.mktemp("lab")) as base:
        yield base


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
        page.close()
