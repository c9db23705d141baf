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
    # the function imports, the test exists and refers to the function, a cell is tagged
    assert problems(entry) == []


def test_problems_reports_each_way_an_entry_is_not_done():
    # problems() must be able to fail: break a real entry in each of its four ways
    good = next(e for e in DONE if e["function"] == "lecturekit.regularization.l2_penalty")
    assert problems(good) == []
    broken = {
        "function": ("lecturekit.regularization.no_such_function", "does not import"),
        "test": ("tests/test_regularization.py::test_no_such_test", "is not defined"),
        "notebook": ("notebooks/no-such-notebook.ipynb", "does not exist"),
        "id": ("mlp.no-such-cell", "is tagged"),
    }
    for field, (value, message) in broken.items():
        found = problems({**good, field: value})
        assert len(found) == 1 and message in found[0], (field, found)
    # a test that exists but never calls the function it is cited for
    found = problems({**good, "test": "tests/test_regularization.py::test_bad_input_raises_"
                                      "naming_the_argument", "function":
                      "lecturekit.regularization.ridge_lambda_for_eta"})
    assert len(found) == 1 and "never refers to" in found[0], found


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
    # row k is entry k: its id first, its function and its status in the row
    for row, e in zip(table[2:], ENTRIES, strict=True):
        assert row.startswith(f"| `{e['id']}` | {e['kind']} | {e['title'].replace('|', chr(92) + '|')}: $")
        # five cells: no unescaped | inside one (a title's "|" would split it)
        assert len(re.split(r"(?<!\\)\|", row)) == 7, row
        # a norm \| must become \Vert, not \\vert (a line break, then "vert")
        assert "\\\\vert" not in row, row
        assert row.endswith(f"$ | `{e['function']}` | " + ("done" if e["status"] == "done"
                                                           else "planned")
                            + (" (erratum) |" if e.get("erratum") else " |"))
    lecture = "003_59d733786b3f0eb6.txt"
    one = catalog_markdown(ENTRIES, lecture=lecture).splitlines()
    assert len(one) - 2 == sum(e["lecture"] == lecture for e in ENTRIES)
    assert [row.split("`")[1] for row in one[2:]] == [e["id"] for e in ENTRIES
                                                      if e["lecture"] == lecture]


def test_every_file_the_catalog_cites_is_in_the_repository():
    # An erratum's "computed in ..." must be something a reader can run, not a scratch file.
    text = (ROOT / "data" / "catalog.toml").read_text(encoding="utf-8")
    cited = set(re.findall(r"(?<![\w.])/?[\w.-]+(?:/[\w.-]+)+\.(?:py|ipynb)", text))
    assert cited, "the catalog cites its tests and notebooks"
    missing = sorted(p for p in cited if p.startswith("/") or not (ROOT / p).is_file())
    assert missing == []
