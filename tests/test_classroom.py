"""A class on one JupyterHub: ten simulated students and one in Chromium, on 127.0.0.1.

classroom/load.py drives it: the hub from classroom/jupyterhub_config.py (the real
configurable-http-proxy from npm, installed into classroom/node_modules when missing,
and jupyterhub-idle-culler), DummyAuthenticator. Every student logs in through the
login form, starts a server, runs lecture notebook 04 and moves its explorers; the
browser student does the same in JupyterLab and moves a slider. Deselect with
``-m "not classroom"``.
"""

import json
import math
import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest

from classroom import capacity, load, start

from . import browser

ROOT = Path(__file__).resolve().parents[1]
STUDENTS = int(os.environ.get("LECTUREKIT_CLASS_STUDENTS", "10"))


def _hub_missing():
    reason = browser.not_installed("jupyterhub", "jupyterhub_idle_culler", "jupyterlab", "websocket",
                                   "requests")
    if reason is not None:
        return reason
    if not start.CHP.exists() and shutil.which("npm") is None:
        return ("npm is missing, so configurable-http-proxy cannot be installed "
                "(Debian: apt-get install -y npm)")
    return None


HUB_MISSING = _hub_missing()


# ------------------------------------------------------------------ the pieces, without a hub

def test_outputs_compare_as_nbval_does():
    nb = nbformat.read(ROOT / "notebooks" / load.NOTEBOOK, as_version=4)
    patterns = load.sanitize_patterns()
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    same = {i: nb.cells[i].outputs for i in code}
    assert load.output_differences(nb, same, patterns) == []
    checked = next(i for i in code if load.cell_options(nb.cells[i])["check"] and nb.cells[i].outputs
                   and nb.cells[i].outputs[0].output_type == "stream")
    changed = dict(same)
    changed[checked] = [dict(nb.cells[checked].outputs[0], text="something else\n")]
    assert [d[0] for d in load.output_differences(nb, changed, patterns)] == [checked]
    # What nbval_sanitize.cfg normalises (a memory address) is not a difference.
    with_address = [dict(o) for o in nb.cells[checked].outputs]
    with_address[0]["text"] = with_address[0]["text"] + "<object at 0x7f00deadbeef>\n"
    other_address = [dict(o) for o in nb.cells[checked].outputs]
    other_address[0]["text"] = other_address[0]["text"] + "<object at 0x7f0012345678>\n"
    nb2 = nbformat.from_dict(nb)
    nb2.cells[checked].outputs = [nbformat.from_dict(o) for o in with_address]
    assert load.output_differences(nb2, {**same, checked: other_address}, patterns) == []
    # A cell marked NBVAL_IGNORE_OUTPUT (the explorers) is not compared.
    ignored = next(i for i in code if "NBVAL_IGNORE_OUTPUT" in nb.cells[i].source)
    assert load.output_differences(nb, {**same, ignored: []}, patterns) == []


@pytest.mark.parametrize("lam, mu", [(1.0, 5.0), (3.0, 5.0), (4.9, 5.0)])
def test_capacity_model_mm1_closed_form(lam, mu):
    # M/M/1: the sojourn time is exponential with rate mu - lambda.
    assert capacity.sojourn_quantile(0.95, 1, lam, mu) == pytest.approx(math.log(20) / (mu - lam), rel=1e-9)


@pytest.mark.parametrize("rho", [0.1, 0.5, 0.9])
def test_capacity_model_mm2_erlang_c(rho):
    # M/M/2: the probability of waiting is 2 rho^2 / (1 + rho).
    assert capacity.erlang_c(2, 2 * rho) == pytest.approx(2 * rho**2 / (1 + rho), rel=1e-12)
    # Survival at 0 is 1, and it decreases.
    mu = 10.0
    values = [capacity.sojourn_survival(t, 2, 2 * rho * mu, mu) for t in (0.0, 0.05, 0.1, 0.5)]
    assert values[0] == pytest.approx(1.0)
    assert all(a > b for a, b in zip(values, values[1:], strict=False))


def test_queue_simulation_against_closed_forms():
    # Exponential work: the simulated M/M/2 p95 is the closed form's.
    mu, lam = 20.0, 20.0  # rho = 0.5
    simulated = capacity.simulated_sojourn_p95(2, lam, 1 / mu, moves=200_000, exponential=True)
    assert simulated == pytest.approx(capacity.sojourn_quantile(0.95, 2, lam, mu), rel=0.03)
    # Constant work on one core (M/D/1): mean sojourn s + rho s / (2 (1 - rho)) (Pollaczek-Khinchine).
    s, lam = 0.05, 10.0
    rho = lam * s
    mean = capacity.simulated_sojourns(1, lam, s, moves=200_000).mean()
    assert mean == pytest.approx(s + rho * s / (2 * (1 - rho)), rel=0.03)
    # No queue: constant work takes exactly its time.
    assert capacity.simulated_sojourn_p95(2, 1e-3, s) == pytest.approx(s, rel=1e-6)


def test_capacity_bounds():
    # With no waiting possible at one student, the bound is where the latency crosses the budget.
    assert capacity.cpu_bound(cores=2, rate=0.5, work=0.01, fixed=0.2) == 0
    n = capacity.cpu_bound(cores=2, rate=0.5, work=0.01, fixed=0.05)
    assert capacity.p95_latency(n, 2, 0.5, 0.01, 0.05) <= 0.150
    assert capacity.p95_latency(n + 1, 2, 0.5, 0.01, 0.05) > 0.150
    m = capacity.cpu_bound_constant_work(cores=2, rate=0.5, work=0.04, fixed=0.06, moves=20_000)
    assert 0 < m < 2 / (0.5 * 0.04)  # below saturation of both cores
    assert 0.06 + capacity.simulated_sojourn_p95(2, m * 0.5, 0.04, 20_000) <= 0.150
    assert 0.06 + capacity.simulated_sojourn_p95(2, (m + 1) * 0.5, 0.04, 20_000) > 0.150
    assert capacity.memory_bound(ram=10 * 2**30, per_student=2**30, overhead=2**29, reserve=2**30) == 8


# ------------------------------------------------------------------ the class on a hub

@pytest.fixture(scope="module")
def lesson(tmp_path_factory):
    work = tmp_path_factory.mktemp("classroom")
    shot = ROOT / "screenshots" / "classroom.png"
    committed = {p.name: p.read_bytes() for p in (ROOT / "notebooks").glob("*.ipynb")}
    if browser.missing() is None:
        with browser.chromium() as chromium:
            result = load.run_class(work, students=STUDENTS, browser=chromium, slider_moves=15,
                                    screenshot=shot, time_limit=600)
    else:
        result = load.run_class(work, students=STUDENTS, time_limit=600)
    result["committed_unchanged"] = committed == {p.name: p.read_bytes()
                                                  for p in (ROOT / "notebooks").glob("*.ipynb")}
    # For a look, and for the benchmark rows (LECTUREKIT_CLASSROOM_RESULTS=screenshots/classroom.json).
    (ROOT / "screenshots").mkdir(exist_ok=True)
    (ROOT / "screenshots" / "classroom.json").write_text(json.dumps(result, indent=1, default=str))
    result["homes"] = sorted(p.name for p in (work / "state" / "homes").iterdir()
                             if (p / load.NOTEBOOK_PATH).is_file())
    return result


@pytest.mark.classroom
@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.skipif(HUB_MISSING is not None, reason=f"classroom test skipped: {HUB_MISSING}")
def test_every_student_ran_the_notebook_with_the_committed_outputs(lesson):
    assert STUDENTS >= 10 or os.environ.get("LECTUREKIT_CLASS_STUDENTS")
    assert len(lesson["records"]) == STUDENTS
    for rec in lesson["records"]:
        assert rec["errors"] == [], rec["name"]
        assert rec["diffs"] == [], rec["name"]
        assert rec["run_all_s"] > 0
        # Every explorer move ran and sent a new picture to the image widget.
        assert len(rec["move_s"]) >= 8 and rec["image_updates"] >= len(rec["move_s"]), rec["name"]


@pytest.mark.classroom
@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.skipif(HUB_MISSING is not None, reason=f"classroom test skipped: {HUB_MISSING}")
def test_no_server_lost_or_restarted(lesson):
    for rec in lesson["records"]:
        assert rec["server_same"] and rec["kernel_alive"] and rec["kernel_same_process"], rec["name"]
        assert rec["restarts"] == 0, rec["name"]
    expected = {r["name"] for r in lesson["records"]} | ({"browserstudent"} if "browser" in lesson else set())
    assert set(lesson["servers_running"]) == expected


@pytest.mark.classroom
@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.skipif(HUB_MISSING is not None, reason=f"classroom test skipped: {HUB_MISSING}")
def test_memory_and_cpu_were_measured(lesson):
    for rec in lesson["records"]:
        assert rec["kernel_rss_idle"] > 0 and rec["kernel_rss_run_all"] > rec["kernel_rss_idle"]
        assert rec["server_rss_run_all"] > 0 and rec["move_cpu_s"] > 0
    assert lesson["hub_rss"] > 0 and lesson["proxy_rss"] > 0


@pytest.mark.classroom
@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.skipif(HUB_MISSING is not None, reason=f"classroom test skipped: {HUB_MISSING}")
def test_each_student_worked_in_their_own_copies(lesson):
    # One home per student, each with the notebooks; the committed notebooks are untouched.
    assert set(lesson["homes"]) >= {r["name"] for r in lesson["records"]}
    assert lesson["committed_unchanged"]


@pytest.mark.classroom
@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.skipif(HUB_MISSING is not None, reason=f"classroom test skipped: {HUB_MISSING}")
def test_everything_stopped_in_bounded_time(lesson):
    assert lesson["stuck_threads"] == 0
    assert lesson["leftover_processes"] == 0  # the hub stopped the proxy, culler, servers and kernels
    assert lesson["stop_s"] < 90


@pytest.mark.classroom
@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.skipif(HUB_MISSING is not None, reason=f"classroom test skipped: {HUB_MISSING}")
def test_the_idle_culler_stops_an_idle_server(tmp_path):
    # The culler runs as a hub service with its role: a server idle past the timeout is stopped.
    with load.running_hub(tmp_path, cull="10", extra_env={"LECTUREKIT_HUB_CULL_EVERY": "5"}) as hub:
        student = load.Student(hub, "idle01")
        student.login()
        student.start_server()
        deadline = time.monotonic() + 120
        while student.user_model()["servers"] and time.monotonic() < deadline:
            time.sleep(1)
        assert student.user_model()["servers"] == {}, "the idle server was not culled within 120 s"
        assert "Culling server idle01" in hub.log.read_text()  # the culler's own log line
        assert "idle01" not in hub.processes()["servers"]


@pytest.mark.classroom
@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.skipif(HUB_MISSING is not None, reason=f"classroom test skipped: {HUB_MISSING}")
@pytest.mark.skipif(browser.missing() is not None, reason=f"browser tests skipped: {browser.missing()}")
def test_browser_student_logs_in_runs_and_moves_a_slider(lesson):
    rec = lesson["browser"]
    assert rec["errors"] == [] and rec["diffs"] == []
    # Logging in started the server and opened JupyterLab on the student's own start page.
    assert rec["landed"].endswith("/user/browserstudent/lab/tree/lecturekit/notebooks/00-start-here.ipynb")
    assert len(rec["slider_alone_s"]) == 15 and len(rec["slider_loaded_s"]) == 15
    assert all(t > 0 for t in rec["slider_loaded_s"])
