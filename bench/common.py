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
