"""Test-session settings shared by the unit tests and the nbval notebook kernels.

The kernels that nbval starts inherit this process's environment, so setting the
variables here makes ``pytest`` alone reproduce CI: bundled data, quiet TensorFlow.
"""
import os

import pytest

REQUIRE_ISOLATION_ENV = "COURSE_REQUIRE_ISOLATION"
REQUIRE_CLUSTER_ENV = "COURSE_REQUIRE_CLUSTER"

os.environ.setdefault("COURSE_DATA", "sample")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

collect_ignore = ["tools", "benchmarks"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each test phase's report on the item, so fixtures can react to a failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _skip_unless_required(problem: str | None, require_env: str) -> None:
    """Skip with ``problem`` as the reason, or fail where ``require_env=1`` (CI sets it): there a skip
    would hide a broken set-up."""
    if problem is not None:
        if os.environ.get(require_env) == "1":
            pytest.fail(f"{require_env}=1 but {problem}")
        pytest.skip(problem)


@pytest.fixture(scope="session")
def isolation():
    """Tests that grade through the sandbox need bubblewrap (``COURSE_REQUIRE_ISOLATION=1``: must)."""
    from course_utils import sandbox

    _skip_unless_required(sandbox.isolation_problem(), REQUIRE_ISOLATION_ENV)


@pytest.fixture(scope="session")
def dask_installed():
    """Tests that grade on a Dask cluster need the ``cluster`` extra (``COURSE_REQUIRE_CLUSTER=1``: must)."""
    from course_utils import grade_cluster

    _skip_unless_required(grade_cluster.dask_problem(), REQUIRE_CLUSTER_ENV)
