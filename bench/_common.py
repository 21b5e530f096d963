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


def target(name: str, measured: str, goal: str, met: bool) -> None:
    """Print the one line per target that CI and readers look for."""
    print(f"TARGET {name}: {measured} (goal {goal}) {'met' if met else 'missed'}")
