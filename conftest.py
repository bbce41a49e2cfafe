"""Test-session settings shared by the unit tests and the nbval notebook kernels.

The kernels that nbval starts inherit this process's environment, so setting the
variables here makes ``pytest`` alone reproduce CI: bundled data, quiet TensorFlow.
"""
import os

import pytest

REQUIRE_ISOLATION_ENV = "COURSE_REQUIRE_ISOLATION"

os.environ.setdefault("COURSE_DATA", "sample")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

collect_ignore = ["tools", "benchmarks"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each test phase's report on the item, so fixtures can react to a failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def isolation():
    """Tests that grade through the sandbox need bubblewrap: skipped with the reason where it is
    missing, unless ``COURSE_REQUIRE_ISOLATION=1`` (CI sets it), where a skip would hide a broken set-up."""
    from course_utils.grading import sandbox

    problem = sandbox.isolation_problem()
    if problem is not None:
        if os.environ.get(REQUIRE_ISOLATION_ENV) == "1":
            pytest.fail(f"{REQUIRE_ISOLATION_ENV}=1 but {problem}")
        pytest.skip(problem)
