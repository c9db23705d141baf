"""The test run on two pytest-xdist workers (`-n 2 --dist loadgroup`, groups from conftest.py).

The groups keep a notebook's cells on one worker in order and the e2e tests one at a
time; a failure on a worker must still say which test failed and why; the catalog's
summary prints once.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import conftest as root_conftest  # the repository's conftest.py (pytest puts its folder on sys.path)
from lecturekit.explore import OptimizerExplorer, ScheduleExplorer

ROOT = Path(__file__).resolve().parents[1]


def _group(nodeid, marks=(), params=()):
    return root_conftest.xdist_group(nodeid, Path(nodeid.partition("::")[0]), set(marks), params)


def test_each_notebook_is_one_group_and_every_e2e_test_is_in_one():
    assert _group("notebooks/01-mlp.ipynb::Cell 3") == _group("notebooks/01-mlp.ipynb::Cell 40")
    assert _group("notebooks/01-mlp.ipynb::Cell 3") != _group("notebooks/02-lecture-3.ipynb::Cell 3")
    assert _group("exercises/01-mlp.ipynb::Cell 0") != _group("notebooks/01-mlp.ipynb::Cell 0")
    e2e = {_group("tests/test_site.py::test_pages", ["e2e"]),
           _group("tests/test_classroom.py::test_load", ["e2e", "classroom"]),
           _group("tests/test_e2e_lab.py::test_x[OptimizerExplorer]", ["e2e"], [OptimizerExplorer])}
    assert e2e == {"e2e"}  # e2e wins over an explorer parameter: never two at once
    assert _group("tests/test_conv.py::test_conv_forward") is None  # anywhere
    assert _group("lecturekit/conv.py::lecturekit.conv.conv2d") is None


def test_tests_of_one_explorer_class_share_a_group_and_other_parameters_do_not():
    a = _group("tests/test_explore.py::test_a[OptimizerExplorer]", params=[OptimizerExplorer])
    b = _group("tests/test_explore_specifics.py::test_b[OptimizerExplorer-l3]",
               params=[OptimizerExplorer, "l3"])
    assert a == b != _group("tests/test_explore.py::test_a[ScheduleExplorer]", params=[ScheduleExplorer])
    # test_explore_specifics' variants: (cls, kwargs) tuples
    assert _group("tests/test_explore_specifics.py::test_c[OptimizerExplorer]",
                  params=[(OptimizerExplorer, {"notation": "l3"})]) == a
    assert _group("tests/test_conv.py::test_x[3-int]", params=[3, int]) is None  # a class, not an explorer


PROJECT_TESTS = '''
import atexit, os, time
from pathlib import Path

import pytest

LOG = Path(os.environ["PARALLEL_LOG"])


@atexit.register  # after tests/startup_plugin's handler, so it runs before it
def _exiting():
    with LOG.open("a") as f:
        f.write(f"exit handler {os.environ.get('PYTEST_XDIST_WORKER', 'main')} 0\\n")


def _record(name):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with LOG.open("a") as f:
        f.write(f"start {name} {worker} {time.monotonic()}\\n")
    time.sleep(0.1)  # long enough to overlap if two ran at once
    with LOG.open("a") as f:
        f.write(f"end {name} {worker} {time.monotonic()}\\n")


@pytest.mark.e2e
@pytest.mark.parametrize("k", range(4))
def test_server(k):
    _record(f"e2e{k}")


@pytest.mark.parametrize("k", range(4))
def test_plain(k):
    _record(f"plain{k}")


def test_that_fails():
    answer = 41
    assert answer == 42, "the answer is off by one"
'''


PLUGINS = ("-p", "tests.startup_plugin", "-p", "xdist")
"""The small projects' plugins: the repository's start-up plugin (as its addopts load it:
its workers end with os._exit once their session is over) and xdist."""


def _project_env(log):
    """The environment of a small project's run: the tests log to ``log``; only xdist among
    the installed plugins (each worker starts in a second, not ten); lecturekit importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(PARALLEL_LOG=str(log), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
               PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]))
    return env


@pytest.fixture(scope="module")
def parallel_run(tmp_path_factory):
    """A small project run as the repository's tests run: its conftest.py and the catalog
    summary of tests/conftest.py, 2 workers, loadgroup."""
    project = tmp_path_factory.mktemp("project")
    (project / "conftest.py").write_text((ROOT / "conftest.py").read_text(encoding="utf-8"),
                                         encoding="utf-8")
    (project / "pytest.ini").write_text("[pytest]\nmarkers =\n    e2e: end-to-end\n", encoding="utf-8")
    (project / "test_project.py").write_text(PROJECT_TESTS, encoding="utf-8")
    # the summary hook of tests/conftest.py, as the repository's run has it
    (project / "conftest.py").write_text(
        (project / "conftest.py").read_text(encoding="utf-8")
        + "\nfrom tests.conftest import pytest_terminal_summary  # noqa: E402,F401\n", encoding="utf-8")
    log = project / "log.txt"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *PLUGINS, "-n", "2", "--dist", "loadgroup",
         "-p", "no:cacheprovider", "-rf"],
        cwd=project, env={**_project_env(log), "COLUMNS": "200"}, capture_output=True, text=True,
        timeout=120)
    events = [line.split() for line in log.read_text().splitlines()]
    return done, events


def test_a_worker_ends_after_the_exit_handlers_registered_after_the_start_up_plugin(parallel_run):
    # tests/startup_plugin ends a worker with os._exit in the last exit handler: the others
    # (those of coverage, say) still run, in each worker (and the failure below is reported)
    _, events = parallel_run
    assert sorted(w for kind, _, w, _ in events if kind == "exit") == ["gw0", "gw1"]


def test_e2e_tests_never_overlap_under_two_workers(parallel_run):
    done, events = parallel_run
    spans = {}
    for kind, name, worker, t in events:
        if kind != "exit":
            spans.setdefault(name, {})[kind] = (worker, float(t))
    assert set(spans) == {f"e2e{k}" for k in range(4)} | {f"plain{k}" for k in range(4)}, done.stdout
    e2e = sorted((s["start"][1], s["end"][1], s["start"][0]) for n, s in spans.items() if n.startswith("e2e"))
    assert len({w for _, _, w in e2e}) == 1  # one worker ran them all
    assert all(end <= next_start for (_, end, _), (next_start, _, _) in zip(e2e, e2e[1:], strict=False))
    # and the run was parallel: the other worker ran tests too
    assert len({s["start"][0] for s in spans.values()}) == 2


def test_a_failure_on_a_worker_names_the_test_and_its_message(parallel_run):
    done, _ = parallel_run
    assert done.returncode == 1
    assert "FAILED test_project.py::test_that_fails - AssertionError: the answer is off by one" in done.stdout
    assert "assert 41 == 42" in done.stdout  # the rewritten assertion's values
    assert "1 failed, 8 passed" in done.stdout


def test_the_catalog_summary_prints_once_with_the_counts(parallel_run):
    from lecturekit.catalog import load_catalog

    done, _ = parallel_run
    entries = load_catalog()
    planned = sum(e["status"] == "planned" for e in entries)
    assert done.stdout.count("formula catalog") == 1, done.stdout
    assert f"{len(entries) - planned} done, {planned} planned of {len(entries)} entries" in done.stdout


QUICK_TESTS = '''
import os, time
from pathlib import Path

import pytest

from lecturekit.explore import OptimizerExplorer, ScheduleExplorer

LOG = Path(os.environ["PARALLEL_LOG"])


def _record(name):
    with LOG.open("a") as f:
        f.write(f"{name} {os.environ.get('PYTEST_XDIST_WORKER', 'main')}\\n")
    time.sleep(0.05)


@pytest.mark.e2e
def test_server():
    _record("e2e")


@pytest.mark.parametrize("k", range(4))
def test_plain(k):
    _record(f"plain{k}")


@pytest.mark.parametrize("k", range(3))
@pytest.mark.parametrize("cls", [OptimizerExplorer, ScheduleExplorer], ids=lambda c: c.__name__)
def test_explorer(cls, k):
    _record(f"{cls.__name__}{k}")
'''


def _quick_run(project, *args):
    """``(pytest's output, {test: worker})`` of ``python -m pytest -m "not e2e" *args`` in
    ``project``, as the repository's quick run (its conftest.py, its testpaths)."""
    log = project / "log.txt"
    log.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *PLUGINS, "-p", "no:cacheprovider", "-m", "not e2e",
         *args], cwd=project, env=_project_env(log), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, dict(line.split() for line in log.read_text().splitlines())


def test_the_quick_run_takes_two_workers_keeping_the_groups_and_minus_n_0_takes_one(tmp_path):
    (tmp_path / "conftest.py").write_text((ROOT / "conftest.py").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = .\nmarkers =\n    e2e: end-to-end\n",
                                         encoding="utf-8")
    (tmp_path / "test_quick.py").write_text(QUICK_TESTS, encoding="utf-8")
    out, ran = _quick_run(tmp_path)
    assert "2 workers" in out and "10 passed" in out, out
    assert set(ran) == {f"plain{k}" for k in range(4)} | {
        f"{c}{k}" for c in ("OptimizerExplorer", "ScheduleExplorer") for k in range(3)}
    assert set(ran.values()) == {"gw0", "gw1"}
    for c in ("OptimizerExplorer", "ScheduleExplorer"):  # a group on one worker
        assert len({ran[f"{c}{k}"] for k in range(3)}) == 1, ran
    out, ran = _quick_run(tmp_path, "-n", "0")
    assert "workers" not in out and set(ran.values()) == {"main"}, out


@pytest.mark.parametrize("markexpr, quick", [
    ("not e2e", True), ("not e2e and not slow", True), ("not (e2e or classroom)", True),
    ("e2e or not e2e", False), ("slow", False), ("not classroom", False), ("", False),
])
def test_the_quick_run_is_a_mark_expression_that_leaves_out_every_e2e_test(markexpr, quick):
    assert root_conftest._deselects_e2e(markexpr) is quick
