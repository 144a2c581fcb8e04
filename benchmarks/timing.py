"""Timing helpers shared by the benchmarks: repeated wall-clock runs and their p50/p95."""

from __future__ import annotations

import statistics
import time


def timed(run, repeat: int) -> list[float]:
    """Milliseconds of `repeat` runs of `run`, after one warm-up run (file pages, caches)."""
    run()
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        out.append((time.perf_counter() - started) * 1000)
    return out


def p50_p95(ms: list[float]) -> tuple[float, float]:
    ordered = sorted(ms)
    return statistics.median(ms), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def once(work):  # type: ignore[no-untyped-def]
    """(seconds, result) of one run of `work`."""
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result
