"""How fast is the course's NumPy cross-correlation? Loops vs vectorised vs SciPy.

    python benchmarks/bench_conv2d.py                  # 512x512 image, 3x3 kernel, 64 channels
    python benchmarks/bench_conv2d.py --size 256 --repeats 3

Each method is run ``--repeats`` times and the best time (``time.perf_counter``) is kept:
the minimum is the run least disturbed by other programs. Every ratio is taken against
SciPy measured in the same run, so the ratios travel between machines better than the
seconds do. The pure-Python loops take about a second per run on the full image, so they run on a
``--crop`` x ``--crop`` crop and the time per output pixel is extrapolated to the full size
(the work per pixel is the same everywhere, so this is a fair estimate).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy
import scipy.signal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing
from course_utils.conv import conv2d, correlate2d, correlate2d_loops, windows2d  # noqa: E402
from course_utils.doctor import cpu_name  # noqa: E402


def best_time(func, repeats: int) -> float:
    """The fastest of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def einsum_over_windows(image, kernel):
    """The other vectorisation: all windows as one strided view, contracted with the kernel."""
    return np.einsum("ijkl,kl->ij", windows2d(image, kernel.shape), kernel)


def single_channel(size: int, crop: int, repeats: int) -> list[tuple[str, float, str]]:
    rng = np.random.default_rng(0)
    image, kernel = rng.random((size, size)), rng.random((3, 3))
    reference = scipy.signal.correlate2d(image, kernel, mode="valid")
    np.testing.assert_allclose(correlate2d(image, kernel), reference)
    np.testing.assert_allclose(einsum_over_windows(image, kernel), reference)
    np.testing.assert_allclose(correlate2d_loops(image[:crop, :crop], kernel), reference[:crop - 2, :crop - 2])

    out_pixels = (size - 2) ** 2
    loops_crop = best_time(lambda: correlate2d_loops(image[:crop, :crop], kernel), max(1, repeats // 2))
    loops = loops_crop / (crop - 2) ** 2 * out_pixels
    return [
        ("scipy.signal.correlate2d", best_time(lambda: scipy.signal.correlate2d(image, kernel, mode="valid"), repeats), ""),
        ("course_utils.conv.correlate2d (vectorised)", best_time(lambda: correlate2d(image, kernel), repeats),
         "sum of 9 shifted slices, in blocks of 64 rows"),
        ("np.einsum over windows2d", best_time(lambda: einsum_over_windows(image, kernel), repeats),
         "strided view of all windows"),
        ("course_utils.conv.correlate2d_loops (Python loops)", loops,
         f"extrapolated from a {crop}x{crop} crop"),
    ]


def multi_channel(size: int, channels: int, repeats: int) -> list[tuple[str, float, str]]:
    rng = np.random.default_rng(1)
    x, weights = rng.random((size, size, channels)), rng.random((3, 3, channels, 1))
    planes = np.ascontiguousarray(np.moveaxis(x, -1, 0))  # fair to SciPy: one contiguous (H, W) plane per channel

    def scipy_per_channel():
        return sum(scipy.signal.correlate2d(planes[c], weights[:, :, c, 0], mode="valid") for c in range(channels))

    np.testing.assert_allclose(conv2d(x, weights)[..., 0], scipy_per_channel())
    return [
        (f"{channels} x scipy.signal.correlate2d, summed", best_time(scipy_per_channel, repeats),
         "channel planes made contiguous beforehand"),
        ("course_utils.conv.conv2d, (3, 3, {c}, 1) weights".format(c=channels), best_time(lambda: conv2d(x, weights), repeats),
         "one einsum over all channels"),
    ]


def markdown_table(title: str, rows: list[tuple[str, float, str]]) -> str:
    scipy_seconds = rows[0][1]
    lines = [f"**{title}**", "", "| method | best time (ms) | time / SciPy | note |", "|---|---:|---:|---|"]
    for name, seconds, note in rows:
        lines.append(f"| {name} | {seconds * 1e3:,.1f} | {seconds / scipy_seconds:,.2f} | {note} |")
    return "\n".join(lines)


def environment() -> str:
    load = f", load average {os.getloadavg()[0]:.1f} at the start" if hasattr(os, "getloadavg") else ""
    return (f"{os.cpu_count()} CPUs ({cpu_name()}){load}; "
            f"Python {platform.python_version()}, NumPy {np.__version__}, SciPy {scipy.__version__}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512, help="image height and width (default 512)")
    parser.add_argument("--channels", type=int, default=64, help="input channels of the layer case (default 64)")
    parser.add_argument("--crop", type=int, default=64, help="crop side the Python loops run on (default 64)")
    parser.add_argument("--repeats", type=int, default=7, help="runs per method; the best is kept (default 7)")
    args = parser.parse_args(argv)
    if not 3 <= args.crop <= args.size:
        parser.error(f"--crop must be between 3 and --size ({args.size}), got {args.crop}")

    print(environment())
    print()
    print(markdown_table(f"One channel: {args.size}x{args.size} image, 3x3 kernel, valid",
                         single_channel(args.size, args.crop, args.repeats)))
    print()
    print(markdown_table(f"{args.channels} input channels summed: {args.size}x{args.size}x{args.channels}, 3x3 kernel, valid",
                         multi_channel(args.size, args.channels, max(1, args.repeats // 2))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
