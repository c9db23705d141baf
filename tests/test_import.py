"""`import lecturekit` stays light: no matplotlib, no ipywidgets (timing is in benchmarks/)."""

import subprocess
import sys

import lecturekit

HEAVY = ("matplotlib", "ipywidgets", "scipy", "IPython")


def _modules_after(statement):
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_import_lecturekit_imports_no_plotting_or_widgets():
    loaded = _modules_after("import lecturekit")
    assert "lecturekit" in loaded
    assert [m for m in HEAVY if m in loaded] == []


def test_numeric_submodules_import_no_plotting_or_widgets():
    # Every topic module except the explorers must stay importable without a display stack.
    numeric = [m for m in lecturekit._SUBMODULES if m != "explore"]
    existing = [m for m in numeric if (lecturekit.paths._PACKAGE / f"{m}.py").is_file()]
    assert "gradcheck" in existing and "rng" in existing
    loaded = _modules_after("; ".join(f"import lecturekit.{m}" for m in existing))
    assert [m for m in HEAVY if m in loaded] == []


def test_submodules_load_lazily_by_attribute():
    assert lecturekit.gradcheck.rel_error([1.0], [1.0]) == 0
    assert "rng" in dir(lecturekit)
