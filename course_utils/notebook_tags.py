"""The cell tags the course's notebooks use, defined once (the hygiene test and the tools import them).

nbval compares every code cell's committed output with a fresh run, except in cells tagged
``nbval-ignore-output``. Such a cell also carries exactly one tag that says why:

====================  =====================================================================
``machine-dependent``  numbers that training measures; the cell checks them with
                       :func:`course_utils.measured.expect` against a measured band
``varies-per-run``     wall-clock timings, widget state or the student's own environment
====================  =====================================================================

Tags live in the cell's metadata, out of the reader's way (JupyterLab shows them in the
property inspector only).

>>> ignore_reason({"metadata": {"tags": [IGNORE_OUTPUT, MACHINE_DEPENDENT]}})
'machine-dependent'
>>> ignore_reason({"metadata": {}}) is None
True
"""
from __future__ import annotations

IGNORE_OUTPUT = "nbval-ignore-output"
MACHINE_DEPENDENT = "machine-dependent"
VARIES_PER_RUN = "varies-per-run"
REASONS = {
    MACHINE_DEPENDENT: "numbers that training measures, checked with measured.expect()",
    VARIES_PER_RUN: "wall-clock timings, widget state or the student's own environment",
}


def tags(cell: dict) -> list[str]:
    """The cell's tags (an empty list when it has none)."""
    return list(cell.get("metadata", {}).get("tags", []))


def ignore_reason(cell: dict) -> str | None:
    """The reason tag of a cell whose output nbval does not compare, or None for a compared cell.

    Raises ``ValueError`` for an ignored cell without exactly one reason tag.
    """
    cell_tags = tags(cell)
    if IGNORE_OUTPUT not in cell_tags:
        return None
    reasons = [t for t in cell_tags if t in REASONS]
    if len(reasons) != 1:
        raise ValueError(f"a cell tagged {IGNORE_OUTPUT} needs exactly one of {sorted(REASONS)}, got {cell_tags}")
    return reasons[0]


def mark_ignored(cell: dict, reason: str) -> None:
    """Tag ``cell`` so nbval skips its output, for ``reason`` (a key of :data:`REASONS`).

    >>> cell = {"metadata": {}}
    >>> mark_ignored(cell, VARIES_PER_RUN); cell["metadata"]["tags"]
    ['nbval-ignore-output', 'varies-per-run']
    """
    if reason not in REASONS:
        raise ValueError(f"reason must be one of {sorted(REASONS)}, got {reason!r}")
    kept = [t for t in tags(cell) if t != IGNORE_OUTPUT and t not in REASONS]
    cell.setdefault("metadata", {})["tags"] = kept + [IGNORE_OUTPUT, reason]
