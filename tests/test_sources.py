"""The course stands on its own: lecture decks are cited by title, never by an internal file name.

"seed" followed by a three-digit number, "seed lecture" or "seed deck" was our
internal name for the lecture decks; a student has no such thing. The word "seed" for random
seeds is fine. The decks are cited once, in ``notebooks/sources_and_errata.md``, which also
lists every slide correction the course makes.
"""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "notebooks" / "sources_and_errata.md"
INTERNAL_NAME = re.compile(r"\bseeds?[\s_-]*(#\s*)?\d{3}\b|\bseed[\s_-]+(lecture|deck|slide)s?\b", re.IGNORECASE)

# The five decks, by the short titles the course uses.
THIS_FILE = Path(__file__).resolve()   # quotes the wording on purpose, to test the pattern

DECKS = ["TDTU intro", "UNSW COMP9444", "MINES ParisTech", "A³ TensorFlow-Keras", "KBTU Lecture 6"]


def checked_files():
    files = []
    for folder in ("notebooks", "exercises", "course_utils", "tests"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in {".ipynb", ".py", ".md"} and "__pycache__" not in path.parts:
                files.append(path)
    return files + [ROOT / "README.md"]


def rel(path):
    return path.relative_to(ROOT).as_posix()


def offending_lines(path):
    text = path.read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if INTERNAL_NAME.search(line)]


@pytest.mark.parametrize("path", [p for p in checked_files() if p != THIS_FILE], ids=rel)
def test_no_internal_deck_names(path):
    assert not offending_lines(path), f"{rel(path)} says 'seed NNN' / 'seed lecture': cite the deck by its title"


def test_pattern_spares_random_seeds():
    for ok in ["seed_everything(0)", "seed=42", "a seeded setup_notebook()", "three seeds", "seed 7"]:
        assert not INTERNAL_NAME.search(ok), ok
    for bad in ["seed 417", "Seed 803's Sobel kernels", "seed lecture 512", "the seed deck", "seed_951"]:
        assert INTERNAL_NAME.search(bad), bad


def test_sources_page_names_every_deck_and_is_linked():
    text = SOURCES.read_text(encoding="utf-8")
    for deck in DECKS:
        assert f"**{deck}**" in text, f"the sources list lacks {deck}"
        errata = text.split("## Errata", 1)[1]
        assert deck in errata, f"the errata never name {deck}"
    assert "sources_and_errata.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "sources_and_errata.md" in (ROOT / "notebooks" / "00_start_here.ipynb").read_text(encoding="utf-8")
    assert not re.search(r"\b00[0-4]_[0-9a-f]{8,}", text), "no internal file names"
