"""course_utils/grading/sandbox.py: the launcher's limits, the hidden inputs' encoding, one child run."""
import numpy as np
import pytest

from course_utils.checks.codec import decode_plain
from course_utils.checks.protocol import Probe, RunEnd
from course_utils.grading import sandbox


def test_limits_and_argument_encoding_validate_their_input():
    with pytest.raises(ValueError, match="timeout_s must be > 0"):
        sandbox.Limits(timeout_s=0)
    arrays = {}
    encoded = sandbox.encode_args("q", [(np.zeros(2), 3, np.int64(4))], arrays)
    assert encoded == [[{"array": "q.0.0"}, {"value": 3}, {"value": 4}]] and list(arrays) == ["q.0.0"]
    with pytest.raises(TypeError, match="hidden inputs must be"):
        sandbox.encode_args("q", [(object(),)], {})
    with pytest.raises(TypeError, match="numeric arrays"):
        sandbox.encode_args("q", [(np.array(["a"]),)], {})


def test_run_child_reports_values_and_cleans_up(tmp_path, monkeypatch, isolation):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    job = {"cells": [{"question": None, "source": "import numpy as np"},
                     {"question": "d.q1", "source": "def f(a, k):\n    print('hi')\n    return a * k"}],
           "probes": {"d.q1": {"probe": Probe.CALL, "name": "f"}}, "args": {"d.q1": [[{"array": "d.0.0"}, {"value": 2}]]}}
    run = sandbox.run_child(job, {"d.0.0": np.arange(3)}, sandbox.Limits(timeout_s=20))
    assert run.ended == RunEnd.FINISHED, run.detail
    answer = decode_plain(run.results["done"]["d.q1"]["calls"][0]["answer"])
    assert answer.tolist() == [0, 2, 4]
    assert list(tmp_path.iterdir()) == []
