"""Every explorer, as a person meets it: in JupyterLab at 1366×768, after Run All.

For each notebook, in headless Chromium with the file browser open:

* after Run All, every explorer's controls hold the values its notebook cell set
  (a Play button once dragged every slider it drives to its minimum);
* every explorer, controls and figure together, fits the notebook panel, every
  slider track is at least 120 px wide and no label is cut off;
* every enabled control changes the image, every disabled one is a control the
  explorer says has no effect in that state;
* no output, and no explorer figure, shows an exception's text.

Screenshots of every explorer at 1366×768 and 1920×1080 go to ``screenshots/``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from . import browser
from . import explorer_pages as pages

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "screenshots" / "explorers"
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("0[0-9]-*.ipynb"))
MIN_TRACK = 120  # px: a slider track any shorter cannot be dragged with a touchpad in class

pytestmark = browser.E2E_MARKS




def _same(widgets, params):
    """Widget values equal to the parameters, up to the round-off of a browser's slider."""
    def close(a, b):
        if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
            return abs(a - b) <= 1e-6 * max(abs(a), abs(b)) + 1e-15  # a log slider: 6 digits
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
        return a == b
    return widgets.keys() == params.keys() and all(close(widgets[k], params[k]) for k in params)


kernel_state = pages.kernel_state


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_explorer_opens_as_its_cell_set_it_fits_and_every_control_acts(notebook, chromium, lab):
    page = chromium.new_page(viewport={"width": 1366, "height": 768})
    try:
        state = browser.run_all_in_lab(page, lab, notebook)
        assert state["errors"] == [], f"{notebook} printed errors: {state['errors']}"
        pages.open_file_browser(page)
        boxes = pages.explorer_boxes(page)
        explorers = kernel_state(page)
        assert len(boxes) == len(explorers), (
            f"{notebook}: {len(boxes)} explorers on the page, {len(explorers)} shown by the kernel")
        stem = Path(notebook).stem
        SHOTS.mkdir(parents=True, exist_ok=True)
        panel = pages.notebook_panel(page)
        problems = []
        for i, (box, ex) in enumerate(zip(boxes, explorers, strict=True)):
            name = f"{stem} explorer {i + 1} ({ex['class']})"
            # 1. the values the notebook cell set, in the kernel and on the page
            if ex["params"] != ex["code_params"]:
                problems.append(f"{name}: after Run All its parameters are {ex['params']}, "
                                f"its cell set {ex['code_params']}")
            if not _same(ex["widget_values"], ex["params"]):
                problems.append(f"{name}: its widgets hold {ex['widget_values']}, "
                                f"its parameters are {ex['params']}")
            if ex["message"] is not None:
                problems.append(f"{name}: shows the message {ex['message']!r} after Run All")
            box.scroll_into_view_if_needed()
            box.screenshot(path=str(SHOTS / f"{stem}-{i + 1}-{ex['class']}-1366.png"))
            # 2. layout at 1366x768 with the file browser open
            layout = pages.explorer_layout(page, box)
            if layout["width"] > panel["output_width"] + 1 or layout["height"] > panel["height"]:
                problems.append(f"{name}: {layout['width']}x{layout['height']} px does not fit the "
                                f"notebook panel's {panel['output_width']}x{panel['height']} px")
            for control in layout["controls"]:
                if control["track"] is not None and control["track"] < MIN_TRACK:
                    problems.append(f"{name}: the slider {control['label']!r} has a "
                                    f"{control['track']} px track (< {MIN_TRACK})")
                if control["cut"]:
                    problems.append(f"{name}: the label {control['label']!r} is cut off")
            disabled = {c["label"] for c in layout["controls"] if c["disabled"]}
            expected = {ex["labels"][n] for n in ex["inactive"]}
            if disabled != expected:
                problems.append(f"{name}: disabled on the page {sorted(disabled)}, "
                                f"inactive in the kernel {sorted(expected)}")
            # 3. every enabled control changes the image
            inert = pages.inert_controls(page, box, state=lambda i=i: kernel_state(page)[i])
            if inert:  # with what the kernel then holds, to tell a lost click from a dead control
                now = kernel_state(page)[i]
                problems += [f"{name}: moving {label!r} did not change the image (the kernel then "
                             f"holds {now['params']}, its widgets {now['widget_values']}, "
                             f"{pages.moves_record(now)})"
                             for label in inert]
        # 4. nothing shows an exception's text, and every figure is a picture or a declared message
        after = page.evaluate(browser._RUN_STATE)
        if after["errors"]:
            problems.append(f"{notebook}: error output after moving the controls: {after['errors']}")
        text = page.inner_text(".jp-NotebookPanel-notebook")
        for needle in ("Traceback", "Error displaying widget", "Exception"):
            if needle in text:
                problems.append(f"{notebook}: the page shows {needle!r}")
        for ex in kernel_state(page):
            if ex["message"] is not None and not ex["message_declared"]:
                problems.append(f"{ex['class']}: shows an undeclared message {ex['message']!r}")
        assert not problems, "\n".join(problems)
        # the same explorers at 1920x1080, for a look (not asserted)
        page.set_viewport_size({"width": 1920, "height": 1080})
        time.sleep(0.5)
        for i, (box, ex) in enumerate(zip(pages.explorer_boxes(page), explorers, strict=True)):
            box.scroll_into_view_if_needed()
            box.screenshot(path=str(SHOTS / f"{stem}-{i + 1}-{ex['class']}-1920.png"))
    finally:
        page.close()
        browser.shutdown_kernels(lab)
