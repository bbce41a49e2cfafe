"""Lecture slides: the markup in the notebooks, and a built deck in headless Chromium offline.

The deck test opens a deck from disk (file://) with every other request aborted, so a
deck that still reaches for a CDN fails. Without Chromium or Playwright it is skipped with
a one-line reason, except when ``COURSE_REQUIRE_BROWSER=1`` (CI sets it).
"""
from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

from course_utils import slides

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import mark_slides  # noqa: E402

MARKED = [ROOT / "notebooks" / name for name in mark_slides.MARKUP]
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
HAS_EXTRA = all(importlib.util.find_spec(name) for name in ("sphinx_revealjs", "jupyter_server_mathjax"))


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_lectures_01_to_07_and_09_are_marked():
    assert [p.name[:2] for p in MARKED] == ["01", "02", "03", "04", "05", "06", "07", "09"]
    assert [p.name for p in slides.marked_notebooks()] == [p.name for p in MARKED]


@pytest.mark.parametrize("path", MARKED, ids=[p.name for p in MARKED])
def test_markup_is_valid_and_lecture_sized(path):
    nb = load(path)
    kinds = [c["metadata"]["slideshow"].get("slide_type") for c in nb["cells"] if "slideshow" in c["metadata"]]
    assert set(kinds) <= set(slides.SLIDE_TYPES), f"unknown slide types {set(kinds) - set(slides.SLIDE_TYPES)}"
    assert slides.slide_type(nb["cells"][0]) == "slide", "the title cell starts the deck"
    assert 10 <= slides.slide_count(nb) <= 25, f"{slides.slide_count(nb)} slides is not lecture-sized"


def test_notebooks_carry_the_markup_of_mark_slides():
    assert mark_slides.main(["--check"]) == 0, "run python tools/mark_slides.py"


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_every_slide_type_is_valid(path):
    for k, cell in enumerate(load(path)["cells"], 1):
        assert slides.slide_type(cell) in slides.SLIDE_TYPES, f"cell {k}: {slides.slide_type(cell)!r}"


def test_marking_is_idempotent_and_touches_only_slideshow():
    nb = load(MARKED[0])
    markup = mark_slides.MARKUP[MARKED[0].name]
    once = mark_slides.marked(nb, markup)
    assert mark_slides.marked(once, markup) == once
    strip = lambda n: [{k: (v if k != "metadata" else {m: w for m, w in v.items() if m != "slideshow"})
                        for k, v in c.items()} for c in n["cells"]]
    assert strip(once) == strip(nb)
    with pytest.raises(ValueError, match="not in the notebook"):
        mark_slides.marked(nb, {"no-such-id": "slide"})


# --- one-line errors -------------------------------------------------------------------------

def test_bad_path_is_one_line(tmp_path):
    with pytest.raises(SystemExit, match=r"^no such notebook: .*missing\.ipynb$"):
        slides.main([str(tmp_path / "missing.ipynb"), "--out", str(tmp_path / "out")])


def test_notebook_without_markup_is_one_line(tmp_path):
    import nbformat

    path = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# hi")]), path)
    with pytest.raises(slides.SlidesError, match="plain.ipynb has no slide markup"):
        slides.build(path, tmp_path / "out")


def test_missing_extra_is_one_line(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "sphinx_revealjs", None)  # import fails as if not installed
    with pytest.raises(SystemExit, match=r"^install the slides extra: pip install -e '\.\[slides\]'$"):
        slides.main([str(MARKED[0]), "--out", str(tmp_path)])


def test_unknown_slide_type_is_one_line(tmp_path):
    import nbformat

    cell = nbformat.v4.new_markdown_cell("# hi", metadata={"slideshow": {"slide_type": "slyde"}})
    path = tmp_path / "typo.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    with pytest.raises(slides.SlidesError, match="unknown slide_type 'slyde'"):
        slides.build(path, tmp_path / "out")


# --- the deck in a browser, offline ----------------------------------------------------------

def _missing_reason() -> str | None:
    if not HAS_EXTRA:
        return slides.MISSING_EXTRA
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "the Playwright client is not installed (pip install -e '.[browser]')"
    return None


@pytest.fixture(scope="module", params=["01", "06"], ids=["deck01", "deck06-mathbb"])
def deck(request, tmp_path_factory):
    reason = _missing_reason()
    if reason:
        if os.environ.get("COURSE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"COURSE_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("slides")
    path = next(p for p in MARKED if p.name.startswith(request.param))
    assert slides.main([str(path), "--out", str(out)]) == 0
    return out / f"{path.stem}.slides.html", load(path)


def test_deck_works_offline_counts_its_slides_and_renders_math(deck):
    from playwright.sync_api import sync_playwright

    html, nb = deck
    failed, blocked, errors = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(30_000)

            def offline(route):
                if route.request.url.startswith("file://"):
                    route.continue_()
                else:
                    blocked.append(route.request.url)
                    route.abort()

            page.route("**/*", offline)
            # MathJax 2 probes fonts with an @font-face of src about:blank, which Chromium refuses
            # on a file:// page; it never leaves the page, so only real URLs count as failed.
            page.on("requestfailed", lambda r: r.url == "about:blank" or failed.append(f"{r.url} ({r.failure})"))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(html.as_uri())
            page.wait_for_function("() => window.Reveal && Reveal.isReady()")
            page.wait_for_function("() => window.MathJax && MathJax.isReady === true"
                                   " && document.querySelectorAll('.MathJax, .MathJax_Display').length > 0")
            page.wait_for_load_state("networkidle")
            total = page.evaluate("() => Reveal.getTotalSlides()")
            math = page.locator(".MathJax").count()
            mjx_errors = page.locator(".MathJax_Error, merror").count()
        finally:
            browser.close()
    assert failed == [] and blocked == [], f"failed {failed}, blocked {blocked}"
    assert errors == [], errors
    assert total == slides.slide_count(nb) == sum(
        slides.slide_type(c) in ("slide", "subslide") for c in nb["cells"])
    assert math > 0 and mjx_errors == 0
