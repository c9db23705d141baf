"""`import lecturekit` stays light: no matplotlib, no ipywidgets (timing is in benchmarks/)."""

import subprocess
import sys

import pytest

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
    # In a fresh interpreter: `import lecturekit` loads no submodule; the first attribute
    # access imports exactly that one, and it is the module itself, not a copy.
    code = (
        "import sys, lecturekit\n"
        "before = sorted(m for m in sys.modules if m.startswith('lecturekit.'))\n"
        "mod = lecturekit.gradcheck\n"
        "after = sorted(m for m in sys.modules if m.startswith('lecturekit.'))\n"
        "print(before, 'lecturekit.gradcheck' in after, mod is sys.modules['lecturekit.gradcheck'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "True", "True"]
    assert lecturekit.gradcheck.rel_error([1.0], [1.0]) == 0
    assert set(lecturekit._SUBMODULES) <= set(dir(lecturekit)) and "rng" in dir(lecturekit)
    with pytest.raises(AttributeError, match="module 'lecturekit' has no attribute 'nope'"):
        lecturekit.nope  # noqa: B018


def test_every_public_module_is_reachable_as_an_attribute():
    # lecturekit.NAME works for exactly the public modules and packages that exist on disk,
    # so a new module cannot be forgotten in _SUBMODULES (nor a deleted one linger there).
    import pkgutil

    on_disk = {m.name for m in pkgutil.iter_modules(lecturekit.__path__) if not m.name.startswith("_")}
    assert set(lecturekit._SUBMODULES) == on_disk
