"""check() and the grader agree on every corpus answer: both accept it, or both reject it
(and a FORBIDDEN from one is a FORBIDDEN from the other); and neither misjudges it."""
import collections
import concurrent.futures
import symtable

import pytest

from course_utils.checks import forbidden
from course_utils.checks.protocol import FORBIDDEN, PASS
from course_utils.exercises import all_exercises
from course_utils.grading import child, sandbox
from course_utils.grading.cli import grade_submission
from course_utils.grading.synthetic import graded_sources, submission
from exercise_corpus import CORPUS, earlier_answer, run_check_corpus


def _names(source):
    r"""``(bound, read)``: the global names ``source`` binds, and the global names it reads.

    Scopes as Python sees them (``symtable``): a function's own locals are neither, so two
    answers that both loop over ``i`` do not keep each other out of a notebook.

    >>> bound, read = _names("def f(x):\n    i = x + offset\n    return i\ny = f(2)")
    >>> sorted(bound), sorted(read)
    (['f', 'y'], ['f', 'offset'])
    """
    bound, read = set(), set()

    def visit(table):
        at_module = table.get_type() == "module"     # a str in 3.11, a StrEnum from 3.13
        for symbol in table.get_symbols():
            if at_module or symbol.is_global():
                if symbol.is_assigned() or symbol.is_imported():      # def and class names are assigned too
                    bound.add(symbol.get_name())
                if symbol.is_referenced():
                    read.add(symbol.get_name())
        for child_table in table.get_children():
            visit(child_table)

    visit(symtable.symtable(source, "<answer>", "exec"))
    return bound, read


def corpus_notebooks(qids):
    """The corpus answers of one exercise's ``qids`` (in notebook order) as few notebooks as possible: ``[{qid: source}]``.

    check() runs every answer after the solutions of the questions before it; so in a
    notebook no answer reads a name that another corpus answer before it binds
    (``sobel_conv = correlate2d(...)`` after a wrong ``correlate2d``; a right answer in
    another form counts too: ``valid[i, j]`` fails on a right ``valid`` made as a list).
    """
    pending = {qid: [source for source, _ in CORPUS[qid]] for qid in qids}
    notebooks = []
    while any(pending.values()):
        notebook, read_later = {}, set()
        for qid in reversed(qids):          # from the last question: what the later answers read is known
            for source in pending[qid]:
                bound, read = _names(source)
                if not bound & read_later:
                    notebook[qid] = source
                    pending[qid].remove(source)
                    read_later |= read
                    break
        notebooks.append({qid: notebook[qid] for qid in qids if qid in notebook})
    return notebooks


def _grade_corpus(exercise, tmp_path):
    """``{(qid, source): (status, message)}`` from the grader, for one exercise's corpus answers.

    The batches are graded two at a time, in threads, as ``grade --jobs 2`` grades a class: each
    one waits on its own sandboxed child, so the second core is not idle.
    """
    qids = [q.id for q in exercise.questions if q.id in CORPUS]
    solutions = graded_sources(exercise.notebook)
    limits = sandbox.Limits(timeout_s=exercise.timeout_s, memory_mb=exercise.memory_mb)

    def grade(k, batch):
        answers = {q.id: earlier_answer(q, solutions) for q in exercise.questions}
        answers.update(batch)
        path = tmp_path / f"{exercise.notebook}-{k}" / f"{exercise.notebook}.ipynb"
        path.parent.mkdir()
        path.write_text(submission(exercise.notebook, answers), encoding="utf-8")
        record = grade_submission(exercise, path, f"batch{k}", limits)
        return {(row["question"], batch[row["question"]]): (row["status"], row["message"])
                for row in record["rows"] if row["question"] in batch}

    statuses = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for graded in pool.map(lambda item: grade(*item), enumerate(corpus_notebooks(qids))):
            statuses.update(graded)
    return statuses


# One run per exercise with corpus answers, named by its questions' prefix: -k ex13 checks exercise 13 only.
CORPUS_EXERCISES = {exercise.questions[0].id.split(".")[0]: exercise for exercise in all_exercises().values()
                    if any(q.id in CORPUS for q in exercise.questions)}


@pytest.fixture(scope="module", params=sorted(CORPUS_EXERCISES))
def judged(request, isolation, tmp_path_factory):
    exercise = CORPUS_EXERCISES[request.param]
    graded = _grade_corpus(exercise, tmp_path_factory.mktemp(request.param))
    qids = [q.id for q in exercise.questions if q.id in CORPUS]
    return [(qid, source, result, correct, graded[(qid, source)]) for qid, source, result, correct in run_check_corpus(qids)]


def test_check_and_grader_agree(judged):
    disagree = [(qid, source, result.status, grader) for qid, source, result, _, (grader, _) in judged
                if (result.status == PASS) != (grader == PASS) or (result.status == FORBIDDEN) != (grader == FORBIDDEN)]
    assert disagree == []


def test_no_answer_is_misjudged(judged):
    misjudged = [(qid, source, result.line()) for qid, source, result, correct, _ in judged
                 if (result.status == PASS) != correct]
    assert misjudged == []


def test_corpus_notebooks_keep_an_answer_away_from_the_answers_it_builds_on():
    qids = ["ex02.q3", "ex02.q4", "ex02.q5"]
    notebooks = corpus_notebooks(qids)
    for notebook in notebooks:
        sources = list(notebook.values())
        assert all(not _names(a)[0] & _names(b)[1] for i, a in enumerate(sources) for b in sources[i + 1:])
    assert sorted(s for n in notebooks for s in n.values()) == sorted(s for q in qids for s, _ in CORPUS[q])
    assert len(notebooks) < sum(len(CORPUS[q]) for q in qids)


def test_a_functions_own_names_keep_no_answer_out():
    # both use an i of their own inside their functions: only the function names are global
    first = "def box(a):\n    i = 1\n    return a * i"
    later = "def area(b):\n    total = 0\n    for i in range(b):\n        total += i\n    return total"
    assert _names(first) == ({"box"}, set()) and _names(later) == ({"area"}, {"range"})
    read_inside = "def use(x):\n    return valid[x] + np.sum(x)"
    assert _names(read_inside)[1] == {"valid", "np"}


def test_every_question_has_two_right_and_three_wrong_answers():
    counts = {qid: collections.Counter(correct for _, correct in answers) for qid, answers in CORPUS.items()}
    assert {qid for qid, c in counts.items() if c[True] < 2 or c[False] < 3} == set()


def test_every_rejected_answer_says_what_to_try(judged):
    # One line, and a ":" followed by advice (a known mistake's, or what to try).
    lines = [result.message for _, _, result, correct, _ in judged if result.status != PASS]
    assert lines and all("\n" not in line and ": " in line for line in lines)


def test_forgotten_return_is_named(judged):
    lines = [result.message for qid, source, result, _, _ in judged if "return" not in source and "def " in source]
    assert all("returned nothing (None)" in line for line in lines)


def test_the_corpus_has_answers_that_forget_their_return():
    forgotten = {qid.split(".")[0] for qid, answers in CORPUS.items() for source, _ in answers
                 if "def " in source and "return" not in source}
    assert {"ex01", "ex10", "ex11"} <= forgotten


def test_check_and_the_child_share_one_set_of_rules():
    # One implementation: the child uses check()'s list, exception and call patching, not copies.
    assert child.forbidden is forbidden and child.Forbidden is forbidden.Forbidden
    assert not hasattr(child, "_ALWAYS_BANNED_MODULES") and "course_utils" in forbidden.ALWAYS_BANNED_MODULES
