"""Shared test configuration: the catalog's status in the terminal summary."""

from lecturekit.catalog import load_catalog


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
