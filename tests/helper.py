"""Explorer checks run in a helper process on the machine's other core while the tests run.

One pytest process uses one core, and the run's slowest checks are its explorers' (a few
hundred frames each). A test marked with :func:`helper_check` is run, with its check's
arguments, by a helper process started once collection is done (:func:`start`, from
tests/conftest.py): the selected ones only, in the order the run reaches them. The test
itself then reads the helper's outcome, which streams in as the helper goes
(:func:`outcome_or_run`): None if it passed, or the traceback of its failure. The notebooks
run first (pyproject's testpaths): while the main process waits on their kernels, the
helper works on the other core.

Where no helper runs (an xdist worker, ``-n 2``: the workers use both cores already; the
helper itself; ``--collect-only``), or it did not run a check, the test runs it itself.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import subprocess
import sys
import tempfile
import traceback
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKER = "LECTUREKIT_TEST_EXPLORE_WORKER"  # set in every helper process
JOBS = "LECTUREKIT_TEST_HELPER_JOBS"  # the helper's checks: JSON [[check, name], ...]

CHECKS = {
    # check -> (module, function of the name: a test's parameter id)
    "sweep": ("tests.test_explore", "helper_sweep"),
    "same_picture": ("tests.test_explore", "helper_same_picture"),
    "legible": ("tests.test_explore_specifics", "helper_legible"),
    "reference_path": ("tests.test_explore_speed", "helper_reference_path"),
}


def helper_check(check):
    """Mark a test parametrized by one explorer (or variant) as run by the helper: its
    parameter id names what ``check`` runs on."""
    if check not in CHECKS:
        raise KeyError(f"no helper check {check!r}; they are {sorted(CHECKS)}")

    def mark(test):
        test.helper_check = check
        return test

    return mark


def explorer_class(name):
    """The registered explorer class called ``name`` (a helper job's name)."""
    from lecturekit.explore import EXPLORERS

    return next(cls for cls in EXPLORERS if cls.__name__ == name)


def in_a_helper_or_worker():
    return bool(os.environ.get(WORKER) or os.environ.get("PYTEST_XDIST_WORKER"))


class Subprocess:
    """A Python process started now, with :data:`WORKER` set; its output read when asked."""

    def __init__(self, code):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env={**os.environ, WORKER: "1"}, cwd=ROOT)
        atexit.register(self.stop)  # a run that never asked for it (-k) does not wait

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def output(self):
        """``(returncode, stdout, stderr)`` once it has ended."""
        if not hasattr(self, "_out"):
            out, err = self.proc.communicate(timeout=900)
            self._out = (self.proc.returncode, out, err)
        return self._out


class _Checks:
    """The helper running ``jobs``: each outcome read as soon as it is printed."""

    def __init__(self, jobs):
        self.jobs = {tuple(job) for job in jobs}
        self.results = {}
        self._stderr = tempfile.TemporaryFile(mode="w+")  # a file: a full pipe would block it
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from tests.helper import run_jobs; run_jobs()"],
            stdout=subprocess.PIPE, stderr=self._stderr, text=True, cwd=ROOT,
            env={**os.environ, WORKER: "1", JOBS: json.dumps(jobs)})
        atexit.register(self.stop)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def outcome(self, check, name):
        """None (passed), a traceback, or ... if the helper did not run it."""
        key = (check, name)
        if key not in self.jobs:
            return ...
        while key not in self.results:
            line = self.proc.stdout.readline()
            if not line:  # it ended without reporting this one
                self.proc.wait()
                self._stderr.seek(0)
                return (f"the helper process ended (exit status {self.proc.returncode}) "
                        f"before reporting it:\n{self._stderr.read()[-4000:]}")
            try:
                c, n, failure = json.loads(line)
            except (ValueError, TypeError):
                continue  # anything else it printed
            self.results[c, n] = failure
        return self.results[key]


_checks = None


def start(items, config):
    """Start the helper on the marked tests among ``items`` (the session's, in run order)."""
    global _checks
    if in_a_helper_or_worker() or config.option.collectonly or _checks is not None:
        return
    jobs = []
    for item in items:
        check = getattr(getattr(item, "function", None), "helper_check", None)
        callspec = getattr(item, "callspec", None)
        if check is not None and callspec is not None:
            jobs.append([check, callspec.id])
    if jobs:
        _checks = _Checks(jobs)


def outcome_or_run(check, name, run_here):
    """Assert that the helper's ``check`` of ``name`` passed, or run it here (``run_here()``)
    if no helper ran it."""
    outcome = ... if _checks is None else _checks.outcome(check, name)
    if outcome is ...:
        run_here()
        return
    assert outcome is None, f"{name}: {check} failed in the helper process:\n{outcome}"


def run_jobs():
    """In the helper process: each job of :data:`JOBS`, one JSON line ``[check, name, None or
    the failure's traceback]`` printed as it ends."""
    warnings.filterwarnings("error", category=RuntimeWarning, module="lecturekit.*")  # as pytest
    for check, name in json.loads(os.environ[JOBS]):
        try:
            module, function = CHECKS[check]
            getattr(importlib.import_module(module), function)(name)
            failure = None
        except BaseException:  # noqa: BLE001 -- reported to the test in the main process
            failure = traceback.format_exc()
        print(json.dumps([check, name, failure]), flush=True)
