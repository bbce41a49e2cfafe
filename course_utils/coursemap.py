"""The course map: one row per notebook and exercise, read from the notebooks themselves.

Each notebook opens with a markdown cell ``# Title`` followed by a one-line summary
in italics (``*...*``). ``python -m course_utils.coursemap`` rewrites the table in
README.md between the ``course-map`` markers; a test fails when it is out of date.

>>> "| Notebook |" in markdown_table()
True
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- course-map:begin -->", "<!-- course-map:end -->"


def _title_and_summary(path: Path) -> tuple[str, str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    text = "".join(cells[0]["source"]) if cells and cells[0]["cell_type"] == "markdown" else ""
    title = re.search(r"^#\s+(.+)$", text, re.M)
    summary = re.search(r"^\*([^*].*?)\*\s*$", text, re.M)
    if not (title and summary):
        raise ValueError(f"{path.name}: the first cell needs a '# Title' line and an italic '*one-line summary*' line")
    return title.group(1).strip(), summary.group(1).strip()


def entries() -> list[tuple[str, str, str]]:
    """``(relative path, title, summary)`` for every course notebook, then every exercise."""
    paths = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "exercises").glob("*.ipynb"))
    return [(p.relative_to(ROOT).as_posix(), *_title_and_summary(p)) for p in paths]


def markdown_table(link_prefix: str = "") -> str:
    rows = ["| Notebook | What you learn |", "|---|---|"]
    for rel, title, summary in entries():
        rows.append(f"| [{title}]({link_prefix}{rel}) | {summary} |")
    return "\n".join(rows)


def update_readme(readme: Path = ROOT / "README.md") -> bool:
    """Rewrite the table in the README; returns True if it changed."""
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise ValueError(f"README.md needs the markers {BEGIN} and {END}")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n{markdown_table()}\n{END}{tail}"
    readme.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    changed = update_readme()
    print("README.md course map " + ("updated" if changed else "already up to date"))
    sys.exit(0)
