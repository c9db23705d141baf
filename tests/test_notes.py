"""lecturekit.notes finds the lecture notes, or says plainly where they go."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from lecturekit import notes

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_SOURCES = sorted((ROOT / "notebooks" / "src").glob("0[1-9]-*.md"))


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A notes folder with one file, named by $LECTUREKIT_NOTES."""
    (tmp_path / "001_x.txt").write_text("# Lecture 3\n", encoding="utf-8")
    monkeypatch.setenv(notes.ENV_VAR, str(tmp_path))
    return tmp_path


def test_the_default_is_shared_lectures_beside_the_repository(monkeypatch):
    monkeypatch.delenv(notes.ENV_VAR, raising=False)
    assert notes.DEFAULT == ROOT.parent / "shared" / "lectures"
    if notes.DEFAULT.is_dir():
        assert notes.notes_dir() == notes.DEFAULT


def test_the_environment_variable_wins(folder):
    assert notes.notes_dir() == folder.resolve()
    assert notes.lecture_path("001_x.txt") == folder.resolve() / "001_x.txt"


@pytest.mark.parametrize("make, problem", [
    (lambda p: p / "missing", "that folder does not exist"),
    (lambda p: p, r"it holds no notes file \(\*\.txt\)"),
])
def test_a_missing_folder_says_where_it_looked_and_where_the_notes_go(tmp_path, monkeypatch, make,
                                                                        problem):
    target = make(tmp_path)
    monkeypatch.setenv(notes.ENV_VAR, str(target))
    with pytest.raises(FileNotFoundError, match=problem) as err:
        notes.notes_dir()
    message = str(err.value)
    assert str(target.resolve()) in message
    assert "../shared/lectures/" in message and notes.ENV_VAR in message


def test_the_default_folder_missing_is_named(monkeypatch, tmp_path):
    monkeypatch.delenv(notes.ENV_VAR, raising=False)
    monkeypatch.setattr(notes, "DEFAULT", tmp_path / "shared" / "lectures")
    with pytest.raises(FileNotFoundError, match="is not set, so lecturekit looks in shared/lectures/"):
        notes.notes_dir()


def test_a_missing_file_lists_the_files_there(folder):
    with pytest.raises(FileNotFoundError, match=r"no notes file name='nope.txt' .* \(it holds 001_x.txt\)"):
        notes.lecture_path("nope.txt")


@pytest.mark.parametrize("name, error", [(None, TypeError), (4, TypeError), ("", ValueError),
                                         ("../secret.txt", ValueError)])
def test_a_name_that_is_not_a_file_name_is_refused_by_name(name, error):
    with pytest.raises(error, match="name must be"):
        notes.lecture_path(name)


def _cli(env_value):
    env = {"PATH": "/usr/bin:/bin", notes.ENV_VAR: env_value}
    return subprocess.run([sys.executable, "-m", "lecturekit.notes"], capture_output=True, text=True,
                          env=env, cwd=ROOT)


def test_the_command_prints_the_folder_or_a_plain_message(folder, tmp_path):
    found = _cli(str(folder))
    assert found.returncode == 0 and found.stdout.split() == [str(folder.resolve()), "001_x.txt"]
    absent = _cli(str(tmp_path / "nowhere"))
    assert absent.returncode == 1 and absent.stdout == ""
    assert "Traceback" not in absent.stderr and "The lecture notes are not in" in absent.stderr


@pytest.mark.parametrize("source", NOTEBOOK_SOURCES, ids=lambda p: p.stem)
def test_each_lecture_notebook_links_its_notes_file_where_lecturekit_looks(source):
    # The first cell's "Lecture file:" line links ../../shared/lectures/NAME.txt (from notebooks/),
    # which is notes.DEFAULT / NAME, and says where the notes go if the link is broken.
    text = source.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("Lecture file:"))
    match = re.match(r"Lecture file: \[`(?P<name>\d{3}_[0-9a-f]{16}\.txt)`\]"
                     r"\(\.\./\.\./shared/lectures/(?P=name)\)", line)
    assert match, f"{source.name}: the Lecture file line is not a link to ../../shared/lectures/: {line}"
    # notebooks/ + ../../shared/lectures is where lecturekit.notes looks by default.
    assert (source.parent.parent / "../../shared/lectures").resolve() == notes.DEFAULT.resolve()
    after = line[match.end():]
    assert "shared/lectures/" in after and "README" in after, f"{source.name}: no word on where the notes go"
