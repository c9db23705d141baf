"""The set-up a student meets: the README's commands, the extras, what git ignores, Voilà's template.

The browser checks of the same things (JupyterLab at the root, notebooks clean on
open, Voilà and the website offline) are in tests/test_e2e_browser.py and
tests/test_site.py; these run without a browser.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
EXTRAS = PYPROJECT["project"]["optional-dependencies"]


def _names(requirements):
    return {r.split(">")[0].split("=")[0].split("[")[0].strip() for r in requirements}


def test_the_lab_extra_installs_jupyterlab_and_notebook_7():
    assert {"jupyterlab", "notebook"} <= _names(EXTRAS["lab"])
    assert any(r.replace(" ", "").startswith("notebook>=7") for r in EXTRAS["lab"])


def test_the_site_extra_is_in_the_test_extra():
    assert {"sphinx", "myst-nb", "sphinx-book-theme"} <= _names(EXTRAS["site"])
    assert "lecturekit[site]" in EXTRAS["test"]


@pytest.mark.parametrize("command", [
    # JupyterLab at the repository's root, with the start page open.
    "jupyter lab --ServerApp.root_dir=. notebooks/00-start-here.ipynb",
    "python scripts/workspace.py",
    "python scripts/build_site.py",
    "python -m lecturekit.notes",
])
def test_the_readme_gives_the_command(command):
    assert command in README


@pytest.mark.parametrize("path", ["workspace/lecturekit/notebooks/01-mlp.ipynb",
                                  "site/_build/html/index.html", "site/_vendor/mathjax-3.2.2/x.js"])
def test_what_the_commands_write_is_git_ignored(path):
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    assert subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 0, path


def test_the_committed_site_sources_are_not_ignored():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    for path in ("site/conf.py", "site/index.md", "site/_static/lecturekit.css", "voila.json",
                 "voila-template/index.html.j2"):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT).returncode == 1, path


def test_voila_json_chooses_the_template_that_the_package_installs():
    config = json.loads((ROOT / "voila.json").read_text(encoding="utf-8"))["VoilaConfiguration"]
    shared = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]
    assert shared["voila-template"] == f"share/jupyter/voila/templates/{config['template']}"
    template = (ROOT / "voila-template" / "index.html.j2").read_text(encoding="utf-8")
    assert "extends 'voila/templates/lab/index.html.j2'" in template
    assert "fontawesome" in template and 'href="http' not in template


def test_the_voila_template_is_installed_where_voila_looks():
    paths = pytest.importorskip("voila.paths")
    found = paths.collect_template_paths(["voila", "nbconvert"], "lecturekit", prune=True)
    assert any(Path(p).name == "lecturekit" and (Path(p) / "index.html.j2").is_file() for p in found), (
        "the lecturekit Voila template is not installed: pip install -e '.[present]'")
