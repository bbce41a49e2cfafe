"""Read a submitted notebook as DATA and pick out the graded cells, deterministically.

The submission is never executed here and its metadata is only used to *find* graded
cells (``cell.metadata.course.question``); points and the list of questions come from
the instructor's exercise module. Rules, each reported as a note in the feedback:

- too large, not JSON, or not a valid notebook (nbformat schema) → the whole notebook is INVALID;
- a graded cell found several times → the LAST one is graded;
- a graded cell turned into markdown/raw, or deleted → that question is MISSING;
- lines that are shell escapes (``!cmd``) or IPython magics (``%cmd``, ``%%cell``)
  are replaced by ``pass`` and never run.

>>> strip_magics("x = 1\\n!rm -rf /\\n%timeit f()\\ny = x")
('x = 1\\npass  # removed by the grader: shell command\\npass  # removed by the grader: magic\\ny = x', [2, 3])
"""
from __future__ import annotations

import functools
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

MAX_NOTEBOOK_BYTES = 20 * 2**20
_SHELL = re.compile(r"^(\s*)(?:[A-Za-z_][A-Za-z0-9_]*\s*=\s*)?!")
_MAGIC = re.compile(r"^(\s*)(?:[A-Za-z_][A-Za-z0-9_]*\s*=\s*)?%")


class InvalidNotebook(ValueError):
    """The file cannot be read as a notebook; the message says why, in one line."""


@dataclass
class GradedCells:
    """The code to grade per question id, plus notes and per-question problems."""

    sources: dict = field(default_factory=dict)          # qid -> source (magics stripped)
    missing: dict = field(default_factory=dict)          # qid -> reason (deleted / retyped)
    notes: list = field(default_factory=list)            # human-readable, for the feedback file


def strip_magics(source: str) -> tuple[str, list[int]]:
    """Replace shell-escape and magic lines by ``pass`` (keeping indentation and line numbers)."""
    out, removed = [], []
    for number, line in enumerate(source.split("\n"), 1):
        shell, magic = _SHELL.match(line), _MAGIC.match(line)
        if shell or magic:
            indent = (shell or magic).group(1)
            out.append(f"{indent}pass  # removed by the grader: {'shell command' if shell else 'magic'}")
            removed.append(number)
        else:
            out.append(line)
    return "\n".join(out), removed


@functools.lru_cache(maxsize=None)
def _schema_validator(minor: int):
    """nbformat's own JSON schema for v4.<minor>, compiled with fastjsonschema.

    The schema files are read from the installed nbformat package without importing it
    (importing nbformat pulls in jsonschema, which costs seconds of start-up).
    """
    import fastjsonschema

    spec = importlib.util.find_spec("nbformat")
    folder = Path(spec.submodule_search_locations[0]) / "v4"
    schema = json.loads((folder / f"nbformat.v4.{minor}.schema.json").read_text(encoding="utf-8"))
    return fastjsonschema.compile(schema)


def read_notebook(path: Path) -> dict:
    """Load and validate a notebook file (size limit, JSON, nbformat v4 schema).

    Returns the notebook as a plain dict; raises :class:`InvalidNotebook` with a one-line reason.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidNotebook(f"cannot read the file ({exc.strerror})") from None
    if size > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(too_large(size))
    return parse_notebook(path.read_bytes())


def too_large(size: int) -> str:
    """Why a notebook of ``size`` bytes is refused, in one line."""
    return (f"the file is {size / 2**20:.1f} MB, more than the {MAX_NOTEBOOK_BYTES // 2**20} MB allowed "
            "(clear the outputs and save again)")


def parse_notebook(raw: bytes) -> dict:
    """Validate a notebook's bytes (size limit, JSON, nbformat v4 schema), as :func:`read_notebook` does
    for a file: the grader reads the file once and ships these bytes to wherever it grades.

    >>> parse_notebook(b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')["cells"]
    []
    >>> parse_notebook(b"{")
    Traceback (most recent call last):
    ...
    course_utils.exercises.submission.InvalidNotebook: the file is not a notebook (not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1))
    """
    if len(raw) > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(too_large(len(raw)))
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise InvalidNotebook(f"the file is not a notebook (not valid JSON: {str(exc)[:80]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise InvalidNotebook("the file is not a notebook (no list of cells)")
    major, minor = data.get("nbformat"), data.get("nbformat_minor")
    if major != 4 or type(minor) is not int or minor < 0:  # bool is an int subclass: not a version
        raise InvalidNotebook(f"the notebook format {major}.{minor} is not supported: open it in Jupyter, save, "
                              "and submit again")
    import fastjsonschema

    try:
        _schema_validator(min(minor, 5))(data)
    except fastjsonschema.JsonSchemaException as exc:
        where = str(getattr(exc, "name", "") or "")[:60]
        raise InvalidNotebook(f"the notebook does not follow the notebook format ({where}: "
                              f"{str(exc.message)[:100]})") from None
    except RecursionError:
        raise InvalidNotebook("the notebook does not follow the notebook format (nested too deeply)") from None
    return data


def graded_cells(nb, question_ids) -> GradedCells:
    """Find each question's graded cell in a (validated) notebook by its metadata."""
    wanted = list(question_ids)
    found: dict[str, list[tuple[int, str]]] = {q: [] for q in wanted}
    retyped: dict[str, str] = {}
    unknown = set()
    for index, cell in enumerate(nb["cells"], 1):
        meta = cell.get("metadata", {}).get("course", {})
        qid = meta.get("question") if isinstance(meta, dict) else None
        if not isinstance(qid, str):
            continue
        if qid not in found:
            unknown.add(qid[:40])
            continue
        if cell.get("cell_type") != "code":
            retyped[qid] = cell.get("cell_type", "?")
            continue
        source = cell.get("source", "")
        found[qid].append((index, source if isinstance(source, str) else "".join(source)))
    result = GradedCells()
    for qid in wanted:
        cells = found[qid]
        if not cells:
            if qid in retyped:
                result.missing[qid] = (f"the graded cell of {qid} was changed into a {retyped[qid]} cell, so it was "
                                       "not run: change it back to a code cell")
            else:
                result.missing[qid] = (f"the graded cell of {qid} is missing (deleted?): copy it back from the "
                                       "original notebook and answer there")
            result.notes.append(result.missing[qid])
            continue
        if len(cells) > 1:
            numbers = ", ".join(str(i) for i, _ in cells)
            result.notes.append(f"{qid} appears in {len(cells)} cells ({numbers}); the last one (cell {cells[-1][0]}) "
                                "was graded")
        source, removed = strip_magics(cells[-1][1])
        if removed:
            lines = ", ".join(str(n) for n in removed)
            result.notes.append(f"{qid}: line(s) {lines} are shell commands or magics; the grader does not run them")
        result.sources[qid] = source
    for qid in sorted(unknown):
        result.notes.append(f"a cell is marked as question {qid!r}, which this exercise does not have; it was ignored")
    return result
