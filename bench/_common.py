"""Helpers shared by the benchmark scripts: timing with medians, and TARGET lines."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(fn: Callable[[], object], *, repeat: int = 5) -> float:
    """The median wall time of ``repeat`` calls of ``fn`` (after one warm-up call)."""
    fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def per_call_us(fn: Callable[[], object], n: int, *, repeat: int = 7) -> float:
    """Median microseconds per call of ``fn``, timed in batches of ``n`` calls."""

    def batch() -> None:
        for _ in range(n):
            fn()

    return median_seconds(batch, repeat=repeat) / n * 1e6


def paired_seconds(
    fn_a: Callable[[], object], fn_b: Callable[[], object], *, repeat: int = 5
) -> tuple[float, float, float]:
    """Wall times of ``fn_a`` and of ``fn_b``, and how many times slower ``a`` is.

    The two run alternately (after one warm-up call each), so that both see the same load
    on a noisy machine: the times are the medians of ``repeat`` calls, the ratio is the
    median of the ``repeat`` per-round ratios.
    """

    def timed(fn: Callable[[], object]) -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    fn_a()
    fn_b()
    a: list[float] = []
    b: list[float] = []
    for _ in range(repeat):
        a.append(timed(fn_a))
        b.append(timed(fn_b))
    ratio = statistics.median(x / y for x, y in zip(a, b, strict=True))
    return statistics.median(a), statistics.median(b), ratio


def paired_us(
    fn_a: Callable[[], object], fn_b: Callable[[], object], n: int, *, repeat: int = 9
) -> tuple[float, float, float]:
    """Microseconds per call of ``fn_a`` and of ``fn_b``, timed in alternating batches of
    ``n`` calls, and the median per-round ratio (see :func:`paired_seconds`)."""

    def batch(fn: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            for _ in range(n):
                fn()

        return run

    a, b, ratio = paired_seconds(batch(fn_a), batch(fn_b), repeat=repeat)
    return a / n * 1e6, b / n * 1e6, ratio


def target(name: str, measured: str, goal: str, met: bool) -> None:
    """Print the one line per target that CI and readers look for."""
    print(f"TARGET {name}: {measured} (goal {goal}) {'met' if met else 'missed'}")
