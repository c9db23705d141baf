"""Shared test configuration: hypothesis's profile, the browser fixtures, the catalog's status."""

import pytest
from hypothesis import settings

from lecturekit.catalog import load_catalog

from . import browser, helper

# Derandomised: hypothesis draws the same examples on every run and machine, so a
# test result is reproducible (random means seeded, in the tests too). The
# tests' own @settings keep their example counts.
settings.register_profile("lecturekit", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("lecturekit")


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium for one test module (the e2e tests: test_e2e_*.py, test_site.py)."""
    with browser.chromium() as b:
        yield b


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 serving a copy of the notebooks, for one test module."""
    with browser.jupyter_lab(tmp_path_factory.mktemp("lab")) as base:
        yield base


def pytest_collection_finish(session):
    # The explorer checks marked for the helper process start on the other core now, the
    # selected ones, in the order the run reaches them (tests/helper.py).
    helper.start(session.items, session.config)


def pytest_terminal_summary(terminalreporter):
    # Planned catalog entries do not fail the run, but they are listed, so the
    # remaining work is visible in every test run.
    try:
        entries = load_catalog()
    except Exception as exc:  # the catalog test reports the details
        terminalreporter.write_line(f"formula catalog: could not be read ({exc})")
        return
    planned = [e["id"] for e in entries if e["status"] == "planned"]
    done = len(entries) - len(planned)
    terminalreporter.section("formula catalog")
    terminalreporter.write_line(f"{done} done, {len(planned)} planned of {len(entries)} entries")
    if planned:
        terminalreporter.write_line("planned: " + ", ".join(planned))
