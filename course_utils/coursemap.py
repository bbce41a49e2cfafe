"""The course map: one row per notebook and exercise, read from the notebooks themselves.

Each notebook opens with a markdown cell ``# Title`` followed by a one-line summary
in italics (``*...*``). Its notebook-level metadata (the top-level ``metadata``, not a
cell's) holds what the map adds to the title::

    "metadata": {"course_map": {"prerequisites": ["01", "04"], "minutes": 45}, ...}

``prerequisites`` are the numbers of the course notebooks (``notebooks/NN_*.ipynb``) to do
first; ``minutes`` is the time a student needs, estimated by :func:`estimate_minutes`.
Exercise notebooks get the key from their solution notebook when
``python -m course_utils.grading.release`` writes them.

``python -m course_utils.coursemap`` rewrites the table in README.md between the
``course-map`` markers; a test fails when it is out of date.
``python -m course_utils.coursemap --estimate`` prints each notebook's stored minutes next
to the estimate, to refresh them after a notebook grows.

>>> "| Notebook |" in markdown_table()
True
>>> _duration(45), _duration(90)
('45 min', '1 h 30 min')
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import NamedTuple

from course_utils.checks import notebook_schema

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- course-map:begin -->", "<!-- course-map:end -->"
META_KEY = "course_map"
WORDS_PER_MINUTE = 150         # reading technical text
MINUTES_PER_CODE_CELL = 2      # read it, run it, look at the output
MINUTES_PER_QUESTION = 5       # exercises: writing and checking an answer, on top of its code cell
ROUND_TO = 15


class Entry(NamedTuple):
    path: str                  # relative to the repository root
    title: str
    summary: str
    prerequisites: list        # notebook numbers, e.g. ["01", "04"]
    minutes: int


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _title_and_summary(path: Path) -> tuple[str, str]:
    cells = _load(path)["cells"]
    text = _source(cells[0]) if cells and cells[0]["cell_type"] == "markdown" else ""
    title = re.search(r"^#\s+(.+)$", text, re.M)
    summary = re.search(r"^\*([^*].*?)\*\s*$", text, re.M)
    if not (title and summary):
        raise ValueError(f"{path.name}: the first cell needs a '# Title' line and an italic '*one-line summary*' line")
    return title.group(1).strip(), summary.group(1).strip()


def estimate_minutes(nb: dict) -> int:
    """Words of markdown at 150 a minute, 2 minutes per code cell, 5 more per graded question;
    rounded to 15 minutes (at least 15)."""
    cells = nb["cells"]
    words = sum(len(_source(c).split()) for c in cells if c["cell_type"] == "markdown")
    code = sum(1 for c in cells if c["cell_type"] == "code")
    questions = sum(1 for c in cells if notebook_schema.question_id(c))
    minutes = words / WORDS_PER_MINUTE + MINUTES_PER_CODE_CELL * code + MINUTES_PER_QUESTION * questions
    return max(ROUND_TO, ROUND_TO * round(minutes / ROUND_TO))


def _course_map(path: Path) -> tuple[list, int]:
    meta = _load(path).get("metadata", {}).get(META_KEY)
    where = f"{path.name}: notebook metadata {META_KEY!r}"
    if not isinstance(meta, dict):
        raise ValueError(f"{where} is missing; add {{\"prerequisites\": [...], \"minutes\": N}}")
    prerequisites, minutes = meta.get("prerequisites"), meta.get("minutes")
    if not (isinstance(prerequisites, list) and all(isinstance(p, str) and re.fullmatch(r"\d\d", p)
                                                    for p in prerequisites)):
        raise ValueError(f"{where}: 'prerequisites' must be a list of notebook numbers such as [\"01\", \"04\"]")
    if not (isinstance(minutes, int) and minutes > 0):
        raise ValueError(f"{where}: 'minutes' must be a positive whole number")
    return prerequisites, minutes


def course_notebooks() -> dict[str, Path]:
    """``{number: path}`` of the course notebooks, e.g. ``{"01": .../01_convolution_1d.ipynb}``."""
    return {p.name[:2]: p for p in sorted((ROOT / "notebooks").glob("*.ipynb"))}


def entries() -> list[Entry]:
    """One :class:`Entry` for every course notebook, then every exercise."""
    paths = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "exercises").glob("*.ipynb"))
    return [Entry(p.relative_to(ROOT).as_posix(), *_title_and_summary(p), *_course_map(p)) for p in paths]


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{minutes} min" if not hours else f"{hours} h" + (f" {rest} min" if rest else "")


def markdown_table(link_prefix: str = "", details: bool = False) -> str:
    """The map as a Markdown table; ``details=True`` adds the prerequisites and the time."""
    notebooks = course_notebooks()
    rows = ["| Notebook | What you learn |", "|---|---|"]
    if details:
        rows = ["| Notebook | What you learn | Do first | Time |", "|---|---|---|---|"]
    for entry in entries():
        row = f"| [{entry.title}]({link_prefix}{entry.path}) | {entry.summary} |"
        if details:
            needs = ", ".join(f"[{n}]({link_prefix}{notebooks[n].relative_to(ROOT).as_posix()})"
                              for n in entry.prerequisites) or "–"
            row += f" {needs} | {_duration(entry.minutes)} |"
        rows.append(row)
    return "\n".join(rows)


def update_readme(readme: Path = ROOT / "README.md") -> bool:
    """Rewrite the table in the README; returns True if it changed."""
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise ValueError(f"README.md needs the markers {BEGIN} and {END}")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n{markdown_table(details=True)}\n{END}{tail}"
    readme.write_text(new, encoding="utf-8")
    return new != text


def print_estimates() -> None:
    for entry in entries():
        estimate = estimate_minutes(_load(ROOT / entry.path))
        flag = "" if abs(estimate - entry.minutes) <= ROUND_TO else "   <- update the metadata"
        print(f"{entry.path:55s} stored {entry.minutes:4d} min, estimate {estimate:4d} min{flag}")


if __name__ == "__main__":
    if "--estimate" in sys.argv[1:]:
        print_estimates()
        sys.exit(0)
    changed = update_readme()
    print("README.md course map " + ("updated" if changed else "already up to date"))
    sys.exit(0)
