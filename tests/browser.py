"""Drive notebooks in a real browser: JupyterLab or Voilà on 127.0.0.1, headless Chromium.

Used by tests/test_e2e_browser.py and benchmarks/bench_e2e.py. Chromium is
Debian's ``chromium`` package, driven by Python playwright through
``executable_path``; playwright never downloads a browser of its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "lecturekit-e2e"
# The flags keep Chromium off the network: on a closed machine its background
# connections are refused many at a time and slow everything down.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
IMAGE = ".jupyter-widgets img"


def chromium_path():
    """The Chromium executable, or None: $LECTUREKIT_CHROMIUM, then chromium on the PATH."""
    for candidate in (os.environ.get("LECTUREKIT_CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def missing():
    """Why the browser tests cannot run here (None when they can)."""
    if chromium_path() is None:
        return "Chromium is not installed (Debian: apt-get install -y chromium)"
    for module in ("playwright", "jupyterlab", "voila"):
        try:
            __import__(module)
        except ImportError:
            return f"the Python package {module} is not installed (pip install -e '.[test]')"
    return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_http(url, proc, log, timeout=120):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{Path(log).read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer {url} within {timeout} s")


@contextlib.contextmanager
def _server(argv, url_path, workdir):
    port = _free_port()
    config = workdir / "jupyter-config"
    # No announcement pop-ups: they would cover the explorers in screenshots.
    (config / "labconfig").mkdir(parents=True, exist_ok=True)
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    # Full rendering of every cell: JupyterLab 4 detaches cells scrolled out of
    # view by default, which moves elements under the screenshot.
    tracker = workdir / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True, exist_ok=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config),
               JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(workdir / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(workdir / "workspaces"))
    log = workdir / f"server-{port}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", *argv, "--no-browser", f"--port={port}"],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=workdir,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_http(base + url_path, proc, log)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def copy_notebooks(dest):
    """Copy the notebooks to ``dest``: running them in the browser autosaves, never the originals."""
    dest.mkdir(parents=True, exist_ok=True)
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copy(nb, dest / nb.name)
    return dest


@contextlib.contextmanager
def jupyter_lab(workdir):
    """JupyterLab on 127.0.0.1 serving a copy of notebooks/, token set, no browser opened."""
    notebooks = copy_notebooks(workdir / "notebooks")
    argv = ["jupyter", "lab", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={notebooks}", "--LabApp.expose_app_in_browser=True",
            f"--LabApp.workspaces_dir={workdir / 'workspaces'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # CI runs as root; JupyterLab refuses that unless told
    with _server(argv, f"/api/status?token={TOKEN}", workdir) as base:
        yield base


@contextlib.contextmanager
def voila(workdir, notebook):
    """Voilà serving one notebook (code hidden, widgets live) on 127.0.0.1."""
    notebooks = copy_notebooks(workdir / "notebooks")
    argv = ["voila", str(notebooks / notebook), "--Voila.ip=127.0.0.1"]
    with _server(argv, "/voila/static/voila.js", workdir) as base:
        yield base


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# JavaScript run in the JupyterLab page (the app is exposed as window.jupyterapp).
_NOTEBOOK = "window.jupyterapp && window.jupyterapp.shell.currentWidget"
# The notebook in front must be the one asked for, with its kernel started and idle.
_KERNEL_READY = (f"path => {_NOTEBOOK} && {_NOTEBOOK}.context && {_NOTEBOOK}.context.path === path "
                 f"&& {_NOTEBOOK}.sessionContext.session "
                 f"&& {_NOTEBOOK}.sessionContext.session.kernel "
                 f"&& {_NOTEBOOK}.sessionContext.session.kernel.status === 'idle'")
_RUN_STATE = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  const code = nb.content.widgets.filter(c => c.model.type === 'code');
  const outputs = code.flatMap(c => c.model.outputs.toJSON());
  const errors = outputs.filter(o => o.output_type === 'error'
                                || (o.output_type === 'stream' && o.name === 'stderr'));
  const done = code.every(c => c.model.executionCount !== null);
  const session = nb.sessionContext.session;
  const idle = Boolean(session && session.kernel && session.kernel.status === 'idle');
  return {done: done && idle, cells: code.length,
          errors: errors.map(o => o.ename ? o.ename + ': ' + o.evalue : o.text)};
}"""


def run_all_in_lab(page, base, notebook, timeout=300):
    """Open ``notebook`` in JupyterLab, run all cells, return the error/stderr outputs."""
    # A workspace of its own: a shared one would reopen the previous notebook too.
    workspace = Path(notebook).stem
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{notebook}?token={TOKEN}")
    page.wait_for_function(_KERNEL_READY, arg=notebook, timeout=timeout * 1000)
    # Clearing resets every execution count, so "all counted" means "all ran now".
    page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    start = time.monotonic()
    while True:
        state = page.evaluate(_RUN_STATE)
        if state["errors"] or state["done"]:
            return state
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{notebook}: cells still running after {timeout} s")
        time.sleep(0.5)


def shutdown_kernels(base):
    """Stop every kernel of the server, so finished notebooks don't hold the cores."""
    headers = {"Authorization": f"token {TOKEN}"}
    with urllib.request.urlopen(urllib.request.Request(f"{base}/api/kernels", headers=headers)) as r:
        kernels = json.load(r)
    for kernel in kernels:
        req = urllib.request.Request(f"{base}/api/kernels/{kernel['id']}", method="DELETE",
                                     headers=headers)
        urllib.request.urlopen(req).close()


def first_explorer(page):
    """The output element holding the first explorer (an image widget with a slider)."""
    page.wait_for_selector(IMAGE, timeout=60_000)
    handle = page.evaluate_handle(
        """sel => {
          for (const img of document.querySelectorAll(sel)) {
            const box = img.closest('.jp-OutputArea-output') || img.closest('.jupyter-widgets');
            if (box && box.querySelector('.noUi-handle')) return box;
          }
          return null;
        }""", IMAGE)
    box = handle.as_element()
    if box is None:
        raise AssertionError("no explorer (image widget with a slider) was found on the page")
    return box


def _press(page, img, knob, key, timeout):
    """Press ``key`` on a slider knob; seconds until the image changed, or None."""
    before = img.get_attribute("src")
    knob.focus()
    start = time.perf_counter()
    page.keyboard.press(key)
    try:
        page.wait_for_function("([img, s]) => img.getAttribute('src') !== s",
                               arg=[img, before], timeout=timeout * 1000)
    except Exception:  # playwright's TimeoutError: the image did not change
        return None
    return time.perf_counter() - start


def move_slider(page, box, moves=1, timeout=15):
    """Move a slider of the explorer ``moves`` times and time each redraw.

    Some sliders legitimately leave the picture alone in some settings (the
    sample index under batch norm, which averages over all samples), so the
    first slider whose move changes the image is the one timed. Presses
    alternate right and left, so the slider stays in range. Returns the seconds
    from each key press until the explorer's image changed.
    """
    img = box.query_selector("img")
    for knob in box.query_selector_all(".noUi-handle"):
        knob.scroll_into_view_if_needed()
        first = _press(page, img, knob, "ArrowRight", timeout=3)
        if first is None:  # at its maximum, or no effect here: try the other way once
            first = _press(page, img, knob, "ArrowLeft", timeout=3)
            keys = ["ArrowRight", "ArrowLeft"]
        else:
            keys = ["ArrowLeft", "ArrowRight"]
        if first is None:
            continue
        times = [first]
        for i in range(moves - 1):
            t = _press(page, img, knob, keys[i % 2], timeout)
            if t is None:
                raise AssertionError(f"moving the slider did not change the figure within {timeout} s")
            times.append(t)
        return times
    raise AssertionError("no slider of the explorer changed its figure")
