"""How far each question's hints have been read: state of one notebook session, apart from the questions.

A question object is trusted logic (reference, known mistakes, judge) that ``check()``
and the grader share; which hint a student reads next belongs to their kernel, so it is
kept here, by question id, and the question only says what its hints are.

>>> log = HintLog()
>>> [log.next_hint("demo.q1", ["Count the windows.", "Use (n - k) // s + 1."]) for _ in range(3)][-1]
'💡 Hint 2/2: Use (n - k) // s + 1.'
>>> log.next_hint("demo.q2", [])
'No hint for this one: re-read the cell above.'
"""
from __future__ import annotations

from typing import Sequence


class HintLog:
    """The number of hints shown per question id; hints get more specific, the last one repeats."""

    def __init__(self):
        self.shown: dict[str, int] = {}

    def next_hint(self, qid: str, hints: Sequence[str]) -> str:
        """The line to print for the next hint of question ``qid``."""
        if not hints:
            return "No hint for this one: re-read the cell above."
        k = min(self.shown.get(qid, 0), len(hints) - 1)
        self.shown[qid] = self.shown.get(qid, 0) + 1
        return f"💡 Hint {k + 1}/{len(hints)}: {hints[k]}"

    def reset(self, qid: str | None = None) -> None:
        """Start again from the first hint (of one question, or of all)."""
        if qid is None:
            self.shown.clear()
        else:
            self.shown.pop(qid, None)


SESSION = HintLog()   # this kernel's
