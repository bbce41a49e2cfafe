"""Assertions shared by the exercise-check tests: how a check's result must look."""
import functools

from course_utils.checks.protocol import FAIL, PASS


def check(question, *answers):
    return question.check_result(*answers)


def assert_wrong(result, *fragments):
    """Wrong (not a pass), attempted, one line, and saying each of ``fragments``."""
    assert result.status != PASS and result.attempted, result
    for fragment in fragments:
        assert fragment in result.message, f"{fragment!r} not in {result.message!r}"
    assert "\n" not in result.message


def assert_not_attempted(result):
    assert result.status == FAIL and not result.attempted and result.message.startswith("Not attempted yet"), result


def stub(*args):
    """What a student function looks like before it is written."""
    raise NotImplementedError("write your code here")


def sourceless(fn):
    """``fn`` without source code, so that check() judges what it returns, not what it uses.

    Some tests build wrong answers from the course's own code, which check() rightly
    refuses in a student's cell (the grader bans ``course_utils``).
    """
    return functools.partial(fn)
