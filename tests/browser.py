"""Drive notebooks in a real browser: JupyterLab or Voilà on 127.0.0.1, headless Chromium.

Used by tests/test_e2e_browser.py and benchmarks/bench_e2e.py. Chromium is
Debian's ``chromium`` package, driven by Python playwright through
``executable_path``; playwright never downloads a browser of its own.
"""

from __future__ import annotations

import contextlib
import importlib.util
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
    return not_installed("playwright", "jupyterlab", "voila")


def not_installed(*modules):
    """Why the first of ``modules`` that is not installed is missing (None if all are).

    Found, not imported: the test modules ask at import, so every pytest process (each
    xdist worker too) asks while it collects, also for a ``-m "not e2e"`` run, and
    importing jupyterlab, voila, sphinx and jupyterhub took seconds there.
    """
    for module in modules:
        if importlib.util.find_spec(module) is None:
            return f"the Python package {module} is not installed (pip install -e '.[test]')"
    return None


def _e2e_marks():
    import pytest

    reason = missing()
    return [pytest.mark.e2e,
            pytest.mark.skipif(reason is not None, reason=f"browser tests skipped: {reason}")]


E2E_MARKS = _e2e_marks()
"""``pytestmark`` of the browser tests: marked e2e, skipped with the reason when they cannot run."""


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
    command(page, "notebook:clear-all-cell-outputs", wait=True)
    command(page, "notebook:run-all-cells")
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


# ------------------------------------------------------------------ requests, offline checks
# (tests/test_site.py and the offline tests of tests/test_e2e_browser.py)

_LOOPBACK_HOSTS = {"localhost", "::1"}


def is_loopback(url):
    """Whether a request to ``url`` stays on this machine (127.0.0.0/8, localhost, ::1, or no host).

    ``data:`` and ``about:`` URLs load nothing; a ``blob:`` URL is judged by the origin it names.
    """
    from urllib.parse import urlsplit

    if url.startswith("blob:"):
        url = url[len("blob:"):]
    parts = urlsplit(url)
    if parts.scheme in ("data", "about", "chrome", "chrome-error", "devtools"):
        return True
    host = (parts.hostname or "").lower()
    return host in _LOOPBACK_HOSTS or host.startswith("127.")


def record_requests(page):
    """A list that collects the URL of every request ``page`` makes from now on."""
    urls = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def non_loopback(urls):
    """The URLs among ``urls`` that would leave the machine."""
    return sorted({u for u in urls if not is_loopback(u)})


@contextlib.contextmanager
def static_site(folder):
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port) from a thread; yield the base URL."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def site_missing():
    """Why the static site's browser tests cannot run here (None when they can)."""
    if chromium_path() is None:
        return "Chromium is not installed (Debian: apt-get install -y chromium)"
    reason = not_installed("playwright", "sphinx", "myst_nb", "sphinx_book_theme")
    if reason is not None:
        return reason
    vendored = ROOT / "site" / "_vendor"
    if not any(vendored.glob("mathjax-*/tex-mml-chtml.js")) and shutil.which("npm") is None \
            and not os.environ.get("LECTUREKIT_MATHJAX"):
        return "npm is missing, so the site cannot vendor MathJax (Debian: apt-get install -y npm)"
    return None


def copy_repository(dest):
    """Copy what a clone shows at its top level (README, configs, notebooks, data) to ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("README.md", "pyproject.toml", "jupytext.toml", "voila.json"):
        if (ROOT / name).is_file():
            shutil.copy(ROOT / name, dest / name)
    for folder in ("notebooks", "data", "exercises"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, dest / folder,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return dest


@contextlib.contextmanager
def jupyter_lab_at(root, open_path, workdir):
    """JupyterLab started as the README says: root ``root``, ``open_path`` opened; yield (base, url).

    ``url`` is the address JupyterLab would open in the browser (read from the
    ``jpserver-file-to-run-*-open.html`` file it writes for the file to open), with the token.
    """
    argv = ["jupyter", "lab", f"--ServerApp.root_dir={root}", str(Path(root) / open_path),
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
            "--LabApp.expose_app_in_browser=True", f"--LabApp.workspaces_dir={workdir / 'workspaces'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    with _server(argv, f"/api/status?token={TOKEN}", workdir) as base:
        opened = sorted((workdir / "runtime").glob("jpserver-file-to-run-*-open.html"))
        url = None
        if opened:
            import re

            match = re.search(r'href="([^"]+)"', opened[-1].read_text(encoding="utf-8"))
            url = match.group(1) if match else None
        yield base, url


@contextlib.contextmanager
def voila_offline(workdir, notebook):
    """Voilà as the README runs it from the repository's folder: with its voila.json.

    The repository's ``voila.json`` chooses the ``lecturekit`` template (Voilà's
    lab template less its FontAwesome CDN links) and leaves out the JupyterLab-only
    extensions; ``--Voila.config_file_paths`` reads it as starting in ``ROOT`` would.
    """
    notebooks = copy_notebooks(workdir / "notebooks")
    argv = ["voila", str(notebooks / notebook), "--Voila.ip=127.0.0.1",
            f"--Voila.config_file_paths={json.dumps([str(ROOT)])}"]
    with _server(argv, "/voila/static/voila.js", workdir) as base:
        yield base


# JavaScript: whether the notebook in front is marked modified.
_DIRTY = "() => window.jupyterapp.shell.currentWidget.context.model.dirty"


def command(page, name, args=None, wait=False):
    """Run JupyterLab's command ``name`` on ``page``; with ``wait``, until its promise resolves.

    The command's promise is kept on ``window`` before anything awaits it: Chromium
    tracks a promise Playwright awaits only weakly, and CI failed with "Resulting
    promise was garbage collected" when ``docmanager:open``'s was collected unresolved.
    """
    page.evaluate("""async ([name, args, wait]) => {
      const kept = window.__lecturekit_commands = (window.__lecturekit_commands || []).slice(-20);
      const done = window.jupyterapp.commands.execute(name, args || {});
      kept.push(done);
      if (wait) { await done; }
      return null;
    }""", [name, args, wait])


def open_in_lab(page, base, notebook, timeout=180):
    """Open ``notebook`` (a path under the server's root) in its own workspace; wait for its kernel."""
    workspace = Path(notebook).stem
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{notebook}?token={TOKEN}")
    page.wait_for_function(_KERNEL_READY, arg=notebook, timeout=timeout * 1000)


def open_another(page, notebook, timeout=180):
    """Open ``notebook`` in the JupyterLab already on ``page`` (no reload); wait for its kernel."""
    command(page, "docmanager:open", {"path": notebook})
    page.wait_for_function(_KERNEL_READY, arg=notebook, timeout=timeout * 1000)


def dirty_after_open(page, seconds=3.0):
    """Whether the notebook in front is, or within ``seconds`` becomes, marked modified."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if page.evaluate(_DIRTY):
            return True
        time.sleep(0.25)
    return bool(page.evaluate(_DIRTY))


def lab_root_names(page):
    """The names at the root of JupyterLab's file browser (the server's root folder)."""
    return page.evaluate("""async () => {
      const listing = await window.jupyterapp.serviceManager.contents.get('', {content: true});
      return listing.content.map(item => item.name);
    }""")


def save_in_lab(page, path, timeout=30):
    """Save the notebook in front and wait until the server has written ``path``."""
    before = Path(path).stat().st_mtime_ns if Path(path).exists() else None
    command(page, "docmanager:save")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Path(path).exists() and Path(path).stat().st_mtime_ns != before \
                and not page.evaluate(_DIRTY):
            return
        time.sleep(0.25)
    raise TimeoutError(f"{path} was not saved within {timeout} s")


ANSWER = "details:has(> summary:has-text('Answers'))"


def open_an_answer(page, index=0):
    """Open the ``index``-th collapsible answer on the page by clicking its summary.

    Returns ``(answers on the page, was it open, its text visible before, after the click)``:
    a closed ``<details>`` renders only its summary.
    """
    answers = page.locator(ANSWER)
    n = answers.count()
    if n == 0:
        return 0, None, None, None
    details = answers.nth(index)
    details.scroll_into_view_if_needed()
    inside = details.locator(":scope > :not(summary)").first
    was_open = details.evaluate("d => d.open")
    before = inside.is_visible()
    details.locator(":scope > summary").click()
    page.wait_for_function("d => d.open", arg=details.element_handle(), timeout=5000)
    inside.wait_for(state="visible", timeout=5000)
    return n, was_open, before, inside.is_visible()


def optional_sections(page):
    """Each heading on the page whose text starts with "Optional", and whether the cell
    after its cell is hidden (JupyterLab's collapsed heading hides the cells under it)."""
    return page.evaluate("""() => {
      const out = [];
      for (const cell of document.querySelectorAll('.jp-MarkdownCell')) {
        const h = cell.querySelector(
          '.jp-RenderedMarkdown h2, .jp-RenderedMarkdown h3, .jp-RenderedMarkdown h4');
        if (!h || !h.innerText.trim().toLowerCase().startsWith('optional')) continue;
        let next = cell.nextElementSibling;
        while (next && !next.classList.contains('jp-Cell')) next = next.nextElementSibling;
        out.push({heading: h.innerText.trim().replace(/[¶#]$/, '').trim(),
                  collapsed: !next || next.classList.contains('lm-mod-hidden')
                             || getComputedStyle(next).display === 'none'});
      }
      return out;
    }""")
