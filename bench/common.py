"""Timing and reporting helpers shared by the benchmarks."""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
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
    return _stat_cpu(pid)


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


def process_cpu(pid: int | None = None, *, descendants: bool = False) -> float:
    """CPU seconds (user + system) a process has used so far, from ``/proc/<pid>/stat`` (this
    process when ``pid`` is None); with ``descendants``, its living child processes' too (a
    Celery worker's pool). 0.0 where there is no ``/proc`` or the process is gone."""
    pids = [pid or os.getpid()]
    if descendants:
        pids += _descendants(pids[0])
    return sum(_stat_cpu(p) for p in pids)


def _stat_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    # utime and stime are the 14th and 15th fields; the 3rd is the first after the name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    out: list[int] = []
    todo = [root]
    while todo:
        children = parents.get(todo.pop(), [])
        out += children
        todo += children
    return out


class PgBackendCpu:
    """CPU seconds of the PostgreSQL server processes serving this database (the server runs
    on this machine): each backend's ``/proc/<pid>/stat``, found through
    ``pg_stat_activity``. ``sample()`` reads them all, keeping each backend's last figure, so
    a backend whose connection closes between samples still counts (up to its last sample);
    call it now and then during a run (:meth:`poll` does so from a thread)."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}
        self.start: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _pids(self) -> list[int]:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "UNION SELECT pg_backend_pid()"
            )
            return [int(r[0]) for r in cur.fetchall()]

    def sample(self) -> None:
        for pid in self._pids():
            cpu = _stat_cpu(pid)
            if cpu:
                self.seen[pid] = max(cpu, self.seen.get(pid, 0.0))

    def begin(self) -> None:
        """The figures now are the starting line (backends already open keep their past)."""
        self.sample()
        self.start = dict(self.seen)

    def seconds(self) -> float:
        return sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self.seen.items())

    def poll(self, every: float = 0.5) -> None:
        """Sample from a thread of its own (its own database connection) until :meth:`stop`."""
        from django.db import connection

        def loop() -> None:
            try:
                while not self._stop.wait(every):
                    self.sample()
            finally:
                connection.close()

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(10)
        self.sample()


REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")


class CeleryWorker:
    """A real Celery worker (``celery -A gridlight.celery worker``) in a process of its own, on a
    queue of its own, with Redis as broker and result store, reading this run's database and
    data folder; and a client to send it tasks by name. Use as a context manager: the worker
    is ready on entry and stopped on exit."""

    def __init__(self, *, concurrency: int = 1, log: str | None = None) -> None:
        import uuid

        self.concurrency = concurrency
        self.queue = f"bench-{uuid.uuid4().hex[:12]}"
        self.log = log or os.path.join(
            os.environ.get("GRIDLIGHT_DATA_DIR") or tempfile.gettempdir(), f"{self.queue}.log"
        )
        self.proc: Any = None
        self.client: Any = None

    def __enter__(self) -> CeleryWorker:
        import subprocess
        import sys

        from celery import Celery  # type: ignore[import-untyped]

        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = {
            **os.environ,
            "GRIDLIGHT_BROKER_URL": REDIS_URL,
            "GRIDLIGHT_RESULT_BACKEND": REDIS_URL,
            "PYTHONPATH": os.pathsep.join([os.path.join(root, "src"), root]),
        }
        pool = ["--pool=solo"] if self.concurrency == 1 else ["--pool=prefork"]
        args = [sys.executable, "-m", "celery", "-A", "gridlight.celery", "worker", *pool]
        args += [f"--concurrency={self.concurrency}", "-Q", self.queue, "-n", f"{self.queue}@%h"]
        args += ["--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO"]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                args,
                env=env,
                cwd=root,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.client = Celery("bench-client", broker=REDIS_URL, backend=REDIS_URL)
        deadline = time.monotonic() + 120
        while " ready." not in self.log_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start:\n" + self.log_text())
            time.sleep(0.2)
        return self

    def send(self, name: str, **kwargs: Any) -> Any:
        return self.client.send_task(name, kwargs=kwargs, queue=self.queue)

    def cpu(self) -> float:
        """CPU seconds of the worker and its pool processes so far."""
        return process_cpu(self.proc.pid, descendants=True)

    def log_text(self) -> str:
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def __exit__(self, *exc: object) -> None:
        import subprocess

        if self.client is not None:
            self.client.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(30)


def cpu_split() -> tuple[float, float]:
    """CPU seconds spent so far by this process and by its PostgreSQL backend (0 on SQLite, or
    when the server is not on this host): compared before and after a step, the work it cost
    without the waiting for a core that a loaded machine adds to the wall time."""
    return time.process_time(), server_cpu() or 0.0


def measured(fn: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    """``fn()``'s result, and its wall time, CPU (process and PostgreSQL backend) and the load
    average at the end, ready to go into :func:`report`."""
    with Cpu() as cost:
        result = fn()
    return result, {
        "wall_seconds": round(cost.wall, 3),
        "cpu_seconds": round(cost.cpu, 2),
        "backend_cpu_seconds": round(cost.server or 0.0, 2),
        "load": round(cost.load, 1),
    }
