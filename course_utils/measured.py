"""Numbers that training measures, checked against the spread measured over seeds and machines.

Training is repeatable on one machine but not across machines: oneDNN and Eigen pick their
kernels by instruction set and split sums by thread count, so the last bits of every sum
differ and a training run drifts a little. A student's losses and accuracies therefore
differ from the committed outputs in the last digits. The course never compares such a
number digit by digit. A cell that prints one carries the cell tags
``nbval-ignore-output`` and ``machine-dependent`` (see :mod:`course_utils.notebook_tags`)
and checks each number it teaches with :func:`expect`, against a band that
``tools/measure_spread.py`` measured by running the notebook with several seeds, as this
machine and as another one. The bands live in ``data/measured_spread.json``.

A value passes when it lies within the measured ``[low, high]`` widened on each side by a
margin: the measured range itself (six runs of a normal spread cover about 2.5 standard
deviations, so this reaches about 2.5 more beyond each extreme), and at least 2 % of the
value's size, so that a quantity that hardly moved in the measurements is not held to its
last digit.

>>> bands = {"demo/accuracy": {"low": 0.962, "high": 0.975, "runs": 6}}
>>> expect("demo/accuracy", 0.97, bands=bands)
0.97
>>> margin("demo/accuracy", bands)
0.0195
>>> expect("demo/accuracy", 0.80, bands=bands)
Traceback (most recent call last):
AssertionError: demo/accuracy is 0.8, outside 0.9425..0.9945 (measured 0.962..0.975 over 6 runs, widened by 0.0195)
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import TypedDict

SPREAD_FILE = Path(__file__).resolve().parent / "data" / "measured_spread.json"
RECORD_ENV = "COURSE_MEASURE_LOG"
"""When set to a file name, :func:`expect` appends each value there (one JSON line) instead of checking it."""
RELATIVE_FLOOR = 0.02


class Band(TypedDict):
    """What ``tools/measure_spread.py`` recorded for one quantity."""

    low: float
    high: float
    runs: int


def expect(key: str, value, *, at_least: float = 0.0, bands: dict[str, Band] | None = None) -> float:
    """Check a measured ``value`` against its band ``key`` ("<notebook>/<what>"); return it as a float.

    ``at_least`` is a smallest margin, for a quantity that another machine is known to move
    further than the runs here can (say so, with the numbers, where you pass it).

    In recording mode (``$COURSE_MEASURE_LOG`` set) the value is appended to that file and
    not checked, so that a measurement run sees every value, also the ones outside today's band.
    """
    value = float(value)
    log = os.environ.get(RECORD_ENV)
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(json.dumps({"key": key, "value": value}) + "\n")
        return value
    bands = load_bands() if bands is None else bands
    if key not in bands:
        raise KeyError(f"no measured band for {key!r}: run `python tools/measure_spread.py` on its notebook")
    band, widen = bands[key], max(margin(key, bands), at_least)
    low, high = band["low"] - widen, band["high"] + widen
    if not low <= value <= high:
        raise AssertionError(f"{key} is {value:.6g}, outside {low:.6g}..{high:.6g} (measured {band['low']:.6g}.."
                             f"{band['high']:.6g} over {band['runs']} runs, widened by {widen:.3g})")
    return value


def margin(key: str, bands: dict[str, Band] | None = None) -> float:
    """How far beyond the measured range a value of ``key`` may lie (see the module's text)."""
    band = (load_bands() if bands is None else bands)[key]
    size = max(abs(band["low"]), abs(band["high"]))
    return round(max(band["high"] - band["low"], RELATIVE_FLOOR * size), 12)


@lru_cache(maxsize=1)
def load_bands() -> dict[str, Band]:
    """The bands of every notebook, from ``data/measured_spread.json``."""
    data = json.loads(SPREAD_FILE.read_text(encoding="utf-8"))
    return data["bands"]
