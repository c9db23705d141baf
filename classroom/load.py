"""A class on one hub, simulated: the load test's and the benchmark's driver.

``run_class(workdir, students=10)`` starts JupyterHub (classroom/jupyterhub_config.py,
DummyAuthenticator, the real proxy and culler) on 127.0.0.1, then:

- ``students`` simulated students, staggered, each log in through the hub's login
  form, get an API token, start their server through the hub's REST API, open the
  lecture notebook as a session (jupyter_server's REST API through the proxy), run all
  its cells over the kernel's websocket (the Jupyter messaging protocol, as JupyterLab
  speaks it) and then move the notebook's explorers by executing ``update(...)``
  calls, with a pause between moves, until the browser student is done;
- one student in headless Chromium (when ``browser`` is given) comes first: logs in
  through the same login page, opens the notebook in JupyterLab, runs all cells and
  moves a slider alone on the hub, timing each move until the new image shows; then
  again once the simulated students have run the notebook, while they move theirs.

Every student's outputs are compared with the committed notebook's as nbval
compares them (its skipped keys, its comment markers and tags, the patterns of
notebooks/nbval_sanitize.cfg). Memory and CPU are read with psutil from the
processes the hub started. Everything is stopped at the end, bounded in time.
The returned dict holds what the test asserts and what the benchmark reports.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import nbformat
import psutil
import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from classroom import start  # noqa: E402  (the proxy's install, the hub's command)

NOTEBOOK = "04-lecture-05-10-23.ipynb"
NOTEBOOK_PATH = f"lecturekit/notebooks/{NOTEBOOK}"
PASSWORD = "lecturekit-class"
# The simulated students' slider moves: pairs, so each explorer returns to the settings
# the notebook describes. ``;`` keeps the returned numbers out of the outputs.
MOVES = (
    "conv_explorer.update(padding=0);", "conv_explorer.update(padding=1);",
    "norm_explorer.update(kind='layer');", "norm_explorer.update(kind='batch');",
    "dropout_explorer.update(p=0.5);", "dropout_explorer.update(p=0.8);",
    "conv_explorer.update(stride=2);", "conv_explorer.update(stride=1);",
)
NBVAL_SKIP_COMPARE = ("metadata", "traceback", "prompt_number", "output_type", "name",
                      "execution_count", "application/vnd.jupyter.widget-view+json",
                      "image/png", "image/jpeg")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------------ comparing as nbval does

def sanitize_patterns(cfg=ROOT / "notebooks" / "nbval_sanitize.cfg"):
    from nbval.plugin import get_sanitize_patterns

    return get_sanitize_patterns(Path(cfg).read_text(encoding="utf-8"))


def cell_options(cell):
    """nbval's options of a code cell: its tags, then its comment markers (check, skip, raises...)."""
    from nbval.plugin import find_comment_markers, find_metadata_tags

    options = defaultdict(bool, find_metadata_tags(cell.metadata))
    options.update(dict(find_comment_markers(cell.source)))
    options.setdefault("check", True)
    return options


def _flatten(outputs, patterns):
    from nbval.plugin import coalesce_streams, transform_streams_for_comparison

    def clean(s):
        if not isinstance(s, str):
            return s
        for regex, replace in patterns:
            s = re.sub(regex, replace, s)
        return s

    outputs = transform_streams_for_comparison(coalesce_streams([nbformat.from_dict(o) for o in outputs]))
    flat = defaultdict(list)
    for out in outputs:
        for key, value in out.items():
            if key in NBVAL_SKIP_COMPARE:
                continue
            if key == "data":
                for mime, data in value.items():
                    if mime not in NBVAL_SKIP_COMPARE:
                        flat[mime].append(clean(data if isinstance(data, str) else "".join(data)))
            else:
                flat[key].append(clean(value if isinstance(value, str) else "".join(value)))
    return dict(flat)


def output_differences(notebook, outputs_by_cell, patterns):
    """The code cells (index, what differs) whose outputs differ from the notebook's, as nbval compares."""
    diffs = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        options = cell_options(cell)
        if options["skip"] or not options["check"]:
            continue
        got = _flatten(outputs_by_cell.get(index, []), patterns)
        want = _flatten(cell.outputs, patterns)
        if got != want:
            keys = sorted(set(got) | set(want))
            detail = {k: (want.get(k), got.get(k)) for k in keys if want.get(k) != got.get(k)}
            diffs.append((index, repr(detail)[:600]))
    return diffs


# ------------------------------------------------------------------ the hub

class Hub:
    """A running hub: its URL, its process, its log."""

    def __init__(self, base, proc, log, state):
        self.base, self.proc, self.log, self.state = base, proc, log, state

    def processes(self):
        """{'hub', 'proxy', 'culler': psutil.Process, 'servers': {user: Process}} of the running hub."""
        hub = psutil.Process(self.proc.pid)
        found = {"hub": hub, "proxy": None, "culler": None, "servers": {}}
        for child in hub.children():
            try:
                cmd = " ".join(child.cmdline())
                if "configurable-http-proxy" in cmd:
                    found["proxy"] = child
                elif "jupyterhub_idle_culler" in cmd:
                    found["culler"] = child
                elif "jupyterhub-singleuser" in cmd:
                    found["servers"][child.environ().get("JUPYTERHUB_USER")] = child
            except psutil.Error:
                continue
        return found

    def kernel_process(self, user, kernel_id):
        server = self.processes()["servers"].get(user)
        if server is None:
            return None
        for child in server.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                if any(kernel_id in part for part in child.cmdline()):
                    return child
        return None


@contextlib.contextmanager
def running_hub(workdir, stop_timeout=60, cull="3600", extra_env=None):
    """JupyterHub from classroom/jupyterhub_config.py on 127.0.0.1 (DummyAuthenticator); yield a Hub."""
    start.proxy_command()  # configurable-http-proxy from npm, installed when missing
    workdir = Path(workdir)
    state = workdir / "state"
    state.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = dict(os.environ, LECTUREKIT_HUB_AUTH="dummy", LECTUREKIT_HUB_PASSWORD=PASSWORD,
               LECTUREKIT_HUB_STATE=str(state), LECTUREKIT_HUB_IP="127.0.0.1",
               LECTUREKIT_HUB_PORT=str(port), LECTUREKIT_HUB_EXPOSE_APP="1",
               LECTUREKIT_HUB_CULL=cull, **(extra_env or {}))
    log_path = workdir / "jupyterhub.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(start.hub_command(), env=env, cwd=state, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    hub = Hub(base, proc, log_path, state)
    seen = []
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the hub exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"{base}/hub/api/", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the hub did not answer within 120 s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield hub
    finally:
        # Everything the hub started (proxy, culler, servers, kernels), in case it cannot stop them.
        with contextlib.suppress(psutil.Error):
            seen = psutil.Process(proc.pid).children(recursive=True)
        # The hub stops its idle-culler service with SIGINT and waits up to half a minute
        # for it; a SIGTERM ends it at once, and the hub then finds it stopped.
        for p in seen:
            with contextlib.suppress(psutil.Error):
                if "jupyterhub_idle_culler" in " ".join(p.cmdline()):
                    p.terminate()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # the hub stops the servers and the proxy itself
            try:
                proc.wait(timeout=stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        left = [p for p in seen if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        for p in left:
            with contextlib.suppress(psutil.Error):
                p.terminate()
        _, alive = psutil.wait_procs(left, timeout=10)
        for p in alive:
            with contextlib.suppress(psutil.Error):
                p.kill()
        hub.leftover = len(left)
        log.close()
        remove_empty_cgroups()


def remove_empty_cgroups():
    """Remove the students' cgroups (classroom/jupyterhub_config.py) that no process is in any more."""
    for parent in ("", "memory", "cpu"):
        hub_group = Path("/sys/fs/cgroup") / parent / "lecturekit-hub"
        for folder in (hub_group.iterdir() if hub_group.is_dir() else ()):
            if folder.is_dir():
                with contextlib.suppress(OSError):
                    folder.rmdir()


# ------------------------------------------------------------------ a student over HTTP + websocket

class KernelSocket:
    """The Jupyter messaging protocol over jupyter_server's kernel websocket (JSON, legacy framing)."""

    def __init__(self, url, token, timeout=300):
        import websocket  # websocket-client, a dependency of jupyter_server

        self.session = uuid.uuid4().hex
        self.ws = websocket.create_connection(f"{url}?session_id={self.session}",
                                              header=[f"Authorization: token {token}"], timeout=timeout)
        self.restarts = 0
        self.image_updates = 0

    def _recv(self):
        data = self.ws.recv()
        if isinstance(data, bytes):  # a message with binary buffers: [n, offsets..., json, buffers...]
            n = struct.unpack("!I", data[:4])[0]
            offsets = struct.unpack("!" + "I" * n, data[4:4 + 4 * n])
            end = offsets[1] if n > 1 else len(data)
            msg = json.loads(data[offsets[0]:end].decode("utf-8"))
            msg["_nbuffers"] = n - 1
            return msg
        return json.loads(data)

    def execute(self, code):
        """Run ``code``; return (reply content, nbformat outputs)."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "username": "student", "session": self.session,
                       "msg_type": "execute_request", "version": "5.3",
                       "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
        }))
        reply, idle, outputs = None, False, []
        while reply is None or not idle:
            msg = self._recv()
            kind = msg.get("msg_type") or msg["header"]["msg_type"]
            content = msg.get("content", {})
            if kind == "status" and content.get("execution_state") in ("restarting", "dead"):
                self.restarts += 1
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg.get("channel") == "shell" and kind == "execute_reply":
                reply = content
            elif kind == "status" and content.get("execution_state") == "idle":
                idle = True
            elif kind == "stream":
                outputs.append({"output_type": "stream", "name": content["name"], "text": content["text"]})
            elif kind in ("execute_result", "display_data"):
                out = {"output_type": kind, "data": content["data"], "metadata": content.get("metadata", {})}
                if kind == "execute_result":
                    out["execution_count"] = content.get("execution_count")
                outputs.append(out)
            elif kind == "error":
                outputs.append({"output_type": "error", "ename": content["ename"],
                                "evalue": content["evalue"], "traceback": content["traceback"]})
            elif kind == "clear_output":
                outputs.clear()
            elif kind == "comm_msg" and msg.get("_nbuffers"):
                self.image_updates += 1  # an explorer's new PNG, sent to the image widget
        return reply, outputs

    def close(self):
        with contextlib.suppress(Exception):
            self.ws.close()


class Student:
    """One simulated student: login form, token, server, session, kernel websocket."""

    def __init__(self, hub, name):
        self.hub, self.name = hub, name
        self.http = requests.Session()
        self.token = None
        self.record = {"name": name, "errors": [], "move_s": [], "image_updates": 0}

    def _xsrf(self):
        return self.http.cookies.get("_xsrf", path="/hub/") or self.http.cookies.get("_xsrf")

    def login(self):
        base = self.hub.base
        self.http.get(f"{base}/hub/login", timeout=60).raise_for_status()
        r = self.http.post(f"{base}/hub/login", allow_redirects=False, timeout=60,
                           data={"username": self.name, "password": PASSWORD, "_xsrf": self._xsrf()})
        if r.status_code != 302:
            raise RuntimeError(f"{self.name}: login answered {r.status_code}: {r.text[:300]}")
        self.http.get(f"{base}/hub/home", timeout=60)  # a fresh _xsrf cookie for the logged-in session
        r = self.http.post(f"{base}/hub/api/users/{self.name}/tokens", timeout=60,
                           json={"note": "load test", "expires_in": 3600},
                           headers={"X-XSRFToken": self._xsrf()})
        r.raise_for_status()
        self.token = r.json()["token"]
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"token {self.token}"

    def user_model(self):
        r = self.api.get(f"{self.hub.base}/hub/api/users/{self.name}", timeout=60)
        r.raise_for_status()
        return r.json()

    def start_server(self, timeout=240):
        r = self.api.post(f"{self.hub.base}/hub/api/users/{self.name}/server", timeout=60)
        if r.status_code not in (201, 202):
            raise RuntimeError(f"{self.name}: starting the server answered {r.status_code}: {r.text[:300]}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.user_model().get("servers", {}).get("")
            if server and server.get("ready"):
                return server
            time.sleep(0.5)
        raise TimeoutError(f"{self.name}: the server was not ready within {timeout} s")

    def open_notebook(self, path=NOTEBOOK_PATH):
        base = f"{self.hub.base}/user/{self.name}"
        r = self.api.post(f"{base}/api/sessions", timeout=120,
                          json={"path": path, "type": "notebook", "name": NOTEBOOK,
                                "kernel": {"name": "python3"}})
        r.raise_for_status()
        self.kernel_id = r.json()["kernel"]["id"]
        ws = base.replace("http://", "ws://") + f"/api/kernels/{self.kernel_id}/channels"
        self.kernel = KernelSocket(ws, self.token)
        reply, _ = self.kernel.execute("1")  # the kernel is up and answers
        return reply

    def kernel_alive(self):
        r = self.api.get(f"{self.hub.base}/user/{self.name}/api/kernels/{self.kernel_id}", timeout=60)
        return r.status_code == 200


def _rss(proc):
    try:
        return proc.memory_info().rss
    except (psutil.Error, AttributeError):
        return float("nan")


def _cpu(proc):
    try:
        t = proc.cpu_times()
        return t.user + t.system
    except (psutil.Error, AttributeError):
        return float("nan")


def simulate_student(hub, name, notebook, delay, everyone_ran, stop, record_into, min_moves, think,
                     deadline):
    """One simulated student's whole lesson; what happened lands in ``record_into[name]``."""
    student = Student(hub, name)
    rec = student.record
    record_into[name] = rec
    ran = False
    try:
        stop.wait(delay)  # staggered arrival, as a class comes in
        t0 = time.monotonic()
        student.login()
        rec["started"] = student.start_server()["started"]
        rec["spawn_s"] = time.monotonic() - t0
        student.open_notebook()
        kernel = hub.kernel_process(name, student.kernel_id)
        server = hub.processes()["servers"].get(name)
        rec["kernel_rss_idle"] = _rss(kernel)
        rec["server_rss_idle"] = _rss(server)
        cpu0, t1 = _cpu(kernel), time.monotonic()
        outputs = {}
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code" or cell_options(cell)["skip"]:
                continue
            reply, outs = student.kernel.execute(cell.source)
            outputs[index] = outs
            if reply.get("status") != "ok" and not cell_options(cell)["raises_exception"]:
                rec["errors"].append(f"cell {index}: {reply.get('ename')}: {reply.get('evalue')}")
        rec["run_all_s"] = time.monotonic() - t1
        rec["run_all_cpu_s"] = _cpu(kernel) - cpu0
        rec["kernel_rss_run_all"] = _rss(kernel)
        rec["server_rss_run_all"] = _rss(server)
        rec["diffs"] = output_differences(notebook, outputs, sanitize_patterns())
        ran = True
        everyone_ran.arrive()
        cpu1, scpu1, moves = _cpu(kernel), _cpu(server), 0
        while (moves < min_moves or not stop.is_set()) and time.monotonic() < deadline:
            code = MOVES[moves % len(MOVES)]
            rec.setdefault("move_at", []).append(time.monotonic())
            t = time.perf_counter()
            reply, outs = student.kernel.execute(code)
            rec["move_s"].append(time.perf_counter() - t)
            if reply.get("status") != "ok":
                rec["errors"].append(f"{code}: {reply.get('ename')}: {reply.get('evalue')}")
            moves += 1
            stop.wait(think)
        rec["move_cpu_s"] = (_cpu(kernel) - cpu1) / max(moves, 1)
        rec["move_server_cpu_s"] = (_cpu(server) - scpu1) / max(moves, 1)
        rec["kernel_rss_moved"] = _rss(kernel)
        rec["image_updates"] = student.kernel.image_updates
        rec["restarts"] = student.kernel.restarts
        rec["kernel_alive"] = student.kernel_alive()
        server_now = student.user_model().get("servers", {}).get("")
        rec["server_same"] = bool(server_now and server_now.get("ready")
                                  and server_now.get("started") == rec["started"])
        rec["kernel_same_process"] = hub.kernel_process(name, student.kernel_id) is not None \
            and hub.kernel_process(name, student.kernel_id).pid == getattr(kernel, "pid", None)
        student.kernel.close()
    except Exception as exc:  # recorded, asserted by the caller
        rec["errors"].append(f"{type(exc).__name__}: {exc}")
    finally:
        if not ran:
            everyone_ran.arrive()


class Countdown:
    """Set ``done`` when ``n`` arrivals happened."""

    def __init__(self, n):
        self.n, self.lock, self.done = n, threading.Lock(), threading.Event()
        if n <= 0:
            self.done.set()

    def arrive(self):
        with self.lock:
            self.n -= 1
            if self.n <= 0:
                self.done.set()


# ------------------------------------------------------------------ the browser student

_NB = "window.jupyterapp && window.jupyterapp.shell.currentWidget"
_READY = (f"path => {_NB} && {_NB}.context && {_NB}.context.path === path && {_NB}.sessionContext.session "
          f"&& {_NB}.sessionContext.session.kernel && {_NB}.sessionContext.session.kernel.status === 'idle'")
_STATE = """() => {
  const nb = window.jupyterapp.shell.currentWidget;
  const code = nb.content.widgets.filter(c => c.model.type === 'code');
  const done = code.every(c => c.model.executionCount !== null);
  const session = nb.sessionContext.session;
  const idle = Boolean(session && session.kernel && session.kernel.status === 'idle');
  const errors = code.flatMap(c => c.model.outputs.toJSON())
                     .filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue);
  return {done: done && idle, errors};
}"""
_OUTPUTS = """() => window.jupyterapp.shell.currentWidget.content.widgets
  .filter(c => c.model.type === 'code').map(c => c.model.outputs.toJSON())"""


class BrowserStudent:
    """One student in Chromium: the hub's login page, JupyterLab, Run All, a slider timed as in bench_e2e."""

    def __init__(self, hub, chromium, name="browserstudent", timeout=300):
        self.hub, self.name, self.timeout = hub, name, timeout
        self.page = chromium.new_page(viewport={"width": 1366, "height": 768})
        self.record = {"name": name, "errors": [], "diffs": []}
        self.box = None

    def login_and_run(self, notebook):
        """Log in (which starts the server), open the notebook in JupyterLab, Run All, compare outputs."""
        page, rec, ms = self.page, self.record, self.timeout * 1000
        t0 = time.monotonic()
        page.goto(f"{self.hub.base}/hub/login", timeout=ms)
        page.fill("#username_input", self.name)
        page.fill("#password_input", PASSWORD)
        page.click("#login_submit")
        # Logging in starts the server and lands in JupyterLab on the start page.
        page.wait_for_url(re.compile(rf".*/user/{self.name}/lab.*"), timeout=ms)
        rec["landed"] = page.url.split("?")[0]
        rec["spawn_s"] = time.monotonic() - t0
        page.goto(f"{self.hub.base}/user/{self.name}/lab/workspaces/class/tree/{NOTEBOOK_PATH}", timeout=ms)
        page.wait_for_function(_READY, arg=NOTEBOOK_PATH, timeout=ms)
        page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        t1 = time.monotonic()
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        while True:
            state = page.evaluate(_STATE)
            if state["errors"] or state["done"]:
                break
            if time.monotonic() - t1 > self.timeout:
                raise TimeoutError(f"cells still running after {self.timeout} s")
            time.sleep(0.5)
        rec["run_all_s"] = time.monotonic() - t1
        rec["errors"] += state["errors"]
        code_cells = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
        outs = dict(zip(code_cells, page.evaluate(_OUTPUTS), strict=True))
        rec["diffs"] = output_differences(notebook, outs, sanitize_patterns())

    def move(self, moves, key):
        """Move the first explorer's slider ``moves`` times; seconds per move land in ``record[key]``."""
        from tests import browser  # first_explorer, move_slider: the slider timing of bench_e2e

        if self.box is None:
            self.box = browser.first_explorer(self.page)
        self.record[key] = browser.move_slider(self.page, self.box, moves=moves)

    def screenshot(self, path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if self.box is not None:
            self.box.scroll_into_view_if_needed()
        self.page.screenshot(path=str(path))

    def close(self):
        with contextlib.suppress(Exception):
            self.page.close()


# ------------------------------------------------------------------ the whole class

def run_class(workdir, students=10, stagger=2.0, think=0.5, min_moves=8, browser=None,
              slider_moves=30, screenshot=None, time_limit=900):
    """Simulate a class on a fresh hub; return what was measured (see the module's docstring).

    With ``browser`` (a playwright Browser), one more student comes first in Chromium:
    logs in, runs the notebook and moves a slider ``slider_moves`` times alone on the
    hub (the baseline), then again once every simulated student has run the notebook
    and while they move their explorers.
    """
    notebook = nbformat.read(ROOT / "notebooks" / NOTEBOOK, as_version=4)
    names = [f"student{i:02d}" for i in range(students)]
    records, stop = {}, threading.Event()
    everyone_ran = Countdown(students)
    result = {"students": students, "notebook": NOTEBOOK, "stagger_s": stagger, "think_s": think}
    t_start = time.monotonic()
    deadline = t_start + time_limit
    with running_hub(workdir) as hub:
        procs = hub.processes()
        base_cpu = {k: _cpu(procs[k]) for k in ("hub", "proxy")}
        result["hub_rss_empty"] = _rss(procs["hub"])
        result["proxy_rss_empty"] = _rss(procs["proxy"])
        chrome = None
        threads = []
        t_moves, proxy_moves = time.monotonic(), _cpu(procs["proxy"])
        try:
            if browser is not None:
                chrome = BrowserStudent(hub, browser)
                result["browser"] = chrome.record
                try:
                    chrome.login_and_run(notebook)
                    chrome.move(slider_moves, "slider_alone_s")
                except Exception as exc:
                    chrome.record["errors"].append(f"{type(exc).__name__}: {exc}")
            threads = [threading.Thread(target=simulate_student, daemon=True,
                                        args=(hub, name, notebook, i * stagger, everyone_ran, stop,
                                              records, min_moves, think, deadline))
                       for i, name in enumerate(names)]
            t_class = time.monotonic()
            result["t_class_arrives_s"] = t_class - t_start
            cpu_class = {k: _cpu(procs[k]) for k in ("hub", "proxy")}
            for t in threads:
                t.start()
            everyone_ran.done.wait(max(1.0, deadline - time.monotonic()))
            result["t_everyone_ran_s"] = time.monotonic() - t_start
            # From here on everyone only moves sliders: the proxy's CPU per move.
            t_moves, proxy_moves = time.monotonic(), _cpu(procs["proxy"])
            if chrome is not None and not chrome.record["errors"]:
                try:
                    chrome.move(slider_moves, "slider_loaded_s")  # while the others move theirs
                    if screenshot is not None:
                        chrome.screenshot(screenshot)
                except Exception as exc:
                    chrome.record["errors"].append(f"{type(exc).__name__}: {exc}")
        finally:
            stop.set()
            for t in threads:
                t.join(max(1.0, deadline - time.monotonic()))
            if chrome is not None:
                chrome.close()
        now = time.monotonic()
        result["proxy_cpu_moves_s"] = _cpu(procs["proxy"]) - proxy_moves
        result["moves_in_window"] = sum(t >= t_moves for rec in records.values()
                                        for t in rec.get("move_at", ())) \
            + len((result.get("browser") or {}).get("slider_loaded_s", ()))
        procs = hub.processes()
        result["hub_rss"] = _rss(procs["hub"])
        result["proxy_rss"] = _rss(procs["proxy"])
        result["hub_cpu_s"] = _cpu(procs["hub"]) - base_cpu["hub"]
        result["proxy_cpu_s"] = _cpu(procs["proxy"]) - base_cpu["proxy"]
        result["class_s"] = now - t_class
        result["hub_cpu_class_s"] = _cpu(procs["hub"]) - cpu_class["hub"]
        result["proxy_cpu_class_s"] = _cpu(procs["proxy"]) - cpu_class["proxy"]
        result["wall_s"] = now - t_start
        result["loadavg_1min"] = os.getloadavg()[0]  # of the whole machine, other work included
        result["servers_running"] = sorted(n for n in procs["servers"])
        result["stuck_threads"] = sum(t.is_alive() for t in threads)
        stopping = time.monotonic()
    result["records"] = [records.get(n, {"name": n, "errors": ["never started"]}) for n in names]
    result["leftover_processes"] = hub.leftover
    result["stop_s"] = time.monotonic() - stopping
    return result
