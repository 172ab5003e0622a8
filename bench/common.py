"""Timing and reporting helpers shared by the benchmarks."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any


def timed(fn: Callable[[], Any], *, repeat: int = 5) -> float:
    """Median wall time of ``repeat`` calls, in seconds (after one warm-up call)."""
    fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def report(name: str, *, db: str, rows: int, seconds: float, **extra: Any) -> None:
    print(
        json.dumps(
            {"name": name, "db": db, "rows": rows, "seconds": round(seconds, 4), **extra},
            ensure_ascii=False,
        ),
        flush=True,
    )


def speed_gauge() -> float:
    """Milliseconds of CPU this machine needs right now for a fixed piece of pure Python.

    Shared virtual machines change speed from minute to minute (other guests on the host);
    reporting the gauge beside a figure lets two runs be compared fairly."""
    start = time.process_time()
    x = 0
    for i in range(2_000_000):
        x += i * i % 7
    return round(1000 * (time.process_time() - start), 1)
