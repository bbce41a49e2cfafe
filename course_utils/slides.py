"""Lecture slides from the notebooks: reveal.js decks that work offline.

``python -m course_utils.slides [NOTEBOOK ...] [--out DIR]`` builds one deck per notebook
(default: every notebook in ``notebooks/`` with slide markup, into ``slides/``) with
nbconvert's SlidesExporter. Each cell's ``metadata.slideshow.slide_type`` says where it goes:

============  ==========================================================
``slide``     starts a new slide (left/right in the deck)
``subslide``  starts a new slide below the current one (up/down)
``fragment``  appears on the current slide at the next key press
``-``         stays on the current slide (also a cell without markup)
``notes``     goes into the speaker notes (press ``s`` in the deck)
``skip``      is left out
============  ==========================================================

``tools/mark_slides.py`` holds the course's markup and writes it into the notebooks.
A code cell that starts with ``# side code`` or is longer than :data:`LONG_CODE` lines
shows only its output (its figure) on a slide.

Nothing loads from the network: reveal.js comes from the ``sphinx-revealjs`` package and
MathJax 2 from ``jupyter-server-mathjax`` (the ``slides`` extra); both are copied beside
the decks as ``DIR/reveal.js/`` and ``DIR/mathjax/``, and every path in a deck is relative,
so the folder can be zipped, opened from disk or served.

>>> slide_count({"cells": [{"metadata": {"slideshow": {"slide_type": "slide"}}},
...                        {"metadata": {"slideshow": {"slide_type": "subslide"}}},
...                        {"metadata": {"slideshow": {"slide_type": "fragment"}}},
...                        {"metadata": {}}]})
2
>>> main(["no_such_notebook.ipynb"])
Traceback (most recent call last):
    ...
SystemExit: no such notebook: no_such_notebook.ipynb
"""
from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
DEFAULT_OUT = ROOT / "slides"
TEMPLATES = Path(__file__).resolve().parent / "templates"
SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")
LONG_CODE = 10
MISSING_EXTRA = "install the slides extra: pip install -e '.[slides]'"
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"


class SlidesError(Exception):
    """A problem worth one line to the user (a bad path, a notebook without markup, a missing extra)."""


def slide_type(cell: dict) -> str:
    """The cell's slide type; ``-`` (stay on the current slide) for a cell without markup."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")


def slide_count(nb: dict) -> int:
    """How many slides reveal.js counts in the deck: one per ``slide`` or ``subslide`` cell."""
    return sum(slide_type(cell) in ("slide", "subslide") for cell in nb["cells"])


def has_markup(nb: dict) -> bool:
    return any(slide_type(cell) == "slide" for cell in nb["cells"])


def marked_notebooks() -> list[Path]:
    """The course notebooks with at least one ``slide`` cell."""
    return [path for path in sorted(NOTEBOOKS.glob("*.ipynb"))
            if has_markup(json.loads(path.read_text(encoding="utf-8")))]


def reveal_dir() -> Path:
    """reveal.js's dist/ and plugin/ folders as sphinx-revealjs ships them."""
    try:
        import sphinx_revealjs
    except ImportError:
        raise SlidesError(MISSING_EXTRA) from None
    return Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"


def mathjax_dir() -> Path:
    """MathJax 2 (MathJax.js, its extensions and fonts) as jupyter-server-mathjax ships it."""
    try:
        import jupyter_server_mathjax
    except ImportError:
        raise SlidesError(MISSING_EXTRA) from None
    return Path(jupyter_server_mathjax.__file__).parent / "static"


def copy_assets(out: Path) -> None:
    """Put reveal.js and MathJax beside the decks (once; an existing copy is replaced)."""
    for source, name, keep in ((reveal_dir(), "reveal.js", ("dist", "plugin/notes", "LICENSE")),
                               (mathjax_dir(), "mathjax", None)):
        target = out / name
        if target.exists():
            shutil.rmtree(target)
        if keep is None:
            shutil.copytree(source, target)
        else:
            target.mkdir(parents=True)
            for item in keep:
                (target / item).parent.mkdir(parents=True, exist_ok=True)
                if (source / item).is_dir():
                    shutil.copytree(source / item, target / item, ignore=shutil.ignore_patterns("*.map", "*.esm.js"))
                else:
                    shutil.copy2(source / item, target / item)


def _for_slides(nb):
    """A copy of the notebook whose long or side code cells show their output only."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        src = cell.source
        if src.lstrip().startswith("# side code") or src.count("\n") + 1 > LONG_CODE:
            cell.metadata.setdefault("transient", {})["remove_source"] = True
    return nb


def build(path: Path, out: Path, copy_files: bool = True) -> Path:
    """Build the deck for one notebook into ``out``; returns the deck's path."""
    try:
        import nbformat
        from nbconvert import SlidesExporter
    except ImportError:
        raise SlidesError(MISSING_EXTRA) from None
    path = Path(path)
    if not path.is_file() or path.suffix != ".ipynb":
        raise SlidesError(f"no such notebook: {path}")
    nb = nbformat.read(path, as_version=4)
    bad = sorted({slide_type(c) for c in nb.cells} - set(SLIDE_TYPES))
    if bad:
        raise SlidesError(f"{path.name}: unknown slide_type {', '.join(map(repr, bad))} (use one of {', '.join(SLIDE_TYPES)})")
    if not has_markup(nb):
        raise SlidesError(f"{path.name} has no slide markup (no cell with slide_type 'slide'): see tools/mark_slides.py")
    out.mkdir(parents=True, exist_ok=True)
    if copy_files:
        copy_assets(out)
    exporter = SlidesExporter(
        extra_template_basedirs=[str(TEMPLATES)], template_name="course_reveal",
        reveal_url_prefix="reveal.js", reveal_theme="white", reveal_scroll=True, reveal_number="c/t",
        mathjax_url=f"mathjax/MathJax.js?config={MATHJAX_CONFIG}")
    body, resources = exporter.from_notebook_node(
        _for_slides(nb), resources={"metadata": {"name": path.stem, "path": str(path.parent)}})
    deck = out / f"{path.stem}.slides.html"
    deck.write_text(body, encoding="utf-8")
    for name, data in (resources.get("outputs") or {}).items():  # figures nbconvert keeps as files
        (out / name).write_bytes(data)
    return deck


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils.slides", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to build (default: every notebook in notebooks/ with slide markup)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the decks (default: slides/)")
    args = parser.parse_args(argv)
    try:
        for path in args.notebooks:
            if not path.is_file():
                raise SlidesError(f"no such notebook: {path}")
        paths = args.notebooks or marked_notebooks()
        if not paths:
            raise SlidesError("no notebook in notebooks/ has slide markup: run python tools/mark_slides.py")
        reveal_dir(), mathjax_dir()
        copy_assets(args.out)
        for path in paths:
            deck = build(path, args.out, copy_files=False)
            nb = json.loads(Path(path).read_text(encoding="utf-8"))
            print(f"{deck}  ({slide_count(nb)} slides)")
    except SlidesError as error:
        raise SystemExit(str(error)) from None
    return 0


if __name__ == "__main__":
    sys.exit(main())
