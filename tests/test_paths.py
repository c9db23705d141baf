"""lecturekit finds data/ from a checkout or editable install and from a built wheel."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lecturekit.paths import data_dir, data_path

ROOT = Path(__file__).resolve().parents[1]


def test_data_dir_from_checkout_is_the_repository_data_folder():
    assert data_dir() == ROOT / "data"
    assert data_path("catalog.toml") == ROOT / "data" / "catalog.toml"


def test_missing_data_file_names_the_file():
    with pytest.raises(FileNotFoundError, match="name = 'nope.txt': no such data file"):
        data_path("nope.txt")


@pytest.mark.slow
def test_built_wheel_carries_data_and_finds_it(tmp_path):
    pytest.importorskip("hatchling")
    if sys.version_info < (3, 11):
        pytest.skip("the -S interpreter below has no tomli on Python 3.10")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path / "dist")],
        cwd=ROOT, check=True, capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("lecturekit-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "lecturekit/_data/catalog.toml" in names
        zf.extractall(tmp_path / "site")
    # -S: no site-packages, so neither the editable install nor the checkout is on
    # the path; only the unpacked wheel is. The catalog module needs no numpy.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import lecturekit.catalog as c, lecturekit.paths as p;"
        "print(p.data_dir()); print(len(c.load_catalog()))"
    )
    out = subprocess.run(
        [sys.executable, "-S", "-c", code, str(tmp_path / "site")],
        check=True, capture_output=True, text=True, cwd=tmp_path,
    ).stdout.split("\n")
    assert Path(out[0]) == tmp_path / "site" / "lecturekit" / "_data"
    assert int(out[1]) > 50
