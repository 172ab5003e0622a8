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


def server_cpu() -> float | None:
    """CPU seconds used so far by the PostgreSQL backend serving this process's connection
    (its ``/proc/<pid>/stat``: the server runs on this machine), None on SQLite (whose work is
    in this process's own CPU time). Work a query does on other backends (parallel workers)
    is not counted; the benchmarks' queries run without them at this size."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Cpu:
    """Wall, this process's CPU and the database server backend's CPU over a block:
    ``with Cpu() as c: ...`` then ``c.wall``, ``c.cpu``, ``c.server`` (None on SQLite) and
    ``c.load`` (the 1-minute load average at its end: the machine is shared)."""

    def __enter__(self) -> Cpu:
        self._server = server_cpu()
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu
        end = server_cpu()
        self.server = None if end is None or self._server is None else end - self._server
        self.load = os.getloadavg()[0]

    def fields(self, prefix: str = "") -> dict[str, Any]:
        return {
            f"{prefix}seconds": round(self.wall, 2),
            f"{prefix}cpu_seconds": round(self.cpu, 2),
            f"{prefix}server_cpu_seconds": None if self.server is None else round(self.server, 2),
            f"{prefix}load_1min": round(self.load, 1),
        }
