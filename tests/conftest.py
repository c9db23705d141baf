"""Shared test configuration: hypothesis's profile, the catalog's status in the summary."""

from hypothesis import settings

from lecturekit.catalog import load_catalog

# Derandomised: hypothesis draws the same examples on every run and machine, so a
# test result is reproducible (random means seeded, in the tests too). The
# tests' own @settings keep their example counts.
settings.register_profile("lecturekit", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("lecturekit")


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
