"""The course website: built from the executed notebooks, checked page by page in Chromium.

The module builds the site once (``scripts/build_site.py`` into a temporary
folder), serves it on 127.0.0.1 and opens every page in headless Chromium at
1366x768, then resized to a phone's 390x844. A page fails on: a status other than 200
(for the page or anything it loads), a request that leaves 127.0.0.1, an image
that did not load, a link to a page or anchor of the site that does not exist,
and a formula left untypeset (``$$`` or ``\\(`` left in the text, a math
element with no MathJax output, MathJax's own error box), and, at the phone's
width, a page wider than the screen. Each notebook's page must show every
explorer's saved picture. Screenshots land in ``screenshots/site/`` (git-ignored).

Needs Chromium, like tests/test_e2e_browser.py; without it the module is
skipped with the reason. The unit tests of the staging step at the end need
no browser.
"""

from __future__ import annotations

import importlib.util
import json
import re
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from . import browser

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "screenshots" / "site"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _build_module():
    spec = importlib.util.spec_from_file_location("build_site", ROOT / "scripts" / "build_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _notes_files():
    from lecturekit.notes import PATTERN, notes_dir

    try:
        return sorted(p.stem for p in notes_dir().glob(PATTERN))
    except FileNotFoundError:
        return []


def _explorers(notebook):
    """How many outputs of ``notebook`` are an explorer: a widget view with a PNG snapshot."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return sum(1 for cell in nb["cells"] for out in cell.get("outputs", [])
               if {"application/vnd.jupyter.widget-view+json", "image/png"} <= set(out.get("data", {})))


def _exercise_pages():
    """The exercises' pages: student versions only, as scripts/build_site.py stages them."""
    folder = ROOT / "exercises"
    if not folder.is_dir():
        return []
    skip = _build_module().EXERCISE_SKIP
    return sorted(f"exercises/{p.relative_to(folder).with_suffix('').as_posix()}"
                  for p in folder.rglob("*.ipynb")
                  if not skip.search(p.relative_to(folder).as_posix())
                  and ".ipynb_checkpoints" not in p.parts)


NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Every page the site must have; test_the_site_has_exactly_these_pages checks the build agrees.
PAGES = (["index", "catalog", "search"]
         + [f"notebooks/{nb.stem}" for nb in NOTEBOOKS]
         + [f"lectures/{stem}" for stem in _notes_files()]
         + _exercise_pages())

browser_tests = pytest.mark.skipif(browser.site_missing() is not None,
                                   reason=f"site tests skipped: {browser.site_missing()}")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """``(html folder, page names, seconds)``: the site, built once for the module."""
    out = tmp_path_factory.mktemp("site")
    start = time.perf_counter()
    html, pages = _build_module().build(out, jobs="1")
    seconds = time.perf_counter() - start
    print(f"\nsite: {len(pages)} pages built in {seconds:.1f} s")
    return html, pages, seconds


@pytest.fixture(scope="module")
def served(site):
    with browser.static_site(site[0]) as base:
        yield base


@pytest.fixture(scope="module")
def link_status(served):
    """A cache: status code and HTML of each URL of the site fetched so far."""
    cache = {}

    def fetch(url):
        if url not in cache:
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    body = r.read().decode("utf-8", "replace") if url.endswith(".html") else ""
                    cache[url] = (r.status, body)
            except urllib.error.HTTPError as err:
                cache[url] = (err.code, "")
        return cache[url]

    return fetch


# ------------------------------------------------------------------ the build itself

@pytest.mark.e2e
@browser_tests
def test_the_site_has_exactly_these_pages(site):
    html, pages, seconds = site
    built = sorted(str(p.relative_to(html).with_suffix("")) for p in html.rglob("*.html")
                   if p.relative_to(html).parts[0] not in ("_static", "_sources", "_images"))
    assert built == sorted(PAGES)
    # The notebooks' MyST sources are not pages; MathJax is the site's own.
    assert not list(html.rglob("src")) and not (html / "notebooks" / "src").exists()
    assert (html / "_static" / "mathjax" / "tex-mml-chtml.js").is_file()
    assert (html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
    for page in built:
        text = (html / f"{page}.html").read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="((?:https?:)?//[^"]+)"', text)
        assert remote == [], f"{page}.html loads {remote}"
    assert seconds < 120, f"the site took {seconds:.0f} s to build"


# ------------------------------------------------------------------ every page in Chromium

_MATH = """() => {
  // MathJax's typesetting promise, then what a reader sees.
  const done = (window.MathJax && MathJax.startup && MathJax.startup.promise) || Promise.resolve();
  return done.then(() => {
    const article = document.querySelector('article') || document.body;
    const prose = article.cloneNode(true);
    prose.querySelectorAll('pre, code, .highlight, mjx-container, script, style').forEach(e => e.remove());
    const maths = [...article.querySelectorAll('.math')];
    return {
      text: prose.innerText,
      math: maths.length,
      untypeset: maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80)),
      containers: article.querySelectorAll('mjx-container').length,
      errors: [...article.querySelectorAll('mjx-merror')].map(e => e.textContent.slice(0, 80)),
    };
  });
}"""
_IMAGES = """() => [...document.images].map(i => ({
  src: i.currentSrc || i.src,
  ok: i.complete && i.naturalWidth > 0,
  output: Boolean(i.closest('.cell_output')),
}))"""
_LINKS = "() => [...document.querySelectorAll('a[href]')].map(a => a.href)"


def _visit(chromium, base, page_name, viewport):
    """Open a page; return (playwright page, requests, failed requests, bad responses)."""
    page = chromium.new_page(viewport=viewport)
    requests = browser.record_requests(page)
    failed, bad = [], []
    page.on("requestfailed", lambda r: failed.append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: bad.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    response = page.goto(f"{base}/{page_name}.html", wait_until="load")
    status = response.status if response is not None else None
    assert status == 200, f"{page_name}: status {status}"
    return page, requests, failed, bad


@pytest.mark.e2e
@browser_tests
@pytest.mark.parametrize("page_name", PAGES)
def test_page_loads_offline_with_its_images_links_formulas_and_fits_a_phone(page_name, chromium, served,
                                                                           link_status):
    page, requests, failed, bad = _visit(chromium, served, page_name, DESKTOP)
    try:
        math = page.evaluate(_MATH)
        images = page.evaluate(_IMAGES)
        links = page.evaluate(_LINKS)
        SHOTS.mkdir(parents=True, exist_ok=True)
        shot = SHOTS / page_name.replace("/", "_")
        # (long pages of typeset notes take a while to lay out again on a loaded 2-core machine)
        page.screenshot(path=f"{shot}-1366.png", timeout=120_000)
        # The same page on a phone: wide tables, code and formulas scroll inside their
        # own boxes, the page itself does not.
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(300)
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        page.screenshot(path=f"{shot}-390.png", timeout=120_000)
    finally:
        page.close()

    assert browser.non_loopback(requests) == [], f"{page_name}: requests leave the machine"
    assert failed == [] and bad == [], f"{page_name}: failed {failed}, bad status {bad}"
    broken = [i["src"] for i in images if not i["ok"]]
    assert broken == [], f"{page_name}: images that did not load: {broken}"

    # Links: every page and anchor of the site that a link names exists.
    dead = []
    for href in links:
        if not href.startswith(served):
            continue  # outside the site (none today): not reachable offline, not checked
        url, fragment = urldefrag(href)
        status, body = link_status(url)
        if status != 200:
            dead.append(f"{href} ({status})")
        elif fragment and url.endswith(".html") and not re.search(
                rf'id="{re.escape(fragment)}"', body):
            dead.append(f"{href} (no such anchor)")
    assert dead == [], f"{page_name}: broken links: {dead}"

    # Formulas: typeset, every one, with no raw TeX left in the prose.
    assert math["untypeset"] == [], f"{page_name}: math left untypeset: {math['untypeset'][:5]}"
    assert math["errors"] == [], f"{page_name}: MathJax could not typeset: {math['errors'][:5]}"
    for raw in ("$$", "\\(", "\\)", "\\[", "\\]", "\\begin{", "\\frac"):
        assert raw not in math["text"], f"{page_name}: {raw!r} left in the text"
    if page_name.startswith(("notebooks/", "lectures/")) or page_name == "catalog":
        assert math["containers"] > 0, f"{page_name}: its source has math, the page shows none typeset"

    assert width[0] <= width[1], f"{page_name} is {width[0]} px wide on a {width[1]} px phone screen"

    # Explorers: each one's saved picture shows on its notebook's page.
    if page_name.startswith("notebooks/"):
        expected = _explorers(ROOT / f"{page_name}.ipynb")
        shown = [i for i in images if i["output"] and i["ok"]]
        assert len(shown) >= expected, f"{page_name}: {len(shown)} output pictures for {expected} explorers"


# ------------------------------------------------------------------ staging, no browser

def test_staged_notebooks_link_the_notes_pages_or_name_the_file(tmp_path):
    build_site = _build_module()
    nb = {"cells": [
        {"cell_type": "markdown", "metadata": {}, "source": [
            "Lecture file: [`004_16411a88f2dc5004.txt`](../../shared/lectures/004_16411a88f2dc5004.txt) "
            "(heading \"MLP\")."]},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1,
         "source": "# NBVAL_IGNORE_OUTPUT\nx = 1\nx"},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "notebooks").mkdir()
    path = tmp_path / "notebooks" / "01-mlp.ipynb"
    for present, expected in (({"004_16411a88f2dc5004.txt"}, "[`004_16411a88f2dc5004.txt`]"
                                                           "(../lectures/004_16411a88f2dc5004.md)"),
                              (set(), "Lecture file: `004_16411a88f2dc5004.txt` (heading")):
        path.write_text(json.dumps(nb), encoding="utf-8")
        build_site._prepare(path, present, tmp_path)
        staged = json.loads(path.read_text(encoding="utf-8"))
        assert expected in staged["cells"][0]["source"]
        assert "shared/lectures" not in staged["cells"][0]["source"]
        assert staged["cells"][1]["source"] == "x = 1\nx"


def test_each_notes_file_is_paired_with_its_notebook_and_heading():
    found = _build_module()._lecture_notebooks()
    assert found["004_16411a88f2dc5004.txt"] == ("01-mlp", "MLP")
    assert found["003_59d733786b3f0eb6.txt"][0] == "05-lecture-14"
    assert len(found) == 5


def test_a_notes_file_heading_is_its_first_markdown_heading_or_line():
    heading = _build_module()._heading
    assert heading("\n\n## Lecture 4\n### 1. Batch\n", "x") == "Lecture 4"
    assert heading("Deep Learning\nLecture 3\n", "x") == "Deep Learning"
    assert heading("", "fallback") == "fallback"


def test_the_urls_of_a_page_stay_on_the_machine():
    assert browser.is_loopback("http://127.0.0.1:8000/x.png")
    assert browser.is_loopback("blob:http://127.0.0.1:8866/3f1c")
    assert browser.is_loopback("data:image/png;base64,AAAA")
    assert not browser.is_loopback("https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js")
    assert not browser.is_loopback("http://192.168.1.4/x")
    assert urlsplit(urljoin("http://127.0.0.1:1/a/b.html", "../c.html")).path == "/c.html"


def test_exercises_are_staged_as_pages_once_they_exist(tmp_path, monkeypatch):
    # exercises/ does not exist yet: a small one, student versions beside a solution and a source.
    build_site = _build_module()
    exercises = tmp_path / "exercises"
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# Exercise 1\n\n$x^2$"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    for rel in ("01-mlp/ex1.ipynb", "01-mlp/ex1-solution.ipynb", "solutions/ex1.ipynb", "src/ex1.ipynb"):
        (exercises / rel).parent.mkdir(parents=True, exist_ok=True)
        (exercises / rel).write_text(json.dumps(nb), encoding="utf-8")
    (exercises / "01-mlp" / "grid.png").write_bytes(b"\x89PNG")
    mathjax = tmp_path / "mathjax"
    mathjax.mkdir()
    (mathjax / "tex-mml-chtml.js").write_text("// stand-in", encoding="utf-8")
    monkeypatch.setattr(build_site, "EXERCISES", exercises)
    monkeypatch.setenv("LECTUREKIT_MATHJAX", str(mathjax))
    src = tmp_path / "source"
    pages = build_site.stage(src)
    assert [p for p in pages if p.startswith("exercises/")] == ["exercises/01-mlp/ex1"]
    assert sorted(p.relative_to(src).as_posix() for p in (src / "exercises").rglob("*.*")) == [
        "exercises/01-mlp/ex1.ipynb", "exercises/01-mlp/grid.png"]
    index = (src / "index.md").read_text(encoding="utf-8")
    assert ":caption: Exercises" in index and "exercises/01-mlp/ex1" in index
    assert (src / "_static" / "mathjax" / "tex-mml-chtml.js").read_text() == "// stand-in"
    assert not (src / "notebooks" / "src").exists() and (src / "catalog.md").is_file()
