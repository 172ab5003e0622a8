"""Timing and reporting helpers shared by the benchmarks."""

from __future__ import annotations

import json
import os
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


def cpu_split() -> tuple[float, float]:
    """CPU seconds spent so far by this process and by its PostgreSQL backend (0 on SQLite, or
    when the server is not on this host): compared before and after a step, the work it cost
    without the waiting for a core that a loaded machine adds to the wall time."""
    from django.db import connection

    backend = 0.0
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
            backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return time.process_time(), backend


def measured(fn: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    """``fn()``'s result, and its wall time, CPU (process and PostgreSQL backend) and the load
    average at the end, ready to go into :func:`report`."""
    process, backend = cpu_split()
    start = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - start
    process_after, backend_after = cpu_split()
    return result, {
        "wall_seconds": round(wall, 3),
        "cpu_seconds": round(process_after - process, 2),
        "backend_cpu_seconds": round(backend_after - backend, 2),
        "load": round(os.getloadavg()[0], 1),
    }
