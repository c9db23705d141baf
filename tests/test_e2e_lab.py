"""The training lab in JupyterLab: a run in the background leaves the other explorers live.

A notebook with the training lab (LeNet on all the digits, 10 epochs: seconds of
training) and the dropout explorer is written to the served folder through
JupyterLab's contents API and run. Then, in headless Chromium: press the lab's
Train button, move the dropout explorer's slider while the run goes on (the
redraws must arrive within 150 ms, as the issue asks of a slider during a run:
the median of them, and each within the budget or 1.5 times the slowest redraw
measured just before the run, for a machine busy with other work), and see both
finish: the lab's progress bar full and its figure redrawn.
"""

from __future__ import annotations

import json
import time
import urllib.request

import nbformat

from . import browser
from . import explorer_pages as pages

pytestmark = browser.E2E_MARKS

NOTEBOOK = "e2e-training-lab.ipynb"
REDRAW_BUDGET = 0.15  # seconds from a key press on the slider to the new image


def _put_notebook(base):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from lecturekit.explore import DropoutExplorer, TrainingLab\n"
            "trainer_lab = TrainingLab(model='lenet', n_train=1438, epochs=10, keep_prob=1.0,\n"
            "                          weight_decay=0.0, lr=0.03, seeds='2')\n"
            "trainer_lab"),
        nbformat.v4.new_code_cell("other = DropoutExplorer()\nother"),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    body = json.dumps({"type": "notebook", "format": "json", "content": nb}).encode()
    req = urllib.request.Request(f"{base}/api/contents/{NOTEBOOK}", data=body, method="PUT",
                                 headers={"Authorization": f"token {browser.TOKEN}",
                                          "Content-Type": "application/json"})
    urllib.request.urlopen(req).close()


def test_a_training_run_leaves_another_explorer_live_and_both_finish(chromium, lab):
    _put_notebook(lab)
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    try:
        state = browser.run_all_in_lab(page, lab, NOTEBOOK)
        assert state["errors"] == [], state["errors"]
        page.wait_for_selector(".lk-explorer", timeout=60_000)
        boxes = page.query_selector_all(".lk-explorer")
        assert len(boxes) == 2, f"expected the lab and the dropout explorer, got {len(boxes)}"
        lab_box, other_box = boxes
        other_box.scroll_into_view_if_needed()
        idle = browser.move_slider(page, other_box, moves=7, timeout=10)
        lab_img = lab_box.query_selector("img")
        before = lab_img.get_attribute("src")
        train = lab_box.query_selector("button:has-text('Train')")
        assert train is not None, "the lab has no Train button"
        lab_box.scroll_into_view_if_needed()
        train.click()
        # the run has started when the button is disabled (the bar then counts the epochs)
        page.wait_for_function("b => b.disabled", arg=train, timeout=30_000)
        other_box.scroll_into_view_if_needed()
        redraws = browser.move_slider(page, other_box, moves=7, timeout=10)
        still_training = train.is_disabled()
        # The first press of each series also focuses the slider; the others are redraws.
        during, before_run = sorted(redraws[1:]), sorted(idle[1:])
        message = (f"the other explorer's redraws took {[round(t, 3) for t in redraws]} s during "
                   f"the run, {[round(t, 3) for t in idle]} s before it")
        assert during[len(during) // 2] <= REDRAW_BUDGET, message
        # on a machine loaded by other work even the idle redraws can pass the budget: the run
        # itself must not add much to them (training runs in a child process, not the kernel)
        assert during[-1] <= max(REDRAW_BUDGET, 1.5 * before_run[-1]), message
        assert still_training, "the run ended before the slider moves were timed: lengthen it"
        # and the run ends in its result: the button back, the bar full, the figure redrawn
        page.wait_for_function("b => !b.disabled", arg=train, timeout=300_000)
        deadline = time.monotonic() + 30
        while lab_img.get_attribute("src") == before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert lab_img.get_attribute("src") != before, "the lab's figure did not show the run"
        done = pages.execute_in_kernel(
            page, "print(trainer_lab.result['trained'], trainer_lab.progress.description, "
                  "trainer_lab.progress.bar_style)")
        assert done.split() == ["True", "epoch", "10/10", "success"], done
        after = page.evaluate(browser._RUN_STATE)
        assert after["errors"] == [], after["errors"]
    finally:
        page.close()
        browser.shutdown_kernels(lab)
