"""Measured bands: expect() accepts the spread and rejects what lies outside, and every band the
notebooks use was measured with enough runs (course_utils.measured, tools/measure_spread.py)."""
import json
import re
from pathlib import Path

import pytest

from course_utils import measured

ROOT = Path(__file__).resolve().parent.parent
EXECUTED = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "exercises" / "solutions").glob("*.ipynb"))
KEY = re.compile(r"""expect\(\s*f?(["'])(?P<key>.+?)\1""")
BANDS = {"nb/accuracy": {"low": 0.96, "high": 0.97, "runs": 6}, "nb/loss": {"low": 0.05, "high": 0.05, "runs": 6}}


def used_keys() -> dict[str, str]:
    """Each expect() key pattern in the executed notebooks (f-string fields as regex wildcards) -> notebook."""
    keys = {}
    for path in EXECUTED:
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                for match in KEY.finditer("".join(cell["source"])):
                    keys[match.group("key")] = path.name
    return keys


def as_pattern(key: str) -> re.Pattern:
    parts = re.split(r"\{[^}]+\}", key)
    return re.compile("^" + ".+".join(map(re.escape, parts)) + "$")


def test_a_value_inside_the_widened_band_passes():
    assert measured.expect("nb/accuracy", 0.95, bands=BANDS) == 0.95     # 0.01 below the lowest run: within the margin
    assert measured.expect("nb/accuracy", 0.98, bands=BANDS) == 0.98


def test_a_value_outside_fails_with_the_band_in_the_message():
    with pytest.raises(AssertionError, match=r"nb/accuracy is 0.9, outside 0.9406..0.9894 \(measured 0.96..0.97 "
                                             r"over 6 runs, widened by 0.0194\)"):
        measured.expect("nb/accuracy", 0.9, bands=BANDS)
    with pytest.raises(AssertionError, match="nb/accuracy is 0.995"):
        measured.expect("nb/accuracy", 0.995, bands=BANDS)


def test_a_quantity_that_did_not_move_still_gets_a_relative_margin():
    assert measured.margin("nb/loss", BANDS) == pytest.approx(0.001)
    measured.expect("nb/loss", 0.0509, bands=BANDS)
    with pytest.raises(AssertionError):
        measured.expect("nb/loss", 0.052, bands=BANDS)


def test_an_unknown_key_says_how_to_measure_it():
    with pytest.raises(KeyError, match="run `python tools/measure_spread.py`"):
        measured.expect("nb/never measured", 1.0, bands=BANDS)


def test_recording_mode_writes_instead_of_checking(tmp_path, monkeypatch):
    log = tmp_path / "values.jsonl"
    monkeypatch.setenv(measured.RECORD_ENV, str(log))
    measured.expect("nb/accuracy", 0.1, bands=BANDS)                     # far outside, but only recorded
    measured.expect("nb/new", 2.5, bands=BANDS)
    assert [json.loads(line) for line in log.read_text().splitlines()] == [
        {"key": "nb/accuracy", "value": 0.1}, {"key": "nb/new", "value": 2.5}]


def test_every_key_the_notebooks_use_has_a_band_and_no_band_is_stale():
    bands, keys = measured.load_bands(), used_keys()
    assert keys, "the training notebooks check their numbers with expect()"
    patterns = {key: as_pattern(key) for key in keys}
    for key, notebook in keys.items():
        assert any(patterns[key].match(band) for band in bands), f"{notebook}: no measured band for {key!r}"
    for band in bands:
        assert any(p.match(band) for p in patterns.values()), f"band {band!r} is used by no notebook: re-measure"


def test_bands_were_measured_over_three_seeds_on_two_machines():
    data = json.loads(measured.SPREAD_FILE.read_text(encoding="utf-8"))
    for notebook, how in data["measured_with"].items():
        assert len(how["seeds"]) >= 3, notebook
        assert len(how["settings"]) >= 2 and any(s.get("ONEDNN_MAX_CPU_ISA") for s in how["settings"].values())
    for key, band in data["bands"].items():
        runs = len(data["measured_with"][key.split("/")[0]]["seeds"]) * 2
        assert band["runs"] == len(band["values"]) == runs, key
        assert band["low"] == pytest.approx(min(band["values"]), abs=1e-6), key   # the values are kept to 6 digits
        assert band["high"] == pytest.approx(max(band["values"]), abs=1e-6), key
