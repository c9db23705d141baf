"""The formula catalog is complete in shape, and every `done` entry is really done."""

import re

import pytest

from lecturekit.catalog import REQUIRED_FIELDS, catalog_markdown, load_catalog

from .catalog_checks import LECTURE_MAP, LECTURES, ROOT, problems

ENTRIES = load_catalog()


def test_catalog_covers_all_five_lectures_with_well_over_50_entries():
    assert len(ENTRIES) > 50
    per_lecture = {lec: sum(e["lecture"] == lec for e in ENTRIES) for lec in LECTURE_MAP}
    assert all(n >= 5 for n in per_lecture.values()), per_lecture


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["id"] for e in ENTRIES])
def test_entry_is_tied_to_its_lecture_and_notebook(entry):
    assert entry["lecture"] in LECTURE_MAP, f"unknown lecture file {entry['lecture']}"
    prefix, notebook = LECTURE_MAP[entry["lecture"]]
    assert entry["id"].startswith(prefix + "."), f"id should start with {prefix}."
    assert entry["notebook"] == notebook
    assert entry["function"].startswith("lecturekit.")
    assert entry["test"].startswith("tests/test_") and "::test_" in entry["test"]
    assert all(str(entry[f]).strip() for f in REQUIRED_FIELDS)
    if LECTURES.is_dir():
        assert (LECTURES / entry["lecture"]).is_file()


DONE = [e for e in ENTRIES if e["status"] == "done"]


@pytest.mark.parametrize("entry", DONE, ids=[e["id"] for e in DONE])
def test_done_entry_has_function_test_and_notebook_cell(entry):
    assert problems(entry) == []


def test_load_catalog_rejects_a_broken_entry(tmp_path):
    bad = tmp_path / "catalog.toml"
    bad.write_text('[[formula]]\nid = "x.y"\nkind = "formula"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"catalog entry 0 \(x.y\) lacks the field\(s\) lecture"):
        load_catalog(bad)
    fields = "\n".join(f'{f} = "x"' for f in REQUIRED_FIELDS if f not in ("kind", "status"))
    bad.write_text(f'[[formula]]\n{fields}\nkind = "formula"\nstatus = "finished"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="status must be one of"):
        load_catalog(bad)


def test_catalog_markdown_has_a_row_per_entry():
    table = catalog_markdown(ENTRIES).splitlines()
    assert len(table) == len(ENTRIES) + 2
    one = catalog_markdown(ENTRIES, lecture="003_59d733786b3f0eb6.txt").splitlines()
    assert len(one) - 2 == sum(e["lecture"] == "003_59d733786b3f0eb6.txt" for e in ENTRIES)


def test_every_file_the_catalog_cites_is_in_the_repository():
    # An erratum's "computed in ..." must be something a reader can run, not a scratch file.
    text = (ROOT / "data" / "catalog.toml").read_text(encoding="utf-8")
    cited = set(re.findall(r"(?<![\w.])/?[\w.-]+(?:/[\w.-]+)+\.(?:py|ipynb)", text))
    assert cited, "the catalog cites its tests and notebooks"
    missing = sorted(p for p in cited if p.startswith("/") or not (ROOT / p).is_file())
    assert missing == []
